"""Reorientation and sampling: every orientation gives the same head-up image, and keypoints map
back to their source voxel."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import save_nifti, spine_phantom
from disclabel.data.geometry import canonical_extent, fit_grid, to_canonical
from disclabel.data.prepare import prepare_entry
from phantom import reorient

ZOOMS = (2.0, 0.8, 1.2)  # anisotropic on purpose: x (L-R), y (P-A), z (I-S)
ORIENTATIONS = ["RAS", "LPI", "PSR", "PIR", "LAS", "oblique"]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """Prepared training samples of the phantom written in every orientation."""
    tmp = tmp_path_factory.mktemp("orient")
    image, labels = spine_phantom()
    affine = np.diag([*ZOOMS, 1.0])
    affine[:3, 3] = [-10.0, 5.0, 30.0]
    out = {}
    for code in ORIENTATIONS:
        img = reorient(image, affine, code)
        lab = reorient(labels, affine, code)
        ip = save_nifti(tmp / f"{code}.nii.gz", np.asarray(img.dataobj), img.affine)
        lp = save_nifti(tmp / f"{code}_lab.nii.gz", np.asarray(lab.dataobj), lab.affine)
        entry = {"image": ip, "label": lp, "subject": "sub-x", "contrast": "T2w"}
        samples = prepare_entry(entry, training=True, grid_shape=(96, 64), pixel_mm=1.0)
        out[code] = (samples, np.asarray(lab.dataobj))
    return out


def _labelled_sample(samples):
    return next(s for s in samples if s.slice_index == samples[len(samples) // 2].slice_index)


@pytest.mark.parametrize("code", ORIENTATIONS)
def test_image_is_head_up_anterior_left(prepared, code):
    sample = _labelled_sample(prepared[code][0])
    img = sample.image
    inside = img > 0
    rows = np.nonzero(inside.any(axis=1))[0]
    cols = np.nonzero(inside.any(axis=0))[0]
    centre_col = img[rows[1]:rows[-1], (cols[0] + cols[-1]) // 2]
    centre_row = img[(rows[0] + rows[-1]) // 2, cols[1]:cols[-1]]
    # values grow towards superior (row 0) and anterior (col 0)
    assert np.all(np.diff(centre_col) < 0), "superior is not at the top"
    assert np.all(np.diff(centre_row) < 0), "anterior is not on the left"


@pytest.mark.parametrize("code", ORIENTATIONS[1:])
def test_same_image_in_every_orientation(prepared, code):
    ref = _labelled_sample(prepared["RAS"][0]).image
    img = _labelled_sample(prepared[code][0]).image
    tol = 0.05 if code == "oblique" else 1e-4
    assert np.abs(img - ref).max() < tol


@pytest.mark.parametrize("code", ORIENTATIONS)
def test_keypoints_map_back_to_source_voxel(prepared, code):
    samples, labels = prepared[code]
    checked = 0
    for sample in samples:
        for disc in np.nonzero(sample.visible)[0] + 1:
            voxel = np.argwhere(labels == disc)[0]
            rc = sample.keypoints[disc - 1]
            # s = offset of the label's slice from the sample's slice, in canonical slices
            src2canon = np.linalg.inv(sample.pix2vox)
            s = (src2canon @ np.r_[voxel, 1.0])[2]
            back = sample.pix2vox @ np.r_[rc, s, 1.0]
            assert np.abs(back[:3] - voxel).max() < 0.5, (disc, back, voxel)
            checked += 1
    assert checked >= 5 * len(samples)


@pytest.mark.parametrize("code", ORIENTATIONS)
def test_training_slices_around_label_and_pixel_size(prepared, code):
    samples, _ = prepared[code]
    # labels on the middle of 9 slices of 2 mm: +-2 mm gives 3 slices
    assert len(samples) == 3
    assert all(s.pixel_mm == pytest.approx(1.0) for s in samples)
    assert all(s.label_range == (3, 7) for s in samples)
    # discs in anatomical order, spaced 9 voxels * 1.2 mm
    rows = _labelled_sample(samples).keypoints[2:7, 0]
    np.testing.assert_allclose(np.diff(rows), 9 * 1.2, atol=0.05)


@pytest.mark.parametrize("extent, pixel, grid, used", [
    ((216.0, 384.0), 1.0, (256, 384), 1.0),     # errsm: whole field of view, 1 mm pixels
    ((256.0, 256.0), 1.0, (256, 256), 1.0),
    ((550.0, 70.0), 1.0, (576, 256), 1.0),      # PAM50: tall and narrow, at least a window wide
    ((10.0, 10.0), 1.0, (256, 256), 1.0),       # a small field of view inside black padding
    ((216.0, 384.0), 2.0, (256, 256), 2.0),
    ((2048.0, 300.0), 1.0, (1024, 256), 2.0),   # beyond MAX_GRID_SIDE only: a larger pixel
])
def test_fit_grid_keeps_the_pixel_and_the_whole_field_of_view(extent, pixel, grid, used):
    shape, got = fit_grid(extent, pixel)
    assert shape == grid and got == pytest.approx(used)
    assert all(n % 64 == 0 for n in shape)
    assert all(n * got >= e for n, e in zip(shape, extent, strict=True))


@pytest.mark.parametrize("extent, pixel, grid", [
    ((550.0, 70.0), 1.0, (576, 128)),
    ((10.0, 10.0), 1.0, (64, 64)),
    ((216.0, 384.0), 2.0, (128, 192)),
])
def test_fit_grid_without_a_minimum_rounds_up_to_multiples_of_64(extent, pixel, grid):
    shape, got = fit_grid(extent, pixel, min_shape=(64, 64))
    assert shape == grid and got == pytest.approx(pixel)
    assert all(n % 64 == 0 for n in shape)
    assert all(n * got >= e for n, e in zip(shape, extent, strict=True))


@pytest.mark.parametrize("code", ORIENTATIONS)
def test_canonical_extent_from_the_header(code):
    image, _ = spine_phantom()
    affine = np.diag([*ZOOMS, 1.0])
    nii = reorient(image, affine, code)
    canon = to_canonical(np.asarray(nii.dataobj, np.float32), nii.affine)
    extent = canonical_extent(nii.shape, nii.affine)
    assert extent == pytest.approx((canon.data.shape[1] * canon.zooms[1],
                                    canon.data.shape[2] * canon.zooms[2]))
