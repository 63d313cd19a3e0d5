"""tools/train.py + tools/test.py on the shapes Mask R-CNN (seed growing) config: 4 iterations on tiny pseudo labels
written by the test (strict = exact masks eroded by 2 px, loose = dilated by 3 px), then the test tool."""
import os.path as osp

import pytest

from wsl.testing import REPO, TINY_TRAIN_OPTIONS, last_json, run_tool

MASK_RCNN = osp.join(REPO, 'configs', 'bbam', 'bbam-maskrcnn_r18_fpn_1xb8-600it_shapes.py')


@pytest.fixture(scope='module')
def pseudo(shapes_root, tmp_path_factory):
    from wsl.datasets.synthetic.shapes import SHAPES_CLASSES, image_id
    from wsl.segmentation.datasets import write_voc_instances_coco
    from wsl.segmentation.downstream import write_label_dir
    out = tmp_path_factory.mktemp('pseudo')
    voc = osp.join(shapes_root, 'source')
    ids = [image_id('train', i) for i in range(8)]
    write_label_dir(voc, ids, str(out / 'labels'), 'gt-band', SHAPES_CLASSES)
    (out / 'train.txt').write_text('\n'.join(ids) + '\n')
    write_voc_instances_coco(voc, 'test', str(out / 'test_gt.json'), SHAPES_CLASSES)
    return dict(voc=voc, labels=str(out / 'labels'), ids=str(out / 'train.txt'), gt=str(out / 'test_gt.json'))


def _instance_options(p):
    img = f"data_prefix.img={p['voc']}/JPEGImages/"
    opts = [f"train_dataloader.dataset.ann_file={p['labels']}/instances_strict.json",
            f"train_dataloader.dataset.loose_ann_file={p['labels']}/instances_loose.json",
            f'train_dataloader.dataset.{img}']
    for split in ('val', 'test'):
        opts += [f"{split}_dataloader.dataset.ann_file={p['gt']}", f'{split}_dataloader.dataset.{img}']
    return [*TINY_TRAIN_OPTIONS, *opts]


def _train_then_test(config, opts, tool_env, python_exe, tmp_path):
    p = run_tool([python_exe, 'tools/train.py', config, '--work-dir', str(tmp_path), '--cfg-options', *opts],
                 tool_env)
    trained = last_json(p.stdout)
    assert 'Iter(train) [4/4]' in p.stdout + p.stderr
    assert osp.isfile(tmp_path / 'iter_4.pth')
    q = run_tool([python_exe, 'tools/test.py', config, str(tmp_path / 'iter_4.pth'), '--work-dir',
                  str(tmp_path / 'test'), '--cfg-options', *opts], tool_env)
    assert last_json(q.stdout) == pytest.approx(trained, abs=1e-6)  # the test tool reproduces the last validation
    return trained


def test_mask_rcnn_train_then_test_through_the_tools(pseudo, tool_env, python_exe, tmp_path):
    m = _train_then_test(MASK_RCNN, _instance_options(pseudo), tool_env, python_exe, tmp_path)
    assert {'mask/AP', 'mask/AP25', 'mask/AP50', 'mask/AP70', 'mask/AP75', 'mask/ABO'} <= set(m)
    assert 0 <= m['mask/AP75'] <= m['mask/AP50'] <= m['mask/AP25'] <= 1
    assert 0 <= m['mask/AP'] <= m['mask/AP50'] and 0 <= m['mask/ABO'] <= 1
