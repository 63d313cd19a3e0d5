"""A dataset of real R2D2 training pairs with dense optical flow (the official ``aachen_flow_pairs`` and others)."""
import os
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.dataset import BaseDataset

from wsl.registry import DATASETS
from .feature_files import list_images, load_rgb
from .flow_io import FLOW_FORMATS, flow_to_aflow, read_flow, read_mask
from .flow_pairs import flow_pair_crop
from .pair_io import black_pair, item_rng, pack_pair, read_pair_list

FLOW_EXTENSIONS = ('.png', '.flo')


@DATASETS.register_module()
class R2D2FlowPairDataset(BaseDataset):
    """Image pairs with dense flow, cropped the R2D2 way (see :func:`~.flow_pairs.flow_pair_crop`).

    Two layouts, relative to ``data_root``:

    * the official Aachen one (``ann_file=''``): images under ``img_dir`` (searched recursively, matched by file
      name without extension, e.g. ``images_upright/db/1234.jpg`` is tag ``1234``), flows
      ``flow_dir/<tag1>_<tag2>.png`` (R2D2 PNG) or ``.flo``, and masks ``mask_dir/<tag1>_<tag2>.png`` (every flow
      needs its mask, as the official loader asserts; ``mask_dir=None`` uses the flow's own validity);
    * a pair list (``ann_file``): one pair per line, ``img1 img2 flow [mask]``, paths relative to ``data_root``
      (e.g. KITTI ``image_2/000000_10.png image_2/000000_11.png flow_occ/000000_10.png``, or Sintel/FlyingChairs
      ``.flo`` files); ``#`` starts a comment.

    Items: ``dict(inputs=(2, 3, crop, crop) uint8 RGB, data_samples=BaseDataElement(aflow=(2, crop, crop)
    float32, metainfo=dict(img_path, img2_path, flow_path)))``, the format of
    :class:`~.pair_dataset.R2D2SyntheticPairDataset`; ``aflow`` is NaN where the flow is invalid or masked.

    Args:
        data_root (str): dataset folder.
        img_dir, flow_dir, mask_dir (str): the official layout's folders (defaults: Aachen's).
        ann_file (str): a pair list instead (see above).
        flow_format (str): ``'auto'``, ``'r2d2_png'``, ``'flo'`` or ``'kitti_png'`` (:func:`~.flow_io.read_flow`).
        crop (int): pair size (R2D2: 192).
        short_side2 (tuple, optional): log-uniform range of image 2's short side before cropping (official
            ``RandomScale(256, 1024)``); None keeps it.
        jitter (bool): colour jitter on image 2 (official ``ColorJitter(0.2, 0.2, 0.2, 0.1)``).
        trials, max_attempts (int): window search (official 5 within 250).
        seed (int, optional): fixed crops (``rng = (seed, index)``); by default torch's RNG, seeded per worker.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments (``indices``, ``serialize_data``, ...).
    """

    def __init__(self, data_root: str, img_dir: str = 'images_upright/db', flow_dir: str = 'optical_flow/flow',
                 mask_dir: Optional[str] = 'optical_flow/mask', ann_file: str = '', flow_format: str = 'auto',
                 crop: int = 192, short_side2: Optional[Sequence[float]] = (256, 1024), jitter: bool = True,
                 trials: int = 5, max_attempts: int = 250, seed: Optional[int] = None, **kwargs) -> None:
        if flow_format not in FLOW_FORMATS:
            raise ValueError(f'R2D2FlowPairDataset: flow_format must be one of {FLOW_FORMATS}, got {flow_format!r}')
        if short_side2 is not None and not 0 < short_side2[0] <= short_side2[1]:
            raise ValueError(f'R2D2FlowPairDataset: short_side2 must be (lo, hi) with 0 < lo <= hi, got {short_side2}')
        self.img_dir, self.flow_dir, self.mask_dir = img_dir, flow_dir, mask_dir
        self.flow_format, self.crop, self.seed = flow_format, crop, seed
        self.crop_cfg = dict(crop=crop, short_side2=None if short_side2 is None else tuple(short_side2),
                             jitter=jitter, trials=trials, max_attempts=max_attempts)
        kwargs.setdefault('serialize_data', False)
        super().__init__(ann_file=ann_file, data_root=data_root, **kwargs)

    # ---- listing ----------------------------------------------------------------------------------------------
    def load_data_list(self) -> List[dict]:
        pairs = self._read_pair_list() if self.ann_file else self._scan_official_layout()
        if not pairs:
            raise FileNotFoundError(f'R2D2FlowPairDataset: no pairs under {self.data_root} '
                                    f'({self.ann_file or self.flow_dir})')
        return pairs

    def _read_pair_list(self) -> List[dict]:
        return [dict(img_path=p[0], img2_path=p[1], flow_path=p[2], mask_path=p[3] if len(p) == 4 else None)
                for p in read_pair_list(self.ann_file, self.data_root, (3, 4), 'img1 img2 flow [mask]')]

    def _scan_official_layout(self) -> List[dict]:
        img_root, flow_root = osp.join(self.data_root, self.img_dir), osp.join(self.data_root, self.flow_dir)
        if not osp.isdir(flow_root):
            raise FileNotFoundError(f'R2D2FlowPairDataset: flow folder not found: {flow_root}')
        images = {}
        for rel in list_images(img_root):
            tag = osp.splitext(osp.basename(rel))[0]
            if tag in images:
                raise ValueError(f'R2D2FlowPairDataset: two images named {tag!r} under {img_root} '
                                 f'({images[tag]} and {rel}); tags must be unique')
            images[tag] = rel
        flows = sorted(f for f in os.listdir(flow_root) if f.lower().endswith(FLOW_EXTENSIONS))
        mask_root = None if self.mask_dir is None else osp.join(self.data_root, self.mask_dir)
        pairs, no_mask = [], []
        for name in flows:
            stem = osp.splitext(name)[0]
            tags = stem.split('_')
            if len(tags) != 2:
                raise ValueError(f'{osp.join(flow_root, name)}: flow files are named <tag1>_<tag2>.png (image tags '
                                 'without "_")')
            missing = [t for t in tags if t not in images]
            if missing:
                raise FileNotFoundError(f'{osp.join(flow_root, name)}: no image {missing[0]}.* under {img_root}')
            mask = None
            if mask_root is not None:
                mask = osp.join(mask_root, stem + '.png')
                if not osp.isfile(mask):
                    no_mask.append(mask)
            pairs.append(dict(img_path=osp.join(img_root, images[tags[0]]),
                              img2_path=osp.join(img_root, images[tags[1]]), flow_path=osp.join(flow_root, name),
                              mask_path=mask))
        if no_mask:
            raise FileNotFoundError(f'R2D2FlowPairDataset: {len(no_mask)} flow files have no mask, e.g. {no_mask[0]} '
                                    '(set mask_dir=None to use the flow files\' own validity)')
        return pairs

    # ---- samples ----------------------------------------------------------------------------------------------
    def load_pair(self, idx: int) -> dict:
        """Full-size ``img1``, ``img2`` (H, W, 3) uint8 and ``aflow`` (2, H1, W1) float32 (NaN = invalid)."""
        info = self.get_data_info(idx)
        img1, img2 = load_rgb(info['img_path']), load_rgb(info['img2_path'])
        flow = read_flow(info['flow_path'], self.flow_format)
        mask = read_mask(info['mask_path']) if info['mask_path'] else None
        aflow = flow_to_aflow(flow, mask, (img1.shape[1], img1.shape[0]), source=info['flow_path'])
        return dict(img1=img1, img2=img2, aflow=aflow, info=info)

    def prepare_data(self, idx: int) -> dict:
        pair = self.load_pair(idx)
        info = pair['info']
        out = flow_pair_crop(pair['img1'], pair['img2'], pair['aflow'], item_rng(self.seed, idx), **self.crop_cfg)
        if out is None:  # as the official loader: a black pair with an all-NaN flow
            out = black_pair(self.crop)
        return pack_pair(out, img_path=info['img_path'], img2_path=info['img2_path'], flow_path=info['flow_path'])
