"""Strict and loose pseudo masks of the same instances, kept in one mask object.

BBAM's Mask R-CNN reads two masks per instance (specs/bbam.md §4.1): the strict mask T_fg (foreground seed) and
the loose mask T_loose (its complement is the background seed), with identical flips and resizes. Rather than
teaching every MMDetection transform a second mask field, :class:`PairedBitmapMasks` *is* a
:class:`~mmdet.structures.mask.BitmapMasks` holding the strict masks (so every transform, ``PackDetInputs``, the
mask-target code and the metrics see ordinary strict masks) that applies each geometric operation and every
indexing to a second, loose stack as well. After ``PackDetInputs`` the pair is ``gt_instances.masks`` and the loose
masks are ``gt_instances.masks.loose``.
"""
from typing import Sequence

import numpy as np
from mmdet.structures.mask import BitmapMasks

# BitmapMasks operations that return new masks of the same instances (geometry or indexing): applied to both.
_PAIRED_OPS = ('rescale', 'resize', 'flip', 'pad', 'crop', 'expand', 'translate', 'shear', 'rotate')


class PairedBitmapMasks(BitmapMasks):
    """Strict masks (the ``BitmapMasks`` content) plus loose masks of the same N instances.

    Args:
        masks (np.ndarray | list): (N, H, W) strict masks (uint8 / bool), as for ``BitmapMasks``.
        height (int), width (int): mask size.
        loose_masks (np.ndarray | list): (N, H, W) loose masks of the same instances, same size.

    ``crop_and_resize`` (the mask-target op), ``areas``, ``to_ndarray`` and ``to_tensor`` act on the strict masks
    only; :attr:`loose` gives the loose masks as ``BitmapMasks``.
    """

    def __init__(self, masks, height: int, width: int, loose_masks=None) -> None:
        super().__init__(masks, height, width)
        if loose_masks is None:
            raise ValueError('PairedBitmapMasks: loose_masks is required (use BitmapMasks for strict masks alone)')
        loose = BitmapMasks(loose_masks, height, width).masks
        if loose.shape != self.masks.shape:
            raise ValueError(f'PairedBitmapMasks: loose masks {loose.shape} and strict masks {self.masks.shape} '
                             f'must have the same (N, H, W) shape')
        self.loose_masks = loose

    @property
    def loose(self) -> BitmapMasks:
        """The loose masks as ``BitmapMasks`` (N, H, W)."""
        return BitmapMasks(self.loose_masks, self.height, self.width)

    def _pair(self, strict: BitmapMasks, loose: BitmapMasks) -> 'PairedBitmapMasks':
        return PairedBitmapMasks(strict.masks, strict.height, strict.width, loose.masks)

    def __getitem__(self, index) -> 'PairedBitmapMasks':
        return self._pair(BitmapMasks.__getitem__(self, index), self.loose[index])

    def __repr__(self) -> str:
        return f'{type(self).__name__}(num_masks={len(self.masks)}, height={self.height}, width={self.width})'

    @classmethod
    def cat(cls, masks: Sequence['PairedBitmapMasks']) -> 'PairedBitmapMasks':
        """Concatenate paired masks of one size along the instance axis."""
        if not masks:
            raise ValueError('PairedBitmapMasks.cat: expected a non-empty sequence')
        if not all(isinstance(m, PairedBitmapMasks) for m in masks):
            raise TypeError(f'PairedBitmapMasks.cat: every item must be PairedBitmapMasks, got '
                            f'{[type(m).__name__ for m in masks]}')
        strict = np.concatenate([m.masks for m in masks])
        loose = np.concatenate([m.loose_masks for m in masks])
        return cls(strict, strict.shape[1], strict.shape[2], loose)


def _make_paired_op(name: str):
    base = getattr(BitmapMasks, name)

    def op(self, *args, **kwargs):
        return self._pair(base(self, *args, **kwargs), base(self.loose, *args, **kwargs))

    op.__name__ = name
    op.__doc__ = f'``BitmapMasks.{name}`` applied to the strict and the loose masks alike.'
    return op


for _name in _PAIRED_OPS:
    setattr(PairedBitmapMasks, _name, _make_paired_op(_name))
