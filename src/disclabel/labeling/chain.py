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

The steps live in their own modules: detections in :mod:`.peaks`, the chain search and its gaps
in :mod:`.links`, the vote in :mod:`.numbering` and :mod:`.spacing`, the no-spine rules in
:mod:`.nospine`, discs 1 and 2 and the anchors in :mod:`.anchors`; this module runs them in
order and holds the result.

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

from disclabel.constants import CONFIDENCE_THRESHOLD, FIRST_CHAIN_DISC, NUM_DISCS, OUTPUT_STRIDE
from disclabel.data.heatmaps import as_numpy
from disclabel.labeling import columnend, spacing
from disclabel.labeling.anchors import chain_anchors, place_landmarks
from disclabel.labeling.links import MAX_END_SKIP, best_chain, drop_short_links, relative_numbers
from disclabel.labeling.nospine import MIN_CHAIN_DISCS, one_ridge, recognised, unnamed_spine
from disclabel.labeling.numbering import (
    VoteDetail,
    channel_evidence,
    offset_certainty,
    vote_offsets,
)
from disclabel.labeling.peaks import detect, disc_maps

if TYPE_CHECKING:
    import torch


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
    ``"sacrum"``; empty: from the discs' look and spacing alone);
    ``column_end_mm``: when the lowest disc was taken as L5/S1 because the field of view goes
    on this far (mm) below it without another disc (:mod:`.columnend`) and no anchor is
    recognised, else None; ``column_vote_margin``: when the chain was numbered up from its
    lowest disc, the vote's own margin (see ``vote_margin``), else None.
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
    column_end_mm: float | None = None
    column_vote_margin: float | None = None

    @property
    def vote_margin(self) -> float:
        """The vote's own margin: its best numbering's score minus the second best's, whatever
        numbering was kept (``margin`` is that of the kept one, which differs when the chain
        was numbered up from its lowest disc, :mod:`.columnend`)."""
        return self.margin if self.column_vote_margin is None else self.column_vote_margin

    @property
    def numbers(self) -> list[int]:
        """Disc numbers found, top to bottom."""
        return [int(d) + 1 for d in np.nonzero(np.isfinite(self.coords[:, 0]))[0]]


def empty_result(num_channels: int = NUM_DISCS) -> ChainResult:
    """A result without any disc."""
    return ChainResult(np.full((num_channels, 2), np.nan, np.float32),
                       np.zeros(num_channels, np.float32), np.zeros(num_channels, np.float32),
                       np.full(num_channels, np.nan, np.float32))


def decode_chain(heatmaps: np.ndarray | torch.Tensor, pixel_mm: float,
                 threshold: float = CONFIDENCE_THRESHOLD,
                 stride: int = OUTPUT_STRIDE, depth_mm: np.ndarray | None = None,
                 landmark_depth_mm: np.ndarray | None = None,
                 fov_bottom_row: float | None = None) -> ChainResult:
    """Decode one image's heatmaps (D, h, w) (channel ``c`` = disc ``c + 1``) into numbered
    discs; ``pixel_mm`` is the size of an input pixel. In 3-D, ``depth_mm`` (h, w) is the
    left-right position (mm) of every output pixel's disc evidence and ``landmark_depth_mm``
    (2, h, w) that of the channels of discs 1 and 2. ``fov_bottom_row``: the lowest input row
    inside the field of view (None: unknown, no chain is counted from its lower end, see
    :mod:`.columnend`). See the module docstring."""
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
    vote_margin = margin
    from_end = columnend.end_offset(points, rel, best, None if fov_bottom_row is None
                                    else fov_bottom_row * pixel_mm)
    if from_end not in scores:
        from_end = None
    if from_end is not None:
        best, margin, probability = offset_certainty(scores, from_end)
    numbers = best + rel
    kept = numbers >= FIRST_CHAIN_DISC  # numbered above C2/C3: not a disc
    if kept.sum() < MIN_CHAIN_DISCS:
        return result
    members, numbers, rel, evidence = members[kept], numbers[kept], rel[kept], evidence[kept]
    shares, points = shares[kept], points[kept]
    identity = shares[np.arange(len(rel)), numbers - 1]
    known = recognised(identity)
    if not (known or unnamed_spine(points, rel)):
        return result
    if one_ridge(disc_map, members[:, 3:5]):  # one ridge, no blobs
        return result
    result.recognised = known
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
    if from_end is not None:
        result.column_vote_margin = vote_margin
        if not result.anchors:  # a sacrum recognised on that disc says more than the rule
            result.column_end_mm = float(fov_bottom_row * pixel_mm - points[-1, 0])
    return result
