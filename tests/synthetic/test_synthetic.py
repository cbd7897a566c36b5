"""Tests of the synthetic spine MRI generator (disclabel.synthetic)."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from disclabel.constants import NUM_DISCS
from disclabel.synthetic import SyntheticVolume, Tissue, generate_subject, sample_2d
from disclabel.synthetic.layers import LayerBuilder
from disclabel.synthetic.negatives import (
    ARC_RING_WIDTH_MM,
    ARC_RINGS,
    HEAD_FOV_HEIGHT_MM,
    HEAD_MARGIN_MM,
    arc_sets,
    head_fov_window,
    head_window_origin,
    rings,
)
from disclabel.synthetic.sample2d import negative_sample
from disclabel.synthetic.styles import STYLES_2D
from disclabel.synthetic.tables import CANAL_TISSUES, DISC_TISSUES
from disclabel.synthetic.writer import subject_seed, write_bids_dataset, write_subject

FAST_SCALE = 3.0  # voxels 3x larger than drawn: small volumes for file-format tests
BATCH_SEEDS = tuple(range(10))
CANAL_SEARCH_MM = 3.0
SPACING_MM = (10.0, 35.0)


@pytest.fixture(scope="module")
def batch() -> list[dict[str, SyntheticVolume]]:
    """Ten full-resolution subjects with their tissue maps (shared by the statistical tests)."""
    return [generate_subject(s, return_tissues=True) for s in BATCH_SEEDS]


def _canonical(vol: SyntheticVolume, data: np.ndarray) -> np.ndarray:
    """``data`` (written order) reoriented to the closest RAS array."""
    return np.asarray(nib.as_closest_canonical(nib.Nifti1Image(data, vol.affine)).dataobj)


def _label_world(vol: SyntheticVolume) -> dict[int, np.ndarray]:
    ijk = np.argwhere(vol.labels > 0)
    xyz = nib.affines.apply_affine(vol.affine, ijk)
    return {int(vol.labels[tuple(p)]): w for p, w in zip(ijk, xyz, strict=True)}


# ---------------------------------------------------------------------------------------------
# layered shapes
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("abs_x, expected", [
    (0.0, Tissue.CORD), (1.9, Tissue.CORD), (2.0, Tissue.CSF), (4.9, Tissue.CSF),
    (5.0, Tissue.MUSCLE), (9.9, Tissue.MUSCLE), (10.0, Tissue.AIR), (50.0, Tissue.AIR),
])
def test_layers_nested_structures(abs_x: float, expected: int) -> None:
    """Inner (higher-priority) structures hide outer ones up to their half-width only."""
    lb = LayerBuilder((2, 3))
    full = (slice(0, 2), slice(0, 3))
    lb.add(1, full, np.full((2, 3), 10.0, np.float32), Tissue.MUSCLE)
    lb.add(3, full, np.full((2, 3), 2.0, np.float32), Tissue.CORD)
    lb.add(2, full, np.full((2, 3), 5.0, np.float32), Tissue.CSF)
    lb.add(4, full, np.zeros((2, 3), np.float32), Tissue.NERVE)  # absent everywhere
    layers = lb.build()
    assert (layers.tissue_at(abs_x) == expected).all()
    idx = layers.index(np.array([abs_x, 0.0]))
    assert (layers.gather(layers.tissue, idx)[0] == expected).all()


# ---------------------------------------------------------------------------------------------
# files: orientation, loading, determinism, BIDS layout
# ---------------------------------------------------------------------------------------------
def test_written_files_load_in_every_orientation(tmp_path) -> None:
    codes = set()
    for seed in range(8):
        vols = generate_subject(seed, size_scale=FAST_SCALE)
        paths = write_subject(tmp_path, f"sub-t{seed}", vols)
        for path, (contrast, vol) in zip(paths, vols.items(), strict=True):
            img = nib.load(path)
            assert img.shape == vol.image.shape
            np.testing.assert_allclose(img.affine, vol.affine, atol=1e-4)
            np.testing.assert_array_equal(img.get_fdata(), vol.image)
            lab = nib.load(tmp_path / "derivatives" / "labels" / f"sub-t{seed}" / "anat"
                           / f"sub-t{seed}_{contrast}_labels-disc-manual.nii.gz")
            np.testing.assert_array_equal(np.asarray(lab.dataobj), vol.labels)
            codes.add("".join(nib.aff2axcodes(vol.affine)))
    assert len(codes) >= 4, codes


@pytest.mark.parametrize("seed", [0, 3, 5, 11])
def test_labels_one_voxel_per_disc_ordered_in_world_on_one_sagittal_plane(seed: int) -> None:
    vol = generate_subject(seed, ("T1w",), size_scale=1.5)["T1w"]
    values = vol.labels[vol.labels > 0]
    assert len(values) >= 1
    assert len(np.unique(values)) == len(values), "one voxel per disc"
    assert values.min() >= 1 and values.max() <= NUM_DISCS
    world = _label_world(vol)
    nums = sorted(world)
    z = np.array([world[n][2] for n in nums])
    assert np.all(np.diff(z) < 0), "disc n must be superior (larger world z) to disc n + 1"
    # the left-right array axis is the one whose direction is closest to world x
    lr_axis = int(np.argmax(np.abs(vol.affine[0, :3]) / np.linalg.norm(vol.affine[:3, :3], axis=0)))
    ijk = np.argwhere(vol.labels > 0)
    assert len(np.unique(ijk[:, lr_axis])) == 1


def test_same_seed_gives_identical_files(tmp_path) -> None:
    a = write_subject(tmp_path / "a", "sub-x", generate_subject(7, size_scale=FAST_SCALE))
    b = write_subject(tmp_path / "b", "sub-x", generate_subject(7, size_scale=FAST_SCALE))
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes()
    other = write_subject(tmp_path / "c", "sub-x", generate_subject(8, size_scale=FAST_SCALE))
    assert a[0].read_bytes() != other[0].read_bytes()


def test_contrasts_share_anatomy_and_do_not_depend_on_each_other() -> None:
    both = generate_subject(4, ("T1w", "T2w"), size_scale=FAST_SCALE)
    alone = generate_subject(4, ("T2w",), size_scale=FAST_SCALE)["T2w"]
    np.testing.assert_array_equal(both["T2w"].image, alone.image)
    np.testing.assert_array_equal(both["T1w"].labels, both["T2w"].labels)
    np.testing.assert_array_equal(both["T1w"].affine, both["T2w"].affine)
    assert not np.array_equal(both["T1w"].image, both["T2w"].image)


def test_write_bids_dataset_layout_and_stable_subject_seeds(tmp_path) -> None:
    one = write_bids_dataset(tmp_path / "one", 1, seed=3, contrasts=("T2w",), progress=False)
    two = write_bids_dataset(tmp_path / "two", 2, seed=3, contrasts=("T2w",), progress=False)
    root = tmp_path / "two"
    assert (root / "dataset_description.json").is_file()
    assert two == [root / "sub-syn001" / "anat" / "sub-syn001_T2w.nii.gz",
                   root / "sub-syn002" / "anat" / "sub-syn002_T2w.nii.gz"]
    for sub in ("sub-syn001", "sub-syn002"):
        assert (root / "derivatives" / "labels" / sub / "anat"
                / f"{sub}_T2w_labels-disc-manual.nii.gz").is_file()
    assert one[0].read_bytes() == two[0].read_bytes(), "adding subjects changed an earlier one"
    assert subject_seed(3, 0) != subject_seed(3, 1)


def test_random_contrast_mode_and_bad_arguments() -> None:
    a = generate_subject(2, ("T1w",), mode="random", size_scale=FAST_SCALE)["T1w"]
    b = generate_subject(2, ("T1w",), mode="preset", size_scale=FAST_SCALE)["T1w"]
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.image, b.image)
    with pytest.raises(ValueError):
        generate_subject(2, ("T1w",), mode="nonsense", size_scale=FAST_SCALE)
    with pytest.raises(ValueError):
        generate_subject(2, ("FLAIR",), mode="preset", size_scale=FAST_SCALE)


# ---------------------------------------------------------------------------------------------
# statistical sanity over a batch of full-resolution subjects
# ---------------------------------------------------------------------------------------------
def test_batch_sizes_orientations_and_fields_of_view(batch) -> None:
    shapes = {v["T1w"].image.shape for v in batch}
    tops = {min(_label_world(v["T1w"])) for v in batch if _label_world(v["T1w"])}
    assert len(shapes) >= 3
    assert min(tops) <= 2 and max(tops) >= 5, "some volumes start at the skull, some below C2"
    for vols in batch:
        vol = vols["T1w"]
        assert vol.image.dtype == np.float32 and vol.labels.dtype == np.uint8
        assert vol.image.ndim == 3 and vol.tissues.shape == vol.image.shape
        np.testing.assert_array_equal(vol.image, np.round(vol.image))


def test_batch_consecutive_disc_spacing(batch) -> None:
    spacings = []
    for vols in batch:
        world = _label_world(vols["T2w"])
        for n in world:
            if n + 1 in world:
                spacings.append(float(np.linalg.norm(world[n + 1] - world[n])))
    assert len(spacings) >= 50
    assert SPACING_MM[0] <= min(spacings) and max(spacings) <= SPACING_MM[1], (
        min(spacings), max(spacings))


def test_batch_labels_on_disc_with_canal_just_posterior(batch) -> None:
    checked = 0
    for vols in batch:
        vol = vols["T2w"]
        tis = _canonical(vol, vol.tissues)  # RAS: axis 1 grows towards anterior
        lab = _canonical(vol, vol.labels)
        zooms = nib.as_closest_canonical(nib.Nifti1Image(vol.labels, vol.affine)).header.get_zooms()
        steps = max(1, int(np.ceil(CANAL_SEARCH_MM / zooms[1])))
        for i, j, k in np.argwhere(lab >= 3):
            n = int(lab[i, j, k])
            assert tis[i, j, k] in DISC_TISSUES, f"disc {n} label not on disc tissue"
            behind = tis[i, max(j - steps, 0):j, k]  # posterior = smaller y index
            assert np.isin(behind, CANAL_TISSUES).any(), (n, behind)
            checked += 1
    assert checked >= 50


@pytest.mark.parametrize("contrast, csf_brighter", [("T1w", False), ("T2w", True)])
def test_batch_csf_versus_cord_contrast(batch, contrast: str, csf_brighter: bool) -> None:
    for vols in batch:
        vol = vols[contrast]
        csf = vol.image[vol.tissues == Tissue.CSF]
        cord = vol.image[vol.tissues == Tissue.CORD]
        if len(csf) < 20 or len(cord) < 20:
            continue
        assert (csf.mean() > cord.mean()) == csf_brighter


# ---------------------------------------------------------------------------------------------
# 2-D samples
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("contrast", [None, "T1w", "T2w", "random"])
def test_sample_2d_shapes_ranges_and_keypoint_order(contrast) -> None:
    rng = np.random.default_rng(123)
    n_visible = 0
    for _ in range(6):
        img, kp = sample_2d(rng, contrast=contrast)
        assert img.shape == (256, 256) and img.dtype == np.float32
        assert img.min() >= 0.0 and img.max() <= 1.0 and img.max() > img.min()
        assert kp.shape == (NUM_DISCS, 2) and kp.dtype == np.float32
        vis = np.isfinite(kp[:, 0])
        np.testing.assert_array_equal(vis, np.isfinite(kp[:, 1]))
        assert np.all((kp[vis] >= -0.5) & (kp[vis] <= 255.5))
        assert np.all(np.diff(kp[vis, 0]) > 0), "keypoints must go top to bottom"
        n_visible += int(vis.sum())
    assert n_visible >= 10


def test_sample_2d_grid_and_determinism() -> None:
    a = sample_2d(np.random.default_rng(5), grid_shape=(128, 96), pixel_mm=2.0, contrast="T2w")
    b = sample_2d(np.random.default_rng(5), grid_shape=(128, 96), pixel_mm=2.0, contrast="T2w")
    assert a[0].shape == (128, 96)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize("style", sorted(STYLES_2D))
def test_sample_2d_styles_and_one_physical_scale(style) -> None:
    # every style gives windows at the requested pixel size: the spacing of consecutive discs
    # in pixels is the spacing in mm (no field of view squeezed into the window)
    spacings = []
    for seed in range(8):
        img, kp = sample_2d(np.random.default_rng(seed), style=style)
        assert img.shape == (256, 256) and 0.0 <= img.min() and img.max() <= 1.0
        vis = np.flatnonzero(np.isfinite(kp[:, 0]))
        consecutive = vis[1:][np.diff(vis) == 1]
        spacings += [float(np.linalg.norm(kp[d] - kp[d - 1])) for d in consecutive
                     if d >= 3]  # discs 3.. (real discs)
    assert len(spacings) >= 10
    assert 10.0 <= np.median(spacings) <= 45.0
    with pytest.raises(ValueError, match="style"):
        sample_2d(np.random.default_rng(0), style="nope")


def test_sample_2d_window_is_padded_with_zeros_beyond_the_field_of_view() -> None:
    # over many windows some reach beyond their field of view (black bands), as real ones do
    padded = 0
    for seed in range(12):
        img, _ = sample_2d(np.random.default_rng(seed), grid_shape=(256, 256))
        padded += int((img.max(axis=1) == 0).any() or (img.max(axis=0) == 0).any())
    assert padded >= 2


@pytest.mark.parametrize("seed", range(8))
def test_negative_windows_have_no_disc(seed: int) -> None:
    """Windows without a spine (style v4): every keypoint absent, a non-constant image in
    [0, 1] of the grid's shape."""
    style = STYLES_2D["v4"]
    img, kp = negative_sample(np.random.default_rng(seed), (128, 160), 1.0, "T2w", "preset", style)
    assert img.shape == (128, 160) and img.dtype == np.float32
    assert 0.0 <= img.min() and img.max() <= 1.0 and img.std() > 0.01
    assert kp.shape == (NUM_DISCS, 2) and np.isnan(kp).all()


def test_head_window_ends_above_the_atlas() -> None:
    kp = np.full((NUM_DISCS, 2), np.nan, np.float32)
    kp[0] = (100.0, 120.0)  # top of C1 at row 100 of the field of view
    for seed in range(20):
        top, left = head_window_origin(np.random.default_rng(seed), kp, (256, 192), 1.0)
        bottom = top + 256
        assert 100 - HEAD_MARGIN_MM[1] - 1 <= bottom <= 100 - HEAD_MARGIN_MM[0]
        assert left <= 120 <= left + 192
    kp[0] = (20.0, 120.0)  # too little head above the atlas
    assert head_window_origin(np.random.default_rng(0), kp, (256, 192), 1.0) is None
    kp[0] = np.nan  # the atlas not in view
    assert head_window_origin(np.random.default_rng(0), kp, (256, 192), 1.0) is None


def test_head_only_field_of_view_lies_whole_above_the_atlas_inside_the_window() -> None:
    kp = np.full((NUM_DISCS, 2), np.nan, np.float32)
    kp[0] = (40.0, 120.0)  # top of C1 at row 40: the head field of view reaches above the FOV
    for seed in range(30):
        first, height, (top, left) = head_fov_window(np.random.default_rng(seed), kp,
                                                     (256, 192), 1.0)
        bottom = first + height
        assert 40 - HEAD_MARGIN_MM[1] - 1 <= bottom <= 40 - HEAD_MARGIN_MM[0]
        assert HEAD_FOV_HEIGHT_MM[0] - 1 <= height <= HEAD_FOV_HEIGHT_MM[1]
        # seen whole: the window's rows top..top+255 (head pixels) cover rows 0..height-1
        assert top <= 0 and top + 256 >= height
        assert left <= 120 <= left + 192
    kp[0] = np.nan
    assert head_fov_window(np.random.default_rng(0), kp, (256, 192), 1.0) is None


def test_v7_head_windows_are_padded_head_fields_of_view() -> None:
    """Some v7 negatives show a head-only field of view with black rows above and below it."""
    style = STYLES_2D["v7"]
    boxed = 0
    for seed in range(24):
        img, kp = negative_sample(np.random.default_rng([7, seed]), (256, 256), 1.0, "T2w",
                                  "preset", style)
        assert np.isnan(kp).all() and 0.0 <= img.min() and img.max() <= 1.0
        rows = np.flatnonzero(img.max(axis=1) > 0)
        boxed += int(len(rows) >= 50 and rows[0] > 0 and rows[-1] < 255)
    assert boxed >= 3


@pytest.mark.parametrize("seed", range(6))
def test_rings_are_nested_bands_around_their_centre(seed: int) -> None:
    rows, cols = np.mgrid[0:200, 0:200].astype(np.float32)
    distance = np.hypot(rows - 150.0, cols + 20.0)  # centre outside the image: arcs
    labels = np.zeros((200, 200), np.int64)
    k = rings(np.random.default_rng(seed), labels, distance, 60.0, 1)
    assert ARC_RINGS[0] <= k - 1 < ARC_RINGS[1]
    inner = 60.0
    for label in range(1, k):
        d = distance[labels == label]
        assert d.min() >= inner and np.ptp(d) <= ARC_RING_WIDTH_MM[1]
        inner = d.max()  # the next ring lies wholly outside this one
    assert labels[distance < 60.0].max() == 0


def test_arc_sets_are_drawn_only_for_styles_that_ask() -> None:
    rows, cols = np.mgrid[0:128, 0:128].astype(np.float32)
    labels = np.zeros((128, 128), np.int64)
    assert arc_sets(np.random.default_rng(0), labels, rows, cols, 3, 1) > 3
    assert STYLES_2D["v6"].arc_groups == (0, 0) and STYLES_2D["v7"].arc_groups[1] > 1


@pytest.mark.parametrize("style", ["v4", "v5", "v6", "v7"])
def test_only_styles_from_v4_draw_windows_without_a_spine(style: str) -> None:
    def empty(style: str) -> int:
        return sum(bool(np.isnan(sample_2d(np.random.default_rng([3, i]), (128, 128),
                                           style=style)[1]).all()) for i in range(40))
    assert STYLES_2D["v3"].negative_probability == 0.0
    assert empty("v3") == 0
    assert 1 <= empty(style) <= 16  # 10 % (v6, v7: 20 %) expected


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cervical_scale_shortens_the_lower_neck_only(seed: int) -> None:
    from disclabel.synthetic.anatomy import sample_anatomy

    plain = sample_anatomy(np.random.default_rng(seed)).label_s  # (NUM_DISCS,) along the spine
    short = sample_anatomy(np.random.default_rng(seed), 0.87).label_s
    gaps, short_gaps = np.diff(plain), np.diff(short)  # gap k: disc k+1 to disc k+2
    # C3/C4 .. C7/T1 (discs 4..8): every gap about 0.87 times as long (mid-disc to mid-disc)
    assert np.allclose(short_gaps[3:7] / gaps[3:7], 0.87, atol=0.02)
    assert short_gaps[2] < gaps[2]  # C2/C3 to C3/C4: only half of C3/C4 is shorter
    # the thoracic and lumbar spacing is untouched; everything below moves up as one block
    assert np.allclose(short_gaps[8:], gaps[8:], atol=1e-6)
    assert STYLES_2D["v5"].cervical_scale == 0.87 and STYLES_2D["v4"].cervical_scale == 1.0


def test_3d_generator_has_the_real_lower_cervical_proportions() -> None:
    """generate_subject draws the lower cervical levels REAL_CERVICAL_SCALE times as tall as
    the first generator did: C3/C4 to C7/T1 closer together in world mm, same seed."""
    from disclabel.synthetic.styles import REAL_CERVICAL_SCALE

    def span(scale: float | None) -> float:
        kwargs = {} if scale is None else {"cervical_scale": scale}
        vol = generate_subject(3, ("T2w",), size_scale=1.5, **kwargs)["T2w"]
        world = {}
        for n in (4, 8):
            ijk = np.argwhere(vol.labels == n)
            assert len(ijk) == 1, f"disc {n} not in this field of view"
            world[n] = vol.affine[:3, :3] @ ijk[0] + vol.affine[:3, 3]
        return float(np.linalg.norm(world[8] - world[4]))

    default, first = span(None), span(1.0)
    assert default == pytest.approx(span(REAL_CERVICAL_SCALE))
    assert 0.8 < default / first < 0.95


def test_sacrum_share_ends_windows_below_the_sacrum() -> None:
    """v8's lumbosacral windows hold L5/S1 with the sacrum below it; other styles keep their
    random streams (no extra draw when ``sacrum_share`` is 0)."""
    from dataclasses import replace

    assert STYLES_2D["v6"].sacrum_share == 0.0 and STYLES_2D["v8"].sacrum_share > 0.0
    lumbosacral = replace(STYLES_2D["v8"], sacrum_share=1.0, negative_probability=0.0)
    STYLES_2D["_sacrum_test"] = lumbosacral
    try:
        lowest = []
        for i in range(16):
            _, kp = sample_2d(np.random.default_rng([11, i]), style="_sacrum_test")
            present = np.flatnonzero(np.isfinite(kp[:, 0]))
            lowest.append(int(present.max()) + 1 if len(present) else 0)
    finally:
        del STYLES_2D["_sacrum_test"]
    # almost every window shows L5/S1 (a few: the window placed anywhere, as for every style)
    assert sum(n == NUM_DISCS for n in lowest) >= 13
    v6 = [sample_2d(np.random.default_rng([11, i]), style="v6")[1] for i in range(16)]
    assert sum(bool(np.isfinite(kp[NUM_DISCS - 1, 0])) for kp in v6) <= 6


def test_a_lateral_surface_labels_only_the_discs_near_it():
    """Style v10's tilted or scoliotic windows: the surface's left-right distance from the
    spine's midline per row, and only the discs within PRESENT_MM of it keep their keypoints;
    the disc it is drawn through is one of them."""
    from disclabel.data.oblique import PRESENT_MM
    from disclabel.synthetic.sample2d import _field_of_view, lateral_surface

    for seed in range(20):
        rng = np.random.default_rng(seed)
        _, fov, _, kp_fov = _field_of_view(rng, 1.0)
        x_of_row, keypoints = lateral_surface(rng, fov, kp_fov)
        shown = np.isfinite(kp_fov[:, 0])
        kept = np.isfinite(keypoints[:, 0])
        rows_mm = fov.row0 + kp_fov[shown, 0] * fov.drow
        assert np.array_equal(kept[shown], np.abs(x_of_row(rows_mm)) <= PRESENT_MM)
        assert kept.any() and not (kept & ~shown).any()


def test_style_v10_without_its_lateral_windows_draws_v6_exactly():
    """The lateral option takes no random draw when it is off, so that v6 (the previous
    recipe's style) draws the same samples as before it existed."""
    from dataclasses import replace

    from disclabel.synthetic.styles import STYLES_2D

    STYLES_2D["v10-off"] = replace(STYLES_2D["v10"], lateral_share=0.0)
    try:
        for seed in range(4):
            a = sample_2d(np.random.default_rng(seed), style="v6")
            b = sample_2d(np.random.default_rng(seed), style="v10-off")
            assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1], equal_nan=True)
    finally:
        del STYLES_2D["v10-off"]


@pytest.mark.parametrize("region", ["lumbar", "thoracolumbar", "whole spine"])
def test_region_fields_of_view_frame_their_part_of_the_spine(region: str) -> None:
    """generate_region: a lumbar volume shows L5/S1 and not C2/C3, a thoracolumbar one neither,
    a whole-spine one every disc from the top of C1 to L5/S1; the seed fixes the volume."""
    from disclabel.synthetic import generate_region

    volumes = [generate_region(seed, region, ("T2w",))["T2w"] for seed in (3, 4)]
    for volume in volumes:
        discs = sorted(int(v) for v in np.unique(volume.labels) if v)
        assert discs == list(range(discs[0], discs[-1] + 1))  # one run, nothing missing
        if region == "lumbar":
            assert discs[-1] == NUM_DISCS and discs[0] > 3 and len(discs) >= 4
        elif region == "thoracolumbar":
            assert discs[0] > 3 and discs[-1] < NUM_DISCS and len(discs) >= 6
        else:
            assert discs == list(range(1, NUM_DISCS + 1))
    np.testing.assert_array_equal(volumes[0].image,
                                  generate_region(3, region, ("T2w",))["T2w"].image)
    with pytest.raises(ValueError, match="region must be one of"):
        generate_region(3, "sacrum only")
