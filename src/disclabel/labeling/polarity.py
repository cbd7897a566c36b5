"""How the labeller reads a volume's contrast (``label.py --polarity``), and when ``auto`` keeps
the reading with every slice inverted inside the body
(:func:`disclabel.data.contrast.invert_in_body`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from disclabel.labeling.chain import ChainResult

POLARITIES: tuple[str, ...] = ("acquired", "inverted", "auto")
"""How the labeller reads a volume's contrast: as acquired; with every slice inverted inside the
body (as training inverts its samples); or (``auto``) both ways, keeping the inverted reading
only when its numbering is far surer (``POLARITY_SWITCH_NATS``)."""
POLARITY_SWITCH_NATS: float = 10.0
"""With polarity ``auto`` the inverted reading replaces the acquired one when the acquired one
found a chain and the inverted one's numbering margin exceeds it by at least this many nats.
Chosen between what the leave-one-subject-out models of two recipes gave on their held-out
volumes and every change of them (docs/accuracy.md#contrast-polarity): where the inverted
reading was worse than the acquired one its margin was at most 7.2 nats above the acquired
one's; on the subject whose acquired reading is one level off, the right inverted reading was
14.6 to 28.1 nats above it (the smaller gains elsewhere, -5.8 to 5.9 nats, are not caught)."""


def prefer_inverted(acquired: ChainResult, inverted: ChainResult) -> bool:
    """Whether the inverted reading replaces the acquired one (polarity ``auto``): the acquired
    reading found a chain and the inverted one's vote numbers its own at least
    ``POLARITY_SWITCH_NATS`` more surely (a reading without a chain has a NaN margin, one with a
    single possible numbering an infinite one). The votes' own margins are compared
    (``ChainResult.vote_margin``), not those of a numbering counted up from the lowest disc."""
    if acquired.offset is None or inverted.offset is None:
        return False
    return bool(inverted.vote_margin - acquired.vote_margin >= POLARITY_SWITCH_NATS)
