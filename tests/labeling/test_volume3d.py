"""The 3-D decoder on hand-made evidence: heatmaps of several sagittal slices in which every disc
rises and falls across the slices around its own left-right position, projected
(:mod:`disclabel.labeling.volume3d`) and decoded as one chain (:func:`decode_chain` with
``depth_mm``). A tilted chain, an S-curve, discs between two thick slices, evidence beside the
spine outside the band, and a plateau of evidence placed at its middle."""

from __future__ import annotations

import numpy as np
import pytest

from disclabel.constants import NUM_DISCS, OUTPUT_STRIDE
from disclabel.data.heatmaps import render_heatmaps
from disclabel.labeling import volume3d
from disclabel.labeling.chain import decode_chain

SHAPE = (96, 48)  # output pixels: 384 x 192 input pixels at 1 mm
PIXEL_MM = 1.0
SIGMA = 1.0       # output pixels


def evidence(discs: dict[int, tuple[float, float, float]], x_mm: np.ndarray,
             width_mm: float = 4.0, extra: tuple | None = None) -> np.ndarray:
    """Heatmaps (S, 25, h, w) of slices at ``x_mm``: each disc ``{number: (row, col, x)}``
    (input pixels, mm) a Gaussian in its own channel, as high as ``exp(-dx^2 / 2 width^2)``
    with ``dx`` the slice's distance from the disc; ``extra`` (row, col, x, disc, height): one
    more peak."""
    maps = np.zeros((len(x_mm), NUM_DISCS, *SHAPE), np.float32)
    peaks = [(r, c, x, n, 1.0) for n, (r, c, x) in discs.items()]
    peaks += [extra] if extra else []
    for s, slice_x in enumerate(x_mm):
        for row, col, x, number, height in peaks:
            kp = np.full((NUM_DISCS, 2), np.nan)
            kp[number - 1] = (row, col)
            weight = height * np.exp(-0.5 * ((slice_x - x) / width_mm) ** 2)
            maps[s] += weight * render_heatmaps(kp, SHAPE, SIGMA)
    return maps


def decode(maps: np.ndarray, x_mm: np.ndarray, allowed: np.ndarray | None = None):
    projected, depth, landmarks = volume3d.project(maps, x_mm, allowed)
    return decode_chain(projected, PIXEL_MM, depth_mm=depth, landmark_depth_mm=landmarks)


def chain_of(lateral) -> dict[int, tuple[float, float, float]]:
    """Discs 3..12 down one column, 18 mm apart, at ``lateral(i)`` mm left-right."""
    return {3 + i: (40.0 + 18.0 * i, 120.0, float(lateral(i))) for i in range(10)}


@pytest.mark.parametrize("name, lateral", [
    ("tilted 20 degrees", lambda i: 10.0 + 18.0 * i * np.tan(np.radians(20))),
    ("S-curve 10 mm", lambda i: 40.0 + 10.0 * np.sin(2 * np.pi * i / 9)),
])
def test_a_chain_that_leaves_the_mid_sagittal_plane_is_found_where_each_disc_is(name, lateral):
    discs = chain_of(lateral)
    x_mm = np.arange(0.0, 100.0, 2.0)
    result = decode(evidence(discs, x_mm), x_mm)
    assert result.numbers == sorted(discs), name
    for number, (row, _col, x) in discs.items():
        assert abs(result.coords[number - 1, 0] - row) < 1.0
        assert abs(result.lateral_mm[number - 1] - x) < 1.0, (name, number)
    # one slice alone sees only the discs near it: a 2-D decoding of the middle slice misses
    middle = len(x_mm) // 2
    flat = decode_chain(volume3d.smooth_across_slices(evidence(discs, x_mm), x_mm)[middle],
                        PIXEL_MM)
    assert len(flat.numbers) < len(discs)


def test_links_are_measured_in_3d():
    """A chain tilted 40 degrees, its discs 18 mm apart in rows: the links the decoder
    measures (and the spacing prior sees) are the 3-D ones, 23.5 mm, and the chain is
    numbered without a gap."""
    discs = chain_of(lambda i: 10.0 + 18.0 * i * np.tan(np.radians(40)))
    x_mm = np.arange(0.0, 160.0, 2.0)
    result = decode(evidence(discs, x_mm), x_mm)
    assert result.numbers == sorted(discs) and result.gaps == []
    links = np.linalg.norm(np.diff(result.vote.points_mm, axis=0), axis=1)
    assert np.allclose(links, 18.0 / np.cos(np.radians(40)), atol=1.5)


def test_a_disc_between_two_thick_slices_is_placed_between_them():
    """Clinical slices 3.5 mm apart: a disc centred half-way between two slices gets its
    position from both, not that of one of them."""
    x_mm = np.arange(0.0, 70.0, 3.5)
    discs = {3 + i: (40.0 + 18.0 * i, 120.0, 33.25 + (0.0 if i % 2 else 1.75))
             for i in range(8)}  # on a slice (33.25 = 9.5 x 3.5) or half-way (35.0)
    result = decode(evidence(discs, x_mm, width_mm=3.0), x_mm)
    assert result.numbers == sorted(discs)
    for number, (_, _, x) in discs.items():
        assert abs(result.lateral_mm[number - 1] - x) < 0.6, number


def test_a_plateau_of_evidence_gives_its_middle():
    """A network that sees a disc equally well on every slice within 8 mm of it (a plateau,
    not a peak): the disc is placed at the plateau's middle whichever slice is highest."""
    x_mm = np.arange(0.0, 60.0, 1.0)
    values = np.zeros((len(x_mm), 4, 4))
    values[22:39, 1, 1] = 1.0        # 22..38 mm: middle 30
    values[25, 1, 1] = 1.05          # its noisiest slice, off the middle
    values[45, 1, 1] = 0.9           # a separate run, not part of this disc's
    depth, nearest = volume3d.centre_depth(values, x_mm)
    assert depth[1, 1] == pytest.approx(30.0, abs=0.5) and x_mm[nearest[1, 1]] == 30.0


def test_evidence_outside_the_band_around_the_spine_cannot_stand_in_for_a_disc():
    """A strong peak 40 mm to the side of the spine at disc 7's place (a kidney, a hip) is
    taken without the band and ignored with it."""
    discs = chain_of(lambda i: 30.0)
    x_mm = np.arange(0.0, 100.0, 2.0)
    maps = evidence(discs, x_mm, extra=(40.0 + 18.0 * 4 + 6.0, 150.0, 70.0, 7, 3.0))
    free = decode(maps, x_mm)
    row, x = free.coords[6, 0], free.lateral_mm[6]
    assert not (abs(row - (40.0 + 18.0 * 4)) < 2.0 and abs(x - 30.0) < 2.0)  # lost or moved
    course = np.full(SHAPE[0], 30.0)
    banded = decode(maps, x_mm, volume3d.band_of_rows(x_mm, course, 8.0))
    assert banded.numbers == sorted(discs)
    assert np.allclose(banded.lateral_mm[2:12], 30.0, atol=1.0)


def test_the_spine_course_ignores_one_disc_on_a_wrong_slice():
    rows = np.arange(10) * 4.5 + 10.0
    lateral = np.full(10, 20.0)
    lateral[5] = 45.0
    course = volume3d.spine_path(rows, lateral, 60)
    assert np.allclose(course, 20.0)
    assert course.shape == (60,) and SHAPE[0] * OUTPUT_STRIDE == 384


def test_the_course_before_decoding_follows_the_spine_not_blobs_beside_it():
    """The coarse sweep's course: a tilted column of discs, plus two blobs half as strong
    again as a disc, 25 mm to the side at two levels (facet joints on a parasagittal slice):
    the path stays on the spine and follows its tilt, at the middle of each disc's
    evidence."""
    discs = chain_of(lambda i: 30.0 + 1.5 * i)
    x_mm = np.arange(0.0, 100.0, 10.0)
    maps = evidence(discs, x_mm, width_mm=6.0)
    for row in (40.0 + 18.0 * 3, 40.0 + 18.0 * 4):
        maps += evidence({5: (row + 4.0, 140.0, 58.0)}, x_mm, width_mm=3.0) * 1.5
    course = volume3d.course_through(maps, x_mm)
    for i in range(10):
        row = int(round((40.0 + 18.0 * i - 1.5) / OUTPUT_STRIDE))
        assert abs(course[row] - (30.0 + 1.5 * i)) < 4.0, i


def test_a_stray_peak_beyond_two_missed_discs_ends_no_chain():
    """A strong peak 80 mm above a clean chain (in the head) is not its top disc: the chain
    keeps its own numbering instead of skipping four discs to reach it."""
    discs = chain_of(lambda i: 30.0)
    x_mm = np.arange(0.0, 60.0, 2.0)
    maps = evidence(discs, x_mm, extra=(40.0 - 80.0 + 60.0, 118.0, 30.0, 3, 1.0))
    result = decode(maps, x_mm)
    assert result.numbers == sorted(discs)
