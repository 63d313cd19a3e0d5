"""HPatches-sequences pairs as an MMEngine dataset (for ``tools/test.py`` with ``HPatchesMMAMetric``)."""
from typing import List, Sequence

import numpy as np
import torch
from mmengine.dataset import BaseDataset
from mmengine.structures import BaseDataElement

from wsl.registry import DATASETS
from .feature_files import load_rgb
from .hpatches import HPATCHES_HIGH_RES, list_hpatches_pairs


@DATASETS.register_module()
class HPatchesPairDataset(BaseDataset):
    """The (1, k) pairs of ``hpatches-sequences-release`` (D2-Net protocol: 540 pairs once the eight
    high-resolution sequences are excluded), at full resolution.

    Items: ``dict(inputs=(2, 3, H, W) uint8 RGB, data_samples=BaseDataElement(homography=(3, 3) float64,
    metainfo=dict(img_shapes=((h1, w1), (hk, wk)), sequence, kind, index, img_path, img2_path)))``. The two
    images of a pair may differ in size: both are zero-padded at the bottom/right to the larger size and
    ``img_shapes`` gives their true sizes (the model crops them back). ``homography`` maps image-1 pixels to
    image-k pixels.

    Args:
        data_root (str): the ``hpatches-sequences-release`` folder (``i_*``/``v_*`` sequence folders).
        exclude (sequence): sequences to leave out (default: the D2-Net protocol's eight).
        ext (str): image extension (``.ppm``).
        num_images (int): images per sequence (6).
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments.
    """

    def __init__(self, data_root: str, exclude: Sequence[str] = HPATCHES_HIGH_RES, ext: str = '.ppm',
                 num_images: int = 6, **kwargs) -> None:
        self.exclude, self.ext, self.num_images = tuple(exclude), ext, num_images
        kwargs.setdefault('test_mode', True)
        kwargs.setdefault('serialize_data', False)
        super().__init__(data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        return [dict(img_path=p['image1'], img2_path=p['image2'], homography=p['H'], sequence=p['sequence'],
                     kind=p['kind'], index=p['index'])
                for p in list_hpatches_pairs(self.data_root, self.exclude, self.ext, self.num_images)]

    def prepare_data(self, idx: int) -> dict:
        info = self.get_data_info(idx)
        imgs = [load_rgb(info['img_path']), load_rgb(info['img2_path'])]
        shapes = tuple(tuple(int(s) for s in im.shape[:2]) for im in imgs)
        h, w = max(s[0] for s in shapes), max(s[1] for s in shapes)
        pair = np.zeros((2, h, w, 3), np.uint8)
        for i, im in enumerate(imgs):
            pair[i, :im.shape[0], :im.shape[1]] = im
        sample = BaseDataElement(homography=np.asarray(info['homography'], np.float64),
                                 metainfo=dict(img_shapes=shapes, sequence=info['sequence'], kind=info['kind'],
                                               index=info['index'], img_path=info['img_path'],
                                               img2_path=info['img2_path']))
        return dict(inputs=torch.from_numpy(pair).permute(0, 3, 1, 2).contiguous(), data_samples=sample)
