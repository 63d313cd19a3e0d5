"""Figure B.2 heat maps: box-score accumulation by hand, the per-proposal scores' invariants, the drawing tool."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import bbox2roi
from mmengine.config import Config
from mmengine.registry import DefaultScope

from wsl.detection.models.iir import iir_image_scores
from wsl.registry import MODELS
from wsl.testing import REPO
from wsl.utils import register_all_modules
from wsl.visualization import accumulate_box_scores

CONFIG = osp.join(REPO, 'configs', 'h2fa', 'h2fa-rcnn_r18-dc5_1xb8-600it_shapes.py')


def test_accumulate_box_scores_by_hand():
    boxes = np.array([[0, 0, 2, 2], [1, 1, 4, 3], [3.6, 0, 9, 1], [2, 2, 2, 4]], dtype=float)  # last one empty
    heat = accumulate_box_scores(boxes, [1.0, 2.0, 0.5, 7.0], height=3, width=5, normalize=False)
    expect = np.array([[1, 1, 0, 0, 0.5],
                       [1, 3, 2, 2, 0],
                       [0, 2, 2, 2, 0]], dtype=float)
    np.testing.assert_allclose(heat, expect)  # x 3.6 rounds to column 4; x2 = 9 is clipped to the width
    np.testing.assert_allclose(accumulate_box_scores(boxes, [1.0, 2.0, 0.5, 7.0], 3, 5), expect / 3)
    assert not accumulate_box_scores(np.zeros((0, 4)), [], 3, 5).any()
    with pytest.raises(ValueError, match='2 boxes but 1 scores'):
        accumulate_box_scores(boxes[:2], [1.0], 3, 5)


def test_proposal_scores_are_the_iir_factors():
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    with DefaultScope.overwrite_default_scope('wsl'):
        model = MODELS.build(cfg.model)
    model.eval()
    torch.manual_seed(0)
    size = 64
    samples = [DetDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size), pad_shape=(size, size),
                                           scale_factor=(1.0, 1.0), batch_input_shape=(size, size)))
               for _ in range(2)]
    imgs = [torch.randint(0, 255, (3, size, size), dtype=torch.uint8) for _ in range(2)]
    data = model.data_preprocessor(dict(inputs=imgs, data_samples=samples), False)
    out = model.proposal_scores(data['inputs'], data['data_samples'])
    assert len(out) == 2
    x = model.extract_feat(data['inputs'])
    for res in out:
        n, c = res.cls_probs.shape
        assert n > 0 and c == model.num_classes and res.bboxes.shape == (n, 4)
        assert ((res.objectness > 0) & (res.objectness < 1)).all()
        torch.testing.assert_close(res.cls_probs.sum(1), torch.ones(n))
        assert (res.aggregated <= res.cls_probs + 1e-7).all() and (res.aggregated >= 0).all()
    # Column sums of P·W are IIR's image scores for the same proposals and logits.
    res = out[0]
    with torch.no_grad():
        cls_logits = model.roi_head._bbox_forward((x[0][:1], ), bbox2roi([res.bboxes]))['cls_score']
    obj_logits = torch.logit(res.objectness.double()).float()
    torch.testing.assert_close(res.aggregated.sum(0), iir_image_scores(cls_logits[:, :model.num_classes], obj_logits),
                               atol=1e-5, rtol=1e-4)
