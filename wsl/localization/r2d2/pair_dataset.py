"""A dataset of synthetic R2D2 training pairs from any folder of images."""
import os.path as osp
from typing import Optional, Sequence

from torch.utils.data import Dataset

from wsl.registry import DATASETS
from .feature_files import list_images, load_rgb
from .pair_io import draw_synthetic_pair, item_rng, pack_pair


@DATASETS.register_module()
class R2D2SyntheticPairDataset(Dataset):
    """Image pairs by random homography (see :func:`~.synthetic_pairs.synthetic_pair`), one per image.

    Items: ``dict(inputs=(2, 3, crop, crop) uint8 RGB, data_samples=BaseDataElement(aflow=(2, crop, crop),
    metainfo=dict(img_path, homography)))``, the format :class:`~.model.R2D2PairDataPreprocessor` takes.

    Args:
        img_dir (str): folder of images (searched recursively).
        crop (int): pair size (R2D2: 192).
        short_side, max_tilt, scale2, noise, jitter: the pair recipe's settings.
        seed (int, optional): fixed pairs (``rng = (seed, index)``), e.g. for validation; by default
            each draw follows torch's RNG, which MMEngine seeds per worker.
        max_draws (int): recipe retries before giving up on an image; then, as the official loader,
            the item is a black pair with an all-NaN flow.
    """

    def __init__(self, img_dir: str, crop: int = 192, short_side: Sequence[int] = (256, 1024), max_tilt: float = 0.5,
                 scale2: Sequence[float] = (0.5, 2.0), noise: float = 25, jitter: bool = True,
                 seed: Optional[int] = None, max_draws: int = 10) -> None:
        self.img_dir = img_dir
        self.files = list_images(img_dir)
        if not self.files:
            raise FileNotFoundError(f'R2D2SyntheticPairDataset: no images under {img_dir}')
        self.cfg = dict(crop=crop, short_side=tuple(short_side), max_tilt=max_tilt, scale2=tuple(scale2), noise=noise,
                        jitter=jitter)
        self.seed, self.max_draws, self.crop = seed, max_draws, crop
        self.metainfo = dict(img_dir=img_dir)

    def full_init(self) -> None:
        """Nothing is loaded lazily; MMEngine's ConcatDataset calls this on every part."""

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, idx: int) -> dict:
        path = osp.join(self.img_dir, self.files[idx])
        pair = draw_synthetic_pair(load_rgb(path), item_rng(self.seed, idx), self.cfg, self.max_draws, self.crop)
        return pack_pair(pair, img_path=path, homography=pair['H'])
