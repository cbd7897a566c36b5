"""The ends of the spine in a decoded chain (:mod:`.chain`, step 5): discs 1 and 2 (top of C1,
C1/C2), landmarks of the atlas placed from their own channels above a chain that starts at
C2/C3, and the anchors the numbering is counted from (``"C2"``, ``"sacrum"``).

Coordinates are ``(row, col)`` in INPUT pixels; heatmaps ``(D, h, w)`` at output resolution.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from disclabel.constants import FIRST_CHAIN_DISC, NUM_DISCS
from disclabel.data.heatmaps import find_candidates, input_to_output
from disclabel.labeling.links import MIN_SPACING_MM

if TYPE_CHECKING:
    from disclabel.labeling.chain import ChainResult

LANDMARK_MAX_MM: float = 60.0
"""Discs 1 and 2 are searched at most this far above the disc below them."""
SACRUM_ANCHOR_SHARE: float = 0.3
"""A chain ending at L5/S1 is anchored at the sacrum when that disc has at least this share of
its evidence on L5/S1."""


def place_landmarks(maps: np.ndarray, result: ChainResult, pixel_mm: float, threshold: float,
                    stride: int, depth_mm: np.ndarray | None = None) -> None:
    """Add disc 2 (C1/C2) then disc 1 (top of C1) above a chain that starts at disc 3, each
    from its own channel: the strongest peak above the disc below it, within
    ``LANDMARK_MAX_MM`` of it and at least ``MIN_SPACING_MM`` higher. ``depth_mm``
    (2, h, w): the left-right position of each landmark channel's pixels (None: 0)."""
    below = result.coords[FIRST_CHAIN_DISC - 1]
    for disc in range(FIRST_CHAIN_DISC - 1, 0, -1):
        for row, col, score in find_candidates(maps[disc - 1], threshold, stride=stride):
            up = (below[0] - row) * pixel_mm
            if up >= MIN_SPACING_MM and math.hypot(up, (col - below[1]) * pixel_mm) \
                    <= LANDMARK_MAX_MM:
                result.coords[disc - 1] = (row, col)
                result.confidence[disc - 1] = min(score, 1.0)
                result.identity[disc - 1] = 1.0
                result.lateral_mm[disc - 1] = _depth_at(
                    None if depth_mm is None else depth_mm[disc - 1], row, col, stride)
                below = result.coords[disc - 1]
                break


def _depth_at(depth_mm: np.ndarray | None, row: float, col: float, stride: int) -> float:
    """The left-right position (mm) of the output pixel nearest input pixel (row, col)."""
    if depth_mm is None:
        return 0.0
    r, c = (int(np.clip(np.rint(input_to_output(v, stride)), 0, n - 1))
            for v, n in zip((row, col), depth_mm.shape, strict=True))
    return float(depth_mm[r, c])


def chain_anchors(result: ChainResult) -> list[str]:
    """The recognised ends of the spine in a decoded chain: ``"C2"`` (C2/C3 with C1/C2 found
    above it) and ``"sacrum"`` (L5/S1 with at least ``SACRUM_ANCHOR_SHARE`` of its evidence on
    its own number)."""
    found = np.isfinite(result.coords[:, 0])
    anchors = []
    if result.offset == FIRST_CHAIN_DISC and found[1]:
        anchors.append("C2")
    if len(found) == NUM_DISCS and found[-1] and result.identity[-1] >= SACRUM_ANCHOR_SHARE:
        anchors.append("sacrum")
    return anchors
