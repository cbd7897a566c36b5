"""Multi-process training on the CPU with the gloo backend (as torchrun runs it on GPUs):
every rank ends with the same weights, and only rank 0 writes files."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from conftest import REPO
from disclabel.training.loop import TrainConfig, fit

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(),
                                reason="torch.distributed is not built in")
WORLD = 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(datapath: Path, out: Path, sync_bn: bool = False) -> TrainConfig:
    return TrainConfig(datapath=str(datapath), out=str(out), epochs=2, train_batch=2,
                       features=16, stacks=1, window=[64, 64], device="cpu", progress=False,
                       sync_bn=sync_bn)


def _rank(rank: int, port: int, datapath: Path, tmp: Path, sync_bn: bool) -> None:
    """One process: train, then save this rank's weights where the test can compare them."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(WORLD), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    _, model = fit(_config(datapath, tmp / f"run_rank{rank}", sync_bn))
    torch.save(model.state_dict(), tmp / f"weights_rank{rank}.pt")


def test_two_gloo_processes_hold_identical_weights_and_only_rank0_writes(prepared, tmp_path):
    mp.spawn(_rank, args=(_free_port(), prepared, tmp_path, False), nprocs=WORLD, join=True)
    weights = [torch.load(tmp_path / f"weights_rank{r}.pt", weights_only=True)
               for r in range(WORLD)]
    assert weights[0].keys() == weights[1].keys()
    initial = _initial(_config(prepared, tmp_path / "unused"))
    # parameters agree; batch-norm running statistics are each process's own (as in any DDP
    # training without --sync-bn, which needs GPUs)
    compared = [k for k in initial if not k.endswith(
        ("running_mean", "running_var", "num_batches_tracked"))]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in compared)
    assert any(not torch.equal(weights[0][k], initial[k]) for k in compared), \
        "the weights did not change"
    assert not (tmp_path / "run_rank1").exists()
    run = tmp_path / "run_rank0"
    assert {"last.pt", "best.pt", "metrics.csv", "train.log", "config.json"} <= {
        p.name for p in run.iterdir()}
    assert f"x {WORLD} processes" in (run / "train.log").read_text()


def _initial(config: TrainConfig) -> dict[str, torch.Tensor]:
    from disclabel.model.hourglass import build_model

    torch.manual_seed(config.seed)
    return build_model(config.model_config()).state_dict()


def test_torchrun_command_trains_with_two_processes(prepared, tmp_path):
    run = tmp_path / "run"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc_per_node", str(WORLD), str(REPO / "src" / "main.py"),
               "--datapath", str(prepared), "--out", str(run), "--epochs", "1",
               "--features", "16", "--stacks", "1", "--train-batch", "2", "--window", "64",
               "64", "--device", "cpu", "--progress", "false"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    log = (run / "train.log").read_text()
    assert f"x {WORLD} processes" in log and "epoch 1/1" in log
    assert f"run folder: {run}" in done.stdout
