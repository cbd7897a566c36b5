#!/usr/bin/env python
"""Score several models on the held-out synthetic test sets, grouped by where the field of view
lies: from the top of the neck (C2/C3 or above in view), with L5/S1 in view, or in between.

    python tools/synthetic_check.py WEIGHTS [WEIGHTS ...] [--work runs/synthetic_check]
        [--regions]

``--regions``: the region sets instead (:func:`scoring_sets.region_set`: lumbar,
thoracolumbar and whole-spine fields of view, T2w-like, T1w-like and random contrast in turn);
with ``--development`` those of other seeds that decoder rules are chosen on (24 per region;
give them their own ``--work`` folder).

For example every leave-one-subject-out fold model of the recipe and of a variant:
    python tools/synthetic_check.py runs/report/loso/sub-*/run/last.pt \
        runs/report/loso-v8/sub-*/run/last.pt

One line per model (discs named right per test set and per group, volumes wholly right,
volumes given no disc at all, volumes whose numbering is anchored at C2 or the sacrum and how
many of those anchors are not in the field of view, volumes whose lowest disc was taken as L5/S1
(labeling/columnend.py) and how many of those have no L5/S1 in view), then the sums over all
models given. The test volumes are those of the shipped model's scores
(:func:`scoring_sets.synthetic_set`), written once under ``--work`` and reused.
"""

from __future__ import annotations

import argparse

import harness
import scoring_sets

from disclabel.constants import NUM_DISCS

PER_SET = 12
DEVELOPMENT_PER_SET = 24
GROUPS = ("from the neck", "in between", "with L5/S1")


def group(reference: list[int]) -> str:
    """Where a test volume's reference discs lie (one of GROUPS)."""
    if NUM_DISCS in reference:
        return GROUPS[2]
    return GROUPS[0] if min(reference) <= 3 else GROUPS[1]


def tally(results: list[dict], totals: dict[str, list[int]], key: str) -> None:
    """Add (discs named right, discs, volumes wholly right, volumes, volumes without any disc,
    volumes labelled with a numbering anchored at C2 or the sacrum, those of them whose
    reference does not show that anchor's disc: C2/C3 or L5/S1, volumes whose lowest disc was
    taken as L5/S1, those of them without L5/S1 in their reference) of ``results`` to
    ``totals[key]``."""
    row = totals.setdefault(key, [0] * 9)
    for r in results:
        row[0] += r["n_identified"]
        row[1] += r["n_ref"]
        row[2] += int(r["n_identified"] == r["n_ref"] and r["false_positives"] == 0)
        row[3] += 1
        row[4] += int(not r["predicted"])
        anchors = r.get("anchors") or []
        row[5] += int(bool(anchors))
        row[6] += int(("C2" in anchors and 3 not in r["reference"])
                      or ("sacrum" in anchors and NUM_DISCS not in r["reference"]))
        taken = bool(r.get("lowest_disc_taken_as_l5s1"))
        row[7] += int(taken)
        row[8] += int(taken and NUM_DISCS not in r["reference"])


def text(totals: dict[str, list[int]], keys: tuple[str, ...]) -> str:
    """One line: discs named right (volumes wholly right, volumes without any disc, volumes
    anchored, wrongly anchored, lowest disc taken as L5/S1, wrongly so) for each of
    ``keys``."""
    return "; ".join(f"{k} {totals[k][0]}/{totals[k][1]} ({100 * totals[k][0] / totals[k][1]:.1f} %"
                     f", {totals[k][2]}/{totals[k][3]} volumes, {totals[k][4]} without a disc, "
                     f"{totals[k][5]} anchored, {totals[k][6]} wrongly, {totals[k][7]} "
                     f"ending at L5/S1 by the field of view, {totals[k][8]} without it in view)"
                     for k in keys if k in totals and totals[k][3])


def get_parser() -> argparse.ArgumentParser:
    parser = harness.models_parser(__doc__.splitlines()[0], "runs/synthetic_check",
                                   "the synthetic test volumes")
    parser.add_argument("--regions", action="store_true",
                        help="score the lumbar, thoracolumbar and whole-spine sets instead")
    parser.add_argument("--development", action="store_true",
                        help="with --regions: the development region sets (24 volumes each, "
                             "other seeds), which decoder rules are chosen on, instead of the "
                             "scoring sets")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = get_parser()
    args = parser.parse_args(argv)
    if args.development and not args.regions:
        parser.error("--development needs --regions")
    harness.use_polarity(args)
    if args.regions:
        count, seed = ((DEVELOPMENT_PER_SET, scoring_sets.DEVELOPMENT_SEED) if args.development
                       else (PER_SET, scoring_sets.REGION_SEED))
        sets = {name: scoring_sets.region_set(args.work, name, count, reuse=True, seed=seed)
                for name in scoring_sets.REGIONS}
    else:
        sets = {name: scoring_sets.synthetic_set(args.work, name, PER_SET, reuse=True)
                for name in scoring_sets.SYNTHETIC_SETS}
    overall: dict[str, list[int]] = {}
    for weights in args.weights:
        model: dict[str, list[int]] = {}
        for name, items in sets.items():
            results = harness.score_volumes(weights, items, args.device)
            for totals in (model, overall):
                tally(results, totals, name)
                for g in GROUPS:
                    tally([r for r in results if group(r["reference"]) == g], totals, g)
        print(f"{weights}: {text(model, tuple(sets))} | {text(model, GROUPS)}", flush=True)
    print(f"all {len(args.weights)} models: {text(overall, tuple(sets))} | {text(overall, GROUPS)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
