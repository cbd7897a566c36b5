#!/usr/bin/env python
"""Speed benchmark of the model: training images per second and inference milliseconds per image,
for the default model and smaller variants, measured side by side in one run.

    python tools/benchmark.py [--device cpu|cuda] [--iters N] [--batch B]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch

from disclabel.constants import GRID_SHAPE, NUM_DISCS, OUTPUT_STRIDE
from disclabel.engine import heatmap_loss, resolve_device
from disclabel.models import build_model, count_parameters

VARIANTS = {
    "default (2 stacks, 256 features, attention)": {},
    "no attention": {"attention": False},
    "small (1 stack, 64 features)": {"stacks": 1, "features": 64},
}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bench(config: dict, device: torch.device, batch: int, iters: int) -> tuple[float, float]:
    """(training images per second, inference ms per image at batch 1), medians over iters."""
    torch.manual_seed(0)
    model = build_model(config).to(device)
    opt = torch.optim.RMSprop(model.parameters(), lr=2.5e-4)
    h, w = GRID_SHAPE
    x = torch.rand(batch, 1, h, w, device=device)
    target = torch.rand(batch, NUM_DISCS, h // OUTPUT_STRIDE, w // OUTPUT_STRIDE, device=device)
    weight = torch.ones(batch, NUM_DISCS, device=device)
    train_times = []
    for i in range(iters + 1):
        _sync(device)
        tic = time.perf_counter()
        loss = heatmap_loss(model(x), target, weight)
        opt.zero_grad()
        loss.backward()
        opt.step()
        _sync(device)
        if i:  # the first iteration warms up
            train_times.append(time.perf_counter() - tic)
    model.eval()
    infer_times = []
    with torch.no_grad():
        for i in range(iters + 1):
            _sync(device)
            tic = time.perf_counter()
            model(x[:1])
            _sync(device)
            if i:
                infer_times.append(time.perf_counter() - tic)
    return batch / statistics.median(train_times), 1000 * statistics.median(infer_times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--iters", type=int, default=5)
    parser.add_argument("--batch", type=int, default=3)
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"input {GRID_SHAPE[0]}x{GRID_SHAPE[1]}, training batch {args.batch}")
    print(f"{'model':45s} {'params':>10s} {'train img/s':>12s} {'infer ms/img':>13s}")
    for name, config in VARIANTS.items():
        params = count_parameters(build_model(config))
        train_ips, infer_ms = bench(config, device, args.batch, args.iters)
        print(f"{name:45s} {params:>10,d} {train_ips:>12.2f} {infer_ms:>13.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
