"""Calibrate an untrained feature extractor's normalisation on the training images before NeFeS training."""
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from wsl.registry import HOOKS


@HOOKS.register_module()
class NeFeSFeatureCalibrationHook(Hook):
    """Before training starts, set the frozen DFNet's level-0 BatchNorm statistics from the training images.

    Only for feature extractors without trained weights (the synthetic room benchmark uses a fixed random
    DFNet): see :meth:`~.dfnet.DFNet.calibrate_feature_norm` for why. A trained DFNet must not be
    recalibrated, so leave this hook out of configs that load one. Runs once, at iteration 0 (a resumed
    run restores the statistics from its checkpoint), over one pass of the training dataloader.

    Args:
        levels (tuple): adaptation heads to calibrate (0 = the level NeFeS matches).
        max_batches (int | None): stop after this many batches (None = the whole training set).
    """

    priority = 'NORMAL'

    def __init__(self, levels=(0, ), max_batches=None):
        if max_batches is not None and max_batches < 1:
            raise ValueError(f'NeFeSFeatureCalibrationHook: max_batches must be >= 1 or None, got {max_batches}')
        self.levels = tuple(levels)
        self.max_batches = max_batches

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        extractor = getattr(model, 'feature_extractor', None)
        if extractor is None or runner.iter > 0:
            return
        if not hasattr(extractor, 'calibrate_feature_norm'):
            raise TypeError(f'NeFeSFeatureCalibrationHook: {type(extractor).__name__} has no calibrate_feature_norm')

        def batches():
            for k, data in enumerate(runner.train_dataloader):
                if self.max_batches is not None and k >= self.max_batches:
                    return
                data = model.data_preprocessor(data, False)
                inputs = data['inputs']
                yield inputs if isinstance(inputs, torch.Tensor) else torch.stack(list(inputs))

        count = extractor.calibrate_feature_norm(batches(), self.levels)
        runner.logger.info(f'NeFeS: feature-extractor normalisation calibrated on {count} training images')
