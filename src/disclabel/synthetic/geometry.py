"""Geometry of the synthetic anatomy: the spine curve and coordinates on a sagittal plane.

All positions on the sagittal plane are in anatomy mm as ``(row, col)``: ``row`` grows towards
inferior and ``col`` towards posterior (the head-up, anterior-left image convention), with the
origin at the dens tip on the posterior vertebral line. The left-right coordinate ``x`` (mm,
towards the subject's right) is handled by :mod:`.layers`.

Curvilinear coordinates along the spine: ``s`` is the arc length of the posterior vertebral line
(downwards from the dens tip) and ``d`` the signed distance from it, positive towards posterior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COARSE_STEP_PX: int = 4
"""Curvilinear coordinates are solved every this many pixels and interpolated in between."""
NEWTON_ITERATIONS: int = 4


@dataclass(frozen=True)
class SpineCurve:
    """The posterior vertebral line, sampled every ``step`` mm of arc length from ``s_start``.

    Arrays have shape (N,): ``row``/``col`` the point (mm), ``theta`` the tangent angle (rad) with
    tangent ``(cos theta, sin theta)`` and posterior normal ``(-sin theta, cos theta)`` in
    (row, col).
    """

    s_start: float
    step: float
    row: np.ndarray
    col: np.ndarray
    theta: np.ndarray

    def _index(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos = np.clip((np.asarray(s, np.float64) - self.s_start) / self.step, 0.0,
                      len(self.row) - 1.000001)
        i0 = pos.astype(np.int64)
        return i0, pos - i0

    def point(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) in mm of the curve at arc length ``s`` (any shape)."""
        i0, f = self._index(s)
        row = self.row[i0] * (1.0 - f) + self.row[i0 + 1] * f
        col = self.col[i0] * (1.0 - f) + self.col[i0 + 1] * f
        return row, col

    def angle(self, s: np.ndarray) -> np.ndarray:
        """Tangent angle (rad) at arc length ``s``."""
        i0, f = self._index(s)
        return self.theta[i0] * (1.0 - f) + self.theta[i0 + 1] * f

    def to_plane(self, s: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) in mm of the curvilinear point (s, d)."""
        row, col = self.point(s)
        th = self.angle(s)
        return row - np.sin(th) * d, col + np.cos(th) * d


def build_curve(kappa: np.ndarray, s_start: float, step: float, theta0: float) -> SpineCurve:
    """Integrate curvature samples ``kappa`` (1/mm, shape (N,), at ``s_start + i * step``).

    ``theta0`` is the tangent angle at s = 0, where the curve passes through (0, 0).
    """
    theta = np.concatenate([[0.0], np.cumsum(0.5 * (kappa[1:] + kappa[:-1]) * step)])
    i_zero = int(round(-s_start / step))
    theta = theta - theta[i_zero] + theta0
    dr = np.cos(theta)
    dc = np.sin(theta)
    row = np.concatenate([[0.0], np.cumsum(0.5 * (dr[1:] + dr[:-1]) * step)])
    col = np.concatenate([[0.0], np.cumsum(0.5 * (dc[1:] + dc[:-1]) * step)])
    row -= row[i_zero]
    col -= col[i_zero]
    return SpineCurve(s_start, step, row, col, theta)


def interp_matrix(n_fine: int, nodes: np.ndarray) -> np.ndarray:
    """(n_fine, len(nodes)) matrix of linear interpolation from ``nodes`` (sorted fine-pixel
    positions, first 0, last n_fine - 1) to every fine pixel 0..n_fine-1."""
    x = np.arange(n_fine, dtype=np.float64)
    j = np.clip(np.searchsorted(nodes, x, side="right") - 1, 0, len(nodes) - 2)
    f = (x - nodes[j]) / (nodes[j + 1] - nodes[j])
    m = np.zeros((n_fine, len(nodes)))
    m[np.arange(n_fine), j] = 1.0 - f
    m[np.arange(n_fine), j + 1] = f
    return m


def coarse_nodes(n: int, step: int = COARSE_STEP_PX) -> np.ndarray:
    """Node positions (fine pixels) every ``step`` pixels, always including 0 and n - 1."""
    k = max(2, int(np.ceil((n - 1) / step)) + 1)
    return np.linspace(0.0, n - 1.0, k)


@dataclass(frozen=True)
class Plane:
    """A sagittal pixel grid: pixel (i, j) centre at (row0 + i * drow, col0 + j * dcol) mm."""

    row0: float
    col0: float
    drow: float
    dcol: float
    shape: tuple[int, int]

    def rows_mm(self) -> np.ndarray:
        return self.row0 + self.drow * np.arange(self.shape[0])

    def cols_mm(self) -> np.ndarray:
        return self.col0 + self.dcol * np.arange(self.shape[1])

    def to_pixel(self, row_mm: np.ndarray, col_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Continuous (row, col) pixel coordinates of points given in mm."""
        return ((np.asarray(row_mm) - self.row0) / self.drow,
                (np.asarray(col_mm) - self.col0) / self.dcol)

    def box(self, row_mm: np.ndarray, col_mm: np.ndarray, margin_mm: float = 2.0
            ) -> tuple[slice, slice] | None:
        """Pixel slices covering the bounding box of the given points (None if outside)."""
        pr, pc = self.to_pixel(np.asarray(row_mm), np.asarray(col_mm))
        mr = margin_mm / self.drow
        mc = margin_mm / self.dcol
        r0 = max(0, int(np.floor(pr.min() - mr)))
        r1 = min(self.shape[0], int(np.ceil(pr.max() + mr)) + 1)
        c0 = max(0, int(np.floor(pc.min() - mc)))
        c1 = min(self.shape[1], int(np.ceil(pc.max() + mc)) + 1)
        if r0 >= r1 or c0 >= c1:
            return None
        return slice(r0, r1), slice(c0, c1)


def curvilinear(curve: SpineCurve, plane: Plane, shear_s: np.ndarray, shear_k: np.ndarray,
                displacement=None) -> tuple[np.ndarray, ...]:
    """Curvilinear coordinates of every pixel of ``plane``.

    Solved by fixed-point projection onto the curve on a coarse grid, then interpolated
    bilinearly (the fields are smooth). ``shear_s``/``shear_k`` are knots of the endplate tilt
    function k(s): the sheared coordinate is ``s' = s - k(s) * d``, so that a boundary at constant
    s' is a tilted endplate.

    ``displacement(s, d) -> (ds, dd)`` (optional) is evaluated too.

    Returns float32 arrays (H, W): ``s``, ``d``, ``s'``, and ``ds``, ``dd`` (zeros without
    ``displacement``).
    """
    h, w = plane.shape
    nr = coarse_nodes(h)
    nc = coarse_nodes(w)
    pr = (plane.row0 + plane.drow * nr)[:, None] + np.zeros((1, len(nc)))
    pc = (plane.col0 + plane.dcol * nc)[None, :] + np.zeros((len(nr), 1))
    order = np.argsort(curve.row)  # row(s) is monotonic: the spine never turns horizontal
    s_grid = curve.s_start + curve.step * np.arange(len(curve.row))
    s = np.interp(pr, curve.row[order], s_grid[order])
    for _ in range(NEWTON_ITERATIONS):
        cr, cc = curve.point(s)
        th = curve.angle(s)
        s = s + (pr - cr) * np.cos(th) + (pc - cc) * np.sin(th)
    cr, cc = curve.point(s)
    th = curve.angle(s)
    d = -(pr - cr) * np.sin(th) + (pc - cc) * np.cos(th)
    sp = s - np.interp(s, shear_s, shear_k) * d
    ds, dd = displacement(s, d) if displacement is not None else (0.0 * s, 0.0 * d)
    mr = interp_matrix(h, nr)
    mc = interp_matrix(w, nc)
    return tuple((mr @ f @ mc.T).astype(np.float32) for f in (s, d, sp, ds, dd))


def rigid_frame(plane: Plane, sl: tuple[slice, slice], origin: tuple[float, float], angle: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates (a, b) of the pixels in ``sl`` in a frame at ``origin`` (row, col mm) whose
    a-axis is (cos angle, sin angle) and b-axis (-sin angle, cos angle). float32 arrays."""
    rows = plane.rows_mm()[sl[0]].astype(np.float32)[:, None] - np.float32(origin[0])
    cols = plane.cols_mm()[sl[1]].astype(np.float32)[None, :] - np.float32(origin[1])
    ca = np.float32(np.cos(angle))
    sa = np.float32(np.sin(angle))
    return rows * ca + cols * sa, -rows * sa + cols * ca
