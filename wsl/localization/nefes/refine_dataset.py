"""Test-time refinement over a whole test set, resumable: each finished frame is journaled at once.

The journal (``journal.jsonl`` in the output folder) holds one JSON object per finished frame (name,
initial and refined 3x4 poses, whether verification fell back, first/last loss). A rerun after a crash
reads it, skips the frames it lists and appends the rest; a truncated last line (a crash mid-write) is
dropped. At the end the poses are written in test-set order as ``refined_poses.txt`` (12 numbers per
line: the flattened 3x4 camera-to-world pose in the APR frame, the format of the official per-frame
results), ``refined_poses_named.txt`` (``name qw qx qy qz tx ty tz``) and, for reference,
``initial_poses_named.txt`` and ``gt_poses_named.txt``.
"""
import json
import os
import os.path as osp
from typing import Dict, Optional

import numpy as np
import torch
from torch import nn

from .pose_io import read_pose_file, write_pose_file
from .pose_metric import pose_errors, summarize_pose_errors
from .refine import NeFeSQueryRenderer, apr_pose, refine_apr_weights, refine_pose_direct

REFINE_MODES = ('apr', 'pose')


class RefinementJournal:
    """Append-only per-frame record of finished refinements.

    Args:
        path (str): the ``.jsonl`` file (created on first append).
    """

    def __init__(self, path: str):
        self.path = path

    def load(self) -> Dict[str, dict]:
        """Finished frames ``{name: record}``; a malformed last line is removed from the file."""
        if not osp.isfile(self.path):
            return {}
        with open(self.path, encoding='utf-8') as f:
            lines = f.read().split('\n')
        records, good = {}, []
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                ok = isinstance(rec, dict) and 'name' in rec and len(rec.get('refined', ())) == 12
            except json.JSONDecodeError:
                ok = False
            if not ok:
                if any(rest.strip() for rest in lines[lineno:]):
                    raise ValueError(f'{self.path}:{lineno}: malformed journal line (only a truncated last line '
                                     f'is tolerated): {line[:80]!r}')
                break
            records[rec['name']] = rec
            good.append(line)
        if len(good) != sum(1 for line in lines if line.strip()):
            with open(self.path, 'w', encoding='utf-8') as f:
                f.write(''.join(g + '\n' for g in good))
        return records

    def append(self, record: dict) -> None:
        """Write one finished frame and flush it to disk."""
        with open(self.path, 'a', encoding='utf-8') as f:
            f.write(json.dumps(record) + '\n')
            f.flush()
            os.fsync(f.fileno())


def _flat(pose: torch.Tensor) -> list:
    return [float(v) for v in pose.detach().double().cpu().reshape(12)]


def refine_frame(nefes: nn.Module, extractor: nn.Module, sample: dict, scene, cfg: dict,
                 apr: Optional[nn.Module] = None, init_pose: Optional[torch.Tensor] = None) -> dict:
    """Refine one test frame.

    Args:
        nefes (nn.Module): frozen :class:`~.nefes.NeFeS`.
        extractor (nn.Module): frozen feature network with ``extract_features`` (DFNet, eval mode).
        sample (dict): ``inputs`` (3, H, W) in [0, 1] and ``data_samples`` (``hist``, ``focal`` at H x W).
        scene (NeFeSSceneSetup): near/far and APR -> NeRF scaling.
        cfg (dict): ``refine_cfg`` (mode, num_iters, lr, lr_rot, lr_trans, render_size, feature_size, border,
            verify, freeze_bn).
        apr (nn.Module | None): APR network (required in ``'apr'`` mode; in ``'pose'`` mode it gives the initial
            pose when ``init_pose`` is None).
        init_pose (Tensor | None): (3, 4) initial APR-frame pose for ``'pose'`` mode.

    Returns:
        dict: ``initial`` and ``refined`` (3, 4) poses, ``fell_back``, ``losses``.
    """
    mode = cfg.get('mode', 'apr')
    if mode not in REFINE_MODES:
        raise ValueError(f'refine_cfg.mode must be one of {REFINE_MODES}, got {mode!r}')
    img = sample['inputs'][None].float()
    ds = sample['data_samples']
    device = next(nefes.parameters()).device
    img = img.to(device)
    hist = torch.as_tensor(ds.hist if not isinstance(ds, dict) else ds['hist'], dtype=torch.float32)[None].to(device)
    focal = float(ds.focal if not isinstance(ds, dict) else ds['focal'])
    render_size = tuple(cfg.get('render_size', (60, 80)))
    focal_render = focal * render_size[0] / img.shape[-2]
    feat_size = tuple(cfg.get('feature_size', img.shape[-2:])) if mode == 'apr' else render_size
    with torch.no_grad():
        target = extractor.extract_features(img, levels=(0, ), size=feat_size)[0]
    render = NeFeSQueryRenderer(nefes, scene, hist, render_size, focal_render,
                                out_size=feat_size if mode == 'apr' else None)
    if mode == 'apr':
        if apr is None:
            raise ValueError("refine_cfg.mode='apr' needs an APR (tools/nefes_refine.py --apr-config/--apr-checkpoint)")
        verify = torch.nn.functional.interpolate(img, size=feat_size, mode='bilinear', align_corners=False) \
            if cfg.get('verify', False) else None
        out = refine_apr_weights(apr, img, render, target, num_iters=cfg.get('num_iters', 50), lr=cfg.get('lr', 1e-5),
                                 border=cfg.get('border', 10), verify_image=verify,
                                 freeze_bn=cfg.get('freeze_bn', False))
        return dict(initial=out['initial_pose'][0], refined=out['pose'][0], fell_back=out['fell_back'],
                    losses=out['losses'])
    if init_pose is None:
        if apr is None:
            raise ValueError("refine_cfg.mode='pose' needs initial poses (--init-poses) or an APR")
        with torch.no_grad():
            init_pose = apr_pose(apr, img)[0]
    init = torch.as_tensor(init_pose, dtype=torch.float32).to(device)[None]
    out = refine_pose_direct(render, init, target, num_iters=cfg.get('num_iters', 50),
                             lr_rot=cfg.get('lr_rot', 0.01), lr_trans=cfg.get('lr_trans', 0.1), border=0)
    return dict(initial=init[0], refined=out['pose'][0], fell_back=False, losses=out['losses'])


def refine_test_set(nefes: nn.Module, extractor: nn.Module, dataset, cfg: dict, out_dir: str,
                    apr: Optional[nn.Module] = None, init_poses: Optional[str] = None,
                    max_frames: Optional[int] = None, stop_after: Optional[int] = None,
                    progress: bool = True) -> dict:
    """Refine every frame of a NeFeS test dataset, resumably, and write the pose files.

    Args:
        nefes (nn.Module): trained :class:`~.nefes.NeFeS` (frozen here).
        extractor (nn.Module): DFNet feature extractor (frozen, eval mode).
        dataset: a :class:`~.pose_dataset.NeFeSPoseDataset` with the LoadNeFeSImage + PackNeFeSInputs pipeline.
        cfg (dict): ``refine_cfg``.
        out_dir (str): output folder (journal and pose files).
        apr (nn.Module | None): APR network (see :func:`refine_frame`).
        init_poses (str | None): pose file (named lines, APR frame, c2w) with initial poses for ``'pose'`` mode.
        max_frames (int | None): refine only the first N frames of the dataset.
        stop_after (int | None): stop after refining this many new frames, without writing the final files
            (simulates an interruption; the journal keeps them).
        progress (bool): show a tqdm progress bar.

    Returns:
        dict: ``num_frames``, ``num_new``, ``complete`` and, when complete, the median errors before/after
        (``initial_*`` / ``refined_*``), ``fallback_rate`` and the written file paths.
    """
    from tqdm import tqdm

    os.makedirs(out_dir, exist_ok=True)
    nefes.requires_grad_(False).eval()
    extractor.requires_grad_(False).eval()
    journal = RefinementJournal(osp.join(out_dir, 'journal.jsonl'))
    done = journal.load()
    n = len(dataset) if max_frames is None else min(max_frames, len(dataset))
    names = [dataset.get_data_info(i)['img_id'] for i in range(n)]
    init_map = None
    if init_poses is not None:
        pf = read_pose_file(init_poses)
        if pf.names is None:
            raise ValueError(f'{init_poses}: initial poses need frame names to be matched to the test set')
        init_map = dict(zip(pf.names, pf.poses))
        missing = [m for m in names if m not in init_map]
        if missing:
            raise ValueError(f'{init_poses}: no initial pose for {len(missing)} test frame(s), e.g. {missing[:3]}')
    todo = [i for i in range(n) if names[i] not in done]
    new = 0
    bar = tqdm(total=n, initial=n - len(todo), desc='NeFeS refine', disable=not progress, dynamic_ncols=True)
    for i in todo:
        if stop_after is not None and new >= stop_after:
            break
        sample = dataset[i]
        init = torch.from_numpy(init_map[names[i]]) if init_map is not None else None
        res = refine_frame(nefes, extractor, sample, dataset.scene_setup, cfg, apr=apr, init_pose=init)
        rec = dict(name=names[i], initial=_flat(res['initial']), refined=_flat(res['refined']),
                   fell_back=bool(res['fell_back']), loss_first=res['losses'][0] if res['losses'] else None,
                   loss_last=res['losses'][-1] if res['losses'] else None)
        journal.append(rec)
        done[names[i]] = rec
        new += 1
        bar.update(1)
    bar.close()
    summary = dict(num_frames=n, num_new=new, complete=all(m in done for m in names))
    if not summary['complete']:
        return summary
    refined = np.array([done[m]['refined'] for m in names]).reshape(-1, 3, 4)
    initial = np.array([done[m]['initial'] for m in names]).reshape(-1, 3, 4)
    gt = np.stack([np.asarray(dataset.get_data_info(i)['pose'], dtype=np.float64) for i in range(n)])
    files = dict(refined=osp.join(out_dir, 'refined_poses.txt'),
                 refined_named=osp.join(out_dir, 'refined_poses_named.txt'),
                 initial_named=osp.join(out_dir, 'initial_poses_named.txt'),
                 gt_named=osp.join(out_dir, 'gt_poses_named.txt'))
    write_pose_file(files['refined'], refined)
    write_pose_file(files['refined_named'], refined, names, fmt='quaternion')
    write_pose_file(files['initial_named'], initial, names, fmt='quaternion')
    write_pose_file(files['gt_named'], gt, names, fmt='quaternion')
    for key, poses in (('initial', initial), ('refined', refined)):
        stats = summarize_pose_errors(*pose_errors(poses, gt))
        summary.update({f'{key}_{k}': v for k, v in stats.items() if k.startswith('median')})
    summary['fallback_rate'] = float(np.mean([done[m]['fell_back'] for m in names]))
    summary['files'] = files
    return summary


def load_refinement_setup(cfg, checkpoint: str, apr_config: Optional[str] = None,
                          apr_checkpoint: Optional[str] = None, device: str = 'cpu') -> dict:
    """Build the trained NeFeS, its feature extractor, the refinement test set and (optionally) the APR.

    Args:
        cfg (Config): a NeFeS config with ``model`` (``NeFeSModel``), ``refine_dataset`` and ``refine_cfg``.
        checkpoint (str): the NeFeS checkpoint.
        apr_config (str | None): config of a ``NeFeSAPRModel``; its ``apr`` network is refined / queried.
        apr_checkpoint (str | None): that APR's checkpoint.
        device (str): torch device.

    Returns:
        dict: ``nefes``, ``extractor``, ``dataset``, ``apr`` (None without ``apr_config``).
    """
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmengine.runner import load_checkpoint

    from wsl.registry import DATASETS, MODELS
    from wsl.utils import register_all_modules

    for key in ('model', 'refine_dataset', 'refine_cfg'):
        if key not in cfg:
            raise KeyError(f'NeFeS refinement config lacks {key!r} (see configs/nefes/)')
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'NeFeS checkpoint not found: {checkpoint}')
    register_all_modules()
    with DefaultScope.overwrite_default_scope('wsl'):
        model = MODELS.build(cfg.model)
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True, logger='silent')
        dataset = DATASETS.build(cfg.refine_dataset)
        apr = None
        if apr_config is not None:
            if apr_checkpoint is None or not osp.isfile(apr_checkpoint):
                raise FileNotFoundError(f'APR checkpoint not found: {apr_checkpoint}')
            apr_model = MODELS.build(Config.fromfile(apr_config).model)
            load_checkpoint(apr_model, apr_checkpoint, map_location='cpu', strict=True, logger='silent')
            apr = apr_model.apr.to(device).eval()  # its own predictions (the initial poses) in eval mode
    if model.feature_extractor is None:
        raise ValueError('NeFeS refinement needs model.feature_extractor (DFNet) in the config')
    model.to(device)
    return dict(nefes=model.nefes, extractor=model.feature_extractor, dataset=dataset, apr=apr)
