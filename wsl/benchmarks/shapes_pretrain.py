"""A shape-aware ResNet backbone for the CPU benchmarks: the stand-in for ImageNet initialisation.

The paper's detectors start from ImageNet weights, which know object shape whatever the colour. No ImageNet
weights ship with the toolkit and the benchmarks must run offline, so :func:`pretrain_shapes_backbone` trains the
detector's backbone on a third synthetic style (``'pretrain'`` in :mod:`wsl.datasets.synthetic.shapes_render`:
source-like plain backgrounds, every object a random hue) as multi-label image classification of the four shapes.
Neither the source nor any target domain is seen, and no detection label is used; every run of a benchmark (source
only, the adaptation method, the oracle) then starts from the same file, as every row of the paper's tables starts
from ImageNet.
"""
import json
import os
import os.path as osp
import time
from typing import Dict, Tuple

import numpy as np
import torch
import torch.nn.functional as F

PRETRAIN_VERSION = 1  # bump when the recipe changes: cached checkpoints are then retrained
# ImageNet mean / std (RGB), as the detectors' data preprocessors use.
MEAN = (123.675, 116.28, 103.53)
STD = (58.395, 57.12, 57.375)


def dc5_resnet_cfg(depth: int = 18) -> dict:
    """The benchmarks' detector backbone: MMDetection ResNet in the DilatedC5 layout (res5 at stride 16)."""
    return dict(type='ResNet', depth=depth, num_stages=4, strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2),
                out_indices=(3, ), frozen_stages=-1, norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False,
                style='pytorch', init_cfg=None)


def render_pretrain_images(num: int, seed: int = 0, size: int = 128,
                           max_objects: int = 3) -> Tuple[np.ndarray, np.ndarray]:
    """Images of the ``'pretrain'`` shapes style and their multi-hot labels.

    Image ``i`` comes from ``np.random.default_rng([seed, 3, i])`` (3: a stream no dataset domain uses).

    Returns:
        tuple[np.ndarray, np.ndarray]: (N, size, size, 3) uint8 RGB images and (N, 4) float32 labels.
    """
    from wsl.datasets.synthetic.shapes_render import PRETRAIN_DOMAIN, SHAPES_CLASSES, render_image, sample_layout
    if num < 1 or size < 32 or max_objects < 1:
        raise ValueError(f'render_pretrain_images: need num >= 1, size >= 32, max_objects >= 1; got {num}, {size}, '
                         f'{max_objects}')
    imgs = np.empty((num, size, size, 3), np.uint8)
    labels = np.zeros((num, len(SHAPES_CLASSES)), np.float32)
    for i in range(num):
        rng = np.random.default_rng([seed, 3, i])
        lay = sample_layout(rng, size, max_objects)
        imgs[i] = render_image(rng, PRETRAIN_DOMAIN, size, lay['specs'], lay['covers'])
        labels[i, [s.label for s in lay['specs']]] = 1
    return imgs, labels


def _to_tensor(imgs: np.ndarray) -> torch.Tensor:
    x = torch.from_numpy(imgs).permute(0, 3, 1, 2).float()
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random horizontal flip and 90-degree rotation per image (the four shapes keep their class)."""
    out = torch.empty_like(x)
    flips = torch.randint(0, 2, (len(x), ), generator=gen)
    rots = torch.randint(0, 4, (len(x), ), generator=gen)
    for i in range(len(x)):
        xi = x[i].flip(-1) if flips[i] else x[i]
        out[i] = torch.rot90(xi, int(rots[i]), dims=(1, 2))
    return out


def multilabel_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> Dict[str, float]:
    """Per-label accuracy and exact-match (all four labels right) rate of (N, C) logits at 0.

    Returns:
        dict: ``label_acc`` and ``exact_match`` in [0, 1].
    """
    pred = logits > 0
    correct = pred == labels.bool()
    return dict(label_acc=float(correct.float().mean()), exact_match=float(correct.all(dim=1).float().mean()))


def pretrain_shapes_backbone(out_file: str, depth: int = 18, iters: int = 2000, batch_size: int = 16,
                             lr: float = 0.05, num_images: int = 2000, num_val: int = 200, seed: int = 0,
                             progress: bool = True) -> Dict[str, float]:
    """Train a DC5 ResNet on ``'pretrain'`` shapes images (multi-label BCE) and save its weights.

    The checkpoint ``{'state_dict': backbone weights, 'meta': {...}}`` loads with
    ``backbone.init_cfg = dict(type='Pretrained', checkpoint=out_file)``. An existing file written with the same
    arguments is reused (its meta is returned); a different one is retrained.

    Args:
        out_file (str): checkpoint path (``.pth``).
        depth (int): ResNet depth (18 / 34 / 50 ...).
        iters, batch_size, lr: SGD schedule (momentum 0.9, weight decay 1e-4, cosine decay to 0).
        num_images, num_val: rendered training / held-out validation images (validation from another seed stream).
        seed (int): seed of the images and of the initialisation.

    Returns:
        dict: the meta saved with the weights, incl. held-out ``val_label_acc`` and ``val_exact_match``.
    """
    from mmdet.models.backbones import ResNet
    from tqdm import tqdm

    args = dict(version=PRETRAIN_VERSION, depth=depth, iters=iters, batch_size=batch_size, lr=lr,
                num_images=num_images, num_val=num_val, seed=seed)
    if osp.isfile(out_file):
        meta = torch.load(out_file, map_location='cpu', weights_only=True).get('meta', {})
        if {k: meta.get(k) for k in args} == args:
            return meta
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    imgs, labels = render_pretrain_images(num_images, seed)
    val_imgs, val_labels = render_pretrain_images(num_val, seed + 10000)
    x_all, y_all = _to_tensor(imgs), torch.from_numpy(labels)
    backbone_cfg = dc5_resnet_cfg(depth)
    backbone_cfg.pop('type')
    backbone = ResNet(**backbone_cfg)
    backbone.init_weights()
    head = torch.nn.Linear(backbone.feat_dim, y_all.shape[1])
    params = list(backbone.parameters()) + list(head.parameters())
    opt = torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=iters)

    def logits_of(x):
        return head(backbone(x)[-1].mean(dim=(2, 3)))

    t0 = time.perf_counter()
    backbone.train()
    bar = tqdm(range(iters), desc='pretrain shapes backbone', disable=not progress, dynamic_ncols=True)
    for it in bar:
        idx = torch.randint(0, len(x_all), (batch_size, ), generator=gen)
        loss = F.binary_cross_entropy_with_logits(logits_of(_augment(x_all[idx], gen)), y_all[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if it % 20 == 0:
            bar.set_postfix(loss=f'{loss.item():.3f}')
    backbone.eval()
    with torch.no_grad():
        val_logits = torch.cat([logits_of(_to_tensor(val_imgs[i:i + 50])) for i in range(0, num_val, 50)])
    acc = multilabel_accuracy(val_logits, torch.from_numpy(val_labels))
    meta = dict(args, val_label_acc=acc['label_acc'], val_exact_match=acc['exact_match'],
                train_seconds=time.perf_counter() - t0)
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    tmp = out_file + '.tmp'
    torch.save(dict(state_dict=backbone.state_dict(), meta=meta), tmp)
    os.replace(tmp, out_file)
    with open(osp.splitext(out_file)[0] + '.json', 'w') as f:
        json.dump(meta, f, indent=1)
    return meta


def pretrained_backbone_file(out: str, depth: int = 18, **kwargs) -> str:
    """``<out>/pretrain/shapes_r<depth>_dc5.pth``, trained on first use (see :func:`pretrain_shapes_backbone`)."""
    path = osp.join(out, 'pretrain', f'shapes_r{depth}_dc5.pth')
    pretrain_shapes_backbone(path, depth=depth, **kwargs)
    return path
