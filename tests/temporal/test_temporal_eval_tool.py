"""tools/eval_temporal.py on ActivityNet-format files written by the test."""
import importlib.util
import json
import os.path as osp

import pytest

from wsl.temporal.metrics import IOU_SETS
from wsl.testing import REPO, last_json, run_tool

SEC = 0.64


def _write(tmp_path):
    def ann(s, e, label):
        return dict(segment=[s * SEC, e * SEC], label=label)

    gt = dict(version='test', classes=['Diving', 'Shotput'], database={
        'a': dict(subset='test', duration=20.0, annotations=[ann(0, 10, 'Diving'), ann(4, 14, 'Diving')]),
        'b': dict(subset='test', duration=20.0, annotations=[ann(0, 10, 'Shotput')]),
        'c': dict(subset='test', duration=20.0, annotations=[]),
        'd': dict(subset='validation', duration=20.0, annotations=[ann(0, 10, 'Shotput')]),
    })

    def det(s, e, label, score):
        return dict(ann(s, e, label), score=score)

    pred = dict(version='test', external_data={}, results={
        'a': [det(4, 14, 'Diving', 0.9), det(0, 8, 'Diving', 0.8)],
        'b': [det(0, 10, 'Shotput', 0.6)],
        'c': [det(0, 10, 'Shotput', 0.95)],
    })
    g, p = tmp_path / 'gt.json', tmp_path / 'pred.json'
    g.write_text(json.dumps(gt))
    p.write_text(json.dumps(pred))
    return str(g), str(p)


@pytest.mark.parametrize('protocol,expect', [('legacy', {'mAP@0.40': 75.0, 'mAP@0.50': 100.0, 'avg': 87.5}),
                                             ('activitynet', {'mAP@0.40': 75.0, 'mAP@0.50': 75.0, 'avg': 75.0})])
def test_eval_tool_both_protocols(tmp_path, tool_env, python_exe, protocol, expect):
    g, p = _write(tmp_path)
    out = run_tool([python_exe, 'tools/eval_temporal.py', g, p, '--protocol', protocol, '--subset', 'test',
                    '--iou', '0.4', '0.5'], tool_env)
    res = last_json(out.stdout)
    assert res['protocol'] == protocol
    for k, v in expect.items():
        assert res[k] == pytest.approx(v)
    assert 'IoU' in out.stdout  # the table comes before the JSON line


def _tool():
    """The tool's module, loaded in-process (the subprocess path is covered above)."""
    spec = importlib.util.spec_from_file_location('eval_temporal', osp.join(REPO, 'tools', 'eval_temporal.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_eval_tool_iou_sets_ambiguous_and_errors(tmp_path, capsys):
    g, p = _write(tmp_path)
    amb = tmp_path / 'Ambiguous_test.txt'
    amb.write_text(f'b  {5 * SEC} {6 * SEC}\n')
    tool = _tool()
    res = tool.main([g, p, '--protocol', 'legacy', '--subset', 'test', '--iou', '0.1:0.5', '--ambiguous', str(amb)])
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == res
    assert set(res) >= {'mAP@0.10', 'mAP@0.50', 'avg', 'avg@0.1:0.5'}
    assert res['mAP@0.50'] == pytest.approx(50.0)  # Shotput's only prediction is ambiguous → AP 0
    # without --subset the validation video 'd' joins the ground truth: Shotput recall halves
    assert tool.main([g, p, '--protocol', 'legacy', '--iou', '0.5'])['mAP@0.50'] == pytest.approx(75.0)
    assert tool.parse_iou(['0.5:0.95', '0.5']) == list(IOU_SETS['0.5:0.95'])
    with pytest.raises(ValueError, match='database'):
        tool.main([p, p])
    with pytest.raises(SystemExit, match='--iou'):
        tool.main([g, p, '--iou', '0.1:0.9'])
