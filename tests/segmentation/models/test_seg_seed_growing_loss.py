"""The official seed-growing mask loss (specs/bbam.md §4.1) on a hand-made 6×6 case, its invariants and gradients."""
import math

import pytest
import torch

from wsl.segmentation.models import (SeedGrowingMaskLoss, neighbor_support, seed_growing_mask_loss,
                                     seed_growing_selection)


def _case():
    """One 6×6 RoI: a 2×2 strict block + an isolated strict pixel, a 4×4 loose square, a few confident logits."""
    strict = torch.zeros(1, 6, 6)
    strict[0, 1:3, 1:3] = 1
    strict[0, 5, 0] = 1  # isolated FG seed: no FG neighbour -> dropped
    loose = torch.zeros(1, 6, 6)
    loose[0, 0:4, 0:4] = 1
    loose[0, 5, 0] = 1
    logits = torch.zeros(1, 6, 6)
    logits[0, 0, 0] = 3.0  # band pixel, sigmoid 0.95 > 0.9: grows into FG (next to the block)
    logits[0, 3, 3] = -3.0  # band pixel, sigmoid 0.047 < 0.1: grows into BG (next to BG seeds)
    logits[0, 2, 2] = -4.0  # FG seed that looks like background: stays FG
    logits[0, 5, 5] = 5.0  # BG seed that looks like foreground: stays BG
    return logits, strict, loose


def _sp(x):
    return math.log1p(math.exp(x))  # softplus: BCE(x, 0) = sp(x), BCE(x, 1) = sp(-x)


def test_hand_made_case_selection():
    logits, strict, loose = _case()
    fg, bg = seed_growing_selection(logits, strict, loose, 0.9, True)
    expected_fg = torch.zeros(1, 6, 6, dtype=torch.bool)
    expected_fg[0, 1:3, 1:3] = True
    expected_fg[0, 0, 0] = True
    assert torch.equal(fg, expected_fg)
    expected_bg = loose == 0  # the 19 BG seeds (each has a BG neighbour) ...
    expected_bg[0, 3, 3] = True  # ... plus the grown band pixel
    assert torch.equal(bg, expected_bg)
    assert int(fg.sum()) == 5 and int(bg.sum()) == 20
    assert not (fg & bg).any()


def test_hand_made_case_loss_value():
    logits, strict, loose = _case()
    fg_sum = _sp(-3.0) + 3 * math.log(2) + _sp(4.0)  # (0,0) grown; 3 seeds at 0; (2,2) seed at -4
    bg_sum = 18 * math.log(2) + _sp(5.0) + _sp(-3.0)  # 18 seeds at 0; (5,5) at +5; grown (3,3) at -3
    expected = (fg_sum / 5 + bg_sum / 20) / 2
    loss = seed_growing_mask_loss(logits, strict, loose)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert SeedGrowingMaskLoss(loss_weight=2.0)(logits, strict, loose).item() == pytest.approx(2 * expected, rel=1e-6)


def test_gradient_reaches_logits_only_at_used_pixels():
    logits, strict, loose = _case()
    logits.requires_grad_(True)
    seed_growing_mask_loss(logits, strict, loose).backward()
    fg, bg = seed_growing_selection(logits, strict, loose)
    used = fg | bg
    assert (logits.grad[used] != 0).all()
    assert (logits.grad[~used] == 0).all()
    # d/dx of (mean_fg BCE(x, 1)) / 2 = (sigmoid(x) - 1) / (2 |FG|) at a FG seed with x = 0
    assert logits.grad[0, 1, 1].item() == pytest.approx((0.5 - 1) / (2 * 5))
    assert logits.grad[0, 4, 4].item() == pytest.approx(0.5 / (2 * 20))


def test_seeds_never_switch_under_confident_logits():
    torch.manual_seed(0)
    strict = (torch.rand(4, 28, 28) > 0.6).float()
    loose = ((strict > 0) | (torch.rand(4, 28, 28) > 0.5)).float()
    for logits in (torch.full((4, 28, 28), 10.0), torch.full((4, 28, 28), -10.0), torch.randn(4, 28, 28) * 8):
        fg, bg = seed_growing_selection(logits, strict, loose)
        assert not (fg & (loose == 0)).any()  # no BG seed becomes FG
        assert not (bg & (strict == 1)).any()  # no FG seed becomes BG
        assert not (fg & bg).any()
    # a pixel that is both seeds (strict outside loose) is used by neither side
    strict, loose = torch.ones(1, 3, 3), torch.zeros(1, 3, 3)
    fg, bg = seed_growing_selection(torch.zeros(1, 3, 3), strict, loose)
    assert not fg.any() and not bg.any()


def test_isolated_pixels_are_dropped_by_the_neighbour_rule():
    sel = torch.zeros(1, 5, 5, dtype=torch.bool)
    sel[0, 0, 0] = sel[0, 2, 2] = sel[0, 3, 3] = True  # (0,0) alone; (2,2)-(3,3) diagonal neighbours
    kept = neighbor_support(sel) & sel
    assert kept[0, 2, 2] and kept[0, 3, 3] and not kept[0, 0, 0] and int(kept.sum()) == 2
    logits, strict, loose = _case()
    fg, _ = seed_growing_selection(logits, strict, loose, neighbor_filter=False)
    assert fg[0, 5, 0]  # kept without the rule
    fg, _ = seed_growing_selection(logits, strict, loose, neighbor_filter=True)
    assert not fg[0, 5, 0]


def test_empty_sets_give_a_finite_zero_with_a_graph():
    logits = torch.zeros(2, 6, 6, requires_grad=True)
    for strict, loose in ((torch.zeros(2, 6, 6), torch.zeros(2, 6, 6)),  # no FG
                          (torch.ones(2, 6, 6), torch.ones(2, 6, 6))):  # no BG
        loss = seed_growing_mask_loss(logits, strict, loose)
        assert torch.isfinite(loss) and loss.item() == 0.0
        loss.backward()
        assert (logits.grad == 0).all()
    empty = torch.zeros(0, 28, 28, requires_grad=True)
    assert seed_growing_mask_loss(empty, torch.zeros(0, 28, 28), torch.zeros(0, 28, 28)).item() == 0.0


def test_fallbacks_strict_only_and_no_growing():
    logits, strict, loose = _case()
    # no loose target: balanced BCE on strict (FG = 5 strict pixels incl. the isolated one, BG = the other 31)
    fg_sum = 3 * math.log(2) + _sp(4.0) + math.log(2)  # (1,1),(1,2),(2,1) at 0, (2,2) at -4, isolated (5,0) at 0
    bg_sum = 28 * math.log(2) + _sp(3.0) + _sp(-3.0) + _sp(5.0)  # (0,0) at +3, (3,3) at -3, (5,5) at +5
    assert seed_growing_mask_loss(logits, strict, None).item() == pytest.approx((fg_sum / 5 + bg_sum / 31) / 2)
    # Table 5 "without G": fixed seeds, band ignored, no neighbour rule
    fg, bg = seed_growing_selection(logits, strict, loose, grow_threshold=None, neighbor_filter=False)
    assert torch.equal(fg, strict > 0) and torch.equal(bg, loose == 0)


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match='same'):
        seed_growing_mask_loss(torch.zeros(1, 6, 6), torch.zeros(1, 5, 5), None)
    with pytest.raises(ValueError, match='grow_threshold'):
        SeedGrowingMaskLoss(grow_threshold=0.3)
