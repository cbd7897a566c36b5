"""Crash-safe training: a run killed (SIGKILL) at any moment, or stopped by SIGTERM/SIGINT, and
resumed with ``--resume true`` ends with weights bit-identical to an uninterrupted run (CPU),
the moving average of the weights (``--ema``, ``ema.pt``) and the slices of changed training
volumes (``--oblique-ratio``) included."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from conftest import REPO

EPOCHS = 4
ARGS = ["--epochs", str(EPOCHS), "--features", "16", "--stacks", "1", "--train-batch", "2",
        "--window", "64", "64", "--device", "cpu", "--progress", "false",
        "--synthetic-ratio", "0.5", "--synthetic-pool", "10", "--real-repeat", "2",
        "--val-every", "2", "--ema", "0.9", "--oblique-ratio", "0.5"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def _command(prepared: Path, out: Path) -> list[str]:
    resume = ["--resume", "true"] if (out / "last.pt").exists() else []
    return [sys.executable, str(REPO / "src" / "main.py"), "--datapath", str(prepared),
            "--out", str(out), *ARGS, *resume]


def _start(prepared: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(_command(prepared, out), env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _wait_for(process: subprocess.Popen, log: Path, marker: str) -> None:
    """Wait until ``marker`` appears in the run's log (or the process ends)."""
    while process.poll() is None:
        if log.exists() and marker in log.read_text():
            return
        time.sleep(0.02)


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location="cpu", weights_only=True)["model"]


def _identical(a: Path, b: Path) -> bool:
    wa, wb = _weights(a), _weights(b)
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


@pytest.fixture(scope="module")
def reference(prepared, tmp_path_factory) -> Path:
    """An uninterrupted run."""
    out = tmp_path_factory.mktemp("reference") / "run"
    subprocess.run(_command(prepared, out), env=ENV, check=True, capture_output=True)
    return out


def test_killed_twice_and_resumed_ends_bit_identical(prepared, reference, tmp_path):
    out = tmp_path / "run"
    # two SIGKILLs at different moments: mid-way through epoch 2, and just after epoch 3's
    # log line (while its checkpoints are being written or the next epoch starts)
    for marker, delay in ((f"epoch 1/{EPOCHS}", 0.3), (f"epoch 3/{EPOCHS}", 0.0)):
        process = _start(prepared, out)
        _wait_for(process, out / "train.log", marker)
        time.sleep(delay)
        process.kill()
        process.wait()
        assert (out / "last.pt").exists()
    finish = subprocess.run(_command(prepared, out), env=ENV, capture_output=True, text=True)
    assert finish.returncode == 0, finish.stderr[-2000:]
    log = (out / "train.log").read_text()
    assert log.count("resumed at epoch") == 2
    assert _identical(reference / "last.pt", out / "last.pt")
    assert _identical(reference / "ema.pt", out / "ema.pt")
    ref_rows = (reference / "metrics.csv").read_text().splitlines()
    rows = (out / "metrics.csv").read_text().splitlines()
    assert [r.split(",")[:3] for r in rows] == [r.split(",")[:3] for r in ref_rows]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_sigint_stops_cleanly_and_the_run_resumes_exactly(prepared, reference,
                                                                      tmp_path, sig):
    out = tmp_path / "run"
    process = _start(prepared, out)
    _wait_for(process, out / "train.log", f"epoch 2/{EPOCHS}")
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + sig, stderr[-2000:]
    assert "Traceback" not in stderr
    assert f"{signal.Signals(sig).name}: stopped during epoch" in stderr
    assert "--resume true" in stderr
    finish = subprocess.run(_command(prepared, out), env=ENV, capture_output=True, text=True)
    assert finish.returncode == 0, finish.stderr[-2000:]
    assert _identical(reference / "last.pt", out / "last.pt")
    assert _identical(reference / "ema.pt", out / "ema.pt")
