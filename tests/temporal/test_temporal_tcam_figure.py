"""The TCAM figure: the plotted curves, spans and bars are the TCAM, λ', GT and detections given to it."""
import numpy as np
import pytest
from matplotlib.patches import Polygon, Rectangle

from wsl.visualization.tcam import GIDS, plot_tcam

SEC = 0.64


def _by_gid(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def test_tcam_figure_content(tmp_path):
    rng = np.random.default_rng(0)
    tcam = rng.uniform(size=(50, 4))
    lam = rng.uniform(size=50)
    gt = dict(segments=np.array([[2.0, 6.4], [10.0, 12.8], [20.0, 25.6]]), labels=np.array([1, 3, 1]))
    dets = dict(segments=np.array([[1.92, 7.04], [19.2, 24.32], [9.6, 12.8]]), labels=np.array([1, 1, 3]),
                scores=np.array([0.8, 0.4, -0.1]))
    out = tmp_path / 'tcam.png'
    fig = plot_tcam(tcam, ['a', 'b', 'c', 'd'], lam, gt, dets, title='video_0', out_file=str(out))
    assert out.stat().st_size > 0
    axes = fig.axes
    assert [ax.get_ylabel() for ax in axes] == ['b', 'd']  # classes with GT or detections, ascending
    t = (np.arange(50) + 0.5) * SEC
    for ax, c in zip(axes, (1, 3)):
        (line, ) = _by_gid(ax, GIDS['tcam'])
        np.testing.assert_allclose(line.get_xdata(), t)
        np.testing.assert_allclose(line.get_ydata(), tcam[:, c])  # the plotted curve is T[:, c]
        (ref, ) = _by_gid(ax, GIDS['refined'])
        np.testing.assert_allclose(ref.get_ydata(), lam * tcam[:, c])  # r_c = λ'·T_c
        (lp, ) = _by_gid(ax, GIDS['lambda_prime'])
        np.testing.assert_allclose(lp.get_ydata(), lam)
    spans = _by_gid(axes[0], GIDS['gt'])
    assert len(spans) == 2 and all(isinstance(s, (Polygon, Rectangle)) for s in spans)
    xs = sorted((s.get_xy()[:, 0].min(), s.get_xy()[:, 0].max()) if isinstance(s, Polygon)
                else (s.get_x(), s.get_x() + s.get_width()) for s in spans)
    np.testing.assert_allclose(xs, [[2.0, 6.4], [20.0, 25.6]])  # class b's GT, seconds
    bars = sorted(_by_gid(axes[0], GIDS['detection']), key=lambda b: b.get_x())
    np.testing.assert_allclose([(b.get_x(), b.get_x() + b.get_width()) for b in bars], [[1.92, 7.04], [19.2, 24.32]])
    np.testing.assert_allclose([b.get_height() for b in bars], [0.25, 0.125])  # ∝ score / best score (0.8)
    (neg, ) = _by_gid(axes[1], GIDS['detection'])
    assert neg.get_height() == 0.0  # negative contrast scores draw no bar
    assert fig._suptitle.get_text() == 'video_0'


def test_tcam_figure_defaults_and_errors():
    tcam = np.zeros((10, 3))
    tcam[4, 2] = 0.9
    fig = plot_tcam(tcam, ['x', 'y', 'z'])  # nothing to show: the class with the highest peak
    assert [ax.get_ylabel() for ax in fig.axes] == ['z'] and not _by_gid(fig.axes[0], GIDS['lambda_prime'])
    with pytest.raises(ValueError, match='len\\(class_names\\)'):
        plot_tcam(tcam, ['x', 'y'])
    with pytest.raises(ValueError, match='lambda_prime'):
        plot_tcam(tcam, ['x', 'y', 'z'], lambda_prime=np.zeros(9))
    with pytest.raises(ValueError, match='outside'):
        plot_tcam(tcam, ['x', 'y', 'z'], classes=[3])
