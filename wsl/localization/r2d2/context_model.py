"""R2D2 with context aggregation (Hong et al. 2020): initial R2D2 maps guide HRNet semantic
features, which are aggregated and fused back into the low-level features before a final head.

Forward per image (spec §6.3): ``x = trunk(img)``, initial maps ``head(x)``; ``F = semantic(img)``;
``G = F ⊙ P`` with ``P = norm(rel·rep)`` (local-guided, optional); ``A = MSAgg(G)`` (optional);
``x' = x + conv1x1([x, A])``; final maps ``head_final(x')``. Loss: ``L_initial + λ·L_final``.
"""
from typing import Dict, List, Tuple

import torch
from mmengine.structures import BaseDataElement
from torch import Tensor

from wsl.registry import MODELS
from .context import ContextFusion, LocalGuidedModule, MultiScaleAggregation
from .model import R2D2


@MODELS.register_module()
class R2D2Context(R2D2):
    """The seed paper's model and its ablations (``use_lg``/``use_ma``: R2D2+LG, R2D2+LG+MA).

    Args:
        semantic (dict): the semantic branch (``HRNetSemanticBranch``; HRNet-W48 in the paper).
        use_lg (bool): gate semantic features with the initial score map (local-guided module).
        use_ma (bool): multi-scale aggregation of the (gated) semantic features.
        score_norm, detach_score: see :class:`~.context.LocalGuidedModule`.
        aggregation (str): ``'residual'`` (our choice) or ``'dense'``, see :class:`~.context.MultiScaleAggregation`.
        share_head (bool): reuse the initial head for the final prediction (ablation; off).
        lambda_final (float): λ of ``L_total = L_initial + λ·L_final`` (the paper is silent; our choice 1.0).
        Other arguments as :class:`~.model.R2D2`. ``predict``/``tensor`` outputs are the final maps.
    """

    def __init__(self, semantic: dict = dict(type='HRNetSemanticBranch'), use_lg: bool = True, use_ma: bool = True,
                 score_norm: str = 'sigmoid', detach_score: bool = False, aggregation: str = 'residual',
                 share_head: bool = False, lambda_final: float = 1.0, **kwargs) -> None:
        super().__init__(**kwargs)
        dim = self.trunk.out_channels
        self.semantic = MODELS.build(semantic)
        self.lg = LocalGuidedModule(score_norm, detach_score) if use_lg else None
        self.ma = MultiScaleAggregation(dim, aggregation) if use_ma else None
        self.fusion = ContextFusion(dim, dim)
        self.head_final = None if share_head else MODELS.build(dict(kwargs.get('head', dict(type='R2D2Head'))))
        self.lambda_final = lambda_final

    def maps_both(self, img: Tensor) -> Tuple[Dict[str, Tensor], Dict[str, Tensor]]:
        """(B, 3, H, W) normalised images -> (initial maps, final maps), each as :meth:`R2D2.maps`."""
        x = self.trunk(img)
        initial = self.head(x)
        ctx = self.semantic(img)
        if self.lg is not None:
            ctx = self.lg(ctx, initial['reliability'], initial['repeatability'])
        if self.ma is not None:
            ctx = self.ma(ctx)
        refined = self.fusion(x, ctx)
        final = (self.head_final or self.head)(refined)
        return initial, final

    def maps(self, img: Tensor) -> Dict[str, Tensor]:
        """The final maps (what extraction uses)."""
        return self.maps_both(img)[1]

    def loss(self, inputs: Tensor, data_samples: List[BaseDataElement]) -> Dict[str, Tensor]:
        """Initial and final R2D2 losses (``*_final`` keys already multiplied by λ).

        Both terms see the same pixel-sampler draws (one seed from the global RNG per step).
        """
        if inputs.dim() != 5 or inputs.shape[1] != 2:
            raise ValueError(f'R2D2Context.loss expects pairs (B, 2, 3, H, W), got {tuple(inputs.shape)}')
        aflow = self._stack_flow(data_samples, inputs)
        (i1, f1), (i2, f2) = self.maps_both(inputs[:, 0]), self.maps_both(inputs[:, 1])
        seed = int(torch.randint(0, 2**31 - 1, (1, )))

        def gen() -> torch.Generator:
            return torch.Generator(device=inputs.device).manual_seed(seed)

        losses = self.pair_losses(i1, i2, aflow, generator=gen())
        final = self.pair_losses(f1, f2, aflow, suffix='_final', generator=gen())
        losses.update({k: self.lambda_final * v for k, v in final.items()})
        return losses
