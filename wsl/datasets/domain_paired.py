"""Domain-paired training data: every batch holds source and target images in a fixed ratio (1:1 for H²FA).

* :class:`DomainPairedDataset` concatenates a source and a target dataset and tags every packed sample with
  ``data_sample.metainfo['domain']`` (``'source'`` / ``'target'``), so models never rely on batch order.
* :class:`DomainPairedSampler` is an infinite sampler that fills each batch with ``batch_size · r_d / Σr``
  samples of domain d (source first), each domain from its own shuffled stream, optionally drawing all of a
  batch from one aspect-ratio group (portrait / landscape) as Detectron2's grouped loaders do. Unlike
  ``mmdet.GroupMultiSourceSampler`` it cannot stall when one domain has no image of a group: grouping is then
  switched off with a warning.
"""
import itertools
import warnings
from typing import Iterator, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.dataset import BaseDataset, ConcatDataset
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from wsl.registry import DATA_SAMPLERS, DATASETS

DOMAINS = ('source', 'target')


@DATASETS.register_module()
class DomainPairedDataset(ConcatDataset):
    """``ConcatDataset([source, target])`` whose samples carry ``metainfo['domain']``.

    Args:
        source (dict | BaseDataset): the box-annotated source dataset (index range first).
        target (dict | BaseDataset): the target dataset (e.g. :class:`WslImageLabelDataset`).
        lazy_init (bool): as ``ConcatDataset``.
        ignore_keys (list[str]): metainfo keys allowed to differ between the two datasets.
    """

    def __init__(self, source: Union[dict, BaseDataset], target: Union[dict, BaseDataset], lazy_init: bool = False,
                 ignore_keys: Optional[List[str]] = None) -> None:
        datasets = [DATASETS.build(d) if isinstance(d, dict) else d for d in (source, target)]
        super().__init__(datasets, lazy_init=lazy_init, ignore_keys=ignore_keys)

    def __getitem__(self, idx: int) -> dict:
        dataset_idx, sample_idx = self._get_ori_dataset_idx(idx)
        data = self.datasets[dataset_idx][sample_idx]
        if not isinstance(data, dict) or 'data_samples' not in data:
            raise TypeError(f'DomainPairedDataset: the {DOMAINS[dataset_idx]} pipeline must end with a packing '
                            f"transform that returns dict(inputs, data_samples), got {type(data).__name__}")
        data['data_samples'].set_metainfo(dict(domain=DOMAINS[dataset_idx]))
        return data


@DATA_SAMPLERS.register_module()
class DomainPairedSampler(Sampler):
    """Infinite sampler for a two-dataset ``ConcatDataset`` with a fixed per-batch domain ratio.

    Args:
        dataset (ConcatDataset): e.g. :class:`DomainPairedDataset` (source = ``datasets[0]``).
        batch_size (int): images per batch and process (must match the dataloader's ``batch_size``).
        source_ratio (Sequence[float]): per-dataset share of a batch; ``(1, 1)`` = half source, half target.
        group_by_aspect_ratio (bool): draw each batch from one aspect-ratio group (width < height or not).
        shuffle (bool): shuffle each stream (reshuffled every pass).
        seed (int, optional): base seed (synchronised across ranks when None).
    """

    def __init__(self, dataset: ConcatDataset, batch_size: int, source_ratio: Sequence[float] = (1, 1),
                 group_by_aspect_ratio: bool = True, shuffle: bool = True, seed: Optional[int] = None) -> None:
        if not hasattr(dataset, 'cumulative_sizes'):
            raise TypeError(f'DomainPairedSampler needs a ConcatDataset (e.g. DomainPairedDataset), got '
                            f'{type(dataset).__name__}')
        if len(source_ratio) != len(dataset.datasets) or min(source_ratio) <= 0:
            raise ValueError(f'source_ratio {list(source_ratio)} must give one positive share per dataset '
                             f'({len(dataset.datasets)})')
        if not isinstance(batch_size, int) or batch_size < len(source_ratio):
            raise ValueError(f'batch_size must be an int >= {len(source_ratio)}, got {batch_size!r}')
        nums = [int(batch_size * r / sum(source_ratio)) for r in source_ratio]
        nums[0] = batch_size - sum(nums[1:])
        if min(nums) < 1:
            raise ValueError(f'batch_size {batch_size} with source_ratio {list(source_ratio)} gives {nums} images '
                             'per domain; every domain needs at least one')
        empty = [i for i, d in enumerate(dataset.datasets) if len(d) == 0]
        if empty:
            raise ValueError(f'DomainPairedSampler: dataset(s) {[DOMAINS[i] if i < 2 else i for i in empty]} are '
                             'empty (after filtering)')
        self.dataset, self.batch_size, self.num_per_source = dataset, batch_size, nums
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.rank, self.world_size = get_dist_info()
        offsets = [0] + list(dataset.cumulative_sizes[:-1])
        groups = self._groups(group_by_aspect_ratio)  # {group: [[global indices of source s] for s]}
        self.group_names = sorted(groups)
        sizes = np.array([sum(map(len, groups[g])) for g in self.group_names], dtype=np.float64)
        self.group_prob = sizes / sizes.sum()
        self.streams = {g: [self._stream(np.asarray(idx) + off, 1000 * g + s)
                            for s, (idx, off) in enumerate(zip(groups[g], offsets))] for g in self.group_names}
        self._rng = np.random.default_rng(self.seed)

    def _groups(self, by_aspect: bool) -> dict:
        n_src = len(self.dataset.datasets)
        if not by_aspect:
            return {0: [list(range(len(d))) for d in self.dataset.datasets]}
        groups = {0: [[] for _ in range(n_src)], 1: [[] for _ in range(n_src)]}
        for s, d in enumerate(self.dataset.datasets):
            for i in range(len(d)):
                info = d.get_data_info(i)
                groups[0 if info['width'] < info['height'] else 1][s].append(i)
        groups = {g: v for g, v in groups.items() if any(v)}
        if any(not all(v) for v in groups.values()):
            warnings.warn('DomainPairedSampler: an aspect-ratio group has images in one domain only; '
                          'sampling without aspect-ratio grouping')
            return self._groups(False)
        return groups

    def _stream(self, indices: np.ndarray, salt: int) -> Iterator[int]:
        def infinite():
            g = torch.Generator()
            g.manual_seed(self.seed + salt)
            while True:
                order = torch.randperm(len(indices), generator=g) if self.shuffle else torch.arange(len(indices))
                yield from indices[order.numpy()].tolist()

        return itertools.islice(infinite(), self.rank, None, self.world_size)

    def __iter__(self) -> Iterator[int]:
        while True:
            g = self.group_names[self._rng.choice(len(self.group_names), p=self.group_prob)]
            for s, num in enumerate(self.num_per_source):
                for _ in range(num):
                    yield next(self.streams[g][s])

    def __len__(self) -> int:
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        """Infinite sampler: nothing to do per epoch."""
