"""The chain search of the decoder (:mod:`.chain`, steps 2 and 3): the ordered chain of
detections with the largest total strength, duplicates dropped, and the relative numbers of
its members with the gaps where a disc was missed.

Points are ``(N, 2 or 3)`` ``(row, col[, x])`` in mm (x: left-right, in 3-D); every distance is
measured between them.
"""

from __future__ import annotations

import math

import numpy as np

MIN_SPACING_MM: float = 7.0
"""Two discs of a chain are at least this far apart superior-inferiorly."""
MAX_LINK_MM: float = 90.0
"""Two consecutive detections of a chain are at most this far apart (a missed lumbar disc)."""
MAX_TILT_DEG: float = 60.0
"""The line between consecutive detections is at most this far from the superior-inferior axis
(its sideways part measured front-to-back and, in 3-D, left-right together)."""
MAX_END_SKIP: int = 2
"""A chain's top or bottom member beyond a gap of more than this many discs minus one (two or
more missed discs in a row at the chain's very end) is a stray peak, not a disc: dropped."""
GAP_RATIO: float = 1.6
"""A link this many times longer than the local spacing skips ``round(ratio) - 1`` discs."""
SHORT_RATIO: float = 0.6
"""A link this many times shorter than the local spacing joins a duplicate or an insertion."""
SPACING_WINDOW: int = 2
"""The local spacing of a link is the median of up to this many links on each side of it."""


def best_chain(points_mm: np.ndarray, strength: np.ndarray) -> list[int]:
    """Indices (top to bottom) of the ordered chain of largest total strength.

    ``points_mm`` (N, 2 or 3) ``(row, col[, x])`` in mm, ``strength`` (N,). Consecutive chain
    members go down by at least ``MIN_SPACING_MM``, lie at most ``MAX_LINK_MM`` apart and at
    most ``MAX_TILT_DEG`` off vertical. ``O(N^2)``.
    """
    if len(points_mm) == 0:
        return []
    order = np.lexsort((points_mm[:, 1], points_mm[:, 0]))
    pts, score = points_mm[order], strength[order]
    best = score.astype(np.float64).copy()
    previous = np.full(len(pts), -1)
    tan_max = math.tan(math.radians(MAX_TILT_DEG))
    for i in range(1, len(pts)):
        d_row = pts[i, 0] - pts[:i, 0]
        d_side = np.linalg.norm(pts[i, 1:] - pts[:i, 1:], axis=1)  # front-back (, left-right)
        ok = ((d_row >= MIN_SPACING_MM) & (np.hypot(d_row, d_side) <= MAX_LINK_MM)
              & (d_side <= d_row * tan_max))
        if ok.any():
            j = int(np.argmax(np.where(ok, best[:i], -np.inf)))
            best[i] += best[j]
            previous[i] = j
    i = int(np.argmax(best))
    chain = []
    while i >= 0:
        chain.append(int(order[i]))
        i = int(previous[i])
    return chain[::-1]


def _near_links(links: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The links within ``SPACING_WINDOW`` of link ``k``: with it, and without it."""
    lo, hi = max(0, k - SPACING_WINDOW), min(len(links), k + SPACING_WINDOW + 1)
    return links[lo:hi], np.r_[links[lo:k], links[k + 1:hi]]


def local_spacing(links: np.ndarray, k: int) -> float:
    """Median length of the links near link ``k`` (itself excluded); NaN when it is alone."""
    _, near = _near_links(links, k)
    return float(np.median(near)) if len(near) else math.nan


def disc_spacing(links: np.ndarray, k: int) -> float:
    """The spacing of one disc near link ``k``: the median of the links near it (itself
    excluded), each a link across ``round(ratio)`` discs when it is ``GAP_RATIO`` or more times
    the median of the links near it (itself included), so that a link across a missed disc
    does not make its neighbours look short; NaN when ``k`` is alone."""
    window, near = _near_links(links, k)
    if not len(near):
        return math.nan
    ratio = near / float(np.median(window))
    discs = np.where(ratio >= GAP_RATIO, np.round(ratio), 1.0)
    return float(np.median(near / discs))


def drop_short_links(points_mm: np.ndarray, strength: np.ndarray, chain: list[int]
                     ) -> list[int]:
    """Remove, one at a time, the weaker end of the link that is shortest relative to the
    spacing of one disc near it (:func:`disc_spacing`) while it is below ``SHORT_RATIO`` of it
    (duplicates and insertions); ``points_mm`` (N, 2 or 3) in mm."""
    chain = list(chain)
    while len(chain) >= 3:
        links = np.linalg.norm(np.diff(points_mm[chain], axis=0), axis=1)
        ratios = np.array([links[k] / disc_spacing(links, k) for k in range(len(links))])
        k = int(np.nanargmin(ratios))
        if not ratios[k] < SHORT_RATIO:
            break
        a, b = chain[k], chain[k + 1]
        chain.remove(a if strength[a] < strength[b] else b)
    return chain


def relative_numbers(points_mm: np.ndarray) -> np.ndarray:
    """Number of each chain member relative to the top one (0, 1, 2, ...), skipping
    ``round(ratio) - 1`` numbers at a link ``GAP_RATIO`` or more times the local spacing.
    ``points_mm`` (K, 2 or 3) in mm, in chain order."""
    rel = np.zeros(len(points_mm), np.int64)
    if len(points_mm) < 2:
        return rel
    links = np.linalg.norm(np.diff(points_mm, axis=0), axis=1)
    for k, length in enumerate(links):
        ratio = length / local_spacing(links, k)
        skipped = max(int(round(ratio)) - 1, 1) if ratio >= GAP_RATIO else 0
        rel[k + 1] = rel[k] + 1 + skipped
    return rel
