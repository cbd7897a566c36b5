"""Spines out of the mid-sagittal plane (disclabel.data.oblique): the 3-D changes and their
inverses, slices through a changed volume whose labelled discs are exactly those in the slice
and sit where the image shows them, and the training samples drawn from them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disclabel.constants import NUM_DISCS
from disclabel.data.oblique import (
    PRESENT_MM,
    Change,
    TrainingVolume,
    mappings,
    oblique_sample,
    random_change,
    slice_through,
)

DISC_ROWS = (20, 38, 56, 74, 92, 110)  # voxels (1 mm): discs 3..8
CENTRE_X, TIP_K = 30, 40


def phantom_volume() -> TrainingVolume:
    """A canonical (x, j, k) volume, 1 mm: grey tissue, bright flat discs 20 mm wide
    left-right, each labelled at its posterior tip."""
    data = np.full((60, 130, 70), 100.0, np.float32)
    x, j, k = np.meshgrid(*(np.arange(n) for n in data.shape), indexing="ij")
    discs = {}
    for number, row in enumerate(DISC_ROWS, start=3):
        inside = ((x - CENTRE_X) / 10.0) ** 2 + ((j - row) / 2.5) ** 2 \
            + ((k - (TIP_K - 12)) / 12.0) ** 2 < 1
        data[inside] = 1000.0
        discs[number] = np.array([CENTRE_X, row, TIP_K - 1], float)
    return TrainingVolume(data, np.ones(3), discs, (3, 8))


CHANGES = st.builds(Change, tilt_deg=st.floats(-30, 30), sagittal_deg=st.floats(-15, 15),
                    axial_deg=st.floats(-20, 20), curve_mm=st.floats(0, 20),
                    curve_wavelength_mm=st.floats(80, 400), curve_phase=st.floats(0, 6.3))


@settings(max_examples=40, deadline=None)
@given(CHANGES)
def test_the_inverse_map_undoes_the_forward_one(change):
    discs = np.array([[30.0, 20.0 + 18 * i, 39.0] for i in range(6)])
    forward, inverse = mappings(change, discs)
    points = np.random.default_rng(0).uniform(0, 130, (50, 3))
    assert np.allclose(inverse(forward(points)), points, atol=1e-6)
    assert np.allclose(forward(inverse(points)), points, atol=1e-6)


def test_a_tilt_turns_about_the_discs_centre():
    discs = np.array([[30.0, 20.0 + 18 * i, 39.0] for i in range(6)])
    forward, _ = mappings(Change(tilt_deg=20.0), discs)
    moved = forward(discs)
    centre = discs.mean(axis=0)
    assert np.allclose(forward(centre[None])[0], centre)
    slope = np.polyfit(moved[:, 1], moved[:, 0], 1)[0]
    assert slope == pytest.approx(-np.tan(np.radians(20.0)), abs=1e-6)


@pytest.mark.parametrize("change", [Change(), Change(tilt_deg=20.0),
                                    Change(curve_mm=10.0), Change(axial_deg=15.0)])
def test_a_slice_labels_the_discs_it_passes_through_where_the_image_shows_them(change):
    volume = phantom_volume()
    numbers, discs_mm = volume.discs_mm()
    moved = mappings(change, discs_mm)[0](discs_mm)
    for anchor in range(len(numbers)):
        x = float(moved[anchor, 0])
        image, keypoints = slice_through(volume, change, x, 1.0)
        present = [n for n in range(1, NUM_DISCS + 1) if np.isfinite(keypoints[n - 1, 0])]
        expected = [n for n, p in zip(numbers, moved, strict=True)
                    if abs(p[0] - x) <= PRESENT_MM]
        assert present == expected and numbers[anchor] in present
        row, col = keypoints[numbers[anchor] - 1]
        # the disc is bright just in front of its posterior tip in the image
        assert image[int(round(row)), int(round(col)) - 3] > 0.8


def test_a_slice_far_from_the_spine_labels_no_disc():
    image, keypoints = slice_through(phantom_volume(), Change(), CENTRE_X + 20.0, 1.0)
    assert np.isnan(keypoints).all() and image.shape == (130, 70)


def test_training_samples_are_windows_with_the_volumes_label_range():
    volume = phantom_volume()
    for seed in range(6):
        rng = np.random.default_rng(seed)
        image, keypoints, label_range = oblique_sample(rng, [volume], (64, 64), 1.0)
        assert image.shape == (64, 64) and image.dtype == np.float32
        assert 0.0 <= image.min() and image.max() <= 1.0 and label_range == (3, 8)
        present = np.isfinite(keypoints[:, 0])
        assert not present[:2].any() and not present[8:].any()
        assert np.all((keypoints[present] >= -0.5) & (keypoints[present] <= 63.5))
    again = oblique_sample(np.random.default_rng(5), [volume], (64, 64), 1.0)
    assert np.array_equal(again[0], image) and np.array_equal(again[1], keypoints,
                                                             equal_nan=True)


def test_random_changes_stay_in_their_ranges():
    draws = [random_change(np.random.default_rng(s)) for s in range(200)]
    assert max(abs(c.tilt_deg) for c in draws) <= 25.0
    assert 0.3 < np.mean([c.curve_mm > 0 for c in draws]) < 0.7
