"""The light install: the project's wheel installed into a fresh virtual environment without
PyTorch (``pip install disclabel``) labels a real volume with the shipped model, byte for byte
as the full install does, and a torch-only feature asked for there fails with one line.

This test builds the wheel and downloads the light install's requirements from the package
index, pinned to requirements.txt's versions (about 150 MB, a minute or two).
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import ERRSM, REPO, needs_shared
from disclabel.labeling.runtime import default_weights

ERRSM20 = ERRSM / "sub-errsm20" / "anat" / "sub-errsm20_T2w.nii.gz"
pytestmark = [pytest.mark.slow, needs_shared(ERRSM20),
              pytest.mark.skipif(not default_weights().is_file(),
                                 reason="the shipped model is not installed")]


def _run(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, cwd=cwd,
                          check=False)


@pytest.fixture(scope="module")
def light(tmp_path_factory) -> Path:
    """The bin folder of a fresh virtual environment holding the wheel and its requirements."""
    root = tmp_path_factory.mktemp("light")
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                 "--disable-pip-version-check", "-q", "-w", root / "dist", REPO)
    assert built.returncode == 0, built.stderr
    wheel = next((root / "dist").glob("disclabel-*.whl"))
    venv.create(root / "env", with_pip=True)
    bin_dir = root / "env" / "bin"
    installed = _run(bin_dir / "python", "-m", "pip", "install", "-q",
                     "--disable-pip-version-check", "-c", REPO / "requirements.txt", wheel)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return bin_dir


def test_the_light_install_has_no_torch(light):
    done = _run(light / "python", "-c", "import torch")
    assert done.returncode != 0 and "No module named 'torch'" in done.stderr
    listed = _run(light / "python", "-m", "pip", "list", "--format", "freeze").stdout.lower()
    assert "onnxruntime==" in listed and "torch" not in listed


def test_the_light_install_labels_a_real_volume_as_the_full_one(light, tmp_path):
    from disclabel.cli import label as label_cli

    assert label_cli.main([str(ERRSM20), "-o", str(tmp_path / "full.nii.gz")]) == 0
    done = _run(light / "disclabel-label", ERRSM20, "-o", tmp_path / "light.nii.gz",
                "--qc", tmp_path / "qc", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "light.nii.gz").read_bytes() == (tmp_path / "full.nii.gz").read_bytes()
    assert (tmp_path / "qc" / "light_qc.png").is_file()
    code = ("import sys; from disclabel import label; "
            f"r = label({str(ERRSM20)!r}); "
            "print(len(r.discs), r.numbering['top_disc'], 'torch' in sys.modules)")
    api = _run(light / "python", "-c", code, cwd=tmp_path)
    assert api.returncode == 0, api.stderr
    count, top, torch_loaded = api.stdout.split()
    assert int(count) > 0 and int(top) >= 3 and torch_loaded == "False"


@pytest.mark.parametrize("command, what", [
    (["disclabel-label", str(ERRSM20), "--backend", "torch", "-o", "x.nii.gz"],
     "running disclabel_default.pt with PyTorch"),
    (["disclabel-train", "--datapath", "nowhere", "--out", "run"], "main.py needs torch"),
])
def test_a_torch_only_feature_says_what_to_install(light, tmp_path, command, what):
    done = _run(light / command[0], *command[1:], cwd=tmp_path)
    err = done.stderr.strip()
    assert done.returncode == 1 and len(err.splitlines()) == 1, err
    assert what in err and 'pip install "disclabel[train]"' in err
    assert list(tmp_path.iterdir()) == []
