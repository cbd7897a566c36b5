"""Why a chain got its numbers: the numbering vote of :func:`.chain.decode_chain` in words,
one line per chain member (``label.py --explain``).

A wrong numbering is almost always a whole chain one level off. The lines say which members
voted for the chosen numbering and which for the runner-up, so that a user (or a developer)
can see whether the top of the spine, the lower discs or the spacing prior decided it.
"""

from __future__ import annotations

from disclabel.constants import DISC_NAMES
from disclabel.labeling import spacing
from disclabel.labeling.chain import ChainResult
from disclabel.labeling.numbering import VoteDetail


def disc_name(number: int) -> str:
    """Anatomical name of disc ``number`` (1-based), or ``#n`` outside the known discs."""
    return DISC_NAMES[number - 1] if 1 <= number <= len(DISC_NAMES) else f"#{number}"


def ranked_offsets(vote: VoteDetail) -> list[tuple[int, float]]:
    """``[(offset, score)]`` best first, as the decoder ranks them (ties to the smaller)."""
    return sorted(vote.scores().items(), key=lambda item: (-item[1], item[0]))


def vote_lines(chain: ChainResult, pixel_mm: float, shown: int = 3) -> list[str]:
    """Lines describing the vote: the ``shown`` best numberings (score = channel evidence +
    weight x spacing), then each member top to bottom: its row (mm from the image top), the
    disc its channels lean to (with that share), its vote weight, and its weighted log-share
    under the best and the second-best numbering (their difference is its say in the margin)."""
    vote = chain.vote
    if vote is None:
        return ["no chain of discs: nothing was voted on"]
    ranked = ranked_offsets(vote)
    lines = ["numberings, best first (score = channel evidence + "
             f"{spacing.SPACING_WEIGHT:g} x spacing log-likelihood, nats):"]
    for offset, score in ranked[:shown]:
        term = vote.spacing.get(offset)
        prior = "" if term is None else f" + {spacing.SPACING_WEIGHT:g} x {term:.1f}"
        lines.append(f"  top member {disc_name(offset):>6}: {score:7.1f} = "
                     f"{vote.evidence[offset]:.1f}{prior}")
    best = ranked[0][0]
    second = ranked[1][0] if len(ranked) > 1 else None
    terms_best = vote.member_terms(best)
    terms_second = vote.member_terms(second) if second is not None else None
    lines.append("members, top to bottom (row in mm; channels lean to; weight; weighted "
                 "log-share as numbered best / second best):")
    for k, rel in enumerate(vote.rel):
        lean = int(vote.shares[k].argmax()) + 1
        text = (f"  {vote.coords[k, 0] * pixel_mm:6.1f} mm  leans to {disc_name(lean):>6} "
                f"({vote.shares[k, lean - 1]:.2f})  w {vote.weights[k]:.2f}  "
                f"as {disc_name(best + int(rel)):>6} {terms_best[k]:+6.2f}")
        if terms_second is not None:
            text += (f"  as {disc_name(second + int(rel)):>6} {terms_second[k]:+6.2f}"
                     f"  say {terms_best[k] - terms_second[k]:+5.2f}")
        lines.append(text)
    if chain.offset is None:
        lines.append("the chain was then rejected (no spine: too few discs, one unbroken "
                     "ridge, or discs the network does not recognise that do not form a "
                     "regular column)")
    elif not chain.recognised:
        lines.append("the network does not recognise these discs: the chain is kept as a "
                     "regular column of discs, its numbering a guess")
    else:
        lines.append("numbering counted from " + (" and ".join(chain.anchors) if chain.anchors
                                                  else "no recognised end of the spine "
                                                       "(neither C2 nor the sacrum)"))
    if chain.offset is not None and chain.column_end_mm is not None:
        kept = vote.scores().get(chain.offset, float("nan"))
        lines.append(f"the lowest disc was taken as L5/S1: a chain of lumbar-sized links with "
                     f"the field of view going on {chain.column_end_mm:.0f} mm below it "
                     f"without another disc; that numbering (top member "
                     f"{disc_name(chain.offset)}) scores {kept:.1f} against the vote's best "
                     f"{ranked[0][1]:.1f}")
    return lines
