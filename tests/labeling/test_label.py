"""label.py: labels in the image's own space, orientation and resolution invariance, bad inputs.

The network is replaced by an oracle that sees phantom discs exactly (tests/oracle.py), so these
tests pin down label.py's own work (slice choice, decoding, mapping back, outputs) and give the
same verdict on every machine; how well a trained model labels discs is the accuracy report's
job. What happens with no spine is pinned down the same way: the chain decoder's no-spine rule
by tests/labeling/test_chain.py on hand-made heatmaps, and label.py's empty output here with a model
whose heatmaps are 0 everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch

import phantom
from conftest import ERRSM, make_bids_subject, needs_shared
from disclabel.cli import label as label_cli
from disclabel.data.contrast import invert_in_body
from disclabel.labeling import labeler as labeler_module
from disclabel.labeling import runtime, torchnet
from disclabel.labeling.chain import ChainResult
from disclabel.labeling.labeler import Labeler, sweep_positions
from disclabel.labeling.polarity import prefer_inverted
from disclabel.labeling.runtime import default_weights
from disclabel.model.checkpoint import save_checkpoint
from disclabel.model.hourglass import build_model
from disclabel.viz.qc import qc_title
from oracle import PhantomOracle

ORIENTATIONS = ["RAS", "LPI", "PSR", "PIR", "oblique"]


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    """A checkpoint file that label.py loads; its network is swapped for the oracle below."""
    model = build_model({"stacks": 1, "features": 16, "attention": True})
    path = tmp_path_factory.mktemp("oracle") / "oracle.pt"
    save_checkpoint(path, model, data={"pixel_mm": 1.0})
    return path


@pytest.fixture(autouse=True)
def oracle_behind(weights, monkeypatch):
    """Loading ``weights`` gives the phantom oracle instead of the saved network."""
    real = torchnet.model_from_checkpoint

    def load(path):
        model, ckpt = real(path)
        return (PhantomOracle(), ckpt) if Path(path) == weights else (model, ckpt)

    monkeypatch.setattr(torchnet, "model_from_checkpoint", load)


@pytest.fixture(scope="module")
def labeler(weights) -> Labeler:
    labeler = Labeler(weights, device="cpu")
    labeler.network.model = PhantomOracle()
    return labeler


def _save(img: nib.Nifti1Image, path: Path) -> Path:
    nib.save(img, str(path))
    return path


def test_finds_and_names_the_phantom_discs(labeler, tmp_path):
    image, affine = phantom.render(1.0)
    result = labeler.label(_save(nib.Nifti1Image(image, affine), tmp_path / "p.nii.gz"))
    tips = phantom.posterior_tips(phantom.disc_centres())
    assert [d.number for d in result.discs] == sorted(tips)
    for disc in result.discs:
        # sagittal-plane error (A-P, S-I); left-right comes from the chosen slice
        assert np.linalg.norm(np.array(disc.world_mm)[1:] - tips[disc.number][1:]) < 3.0


@pytest.fixture(scope="module")
def oriented_results(labeler, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("orient")
    # 0.3 mm off the voxel grid: no disc centre lies exactly between two voxels, where rounding
    # could go either way
    image, affine = phantom.render(1.0, phantom.disc_centres(shift_mm=0.3))
    return {code: labeler.label(_save(phantom.reorient(image, affine, code),
                                      tmp / f"{code}.nii.gz"))
            for code in ORIENTATIONS}


@pytest.mark.parametrize("code", ORIENTATIONS[1:])
def test_orientation_invariance(oriented_results, code):
    ref = {d.number: np.array(d.world_mm) for d in oriented_results["RAS"].discs}
    got = {d.number: np.array(d.world_mm) for d in oriented_results[code].discs}
    assert len(ref) >= 4 and set(got) == set(ref)
    if code == "oblique":
        # the same voxels, a rotated world: compare in voxel space instead
        ref_vox = {d.number: d.voxel for d in oriented_results["RAS"].discs}
        for d in oriented_results[code].discs:
            assert np.abs(np.subtract(d.voxel, ref_vox[d.number]))[1:].max() <= 1
        return
    for number in ref:
        assert np.abs(got[number] - ref[number]).max() <= 0.5 + 1e-6, (number, got, ref)


def test_resolution_invariance(labeler, tmp_path):
    results = {}
    for zoom in (0.8, 1.3):
        image, affine = phantom.render(zoom)
        results[zoom] = labeler.label(_save(nib.Nifti1Image(image, affine),
                                            tmp_path / f"z{zoom}.nii.gz"))
    a = {d.number: np.array(d.world_mm) for d in results[0.8].discs}
    b = {d.number: np.array(d.world_mm) for d in results[1.3].discs}
    assert len(a) >= 4 and set(a) == set(b)
    for number in a:
        # in-plane (A-P, S-I) positions within 1 mm, plus half a voxel of rounding at 1.3 mm
        assert np.abs(a[number][1:] - b[number][1:]).max() <= 1.0 + 0.65 + 0.4, number


def test_output_has_input_geometry_and_one_voxel_per_disc(weights, tmp_path, capsys):
    image, affine = phantom.render(1.0)
    src = _save(phantom.reorient(image, affine, "PSR"), tmp_path / "sub-a_T2w.nii.gz")
    assert label_cli.main([str(src), "--weights", str(weights), "--device", "cpu",
                           "--qc", str(tmp_path / "qc")]) == 0
    out = tmp_path / "sub-a_T2w_labels-disc.nii.gz"
    lab, ref = nib.load(str(out)), nib.load(str(src))
    assert lab.shape == ref.shape and np.allclose(lab.affine, ref.affine)
    assert nib.aff2axcodes(lab.affine) == ("P", "S", "R")
    data = np.asarray(lab.dataobj)
    assert np.issubdtype(data.dtype, np.integer)
    values, counts = np.unique(data[data > 0], return_counts=True)
    assert len(values) >= 4 and np.all(counts == 1) and np.all((values >= 1) & (values <= 25))
    sidecar = json.loads((tmp_path / "sub-a_T2w_labels-disc.json").read_text())
    assert [d["number"] for d in sidecar["discs"]] == values.tolist()
    assert len(sidecar["model"]["sha256"]) == 64 and sidecar["software"]["version"]
    for d in sidecar["discs"]:
        assert data[tuple(d["voxel"])] == d["number"]
    assert (tmp_path / "qc" / "sub-a_T2w_labels-disc_qc.png").exists()


@pytest.fixture(scope="module")
def silent_weights(tmp_path_factory) -> Path:
    """A model whose every weight is 0: its heatmaps are 0 everywhere, whatever the input (the
    label.py path for "no disc found", independent of what a trained model does)."""
    model = build_model({"stacks": 1, "features": 16, "attention": True})
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
    path = tmp_path_factory.mktemp("silent") / "silent.pt"
    save_checkpoint(path, model, data={"pixel_mm": 1.0})
    return path


@pytest.mark.parametrize("kind", ["noise"])
def test_no_disc_gives_an_empty_label_file_and_a_warning(silent_weights, tmp_path, capsys, kind):
    rng = np.random.default_rng(1)
    data = np.zeros((30, 90, 120), np.float32) if kind == "zeros" else \
        rng.random((30, 90, 120)).astype(np.float32)
    src = _save(nib.Nifti1Image(data, np.eye(4)), tmp_path / f"{kind}.nii.gz")
    assert label_cli.main([str(src), "--weights", str(silent_weights), "--device", "cpu"]) == 0
    out = nib.load(str(tmp_path / f"{kind}_labels-disc.nii.gz"))
    assert out.shape == data.shape and not np.asarray(out.dataobj).any()
    assert "no disc found" in capsys.readouterr().err
    sidecar = json.loads((tmp_path / f"{kind}_labels-disc.json").read_text())
    assert sidecar["discs"] == [] and sidecar["numbering"]["top_disc"] is None


def _truncated(tmp: Path) -> Path:
    whole = _save(nib.Nifti1Image(np.random.default_rng(0).random((30, 40, 50), np.float32),
                                  np.eye(4)), tmp / "whole.nii.gz").read_bytes()
    path = tmp / "truncated.nii.gz"
    path.write_bytes(whole[: len(whole) // 2])
    return path


def _huge_header(tmp: Path) -> Path:
    """A file whose header announces 5000^3 voxels (and holds almost none)."""
    header = nib.Nifti1Header()
    header.set_data_shape((5000, 5000, 5000))
    header.set_data_dtype(np.uint8)
    path = tmp / "huge.nii"
    path.write_bytes(header.binaryblock + b"\0" * 4 + b"\0" * 1000)
    return path


def _sform_only(data: np.ndarray, affine: np.ndarray) -> nib.Nifti1Image:
    """An image whose only affine is ``affine`` (a degenerate one cannot be a qform)."""
    img = nib.Nifti1Image(data, np.eye(4))
    img.set_qform(None)
    img.set_sform(affine, 1)
    return img


def _bad_inputs(tmp: Path) -> dict[str, Path]:
    bad = {"missing": tmp / "missing.nii.gz", "not-nifti": tmp / "text.nii.gz",
           "folder": tmp / "folder.nii.gz"}
    bad["not-nifti"].write_text("not an image")
    bad["folder"].mkdir()
    bad["truncated"] = _truncated(tmp)
    bad["2d"] = _save(nib.Nifti1Image(np.zeros((20, 20), np.float32), np.eye(4)),
                      tmp / "flat.nii.gz")
    bad["4d"] = _save(nib.Nifti1Image(np.zeros((10, 10, 10, 3), np.float32), np.eye(4)),
                      tmp / "fmri.nii.gz")
    bad["zeros"] = _save(nib.Nifti1Image(np.zeros((10, 10, 10), np.float32), np.eye(4)),
                         tmp / "zeros.nii.gz")
    for kind, value in (("nan", np.nan), ("inf", np.inf)):
        data = np.random.default_rng(0).random((10, 10, 10)).astype(np.float32)
        data[5, 5, 5] = value
        bad[kind] = _save(nib.Nifti1Image(data, np.eye(4)), tmp / f"{kind}.nii.gz")
    bad["huge"] = _huge_header(tmp)
    noise = np.random.default_rng(0).random((10, 10, 10)).astype(np.float32)
    singular = np.eye(4)
    singular[:3, 2] = singular[:3, 1]
    bad["singular"] = _save(_sform_only(noise, singular), tmp / "singular.nii.gz")
    bad["zero-voxel"] = _save(_sform_only(noise, np.diag([1.0, 0.0, 1.0, 1.0])),
                              tmp / "zero_voxel.nii.gz")
    return bad


BAD_INPUTS = [("missing", "not found"), ("not-nifti", "NIfTI"), ("folder", "not a file"),
              ("truncated", "cannot be read"), ("2d", "3-D"), ("4d", "3-D"),
              ("zeros", "nothing to label"), ("nan", "NaN"), ("inf", "infinite"),
              ("huge", "larger than the limit"), ("singular", "singular"),
              ("zero-voxel", "zero voxel size")]


@pytest.mark.parametrize("kind,needle", BAD_INPUTS)
def test_bad_inputs_exit_non_zero_and_write_nothing(weights, tmp_path, capsys, kind, needle):
    path = _bad_inputs(tmp_path)[kind]
    before = set(tmp_path.iterdir())
    assert label_cli.main([str(path), "--weights", str(weights), "--device", "cpu"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert needle in err[0] and str(path) in err[0]
    assert set(tmp_path.iterdir()) == before


def test_a_bad_image_in_a_batch_is_skipped_and_the_others_labelled(weights, tmp_path, capsys):
    image, affine = phantom.render(1.0)
    good = _save(nib.Nifti1Image(image, affine), tmp_path / "good.nii.gz")
    bad = _truncated(tmp_path)
    out = tmp_path / "out"
    assert label_cli.main([str(bad), str(good), "-o", str(out), "--weights", str(weights),
                           "--device", "cpu"]) == 1
    err = capsys.readouterr().err
    assert f"{bad}: cannot be read" in err or f"{bad}: voxel data cannot be read" in err
    assert "1 of 2 images failed" in err
    assert {p.name for p in out.iterdir()} == {"good_labels-disc.nii.gz",
                                               "good_labels-disc.json"}


def _labels_of(path: Path) -> np.ndarray:
    return np.asarray(nib.load(str(path)).dataobj)


@pytest.mark.parametrize("kind", ["4d-one-volume", "int16-with-slope"])
def test_accepted_variants_give_the_labels_of_the_plain_image(weights, tmp_path, kind):
    image, affine = phantom.render(1.0)
    plain = _save(nib.Nifti1Image(image, affine), tmp_path / "plain.nii.gz")
    if kind == "4d-one-volume":
        variant = nib.Nifti1Image(image[..., None], affine)
    else:
        scaled = np.rint(image / image.max() * 1000).astype(np.int16)
        variant = nib.Nifti1Image(scaled, affine)
        variant.header.set_slope_inter(image.max() / 1000, 0.0)
    other = _save(variant, tmp_path / "variant.nii.gz")
    for path in (plain, other):
        assert label_cli.main([str(path), "--weights", str(weights), "--device", "cpu"]) == 0
    expected = _labels_of(tmp_path / "plain_labels-disc.nii.gz")
    got = _labels_of(tmp_path / "variant_labels-disc.nii.gz")
    assert expected.any() and got.shape == image.shape and np.array_equal(got, expected)


def test_an_output_that_cannot_be_written_is_an_error(weights, tmp_path, capsys):
    image, affine = phantom.render(1.0)
    src = _save(nib.Nifti1Image(image, affine), tmp_path / "img.nii.gz")
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    target = blocker / "sub" / "out.nii.gz"
    assert label_cli.main([str(src), "-o", str(target), "--weights", str(weights),
                           "--device", "cpu"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert "cannot be written" in err[0] and str(target) in err[0]


@pytest.mark.parametrize("argv", [["--no-such-flag"], ["x.nii.gz", "--device"],
                                  ["x.nii.gz", "--shard", "two"],
                                  ["x.nii.gz", "--polarity", "both"]])
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        label_cli.main(argv)
    assert exc.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_missing_default_weights_message(tmp_path, capsys):
    image, affine = phantom.render(2.0)
    src = _save(nib.Nifti1Image(image, affine), tmp_path / "x.nii.gz")
    code = label_cli.main([str(src), "--weights", str(tmp_path / "none.pt")])
    assert code == 1 and "checkpoint not found" in capsys.readouterr().err


def test_bids_mode_writes_derivatives(weights, tmp_path):
    root = tmp_path / "bids"
    image, affine = phantom.render(1.0)
    make_bids_subject(root, "sub-x01", "T2w", image, None, affine)
    make_bids_subject(root, "sub-x02", "T1w", image, None, affine)
    assert label_cli.main(["--bids", str(root), "--weights", str(weights),
                           "--device", "cpu"]) == 0
    deriv = root / "derivatives" / "labels"
    assert (deriv / "sub-x01" / "anat" / "sub-x01_T2w_labels-disc.nii.gz").exists()
    assert (deriv / "sub-x02" / "anat" / "sub-x02_T1w_labels-disc.json").exists()
    assert json.loads((deriv / "dataset_description.json").read_text())["DatasetType"] == \
        "derivative"


def _label_outputs(folder: Path) -> dict[str, tuple]:
    """Each label file under ``folder``: its voxels and its sidecar's discs and numbering."""
    out = {}
    for path in sorted(folder.rglob("*_labels-disc.nii.gz")):
        sidecar = json.loads(path.with_name(path.name.replace(".nii.gz", ".json")).read_text())
        out[str(path.relative_to(folder))] = (np.asarray(nib.load(str(path)).dataobj).tobytes(),
                                              sidecar["discs"], sidecar["numbering"])
    return out


def test_shards_split_a_bids_dataset_without_overlap_and_give_the_same_labels(weights,
                                                                              tmp_path, capsys):
    root = tmp_path / "bids"
    image, affine = phantom.render(1.0)
    for i, code in enumerate(["RAS", "LPI", "PSR", "PIR", "RAS"]):
        oriented = phantom.reorient(image, affine, code)
        make_bids_subject(root, f"sub-x{i:02d}", "T2w", np.asarray(oriented.dataobj),
                          None, oriented.affine)
    common = ["--bids", str(root), "--weights", str(weights), "--device", "cpu"]
    assert label_cli.main([*common, "-o", str(tmp_path / "whole")]) == 0
    whole = _label_outputs(tmp_path / "whole")
    assert len(whole) == 5
    sharded, seen = tmp_path / "sharded", set()
    for k in (1, 2, 3):
        assert label_cli.main([*common, "-o", str(sharded), "--shard", f"{k}/3"]) == 0
        new = set(_label_outputs(sharded)) - seen
        assert f"shard {k}/3: {len(new)} images" in capsys.readouterr().out
        assert len(new) in (1, 2)
        seen |= new
    assert _label_outputs(sharded) == whole


@pytest.mark.parametrize("value", ["3/2", "0/2", "1-2", "a/b"])
def test_bad_shard_is_a_usage_error(weights, tmp_path, capsys, value):
    with pytest.raises(SystemExit) as exc:
        label_cli.main([str(tmp_path / "x.nii.gz"), "--shard", value])
    assert exc.value.code == 2 and "--shard" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_several_inputs_to_a_folder(weights, tmp_path):
    image, affine = phantom.render(1.0)
    a = _save(nib.Nifti1Image(image, affine), tmp_path / "a.nii.gz")
    b = _save(phantom.reorient(image, affine, "LPI"), tmp_path / "b.nii")
    assert label_cli.main([str(a), str(b), "-o", str(tmp_path / "out"), "--weights",
                           str(weights), "--device", "cpu"]) == 0
    assert {p.name for p in (tmp_path / "out").glob("*.nii.gz")} == {
        "a_labels-disc.nii.gz", "b_labels-disc.nii.gz"}


def test_sweep_positions():
    """Every step from the middle slice outwards, over the whole extent or within a band (mm);
    slices thicker than the step are all taken."""
    assert sweep_positions(13, 1.0, 4.0) == [2, 6, 10]
    assert sweep_positions(52, 1.0, 4.0)[:3] == [1, 5, 9] and 25 in sweep_positions(52, 1.0, 4.0)
    assert sweep_positions(52, 1.0, 2.0, (20.0, 30.0)) == [21, 23, 25, 27, 29]
    assert sweep_positions(15, 3.5, 4.0) == list(range(15))
    assert sweep_positions(15, 3.5, 2.0, (10.0, 20.0)) == [3, 4, 5]
    assert sweep_positions(1, 1.0, 4.0) == [0]


def test_missing_shipped_model_message(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(runtime, "default_weights", lambda: tmp_path / "none.pt")
    image, affine = phantom.render(2.0)
    src = _save(nib.Nifti1Image(image, affine), tmp_path / "x.nii.gz")
    assert label_cli.main([str(src)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "make model" in err and "none.pt" in err


@needs_shared(ERRSM)
@pytest.mark.skipif(not default_weights().is_file(), reason="the shipped model is not installed")
def test_the_shipped_model_labels_a_real_volume_without_weights(tmp_path):
    """label.py out of the box on a real volume: the shipped model is found and loaded, and the
    outputs are complete and in the image's space (its accuracy is the accuracy report's job)."""
    src = ERRSM / "sub-errsm20" / "anat" / "sub-errsm20_T2w.nii.gz"
    out = tmp_path / "sub-errsm20_T2w_labels-disc.nii.gz"
    assert label_cli.main([str(src), "-o", str(out), "--qc", str(tmp_path / "qc"),
                           "--device", "cpu"]) == 0
    lab, ref = nib.load(str(out)), nib.load(str(src))
    assert lab.shape == ref.shape and np.allclose(lab.affine, ref.affine)
    sidecar = json.loads(out.with_name("sub-errsm20_T2w_labels-disc.json").read_text())
    assert sidecar["model"]["path"] == str(default_weights())
    assert {"top_disc", "offset_margin_nats", "offset_probability"} <= set(sidecar["numbering"])
    assert (tmp_path / "qc" / "sub-errsm20_T2w_labels-disc_qc.png").exists()


def test_bids_root_without_subjects_is_an_error(weights, tmp_path, capsys):
    root = tmp_path / "bids"
    root.mkdir()
    assert label_cli.main(["--bids", str(root), "--weights", str(weights)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(root) in err[0] and "no T1w/T2w image" in err[0]
    assert list(root.iterdir()) == []


@pytest.mark.parametrize("margin, warned", [(1.2, True), (3.5, False), (float("inf"), False)])
def test_an_uncertain_numbering_is_flagged(weights, tmp_path, capsys, monkeypatch, margin,
                                           warned):
    """label.py warns (and the QC title says so) when the numbering margin is below
    CHECK_MARGIN_NATS; the labels are written either way. (The chain is made anchored at C2,
    so that the margin alone decides.)"""
    real = labeler_module.decode_chain

    def decode(*args, **kwargs):
        result = real(*args, **kwargs)
        if result.offset is not None:
            result.margin = margin
            result.anchors = ["C2"]
        return result

    monkeypatch.setattr(labeler_module, "decode_chain", decode)
    image, affine = phantom.render(1.0)
    src = _save(nib.Nifti1Image(image, affine), tmp_path / "p.nii.gz")
    assert label_cli.main([str(src), "--weights", str(weights), "--device", "cpu"]) == 0
    err = capsys.readouterr().err
    assert ("numbering uncertain (margin 1.2 nats, below 3)" in err) == warned
    assert (tmp_path / "p_labels-disc.nii.gz").is_file()
    result = Labeler(weights, device="cpu")
    result.network.model = PhantomOracle()
    title_has_check = "check by eye" in qc_title(result.label(src))
    assert title_has_check == warned


@pytest.mark.parametrize("recognised, anchors, margin, expected, column_end", [
    (True, ["C2"], 9.0, [], None),
    (True, [], 9.0, ["numbering not anchored: neither"], None),
    (False, [], 9.0, ["discs not recognised (mean identity share 0.09, below 0.12)"], None),
    (True, ["sacrum"], 1.0, ["numbering uncertain (margin 1.0 nats"], None),
    (False, [], 1.0, ["discs not recognised", "numbering uncertain"], None),
    (True, [], 9.0, ["numbering not anchored: the lowest disc is taken as L5/S1"], 80.0),
    (False, [], -2.0, ["discs not recognised", "numbering not anchored: the lowest disc",
                       "numbering uncertain (margin -2.0 nats"], 80.0),
])
def test_an_unanchored_or_unrecognised_numbering_is_flagged(weights, tmp_path, capsys,
                                                             monkeypatch, recognised, anchors,
                                                             margin, expected, column_end):
    """The console, the sidecar and the QC title say when the numbering is counted from no
    recognised end of the spine (or from the lowest disc taken as L5/S1), or when the network
    does not recognise the discs at all; a chain anchored at C2 or at the sacrum with a clear
    margin gets no warning."""
    real = labeler_module.decode_chain

    def decode(*args, **kwargs):
        result = real(*args, **kwargs)
        if result.offset is not None:
            result.margin, result.recognised, result.anchors = margin, recognised, anchors
            result.column_end_mm = column_end
            if not recognised:
                result.identity[np.isfinite(result.coords[:, 0])] = 0.09
        return result

    monkeypatch.setattr(labeler_module, "decode_chain", decode)
    image, affine = phantom.render(1.0)
    src = _save(nib.Nifti1Image(image, affine), tmp_path / "p.nii.gz")
    labeler = Labeler(weights, device="cpu")
    labeler.network.model = PhantomOracle()
    result = labeler.label(src)
    assert result.discs and len(result.warnings) == len(expected)
    for warning, start in zip(result.warnings, expected, strict=True):
        assert warning.startswith(start) and "by eye" in warning
    sidecar = labeler.sidecar(result, tmp_path / "p_labels-disc.nii.gz")
    assert sidecar["warnings"] == result.warnings
    assert sidecar["numbering"]["anchors"] == anchors
    assert sidecar["numbering"]["discs_recognised"] == recognised
    assert sidecar["numbering"]["lowest_disc_taken_as_l5s1"] == (column_end is not None)
    title = qc_title(result)
    assert len(title.splitlines()) == 1  # outcome warnings are summed up on the first line
    assert ("check by eye" in title) == bool(expected)
    assert ("from " + " and ".join(anchors) in title) == bool(anchors and recognised)
    assert ("discs not recognised" in title) == (not recognised)
    assert ("lowest disc taken as L5/S1" in title) == (column_end is not None)


def test_explain_prints_the_numbering_vote(weights, tmp_path, capsys):
    image, affine = phantom.render(1.0)
    src = _save(nib.Nifti1Image(image, affine), tmp_path / "p.nii.gz")
    common = [str(src), "--weights", str(weights), "--device", "cpu"]
    assert label_cli.main([*common, "--explain"]) == 0
    out = capsys.readouterr().out
    assert "numberings, best first" in out and out.count(" leans to ") >= 4
    assert label_cli.main(common) == 0
    assert "numberings, best first" not in capsys.readouterr().out


def test_polarity_must_be_known(weights):
    with pytest.raises(ValueError, match="polarity"):
        Labeler(weights, device="cpu", polarity="negative")


def test_an_inverted_reading_feeds_the_network_inverted_slices(labeler, tmp_path, monkeypatch):
    image, affine = phantom.render(1.0)
    loaded = labeler_module.read_volume(_save(nib.Nifti1Image(image, affine),
                                              tmp_path / "p.nii.gz"))
    seen: list[np.ndarray] = []
    network = labeler.network

    class Recorder:
        pixel_mm = network.pixel_mm

        def __call__(self, batch: np.ndarray) -> np.ndarray:
            seen.append(np.array(batch))
            return network(batch)

    monkeypatch.setattr(labeler, "network", Recorder())
    for invert in (False, True):
        labeler._run_slices(loaded.volume, loaded.nii.affine, [15], {}, None, invert)
    acquired, inverted = seen
    assert acquired.max() > 0.5 and not np.array_equal(acquired, inverted)
    np.testing.assert_array_equal(inverted[0, 0], invert_in_body(acquired[0, 0]))


@pytest.mark.parametrize("bonus, kept", [(0.0, "acquired"), (9.0, "acquired"),
                                         (10.0, "inverted"), (25.0, "inverted")])
def test_polarity_auto_keeps_the_inverted_reading_only_when_far_surer(labeler, tmp_path,
                                                                       monkeypatch, bonus, kept):
    """The readings are the phantom's own (the inversion made a no-op), their margins set by
    hand: the inverted one replaces the acquired one from POLARITY_SWITCH_NATS (10) more."""
    image, affine = phantom.render(1.0)
    path = _save(nib.Nifti1Image(image, affine), tmp_path / "p.nii.gz")
    real_read = Labeler._read

    def read(self, volume, affine, invert):
        reading = real_read(self, volume, affine, invert)
        reading.chain.margin = 5.0 + (bonus if invert else 0.0)
        return reading

    monkeypatch.setattr(labeler_module, "invert_in_body", lambda image: image)
    monkeypatch.setattr(Labeler, "_read", read)
    monkeypatch.setattr(labeler, "polarity", "auto")
    result = labeler.label(path)
    assert result.polarity == {"mode": "auto", "read_as": kept,
                               "margins_nats": {"acquired": 5.0, "inverted": 5.0 + bonus}}
    assert result.chain.margin == (5.0 + bonus if kept == "inverted" else 5.0)
    assert ("read with its contrast inverted" in qc_title(result)) == (kept == "inverted")
    sidecar = labeler.sidecar(result, tmp_path / "p_labels-disc.nii.gz")
    assert sidecar["polarity"]["read_as"] == kept


def test_prefer_inverted_needs_a_chain_read_as_acquired():
    def chain(offset, margin):
        return ChainResult(np.zeros((25, 2)), np.zeros(25), np.zeros(25), offset=offset,
                           margin=margin)

    assert prefer_inverted(chain(3, 1.0), chain(3, 11.0))
    assert not prefer_inverted(chain(3, 1.0), chain(3, 10.9))
    assert not prefer_inverted(chain(None, float("nan")), chain(3, 40.0))
    assert not prefer_inverted(chain(3, 1.0), chain(None, float("nan")))
    assert not prefer_inverted(chain(3, float("inf")), chain(3, float("inf")))


def test_polarity_inverted_reads_only_the_inverted_slices(labeler, tmp_path, monkeypatch):
    image, affine = phantom.render(2.0)
    path = _save(nib.Nifti1Image(image, affine), tmp_path / "p.nii.gz")
    reads: list[bool] = []
    real_read = Labeler._read

    def read(self, volume, affine, invert):
        reads.append(invert)
        return real_read(self, volume, affine, invert)

    monkeypatch.setattr(Labeler, "_read", read)
    monkeypatch.setattr(labeler, "polarity", "inverted")
    result = labeler.label(path)
    assert reads == [True] and result.polarity == {"mode": "inverted", "read_as": "inverted"}


def test_the_sidecar_says_the_volume_was_read_as_acquired_by_default(labeler, tmp_path):
    image, affine = phantom.render(2.0)
    result = labeler.label(_save(nib.Nifti1Image(image, affine), tmp_path / "p.nii.gz"))
    assert result.polarity == {"mode": "acquired", "read_as": "acquired"}
    assert not result.read_inverted
    sidecar = labeler.sidecar(result, tmp_path / "p_labels-disc.nii.gz")
    assert sidecar["polarity"] == {"mode": "acquired", "read_as": "acquired"}
