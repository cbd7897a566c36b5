#!/usr/bin/env python
"""The GPU checks that are not timings (part of tools/gpu_check.sh):

* a forward and backward pass of the shipped architecture in each training precision (fp32,
  bf16 autocast, fp16 autocast with a gradient scaler): the loss and every gradient finite, and
  a few optimiser steps on one fixed batch lower the loss;
* label.py's pipeline on the GPU and on the CPU on a real volume: the same discs, numbered the
  same, within one voxel.

    python tools/gpu_check.py [--device cuda] [--steps 5]

Exit code 1 if a check fails.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import bench_label
import numpy as np
import torch

from disclabel.constants import NUM_DISCS, WINDOW_SHAPE
from disclabel.labeling.labeler import Labeler
from disclabel.labeling.runtime import default_weights
from disclabel.model.device import resolve_device
from disclabel.model.hourglass import build_model
from disclabel.training.fastpath import FastPath, prepare_model
from disclabel.training.step import train_one_epoch

PRECISIONS = {
    "fp32": FastPath(),
    "bf16": FastPath(torch.bfloat16, False, True),
    "fp16 + gradient scaler": FastPath(torch.float16, True, True),
}


def precision_check(device: torch.device, name: str, path: FastPath, steps: int) -> bool:
    """Train ``steps`` steps on one fixed batch with the training step itself
    (:func:`disclabel.training.step.train_one_epoch`); True when the loss and every gradient stay
    finite and the loss falls."""
    torch.manual_seed(0)
    model = build_model({"stacks": 2, "features": 64, "attention": True}).to(device)
    step_model = prepare_model(model, path)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scaler = torch.amp.GradScaler(device.type) if path.scaler else None
    generator = torch.Generator().manual_seed(0)
    keypoints = torch.full((4, NUM_DISCS, 2), float("nan"))
    keypoints[:, 2:12] = torch.rand(4, 10, 2, generator=generator) * (WINDOW_SHAPE[0] - 32) + 16
    batch = {"image": torch.rand(4, 1, *WINDOW_SHAPE, generator=generator),
             "keypoints": keypoints, "weight": torch.ones(4, NUM_DISCS),
             "pixel_mm": torch.ones(4)}
    losses, finite = [], True
    for _ in range(steps):
        stats = train_one_epoch(step_model, [batch], optimizer, device, progress=False,
                                foreground_weight=10.0, fast=path, scaler=scaler)
        losses.append(float(stats["loss_sum"] / stats["samples"]))
        finite &= np.isfinite(losses[-1]) and all(
            bool(torch.isfinite(p.grad).all()) for p in model.parameters() if p.grad is not None)
    ok = finite and losses[-1] < losses[0]
    print(f"{name:24s} loss {losses[0]:.5f} -> {losses[-1]:.5f}, finite {finite}: "
          f"{'ok' if ok else 'FAILED'}")
    return ok


def label_check(device: torch.device, image: Path) -> bool:
    """label.py's pipeline on ``device`` and on the CPU: the same disc numbers within 1 voxel."""
    weights = default_weights()
    results = {}
    for where in (str(device), "cpu"):
        result = Labeler(weights, where).label(image)
        results[where] = {d.number: np.array(d.voxel) for d in result.discs}
    gpu, cpu = results[str(device)], results["cpu"]
    same = gpu.keys() == cpu.keys() and all(np.abs(gpu[n] - cpu[n]).max() <= 1 for n in gpu)
    print(f"label.py on {device} vs cpu, {image.name}: discs {sorted(gpu)} vs {sorted(cpu)}: "
          f"{'same' if same else 'DIFFERENT'}")
    return same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    print(f"device {torch.cuda.get_device_name(device) if device.type == 'cuda' else device}, "
          f"torch {torch.__version__}")
    ok = True
    for name, path in PRECISIONS.items():
        if device.type != "cuda" and path.dtype is not None:
            print(f"{name:24s} skipped (not a CUDA device)")
            continue
        ok &= precision_check(device, name, path, args.steps)
    if bench_label.DEFAULT_IMAGE.exists() and default_weights().is_file():
        ok &= label_check(device, bench_label.DEFAULT_IMAGE)
    print("all GPU checks passed" if ok else "SOME GPU CHECK FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
