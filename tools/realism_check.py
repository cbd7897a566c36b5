#!/usr/bin/env python
"""Realism check of the synthetic generator: a model of the shipped size trained on synthetic
images only, for a fixed number of epochs, then run through label.py's pipeline on every
labelled real volume of ../shared/data and scored by disc number in world mm. One model per
appearance style of the generator (synthetic.styles.STYLES_2D), side by side: the real images
choose the generator's settings (the lesson of Learn2Synth), they are never trained on.

    python tools/realism_check.py [--styles v1 v2 v3 v4] [--epochs 24] [--work runs/realism]

Trainings run two at a time with one CPU thread each; finished runs are reused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import harness
from shared_data import REAL_VOLUMES, available

from disclabel.synthetic.styles import STYLES_2D
from disclabel.training.recipe import MODEL_ARGS

RECIPE = ["--solver", "adam", "--lr", "1e-3", "--train-batch", "8", "--synthetic-ratio", "1",
          "--real-repeat", "8", "--synthetic-pool", "2000", "--val-every", "1000", "--seed", "42"]
"""Synthetic only (64 x 8 = 512 windows per epoch from a pool of 2000), Adam 1e-3, then 1e-4
for the last quarter of the epochs."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("runs/realism"))
    parser.add_argument("--styles", nargs="+", default=sorted(STYLES_2D),
                        choices=sorted(STYLES_2D))
    parser.add_argument("--epochs", type=int, default=24)
    parser.add_argument("--parallel", type=int, default=2)
    args = parser.parse_args(argv)
    if not available():
        raise SystemExit("realism_check: ../shared/data is not here")
    work: Path = args.work
    dataset = harness.gather(work)
    # every real subject on the test side: nothing real is trained on
    prepared = harness.prepare(dataset, work / "prepared",
                               {v.subject: "test" for v in REAL_VOLUMES})
    schedule = str(max(1, round(0.75 * args.epochs)))
    jobs = {style: (harness.train_command(prepared, work / f"run_{style}", [
        *MODEL_ARGS, *RECIPE, "--epochs", str(args.epochs), "--schedule", schedule,
        "--synthetic-style", style]), work / f"run_{style}") for style in args.styles}
    harness.run_trainings(list(jobs.values()), args.parallel)
    items = [(f"{v.prefix}_{v.contrast}", *v.bids_paths(work / "bids")) for v in REAL_VOLUMES]
    lines = [f"Synthetic-only models ({args.epochs} epochs, shipped model size), every labelled "
             "real volume:", "", harness.TABLE_HEADER]
    report = {}
    for style, (_, run) in jobs.items():
        results = harness.score_volumes(run / "last.pt", items)
        report[style] = {"summary": harness.summary(results), "volumes": results}
        lines.append(harness.summary_row(f"style {style}", report[style]["summary"]))
    for style in jobs:
        lines += ["", f"style {style}:", "", harness.TABLE_HEADER]
        lines += [harness.result_row(r["name"], r) for r in report[style]["volumes"]]
    harness.publish(work / "realism.json", report, work / "realism.md", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
