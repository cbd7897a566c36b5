"""Layered representation of a left-right symmetric 3-D anatomy on a sagittal pixel grid.

Every structure is an implicit 3-D shape ``{(p, x) : |x| < w(p)}``: a map of half-widths
``w`` (mm, left-right) on the sagittal plane, with a tissue (scalar or per pixel). Structures
are ranked by priority (inner structures first). On every pixel the visible ones form a
staircase: layer ``k`` holds tissue ``tissue[k]`` for ``threshold[k-1] <= |x| < threshold[k]``
(``threshold[-1] = 0``), and beyond the last threshold lies air. A 3-D volume is then the
gather ``tissue[#{k : threshold[k] <= |x|}]`` for every sagittal slice ``x``: a handful of
vectorised comparisons instead of evaluating every shape on every voxel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from disclabel.synthetic.tables import Tissue

MAX_LAYERS: int = 10
"""Visible structures kept per pixel (more are dropped; the deepest anatomy needs about 7)."""


@dataclass
class _Structure:
    priority: float
    order: int
    sl: tuple[slice, slice]
    width: np.ndarray
    tissue: int | np.ndarray


@dataclass
class LayerBuilder:
    """Collects structures on an (H, W) grid; :meth:`build` resolves them into layers."""

    shape: tuple[int, int]
    structures: list[_Structure] = field(default_factory=list)

    def add(self, priority: float, sl: tuple[slice, slice], width: np.ndarray,
            tissue: int | np.ndarray) -> None:
        """Add a structure on the sub-grid ``sl``: ``width`` (h, w) float32 half-widths in mm
        (<= 0 where absent), ``tissue`` an int or an (h, w) integer map. Higher priority wins."""
        if not np.isscalar(tissue):
            tissue = np.asarray(tissue, np.uint8)
        else:
            tissue = int(tissue)
        self.structures.append(_Structure(priority, len(self.structures), sl, width, tissue))

    def build(self) -> Layers:
        h, w = self.shape
        thr = np.full((MAX_LAYERS, h, w), np.inf, np.float32)
        tis = np.full((MAX_LAYERS + 1, h, w), int(Tissue.AIR), np.uint8)
        count = np.zeros((h, w), np.int64)
        wrun = np.zeros((h, w), np.float32)
        for st in sorted(self.structures, key=lambda s: (-s.priority, s.order)):
            run = wrun[st.sl]
            vis = st.width > run
            if not vis.any():
                continue
            ii, jj = np.nonzero(vis)
            cnt = count[st.sl]
            k = cnt[ii, jj]
            keep = k < MAX_LAYERS
            ii, jj, k = ii[keep], jj[keep], k[keep]
            gi = ii + (st.sl[0].start or 0)
            gj = jj + (st.sl[1].start or 0)
            thr[k, gi, gj] = st.width[ii, jj]
            tis[k, gi, gj] = st.tissue if isinstance(st.tissue, int) else st.tissue[ii, jj]
            cnt[vis] += 1
            np.maximum(run, st.width, out=run)
        used = max(1, int(count.max()))
        return Layers(thr[:used].copy(), tis[:used + 1].copy())


@dataclass(frozen=True)
class Layers:
    """``threshold`` (K, H, W) float32 ascending per pixel (inf when unused) and ``tissue``
    (K + 1, H, W) uint8; see the module docstring."""

    threshold: np.ndarray
    tissue: np.ndarray

    def index(self, abs_x: np.ndarray) -> np.ndarray:
        """Layer index for every |x| in ``abs_x`` (shape (X,)): uint8 (X, H, W)."""
        ax = np.asarray(abs_x, np.float32)[:, None, None]
        idx = np.zeros((len(ax),) + self.threshold.shape[1:], np.uint8)
        for thr in self.threshold:
            idx += ax >= thr
        return idx

    def index_map(self, abs_x: np.ndarray) -> np.ndarray:
        """Layer index (H, W) uint8 on a surface whose |x| varies per pixel, ``abs_x`` (H, W)
        or broadcastable to it (a sagittal plane that a curved spine enters and leaves)."""
        ax = np.asarray(abs_x, np.float32)
        idx = np.zeros(self.threshold.shape[1:], np.uint8)
        for thr in self.threshold:
            idx += ax >= thr
        return idx

    def index_at(self, abs_x: float) -> np.ndarray:
        """Layer index (H, W) uint8 on the single sagittal plane at |x| = ``abs_x``."""
        return self.index(np.array([abs_x]))[0]

    def gather(self, values: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Per-layer ``values`` (K + 1, H, W) picked by ``idx`` (..., H, W) -> (..., H, W)."""
        hw = values.shape[1] * values.shape[2]
        pix = np.arange(hw, dtype=np.int32).reshape(values.shape[1:])
        lin = idx.astype(np.int32) * np.int32(hw) + pix
        return np.take(values.reshape(-1), lin)

    def tissue_at(self, abs_x: float) -> np.ndarray:
        """Tissue map (H, W) uint8 on the sagittal plane at |x| = ``abs_x``."""
        return self.gather(self.tissue, self.index_at(abs_x))
