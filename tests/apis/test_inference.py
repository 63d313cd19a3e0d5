"""wsl.apis: init_model + inference on paths and arrays, with the checkpoint's weights and classes."""
import os.path as osp

import mmcv
import pytest
import torch

from wsl.apis import inference, init_model
from wsl.datasets.synthetic.shapes import SHAPES_CLASSES
from wsl.utils import safe_torch_load


@pytest.fixture(scope='module')
def model(trained_run, det_config):
    return init_model(det_config, osp.join(trained_run['work_dir'], 'iter_4.pth'))


def test_init_model_loads_weights_and_classes(model, trained_run):
    assert not model.training
    assert tuple(model.dataset_meta['classes']) == SHAPES_CLASSES
    saved = safe_torch_load(osp.join(trained_run['work_dir'], 'iter_4.pth'))['state_dict']
    own = model.state_dict()
    assert saved.keys() == own.keys()
    assert all(torch.equal(own[k], saved[k]) for k in saved)


def test_inference_on_paths_and_arrays_agree(model, shapes_root):
    img_dir = osp.join(shapes_root, 'target', 'JPEGImages')
    ids = open(osp.join(shapes_root, 'target', 'ImageSets', 'Main', 'test.txt')).read().split()[:2]
    paths = [osp.join(img_dir, f'{i}.jpg') for i in ids]
    single = inference(model, paths[0])
    batch = inference(model, paths)
    arr = inference(model, mmcv.imread(paths[0]))  # BGR array, as mmcv/cv2 read it
    assert isinstance(batch, list) and len(batch) == 2
    p = single.pred_instances
    assert p.bboxes.ndim == 2 and p.bboxes.shape[1] == 4 and len(p.scores) == len(p.labels) == len(p.bboxes)
    assert len(p.bboxes) <= 50  # test_cfg.rcnn.max_per_img
    if len(p.scores):
        assert p.scores.min() >= 0.05 and p.labels.max() < len(SHAPES_CLASSES)
        assert (p.bboxes[:, 2:] >= p.bboxes[:, :2]).all() and p.bboxes.max() <= 128
    for other in (batch[0].pred_instances, arr.pred_instances):
        assert torch.allclose(other.bboxes, p.bboxes, atol=1e-4) and torch.equal(other.labels, p.labels)


def test_inference_errors(model, det_config, tmp_path):
    with pytest.raises(FileNotFoundError, match='no_such.jpg'):
        inference(model, str(tmp_path / 'no_such.jpg'))
    with pytest.raises(FileNotFoundError, match='missing_cfg.py'):
        init_model(str(tmp_path / 'missing_cfg.py'))
    assert inference(model, []) == []
    assert isinstance(init_model(det_config).dataset_meta['classes'], tuple)
