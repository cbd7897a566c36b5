"""label.py --explain: the numbering vote in words, on hand-made heatmaps (the lines must add up
to the decoder's own scores); label.py's flag itself is tested in tests/labeling/test_label.py."""

from __future__ import annotations

import re

import numpy as np
import pytest
from test_chain import PIXEL_MM, _maps, _template_column

from disclabel.labeling import spacing as prior
from disclabel.labeling.chain import decode_chain
from disclabel.labeling.explain import disc_name, ranked_offsets, vote_lines


def _split_chain() -> np.ndarray:
    """C4/C5 to T5/T6 (discs 5-13) at a slightly smaller body's template spacing; the top
    three discs know their numbers, the rest lean one level low (share 0.6 on the next)."""
    def shares(i, d):
        return {d: 1.0} if i < 3 else {d + 1: 0.6, d: 0.4}
    return _maps(_template_column(list(range(5, 14)), scale=0.95, weights=shares))


def test_the_vote_lines_add_up_to_the_decoders_scores():
    result = decode_chain(_split_chain(), PIXEL_MM)
    vote = result.vote
    ranked = ranked_offsets(vote)
    assert ranked[0][0] == result.offset == 5  # the top discs' anchors win
    assert ranked[0][1] - ranked[1][1] == pytest.approx(result.margin)
    assert {o: s for o, s in ranked} == pytest.approx(result.offset_scores)
    # each member's say: its weighted log-share as numbered best minus as second best; the says
    # sum to the evidence part of the margin
    best, second = ranked[0][0], ranked[1][0]
    says = vote.member_terms(best) - vote.member_terms(second)
    assert says.sum() == pytest.approx(vote.evidence[best] - vote.evidence[second])
    assert np.all(says[:3] > 0) and np.all(says[3:] < 0)
    lines = vote_lines(result, PIXEL_MM)
    assert lines[1].startswith("  top member  C4/C5:") and "C5/C6" in lines[2]
    members = [line for line in lines if " leans to " in line]
    assert len(members) == 9
    printed = [float(re.search(r"say ([+-][\d.]+)", line).group(1)) for line in members]
    assert printed == pytest.approx(says, abs=0.006)
    assert "leans to  C4/C5" in members[0]
    assert "leans to  T1/T2" in members[3]  # C7/T1's channels say T1/T2


def test_the_spacing_term_is_shown_and_follows_the_weight(monkeypatch):
    result = decode_chain(_split_chain(), PIXEL_MM)
    assert result.vote.spacing and " + 0.5 x " in vote_lines(result, PIXEL_MM)[1]
    monkeypatch.setattr(prior, "SPACING_WEIGHT", 0.0)
    plain = decode_chain(_split_chain(), PIXEL_MM)
    assert plain.vote.spacing == {}
    assert plain.offset_scores == pytest.approx(plain.vote.evidence)
    assert " x " not in vote_lines(plain, PIXEL_MM)[1]


def test_no_chain_says_so():
    empty = decode_chain(np.zeros((25, 64, 48), np.float32), PIXEL_MM)
    assert empty.vote is None
    assert vote_lines(empty, PIXEL_MM) == ["no chain of discs: nothing was voted on"]
    assert disc_name(3) == "C2/C3" and disc_name(26) == "#26"



def test_the_last_line_says_what_the_numbering_is_counted_from():
    """After the members: the anchors, none, an unrecognised column, or a rejected chain."""
    from test_chain import _column, _unsure

    neck = _column(range(3, 8), top=60.0) + [(35.0, 98.0, {2: 1.0}), (24.0, 96.0, {1: 1.0})]
    assert vote_lines(decode_chain(_maps(neck), PIXEL_MM), PIXEL_MM)[-1] == \
        "numbering counted from C2"
    middle = decode_chain(_split_chain(), PIXEL_MM)
    assert vote_lines(middle, PIXEL_MM)[-1].startswith("numbering counted from no recognised")
    unsure = decode_chain(_maps(_column(range(14, 20), top=20.0, spacing=32.0,
                                        weights=_unsure)), PIXEL_MM)
    assert "does not recognise these discs" in vote_lines(unsure, PIXEL_MM)[-1]
    short = decode_chain(_maps(_column(range(14, 17), top=40.0, spacing=32.0,
                                       weights=_unsure)), PIXEL_MM)
    assert short.offset is None and short.vote is not None
    assert vote_lines(short, PIXEL_MM)[-1].startswith("the chain was then rejected")
