#!/usr/bin/env python
"""Realism check of the synthetic data: a model trained only on synthetic images, evaluated on the
real labelled T2w volumes of ../shared/data, side by side with the same model size trained on those
real volumes alone (leave-one-subject-out), with the same training time each.

    python tools/realism_check.py [--work /tmp/realism] [--seconds 300] [--grid 128 --pixel-mm 2]

The real volumes are linked (not copied) into a temporary BIDS tree under --work.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from disclabel.cli import create_dataset, prepare_trainset
from disclabel.cli import main as train_cli
from disclabel.evaluation import evaluate_checkpoint
from disclabel.io import write_json
from disclabel.metrics import aggregate, format_table

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
# subject id -> (image, disc label) relative to ../shared/data; all T2w with posterior disc labels
REAL_T2W = {
    "sub-errsm11": ("sct_errsm_t2/sub-errsm11/anat/sub-errsm11_T2w.nii.gz",
                    "sct_errsm_t2/derivatives/labels/sub-errsm11/anat/"
                    "sub-errsm11_T2w_labels-disc-derived.nii.gz"),
    "sub-sctexample": ("sct_errsm_t2/sub-sctexample/anat/sub-sctexample_T2w.nii.gz",
                       "sct_errsm_t2/derivatives/labels/sub-sctexample/anat/"
                       "sub-sctexample_T2w_labels-disc-derived.nii.gz"),
    "sub-tptbox": ("tptbox_sample_mri/sub-mri_label-6_T2w.nii.gz",
                   "tptbox_sample_mri/sub-mri_label-6_T2w_labels-disc-derived.nii.gz"),
    "sub-pamfifty": ("sct_testing_data/template/PAM50_small_t2.nii.gz",
                     "sct_testing_data/template/PAM50_small_label_discPosterior.nii.gz"),
}
MODEL = ["--stacks", "2", "--features", "64"]
RECIPE = ["--solver", "adam", "--lr", "1e-3", "--train-batch", "8", "--epochs", "100000",
          "--schedule", "100000", "--progress", "false", "--device", "auto"]


def link_bids(root: Path) -> None:
    """A BIDS tree of symbolic links to the real T2w volumes and their disc labels."""
    for subject, (image, label) in REAL_T2W.items():
        anat = root / subject / "anat"
        labels = root / "derivatives" / "labels" / subject / "anat"
        anat.mkdir(parents=True, exist_ok=True)
        labels.mkdir(parents=True, exist_ok=True)
        for src, dst in ((image, anat / f"{subject}_T2w.nii.gz"),
                         (label, labels / f"{subject}_T2w_labels-disc-manual.nii.gz")):
            if not dst.exists():
                dst.symlink_to(SHARED / src)


def prepare_with_split(work: Path, name: str, sides: dict[str, str], grid: list[str]) -> Path:
    """Prepare the real data with a fixed assignment (written before prepare_trainset reuses it)."""
    target = work / name
    target.mkdir(parents=True, exist_ok=True)
    write_json(target / "splits.json", {"version": 1, "seed": 0, "fractions": [1, 0, 0],
                                        "subjects": sides})
    code = prepare_trainset.main(["--source", str(work / "dataset"), "--target", str(target),
                                  *grid, "--no-progress"])
    if code:
        raise SystemExit(f"prepare_trainset failed for {name}")
    return target


def train_and_test(prepared: Path, run: Path, seconds: float, extra: list[str]) -> list[dict]:
    """Train for ``seconds``; evaluate ``last.pt`` on the test split; per-image results."""
    code = train_cli.main(["--datapath", str(prepared), "--out", str(run),
                           "--max-train-seconds", str(seconds), *MODEL, *RECIPE, *extra])
    if code:
        raise SystemExit(f"training failed for {run}")
    doc = evaluate_checkpoint(run / "last.pt", prepared / "test.npz", run / "test",
                              progress=False)
    return doc["images"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/realism"))
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--grid", type=int, default=128, help="square grid size")
    parser.add_argument("--pixel-mm", type=float, default=2.0)
    parser.add_argument("--parts", nargs="+", choices=["synthetic", "real"],
                        default=["synthetic", "real"], help="which trainings to run")
    args = parser.parse_args(argv)
    grid = ["--grid", str(args.grid), str(args.grid), "--pixel-mm", str(args.pixel_mm)]
    work: Path = args.work
    link_bids(work / "bids")
    if create_dataset.main(["--bids", str(work / "bids"), "--out", str(work / "dataset"),
                            "--contrasts", "T2w", "--quiet"]):
        raise SystemExit("create_dataset failed")
    subjects = sorted(REAL_T2W)
    if "synthetic" in args.parts:
        all_test = prepare_with_split(work, "prep_all_test", {s: "test" for s in subjects}, grid)
        images = train_and_test(all_test, work / "run_synthetic", args.seconds,
                                ["--synthetic-ratio", "1"])
        write_json(work / "images_synthetic.json", images)
    if "real" in args.parts:
        images = []
        for held_out in subjects:
            sides = {s: ("test" if s == held_out else "train") for s in subjects}
            prepared = prepare_with_split(work, f"prep_loso_{held_out}", sides, grid)
            images += train_and_test(prepared, work / f"run_loso_{held_out}", args.seconds, [])
        write_json(work / "images_real.json", images)
    report = {}
    for part, name in (("synthetic", "synthetic only"), ("real", "real only (leave-one-out)")):
        path = work / f"images_{part}.json"
        if not path.exists():
            continue
        images = json.loads(path.read_text())
        summary = aggregate(images)
        report[name] = {"summary": summary, "per_image": [
            {"subject": i["subject"], "n_ref": i["n_ref"], "n_identified": i["n_identified"],
             "errors_mm": i["errors_mm"], "false_positives": i["false_positives"]}
            for i in images]}
        print(format_table(summary, f"{name}: {len(images)} real T2w volumes"))
    write_json(work / "realism.json", report)
    print(json.dumps({k: {"identification_rate": v["summary"]["identification_rate"],
                          "median_error_mm": v["summary"]["median_error_mm"]}
                      for k, v in report.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
