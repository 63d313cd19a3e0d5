"""Mask refinement with unsupervised mask proposals, BBAM's Eq. 4 as coded (spec §3.5, ``BBAM_plus_mcg.py``).

Given proposals {m_i} and a pseudo mask T of a GT box B::

    T_r = (S_best ∪ S_in) ∩ B
    S_best = argmax_i IoU(m_i, T)   over proposals with > 95 % of their pixels inside B (and IoU > 0)
    S_in   = ∪ { m_i : more than 95 % of m_i lies inside T }   (the paper's "m_i ⊂ T"; the code uses 95 %)

Proposals that use a superpixel lying entirely outside B are discarded first (the official code meant to
widen B by 5 px for this test, but its ``push_box`` returns the box unchanged: no widening). Boxes smaller
than 32×32 keep T; when no S_best exists T is kept (and S_in is not applied). Both the strict and the loose
mask are refined; the refined loose mask also absorbs the refined strict mask (so loose ⊇ strict wherever
the loose mask was refined).

Proposals come as a superpixel label map plus, per proposal, the list of superpixel ids it is made of —
the layout of the public Berkeley MCG files (``MCG-Pascal-Main_trainvaltest_2012-proposals/<id>.mat``, as
written by MCG's ``im2mcg_all.m``: ``superpixels`` (H×W label matrix, ids from 1), ``labels`` (K×1 cell, each
a vector of superpixel ids), ``scores`` (K×1), ``bboxes`` (K×4)). A proposal's mask is the union of its
superpixels (MATLAB ``ismember(superpixels, labels{k})``; the official Python rebuilds it from runs of
consecutive ids, which is the same for sorted ids). All statistics are computed in superpixel space with a
sparse membership matrix, so thousands of proposals cost a few matrix-vector products.
"""
import os.path as osp
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np
from scipy import sparse

MCG_DEFAULTS = dict(
    contain_frac=0.95,    # m_i counts as inside T when > 95 % of its pixels are in T (paper: m_i ⊂ T, i.e. 1.0)
    best_in_box_frac=0.95,  # S_best must have > 95 % of its pixels inside the GT box
    min_box_side=32,      # boxes with area < 32 × 32 are not refined
    filter_outside_superpixels=True,  # drop proposals using a superpixel entirely outside the box
)


def mcg_config(variant: str = 'code-parity', **overrides) -> dict:
    """Refinement settings; ``variant='paper'`` uses exact containment (contain_frac = 1.0)."""
    if variant not in ('code-parity', 'paper'):
        raise ValueError(f"mcg_config: variant must be 'code-parity' or 'paper', got {variant!r}")
    cfg = dict(MCG_DEFAULTS, contain_frac=1.0) if variant == 'paper' else dict(MCG_DEFAULTS)
    unknown = sorted(set(overrides) - set(cfg))
    if unknown:
        raise KeyError(f'mcg_config: unknown keys {unknown}; expected some of {sorted(cfg)}')
    return dict(cfg, **overrides)


@dataclass
class Proposals:
    """Mask proposals as unions of superpixels.

    Attributes:
        superpixels (np.ndarray): (H, W) int64 superpixel label map.
        labels (list[np.ndarray]): K int64 arrays, the superpixel ids of each proposal.
        source (str): where they come from (a file path or 'builtin').
    """
    superpixels: np.ndarray
    labels: List[np.ndarray]
    source: str = ''
    _membership: Optional[sparse.csr_matrix] = field(default=None, repr=False)

    @property
    def num_superpixels(self) -> int:
        """S: one more than the largest superpixel id (ids index the columns of :meth:`membership`)."""
        top = int(self.superpixels.max()) if self.superpixels.size else 0
        for lab in self.labels:
            if lab.size:
                top = max(top, int(lab.max()))
        return top + 1

    def membership(self) -> sparse.csr_matrix:
        """(K, S) 0/1 sparse matrix: entry (k, s) = 1 when superpixel s belongs to proposal k."""
        if self._membership is None:
            rows = np.repeat(np.arange(len(self.labels)), [len(lab) for lab in self.labels])
            cols = np.concatenate(self.labels) if self.labels else np.zeros(0, np.int64)
            mat = sparse.csr_matrix((np.ones(len(cols)), (rows, cols)),
                                    shape=(len(self.labels), self.num_superpixels))
            mat.data[:] = 1.0  # duplicate ids count once
            self._membership = mat
        return self._membership

    def mask(self, ids: np.ndarray) -> np.ndarray:
        """(H, W) bool union of the superpixels ``ids``."""
        return np.isin(self.superpixels, np.asarray(ids))


def load_mcg_mat(path: str) -> Proposals:
    """Read a public MCG proposal file (``superpixels`` + ``labels`` cell array) with ``scipy.io.loadmat``.

    Args:
        path (str): the ``.mat`` file.

    Returns:
        Proposals: superpixels (H, W) and the K superpixel-id lists.
    """
    from scipy.io import loadmat
    try:
        mat = loadmat(path)
    except (OSError, ValueError, NotImplementedError) as e:
        raise ValueError(f'load_mcg_mat: cannot read {path} as a MATLAB file ({e})') from None
    for key in ('superpixels', 'labels'):
        if key not in mat:
            raise ValueError(f'load_mcg_mat: {path} lacks the field {key!r} (MCG files hold superpixels, labels, '
                             f'scores, bboxes); found {sorted(k for k in mat if not k.startswith("__"))}')
    sp = np.asarray(mat['superpixels'])
    if sp.ndim != 2 or not np.issubdtype(sp.dtype, np.integer) and not np.all(np.mod(sp, 1) == 0):
        raise ValueError(f'load_mcg_mat: {path} field superpixels must be an (H, W) integer label map, got '
                         f'{sp.shape} {sp.dtype}')
    raw = mat['labels']
    entries = raw.ravel() if raw.dtype == object else [raw]
    labels = []
    for k, e in enumerate(entries):
        ids = np.asarray(e).ravel()
        if ids.size and (not np.all(np.mod(ids, 1) == 0) or ids.min() < 0):
            raise ValueError(f'load_mcg_mat: {path} labels{{{k + 1}}} holds non-integer or negative superpixel ids')
        labels.append(ids.astype(np.int64))
    return Proposals(sp.astype(np.int64), labels, source=path)


def find_mcg_file(mcg_dir: str, img_id: str) -> Optional[str]:
    """``<mcg_dir>/<img_id>.mat``, else (VOC 2007 ids) ``<mcg_dir>/<img_id without '2007_'>.mat``, else None."""
    for name in (img_id, img_id[5:] if img_id.startswith('2007_') else None):
        if name:
            path = osp.join(mcg_dir, f'{name}.mat')
            if osp.isfile(path):
                return path
    return None


def _select(props: Proposals, stats: dict, target: np.ndarray, cfg: dict) -> Tuple[Optional[int], np.ndarray]:
    """S_best index (or None) and the indices of S_in for a mask ``target``."""
    sp, mem = props.superpixels, props.membership()
    t_count = np.bincount(sp[target].ravel(), minlength=mem.shape[1]).astype(np.float64)
    inter = mem @ t_count
    area, valid = stats['area'], stats['valid']
    union = area + float(target.sum()) - inter
    iou = np.where(valid & (union > 0), inter / np.maximum(union, 1), 0.0)
    cand = valid & stats['in_box_ok'] & (iou > 0)
    best = int(np.argmax(np.where(cand, iou, -1.0))) if cand.any() else None
    frac_in_t = inter / np.maximum(area, 1)
    thr = cfg['contain_frac']
    contained = valid & ((frac_in_t > thr) if thr < 1 else (frac_in_t >= 1))
    return best, np.nonzero(contained)[0]


def _union(props: Proposals, idx: Sequence[int]) -> np.ndarray:
    if len(idx) == 0:
        return np.zeros(props.superpixels.shape, dtype=bool)
    return props.mask(np.unique(np.concatenate([props.labels[i] for i in idx])))


def refine_masks(strict: np.ndarray, loose: np.ndarray, box: np.ndarray, props: Proposals,
                 cfg: Optional[dict] = None) -> dict:
    """Eq. 4 refinement of one object's strict and loose masks.

    Args:
        strict (np.ndarray): (H, W) bool T_fg.
        loose (np.ndarray): (H, W) bool T_loose.
        box (np.ndarray): (H, W) bool GT-box indicator (postprocess.box_mask).
        props (Proposals): the image's proposals (superpixels (H, W)).
        cfg (dict, optional): :data:`MCG_DEFAULTS` keys.

    Returns:
        dict: ``strict``, ``loose`` (H, W) bool refined masks; ``strict_refined``, ``loose_refined`` (bool: an
        S_best was found; otherwise the mask is returned unchanged); ``skipped`` (bool: box < min_box_side²).
    """
    cfg = mcg_config(**(cfg or {}))
    if props.superpixels.shape != box.shape:
        raise ValueError(f'refine_masks: proposals from {props.source or "?"} are {props.superpixels.shape[::-1]} '
                         f'(W, H) but the image is {box.shape[::-1]}')
    out = dict(strict=strict, loose=loose, strict_refined=False, loose_refined=False, skipped=False)
    if box.sum() < cfg['min_box_side'] ** 2 or not props.labels:
        out['skipped'] = bool(box.sum() < cfg['min_box_side'] ** 2)
        return out
    sp, mem = props.superpixels, props.membership()
    sp_area = np.bincount(sp.ravel(), minlength=mem.shape[1]).astype(np.float64)
    sp_inbox = np.bincount(sp[box].ravel(), minlength=mem.shape[1]).astype(np.float64)
    area = mem @ sp_area
    valid = area > 0
    if cfg['filter_outside_superpixels']:
        outside = ((sp_area > 0) & (sp_inbox == 0)).astype(np.float64)
        valid &= (mem @ outside) == 0
    stats = dict(area=area, valid=valid, in_box_ok=(mem @ sp_inbox) / np.maximum(area, 1) > cfg['best_in_box_frac'])
    best, inside = _select(props, stats, strict, cfg)
    if best is not None:
        out['strict'] = _union(props, [best, *inside]) & box
        out['strict_refined'] = True
    best, inside = _select(props, stats, loose, cfg)
    if best is not None:
        out['loose'] = (_union(props, [best, *inside]) | out['strict']) & box
        out['loose_refined'] = True
    return out
