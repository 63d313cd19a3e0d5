"""Load strict + loose pseudo masks into one :class:`~.paired_masks.PairedBitmapMasks` (specs/bbam.md §4.1)."""
import numpy as np
from mmdet.datasets.transforms import LoadAnnotations

from wsl.registry import TRANSFORMS
from .paired_masks import PairedBitmapMasks


@TRANSFORMS.register_module()
class LoadPairedAnnotations(LoadAnnotations):
    """MMDetection's ``LoadAnnotations`` that also decodes each instance's ``loose_mask``.

    With ``with_mask=True`` and every instance of the image carrying ``loose_mask`` (images paired by
    :class:`~.pseudo_mask_dataset.BBAMPseudoMaskDataset`), ``results['gt_masks']`` becomes a
    :class:`PairedBitmapMasks` (strict masks + ``.loose``); otherwise it stays plain ``BitmapMasks`` and the mask
    head falls back to strict-only supervision. An instance whose strict mask is invalid is flagged ignored as in
    MMDetection; an invalid loose polygon list falls back to the strict mask (an empty ignore band). Only bitmap
    masks are supported (``poly2mask=True``).

    Args:
        **kwargs: as ``mmdet.datasets.transforms.LoadAnnotations``.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        if self.with_mask and not self.poly2mask:
            raise ValueError('LoadPairedAnnotations: poly2mask=False (PolygonMasks) is not supported; paired '
                             'strict/loose masks are bitmaps')

    def _decode_loose(self, seg, strict: np.ndarray, h: int, w: int) -> np.ndarray:
        if isinstance(seg, list):
            seg = [p for p in seg if len(p) % 2 == 0 and len(p) >= 6]
            if not seg:
                return strict
        return self._poly2mask(seg, h, w)

    def _load_masks(self, results: dict) -> None:
        super()._load_masks(results)
        instances = results.get('instances', [])
        paired = all('loose_mask' in inst for inst in instances) if instances else results.get('loose_paired', False)
        if not paired:
            return
        strict = results['gt_masks']
        h, w = strict.height, strict.width
        loose = [self._decode_loose(inst['loose_mask'], m, h, w) for inst, m in zip(instances, strict.masks)]
        loose = np.stack(loose).astype(np.uint8) if loose else np.zeros((0, h, w), dtype=np.uint8)
        results['gt_masks'] = PairedBitmapMasks(strict.masks, h, w, loose)

    def __repr__(self) -> str:
        return super().__repr__().replace('LoadAnnotations', type(self).__name__, 1)
