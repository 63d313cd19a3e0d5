"""The cross-domain dataset bases' training pipelines run on an image with boxes (regression: mmcv's Resize)."""
import os.path as osp

import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import DefaultScope

from wsl.testing import REPO
from wsl.utils import register_all_modules

BASES = ['cdod_voc0712-clipart.py', 'cdod_voc0712-watercolor.py', 'cdod_voc0712-comic.py',
         'cdod_cityscapes-foggy.py', 'bbam_voc12-trainaug.py']


@pytest.mark.parametrize('base', BASES)
def test_source_pipeline_resizes_boxes_with_the_image(base):
    register_all_modules()
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets', base))
    pipeline = cfg.get('source_pipeline') or cfg.get('bbam_voc_train_pipeline') or cfg.train_dataloader.dataset.pipeline
    assert pipeline[0]['type'] == 'LoadImageFromFile'
    with DefaultScope.overwrite_default_scope('wsl'):
        tf = Compose(pipeline[1:])  # the image is given below instead of read
    np.random.seed(0)
    h, w = 300, 400
    results = dict(img=np.zeros((h, w, 3), np.uint8), img_shape=(h, w), ori_shape=(h, w), img_path='x.jpg',
                   img_id='x', instances=[dict(bbox=[40.0, 30.0, 200.0, 150.0], bbox_label=1, ignore_flag=0)])
    out = tf(results)
    sample = out['data_samples']
    nh, nw = sample.metainfo['img_shape']
    scale = nh / h
    assert nw == pytest.approx(w * scale, abs=1) and max(nh, nw) > max(h, w)  # every training scale enlarges it
    box = sample.gt_instances.bboxes.tensor[0].numpy()
    expect = np.array([40.0, 30.0, 200.0, 150.0]) * scale
    if sample.metainfo.get('flip'):
        expect[[0, 2]] = nw - expect[[2, 0]]
    np.testing.assert_allclose(box, expect, atol=1.0)
