"""tools/train.py + tools/test.py on the shapes DeepLab-v2 (balanced CE) configs, plain and with MSC + test CRF:
4 iterations on tiny pseudo labels written by the test (strict = exact masks eroded by 2 px, loose = dilated by
3 px), then the test tool."""
import os.path as osp

import pytest

from wsl.testing import REPO, TINY_TRAIN_OPTIONS, train_then_test

DEEPLAB = osp.join(REPO, 'configs', 'bbam', 'bbam-deeplab_r18-d8_1xb8-600it_shapes.py')
# deeplab-pytorch's MSC training and test-time dense CRF through the same tools
DEEPLAB_MSC_CRF = osp.join(REPO, 'configs', 'bbam', 'bbam-deeplab_r18-d8_1xb8-600it_shapes_msc-crf.py')


def _semantic_options(p):
    img = f"data_prefix.img_path={p['voc']}/JPEGImages"
    opts = [f"train_dataloader.dataset.ann_file={p['ids']}", f'train_dataloader.dataset.{img}',
            f"train_dataloader.dataset.data_prefix.seg_map_path={p['labels']}/SegmentationClassBBAM"]
    for split in ('val', 'test'):
        opts += [f"{split}_dataloader.dataset.ann_file={p['voc']}/ImageSets/Segmentation/test.txt",
                 f'{split}_dataloader.dataset.{img}',
                 f"{split}_dataloader.dataset.data_prefix.seg_map_path={p['voc']}/SegmentationClass"]
    return [*TINY_TRAIN_OPTIONS, *opts]


@pytest.mark.parametrize('config', [DEEPLAB, DEEPLAB_MSC_CRF], ids=['plain', 'msc-crf'])
def test_deeplab_train_then_test_through_the_tools(config, pseudo, tool_env, python_exe, tmp_path):
    m = train_then_test(config, _semantic_options(pseudo), tool_env, python_exe, str(tmp_path))
    assert {'semseg/mIoU', 'semseg/aAcc', 'semseg/IoU_background', 'semseg/IoU_star'} <= set(m)
    assert 0 <= m['semseg/mIoU'] <= 1 and 0 < m['semseg/aAcc'] <= 1
    assert m['semseg/ignored_fraction'] == 0  # the network never predicts 255
