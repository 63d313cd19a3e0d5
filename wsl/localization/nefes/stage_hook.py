"""The NeFeS progressive training schedule as an MMEngine hook."""
from collections import defaultdict
from typing import Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from wsl.registry import HOOKS


@HOOKS.register_module()
class NeFeSProgressiveHook(Hook):
    """Switch :class:`~.model.NeFeSModel` between its three training stages at epoch boundaries.

    Stage 1 for T1 epochs (photometric only), stage 2 for T2 epochs (+ feature loss), stage 3 after that
    (+ fusion loss, patch sampling). The authors run stage 1 as a separate run, so entering stage 2
    starts a fresh Adam (state cleared) with the learning rate back at its initial value; stage 3
    continues stage 2's optimiser and decay (trap T10). With a chainable epoch-based
    ``ExponentialLR`` (gamma = 0.1^(1/754) per epoch), resetting the rate restarts the same decay curve.

    Args:
        stage_epochs (Sequence[int]): (T1, T2) (600, 200); stage 3 runs until the end of training (T3 = 400).
        reset_optimizer (bool): restart Adam and the learning rate when stage 2 begins.
    """

    priority = 'NORMAL'

    def __init__(self, stage_epochs: Sequence[int] = (600, 200), reset_optimizer: bool = True):
        if len(stage_epochs) != 2 or min(stage_epochs) < 0:
            raise ValueError(f'NeFeSProgressiveHook: stage_epochs must be (T1, T2) >= 0, got {stage_epochs}')
        self.stage_epochs = tuple(stage_epochs)
        self.reset_optimizer = reset_optimizer

    def stage_at(self, epoch: int) -> int:
        """Stage (1, 2 or 3) of a 0-based epoch index."""
        t1, t2 = self.stage_epochs
        return 1 if epoch < t1 else 2 if epoch < t1 + t2 else 3

    def before_train_epoch(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        stage = self.stage_at(runner.epoch)
        if stage == model.stage:
            return
        if stage == 2 and model.stage == 1 and self.reset_optimizer:
            optimizer = runner.optim_wrapper.optimizer
            optimizer.state = defaultdict(dict)
            # OptimWrapper.param_groups adds the wrapper's base settings (decayed by the schedulers too, logged as
            # base_lr) to the optimizer's groups; reset both.
            for group in getattr(runner.optim_wrapper, 'param_groups', optimizer.param_groups):
                group['lr'] = group.get('initial_lr', group['lr'])
        runner.logger.info(f'NeFeS: epoch {runner.epoch} enters training stage {stage}')
        model.stage = stage
