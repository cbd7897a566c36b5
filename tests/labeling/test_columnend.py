"""The lower end of a lumbar column (labeling/columnend.py) on hand-made heatmaps: a chain of
lumbar-sized discs with the field of view going on well below its lowest disc is numbered up
from that disc as L5/S1, and said so; a field of view that ends near the lowest disc, neck-sized
links, a chain the vote puts in the neck, or an unknown field of view leave the vote alone."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from test_chain import PIXEL_MM, _column, _maps

from disclabel.constants import NUM_DISCS
from disclabel.data.geometry import grid_to_slice
from disclabel.labeling import columnend
from disclabel.labeling.chain import decode_chain
from disclabel.labeling.explain import vote_lines
from disclabel.labeling.labeler import Disc, LabelResult, fov_bottom_row
from disclabel.labeling.numbering import offset_certainty
from disclabel.labeling.outcome import numbering_summary, outcome_warnings
from disclabel.labeling.polarity import prefer_inverted
from disclabel.viz.qc import qc_title

TOP, SPACING = 20.0, 36.0
VOTED = list(range(19, 24))
"""Five lumbar discs whose channels name them two levels high (L5/S1 read as L3/L4)."""


def _lumbar(fov_bottom_row: float | None, spacing: float = SPACING, discs=VOTED):
    return decode_chain(_maps(_column(discs, top=TOP, spacing=spacing)), PIXEL_MM,
                        fov_bottom_row=fov_bottom_row)


def test_a_lumbar_chain_with_the_view_going_on_below_ends_at_l5s1():
    lowest = TOP + 4 * SPACING
    result = _lumbar(fov_bottom_row=lowest + columnend.BELOW_MM + 40)
    assert result.numbers == list(range(NUM_DISCS - 4, NUM_DISCS + 1))
    assert result.column_end_mm == pytest.approx(columnend.BELOW_MM + 40, abs=1.0)
    # the vote itself preferred the channels' numbering: the margin says so
    assert result.margin < 0 and result.offset_probability < 0.5
    assert result.anchors == []  # a rule about the field of view, not a recognised sacrum


@pytest.mark.parametrize("case", ["view-ends-near", "neck-sized-links", "unknown-view"])
def test_the_vote_stands(case):
    if case == "view-ends-near":
        result = _lumbar(fov_bottom_row=TOP + 4 * SPACING + columnend.BELOW_MM - 10)
    elif case == "neck-sized-links":
        result = _lumbar(fov_bottom_row=255.0, spacing=20.0)
    else:
        result = _lumbar(fov_bottom_row=None)
    assert result.numbers == VOTED and result.column_end_mm is None


def test_a_chain_voted_into_the_neck_is_counted_from_the_top():
    discs = list(range(4, 9))  # C3/C4 to C7/T1, long links (a tall neck on a coarse grid)
    result = decode_chain(_maps(_column(discs, top=TOP, spacing=30.0)), PIXEL_MM,
                          fov_bottom_row=255.0)
    assert result.numbers == discs and result.column_end_mm is None


def test_the_rule_is_said_in_the_warning_sidecar_explain_and_qc_title():
    chain = _lumbar(fov_bottom_row=255.0)
    discs = [Disc(n, f"d{n}", (0, 0, 0), (0.0, 0.0, 0.0), 1.0, 0.5) for n in chain.numbers]
    warnings = outcome_warnings(discs, chain)
    assert any(w.startswith("numbering not anchored") and "taken as L5/S1" in w
               for w in warnings)
    assert numbering_summary(chain)["lowest_disc_taken_as_l5s1"] is True
    last = vote_lines(chain, PIXEL_MM)[-1]
    assert "taken as L5/S1" in last and "(top member L1/L2)" in last
    kept, best = (float(v) for v in re.findall(r"-?\d+\.\d", last.split("scores")[1]))
    assert kept - best == pytest.approx(chain.margin, abs=0.11)
    result = LabelResult(Path("lumbar.nii.gz"), (1, 256, 192), discs, 0,
                         np.zeros((256, 192), np.float32), chain.coords, chain.confidence,
                         chain, np.zeros((64, 48), np.float32), PIXEL_MM, warnings=warnings)
    assert "lowest disc taken as L5/S1" in qc_title(result)
    assert numbering_summary(_lumbar(None))["lowest_disc_taken_as_l5s1"] is False


def test_fov_bottom_row_is_the_last_grid_row_on_the_slice():
    g2s = grid_to_slice((100, 80), (1.0, 1.0), (128, 96), 1.0)
    bottom = fov_bottom_row(g2s, 100, 128)
    assert (g2s @ [bottom, 0.0, 1.0])[0] == pytest.approx(99.5)
    # a slice taller than the grid ends at the grid's last row
    tall = grid_to_slice((300, 80), (1.0, 1.0), (128, 96), 1.0)
    assert fov_bottom_row(tall, 300, 128) == 127


def test_offset_certainty_of_a_chosen_offset():
    scores = {3: -1.0, 4: -3.0, 5: -10.0}
    total = sum(np.exp(v) for v in scores.values())
    assert offset_certainty(scores) == pytest.approx((3, 2.0, np.exp(-1.0) / total))
    assert offset_certainty(scores, 4) == pytest.approx((4, -2.0, np.exp(-3.0) / total))
    assert offset_certainty({7: 0.0}, 7)[1] == math.inf


def test_polarity_auto_compares_the_votes_own_margins():
    """A reading numbered up from its lowest disc keeps its vote's margin for ``--polarity
    auto``: its negative kept margin does not make the other reading look surer."""
    from_end = _lumbar(fov_bottom_row=255.0)
    assert from_end.margin < 0 < from_end.vote_margin
    voted = _lumbar(fov_bottom_row=None)
    assert voted.vote_margin == voted.margin == pytest.approx(from_end.vote_margin)
    assert not prefer_inverted(from_end, voted)
