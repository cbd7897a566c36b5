"""prepare_trainset.py: subject-level split, prepared samples, determinism, bad inputs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from conftest import ERRSM, IVADOMED, make_bids_subject, needs_shared, spine_phantom
from disclabel.cli import create_dataset, prepare_trainset
from disclabel.constants import SPLIT_NAMES
from disclabel.data import splits
from disclabel.data.geometry import pixels_to_world
from disclabel.data.io import read_npz

AFFINE = np.diag([2.0, 0.8, 1.2, 1.0])


def _phantom_dataset(tmp_path: Path, subjects: list[str]) -> Path:
    root = tmp_path / "bids"
    for i, subject in enumerate(subjects):
        image, labels = spine_phantom(seed=i)
        for contrast in ("T1w", "T2w"):
            make_bids_subject(root, subject, contrast, image, labels, AFFINE)
    out = tmp_path / "ds"
    assert create_dataset.main(["--bids", str(root), "--out", str(out), "--quiet"]) == 0
    return out


SUBJECTS = [f"sub-{site}{n:02d}" for site in ("amu", "bcn", "cmrra") for n in range(1, 5)]


def test_split_has_no_overlap_and_keeps_contrasts_together(tmp_path):
    source = _phantom_dataset(tmp_path, SUBJECTS)
    target = tmp_path / "prep"
    assert prepare_trainset.main(["--source", str(source), "--target", str(target),
                                  "--grid", "128", "64", "--no-progress"]) == 0
    document = json.loads((target / "splits.json").read_text())
    splits.check_no_overlap(document["sides"])
    sides = {}
    for name in SPLIT_NAMES:
        data = read_npz(target / f"{name}.npz")
        for subject in data["subjects"]:
            assert sides.setdefault(str(subject), name) == name
        assert Counter(data["contrasts"].tolist()).get("T1w", 0) == \
            Counter(data["contrasts"].tolist()).get("T2w", 0)
    assert set(sides) == set(SUBJECTS)
    counts = Counter(sides.values())
    assert counts["val"] >= 1 and counts["test"] >= 1 and counts["train"] >= 8


def test_split_is_stratified_by_site():
    sites = {f"sub-{site}{n:02d}": site for site in ("amu", "bcn", "cmrra", "dcm")
             for n in range(10)}
    assignment = splits.assign(sites, (0.8, 0.1, 0.1), seed=42)
    for site in ("amu", "bcn", "cmrra", "dcm"):
        per_site = Counter(v for s, v in assignment.items() if sites[s] == site)
        assert 6 <= per_site["train"] <= 10, per_site
    total = Counter(assignment.values())
    assert total == {"train": 32, "val": 4, "test": 4}


def test_split_reused_and_extended_without_moving_old_subjects():
    sites = {s: s[4:-2] for s in SUBJECTS}
    first = splits.assign(sites, (0.8, 0.1, 0.1), seed=7)
    more = dict(sites, **{f"sub-new{n:02d}": "new" for n in range(5)})
    second = splits.assign(more, (0.8, 0.1, 0.1), seed=7, existing=first)
    assert {s: second[s] for s in first} == first
    assert set(second) == set(more)
    assert splits.assign(sites, (0.8, 0.1, 0.1), seed=7) == first
    assert splits.assign(sites, (0.8, 0.1, 0.1), seed=8) != first


def test_existing_split_file_is_reused(tmp_path):
    source = _phantom_dataset(tmp_path, SUBJECTS)
    target = tmp_path / "prep"
    args = ["--source", str(source), "--target", str(target), "--grid", "128", "64",
            "--no-progress"]
    assert prepare_trainset.main(args) == 0
    before = json.loads((target / "splits.json").read_text())["subjects"]
    # a different seed must not move anyone once the split is written
    assert prepare_trainset.main(args + ["--seed", "3"]) == 0
    assert json.loads((target / "splits.json").read_text())["subjects"] == before


def test_same_inputs_give_byte_identical_outputs(tmp_path):
    source = _phantom_dataset(tmp_path, SUBJECTS[:6])
    outputs = []
    for name in ("a", "b"):
        target = tmp_path / name
        assert prepare_trainset.main(["--source", str(source), "--target", str(target),
                                      "--grid", "128", "64", "--no-progress"]) == 0
        outputs.append(target)
    for name in ["splits.json", "train.npz", "val.npz", "test.npz"]:
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes(), name
    with np.load(outputs[0] / "train.npz", allow_pickle=False) as data:
        assert data["images"].dtype == np.float32 and data["keypoints"].shape[1:] == (25, 2)


def test_bad_entry_is_skipped_and_others_prepared(tmp_path, capsys):
    source = _phantom_dataset(tmp_path, SUBJECTS[:4])
    manifest = json.loads((source / "dataset.json").read_text())
    Path(manifest["entries"][0]["image"]).write_bytes(b"corrupt")
    target = tmp_path / "prep"
    assert prepare_trainset.main(["--source", str(source), "--target", str(target),
                                  "--grid", "128", "64", "--no-progress"]) == 0
    meta = json.loads((target / "meta.json").read_text())
    assert len(meta["skipped"]) == 1 and "cannot be read" in meta["skipped"][0]["reason"]
    assert "skipped" in capsys.readouterr().out
    assert sum(c["samples"] for c in meta["counts"].values()) > 0


@pytest.mark.parametrize("argv,needle", [
    (["--split", "0.5", "-1", "0.5"], "--split"),
    (["--grid", "100", "256"], "--grid"),
    (["--pixel-mm", "0"], "--pixel-mm"),
    ([], "manifest"),
])
def test_bad_arguments_write_nothing(tmp_path, capsys, argv, needle):
    target = tmp_path / "prep"
    code = prepare_trainset.main(["--source", str(tmp_path / "none"), "--target", str(target),
                                  *argv])
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err
    assert not target.exists() or not any(target.iterdir())


def test_bad_flag(capsys):
    with pytest.raises(SystemExit) as info:
        prepare_trainset.main(["--split", "0.5"])
    assert info.value.code == 2


@needs_shared(ERRSM, IVADOMED)
def test_real_data_prepared_and_errsm11_labels_land_on_the_image(tmp_path):
    source = tmp_path / "ds"
    assert create_dataset.main(["--bids", str(ERRSM), str(IVADOMED), "--out", str(source),
                                "--label-suffix", "labels-disc-derived", "labels-disc-manual",
                                "--quiet"]) == 0
    target = tmp_path / "prep"
    assert prepare_trainset.main(["--source", str(source), "--target", str(target),
                                  "--no-progress"]) == 0
    data = {name: read_npz(target / f"{name}.npz") for name in SPLIT_NAMES}
    meta = json.loads((target / "meta.json").read_text())
    # one physical scale: 1 mm pixels, each split's grid holds its fields of view whole
    # (errsm: 216-225 x 384 mm -> 256 x 384 pixels)
    side = next(n for n in SPLIT_NAMES if "sub-errsm11" in data[n]["subjects"])
    assert meta["grid_shapes"][side] == [256, 384]
    assert np.allclose(data[side]["pixel_mm"], 1.0)
    merged = data[side]
    rows = np.nonzero(merged["subjects"] == "sub-errsm11")[0]
    assert len(rows) >= 1
    label = ERRSM / "derivatives/labels/sub-errsm11/anat/sub-errsm11_T2w_labels-disc-derived.nii.gz"
    import nibabel as nib

    lab = nib.load(str(label))
    values = np.asarray(lab.dataobj)
    for i in rows:
        kp, vis, pix = merged["keypoints"][i], merged["visible"][i], merged["pixel_mm"][i]
        present = np.nonzero(vis)[0] + 1
        assert present.tolist() == list(range(3, 11))
        r = kp[present - 1, 0]
        assert np.all(np.diff(r) > 0), "discs not in order head to feet"
        spacing = np.linalg.norm(np.diff(kp[present - 1], axis=0), axis=1) * pix
        assert np.all((spacing > 10) & (spacing < 25)), spacing
        image = merged["images"][i]
        assert image.min() >= 0 and image.max() <= 1
        # every keypoint maps back to its label voxel's world position (in the sagittal plane)
        world = pixels_to_world(kp[present - 1], merged["pix2vox"][i], merged["vox2world"][i])
        for disc, w in zip(present, world, strict=True):
            vox = np.argwhere(values == disc)[0]
            ref = (lab.affine @ np.r_[vox, 1.0])[:3]
            # PSR: world axes 1 (A-P) and 2 (S-I) are in-plane
            assert np.abs(w[1:] - ref[1:]).max() < 0.5, (disc, w, ref)
    assert meta["channels"][2] == {"channel": 2, "disc": 3, "name": "C2/C3"}
    assert len(meta["manifest_sha256"]) == 64


def test_outputs_are_ordinary_readable_files(tmp_path):
    from disclabel.data.io import write_json

    write_json(tmp_path / "x.json", {"a": 1})
    assert (tmp_path / "x.json").stat().st_mode & 0o044 == 0o044
