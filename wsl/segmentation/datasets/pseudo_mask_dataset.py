"""COCO-format pseudo-mask dataset that pairs each strict annotation with its loose one (specs/bbam.md §4.1).

``tools/bbam_make_labels.py`` writes ``instances_strict.json`` (T_fg) and ``instances_loose.json`` (T_loose) with
the same annotation ids in the same order. :class:`BBAMPseudoMaskDataset` reads the strict file as MMDetection's
``CocoDataset`` does (same filtering of empty / degenerate annotations) and attaches to each kept instance the
``loose_mask`` of the loose annotation with the same id; :class:`~.loading.LoadPairedAnnotations` then loads both
into one :class:`~.paired_masks.PairedBitmapMasks`, so every flip and resize treats them alike.

Pairing is by annotation id (the official loader pairs by position within the image; the exporter makes the two
equivalent). A strict annotation without a loose partner makes its whole image fall back to strict-only
supervision (no ``loose_mask`` on its instances), as the official loss does for a batch whose two target lists
differ in length. A partner on another image or of another class is an error. A strict annotation dropped for an
empty mask (area 0) simply has no instance — the official code would misalign the two lists there.
"""
import contextlib
import io
import os.path as osp
from typing import List, Optional, Union

from mmdet.datasets import CocoDataset
from mmengine.fileio import get_local_path
from mmengine.logging import MMLogger, print_log

from wsl.registry import DATASETS


@DATASETS.register_module()
class BBAMPseudoMaskDataset(CocoDataset):
    """Strict pseudo masks as instance masks, loose pseudo masks attached as ``instance['loose_mask']``.

    Args:
        loose_ann_file (str, optional): the loose COCO JSON (joined with ``data_root`` like ``ann_file``). None:
            strict masks only (every image falls back to the strict-only balanced loss).
        **kwargs: everything ``mmdet.datasets.CocoDataset`` takes (``ann_file`` = the strict JSON, ``data_root``,
            ``data_prefix=dict(img=...)``, ``metainfo=dict(classes=...)``, ``pipeline``, ``filter_cfg`` ...).

    Data infos: as ``CocoDataset`` (``bbox`` (x1, y1, x2, y2) with x2 = x + w, ``bbox_label``, ``ignore_flag``,
    ``mask`` = the strict segmentation) plus ``loose_mask`` (the loose segmentation) and per image
    ``loose_paired`` (bool).
    """

    def __init__(self, *args, loose_ann_file: Optional[str] = None, **kwargs) -> None:
        self.loose_ann_file = loose_ann_file
        self.num_unpaired_images = 0
        super().__init__(*args, **kwargs)

    def _join_prefix(self) -> None:
        super()._join_prefix()
        if self.loose_ann_file and not osp.isabs(self.loose_ann_file) and self.data_root:
            self.loose_ann_file = osp.join(self.data_root, self.loose_ann_file)

    def _load_loose(self) -> dict:
        """{annotation id: loose annotation} of the loose JSON, checked."""
        if not osp.isfile(self.loose_ann_file):
            raise FileNotFoundError(f'BBAMPseudoMaskDataset: loose_ann_file {self.loose_ann_file!r} not found '
                                    f'(expected instances_loose.json written by tools/bbam_make_labels.py)')
        with get_local_path(self.loose_ann_file, backend_args=self.backend_args) as path, \
                contextlib.redirect_stdout(io.StringIO()):
            loose = self.COCOAPI(path)
        by_id = {}
        for ann in loose.dataset.get('annotations', []):
            if not ann.get('segmentation'):
                raise ValueError(f"BBAMPseudoMaskDataset: {self.loose_ann_file} annotation id {ann.get('id')} has no "
                                 f'"segmentation" (expected an RLE dict or polygons)')
            by_id[ann['id']] = ann
        self._loose_images = {img['id']: img['file_name'] for img in loose.dataset.get('images', [])}
        return by_id

    def load_data_list(self) -> List[dict]:
        self._loose_by_id = self._load_loose() if self.loose_ann_file else None
        self.num_unpaired_images = 0
        data_list = super().load_data_list()
        if self._loose_by_id is not None and self.num_unpaired_images:
            print_log(f'BBAMPseudoMaskDataset: {self.num_unpaired_images} of {len(data_list)} images have strict '
                      f'annotations without a loose partner in {self.loose_ann_file}; they are trained with the '
                      f'strict-only balanced loss', logger=MMLogger.get_current_instance())
        self._loose_by_id = None
        return data_list

    def parse_data_info(self, raw_data_info: dict) -> Union[dict, List[dict]]:
        anns = raw_data_info['raw_ann_info']
        img = raw_data_info['raw_img_info']
        for ann in anns:
            if not ann.get('segmentation'):
                raise ValueError(f"BBAMPseudoMaskDataset: {self.ann_file} annotation id {ann.get('id')} (image "
                                 f"{img.get('file_name')!r}) has no \"segmentation\"")
        data_info = super().parse_data_info(raw_data_info)
        data_info['loose_paired'] = False
        if self._loose_by_id is None:
            return data_info
        # CocoDataset copies ann['segmentation'] (the same object) into the kept instances: find each one's ann.
        ann_of_mask = {id(a['segmentation']): a for a in anns}
        partners = []
        for inst in data_info['instances']:
            ann = ann_of_mask[id(inst['mask'])]
            loose = self._loose_by_id.get(ann['id'])
            if loose is None:
                partners = None
                break
            if self._loose_images.get(loose['image_id']) != img['file_name'] or \
                    loose['category_id'] != ann['category_id']:
                raise ValueError(
                    f"BBAMPseudoMaskDataset: annotation id {ann['id']} is image {img['file_name']!r} category "
                    f"{ann['category_id']} in {self.ann_file} but image "
                    f"{self._loose_images.get(loose['image_id'])!r} category {loose['category_id']} in "
                    f'{self.loose_ann_file}; the two files must come from the same tools/bbam_make_labels.py run')
            partners.append(loose['segmentation'])
        if partners is None:
            self.num_unpaired_images += 1
            return data_info
        for inst, seg in zip(data_info['instances'], partners):
            inst['loose_mask'] = seg
        data_info['loose_paired'] = True
        return data_info
