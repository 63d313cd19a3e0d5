"""H²FA R-CNN's score heat maps (the supplement's Figure B.2) for one image.

Each map accumulates one score of every test-time proposal over the pixels of its box
(:func:`wsl.visualization.accumulate_box_scores`): (b) class-agnostic RPN objectness, (c) the detection head's
probability of class c, (d) the IIR unit's aggregated score P·W of class c.
"""
from typing import Optional, Union

import numpy as np
import torch

from wsl.apis import prepare_batch
from wsl.visualization import accumulate_box_scores, draw_score_heatmaps


def h2fa_score_maps(model: torch.nn.Module, image: Union[str, np.ndarray], class_name: Optional[str] = None) -> dict:
    """The three Figure B.2 maps of ``image`` for one class.

    Args:
        model: an ``H2FARCNN`` from :func:`wsl.apis.init_model` (eval mode).
        image (str | np.ndarray): path, or (H, W, 3) BGR uint8 array.
        class_name (str, optional): the class of maps (c) and (d); default: the class with the highest IIR image
            score.

    Returns:
        dict: ``image`` (H, W, 3) RGB uint8 at original size, ``class_name``, ``image_scores`` ({class: p_c}),
        ``maps`` ({'objectness', 'classification', 'aggregated'}: (H, W) in [0, 1]), ``num_proposals``.
    """
    if not hasattr(model, 'proposal_scores'):
        raise TypeError(f'h2fa_score_maps needs an H2FARCNN (with proposal_scores), got {type(model).__name__}')
    classes = list(model.dataset_meta.get('classes', [])) if getattr(model, 'dataset_meta', None) else []
    if len(classes) != model.num_classes:
        classes = [str(i) for i in range(model.num_classes)]
    batch = prepare_batch(model, image)
    data = model.data_preprocessor(batch, False)
    res = model.proposal_scores(data['inputs'], data['data_samples'])[0]
    meta = data['data_samples'][0].metainfo
    h, w = meta['ori_shape'][:2]
    boxes = res.bboxes.cpu().numpy() / np.tile(np.asarray(meta['scale_factor'], dtype=np.float64), 2)
    img_scores = res.aggregated.sum(0).cpu().numpy() if len(res) else np.zeros(len(classes))
    if class_name is None:
        c = int(np.argmax(img_scores))
    elif class_name in classes:
        c = classes.index(class_name)
    else:
        raise ValueError(f'h2fa_score_maps: class {class_name!r} is not one of the model classes {classes}')
    maps = dict(objectness=accumulate_box_scores(boxes, res.objectness.cpu().numpy(), h, w),
                classification=accumulate_box_scores(boxes, res.cls_probs[:, c].cpu().numpy(), h, w),
                aggregated=accumulate_box_scores(boxes, res.aggregated[:, c].cpu().numpy(), h, w))
    if isinstance(image, str):
        import mmcv
        rgb = mmcv.imread(image, channel_order='rgb')  # original size, as the maps
    else:
        rgb = np.ascontiguousarray(image[..., ::-1])
    return dict(image=rgb, class_name=classes[c], image_scores=dict(zip(classes, map(float, img_scores))),
                maps=maps, num_proposals=len(res))


def draw_h2fa_heatmaps(model: torch.nn.Module, image: Union[str, np.ndarray], out_file: str,
                       class_name: Optional[str] = None) -> dict:
    """Compute :func:`h2fa_score_maps` and save the four-panel figure (image, (b), (c), (d)) to ``out_file``."""
    r = h2fa_score_maps(model, image, class_name)
    c = r['class_name']
    draw_score_heatmaps(r['image'], {'(b) objectness': r['maps']['objectness'],
                                     f'(c) classification: {c}': r['maps']['classification'],
                                     f'(d) aggregated: {c}': r['maps']['aggregated']}, out_file,
                        title=f"image score p({c}) = {r['image_scores'][c]:.3f}, {r['num_proposals']} proposals")
    return dict(r, out_file=out_file)
