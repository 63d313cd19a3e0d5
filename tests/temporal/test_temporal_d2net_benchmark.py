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
                'test_seconds': 1.0}

    runs = {'CE': [run(50.0), run(60.0), run(70.0)], 'D2-Net': [run(55.0), run(65.0), run(69.0)]}
    flat = summarize_runs(runs, [0, 1, 2])
    assert flat['CE/legacy@0.5'] == pytest.approx(60.0)
    assert flat['CE/legacy@0.5_std'] == pytest.approx(np.std([50, 60, 70]))
    assert flat['D2-Net/anet_avg/seed2'] == 69.0
    assert flat['D2-Net_beats_CE/legacy@0.5'] == 0.0  # seed 2 lost
    runs['D2-Net'][2] = run(71.0)
    assert summarize_runs(runs, [0, 1, 2])['D2-Net_beats_CE/legacy@0.5'] == 1.0
    out = capsys.readouterr().out
    assert 'D2-Net > CE on legacy@0.5: 3/3 seeds' in out and 'T3/T4' in out
