"""Still image pairs for R2D2 training: two renderings of the same view (the official ``S`` source, Aachen day→night
style-transfer pairs), made into training pairs with the synthetic-pair jitter."""
import os
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.dataset import BaseDataset

from wsl.registry import DATASETS
from .feature_files import list_images, load_rgb
from .pair_io import draw_synthetic_pair, item_rng, pack_pair, read_pair_list

STYLE_TAG_SEP = '.jpg.st_'  # official naming: <db image tag>.jpg.st_<style source>


@DATASETS.register_module()
class R2D2StillPairDataset(BaseDataset):
    """Pairs (image, the same view re-rendered), e.g. Aachen db images and their night style transfers.

    Two layouts, relative to ``data_root``:

    * the official Aachen one (``ann_file=''``): db images under ``img_dir`` (searched recursively, tag = file name
      without extension) and the style-transferred images in ``style_dir``, each named
      ``<tag>.jpg.st_<anything>`` after the db image it re-renders (as naver/r2d2's
      ``AachenPairs_StyleTransferDayNight`` lists them);
    * a pair list (``ann_file``): one pair per line, ``img1 img2`` relative to ``data_root``; ``#`` starts a comment.

    The two images show the same geometry; their flow is the identity rescaled to image 2's size (official
    ``StillPairDataset``). Each item is then jittered like a synthetic pair (:func:`~.synthetic_pairs.synthetic_pair`
    with ``img2``: short-side rescale, random tilt, image-2 rescale, colour jitter, pixel noise, window pair), so
    the output has the format of :class:`~.pair_dataset.R2D2SyntheticPairDataset`: ``dict(inputs=(2, 3, crop, crop)
    uint8 RGB, data_samples=BaseDataElement(aflow=(2, crop, crop) float32, metainfo=dict(img_path, img2_path,
    homography)))``.

    Args:
        data_root (str): dataset folder (e.g. ``data/aachen/``).
        img_dir (str): db images (official: ``images_upright/db``).
        style_dir (str): the style-transferred images (official: ``style_transfer``).
        ann_file (str): a pair list instead of the official layout.
        crop, short_side, max_tilt, scale2, noise, jitter: the synthetic-pair recipe's settings.
        seed (int, optional): fixed pairs (``rng = (seed, index)``); by default torch's RNG, seeded per worker.
        max_draws (int): recipe retries; then a black pair with an all-NaN flow (as the official loader).
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments.
    """

    def __init__(self, data_root: str, img_dir: str = 'images_upright/db', style_dir: str = 'style_transfer',
                 ann_file: str = '', crop: int = 192, short_side: Sequence[int] = (256, 1024), max_tilt: float = 0.5,
                 scale2: Sequence[float] = (0.5, 2.0), noise: float = 25, jitter: bool = True,
                 seed: Optional[int] = None, max_draws: int = 10, **kwargs) -> None:
        self.img_dir, self.style_dir = img_dir, style_dir
        self.cfg = dict(crop=crop, short_side=tuple(short_side), max_tilt=max_tilt, scale2=tuple(scale2),
                        noise=noise, jitter=jitter)
        self.crop, self.seed, self.max_draws = crop, seed, max_draws
        kwargs.setdefault('serialize_data', False)
        super().__init__(ann_file=ann_file, data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        pairs = self._read_pair_list() if self.ann_file else self._scan_official_layout()
        if not pairs:
            raise FileNotFoundError(f'R2D2StillPairDataset: no pairs under {self.data_root} '
                                    f'({self.ann_file or self.style_dir})')
        return pairs

    def _read_pair_list(self) -> List[dict]:
        return [dict(img_path=p[0], img2_path=p[1])
                for p in read_pair_list(self.ann_file, self.data_root, (2, ), 'img1 img2')]

    def _scan_official_layout(self) -> List[dict]:
        img_root, style_root = osp.join(self.data_root, self.img_dir), osp.join(self.data_root, self.style_dir)
        if not osp.isdir(style_root):
            raise FileNotFoundError(f'R2D2StillPairDataset: style-transfer folder not found: {style_root}')
        images = {}
        for rel in list_images(img_root):
            images.setdefault(osp.splitext(osp.basename(rel))[0], rel)
        pairs = []
        for name in sorted(os.listdir(style_root)):
            if STYLE_TAG_SEP not in name:
                raise ValueError(f'{osp.join(style_root, name)}: style-transfer images are named '
                                 f'<db tag>{STYLE_TAG_SEP}<source> (naver/r2d2 layout)')
            tag = name.split(STYLE_TAG_SEP)[0]
            if tag not in images:
                raise FileNotFoundError(f'{osp.join(style_root, name)}: no db image {tag}.* under {img_root}')
            pairs.append(dict(img_path=osp.join(img_root, images[tag]), img2_path=osp.join(style_root, name)))
        return pairs

    def prepare_data(self, idx: int) -> dict:
        info = self.get_data_info(idx)
        img1, img2 = load_rgb(info['img_path']), load_rgb(info['img2_path'])
        pair = draw_synthetic_pair(img1, item_rng(self.seed, idx), self.cfg, self.max_draws, self.crop, img2=img2)
        return pack_pair(pair, img_path=info['img_path'], img2_path=info['img2_path'], homography=pair['H'])
