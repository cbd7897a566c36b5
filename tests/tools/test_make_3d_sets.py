"""The accuracy report's 3-D changes of a volume (tools/make_3d_sets.py): the image and its
disc references move together, on a grid that holds the whole changed volume."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest

import phantom
from conftest import save_nifti, tool_module
from disclabel.data.io import disc_voxels


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The phantom (RAS, 1 mm) with its disc labels at the disc centres, and every change."""
    sets = tool_module("make_3d_sets")
    folder = tmp_path_factory.mktemp("sets")
    image, affine = phantom.render(1.0)
    centres = phantom.disc_centres()
    labels = phantom.label_volume(image, affine, centres)
    paths = (save_nifti(folder / "p.nii.gz", image, affine),
             save_nifti(folder / "p_labels.nii.gz", labels, affine))
    voxels, _ = disc_voxels(labels)
    labelled = {n: (affine @ np.r_[v, 1.0])[:3] for n, v in voxels.items()}  # world mm
    return sets, sets.changed_volumes(*paths, folder / "out", "p"), labelled


def test_every_change_is_written_with_its_references(made):
    sets, changed, _ = made
    assert [name for name, _, _ in changed] == list(sets.CHANGES)
    for name, path, reference in changed:
        assert sorted(reference) == list(range(3, 9)), name
        labels = nib.load(str(path).replace(".nii.gz", "_labels.nii.gz"))
        found, _ = disc_voxels(np.asarray(labels.dataobj))
        assert sorted(found) == sorted(reference)
        stored = json.loads(path.with_name(path.name.replace(".nii.gz", "_reference.json"))
                            .read_text())
        assert {int(k): v for k, v in stored.items()} == reference


def test_the_image_is_bright_at_each_moved_disc(made):
    """Each reference (world mm) falls in a bright disc of the changed image."""
    _, changed, _ = made
    for name, path, reference in changed:
        image = nib.load(str(path))
        data = np.asarray(image.dataobj)
        inverse = np.linalg.inv(image.affine)
        for number, world in reference.items():
            voxel = np.rint((inverse @ np.r_[world, 1.0])[:3]).astype(int)
            assert data[tuple(voxel)] > 0.6, (name, number)


def test_tilts_move_the_discs_sideways_and_clinical_slices_are_thick(made):
    _, changed, centres = made
    by_name = {name: (path, reference) for name, path, reference in changed}
    for degrees in (5, 10, 20):
        _, reference = by_name[f"tilted {degrees} degrees"]
        x = np.array([reference[n][0] for n in sorted(reference)])
        z = np.array([reference[n][2] for n in sorted(reference)])
        assert abs(np.polyfit(z, x, 1)[0]) == pytest.approx(np.tan(np.radians(degrees)),
                                                            abs=0.02)
    path, reference = by_name["clinical slices"]
    assert nib.load(str(path)).header.get_zooms() == pytest.approx((3.5, 0.8, 0.8))
    assert all(np.allclose(reference[n], centres[n]) for n in reference)  # nothing moved
    _, curve = by_name["S-curve 10 mm"]
    sideways = np.array([curve[n][0] - centres[n][0] for n in sorted(curve)])
    assert np.abs(sideways).max() == pytest.approx(10.0, abs=1.5) and sideways[0] == 0.0
