"""The measurements of ``wsl bench r2d2ctx-speed`` on tiny inputs (the benchmark itself runs them at 1024 px)."""
import pytest

from wsl.localization.r2d2.speed_benchmark import VARIANTS, measure_extraction, measure_training


def test_measure_extraction_counts_the_pyramid():
    cfg = dict(type='R2D2', extract_cfg=dict(min_size=32, max_size=64, rel_thr=0.0, rep_thr=0.0, top_k=50))
    r = measure_extraction(cfg, width=64, height=48, iters=1, warmup=0)
    assert r['levels'] == 5  # s = 1, 2^-0.25, ..., 0.5 (min_size 32 of the 64-px side)
    assert r['keypoints'] == 50 and r['sec_per_image'] > 0 and r['images_per_s'] == pytest.approx(
        1 / r['sec_per_image'])
    assert r['peak_mib'] >= 0 and r['params_m'] == pytest.approx(0.48, abs=0.01)  # R2D2's 0.5 M


def test_measure_training_and_variants():
    r = measure_training(dict(type='R2D2'), crop=48, batch=1, iters=1, warmup=0)
    assert r['sec_per_step'] > 0 and r['trainable_params_m'] == pytest.approx(0.48, abs=0.01)
    assert VARIANTS['r2d2ctx']['semantic']['model_name'] == 'hrnet_w48'  # the paper's HRNet-W48
