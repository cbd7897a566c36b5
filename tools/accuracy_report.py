#!/usr/bin/env python
"""The accuracy report (docs/accuracy.md): every figure in it comes from this script.

    python tools/accuracy_report.py --parts loso ablation shipped [--work runs/report]

* ``loso``: leave-one-subject-out on the four real subjects of one protocol (errsm11, errsm20,
  errsm22, sctexample with its crops): for each, a model trained with the shipped recipe on
  everything else that the shipped model trains on, then label.py's pipeline on the held-out
  subject's volumes, scored by disc number in world mm (label-aware and original-compatible
  metrics); plus the robustness variants of the held-out volume (top two discs cropped,
  1.5 mm, inverted contrast, noise, 10 degree rotation) and its 3-D changes
  (``tools/make_3d_sets.py``: tilted 5, 10 and 20 degrees in the coronal plane, an S-shaped
  lateral curve, clinical slices, a 10 degree sagittal rotation about the discs, all at once).
* ``ablation``: two folds (errsm11 + sctexample | errsm20 + errsm22 held out), the same data
  and a shorter budget for every variant: the recipe, without attention, 1 stack, without
  synthetic data, with the first generator's settings.
* ``shipped``: the installed model on the synthetic test sets, the TPTBox crop and volumes
  without a spine; and on the four full real volumes and their 3-D changes, which are its own
  training volumes (a check of the 3-D labelling's geometry, not of how the model generalises:
  ``loso`` measures that).

Trainings run ``--parallel`` at a time with one CPU thread each; finished runs are reused.
Each part's table goes to ``WORK/<part>.md``; ``WORK/report.json`` keeps every part run so
far (a part run again replaces its entry).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import harness
import make_3d_sets
import scoring_sets
from shared_data import LOSO_SUBJECTS, REAL_VOLUMES, available

from disclabel.cli.main import workers_arg
from disclabel.labeling import numbering, spacing
from disclabel.labeling.runtime import default_weights
from disclabel.training.recipe import recipe_args

ABLATION_EPOCHS = 24
ABLATION_FOLDS = {"A": ("sub-errsm11", "sub-sctexample"), "B": ("sub-errsm20", "sub-errsm22")}
ABLATION_VARIANTS = {
    "shipped recipe": [],
    "no attention": ["--att", "false"],
    "2 stacks": ["--stacks", "2"],
    "no synthetic data": ["--synthetic-ratio", "0", "--real-repeat", "16"],
    "first generator (v1)": ["--synthetic-style", "v1"],
}
LOSO_VARIANTS = {
    **ABLATION_VARIANTS,
    "v4 fp32": ["--synthetic-style", "v4", "--fast", "false"],
    "v4 bf16": ["--synthetic-style", "v4", "--fast", "true"],
    "v5 bf16": ["--synthetic-style", "v5", "--fast", "true"],
    "v7 bf16": ["--synthetic-style", "v7", "--fast", "true"],
    "seed 7": ["--seed", "7"],
    "seed 123": ["--seed", "123"],
    "v4 bf16 seed 7": ["--synthetic-style", "v4", "--fast", "true", "--seed", "7"],
    "more FOV crops": ["--synthetic-style", "v4", "--fast", "true", "--fov-crop-p", "0.8"],
    "ema": ["--ema", "0.999"],
    "ema seed 7": ["--ema", "0.999", "--seed", "7"],
    "ema seed 123": ["--ema", "0.999", "--seed", "123"],
    "twice the intensity maps": ["--intensity-map-p", "0.5"],
    "tissue contrast": ["--tissue-contrast-p", "1.0"],
    "inversion consistency": ["--consistency-weight", "1"],
    "120 epochs": ["--epochs", "120", "--schedule", "90"],
    "120 epochs seed 7": ["--epochs", "120", "--schedule", "90", "--seed", "7"],
    "120 epochs seed 123": ["--epochs", "120", "--schedule", "90", "--seed", "123"],
    "narrow FOV": ["--fov-narrow-p", "0.2"],
    "narrow FOV seed 7": ["--fov-narrow-p", "0.2", "--seed", "7"],
    "narrow FOV seed 123": ["--fov-narrow-p", "0.2", "--seed", "123"],
    "v8": ["--synthetic-style", "v8"],
    "v8 seed 7": ["--synthetic-style", "v8", "--seed", "7"],
    "v8 seed 123": ["--synthetic-style", "v8", "--seed", "123"],
    "v9": ["--synthetic-style", "v9"],
    "v11": ["--synthetic-style", "v11"],
    "identity": ["--identity-weight", "1e-4"],
    "identity seed 7": ["--identity-weight", "1e-4", "--seed", "7"],
    "identity seed 123": ["--identity-weight", "1e-4", "--seed", "123"],
    "identity 3e-5": ["--identity-weight", "3e-5"],
    "intensity maps 0.6": ["--intensity-map-p", "0.6"],
    "intensity maps 0.6 seed 7": ["--intensity-map-p", "0.6", "--seed", "7"],
    "96 features": ["--features", "96"],
    "96 features seed 7": ["--features", "96", "--seed", "7"],
    "128 features": ["--features", "128"],
    "128 features seed 7": ["--features", "128", "--seed", "7"],
    "2-D training": ["--synthetic-style", "v6", "--oblique-ratio", "0", "--real-repeat", "8"],
    "2-D training seed 7": ["--synthetic-style", "v6", "--oblique-ratio", "0",
                            "--real-repeat", "8", "--seed", "7"],
}
"""Recipe changes that ``--loso-variant`` can run through leave-one-subject-out: the ablation's;
the previous recipe (the v4 generator in fp32), v4 with the bf16 fast path, v5 (v4 with the
lower cervical levels as tall as in the real volumes; the recipe's v6 is v5 with twice the
windows without a spine), v7 (v6 with head-only fields of view and curved bands among them);
the recipe with other seeds, and v4 bf16 with another one (how much one training's luck moves
the figures); v4 with twice the share of shortened fields of view in training (0.8 instead of
0.4); the recipe with seeds 42, 7 and 123 that also keeps the moving average of its weights
(``--ema 0.999``, ``ema.pt``; the training itself is the recipe's, so ``--weights-file
last.pt`` and ``ema.pt`` of one run compare the two on the same training); the recipe trained
twice as long (120 epochs, the learning rate divided by 10 at epoch 90) with the same seeds;
the recipe with a fifth of the training windows narrowed front to back to 50-140 mm about the
spine (``--fov-narrow-p 0.2``, as the small real crops are), with the same seeds; the
synthetic style v8 (v6 with a quarter of the spine windows lumbosacral), with the same seeds;
the recipe plus the identity cross-entropy (``--identity-weight 1e-4``,
:func:`disclabel.model.loss.identity_loss`), with the same seeds, and a third of that weight; the
recipe with random intensity curves or inversions on 60 % of the real samples instead of 25 %
(``--intensity-map-p 0.6``), with seeds 42 and 7; the network 96 or 128 features wide instead
of 64 (``--features``), with seeds 42 and 7; the recipe with a quarter of every batch shown
again inverted and pulled towards the original's heatmaps (``--consistency-weight 1``,
:mod:`disclabel.model.consistency`)."""
TRAINABLE = tuple(v for v in REAL_VOLUMES if v.trainable)


DEVICE = {"device": "cpu", "workers": 0, "threads": 1}
"""Where trainings and labelling run (``--device``, ``--workers``)."""


def _fold(work: Path, name: str, held_out: tuple[str, ...], args: list[str]
          ) -> tuple[list[str], Path, Path]:
    """Prepare one fold; returns (training command, run folder, prepared folder)."""
    dataset = work / "dataset"
    sides = {v.subject: ("test" if v.subject in held_out else "train") for v in TRAINABLE}
    prepared = harness.prepare(dataset, work / name / "prepared", sides)
    run = work / name / "run"
    args = [*args, "--workers", str(DEVICE["workers"])]
    return harness.train_command(prepared, run, args, DEVICE["device"]), run, prepared


def _held_out_items(bids: Path, subjects: tuple[str, ...]) -> list[tuple[str, Path, Path]]:
    return [(f"{v.prefix}_{v.contrast}", *v.bids_paths(bids)) for v in TRAINABLE
            if v.subject in subjects]


def _slug(variant: str) -> str:
    return variant.replace(" ", "_").replace("(", "").replace(")", "")


def loso(work: Path, parallel: int, lines: list[str], variant: str = "shipped recipe",
         epochs: int | None = None, subjects: tuple[str, ...] = LOSO_SUBJECTS,
         weights_file: str = "last.pt") -> dict:
    """Leave-one-subject-out with the recipe, or with one of the ablation variants of it
    (``epochs``: another budget than the recipe's, for quick checks), each fold scored with
    its run's ``weights_file``."""
    jobs, folds = [], {}
    base = "loso" if variant == "shipped recipe" else f"loso-{_slug(variant)}"
    title = "" if variant == "shipped recipe" else f", variant: {variant}"
    title += "" if weights_file == "last.pt" else f", weights {weights_file}"
    for subject in subjects:
        command, run, _ = _fold(work, f"{base}/{subject}", (subject,),
                                recipe_args(epochs) + LOSO_VARIANTS[variant])
        jobs.append((command, run))
        folds[subject] = run
    seconds = harness.run_trainings(jobs, parallel, DEVICE["threads"])
    results, robust = [], {}
    for subject, run in folds.items():
        items = _held_out_items(work / "bids", (subject,))
        results += harness.score_volumes(run / weights_file, items, DEVICE["device"])
        main = next(v for v in TRAINABLE if v.subject == subject and not v.session)
        image, label = main.bids_paths(work / "bids")
        variants = scoring_sets.robustness_set(image, label, work / "robustness", subject)
        variants += make_3d_sets.changed_volumes(image, label, work / "3d_sets" / subject,
                                                 subject)
        scored = harness.score_volumes(run / weights_file,
                                       [(f"{subject} {v}", p, r) for v, p, r in variants],
                                       DEVICE["device"])
        for (change, _, _), res in zip(variants, scored, strict=True):
            robust.setdefault(change, []).append(res)
    lines += [f"### Leave-one-subject-out (real volumes, label.py pipeline{title})", "",
              harness.TABLE_HEADER]
    lines += [harness.result_row(r["name"], r) for r in results]
    lines.append(harness.summary_row("all held-out volumes", harness.summary(results)))
    errsm = [r for r in results if "ses-crop" not in r["name"]]
    lines.append(harness.summary_row("the four full volumes", harness.summary(errsm)))
    lines += ["", "### Robustness (each held-out full volume, changed, labelled by its fold's "
              "model)", "", harness.TABLE_HEADER]
    for change, res in robust.items():
        lines += [harness.result_row(r["name"], r) for r in res]
        lines.append(harness.summary_row(change, harness.summary(res)))
    lines.append("")
    threads = DEVICE["threads"]
    where = (f"{threads} CPU thread{'s' if threads > 1 else ''} each" if DEVICE["device"] == "cpu"
             else f"on {DEVICE['device']}, {DEVICE['workers']} loader workers each")
    lines += [f"Training time per fold: {min(seconds) / 60:.1f}-{max(seconds) / 60:.1f} min "
              f"({where}, {parallel} at a time).", ""]
    return {"volumes": results, "summary": harness.summary(results),
            "full_volumes": harness.summary(errsm),
            "robustness": {k: {"summary": harness.summary(v), "volumes": v}
                           for k, v in robust.items()},
            "training_seconds": seconds}


def ablation(work: Path, parallel: int, lines: list[str], folds: list[str]) -> dict:
    jobs, runs = [], {}
    chosen = {k: v for k, v in ABLATION_FOLDS.items() if k in folds}
    for variant, extra in ABLATION_VARIANTS.items():
        for fold, held in chosen.items():
            name = f"ablation/{_slug(variant)}_{fold}"
            command, run, _ = _fold(work, name, held, recipe_args(ABLATION_EPOCHS) + extra)
            jobs.append((command, run))
            runs[(variant, fold)] = run
    harness.run_trainings(jobs, parallel, DEVICE["threads"])
    out = {}
    held_text = " | ".join(" + ".join(held) for held in chosen.values())
    lines += [f"### Ablation (held out: {held_text}; {ABLATION_EPOCHS} epochs each, same data)",
              "",
              "| variant | identified | rate | median error | median 3-D error | false positives "
              "| | | DTT (orig.) | FN (orig.) | FP (orig.) |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for variant in ABLATION_VARIANTS:
        results = []
        for fold, held in chosen.items():
            items = [i for i in _held_out_items(work / "bids", held) if "ses-crop" not in i[0]]
            results += harness.score_volumes(runs[(variant, fold)] / "last.pt", items,
                                             DEVICE["device"])
        out[variant] = {"summary": harness.summary(results), "volumes": results}
        lines.append(harness.summary_row(variant, out[variant]["summary"]))
    lines.append("")
    return out


def shipped(work: Path, lines: list[str]) -> dict:
    scores = scoring_sets.score_shipped(default_weights(), work / "shipped")
    lines += ["### The shipped model on synthetic test sets and other volumes", "",
              harness.TABLE_HEADER]
    for name in (*scoring_sets.SYNTHETIC_SETS, *scoring_sets.REGIONS):
        lines.append(harness.summary_row(f"synthetic {name}", scores[name]["summary"]))
    lines.append(harness.result_row("TPTBox crop (never trained on)",
                                    scores["TPTBox crop"]["volumes"][0]))
    lines += ["", "Volumes without a spine: " + scoring_sets.no_spine_text(scores["no spine"]),
              ""]
    scores["3-D changes"] = changed_training_volumes(work, lines)
    return scores


def changed_training_volumes(work: Path, lines: list[str]) -> dict:
    """The installed model on the four full real volumes (its training volumes) unchanged and
    with every change of ``make_3d_sets``."""
    items = make_3d_sets.full_volume_sets(work / "3d_sets")
    rows: dict[str, list[dict]] = {}
    for (_, change, _, _), result in zip(items, harness.score_volumes(
            default_weights(), [(f"{s} {c}", i, r) for s, c, i, r in items]), strict=True):
        rows.setdefault(change, []).append(result)
    lines += ["### The shipped model on its own training volumes changed in 3-D", "",
              harness.TABLE_HEADER]
    lines += [harness.summary_row(change, harness.summary(results))
              for change, results in rows.items()]
    lines.append("")
    return {change: {"summary": harness.summary(results), "volumes": results}
            for change, results in rows.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("runs/report"))
    parser.add_argument("--parts", nargs="+", choices=["loso", "ablation", "shipped"],
                        default=["loso", "ablation", "shipped"])
    parser.add_argument("--parallel", type=int, default=2, help="trainings at a time")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads of each training (OMP_NUM_THREADS)")
    parser.add_argument("--folds", nargs="+", choices=sorted(ABLATION_FOLDS),
                        default=sorted(ABLATION_FOLDS), help="ablation folds to run")
    parser.add_argument("--loso-variant", choices=sorted(LOSO_VARIANTS),
                        default="shipped recipe",
                        help="leave-one-subject-out with this change to the recipe")
    parser.add_argument("--loso-epochs", type=int, default=None,
                        help="leave-one-subject-out with this many epochs instead of the "
                             "recipe's (quick checks; not the report's figures)")
    parser.add_argument("--loso-subjects", nargs="+", choices=LOSO_SUBJECTS,
                        default=list(LOSO_SUBJECTS),
                        help="held-out subjects of the leave-one-subject-out folds to run")
    parser.add_argument("--weights-file", choices=["last.pt", "ema.pt"], default="last.pt",
                        help="which checkpoint of each leave-one-subject-out run to score "
                             "(ema.pt: the moving average of a variant with --ema)")
    parser.add_argument("--anchor-power", type=float, default=None,
                        help="score with this numbering.ANCHOR_POWER instead of the decoder's "
                             f"({numbering.ANCHOR_POWER:g}; 0: every disc's vote weighs the same, "
                             "the decoder before the anchor weights); parts get the suffix "
                             "-anchorP")
    parser.add_argument("--spacing-weight", type=float, default=None,
                        help="score with this spacing.SPACING_WEIGHT instead of the decoder's "
                             f"({spacing.SPACING_WEIGHT:g}; 0: no spacing prior in the numbering "
                             "vote, the decoder before it); parts get the suffix -spacingW")
    harness.add_polarity(parser)
    parser.add_argument("--device", default="cpu", help="where trainings and labelling run")
    parser.add_argument("--workers", type=workers_arg, default=0,
                        help="loader workers per training (a count or auto)")
    args = parser.parse_args(argv)
    DEVICE.update(device=args.device, workers=args.workers, threads=args.threads)
    suffix = harness.use_polarity(args)
    if args.anchor_power is not None:
        numbering.ANCHOR_POWER = args.anchor_power
        suffix += f"-anchor{args.anchor_power:g}"
    if args.spacing_weight is not None:
        spacing.SPACING_WEIGHT = args.spacing_weight
        suffix += f"-spacing{args.spacing_weight:g}"
    if not available():
        raise SystemExit("accuracy_report: ../shared/data is not here")
    work: Path = args.work
    harness.gather(work, TRAINABLE)
    report_path = work / "report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    for part in args.parts:
        lines: list[str] = []
        if part == "loso":
            variant = args.loso_variant
            if variant != "shipped recipe":
                part = f"loso-{_slug(variant)}"
            if args.weights_file != "last.pt":
                part += f"-{args.weights_file.removesuffix('.pt')}"
            result = loso(work, args.parallel, lines, variant, args.loso_epochs,
                          tuple(args.loso_subjects), args.weights_file)
        elif part == "ablation":
            result = ablation(work, args.parallel, lines, args.folds)
        else:
            result = shipped(work, lines)
        if suffix:
            lines.insert(0, f"(decoder with ANCHOR_POWER {numbering.ANCHOR_POWER:g}, "
                            f"SPACING_WEIGHT {spacing.SPACING_WEIGHT:g}; label.py --polarity "
                            f"{args.polarity})\n")
        report[part + suffix] = result
        harness.publish(report_path, report, work / f"{part}{suffix}.md", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
