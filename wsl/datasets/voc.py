"""Pascal VOC-layout detection dataset that checks its files before training starts.

MMDetection's ``XMLDataset`` silently skips objects whose class is not in the class list, fails on a broken XML
with a message that does not name the file, and only finds unreadable images in the middle of training. This
dataset reads the same layout (``JPEGImages/``, ``Annotations/``, ``ImageSets/Main/<split>.txt``) and gives the same
data infos, but every problem is an error naming the file and what was expected, raised while the dataset is built.
"""
import os.path as osp
import xml.etree.ElementTree as ET
from typing import List

from mmdet.datasets import XMLDataset
from mmengine.fileio import list_from_file
from PIL import Image, UnidentifiedImageError

from wsl.registry import DATASETS


class DatasetFormatError(ValueError):
    """A dataset file is missing or does not have the expected format."""


@DATASETS.register_module()
class WslVOCDataset(XMLDataset):
    """VOC-layout dataset with validated annotations.

    Args:
        unknown_classes (str): what to do with an object whose ``<name>`` is not in ``metainfo['classes']``:
            ``'error'`` (default) raises; ``'ignore'`` drops it, as MMDetection does — choose it explicitly, e.g.
            to train on a subset of a dataset's classes.
        check_images (bool): open the header of every image while building the dataset (cheap; catches missing,
            truncated-header and non-image files before training). Defaults to True.
        **kwargs: everything :class:`mmdet.datasets.XMLDataset` takes (``data_root``, ``ann_file``,
            ``data_prefix=dict(sub_data_root='')``, ``metainfo=dict(classes=...)``, ``pipeline`` ...).

    Boxes follow MMDetection: ``(x1, y1, x2, y2)`` in pixels, 0-based (the XML's 1-based values minus one).
    """

    METAINFO = {'classes': None, 'palette': None}

    def __init__(self, unknown_classes: str = 'error', check_images: bool = True, **kwargs) -> None:
        if unknown_classes not in ('error', 'ignore'):
            raise ValueError(f"unknown_classes must be 'error' or 'ignore', got {unknown_classes!r}")
        self.unknown_classes = unknown_classes
        self.check_images = check_images
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        classes = self._metainfo.get('classes')
        if not classes:
            raise DatasetFormatError(f'{type(self).__name__}: metainfo.classes is empty; give the class list, e.g. '
                                     "metainfo=dict(classes=('cat', 'dog')).")
        if len(set(classes)) != len(classes):
            raise DatasetFormatError(f'metainfo.classes has duplicates: {classes}')
        if not osp.isfile(self.ann_file):
            raise DatasetFormatError(f"ann_file '{self.ann_file}' not found (data_root='{self.data_root}'); "
                                     'expected a text file with one image id per line.')
        if not osp.isdir(osp.join(self.sub_data_root, self.ann_subdir)):
            raise DatasetFormatError(f"annotation folder '{osp.join(self.sub_data_root, self.ann_subdir)}' not found.")
        ids = [i.strip() for i in list_from_file(self.ann_file) if i.strip()]
        if not ids:
            raise DatasetFormatError(f"ann_file '{self.ann_file}' lists no image ids.")
        return super().load_data_list()

    def parse_data_info(self, img_info: dict) -> dict:
        xml_path = img_info['xml_path']
        img_path = osp.join(self.sub_data_root, img_info['file_name'])
        if not osp.isfile(xml_path):
            raise DatasetFormatError(f"annotation '{xml_path}' not found (image id '{img_info['img_id']}' is listed "
                                     f"in '{self.ann_file}').")
        try:
            root = ET.parse(xml_path).getroot()
        except ET.ParseError as e:
            raise DatasetFormatError(f"annotation '{xml_path}' is not valid XML: {e}") from None
        img_size = _check_image(img_path) if self.check_images else None
        size = root.find('size')
        if size is not None:
            width = _int_field(size, 'width', xml_path)
            height = _int_field(size, 'height', xml_path)
            if img_size is not None and img_size != (width, height):
                raise DatasetFormatError(f"'{xml_path}': <size> says {width}x{height} but image '{img_path}' is "
                                         f'{img_size[0]}x{img_size[1]}.')
        else:
            if not osp.isfile(img_path):
                raise DatasetFormatError(f"image '{img_path}' not found (annotation '{xml_path}').")
            with Image.open(img_path) as im:
                width, height = im.size
        instances = self._parse_instances(root, xml_path, width, height)
        return dict(img_path=img_path, img_id=img_info['img_id'], xml_path=xml_path, height=height, width=width,
                    instances=instances)

    def _parse_instances(self, root: ET.Element, xml_path: str, width: int, height: int) -> List[dict]:
        instances = []
        for k, obj in enumerate(root.findall('object')):
            name_el = obj.find('name')
            if name_el is None or not (name_el.text or '').strip():
                raise DatasetFormatError(f"'{xml_path}': object #{k} has no <name>.")
            name = name_el.text.strip()
            if name not in self.cat2label:
                if self.unknown_classes == 'ignore':
                    continue
                raise DatasetFormatError(
                    f"'{xml_path}': object #{k} has class '{name}', which is not in the class list "
                    f"{tuple(self._metainfo['classes'])}. Fix the annotation or the config's metainfo.classes, or set "
                    "unknown_classes='ignore' on the dataset to drop such objects on purpose.")
            box_el = obj.find('bndbox')
            if box_el is None:
                raise DatasetFormatError(f"'{xml_path}': object #{k} ('{name}') has no <bndbox>.")
            x1, y1, x2, y2 = (_num_field(box_el, t, xml_path) for t in ('xmin', 'ymin', 'xmax', 'ymax'))
            if not (1 <= x1 <= x2 <= width and 1 <= y1 <= y2 <= height):
                raise DatasetFormatError(
                    f"'{xml_path}': object #{k} ('{name}') box (xmin={x1}, ymin={y1}, xmax={x2}, ymax={y2}) is not "
                    f'inside the {width}x{height} image with xmin<=xmax, ymin<=ymax (VOC boxes are 1-based).')
            difficult = obj.find('difficult')
            difficult = 0 if difficult is None or difficult.text is None else int(difficult.text)
            bbox = [int(x1) - 1, int(y1) - 1, int(x2) - 1, int(y2) - 1]
            ignore = bool(difficult)
            min_size = self.bbox_min_size
            if min_size is not None and not self.test_mode:
                ignore |= (bbox[2] - bbox[0] < min_size) or (bbox[3] - bbox[1] < min_size)
            instances.append(dict(bbox=bbox, bbox_label=self.cat2label[name], ignore_flag=int(ignore)))
        return instances


def _int_field(parent: ET.Element, tag: str, path: str) -> int:
    return int(_num_field(parent, tag, path))


def _num_field(parent: ET.Element, tag: str, path: str) -> float:
    el = parent.find(tag)
    if el is None or el.text is None:
        raise DatasetFormatError(f"'{path}': <{parent.tag}> has no <{tag}>.")
    try:
        return float(el.text)
    except ValueError:
        raise DatasetFormatError(f"'{path}': <{parent.tag}><{tag}> is '{el.text}', expected a number.") from None


def _check_image(img_path: str) -> tuple:
    """Open the image header and return its (width, height); raise a clear error when it is missing or no image."""
    if not osp.isfile(img_path):
        raise DatasetFormatError(f"image '{img_path}' not found.")
    try:
        with Image.open(img_path) as im:
            im.verify()
            return im.size
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        raise DatasetFormatError(f"image '{img_path}' cannot be read as an image: {e}") from None
