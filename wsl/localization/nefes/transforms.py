"""Image loading for NeFeS: resized RGB in [0, 1] and its luminance histogram."""
import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement

from wsl.registry import TRANSFORMS
from .act import luminance_histogram


@TRANSFORMS.register_module()
class LoadNeFeSImage(BaseTransform):
    """Read ``img_path``, resize to ``img_shape`` (area interpolation) and add the query histogram.

    Adds ``img`` (h, w, 3) float32 RGB in [0, 1], ``ori_shape`` and ``hist`` (N_b,) float32 integer
    percentages (see :func:`~.act.luminance_histogram`).

    Args:
        bins (int): N_b histogram bins (10).
    """

    def __init__(self, bins: int = 10):
        self.bins = bins

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(f'LoadNeFeSImage: cannot read image {path}')
        results['ori_shape'] = img.shape[:2]
        h, w = results.get('img_shape', img.shape[:2])
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        if (h, w) != img.shape[:2]:
            img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
        results['img'] = img
        results['img_shape'] = (h, w)
        results['hist'] = luminance_histogram(torch.from_numpy(img).permute(2, 0, 1), self.bins).numpy()
        return results


@TRANSFORMS.register_module()
class PackNeFeSInputs(BaseTransform):
    """Pack a loaded sample for :class:`~.model.NeFeSModel`.

    Produces ``inputs`` (3, h, w) float32 tensor in [0, 1] and ``data_samples``, a
    :class:`mmengine.structures.BaseDataElement` with data fields ``pose`` / ``pose_nerf`` (3, 4) and
    ``hist`` (N_b,) and metainfo ``focal``, ``near``, ``far``, ``img_id``, ``img_path``, ``img_shape``.
    """
    KEYS = ('focal', 'near', 'far', 'img_id', 'img_path', 'img_shape')

    def transform(self, results: dict) -> dict:
        missing = [k for k in ('img', 'hist', 'pose', 'pose_nerf') + self.KEYS if k not in results]
        if missing:
            raise KeyError(f'PackNeFeSInputs: sample lacks {missing}; run LoadNeFeSImage on a NeFeS dataset first')
        sample = BaseDataElement(metainfo={k: results[k] for k in self.KEYS})
        for k in ('pose', 'pose_nerf', 'hist'):
            sample.set_field(torch.as_tensor(np.asarray(results[k], dtype=np.float32)), k)
        img = torch.from_numpy(np.ascontiguousarray(results['img'].transpose(2, 0, 1)))
        return dict(inputs=img, data_samples=sample)
