"""The lower end of a lumbar column (:mod:`.chain`, step 4b): when the lowest disc of a chain of
lumbar-sized discs has the field of view going on well below it without another disc, that disc
is taken as L5/S1 and the chain is numbered up from it.

Why: the network tells the lumbar discs apart poorly (their identity shares are flat) and does
not recognise L5/S1 itself, so a lumbar chain's vote is a near tie, often one or two levels
high. Below L5/S1 lies the sacrum, whose fused segments have no disc; a lumbar field of view
that goes on several centimetres below its lowest disc is, in the usual lumbar protocols, one
that ends in the sacrum. This is a rule about the field of view, not a recognised sacrum: the
numbering stays flagged as not anchored (:mod:`.outcome`).

It applies only when the vote's own numbering keeps the whole chain below the neck (a cervical
or whole-spine chain is counted from C2, which the network names well), and only to chains
whose last links are as long as lumbar ones (cervical and upper thoracic discs lie 15-22 mm
apart). Its thresholds were chosen on synthetic lumbar, thoracolumbar and whole-spine volumes
of seeds apart from the scoring sets (docs/experiments.md step 37).

Points are ``(row mm, col mm, x mm)``, rows running from superior to inferior.
"""

from __future__ import annotations

import numpy as np

from disclabel.constants import FIRST_CHAIN_DISC, NUM_DISCS

BELOW_MM: float = 50.0
"""The field of view must go on at least this far below the lowest disc."""
MIN_LINK_MM: float = 25.0
"""The mean length per disc spanned of the chain's last ``LINKS`` links must reach this."""
LINKS: int = 3
LOWEST_NECK_DISC: int = 8
"""C7/T1: a chain whose voted numbering reaches this disc or above is not counted from its end."""


def end_offset(points_mm: np.ndarray, rel: np.ndarray, voted: int,
               fov_bottom_mm: float | None) -> int | None:
    """The number of the chain's top member that makes its lowest member L5/S1, or None when
    the rule does not apply.

    ``points_mm`` (K, 3) the members top to bottom; ``rel`` (K,) their relative numbers;
    ``voted`` the number the vote gives the top member; ``fov_bottom_mm`` the lowest row of
    the field of view in mm on the same axis as ``points_mm[:, 0]`` (None: unknown, no rule).
    """
    if fov_bottom_mm is None or len(rel) < 2 or voted <= LOWEST_NECK_DISC:
        return None
    offset = NUM_DISCS - int(rel[-1])
    if offset < FIRST_CHAIN_DISC:
        return None
    if fov_bottom_mm - points_mm[-1, 0] < BELOW_MM:
        return None
    last = slice(max(0, len(rel) - 1 - LINKS), None)
    lengths = np.linalg.norm(np.diff(points_mm[last], axis=0), axis=1)
    per_disc = lengths / np.maximum(np.diff(rel[last]), 1)
    return offset if float(per_disc.mean()) >= MIN_LINK_MM else None
