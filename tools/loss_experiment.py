#!/usr/bin/env python
"""Compare the paper's plain heatmap MSE with the foreground-weighted MSE (the default) under the
same number of epochs and seed, on a prepared dataset: validation identification rate after each
epoch (a fixed budget of epochs, not of seconds, so every machine prints the same figures).

    python tools/loss_experiment.py --datapath demo/prepared --epochs 20 --weights 10 0
"""

from __future__ import annotations

import argparse
import sys

import torch
from torch.utils.data import DataLoader

from disclabel.data.augment import build_augmenter
from disclabel.data.dataset import PreparedDataset
from disclabel.evaluation.validate import evaluate
from disclabel.model.hourglass import build_model
from disclabel.training.step import train_one_epoch


def run(datapath: str, foreground_weight: float, epochs: int, sigma: float) -> dict:
    """Train a small model for ``epochs`` epochs; returns the last validation summary."""
    torch.manual_seed(0)
    train = PreparedDataset(f"{datapath}/train.npz", sigma, build_augmenter(seed=0))
    val = PreparedDataset(f"{datapath}/val.npz", sigma)
    model = build_model({"stacks": 2, "features": 64})
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(train, batch_size=8, shuffle=True, drop_last=True)
    device = torch.device("cpu")
    summary = {}
    for epoch in range(1, epochs + 1):
        stats = train_one_epoch(model, loader, optimizer, device, progress=False,
                                foreground_weight=foreground_weight)
        summary = evaluate(model, val, device, 8).summary
        rate = summary["identification_rate"] or 0.0
        loss = float(stats["loss_sum"] / stats["samples"])
        print(f"foreground_weight {foreground_weight:g} epoch {epoch} loss {loss:.5f} "
              f"val identification {100 * rate:.1f} %", flush=True)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datapath", default="demo/prepared")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--sigma", type=float, default=4.0)
    parser.add_argument("--weights", type=float, nargs="+", default=[10.0, 0.0])
    args = parser.parse_args(argv)
    results = {w: run(args.datapath, w, args.epochs, args.sigma) for w in args.weights}
    for w, s in results.items():
        rate = s.get("identification_rate") or 0.0
        err = s.get("median_error_mm")
        print(f"foreground_weight {w:g}: val identification {100 * rate:.1f} %, median error "
              f"{'n/a' if err is None else f'{err:.2f} mm'} after {args.epochs} epochs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
