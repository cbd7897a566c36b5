#!/usr/bin/env python
"""Time the default recipe end to end: 120 epochs of 500 images at 256 x 256 (part of
tools/gpu_check.sh).

    python tools/default_recipe.py [--work runs/default_recipe] [--device cuda] [--workers auto]
                                   [--batch 16] [--epochs 120] [--limit-seconds 0]

``main.py`` with its defaults (the 2-stack, 256-feature model with attention, RMSprop, 120
epochs, the fast path) except the batch (16) and the data:
500 windows of 256 x 256 per epoch, 245 of them the labelled real volumes of ../shared/data (35
prepared samples, each 7 times with fresh windows and augmentation) and 255 synthetic windows
from a pool kept in memory. main.py's own work around the epochs (validation every 10 epochs, a
checkpoint after each) is included. Prints the whole process's wall time and the epochs' time.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import time
from pathlib import Path

import harness
from shared_data import REAL_VOLUMES, available

from disclabel.cli.main import workers_arg

DATA_ARGS = ["--real-repeat", "7", "--synthetic-ratio", "0.51", "--synthetic-pool", "255",
             "--val-every", "10"]
"""35 real samples x 7 + 255 synthetic windows = 500 windows per epoch."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("runs/default_recipe"))
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--workers", type=workers_arg, default="auto",
                        help="loader workers (default: main.py's auto)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=120)
    parser.add_argument("--limit-seconds", type=float, default=0.0,
                        help="stop after the epoch that passes this training time (0: none)")
    args = parser.parse_args(argv)
    if not available():
        raise SystemExit("default_recipe: ../shared/data is not here")
    trainable = tuple(v for v in REAL_VOLUMES if v.trainable)
    dataset = harness.gather(args.work, trainable)
    prepared = harness.prepare(dataset, args.work / "prepared",
                               {v.subject: "train" for v in trainable})
    run = args.work / "run"
    command = harness.train_command(
        prepared, run, [*DATA_ARGS, "--train-batch", str(args.batch), "--epochs",
                        str(args.epochs), "--workers", str(args.workers),
                        "--max-train-seconds", str(args.limit_seconds)], args.device)
    tic = time.perf_counter()
    code = subprocess.call(command)
    wall = time.perf_counter() - tic
    if code:
        print(f"default recipe: main.py failed ({code})")
        return code
    with open(run / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    epochs = sum(float(r["seconds"]) for r in rows)
    images = 500 // args.batch * args.batch * len(rows)
    print(f"default recipe: {len(rows)}/{args.epochs} epochs of 500 windows (batch {args.batch}"
          f") in {wall:.0f} s as a whole process ({wall / 60:.2f} min), {epochs:.0f} s in "
          f"epochs, {images / epochs:.0f} images/s; last train loss {rows[-1]['train_loss']}")
    log = (run / "train.log").read_text().splitlines()
    print("\n".join(line for line in log if "CUDA graphs" in line or " run " in line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
