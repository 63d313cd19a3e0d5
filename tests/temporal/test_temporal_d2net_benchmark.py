"""wsl bench d2net's bookkeeping: evaluation of the written JSON files, the table and the flat result dict."""
import numpy as np
import pytest
import torch

from wsl.benchmarks.d2net import METRICS, evaluate_files, summarize_runs
from wsl.temporal.metrics import TemporalDetectionMAP

SEC = 0.64


def test_evaluate_files_reads_what_the_metric_wrote(tmp_path):
    prefix = str(tmp_path / 'p')
    metric = TemporalDetectionMAP(protocol='legacy', iou_thresholds='0.1:0.5', use_ambiguous=False,
                                  outfile_prefix=prefix, format_only=True)
    metric.dataset_meta = dict(classes=('A', 'B'))
    gt = dict(segments=torch.tensor([[0, 10], [20, 30]]) * SEC, labels=torch.tensor([0, 1]))
    pred = dict(segments=torch.tensor([[0, 10], [20, 25], [40, 44]]) * SEC, labels=torch.tensor([0, 1, 1]),
                scores=torch.tensor([0.9, 0.8, 0.7]))
    metric.process({}, [dict(video_name='v', gt_instances=gt, pred_instances=pred)])
    metric.compute_metrics(metric.results)
    r = evaluate_files(prefix)
    # A: one exact hit (AP 1 at every IoU); B: [20,25) has IoU 0.5 with [20,30) and ranks first -> AP 1 up to 0.5
    assert r['legacy@0.5'] == pytest.approx(100.0) and r['legacy_avg'] == pytest.approx(100.0)
    assert r['anet@0.5'] == pytest.approx(100.0)
    assert (r['FP@0.5'], r['recall@0.5']) == (1.0, pytest.approx(100.0))
    assert r['F1@0.5'] == pytest.approx(100 * 2 * (2 / 3) / (2 / 3 + 1))


def test_summarize_runs_flat_dict_and_win_flags(capsys):
    def run(v):
        return {**{m: v for m in METRICS}, 'FP@0.5': 3.0, 'recall@0.5': 50.0, 'sec_per_iter': 0.1,
                'test_seconds': 1.0, 'F1@0.5_code': v - 1, 'FP@0.5_code': 5.0, 'legacy@0.5_code': v - 2,
                'legacy_avg_code': v - 3}

    runs = {'CE': [run(50.0), run(60.0), run(70.0)], 'D2-Net': [run(55.0), run(65.0), run(69.0)]}
    flat = summarize_runs(runs, [0, 1, 2])
    assert flat['CE/legacy@0.5'] == pytest.approx(60.0)
    assert flat['CE/legacy@0.5_std'] == pytest.approx(np.std([50, 60, 70]))
    assert flat['D2-Net/anet_avg/seed2'] == 69.0
    assert flat['D2-Net_beats_CE/legacy@0.5'] == 0.0  # seed 2 lost
    runs['D2-Net'][2] = run(71.0)
    flat = summarize_runs(runs, [0, 1, 2])
    assert flat['D2-Net_beats_CE/legacy@0.5'] == 1.0 and flat['D2-Net_beats_CE/legacy_avg_code'] == 1.0
    assert flat['CE/F1@0.5_code/seed1'] == 59.0 and flat['CE/FP@0.5_code'] == 5.0
    assert flat['D2-Net/legacy_avg_code/seed0'] == 52.0
    out = capsys.readouterr().out
    assert 'D2-Net > CE on legacy@0.5: 3/3 seeds' in out and 'T3/T4' in out
    assert 'D2-Net > CE on F1@0.5: 3/3 seeds' in out
    assert '| D2-Net | 2 | 71.00 | 71.00 | 71.00 | 3 | 68.00 | 70.00 | 5 |' in out  # the per-seed table


def test_synthetic_data_is_rewritten_when_the_generator_arguments_change(tmp_path, monkeypatch):
    import os
    import os.path as osp

    import wsl.datasets.synthetic.wtalc as wtalc
    from wsl.benchmarks.d2net import synthetic_data
    from wsl.temporal.datasets.wtalc_format import load_features
    tiny = dict(name='SyntheticTAL', num_classes=2, num_train=2, num_test=1, feat_dim=8)
    monkeypatch.setattr(wtalc, 'D2NET_SYNTHETIC', tiny)
    root = synthetic_data(str(tmp_path), 0)
    feature_file = osp.join(root, 'SyntheticTAL-I3D-JOINTFeatures.npy')
    assert len(load_features(feature_file, 8)) == 3
    os.utime(feature_file, (0, 0))
    synthetic_data(root, 0)  # same arguments: kept
    assert osp.getmtime(feature_file) == 0
    monkeypatch.setattr(wtalc, 'D2NET_SYNTHETIC', dict(tiny, num_test=3))
    synthetic_data(root, 0)  # a larger test split: written again
    assert len(load_features(feature_file, 8)) == 5
