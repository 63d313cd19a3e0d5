"""tools/train.py + tools/test.py on the shapes Mask R-CNN (seed growing) config: 4 iterations on tiny pseudo labels
written by the test (strict = exact masks eroded by 2 px, loose = dilated by 3 px), then the test tool."""
import os.path as osp

from wsl.testing import REPO, TINY_TRAIN_OPTIONS, train_then_test

MASK_RCNN = osp.join(REPO, 'configs', 'bbam', 'bbam-maskrcnn_r18_fpn_1xb8-600it_shapes.py')


def _instance_options(p):
    img = f"data_prefix.img={p['voc']}/JPEGImages/"
    opts = [f"train_dataloader.dataset.ann_file={p['labels']}/instances_strict.json",
            f"train_dataloader.dataset.loose_ann_file={p['labels']}/instances_loose.json",
            f'train_dataloader.dataset.{img}']
    for split in ('val', 'test'):
        opts += [f"{split}_dataloader.dataset.ann_file={p['gt']}", f'{split}_dataloader.dataset.{img}']
    return [*TINY_TRAIN_OPTIONS, *opts]


def test_mask_rcnn_train_then_test_through_the_tools(pseudo, tool_env, python_exe, tmp_path):
    m = train_then_test(MASK_RCNN, _instance_options(pseudo), tool_env, python_exe, str(tmp_path))
    assert {'mask/AP', 'mask/AP25', 'mask/AP50', 'mask/AP70', 'mask/AP75', 'mask/ABO'} <= set(m)
    assert 0 <= m['mask/AP75'] <= m['mask/AP50'] <= m['mask/AP25'] <= 1
    assert 0 <= m['mask/AP'] <= m['mask/AP50'] and 0 <= m['mask/ABO'] <= 1
