"""The detections of the chain decoder (:mod:`.chain`, step 1): the disc map of predicted heatmaps
and its peaks.

Heatmaps are ``(..., D, h, w)`` (channel ``c`` = disc ``c + 1``) at output resolution; peaks are
returned in INPUT pixels ``(row, col)`` (see :mod:`disclabel.data.heatmaps`).
"""

from __future__ import annotations

import numpy as np

from disclabel.constants import FIRST_CHAIN_DISC, OUTPUT_STRIDE
from disclabel.data.heatmaps import local_maxima, output_to_input, refine_peaks

CHANNEL_FLOOR: float = 0.1
"""Each channel contributes to the disc map only where it exceeds this value."""


def disc_maps(maps: np.ndarray) -> np.ndarray:
    """The disc map of heatmaps (..., D, h, w): the sum over the disc channels (3 and up) of
    what exceeds ``CHANNEL_FLOOR``; (..., h, w)."""
    excess = maps[..., FIRST_CHAIN_DISC - 1:, :, :] - CHANNEL_FLOOR
    return np.maximum(excess, 0.0, out=excess).sum(axis=-3)


def detect(disc_map: np.ndarray, threshold: float, stride: int = OUTPUT_STRIDE) -> np.ndarray:
    """Peaks of a (h, w) disc map: (N, 5) float64 rows of (row, col) in input pixels, strength,
    and the integer output-pixel peak (row, col); strongest first."""
    peak = local_maxima(disc_map, 1)
    if peak.all():  # a constant map has no peak
        return np.zeros((0, 5))
    rows, cols = np.nonzero(peak & (disc_map > threshold))
    if len(rows) == 0:
        return np.zeros((0, 5))
    order = np.argsort(-disc_map[rows, cols], kind="stable")  # strongest first, then row-major
    rows, cols = rows[order], cols[order]
    u_row, u_col = refine_peaks(disc_map[None], np.zeros(len(rows), np.intp), rows, cols)
    return np.stack([output_to_input(u_row, stride), output_to_input(u_col, stride),
                     disc_map[rows, cols], rows, cols], axis=1)
