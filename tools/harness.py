"""Steps shared by the tools that train models and score them on real or synthetic volumes:
gather and prepare the linked real volumes with a fixed split, train (several trainings in
parallel, one CPU thread each), label volumes as label.py does and score them by disc number in
world mm."""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from shared_data import LABEL_SUFFIX, REAL_VOLUMES, RealVolume, link_bids

from disclabel.cli import create_dataset, prepare_trainset
from disclabel.data.io import write_json
from disclabel.evaluation.metrics import aggregate
from disclabel.evaluation.scoring import evaluate_volume
from disclabel.labeling.labeler import Labeler
from disclabel.labeling.polarity import POLARITIES
from disclabel.training.recipe import PREPARE_ARGS

REPO = Path(__file__).resolve().parents[1]
POLARITY = {"mode": "acquired"}
"""How the tools' labellers read contrast (``Labeler(polarity=...)``): set from the
``--polarity`` of the tool that scores."""
MAIN = REPO / "src" / "main.py"


def gather(work: Path, volumes: Sequence[RealVolume] = REAL_VOLUMES) -> Path:
    """Link ``volumes`` into ``work/bids`` and gather them into ``work/dataset``."""
    link_bids(work / "bids", tuple(volumes))
    out = work / "dataset"
    if create_dataset.main(["--bids", str(work / "bids"), "--out", str(out),
                            "--label-suffix", LABEL_SUFFIX, "--quiet"]):
        raise SystemExit("create_dataset failed")
    return out


def prepare(dataset: Path, target: Path, sides: dict[str, str]) -> Path:
    """Prepare ``dataset`` with a fixed subject -> side assignment (written before
    prepare_trainset, which reuses it)."""
    target.mkdir(parents=True, exist_ok=True)
    write_json(target / "splits.json", {"version": 1, "seed": 0, "fractions": [1, 0, 0],
                                        "subjects": dict(sorted(sides.items()))})
    if prepare_trainset.main(["--source", str(dataset), "--target", str(target),
                              *PREPARE_ARGS, "--no-progress"]):
        raise SystemExit(f"prepare_trainset failed for {target}")
    return target


def train_command(prepared: Path, run: Path, args: Sequence[str], device: str = "cpu"
                  ) -> list[str]:
    """The main.py command line of one training."""
    return [sys.executable, str(MAIN), "--datapath", str(prepared), "--out", str(run),
            *args, "--progress", "false", "--device", device]


def training_seconds(run: Path) -> float:
    """Seconds a run spent in its epochs (the ``seconds`` column of its ``metrics.csv``)."""
    with open(run / "metrics.csv", newline="") as handle:
        return sum(float(row["seconds"]) for row in csv.DictReader(handle))


def run_trainings(jobs: Sequence[tuple[list[str], Path]], parallel: int = 2,
                  threads: int = 1) -> list[float]:
    """Run main.py commands ``(command, run folder)`` ``parallel`` at a time, each with
    ``threads`` CPU threads; a run with a ``done`` marker is skipped, and one interrupted
    (``last.pt`` without the marker) resumes from its last epoch. Returns each run's training
    seconds (:func:`training_seconds`, whichever call trained it)."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}

    def one(job: tuple[list[str], Path]) -> float:
        command, run = job
        if (run / "done").exists():
            return training_seconds(run)
        run.mkdir(parents=True, exist_ok=True)
        if (run / "last.pt").exists():
            command = [*command, "--resume", "true"]
        tic = time.perf_counter()
        with open(run / "stdout.log", "a") as log:
            code = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        if code:
            raise SystemExit(f"training failed ({code}): see {run / 'stdout.log'}")
        (run / "done").write_text(f"{time.perf_counter() - tic:.1f}\n")
        return training_seconds(run)

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return list(pool.map(one, jobs))


def score_volumes(weights: Path, items: Sequence[tuple[str, Path, Path | dict]],
                  device: str = "cpu") -> list[dict]:
    """Label each ``(name, image, label file or {disc: world mm})`` with ``weights`` and score
    it (:func:`disclabel.evaluation.scoring.evaluate_volume`); one dict per item, with ``name``."""
    labeler = Labeler(weights, device, polarity=POLARITY["mode"])
    out = []
    for name, image, reference in items:
        if isinstance(reference, dict):
            result = evaluate_volume(labeler, image, reference=reference)
        else:
            result = evaluate_volume(labeler, image, reference)
        out.append({"name": name, **{k: v for k, v in result.items() if k != "per_disc"}})
    return out


def summary(results: Sequence[dict]) -> dict:
    """Aggregate metrics of per-volume results (:func:`disclabel.evaluation.metrics.aggregate`)."""
    return aggregate(list(results))


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def mm(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} mm"


def result_row(name: str, result: dict) -> str:
    """One markdown table row: volume, identified, rate, median error, false positives,
    predicted numbers, offset margin, original-compatible DTT/FN/FP."""
    errors = result.get("errors_mm") or []
    errors_3d = result.get("errors_3d_mm") or []
    dtt = result.get("dtt_mm") or []
    med = sorted(errors)[len(errors) // 2] if errors else None
    med_3d = float(np.median(errors_3d)) if errors_3d else None
    med_dtt = sorted(dtt)[len(dtt) // 2] if dtt else None
    rate = result["n_identified"] / result["n_ref"] if result["n_ref"] else None
    margin = result.get("offset_margin_nats")
    return (f"| {name} | {result['n_identified']}/{result['n_ref']} | {percent(rate)} | "
            f"{mm(med)} | {mm(med_3d)} | {result['false_positives']} | "
            f"{' '.join(map(str, result.get('predicted', [])))} | "
            f"{'n/a' if margin is None else f'{margin:.1f}'} | {mm(med_dtt)} | "
            f"{result['orig_fn']} | {result['orig_fp']} |")


TABLE_HEADER = ("| volume | identified | rate | median error | median 3-D error | "
                "false positives | numbers found | offset margin (nats) | DTT (orig.) | "
                "FN (orig.) | FP (orig.) |\n"
                "|---|---|---|---|---|---|---|---|---|---|---|")


def summary_row(name: str, agg: dict) -> str:
    """A markdown row of aggregate metrics (same columns as :func:`result_row`)."""
    return (f"| **{name}** | {agg['n_identified']}/{agg['n_ref']} | "
            f"{percent(agg['identification_rate'])} | {mm(agg['median_error_mm'])} | "
            f"{mm(agg.get('median_error_3d_mm'))} | "
            f"{agg['false_positives']} | | | {mm(agg['dtt_median_mm'])} | "
            f"{pct(agg['fnr_percent'])} | {pct(agg['fpr_percent'])} |")


def pct(value: float | None) -> str:
    """A value already in percent."""
    return "n/a" if value is None else f"{value:.1f} %"


def save(path: Path, document: dict) -> None:
    """Write a JSON document and say where."""
    write_json(path, json.loads(json.dumps(document, default=float)))
    print(f"wrote {path}")


def publish(json_path: Path, document: dict, md_path: Path, lines: list[str]) -> None:
    """Write a report: the JSON document, its Markdown tables, and the tables on stdout."""
    save(json_path, document)
    md_path.write_text("\n".join(lines) + "\n")
    print("\n".join(lines), flush=True)


def models_parser(description: str, work: str, what: str) -> argparse.ArgumentParser:
    """The command line of a tool that checks several models: checkpoints, ``--work`` (where
    the volumes ``what`` are written, default ``work``) and ``--device``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("weights", nargs="+", type=Path, help="checkpoints to check")
    parser.add_argument("--work", type=Path, default=Path(work),
                        help=f"where {what} are written")
    parser.add_argument("--device", default="cpu")
    add_polarity(parser)
    return parser


def add_polarity(parser: argparse.ArgumentParser) -> None:
    """``--polarity``, the labellers' reading of contrast (sets ``POLARITY`` once parsed by
    :func:`use_polarity`)."""
    parser.add_argument("--polarity", choices=POLARITIES, default="acquired",
                        help="label as label.py --polarity does (default: acquired)")


def use_polarity(args: argparse.Namespace) -> str:
    """Set ``POLARITY`` from parsed ``args``; returns the suffix of the outputs' names ("" for
    the default, "-polarity_auto" else)."""
    POLARITY["mode"] = args.polarity
    return "" if args.polarity == "acquired" else f"-polarity_{args.polarity}"


@contextlib.contextmanager
def worktree(revision: str) -> Iterator[Path]:
    """A temporary git worktree of ``revision`` of this repository (removed afterwards); run
    its scripts with ``PYTHONPATH=<worktree>/src`` so that they import its own package."""
    with tempfile.TemporaryDirectory() as tmp:
        other = Path(tmp) / "other"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q",
                        str(other), revision], check=True)
        try:
            yield other
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force",
                            str(other)], check=False)
