"""NeRF positional encoding as NeFeS uses it (log-spaced frequencies, no pi factor)."""
import torch
from torch import Tensor, nn


class NeFeSPositionalEncoding(nn.Module):
    """``gamma(x) = [x, sin(2^0 x), cos(2^0 x), ..., sin(2^(L-1) x), cos(2^(L-1) x)]``.

    Per frequency the sines of all input channels come first, then the cosines. With 3-d input:
    L = 10 gives 63 dims (positions), L = 4 gives 27 dims (view directions).

    Args:
        num_freqs (int): L, the number of octaves.
        in_channels (int): input width (3 for points and directions).
        include_input (bool): prepend the raw input.
    """

    def __init__(self, num_freqs: int, in_channels: int = 3, include_input: bool = True):
        super().__init__()
        if num_freqs < 0:
            raise ValueError(f'num_freqs must be >= 0, got {num_freqs}')
        self.in_channels = in_channels
        self.include_input = include_input
        self.register_buffer('freqs', 2.0**torch.arange(num_freqs, dtype=torch.float32), persistent=False)

    @property
    def out_channels(self) -> int:
        return self.in_channels * (int(self.include_input) + 2 * len(self.freqs))

    def forward(self, x: Tensor) -> Tensor:
        """Encode (..., C) inputs to (..., out_channels)."""
        if x.shape[-1] != self.in_channels:
            raise ValueError(f'expected (..., {self.in_channels}) input, got {tuple(x.shape)}')
        scaled = x[..., None, :] * self.freqs.to(x.dtype)[:, None]  # (..., L, C)
        enc = torch.stack([torch.sin(scaled), torch.cos(scaled)], dim=-2).flatten(-3)  # (..., L*2*C)
        return torch.cat([x, enc], dim=-1) if self.include_input else enc
