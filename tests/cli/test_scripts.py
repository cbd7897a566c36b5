"""Every script runs as `python src/<script>.py` from the repository root."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nibabel as nib
import pytest

import phantom
from conftest import REPO, save_nifti
from disclabel.labeling.runtime import default_weights

SCRIPTS = ["create_dataset", "prepare_trainset", "main", "test", "make_res_gif", "label"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_help_from_repository_root(script):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, f"src/{script}.py", "--help"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


def test_bad_flag_from_the_shell_is_one_line():
    done = subprocess.run([sys.executable, "src/prepare_trainset.py", "--split", "1"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "--split" in done.stderr


def test_label_py_reads_before_importing_torch():
    """label.py's front end imports no torch: the first volume's reading starts before torch
    is imported, and ``--help`` or a bad flag answers at once."""
    code = ("import sys; import disclabel.cli.label; "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": "src"})
    assert done.returncode == 0, "disclabel.cli.label imported torch"


@pytest.mark.skipif(not default_weights().is_file(), reason="the shipped model is not installed")
def test_label_py_as_a_process_flushes_its_report_and_exits_with_its_code(tmp_path):
    """label.py ends without the interpreter's teardown (``exit_now``): its printed lines still
    reach a pipe, its outputs are whole, and a bad input still exits 1 with its message."""
    image, affine = phantom.render(1.0)
    src = save_nifti(tmp_path / "phantom.nii.gz", image, affine)
    out = tmp_path / "phantom_labels-disc.nii.gz"
    done = subprocess.run([sys.executable, "src/label.py", str(src), str(tmp_path / "none.nii"),
                           "-o", str(tmp_path)], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 1
    assert f"{src}: " in done.stdout and f"-> {out}" in done.stdout
    errors = done.stderr.splitlines()
    assert any("none.nii" in line and "not found" in line for line in errors), done.stderr
    assert errors[-1] == "label.py: 1 of 2 images failed"
    assert nib.load(str(out)).shape == image.shape
    assert json.loads(out.with_name("phantom_labels-disc.json").read_text())["label_file"] == \
        str(out)


@pytest.mark.parametrize("overlap", [True, False])
def test_volume_reader_reads_ahead_only_when_asked(monkeypatch, overlap):
    """label.py's reader starts the first read at once; later reads start one job ahead when
    the network runs off the CPU (``overlap``), else only once the previous volume is done."""
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    from disclabel.cli import label as cli_label

    started: list[str] = []
    monkeypatch.setattr(cli_label, "read_volume", lambda path: started.append(path.name) or path)
    jobs = [(Path(f"v{i}.nii"), Path(f"out{i}.nii")) for i in range(3)]
    with ThreadPoolExecutor(max_workers=1) as pool:
        reader = cli_label.VolumeReader(pool, jobs)
        reader._first[0].result()
        assert started == ["v0.nii"]
        reader.overlap = overlap
        seen = []
        for image, _output, loading in reader:
            assert loading.result() == image
            pool.submit(lambda: None).result()  # every read submitted so far has run
            seen.append((image.name, list(started)))
    expected_ahead = [("v0.nii", ["v0.nii", "v1.nii"]),
                      ("v1.nii", ["v0.nii", "v1.nii", "v2.nii"]),
                      ("v2.nii", ["v0.nii", "v1.nii", "v2.nii"])]
    expected_after = [("v0.nii", ["v0.nii"]), ("v1.nii", ["v0.nii", "v1.nii"]),
                      ("v2.nii", ["v0.nii", "v1.nii", "v2.nii"])]
    assert seen == (expected_ahead if overlap else expected_after)
