"""Transforms for snippet-feature videos: the official random crop and packing into model inputs.

Batches are formed by MMEngine's ``pseudo_collate`` (a list of (T_i, D) tensors); ``D2Net`` zero-pads
them to the longest video of the batch, which with a crop of at most 750 snippets per video gives the
official batch (L = min(750, longest), longer videos cropped, shorter ones zero-padded).
"""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement, InstanceData

from wsl.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomSnippetCrop(BaseTransform):
    """Random contiguous crop of at most ``max_len`` snippets (numpy RNG, seeded by the Runner).

    Args:
        max_len (int): maximum snippets (official ``--max-seqlen`` 750).
        exclude_last (bool): draw the start in [0, T - L - 1] as the official code does (the last
            snippet can never end a crop); False draws it in [0, T - L].
    """

    def __init__(self, max_len: int = 750, exclude_last: bool = True) -> None:
        if max_len < 1:
            raise ValueError(f'max_len must be >= 1, got {max_len}')
        self.max_len, self.exclude_last = max_len, exclude_last

    def transform(self, results: dict) -> dict:
        feats = results['features']
        T = len(feats)
        if T > self.max_len:
            start = int(np.random.randint(0, T - self.max_len + (0 if self.exclude_last else 1)))
            results['features'] = feats[start:start + self.max_len]
            results['crop_offset'] = start
        return results


@TRANSFORMS.register_module()
class PackTemporalInputs(BaseTransform):
    """Pack ``features`` into ``inputs`` (T, D) and the annotations into a data sample.

    The data sample holds ``gt_label`` (C,) multi-hot, ``gt_instances`` (``segments`` (N, 2) seconds,
    ``labels`` (N,)) and metainfo ``meta_keys`` (``num_snippets`` is the packed length).

    Args:
        num_classes (int): C.
        meta_keys (sequence): keys copied to the metainfo when present.
    """

    def __init__(self, num_classes: int, meta_keys: Sequence[str] = ('video_name', 'subset', 'duration',
                                                                       'ambiguous_segments', 'crop_offset')) -> None:
        self.num_classes, self.meta_keys = num_classes, tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        feats = torch.from_numpy(np.ascontiguousarray(results['features'], dtype=np.float32))
        meta = {k: results[k] for k in self.meta_keys if k in results}
        meta['num_snippets'] = len(feats)
        sample = BaseDataElement(metainfo=meta)
        label = torch.zeros(self.num_classes)
        idx = [int(i) for i in results.get('gt_label', [])]
        if any(not 0 <= i < self.num_classes for i in idx):
            raise ValueError(f'{results.get("video_name")}: label indices {idx} outside [0, {self.num_classes})')
        label[idx] = 1
        sample.gt_label = label
        segments = np.asarray(results.get('gt_segments', np.zeros((0, 2))), np.float32).reshape(-1, 2)
        sample.gt_instances = InstanceData(segments=torch.from_numpy(segments),
                                           labels=torch.as_tensor(np.asarray(results.get('gt_labels', []), np.int64)))
        return dict(inputs=feats, data_samples=sample)
