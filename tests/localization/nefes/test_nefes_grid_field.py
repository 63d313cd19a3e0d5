"""The voxel-grid field backend: same interface as the MLP field, exact trilinear lookup, renders a known scene."""
import pytest
import torch

from wsl.localization.nefes.field import NeFeSField
from wsl.localization.nefes.grid_field import NeFeSGridField
from wsl.localization.nefes.nefes import NeFeS
from wsl.localization.nefes.rays import generate_rays
from wsl.localization.nefes.renderer import NeFeSRenderer

BOUNDS = ((-1.0, -1.0, -2.0), (1.0, 1.0, 0.0))


def _grid(**kw):
    torch.manual_seed(0)
    return NeFeSGridField(bounds=BOUNDS, resolutions=(4, 8), grid_channels=2, width=16, feature_channels=8, **kw)


@pytest.mark.parametrize('transient', [False, True])
def test_outputs_match_the_mlp_field_interface(transient):
    mlp = NeFeSField(depth=2, width=16, skips=(), feature_channels=8, transient=transient)
    grid = _grid(transient=transient)
    xyz = torch.rand(2, 5, 3) - 0.5
    dirs = torch.nn.functional.normalize(torch.randn(2, 5, 3), dim=-1)
    for with_dirs in (False, True):
        a, b = mlp(xyz, dirs if with_dirs else None), grid(xyz, dirs if with_dirs else None)
        assert set(a) == set(b)
        assert all(a[k].shape == b[k].shape for k in a)
    out = grid(xyz, dirs)
    assert (out['sigma'] >= 0).all() and out['feat'].shape == (2, 5, 8)


def test_trilinear_lookup_reproduces_a_linear_function_exactly():
    field = _grid()
    with torch.no_grad():
        for g, r in zip(field.grids, field.resolutions):
            z, y, x = torch.meshgrid(*[torch.linspace(0, 1, r)] * 3, indexing='ij')  # volume axes (D=z, H=y, W=x)
            g[0, 0] = 2 * x + 3 * y  # world x in [-1, 1] -> unit 0..1 ; value = 2 ux + 3 uy
            g[0, 1] = z
    pts = torch.tensor([[0.3, -0.2, -0.7], [-1.0, 1.0, 0.0], [0.123, 0.456, -1.789]])
    unit = (pts - torch.tensor(BOUNDS[0])) / 2.0
    feats = field.grid_features(pts)  # (N, 2 levels * 2 channels)
    for level in range(2):
        assert torch.allclose(feats[:, 2 * level], 2 * unit[:, 0] + 3 * unit[:, 1], atol=1e-5)
        assert torch.allclose(feats[:, 2 * level + 1], unit[:, 2], atol=1e-5)


def test_density_is_zero_outside_the_box_and_gradients_reach_points_and_voxels():
    field = _grid()
    out = field(torch.tensor([[0.0, 0.0, 0.5], [2.0, 0.0, -1.0], [0.0, 0.0, -1.0]]))
    assert out['sigma'][0] == 0 and out['sigma'][1] == 0 and out['sigma'][2] > 0
    xyz = (torch.rand(16, 3) * 1.6 - 0.8 - torch.tensor([0.0, 0.0, 0.2])).requires_grad_(True)
    res = field(xyz, torch.nn.functional.normalize(torch.randn(16, 3), dim=-1))
    (res['sigma'].sum() + res['feat'].sum()).backward()
    assert xyz.grad.abs().sum() > 0  # pose refinement needs d(output)/d(point)
    assert all(g.grad.abs().sum() > 0 for g in field.grids)
    with pytest.raises(ValueError, match='bounds'):
        NeFeSGridField(bounds=((0, 0, 0), (1, 0, 1)))


def test_renders_an_opaque_slab_at_its_depth_with_its_colour():
    field = _grid()
    colour = torch.tensor([0.2, 0.5, 0.9])
    with torch.no_grad():
        for g, r in zip(field.grids, field.resolutions):
            z = torch.linspace(BOUNDS[0][2], BOUNDS[1][2], r).view(r, 1, 1).expand(r, r, r)
            g.zero_()
            g[0, 0] = -(z + 1.0)  # > 0 behind the plane z = -1 (away from a camera at the origin looking down -z)
        d = field.density_net
        d[0].weight.zero_(), d[0].bias.zero_(), d[2].weight.zero_(), d[2].bias.zero_()
        d[0].weight[0, 0] = d[0].weight[0, 2] = 1.0  # hidden 0 = relu(level-0 + level-1 channel 0)
        d[2].weight[0, 0] = 2000.0  # sigma = softplus(2000 * hidden 0 - 20): opaque just behind the plane
        d[2].bias[0] = -20.0
        c = field.color_net
        c[2].weight.zero_(), c[2].bias.zero_()
        c[2].bias[:3] = colour
    renderer = NeFeSRenderer(num_coarse=64, num_fine=64, use_transient=False)
    pose = torch.cat([torch.eye(3), torch.zeros(3, 1)], 1)[None]
    o, dirs = generate_rays(pose, 4, 4, 8.0)
    out = renderer(field, field, o[0], dirs[0], 0.0, 2.0, perturb=False, coarse_color=False)
    assert torch.allclose(out['acc'], torch.ones(16), atol=1e-3)
    assert torch.allclose(out['depth'], torch.ones(16), atol=0.03)  # depth along the optical axis
    assert torch.allclose(out['rgb'], colour.expand(16, 3), atol=1e-3)


def test_nefes_renders_with_the_grid_backend_like_with_the_mlp():
    grid = dict(type='NeFeSGridField', bounds=BOUNDS, resolutions=(4, 8), grid_channels=2, width=16,
                feature_channels=8)
    common = dict(fusion=dict(feature_channels=8, mid_channels=4), renderer=dict(num_coarse=8, num_fine=8))
    torch.manual_seed(0)
    fast = NeFeS(coarse=grid, fine=dict(grid, transient=True), **common)
    mlp = NeFeS(coarse=dict(depth=2, width=16, skips=(), feature_channels=8),
                fine=dict(depth=2, width=16, skips=(), feature_channels=8), **common)
    assert isinstance(fast.fine, NeFeSGridField) and fast.fine.transient
    pose = torch.cat([torch.eye(3), torch.tensor([[0.0], [0.0], [-0.2]])], 1)[None].requires_grad_(True)
    hist = torch.full((1, 10), 10.0)
    a = fast.render_image(pose, hist, 6, 8, 6.0, 0.0, 2.0)
    b = mlp.render_image(pose.detach(), hist, 6, 8, 6.0, 0.0, 2.0)
    assert {k: v.shape for k, v in a.items()} == {k: v.shape for k, v in b.items()}
    a['fused'].sum().backward()
    assert pose.grad is not None and torch.isfinite(pose.grad).all() and pose.grad.abs().sum() > 0
