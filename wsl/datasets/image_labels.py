"""Image-level-label datasets: images with class names only, no boxes (weakly labelled target domains).

Two label sources, one dataset class (:class:`WslImageLabelDataset`):

* ``label_source='file'``: ``ann_file`` is a text file, one image a line: ``<id> <class> <class> ...``
  (an id alone = an image with no objects). The shapes generator writes ``image_labels_{train,test}.txt``.
* ``label_source='xml'``: ``ann_file`` is a VOC ``ImageSets/Main/<split>.txt`` id list and the labels are the
  distinct ``<name>`` s of ``Annotations/<id>.xml`` (difficult objects dropped by default, as the official H²FA
  target loader does). Boxes are never read into the sample, so box filters (min size, crops) cannot erase labels
  (the dummy 1×1 boxes of Watercolor/Comic "extra" stay labels).

Each data info holds ``img_path``, ``img_id``, ``width``, ``height`` and ``image_labels`` (sorted class indices).
:class:`PackDetInputsWithImageLabels` packs them as ``data_sample.gt_image_labels`` (LongTensor (K,)), the one
place image-level labels live in a data sample.
"""
import os.path as osp
import xml.etree.ElementTree as ET
from typing import List

import numpy as np
import torch
from mmdet.datasets.transforms import PackDetInputs
from mmengine.dataset import BaseDataset
from mmengine.fileio import list_from_file

from wsl.registry import DATASETS, TRANSFORMS
from .voc import DatasetFormatError, _check_image, _int_field

IMAGE_LABELS_KEY = 'image_labels'  # data-info / results key
IMAGE_LABELS_FIELD = 'gt_image_labels'  # DetDataSample field


@DATASETS.register_module()
class WslImageLabelDataset(BaseDataset):
    """Images with image-level class labels (see the module docstring for the two file formats).

    Args:
        ann_file (str): the label file (``'file'``) or the VOC id list (``'xml'``), relative to ``data_root``.
        label_source (str): ``'file'`` or ``'xml'``.
        data_prefix (dict): ``img`` folder of the images. Defaults to ``dict(img='JPEGImages/')``.
        ann_subdir (str): XML folder under ``data_root`` (``'xml'`` only). Defaults to ``'Annotations'``.
        img_suffix (str): image file suffix. Defaults to ``'.jpg'``.
        unknown_classes (str): ``'error'`` (default) or ``'ignore'`` a class name not in ``metainfo.classes``.
        drop_difficult (bool): ``'xml'`` only: skip ``<difficult>1`` objects. Defaults to True.
        check_images (bool): open every image header (size; in ``'xml'`` mode compared with ``<size>``).
        filter_cfg (dict): ``filter_empty_gt=True`` drops images without labels (training only).
        **kwargs: the rest of :class:`mmengine.dataset.BaseDataset` (``data_root``, ``metainfo``, ``pipeline``...).
    """

    METAINFO = {'classes': None, 'palette': None}

    def __init__(self, ann_file: str, label_source: str = 'file', data_prefix: dict = dict(img='JPEGImages/'),
                 ann_subdir: str = 'Annotations', img_suffix: str = '.jpg', unknown_classes: str = 'error',
                 drop_difficult: bool = True, check_images: bool = True, **kwargs) -> None:
        if label_source not in ('file', 'xml'):
            raise ValueError(f"label_source must be 'file' or 'xml', got {label_source!r}")
        if unknown_classes not in ('error', 'ignore'):
            raise ValueError(f"unknown_classes must be 'error' or 'ignore', got {unknown_classes!r}")
        self.label_source, self.ann_subdir, self.img_suffix = label_source, ann_subdir, img_suffix
        self.unknown_classes, self.drop_difficult, self.check_images = unknown_classes, drop_difficult, check_images
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def load_data_list(self) -> List[dict]:
        classes = self._metainfo.get('classes')
        if not classes or len(set(classes)) != len(classes):
            raise DatasetFormatError(f'{type(self).__name__}: metainfo.classes must be a non-empty list of distinct '
                                     f'names, got {classes}')
        self.cat2label = {c: i for i, c in enumerate(classes)}
        if not osp.isfile(self.ann_file):
            raise DatasetFormatError(f"ann_file '{self.ann_file}' not found (data_root='{self.data_root}').")
        rows = self._read_label_file() if self.label_source == 'file' else self._read_xml_labels()
        if not rows:
            raise DatasetFormatError(f"ann_file '{self.ann_file}' lists no images.")
        data_list = []
        for img_id, names, size, where in rows:
            img_path = osp.join(self.data_prefix.get('img', ''), img_id + self.img_suffix)
            if self.check_images or size is None:
                img_size = _check_image(img_path)
                if size is not None and img_size != size:
                    raise DatasetFormatError(f"'{where}': <size> says {size[0]}x{size[1]} but image '{img_path}' is "
                                             f'{img_size[0]}x{img_size[1]}.')
                size = img_size
            labels = set()
            for name in names:
                if name in self.cat2label:
                    labels.add(self.cat2label[name])
                elif self.unknown_classes == 'error':
                    raise DatasetFormatError(
                        f"'{where}': class '{name}' of image '{img_id}' is not in the class list {tuple(classes)}; "
                        "fix the labels or the config's metainfo.classes, or set unknown_classes='ignore'.")
            data_list.append({'img_path': img_path, 'img_id': img_id, 'width': size[0], 'height': size[1],
                              IMAGE_LABELS_KEY: sorted(labels)})
        return data_list

    def _read_label_file(self) -> list:
        rows, seen = [], {}
        with open(self.ann_file) as f:
            for n, line in enumerate(f, 1):
                parts = line.split()
                if not parts:
                    continue
                where = f'{self.ann_file}:{n}'
                if parts[0] in seen:
                    raise DatasetFormatError(f"'{where}': image id '{parts[0]}' already listed on line "
                                             f'{seen[parts[0]]}; expected one line per image: <id> <class> ...')
                seen[parts[0]] = n
                rows.append((parts[0], parts[1:], None, where))
        return rows

    def _read_xml_labels(self) -> list:
        rows = []
        for img_id in (i.strip() for i in list_from_file(self.ann_file)):
            if not img_id:
                continue
            xml_path = osp.join(self.data_root, self.ann_subdir, f'{img_id}.xml')
            if not osp.isfile(xml_path):
                raise DatasetFormatError(f"annotation '{xml_path}' not found (image id '{img_id}' is listed in "
                                         f"'{self.ann_file}').")
            try:
                root = ET.parse(xml_path).getroot()
            except ET.ParseError as e:
                raise DatasetFormatError(f"annotation '{xml_path}' is not valid XML: {e}") from None
            size_el = root.find('size')
            size = None if size_el is None else (_int_field(size_el, 'width', xml_path),
                                                 _int_field(size_el, 'height', xml_path))
            names = []
            for k, obj in enumerate(root.findall('object')):
                name = (obj.findtext('name') or '').strip()
                if not name:
                    raise DatasetFormatError(f"'{xml_path}': object #{k} has no <name>.")
                difficult = (obj.findtext('difficult') or '0').strip()
                if self.drop_difficult and difficult not in ('0', ''):
                    continue
                names.append(name)
            rows.append((img_id, names, size, xml_path))
        return rows

    def filter_data(self) -> List[dict]:
        """Drop images without labels when ``filter_cfg.filter_empty_gt`` (never in test mode)."""
        if self.test_mode or not (self.filter_cfg or {}).get('filter_empty_gt', False):
            return self.data_list
        kept = [d for d in self.data_list if d[IMAGE_LABELS_KEY]]
        if not kept:
            raise DatasetFormatError(f"no image of '{self.ann_file}' has a label of {tuple(self._metainfo['classes'])} "
                                     '(filter_empty_gt=True leaves an empty training set).')
        return kept

    def get_cat_ids(self, idx: int) -> List[int]:
        return list(self.get_data_info(idx)[IMAGE_LABELS_KEY])


@TRANSFORMS.register_module()
class PackDetInputsWithImageLabels(PackDetInputs):
    """``mmdet.PackDetInputs`` that also packs ``results['image_labels']`` as ``data_sample.gt_image_labels``."""

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        if IMAGE_LABELS_KEY in results:
            labels = torch.as_tensor(np.asarray(results[IMAGE_LABELS_KEY], dtype=np.int64).reshape(-1))
            packed['data_samples'].set_field(labels, IMAGE_LABELS_FIELD)
        return packed
