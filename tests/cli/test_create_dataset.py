"""create_dataset.py: gathering BIDS datasets into a manifest, and every bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from conftest import ERRSM, IVADOMED, make_bids_subject, needs_shared, save_nifti, spine_phantom
from disclabel.cli.create_dataset import main
from disclabel.data.manifest import site_of

AFFINE = np.diag([2.0, 0.8, 1.2, 1.0])


def _good(root: Path, subject: str = "sub-abc01", contrast: str = "T2w"):
    image, labels = spine_phantom()
    return make_bids_subject(root, subject, contrast, image, labels, AFFINE)


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err and "\n" not in err, err
    return err


@pytest.mark.parametrize("subject,site", [("sub-amu01", "amu"), ("sub-errsm11", "errsm"),
                                          ("sub-sctexample", "sctexample"), ("sub-01", "unknown")])
def test_site_of(subject, site):
    assert site_of(subject) == site


def test_gathers_good_pairs_and_reports_bad_ones(tmp_path, capsys):
    root = tmp_path / "bids"
    _good(root, "sub-abc01", "T2w")
    _good(root, "sub-abc01", "T1w")
    _good(root, "sub-xyz02", "T2w")
    image, labels = spine_phantom()
    # every kind of bad pair, each skipped with its reason
    make_bids_subject(root, "sub-empty03", "T2w", image, np.zeros_like(labels), AFFINE)
    make_bids_subject(root, "sub-offgrid04", "T2w", image, labels[:, :, :-1], AFFINE)
    make_bids_subject(root, "sub-nan05", "T2w", np.where(labels > 0, np.nan, image), labels,
                      AFFINE)
    make_bids_subject(root, "sub-nolabel06", "T2w", image, None, AFFINE)
    img, _ = _good(root, "sub-corrupt07")
    img.write_bytes(gzip.compress(b"this is not a nifti file" * 10))
    flat = save_nifti(root / "sub-flat08" / "anat" / "sub-flat08_T2w.nii.gz",
                      image[4], np.eye(4))
    save_nifti(root / "derivatives/labels/sub-flat08/anat/sub-flat08_T2w_labels-disc-manual.nii.gz",
               labels[4], np.eye(4))
    landmark = labels.copy()
    landmark[landmark > 0] = 50
    make_bids_subject(root, "sub-landmark09", "T2w", image, landmark, AFFINE)
    beyond = labels.copy()
    beyond[beyond == 7] = 30
    make_bids_subject(root, "sub-beyond10", "T2w", image, beyond, AFFINE)
    _, lab = make_bids_subject(root, "sub-fraction11", "T2w", image, labels, AFFINE)
    save_nifti(lab, labels.astype(np.float32) * 1.5, AFFINE)
    _, lab = make_bids_subject(root, "sub-zerobyte12", "T2w", image, labels, AFFINE)
    lab.write_bytes(b"")

    out = tmp_path / "ds"
    assert main(["--bids", str(root), "--out", str(out)]) == 0
    manifest = json.loads((out / "dataset.json").read_text())
    got = {(e["subject"], e["contrast"]) for e in manifest["entries"]}
    assert got == {("sub-abc01", "T1w"), ("sub-abc01", "T2w"), ("sub-xyz02", "T2w")}
    entry = manifest["entries"][0]
    assert entry["site"] == "abc" and entry["shape"] == [9, 48, 64]
    assert entry["zooms"] == [2.0, 0.8, 1.2] and entry["orientation"] == "RAS"
    assert entry["discs"] == [3, 4, 5, 6, 7]
    reasons = {Path(s["image"]).name.split("_")[0]: s["reason"] for s in manifest["skipped"]}
    assert "no disc label" in reasons["sub-empty03"]
    assert "not on the image grid" in reasons["sub-offgrid04"]
    assert "NaN" in reasons["sub-nan05"]
    assert "no label file" in reasons["sub-nolabel06"]
    assert "cannot be read" in reasons["sub-corrupt07"]
    assert "3-D" in reasons["sub-flat08"]
    assert "50" in reasons["sub-landmark09"] and "landmark" in reasons["sub-landmark09"]
    assert "outside 1..25" in reasons["sub-beyond10"] and "30" in reasons["sub-beyond10"]
    assert "non-integer" in reasons["sub-fraction11"]
    assert "cannot be read" in reasons["sub-zerobyte12"]
    assert str(flat) in {s["image"] for s in manifest["skipped"]}
    printed = capsys.readouterr().out
    assert "3 usable pairs from 2 subjects: T1w 1, T2w 2" in printed
    assert printed.count("skipped ") == 10


def test_no_usable_pair_is_an_error_and_writes_nothing(tmp_path, capsys):
    root = tmp_path / "bids"
    image, labels = spine_phantom()
    make_bids_subject(root, "sub-empty01", "T2w", image, np.zeros_like(labels), AFFINE)
    out = tmp_path / "ds"
    assert main(["--bids", str(root), "--out", str(out), "--quiet"]) == 1
    assert "no usable image/label pair" in _one_line_error(capsys)
    assert not (out / "dataset.json").exists()


def test_bids_root_without_subjects_is_an_error(tmp_path, capsys):
    root = tmp_path / "bids"
    (root / "derivatives").mkdir(parents=True)
    (root / "dataset_description.json").write_text("{}")
    assert main(["--bids", str(root), "--out", str(tmp_path / "ds")]) == 1
    assert str(root) in _one_line_error(capsys)
    assert not (tmp_path / "ds").exists()


def test_missing_root(tmp_path, capsys):
    assert main(["--bids", str(tmp_path / "nope"), "--out", str(tmp_path / "ds")]) == 1
    err = _one_line_error(capsys)
    assert "nope" in err and "not found" in err
    assert not (tmp_path / "ds").exists()


@pytest.mark.parametrize("argv", [["--bogus"], ["--synthetic", "x"], ["--bids"]])
def test_bad_flag_exits_2_with_one_line(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    _one_line_error(capsys)


def test_no_input_given(tmp_path, capsys):
    assert main(["--out", str(tmp_path / "ds")]) == 1
    assert "--bids" in _one_line_error(capsys)


@needs_shared(ERRSM, IVADOMED)
def test_real_data_is_gathered(tmp_path):
    out = tmp_path / "ds"
    assert main(["--bids", str(ERRSM), str(IVADOMED), "--out", str(out),
                 "--label-suffix", "labels-disc-derived", "labels-disc-manual"]) == 0
    manifest = json.loads((out / "dataset.json").read_text())
    by_subject = {e["subject"]: e for e in manifest["entries"]}
    assert set(by_subject) == {"sub-errsm11", "sub-errsm20", "sub-errsm22", "sub-sctexample",
                               "sub-unf01"}
    assert by_subject["sub-errsm11"]["discs"] == list(range(3, 11))
    assert by_subject["sub-errsm22"]["discs"] == list(range(3, 14))
    assert by_subject["sub-errsm11"]["orientation"] == "PSR"
    assert by_subject["sub-unf01"]["label"].endswith("sub-unf01_T2w_labels-disc-manual.nii.gz")
    assert manifest["skipped"] == []
