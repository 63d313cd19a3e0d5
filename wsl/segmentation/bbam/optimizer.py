"""The BBAM mask optimiser: a frozen two-stage detector, fixed jittered RoIs, projected Adam on a coarse mask.

Per GT object (paper §3.2-3.3 and the official ``BBAM_training_images_multi.py``):

1. one clean, no-grad pass scores the jittered proposals and picks the positives O⁺ (:mod:`.jitter`); their clean
   target-class probabilities and deltas are the (detached) references;
2. the mask M (h×w, :mod:`.stride`) starts at 1 on the union of the positives' regressed target-class boxes;
3. ``num_steps`` (300) Adam steps (lr 0.02) on L = L_perturb + λΣM + TV (:mod:`.losses`), clamping M to [0, 1]
   after every step. The masked input is ``normalised_image × upsample(M)``: applied after the data
   preprocessor, so 0 is the mean colour μ whatever the normalisation.

The detector is driven without its RPN: ``feats = detector.extract_feat(x)``, ``rois = bbox2roi(...)``,
``detector.roi_head._bbox_forward(feats, rois)`` → ``cls_score`` (P, C + 1, background last) and ``bbox_pred``
(P, 4·C). Strategy ``'batched'`` stacks one copy of the image per object (objects of one or several images, each
copy with its own mask; the RoIs carry the copy index); the detector is in eval mode (frozen BN), so the copies
do not interact and the result equals ``'per_object'``, the official one-object-at-a-time loop.
"""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.structures.bbox import bbox2roi
from mmengine.registry import DefaultScope
from torch import Tensor, nn

from wsl.registry import MODELS, TASK_UTILS
from .jitter import BBAMProposalSampler
from .losses import BBAMLoss, gather_class_deltas, target_class_prob
from .stride import STRIDE_MODES, box_stride, init_mask_from_boxes, mask_shape, upsample_mask

STRATEGIES = ('batched', 'per_object')


@dataclass
class BBAMObject:
    """State and result of one GT object.

    Attributes:
        image (int): index of its image in the input batch.
        label (int): GT class index in [0, C).
        box (Tensor): (4,) GT box (x1, y1, x2, y2) in network-input pixels.
        stride (float): s of its mask.
        shape (Tuple[int, int]): (h, w) of its low-resolution mask.
        rois (Tensor): (P, 4) positive proposals (network-input pixels).
        ref_probs (Tensor): (P,) clean target-class probabilities (detached).
        ref_deltas (Tensor): (P, 4) clean target-class deltas (detached).
        init_mask (Tensor): (h, w) initial mask.
        mask (Tensor | None): (h, w) optimised mask in [0, 1] (all zeros when there is no positive).
        final_loss (float): total loss at the last step (nan when not optimised).
    """
    image: int
    label: int
    box: Tensor
    stride: float
    shape: Tuple[int, int]
    rois: Tensor
    ref_probs: Tensor
    ref_deltas: Tensor
    init_mask: Tensor
    mask: Optional[Tensor] = None
    final_loss: float = float('nan')

    @property
    def num_positives(self) -> int:
        return int(self.rois.size(0))


def freeze_detector(detector: nn.Module) -> nn.Module:
    """Eval mode (frozen BN, no dropout) and ``requires_grad=False`` on every parameter; returns the detector."""
    detector.eval()
    detector.requires_grad_(False)
    return detector


def check_detector(detector: nn.Module) -> None:
    """Raise a clear error unless the detector is a two-stage mmdet detector with a softmax RoI box head."""
    roi_head = getattr(detector, 'roi_head', None)
    if not hasattr(detector, 'extract_feat') or roi_head is None or not hasattr(roi_head, '_bbox_forward') \
            or getattr(roi_head, 'bbox_head', None) is None:
        raise TypeError(f'BBAM needs a two-stage mmdet detector (extract_feat, roi_head._bbox_forward, '
                        f'roi_head.bbox_head), got {type(detector).__name__}')
    head = roi_head.bbox_head
    if getattr(head, 'custom_cls_channels', False) or getattr(getattr(head, 'loss_cls', None), 'use_sigmoid', False):
        raise TypeError(f'BBAM needs a softmax classifier over C + 1 classes (background last); '
                        f'{type(head).__name__} uses sigmoid or custom class channels')
    if getattr(head, 'reg_decoded_bbox', False):
        raise TypeError(f'BBAM compares encoded box deltas; {type(head).__name__} has reg_decoded_bbox=True '
                        '(its regression outputs are absolute boxes)')


@TASK_UTILS.register_module()
class BBAMOptimizer:
    """Optimises the BBAM of every GT object of a batch of images.

    Args:
        detector (nn.Module): a trained two-stage mmdet detector (e.g. Faster R-CNN); frozen here.
        loss (dict | BBAMLoss): the objective (``dict(type='BBAMLoss', ...)``).
        sampler (dict | BBAMProposalSampler): jittering and positive selection.
        stride_mode (str): 'adaptive' (s(a) = stride_base + stride_scale·√a) or 'fixed' (``fixed_stride``).
        stride_base (float): 16 in the paper.
        stride_scale (float): 48 in the paper.
        fixed_stride (float): stride of mode 'fixed' (Fig. 7b: 24 or 48).
        lr (float): Adam learning rate (0.02).
        num_steps (int): Adam steps per mask (300).
        strategy (str): 'batched' (default; several objects and images per forward) or 'per_object'.
        max_batch_objects (int): image copies per forward in 'batched' (bounded by memory).
        roi_chunk_size (int): RoIs per box-head call in the clean scoring pass.
    """

    def __init__(self, detector: nn.Module, loss=None, sampler=None, stride_mode: str = 'adaptive',
                 stride_base: float = 16.0, stride_scale: float = 48.0, fixed_stride: float = 32.0, lr: float = 0.02,
                 num_steps: int = 300, strategy: str = 'batched', max_batch_objects: int = 8,
                 roi_chunk_size: int = 8192) -> None:
        check_detector(detector)
        if strategy not in STRATEGIES:
            raise ValueError(f'BBAMOptimizer: strategy must be one of {STRATEGIES}, got {strategy!r}')
        if stride_mode not in STRIDE_MODES:
            raise ValueError(f'BBAMOptimizer: stride_mode must be one of {STRIDE_MODES}, got {stride_mode!r}')
        if int(num_steps) < 0 or lr <= 0 or int(max_batch_objects) < 1 or int(roi_chunk_size) < 1:
            raise ValueError(f'BBAMOptimizer: need num_steps >= 0, lr > 0, max_batch_objects >= 1, '
                             f'roi_chunk_size >= 1; got {num_steps}, {lr}, {max_batch_objects}, {roi_chunk_size}')
        self.detector = freeze_detector(detector)
        loss = dict(type='BBAMLoss') if loss is None else loss
        sampler = dict(type='BBAMProposalSampler') if sampler is None else sampler
        with DefaultScope.overwrite_default_scope('wsl'):
            self.loss = MODELS.build(loss) if isinstance(loss, dict) else loss
            self.sampler = TASK_UTILS.build(sampler) if isinstance(sampler, dict) else sampler
        if not isinstance(self.loss, BBAMLoss) or not isinstance(self.sampler, BBAMProposalSampler):
            raise TypeError('BBAMOptimizer: loss must build a BBAMLoss and sampler a BBAMProposalSampler')
        self.stride_cfg = dict(mode=stride_mode, base=float(stride_base), scale=float(stride_scale),
                               fixed_stride=float(fixed_stride))
        self.lr, self.num_steps = float(lr), int(num_steps)
        self.strategy, self.max_batch_objects = strategy, int(max_batch_objects)
        self.roi_chunk_size = int(roi_chunk_size)
        self.num_classes = int(detector.roi_head.bbox_head.num_classes)

    # ------------------------------------------------------------------------------------------------ clean pass
    def _box_forward(self, feats: Tuple[Tensor, ...], rois: Tensor) -> Tuple[Tensor, Tensor]:
        out = self.detector.roi_head._bbox_forward(feats, rois)
        cls_score, bbox_pred = out['cls_score'], out['bbox_pred']
        if cls_score.size(-1) != self.num_classes + 1:
            raise ValueError(f'BBAM: cls_score has {cls_score.size(-1)} columns, expected C + 1 = '
                             f'{self.num_classes + 1} (softmax with background last)')
        return cls_score, bbox_pred

    @torch.no_grad()
    def prepare(self, inputs: Tensor, img_shapes: Sequence[Sequence[int]], gt_boxes: Sequence[Tensor],
                gt_labels: Sequence[Tensor], generators: Optional[Sequence[torch.Generator]] = None
                ) -> List[List[BBAMObject]]:
        """Jitter, score and select positives; compute the references and the initial masks.

        Args:
            inputs (Tensor): (B, 3, Hp, Wp) normalised, padded batch (the data preprocessor's output).
            img_shapes (Sequence): B (h, w) un-padded network-input sizes.
            gt_boxes (Sequence[Tensor]): B tensors (N_b, 4) in network-input pixels.
            gt_labels (Sequence[Tensor]): B tensors (N_b,) int64 class indices.
            generators (Sequence[torch.Generator] | None): one CPU generator per image for the jitters.

        Returns:
            list: per image, its objects (:class:`BBAMObject`), in GT order.
        """
        if not (len(img_shapes) == len(gt_boxes) == len(gt_labels) == inputs.size(0)):
            raise ValueError(f'BBAMOptimizer.prepare: got {inputs.size(0)} images but {len(img_shapes)} shapes, '
                             f'{len(gt_boxes)} box sets and {len(gt_labels)} label sets')
        generators = generators if generators is not None else [None] * inputs.size(0)
        device = inputs.device
        result: List[List[BBAMObject]] = [[] for _ in range(inputs.size(0))]
        props, owners, per_image = [], [], []
        for b, (boxes, shape) in enumerate(zip(gt_boxes, img_shapes)):
            jit = self.sampler.jitter(boxes.to(device, torch.float32).reshape(-1, 4), shape, generators[b])
            per_image.append(jit.reshape(-1, 4))
            for n in range(jit.size(0)):
                props.append(jit[n])
                owners.append((b, n))
        if not props:
            return result
        feats = self.detector.extract_feat(inputs)
        rois = bbox2roi(per_image)  # image-major, then object, then jitter: the order of ``props``
        scores, preds = [], []
        for start in range(0, rois.size(0), self.roi_chunk_size):
            cls_score, bbox_pred = self._box_forward(feats, rois[start:start + self.roi_chunk_size])
            scores.append(cls_score)
            preds.append(bbox_pred)
        cls_score, bbox_pred = torch.cat(scores), torch.cat(preds)
        coder = self.detector.roi_head.bbox_head.bbox_coder
        start = 0
        for p, (b, n) in zip(props, owners):
            sl = slice(start, start + p.size(0))
            start += p.size(0)
            box = gt_boxes[b][n].to(device, torch.float32)
            label = int(gt_labels[b][n])
            score, pred = cls_score[sl], bbox_pred[sl]
            argmax = score.argmax(-1).clamp(max=self.num_classes - 1)
            decoded = coder.decode(p, gather_class_deltas(pred, argmax))
            pos = self.sampler.select(score, decoded, box, label)
            target = torch.full((pos.numel(),), label, dtype=torch.long, device=device)
            stride = box_stride(box.tolist(), img_shapes[b], **self.stride_cfg)
            shape = mask_shape(img_shapes[b], stride)
            result[b].append(BBAMObject(
                image=b, label=label, box=box, stride=stride, shape=shape, rois=p[pos].clone(),
                ref_probs=target_class_prob(score[pos], target).detach(),
                ref_deltas=gather_class_deltas(pred[pos], target).detach(),
                init_mask=init_mask_from_boxes(decoded[pos], stride, shape)))
        return result

    # ------------------------------------------------------------------------------------------- optimisation
    def masked_inputs(self, base: Tensor, masks: Sequence[Tensor], img_shapes: Sequence[Sequence[int]]) -> Tensor:
        """Φ(I, M) in normalised space: each copy times its upsampled mask (0 = mean colour), padding stays 0.

        Args:
            base (Tensor): (K, 3, Hp, Wp) normalised image copies.
            masks (Sequence[Tensor]): K low-resolution masks (h_k, w_k).
            img_shapes (Sequence): K (h, w) un-padded sizes; each mask is upsampled to its own.

        Returns:
            Tensor: (K, 3, Hp, Wp).
        """
        hp, wp = base.shape[-2:]
        up = [F.pad(upsample_mask(m, s), (0, wp - int(s[1]), 0, hp - int(s[0]))) for m, s in zip(masks, img_shapes)]
        return base * torch.stack(up)[:, None]

    def _optimise_group(self, inputs: Tensor, img_shapes: Sequence[Sequence[int]], group: List[BBAMObject]) -> None:
        device = inputs.device
        base = inputs.index_select(0, torch.tensor([o.image for o in group], device=device))
        shapes = [img_shapes[o.image] for o in group]
        masks = [o.init_mask.detach().clone().to(device).requires_grad_(True) for o in group]
        rois = bbox2roi([o.rois for o in group])  # column 0: the copy index
        labels = torch.cat([torch.full((o.num_positives,), o.label, dtype=torch.long, device=device) for o in group])
        ref_probs = torch.cat([o.ref_probs for o in group])
        ref_deltas = torch.cat([o.ref_deltas for o in group])
        obj_index = rois[:, 0].long()
        optim = torch.optim.Adam(masks, lr=self.lr)
        last = None
        for _ in range(self.num_steps):
            feats = self.detector.extract_feat(self.masked_inputs(base, masks, shapes))
            cls_score, bbox_pred = self._box_forward(feats, rois)
            losses = self.loss(cls_score, bbox_pred, labels, ref_probs, ref_deltas, masks, obj_index)
            optim.zero_grad(set_to_none=True)
            losses['loss'].sum().backward()
            optim.step()
            with torch.no_grad():
                for m in masks:
                    m.clamp_(0.0, 1.0)
            last = losses['loss'].detach()
        for k, (o, m) in enumerate(zip(group, masks)):
            o.mask = m.detach()
            o.final_loss = float(last[k]) if last is not None else float('nan')

    def optimise(self, inputs: Tensor, img_shapes: Sequence[Sequence[int]], objects: Sequence[BBAMObject]) -> None:
        """Optimise the masks of ``objects`` in place (``obj.mask``); an object without positives gets zeros.

        Args:
            inputs (Tensor): (B, 3, Hp, Wp) the normalised batch ``prepare`` saw.
            img_shapes (Sequence): B (h, w).
            objects (Sequence[BBAMObject]): objects of these images (from :meth:`prepare`).
        """
        active = []
        for o in objects:
            if o.num_positives == 0:
                o.mask = torch.zeros(o.shape, dtype=torch.float32, device=inputs.device)
            else:
                active.append(o)
        size = 1 if self.strategy == 'per_object' else self.max_batch_objects
        with torch.enable_grad():
            for start in range(0, len(active), size):
                self._optimise_group(inputs, img_shapes, active[start:start + size])

    def run(self, inputs: Tensor, img_shapes: Sequence[Sequence[int]], gt_boxes: Sequence[Tensor],
            gt_labels: Sequence[Tensor], generators: Optional[Sequence[torch.Generator]] = None
            ) -> List[List[BBAMObject]]:
        """:meth:`prepare` then :meth:`optimise`; returns the objects per image with ``mask`` set."""
        per_image = self.prepare(inputs, img_shapes, gt_boxes, gt_labels, generators)
        self.optimise(inputs, img_shapes, [o for objs in per_image for o in objs])
        return per_image


def map_to_original(mask: Tensor, img_shape: Sequence[int], ori_shape: Sequence[int]) -> Tensor:
    """A low-resolution mask at the original image resolution.

    Bilinear with ``align_corners=True`` to the un-padded network input (as during optimisation), then bilinear
    (``align_corners=False``, cv2/PIL convention) to the original size.

    Args:
        mask (Tensor): (h, w) mask in [0, 1].
        img_shape (Sequence[int]): (H_in, W_in) resized, un-padded network-input size.
        ori_shape (Sequence[int]): (H, W) original image size.

    Returns:
        Tensor: (H, W) float32 in [0, 1].
    """
    up = upsample_mask(mask.detach().float(), img_shape)
    if tuple(int(v) for v in ori_shape) != tuple(int(v) for v in img_shape):
        up = F.interpolate(up[None, None], size=(int(ori_shape[0]), int(ori_shape[1])), mode='bilinear',
                           align_corners=False)[0, 0]
    return up.clamp(0.0, 1.0)
