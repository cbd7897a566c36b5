"""Augmentation moves keypoints with the image; datasets render heatmap targets and weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from disclabel.constants import NUM_DISCS
from disclabel.data.augment import (
    AugmentConfig,
    RandomAffine,
    RandomElastic,
    RandomFovCrop,
    RandomGamma,
    RandomIntensityMap,
    RandomNarrowFov,
    build_augmenter,
)
from disclabel.data.dataset import PreparedDataset, SyntheticDataset, disc_weights, sigma_output_px
from disclabel.data.heatmaps import decode_argmax
from disclabel.data.io import InputError, write_npz
from disclabel.data.prepare import Sample, stack_samples
from disclabel.data.windows import crop_window
from disclabel.training.config import channel_scale

GRID = (128, 128)


def _dot_image(keypoints: np.ndarray) -> np.ndarray:
    """An image with a small bright blob at every present keypoint (on a dim body)."""
    image = np.full(GRID, 0.2, np.float32)
    rr, cc = np.mgrid[:GRID[0], :GRID[1]]
    for r, c in keypoints[np.isfinite(keypoints[:, 0])]:
        image += np.exp(-((rr - r) ** 2 + (cc - c) ** 2) / (2 * 1.5**2)).astype(np.float32)
    return np.clip(image, 0, 1)


def _keypoints() -> np.ndarray:
    kp = np.full((NUM_DISCS, 2), np.nan, np.float32)
    for i, disc in enumerate(range(3, 10)):
        kp[disc - 1] = (30 + 10 * i, 60 + 2 * i)
    return kp


def _blob_centre(image: np.ndarray, rc: np.ndarray, radius: int = 4) -> np.ndarray:
    r0, c0 = np.round(rc).astype(int)
    win = image[r0 - radius:r0 + radius + 1, c0 - radius:c0 + radius + 1]
    win = np.clip(win - np.median(image), 0, None) ** 2
    rr, cc = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    return np.array([r0 + (rr * win).sum() / win.sum(), c0 + (cc * win).sum() / win.sum()])


@pytest.mark.parametrize("seed", range(5))
def test_affine_moves_keypoints_with_the_image(seed):
    kp = _keypoints()
    transform = RandomAffine(15.0, (0.8, 1.25), 0.1, p=1.0, seed=seed)
    image, moved = transform(_dot_image(kp), kp)
    assert np.isfinite(moved[2:9]).sum() >= 10
    for rc in moved[np.isfinite(moved[:, 0])]:
        if 6 <= rc[0] < GRID[0] - 6 and 6 <= rc[1] < GRID[1] - 6:
            assert np.abs(_blob_centre(image, rc) - rc).max() < 0.6


def test_affine_never_flips_the_spine():
    kp = _keypoints()
    for seed in range(20):
        _, moved = RandomAffine(12.0, (0.8, 1.25), 0.1, p=1.0, seed=seed)(_dot_image(kp), kp)
        rows = moved[np.isfinite(moved[:, 0]), 0]
        assert np.all(np.diff(rows) > 0), "head-up order lost"


def test_fov_crop_drops_discs_in_the_blanked_rows():
    kp = _keypoints()
    dropped_any = False
    for seed in range(20):
        image, cut = RandomFovCrop(0.4, p=1.0, seed=seed)(_dot_image(kp), kp)
        for rc_old, rc_new in zip(kp, cut, strict=True):
            if np.isnan(rc_old[0]):
                continue
            if np.isnan(rc_new[0]):
                dropped_any = True
                assert image[int(round(rc_old[0]))].max() == 0
            else:
                assert image[int(round(rc_new[0]))].max() > 0
    assert dropped_any


def test_narrow_fov_keeps_the_spine_inside_and_blanks_the_sides():
    kp = _keypoints()
    image = _dot_image(kp)
    for seed in range(20):
        out, kept = RandomNarrowFov((50.0, 70.0), p=1.0, seed=seed)(image, kp)
        cols = np.nonzero(out.max(axis=0) > 0)[0]
        assert 49 <= len(cols) <= 71 and np.all(np.diff(cols) == 1)  # one window, its width
        np.testing.assert_array_equal(kept, kp)  # the discs' columns (60-72) fit: none lost
        margin = RandomNarrowFov.MARGIN_PX
        assert cols[0] <= 60 - margin and cols[-1] >= 72 + margin
        np.testing.assert_array_equal(out[:, cols], image[:, cols])


def test_narrow_fov_too_narrow_for_the_spine_drops_the_discs_outside():
    kp = _keypoints()
    kp[8] = (110.0, 120.0)  # one disc far to the side of the others (disc 9)
    out, kept = RandomNarrowFov((40.0, 40.0), p=1.0, seed=0)(_dot_image(kp), kp)
    cols = np.nonzero(out.max(axis=0) > 0)[0]
    for rc_old, rc_new in zip(kp, kept, strict=True):
        if np.isnan(rc_old[1]):
            continue
        inside = cols[0] - 0.5 <= rc_old[1] <= cols[-1] + 0.5
        assert inside == bool(np.isfinite(rc_new[1]))
    assert np.isnan(kept[:, 1]).sum() > np.isnan(kp[:, 1]).sum()


def test_no_narrowing_leaves_the_pipeline_as_it_was():
    """p_narrow = 0 (the default) gives the same samples as a pipeline without the transform:
    it is appended, so the other transforms keep their random streams."""
    kp = _keypoints()
    img = _dot_image(kp)
    with_it = build_augmenter(AugmentConfig(p_narrow=0.0), seed=5)
    without = build_augmenter(AugmentConfig(), seed=5)
    without.transforms = without.transforms[:-1]
    for _ in range(3):
        a, b = with_it(img, kp), without(img, kp)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


def test_a_training_narrows_the_field_of_view_in_mm():
    from disclabel.constants import NARROW_FOV_MM
    from disclabel.training.config import TrainConfig, augment_config

    for pixel_mm in (1.0, 2.0):
        cfg = augment_config(TrainConfig(fov_narrow_p=0.2), pixel_mm)
        assert cfg.p_narrow == 0.2
        np.testing.assert_allclose(np.array(cfg.narrow_px) * pixel_mm, NARROW_FOV_MM)
    assert augment_config(TrainConfig(), 1.0).p_narrow == 0.0  # off by default


def test_a_training_sets_the_share_of_intensity_maps():
    from disclabel.constants import INTENSITY_MAP_P
    from disclabel.data.augment import RandomIntensityMap
    from disclabel.training.config import TrainConfig, augment_config

    assert augment_config(TrainConfig(), 1.0).p_intensity_map == INTENSITY_MAP_P
    cfg = augment_config(TrainConfig(intensity_map_p=0.6), 1.0)
    maps = [t for t in build_augmenter(cfg, seed=0).transforms
            if isinstance(t, RandomIntensityMap)]
    assert cfg.p_intensity_map == 0.6 and len(maps) == 1 and maps[0].p == 0.6


def _three_tissues() -> np.ndarray:
    """A dim image of three flat tissue bands (0.10, 0.15, 0.20) on a body, air around it."""
    image = np.zeros(GRID, np.float32)
    image[16:48, 16:112], image[48:80, 16:112], image[80:112, 16:112] = 0.10, 0.15, 0.20
    return image


def _band_levels(image: np.ndarray) -> np.ndarray:
    return np.array([image[32, 64], image[64, 64], image[96, 64]])


def test_tissue_contrast_gives_each_band_of_a_dark_scan_a_level_of_its_own():
    """Evenly spaced knots put the three bands on one segment of the curve: their order is kept
    or reversed as a whole. Knots at the body's intensity quantiles reorder them."""
    image, kp = _three_tissues(), _keypoints()

    def reordered(p_tissue: float) -> int:
        count = 0
        for seed in range(20):
            t = RandomIntensityMap(5, p_invert=0.0, p=1.0, seed=seed, p_tissue=p_tissue)
            a, b, c = _band_levels(t(image, kp)[0])
            count += not (a <= b <= c or a >= b >= c)
        return count

    assert reordered(0.0) == 0
    assert reordered(1.0) >= 5


def test_tissue_knots_span_the_body_and_increase():
    from disclabel.data.augment import tissue_knots

    rng = np.random.default_rng(0)
    values = np.array([0.1] * 50 + [0.15] * 50 + [0.2] * 50)
    knots = tissue_knots(values, 5, rng)
    assert knots[0] == pytest.approx(0.1) and knots[-1] == pytest.approx(0.2, abs=1e-5)
    assert np.all(np.diff(knots) > 0)
    np.testing.assert_array_equal(tissue_knots(np.full(9, 0.3), 4, rng),
                                  np.linspace(0.0, 1.0, 4))


def test_no_tissue_contrast_leaves_the_random_stream_as_it_was():
    from disclabel.training.config import TrainConfig, augment_config

    assert augment_config(TrainConfig(), 1.0).p_tissue == 0.0
    assert augment_config(TrainConfig(tissue_contrast_p=1.0), 1.0).p_tissue == 1.0
    kp = _keypoints()
    img = _dot_image(kp)
    a = build_augmenter(AugmentConfig(p_intensity_map=1.0, p_invert=0.0, p_tissue=0.0), seed=2)
    b = build_augmenter(AugmentConfig(p_intensity_map=1.0, p_invert=0.0), seed=2)
    c = build_augmenter(AugmentConfig(p_intensity_map=1.0, p_invert=0.0, p_tissue=1.0), seed=2)
    outs = [t(img, kp)[0] for t in (a, b, c)]
    np.testing.assert_array_equal(outs[0], outs[1])
    assert not np.array_equal(outs[0], outs[2])


def test_transforms_own_their_generators():
    kp = _keypoints()
    img = _dot_image(kp)
    a = build_augmenter(AugmentConfig(), seed=3)
    b = build_augmenter(AugmentConfig(), seed=3)
    c = build_augmenter(AugmentConfig(), seed=4)
    out_a, out_b, out_c = a(img, kp), b(img, kp), c(img, kp)
    np.testing.assert_array_equal(out_a[0], out_b[0])
    assert not np.array_equal(out_a[0], out_c[0])
    g1, g2 = RandomGamma((0.5, 2.0), 1.0, seed=1), RandomGamma((0.5, 2.0), 1.0, seed=1)
    np.testing.assert_array_equal(g1(img, kp)[0], g2(img, kp)[0])


def test_intensity_stays_in_range_and_keypoints_untouched_without_geometry():
    kp = _keypoints()
    cfg = AugmentConfig(p_affine=0.0, p_crop=0.0, p_gamma=1, p_contrast=1, p_noise=1, p_blur=1,
                        p_bias=1)
    image, out = build_augmenter(cfg, seed=0)(_dot_image(kp), kp)
    assert image.dtype == np.float32 and 0 <= image.min() and image.max() <= 1
    np.testing.assert_array_equal(out, kp)


def test_disc_weights():
    w = disc_weights((3, 10), 0.1)
    assert w[2:10].tolist() == [1.0] * 8
    assert w[1] == pytest.approx(0.1) and w[10] == pytest.approx(0.1)
    assert np.all(disc_weights((0, 0), 0.0) == 0)
    scale = np.ones(NUM_DISCS, np.float32)
    scale[24] = 4.0
    scaled = disc_weights((3, 25), 0.1, scale)
    assert scaled[24] == pytest.approx(4.0) and scaled[2:24].tolist() == [1.0] * 22
    assert disc_weights((3, 10), 0.1, scale)[24] == pytest.approx(0.4)


def test_channel_scale_from_disc_weight_specs():
    assert channel_scale([]) is None
    scale = channel_scale(["25:4", "24:2", "25:3"])  # the last spec of a disc wins
    assert scale[24] == pytest.approx(3.0) and scale[23] == pytest.approx(2.0)
    assert np.count_nonzero(scale != 1.0) == 2
    for bad in ("25", "x:2", "0:2", "25:-1"):
        with pytest.raises(InputError, match="--disc-weight"):
            channel_scale([bad])


def test_items_carry_the_channel_scale(tmp_path):
    scale = channel_scale(["5:3"])
    ds = PreparedDataset(_split_file(tmp_path), sigma_mm=4.0, channel_scale=scale)
    assert ds[0]["weight"][4].item() == pytest.approx(3.0)  # disc 5 inside the range (3, 9)
    assert ds[0]["weight"][3].item() == pytest.approx(1.0)


def _split_file(tmp_path):
    kp = _keypoints()
    samples = [Sample(_dot_image(kp), kp, np.isfinite(kp[:, 0]).astype(np.uint8), (3, 9),
                      "sub-a01", "T2w", "a.nii.gz", 1.0, 4, np.eye(4), np.eye(4))] * 2
    path = tmp_path / "train.npz"
    write_npz(path, stack_samples(samples, GRID))
    return path


def test_prepared_dataset_items(tmp_path):
    ds = PreparedDataset(_split_file(tmp_path), sigma_mm=4.0)
    item = ds[0]
    assert item["image"].shape == (1, *GRID)
    assert item["target"].shape == (NUM_DISCS, GRID[0] // 4, GRID[1] // 4)
    assert item["weight"].shape == (NUM_DISCS,)
    # present discs peak at 1 and decode back to their keypoints; absent ones are all zero
    coords, conf = decode_argmax(item["target"].numpy())
    present = np.isfinite(_keypoints()[:, 0])
    np.testing.assert_allclose(coords[present], _keypoints()[present], atol=0.1)
    assert torch.all(item["target"][~torch.from_numpy(present)] == 0)
    assert sigma_output_px(4.0, 1.0) == pytest.approx(1.0)


def test_augmented_dataset_targets_follow_keypoints(tmp_path):
    ds = PreparedDataset(_split_file(tmp_path), augment=build_augmenter(seed=1))
    for _ in range(5):
        item = ds[0]
        kp = item["keypoints"].numpy()
        coords, _ = decode_argmax(item["target"].numpy())
        present = np.isfinite(kp[:, 0])
        np.testing.assert_allclose(coords[present], kp[present], atol=0.15)


def test_synthetic_dataset_is_deterministic_per_epoch():
    def sampler(rng):
        kp = _keypoints()
        kp[:, 0] += rng.uniform(-5, 5)
        return _dot_image(kp), kp

    ds = SyntheticDataset(4, sampler, pixel_mm=1.0)
    first = ds[1]["keypoints"].numpy()
    np.testing.assert_array_equal(first, ds[1]["keypoints"].numpy())
    ds.epoch = 1
    assert not np.allclose(first, ds[1]["keypoints"].numpy(), equal_nan=True)
    assert torch.all(ds[0]["weight"] == 1)


def test_not_a_split_file(tmp_path):
    path = tmp_path / "x.npz"
    write_npz(path, {"a": np.zeros(3)})
    from disclabel.data.io import InputError

    with pytest.raises(InputError, match="not a prepared split file"):
        PreparedDataset(path)


def test_negative_items_have_no_disc_and_full_weight(tmp_path):
    ds = PreparedDataset(_split_file(tmp_path), negative_ratio=1.0, seed=0)
    for _ in range(6):
        item = ds[0]
        assert torch.all(item["target"] == 0) and torch.all(item["weight"] == 1)
        assert torch.isnan(item["keypoints"]).all()
        assert 0 <= float(item["image"].min()) and float(item["image"].max()) <= 1
    assert not torch.all(PreparedDataset(_split_file(tmp_path))[0]["target"] == 0)


@pytest.mark.parametrize("seed", range(5))
def test_elastic_moves_keypoints_with_the_image(seed):
    kp = _keypoints()
    transform = RandomElastic((4.0, 4.0), 32, p=1.0, seed=seed)
    image, moved = transform(_dot_image(kp), kp)
    assert not np.allclose(image, _dot_image(kp))
    for rc in moved[np.isfinite(moved[:, 0])]:
        if 6 <= rc[0] < GRID[0] - 6 and 6 <= rc[1] < GRID[1] - 6:
            assert np.abs(_blob_centre(image, rc) - rc).max() < 0.5


def test_crop_window_keeps_keypoints_on_their_pixels():
    rng = np.random.default_rng(0)
    kp = _keypoints()
    image = _dot_image(kp)
    for _ in range(20):
        window, moved = crop_window(image, kp, (64, 96), rng)
        assert window.shape == (64, 96)
        inside = np.isfinite(moved[:, 0])
        for rc in moved[inside]:
            r, c = np.round(rc).astype(int)
            assert window[r, c] > 0.5, "a keypoint left its blob"
        # discs outside the window are absent, never clamped to its edge
        assert np.all((moved[inside] >= -0.5) & (moved[inside] <= np.array([63.5, 95.5])))


def test_prepared_dataset_windows_and_repeats(tmp_path):
    ds = PreparedDataset(_split_file(tmp_path), window=(64, 64), repeat=3, seed=0)
    assert len(ds) == 3 * len(ds.arrays["images"])
    item = ds[len(ds) - 1]
    assert item["image"].shape == (1, 64, 64) and item["target"].shape == (NUM_DISCS, 16, 16)


def test_synthetic_pool_reuses_samples_with_fresh_augmentation():
    calls = []

    def sampler(rng):
        calls.append(1)
        return _dot_image(_keypoints()) * rng.uniform(0.5, 1.0), _keypoints()

    ds = SyntheticDataset(4, sampler, 1.0, augment=build_augmenter(seed=0), pool=6)
    first = [ds[i]["image"] for i in range(4)]
    ds.epoch = 1
    second = [ds[i]["image"] for i in range(4)]   # items 4, 5 new; 0, 1 from the pool
    ds.epoch = 3
    _ = [ds[i] for i in range(4)]
    assert len(calls) == 6  # each pool sample drawn once
    assert not torch.equal(first[0], second[2])


def test_intensity_map_keeps_geometry_and_the_outside_black():
    kp = _keypoints()
    image = _dot_image(kp)
    image[:10] = 0.0  # outside the field of view
    changed = 0
    for seed in range(10):
        out, moved = RandomIntensityMap(5, 0.5, p=1.0, seed=seed)(image, kp)
        np.testing.assert_array_equal(moved, kp)
        assert np.all(out[:10] == 0) and out.min() >= 0 and out.max() <= 1
        changed += int(not np.allclose(out, image, atol=0.05))
    assert changed >= 8
    inverted, _ = RandomIntensityMap(5, 1.0, p=1.0, seed=0)(image, kp)
    # inverted: the bright blobs become the darkest pixels of the field of view
    r, c = np.round(kp[2]).astype(int)
    assert inverted[r, c] < np.median(inverted[10:])


def test_synthetic_pool_filled_by_processes_equals_the_one_drawn_here():
    from disclabel.synthetic import sample_2d

    def pool() -> SyntheticDataset:
        return SyntheticDataset(8, lambda rng: sample_2d(rng, (128, 128), 1.0, style="v3"), 1.0,
                                pool=5, seed=3)

    here, forked = pool(), pool()
    here.fill(0)
    forked.fill(2)
    assert sorted(here.cache) == sorted(forked.cache) == list(range(5))
    for k in range(5):
        assert np.array_equal(here.cache[k][0], forked.cache[k][0])
        assert np.array_equal(here.cache[k][1], forked.cache[k][1], equal_nan=True)
