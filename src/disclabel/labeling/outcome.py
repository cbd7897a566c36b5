"""What a labelling says about itself: the warnings about its outcome (no spine, discs not
recognised, no anchor, an uncertain numbering) and the summary of its numbering that the
sidecar and the accuracy report carry."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from disclabel.constants import CHECK_MARGIN_NATS
from disclabel.labeling.nospine import MIN_CHAIN_IDENTITY

if TYPE_CHECKING:
    from disclabel.labeling.chain import ChainResult
    from disclabel.labeling.labeler import Disc

NO_SPINE_WARNING = "no disc found (is there a spine in the image?)"
UNRECOGNISED_WARNING = ("discs not recognised (mean identity share {share:.2f}, below {floor:g}): "
                        "a column of discs is found but the network cannot tell which they "
                        "are; their numbers are a guess: check them by eye")
OUTCOME_WARNING_STARTS = ("no disc found", "discs not recognised", "numbering not anchored",
                          "numbering uncertain")
"""How the warnings about the labelling's outcome (not about the acquisition) begin."""
UNANCHORED_WARNING = ("numbering not anchored: neither C2 nor the sacrum is recognised in the "
                      "field of view, so the discs are numbered from their look and spacing "
                      "alone: check the disc numbers by eye")
COLUMN_END_WARNING = ("numbering not anchored: the lowest disc is taken as L5/S1 because the field "
                      "of view goes on {below:.0f} mm below it without another disc (a lumbar "
                      "view usually ends in the sacrum), but the sacrum itself is not "
                      "recognised: check the disc numbers by eye")
NUMBERING_NOTE = ("the chain of discs is numbered with one offset voted by every disc's channel "
                  "evidence, each vote weighted by how sure that disc is of its identity, plus "
                  "how well the chain's disc spacing fits the PAM50 template's at those levels; "
                  "the margin is the score of the best numbering minus that of the second best "
                  "(nats; larger is surer); anchors are the ends of the spine recognised in "
                  "view that the numbering is counted from (C2, sacrum; none: from the discs' "
                  "look and spacing alone); lowest_disc_taken_as_l5s1 is true when a lumbar "
                  "chain was numbered up from its lowest disc because the field of view goes "
                  "on below it without a disc; discs_recognised is false when the network finds "
                  "a column of discs but cannot tell which they are")


def outcome_warnings(discs: list[Disc], chain: ChainResult) -> list[str]:
    """The warnings about a labelling's outcome: no disc found; else discs that the network
    does not recognise (or, when it does, a numbering anchored neither at C2 nor at the
    sacrum, saying so when the lowest disc was taken as L5/S1), and a numbering margin below
    ``CHECK_MARGIN_NATS``."""
    if not discs:
        return [NO_SPINE_WARNING]
    warnings = []
    if not chain.recognised:
        share = float(np.mean([d.identity for d in discs if d.number >= 3] or [0.0]))
        warnings.append(UNRECOGNISED_WARNING.format(share=share, floor=MIN_CHAIN_IDENTITY))
    elif not chain.anchors and chain.column_end_mm is None:
        warnings.append(UNANCHORED_WARNING)
    if chain.column_end_mm is not None:
        warnings.append(COLUMN_END_WARNING.format(below=chain.column_end_mm))
    if chain.margin < CHECK_MARGIN_NATS:
        warnings.append(f"numbering uncertain (margin {chain.margin:.1f} nats, below "
                        f"{CHECK_MARGIN_NATS:g}): check the disc numbers by eye")
    return warnings


def numbering_summary(chain: ChainResult) -> dict:
    """How sure the decoder is of the chain's numbering (JSON-ready)."""
    return {
        "top_disc": chain.offset,
        "offset_margin_nats": json_number(chain.margin),
        "offset_probability": json_number(chain.offset_probability),
        "skipped_discs": list(chain.gaps),
        "anchors": list(chain.anchors) if chain.offset is not None else [],
        "lowest_disc_taken_as_l5s1": chain.column_end_mm is not None,
        "discs_recognised": chain.recognised if chain.offset is not None else None,
    }


def json_number(value: float) -> float | None:
    """``value`` rounded for JSON, None when it is not finite."""
    return round(float(value), 3) if np.isfinite(value) else None
