"""The network's evidence from many sagittal slices of a volume, made into one body of 3-D
evidence and projected for the chain decoder (:func:`.chain.decode_chain` with ``depth_mm``).

Evidence is ``maps`` (S, D, h, w): the heatmaps of S sagittal slices (sorted left to right, at
``x_mm`` (S,) millimetres, any spacing) on one output grid, channel ``c`` = disc ``c + 1``. A
disc is a peak in 3-D: its evidence rises and falls across the slices around its own left-right
position. So:

1. each slice's heatmaps are averaged with those of the slices within ``SLAB_HALF_WIDTH_MM``
   to follow the disc map across the slices (a disc is seen on neighbouring slices too,
   spurious peaks of single slices average out);
2. on every output pixel, the disc map (the sum of the disc channels above ``CHANNEL_FLOOR``,
   as the decoder forms it) is followed across the slices: its left-right position
   (``depth_mm``) is the centre of the run of slices around its largest value where it stays
   above ``CENTRE_FRACTION`` of that value (weighted by how far above it is), and the
   projection holds the mean of the heatmaps of the slices within ``SLAB_HALF_WIDTH_MM`` of
   that centre. Each disc of a tilted or curved spine is so seen in one 2-D map at its own
   left-right position; a network whose evidence is a plateau across the slices that show a
   disc gives the plateau's middle, not its noisiest slice, and a disc between two thick slices
   is placed between them;
3. the channels of discs 1 and 2 (landmarks of the atlas, outside the disc map) are projected
   on their own;
4. once decoded, each disc is placed at the peak of its own slices' evidence
   (:func:`place_on_own_slices`).

``allowed`` (S, h) limits, per output row, the slices that may be taken (the band around the
spine's course found by a first pass), so that evidence far to the side of the spine (a
kidney, a hip) cannot stand in for a disc's.
"""

from __future__ import annotations

import numpy as np

from disclabel.constants import FIRST_CHAIN_DISC, OUTPUT_STRIDE
from disclabel.data.heatmaps import input_to_output, output_to_input, refine_peaks
from disclabel.labeling.chain import ChainResult
from disclabel.labeling.peaks import disc_maps

COURSE_PENALTY_PER_MM: float = 0.1
"""The course before decoding (:func:`course_through`) pays this much disc evidence per mm it
moves left or right from one output row to the next: a spine tilted 20 degrees pays about 0.15
per row of 4 mm (a disc gives about 1 on each of its rows), a detour of 17 mm to a blob beside
the spine and back 3.4."""
COURSE_MIN_EVIDENCE: float = 0.3
"""Rows where the course sees less disc evidence than this take it from the rows around."""
SLAB_HALF_WIDTH_MM: float = 2.0
"""Heatmaps of the slices within this distance of each other are averaged before projection."""
COURSE_WINDOW: int = 5
"""The spine's course between passes of the labeller follows the robust line through this many
chain members around each (:func:`steady_lateral`)."""
WIDTH_CAP: float = 1.5
"""A slice stands for at most this many times the finest slice spacing (:func:`centre_depth`)."""
CENTRE_FRACTION: float = 0.5
"""A disc's left-right position is the centre of the slices where its evidence is above this
fraction of its largest value."""


def smooth_across_slices(maps: np.ndarray, x_mm: np.ndarray,
                         half_width_mm: float = SLAB_HALF_WIDTH_MM) -> np.ndarray:
    """(S, D, h, w) each slice's heatmaps averaged with those of every slice within
    ``half_width_mm`` of it (itself included), or within the finest spacing of the slices
    when that is wider: every slice is averaged with its nearest neighbours, so that a peak
    that one slice alone shows (not a disc, which is a 3-D object) averages out."""
    x_mm = np.asarray(x_mm, np.float64)
    spacing = np.diff(x_mm)
    half_width_mm = max(half_width_mm, float(spacing.min()) if len(spacing) else 0.0)
    near = np.abs(x_mm[:, None] - x_mm[None, :]) <= half_width_mm + 1e-6  # (S, S)
    weights = near / near.sum(axis=1, keepdims=True)
    return np.tensordot(weights.astype(np.float32), maps, axes=(1, 0))


def centre_depth(values: np.ndarray, x_mm: np.ndarray, allowed: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Where ``values`` (S, h, w) peaks across the slices at ``x_mm`` (S,), on every pixel.

    The largest value among the ``allowed`` (S, h) slices of each row (all when None) marks
    the peak; its run is the contiguous slices around it (allowed or not: a band narrower
    than a disc's evidence must not pull its centre) whose values exceed ``CENTRE_FRACTION``
    of it. Returns ``(depth_mm (h, w), nearest (h, w))``: the run's centre, each slice weighed
    by its excess over that fraction times the width it stands for (half the distance to each
    neighbour, at most ``WIDTH_CAP`` times the finest spacing: a slice at the edge of the
    sampled slices does not stand for the unsampled ones beyond it), and the allowed slice
    nearest it (the peak's where none is nearer).
    """
    x_mm = np.asarray(x_mm, np.float64)
    values = np.asarray(values, np.float64)
    candidates = values if allowed is None else np.where(allowed[:, :, None], values, -np.inf)
    best = candidates.argmax(axis=0)
    peak = np.take_along_axis(values, best[None], axis=0)[0]
    floor = CENTRE_FRACTION * np.maximum(peak, 0.0)
    above = values > floor[None]
    runs = np.cumsum(~above, axis=0)  # slices of one run above the floor share a number
    mine = above & (runs == np.take_along_axis(runs, best[None], axis=0))
    edges = np.r_[x_mm[0], 0.5 * (x_mm[1:] + x_mm[:-1]), x_mm[-1]]
    spacing = np.diff(x_mm)
    finest = float(spacing.min()) if len(spacing) else 1.0
    widths = np.clip(np.diff(edges), 1e-6, WIDTH_CAP * finest)
    weights = np.where(mine, (values - floor[None]) * widths[:, None, None], 0.0)
    total = weights.sum(axis=0)
    depth = np.where(total > 0, (weights * x_mm[:, None, None]).sum(axis=0)
                     / np.where(total > 0, total, 1.0), x_mm[best])
    distance = np.abs(x_mm[:, None, None] - depth[None])
    if allowed is not None:
        distance = np.where(allowed[:, :, None], distance, np.inf)
    nearest = distance.argmin(axis=0)
    return depth, nearest


def project(maps: np.ndarray, x_mm: np.ndarray, allowed: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Project the evidence ``maps`` (S, D, h, w) of slices at ``x_mm`` for the chain decoder.

    Returns ``(heatmaps (D, h, w), depth_mm (h, w), landmark_depth_mm (2, h, w))``: on every
    output pixel, the centre across the slices of the disc map of the smoothed evidence
    (:func:`smooth_across_slices`, :func:`centre_depth`; among the ``allowed`` (S, h) slices
    of each row) and the mean of the heatmaps of the allowed slices within
    ``SLAB_HALF_WIDTH_MM`` of that centre (the nearest one when none is that close; zeros on a
    row where none is allowed); each landmark channel likewise from its own values.
    """
    _, _, h, w = maps.shape
    smooth = smooth_across_slices(maps, x_mm)
    depth, nearest = centre_depth(disc_maps(smooth), x_mm, allowed)
    projected = _around(maps, x_mm, depth, nearest, allowed)
    landmarks = np.zeros((FIRST_CHAIN_DISC - 1, h, w))
    for channel in range(FIRST_CHAIN_DISC - 1):
        landmarks[channel], own = centre_depth(smooth[:, channel], x_mm, allowed)
        projected[channel] = _around(maps[:, channel:channel + 1], x_mm, landmarks[channel],
                                     own, allowed)[0]
    return projected.astype(np.float32), depth, landmarks


def _around(maps: np.ndarray, x_mm: np.ndarray, depth: np.ndarray, nearest: np.ndarray,
            allowed: np.ndarray | None) -> np.ndarray:
    """(C, h, w) on every pixel the mean of ``maps`` (S, C, h, w) over the allowed slices
    within ``SLAB_HALF_WIDTH_MM`` of ``depth`` (h, w), or the slice ``nearest`` (h, w)."""
    count = len(x_mm)
    near = np.abs(np.asarray(x_mm, np.float64)[:, None, None] - depth[None]) \
        <= SLAB_HALF_WIDTH_MM + 1e-6
    if allowed is not None:
        near &= allowed[:, :, None]
    near |= (np.arange(count)[:, None, None] == nearest[None]) & ~near.any(axis=0)[None]
    if allowed is not None:
        near &= allowed.any(axis=0)[None, :, None]  # rows where nothing is allowed: zeros
    weights = near.astype(np.float32)
    total = weights.sum(axis=0)
    out = np.einsum("schw,shw->chw", maps, weights)  # numpy's own loop: 8x faster than BLAS here
    return out / np.where(total > 0, total, 1.0)[None]


def place_on_own_slices(chain: ChainResult, maps: np.ndarray, x_mm: np.ndarray,
                        stride: int = OUTPUT_STRIDE) -> None:
    """Move each disc of ``chain`` (in place) to the peak, within one output pixel of where
    the projection put it, of the evidence of its own slices: the mean heatmaps (S, D, h, w)
    of the slices within ``SLAB_HALF_WIDTH_MM`` of its left-right position (the nearest one
    when none is that close); discs 3 and up on the disc map, discs 1 and 2 on their own
    channel. The projection mixes slices from pixel to pixel, and a disc's lateral parts (on
    slices beside its middle) reach less far back than its posterior tip; one slab per disc
    gives each tip as its own slices show it."""
    x_mm = np.asarray(x_mm, np.float64)
    _, _, h, w = maps.shape
    for index in np.flatnonzero(np.isfinite(chain.coords[:, 0])):
        distance = np.abs(x_mm - float(chain.lateral_mm[index]))
        near = distance <= SLAB_HALF_WIDTH_MM + 1e-6
        near = near if near.any() else distance == distance.min()
        row, col = (int(np.clip(np.rint(input_to_output(v, stride)), 0, n - 1))
                    for v, n in zip(chain.coords[index], (h, w), strict=True))
        # the slab's evidence on the pixels within 2 of the disc only: the peak is sought
        # within 1 of it, and its sub-pixel fit reads the peak's neighbours
        first_row, first_col = max(row - 2, 0), max(col - 2, 0)
        slab = maps[near, :, first_row:row + 3, first_col:col + 3].mean(axis=0)
        own = (disc_maps(slab[None])[0] if index >= FIRST_CHAIN_DISC - 1
               else np.clip(slab[index], 0.0, None))
        top, left = max(row - 1, 0) - first_row, max(col - 1, 0) - first_col
        patch = own[top:row - first_row + 2, left:col - first_col + 2]
        if not patch.size or patch.max() <= 0:
            continue
        r, c = np.unravel_index(int(patch.argmax()), patch.shape)
        u_row, u_col = refine_peaks(own[None], np.zeros(1, np.intp), np.array([top + r]),
                                    np.array([left + c]))
        chain.coords[index] = (output_to_input(u_row[0] + first_row, stride),
                               output_to_input(u_col[0] + first_col, stride))


def band_of_rows(x_mm: np.ndarray, path_mm: np.ndarray, half_width_mm: float) -> np.ndarray:
    """(S, h) whether slice ``s`` lies within ``half_width_mm`` of the spine's left-right
    course ``path_mm`` (h,) on each output row."""
    return np.abs(np.asarray(x_mm, np.float64)[:, None] - path_mm[None, :]) <= half_width_mm


def course_through(maps: np.ndarray, x_mm: np.ndarray,
                   penalty_per_mm: float = COURSE_PENALTY_PER_MM) -> np.ndarray:
    """(h,) the spine's left-right course (mm per output row) through the evidence ``maps``
    (S, D, h, w) of slices at ``x_mm``, before any disc is decoded: the path down the rows that
    collects the most disc evidence (on each row, the strongest disc map value of the slice it
    is on), paying ``penalty_per_mm`` for every mm it moves left or right from one row to the
    next (dynamic programming, ``O(h S^2)``), then on each row the middle of the evidence
    around it (:func:`centre_depth`), interpolated over rows where the path sees less than
    ``COURSE_MIN_EVIDENCE``. A spine is one continuous column of discs; the disc-like blobs of
    a parasagittal slice (the facet joints, ribs) sit beside it at a few levels only, and a path
    that jumps to them and back pays more than it gains."""
    x_mm = np.asarray(x_mm, np.float64)
    strength = disc_maps(maps).max(axis=2)  # (S, h)
    count, height = strength.shape
    moves = penalty_per_mm * np.abs(x_mm[:, None] - x_mm[None, :])  # (to, from)
    score = strength[:, 0].astype(np.float64)
    back = np.zeros((height, count), np.intp)
    for row in range(1, height):
        options = score[None, :] - moves
        back[row] = options.argmax(axis=1)
        score = strength[:, row] + options.max(axis=1)
    path = np.zeros(height, np.intp)
    path[-1] = int(score.argmax())
    for row in range(height - 1, 0, -1):
        path[row - 1] = back[row, path[row]]
    # the middle of the evidence around the path on each row, not the path's edge of a plateau
    depth, _ = centre_depth(strength[:, :, None], x_mm,
                            np.arange(count)[:, None] == path[None, :])
    depth = depth[:, 0]
    seen = strength[path, np.arange(height)] > COURSE_MIN_EVIDENCE
    if not seen.any():
        return x_mm[path]
    return np.interp(np.arange(height), np.flatnonzero(seen), depth[seen])


def steady_lateral(rows: np.ndarray, lateral: np.ndarray, window: int = COURSE_WINDOW
                   ) -> np.ndarray:
    """(K,) the left-right positions ``lateral`` (K,) of points at ``rows`` (K,), sorted by
    row, each replaced by the value at its row of the robust line (Theil-Sen: the median of
    the pairwise slopes, then of the intercepts) through the ``window`` points around it: one
    position taken from a wrong slice does not bend the course, while a tilt or a curve is
    followed to the ends."""
    out = np.array(lateral, np.float64)
    for k in range(len(rows)):
        low = min(max(0, k - window // 2), max(0, len(rows) - window))
        r, v = rows[low:low + window], lateral[low:low + window]
        if len(r) < 2:
            continue
        i, j = np.triu_indices(len(r), 1)
        spread = r[j] - r[i]
        slopes = (v[j] - v[i])[spread > 0] / spread[spread > 0]
        slope = float(np.median(slopes)) if len(slopes) else 0.0
        out[k] = float(np.median(v - slope * r) + slope * rows[k])
    return out


def spine_path(rows_out: np.ndarray, lateral_mm: np.ndarray, height: int,
               window: int = COURSE_WINDOW) -> np.ndarray:
    """(height,) the spine's left-right position (mm) on every output row: the discs found at
    output rows ``rows_out`` (K,) with positions ``lateral_mm`` (K,), each replaced by the
    value at its row of the robust line through the ``window`` discs around it
    (:func:`steady_lateral`), interpolated between them and held constant beyond the
    first and last."""
    order = np.argsort(rows_out)
    rows = np.asarray(rows_out, np.float64)[order]
    steady = steady_lateral(rows, np.asarray(lateral_mm, np.float64)[order], window)
    return np.interp(np.arange(height, dtype=np.float64), rows, steady)
