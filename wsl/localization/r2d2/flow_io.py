"""Reading and writing dense optical flow in three standard formats, and turning it into R2D2's ``aflow``.

Formats (all store the *relative* flow ``(u, v)``: pixel ``(x, y)`` of image 1 moves to ``(x + u, y + v)``):

* **R2D2 PNG** (naver/r2d2 ``PairDataset._flow2png``, the Aachen ``optical_flow/flow/*.png`` files): ``round(16·flow)``
  clipped to int16, the (H, W, 2) int16 array viewed as (H, W, 4) little-endian bytes and saved as an RGBA PNG
  (1/16 px precision). Validity comes from a separate mask PNG (``optical_flow/mask/*.png``, non-zero = valid).
* **Middlebury .flo** (Baker et al.; Sintel, FlyingChairs): float32 magic ``202021.25``, int32 width, int32 height,
  then ``H·W·2`` float32 ``(u, v)`` row-major. Values above 1e9 in magnitude mean "unknown".
* **KITTI PNG** (KITTI 2012/2015 ``flow_occ``/``flow_noc``): 16-bit RGB PNG with ``u = (R - 2^15) / 64``,
  ``v = (G - 2^15) / 64`` and ``B`` = 1 for valid pixels, 0 otherwise.
"""
import os
import os.path as osp
from typing import Optional, Tuple

import cv2
import numpy as np

FLO_MAGIC = 202021.25
FLO_UNKNOWN = 1e9  # Middlebury: |u| or |v| above this marks an unknown flow vector
FLOW_FORMATS = ('auto', 'r2d2_png', 'flo', 'kitti_png')


def _check_flow(flow: np.ndarray, what: str) -> np.ndarray:
    flow = np.asarray(flow)
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f'{what}: flow must be (H, W, 2), got shape {flow.shape}')
    return flow


def read_flo(path: str) -> np.ndarray:
    """Read a Middlebury ``.flo`` file.

    Returns:
        ndarray: (H, W, 2) float32 relative flow ``(u, v)``; unknown vectors (|value| > 1e9) are NaN.

    Raises:
        ValueError: wrong magic number, bad size fields, or a file shorter/longer than the header says.
    """
    with open(path, 'rb') as f:
        header = f.read(12)
        if len(header) < 12:
            raise ValueError(f'{path}: not a .flo file (only {len(header)} bytes; the header needs 12)')
        magic = np.frombuffer(header[:4], '<f4')[0]
        if magic != np.float32(FLO_MAGIC):
            raise ValueError(f'{path}: wrong .flo magic number {magic!r}; expected {FLO_MAGIC} (Middlebury format)')
        w, h = (int(v) for v in np.frombuffer(header[4:12], '<i4'))
        if not (0 < w < 2**16 and 0 < h < 2**16):
            raise ValueError(f'{path}: implausible .flo size width={w}, height={h}')
        data = np.frombuffer(f.read(), '<f4')
    if data.size != h * w * 2:
        raise ValueError(f'{path}: the header says {w}x{h} (expects {h * w * 2} float32 values), the file holds '
                         f'{data.size}')
    flow = data.reshape(h, w, 2).astype(np.float32)
    flow[~(np.abs(flow) <= FLO_UNKNOWN).all(axis=2)] = np.nan  # also catches NaN/inf
    return flow


def write_flo(path: str, flow: np.ndarray) -> None:
    """Write (H, W, 2) relative flow as a Middlebury ``.flo`` file (NaN is written as the 'unknown' value 1e10)."""
    flow = _check_flow(flow, path).astype('<f4')
    flow = np.where(np.isfinite(flow), flow, np.float32(1e10))
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(np.array([FLO_MAGIC], '<f4').tobytes())
        f.write(np.array([flow.shape[1], flow.shape[0]], '<i4').tobytes())
        f.write(np.ascontiguousarray(flow).tobytes())


def _imread_unchanged(path: str) -> np.ndarray:
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f'{path}: cannot read the image (missing file or not a PNG)')
    return img


def read_r2d2_flow_png(path: str) -> np.ndarray:
    """Read naver/r2d2's int16-in-RGBA flow PNG.

    Returns:
        ndarray: (H, W, 2) float32 relative flow with 1/16 px resolution (no invalid marker: use the mask PNG).
    """
    img = _imread_unchanged(path)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 4:
        raise ValueError(f'{path}: an R2D2 flow PNG is 8-bit RGBA (int16 u, v as bytes), got dtype {img.dtype} '
                         f'shape {img.shape}')
    rgba = np.ascontiguousarray(img[..., [2, 1, 0, 3]])  # OpenCV reads BGRA
    return rgba.view('<i2').astype(np.float32) / 16


def write_r2d2_flow_png(path: str, flow: np.ndarray) -> None:
    """Write (H, W, 2) relative flow the naver/r2d2 way (``round(16·flow)`` as int16 bytes in an RGBA PNG).

    NaN is written as 0: validity belongs in the mask PNG.
    """
    flow = _check_flow(flow, path)
    q = np.clip(np.around(16 * np.nan_to_num(flow, nan=0.0)), -2**15, 2**15 - 1).astype('<i2')
    rgba = np.ascontiguousarray(q).view(np.uint8)  # (H, W, 4)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    if not cv2.imwrite(path, rgba[..., [2, 1, 0, 3]]):
        raise OSError(f'cannot write {path}')


def read_kitti_flow(path: str) -> np.ndarray:
    """Read a KITTI 16-bit flow PNG.

    Returns:
        ndarray: (H, W, 2) float32 relative flow (1/64 px resolution), NaN where the valid channel is 0.
    """
    img = _imread_unchanged(path)
    if img.dtype != np.uint16 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'{path}: a KITTI flow PNG is 16-bit RGB, got dtype {img.dtype} shape {img.shape}')
    b, g, r = (img[..., i].astype(np.float32) for i in range(3))  # OpenCV reads BGR
    flow = np.stack([(r - 2**15) / 64, (g - 2**15) / 64], axis=2)
    flow[b == 0] = np.nan
    return flow


def write_kitti_flow(path: str, flow: np.ndarray) -> None:
    """Write (H, W, 2) relative flow as a KITTI 16-bit PNG; NaN vectors are written as invalid (B = 0)."""
    flow = _check_flow(flow, path)
    valid = np.isfinite(flow).all(axis=2)
    uv = np.clip(np.around(np.nan_to_num(flow, nan=0.0) * 64 + 2**15), 0, 2**16 - 1).astype(np.uint16)
    bgr = np.stack([valid.astype(np.uint16), uv[..., 1], uv[..., 0]], axis=2)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    if not cv2.imwrite(path, bgr):
        raise OSError(f'cannot write {path}')


def read_flow(path: str, fmt: str = 'auto') -> np.ndarray:
    """Read relative flow in any of the supported formats.

    Args:
        path (str): flow file.
        fmt (str): ``'r2d2_png'``, ``'flo'``, ``'kitti_png'`` or ``'auto'`` (``.flo`` by extension; a PNG by its
            bit depth: 8-bit RGBA is R2D2's, 16-bit RGB is KITTI's).

    Returns:
        ndarray: (H, W, 2) float32 ``(u, v)``, NaN where the file marks the vector invalid.
    """
    if fmt not in FLOW_FORMATS:
        raise ValueError(f'flow format must be one of {FLOW_FORMATS}, got {fmt!r}')
    if not osp.isfile(path):
        raise FileNotFoundError(f'flow file not found: {path}')
    if fmt == 'auto':
        ext = osp.splitext(path)[1].lower()
        if ext == '.flo':
            fmt = 'flo'
        elif ext == '.png':
            img = _imread_unchanged(path)
            fmt = 'kitti_png' if img.dtype == np.uint16 else 'r2d2_png'
        else:
            raise ValueError(f'{path}: cannot tell the flow format from the extension {ext!r}; expected .flo or '
                             '.png, or pass the format explicitly')
    return dict(flo=read_flo, r2d2_png=read_r2d2_flow_png, kitti_png=read_kitti_flow)[fmt](path)


def read_mask(path: str) -> np.ndarray:
    """A validity mask PNG (any bit depth, grey or colour) as (H, W) bool: non-zero = valid."""
    img = _imread_unchanged(path)
    return (img != 0).any(axis=2) if img.ndim == 3 else img != 0


def flow_to_aflow(flow: np.ndarray, mask: Optional[np.ndarray] = None,
                  image_size: Optional[Tuple[int, int]] = None, source: str = 'flow') -> np.ndarray:
    """Relative flow (H, W, 2) -> R2D2's absolute flow (2, H, W): ``aflow[:, y, x] = (x + u, y + v)``.

    Args:
        flow (ndarray): (H, W, 2) relative flow, NaN = invalid.
        mask (ndarray, optional): (H, W) bool, False = invalid (set to NaN).
        image_size (tuple, optional): (W, H) of image 1; the flow must have this size.
        source (str): a name for error messages (e.g. the flow file).

    Returns:
        ndarray: (2, H, W) float32, NaN where invalid (what the R2D2 losses and sampler expect).
    """
    flow = _check_flow(flow, source)
    h, w = flow.shape[:2]
    if image_size is not None and tuple(image_size) != (w, h):
        raise ValueError(f'{source}: flow is {w}x{h} but image 1 is {image_size[0]}x{image_size[1]} (W x H); '
                         'the flow must have image 1\'s size')
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    aflow = np.stack([xs + flow[..., 0], ys + flow[..., 1]])
    if mask is not None:
        if mask.shape != (h, w):
            raise ValueError(f'{source}: the mask is {mask.shape[1]}x{mask.shape[0]}, the flow {w}x{h} (W x H)')
        aflow[:, ~mask.astype(bool)] = np.nan
    return aflow.astype(np.float32)
