"""Absolute pose regression as an MMEngine model: trains a DFNet- or PoseNet-style APR on posed images."""
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import Tensor

from wsl.registry import MODELS
from .refine import apr_pose


@MODELS.register_module()
class NeFeSAPRModel(BaseModel):
    """Wraps an APR network (``DFNet``, ``PoseNetResNetAPR``, anything ``(B, 3, H, W) -> (B, 12)``) for training.

    Loss: mean squared error between the regressed 12 numbers and the flattened 3x4 ``[R | t]`` of the
    ground-truth camera-to-world pose in the APR frame (the pose loss of the DFNet / Direct-PoseNet code
    NeFeS's APRs come from). Prediction: the pose with its rotation projected onto SO(3) (``svd_reg``),
    stored as ``pred_pose`` (3, 4) for :class:`~.pose_error_metric.AbsolutePoseErrorMetric`.

    Inputs as produced by :class:`~.transforms.PackNeFeSInputs`: a list of (3, H, W) images in [0, 1] and
    data samples with a ``pose`` (3, 4) field.

    Args:
        apr (dict): the APR network config.
        loss_weight (float): weight of the pose MSE.
    """

    def __init__(self, apr: dict, loss_weight: float = 1.0, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.apr = MODELS.build(apr)
        self.loss_weight = loss_weight

    def forward(self, inputs: Union[Tensor, List[Tensor]], data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        imgs = inputs if isinstance(inputs, Tensor) else torch.stack(list(inputs))
        if mode == 'tensor':
            return self.apr(imgs)
        if data_samples is None:
            raise ValueError(f'NeFeSAPRModel: mode {mode!r} needs data_samples with a pose field')
        if mode == 'loss':
            return self.loss(imgs, data_samples)
        if mode == 'predict':
            return self.predict(imgs, data_samples)
        raise ValueError(f'NeFeSAPRModel: unknown mode {mode!r}')

    def loss(self, imgs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """``loss_pose``: weighted MSE of (B, 12) predictions against the flattened GT poses."""
        target = torch.stack([torch.as_tensor(_pose(d), dtype=imgs.dtype) for d in data_samples]).to(imgs.device)
        return dict(loss_pose=self.loss_weight * F.mse_loss(self.apr(imgs), target.reshape(-1, 12)))

    def predict(self, imgs: Tensor, data_samples: list) -> list:
        """Adds ``pred_pose`` (3, 4) (rotation projected onto SO(3)) to each data sample."""
        with torch.no_grad():
            poses = apr_pose(self.apr, imgs)
        results = []
        for ds, pose in zip(data_samples, poses):
            if isinstance(ds, dict):
                results.append(dict(ds, pred_pose=pose))
            else:
                ds = ds.clone()
                ds.set_field(pose, 'pred_pose')
                results.append(ds)
        return results


def _pose(sample):
    pose = sample['pose'] if isinstance(sample, dict) else getattr(sample, 'pose', None)
    if pose is None:
        raise KeyError('NeFeSAPRModel: data sample lacks a ground-truth pose field')
    return pose
