"""A two-domain synthetic "shapes" detection / segmentation dataset in Pascal VOC layout.

Object identity is the SHAPE (:data:`SHAPES_CLASSES`): circle, square (any rotation), equilateral
triangle (any rotation) and 5-pointed star (any rotation), of random size (circumscribed diameter
20..56 px at 128 px, scaling with ``image_size``) and position, fully inside the image, 1..max_objects
per image. Later objects occlude earlier ones, but every object keeps >= 70 % of its pixels visible.
Both domains draw their geometry from the same distribution; only the appearance differs. Masks are
exact: a pixel belongs to a shape when its centre lies inside it; the image is painted from the 4x4
supersampled coverage of the same geometry (:mod:`.shapes_render`). ``<occluded>1`` marks an object
partly hidden by a later one; ``<truncated>`` is always 0 and ``<difficult>`` always 0.

* SOURCE: light, low-saturation background with a mild linear gradient; objects in flat colours,
  each class with a typical hue (circle red, square blue, triangle green, star amber; +-12 deg jitter,
  a cue a source-only detector will partly rely on); faint Gaussian noise (sigma 1..3 grey levels).
* TARGET: a textured background (stripes, rotated checker or blotch noise, at random, in two random
  mid-tone colours); the class hues are re-assigned (each class gets another class's source hue,
  +-20 deg); objects have a textured fill (stripes, dots or blotches modulating brightness by 15..30 %)
  and are kept at least 0.25 luma away from the background under them; then a Gaussian blur
  (sigma 0.5..1 px), lower contrast (x0.6..0.85), a brightness shift, a colour cast and stronger
  sensor noise (sigma 6..12 grey levels). Shapes stay recognisable; colour becomes misleading.
* TARGET_MILD (``domains=(..., 'target_mild')``, folder ``target_mild/``): the same kinds of change, weaker
  (:data:`~.shapes_render.MILD_TARGET`): a lower-contrast textured background, a random hue for every object
  (colour carries no class information instead of the wrong one), a faint fill texture (5..15 %), blur
  sigma 0.3..0.6 px, contrast x0.8..0.95 and noise sigma 3..6. A source-only detector transfers partly,
  so a domain-adaptation method has room to show a gain in a short CPU run.

Files under ``out_dir/<domain>/`` (VOC 2012 layout): ``JPEGImages/<id>.jpg`` (quality
:data:`JPEG_QUALITY`, 4:4:4), ``Annotations/<id>.xml`` (boxes in VOC's 1-based inclusive pixel
convention: the tight box of the object's visible mask plus one), ``SegmentationClass/<id>.png`` and
``SegmentationObject/<id>.png`` (palette PNGs with the VOC colour map; 0 background, class index + 1 /
instance number 1..N in XML order; visible masks are disjoint, so the "ignore" value 255 is never
written), ``ImageSets/Main/{train,test,trainval}.txt`` and ``<class>_{train,test,trainval}.txt``,
``ImageSets/Segmentation/{train,test,trainval}.txt`` (trainval = train), and
``image_labels_{train,test}.txt`` (``<id> <class> ...``: the image-level labels a weakly supervised
method reads). Train ids are ``000000...``, test ids ``100000...`` (:data:`TEST_ID_OFFSET`).

Every image comes from its own ``np.random.default_rng([seed, domain, split, index])`` stream, so
changing ``num_test`` (or the domains) leaves the other images byte-identical.
"""
import hashlib
import json
import os
import os.path as osp
import shutil
import warnings
import xml.etree.ElementTree as ET
from io import BytesIO
from typing import Dict, List, Sequence

import numpy as np
from PIL import Image

from .shapes_render import SHAPES_CLASSES, render_image, sample_layout

GENERATOR_VERSION = 2  # bump whenever the output changes: older cached datasets are then regenerated
JPEG_QUALITY = 92
TEST_ID_OFFSET = 100000
META_FILE = 'shapes_meta.json'
_DOMAIN_KEYS = {'source': 0, 'target': 1, 'target_mild': 2}
_SPLIT_KEYS = {'train': 0, 'test': 1}

__all__ = ['SHAPES_CLASSES', 'make_shapes_dataset', 'load_voc_instances', 'voc_palette', 'image_id']


def voc_palette() -> np.ndarray:
    """The standard Pascal VOC colour map (bit-interleaved), (256, 3) uint8."""
    return _VOC_PALETTE.copy()


def _make_voc_palette() -> np.ndarray:
    pal = np.zeros((256, 3), dtype=np.uint8)
    for i in range(256):
        c, rgb = i, [0, 0, 0]
        for j in range(8):
            for ch in range(3):
                rgb[ch] |= ((c >> ch) & 1) << (7 - j)
            c >>= 3
        pal[i] = rgb
    return pal


_VOC_PALETTE = _make_voc_palette()
_VOC_PALETTE_LIST = _VOC_PALETTE.ravel().tolist()


def image_id(split: str, index: int) -> str:
    """The file id of image ``index`` of ``split`` ('train' -> '000000'..., 'test' -> '100000'...)."""
    return f'{index + (TEST_ID_OFFSET if split == "test" else 0):06d}'


def _png_bytes(arr: np.ndarray) -> bytes:
    im = Image.fromarray(arr.astype(np.uint8))
    im.putpalette(_VOC_PALETTE_LIST)  # 'L' -> 'P'
    buf = BytesIO()
    im.save(buf, format='PNG')
    return buf.getvalue()


def _jpeg_bytes(img: np.ndarray) -> bytes:
    buf = BytesIO()
    Image.fromarray(img).save(buf, format='JPEG', quality=JPEG_QUALITY, subsampling=0)
    return buf.getvalue()


def _xml_bytes(domain: str, img_id: str, size: int, objects: List[dict]) -> bytes:
    ann = ET.Element('annotation')
    ET.SubElement(ann, 'folder').text = domain
    ET.SubElement(ann, 'filename').text = f'{img_id}.jpg'
    ET.SubElement(ET.SubElement(ann, 'source'), 'database').text = 'wsl synthetic shapes'
    sz = ET.SubElement(ann, 'size')
    for tag, val in (('width', size), ('height', size), ('depth', 3)):
        ET.SubElement(sz, tag).text = str(val)
    ET.SubElement(ann, 'segmented').text = '1'
    for obj in objects:
        o = ET.SubElement(ann, 'object')
        for tag, val in (('name', obj['name']), ('pose', 'Unspecified'), ('truncated', 0),
                         ('occluded', int(obj['occluded'])), ('difficult', 0)):
            ET.SubElement(o, tag).text = str(val)
        bb = ET.SubElement(o, 'bndbox')
        for tag, val in zip(('xmin', 'ymin', 'xmax', 'ymax'), obj['bndbox']):
            ET.SubElement(bb, tag).text = str(val)
    ET.indent(ann, space='\t')
    return (ET.tostring(ann, encoding='unicode') + '\n').encode('utf-8')


def _render_files(domain: str, split: str, index: int, p: dict) -> tuple:
    """Render one image: its id, its four files {relpath: bytes} and its object records."""
    img_id = image_id(split, index)
    rng = np.random.default_rng([p['seed'], _DOMAIN_KEYS[domain], _SPLIT_KEYS[split], index])
    size = p['image_size']
    lay = sample_layout(rng, size, p['max_objects'])
    img = render_image(rng, domain, size, lay['specs'], lay['covers'])
    cls_map = np.zeros((size, size), dtype=np.uint8)
    obj_map = np.zeros((size, size), dtype=np.uint8)
    objects = []
    for k, (spec, full, vis) in enumerate(zip(lay['specs'], lay['masks'], lay['visible'])):
        cls_map[vis] = spec.label + 1
        obj_map[vis] = k + 1
        ys, xs = np.nonzero(vis)
        objects.append(dict(name=SHAPES_CLASSES[spec.label], occluded=bool((full & ~vis).any()),
                            bndbox=(int(xs.min()) + 1, int(ys.min()) + 1, int(xs.max()) + 1, int(ys.max()) + 1)))
    files = {f'JPEGImages/{img_id}.jpg': _jpeg_bytes(img),
             f'Annotations/{img_id}.xml': _xml_bytes(domain, img_id, size, objects),
             f'SegmentationClass/{img_id}.png': _png_bytes(cls_map),
             f'SegmentationObject/{img_id}.png': _png_bytes(obj_map)}
    return img_id, files, [o['name'] for o in objects]


def _split_ids(p: dict) -> Dict[str, List[str]]:
    return {split: [image_id(split, i) for i in range(p[f'num_{split}'])] for split in _SPLIT_KEYS}


def _list_files(p: dict, names: Dict[str, List[List[str]]]) -> Dict[str, bytes]:
    """The domain's list files: ImageSets and image_labels, from each split's per-image class names."""
    ids = _split_ids(p)
    files = {}
    for split in ('train', 'test', 'trainval'):
        src = 'train' if split == 'trainval' else split
        body = ''.join(f'{i}\n' for i in ids[src]).encode()
        files[f'ImageSets/Main/{split}.txt'] = body
        files[f'ImageSets/Segmentation/{split}.txt'] = body
        for cls in SHAPES_CLASSES:
            files[f'ImageSets/Main/{cls}_{split}.txt'] = ''.join(
                f'{i} {1 if cls in n else -1:>2d}\n' for i, n in zip(ids[src], names[src])).encode()
    for split in _SPLIT_KEYS:
        files[f'image_labels_{split}.txt'] = ''.join(
            f'{i} {" ".join(c for c in SHAPES_CLASSES if c in n)}\n' for i, n in zip(ids[split], names[split])
        ).encode()
    return files


def _expected_paths(p: dict) -> List[str]:
    """Every file the generator writes for one domain (relative paths, sorted)."""
    paths = []
    for ids in _split_ids(p).values():
        for i in ids:
            paths += [f'JPEGImages/{i}.jpg', f'Annotations/{i}.xml', f'SegmentationClass/{i}.png',
                      f'SegmentationObject/{i}.png']
    dummy = {s: [[] for _ in ids] for s, ids in _split_ids(p).items()}
    return sorted(paths + list(_list_files(p, dummy)))


def _fingerprint(digests: Dict[str, str]) -> str:
    h = hashlib.sha256()
    for rel in sorted(digests):
        h.update(f'{rel}\0{digests[rel]}\n'.encode())
    return h.hexdigest()


def _disk_fingerprint(root: str, p: dict) -> str:
    """Fingerprint of the files on disk, or '' when one is missing."""
    digests = {}
    for rel in _expected_paths(p):
        path = osp.join(root, rel)
        if not osp.isfile(path):
            return ''
        with open(path, 'rb') as f:
            digests[rel] = hashlib.sha256(f.read()).hexdigest()
    return _fingerprint(digests)


def _write_meta(path: str, meta: dict) -> None:
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def _check_args(num_train, num_test, image_size, max_objects, seed, domains) -> tuple:
    for name, val, lo, hi in (('num_train', num_train, 0, TEST_ID_OFFSET - 1),
                              ('num_test', num_test, 0, TEST_ID_OFFSET - 1),
                              ('image_size', image_size, 64, 1024), ('max_objects', max_objects, 1, 8),
                              ('seed', seed, 0, 2 ** 63 - 1)):
        if isinstance(val, bool) or not isinstance(val, (int, np.integer)) or not lo <= val <= hi:
            raise ValueError(f'make_shapes_dataset: {name} must be an integer in [{lo}, {hi}], got {val!r}')
    if num_train + num_test == 0:
        raise ValueError('make_shapes_dataset: num_train + num_test must be positive, got 0 images')
    if isinstance(domains, str) or not domains or any(d not in _DOMAIN_KEYS for d in domains) \
            or len(set(domains)) != len(domains):
        raise ValueError(f'make_shapes_dataset: domains must be a non-empty sequence of distinct names from '
                         f'{tuple(_DOMAIN_KEYS)}, got {domains!r}')
    return tuple(d for d in _DOMAIN_KEYS if d in domains)


def make_shapes_dataset(out_dir: str, num_train: int = 200, num_test: int = 100, image_size: int = 128,
                        max_objects: int = 3, seed: int = 0, domains: Sequence[str] = ('source', 'target'),
                        overwrite: bool = False) -> dict:
    """Write the shapes dataset under ``out_dir/<domain>/`` in VOC layout (see the module docstring).

    Deterministic: the same arguments give byte-identical files on one platform (across CPUs, image
    pixels may differ by a rounding step where numpy's vectorised sin/exp differ; the geometry, hence
    masks and boxes, uses only scalar libm trigonometry and + - * /). ``out_dir/shapes_meta.json``
    records the parameters and a per-domain content fingerprint. When it shows a finished dataset made
    with the same parameters whose requested domains still match their fingerprints, the call returns at
    once without writing; a requested domain that is missing is added (the others are left untouched);
    one whose files changed is regenerated with a warning, as is a dataset from an older
    :data:`GENERATOR_VERSION`. A dataset made with other parameters, or domain folders without a record,
    raise ``FileExistsError`` unless ``overwrite=True``, which deletes the ``out_dir/<domain>`` folders
    (old and requested) before writing. Concurrent calls on one ``out_dir`` are not supported.

    Args:
        out_dir (str): dataset root; created if missing.
        num_train, num_test (int): images per split and domain.
        image_size (int): side of the square images in pixels.
        max_objects (int): each image holds 1..max_objects objects (fewer if they cannot be placed).
        seed (int): base seed.
        domains (Sequence[str]): any of 'source', 'target', 'target_mild' (a milder shift, see the module
            docstring); the default leaves 'target_mild' out.
        overwrite (bool): replace an existing dataset made with other parameters.

    Returns:
        dict: ``root`` (absolute out_dir), ``domains`` (list), ``domain_roots`` ({domain: path}, each a
        VOC root), ``classes`` (list), ``counts`` ({domain: {'train', 'test', 'train_objects',
        'test_objects'}}), ``params`` (dict), ``fingerprints`` ({domain: sha256 hex}).
    """
    domains = _check_args(num_train, num_test, image_size, max_objects, seed, domains)
    p = dict(num_train=int(num_train), num_test=int(num_test), image_size=int(image_size),
             max_objects=int(max_objects), seed=int(seed), version=GENERATOR_VERSION)
    root = osp.abspath(out_dir)
    meta_path = osp.join(root, META_FILE)
    meta = None
    if osp.isfile(meta_path):
        try:
            with open(meta_path) as f:
                meta = json.load(f)
            if not isinstance(meta, dict) or not {'params', 'complete', 'domains', 'fingerprints',
                                                  'counts'} <= set(meta):
                raise ValueError('expected a JSON object with params, complete, domains, fingerprints, counts')
        except (OSError, ValueError) as e:
            raise ValueError(f'make_shapes_dataset: cannot read {meta_path} ({e}); delete it or pass '
                             f'another out_dir') from None
    same = meta is not None and meta.get('params') == p
    if meta is not None and not same and isinstance(meta['params'], dict) \
            and dict(meta['params'], version=GENERATOR_VERSION) == p:
        warnings.warn(f'make_shapes_dataset: {root} was made by generator version {meta["params"].get("version")}, '
                      f'this is version {GENERATOR_VERSION}; regenerating it')
        meta, overwrite = dict(meta, params=p, complete=False), True  # our own output: replace it
        same = True
    done = same and bool(meta.get('complete'))  # a finished dataset with these parameters
    # Finished domains whose files still match their fingerprints (unrequested ones are not re-read).
    keep = [d for d in meta['domains'] if d not in domains
            or _disk_fingerprint(osp.join(root, d), p) == meta['fingerprints'][d]] if done else []
    if set(domains) <= set(keep):
        return _manifest(root, domains, p, meta)
    if done and set(meta['domains']) - set(keep):
        warnings.warn(f'make_shapes_dataset: files of {sorted(set(meta["domains"]) - set(keep))} under {root} '
                      f'no longer match {META_FILE}; regenerating them')
    elif not overwrite:
        if meta is not None and not same:
            raise FileExistsError(
                f'make_shapes_dataset: {meta_path} records a dataset made with params {meta.get("params")}, '
                f'not the requested {p}; pass overwrite=True to replace it or choose another out_dir')
        stray = [d for d in domains if osp.exists(osp.join(root, d))]
        if meta is None and stray:
            raise FileExistsError(f'make_shapes_dataset: {root} already holds {stray} but no {META_FILE}; '
                                  f'pass overwrite=True to replace them or choose another out_dir')
    # Everything this generator owns that is not kept (requested, stale or half-written domains) is rewritten.
    owned = set(domains) | (set(meta.get('domains', [])) | set(meta.get('writing', [])) if meta else set())
    for d in sorted(owned - set(keep)):
        if osp.isdir(osp.join(root, d)):
            shutil.rmtree(osp.join(root, d))
    fingerprints = {d: meta['fingerprints'][d] for d in keep}
    counts = {d: meta['counts'][d] for d in keep}
    todo = [d for d in domains if d not in keep]
    os.makedirs(root, exist_ok=True)
    _write_meta(meta_path, dict(params=p, complete=False, domains=keep, writing=todo,
                                fingerprints=fingerprints, counts=counts))
    for d in todo:
        fingerprints[d], counts[d] = _write_domain(osp.join(root, d), d, p)
    all_domains = [d for d in _DOMAIN_KEYS if d in fingerprints]
    meta = dict(params=p, complete=True, domains=all_domains, fingerprints=fingerprints, counts=counts)
    _write_meta(meta_path, meta)
    return _manifest(root, domains, p, meta)


def _write_domain(droot: str, domain: str, p: dict) -> tuple:
    digests = {}

    def put(rel: str, data: bytes) -> None:
        path = osp.join(droot, rel)
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(data)
        digests[rel] = hashlib.sha256(data).hexdigest()

    names = {}
    for split in _SPLIT_KEYS:
        names[split] = []
        for index in range(p[f'num_{split}']):
            _, files, obj_names = _render_files(domain, split, index, p)
            for rel, data in files.items():
                put(rel, data)
            names[split].append(obj_names)
    for rel, data in _list_files(p, names).items():
        put(rel, data)
    counts = {split: len(names[split]) for split in _SPLIT_KEYS}
    counts.update({f'{split}_objects': sum(map(len, names[split])) for split in _SPLIT_KEYS})
    return _fingerprint(digests), counts


def _manifest(root: str, domains: Sequence[str], p: dict, meta: dict) -> dict:
    return dict(root=root, domains=list(domains), domain_roots={d: osp.join(root, d) for d in domains},
                classes=list(SHAPES_CLASSES), counts={d: dict(meta['counts'][d]) for d in domains},
                params=dict(p), fingerprints={d: meta['fingerprints'][d] for d in domains})


def load_voc_instances(voc_root: str, img_id: str, classes: Sequence[str] = SHAPES_CLASSES) -> dict:
    """Read one image's instances (XML boxes and SegmentationObject masks) from a VOC root.

    Instance k of ``SegmentationObject/<id>.png`` (value k, 1-based) is the k-th ``<object>`` of the
    XML, as in Pascal VOC; 0 is background and 255 (VOC's boundary/ignore value) belongs to no mask.

    Args:
        voc_root (str): folder holding ``Annotations/`` and ``SegmentationObject/``.
        img_id (str): image id, e.g. '000000'.
        classes (Sequence[str]): class names; labels index into it.

    Returns:
        dict: ``boxes`` (N, 4) float32 as (x1, y1, x2, y2), 0-based inclusive pixel indices (VOC's
        1-based values minus one, as MMDetection's XMLDataset reads them); ``labels`` (N,) int64;
        ``masks`` (N, H, W) bool; ``names`` (list of str); ``height``, ``width`` (int).
    """
    xml_path = osp.join(voc_root, 'Annotations', f'{img_id}.xml')
    png_path = osp.join(voc_root, 'SegmentationObject', f'{img_id}.png')
    for path in (xml_path, png_path):
        if not osp.isfile(path):
            raise FileNotFoundError(f'load_voc_instances: {path} does not exist (voc_root={voc_root!r}, '
                                    f'img_id={img_id!r})')
    try:
        ann = ET.parse(xml_path).getroot()
        height, width = int(ann.find('size/height').text), int(ann.find('size/width').text)
    except (ET.ParseError, AttributeError, TypeError, ValueError) as e:
        raise ValueError(f'load_voc_instances: {xml_path} is not a VOC annotation with <size><width>'
                         f'<height> ({e})') from None
    names, boxes = [], []
    for k, obj in enumerate(ann.findall('object')):
        name = obj.findtext('name')
        if name not in classes:
            raise ValueError(f'load_voc_instances: {xml_path} object {k} has <name> {name!r}, '
                             f'expected one of {tuple(classes)}')
        try:
            boxes.append([float(obj.findtext(f'bndbox/{t}')) - 1 for t in ('xmin', 'ymin', 'xmax', 'ymax')])
        except (TypeError, ValueError):
            raise ValueError(f'load_voc_instances: {xml_path} object {k} lacks a numeric '
                             f'<bndbox><xmin><ymin><xmax><ymax>') from None
        names.append(name)
    with Image.open(png_path) as im:
        if im.mode not in ('P', 'L'):
            raise ValueError(f'load_voc_instances: {png_path} has mode {im.mode!r}, expected a palette PNG')
        inst = np.asarray(im)
    if inst.shape != (height, width):
        raise ValueError(f'load_voc_instances: {png_path} is {inst.shape[1]}x{inst.shape[0]}, but {xml_path} '
                         f'says {width}x{height}')
    bad = sorted(set(np.unique(inst).tolist()) - set(range(len(names) + 1)) - {255})
    if bad:
        raise ValueError(f'load_voc_instances: {png_path} holds instance values {bad}, but {xml_path} has '
                         f'only {len(names)} objects')
    return dict(boxes=np.asarray(boxes, dtype=np.float32).reshape(-1, 4),
                labels=np.asarray([list(classes).index(n) for n in names], dtype=np.int64),
                masks=inst[None] == np.arange(1, len(names) + 1, dtype=inst.dtype)[:, None, None],
                names=names, height=height, width=width)
