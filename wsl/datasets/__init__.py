from .voc import DatasetFormatError, WslVOCDataset

__all__ = ['DatasetFormatError', 'WslVOCDataset']
