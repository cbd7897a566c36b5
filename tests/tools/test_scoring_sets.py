"""The accuracy report's no-spine summary line (tools/scoring_sets.py)."""

from __future__ import annotations

import pytest

from conftest import tool_module


@pytest.fixture(scope="module")
def scoring_sets():
    return tool_module("scoring_sets")


def test_no_spine_text_sums_up_the_short_brain_slabs(scoring_sets) -> None:
    found = {"noise": [], "zeros": "refused (every voxel is 0: nothing to label)",
             "brain only": [7, 8], "brain slab 1": [], "brain slab 2": "refused (x)",
             "brain slab 3": [3, 4, 5]}
    assert scoring_sets.no_spine_text(found) == (
        "noise: 0 discs, zeros: refused (every voxel is 0: nothing to label), brain only: "
        "2 discs; short brain-only slabs: discs in 1 of 3 (3 discs)")
    assert scoring_sets.no_spine_text({"noise": []}) == "noise: 0 discs"
