#!/usr/bin/env python
"""Where one training configuration's step spends its time: prints figures, writes nothing.

    python tools/profile_step.py [--device auto|cpu|cuda] [--model default|shipped]
                                 [--batch B] [--steps N] [--repeats R] [--baseline]
                                 [--compile] [--no-graphs] [--amp auto|bf16|fp16|off]
                                 [--fused auto|true|false] [--channels-last auto|true|false]
                                 [--threads T] [--profile]

Times the training step of one configuration as ``tools/benchmark.py`` does (the same
:class:`benchmark.TrainingRun`: batches made first; the best of ``--repeats`` runs of
``--steps`` steps), in this process, with what the benchmark does not vary: the fast path's
precision (``--amp``), the fused optimiser and the channels-last layout forced on or off
(``--fused``, ``--channels-last``), the CPU threads (``--threads``); so each part of the fast
path can be timed alone. ``--profile`` then runs two eager steps under ``torch.profiler`` and
prints, per step, the number of GPU kernels and their summed time by kind (convolutions and
matrix products, Triton kernels of ``torch.compile``, the optimiser, the rest) and the 15
longest kernels; on a CPU, the 15 longest operators.
A question for one configuration at a time (the benchmark is what compares them side by side).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

import torch
from benchmark import MODELS, TrainingRun
from torch.profiler import ProfilerActivity, profile

from disclabel.constants import AMP_CHOICES
from disclabel.model.device import resolve_device
from disclabel.training.cuda_graph import WARMUP_STEPS
from disclabel.training.fastpath import choose_fast_path
from disclabel.training.step import eager_step

PROFILED_STEPS = 2
KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("optimiser", ("adam", "multi_tensor")),
    ("triton (torch.compile)", ("triton",)),
    ("convolution / matrix product", ("conv", "xmma", "cudnn", "gemm", "cutlass", "nvjet",
                                      "wgrad", "dgrad", "implicit")),
)
"""Kernel kinds by substrings of their lower-cased names, the first match wins; the rest is
"other"."""


def kernel_kind(name: str) -> str:
    """The kind of a GPU kernel from its name (see :data:`KINDS`)."""
    lower = name.lower()
    return next((kind for kind, keys in KINDS if any(k in lower for k in keys)), "other")


def gpu_kernels(prof: profile) -> dict[str, tuple[int, float]]:
    """Each GPU kernel's (launches, summed microseconds) in a finished profile; the
    profiler's annotations of operator ranges on the GPU timeline are left out."""
    out: dict[str, tuple[int, float]] = {}
    for event in prof.events():
        if event.device_type != torch.autograd.DeviceType.CUDA or "#" in event.name:
            continue
        count, micros = out.get(event.name, (0, 0.0))
        out[event.name] = (count + 1, micros + event.time_range.end - event.time_range.start)
    return out


def print_profile(run: TrainingRun) -> None:
    """Profile :data:`PROFILED_STEPS` eager steps of ``run`` and print the per-step summary."""
    cuda = run.device.type == "cuda"
    batch = run.batches[0]
    eager_step(run.step_model, batch, run.optimizer, run.device, run.path)  # warm
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    with profile(activities=activities) as prof:
        for _ in range(PROFILED_STEPS):
            eager_step(run.step_model, batch, run.optimizer, run.device, run.path)
        if cuda:
            torch.cuda.synchronize(run.device)
    if not cuda:
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))
        return
    kernels = gpu_kernels(prof)
    kinds: dict[str, list[float]] = {}
    for name, (count, micros) in kernels.items():
        total = kinds.setdefault(kernel_kind(name), [0, 0.0])
        total[0] += count / PROFILED_STEPS
        total[1] += micros / PROFILED_STEPS / 1000
    launches = sum(c for c, _ in kernels.values()) / PROFILED_STEPS
    millis = sum(m for _, m in kernels.values()) / PROFILED_STEPS / 1000
    print(f"per eager step: {launches:.0f} GPU kernels, {millis:.2f} ms of kernel time")
    for kind, (count, ms) in sorted(kinds.items(), key=lambda kv: -kv[1][1]):
        print(f"  {kind:30s} {count:6.0f} kernels {ms:8.2f} ms")
    print("longest kernels (per step: launches, ms):")
    for name, (count, micros) in sorted(kernels.items(), key=lambda kv: -kv[1][1])[:15]:
        print(f"  {count / PROFILED_STEPS:5.0f} {micros / PROFILED_STEPS / 1000:7.3f}  {name[:90]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--model", choices=("default", "shipped"), default="default")
    parser.add_argument("--batch", type=int, default=None, help="16 on a GPU, 4 on a CPU")
    parser.add_argument("--steps", type=int, default=None, help="60 on a GPU, 3 on a CPU")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", action="store_true", help="the fp32 eager baseline")
    parser.add_argument("--compile", action="store_true", help="torch.compile the network")
    parser.add_argument("--no-graphs", action="store_true", help="no CUDA graph")
    parser.add_argument("--amp", choices=AMP_CHOICES, default="auto",
                        help="the fast path's autocast precision, as main.py --amp")
    parser.add_argument("--fused", choices=("auto", "true", "false"), default="auto",
                        help="the fused optimiser: the fast path's choice, or forced")
    parser.add_argument("--channels-last", choices=("auto", "true", "false"), default="auto",
                        help="channels-last layout: the fast path's choice, or forced")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's)")
    parser.add_argument("--profile", action="store_true", help="kernel or operator summary")
    args = parser.parse_args(argv)
    for flag in ("batch", "steps", "repeats", "threads"):
        value = getattr(args, flag)
        if value is not None and (value < 0 or (value == 0 and flag != "threads")):
            parser.error(f"--{flag} {value}: expected a positive number")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    gpu = device.type == "cuda"
    batch, steps = args.batch or (16 if gpu else 4), args.steps or (60 if gpu else 3)
    try:
        path = choose_fast_path(device, not args.baseline, args.amp, args.compile,
                                not args.no_graphs)
    except ValueError as error:
        parser.error(str(error))
    forced = {field: choice == "true" for field, choice in
              (("fused", args.fused), ("channels_last", args.channels_last)) if choice != "auto"}
    path = dataclasses.replace(path, **forced)
    config = next(c for name, c in MODELS.items() if name.startswith(args.model))
    run = TrainingRun(config, device, path, batch, 8, args.baseline)
    run.run(WARMUP_STEPS + 5)
    seconds = min(run.run(steps) for _ in range(args.repeats))
    print(f"{args.model} model, {path.describe()}, batch {batch}, "
          f"{torch.get_num_threads()} threads on {device}: {steps * batch / seconds:.1f} "
          f"images/s ({1000 * seconds / steps:.2f} ms a step, best of {args.repeats} x {steps})")
    if args.profile:
        print_profile(run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
