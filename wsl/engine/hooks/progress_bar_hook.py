"""A tqdm progress bar over training iterations and evaluation batches (for quiet runs such as the demo)."""
from typing import Optional

from mmengine.hooks import Hook
from tqdm import tqdm

from wsl.registry import HOOKS


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """Show progress of iteration-based training and of val/test loops on rank 0.

    Args:
        desc (str): label shown in front of the training bar.
        log_losses (bool): show the latest total loss in the bar.
    """

    priority = 'VERY_LOW'

    def __init__(self, desc: str = 'train', log_losses: bool = True) -> None:
        self.desc = desc
        self.log_losses = log_losses
        self._bar: Optional[tqdm] = None
        self._eval_bar: Optional[tqdm] = None

    def before_train(self, runner) -> None:
        if runner.rank == 0:
            self._bar = tqdm(total=runner.max_iters, initial=runner.iter, desc=self.desc, dynamic_ncols=True)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self._bar is None:
            return
        self._bar.update(1)
        if self.log_losses and outputs and 'loss' in outputs:
            self._bar.set_postfix(loss=f"{float(outputs['loss'].detach()):.3f}", refresh=False)

    def after_train(self, runner) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def _open_eval(self, runner, mode: str) -> None:
        loader = runner.val_dataloader if mode == 'val' else runner.test_dataloader
        if runner.rank == 0:
            self._eval_bar = tqdm(total=len(loader), desc=mode, leave=False, dynamic_ncols=True)

    def _step_eval(self) -> None:
        if self._eval_bar is not None:
            self._eval_bar.update(1)

    def _close_eval(self) -> None:
        if self._eval_bar is not None:
            self._eval_bar.close()
            self._eval_bar = None

    def before_val_epoch(self, runner) -> None:
        self._open_eval(runner, 'val')

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._step_eval()

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._close_eval()

    def before_test_epoch(self, runner) -> None:
        self._open_eval(runner, 'test')

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._step_eval()

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._close_eval()
