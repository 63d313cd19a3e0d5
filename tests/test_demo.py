"""The demo's detection section and report on a tiny dataset and schedule (the full demo runs via `make demo`)."""
import os.path as osp

import pytest

from wsl import demo


def test_detection_section_and_report(tmp_path, monkeypatch):
    sec = demo.detection_section(str(tmp_path), iters=2, num_train=8, num_test=4)
    assert set(sec.metrics) == {'source_test_map50', 'target_test_map50'}
    assert all(0.0 <= v <= 1.0 for v in sec.metrics.values())
    for fig in sec.figures:
        assert osp.getsize(fig) > 10_000 and open(fig, 'rb').read(8) == b'\x89PNG\r\n\x1a\n'
    assert f"{sec.metrics['target_test_map50']:.4f}" in sec.markdown
    # The report collects every section's metrics and text.
    monkeypatch.setattr(demo, '_SECTIONS', {'detection': lambda out, quick: sec})
    res = demo.run_demo(str(tmp_path / 'report'), quick=True)
    text = open(tmp_path / 'report' / 'report.md').read()
    assert res['detection']['source_test_map50'] == pytest.approx(sec.metrics['source_test_map50'])
    assert '## Detection: source-only Faster R-CNN on shapes' in text and '| detection | target_test_map50 |' in text
    with pytest.raises(KeyError, match='unknown demo sections'):
        demo.run_demo(str(tmp_path / 'x'), sections=['nope'])


def test_h2fa_section_tiny(tmp_path):
    """The H²FA section trains both models, and its table and metrics carry the same run's figures."""
    import os.path as osp
    import json
    from wsl.benchmarks.h2fa import h2fa_demo
    sec = h2fa_demo(str(tmp_path), iters=2, num_train=8, num_test=4,
                    pretrain=dict(iters=2, batch_size=2, num_images=4, num_val=2, progress=False))
    assert sec.title.startswith('Detection: H²FA R-CNN')
    assert len(sec.figures) == 3 and all(osp.isfile(f) for f in sec.figures)
    for name in ('source-only', 'h2fa'):
        cached = json.load(open(tmp_path / 'h2fa_work' / name / 'bench_result.json'))
        assert cached['iters'] == 2 and cached['backbone_init'] == str(tmp_path / 'pretrain' / 'shapes_r18_dc5.pth')
        assert sec.metrics[f'{name}/target_test_map50'] == cached['target_test_map50']
        assert 0.0 <= cached['target_train_corloc'] <= 1.0
        assert f"| {name} | {cached['target_test_map50']:.4f} |" in sec.markdown
    assert 'h2fa' in __import__('wsl.demo', fromlist=['_SECTIONS'])._SECTIONS
