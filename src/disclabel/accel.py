"""The training fast path and multi-process training.

Fast path (``main.py --fast true``, the default): mixed precision (bf16 where the device
supports it; fp16 with a gradient scaler on a CUDA GPU without bf16), channels-last memory
layout, cuDNN autotuning, on a CUDA GPU the fused optimiser (Adam/AdamW: every weight updated by
one kernel instead of a dozen passes over them) and the whole step replayed as one CUDA graph
(:mod:`disclabel.graphstep`, ``--cuda-graphs``), and optionally ``torch.compile``
(``--compile true``; on a CUDA GPU the compiled network's step is captured in the graph too).
``--fast false``
is the plain fp32 eager baseline. On a CPU, bf16 autocast is used only where the processor has
bf16 instructions (AVX512-BF16 or AMX); ``tools/benchmark.py`` measures what each part gives.

Multi-process training: under ``torchrun`` (``WORLD_SIZE`` > 1 in the environment) each process
joins the default process group (NCCL on CUDA GPUs, gloo on CPUs), trains on its own share of
each epoch (a ``DistributedSampler``) with ``DistributedDataParallel``, and only rank 0 logs,
validates and writes files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from .constants import AUTO_WORKERS_MAX

AMP_CHOICES: tuple[str, ...] = ("auto", "bf16", "fp16", "off")


def cpu_has_bf16() -> bool:
    """Whether this processor has bf16 arithmetic instructions (AVX512-BF16 or AMX)."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


@dataclass(frozen=True)
class FastPath:
    """How training steps run: autocast dtype (None = fp32), fp16 gradient scaling,
    channels-last layout, ``torch.compile``, the step captured in a CUDA graph, the
    optimiser's fused implementation (Adam and AdamW; the others have none)."""

    dtype: torch.dtype | None = None
    scaler: bool = False
    channels_last: bool = False
    compile: bool = False
    graphs: bool = False
    fused: bool = False

    def describe(self) -> str:
        """A short description for the training log."""
        precision = {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.dtype]
        parts = [f"{precision} autocast" if self.dtype else "fp32"]
        parts += ["gradient scaling"] if self.scaler else []
        parts += ["channels-last"] if self.channels_last else []
        parts += ["torch.compile"] if self.compile else []
        parts += ["CUDA graphs"] if self.graphs else []
        parts += ["fused optimiser"] if self.fused else []
        return ", ".join(parts)


def choose_fast_path(device: torch.device, fast: bool = True, amp: str = "auto",
                     compile_model: bool = False, graphs: bool = True) -> FastPath:
    """The fast path for ``device``; ``fast=False`` gives the fp32 eager baseline (compiled
    if asked). ``amp``: auto (bf16 where supported, else fp16 on CUDA, else fp32), bf16, fp16
    (CUDA only) or off. ``graphs``: capture the step in a CUDA graph, on a CUDA device only and
    not with a gradient scaler (fp16); with ``compile_model`` the compiled network's kernels
    are what the graph holds. The fused optimiser on a CUDA device. Raises ValueError for a
    precision the device cannot run."""
    if amp not in AMP_CHOICES:
        raise ValueError(f"--amp {amp}: expected one of {', '.join(AMP_CHOICES)}")
    if not fast:
        return FastPath(compile=compile_model)
    cuda = device.type == "cuda"
    bf16_ok = torch.cuda.is_bf16_supported() if cuda else cpu_has_bf16()
    if amp == "auto":
        dtype = torch.bfloat16 if bf16_ok else (torch.float16 if cuda else None)
    elif amp == "bf16":
        if not bf16_ok:
            raise ValueError(f"--amp bf16: {device} has no bf16 support")
        dtype = torch.bfloat16
    elif amp == "fp16":
        if not cuda:
            raise ValueError("--amp fp16: only on a CUDA GPU")
        dtype = torch.float16
    else:
        dtype = None
    if cuda:
        torch.backends.cudnn.benchmark = True
    scaler = dtype == torch.float16
    return FastPath(dtype, scaler, True, compile_model, graphs and cuda and not scaler,
                    fused=cuda)


def prepare_model(model: nn.Module, fast: FastPath) -> nn.Module:
    """Apply the memory layout in place; returns the module the training step calls
    (compiled when asked). Weights stay those of ``model``."""
    if fast.channels_last:
        model.to(memory_format=torch.channels_last)
    return torch.compile(model) if fast.compile else model


def to_device(images: torch.Tensor, device: torch.device, fast: FastPath) -> torch.Tensor:
    """Move a (B, C, H, W) batch to ``device`` in the fast path's memory layout."""
    images = images.to(device, non_blocking=True)
    return images.contiguous(memory_format=torch.channels_last) if fast.channels_last else images


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


def available_cores() -> int:
    """CPU cores this process may run on (its affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


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
