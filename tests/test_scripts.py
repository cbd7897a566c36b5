"""Every script runs as `python src/<script>.py` from the repository root."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO

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
