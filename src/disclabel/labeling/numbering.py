"""The numbering vote of a chain of discs (:mod:`.chain`): one offset for the whole chain.

Every member votes, for each candidate number of the top disc, with the log of the share of its
channel evidence that this numbering gives it (:func:`vote_offsets`), weighted by how sure the
member is of its identity (:func:`anchor_weights`); the decoder adds the spacing prior
(:mod:`.spacing`) and ranks the offsets (:func:`offset_certainty`). :class:`VoteDetail` keeps
the vote for ``label.py --explain`` (:mod:`.explain`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from disclabel.constants import EVIDENCE_FLOOR, FIRST_CHAIN_DISC, NUM_DISCS
from disclabel.labeling import spacing

ANCHOR_POWER: float = 3.0
"""Exponent of a detection's vote weight, (its largest identity share / the chain's mean) **
this; 0 gives every detection the same weight."""


@dataclass
class VoteDetail:
    """How the numbering vote of one chain went (for :mod:`.explain`), every member of
    the chain in order top to bottom, before members numbered 1 or 2 are dropped.

    ``rel``: int (K,) relative numbers; ``coords``: (K, 2) ``(row, col)`` in input pixels;
    ``points_mm``: (K, 3) ``(row, col, x)`` in mm, the positions every distance is measured
    between (x = 0 in 2-D);
    ``shares``: (K, D) each member's identity shares (channel ``c`` = disc ``c + 1``);
    ``evidence``: ``{offset: weighted log-shares}``; ``spacing``: ``{offset: spacing
    log-likelihood}`` (empty when the prior is off), added to ``evidence`` with
    ``disclabel.labeling.spacing.SPACING_WEIGHT`` to give the offset's score.
    """

    rel: np.ndarray
    coords: np.ndarray
    shares: np.ndarray
    evidence: dict[int, float]
    spacing: dict[int, float]
    points_mm: np.ndarray | None = None

    @property
    def weights(self) -> np.ndarray:
        """(K,) the members' vote weights (:func:`anchor_weights` of their shares)."""
        return anchor_weights(self.shares)

    def scores(self) -> dict[int, float]:
        """``{offset: score}``: evidence plus the weighted spacing term (what is ranked)."""
        weight = spacing.SPACING_WEIGHT
        return {o: e + weight * self.spacing.get(o, 0.0) for o, e in self.evidence.items()}

    def member_terms(self, offset: int) -> np.ndarray:
        """(K,) each member's weighted log-share if the top member is numbered ``offset``."""
        rows = np.arange(len(self.rel))
        return self.weights * np.log(self.shares[rows, offset + self.rel - 1])


def channel_evidence(maps: np.ndarray, out_rows: np.ndarray, out_cols: np.ndarray
                     ) -> np.ndarray:
    """(K, D) largest value of every channel within one output pixel of each detection."""
    d, h, w = maps.shape
    evidence = np.zeros((len(out_rows), d))
    for k, (r, c) in enumerate(zip(out_rows.astype(int), out_cols.astype(int), strict=True)):
        patch = maps[:, max(r - 1, 0):min(r + 2, h), max(c - 1, 0):min(c + 2, w)]
        evidence[k] = patch.reshape(d, -1).max(axis=1)
    return evidence


def vote_offsets(evidence: np.ndarray, rel: np.ndarray, first: int = FIRST_CHAIN_DISC,
                 last: int = NUM_DISCS) -> tuple[dict[int, float], np.ndarray]:
    """Total weighted log-evidence of every possible number of the top disc.

    ``evidence`` (K, D) channel values at each chain member (channel ``c`` = disc ``c + 1``),
    ``rel`` (K,) relative numbers. Each member's evidence over all D channels is normalised to
    shares (after adding ``EVIDENCE_FLOOR``). Offset ``o`` scores the sum of the log-shares of
    discs ``o + rel``, each weighted by :func:`anchor_weights`; ``o`` runs from 1, as long as
    the chain keeps at least one member numbered ``first`` or more and none above ``last``.
    (:func:`.chain.decode_chain` adds the spacing prior, :func:`.spacing.spacing_scores`; see
    :meth:`VoteDetail.scores`.) Returns ``({o: score}, shares (K, D))``.
    """
    raw = np.clip(evidence[:, :last], 0.0, None) + EVIDENCE_FLOOR
    shares = raw / raw.sum(axis=1, keepdims=True)
    weights = anchor_weights(shares)
    scores = {}
    for o in range(max(1, first - int(rel[-1])), last - int(rel[-1]) + 1):
        scores[o] = float((weights * np.log(shares[np.arange(len(rel)), o + rel - 1])).sum())
    return scores, shares


def anchor_weights(shares: np.ndarray, power: float | None = None) -> np.ndarray:
    """(K,) vote weight of each chain member from its identity shares (K, D): its largest share
    to ``power`` (default ``ANCHOR_POWER``), scaled so that the weights sum to K."""
    if len(shares) == 0:
        return np.zeros(0)
    peak = shares.max(axis=1) ** (ANCHOR_POWER if power is None else power)
    return peak * (len(peak) / peak.sum())


def offset_certainty(scores: dict[int, float], chosen: int | None = None
                     ) -> tuple[int, float, float]:
    """(best offset, margin to the second best in nats, probability of the best); with
    ``chosen``, that offset in place of the best, its margin to the best other one (negative
    when the vote prefers another) and its probability."""
    ranked = sorted(scores, key=lambda o: (-scores[o], o))
    best = ranked[0] if chosen is None else chosen
    others = [o for o in ranked if o != best]
    margin = scores[best] - scores[others[0]] if others else math.inf
    values = np.array([scores[o] for o in ranked])
    probability = float(np.exp(scores[best] - values[0]) / np.exp(values - values[0]).sum())
    return best, float(margin), probability
