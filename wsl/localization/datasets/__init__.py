from wsl.localization.r2d2.pair_dataset import R2D2SyntheticPairDataset

__all__ = ['R2D2SyntheticPairDataset']
