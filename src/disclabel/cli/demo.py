"""The main job end to end on built-in data (`make demo`, `python -m disclabel.cli.demo`).

Stages, each printed as one line:

1. generate a synthetic Spine Generic style dataset (T1w + T2w subjects) and gather it
   (create_dataset);
2. label volumes with the shipped model as a user would (label.py): held-out synthetic volumes,
   scored against their labels, and, when ../shared/data is beside the project, the real
   sub-errsm20 and sub-errsm22 T2w volumes; QC pictures and an overview mosaic;
3. prepare the synthetic dataset (prepare_trainset);
4. train a small model for a fixed number of epochs on the CPU (main.py), so that every machine
   prints the same figures for the same seed;
5. evaluate it on held-out subjects (test.py) and render the training animation
   (make_res_gif.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from disclabel.cli import create_dataset, make_res_gif, prepare_trainset
from disclabel.cli import label as label_cli
from disclabel.cli import main as train_cli
from disclabel.cli import test as test_cli
from disclabel.cli.common import Parser
from disclabel.evaluation.scoring import reference_discs

DEMO_SUBJECTS = 24
DEMO_EPOCHS = 40
DEMO_GRID = ["--pixel-mm", "2"]
"""The demo's own training runs on 2 mm pixels (a quarter of the work of 1 mm on a CPU)."""
DEMO_MODEL = ["--stacks", "2", "--features", "64"]
DEMO_RECIPE = ["--solver", "adam", "--lr", "1e-3", "--train-batch", "8", "--window", "128", "128",
               "--schedule", "30", "--synthetic-ratio", "0.3", "--synthetic-pool", "400",
               "--real-repeat", "4", "--val-every", "5", "--fast", "false"]
"""fp32 (``--fast false``): bf16 is used only on CPUs that have it, and the demo's figures should
not depend on that."""
REAL_EXAMPLES = ("sub-errsm20", "sub-errsm22")
SHARED_ERRSM = Path(__file__).resolve().parents[4] / "shared" / "data" / "sct_errsm_t2"


def get_parser() -> argparse.ArgumentParser:
    p = Parser(prog="demo", description=__doc__)
    p.add_argument("--out", type=Path, default=Path("demo"), help="output folder (default: demo)")
    p.add_argument("--subjects", type=int, default=DEMO_SUBJECTS,
                   help=f"synthetic subjects (default: {DEMO_SUBJECTS})")
    p.add_argument("--epochs", type=int, default=DEMO_EPOCHS,
                   help=f"training epochs of the short training (default: {DEMO_EPOCHS})")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    return p


def _stage(number: int, text: str) -> float:
    print(f"\n== [{number}/5] {text}", flush=True)
    return time.perf_counter()


def _check(code: int, stage: str) -> None:
    if code != 0:
        raise SystemExit(f"demo: {stage} failed (exit code {code})")


def _label_examples(out: Path, manifest: Path, device: str) -> tuple[list[str], str]:
    """Label the held-out synthetic volumes (the last subjects of the manifest) and the real
    examples with the shipped model; returns the lines to print and a one-line summary."""
    entries = json.loads(manifest.read_text())["entries"]
    synthetic = [Path(e["image"]) for e in entries[-4:]]
    real = [SHARED_ERRSM / s / "anat" / f"{s}_T2w.nii.gz" for s in REAL_EXAMPLES]
    real = [p for p in real if p.is_file()]
    _check(label_cli.main([*map(str, synthetic + real), "-o", str(out / "labels"), "--qc",
                           str(out / "qc"), "--device", device]), "label.py")
    lines, right_total, ref_total = [], 0, 0
    for entry in entries[-4:]:
        stem = Path(entry["image"]).name.removesuffix(".nii.gz")
        sidecar = json.loads((out / "labels" / f"{stem}_labels-disc.json").read_text())
        found = {d["number"]: d["world_mm"] for d in sidecar["discs"]}
        ref = reference_discs(Path(entry["label"]))
        right = sum(1 for n, w in ref.items() if n in found and sum(
            (a - b) ** 2 for a, b in zip(found[n], w, strict=True)) ** 0.5 <= 5.0)
        lines.append(f"   {stem}: {right}/{len(ref)} reference discs found with the right "
                     "number within 5 mm")
        right_total, ref_total = right_total + right, ref_total + len(ref)
    summary = (f"the shipped model named {right_total} of the {ref_total} discs of "
               f"{len(entries[-4:])} synthetic volumes right (within 5 mm)")
    if real:
        found = []
        for image in real:
            stem = image.name.removesuffix(".nii.gz")
            sidecar = json.loads((out / "labels" / f"{stem}_labels-disc.json").read_text())
            numbers = [d["number"] for d in sidecar["discs"]]
            found.append(f"{stem.split('_')[0]} discs {min(numbers)}-{max(numbers)}"
                         if numbers else f"{stem.split('_')[0]} no disc")
        summary += "; labelled the real " + ", ".join(found)
    return lines, summary


def main(argv: Sequence[str] | None = None) -> int:
    args = get_parser().parse_args(argv)
    out: Path = args.out
    began = time.perf_counter()
    tic = _stage(1, f"generate {args.subjects} synthetic subjects (T1w + T2w) and gather them")
    _check(create_dataset.main(["--synthetic", str(args.subjects), "--seed", str(args.seed),
                                "--out", str(out / "dataset"), "--quiet"]), "create_dataset")
    print(f"   {time.perf_counter() - tic:.0f} s")
    tic = _stage(2, "label volumes with the shipped model (label.py, QC pictures)")
    scored, labelled = _label_examples(out, out / "dataset" / "dataset.json", args.device)
    print("\n".join(scored))
    print(f"   {time.perf_counter() - tic:.0f} s")
    tic = _stage(3, "prepare train / validation / test samples")
    _check(prepare_trainset.main(["--source", str(out / "dataset"), "--target",
                                  str(out / "prepared"), "--split", "0.7", "0.15", "0.15",
                                  *DEMO_GRID, "--no-progress"]), "prepare_trainset")
    print(f"   {time.perf_counter() - tic:.0f} s")
    tic = _stage(4, f"train a small stacked hourglass for {args.epochs} epochs on {args.device}")
    run = out / "run"
    _check(train_cli.main(["--datapath", str(out / "prepared"), "--out", str(run),
                           "--device", args.device, "--epochs", str(args.epochs),
                           "--seed", str(args.seed), "--progress", "false", *DEMO_MODEL,
                           *DEMO_RECIPE]), "main.py")
    print(f"   {time.perf_counter() - tic:.0f} s")
    tic = _stage(5, "evaluate on the held-out test subjects; render the training animation")
    _check(test_cli.main(["--datapath", str(out / "prepared"), "--checkpoint",
                          str(run / "last.pt"), "--out", str(run / "test"), "--visualize",
                          "true", "--device", args.device, "--progress", "false"]), "test.py")
    _check(make_res_gif.main(["--input", str(run)]), "make_res_gif.py")
    print(f"   {time.perf_counter() - tic:.0f} s")
    summary = json.loads((run / "test" / "metrics.json").read_text())["summary"]["all"]
    rate = summary["identification_rate"]
    err = summary["median_error_mm"]
    print(f"\ndemo finished in {time.perf_counter() - began:.0f} s")
    print(f"  labelling: {labelled}")
    print(f"  research chain: a {args.epochs}-epoch training on 2 mm synthetic images, a check "
          f"that the chain learns (not a model to use; its accuracy depends on the machine): "
          f"test identification rate {'n/a' if rate is None else f'{100 * rate:.1f} %'}, "
          f"median error {'n/a' if err is None else f'{err:.2f} mm'}")
    print(f"  labels by the shipped model: {out / 'labels'}")
    print(f"  QC pictures and overview   : {out / 'qc'}")
    print(f"  synthetic BIDS dataset     : {out / 'dataset' / 'bids'}")
    print(f"  prepared samples           : {out / 'prepared'}")
    print(f"  run (logs, checkpoints)    : {run}")
    print(f"  test metrics, pictures     : {run / 'test'}")
    print(f"  training animation         : {run / 'prediction.gif'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
