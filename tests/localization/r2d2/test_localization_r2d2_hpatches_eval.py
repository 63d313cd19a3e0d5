"""HPatches through MMEngine: the pair dataset, pair prediction with padding, HPatchesMMAMetric and tools/test.py."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from PIL import Image

from wsl.localization.r2d2.extract import normalize_rgb
from wsl.localization.r2d2.hpatches_metric import HPatchesMMAMetric
from wsl.localization.r2d2.mma import project_homography
from wsl.registry import DATASETS, MODELS
from wsl.testing import REPO, last_json, run_tool

CONFIG = osp.join(REPO, 'configs', 'r2d2', 'r2d2_l2net_official-wasf-n16_hpatches.py')


def texture(h, w, seed=0):
    rng = np.random.default_rng(seed)
    small = (rng.random((h // 5, w // 5, 3)) * 255).astype(np.uint8)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def write_tiny_hpatches(root):
    """``i_same``: six identical images, identity homographies. ``v_shift``: windows of one texture moved by
    (k, k - 1) px and shrinking by k px (different sizes in a pair), exact translation homographies."""
    img = texture(48, 64, seed=1)
    (root / 'i_same').mkdir(parents=True)
    (root / 'v_shift').mkdir()
    big = texture(100, 120, seed=2)
    for k in range(1, 7):
        Image.fromarray(img).save(root / 'i_same' / f'{k}.ppm')
        dx, dy = (k, k - 1) if k > 1 else (0, 0)
        h, w = (48, 64) if k == 1 else (48 - k, 64 - k)
        Image.fromarray(big[10 + dy:10 + dy + h, 10 + dx:10 + dx + w]).save(root / 'v_shift' / f'{k}.ppm')
        if k > 1:
            np.savetxt(root / 'i_same' / f'H_1_{k}', np.eye(3))
            np.savetxt(root / 'v_shift' / f'H_1_{k}', np.array([[1, 0, -dx], [0, 1, -dy], [0, 0, 1.0]]))
    return root


def test_metric_exact_correspondences_give_one_and_mean_of_ratios():
    rng = np.random.default_rng(0)
    metric = HPatchesMMAMetric()
    n = 40
    for kind in ('i', 'v', 'v'):
        H = np.eye(3) + rng.normal(scale=[[0.05, 0.05, 3], [0.05, 0.05, 3], [1e-4, 1e-4, 0]])
        kp1 = rng.uniform(0, 100, (n, 2))
        desc = torch.nn.functional.normalize(torch.randn(n, 8), dim=1)
        perm = rng.permutation(n)  # the order of image k's features must not matter
        kp2 = project_homography(kp1, H)[perm]
        metric.process(None, [dict(kind=kind, homography=torch.from_numpy(H),
                                   pred_instances1=dict(keypoints=torch.from_numpy(kp1).float(), descriptors=desc,
                                                        scores=torch.rand(n)),
                                   pred_instances2=dict(keypoints=torch.from_numpy(kp2).float(),
                                                        descriptors=desc[perm], scores=torch.rand(n)))])
    res = metric.evaluate(3)
    for t in range(1, 11):
        assert res[f'hpatches/mma@{t}'] == pytest.approx(1.0, abs=1e-12)
        assert res[f'hpatches/mma_i@{t}'] == res[f'hpatches/mma_v@{t}'] == pytest.approx(1.0, abs=1e-12)
    assert (res['hpatches/num_pairs'], res['hpatches/num_pairs_i'], res['hpatches/num_pairs_v']) == (3, 1, 2)
    assert res['hpatches/mean_matches'] == n and res['hpatches/mean_features'] == n
    # errors 0.5, 2.5, 5 and 20 px in one pair, one exact match in another: MMA = mean of per-pair ratios
    metric = HPatchesMMAMetric(thresholds=(1, 3, 5), top_k=4)
    kp1 = torch.tensor([[0., 0], [10, 0], [20, 0], [30, 0], [40, 0]])
    kp2 = kp1 + torch.tensor([[0.5, 0], [0, 2.5], [4.0, 3.0], [20, 0], [0, 0]])
    d = torch.eye(5)
    scores = torch.tensor([1., 1, 1, 1, 0])  # top_k=4 drops the last (exact) match
    metric.process(None, [dict(kind='i', homography=np.eye(3),
                               pred_instances1=dict(keypoints=kp1, descriptors=d, scores=scores),
                               pred_instances2=dict(keypoints=kp2, descriptors=d, scores=scores)),
                          dict(kind='i', homography=np.eye(3),
                               pred_instances1=dict(keypoints=kp1[:1], descriptors=d[:1], scores=scores[:1]),
                               pred_instances2=dict(keypoints=kp1[:1], descriptors=d[:1], scores=scores[:1]))])
    res = metric.evaluate(2)
    assert [res[f'hpatches/mma@{t}'] for t in (1, 3, 5)] == pytest.approx([(0.25 + 1) / 2, (0.5 + 1) / 2,
                                                                           (0.75 + 1) / 2])
    assert 'hpatches/mma_v@1' not in res and res['hpatches/num_pairs_v'] == 0
    with pytest.raises(ValueError, match='kind must be "i" or "v"'):
        metric.process(None, [dict(kind='x', homography=np.eye(3), pred_instances1=dict(keypoints=kp1, descriptors=d,
                                                                                          scores=scores),
                                   pred_instances2=dict(keypoints=kp1, descriptors=d, scores=scores))])
    with pytest.raises(KeyError, match="no 'pred_instances1'"):
        metric.process(None, [dict(kind='i', homography=np.eye(3))])


def test_padded_pairs_predict_like_single_images(tmp_path):
    root = write_tiny_hpatches(tmp_path / 'hp')
    ds = DATASETS.build(dict(type='HPatchesPairDataset', data_root=str(root)))
    assert len(ds) == 10
    items = [ds[5], ds[8]]  # v_shift (1, 2) and (1, 5): 48x64 with 46x62 and 43x59 images
    assert items[0]['inputs'].shape == (2, 3, 48, 64) and items[0]['data_samples'].img_shapes == ((48, 64), (46, 62))
    assert items[1]['data_samples'].kind == 'v' and items[1]['data_samples'].index == 5
    np.testing.assert_array_equal(items[1]['data_samples'].homography, [[1, 0, -5], [0, 1, -4], [0, 0, 1]])
    assert (items[1]['inputs'][1, :, 43:] == 0).all() and (items[1]['inputs'][1, :, :, 59:] == 0).all()
    torch.manual_seed(0)
    cfg = dict(top_k=30, rel_thr=0., rep_thr=0., min_size=32)
    model = MODELS.build(dict(type='R2D2', extract_cfg=cfg)).eval()
    with torch.no_grad():
        data = model.data_preprocessor(pseudo_collate(items))
        out = model(**data, mode='predict')
        ref = model.extract(normalize_rgb(np.asarray(Image.open(root / 'v_shift' / '5.ppm')))[0])
    torch.testing.assert_close(out[1].pred_instances2.keypoints, ref.keypoints)
    torch.testing.assert_close(out[1].pred_instances2.descriptors, ref.descriptors)
    assert len(out[0].pred_instances1) == 30 and out[0].pred_instances1.keypoints.shape == (30, 2)
    with pytest.raises(ValueError, match="need their true size .*'img_shape'"):
        model.data_preprocessor(dict(inputs=[torch.zeros(3, 8, 8), torch.zeros(3, 8, 9)]))


def test_test_tool_reports_hpatches_mma(tmp_path, tool_env, python_exe):
    root = write_tiny_hpatches(tmp_path / 'hpatches-sequences-release')
    torch.manual_seed(0)
    ckpt = tmp_path / 'r2d2_random.pth'
    torch.save(dict(state_dict=MODELS.build(dict(type='R2D2')).state_dict(), meta=dict()), ckpt)
    opts = [f'test_dataloader.dataset.data_root={root}', 'test_dataloader.num_workers=0',
            'model.extract_cfg.min_size=32', 'model.extract_cfg.top_k=64', 'model.extract_cfg.rel_thr=0.0',
            'model.extract_cfg.rep_thr=0.0']
    p = run_tool([python_exe, 'tools/test.py', CONFIG, ckpt, '--work-dir', tmp_path / 'work', '--cfg-options',
                  *opts], tool_env)
    m = last_json(p.stdout)
    assert (m['hpatches/num_pairs'], m['hpatches/num_pairs_i'], m['hpatches/num_pairs_v']) == (10, 5, 5)
    assert m['hpatches/mean_features'] == 64
    mma = [m[f'hpatches/mma@{t}'] for t in range(1, 11)]
    assert all(0 <= a <= 1 for a in mma) and mma == sorted(mma)  # monotone in the threshold
    for t in range(1, 11):  # identical images: every mutual match is exact
        assert m[f'hpatches/mma_i@{t}'] == 1.0
        assert m[f'hpatches/mma@{t}'] == pytest.approx((1.0 + m[f'hpatches/mma_v@{t}']) / 2)
    assert m['hpatches/mma_v@10'] > 0.5  # translated texture: most matches land within 10 px even untrained
