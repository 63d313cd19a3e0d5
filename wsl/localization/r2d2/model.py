"""R2D2 as an MMEngine model: image pairs with dense flow in, the three R2D2 losses out.

Data layout (see :class:`R2D2PairDataPreprocessor`): ``inputs`` is a list of uint8/float images in
0..255, each ``(2, 3, H, W)`` for a training pair (image 1, image 2) or ``(3, H, W)`` for a single
image; ``data_samples`` are ``BaseDataElement``\\ s carrying ``aflow`` (2, H, W), the absolute
position in image 2 of every pixel of image 1 (NaN = no match). For evaluation, pairs may be
zero-padded to a common size with their true sizes in the ``img_shapes`` metainfo
(:class:`~.hpatches_dataset.HPatchesPairDataset`), and single images carry ``img_shape``.
"""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor, BaseModel
from mmengine.structures import BaseDataElement, InstanceData
from torch import Tensor

from wsl.registry import MODELS
from .extract import R2D2_EXTRACT_DEFAULTS, extract_multiscale


@MODELS.register_module()
class R2D2PairDataPreprocessor(BaseDataPreprocessor):
    """Stack images (single or pairs), optionally swap BGR->RGB, and normalise.

    Items of different sizes are zero-padded at the bottom/right to the batch's largest size; each data
    sample must then say its true size (``img_shape`` for an image, ``img_shapes`` for a pair), which
    :meth:`R2D2.predict` crops back to. Data samples (with their ``aflow``) pass through unchanged; the
    model stacks the flows.

    Args:
        mean, std (sequence): per-channel statistics in 0..255 (ImageNet, as R2D2 was trained).
        bgr_to_rgb (bool): swap channels first (images loaded with OpenCV/MMCV are BGR).
    """

    def __init__(self, mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375), bgr_to_rgb: bool = False,
                 non_blocking: bool = False) -> None:
        super().__init__(non_blocking)
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float).view(3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float).view(3, 1, 1), persistent=False)
        self.bgr_to_rgb = bgr_to_rgb

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        imgs = data['inputs']
        if isinstance(imgs, (list, tuple)):
            imgs = self._stack(list(imgs), data.get('data_samples'))
        if imgs.shape[-3] != 3 or imgs.dim() not in (4, 5):
            raise ValueError(f'R2D2PairDataPreprocessor: inputs must be (3, H, W) images or (2, 3, H, W) pairs, '
                             f'got a batch of shape {tuple(imgs.shape)}')
        imgs = imgs.float()
        if self.bgr_to_rgb:
            imgs = imgs.flip(-3)
        return dict(inputs=(imgs - self.mean) / self.std, data_samples=data.get('data_samples'))

    @staticmethod
    def _stack(imgs: List[Tensor], data_samples: Optional[List[BaseDataElement]]) -> Tensor:
        """Stack, zero-padding to the largest (H, W) when sizes differ (then every sample needs its true size)."""
        if len({tuple(t.shape) for t in imgs}) == 1:
            return torch.stack(imgs)
        if len({t.shape[:-2] for t in imgs}) != 1:
            raise ValueError('R2D2PairDataPreprocessor: a batch mixes single images and pairs: '
                             f'{[tuple(t.shape) for t in imgs]}')
        for i, ds in enumerate(data_samples or [None] * len(imgs)):
            key = 'img_shapes' if imgs[i].dim() == 4 else 'img_shape'
            if ds is None or key not in ds.metainfo:
                raise ValueError(f'R2D2PairDataPreprocessor: images of different sizes in one batch need their true '
                                 f'size in each data sample\'s metainfo ({key!r}); sample {i} has none (or use '
                                 'batch_size=1)')
        h, w = max(t.shape[-2] for t in imgs), max(t.shape[-1] for t in imgs)
        return torch.stack([F.pad(t, (0, w - t.shape[-1], 0, h - t.shape[-2])) for t in imgs])


@MODELS.register_module()
class R2D2(BaseModel):
    """R2D2 (Revaud et al. 2019): trunk + heads trained with reliability, cosim and peaky losses.

    The submodules are named ``trunk`` and ``head`` like :class:`~.net.R2D2Net`, so checkpoints
    converted from the official weights load into either.

    Args:
        trunk, head (dict): configs of ``R2D2Trunk`` and ``R2D2Head``.
        loss_reliability (dict): AP-based reliability loss with its pixel sampler.
        loss_cosim (dict): cosine-similarity repeatability loss (N=16).
        loss_peaky (dict): peakiness loss (N=16).
        extract_cfg (dict): multi-scale extraction settings for ``predict`` (official defaults).
    """

    def __init__(self, trunk: dict = dict(type='R2D2Trunk'), head: dict = dict(type='R2D2Head'),
                 loss_reliability: dict = dict(type='R2D2ReliabilityLoss'),
                 loss_cosim: dict = dict(type='R2D2CosimLoss', n=16),
                 loss_peaky: dict = dict(type='R2D2PeakyLoss', n=16), extract_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        # built here so that it resolves in the wsl scope without a Runner setting the default scope
        preproc = MODELS.build(data_preprocessor or dict(type='R2D2PairDataPreprocessor'))
        super().__init__(data_preprocessor=preproc, init_cfg=init_cfg)
        self.trunk = MODELS.build(trunk)
        self.head = MODELS.build(head)
        self.loss_reliability = MODELS.build(loss_reliability)
        self.loss_cosim = MODELS.build(loss_cosim)
        self.loss_peaky = MODELS.build(loss_peaky)
        unknown = set(extract_cfg or {}) - set(R2D2_EXTRACT_DEFAULTS)
        if unknown:
            raise ValueError(f'R2D2: unknown extract_cfg keys {sorted(unknown)}')
        self.extract_cfg = {**R2D2_EXTRACT_DEFAULTS, **(extract_cfg or {})}

    def maps(self, img: Tensor) -> Dict[str, Tensor]:
        """(B, 3, H, W) normalised images -> descriptors (B, D, H, W), reliability, repeatability (B, 1, H, W)."""
        return self.head(self.trunk(img))

    def pair_losses(self, maps1: Dict[str, Tensor], maps2: Dict[str, Tensor], aflow: Tensor, suffix: str = '',
                    generator: Optional[torch.Generator] = None) -> Dict[str, Tensor]:
        """The three R2D2 losses of one pair of map dicts (keys get ``suffix``); ``generator`` drives
        the pixel sampler's draws (the global RNG when None)."""
        rel = self.loss_reliability(maps1['descriptors'], maps2['descriptors'], maps1['reliability'],
                                    maps2['reliability'], aflow, generator=generator)
        cosim = self.loss_cosim(maps1['repeatability'], maps2['repeatability'], aflow)
        peaky = self.loss_peaky(maps1['repeatability'], maps2['repeatability'])
        return {f'loss_reliability{suffix}': rel, f'loss_cosim{self.loss_cosim.n}{suffix}': cosim,
                f'loss_peaky{self.loss_peaky.n}{suffix}': peaky}

    @staticmethod
    def _stack_flow(data_samples: Optional[List[BaseDataElement]], like: Tensor) -> Tensor:
        if not data_samples or any('aflow' not in ds for ds in data_samples):
            raise ValueError('R2D2.loss: every data sample needs an "aflow" field (2, H, W)')
        return torch.stack([torch.as_tensor(ds.aflow) for ds in data_samples]).to(like)

    def loss(self, inputs: Tensor, data_samples: List[BaseDataElement]) -> Dict[str, Tensor]:
        """``inputs`` (B, 2, 3, H, W) normalised pairs -> dict of scalar losses."""
        if inputs.dim() != 5 or inputs.shape[1] != 2:
            raise ValueError(f'R2D2.loss expects pairs (B, 2, 3, H, W), got {tuple(inputs.shape)}')
        aflow = self._stack_flow(data_samples, inputs)
        # the two images go through the network separately, as the official code does (BN statistics)
        return self.pair_losses(self.maps(inputs[:, 0]), self.maps(inputs[:, 1]), aflow)

    def extract(self, img: Tensor) -> InstanceData:
        """Multi-scale features of one normalised image (3, H, W) with ``extract_cfg``.

        Returns:
            InstanceData: ``keypoints`` (N, 2) as x, y in the image's pixels, ``scales`` (N,), ``scores`` (N,)
            and ``descriptors`` (N, D), best score first.
        """
        f = extract_multiscale(self.maps, img[None], **self.extract_cfg)
        return InstanceData(keypoints=f['keypoints'][:, :2], scales=f['keypoints'][:, 2], scores=f['scores'],
                            descriptors=f['descriptors'])

    def predict(self, inputs: Tensor, data_samples: Optional[List[BaseDataElement]] = None) -> List[BaseDataElement]:
        """Multi-scale extraction per image (``(B, 3, H, W)``) or per image of each pair (``(B, 2, 3, H, W)``).

        Padded inputs are cropped to the samples' ``img_shape`` / ``img_shapes`` metainfo first; single-image
        keypoints are divided by ``scale_factor`` when given.

        Returns:
            list: data samples with ``pred_instances`` (single images) or ``pred_instances1`` and
            ``pred_instances2`` (pairs), each as :meth:`extract` returns.
        """
        if inputs.dim() not in (4, 5):
            raise ValueError(f'R2D2.predict expects images (B, 3, H, W) or pairs (B, 2, 3, H, W), got '
                             f'{tuple(inputs.shape)}')
        data_samples = data_samples or [BaseDataElement() for _ in range(len(inputs))]
        for item, ds in zip(inputs, data_samples):
            if inputs.dim() == 5:
                shapes = ds.metainfo.get('img_shapes', [item.shape[-2:]] * 2)
                ds.pred_instances1, ds.pred_instances2 = (self.extract(item[i, :, :h, :w])
                                                          for i, (h, w) in enumerate(shapes))
                continue
            h, w = ds.metainfo.get('img_shape', item.shape[-2:])[:2]
            pred = self.extract(item[:, :h, :w])
            sx, sy = ds.metainfo.get('scale_factor', (1.0, 1.0))[:2]
            pred.keypoints = pred.keypoints / pred.keypoints.new_tensor([sx, sy])
            ds.pred_instances = pred
        return data_samples

    def forward(self, inputs: Tensor, data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], List, Dict[str, Dict[str, Tensor]]]:
        """``mode='loss'`` (pairs), ``'predict'`` (images or pairs) or ``'tensor'`` (the maps of images, or of
        both images of pairs as ``dict(img1=..., img2=...)``)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            if inputs.dim() == 5:
                return dict(img1=self.maps(inputs[:, 0]), img2=self.maps(inputs[:, 1]))
            return self.maps(inputs)
        raise ValueError(f'R2D2.forward: unknown mode {mode!r}; expected loss, predict or tensor')
