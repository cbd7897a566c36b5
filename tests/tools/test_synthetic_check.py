"""tools/synthetic_check.py: grouping of the synthetic test volumes and the tallies."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import tool_module


@pytest.fixture(scope="module")
def synthetic_check():
    return tool_module("synthetic_check")


def test_volumes_are_grouped_by_where_their_field_of_view_lies(synthetic_check) -> None:
    assert synthetic_check.group([1, 2, 3, 4]) == "from the neck"
    assert synthetic_check.group([3, 4, 5]) == "from the neck"
    assert synthetic_check.group([4, 5, 6]) == "in between"
    assert synthetic_check.group([19, 20, 25]) == "with L5/S1"
    assert synthetic_check.group(list(range(1, 26))) == "with L5/S1"


def test_tally_counts_discs_wholly_right_volumes_and_volumes_without_a_disc(synthetic_check
                                                                             ) -> None:
    results = [{"n_identified": 8, "n_ref": 8, "false_positives": 0, "predicted": [3, 4],
                "reference": [3, 4], "anchors": ["C2"]},
               {"n_identified": 8, "n_ref": 8, "false_positives": 1,  # an extra disc
                "predicted": [3, 4], "reference": [4, 5], "anchors": ["C2"]},  # C2 not in view
               {"n_identified": 0, "n_ref": 6, "false_positives": 6, "predicted": [5],
                "reference": [24, 25], "anchors": ["sacrum"]},
               {"n_identified": 0, "n_ref": 6, "false_positives": 0, "predicted": [],
                "reference": [7, 8], "anchors": []},
               {"n_identified": 5, "n_ref": 5, "false_positives": 0, "predicted": [21, 25],
                "reference": [21, 25], "anchors": [], "lowest_disc_taken_as_l5s1": True},
               {"n_identified": 0, "n_ref": 5, "false_positives": 5, "predicted": [21, 25],
                "reference": [19, 23], "anchors": [], "lowest_disc_taken_as_l5s1": True}]
    totals: dict[str, list[int]] = {}
    synthetic_check.tally(results, totals, "x")
    synthetic_check.tally(results[:1], totals, "x")
    synthetic_check.tally([], totals, "empty")
    assert totals["x"] == [29, 46, 3, 7, 1, 4, 1, 2, 1]
    assert synthetic_check.text(totals, ("x", "empty", "absent")) == \
        ("x 29/46 (63.0 %, 3/7 volumes, 1 without a disc, 4 anchored, 1 wrongly, 2 ending at "
         "L5/S1 by the field of view, 1 without it in view)")


def test_synthetic_set_reuses_volumes_already_written(tmp_path) -> None:
    scoring_sets = tool_module("scoring_sets")
    for stem in ("T2w-like_000", "T2w-like_001"):
        (tmp_path / f"{stem}.nii.gz").write_bytes(b"kept")
        (tmp_path / f"{stem}_labels.nii.gz").write_bytes(b"kept")
    items = scoring_sets.synthetic_set(tmp_path, "T2w-like", 2, reuse=True)
    assert [name for name, _, _ in items] == ["T2w-like_000", "T2w-like_001"]
    assert all(image.read_bytes() == b"kept" and label.read_bytes() == b"kept"
               for _, image, label in items)


def test_window_presence_counts_discs_per_window() -> None:
    presence = tool_module("window_presence").presence
    share = presence("v6", 6, 0)
    assert share.shape == (25,) and ((share >= 0) & (share <= 1)).all()
    assert np.allclose(share * 6, np.round(share * 6))  # whole windows
    np.testing.assert_array_equal(share, presence("v6", 6, 0))  # the seed fixes it


def test_region_set_names_and_reuses_its_volumes(tmp_path) -> None:
    scoring_sets = tool_module("scoring_sets")
    stems = ["lumbar_T2w-like_000", "lumbar_T1w-like_001", "lumbar_random_002"]
    for stem in stems:
        (tmp_path / f"{stem}.nii.gz").write_bytes(b"kept")
        (tmp_path / f"{stem}_labels.nii.gz").write_bytes(b"kept")
    items = scoring_sets.region_set(tmp_path, "lumbar", 3, reuse=True)
    assert [name for name, _, _ in items] == stems
    assert all(image.read_bytes() == b"kept" for _, image, _ in items)
