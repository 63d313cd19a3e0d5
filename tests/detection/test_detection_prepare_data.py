"""tools/prepare_data/cross_domain_voc.py: image-vs-XML size check and fix, union split (clipart traintest)."""
import os.path as osp

import numpy as np
from PIL import Image

from wsl.detection.datasets.prepare import find_size_mismatches, resize_to_xml, write_union_split
from wsl.testing import REPO, run_tool


def _voc(root, sizes):
    """Images '1', '2', ... with XML <size> (w, h) and real size given as (xml, img) pairs; splits train/test."""
    for d in ('JPEGImages', 'Annotations', 'ImageSets/Main'):
        (root / d).mkdir(parents=True, exist_ok=True)
    for k, (xml, img) in enumerate(sizes, 1):
        Image.fromarray(np.full((img[1], img[0], 3), 128, np.uint8)).save(root / 'JPEGImages' / f'{k}.jpg')
        (root / 'Annotations' / f'{k}.xml').write_text(
            f'<annotation><size><width>{xml[0]}</width><height>{xml[1]}</height></size></annotation>')
    (root / 'ImageSets/Main/train.txt').write_text('1\n2\n')
    (root / 'ImageSets/Main/test.txt').write_text('2\n3\n')
    return str(root)


def test_size_check_fix_and_union(tmp_path):
    root = _voc(tmp_path, [((20, 10), (20, 10)), ((20, 10), (10, 20)), ((30, 30), (31, 30))])
    bad = find_size_mismatches(root)
    assert [(m['id'], m['transposed']) for m in bad] == [('2', True), ('3', False)]
    assert [m['id'] for m in find_size_mismatches(root, ['train'])] == ['2']
    resize_to_xml(root, bad)
    assert find_size_mismatches(root) == []
    assert write_union_split(root, ['train', 'test'], 'traintest') == 3
    assert (tmp_path / 'ImageSets/Main/traintest.txt').read_text() == '1\n2\n3\n'


def test_prepare_tool_cli(tmp_path, tool_env, python_exe):
    root = _voc(tmp_path, [((20, 10), (20, 10)), ((20, 10), (10, 20))])
    tool = osp.join(REPO, 'tools', 'prepare_data', 'cross_domain_voc.py')
    p = run_tool([python_exe, tool, 'check', root, '--fix'], tool_env)
    assert '2: XML 20x10, image 10x20 (transposed)' in p.stdout and 'resized 1 image(s)' in p.stdout
    p = run_tool([python_exe, tool, 'check', root], tool_env)
    assert '0 size mismatch(es)' in p.stdout
    p = run_tool([python_exe, tool, 'union', root, '--splits', 'train', 'test', '--name', 'traintest'], tool_env)
    assert '(3 images)' in p.stdout  # train {1, 2} U test {2, 3}
