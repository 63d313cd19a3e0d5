"""Volume rendering, hierarchical sampling and the stop-gradient on rendered features."""
import math

import pytest
import torch
from torch import nn

from wsl.localization.nefes.nefes import NeFeS
from wsl.localization.nefes.rays import camera_directions, generate_rays
from wsl.localization.nefes.renderer import NeFeSRenderer
from wsl.localization.nefes.sampling import sample_pdf, stratified_depths
from wsl.localization.nefes.volume_rendering import (composite_weights, composite_weights_transient, integrate,
                                                     sample_intervals)

LN2 = math.log(2.0)


class SlabField(nn.Module):
    """Opaque slab between depths z in [-z1, -z0] (camera at the origin looks down -z): fixed colour/feature."""

    def __init__(self, z0=1.2, z1=1.3, color=(0.2, 0.5, 0.9), transient=False):
        super().__init__()
        self.z0, self.z1, self.transient = z0, z1, transient
        self.color = torch.tensor(color)
        self.feat = torch.tensor([1.0, -2.0, 0.5, 3.0])

    def forward(self, xyz, viewdirs=None):
        inside = (xyz[..., 2] <= -self.z0) & (xyz[..., 2] >= -self.z1)
        out = dict(sigma=inside.float() * 1e4)
        if viewdirs is not None:
            out['rgb'] = self.color.expand(*xyz.shape[:-1], 3)
            out['feat'] = self.feat.expand(*xyz.shape[:-1], 4)
            if self.transient:  # a transient component that is everywhere zero changes nothing
                out.update(sigma_t=torch.zeros(xyz.shape[:-1]), rgb_t=torch.ones(*xyz.shape[:-1], 3),
                           beta=torch.ones(xyz.shape[:-1]))
        return out


def test_intervals_and_weights_hand_made():
    t = torch.tensor([[0.0, 1.0, 2.0]])
    deltas = sample_intervals(t)
    assert deltas.tolist() == [[1.0, 1.0, 100.0]]
    # alpha = 0.5 at the first two samples: w = [0.5, 0.25, 0]
    w = composite_weights(torch.tensor([[LN2, LN2, 0.0]]), deltas)
    assert torch.allclose(w, torch.tensor([[0.5, 0.25, 0.0]]))
    # an opaque middle sample takes all the weight
    w = composite_weights(torch.tensor([[0.0, 1e3, 5.0]]), deltas)
    assert torch.allclose(w, torch.tensor([[0.0, 1.0, 0.0]]))
    # NeRF-W: transmittance from sigma_s + sigma_t, one weight per component
    ws, wt = composite_weights_transient(torch.tensor([[LN2, LN2]]), torch.tensor([[LN2, 0.0]]), deltas[:, :2])
    assert torch.allclose(ws, torch.tensor([[0.5, 0.25 * 0.5]]))
    assert torch.allclose(wt, torch.tensor([[0.5, 0.0]]))
    assert torch.allclose(integrate(torch.tensor([[0.5, 0.25]]), torch.tensor([[[2.0], [4.0]]])), torch.tensor([[2.0]]))


def test_stratified_and_inverse_cdf_sampling():
    t = stratified_depths(0.0, 2.0, 5, 3, perturb=False)
    assert torch.allclose(t, torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0]).expand(3, 5))
    g = torch.Generator().manual_seed(0)
    tj = stratified_depths(0.0, 2.0, 5, 100, perturb=True, generator=g)
    lower, upper = torch.tensor([0, 0.25, 0.75, 1.25, 1.75]), torch.tensor([0.25, 0.75, 1.25, 1.75, 2.0])
    assert ((tj >= lower) & (tj <= upper)).all() and tj.std(0).min() > 0
    bins = torch.linspace(0, 4, 5).expand(2, 5)
    peaked = torch.tensor([[0.0, 0.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    s = sample_pdf(bins, peaked, 9, deterministic=True)
    # all mass in bin [2, 3]; the evenly spaced u include 0 and 1, which map onto the outer edges
    assert torch.allclose(s[0], torch.tensor([0.0, 2.125, 2.25, 2.375, 2.5, 2.625, 2.75, 2.875, 4.0]), atol=1e-3)
    assert torch.allclose(s[1], torch.linspace(0, 4, 9), atol=1e-5)  # uniform pdf -> evenly spaced


def test_rays_follow_opengl_convention_with_unit_camera_z():
    dirs = camera_directions(4, 6, focal=2.0)
    assert dirs[0, 0].tolist() == [-1.5, 1.0, -1.0]  # top-left pixel: left and up, integer grid, no +0.5
    assert dirs[2, 3].tolist() == [0.0, 0.0, -1.0]  # (W/2, H/2) is the principal point
    rot = torch.tensor([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])  # camera looks down world -x
    c2w = torch.cat([rot, torch.tensor([[1.0], [2.0], [3.0]])], 1)[None]
    o, d = generate_rays(c2w, 4, 6, 2.0, pixels=torch.tensor([15]))
    assert o.tolist() == [[[1.0, 2.0, 3.0]]] and torch.allclose(d, torch.tensor([[[-1.0, 0.0, 0.0]]]))


@pytest.mark.parametrize('transient', [False, True])
def test_opaque_slab_renders_its_colour_at_its_depth(transient):
    renderer = NeFeSRenderer(use_transient=transient)
    field = SlabField(transient=transient)
    c2w = torch.eye(4)[:3][None]
    o, d = generate_rays(c2w, 6, 8, focal=8.0)  # off-axis rays too: depth is along the optical axis
    out = renderer(field, field, o[0], d[0], near=0.0, far=2.0, perturb=False, coarse_color=True)
    assert torch.allclose(out['rgb'], field.color.expand(48, 3), atol=1e-4)
    assert torch.allclose(out['feat'], field.feat.expand(48, 4), atol=1e-4)
    assert torch.allclose(out['acc'], torch.ones(48), atol=1e-4)
    assert torch.allclose(out['depth'], torch.full((48, ), 1.2), atol=0.01)
    assert torch.allclose(out['rgb_coarse'], field.color.expand(48, 3), atol=1e-4)
    assert out['depths'].shape == (48, 128)
    if transient:
        assert torch.allclose(out['beta'], torch.full((48, ), 0.1))  # beta_min only


def _tiny_nefes():
    torch.manual_seed(0)
    return NeFeS(coarse=dict(depth=2, width=16, skips=()),
                 fine=dict(depth=2, width=16, skips=(1, ), feature_channels=8),
                 fusion=dict(feature_channels=8, mid_channels=4), renderer=dict(num_coarse=8, num_fine=8))


def test_feature_loss_never_reaches_density():
    """Stop-gradient: the feature loss trains feature values only, never density (or the coarse net)."""
    model = _tiny_nefes().train()
    o, d = generate_rays(torch.eye(4)[:3][None], 4, 4, 4.0)
    out = model.render_rays(o, d, torch.full((1, 10), 10.0), 0.0, 2.0)
    out['feat'].square().sum().backward()
    for p in list(model.fine.sigma_head.parameters()) + list(model.coarse.parameters()):
        assert p.grad is None or torch.count_nonzero(p.grad) == 0
    assert torch.count_nonzero(model.fine.static_head.weight.grad) > 0
    model.zero_grad()
    out = model.render_rays(o, d, torch.full((1, 10), 10.0), 0.0, 2.0)
    (out['rgb'].sum() + out['rgb_coarse'].sum()).backward()  # the photometric loss does train density
    assert torch.count_nonzero(model.fine.sigma_head[0].weight.grad) > 0
    assert torch.count_nonzero(model.coarse.sigma_head[0].weight.grad) > 0


def test_render_image_shapes_and_chunking_invariance():
    model = _tiny_nefes().eval()
    c2w, hist = torch.eye(4)[:3][None].repeat(2, 1, 1), torch.full((2, 10), 10.0)
    c2w[1, 0, 3] = 0.3
    full = model.render_image(c2w, hist, 5, 6, 5.0, 0.0, 2.0)
    model.chunk = 7
    chunked = model.render_image(c2w, hist, 5, 6, 5.0, 0.0, 2.0)
    assert full['rgb'].shape == (2, 3, 5, 6) and full['fused'].shape == (2, 8, 5, 6)
    for k in ('rgb', 'feat', 'depth', 'fused'):
        assert torch.allclose(full[k], chunked[k], atol=1e-6)
    assert ((full['rgb'] > 0) & (full['rgb'] < 1)).all()  # ACT ends with a sigmoid


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_matches_cpu():
    model = _tiny_nefes().eval()
    c2w, hist = torch.eye(4)[:3][None], torch.full((1, 10), 10.0)
    cpu = model.render_image(c2w, hist, 5, 6, 5.0, 0.0, 2.0)
    gpu = model.cuda().render_image(c2w.cuda(), hist.cuda(), 5, 6, 5.0, 0.0, 2.0)
    for k in cpu:
        assert torch.allclose(cpu[k], gpu[k].cpu(), atol=1e-4), k
