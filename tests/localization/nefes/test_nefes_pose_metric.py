"""Pose errors and medians on hand-made poses, including the SO(3)-projection trap (T1)."""
import math

import numpy as np
import pytest
import torch

from wsl.localization.nefes.pose import invert_pose, so3_exp
from wsl.localization.nefes.pose_metric import (average_scene_medians, camera_centres, pose_errors,
                                                summarize_pose_errors)


def _pose(rotvec, t):
    rot = so3_exp(torch.tensor(rotvec, dtype=torch.float64))
    return torch.cat([rot, torch.tensor(t, dtype=torch.float64)[:, None]], 1).numpy()


def test_translation_and_rotation_errors_hand_made():
    gt = np.stack([_pose([0, 0, 0], [0, 0, 0]), _pose([0, 0.3, 0], [1, 1, 1])])
    pred = np.stack([_pose([math.radians(10), 0, 0], [3, 4, 0]), _pose([0, 0.3 + math.radians(2), 0], [1, 1, 1.5])])
    t_err, r_err = pose_errors(pred, gt)
    assert t_err == pytest.approx([5.0, 0.5])
    assert r_err == pytest.approx([10.0, 2.0])


def test_rotation_error_projects_off_orthonormal_predictions():
    """Trap T1: a 0.5 deg rotation scaled by 0.999 reads 3.18 deg with the trace formula, 0.5 deg projected."""
    gt = _pose([0, 0, 0], [0, 0, 0])[None]
    pred = _pose([0, 0, math.radians(0.5)], [0, 0, 0])[None]
    pred[:, :, :3] *= 0.999
    _, r_proj = pose_errors(pred, gt)
    _, r_naive = pose_errors(pred, gt, project=False)
    assert r_proj[0] == pytest.approx(0.5, abs=1e-9)
    naive = math.degrees(math.acos((0.999 * (1 + 2 * math.cos(math.radians(0.5))) - 1) / 2))  # = 3.178
    assert r_naive[0] == pytest.approx(naive, abs=1e-9)
    assert naive == pytest.approx(3.178, abs=1e-3)


def test_w2c_convention_uses_camera_centres():
    c2w = np.stack([_pose([0.2, -0.1, 0.4], [1, 2, 3]), _pose([0, 0.5, 0], [-1, 0, 2])])
    w2c = invert_pose(torch.from_numpy(c2w)).numpy()
    assert np.allclose(camera_centres(w2c, 'w2c').numpy(), c2w[:, :, 3])
    pred_c2w = c2w.copy()
    pred_c2w[:, :, 3] += [0.0, 0.3, 0.4]
    t_err, r_err = pose_errors(invert_pose(torch.from_numpy(pred_c2w)).numpy(), w2c, convention='w2c')
    assert t_err == pytest.approx([0.5, 0.5])
    assert r_err == pytest.approx([0.0, 0.0], abs=1e-6)
    with pytest.raises(ValueError, match='convention'):
        camera_centres(w2c, 'c2c')


def test_summary_medians_and_accuracies():
    s = summarize_pose_errors([0.01, 0.04, 0.3, 0.04, 9.0], [0.5, 4.0, 1.0, 6.0, 20.0])
    assert s['median_translation_m'] == pytest.approx(0.04)
    assert s['median_rotation_deg'] == pytest.approx(4.0)
    assert s['num_frames'] == 5
    assert s['acc_5cm_5deg'] == pytest.approx(2 / 5)  # (0.01, 0.5) and (0.04, 4.0)
    assert s['acc_1cm_1deg'] == pytest.approx(0.0)  # 0.01 is not < 0.01
    assert s['acc_500cm_10deg'] == pytest.approx(4 / 5)


def test_average_of_scene_medians():
    res = average_scene_medians({'a': ([1.0, 1.0, 5.0], [10, 10, 0]), 'b': ([3.0], [20.0])})
    assert res['scenes']['a']['median_translation_m'] == pytest.approx(1.0)
    assert res['median_translation_m'] == pytest.approx(2.0)
    assert res['median_rotation_deg'] == pytest.approx(15.0)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r'\(N, 3, 4\)'):
        pose_errors(np.zeros((2, 3, 4)), np.zeros((3, 3, 4)))


def test_mmengine_metric_medians():
    from mmengine.structures import BaseDataElement

    from wsl.registry import METRICS
    metric = METRICS.build(dict(type='AbsolutePoseErrorMetric'))
    gt = _pose([0, 0, 0], [0, 0, 0])
    samples = [dict(pred_pose=torch.from_numpy(_pose([0, 0, math.radians(d)], [t, 0, 0])).float(), pose=gt)
               for d, t in ((1.0, 0.1), (4.0, 0.3))]
    element = BaseDataElement(pred_pose=torch.from_numpy(_pose([math.radians(2.0), 0, 0], [0, 0.2, 0])).reshape(12))
    element.pose = torch.from_numpy(gt)
    metric.process({}, samples + [element])
    out = metric.evaluate(3)
    assert out['pose/median_translation_m'] == pytest.approx(0.2, abs=1e-6)
    assert out['pose/median_rotation_deg'] == pytest.approx(2.0, abs=1e-4)
    assert out['pose/num_frames'] == 3
