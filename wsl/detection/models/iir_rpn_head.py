"""RPN head that can return its proposals' raw objectness logits WITH gradient (for H²FA's IIR unit, A3).

MMDetection's ``RPNHead`` detaches the scores in ``predict_by_feat`` and returns sigmoid scores overwritten by
NMS. :meth:`H2FARPNHead.predict_with_logits` keeps the class logits attached (box deltas stay detached, so RPN
regression never learns from the target) and carries the logits through top-k, size filtering, NMS and
``max_per_img`` as the extra ``InstanceData`` field ``obj_logits``.
"""
import copy
from typing import List, Tuple

import torch
from mmdet.models.dense_heads import RPNHead
from mmdet.models.utils import select_single_mlvl
from mmdet.structures.bbox import cat_boxes
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

from wsl.registry import MODELS


@MODELS.register_module()
class H2FARPNHead(RPNHead):
    """``RPNHead`` plus :meth:`predict_with_logits`; every other behaviour is MMDetection's."""

    def predict_with_logits(self, x: Tuple[Tensor], batch_img_metas: List[dict],
                            cfg: ConfigDict) -> List[InstanceData]:
        """Proposals of each image with their objectness logits attached to the graph.

        Args:
            x (tuple[Tensor]): features, each (B, C, H, W).
            batch_img_metas (list[dict]): image metas (``img_shape`` used for clipping).
            cfg (ConfigDict): proposal config (``nms_pre``, ``max_per_img``, ``nms``, ``min_bbox_size``);
                H²FA uses the training proposal config on target images.

        Returns:
            list[InstanceData]: per image ``bboxes`` (K, 4) (x1, y1, x2, y2) in input pixels, no gradient;
            ``scores`` (K,) sigmoid scores, no gradient; ``obj_logits`` (K,) raw logits with gradient.
        """
        cls_scores, bbox_preds = self(x)
        featmap_sizes = [c.shape[-2:] for c in cls_scores]
        mlvl_priors = self.prior_generator.grid_priors(featmap_sizes, dtype=cls_scores[0].dtype,
                                                       device=cls_scores[0].device)
        results = []
        for i, meta in enumerate(batch_img_metas):
            res = self._predict_by_feat_single(
                select_single_mlvl(cls_scores, i, detach=False), select_single_mlvl(bbox_preds, i, detach=True),
                None, mlvl_priors, meta, cfg, rescale=False)
            if 'obj_logits' not in res:  # no box survived: an empty, still connected field
                res.obj_logits = cls_scores[0][i].reshape(-1)[:0]
            results.append(res)
        return results

    def _predict_by_feat_single(self, cls_score_list, bbox_pred_list, score_factor_list, mlvl_priors, img_meta,
                                cfg, rescale=False, with_nms=True) -> InstanceData:
        """As ``RPNHead._predict_by_feat_single`` (sigmoid RPN only), also keeping ``obj_logits`` aligned."""
        if not self.use_sigmoid_cls:
            raise NotImplementedError('H2FARPNHead needs a sigmoid objectness (loss_cls use_sigmoid=True)')
        cfg = copy.deepcopy(self.test_cfg if cfg is None else cfg)
        nms_pre = cfg.get('nms_pre', -1)
        reg_dim = self.bbox_coder.encode_size
        mlvl_deltas, mlvl_priors_kept, mlvl_scores, mlvl_logits, level_ids = [], [], [], [], []
        for level, (cls_score, bbox_pred, priors) in enumerate(zip(cls_score_list, bbox_pred_list, mlvl_priors)):
            deltas = bbox_pred.permute(1, 2, 0).reshape(-1, reg_dim)
            logits = cls_score.permute(1, 2, 0).reshape(-1)
            scores = logits.detach().sigmoid()
            if 0 < nms_pre < scores.shape[0]:
                scores, order = scores.sort(descending=True)
                order, scores = order[:nms_pre], scores[:nms_pre]
                deltas, priors, logits = deltas[order], priors[order], logits[order]
            mlvl_deltas.append(deltas)
            mlvl_priors_kept.append(priors)
            mlvl_scores.append(scores)
            mlvl_logits.append(logits)
            level_ids.append(scores.new_full((scores.size(0), ), level, dtype=torch.long))
        bboxes = self.bbox_coder.decode(cat_boxes(mlvl_priors_kept), torch.cat(mlvl_deltas),
                                        max_shape=img_meta['img_shape'])
        results = InstanceData(bboxes=bboxes, scores=torch.cat(mlvl_scores), level_ids=torch.cat(level_ids),
                               obj_logits=torch.cat(mlvl_logits))
        return self._bbox_post_process(results=results, cfg=cfg, rescale=rescale, img_meta=img_meta)
