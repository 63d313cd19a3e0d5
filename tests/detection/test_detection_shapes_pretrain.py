"""The shape-aware backbone pretraining that stands in for ImageNet weights in the detection benchmarks."""
import colorsys
import os

import numpy as np
import pytest
import torch

from wsl.benchmarks.shapes_pretrain import (dc5_resnet_cfg, multilabel_accuracy, pretrain_shapes_backbone,
                                            render_pretrain_images)
from wsl.datasets.synthetic.shapes_render import (PRETRAIN_DOMAIN, SHAPES_CLASSES, render_image, sample_layout,
                                                  rasterize)


def test_render_pretrain_images_are_deterministic_and_labelled():
    imgs, labels = render_pretrain_images(6, seed=3, size=64)
    again, labels2 = render_pretrain_images(6, seed=3, size=64)
    assert imgs.shape == (6, 64, 64, 3) and imgs.dtype == np.uint8 and labels.shape == (6, len(SHAPES_CLASSES))
    np.testing.assert_array_equal(imgs, again)
    np.testing.assert_array_equal(labels, labels2)
    # labels are exactly the classes of the image's layout (same random stream as the renderer uses)
    for i in range(6):
        lay = sample_layout(np.random.default_rng([3, 3, i]), 64, 3)
        assert set(np.flatnonzero(labels[i])) == {s.label for s in lay['specs']}
    with pytest.raises(ValueError, match='num >= 1'):
        render_pretrain_images(0)


def test_pretrain_style_hue_carries_no_class():
    """Unlike 'source', the 'pretrain' style paints each class in every hue: per-class hue spread is wide."""
    hues = {k: [] for k in range(len(SHAPES_CLASSES))}
    for i in range(120):
        rng = np.random.default_rng([0, 3, i])
        lay = sample_layout(rng, 96, 1)
        img = render_image(rng, PRETRAIN_DOMAIN, 96, lay['specs'], lay['covers']).astype(np.float64) / 255
        spec = lay['specs'][0]
        inner = rasterize(spec, 96, 96)
        rgb = img[inner].mean(axis=0)
        hues[spec.label].append(colorsys.rgb_to_hsv(*rgb)[0] * 360)
    for label, hs in hues.items():
        assert len(hs) >= 15, label
        # the circular spread of the hues: near 1 for a single colour, near 0 for uniform hues
        resultant = abs(np.mean(np.exp(1j * np.deg2rad(hs))))
        assert resultant < 0.5, (SHAPES_CLASSES[label], resultant)
    with pytest.raises(ValueError, match="'pretrain'"):
        render_image(np.random.default_rng(0), 'imagenet', 32, [], [])


def test_multilabel_accuracy_hand_case():
    logits = torch.tensor([[2., -1., 0.5, -3.], [-1., -1., -1., 1.]])
    labels = torch.tensor([[1., 0., 0., 0.], [0., 0., 0., 1.]])
    acc = multilabel_accuracy(logits, labels)
    assert acc['label_acc'] == pytest.approx(7 / 8)
    assert acc['exact_match'] == pytest.approx(0.5)


def test_pretrain_checkpoint_loads_into_the_detector_backbone_and_is_reused(tmp_path):
    from mmdet.models.backbones import ResNet
    from mmengine.runner import load_checkpoint

    path = str(tmp_path / 'pre' / 'r18.pth')
    kwargs = dict(iters=2, batch_size=2, num_images=4, num_val=2, progress=False)
    meta = pretrain_shapes_backbone(path, **kwargs)
    assert meta['iters'] == 2 and 0.0 <= meta['val_label_acc'] <= 1.0
    assert os.path.isfile(path) and os.path.isfile(str(tmp_path / 'pre' / 'r18.json'))
    saved = torch.load(path, map_location='cpu', weights_only=True)['state_dict']

    cfg = dc5_resnet_cfg(18)
    cfg.pop('type')
    fresh = ResNet(**cfg)
    assert set(saved) == set(fresh.state_dict())  # every key of the detector's backbone, nothing else
    load_checkpoint(fresh, path, map_location='cpu', strict=True, logger='silent')
    for k, v in fresh.state_dict().items():
        torch.testing.assert_close(v, saved[k])

    mtime = os.path.getmtime(path)
    assert pretrain_shapes_backbone(path, **kwargs) == meta  # same arguments: read back, not retrained
    assert os.path.getmtime(path) == mtime
    changed = pretrain_shapes_backbone(path, **dict(kwargs, iters=3))
    assert changed['iters'] == 3 and os.path.getmtime(path) >= mtime


def test_h2fa_bench_plan_and_configs():
    """The benchmark's rows, seeds and work dirs; the shapes configs keep the paper's 1:2 LR ratio."""
    from mmengine.config import Config

    from wsl.benchmarks.h2fa import CONFIGS, bench_plan, bench_work_dir
    from wsl.utils import find_config

    assert bench_plan(True, 5) == {'source-only': [5], 'h2fa': [5], 'oracle': [5]}
    full = bench_plan(False, 0)
    assert full['source-only'] == full['h2fa'] == full['oracle'] == full['h2fa-A1A2'] == [0, 1, 2]
    assert full['h2fa-A1'] == full['h2fa-A1A2A4'] == [0]
    assert bench_work_dir('o', 'h2fa', 1, True) != bench_work_dir('o', 'h2fa', 1, False)
    lrs = {n: Config.fromfile(find_config(c)).optim_wrapper.optimizer.lr for n, c in CONFIGS.items()}
    assert lrs['source-only'] == lrs['oracle'] == 2 * lrs['h2fa']
    assert lrs['h2fa'] == lrs['h2fa-A1'] == lrs['h2fa-A1A2'] == lrs['h2fa-A1A2A4'] == 0.01
    switches = {n: dict(Config.fromfile(find_config(c)).model.alignments) for n, c in CONFIGS.items()}
    assert switches['h2fa-A1A2A4'] == dict(A1=True, A2=True, A3=False, A4=True)
    assert not any(switches['source-only'].values()) and not any(switches['oracle'].values())
