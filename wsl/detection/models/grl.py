"""Gradient reversal layer (GRL, Ganin & Lempitsky 2015): identity forward, gradient times -λ backward."""
import torch
from torch import Tensor, nn


class _GradientReversal(torch.autograd.Function):

    @staticmethod
    def forward(ctx, x: Tensor, lambda_: float) -> Tensor:
        ctx.lambda_ = lambda_
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor):
        return -ctx.lambda_ * grad, None


def grad_reverse(x: Tensor, lambda_: float = 1.0) -> Tensor:
    """Return ``x`` unchanged; in the backward pass multiply its gradient by ``-lambda_``.

    Args:
        x (Tensor): any shape.
        lambda_ (float): λ, the reversal scale (H²FA uses a constant 1.0, no schedule).
    """
    return _GradientReversal.apply(x, float(lambda_))


class GradientReversalLayer(nn.Module):
    """Module form of :func:`grad_reverse` with a fixed λ (``lambda_``)."""

    def __init__(self, lambda_: float = 1.0) -> None:
        super().__init__()
        self.lambda_ = float(lambda_)

    def forward(self, x: Tensor) -> Tensor:
        return grad_reverse(x, self.lambda_)

    def extra_repr(self) -> str:
        return f'lambda_={self.lambda_}'
