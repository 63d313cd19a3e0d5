"""BBAM's downstream step on the synthetic shapes data: train segmentation networks on pseudo labels, test them on
the exact masks (what ``wsl bench bbam`` reports after the pseudo-label numbers).

* :func:`write_label_dir` writes a pseudo-label folder in the layout of ``tools/bbam_make_labels.py``
  (``instances_strict.json``, ``instances_loose.json``, ``SegmentationClassBBAM/<id>.png``) from any
  ``(image, boxes, labels, gt_masks) -> (strict, loose)`` function — e.g. the filled-box baseline
  (:data:`LABEL_SOURCES` ``'box'``), the exact masks (``'gt'``, the upper bound) or exact masks with an ignore band
  (``'gt-band'``).
* :func:`train_downstream_shapes` trains the shapes DeepLab-v2 (semantic, balanced CE on the PNGs) and optionally
  the shapes Mask R-CNN (instance, seed growing on strict + loose) on such a folder and returns their test
  metrics against the exact SOURCE test masks: ``semantic/mIoU`` and ``instance/AP``, ``AP25`` ... ``ABO``.
"""
import os
import os.path as osp
import time
from typing import Callable, Dict, Optional, Sequence

import numpy as np

SEMANTIC_CONFIG = 'bbam/bbam-deeplab_r18-d8_1xb8-600it_shapes.py'
INSTANCE_CONFIG = 'bbam/bbam-maskrcnn_r18_fpn_1xb8-600it_shapes.py'
LABEL_DIR = 'SegmentationClassBBAM'


def _box_labels(image, boxes, labels, gt_masks):
    from wsl.segmentation.pseudo_masks import filled_box_masks
    m = filled_box_masks(boxes, image.shape[:2])
    return m, m.copy()


def _gt_labels(image, boxes, labels, gt_masks):
    return gt_masks.copy(), gt_masks.copy()


def _gt_band_labels(image, boxes, labels, gt_masks):
    from scipy import ndimage
    strict = np.stack([ndimage.binary_erosion(m, iterations=2) for m in gt_masks]) if len(gt_masks) else gt_masks
    loose = np.stack([ndimage.binary_dilation(m, iterations=3) for m in gt_masks]) if len(gt_masks) else gt_masks
    return strict, loose


# box: filled boxes (strict = loose); gt: exact masks (the upper bound); gt-band: exact masks eroded by 2 px (strict)
# and dilated by 3 px (loose), an oracle with an ignore band for exercising the seed-growing loss.
LABEL_SOURCES: Dict[str, Callable] = {'box': _box_labels, 'gt': _gt_labels, 'gt-band': _gt_band_labels}


def resolve_voc_root(data_root: str) -> str:
    """The VOC-layout folder of the shapes SOURCE domain: ``data_root`` itself or ``data_root/source``."""
    for cand in (data_root, osp.join(data_root, 'source')):
        if osp.isdir(osp.join(cand, 'JPEGImages')) and osp.isdir(osp.join(cand, 'SegmentationObject')):
            return osp.abspath(cand)
    raise FileNotFoundError(f'downstream: neither {data_root!r} nor {osp.join(data_root, "source")!r} is a VOC-layout '
                            f'shapes domain (JPEGImages/ and SegmentationObject/); generate it with '
                            f'`wsl data shapes --out {data_root}`')


def write_label_dir(voc_root: str, img_ids: Sequence[str], out_dir: str, mask_fn, classes: Sequence[str]) -> dict:
    """Pseudo labels of some images of a VOC-layout root, in the ``tools/bbam_make_labels.py`` layout.

    Args:
        voc_root (str): folder with ``JPEGImages``, ``Annotations``, ``SegmentationObject``.
        img_ids (Sequence[str]): images to label.
        out_dir (str): output folder (created).
        mask_fn (str | Callable): a :data:`LABEL_SOURCES` key or ``(image (H, W, 3) uint8 RGB, boxes (N, 4)
            (x1, y1, x2, y2) 0-based inclusive, labels (N,), gt_masks (N, H, W) bool) -> (strict, loose)``, each
            (N, H, W) bool.
        classes (Sequence[str]): class names (label = index).

    Returns:
        dict: ``out_dir``, ``images``, ``instances``.
    """
    from PIL import Image

    from wsl.datasets.synthetic.shapes import load_voc_instances
    from wsl.segmentation.pseudo_masks import instances_to_coco, save_label_png, semantic_label_map, write_json
    if isinstance(mask_fn, str):
        if mask_fn not in LABEL_SOURCES:
            raise KeyError(f'write_label_dir: unknown label source {mask_fn!r}, expected one of '
                           f'{sorted(LABEL_SOURCES)}')
        mask_fn = LABEL_SOURCES[mask_fn]
    records = []
    for img_id in img_ids:
        inst = load_voc_instances(voc_root, img_id, classes)
        with Image.open(osp.join(voc_root, 'JPEGImages', f'{img_id}.jpg')) as im:
            image = np.asarray(im.convert('RGB'))
        strict, loose = (np.asarray(m, dtype=bool) for m in mask_fn(image, inst['boxes'], inst['labels'],
                                                                       inst['masks']))
        save_label_png(semantic_label_map(strict, loose, inst['boxes'], inst['labels']),
                       osp.join(out_dir, LABEL_DIR, f'{img_id}.png'))
        records.append(dict(img_id=img_id, file_name=f'{img_id}.jpg', height=inst['height'], width=inst['width'],
                            boxes=inst['boxes'], labels=inst['labels'], strict=strict, loose=loose))
    for key in ('strict', 'loose'):
        write_json(instances_to_coco(records, classes, key), osp.join(out_dir, f'instances_{key}.json'))
    return dict(out_dir=osp.abspath(out_dir), images=len(records), instances=int(sum(len(r['labels'])
                                                                                    for r in records)))


def _label_ids(labels_dir: str) -> list:
    """Image ids that have both a strict-JSON entry and a class PNG in a labels folder."""
    import json
    paths = [osp.join(labels_dir, f) for f in ('instances_strict.json', 'instances_loose.json', LABEL_DIR)]
    missing = [p for p in paths if not osp.exists(p)]
    if missing:
        raise FileNotFoundError(f'downstream: {missing} missing; expected the output folder of '
                                f'tools/bbam_make_labels.py (or write_label_dir)')
    with open(paths[0]) as f:
        names = [osp.splitext(img['file_name'])[0] for img in json.load(f)['images']]
    ids = sorted(n for n in names if osp.isfile(osp.join(paths[2], f'{n}.png')))
    if not ids:
        raise ValueError(f'downstream: no image of {paths[0]} has a class map in {paths[2]}')
    return ids


def _schedule(cfg, iters: int, seed: int, work_dir: str, batch_size: int) -> None:
    """Scale the iteration schedule to ``iters``, evaluate only at the end (test), run in this process."""
    old = cfg.train_cfg.max_iters
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters + 1
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    for sch in cfg.param_scheduler:
        if sch.get('type') == 'MultiStepLR':
            sch.milestones = [max(1, int(round(m * iters / old))) for m in sch.milestones]
        if sch.get('end') == old:
            sch.end = iters
        elif sch.get('end', 0) > iters // 5:  # warm-up: at most a fifth of the run
            sch.end = max(1, iters // 10)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=iters, by_epoch=False, max_keep_ckpts=1)
    cfg.default_hooks.logger.interval = max(1, iters // 5)
    cfg.default_hooks.pop('visualization', None)
    cfg.train_dataloader.batch_size = batch_size
    for key in ('train_dataloader', 'test_dataloader'):
        cfg[key].num_workers = 0
        cfg[key].persistent_workers = False
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.launcher = 'none'
    cfg.log_level = 'WARNING'


def _run(cfg, desc: str, progress: bool) -> tuple:
    """Train, then test; a model with a test-time CRF (``MSCEncoderDecoder.test_crf``) is tested a second time
    without it, those metrics prefixed ``no_crf/``. Returns (metrics, training seconds)."""
    from mmengine.model import is_model_wrapper

    from wsl.engine import ProgressBarHook, build_runner
    runner = build_runner(cfg, extra_hooks=[ProgressBarHook(desc=desc)] if progress else [])
    t0 = time.perf_counter()
    runner.train()
    train_s = time.perf_counter() - t0
    metrics = {k: float(v) for k, v in (runner.test() or {}).items()}
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    if getattr(model, 'test_crf', None) is not None:
        crf, model.test_crf = model.test_crf, None
        metrics.update({f'no_crf/{k}': float(v) for k, v in (runner.test() or {}).items()})
        model.test_crf = crf
    return metrics, train_s


def semantic_config(labels_dir: str, voc_root: str, train_ids_file: str, config: Optional[str] = None):
    """The shapes DeepLab config (``config``, default :data:`SEMANTIC_CONFIG`) pointed at a labels folder (train)
    and the exact test class maps (test)."""
    from mmengine.config import Config

    from wsl.utils import find_config
    cfg = Config.fromfile(find_config(config or SEMANTIC_CONFIG))
    train = cfg.train_dataloader.dataset
    train.data_root = ''
    train.ann_file = osp.abspath(train_ids_file)
    train.data_prefix = dict(img_path=osp.join(voc_root, 'JPEGImages'),
                             seg_map_path=osp.join(osp.abspath(labels_dir), LABEL_DIR))
    test = cfg.test_dataloader.dataset
    test.data_root = ''
    test.ann_file = osp.join(voc_root, 'ImageSets', 'Segmentation', 'test.txt')
    test.data_prefix = dict(img_path=osp.join(voc_root, 'JPEGImages'),
                            seg_map_path=osp.join(voc_root, 'SegmentationClass'))
    return cfg


def instance_config(labels_dir: str, voc_root: str, test_json: str):
    """The shapes Mask R-CNN config pointed at a labels folder (train) and the exact test masks (test)."""
    from mmengine.config import Config

    from wsl.utils import find_config
    cfg = Config.fromfile(find_config(INSTANCE_CONFIG))
    train = cfg.train_dataloader.dataset
    train.data_root = ''
    train.ann_file = osp.join(osp.abspath(labels_dir), 'instances_strict.json')
    train.loose_ann_file = osp.join(osp.abspath(labels_dir), 'instances_loose.json')
    train.data_prefix = dict(img=osp.join(voc_root, 'JPEGImages') + '/')
    test = cfg.test_dataloader.dataset
    test.data_root = ''
    test.ann_file = osp.abspath(test_json)
    test.data_prefix = dict(img=osp.join(voc_root, 'JPEGImages') + '/')
    return cfg


def train_downstream_shapes(labels_dir: str, data_root: str, out: str, iters: int = 600, seed: int = 0,
                            instance: bool = True, semantic: bool = True, batch_size: int = 8,
                            instance_iters: Optional[int] = None, progress: bool = False,
                            semantic_config_name: Optional[str] = None) -> dict:
    """Train the shapes segmentation networks on pseudo labels and test them on the exact SOURCE test masks.

    Args:
        labels_dir (str): pseudo labels of (some of) the SOURCE train images: ``instances_strict.json``,
            ``instances_loose.json``, ``SegmentationClassBBAM/<id>.png`` (``tools/bbam_make_labels.py`` or
            :func:`write_label_dir`).
        data_root (str): the shapes dataset root (holding ``source/``) or its ``source/`` VOC folder; its
            ``ImageSets/Segmentation/test.txt`` images are the test set.
        out (str): work folder (checkpoints, logs, the test ground truth as COCO JSON).
        iters (int): training iterations of the semantic network (the config's 600-iteration schedule scaled).
        seed (int): random seed.
        instance (bool): also train and test the Mask R-CNN.
        semantic (bool): train and test the DeepLab-v2.
        batch_size (int): images per iteration (both networks).
        instance_iters (int, optional): Mask R-CNN iterations (default ``iters``).
        progress (bool): show progress bars.
        semantic_config_name (str, optional): the DeepLab config (default :data:`SEMANTIC_CONFIG`; e.g.
            ``bbam/bbam-deeplab_r18-d8_1xb8-600it_shapes_msc-crf.py`` for MSC + test-time CRF).

    Returns:
        dict: flat; ``semantic/mIoU``, ``semantic/aAcc`` and ``semantic/IoU_<class>`` (fractions) when
        ``semantic`` (with a test-time CRF, the same without it as ``semantic_no_crf/*``); ``instance/AP``,
        ``instance/AP25``, ``AP50``, ``AP70``, ``AP75``, ``ABO``, ``MABO`` when
        ``instance``; ``train_images``, ``test_images``, ``iters``, ``*_train_seconds``.
    """
    from wsl.datasets.synthetic.shapes import SHAPES_CLASSES
    from wsl.segmentation.datasets import read_split, write_voc_instances_coco
    from wsl.utils import register_all_modules
    if iters < 1 or (instance_iters is not None and instance_iters < 1):
        raise ValueError(f'train_downstream_shapes: iters must be >= 1, got {iters} / {instance_iters}')
    if not (instance or semantic):
        raise ValueError('train_downstream_shapes: nothing to train (instance=False and semantic=False)')
    register_all_modules()
    voc_root = resolve_voc_root(data_root)
    ids = _label_ids(labels_dir)
    os.makedirs(out, exist_ok=True)
    result = dict(train_images=len(ids), test_images=len(read_split(voc_root, 'test')), iters=int(iters))
    if semantic:
        ids_file = osp.join(out, 'train_ids.txt')
        with open(ids_file, 'w') as f:
            f.write('\n'.join(ids) + '\n')
        cfg = semantic_config(labels_dir, voc_root, ids_file, semantic_config_name)
        _schedule(cfg, iters, seed, osp.join(out, 'semantic'), batch_size)
        metrics, secs = _run(cfg, 'deeplab', progress)
        result.update({k.replace('no_crf/semseg/', 'semantic_no_crf/').replace('semseg/', 'semantic/'): v
                       for k, v in metrics.items()})
        result['semantic_train_seconds'] = round(secs, 1)
    if instance:
        test_json = osp.join(out, 'instances_test_gt.json')
        write_voc_instances_coco(voc_root, 'test', test_json, SHAPES_CLASSES)
        cfg = instance_config(labels_dir, voc_root, test_json)
        n = int(instance_iters or iters)
        _schedule(cfg, n, seed, osp.join(out, 'instance'), batch_size)
        metrics, secs = _run(cfg, 'mask-rcnn', progress)
        result.update({k.replace('mask/', 'instance/'): v for k, v in metrics.items()})
        result['instance_iters'] = n
        result['instance_train_seconds'] = round(secs, 1)
    return result
