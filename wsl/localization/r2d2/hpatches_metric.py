"""HPatches mean matching accuracy (D2-Net protocol) as an MMEngine metric."""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from wsl.registry import METRICS
from .mma import MMA_THRESHOLDS, mutual_nn_match, pair_accuracy, summarize_mma, top_k_features


def _field(sample, key: str):
    value = sample.get(key) if isinstance(sample, dict) else getattr(sample, key, None)
    if value is None:
        raise KeyError(f'HPatchesMMAMetric: the data sample has no {key!r} (expected the pair predictions of '
                       'R2D2.predict on an HPatchesPairDataset item)')
    return value


def _features(pred) -> Dict[str, np.ndarray]:
    def arr(key):
        v = _field(pred, key)
        return (v.detach().cpu() if isinstance(v, torch.Tensor) else torch.as_tensor(v)).numpy()

    return dict(keypoints=arr('keypoints'), descriptors=arr('descriptors'), scores=arr('scores'))


@METRICS.register_module()
class HPatchesMMAMetric(BaseMetric):
    """MMA@t (t = 1..10 px) over HPatches pairs: overall, illumination (``i_*``) and viewpoint (``v_*``).

    Per pair: mutual nearest neighbours of the L2 descriptors, image-1 keypoints projected by the ground-truth
    homography, and the fraction of matches within t px (0 for a pair without matches); MMA is the mean of the
    per-pair fractions (see :mod:`~.mma`).

    Reads, per data sample (dict or data element), ``pred_instances1`` / ``pred_instances2`` (``keypoints`` (N, 2)
    x, y in original-image pixels, ``descriptors`` (N, D), ``scores`` (N,)), ``homography`` (3, 3) image 1 -> k and
    ``kind`` ('i' or 'v').

    Reports ``mma@t``, ``mma_i@t``, ``mma_v@t`` (a split without pairs is omitted), ``num_pairs``,
    ``num_pairs_i``, ``num_pairs_v``, ``mean_matches`` and ``mean_features``, under the prefix ``hpatches``.

    Args:
        thresholds (sequence): pixel thresholds (1..10 as the D2-Net plot; the headline is MMA@3).
        top_k (int, optional): keep the best-scored keypoints of each image only (the notebook's option).
    """
    default_prefix = 'hpatches'

    def __init__(self, thresholds: Sequence[float] = MMA_THRESHOLDS, top_k: Optional[int] = None,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not len(thresholds) or any(t <= 0 for t in thresholds):
            raise ValueError(f'HPatchesMMAMetric: thresholds must be positive pixel distances, got {thresholds}')
        self.thresholds, self.top_k = tuple(thresholds), top_k

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            f1, f2 = (top_k_features(_features(_field(sample, f'pred_instances{i}')), self.top_k) for i in (1, 2))
            kind = _field(sample, 'kind')  # metainfo and data fields are both top-level keys of to_dict()
            if kind not in ('i', 'v'):
                raise ValueError(f'HPatchesMMAMetric: kind must be "i" or "v", got {kind!r}')
            H = np.asarray(torch.as_tensor(_field(sample, 'homography')).cpu().numpy(), np.float64)
            matches = mutual_nn_match(torch.from_numpy(f1['descriptors']).float(),
                                      torch.from_numpy(f2['descriptors']).float()).numpy()
            acc = pair_accuracy(f1['keypoints'], f2['keypoints'], matches, H, self.thresholds)
            self.results.append(dict(kind=kind, acc=acc, num_matches=len(matches),
                                     num_features=(len(f1['scores']) + len(f2['scores'])) / 2))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        acc = dict(i=[r['acc'] for r in results if r['kind'] == 'i'], v=[r['acc'] for r in results if r['kind'] == 'v'])
        s = summarize_mma(acc, self.thresholds)
        out: Dict[str, float] = {}
        for key in ('mma', 'mma_i', 'mma_v'):
            if s[key] is not None:
                out.update({f'{key}@{t:g}': float(v) for t, v in zip(self.thresholds, s[key])})
        out.update(num_pairs=s['num_pairs'], num_pairs_i=s['num_pairs_i'], num_pairs_v=s['num_pairs_v'],
                   mean_matches=float(np.mean([r['num_matches'] for r in results])),
                   mean_features=float(np.mean([r['num_features'] for r in results])))
        return out
