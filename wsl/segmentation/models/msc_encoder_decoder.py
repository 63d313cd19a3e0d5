"""DeepLab-v2 as deeplab-pytorch runs it: multi-scale inputs with max fusion (MSC) and a dense CRF at test time.

BBAM's semantic network is kazuto1011/deeplab-pytorch's ``MSC(DeepLabV2_ResNet101)`` (specs/bbam.md §4.2). Its
``MSC`` wrapper runs the base network on the image and on copies resized by 0.5 and 0.75 (bilinear,
``align_corners=False``), upsamples the smaller copies' logits to the full-scale logit map and takes the
element-wise maximum. In training it returns every branch and the maximum, each supervised with the labels (the
losses are summed); in eval it returns the maximum, which is upsampled to the image, soft-maxed and refined by a
dense CRF (10 iterations; smoothness w 3, sxy 1; appearance w 4, sxy 67, srgb 3) before the arg-max. The paper's
73.7 val mIoU is very likely after that CRF (the author's fully supervised DeepLab: 73.4 before, 76.8 after).

:class:`MSCEncoderDecoder` is MMSegmentation's ``EncoderDecoder`` with both steps as options:

- ``msc_scales``: extra input scales (``()`` = single scale), fused by ``msc_fusion`` (``'max'`` as deeplab-pytorch,
  or ``'mean'``) at the full-scale logit resolution, in training (``msc_train``) and at test time;
- ``test_crf``: CRF settings (keys of :data:`wsl.segmentation.pseudo_masks.crf.CRF_DEFAULTS`, the test-time
  values in :data:`DEEPLAB_TEST_CRF`) applied to the soft-maxed logits at the original image size, or ``None``.

One difference from deeplab-pytorch, kept on purpose: MMSegmentation's losses upsample each branch's logits to
the label size (bilinear) where deeplab-pytorch shrinks the labels to each branch's logit size (nearest).
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmseg.models.segmentors import EncoderDecoder
from mmseg.utils import add_prefix
from torch import Tensor

from wsl.registry import MODELS

# deeplab-pytorch configs/voc12.yaml CRF block (ITER_MAX 10, POS_W 3, POS_XY_STD 1, BI_W 4, BI_XY_STD 67,
# BI_RGB_STD 3); the pseudo-label CRF uses bilateral sxy 80 instead.
DEEPLAB_TEST_CRF = dict(iterations=10, gaussian_sxy=1.0, gaussian_compat=3.0, bilateral_sxy=67.0,
                        bilateral_srgb=3.0, bilateral_compat=4.0)


def fuse_scales(logits: Sequence[Tensor], fusion: str = 'max') -> Tensor:
    """Fuse per-scale logits at the resolution of the first.

    Args:
        logits (Sequence[Tensor]): (B, C, h_k, w_k) logits; the first is the full-scale branch.
        fusion (str): ``'max'`` (element-wise maximum, deeplab-pytorch) or ``'mean'``.

    Returns:
        Tensor: (B, C, h_0, w_0).
    """
    if fusion not in ('max', 'mean'):
        raise ValueError(f"fuse_scales: fusion must be 'max' or 'mean', got {fusion!r}")
    size = logits[0].shape[2:]
    stack = torch.stack([logits[0]] + [F.interpolate(x, size=size, mode='bilinear', align_corners=False)
                                       for x in logits[1:]])
    return stack.max(0)[0] if fusion == 'max' else stack.mean(0)


@MODELS.register_module()
class MSCEncoderDecoder(EncoderDecoder):
    """``EncoderDecoder`` with deeplab-pytorch's multi-scale max fusion and an optional test-time dense CRF.

    Args:
        msc_scales (Sequence[float]): input scales besides 1.0 (deeplab-pytorch: ``(0.5, 0.75)``); ``()`` turns
            MSC off.
        msc_fusion (str): ``'max'`` (deeplab-pytorch) or ``'mean'``.
        msc_train (bool): train with every branch and the fused map supervised (deeplab-pytorch); ``False`` trains
            the full-scale branch only and uses MSC at test time only.
        test_crf (dict | None): dense-CRF settings for prediction (:data:`DEEPLAB_TEST_CRF` for deeplab-pytorch);
            ``None`` predicts the arg-max of the logits.
        **kwargs: as ``mmseg.models.EncoderDecoder``.
    """

    def __init__(self, msc_scales: Sequence[float] = (0.5, 0.75), msc_fusion: str = 'max', msc_train: bool = True,
                 test_crf: Optional[dict] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if any(not 0 < float(s) for s in msc_scales):
            raise ValueError(f'MSCEncoderDecoder: msc_scales must be positive, got {msc_scales}')
        if msc_fusion not in ('max', 'mean'):
            raise ValueError(f"MSCEncoderDecoder: msc_fusion must be 'max' or 'mean', got {msc_fusion!r}")
        self.msc_scales = tuple(float(s) for s in msc_scales)
        self.msc_fusion = msc_fusion
        self.msc_train = bool(msc_train)
        if test_crf is not None:
            from wsl.segmentation.pseudo_masks.crf import crf_config
            test_crf = crf_config(**dict(test_crf))  # unknown keys raise here, not at the first test image
        self.test_crf = test_crf

    # ---------------------------------------------------------------- logits
    def branch_logits(self, inputs: Tensor, feats: Optional[List[Tensor]] = None) -> List[Tensor]:
        """(B, 3, H, W) normalised images -> the decode head's logits for scale 1 and each ``msc_scales`` entry,
        each (B, C, h_k, w_k) at that branch's own output resolution. ``feats``: the scale-1 backbone features
        when already computed."""
        out = [self.decode_head.forward(self.extract_feat(inputs) if feats is None else feats)]
        for s in self.msc_scales:
            x = F.interpolate(inputs, scale_factor=s, mode='bilinear', align_corners=False)
            out.append(self.decode_head.forward(self.extract_feat(x)))
        return out

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Fused logits resized to the (padded) input size: (B, C, H, W)."""
        fused = fuse_scales(self.branch_logits(inputs), self.msc_fusion)
        return self.decode_head.predict_by_feat(fused, batch_img_metas)

    def loss(self, inputs: Tensor, data_samples) -> Dict[str, Tensor]:
        """Losses of the full-scale branch (``decode.*``) and, with ``msc_train``, of each extra scale
        (``decode_s50.*`` for 0.5 ...) and of the fused map (``decode_fused.*``); all ``loss*`` keys are summed."""
        if not (self.msc_train and self.msc_scales):
            return super().loss(inputs, data_samples)
        x = self.extract_feat(inputs)
        branches = self.branch_logits(inputs, x)
        names = ['decode'] + [f'decode_s{round(100 * s)}' for s in self.msc_scales] + ['decode_fused']
        losses = {}
        for name, logits in zip(names, branches + [fuse_scales(branches, self.msc_fusion)]):
            losses.update(add_prefix(self.decode_head.loss_by_feat(logits, data_samples), name))
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(x, data_samples))
        return losses

    # ------------------------------------------------------------ test CRF
    def _crf_image(self, inputs: Tensor, i: int, meta: dict) -> np.ndarray:
        """The (H, W, 3) uint8 image at ``ori_shape`` for sample ``i``: the file at ``img_path`` when the sample
        has one, else the network input un-normalised (padding removed, test-time flip undone, resized)."""
        ori = tuple(int(v) for v in meta['ori_shape'][:2])
        path = meta.get('img_path')
        if path:
            import mmcv
            img = mmcv.imread(path, channel_order='rgb')
            if img is None:
                raise FileNotFoundError(f'MSCEncoderDecoder test CRF: cannot read image {path}')
            if img.shape[:2] != ori:
                raise ValueError(f'MSCEncoderDecoder test CRF: {path} is {img.shape[:2]} but its ori_shape is {ori}')
            return np.ascontiguousarray(img)
        pre = self.data_preprocessor
        x = inputs[i:i + 1].float()
        if getattr(pre, '_enable_normalize', False):
            x = x * pre.std.view(1, -1, 1, 1) + pre.mean.view(1, -1, 1, 1)
        left, right, top, bottom = meta.get('img_padding_size', meta.get('padding_size', [0, 0, 0, 0]))
        x = x[:, :, top:x.shape[2] - bottom, left:x.shape[3] - right]
        if meta.get('flip'):
            x = x.flip(dims=(3, ) if meta.get('flip_direction') == 'horizontal' else (2, ))
        x = F.interpolate(x, size=ori, mode='bilinear', align_corners=False)
        return np.ascontiguousarray(x[0].permute(1, 2, 0).clamp(0, 255).round().byte().cpu().numpy())

    def predict(self, inputs: Tensor, data_samples=None):
        """As ``EncoderDecoder.predict``; with ``test_crf``, ``pred_sem_seg`` is the arg-max of the CRF posterior
        of softmax(``seg_logits``) at the original size (``seg_logits`` stays the network's)."""
        samples = super().predict(inputs, data_samples)
        if self.test_crf is None:
            return samples
        from wsl.segmentation.pseudo_masks.crf import ImageCRF
        for i, sample in enumerate(samples):
            logits = sample.seg_logits.data
            if logits.shape[0] < 2:
                raise ValueError('MSCEncoderDecoder test CRF needs at least 2 classes')
            meta = sample.metainfo if data_samples is not None else dict(ori_shape=logits.shape[1:])
            image = self._crf_image(inputs, i, meta)
            probs = torch.softmax(logits.float(), dim=0).cpu().numpy()
            q = ImageCRF(image, self.test_crf, logits.shape[0]).posterior(probs)
            sample.pred_sem_seg.data = torch.from_numpy(q.argmax(0)[None]).to(sample.pred_sem_seg.data)
        return samples
