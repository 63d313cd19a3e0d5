"""The fusion CNN's initialisation keeps its output informative for small rendered features."""
import torch

from wsl.localization.nefes.fusion import NeFeSFusionCNN


def test_fusion_output_varies_and_passes_gradients_for_small_inputs():
    torch.manual_seed(0)
    fusion = NeFeSFusionCNN(feature_channels=16, mid_channels=16)
    rgb = torch.rand(1, 3, 12, 16, requires_grad=True)
    feat = (0.03 * torch.randn(1, 16, 12, 16)).requires_grad_(True)  # the scale of untrained DFNet level-0 features
    out = fusion(rgb, feat)
    # batch-statistics BN: every channel map is normalised (mean 0, std 1), i.e. not a constant map
    assert torch.allclose(out.mean(dim=(2, 3)), torch.zeros(1, 16), atol=1e-5)
    assert torch.allclose(out.std(dim=(2, 3), unbiased=False), torch.ones(1, 16), atol=1e-2)
    (out * torch.randn_like(out)).sum().backward()
    assert rgb.grad.abs().sum() > 0 and feat.grad.abs().sum() > 0
    assert all(float(m.bias.abs().sum()) == 0 for m in fusion.body if isinstance(m, torch.nn.Conv2d))
