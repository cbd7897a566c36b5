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


def test_class_contrast_maps_each_intensity_class_to_a_random_level(scoring_sets) -> None:
    """Each quantile class boundary of the body's intensities gets its own random level (so
    the order of tissues can change), the air outside the body stays 0, the seed fixes it."""
    import numpy as np

    data = np.tile(np.arange(100, dtype=np.float64), (4, 1))
    body = data > 9
    out = scoring_sets.class_contrast(data, body, 99.0, seed=5)
    assert out.shape == data.shape and np.all(out[~body] == 0)
    assert np.all((out[body] >= 0) & (out[body] <= 99.0))
    np.testing.assert_array_equal(out, scoring_sets.class_contrast(data, body, 99.0, seed=5))
    knots = np.quantile(data[body], np.linspace(0, 1, scoring_sets.INTENSITY_CLASSES + 1))
    levels = np.interp(knots, data[0], out[0])
    assert not np.all(np.diff(levels) > 0)  # not a monotone (rescaled) copy of the input
    assert not np.array_equal(out, scoring_sets.class_contrast(data, body, 99.0, seed=6))
