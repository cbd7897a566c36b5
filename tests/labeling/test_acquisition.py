"""Acquisition checks (disclabel.labeling.acquisition): a volume whose sagittal plane the network
cannot read is refused with one line (exit 1, nothing written); one it can read but unlike its
training data is labelled with warnings, on the console, in the sidecar and in the QC title;
a batch ends with a summary that counts them."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest

from conftest import save_nifti
from disclabel.cli import label as label_cli
from disclabel.data.geometry import to_canonical
from disclabel.labeling.acquisition import check_acquisition
from disclabel.model.checkpoint import save_checkpoint
from disclabel.model.hourglass import build_model


def volume(zooms, shape_mm=(40.0, 90.0, 160.0)) -> nib.Nifti1Image:
    """A smooth random volume with voxel size ``zooms`` along RAS (x, y, z)."""
    shape = tuple(max(1, int(round(s / z))) for s, z in zip(shape_mm, zooms, strict=True))
    affine = np.diag([*zooms, 1.0])
    data = np.random.default_rng(0).random(shape).astype(np.float32) + 1.0
    return nib.Nifti1Image(data, affine)


def checked(zooms, shape_mm=(40.0, 90.0, 160.0)):
    image = volume(zooms, shape_mm)
    return check_acquisition(to_canonical(np.asarray(image.dataobj), image.affine))


@pytest.mark.parametrize("zooms, refused, plane", [
    ((0.7, 0.7, 7.5), "7.5 mm between samples superior-inferior", "axial"),   # axial stack
    ((0.6, 4.0, 0.6), "4 mm between samples anterior-posterior", "coronal"),  # coronal scan
    ((1.0, 3.0, 1.0), "3 mm between samples anterior-posterior", "coronal"),
])
def test_a_volume_the_network_cannot_read_is_refused(zooms, refused, plane):
    acquisition = checked(zooms)
    assert acquisition.plane == plane and refused in acquisition.refusal


@pytest.mark.parametrize("zooms, shape_mm, warned", [
    ((1.0, 1.0, 1.0), (40.0, 90.0, 160.0), []),
    ((3.5, 0.8, 0.8), (40.0, 90.0, 160.0), []),                         # clinical sagittal
    ((1.0, 1.0, 2.0), (40.0, 90.0, 160.0), []),                         # PAM50's 2 mm
    ((2.5, 2.5, 2.5), (40.0, 90.0, 160.0), ["in-plane spacing 2.5 mm"]),
    ((1.0, 2.5, 1.0), (40.0, 90.0, 160.0), ["coronal acquisition", "in-plane spacing 2.5 mm"]),
    ((1.0, 1.0, 2.6), (40.0, 90.0, 160.0), ["axial acquisition", "in-plane spacing 2.6 mm"]),
    ((6.0, 0.8, 0.8), (40.0, 90.0, 160.0), ["sagittal slices 6 mm thick"]),
    ((1.0, 1.0, 1.0), (12.0, 90.0, 160.0), ["covers only 12 mm left-right"]),
])
def test_a_readable_volume_unlike_the_training_data_is_warned(zooms, shape_mm, warned):
    acquisition = checked(zooms, shape_mm)
    assert acquisition.refusal is None
    assert len(acquisition.warnings) == len(warned)
    for text, warning in zip(warned, acquisition.warnings, strict=True):
        assert text in warning


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """Any checkpoint: refusals and acquisition warnings come before what it sees."""
    path = tmp_path_factory.mktemp("w") / "tiny.pt"
    save_checkpoint(path, build_model({"stacks": 1, "features": 16, "attention": True}),
                    data={"pixel_mm": 1.0})
    return path


def test_label_py_refuses_with_one_line_and_writes_nothing(weights, tmp_path, capsys):
    axial = save_nifti(tmp_path / "axial_T2w.nii.gz", np.asarray(volume((0.7, 0.7, 7.5))
                                                                .dataobj), volume(
        (0.7, 0.7, 7.5)).affine)
    code = label_cli.main([str(axial), "--weights", str(weights), "--device", "cpu",
                           "--qc", str(tmp_path / "qc")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err[0].startswith(f"label.py: error: {axial}: refused: axial acquisition")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["axial_T2w.nii.gz"]


def test_warnings_reach_the_console_the_sidecar_the_qc_title_and_the_batch_summary(
        weights, tmp_path, capsys):
    coarse = volume((2.5, 2.5, 2.5))
    paths = [save_nifti(tmp_path / "in" / "coarse.nii.gz", np.asarray(coarse.dataobj),
                        coarse.affine),
             save_nifti(tmp_path / "in" / "axial.nii.gz",
                        np.asarray(volume((0.7, 0.7, 7.5)).dataobj),
                        volume((0.7, 0.7, 7.5)).affine)]
    code = label_cli.main([*map(str, paths), "--weights", str(weights), "--device", "cpu",
                           "-o", str(tmp_path / "out"), "--qc", str(tmp_path / "qc")])
    err = capsys.readouterr().err
    assert code == 1
    assert f"label.py: warning: {paths[0]}: in-plane spacing 2.5 mm" in err
    assert "label.py: 1 of 2 images labelled (1 with warnings), 1 refused, 0 failed" in err
    sidecar = json.loads((tmp_path / "out" / "coarse_labels-disc.json").read_text())
    assert any("in-plane spacing 2.5 mm" in w for w in sidecar["warnings"])
    assert sidecar["acquisition"]["spacing_mm"] == [2.5, 2.5, 2.5]
    assert (tmp_path / "qc" / "coarse_labels-disc_qc.png").is_file()
    assert not (tmp_path / "out" / "axial_labels-disc.nii.gz").exists()


def test_the_qc_title_lists_the_acquisition_warnings(weights, tmp_path):
    from disclabel.labeling.labeler import Labeler
    from disclabel.viz.qc import qc_title

    coarse = volume((2.5, 2.5, 2.5))
    result = Labeler(weights, "cpu", backend="torch").label(coarse)
    lines = qc_title(result).splitlines()
    assert len(lines) == 2 and lines[1].startswith("warning: in-plane spacing 2.5 mm")
    clean = Labeler(weights, "cpu", backend="torch").label(volume((1.0, 1.0, 1.0)))
    assert clean.acquisition.warnings == [] and len(qc_title(clean).splitlines()) == 1
