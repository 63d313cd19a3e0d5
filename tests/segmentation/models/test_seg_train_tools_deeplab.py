"""tools/train.py + tools/test.py on the shapes DeepLab-v2 (balanced CE) config: 4 iterations on tiny pseudo labels
written by the test (strict = exact masks eroded by 2 px, loose = dilated by 3 px), then the test tool."""
import os.path as osp

import pytest

from wsl.testing import REPO, TINY_TRAIN_OPTIONS, last_json, run_tool

DEEPLAB = osp.join(REPO, 'configs', 'bbam', 'bbam-deeplab_r18-d8_1xb8-600it_shapes.py')


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


def _semantic_options(p):
    img = f"data_prefix.img_path={p['voc']}/JPEGImages"
    opts = [f"train_dataloader.dataset.ann_file={p['ids']}", f'train_dataloader.dataset.{img}',
            f"train_dataloader.dataset.data_prefix.seg_map_path={p['labels']}/SegmentationClassBBAM"]
    for split in ('val', 'test'):
        opts += [f"{split}_dataloader.dataset.ann_file={p['voc']}/ImageSets/Segmentation/test.txt",
                 f'{split}_dataloader.dataset.{img}',
                 f"{split}_dataloader.dataset.data_prefix.seg_map_path={p['voc']}/SegmentationClass"]
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


def test_deeplab_train_then_test_through_the_tools(pseudo, tool_env, python_exe, tmp_path):
    m = _train_then_test(DEEPLAB, _semantic_options(pseudo), tool_env, python_exe, tmp_path)
    assert {'semseg/mIoU', 'semseg/aAcc', 'semseg/IoU_background', 'semseg/IoU_star'} <= set(m)
    assert 0 <= m['semseg/mIoU'] <= 1 and 0 < m['semseg/aAcc'] <= 1
    assert m['semseg/ignored_fraction'] == 0  # the network never predicts 255
