"""Turn a folder of per-image BBAM maps into pseudo labels (the driver behind ``tools/bbam_make_labels.py``).

Per image: read the maps (:mod:`.bbam_maps`), make strict/loose masks (``method='bbam'``: :mod:`.postprocess`;
``'box'`` / ``'grabcut'``: the :mod:`.baselines`, strict = loose), optionally refine them with proposals
(:mod:`.mcg`: public MCG ``.mat`` files or the built-in superpixel hierarchy), write the semantic class map
``OUT/SegmentationClassBBAM/<id>.png`` (from the unrefined masks, as the official ``create_semantic_labels.py``
reads the non-MCG JSONs; ``semantic_from_refined=True`` changes that) and cache the instance masks as RLE in
``OUT/cache/<id>.json``. A cache entry records a fingerprint of the settings and of the input file; a rerun
skips images whose entry matches, so an interrupted run resumes where it stopped. Finally every cache entry is
gathered into ``OUT/instances_strict.json`` and ``OUT/instances_loose.json`` (plus ``*_unrefined.json`` when
proposals are used).
"""
import copy
import hashlib
import json
import os
import os.path as osp
import sys
import time
from collections import Counter
from functools import partial
from typing import Optional, Sequence

import numpy as np

from .baselines import filled_box_masks, grabcut_config, grabcut_masks
from .bbam_maps import list_map_files, load_bbam_npz, load_meta, read_image, resolve_maps_dir
from .export import encode_rle, instances_to_coco, save_label_png, semantic_label_map, write_json
from .mcg import find_mcg_file, load_mcg_mat, mcg_config, refine_masks
from .postprocess import box_mask, check_postprocess_config, postprocess_config, postprocess_image
from .superpixel_proposals import builtin_proposal_config, builtin_proposals

METHODS = ('bbam', 'box', 'grabcut')
PROPOSALS = ('none', 'builtin', 'mcg')
LABEL_DIR = 'SegmentationClassBBAM'


def make_labels_config(variant: str = 'code-parity', method: str = 'bbam', proposals: str = 'none') -> dict:
    """All settings of the label maker.

    Args:
        variant (str): 'code-parity' or 'paper' (post-processing thresholds and MCG containment).
        method (str): 'bbam' (post-processed maps), 'box' (filled boxes) or 'grabcut'.
        proposals (str): 'none', 'builtin' (superpixel hierarchy) or 'mcg' (needs an MCG folder).

    Returns:
        dict: ``method``, ``proposals``, ``semantic_from_refined``, ``postprocess``, ``mcg``,
        ``builtin_proposals``, ``grabcut``.
    """
    return check_make_labels_config(dict(
        method=method, proposals=proposals, semantic_from_refined=False, postprocess=postprocess_config(variant),
        mcg=mcg_config(variant), builtin_proposals=builtin_proposal_config(), grabcut=grabcut_config()))


def check_make_labels_config(cfg: dict) -> dict:
    """Validate (and complete) a label-maker config; returns a new dict."""
    cfg = copy.deepcopy(cfg)
    if cfg.get('method') not in METHODS:
        raise ValueError(f"make_labels config: method must be one of {METHODS}, got {cfg.get('method')!r}")
    if cfg.get('proposals') not in PROPOSALS:
        raise ValueError(f"make_labels config: proposals must be one of {PROPOSALS}, got {cfg.get('proposals')!r}")
    cfg['postprocess'] = check_postprocess_config(cfg.get('postprocess') or {})
    cfg['mcg'] = mcg_config(**(cfg.get('mcg') or {}))
    cfg['builtin_proposals'] = builtin_proposal_config(**(cfg.get('builtin_proposals') or {}))
    cfg['grabcut'] = grabcut_config(**(cfg.get('grabcut') or {}))
    cfg['semantic_from_refined'] = bool(cfg.get('semantic_from_refined', False))
    unknown = sorted(set(cfg) - {'method', 'proposals', 'semantic_from_refined', 'postprocess', 'mcg',
                                 'builtin_proposals', 'grabcut'})
    if unknown:
        raise KeyError(f'make_labels config: unknown keys {unknown}')
    return cfg


def _fingerprint(cfg: dict, mcg_dir: Optional[str], npz_path: str) -> str:
    st = os.stat(npz_path)
    blob = json.dumps(dict(cfg=cfg, mcg_dir=osp.abspath(mcg_dir) if mcg_dir else None, npz=osp.abspath(npz_path),
                           size=st.st_size, mtime=st.st_mtime_ns), sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()


def _cache_path(out_dir: str, img_id: str) -> str:
    return osp.join(out_dir, 'cache', f'{img_id}.json')


def _load_cache(path: str, key: str) -> Optional[dict]:
    try:
        with open(path) as f:
            rec = json.load(f)
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) and rec.get('key') == key else None


def process_image(npz_path: str, cfg: dict, classes: Sequence[str], out_dir: str,
                  mcg_dir: Optional[str] = None) -> dict:
    """Pseudo labels of one image; writes its PNG and cache entry and returns the cache record.

    Args:
        npz_path (str): the image's maps file.
        cfg (dict): :func:`make_labels_config` settings (checked).
        classes (Sequence[str]): class names.
        out_dir (str): output root.
        mcg_dir (str, optional): folder of MCG ``.mat`` files (``cfg['proposals'] == 'mcg'``).

    Returns:
        dict: JSON-serialisable record (img_id, file_name, height, width, boxes, labels, strict/loose RLEs,
        their unrefined versions, fallbacks, refinement flags, ``mcg_missing``, ``key``).
    """
    data = load_bbam_npz(npz_path, len(classes))
    image = read_image(data['img_path'], data['ori_shape'])
    boxes, labels = data['boxes'], data['labels']
    pp = cfg['postprocess']
    if cfg['method'] == 'bbam':
        res = postprocess_image(data['maps'], boxes, image, pp)
        strict, loose, fallbacks = res['strict'], res['loose'], res['fallbacks']
    else:
        masks = filled_box_masks(boxes, image.shape[:2], pp['box_end_inclusive']) if cfg['method'] == 'box' \
            else grabcut_masks(image, boxes, cfg['grabcut'])
        strict, loose, fallbacks = masks, masks.copy(), ['none'] * len(boxes)
    props, mcg_missing = None, False
    if cfg['proposals'] == 'mcg':
        path = find_mcg_file(mcg_dir, data['img_id'])
        mcg_missing = path is None
        props = load_mcg_mat(path) if path else None
    elif cfg['proposals'] == 'builtin':
        props = builtin_proposals(image, cfg['builtin_proposals'])
    ref_s, ref_l, skipped = [False] * len(boxes), [False] * len(boxes), [False] * len(boxes)
    strict_r, loose_r = strict.copy(), loose.copy()
    if props is not None:
        for i, box in enumerate(boxes):
            r = refine_masks(strict[i], loose[i], box_mask(box, image.shape[:2], pp['box_end_inclusive']), props,
                             cfg['mcg'])
            strict_r[i], loose_r[i] = r['strict'], r['loose']
            ref_s[i], ref_l[i], skipped[i] = r['strict_refined'], r['loose_refined'], r['skipped']
    sem_s, sem_l = (strict_r, loose_r) if cfg['semantic_from_refined'] else (strict, loose)
    save_label_png(semantic_label_map(sem_s, sem_l, boxes, labels), osp.join(out_dir, LABEL_DIR,
                                                                             f"{data['img_id']}.png"))
    rec = dict(img_id=data['img_id'], file_name=osp.basename(data['img_path']), height=int(image.shape[0]),
               width=int(image.shape[1]), boxes=boxes.tolist(), labels=labels.tolist(),
               strict=[encode_rle(m) for m in strict_r], loose=[encode_rle(m) for m in loose_r],
               fallbacks=fallbacks, strict_refined=ref_s, loose_refined=ref_l, refine_skipped=skipped,
               mcg_missing=mcg_missing, num_positives=data['num_positives'].tolist())
    if props is not None:
        rec['strict_unrefined'] = [encode_rle(m) for m in strict]
        rec['loose_unrefined'] = [encode_rle(m) for m in loose]
    return rec


def _work(npz_path: str, cfg: dict, classes: Sequence[str], out_dir: str, mcg_dir: Optional[str]) -> tuple:
    """Worker: (img_id, 'cached' | 'processed'), writing the cache entry last (it marks completion)."""
    img_id = osp.splitext(osp.basename(npz_path))[0]
    key = _fingerprint(cfg, mcg_dir, npz_path)
    cache = _cache_path(out_dir, img_id)
    if _load_cache(cache, key) is not None and osp.isfile(osp.join(out_dir, LABEL_DIR, f'{img_id}.png')):
        return img_id, 'cached'
    rec = process_image(npz_path, cfg, classes, out_dir, mcg_dir)
    rec['key'] = key
    write_json(rec, cache)
    return img_id, 'processed'


def make_pseudo_labels(maps_dir: str, out_dir: str, cfg: Optional[dict] = None, mcg_dir: Optional[str] = None,
                       workers: int = 1, img_ids: Optional[Sequence[str]] = None, progress: bool = True) -> dict:
    """Pseudo labels for every maps file of a folder (resumable).

    Args:
        maps_dir (str): the BBAM output folder (``<dir>`` or ``<dir>/maps``).
        out_dir (str): output root (created).
        cfg (dict, optional): :func:`make_labels_config` settings; default code-parity BBAM without proposals.
        mcg_dir (str, optional): MCG ``.mat`` folder; required when ``cfg['proposals'] == 'mcg'``.
        workers (int): processes (1 = in this process).
        img_ids (Sequence[str], optional): restrict to these ids.
        progress (bool): show a tqdm bar on stderr.

    Returns:
        dict: summary (``images``, ``instances``, ``processed``, ``cached``, ``fallbacks``, ``refined_strict``,
        ``refined_loose``, ``refine_skipped``, ``mcg_missing``, ``seconds``, output paths, settings).
    """
    from tqdm import tqdm

    t0 = time.time()
    cfg = check_make_labels_config(cfg or make_labels_config())
    if cfg['proposals'] == 'mcg' and (not mcg_dir or not osp.isdir(mcg_dir)):
        raise FileNotFoundError(f'make_pseudo_labels: proposals="mcg" needs an existing MCG folder, got {mcg_dir!r}')
    if workers < 1:
        raise ValueError(f'make_pseudo_labels: workers must be >= 1, got {workers}')
    src = resolve_maps_dir(maps_dir)
    classes = load_meta(src)['classes']
    files = list_map_files(src)
    if img_ids is not None:
        wanted = set(img_ids)
        files = [f for f in files if osp.splitext(osp.basename(f))[0] in wanted]
    if not files:
        raise FileNotFoundError(f'make_pseudo_labels: no .npz maps in {src}')
    os.makedirs(osp.join(out_dir, 'cache'), exist_ok=True)
    job = partial(_work, cfg=cfg, classes=classes, out_dir=out_dir, mcg_dir=mcg_dir)
    status = Counter()
    with tqdm(total=len(files), desc='pseudo labels', disable=not progress, file=sys.stderr) as bar:
        if workers == 1:
            results = map(job, files)
            for _, st in results:
                status[st] += 1
                bar.update()
        else:
            import multiprocessing as mp
            with mp.get_context('fork').Pool(workers) as pool:
                for _, st in pool.imap_unordered(job, files):
                    status[st] += 1
                    bar.update()
    records = []
    for f in files:
        img_id = osp.splitext(osp.basename(f))[0]
        rec = _load_cache(_cache_path(out_dir, img_id), _fingerprint(cfg, mcg_dir, f))
        if rec is None:
            raise RuntimeError(f'make_pseudo_labels: cache entry of {img_id} is missing or stale after processing')
        records.append(rec)
    outputs = {}
    keys = [('strict', 'instances_strict.json'), ('loose', 'instances_loose.json')]
    if cfg['proposals'] != 'none':
        keys += [('strict_unrefined', 'instances_strict_unrefined.json'),
                 ('loose_unrefined', 'instances_loose_unrefined.json')]
    for key, name in keys:
        path = osp.join(out_dir, name)
        write_json(instances_to_coco(records, classes, key), path)
        outputs[key] = path
    fallbacks = Counter(fb for r in records for fb in r['fallbacks'])
    return dict(
        images=len(records), instances=int(sum(len(r['labels']) for r in records)),
        processed=status['processed'], cached=status['cached'], method=cfg['method'],
        variant=cfg['postprocess']['variant'], proposals=cfg['proposals'],
        fallbacks={k: int(fallbacks.get(k, 0)) for k in ('none', 'small', 'zero', 'box')},
        refined_strict=int(sum(sum(r['strict_refined']) for r in records)),
        refined_loose=int(sum(sum(r['loose_refined']) for r in records)),
        refine_skipped=int(sum(sum(r['refine_skipped']) for r in records)),
        mcg_missing=int(sum(r['mcg_missing'] for r in records)),
        zero_bbam=int(sum(int(np.sum(np.asarray(r['num_positives']) == 0)) for r in records)),
        seconds=round(time.time() - t0, 3), out_dir=osp.abspath(out_dir),
        semantic_dir=osp.abspath(osp.join(out_dir, LABEL_DIR)), **{f'json_{k}': v for k, v in outputs.items()})
