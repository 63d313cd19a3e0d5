"""VOC-layout detection dataset with the difficult-object handling of the cross-domain benchmarks.

The official H²FA loaders treat difficult objects differently per benchmark (spec §7/§8.11): the 20-class VOC
source (Clipart) KEEPS them as ordinary ground truth, the 6-/8-class loaders (Watercolor, Comic, Cityscapes) and
all target loaders DROP them, and images left without objects are removed. MMDetection instead marks them
ignored. ``difficult`` picks one of the three behaviours explicitly.
"""
from typing import List

from wsl.datasets import WslVOCDataset
from wsl.registry import DATASETS

_MODES = ('keep', 'drop', 'ignore')


@DATASETS.register_module()
class CrossDomainVOCDataset(WslVOCDataset):
    """:class:`WslVOCDataset` with ``difficult`` = ``'keep'`` (ordinary GT), ``'drop'`` (removed) or ``'ignore'``.

    With ``filter_cfg=dict(filter_empty_gt=True)`` an image whose objects were all dropped is removed from training.
    """

    def __init__(self, difficult: str = 'ignore', **kwargs) -> None:
        if difficult not in _MODES:
            raise ValueError(f'difficult must be one of {_MODES}, got {difficult!r}')
        self.difficult = difficult
        super().__init__(**kwargs)

    def _parse_instances(self, root, xml_path: str, width: int, height: int) -> List[dict]:
        instances = super()._parse_instances(root, xml_path, width, height)
        if self.difficult == 'ignore':
            return instances
        kept = []
        objects = [o for o in root.findall('object') if (o.findtext('name') or '').strip() in self.cat2label]
        for obj, inst in zip(objects, instances):
            is_difficult = (obj.findtext('difficult') or '0').strip() not in ('0', '')
            if is_difficult and self.difficult == 'drop':
                continue
            if is_difficult:  # keep: an ordinary object, unless the bbox_min_size filter marks it
                x1, y1, x2, y2 = inst['bbox']
                small = self.bbox_min_size is not None and not self.test_mode and (
                    x2 - x1 < self.bbox_min_size or y2 - y1 < self.bbox_min_size)
                inst = dict(inst, ignore_flag=int(small))
            kept.append(inst)
        return kept
