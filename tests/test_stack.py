"""The compiled stack works: mmcv ops (CPU), torchvision ops, pydensecrf."""
import numpy as np
import torch


def test_mmcv_nms_keeps_the_expected_boxes():
    from mmcv.ops import nms
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 9.5]], dtype=torch.float32)
    scores = torch.tensor([0.9, 0.8, 0.7, 0.95])
    dets, keep = nms(boxes, scores, iou_threshold=0.5)
    # Box 3 (0.95) suppresses 0 (IoU 0.95) and 1 (IoU ~0.64 > 0.5); box 2 is disjoint.
    assert keep.tolist() == [3, 2]
    assert torch.allclose(dets[:, 4], torch.tensor([0.95, 0.7]))


def test_mmcv_roi_align_matches_torchvision_and_a_hand_value():
    from mmcv.ops import RoIAlign
    from torchvision.ops import roi_align
    torch.manual_seed(0)
    feat = torch.rand(2, 3, 16, 16)
    rois = torch.tensor([[0, 1.0, 2.0, 9.0, 12.0], [1, 0.0, 0.0, 15.0, 15.0]])
    ours = RoIAlign((4, 4), spatial_scale=1.0, sampling_ratio=2, aligned=True)(feat, rois)
    ref = roi_align(feat, rois, (4, 4), spatial_scale=1.0, sampling_ratio=2, aligned=True)
    assert ours.shape == (2, 3, 4, 4)
    assert torch.allclose(ours, ref, atol=1e-6)
    # On a linear ramp f(x, y) = x, every bin's mean is the x of its centre (bilinear interpolation is exact).
    ramp = torch.arange(16, dtype=torch.float32).view(1, 1, 1, 16).expand(1, 1, 16, 16).contiguous()
    out = RoIAlign((1, 2), spatial_scale=1.0, sampling_ratio=2, aligned=True)(ramp, torch.tensor([[0, 2.5, 2.5, 10.5,
                                                                                                  10.5]]))
    # aligned=True shifts by -0.5: the box spans x in [2, 10]; bins [2, 6] and [6, 10] have centres 4 and 8.
    assert torch.allclose(out.view(-1), torch.tensor([4.0, 8.0]))


def test_roi_align_backward_on_cpu():
    from mmcv.ops import RoIAlign
    feat = torch.rand(1, 2, 8, 8, requires_grad=True)
    out = RoIAlign((2, 2), 1.0, 2, aligned=True)(feat, torch.tensor([[0, 0.0, 0.0, 7.0, 7.0]]))
    out.sum().backward()
    # Each output bin averages sampled points whose bilinear weights sum to 1: total gradient = #bins per channel.
    assert torch.allclose(feat.grad.sum(), torch.tensor(2 * 2 * 2, dtype=torch.float32), atol=1e-4)


def test_pydensecrf_sharpens_a_noisy_unary():
    import pydensecrf.densecrf as dcrf
    from pydensecrf.utils import unary_from_softmax
    h = w = 24
    img = np.zeros((h, w, 3), np.uint8)
    img[6:18, 6:18] = 255
    truth = np.zeros((h, w), bool)
    truth[6:18, 6:18] = True
    rng = np.random.default_rng(0)
    p_fg = np.clip(np.where(truth, 0.65, 0.35) + rng.normal(0, 0.2, (h, w)), 0.01, 0.99)
    prob = np.stack([1 - p_fg, p_fg]).astype(np.float32)
    d = dcrf.DenseCRF2D(w, h, 2)
    d.setUnaryEnergy(unary_from_softmax(prob))
    d.addPairwiseGaussian(sxy=3, compat=3)
    d.addPairwiseBilateral(sxy=20, srgb=20, rgbim=np.ascontiguousarray(img), compat=10)
    refined = np.argmax(np.array(d.inference(5)).reshape(2, h, w), 0).astype(bool)
    raw_err = ((p_fg > 0.5) != truth).mean()
    crf_err = (refined != truth).mean()
    assert crf_err < raw_err
    assert crf_err < 0.02
