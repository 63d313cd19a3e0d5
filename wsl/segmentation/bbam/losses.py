"""The BBAM objective (Eq. 1-3): L = L_perturb + λ·Σ M (+ the code's undocumented TV³ term).

L_perturb (Eq. 3) is the mean over the positive proposals o of
``1_box·w_box·R(|t_c(o) − t̂_c(o)|) + 1_cls·w_cls·|p_c(o) − p̂_c(o)|``:

* t_c are the raw regression outputs (encoded deltas) of the target class c, t̂_c those on the clean image;
* p_c is the softmax probability of class c only (background included in the softmax);
* code parity (``BBAM_training_images_multi.py``): w_box = w_cls = ½ and R = mean over the 4 deltas;
* paper (Eq. 2 read literally): w_box = w_cls = 1 and R = sum over the 4 deltas (plain L1 norms).

λ·Σ M sums over the low-resolution mask elements (|M| = M since M ∈ [0, 1]). The code adds
``tv_coeff · Σ |ΔM|^β`` over vertical, horizontal and diagonal neighbours, listing each diagonal direction twice.
"""
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wsl.registry import MODELS

BOX_REDUCTIONS = ('mean', 'sum')


def gather_class_deltas(bbox_pred: Tensor, labels: Tensor) -> Tensor:
    """The regression outputs of each row's class.

    Args:
        bbox_pred (Tensor): (P, 4·C) class-specific deltas (mmdet: no background slot) or (P, 4) class-agnostic.
        labels (Tensor): (P,) int64 class indices in [0, C).

    Returns:
        Tensor: (P, 4) encoded deltas (dx, dy, dw, dh) of class ``labels[i]`` for row i.
    """
    if bbox_pred.size(-1) == 4:
        return bbox_pred
    per_class = bbox_pred.reshape(bbox_pred.size(0), bbox_pred.size(-1) // 4, 4)
    return per_class[torch.arange(per_class.size(0), device=bbox_pred.device), labels]


def target_class_prob(cls_score: Tensor, labels: Tensor) -> Tensor:
    """Softmax probability of each row's class (softmax over all C + 1 logits, background included).

    Args:
        cls_score (Tensor): (P, C + 1) logits.
        labels (Tensor): (P,) int64 class indices.

    Returns:
        Tensor: (P,) probabilities.
    """
    probs = F.softmax(cls_score, dim=-1)
    return probs[torch.arange(probs.size(0), device=probs.device), labels]


def perturb_loss(probs: Tensor, deltas: Tensor, ref_probs: Tensor, ref_deltas: Tensor,
                 obj_index: Optional[Tensor] = None, num_objects: Optional[int] = None, use_box: bool = True,
                 use_cls: bool = True, box_weight: float = 0.5, cls_weight: float = 0.5,
                 box_reduction: str = 'mean') -> Tensor:
    """L_perturb of Eq. 3 for one or several objects (the mean over each object's positive proposals).

    Args:
        probs (Tensor): (P,) target-class probability on the masked image.
        deltas (Tensor): (P, 4) target-class deltas on the masked image.
        ref_probs (Tensor): (P,) the same on the clean image (treated as constants).
        ref_deltas (Tensor): (P, 4) the same on the clean image (treated as constants).
        obj_index (Tensor | None): (P,) int64 object of each proposal; None means one object.
        num_objects (int | None): number of objects (default ``obj_index.max() + 1``).
        use_box (bool): 1_box of Eq. 2.
        use_cls (bool): 1_cls of Eq. 2.
        box_weight (float): weight of the box term (½ in the code, 1 in the paper).
        cls_weight (float): weight of the cls term (½ in the code, 1 in the paper).
        box_reduction (str): 'mean' (code) or 'sum' (paper's L1 norm) over the 4 deltas.

    Returns:
        Tensor: (num_objects,) the loss of each object; an object with no proposal gets 0.
    """
    if box_reduction not in BOX_REDUCTIONS:
        raise ValueError(f'perturb_loss: box_reduction must be one of {BOX_REDUCTIONS}, got {box_reduction!r}')
    if not (use_box or use_cls):
        raise ValueError('perturb_loss: at least one of use_box (1_box) and use_cls (1_cls) must be True')
    per_roi = probs.new_zeros(probs.shape)
    if use_box:
        diff = (deltas - ref_deltas.detach()).abs()
        per_roi = per_roi + box_weight * (diff.mean(-1) if box_reduction == 'mean' else diff.sum(-1))
    if use_cls:
        per_roi = per_roi + cls_weight * (probs - ref_probs.detach()).abs()
    if obj_index is None:
        return per_roi.mean().reshape(1) if per_roi.numel() else per_roi.new_zeros(1)
    n = int(obj_index.max()) + 1 if num_objects is None else int(num_objects)
    sums = per_roi.new_zeros(n).index_add(0, obj_index, per_roi)
    counts = torch.bincount(obj_index, minlength=n).to(per_roi.dtype)
    return sums / counts.clamp_min(1)


def mask_sparsity(mask: Tensor) -> Tensor:
    """Σ |M| over all elements of the low-resolution mask (Eq. 1's ‖M‖₁; a sum, not a mean)."""
    return mask.abs().sum()


def tv_norm(mask: Tensor, beta: float = 3.0, diagonal: bool = True, duplicate_diagonals: bool = True) -> Tensor:
    """Σ |ΔM|^β over neighbouring mask elements, as ``tv_norm(..., diagonal=True, sum=True)`` in the code.

    Args:
        mask (Tensor): (..., h, w) mask.
        beta (float): β (3).
        diagonal (bool): add the two diagonal directions.
        duplicate_diagonals (bool): count each diagonal direction twice (the code lists four diagonal terms,
            two of which repeat the other two).

    Returns:
        Tensor: scalar sum.
    """
    m = mask
    tv = (m[..., :-1, :] - m[..., 1:, :]).abs().pow(beta).sum() + (m[..., :, :-1] - m[..., :, 1:]).abs().pow(beta).sum()
    if diagonal:
        diag = (m[..., :-1, :-1] - m[..., 1:, 1:]).abs().pow(beta).sum() + \
            (m[..., 1:, :-1] - m[..., :-1, 1:]).abs().pow(beta).sum()
        tv = tv + (2.0 if duplicate_diagonals else 1.0) * diag
    return tv


@MODELS.register_module()
class BBAMLoss(nn.Module):
    """The whole BBAM objective for a batch of objects, each with its own mask.

    Args:
        lambda_sparsity (float): λ of Eq. 1 (0.007), applied to Σ M over the low-resolution mask.
        use_box (bool): 1_box of Eq. 2.
        use_cls (bool): 1_cls of Eq. 2.
        box_weight (float): box-term weight (code ½, paper 1).
        cls_weight (float): cls-term weight (code ½, paper 1).
        box_reduction (str): 'mean' (code) or 'sum' (paper) over the 4 deltas.
        tv_weight (float): coefficient of the TV term (code 1e-4; 0 = the paper, no TV).
        tv_beta (float): β of the TV term (3).
        tv_diagonal (bool): include the diagonal neighbours (code: True).
        tv_duplicate_diagonals (bool): count each diagonal twice (code: True).
    """

    def __init__(self, lambda_sparsity: float = 0.007, use_box: bool = True, use_cls: bool = True,
                 box_weight: float = 0.5, cls_weight: float = 0.5, box_reduction: str = 'mean',
                 tv_weight: float = 1e-4, tv_beta: float = 3.0, tv_diagonal: bool = True,
                 tv_duplicate_diagonals: bool = True) -> None:
        super().__init__()
        if box_reduction not in BOX_REDUCTIONS:
            raise ValueError(f'BBAMLoss: box_reduction must be one of {BOX_REDUCTIONS}, got {box_reduction!r}')
        if not (use_box or use_cls):
            raise ValueError('BBAMLoss: at least one of use_box (1_box) and use_cls (1_cls) must be True')
        for name, val in (('lambda_sparsity', lambda_sparsity), ('tv_weight', tv_weight), ('tv_beta', tv_beta)):
            if val < 0:
                raise ValueError(f'BBAMLoss: {name} must be >= 0, got {val}')
        self.lambda_sparsity = lambda_sparsity
        self.use_box, self.use_cls = use_box, use_cls
        self.box_weight, self.cls_weight = box_weight, cls_weight
        self.box_reduction = box_reduction
        self.tv_weight, self.tv_beta = tv_weight, tv_beta
        self.tv_diagonal, self.tv_duplicate_diagonals = tv_diagonal, tv_duplicate_diagonals

    def forward(self, cls_score: Tensor, bbox_pred: Tensor, labels: Tensor, ref_probs: Tensor, ref_deltas: Tensor,
                masks: Sequence[Tensor], obj_index: Tensor) -> Dict[str, Tensor]:
        """Loss terms per object.

        Args:
            cls_score (Tensor): (P, C + 1) logits of the positive proposals on the masked images.
            bbox_pred (Tensor): (P, 4·C) or (P, 4) deltas on the masked images.
            labels (Tensor): (P,) target class of each proposal (its object's GT class).
            ref_probs (Tensor): (P,) clean target-class probabilities.
            ref_deltas (Tensor): (P, 4) clean target-class deltas.
            masks (Sequence[Tensor]): one (h_k, w_k) low-resolution mask per object.
            obj_index (Tensor): (P,) int64 index into ``masks`` of each proposal.

        Returns:
            dict: ``loss_perturb``, ``loss_sparsity``, ``loss_tv`` and ``loss`` (their sum), each (K,) per object.
        """
        probs = target_class_prob(cls_score, labels)
        deltas = gather_class_deltas(bbox_pred, labels)
        perturb = perturb_loss(probs, deltas, ref_probs, ref_deltas, obj_index, len(masks), self.use_box,
                               self.use_cls, self.box_weight, self.cls_weight, self.box_reduction)
        sparsity = torch.stack([self.lambda_sparsity * mask_sparsity(m) for m in masks])
        if self.tv_weight > 0:
            tv = torch.stack([self.tv_weight * tv_norm(m, self.tv_beta, self.tv_diagonal,
                                                       self.tv_duplicate_diagonals) for m in masks])
        else:
            tv = torch.zeros_like(sparsity)
        return dict(loss_perturb=perturb, loss_sparsity=sparsity, loss_tv=tv, loss=perturb + sparsity + tv)
