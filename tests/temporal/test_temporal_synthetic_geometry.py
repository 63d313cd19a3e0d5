"""Regression test for the first-look failure of L_Dis on the synthetic set (docs/benchmarks.md, issue 4).

Generator version 1 drew a per-snippet noise as large as the scene, so a background snippet shared only ~2/3 of
its direction with the next one: pooled fg/bg embeddings started at cos ≈ 0.96 (w_fb ≈ 0.96), the bottom-up
attention λ' (a cosine to x_ref) could not tell actions from background, and L_Dis spent ~1000 iterations (lr
1e-4) with a flat TCAM. I3D snippets of the same content are nearly identical; version 2 keeps the noise small.
With b the per-video mean (scene 1 + 0.5·N, jitter 0.2·N, context of norm c) and σ the noise per dimension,
consecutive background snippets have cos ≈ |b|² / (|b|² + d·σ²), |b|²/d ≈ 1 + 0.25 + 0.04 + c²/d.
"""
import os.path as osp

import numpy as np
import pytest

from wsl.datasets.synthetic.wtalc import GENERATOR_VERSION, make_wtalc_synthetic
from wsl.temporal.datasets.wtalc_format import load_features

D = 256


def _geometry(root, **kw):
    out = make_wtalc_synthetic(root, num_classes=4, num_train=12, num_test=0, feat_dim=D, seed=0,
                               lookalike_prob=0.0, **kw)
    feats = load_features(out['feature_file'], D)
    adjacent, fg_bg = [], []
    for v, x in zip(out['videos'], feats):
        inside = np.zeros(len(x), bool)
        for s, e in v['segments']:
            inside[int(round(s / 0.64)):int(round(e / 0.64))] = True
        i = np.flatnonzero(~inside[:-1] & ~inside[1:])
        a, b = x[i], x[i + 1]
        adjacent.append(np.mean(np.sum(a * b, 1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)))
        fg, bg = x[inside].mean(0), x[~inside].mean(0)
        fg_bg.append(fg @ bg / np.linalg.norm(fg) / np.linalg.norm(bg))
    return float(np.mean(adjacent)), float(np.mean(fg_bg))


def test_default_snippet_noise_is_small_next_to_the_content(tmp_path):
    assert GENERATOR_VERSION == 2
    adjacent, fg_bg = _geometry(str(tmp_path))
    sigma, context = 0.25, 16 * 0.25  # defaults: noise, context_snr · noise
    b2 = 1 + 0.25 + 0.04 + context**2 / D
    assert adjacent == pytest.approx(b2 / (b2 + sigma**2), abs=0.01)  # 0.956 by hand
    assert fg_bg < 0.9  # actions move the pooled foreground away from the background


def test_version_1_noise_drowned_the_content(tmp_path):
    adjacent, fg_bg = _geometry(str(tmp_path), noise=1.0, action_snr=8.0, context_snr=2.0)
    # by hand (ignoring the ReLU) 1.31 / 2.31 = 0.57; the ReLU clips part of the noise: 0.67 measured
    assert adjacent < 0.75 and fg_bg > 0.95


def test_command_line_writes_the_config_set(tmp_path, capsys):
    from wsl.datasets.synthetic.wtalc import D2NET_SYNTHETIC, main
    out = main([str(tmp_path), '--num-train', '3', '--num-test', '2', '--feat-dim', '16', '--seed', '1'])
    assert 'wrote 5 videos (3 train / 2 test' in capsys.readouterr().out
    assert osp.basename(out['feature_file']) == f"{D2NET_SYNTHETIC['name']}-I3D-JOINTFeatures.npy"
    assert len(out['classes']) == D2NET_SYNTHETIC['num_classes']
    assert load_features(out['feature_file'], 16)[0].shape[1] == 16


def test_more_test_videos_keep_the_earlier_videos(tmp_path):
    # D2NET_SYNTHETIC went from 50 to 200 test videos: videos are drawn one after the other, so the training set and
    # the first test videos of a larger set are those of the smaller one
    small = make_wtalc_synthetic(str(tmp_path / 'a'), num_classes=3, num_train=4, num_test=2, feat_dim=8, seed=7)
    large = make_wtalc_synthetic(str(tmp_path / 'b'), num_classes=3, num_train=4, num_test=5, feat_dim=8, seed=7)
    fs, fl = load_features(small['feature_file'], 8), load_features(large['feature_file'], 8)
    assert len(fs) == 6 and len(fl) == 9
    assert all(np.array_equal(a, b) for a, b in zip(fs, fl))
    assert large['videos'][:6] == small['videos']
