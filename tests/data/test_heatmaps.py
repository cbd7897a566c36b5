"""Tests for disclabel.data.heatmaps: rendering targets, argmax and candidate decoding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from disclabel.constants import CONFIDENCE_THRESHOLD, NUM_DISCS, OUTPUT_STRIDE
from disclabel.data.heatmaps import (
    MIN_PEAK_DISTANCE,
    decode_argmax,
    find_candidates,
    input_to_output,
    local_maxima,
    output_to_input,
    render_heatmaps,
)

OUT_SHAPE = (64, 64)
IN_SIZE = OUT_SHAPE[0] * OUTPUT_STRIDE  # 256
SIGMA = 0.75  # SIGMA_MM = 3 mm on a 1 mm grid at stride 4
ROUND_TRIP_TOL_PX = 0.1


def _keypoints(*points: tuple[float, float], num: int = NUM_DISCS) -> np.ndarray:
    """(num, 2) keypoints: the given (row, col) in the first channels, NaN after."""
    kp = np.full((num, 2), np.nan, dtype=np.float32)
    kp[: len(points)] = points
    return kp


def _maps(peaks: dict[int, list[tuple[float, float, float]]], num: int = NUM_DISCS,
          shape: tuple[int, int] = OUT_SHAPE, sigma: float = SIGMA) -> np.ndarray:
    """(num, h, w) hand-made heatmaps: channel -> [(row, col, amplitude)] in input pixels."""
    maps = np.zeros((num, *shape), dtype=np.float32)
    for channel, blobs in peaks.items():
        for row, col, amp in blobs:
            blob = amp * render_heatmaps(np.array([[row, col]]), shape, sigma)[0]
            maps[channel] = np.maximum(maps[channel], blob)
    return maps


def _maps_max(maps: np.ndarray) -> np.ndarray:
    """(D,) peak sample of each map."""
    return maps.reshape(len(maps), -1).max(axis=1)


def _chosen(coords: np.ndarray) -> list[int]:
    return [int(c) for c in np.flatnonzero(~np.isnan(coords[:, 0]))]


# --------------------------------------------------------------------------- coordinate mapping

@pytest.mark.parametrize("stride", [1, 2, 4])
def test_coordinate_mapping_round_trips(stride):
    r = np.array([0.0, 1.5, 3.25, 255.0])
    np.testing.assert_allclose(output_to_input(input_to_output(r, stride), stride), r)
    assert output_to_input(0.0, stride) == pytest.approx((stride - 1) / 2)


# --------------------------------------------------------------------------- render_heatmaps

def test_render_shape_dtype_absent_and_peak():
    kp = _keypoints((1.5, 5.5), (129.5, 61.5))  # output pixels (0, 1) and (32, 15)
    maps = render_heatmaps(kp, (48, 64), SIGMA)
    assert maps.shape == (NUM_DISCS, 48, 64)
    assert maps.dtype == np.float32
    assert maps[0, 0, 1] == 1.0 and maps[0].max() == 1.0
    assert maps[1, 32, 15] == 1.0
    assert np.unravel_index(maps[1].argmax(), (48, 64)) == (32, 15)
    assert not maps[2:].any()


def test_render_nan_in_either_coordinate_is_absent():
    kp = np.array([[np.nan, 10.0], [10.0, np.nan], [10.0, 10.0]], dtype=np.float32)
    maps = render_heatmaps(kp, OUT_SHAPE, SIGMA)
    assert not maps[:2].any()
    assert maps[2].max() > 0.5


def test_render_matches_isotropic_gaussian_formula():
    row, col, sigma = 100.3, 37.9, 1.3
    maps = render_heatmaps(np.array([[row, col]]), (40, 30), sigma)
    u_row, u_col = input_to_output(row), input_to_output(col)
    yy, xx = np.mgrid[0:40, 0:30]
    expected = np.exp(-((yy - u_row) ** 2 + (xx - u_col) ** 2) / (2 * sigma**2))
    np.testing.assert_allclose(maps[0], expected, atol=1e-6)


@pytest.mark.parametrize("bad", [np.zeros((3,)), np.zeros((3, 3))])
def test_render_rejects_bad_keypoint_shape(bad):
    with pytest.raises(ValueError):
        render_heatmaps(bad, OUT_SHAPE, SIGMA)


def test_render_rejects_non_positive_sigma():
    with pytest.raises(ValueError):
        render_heatmaps(_keypoints((5.0, 5.0)), OUT_SHAPE, 0.0)


# --------------------------------------------------------------------------- decode_argmax

ROUND_TRIP_POSITIONS = [
    (0.0, 0.0),
    (-0.45, 255.45),  # on the outer edge of the corner pixels
    (0.3, 254.7),
    (1.5, 1.5),  # exactly on an output pixel centre
    (2.7, 3.1),
    (5.49, 5.51),  # half-way between output pixels
    (127.3, 64.8),
    (200.01, 199.99),
    (253.9, 2.2),
    (255.0, 255.0),
]


@pytest.mark.parametrize("sigma", [0.5, SIGMA, 1.5, 3.0])
@pytest.mark.parametrize("position", ROUND_TRIP_POSITIONS)
def test_round_trip_table(position, sigma):
    maps = render_heatmaps(_keypoints(position), OUT_SHAPE, sigma)
    coords, conf = decode_argmax(maps)
    np.testing.assert_allclose(coords[0], position, atol=ROUND_TRIP_TOL_PX)
    assert conf[0] == maps[0].max()  # the confidence is the peak sample, not the fitted peak
    assert np.isnan(coords[1:]).all()


@pytest.mark.parametrize("seed", range(3))
def test_round_trip_random_positions_non_square(seed):
    rng = np.random.default_rng(seed)
    shape = (48, 80)  # rows != cols catches an axis swap
    kp = np.column_stack([rng.uniform(-0.5, shape[0] * OUTPUT_STRIDE - 0.5, NUM_DISCS),
                          rng.uniform(-0.5, shape[1] * OUTPUT_STRIDE - 0.5, NUM_DISCS)])
    kp[rng.random(NUM_DISCS) < 0.3] = np.nan
    coords, conf = decode_argmax(render_heatmaps(kp, shape, SIGMA))
    present = ~np.isnan(kp[:, 0])
    np.testing.assert_allclose(coords[present], kp[present], atol=ROUND_TRIP_TOL_PX)
    assert np.isnan(coords[~present]).all()
    assert (conf[~present] == 0).all()


def test_amplitude_does_not_move_the_decoded_position():
    maps = 0.4 * render_heatmaps(_keypoints((77.7, 33.3)), OUT_SHAPE, SIGMA)
    coords, conf = decode_argmax(maps)
    np.testing.assert_allclose(coords[0], (77.7, 33.3), atol=ROUND_TRIP_TOL_PX)
    assert conf[0] == pytest.approx(maps[0].max(), rel=1e-6)
    assert conf[0] <= 0.4


@pytest.mark.parametrize("amplitude, threshold, present", [
    (0.31, 0.3, True),
    (0.29, 0.3, False),
    (0.29, 0.2, True),
    (1.0, 1.01, False),
])
def test_threshold(amplitude, threshold, present):
    # integer output centre so the peak value equals the amplitude
    maps = amplitude * render_heatmaps(_keypoints((41.5, 41.5)), OUT_SHAPE, SIGMA)
    coords, conf = decode_argmax(maps, threshold=threshold)
    assert conf[0] == pytest.approx(amplitude)
    assert bool(~np.isnan(coords[0]).any()) is present


def test_default_threshold_is_the_shared_constant():
    maps = (CONFIDENCE_THRESHOLD - 0.01) * render_heatmaps(_keypoints((41.5, 41.5)), OUT_SHAPE,
                                                           SIGMA)
    coords, _ = decode_argmax(maps)
    assert np.isnan(coords[0]).all()


def test_batch_shapes_and_per_image_results():
    kp_a = _keypoints((20.0, 30.0), (60.2, 80.7))
    kp_b = _keypoints((200.4, 10.1))
    batch = np.stack([render_heatmaps(kp_a, OUT_SHAPE, SIGMA),
                      render_heatmaps(kp_b, OUT_SHAPE, SIGMA)])
    coords, conf = decode_argmax(batch)
    assert coords.shape == (2, NUM_DISCS, 2) and coords.dtype == np.float32
    assert conf.shape == (2, NUM_DISCS) and conf.dtype == np.float32
    np.testing.assert_allclose(coords[0, :2], kp_a[:2], atol=ROUND_TRIP_TOL_PX)
    np.testing.assert_allclose(coords[1, 0], kp_b[0], atol=ROUND_TRIP_TOL_PX)
    assert np.isnan(coords[0, 2:]).all() and np.isnan(coords[1, 1:]).all()


@pytest.mark.parametrize("batched", [False, True])
def test_torch_input_matches_numpy(batched):
    maps = render_heatmaps(_keypoints((20.0, 30.0), (90.6, 140.2)), OUT_SHAPE, SIGMA)
    if batched:
        maps = np.stack([maps, maps[::-1].copy()])
    tensor = torch.from_numpy(maps).requires_grad_(True)
    coords_t, conf_t = decode_argmax(tensor)
    coords_n, conf_n = decode_argmax(maps)
    np.testing.assert_array_equal(coords_t, coords_n)
    np.testing.assert_array_equal(conf_t, conf_n)


@pytest.mark.parametrize("shape", [(5,), (2, 3), (1, 1, 2, 3, 3)])
def test_decode_argmax_rejects_bad_ndim(shape):
    with pytest.raises(ValueError):
        decode_argmax(np.zeros(shape))


def test_tiny_maps_fall_back_to_integer_positions():
    maps = np.array([[[0.1, 0.9], [0.2, 0.3]]], dtype=np.float32)  # (1, 2, 2)
    coords, conf = decode_argmax(maps)
    np.testing.assert_allclose(coords[0], output_to_input(np.array([0.0, 1.0])))
    assert conf[0] == pytest.approx(0.9)


def test_non_positive_neighbours_use_the_plain_parabola():
    maps = np.zeros((1, 8, 8), dtype=np.float32)
    maps[0, 4, 3:6] = [0.0, 1.0, 0.5]  # log undefined on the left: plain parabola along cols
    maps[0, 3:6, 4] = [0.0, 1.0, 0.0]
    coords, _ = decode_argmax(maps)
    u_col = 4 + 0.5 * (0.0 - 0.5) / (0.0 - 2.0 + 0.5)
    np.testing.assert_allclose(coords[0], output_to_input(np.array([4.0, u_col])), atol=1e-5)


# --------------------------------------------------------------------------- local_maxima

def test_local_maxima_marks_border_peaks_and_plateau_tops_only():
    hmap = np.zeros((6, 8), dtype=np.float32)
    hmap[0, 7] = 0.9          # a corner peak: pixels outside the map do not count
    hmap[3, 2] = 0.5          # an interior peak
    hmap[3, 3] = 0.4          # its neighbour, lower
    hmap[4:6, 5:7] = 0.7      # a plateau: every top pixel
    mask = local_maxima(hmap, 1)
    assert mask[0, 7] and mask[3, 2] and mask[4:6, 5:7].all()
    assert not mask[3, 3] and not mask[0, 6]
    assert not local_maxima(hmap, 3)[3, 2]  # radius 3 reaches the plateau


@pytest.mark.parametrize("radius", [1, 2])
def test_local_maxima_equals_scipy_maximum_filter(radius):
    from scipy.ndimage import maximum_filter
    rng = np.random.default_rng(3)
    for shape in [(1, 9), (7, 1), (13, 17), (40, 31)]:
        for dtype in (np.float32, np.float64):
            hmap = (np.round(rng.random(shape) * 5) / 5).astype(dtype)  # with plateaus
            size = 2 * radius + 1
            want = hmap == maximum_filter(hmap, size=size, mode="constant", cval=-np.inf)
            np.testing.assert_array_equal(local_maxima(hmap, radius), want)


# --------------------------------------------------------------------------- find_candidates

def test_find_candidates_sorted_refined_and_limited():
    hmap = _maps({0: [(40.2, 40.7, 0.6), (120.0, 50.3, 0.9), (200.0, 60.0, 0.4),
                      (240.0, 200.0, 0.2)]})[0]
    found = find_candidates(hmap, threshold=0.3)
    assert [round(s, 6) for *_, s in found] == sorted([round(s, 6) for *_, s in found],
                                                      reverse=True)
    assert len(found) == 3  # the 0.2 peak is below threshold
    np.testing.assert_allclose(np.array(found)[:, :2],
                               [(120.0, 50.3), (40.2, 40.7), (200.0, 60.0)],
                               atol=ROUND_TRIP_TOL_PX)
    assert len(find_candidates(hmap, threshold=0.3, max_candidates=2)) == 2
    assert find_candidates(hmap, threshold=0.3, max_candidates=0) == []


def test_find_candidates_min_distance_suppresses_close_maxima():
    hmap = np.zeros((16, 16), dtype=np.float32)
    hmap[5, 5], hmap[5, 7], hmap[12, 12] = 1.0, 0.8, 0.7  # 2 apart, then far
    near = find_candidates(hmap, threshold=0.1, min_distance=1)
    far = find_candidates(hmap, threshold=0.1, min_distance=MIN_PEAK_DISTANCE)
    assert len(near) == 3
    assert [s for *_, s in far] == pytest.approx([1.0, 0.7])


def test_find_candidates_plateau_gives_one_candidate_and_empty_map_none():
    hmap = np.zeros((16, 16), dtype=np.float32)
    hmap[4:6, 4:6] = 0.8
    assert len(find_candidates(hmap, threshold=0.5)) == 1
    assert find_candidates(np.zeros((16, 16)), threshold=0.3) == []


def test_find_candidates_border_peak_is_refined():
    hmap = render_heatmaps(_keypoints((0.2, 254.9), num=1), OUT_SHAPE, SIGMA)[0]
    (row, col, score), = find_candidates(hmap, threshold=0.3)
    assert (row, col) == pytest.approx((0.2, 254.9), abs=ROUND_TRIP_TOL_PX)
    assert score > 0.5


def test_device_renderer_equals_the_numpy_one():
    from disclabel.data.targets import render_heatmaps_torch

    rng = np.random.default_rng(0)
    keypoints = rng.uniform(-10, 270, (3, 25, 2)).astype(np.float32)
    keypoints[:, ::3] = np.nan
    sigmas = np.array([1.0, 0.75, 2.5], np.float32)
    expected = np.stack([render_heatmaps(keypoints[i], (64, 64), float(sigmas[i]))
                         for i in range(3)])
    got = render_heatmaps_torch(torch.from_numpy(keypoints), (64, 64), torch.from_numpy(sigmas))
    assert got.shape == (3, 25, 64, 64) and got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-6)
    assert not got[:, ::3].any()
