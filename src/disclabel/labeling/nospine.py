"""Is it a spine? The rules by which the chain decoder (:mod:`.chain`) reports no spine.

A chain needs at least ``MIN_CHAIN_DISCS`` members and at least one link along which the disc
map dips below ``VALLEY_RATIO`` of its ends (discs are separate blobs, a curved band of the
skull is one ridge). Whether the network recognises the discs (:func:`recognised`) is a
separate question: an unrecognised chain is still a spine when it is a regular column of
separate blobs (:func:`unnamed_spine`).
"""

from __future__ import annotations

import numpy as np

MIN_CHAIN_DISCS: int = 2
"""Fewer detections in a chain than this is reported as no spine at all."""
MIN_CHAIN_IDENTITY: float = 0.12
"""A chain whose discs' mean identity share (evidence on their assigned numbers) is below this
is reported as no spine: the network sees disc-like blobs but cannot tell which discs they are
(about 3 times the share of evidence spread evenly over the channels). Measured with the
shipped and the leave-one-subject-out models: 0.18 or more on every real spine, 0.14 or more on
the synthetic test volumes, 0.08 on a knee's fat plane (docs/model.md, decoding step 6)."""
MIN_UNNAMED_DISCS: int = 4
"""An unrecognised chain (mean identity share below ``MIN_CHAIN_IDENTITY``) is a spine only with
a run of at least this many consecutive detections (no disc missed between them). With the
identity rule switched off, the false chains of the no-spine set (noise, a knee-like volume,
brain-only fields of view) had 3 members or fewer under the shipped and the
leave-one-subject-out models, the unrecognised lumbar chains 3 to 10 (docs/model.md, decoding
step 6)."""
MAX_UNNAMED_LINK_MM: float = 55.0
"""Every link of an unrecognised chain is at most this long per disc it spans: discs, not blobs
far apart (the posterior tips of adjacent lumbar discs are 30 to 45 mm apart)."""
VALLEY_RATIO: float = 0.3
"""A chain is a spine only if the disc map somewhere between two consecutive discs falls below
this fraction of the weaker one's peak; discs are separate blobs, a band is one ridge. Measured
with the leave-one-subject-out models of three seeds (the rule off): every real volume, changed
or not, has a link at 0.11 or less; 13 of the 20 false chains along the skull of brain-only
slabs stay at 0.33 to 0.70 on all their links (``tools/valley_check.py``; docs/model.md,
decoding step 7)."""


def recognised(identity: np.ndarray) -> bool:
    """Whether the network recognises a chain's discs: their identity shares (K,) (each disc's
    share of its evidence on its assigned number) average at least ``MIN_CHAIN_IDENTITY``."""
    return bool(np.mean(identity) >= MIN_CHAIN_IDENTITY)


def one_ridge(disc_map: np.ndarray, peaks: np.ndarray) -> bool:
    """Whether the chain's members ``peaks`` (K, 2) (integer output pixels of the (h, w) disc
    map, in chain order) lie along one unbroken ridge of disc evidence: no link dips below
    ``VALLEY_RATIO`` of its weaker end (:func:`link_valleys`). Such a chain is no spine."""
    return bool(link_valleys(disc_map, peaks).min() >= VALLEY_RATIO)


def unnamed_spine(points_mm: np.ndarray, rel: np.ndarray) -> bool:
    """Whether a chain whose discs the network does not recognise is still a spine: a run of
    at least ``MIN_UNNAMED_DISCS`` consecutive members (no disc skipped between them), and
    every link at most ``MAX_UNNAMED_LINK_MM`` per disc it spans (a link across one missed
    disc may be twice that). ``points_mm`` (K, 2 or 3) in chain order, ``rel`` (K,) their
    relative numbers."""
    if len(rel) < MIN_UNNAMED_DISCS:
        return False
    steps = np.diff(rel)
    per_disc = np.linalg.norm(np.diff(points_mm, axis=0), axis=1) / steps
    run = longest = 1
    for step in steps:
        run = run + 1 if step == 1 else 1
        longest = max(longest, run)
    return bool(longest >= MIN_UNNAMED_DISCS and per_disc.max() <= MAX_UNNAMED_LINK_MM)


def link_valleys(disc_map: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """(K - 1,) lowest value of the (h, w) disc map on the straight line between consecutive
    chain members, over the weaker end's value; ``peaks`` (K, 2) integer output-pixel
    ``(row, col)`` in chain order (nearest-pixel samples every half pixel)."""
    out = np.zeros(max(len(peaks) - 1, 0))
    h, w = disc_map.shape
    for k, (a, b) in enumerate(zip(peaks[:-1], peaks[1:], strict=True)):
        t = np.linspace(0.0, 1.0, int(np.ceil(2 * np.hypot(*(b - a)))) + 2)
        rows = np.clip(np.round(a[0] + t * (b[0] - a[0])).astype(int), 0, h - 1)
        cols = np.clip(np.round(a[1] + t * (b[1] - a[1])).astype(int), 0, w - 1)
        ends = min(disc_map[int(a[0]), int(a[1])], disc_map[int(b[0]), int(b[1])])
        out[k] = disc_map[rows, cols].min() / max(float(ends), 1e-12)
    return out
