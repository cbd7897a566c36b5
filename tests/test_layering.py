"""The package's architecture: every stage imports only the stages below it, no module imports
its siblings in a circle, and labelling with ONNX Runtime never reaches torch (import-linter's
contracts in pyproject.toml). The same check on a copy of the package with one planted upward
import, one circle and one torch import must fail, so that the contracts are known to bite."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

LINT = Path(sys.executable).parent / "lint-imports"
STAGES = ("data", "model", "synthetic", "labeling", "viz", "evaluation", "training", "cli")


def lint(src: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT), "--no-cache", "--no-logo",
                           str(REPO / "pyproject.toml")], capture_output=True, text=True,
                          env=env, cwd=src, check=False)


def test_the_package_keeps_its_layers():
    done = lint(REPO / "src")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 kept, 0 broken" in done.stdout


def test_every_stage_says_what_it_holds_and_may_import():
    for stage in STAGES:
        init = REPO / "src" / "disclabel" / stage / "__init__.py"
        text = init.read_text()
        assert text.startswith('"""') and "May import" in text, stage


@pytest.mark.parametrize("module, line, broken", [
    ("data/io.py", "import disclabel.training.loop", "Each stage imports only the stages below"),
    ("labeling/spacing.py", "import disclabel.labeling.chain", "No import cycle"),
    ("labeling/onnxnet.py", "import torch", "never imports torch"),
])
def test_a_planted_bad_import_breaks_a_contract(tmp_path, module, line, broken):
    shutil.copytree(REPO / "src" / "disclabel", tmp_path / "disclabel",
                    ignore=shutil.ignore_patterns("__pycache__", "weights"))
    target = tmp_path / "disclabel" / module
    target.write_text(target.read_text() + f"\n{line}  # planted\n")
    done = lint(tmp_path)
    assert done.returncode != 0
    assert f"{broken}" in done.stdout and "BROKEN" in done.stdout
