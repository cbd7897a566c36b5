"""Multi-process training: under ``torchrun`` (``WORLD_SIZE`` > 1 in the environment) each
process joins the default process group (NCCL on CUDA GPUs, gloo on CPUs), trains on its own
share of each epoch (a ``DistributedSampler``) with ``DistributedDataParallel``, and only rank
0 logs, validates and writes files. Also the count of data-loader processes (``--workers``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from disclabel.constants import AUTO_WORKERS_MAX
from disclabel.data.io import available_cores


@dataclass(frozen=True)
class Distributed:
    """This process's place in a multi-process training (rank 0 of 1 without torchrun)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    owns_group: bool = False

    @property
    def active(self) -> bool:
        return self.world_size > 1

    @property
    def main(self) -> bool:
        """Whether this process logs, validates and writes files."""
        return self.rank == 0


def setup_distributed(device_name: str) -> Distributed:
    """Join the process group that torchrun describes in the environment (or one already
    initialised by the caller); a single process otherwise."""
    if dist.is_available() and dist.is_initialized():
        return Distributed(dist.get_rank(), dist.get_world_size(),
                           int(os.environ.get("LOCAL_RANK", dist.get_rank())))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Distributed()
    cuda = torch.cuda.is_available() and not device_name.startswith("cpu")
    dist.init_process_group("nccl" if cuda else "gloo")
    return Distributed(dist.get_rank(), dist.get_world_size(),
                       int(os.environ.get("LOCAL_RANK", "0")), owns_group=True)


def local_processes() -> int:
    """Training processes on this machine (torchrun's ``LOCAL_WORLD_SIZE``; 1 without it)."""
    return max(int(os.environ.get("LOCAL_WORLD_SIZE", "1")), 1)


def loader_workers(requested: int | str, device: torch.device, processes: int = 1,
                   cores: int | None = None) -> int:
    """Loader worker processes of a training on ``device``: ``requested`` when a number, else
    (``"auto"``) none on a CPU, where the loader would take cores from the step, and on a CUDA
    GPU one per core left after ``processes`` training processes have one each, at most
    ``AUTO_WORKERS_MAX`` per process. ``cores``: those of this machine (default: this
    process's available cores)."""
    if requested != "auto":
        return int(requested)
    if device.type != "cuda":
        return 0
    cores = available_cores() if cores is None else cores
    return max(0, min(AUTO_WORKERS_MAX, cores // max(processes, 1) - 1))


def process_device(device: torch.device, ddp: Distributed) -> torch.device:
    """Each process of a multi-GPU training takes the GPU of its local rank."""
    if ddp.active and device.type == "cuda":
        torch.cuda.set_device(ddp.local_rank)
        return torch.device("cuda", ddp.local_rank)
    return device


def reduce_sum(values: torch.Tensor, ddp: Distributed) -> torch.Tensor:
    """Sum a tensor over all processes (itself with one process)."""
    if ddp.active:
        values = values.clone()
        dist.all_reduce(values)
    return values


def broadcast_flag(flag: bool, ddp: Distributed, device: torch.device) -> bool:
    """Rank 0's value of ``flag`` on every process."""
    if not ddp.active:
        return flag
    value = torch.tensor([int(flag)], device=device)
    dist.broadcast(value, 0)
    return bool(value.item())


def teardown(ddp: Distributed) -> None:
    """Leave the process group if this process created it."""
    if ddp.owns_group and dist.is_initialized():
        dist.destroy_process_group()
