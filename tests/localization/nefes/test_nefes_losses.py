"""NeFeS training losses on hand-computed values."""
import math

import pytest
import torch

from wsl.localization.nefes.losses import masked_l1_loss, nerfw_photometric_loss


def test_nerfw_photometric_terms():
    target = torch.zeros(2, 3)
    coarse = torch.ones(2, 3)  # MSE 1 -> 0.5
    fine = torch.full((2, 3), 2.0)  # squared error 4, beta 1 and 2 -> 4/2 and 4/8 -> mean 1.25
    beta = torch.tensor([1.0, 2.0])
    sigma_t = torch.tensor([[1.0, 3.0], [0.0, 4.0]])
    out = nerfw_photometric_loss(coarse, fine, beta, sigma_t, target)
    assert out['loss_coarse'].item() == pytest.approx(0.5)
    assert out['loss_fine'].item() == pytest.approx(1.25)
    assert out['loss_beta'].item() == pytest.approx(3 + math.log(2) / 2)
    assert out['loss_transient'].item() == pytest.approx(0.02)


def test_masked_l1():
    pred, target = torch.tensor([[1.0, -1.0], [3.0, 0.0]]), torch.zeros(2, 2)
    assert masked_l1_loss(pred, target).item() == pytest.approx(1.25)
    assert masked_l1_loss(pred, target, torch.tensor([[1.0], [0.0]])).item() == pytest.approx(1.0)
    assert masked_l1_loss(pred, target, torch.zeros(2, 1)).item() == 0.0
