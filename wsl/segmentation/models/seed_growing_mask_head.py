"""Mask R-CNN mask head trained on strict + loose pseudo masks with seed growing (specs/bbam.md §4.1)."""
from typing import List

import torch
from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from mmdet.structures.mask import mask_target
from mmengine.config import ConfigDict
from torch import Tensor

from wsl.registry import MODELS
from wsl.segmentation.datasets.paired_masks import PairedBitmapMasks


@MODELS.register_module()
class SeedGrowingMaskHead(FCNMaskHead):
    """``FCNMaskHead`` whose loss reads two 28×28 targets per positive RoI: strict (T_fg) and loose (T_loose).

    Both targets are built like MMDetection's (``mask_target``: RoIAlign of the GT mask in the positive proposal,
    binarised at 0.5) from ``gt_instances.masks`` (a :class:`PairedBitmapMasks`) and ``gt_instances.masks.loose``.
    The loss (``loss_mask``, default :class:`SeedGrowingMaskLoss`) is called as ``loss_mask(logits, strict,
    loose)`` on the target-class logits of all positive RoIs of the batch; ``loose`` is None — the official
    strict-only fallback — when any image of the batch has plain ``BitmapMasks`` (no loose masks).

    Args:
        loss_mask (dict): the loss config. Defaults to ``SeedGrowingMaskLoss`` with τ = 0.9.
        **kwargs: as ``mmdet.models.roi_heads.mask_heads.FCNMaskHead`` (num_convs, roi_feat_size,
            conv_out_channels, num_classes, class_agnostic ...).
    """

    def __init__(self, loss_mask: dict = dict(type='wsl.SeedGrowingMaskLoss', grow_threshold=0.9),
                 **kwargs) -> None:
        super().__init__(loss_mask=loss_mask, **kwargs)

    def get_paired_targets(self, sampling_results: list, batch_gt_instances: list,
                           rcnn_train_cfg: ConfigDict) -> tuple:
        """Strict and loose mask targets of the positive RoIs.

        Returns:
            tuple: ``strict`` (P, M, M) float in {0, 1}; ``loose`` (P, M, M) or None when an image lacks loose
            masks. P = positive RoIs of the batch, M = ``rcnn_train_cfg.mask_size``.
        """
        pos_proposals = [res.pos_priors for res in sampling_results]
        pos_gt_inds = [res.pos_assigned_gt_inds for res in sampling_results]
        if not all('masks' in gt for gt in batch_gt_instances):
            raise KeyError('SeedGrowingMaskHead: gt_instances have no "masks"; load the pseudo masks with '
                           'LoadPairedAnnotations(with_bbox=True, with_mask=True) (BBAMPseudoMaskDataset)')
        masks: List = [gt.masks for gt in batch_gt_instances]
        strict = mask_target(pos_proposals, pos_gt_inds, masks, rcnn_train_cfg)
        if not all(isinstance(m, PairedBitmapMasks) for m in masks):
            return strict, None
        loose = mask_target(pos_proposals, pos_gt_inds, [m.loose for m in masks], rcnn_train_cfg)
        return strict, loose

    def loss_and_target(self, mask_preds: Tensor, sampling_results: list, batch_gt_instances: list,
                        rcnn_train_cfg: ConfigDict) -> dict:
        """Seed-growing mask loss.

        Args:
            mask_preds (Tensor): (P, C, M, M) mask logits of the positive RoIs (C = 1 if class-agnostic).
            sampling_results (list[SamplingResult]): per image.
            batch_gt_instances (list[InstanceData]): per image, with ``masks`` (PairedBitmapMasks or BitmapMasks).
            rcnn_train_cfg (ConfigDict): RCNN train config (``mask_size``).

        Returns:
            dict: ``loss_mask`` (dict with the scalar ``loss_mask``) and ``mask_targets`` (the strict targets).
        """
        strict, loose = self.get_paired_targets(sampling_results, batch_gt_instances, rcnn_train_cfg)
        if mask_preds.size(0) == 0:
            return dict(loss_mask=dict(loss_mask=mask_preds.sum()), mask_targets=strict)
        pos_labels = torch.cat([res.pos_gt_labels for res in sampling_results])
        index = torch.zeros_like(pos_labels) if self.class_agnostic else pos_labels
        logits = mask_preds[torch.arange(mask_preds.size(0), device=mask_preds.device), index]
        loss = self.loss_mask(logits, strict, loose)
        return dict(loss_mask=dict(loss_mask=loss), mask_targets=strict)
