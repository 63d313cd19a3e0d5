"""Image loading for NeFeS: resized RGB in [0, 1], its luminance histogram and (Cambridge) transient masks."""
import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement
from PIL import Image

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


def read_mask_png(path: str) -> np.ndarray:
    """Read a transient-object mask as float32 in [0, 1]: 8-bit value / 255 (the NeFeS release: 255 = static).

    Accepts 8-bit grayscale PNGs (the released format), 1-bit, palette or grey+alpha images (converted to 8-bit
    grey) and RGB(A) images whose colour channels are equal.

    Returns:
        np.ndarray: (H, W) float32.
    """
    try:
        with Image.open(path) as img:
            if img.mode in ('1', 'P', 'LA'):
                img = img.convert('L')
            arr = np.asarray(img)
    except OSError as err:
        raise ValueError(f'cannot read transient mask {path}: {err}') from None
    if arr.ndim == 3:
        if not (arr[..., :3] == arr[..., :1]).all():
            raise ValueError(f'transient mask {path}: expected a single-channel 8-bit mask (255 = static, '
                             f'0 = transient), got {arr.shape[2]} different channels')
        arr = arr[..., 0]
    if arr.dtype != np.uint8:
        raise ValueError(f'transient mask {path}: expected an 8-bit mask (255 = static, 0 = transient), got '
                         f'{arr.dtype}')
    return arr.astype(np.float32) / 255.0


@TRANSFORMS.register_module()
class LoadNeFeSMask(BaseTransform):
    """Read ``mask_path`` (Cambridge Mask2Former transient masks) onto the NeFeS render grid.

    As the official loader: mask / 255, area-resized straight from the file to the render grid
    (``img_shape // render_scale``, 60 x 106 for Cambridge), thresholded > 0.5, no erosion. Adds ``mask``
    (h, w) bool, true on static pixels; a sample whose ``mask_path`` is None (dataset built with ``mask_dir=None``)
    passes through unchanged. The mask must show the same view as the image: its size must be the
    image file's size up to resampling (same aspect ratio within one pixel), else a ``ValueError`` names both
    files.

    Args:
        render_scale (int): image / render grid ratio ("tinyscale"); must equal ``NeFeSModel.render_scale``.
        threshold (float): a pixel is static when its area-averaged value exceeds this (0.5).
    """

    def __init__(self, render_scale: int = 4, threshold: float = 0.5):
        if render_scale < 1:
            raise ValueError(f'LoadNeFeSMask: render_scale must be >= 1, got {render_scale}')
        self.render_scale, self.threshold = render_scale, threshold

    def transform(self, results: dict) -> dict:
        if 'mask_path' not in results:
            raise KeyError('LoadNeFeSMask: sample lacks mask_path; use a dataset that provides masks (e.g. '
                           "CambridgeLandmarksNeFeSDataset(mask_dir='semantic')) or drop LoadNeFeSMask")
        if results['mask_path'] is None:  # the dataset's masks are switched off (mask_dir=None)
            return results
        path, img_path = results['mask_path'], results['img_path']
        mask = read_mask_png(path)
        img_h, img_w = results.get('ori_shape') or _image_hw(img_path)
        mh, mw = mask.shape
        if abs(mw - img_w * mh / img_h) > 1 and abs(mh - img_h * mw / img_w) > 1:
            raise ValueError(f'LoadNeFeSMask: mask {path} is {mh}x{mw} but image {img_path} is {img_h}x{img_w}: '
                             'not the same view (the aspect ratios differ)')
        h, w = results.get('img_shape', (img_h, img_w))
        h, w = h // self.render_scale, w // self.render_scale
        if (h, w) != mask.shape:
            mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA)
        results['mask'] = mask > self.threshold
        return results


def _image_hw(path: str):
    try:
        with Image.open(path) as img:
            return img.size[::-1]
    except OSError as err:
        raise ValueError(f'LoadNeFeSMask: cannot read image {path}: {err}') from None


@TRANSFORMS.register_module()
class PackNeFeSInputs(BaseTransform):
    """Pack a loaded sample for :class:`~.model.NeFeSModel`.

    Produces ``inputs`` (3, h, w) float32 tensor in [0, 1] and ``data_samples``, a
    :class:`mmengine.structures.BaseDataElement` with data fields ``pose`` / ``pose_nerf`` (3, 4) and
    ``hist`` (N_b,) (and ``mask`` (h, w) bool when :class:`LoadNeFeSMask` ran) and metainfo ``focal``,
    ``near``, ``far``, ``img_id``, ``img_path``, ``img_shape``.
    """
    KEYS = ('focal', 'near', 'far', 'img_id', 'img_path', 'img_shape')

    def transform(self, results: dict) -> dict:
        missing = [k for k in ('img', 'hist', 'pose', 'pose_nerf') + self.KEYS if k not in results]
        if missing:
            raise KeyError(f'PackNeFeSInputs: sample lacks {missing}; run LoadNeFeSImage on a NeFeS dataset first')
        sample = BaseDataElement(metainfo={k: results[k] for k in self.KEYS})
        for k in ('pose', 'pose_nerf', 'hist'):
            sample.set_field(torch.as_tensor(np.asarray(results[k], dtype=np.float32)), k)
        if 'mask' in results:
            sample.set_field(torch.as_tensor(np.asarray(results['mask'], dtype=bool)), 'mask')
        img = torch.from_numpy(np.ascontiguousarray(results['img'].transpose(2, 0, 1)))
        return dict(inputs=img, data_samples=sample)
