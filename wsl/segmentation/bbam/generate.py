"""BBAM generation over a dataset: resumable, shardable, one NPZ per image written atomically.

Output (consumed by the post-processing in ``wsl.segmentation.pseudo_masks``): ``<out>/maps/<img_id>.npz`` with

* ``img_id`` (0-d str), ``img_path`` (0-d str, absolute), ``ori_shape`` (2,) int64 (H, W);
* ``boxes`` (N, 4) float32 GT boxes (x1, y1, x2, y2) in original pixels as mmdet loads them;
* ``labels`` (N,) int64 0-based dataset classes;
* ``maps`` (N, H, W) float16 BBAMs in [0, 1] at the original resolution (low-res mask → bilinear,
  align_corners=True, to the un-padded network input → bilinear to H×W);
* ``num_positives`` (N,) int64 (0: no positive proposal, the map is all zeros); ``strides`` (N,) float32;

plus ``<out>/maps/meta.json`` (``classes``, ``config``, ``checkpoint``, ``bbam``). Images with no GT box get N = 0
arrays. An image whose NPZ exists is skipped, so rerunning a command resumes it; shard ``I/N`` takes the images
whose dataset index is ≡ I (mod N).
"""
import json
import os
import os.path as osp
import time
import warnings
import zlib
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from .optimizer import BBAMObject, BBAMOptimizer, map_to_original

NPZ_KEYS = ('img_id', 'img_path', 'ori_shape', 'boxes', 'labels', 'maps', 'num_positives', 'strides')
# Keys of the config's ``bbam`` section that are not BBAMOptimizer arguments.
_RUN_KEYS = ('seed', 'keep_ignored')
_OPT_KEYS = ('loss', 'sampler', 'stride_mode', 'stride_base', 'stride_scale', 'fixed_stride', 'lr', 'num_steps',
             'strategy', 'max_batch_objects', 'roi_chunk_size')


def build_bbam_optimizer(detector: nn.Module, bbam_cfg: dict) -> BBAMOptimizer:
    """A :class:`BBAMOptimizer` from a config's ``bbam`` section (unknown keys raise, naming the allowed ones)."""
    unknown = sorted(set(bbam_cfg) - set(_OPT_KEYS) - set(_RUN_KEYS))
    if unknown:
        raise KeyError(f'bbam config: unknown keys {unknown}; allowed: {sorted(_OPT_KEYS + _RUN_KEYS)}')
    kwargs = {k: (dict(v) if isinstance(v, dict) else v) for k, v in bbam_cfg.items() if k in _OPT_KEYS}
    return BBAMOptimizer(detector, **kwargs)


def image_seed(seed: int, img_id: str) -> int:
    """Seed of an image's jitters: independent of the dataset order, the shard and the strategy."""
    return (int(seed) * 1_000_003 + zlib.crc32(str(img_id).encode('utf-8'))) % (2**63 - 1)


def shard_indices(num: int, shard: Tuple[int, int] = (0, 1)) -> List[int]:
    """Dataset indices of shard ``(i, n)``: every n-th index starting at i."""
    i, n = int(shard[0]), int(shard[1])
    if n < 1 or not 0 <= i < n:
        raise ValueError(f'shard must be I/N with 0 <= I < N, got {i}/{n}')
    return list(range(i, num, n))


def parse_shard(text: str) -> Tuple[int, int]:
    """'I/N' -> (I, N) with a clear error."""
    try:
        i, n = (int(v) for v in str(text).split('/'))
    except ValueError:
        raise ValueError(f"--shard must look like I/N (e.g. 0/4), got {text!r}") from None
    shard_indices(0, (i, n))
    return i, n


# ------------------------------------------------------------------------------------------------------ NPZ I/O
def npz_path(maps_dir: str, img_id: str) -> str:
    img_id = str(img_id)
    if not img_id or '/' in img_id or '\\' in img_id or img_id.startswith('.'):
        raise ValueError(f'image id {img_id!r} cannot be used as a file name')
    return osp.join(maps_dir, f'{img_id}.npz')


def _tmp_path(maps_dir: str, img_id: str) -> str:
    return osp.join(maps_dir, f'.{img_id}.tmp.npz')


def save_bbam_npz(maps_dir: str, record: Dict[str, np.ndarray]) -> str:
    """Write one image's record atomically (temporary file, then ``os.replace``); returns the final path."""
    missing = [k for k in NPZ_KEYS if k not in record]
    if missing:
        raise KeyError(f'save_bbam_npz: record lacks {missing}')
    final = npz_path(maps_dir, str(record['img_id']))
    tmp = _tmp_path(maps_dir, str(record['img_id']))
    np.savez_compressed(tmp, **{k: record[k] for k in NPZ_KEYS})
    os.replace(tmp, final)
    return final


def load_bbam_npz(path: str) -> Dict[str, np.ndarray]:
    """Read a BBAM NPZ back (``img_id``/``img_path`` as str); raises naming the file when a key is missing."""
    with np.load(path, allow_pickle=False) as z:
        missing = [k for k in NPZ_KEYS if k not in z.files]
        if missing:
            raise KeyError(f'{path}: not a BBAM map file, missing keys {missing}')
        out = {k: z[k] for k in NPZ_KEYS}
    out['img_id'], out['img_path'] = str(out['img_id']), str(out['img_path'])
    return out


def make_record(img_id: str, img_path: str, ori_shape: Sequence[int], boxes: np.ndarray, labels: np.ndarray,
                maps: np.ndarray, num_positives: np.ndarray, strides: np.ndarray) -> Dict[str, np.ndarray]:
    """The NPZ record with the interface dtypes and shapes."""
    h, w = int(ori_shape[0]), int(ori_shape[1])
    n = len(labels)
    return dict(img_id=np.array(str(img_id)), img_path=np.array(osp.abspath(str(img_path))),
                ori_shape=np.array([h, w], dtype=np.int64),
                boxes=np.asarray(boxes, dtype=np.float32).reshape(n, 4),
                labels=np.asarray(labels, dtype=np.int64).reshape(n),
                maps=np.asarray(maps, dtype=np.float16).reshape(n, h, w),
                num_positives=np.asarray(num_positives, dtype=np.int64).reshape(n),
                strides=np.asarray(strides, dtype=np.float32).reshape(n))


def write_meta(maps_dir: str, meta: dict) -> None:
    """Write ``meta.json``, or check an existing one (classes and checkpoint must match; other fields warn)."""
    path = osp.join(maps_dir, 'meta.json')
    meta = json.loads(json.dumps(meta))  # tuples -> lists, as they read back
    if osp.isfile(path):
        with open(path) as f:
            old = json.load(f)
        for key in ('classes', 'checkpoint'):
            if old.get(key) != meta.get(key):
                raise ValueError(f'{path}: {key} is {old.get(key)!r} but this run has {meta.get(key)!r}; '
                                 f'use another --out folder (maps of different runs must not mix)')
        if old != meta:
            warnings.warn(f'{path}: config/bbam settings differ from the run that created the folder; keeping it')
        return
    tmp = path + f'.tmp{os.getpid()}'
    with open(tmp, 'w') as f:
        json.dump(meta, f, indent=1)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------- dataset access
def gt_of(data_info: dict, keep_ignored: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """(boxes (N, 4) float32, labels (N,) int64) of a data info in original pixels, in annotation order.

    ``keep_ignored`` keeps instances flagged ``ignore_flag`` (VOC 'difficult': the code keeps them; COCO crowd
    regions are no instances, drop them there).
    """
    inst = [i for i in data_info.get('instances', []) if keep_ignored or not i.get('ignore_flag', 0)]
    boxes = np.asarray([i['bbox'] for i in inst], dtype=np.float32).reshape(-1, 4)
    labels = np.asarray([i['bbox_label'] for i in inst], dtype=np.int64)
    return boxes, labels


def scale_boxes(boxes: np.ndarray, scale_factor: Sequence[float], img_shape: Sequence[int]) -> np.ndarray:
    """Original boxes to the network input as mmdet's Resize does: × (w_scale, h_scale), clipped to the image."""
    sw, sh = float(scale_factor[0]), float(scale_factor[1])
    out = boxes.astype(np.float64) * np.array([sw, sh, sw, sh])
    out[:, 0::2] = out[:, 0::2].clip(0, img_shape[1])
    out[:, 1::2] = out[:, 1::2].clip(0, img_shape[0])
    return out.astype(np.float32)


def plan_batches(counts: Sequence[int], strategy: str, max_batch_objects: int) -> List[List[int]]:
    """Group consecutive images (positions into ``counts``) into forward batches.

    'per_object': one image per batch. 'batched': consecutive images while their objects fit in
    ``max_batch_objects`` copies (an image with more objects forms a batch of its own).
    """
    if strategy == 'per_object':
        return [[k] for k in range(len(counts))]
    batches, cur, total = [], [], 0
    for k, c in enumerate(counts):
        if cur and total + c > max_batch_objects:
            batches.append(cur)
            cur, total = [], 0
        cur.append(k)
        total += c
    if cur:
        batches.append(cur)
    return batches


def run_bbam_batch(optimizer: BBAMOptimizer, dataset, indices: Sequence[int], seed: int = 0,
                   keep_ignored: bool = True) -> List[Tuple[Dict[str, np.ndarray], List[BBAMObject]]]:
    """Load, preprocess and optimise a batch of dataset images; return their NPZ records and objects.

    Args:
        optimizer (BBAMOptimizer): holds the detector (its ``data_preprocessor`` normalises and pads).
        dataset: an mmdet dataset in test mode whose pipeline resizes and packs the image.
        indices (Sequence[int]): dataset indices (images with no box are fine).
        seed (int): jitter seed (combined with each image id).
        keep_ignored (bool): see :func:`gt_of`.

    Returns:
        list: per image, (record, objects).
    """
    detector = optimizer.detector
    items = [dataset[i] for i in indices]
    infos = [dataset.get_data_info(i) for i in indices]
    data = detector.data_preprocessor(dict(inputs=[it['inputs'] for it in items],
                                           data_samples=[it['data_samples'] for it in items]), False)
    inputs = data['inputs']
    samples = data['data_samples']
    img_shapes = [tuple(int(v) for v in s.metainfo['img_shape'][:2]) for s in samples]
    ori_boxes, labels, in_boxes, gens = [], [], [], []
    for info, s, shape in zip(infos, samples, img_shapes):
        b, lab = gt_of(info, keep_ignored)
        ori_boxes.append(b)
        labels.append(lab)
        in_boxes.append(torch.from_numpy(scale_boxes(b, s.metainfo['scale_factor'], shape)).to(inputs.device))
        gens.append(torch.Generator().manual_seed(image_seed(seed, str(s.metainfo['img_id']))))
    per_image = optimizer.run(inputs, img_shapes, in_boxes, [torch.from_numpy(lab) for lab in labels], gens)
    out = []
    for k, (s, objs) in enumerate(zip(samples, per_image)):
        ori = tuple(int(v) for v in s.metainfo['ori_shape'][:2])
        maps = np.stack([map_to_original(o.mask, img_shapes[k], ori).cpu().numpy() for o in objs]) if objs else \
            np.zeros((0, *ori), np.float32)
        rec = make_record(s.metainfo['img_id'], s.metainfo['img_path'], ori, ori_boxes[k], labels[k], maps,
                          [o.num_positives for o in objs], [o.stride for o in objs])
        out.append((rec, objs))
    return out


def iter_bbam(optimizer: BBAMOptimizer, dataset, indices: Sequence[int], seed: int = 0, keep_ignored: bool = True
              ) -> Iterator[Tuple[Dict[str, np.ndarray], List[BBAMObject]]]:
    """Yield (record, objects) for every image of ``indices``, batched as the optimiser's strategy says."""
    counts = [len(gt_of(dataset.get_data_info(i), keep_ignored)[1]) for i in indices]
    for batch in plan_batches(counts, optimizer.strategy, optimizer.max_batch_objects):
        yield from run_bbam_batch(optimizer, dataset, [indices[k] for k in batch], seed, keep_ignored)


def generate_bbam_maps(optimizer: BBAMOptimizer, dataset, out_dir: str, shard: Tuple[int, int] = (0, 1),
                       limit: Optional[int] = None, seed: int = 0, keep_ignored: bool = True,
                       meta: Optional[dict] = None, progress: bool = True,
                       stop_after: Optional[int] = None) -> dict:
    """Generate and save the BBAMs of one shard of ``dataset``; skip the images already saved.

    Args:
        optimizer (BBAMOptimizer): the configured optimiser (detector inside).
        dataset: an mmdet dataset in test mode (the config's ``bbam_dataset``).
        out_dir (str): output folder; maps go to ``out_dir/maps``.
        shard (tuple): (I, N).
        limit (int | None): only the first ``limit`` images of the shard.
        seed (int): jitter seed.
        keep_ignored (bool): keep ``ignore_flag`` boxes (VOC difficult).
        meta (dict | None): written to ``meta.json`` (``classes`` is filled from the dataset when absent).
        progress (bool): show a tqdm bar.
        stop_after (int | None): return after this many newly written images (to test interruptions).

    Returns:
        dict: ``images_done``, ``images_skipped``, ``images_in_shard``, ``objects``, ``objects_no_positive``,
        ``seconds``, ``maps_dir``.
    """
    from tqdm import tqdm

    maps_dir = osp.join(out_dir, 'maps')
    os.makedirs(maps_dir, exist_ok=True)
    meta = dict(meta or {})
    meta.setdefault('classes', list(dataset.metainfo.get('classes', ())))
    write_meta(maps_dir, meta)
    indices = shard_indices(len(dataset), shard)
    if limit is not None:
        indices = indices[:max(0, int(limit))]
    todo = []
    for i in indices:
        img_id = str(dataset.get_data_info(i)['img_id'])
        if osp.isfile(npz_path(maps_dir, img_id)):
            continue
        stale = _tmp_path(maps_dir, img_id)  # left by a run killed while writing; this shard owns the image
        if osp.isfile(stale):
            os.remove(stale)
        todo.append(i)
    skipped = len(indices) - len(todo)
    done = objects = no_pos = 0
    t0 = time.perf_counter()
    bar = tqdm(total=len(todo), desc='BBAM', unit='img', disable=not progress, dynamic_ncols=True)
    try:
        for rec, objs in iter_bbam(optimizer, dataset, todo, seed, keep_ignored):
            save_bbam_npz(maps_dir, rec)
            done += 1
            objects += len(objs)
            no_pos += sum(o.num_positives == 0 for o in objs)
            bar.update(1)
            bar.set_postfix(objects=objects)
            if stop_after is not None and done >= stop_after:
                break
    finally:
        bar.close()
    return dict(images_done=done, images_skipped=skipped, images_in_shard=len(indices), objects=objects,
                objects_no_positive=no_pos, seconds=time.perf_counter() - t0, maps_dir=maps_dir)


# ------------------------------------------------------------------------------------------------ from a config
def build_from_config(cfg, checkpoint: Optional[str], device: str = 'cpu') -> Tuple[BBAMOptimizer, object]:
    """The optimiser (detector loaded from ``checkpoint``, frozen, on ``device``) and the ``bbam_dataset``.

    Args:
        cfg (mmengine.Config): a BBAM config (``model``, ``bbam``, ``bbam_dataset``).
        checkpoint (str | None): detector weights (a local .pth); None keeps the built weights (tests only).
        device (str): 'cpu', 'cuda', 'cuda:1', ...

    Returns:
        tuple: (optimizer, dataset).
    """
    from mmengine.registry import DefaultScope
    from mmengine.runner import load_checkpoint

    from wsl.registry import DATASETS, MODELS
    from wsl.utils import register_all_modules

    if checkpoint is not None and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'detector checkpoint {checkpoint!r} not found')
    for key in ('model', 'bbam', 'bbam_dataset'):
        if key not in cfg:
            raise KeyError(f"config {getattr(cfg, 'filename', '')!r} has no '{key}' section; BBAM configs define "
                           'model (the detector), bbam (hyper-parameters) and bbam_dataset (the images to label)')
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'wsl')):
        detector = MODELS.build(cfg.model)
        dataset = DATASETS.build(cfg.bbam_dataset)
    if checkpoint is not None:
        load_checkpoint(detector, checkpoint, map_location='cpu', strict=True, logger='silent')
    detector.to(device)
    return build_bbam_optimizer(detector, cfg.bbam), dataset
