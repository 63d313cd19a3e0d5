"""Mutual-nearest-neighbour matching for localization (chunked, ratio test, similarity floor)."""
import numpy as np
import pytest
import torch

from wsl.localization.r2d2.matching import match_mutual_nn, match_pairs
from wsl.localization.r2d2.mma import mutual_nn_match


def unit(*v):
    v = torch.tensor(v, dtype=torch.float32)
    return v / v.norm()


def test_hand_made_mutual_nn():
    # desc1: e0, e1, e2, (e0 + 0.5 e1)/|.|; desc2: e1, e0, (e2 + e3)/|.|
    d1 = torch.stack([unit(1, 0, 0, 0), unit(0, 1, 0, 0), unit(0, 0, 1, 0), unit(1, .5, 0, 0)])
    d2 = torch.stack([unit(0, 1, 0, 0), unit(1, 0, 0, 0), unit(0, 0, 1, 1)])
    # row 3 prefers column 1 (0.894) but column 1 prefers row 0 (1.0): not mutual
    expected = [[0, 1], [1, 0], [2, 2]]
    for chunk in (1, 2, 4096):
        assert match_mutual_nn(d1, d2, chunk_size=chunk).tolist() == expected


def test_chunks_agree_with_the_unchunked_mma_matcher():
    g = torch.Generator().manual_seed(0)
    d1 = torch.nn.functional.normalize(torch.randn(157, 16, generator=g), dim=1)
    d2 = torch.nn.functional.normalize(torch.randn(203, 16, generator=g), dim=1)
    ref = mutual_nn_match(d1, d2)
    assert len(ref) > 10
    for chunk in (1, 7, 64, 1000):
        assert torch.equal(match_mutual_nn(d1, d2, chunk_size=chunk), ref)
    # swapping the images swaps the pairs
    swapped = match_mutual_nn(d2, d1, chunk_size=13)[:, [1, 0]]
    assert sorted(map(tuple, swapped.tolist())) == sorted(map(tuple, ref.tolist()))


def test_ratio_test_and_similarity_floor():
    d1 = torch.stack([unit(1, 0, 0), unit(0, 0, 1)])
    d2 = torch.stack([unit(1, .10, 0), unit(1, -.12, 0), unit(0, .3, 1)])
    assert match_mutual_nn(d1, d2).tolist() == [[0, 0], [1, 2]]
    # row 0: distances to its two neighbours 0.0998 and 0.1196 -> ratio 0.834; row 1: 0.291 vs 1.32 -> 0.22
    d_best = (2 - 2 * (d1[0] @ d2[0])).sqrt()
    d_second = (2 - 2 * (d1[0] @ d2[1])).sqrt()
    assert abs(float(d_best / d_second) - 0.834) < 1e-3
    assert match_mutual_nn(d1, d2, ratio=0.8).tolist() == [[1, 2]]
    assert match_mutual_nn(d1, d2, ratio=0.9).tolist() == [[0, 0], [1, 2]]
    # a lone candidate passes the ratio test
    assert match_mutual_nn(d1[:1], d2[:1], ratio=0.5).tolist() == [[0, 0]]
    # similarity floor: row 1 has similarity 0.958
    assert match_mutual_nn(d1, d2, min_similarity=0.99).tolist() == [[0, 0]]


def test_empty_and_bad_inputs():
    assert match_mutual_nn(torch.zeros(0, 8), torch.randn(5, 8)).shape == (0, 2)
    assert match_mutual_nn(torch.randn(5, 8), torch.zeros(0, 8)).shape == (0, 2)
    with pytest.raises(ValueError, match='descriptors'):
        match_mutual_nn(torch.randn(5, 8), torch.randn(5, 4))
    with pytest.raises(ValueError, match='ratio'):
        match_mutual_nn(torch.randn(5, 8), torch.randn(5, 8), ratio=1.5)


def test_match_pairs_loads_each_image_and_keeps_the_pair_order():
    rng = np.random.default_rng(0)
    desc = {n: rng.normal(size=(30, 8)).astype(np.float32) for n in 'abc'}
    desc = {n: d / np.linalg.norm(d, axis=1, keepdims=True) for n, d in desc.items()}
    desc['b'] = desc['a'][::-1].copy()  # b is a reversed a: keypoint i matches 29 - i
    loads = []

    def load(name):
        loads.append(name)
        return desc[name]

    out = match_pairs([('a', 'b'), ('a', 'c'), ('b', 'c')], load, cache_size=3)
    assert set(out) == {('a', 'b'), ('a', 'c'), ('b', 'c')}
    assert out[('a', 'b')].tolist() == [[i, 29 - i] for i in range(30)]
    assert sorted(loads) == ['a', 'b', 'c']
