"""The training fast path.

Fast path (``main.py --fast true``, the default): mixed precision (bf16 where the device
supports it; fp16 with a gradient scaler on a CUDA GPU without bf16), channels-last memory
layout, cuDNN autotuning, on a CUDA GPU the fused optimiser (Adam/AdamW: every weight updated by
one kernel instead of a dozen passes over them) and the whole step replayed as one CUDA graph
(:mod:`disclabel.training.cuda_graph`, ``--cuda-graphs``), and optionally ``torch.compile``
(``--compile true``; on a CUDA GPU the compiled network's step is captured in the graph too).
``--fast false``
is the plain fp32 eager baseline. On a CPU, bf16 autocast is used only where the processor has
bf16 instructions (AVX512-BF16 or AMX); ``tools/benchmark.py`` measures what each part gives.
Multi-process training is :mod:`disclabel.training.distributed`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from disclabel.constants import AMP_CHOICES


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


