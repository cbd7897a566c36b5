"""The Python API as a notebook user calls it: ``from disclabel import label, Labeler`` and the
research stages as functions (``disclabel.create_dataset`` ... ``disclabel.make_res_gif``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nibabel as nib
import numpy as np
import pytest

import disclabel
import phantom
from conftest import ERRSM, REPO, TINY_AFFINE, make_bids_subject, needs_shared, spine_phantom
from disclabel.data.io import InputError
from disclabel.labeling.runtime import default_weights

SHIPPED = pytest.mark.skipif(not default_weights().is_file(),
                             reason="the shipped model is not installed")
ERRSM20 = ERRSM / "sub-errsm20" / "anat" / "sub-errsm20_T2w.nii.gz"


def _python(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=False)


def test_import_disclabel_imports_nothing_else():
    done = _python("import sys, disclabel; "
                   "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
                   "('torch', 'onnxruntime', 'matplotlib', 'nibabel') "
                   "or m.startswith('disclabel.') and m != 'disclabel.version'); "
                   "print(heavy); assert not heavy")
    assert done.returncode == 0, done.stdout + done.stderr


def test_public_names_resolve_to_their_modules():
    from disclabel import api, stages

    assert disclabel.label is api.label and disclabel.Labeler is api.Labeler
    assert disclabel.train is stages.train and disclabel.evaluate_model is stages.evaluate_model
    assert set(disclabel.__all__) <= set(dir(disclabel))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        disclabel.nothing  # noqa: B018


@needs_shared(ERRSM20)
@SHIPPED
def test_label_gives_the_label_files_of_label_py_without_torch(tmp_path):
    """``label(path)`` in a fresh process: the discs, the numbering and the label image, the
    same bytes as label.py writes, and torch never imported (the shipped model on the CPU)."""
    from disclabel.cli import label as label_cli

    assert label_cli.main([str(ERRSM20), "-o", str(tmp_path / "cli.nii.gz")]) == 0
    code = (f"import sys, json; from disclabel import label, Labeler; "
            f"r = label({str(ERRSM20)!r}); "
            f"from disclabel.labeling.output import save_nifti_atomic; "
            f"from pathlib import Path; "
            f"save_nifti_atomic(r.label_image(), Path({str(tmp_path / 'api.nii.gz')!r})); "
            f"print(json.dumps({{'numbers': [d.number for d in r.discs], "
            f"'names': [d.name for d in r.discs], 'numbering': r.numbering, "
            f"'torch': 'torch' in sys.modules}}))")
    done = _python(code)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout.strip().splitlines()[-1])
    assert doc["torch"] is False
    sidecar = json.loads((tmp_path / "cli.json").read_text())
    assert doc["numbers"] == [d["number"] for d in sidecar["discs"]]
    assert doc["names"] == [d["name"] for d in sidecar["discs"]]
    assert doc["numbering"]["offset_margin_nats"] == sidecar["numbering"]["offset_margin_nats"]
    assert (tmp_path / "api.nii.gz").read_bytes() == (tmp_path / "cli.nii.gz").read_bytes()


@needs_shared(ERRSM20)
@SHIPPED
def test_a_labeler_labels_a_nibabel_image_and_saves_what_label_py_writes(tmp_path):
    labeler = disclabel.load_labeler()
    from_path = labeler.label(ERRSM20)
    image = nib.load(str(ERRSM20))
    in_memory = labeler.label(nib.Nifti1Image(np.asanyarray(image.dataobj), image.affine,
                                              image.header))
    assert [(d.number, d.voxel) for d in in_memory.discs] == \
        [(d.number, d.voxel) for d in from_path.discs]
    assert from_path.discs and all(isinstance(d.world_mm, tuple) for d in from_path.discs)
    written, sidecar = labeler.save(from_path, tmp_path / "x_labels-disc.nii.gz")
    assert sidecar == tmp_path / "x_labels-disc.json"
    labels = np.asanyarray(nib.load(str(written)).dataobj)
    assert sorted(labels[labels > 0].tolist()) == sorted(d.number for d in from_path.discs)
    rgb = disclabel.qc_picture(from_path)
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3


@pytest.fixture(scope="module")
def oracle_labeler(tmp_path_factory) -> disclabel.Labeler:
    """A Labeler whose network sees phantom discs exactly (tests/oracle.py)."""
    from disclabel.model.checkpoint import save_checkpoint
    from disclabel.model.hourglass import build_model
    from oracle import PhantomOracle

    weights = tmp_path_factory.mktemp("oracle") / "tiny.pt"
    save_checkpoint(weights, build_model({"stacks": 1, "features": 16, "attention": True}),
                    data={"pixel_mm": 1.0})
    labeler = disclabel.Labeler(weights, device="cpu", backend="torch")
    labeler.network.model = PhantomOracle()
    return labeler


def test_label_refuses_a_bad_image_with_one_line(oracle_labeler, tmp_path):
    flat = nib.Nifti1Image(np.zeros((4, 4, 4), np.float32), np.eye(4))
    two_d = nib.Nifti1Image(np.ones((4, 4), np.float32), np.eye(4))
    with pytest.raises(InputError, match="missing.nii.gz: file not found"):
        disclabel.label(tmp_path / "missing.nii.gz")
    for image, problem in ((flat, "every voxel is 0"), (two_d, "expected a 3-D image")):
        with pytest.raises(InputError, match=problem) as info:
            oracle_labeler.label(image)
        assert "\n" not in str(info.value)
    with pytest.raises(InputError, match="checkpoint not found"):
        disclabel.load_labeler(tmp_path / "none.pt")


def test_an_in_memory_image_is_labelled_like_its_file(oracle_labeler, tmp_path):
    image, affine = phantom.render(1.0)
    path = tmp_path / "p.nii.gz"
    nib.save(nib.Nifti1Image(image, affine), str(path))
    a, b = oracle_labeler.label(path), oracle_labeler.label(nib.Nifti1Image(image, affine))
    assert [d.number for d in a.discs] == [d.number for d in b.discs] and a.discs
    assert np.array_equal(np.asanyarray(a.label_image().dataobj),
                          np.asanyarray(b.label_image().dataobj))
    assert a.numbering["top_disc"] == min(d.number for d in a.discs if d.number >= 3)


def test_research_stages_as_functions(tmp_path):
    """create_dataset -> prepare_trainset -> train -> evaluate_model -> make_res_gif with the
    scripts' options as keywords, silent with ``log=None``."""
    root = tmp_path / "bids"
    for i in range(6):
        image, labels = spine_phantom(shape=(5, 60, 60), spacing=9, first_row=6, seed=i)
        make_bids_subject(root, f"sub-s{i:02d}", "T2w", image, labels, TINY_AFFINE)
    manifest = disclabel.create_dataset(bids=[root], out=tmp_path / "ds", quiet=True, log=None)
    assert len(manifest["entries"]) == 6 and (tmp_path / "ds" / "dataset.json").is_file()
    meta = disclabel.prepare_trainset(tmp_path / "ds", tmp_path / "prep", grid=(64, 64),
                                      split=(0.6, 0.2, 0.2), progress=False, log=None)
    assert sum(meta["counts"][s]["subjects"] for s in ("train", "val", "test")) == 6
    run = disclabel.train(tmp_path / "prep", out=str(tmp_path / "run"), epochs=1,
                          features=16, stacks=1, train_batch=2, window=[64, 64],
                          device="cpu", progress=False)
    assert (run / "best.pt").is_file()
    metrics = disclabel.evaluate_model(run / "best.pt", tmp_path / "prep", split="val",
                                       device="cpu", progress=False)
    assert (run / "val" / "metrics.json").is_file() and "summary" in metrics
    gif = disclabel.make_res_gif(run, log=None)
    assert gif == [run / "prediction.gif"]


@pytest.mark.parametrize("call, message", [
    (lambda p: disclabel.train(p, epochs=0), "--epochs 0: must be at least 1"),
    (lambda p: disclabel.train(p, epoch=3), "unknown training option(s): epoch"),
    (lambda p: disclabel.train(p, solver="sgd"), "--solver sgd: expected one of"),
    (lambda p: disclabel.prepare_trainset(p, p / "x", split=(1, 1)), "give three shares"),
    (lambda p: disclabel.evaluate_model(split="dev"), "--split dev: expected one of"),
    (lambda p: disclabel.make_res_gif(p, fps=0), "--fps 0: must be a positive number"),
    (lambda p: disclabel.create_dataset(log=None), "no input"),
])
def test_stage_functions_refuse_bad_options_like_their_scripts(tmp_path, call, message):
    with pytest.raises(InputError) as info:
        call(tmp_path)
    assert message in str(info.value) and "\n" not in str(info.value)
