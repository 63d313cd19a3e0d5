"""Preparation helpers for the cross-domain VOC-layout datasets (Clipart1k, Watercolor2k, Comic2k, Foggy).

* :func:`find_size_mismatches`: images whose real size differs from their XML ``<size>`` (1 in clipart train,
  13 in watercolor extra, 3 in comic extra are known); MMDetection does not check this and a mismatch silently
  corrupts boxes (clipart 681633840 is in the Clipart_all evaluation set).
* :func:`resize_to_xml`: the official README's fix, resize the image to the XML size.
* :func:`write_union_split`: e.g. clipart ``traintest`` = ``train`` ∪ ``test`` (not in the original download).
"""
import os.path as osp
import xml.etree.ElementTree as ET
from typing import List, Optional, Sequence

from PIL import Image


def _ids(root: str, split: str) -> List[str]:
    path = osp.join(root, 'ImageSets', 'Main', f'{split}.txt')
    if not osp.isfile(path):
        raise FileNotFoundError(f"split file '{path}' not found (expected one image id per line)")
    with open(path) as f:
        return [line.split()[0] for line in f if line.strip()]


def find_size_mismatches(root: str, splits: Optional[Sequence[str]] = None, img_suffix: str = '.jpg') -> List[dict]:
    """List images whose size differs from their XML ``<size>``.

    Args:
        root (str): VOC-layout folder (``JPEGImages/``, ``Annotations/``, ``ImageSets/Main/``).
        splits (Sequence[str], optional): split names; all ``Annotations/*.xml`` when None.
        img_suffix (str): image suffix.

    Returns:
        list[dict]: ``id``, ``xml_size`` (w, h), ``image_size`` (w, h), ``transposed`` (bool) per mismatch.
    """
    if splits:
        ids = sorted({i for s in splits for i in _ids(root, s)})
    else:
        import glob
        ids = sorted(osp.splitext(osp.basename(p))[0] for p in glob.glob(osp.join(root, 'Annotations', '*.xml')))
    out = []
    for img_id in ids:
        xml_path = osp.join(root, 'Annotations', f'{img_id}.xml')
        img_path = osp.join(root, 'JPEGImages', img_id + img_suffix)
        if not osp.isfile(xml_path) or not osp.isfile(img_path):
            raise FileNotFoundError(f"image id '{img_id}': missing '{xml_path}' or '{img_path}'")
        size = ET.parse(xml_path).getroot().find('size')
        if size is None:
            raise ValueError(f"'{xml_path}' has no <size>")
        xml_size = (int(float(size.findtext('width'))), int(float(size.findtext('height'))))
        with Image.open(img_path) as im:
            img_size = im.size
        if img_size != xml_size:
            out.append(dict(id=img_id, xml_size=xml_size, image_size=img_size,
                            transposed=img_size == xml_size[::-1]))
    return out


def resize_to_xml(root: str, mismatches: Sequence[dict], img_suffix: str = '.jpg') -> None:
    """Resize each mismatching image in place to its XML size (the official README's recommendation)."""
    for m in mismatches:
        path = osp.join(root, 'JPEGImages', m['id'] + img_suffix)
        with Image.open(path) as im:
            resized = im.convert('RGB').resize(tuple(m['xml_size']), Image.BILINEAR)
        resized.save(path, quality=95)


def write_union_split(root: str, splits: Sequence[str], name: str) -> int:
    """Write ``ImageSets/Main/<name>.txt`` = the union of ``splits`` (first-seen order); return its size."""
    seen, ids = set(), []
    for s in splits:
        for i in _ids(root, s):
            if i not in seen:
                seen.add(i)
                ids.append(i)
    with open(osp.join(root, 'ImageSets', 'Main', f'{name}.txt'), 'w') as f:
        f.write(''.join(f'{i}\n' for i in ids))
    return len(ids)
