"""H²FA R-CNN: Faster R-CNN with hybrid (box + image-level) supervision and four feature alignments A1–A4.

One backbone pass on the mixed batch (source images with boxes, target images with image-level labels, each
tagged by ``data_sample.metainfo['domain']``). Losses (keys as in the official code, weights in the config):

=================  =============  ====================================================================
key                paper          batch / switch
=================  =============  ====================================================================
loss_rpn_cls/bbox  L_rpn          source only (RPN box regression never sees the target)
loss_cls/bbox      L_det          source only (RoI box regression never sees the target)
loss_global_da     L_dc (half)    all images, GRL + focal γ=5 on res5 — switch A1
loss_local_da      L_dc (half)    all images, GRL + least squares on res2 — switch A1
loss_cam           L_ic           all images, multi-label BCE on res5, weight 0.1 — switch A2
loss_mil           L_cls          target only, IIR unit (Eqn 2) + BCE — switches A3 (objectness) / A4 (classes)
=================  =============  ====================================================================

A3 only stops the gradient into the class probabilities P; A4 only stops it into the objectness logits o
(the spec's inferred mapping for Table B.1 rows c–e); with both off ``loss_mil`` is not computed.
"""
import copy
from typing import Dict, List, Optional, Tuple

import torch
from mmdet.models.detectors import TwoStageDetector
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import bbox2roi
from mmengine.structures import InstanceData
from torch import Tensor

from wsl.registry import MODELS
from .iir import iir_bce_loss, iir_image_scores, iir_proposal_weights, sample_proposal_indices

DOMAINS = ('source', 'target')  # domain label 0 / 1
ALIGNMENTS = ('A1', 'A2', 'A3', 'A4')


def image_labels_of(sample: DetDataSample, num_classes: int) -> Tensor:
    """Multi-hot (C,) image labels: the sample's ``gt_image_labels`` if present, else its boxes' classes."""
    if 'gt_image_labels' in sample:
        idx = sample.gt_image_labels
    else:
        idx = sample.gt_instances.labels
    idx = torch.as_tensor(idx, dtype=torch.long).reshape(-1)
    if idx.numel() and (idx.min() < 0 or idx.max() >= num_classes):
        raise ValueError(f'image labels {idx.tolist()} of {sample.metainfo.get("img_path", "a sample")} are '
                         f'outside [0, {num_classes})')
    labels = torch.zeros(num_classes)
    labels[idx.cpu()] = 1.0
    return labels


def domain_of(sample: DetDataSample) -> int:
    """0 for ``metainfo['domain'] == 'source'`` (the default when untagged), 1 for ``'target'``."""
    domain = sample.metainfo.get('domain', 'source')
    if domain not in DOMAINS:
        raise ValueError(f"data sample {sample.metainfo.get('img_path', '')!r} has domain {domain!r}; expected one "
                         f'of {DOMAINS}')
    return DOMAINS.index(domain)


@MODELS.register_module()
class H2FARCNN(TwoStageDetector):
    """H²FA R-CNN detector (a ``TwoStageDetector`` whose heads all run on one backbone level).

    Args:
        backbone, rpn_head, roi_head, train_cfg, test_cfg, data_preprocessor, init_cfg: as ``TwoStageDetector``;
            ``rpn_head`` must be an :class:`H2FARPNHead` (``type='wsl.H2FARPNHead'``); no neck.
        global_da_head (dict): :class:`H2FAGlobalDomainClassifier` config (needed when A1 is on).
        local_da_head (dict): :class:`H2FALocalDomainClassifier` config (needed when A1 is on).
        image_cls_head (dict): :class:`H2FAImageClassifier` config (needed when A2 is on).
        alignments (dict): ``{'A1': bool, 'A2': bool, 'A3': bool, 'A4': bool}`` switches (Table B.1).
        iir (dict): ``num_proposals`` (proposals sampled at random per target image, 512 = the RoI batch size per
            image; -1 keeps all), ``loss_weight`` (weight of L_cls, 1.0), ``eps`` (BCE clamp, 1e-6).
        feat_index (int): backbone output used by the RPN, RoI head, global DA and image classifier ("res5").
        local_feat_index (int): backbone output used by the local DA classifier ("res2").
    """

    def __init__(self, backbone: dict, rpn_head: dict, roi_head: dict, train_cfg: dict, test_cfg: dict,
                 global_da_head: Optional[dict] = None, local_da_head: Optional[dict] = None,
                 image_cls_head: Optional[dict] = None, alignments: Optional[dict] = None,
                 iir: Optional[dict] = None, feat_index: int = -1, local_feat_index: int = 0,
                 neck: Optional[dict] = None, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if neck is not None:
            raise ValueError('H2FARCNN runs every head on one backbone level (res5) and takes no neck; got '
                             f'neck={neck}')
        super().__init__(backbone=backbone, rpn_head=rpn_head, roi_head=roi_head, train_cfg=train_cfg,
                         test_cfg=test_cfg, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not hasattr(self.rpn_head, 'predict_with_logits'):
            raise TypeError(f"H2FARCNN needs rpn_head type 'wsl.H2FARPNHead', got {type(self.rpn_head).__name__}")
        alignments = {**dict(A1=True, A2=True, A3=True, A4=True), **(alignments or {})}
        unknown = set(alignments) - set(ALIGNMENTS)
        if unknown:
            raise ValueError(f'alignments: unknown keys {sorted(unknown)}; expected {ALIGNMENTS}')
        self.alignments = {k: bool(v) for k, v in alignments.items()}
        self.iir_cfg = {**dict(num_proposals=512, loss_weight=1.0, eps=1e-6), **(iir or {})}
        self.feat_index, self.local_feat_index = feat_index, local_feat_index
        self.num_classes = self.roi_head.bbox_head.num_classes
        for key, cfg, switch in (('global_da_head', global_da_head, 'A1'), ('local_da_head', local_da_head, 'A1'),
                                 ('image_cls_head', image_cls_head, 'A2')):
            if self.alignments[switch] and cfg is None:
                raise ValueError(f'alignment {switch} is on but {key} is not configured')
            # Heads of switched-off alignments are not built: every parameter is used in every step (DDP).
            setattr(self, key, MODELS.build(cfg) if self.alignments[switch] else None)

    def extract_feat(self, batch_inputs: Tensor) -> Tuple[Tensor]:
        """The single level the heads use: ``(res5,)`` of shape (N, C, H, W)."""
        return (self.backbone(batch_inputs)[self.feat_index], )

    def loss(self, batch_inputs: Tensor, batch_data_samples: List[DetDataSample]) -> Dict[str, Tensor]:
        """All H²FA losses of a mixed batch (see the module docstring for keys and domains)."""
        feats = self.backbone(batch_inputs)
        x = feats[self.feat_index]
        device = x.device
        domains = torch.tensor([domain_of(s) for s in batch_data_samples], device=device)
        labels = torch.stack([image_labels_of(s, self.num_classes) for s in batch_data_samples]).to(device)
        losses = {}
        if self.alignments['A1']:
            losses['loss_global_da'] = self.global_da_head.loss(x, domains)
            losses['loss_local_da'] = self.local_da_head.loss(feats[self.local_feat_index], domains)
        if self.alignments['A2']:
            losses['loss_cam'] = self.image_cls_head.loss(x, labels)
        src = torch.nonzero(domains == 0).flatten().tolist()
        tgt = torch.nonzero(domains == 1).flatten().tolist()
        if src:
            losses.update(self._source_losses(x[src], [batch_data_samples[i] for i in src]))
        if tgt and (self.alignments['A3'] or self.alignments['A4']):
            losses['loss_mil'] = self._iir_loss(x[tgt], [batch_data_samples[i] for i in tgt], labels[tgt])
        return losses

    def _source_losses(self, x: Tensor, samples: List[DetDataSample]) -> Dict[str, Tensor]:
        """Fully supervised RPN and RoI losses on the source images (as ``TwoStageDetector.loss``)."""
        rpn_samples = copy.deepcopy(samples)
        for s in rpn_samples:
            s.gt_instances.labels = torch.zeros_like(s.gt_instances.labels)
        proposal_cfg = self.train_cfg.get('rpn_proposal', self.test_cfg.rpn)
        losses, rpn_results = self.rpn_head.loss_and_predict((x, ), rpn_samples, proposal_cfg=proposal_cfg)
        losses.update(self.roi_head.loss((x, ), rpn_results, samples))
        return losses

    def _iir_loss(self, x: Tensor, samples: List[DetDataSample], labels: Tensor) -> Tensor:
        """L_cls of the IIR unit on the target images; ``labels`` (B_t, C) multi-hot.

        A target image without proposals contributes nothing but stays connected to the graph (0 × its logits);
        the mean runs over the images that have proposals (the official code zeroes the whole batch instead).
        """
        metas = [s.metainfo for s in samples]
        proposals = self.rpn_head.predict_with_logits((x, ), metas, self.train_cfg.rpn_proposal)
        boxes, logits = [], []
        for p in proposals:
            idx = sample_proposal_indices(len(p), self.iir_cfg['num_proposals'], device=x.device)
            boxes.append(p.bboxes[idx])
            logits.append(p.obj_logits[idx])
        connect = sum(lg.sum() for lg in logits) * 0.0
        counts = [len(b) for b in boxes]
        if sum(counts) == 0:
            return connect
        cls_score = self.roi_head._bbox_forward((x, ), bbox2roi(boxes))['cls_score']
        if cls_score.shape[1] != self.num_classes + 1:
            raise ValueError(f'IIR expects C + 1 = {self.num_classes + 1} class logits (background last), got '
                             f'{cls_score.shape[1]}')
        if not self.alignments['A4']:  # A3 only: no gradient into the class probabilities P
            cls_score = cls_score.detach()
        scores, keep = [], []
        for i, (cls_i, obj_i) in enumerate(zip(cls_score.split(counts), logits)):
            if len(obj_i) == 0:
                continue
            if not self.alignments['A3']:  # A4 only: no gradient into the objectness logits o
                obj_i = obj_i.detach()
            scores.append(iir_image_scores(cls_i[:, :self.num_classes], obj_i))
            keep.append(i)
        loss = iir_bce_loss(torch.stack(scores), labels[keep], eps=self.iir_cfg['eps'])
        return self.iir_cfg['loss_weight'] * loss + connect

    @torch.no_grad()
    def proposal_scores(self, batch_inputs: Tensor, batch_data_samples: List[DetDataSample]) -> List[InstanceData]:
        """Every test-time proposal with the three scores behind the supplement's Figure B.2.

        Uses the RPN's test proposal config (all kept proposals, no sampling).

        Args:
            batch_inputs (Tensor): (B, 3, H, W) preprocessed images.
            batch_data_samples (list[DetDataSample]): their samples (``img_shape`` is read).

        Returns:
            list[InstanceData]: per image ``bboxes`` (N, 4) (x1, y1, x2, y2) in input pixels, ``objectness``
            (N,) sigmoid RPN scores, ``cls_probs`` (N, C) softmax over the foreground classes (background
            dropped, as in IIR) and ``aggregated`` (N, C) = P · W, each proposal's share of the image score
            p (its column sums are the IIR image scores).
        """
        x = self.extract_feat(batch_inputs)
        metas = [s.metainfo for s in batch_data_samples]
        proposals = self.rpn_head.predict_with_logits(x, metas, self.test_cfg.rpn)
        counts = [len(p) for p in proposals]
        cls_score = self.roi_head._bbox_forward(x, bbox2roi([p.bboxes for p in proposals]))['cls_score'] \
            if sum(counts) else x[0].new_zeros((0, self.num_classes + 1))
        out = []
        for p, cls_i in zip(proposals, cls_score.split(counts)):
            res = InstanceData(bboxes=p.bboxes, objectness=p.obj_logits.sigmoid())
            if len(p):
                probs, weights = iir_proposal_weights(cls_i[:, :self.num_classes], p.obj_logits)
            else:
                probs = weights = cls_i.new_zeros((0, self.num_classes))
            res.cls_probs, res.aggregated = probs, probs * weights
            out.append(res)
        return out
