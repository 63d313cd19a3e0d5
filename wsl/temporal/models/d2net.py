"""D2-Net (Narayan et al., ICCV 2021): the model that composes streams, losses, x_ref and inference.

Data samples (``mmengine.structures.BaseDataElement``): ``gt_label`` (C,) multi-hot video labels for
training; metainfo ``num_snippets`` (optional) and, at inference, ``pred_instances`` is filled with
``segments`` (N, 2) in seconds, ``scores`` (N,) and ``labels`` (N,).
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement, InstanceData
from torch import Tensor

from wsl.registry import MODELS
from ..postprocess import localize, localize_kwargs, refine_tcam
from .attention import background_reference_batch, bottom_up_attention
from .mil_pooling import snippet_counts, valid_videos

SNIPPET_RATE = 25 / 16  # snippets per second: 16-frame snippets at 25 fps


@MODELS.register_module()
class D2Net(BaseModel):
    """D2-Net: two-stream TCAM trained with L_Dis + α·(L_DS + L_DV).

    Args:
        streams (dict): config of the two-stream network (``TwoStreamTCN``).
        loss_cls (dict): classification loss, called ``(tcam, labels, valid_len, embeddings=...)``:
            ``DisLoss`` (D2-Net), ``TopKFocalLoss`` / ``TopKBCELoss`` (Table 3 baselines).
        loss_snippet (dict, optional): L_DS, called ``(tcam, lambda_prime, labels, valid_len)``:
            ``SnippetPDMILoss`` or ``SnippetDenoiseLoss`` (Table 4); None disables it.
        loss_video (dict, optional): L_DV, called ``(tcam, labels, valid_len)``: ``VideoPDMILoss``
            or ``VideoDenoiseLoss``; None disables it.
        denoise_start_iter (int): L_D is active only when iter > this (code 1000; paper: always, 0 and -1).
        denoise_interval (int): and only when iter % this == 0 (code 2; paper 1).
        xref_momentum (float): x_ref ← (1 - m)·x_ref + m·batch mean (0.1).
        xref_bg_thresh (float): background threshold on 1 - λ for the x_ref update (0.5; ANet 0.8).
        min_len (int): videos with fewer valid snippets or no label do not update x_ref.
        test_cfg (dict, optional): inference constants, see :meth:`predict_video`.
        data_preprocessor (dict, optional): MMEngine data preprocessor.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self, streams: dict = dict(type='TwoStreamTCN'), loss_cls: dict = dict(type='DisLoss'),
                 loss_snippet: Optional[dict] = dict(type='SnippetPDMILoss'),
                 loss_video: Optional[dict] = dict(type='VideoPDMILoss'), denoise_start_iter: int = 1000,
                 denoise_interval: int = 2, xref_momentum: float = 0.1, xref_bg_thresh: float = 0.5,
                 min_len: int = 5, test_cfg: Optional[dict] = None, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.streams = MODELS.build(streams)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_snippet = MODELS.build(loss_snippet) if loss_snippet else None
        self.loss_video = MODELS.build(loss_video) if loss_video else None
        if denoise_interval < 1:
            raise ValueError(f'denoise_interval must be >= 1, got {denoise_interval}')
        self.denoise_start_iter, self.denoise_interval = denoise_start_iter, denoise_interval
        self.xref_momentum, self.xref_bg_thresh, self.min_len = xref_momentum, xref_bg_thresh, min_len
        self.test_cfg = dict(test_cfg or {})
        # x_ref: running reference background embedding; a buffer, saved in checkpoints, needed at test
        self.register_buffer('x_ref', torch.zeros(self.streams.embed_dim))
        self._calls = 0

    # ----------------------------------------------------------------------------------- inputs
    @staticmethod
    def pad_inputs(inputs: Union[Tensor, Sequence[Tensor]]) -> Tuple[Tensor, Optional[Tensor]]:
        """Stack a list of (T_i, D) features into (B, T_max, D) with zero padding.

        Returns:
            tuple: the padded batch and (B,) lengths (None when ``inputs`` was already a tensor).
        """
        if isinstance(inputs, Tensor):
            if inputs.dim() != 3:
                raise ValueError(f'inputs must be (B, T, D), got {tuple(inputs.shape)}')
            return inputs, None
        if len(inputs) == 0:
            raise ValueError('inputs is an empty list')
        lengths = torch.tensor([len(x) for x in inputs], device=inputs[0].device)
        out = inputs[0].new_zeros(len(inputs), int(lengths.max()), inputs[0].shape[-1])
        for i, x in enumerate(inputs):
            out[i, :len(x)] = x
        return out, lengths

    @staticmethod
    def stack_labels(data_samples: Sequence[BaseDataElement], like: Tensor) -> Tensor:
        """(B, C) multi-hot labels from ``data_samples[i].gt_label``."""
        if not data_samples or any('gt_label' not in ds for ds in data_samples):
            raise KeyError('D2Net loss needs data_samples with a multi-hot `gt_label` (C,) each')
        return torch.stack([torch.as_tensor(ds.gt_label) for ds in data_samples]).to(like)

    # ---------------------------------------------------------------------------------- forward
    def forward(self, inputs: Union[Tensor, Sequence[Tensor]], data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        """Route to ``loss`` / ``predict`` / ``tensor``.

        Args:
            inputs (Tensor | list[Tensor]): (B, T, 2048) zero-padded features or a list of (T_i, 2048).
            data_samples (list, optional): one data sample per video.
            mode (str): 'loss' → dict of losses; 'predict' → data samples with ``pred_instances``;
                'tensor' → dict of ``tcam`` (B, T, C), ``embeddings`` (B, T, D), ``logits``.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.streams(self.pad_inputs(inputs)[0])
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got {mode!r}")

    def _iteration(self) -> int:
        it = MessageHub.get_current_instance().get_info('iter')
        return self._calls if it is None else int(it)

    def denoise_active(self, iteration: int) -> bool:
        """Whether L_D is on at this (0-based) iteration: iter > start and iter % interval == 0."""
        return iteration > self.denoise_start_iter and iteration % self.denoise_interval == 0

    @torch.no_grad()
    def update_x_ref(self, tcam: Tensor, embeddings: Tensor, labels: Tensor, valid_len: Tensor) -> None:
        """x_ref ← (1 - m)·x_ref + m·(batch mean of the most-background snippet embeddings)."""
        use = valid_videos(valid_len, labels, self.min_len)
        batch = background_reference_batch(tcam, embeddings, valid_len, use, self.xref_bg_thresh)
        if batch is not None and bool(torch.isfinite(batch).all()):
            self.x_ref.mul_(1 - self.xref_momentum).add_(self.xref_momentum * batch.to(self.x_ref))

    def loss(self, inputs, data_samples) -> Dict[str, Tensor]:
        """Losses of a training batch (x_ref is updated before L_DS, as in the code)."""
        feats, _ = self.pad_inputs(inputs)
        valid_len = snippet_counts(feats)
        labels = self.stack_labels(data_samples, feats)
        out = self.streams(feats)
        tcam, emb = out['tcam'], out['embeddings']
        losses = dict(loss_cls=self.loss_cls(tcam, labels, valid_len, embeddings=emb))
        self.update_x_ref(tcam, emb, labels, valid_len)
        active = self.denoise_active(self._iteration())
        self._calls += 1
        zero = tcam.new_zeros(())
        if self.loss_snippet is not None:
            lam = bottom_up_attention(emb.detach(), self.x_ref)
            losses['loss_snippet'] = self.loss_snippet(tcam, lam, labels, valid_len) if active else zero
        if self.loss_video is not None:
            losses['loss_video'] = self.loss_video(tcam, labels, valid_len) if active else zero
        return losses

    # ------------------------------------------------------------------------------- inference
    @torch.no_grad()
    def predict_video(self, features: Tensor) -> Dict[str, np.ndarray]:
        """TCAM, λ', refined scores and detections of one un-padded video.

        ``test_cfg`` keys (code values by default): ``lambda_rescale_max`` (None; ANet 2.0),
        ``select_on`` ('refined' code / 'tcam' paper), ``class_rule`` ('half_max'; ANet 'top2'),
        ``k_divisor`` (8; ANet 4), ``k_rounding`` ('floor'; paper 'ceil'), ``thresholds``,
        ``min_len`` (2), ``inflate`` (0.25), ``contrast_thr`` (0.7; paper None), ``nms_iou``
        (0.3; paper 0.5), ``score_ratio`` (0.1).

        Args:
            features (Tensor): (T, 2048).

        Returns:
            dict: ``tcam`` (T, C), ``lambda_prime`` (T,), ``segments`` (N, 2) [s, e) snippets,
            ``scores`` (N,), ``labels`` (N,).
        """
        cfg = self.test_cfg
        out = self.streams(features[None])
        tcam = out['tcam'][0].float().cpu().numpy()
        lam = bottom_up_attention(out['embeddings'][0], self.x_ref).float().cpu().numpy()
        r = refine_tcam(tcam, lam, cfg.get('lambda_rescale_max'))
        dets = localize(r, select_scores=tcam if cfg.get('select_on', 'refined') == 'tcam' else None,
                        **localize_kwargs(cfg))
        return dict(tcam=tcam, lambda_prime=lam, **dets)

    def predict(self, inputs, data_samples: Optional[list] = None) -> List[BaseDataElement]:
        """Run each video at its own length (no padding effects) and fill ``pred_instances``."""
        if isinstance(inputs, Tensor):
            counts = snippet_counts(inputs)
            videos = []
            for i in range(len(inputs)):
                n = data_samples[i].metainfo.get('num_snippets') if data_samples else None
                videos.append(inputs[i, :int(n if n is not None else counts[i])])
        else:
            videos = list(inputs)
        data_samples = data_samples or [BaseDataElement() for _ in videos]
        rate = self.test_cfg.get('snippet_rate', SNIPPET_RATE)
        for feat, ds in zip(videos, data_samples):
            res = self.predict_video(feat)
            ds.pred_instances = InstanceData(
                segments=torch.from_numpy(res['segments'] / rate).float(),
                scores=torch.from_numpy(res['scores']).float(), labels=torch.from_numpy(res['labels']))
            if self.test_cfg.get('return_cams', False):
                ds.tcam = torch.from_numpy(res['tcam'])
                ds.lambda_prime = torch.from_numpy(res['lambda_prime'])
        return data_samples
