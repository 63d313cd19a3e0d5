"""Geometry, exact masks and the two domain styles of the synthetic shapes dataset.

Coordinates are continuous image coordinates: pixel (row ``i``, column ``j``) covers
``[j, j + 1) x [i, i + 1)`` and its centre is ``(j + 0.5, i + 0.5)``. An object's **mask** holds
exactly the pixels whose centre lies inside the shape (even-odd rule for polygons, closed disc for the
circle); the **image** is coloured from the same geometry through its ``SUPERSAMPLE x SUPERSAMPLE``
coverage (anti-aliasing), so an edge pixel just outside the mask may carry a little object colour and
one just inside a little background; the masks never depend on the colours.
See :mod:`wsl.datasets.synthetic.shapes` for the domain design.
"""
import colorsys
import math
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np

SHAPES_CLASSES = ('circle', 'square', 'triangle', 'star')

# Object size: the diameter of the circumscribed circle, as a fraction of the image side
# (20..56 px in a 128 px image).
SIZE_RANGE = (20 / 128, 56 / 128)
STAR_INNER_RATIO = 0.45  # inner / outer radius of the 5-pointed star
MIN_VISIBLE_FRACTION = 0.7  # every object keeps at least this fraction of its pixels visible
MAX_PLACEMENT_TRIES = 50  # rejection-sampling tries per object before giving up on it
SUPERSAMPLE = 4  # sub-samples per pixel side for the anti-aliased image coverage

# Typical hue (degrees) of each class in the SOURCE domain: red, blue, green, amber.
SOURCE_HUES = {'circle': 0.0, 'square': 215.0, 'triangle': 120.0, 'star': 45.0}
# TARGET re-assigns every class the source hue of another class (a derangement), so a detector that
# leans on colour is actively misled; only the shape keeps its meaning.
TARGET_HUES = {'circle': 120.0, 'square': 45.0, 'triangle': 0.0, 'star': 215.0}

# The milder target domain ('target_mild'): the same kinds of changes as 'target' (textured background and
# fill, blur, lower contrast, colour cast, more noise) but weaker, and the object hue is drawn at random for
# every object (uninformative) instead of being swapped between classes (misleading).
MILD_TARGET = dict(bg_saturation=(0.1, 0.35), bg_value=(0.55, 0.85), bg_value_step=(0.06, 0.14),
                   fill_gain=(0.05, 0.15), min_luma_gap=0.2, blur_sigma=(0.3, 0.6), contrast=(0.8, 0.95),
                   brightness=(-0.05, 0.05), cast=(0.95, 1.05), noise=(3.0, 6.0))

# The 'pretrain' style, a stand-in for ImageNet initialisation in CPU benchmarks (no ImageNet weights are shipped):
# the source domain's plain light background, but every object gets a random hue (flat fill, luma kept >= 0.2 away
# from the background), so a network pretrained on it knows shapes and not the source's colour-class shortcut. It
# has none of the target styles' textures, blur, contrast loss or colour cast.
PRETRAIN_DOMAIN = 'pretrain'


@dataclass(frozen=True)
class ShapeSpec:
    """One object's geometry.

    Attributes:
        label (int): index into :data:`SHAPES_CLASSES`.
        cx, cy (float): centre in pixels (continuous coordinates, see the module docstring).
        radius (float): circumradius in pixels.
        angle (float): rotation in radians (ignored for the circle).
    """
    label: int
    cx: float
    cy: float
    radius: float
    angle: float


def shape_polygon(spec: ShapeSpec) -> Optional[np.ndarray]:
    """Vertices (K, 2) as (x, y) of the shape's outline, or None for the circle."""
    name = SHAPES_CLASSES[spec.label]
    if name == 'circle':
        return None
    if name == 'square':
        angles = [spec.angle + math.pi / 4 + k * math.pi / 2 for k in range(4)]
        radii = [spec.radius] * 4
    elif name == 'triangle':  # equilateral, apex up at angle 0
        angles = [spec.angle - math.pi / 2 + k * 2 * math.pi / 3 for k in range(3)]
        radii = [spec.radius] * 3
    elif name == 'star':  # 5 outer points alternating with 5 inner ones
        angles = [spec.angle - math.pi / 2 + k * math.pi / 5 for k in range(10)]
        radii = [spec.radius * (1.0 if k % 2 == 0 else STAR_INNER_RATIO) for k in range(10)]
    else:  # pragma: no cover - SHAPES_CLASSES and this function are edited together
        raise ValueError(f'shape_polygon: no geometry for class {name!r}')
    # Scalar libm trigonometry, not numpy's SIMD kernels: the vertices (hence masks and boxes) are the
    # same on every CPU; the inside test below only uses exactly rounded + - * /.
    return np.array([(spec.cx + r * math.cos(a), spec.cy + r * math.sin(a)) for r, a in zip(radii, angles)])


def inside(spec: ShapeSpec, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Whether points lie inside the shape (boundary included for the circle).

    Args:
        xs, ys (np.ndarray): broadcastable point coordinates in pixels.

    Returns:
        np.ndarray: bool array of the broadcast shape.
    """
    poly = shape_polygon(spec)
    if poly is None:
        return (xs - spec.cx) ** 2 + (ys - spec.cy) ** 2 <= spec.radius ** 2
    xs, ys = np.broadcast_arrays(xs, ys)
    odd = np.zeros(xs.shape, dtype=bool)
    for (ax, ay), (bx, by) in zip(poly, np.roll(poly, -1, axis=0)):  # even-odd crossing rule
        spans = (ay > ys) != (by > ys)
        dy = by - ay if by != ay else 1.0  # a horizontal edge never spans, any value works
        x_cross = ax + (ys - ay) * (bx - ax) / dy
        odd ^= spans & (xs < x_cross)
    return odd


def _window(spec: ShapeSpec, height: int, width: int) -> Tuple[int, int, int, int]:
    r = spec.radius
    x0, x1 = max(int(math.floor(spec.cx - r)) - 1, 0), min(int(math.ceil(spec.cx + r)) + 1, width)
    y0, y1 = max(int(math.floor(spec.cy - r)) - 1, 0), min(int(math.ceil(spec.cy + r)) + 1, height)
    return x0, max(x1, x0), y0, max(y1, y0)


def rasterize(spec: ShapeSpec, height: int, width: int) -> np.ndarray:
    """Exact binary mask (H, W) bool of one shape: the pixels whose centre lies inside it."""
    x0, x1, y0, y1 = _window(spec, height, width)
    mask = np.zeros((height, width), dtype=bool)
    cols, rows = np.arange(x0, x1, dtype=np.float64), np.arange(y0, y1, dtype=np.float64)
    mask[y0:y1, x0:x1] = inside(spec, cols[None, :] + 0.5, rows[:, None] + 0.5)
    return mask


def coverage(spec: ShapeSpec, height: int, width: int) -> np.ndarray:
    """Anti-aliased coverage (H, W) float32 in [0, 1]: the fraction of ``SUPERSAMPLE**2`` regular
    sub-samples of each pixel that lie inside the shape."""
    x0, x1, y0, y1 = _window(spec, height, width)
    cover = np.zeros((height, width), dtype=np.float32)
    s = SUPERSAMPLE
    offs = (np.arange(s) + 0.5) / s
    xs = (np.arange(x0, x1, dtype=np.float64)[:, None] + offs).reshape(1, -1)
    ys = (np.arange(y0, y1, dtype=np.float64)[:, None] + offs).reshape(-1, 1)
    cover[y0:y1, x0:x1] = inside(spec, xs, ys).reshape(y1 - y0, s, x1 - x0, s).mean(axis=(1, 3))
    return cover


def _sample_spec(rng: np.random.Generator, size: int) -> ShapeSpec:
    label = int(rng.integers(len(SHAPES_CLASSES)))
    radius = float(rng.uniform(*SIZE_RANGE)) * size / 2
    cx, cy = rng.uniform(radius + 1, size - radius - 1, size=2)
    name = SHAPES_CLASSES[label]
    period = {'circle': 0.0, 'square': math.pi / 2, 'triangle': 2 * math.pi / 3, 'star': 2 * math.pi / 5}
    angle = float(rng.uniform(0, period[name])) if period[name] else 0.0
    return ShapeSpec(label, float(cx), float(cy), radius, angle)


def sample_layout(rng: np.random.Generator, size: int, max_objects: int) -> dict:
    """Sample 1..max_objects shapes, later ones on top, each keeping most of its area visible.

    Returns:
        dict: ``specs`` (list of :class:`ShapeSpec`, drawing order), ``masks`` (full (H, W) bool masks),
        ``visible`` ((H, W) bool visible masks, pairwise disjoint, each >= MIN_VISIBLE_FRACTION of its
        full mask) and ``covers`` ((H, W) float32 coverages), one entry per object.
    """
    num = int(rng.integers(1, max_objects + 1))
    out = dict(specs=[], masks=[], visible=[], covers=[])
    for _ in range(num):
        for _ in range(MAX_PLACEMENT_TRIES):
            spec = _sample_spec(rng, size)
            mask = rasterize(spec, size, size)
            if all((vis & ~mask).sum() >= MIN_VISIBLE_FRACTION * full.sum()
                   for vis, full in zip(out['visible'], out['masks'])):
                break
        else:
            continue  # crowded image: keep the objects placed so far
        out['visible'] = [vis & ~mask for vis in out['visible']] + [mask]
        out['specs'].append(spec)
        out['masks'].append(mask)
        out['covers'].append(coverage(spec, size, size))
    return out


# ----------------------------------------------------------------------------- colours and textures
def _hsv(h_deg: float, s: float, v: float) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb((h_deg % 360) / 360, s, v), dtype=np.float32)


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def _grid(x0: int, x1: int, y0: int, y1: int) -> Tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates xs, ys, each (y1 - y0, x1 - x0) float32, of a window."""
    return np.meshgrid(np.arange(x0, x1, dtype=np.float32) + 0.5, np.arange(y0, y1, dtype=np.float32) + 0.5)


def _smooth_noise(rng: np.random.Generator, shape: Tuple[int, int], cell: float) -> np.ndarray:
    """Bilinearly upsampled uniform noise in [0, 1] with blobs about ``cell`` pixels wide, (H, W)."""
    n = int(math.ceil(max(shape) / cell)) + 2
    coarse = rng.uniform(0, 1, size=(n, n)).astype(np.float32)
    (iy, fy), (ix, fx) = [(np.floor(p).astype(int), (p - np.floor(p)).astype(np.float32))
                          for p in ((np.arange(m) + 0.5) / cell + 0.5 for m in shape)]
    rows = coarse[iy] * (1 - fy[:, None]) + coarse[iy + 1] * fy[:, None]  # (H, n)
    return rows[:, ix] * (1 - fx[None, :]) + rows[:, ix + 1] * fx[None, :]


def _pattern(rng: np.random.Generator, kind: str, xs: np.ndarray, ys: np.ndarray, period: float,
             angle: float) -> np.ndarray:
    """A [0, 1] texture at pixel centres xs, ys (H, W): 'stripes', 'checker', 'dots' or 'blotch'."""
    u = xs * math.cos(angle) + ys * math.sin(angle)
    v = -xs * math.sin(angle) + ys * math.cos(angle)
    phase = rng.uniform(0, 2 * math.pi, size=2)
    if kind == 'stripes':
        return np.clip(0.5 + 1.5 * np.sin(2 * math.pi * u / period + phase[0]), 0, 1)
    if kind == 'checker':
        return ((np.floor(u / period + phase[0]) + np.floor(v / period + phase[1])) % 2).astype(np.float32)
    if kind == 'dots':
        return (np.sin(2 * math.pi * u / period + phase[0]) * np.sin(2 * math.pi * v / period + phase[1]) > 0.3
                ).astype(np.float32)
    if kind == 'blotch':
        noise = _smooth_noise(rng, xs.shape, period)
        return np.clip((noise - 0.5) * 3 + 0.5, 0, 1)
    raise ValueError(f'_pattern: unknown texture kind {kind!r}')


def _gaussian_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur with reflected borders of an (H, W, C) float image."""
    rad = max(int(math.ceil(3 * sigma)), 1)
    k = np.exp(-0.5 * (np.arange(-rad, rad + 1) / sigma) ** 2).astype(np.float32)
    k /= k.sum()
    h, w = img.shape[:2]
    pad = np.pad(img, ((rad, rad), (0, 0), (0, 0)), mode='reflect')
    img = sum(k[i] * pad[i:i + h] for i in range(2 * rad + 1))
    pad = np.pad(img, ((0, 0), (rad, rad), (0, 0)), mode='reflect')
    return sum(k[i] * pad[:, i:i + w] for i in range(2 * rad + 1))


# ----------------------------------------------------------------------------- the two styles
def _source_background(rng: np.random.Generator, size: int) -> np.ndarray:
    base = _hsv(rng.uniform(0, 360), rng.uniform(0.0, 0.12), rng.uniform(0.82, 0.95))
    xs, ys = _grid(0, size, 0, size)
    theta, amp = rng.uniform(0, 2 * math.pi), rng.uniform(0.03, 0.08)
    ramp = (xs / size - 0.5) * math.cos(theta) + (ys / size - 0.5) * math.sin(theta)
    return base[None, None, :] + (amp * ramp)[..., None]


def _target_background(rng: np.random.Generator, size: int) -> np.ndarray:
    hue, val = rng.uniform(0, 360), rng.uniform(0.3, 0.75)
    c1 = _hsv(hue, rng.uniform(0.15, 0.6), val)
    c2 = _hsv(hue + rng.uniform(-90, 90), rng.uniform(0.15, 0.6),
              float(np.clip(val + rng.choice([-1, 1]) * rng.uniform(0.15, 0.3), 0.05, 0.95)))
    kind = ('stripes', 'checker', 'blotch')[int(rng.integers(3))]
    period = rng.uniform(5, 14) if kind != 'blotch' else rng.uniform(8, 20)
    w = _pattern(rng, kind, *_grid(0, size, 0, size), period, rng.uniform(0, math.pi))[..., None]
    return c1 * (1 - w) + c2 * w


def _mild_background(rng: np.random.Generator, size: int) -> np.ndarray:
    m = MILD_TARGET
    hue, val = rng.uniform(0, 360), rng.uniform(*m['bg_value'])
    c1 = _hsv(hue, rng.uniform(*m['bg_saturation']), val)
    c2 = _hsv(hue + rng.uniform(-60, 60), rng.uniform(*m['bg_saturation']),
              float(np.clip(val + rng.choice([-1, 1]) * rng.uniform(*m['bg_value_step']), 0.05, 0.95)))
    kind = ('stripes', 'checker', 'blotch')[int(rng.integers(3))]
    period = rng.uniform(6, 16) if kind != 'blotch' else rng.uniform(10, 24)
    w = _pattern(rng, kind, *_grid(0, size, 0, size), period, rng.uniform(0, math.pi))[..., None]
    return c1 * (1 - w) + c2 * w


def _object_fill(rng: np.random.Generator, domain: str, spec: ShapeSpec, xs: np.ndarray, ys: np.ndarray,
                 bg_luma: float) -> np.ndarray:
    """The object's colour (3,) for 'source' or its textured colour (h, w, 3) at pixel centres xs, ys for
    the target styles."""
    name = SHAPES_CLASSES[spec.label]
    if domain == 'source':
        return _hsv(SOURCE_HUES[name] + rng.uniform(-12, 12), rng.uniform(0.6, 0.9), rng.uniform(0.5, 0.8))
    if domain == PRETRAIN_DOMAIN:
        hue, sat = rng.uniform(0, 360), rng.uniform(0.45, 0.9)
        colour = _hsv(hue, sat, rng.uniform(0.3, 0.9))
        if abs(float(_luma(colour)) - bg_luma) < 0.2:
            colour = _hsv(hue, sat, 0.9 if bg_luma < 0.5 else 0.3)
        return colour
    if domain == 'target_mild':
        m = MILD_TARGET
        hue, sat = rng.uniform(0, 360), rng.uniform(0.45, 0.85)
        colour = _hsv(hue, sat, rng.uniform(0.3, 0.9))
        if abs(float(_luma(colour)) - bg_luma) < m['min_luma_gap']:
            colour = _hsv(hue, sat, 0.9 if bg_luma < 0.5 else 0.25)
        kind = ('stripes', 'dots', 'blotch')[int(rng.integers(3))]
        tex = _pattern(rng, kind, xs, ys, rng.uniform(3, 7), spec.angle + rng.uniform(0, math.pi))
        gain = 1 + rng.uniform(*m['fill_gain']) * (2 * tex - 1)
        return np.clip(colour[None, None, :] * gain[..., None], 0, 1)
    hue, sat = TARGET_HUES[name] + rng.uniform(-20, 20), rng.uniform(0.35, 0.85)
    colour = _hsv(hue, sat, rng.uniform(0.25, 0.95))
    if abs(float(_luma(colour)) - bg_luma) < 0.25:  # keep the shape visible against its background
        colour = _hsv(hue, sat, 0.95 if bg_luma < 0.5 else 0.2)
    kind = ('stripes', 'dots', 'blotch')[int(rng.integers(3))]
    tex = _pattern(rng, kind, xs, ys, rng.uniform(3, 7), spec.angle + rng.uniform(0, math.pi))
    gain = 1 + rng.uniform(0.15, 0.3) * (2 * tex - 1)
    return np.clip(colour[None, None, :] * gain[..., None], 0, 1)


def render_image(rng: np.random.Generator, domain: str, size: int, specs: List[ShapeSpec],
                 covers: List[np.ndarray]) -> np.ndarray:
    """Paint a (H, W, 3) uint8 RGB image of the objects, in drawing order, in ``domain``'s style."""
    if domain in ('source', PRETRAIN_DOMAIN):
        img = _source_background(rng, size)
    elif domain == 'target':
        img = _target_background(rng, size)
    elif domain == 'target_mild':
        img = _mild_background(rng, size)
    else:
        raise ValueError(f"render_image: domain must be 'source', 'target', 'target_mild' or 'pretrain', got "
                         f'{domain!r}')
    img = img.astype(np.float32)
    for spec, cover in zip(specs, covers):
        x0, x1, y0, y1 = _window(spec, size, size)
        win, alpha = img[y0:y1, x0:x1], cover[y0:y1, x0:x1, None]
        fill = _object_fill(rng, domain, spec, *_grid(x0, x1, y0, y1), float(_luma(win[alpha[..., 0] > 0]).mean()))
        img[y0:y1, x0:x1] = win * (1 - alpha) + fill * alpha
    if domain in ('source', PRETRAIN_DOMAIN):
        img = img + rng.normal(0, rng.uniform(1, 3) / 255, size=img.shape).astype(np.float32)
    elif domain == 'target_mild':
        m = MILD_TARGET
        img = _gaussian_blur(img, rng.uniform(*m['blur_sigma']))
        img = 0.5 + rng.uniform(*m['contrast']) * (img - 0.5) + rng.uniform(*m['brightness'])
        img = img * rng.uniform(*m['cast'], size=3)
        img = img + rng.normal(0, rng.uniform(*m['noise']) / 255, size=img.shape).astype(np.float32)
    else:
        img = _gaussian_blur(img, rng.uniform(0.5, 1.0))
        img = 0.5 + rng.uniform(0.6, 0.85) * (img - 0.5) + rng.uniform(-0.08, 0.08)
        img = img * rng.uniform(0.9, 1.1, size=3)  # colour cast
        img = img + rng.normal(0, rng.uniform(6, 12) / 255, size=img.shape).astype(np.float32)
    return np.clip(np.round(img * 255), 0, 255).astype(np.uint8)
