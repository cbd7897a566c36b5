#!/usr/bin/env python
"""Score the labeller of another commit beside this tree's, with the same weights, on the four
full real volumes unchanged and changed in 3-D (``make_3d_sets``).

    python tools/labeller_against.py REV [--weights W] [--work runs/against]

For example ``python tools/labeller_against.py 2836330 --weights OLD.pt``: commit 2836330's
label.py (a slab of the central slices, one 2-D chain) against this tree's 3-D labeller. REV's
``src/label.py`` runs in a temporary git worktree (its own package on ``PYTHONPATH``), writes
its label files, and these are scored as this tree's labels are (by disc number within 5 mm,
left-right ignored; :func:`disclabel.evaluation.metrics.volume_metrics`). Prints one table per
labeller, one row per change; writes ``WORK/against.json``. Both trees are scored from their
label files (each disc at a voxel, so errors are rounded to the voxel grid, unlike the
accuracy report's, which reads the labeller's sub-voxel positions).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import harness
import make_3d_sets
import nibabel as nib

from disclabel.data.geometry import sagittal_axes
from disclabel.evaluation.metrics import volume_metrics
from disclabel.evaluation.scoring import reference_discs
from disclabel.labeling.runtime import default_weights


def score_revision(tree: Path, weights: Path, items: list[tuple[str, str, Path, dict]],
                   out: Path) -> list[dict]:
    """Label every item's image with the label.py of source tree ``tree`` (one process) and
    score its label files; one result per item, with ``name``."""
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    subprocess.run([sys.executable, str(tree / "src" / "label.py"), "--weights", str(weights),
                    "-o", str(out), *[str(image) for _, _, image, _ in items]],
                   check=True, capture_output=True, env=env)
    results = []
    for subject, change, image, reference in items:
        stem = image.name.removesuffix(".gz").removesuffix(".nii")
        predicted = reference_discs(out / f"{stem}_labels-disc.nii.gz")
        nii = nib.load(str(image))
        results.append({"name": f"{subject} {change}", **volume_metrics(
            predicted, reference, sagittal_axes(nii.affine, nii.shape))})
    return results


def table(title: str, items: list[tuple[str, str, Path, dict]], results: list[dict]
          ) -> tuple[str, dict]:
    """A markdown table of ``results`` summed per change, and the summaries."""
    rows: dict[str, list[dict]] = {}
    for (_, change, _, _), result in zip(items, results, strict=True):
        rows.setdefault(change, []).append(result)
    summaries = {change: harness.summary(found) for change, found in rows.items()}
    lines = [f"### {title}", "", harness.TABLE_HEADER,
             *(harness.summary_row(change, s) for change, s in summaries.items()), ""]
    return "\n".join(lines), summaries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="the commit whose label.py is scored beside this tree's")
    parser.add_argument("--weights", type=Path, default=None,
                        help="checkpoint both labellers use (default: the shipped model)")
    parser.add_argument("--work", type=Path, default=Path("runs/against"))
    args = parser.parse_args(argv)
    weights = (args.weights or default_weights()).resolve()
    items = make_3d_sets.full_volume_sets(args.work / "3d_sets")
    mine = score_revision(harness.REPO, weights, items, args.work / "labels" / "this-tree")
    with harness.worktree(args.revision) as other:
        theirs = score_revision(other, weights, items, args.work / "labels" / args.revision)
    report = {}
    for name, results in (("this tree", mine), (args.revision, theirs)):
        text, report[name] = table(f"label.py of {name}, weights {weights.name}", items,
                                   results)
        print(text)
    harness.save(args.work / "against.json", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
