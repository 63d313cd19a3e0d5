"""Why does (or doesn't) the IIR unit help? Proposal-level statistics of a two-stage detector on labelled images.

For each image with ground-truth boxes, the RPN runs as it does for IIR in training (``train_cfg.rpn_proposal``,
objectness logits kept) and the RoI head scores every kept proposal. Reported over all images:

* ``recall``: fraction of ground-truth boxes covered by a proposal with IoU ≥ ``iou_thr``;
* ``recall_top{k}``: the same among the ``k`` proposals of highest objectness;
* ``cls_acc``: among covered boxes, how often the best-IoU proposal's foreground argmax (IIR's class assignment c_i)
  is the box's class — at chance (1 / C) the IIR objectness gradient carries no information;
* ``obj_pos`` / ``obj_neg``: mean objectness logit of proposals with IoU ≥ ``iou_thr`` to some box / of the rest;
* ``iir_raises_pos`` / ``iir_raises_neg``: fraction of those proposals whose objectness the IIR loss (Eqn 2 + BCE on
  the image's labels, all kept proposals) would raise by gradient descent (negative gradient), among those with a
  non-zero gradient.
"""
from typing import Dict, Iterable, List

import torch
from mmdet.structures.bbox import bbox2roi, bbox_overlaps

from .models.iir import iir_bce_loss, iir_image_scores


def _gt_boxes(sample) -> torch.Tensor:
    boxes = sample.gt_instances.bboxes
    boxes = boxes.tensor if hasattr(boxes, 'tensor') else boxes
    sf = sample.metainfo.get('scale_factor', (1.0, 1.0))
    return boxes * boxes.new_tensor([sf[0], sf[1], sf[0], sf[1]])


def proposal_diagnostics(model, batches: Iterable[dict], iou_thr: float = 0.5, top_k: int = 20) -> Dict[str, float]:
    """Statistics of module docstring over ``batches`` (dataloader batches of a test pipeline that keeps boxes).

    Args:
        model: an :class:`~wsl.detection.models.H2FARCNN` (any detector whose RPN head has ``predict_with_logits``).
        batches: iterable of ``{'inputs': [...], 'data_samples': [...]}`` (``gt_instances`` in original-image
            pixels, as the VOC test pipeline packs them; ``scale_factor`` maps them to the input).
        iou_thr (float): IoU for "covers a box".
        top_k (int): proposals counted by ``recall_top{k}``.

    Returns:
        dict[str, float]: the figures, plus ``num_images`` and ``num_boxes``.
    """
    model.eval()
    num_classes = model.roi_head.bbox_head.num_classes
    n_box = n_cov = n_top = n_ok = n_img = 0
    obj_pos: List[torch.Tensor] = []
    obj_neg: List[torch.Tensor] = []
    raise_pos = nz_pos = raise_neg = nz_neg = 0
    for batch in batches:
        data = model.data_preprocessor(batch, False)
        with torch.no_grad():
            x = model.extract_feat(data['inputs'])
        metas = [s.metainfo for s in data['data_samples']]
        with torch.no_grad():
            proposals = model.rpn_head.predict_with_logits(x, metas, model.train_cfg.rpn_proposal)
        for p, sample in zip(proposals, data['data_samples']):
            gt, labels = _gt_boxes(sample), sample.gt_instances.labels
            if len(gt) == 0 or len(p) == 0:
                n_box += len(gt)
                continue
            n_img += 1
            with torch.no_grad():
                cls = model.roi_head._bbox_forward(x, bbox2roi([p.bboxes]))['cls_score'][:, :num_classes]
            obj = p.obj_logits.detach().clone().requires_grad_(True)
            y = torch.zeros(1, num_classes, device=obj.device)
            y[0, labels] = 1
            iir_bce_loss(iir_image_scores(cls, obj)[None], y).backward()
            iou = bbox_overlaps(p.bboxes, gt)  # (N, G)
            pos = iou.max(dim=1).values >= iou_thr
            obj_pos.append(obj.detach()[pos])
            obj_neg.append(obj.detach()[~pos])
            g = obj.grad
            raise_pos += int((g[pos] < 0).sum())
            nz_pos += int((g[pos] != 0).sum())
            raise_neg += int((g[~pos] < 0).sum())
            nz_neg += int((g[~pos] != 0).sum())
            top = obj.detach().topk(min(top_k, len(obj))).indices
            for k in range(len(gt)):
                n_box += 1
                col = iou[:, k]
                if col.max() >= iou_thr:
                    n_cov += 1
                    n_ok += int(cls[col.argmax()].argmax() == labels[k])
                n_top += int((col[top] >= iou_thr).any())
    cat_pos, cat_neg = torch.cat(obj_pos) if obj_pos else None, torch.cat(obj_neg) if obj_neg else None
    nan = float('nan')
    return {
        'num_images': n_img, 'num_boxes': n_box,
        'recall': n_cov / n_box if n_box else nan,
        f'recall_top{top_k}': n_top / n_box if n_box else nan,
        'cls_acc': n_ok / n_cov if n_cov else nan,
        'obj_pos': float(cat_pos.mean()) if cat_pos is not None and len(cat_pos) else nan,
        'obj_neg': float(cat_neg.mean()) if cat_neg is not None and len(cat_neg) else nan,
        'iir_raises_pos': raise_pos / nz_pos if nz_pos else nan,
        'iir_raises_neg': raise_neg / nz_neg if nz_neg else nan,
    }
