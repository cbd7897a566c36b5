#!/usr/bin/env python
"""The decoder's valley rule, measured: with the rule switched off, the deepest dip of the disc
map between consecutive discs of each decoded chain
(``disclabel.labeling.nospine.link_valleys``), for the labelled real volumes (held-out and
robustness) and the no-spine volumes of each leave-one-subject-out fold model.

    python tools/valley_check.py [--report runs/report] [--parts loso loso-seed_7 loso-seed_123]

Prints one line per chain and a summary: the largest deepest dip of the real volumes, and how
many false chains of the no-spine set keep every link at ``nospine.VALLEY_RATIO`` or more (the
ones the rule removes).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import scoring_sets
from shared_data import REAL_VOLUMES, SHARED

from disclabel.labeling import nospine
from disclabel.labeling.labeler import Labeler

FOLDS = ("sub-errsm11", "sub-errsm20", "sub-errsm22", "sub-sctexample")


def fold_items(report: Path, fold: str, no_spine: list) -> list[tuple[str, Path, bool]]:
    """(name, image, is a spine) of a fold: its held-out volumes, their robustness variants,
    and the no-spine set (zeros apart: it is refused)."""
    items = [(f"{v.prefix}_{v.contrast}", SHARED / v.image, True)
             for v in REAL_VOLUMES if v.subject == fold]
    items += [(p.name, p, True) for p in sorted((report / "robustness").glob(f"{fold}_*.nii.gz"))]
    return items + [(name, path, False) for name, path, _ in no_spine if name != "zeros"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, default=Path("runs/report"))
    parser.add_argument("--parts", nargs="+", default=["loso", "loso-seed_7", "loso-seed_123"])
    args = parser.parse_args(argv)
    threshold = nospine.VALLEY_RATIO
    nospine.VALLEY_RATIO = math.inf  # the rule off: every chain is kept and measured
    seen: list[np.ndarray] = []
    measure = nospine.link_valleys

    def recording(disc_map: np.ndarray, peaks: np.ndarray) -> np.ndarray:
        seen.append(measure(disc_map, peaks))
        return seen[-1]

    nospine.link_valleys = recording
    no_spine = scoring_sets.no_spine_set(args.report / "no_spine")
    real, false = [], []
    for part in args.parts:
        for fold in FOLDS:
            labeler = Labeler(args.report / part / fold / "run" / "last.pt", "cpu")
            for name, path, spine in fold_items(args.report, fold, no_spine):
                seen.clear()
                result = labeler.label(path)
                if not result.discs:
                    continue
                deepest = float(seen[-1].min())  # the last decode: the slab's mean heatmaps
                (real if spine else false).append(deepest)
                print(f"{part} {fold} {name}: {len(result.discs)} discs, deepest dip "
                      f"{deepest:.3f}", flush=True)
    removed = sum(d >= threshold for d in false)
    print(f"real volumes: {len(real)} chains, deepest dip at most {max(real, default=math.nan):.3f}"
          f" ({sum(d <= 0.03 for d in real)} at 0.03 or less)")
    print(f"no-spine volumes: {len(false)} false chains, {removed} with every link at "
          f"{threshold:g} or more (removed by the rule)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
