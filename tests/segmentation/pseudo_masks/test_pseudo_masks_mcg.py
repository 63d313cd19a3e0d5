"""Eq. 4 refinement (spec §3.5) on hand-made proposals, the public MCG .mat layout, built-in proposals."""
import numpy as np
import pytest
from scipy.io import savemat

from wsl.segmentation.pseudo_masks import (Proposals, box_mask, builtin_proposals, find_mcg_file, load_mcg_mat,
                                           refine_masks)


def _block(r, c):
    """Superpixel id of the 10 x 10 block at grid row r, column c of an 8 x 8 grid (ids 1..64)."""
    return r * 8 + c + 1


def _scene():
    """80 x 80 image cut into 64 blocks, plus a tiny superpixel 99 (2 x 2) far outside the box."""
    sp = np.zeros((80, 80), np.int64)
    for r in range(8):
        for c in range(8):
            sp[r * 10:(r + 1) * 10, c * 10:(c + 1) * 10] = _block(r, c)
    sp[76:78, 76:78] = 99
    box = box_mask((8, 8, 51, 51), (80, 80))  # 44 x 44; touches blocks of rows/cols 0..5
    t = np.zeros((80, 80), bool)
    for r, c in ((1, 1), (1, 2), (2, 1), (2, 2)):
        t[sp == _block(r, c)] = True
    t[30:35, 30:35] = True        # 25 px of block (3, 3)
    t[40:50, 10:20] = True        # block (4, 1) ...
    t[40, 10:14] = False          # ... minus 4 px: 96 % of it is inside T
    four = [_block(1, 1), _block(1, 2), _block(2, 1), _block(2, 2)]
    labels = [
        np.array(four[:3]),                           # p0: inside T -> S_in
        np.array(four + [_block(3, 3)]),              # p1: IoU 425/596 -> S_best (with the filter)
        np.array([_block(0, 0)] + four),              # p2: only 400/500 px inside the box -> never S_best
        np.array(four + [99]),                        # p3: IoU 400/525 (the best) but uses a superpixel outside
        np.array([_block(4, 1)]),                     # p4: 96 % inside T -> S_in (code), not for the paper's ⊂
    ]
    return sp, box, t, labels


def _mask(sp, ids):
    return np.isin(sp, ids)


def test_refinement_on_hand_made_proposals():
    sp, box, t, labels = _scene()
    props = Proposals(sp, labels)
    r = refine_masks(t, t, box, props)
    expected = _mask(sp, labels[1].tolist() + labels[0].tolist() + labels[4].tolist()) & box
    assert r['strict_refined'] and r['loose_refined'] and not r['skipped']
    assert np.array_equal(r['strict'], expected) and r['strict'].sum() == 600
    assert np.array_equal(r['loose'], expected)
    # paper containment (m_i ⊂ T exactly): p4 (96 %) is no longer added
    paper = refine_masks(t, t, box, props, dict(contain_frac=1.0))
    assert np.array_equal(paper['strict'], _mask(sp, labels[1]) & box)
    # without the outside-superpixel filter p3 wins S_best (its tiny outside part is clipped by the box)
    nofilter = refine_masks(t, t, box, props, dict(filter_outside_superpixels=False))
    assert np.array_equal(nofilter['strict'], _mask(sp, labels[3].tolist() + labels[0].tolist() +
                                                    labels[4].tolist()) & box)


def test_refined_loose_contains_refined_strict_and_small_boxes_are_skipped():
    sp, box, t, labels = _scene()
    props = Proposals(sp, labels)
    loose = np.zeros_like(t)
    loose[10:30, 10:40] = True  # blocks (1..2, 1..3): S_best for it is p1 or p0 ...
    r = refine_masks(t, loose, box, props)
    assert r['loose_refined']
    assert not (r['strict'] & ~r['loose']).any()  # the refined loose mask absorbs the refined strict one
    assert not (r['loose'] & ~box).any()
    small = box_mask((8, 8, 38, 38), (80, 80))  # 31 x 31 < 32 x 32
    s = refine_masks(t & small, t & small, small, props)
    assert s['skipped'] and not s['strict_refined'] and np.array_equal(s['strict'], t & small)


def test_no_eligible_proposal_keeps_the_mask():
    sp, box, t, labels = _scene()
    far = Proposals(sp, [np.array([_block(7, 7)]), np.array([_block(0, 7)])])  # both entirely outside the box
    r = refine_masks(t, t, box, far)
    assert not r['strict_refined'] and np.array_equal(r['strict'], t) and np.array_equal(r['loose'], t)


def test_public_mcg_mat_layout_round_trip(tmp_path):
    """A tiny file in the layout of MCG's im2mcg_all.m: superpixels, labels (K x 1 cell), scores, bboxes."""
    sp, box, t, labels = _scene()
    cell = np.empty((len(labels), 1), dtype=object)
    for k, lab in enumerate(labels):
        cell[k, 0] = lab.astype(np.uint32)[None, :]  # MATLAB row vector
    savemat(tmp_path / '2008_000123.mat', dict(superpixels=sp.astype(np.uint16), labels=cell,
                                               scores=np.linspace(1, 0, len(labels))[:, None],
                                               bboxes=np.zeros((len(labels), 4))))
    savemat(tmp_path / '000032.mat', dict(superpixels=sp.astype(np.uint16), labels=cell))
    assert find_mcg_file(str(tmp_path), '2008_000123').endswith('2008_000123.mat')
    assert find_mcg_file(str(tmp_path), '2007_000032').endswith('000032.mat')  # 2007 files drop the prefix
    assert find_mcg_file(str(tmp_path), '2009_000001') is None
    props = load_mcg_mat(str(tmp_path / '2008_000123.mat'))
    assert props.superpixels.shape == (80, 80) and len(props.labels) == len(labels)
    for a, b in zip(props.labels, labels):
        assert np.array_equal(a, b)
    r = refine_masks(t, t, box, props)
    assert r['strict'].sum() == 600
    savemat(tmp_path / 'bad.mat', dict(superpixels=sp))
    with pytest.raises(ValueError, match="lacks the field 'labels'"):
        load_mcg_mat(str(tmp_path / 'bad.mat'))
    with pytest.raises(ValueError, match='proposals from'):
        refine_masks(t[:40], t[:40], box[:40], props)


def test_builtin_proposals_cover_a_flat_object():
    rng = np.random.default_rng(0)
    img = np.full((64, 64, 3), 220, np.uint8)
    obj = np.zeros((64, 64), bool)
    yy, xx = np.mgrid[:64, :64]
    obj[(yy - 30) ** 2 + (xx - 34) ** 2 < 14 ** 2] = True
    img[obj] = (30, 90, 200)
    img = np.clip(img + rng.normal(0, 2, img.shape), 0, 255).astype(np.uint8)
    props = builtin_proposals(img)
    assert props.superpixels.shape == (64, 64) and props.superpixels.min() == 1 and props.source == 'builtin'
    ids = set(np.unique(props.superpixels).tolist())
    assert all(set(lab.tolist()) <= ids for lab in props.labels)
    assert len({lab.tobytes() for lab in props.labels}) == len(props.labels)  # deduplicated
    assert any(len(lab) == len(ids) for lab in props.labels)  # each hierarchy ends with the whole image
    best = max(((props.mask(lab) & obj).sum() / (props.mask(lab) | obj).sum()) for lab in props.labels)
    assert best > 0.95
    # refining a rough mask of the disc with them snaps to the disc
    rough = np.zeros_like(obj)
    rough[20:40, 24:44] = True
    box = box_mask((19, 15, 48, 44), (64, 64))
    r = refine_masks(rough & box, rough & box, box, props, dict(min_box_side=16))
    assert r['strict_refined']
    iou = lambda a, b: (a & b).sum() / (a | b).sum()  # noqa: E731
    assert iou(r['strict'], obj) > iou(rough, obj) + 0.1
