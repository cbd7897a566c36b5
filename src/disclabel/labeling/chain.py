"""Decode predicted heatmaps into one numbered chain of discs.

Finding a disc and naming it are separate steps here, because a network localises discs far
better than it tells them apart:

1. **Detections** are the peaks of the *disc map*, the sum over the channels of discs 3..25 of
   what exceeds ``CHANNEL_FLOOR`` (a disc whose identity the network splits between two channels
   is still one strong peak; a low haze spread over many channels adds up to nothing).
2. **The chain**: among the detections, the ordered subset (top to bottom, consecutive discs at
   least ``MIN_SPACING_MM`` and at most ``MAX_LINK_MM`` apart, at most ``MAX_TILT_DEG`` off the
   superior-inferior axis) with the largest total strength is kept, by dynamic programming.
   A detection much closer to its neighbour than the local disc spacing is a duplicate or an
   insertion (a peak on a vertebral body), and the weaker of the pair is dropped.
3. **Gaps**: consecutive discs are numbered consecutively, except where the distance between two
   detections is about twice the local spacing (``GAP_RATIO``): there one disc (or more) was
   missed, and the numbering skips it. A gap is never filled with an invented disc. A member at
   the top or bottom end beyond two or more missed discs (``MAX_END_SKIP``) is a stray peak
   (in the head, the pelvis, beside the spine) and is dropped.
4. **One offset for the whole chain** (:mod:`.numbering`): every detection votes, for each
   candidate number of the top disc, with the log of the share of its channel evidence that this
   numbering gives it, weighted by how sure the detection is of its identity: its largest share
   relative to the chain's mean, to the power ``ANCHOR_POWER`` (weights scaled to sum to the
   number of detections). The anchors (C2/C3 below the dens, the cervical discs near it, the
   sacrum), which the network names best, thus decide the offset, and a run of unsure discs far
   from them, whose identities lean one level off together, cannot outvote them. The best offset
   wins, and the decoder reports the margin (in weighted nats) to the second best and the
   offset's probability. Each offset's score also carries the **spacing prior**
   (:mod:`.spacing`, ``SPACING_WEIGHT`` times the log-likelihood): the lengths of the chain's
   links against the disc spacing of the PAM50 template at the levels that offset gives them, so
   that an offset that puts the chain's spacing profile one level off pays for it.
   The top of the chain may be numbered 1 or 2: a detection above C2/C3
   (the dens base, the atlas) is then not a disc and is dropped, instead of pushing every name
   one level down.
5. **Discs 1 and 2** (top of C1, C1/C2) are landmarks of the atlas, not discs; they are placed
   from their own channels above a chain that starts at C2/C3.

**Is it a spine?** A chain needs at least ``MIN_CHAIN_DISCS`` detections and at least one link
along which the disc map dips below ``VALLEY_RATIO`` of its ends: a lone peak or peaks strung
along one unbroken ridge of disc evidence (a curved band of the skull) is never reported as a
spine. Whether the network *recognises* the discs (their mean identity share reaches
``MIN_CHAIN_IDENTITY``) is a separate question: an unrecognised chain (a lumbar or thoracic
spine whose discs the network cannot tell apart) is still a spine when it is a regular column
of separate blobs: a run of at least ``MIN_UNNAMED_DISCS`` of them with no disc missed between
them, and every link at most ``MAX_UNNAMED_LINK_MM`` per disc it spans; it is then numbered as
any chain, and reported unrecognised (``ChainResult.recognised``) so that the labeller says its
numbering is a guess. Shorter or irregular unrecognised rows of blobs are no spine.

**Anchors**: the numbering is counted from an end of the spine only when that end is in view
and recognised (``ChainResult.anchors``): ``"C2"`` when the chain starts at C2/C3 with C1/C2
found above it from its own channel, ``"sacrum"`` when it ends at L5/S1 with at least
``SACRUM_ANCHOR_SHARE`` of that disc's evidence on L5/S1. A chain without an anchor is
numbered from the look and the spacing of its discs alone.

Coordinates are ``(row, col)``; detections and results are in INPUT pixels (the 2-D grid the
network sees), heatmaps are ``stride`` times coarser (see :mod:`disclabel.data.heatmaps`).

**In 3-D** (``depth_mm``): the heatmaps are a projection of the evidence of every sagittal
slice of a volume (each pixel from the slice where the disc map is largest, see
:mod:`.volume3d`), and ``depth_mm`` gives the left-right position (mm) that each pixel's evidence
comes from. The chain is then built along the 3-D curve of the discs: every distance (the
spacing rules, the gaps, the spacing prior) is measured in 3-D between ``(row mm, col mm, x
mm)`` points, and each disc keeps its own left-right position (``ChainResult.lateral_mm``).
Without ``depth_mm`` every detection lies at x = 0 and the decoder is the 2-D one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from disclabel.constants import (
    CONFIDENCE_THRESHOLD,
    FIRST_CHAIN_DISC,
    NUM_DISCS,
    OUTPUT_STRIDE,
)
from disclabel.data.heatmaps import (
    as_numpy,
    find_candidates,
    input_to_output,
    local_maxima,
    output_to_input,
    refine_peaks,
)
from disclabel.labeling import spacing
from disclabel.labeling.numbering import (
    VoteDetail,
    channel_evidence,
    offset_certainty,
    vote_offsets,
)

if TYPE_CHECKING:
    import torch

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
SACRUM_ANCHOR_SHARE: float = 0.3
"""A chain ending at L5/S1 is anchored at the sacrum when that disc has at least this share of
its evidence on L5/S1."""
VALLEY_RATIO: float = 0.3
"""A chain is a spine only if the disc map somewhere between two consecutive discs falls below
this fraction of the weaker one's peak; discs are separate blobs, a band is one ridge. Measured
with the leave-one-subject-out models of three seeds (the rule off): every real volume, changed
or not, has a link at 0.11 or less; 13 of the 20 false chains along the skull of brain-only
slabs stay at 0.33 to 0.70 on all their links (``tools/valley_check.py``; docs/model.md,
decoding step 7)."""
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
CHANNEL_FLOOR: float = 0.1
"""Each channel contributes to the disc map only where it exceeds this value."""
LANDMARK_MAX_MM: float = 60.0
"""Discs 1 and 2 are searched at most this far above the disc below them."""


@dataclass
class ChainResult:
    """The numbered discs of one image.

    ``coords``: float32 (D, 2) ``(row, col)`` in input pixels, NaN for an absent disc;
    ``confidence``: float32 (D,), how much disc the network sees there: the sum of every disc
    channel's value at the detection, capped at 1 (0 when absent);
    ``identity``: float32 (D,), the share of the detection's channel evidence on its assigned
    number (0 when absent);
    ``lateral_mm``: float32 (D,), each disc's left-right position in mm (the ``depth_mm`` of
    its pixel; 0 in 2-D, NaN when absent);
    ``offset``: number of the top disc of the chain (3 or more), None when no spine was found;
    ``margin``: log-evidence of the best offset minus that of the second best (nats; ``inf``
    when only one offset is possible, ``nan`` without a chain);
    ``offset_probability``: the best offset's share of ``exp(score)`` over all offsets;
    ``offset_scores``: ``{number of the chain's top detection: total log-evidence}`` (a top
    detection numbered 1 or 2 is dropped from the discs); ``gaps``: disc numbers
    skipped inside the chain; ``vote``: the vote in detail (:class:`VoteDetail`), None when
    no chain was voted on; ``recognised``: False when the chain is a spine although the
    network does not recognise its discs (mean identity share below ``MIN_CHAIN_IDENTITY``);
    ``anchors``: the ends of the spine the numbering is counted from (``"C2"``,
    ``"sacrum"``; empty: from the discs' look and spacing alone).
    """

    coords: np.ndarray
    confidence: np.ndarray
    identity: np.ndarray
    lateral_mm: np.ndarray | None = None
    offset: int | None = None
    margin: float = math.nan
    offset_probability: float = math.nan
    offset_scores: dict[int, float] = field(default_factory=dict)
    gaps: list[int] = field(default_factory=list)
    vote: VoteDetail | None = None
    recognised: bool = True
    anchors: list[str] = field(default_factory=list)

    @property
    def numbers(self) -> list[int]:
        """Disc numbers found, top to bottom."""
        return [int(d) + 1 for d in np.nonzero(np.isfinite(self.coords[:, 0]))[0]]


def empty_result(num_channels: int = NUM_DISCS) -> ChainResult:
    """A result without any disc."""
    return ChainResult(np.full((num_channels, 2), np.nan, np.float32),
                       np.zeros(num_channels, np.float32), np.zeros(num_channels, np.float32),
                       np.full(num_channels, np.nan, np.float32))


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


def local_spacing(links: np.ndarray, k: int) -> float:
    """Median length of the links near link ``k`` (itself excluded); NaN when it is alone."""
    lo, hi = max(0, k - SPACING_WINDOW), min(len(links), k + SPACING_WINDOW + 1)
    near = np.r_[links[lo:k], links[k + 1:hi]]
    return float(np.median(near)) if len(near) else math.nan


def drop_short_links(points_mm: np.ndarray, strength: np.ndarray, chain: list[int]
                     ) -> list[int]:
    """Remove, one at a time, the weaker end of the link that is shortest relative to the local
    spacing while it is below ``SHORT_RATIO`` of it (duplicates and insertions); ``points_mm``
    (N, 2 or 3) in mm."""
    chain = list(chain)
    while len(chain) >= 3:
        links = np.linalg.norm(np.diff(points_mm[chain], axis=0), axis=1)
        ratios = np.array([links[k] / local_spacing(links, k) for k in range(len(links))])
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


def decode_chain(heatmaps: np.ndarray | torch.Tensor, pixel_mm: float,
                 threshold: float = CONFIDENCE_THRESHOLD,
                 stride: int = OUTPUT_STRIDE, depth_mm: np.ndarray | None = None,
                 landmark_depth_mm: np.ndarray | None = None) -> ChainResult:
    """Decode one image's heatmaps (D, h, w) (channel ``c`` = disc ``c + 1``) into numbered
    discs; ``pixel_mm`` is the size of an input pixel. In 3-D, ``depth_mm`` (h, w) is the
    left-right position (mm) of every output pixel's disc evidence and ``landmark_depth_mm``
    (2, h, w) that of the channels of discs 1 and 2. See the module docstring."""
    maps = as_numpy(heatmaps)
    if maps.ndim != 3 or maps.shape[0] < FIRST_CHAIN_DISC:
        raise ValueError(f"heatmaps must have shape (D >= {FIRST_CHAIN_DISC}, h, w), "
                         f"got {maps.shape}")
    if not pixel_mm > 0:
        raise ValueError(f"pixel_mm must be positive, got {pixel_mm}")
    num = maps.shape[0]
    result = empty_result(num)
    disc_map = disc_maps(maps)
    found = detect(disc_map, threshold, stride)
    lateral = (np.zeros(len(found)) if depth_mm is None
               else depth_mm[found[:, 3].astype(int), found[:, 4].astype(int)])
    points = np.c_[found[:, :2] * pixel_mm, lateral]  # (row, col, x) in mm
    chain = best_chain(points, found[:, 2])
    chain = drop_short_links(points, found[:, 2], chain)
    if len(chain) < MIN_CHAIN_DISCS:
        return result
    members, points = found[chain], points[chain]
    rel = relative_numbers(points)
    while len(rel) > MIN_CHAIN_DISCS and (rel[1] - rel[0] > MAX_END_SKIP
                                          or rel[-1] - rel[-2] > MAX_END_SKIP):
        end = slice(1, None) if rel[1] - rel[0] > MAX_END_SKIP else slice(None, -1)
        members, points = members[end], points[end]
        rel = relative_numbers(points)
    keep = rel <= num - FIRST_CHAIN_DISC  # a chain longer than the spine: keep its top
    members, points, rel = members[keep], points[keep], rel[keep]
    evidence = channel_evidence(maps, members[:, 3], members[:, 4])
    votes, shares = vote_offsets(evidence, rel, FIRST_CHAIN_DISC, num)
    prior = (spacing.spacing_scores(points, rel, list(votes))
             if spacing.SPACING_WEIGHT else {})
    result.vote = VoteDetail(rel, members[:, :2].copy(), shares, votes, prior, points.copy())
    scores = result.vote.scores()
    best, margin, probability = offset_certainty(scores)
    numbers = best + rel
    kept = numbers >= FIRST_CHAIN_DISC  # numbered above C2/C3: not a disc
    if kept.sum() < MIN_CHAIN_DISCS:
        return result
    members, numbers, rel, evidence = members[kept], numbers[kept], rel[kept], evidence[kept]
    shares, points = shares[kept], points[kept]
    identity = shares[np.arange(len(rel)), numbers - 1]
    recognised = bool(identity.mean() >= MIN_CHAIN_IDENTITY)
    if not (recognised or unnamed_spine(points, rel)):
        return result
    if link_valleys(disc_map, members[:, 3:5]).min() >= VALLEY_RATIO:  # one ridge, no blobs
        return result
    result.recognised = recognised
    result.coords[numbers - 1] = members[:, :2]
    result.confidence[numbers - 1] = np.minimum(
        np.clip(evidence[:, FIRST_CHAIN_DISC - 1:], 0.0, None).sum(axis=1), 1.0)
    result.identity[numbers - 1] = identity
    result.lateral_mm[numbers - 1] = points[:, 2]
    result.offset, result.margin, result.offset_probability = int(numbers[0]), margin, probability
    result.offset_scores = scores
    result.gaps = sorted(set(range(int(numbers[0]), int(numbers[-1]) + 1)) - set(numbers.tolist()))
    if numbers[0] == FIRST_CHAIN_DISC:
        place_landmarks(maps, result, pixel_mm, threshold, stride, landmark_depth_mm)
    result.anchors = chain_anchors(result)
    return result


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
