#!/usr/bin/env python
"""What the network sees at the lowest disc of a lumbar chain and one link below it: for each
synthetic region volume, where the chain's lowest disc lies (at the reference L5/S1, at L4/L5
when L5/S1 was missed, elsewhere) and the projected channel evidence there and at the point one
link further down the chain (its sum over the channels, its largest channel, the L5/S1 channel,
and the disc map the decoder detects peaks on, each channel less ``CHANNEL_FLOOR``).

    python tools/lowest_disc_evidence.py [--weights W] [--work runs/devregions]
                                         [--region lumbar] [--development]

The volumes are those of ``tools/synthetic_check.py --regions`` (with ``--development``, the
development sets), written under ``--work`` when missing and reused. A development tool: it
reads the labeller's internal reading (``Labeler._read``) for the per-channel evidence.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import scoring_sets
from synthetic_check import DEVELOPMENT_PER_SET, PER_SET

from disclabel.constants import FIRST_CHAIN_DISC, NUM_DISCS, OUTPUT_STRIDE
from disclabel.labeling.labeler import Labeler
from disclabel.labeling.peaks import CHANNEL_FLOOR
from disclabel.labeling.runtime import default_weights
from disclabel.labeling.volumes import read_volume

AT_REFERENCE_MM: float = 8.0
"""The lowest disc lies at a reference disc when within this distance of it (left-right
ignored)."""
DISC_RADIUS: float = 0.15
"""Evidence at a disc: the strongest pixel within this fraction of the last link around it."""
BELOW_RADIUS: float = 0.3
"""Evidence one link below: the strongest pixel within this fraction of the last link around
the point one link below the lowest disc, along the last link."""


def reference_discs(label: Path) -> dict[int, np.ndarray]:
    """{disc number: world position (3,) in mm} of a label file."""
    image = nib.load(str(label))
    data = np.asarray(image.dataobj)
    return {int(data[tuple(p)]): nib.affines.apply_affine(image.affine, p)
            for p in np.argwhere(data > 0)}


def profile(maps: np.ndarray, point: np.ndarray, radius_px: float) -> np.ndarray | None:
    """The channel values (D,) of ``maps`` (D, h, w) at the output pixel of largest channel sum
    within ``radius_px`` input pixels of ``point`` (row, col in input pixels); None when no
    pixel lies there."""
    _, h, w = maps.shape
    rows, cols = np.mgrid[0:h, 0:w]
    near = ((rows * OUTPUT_STRIDE - point[0]) ** 2 + (cols * OUTPUT_STRIDE - point[1]) ** 2
            <= radius_px ** 2)
    if not near.any():
        return None
    values = maps[:, near]
    return values[:, int(np.argmax(values.sum(axis=0)))]


def describe(values: np.ndarray | None) -> str:
    """Sum, largest channel, L5/S1 channel and disc-map value of a channel profile."""
    if values is None:
        return "outside the grid"
    disc = np.maximum(values[FIRST_CHAIN_DISC - 1:] - CHANNEL_FLOOR, 0.0).sum()
    top = int(np.argmax(values))
    return (f"sum {values.sum():.2f}, largest {top + 1}: {values[top]:.2f}, "
            f"L5/S1 {values[NUM_DISCS - 1]:.2f}, disc map {disc:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=None,
                        help="checkpoint (default: the shipped model)")
    parser.add_argument("--work", type=Path, default=Path("runs/devregions"))
    parser.add_argument("--region", default="lumbar", choices=scoring_sets.REGIONS)
    parser.add_argument("--development", action="store_true",
                        help="the development region sets (24 volumes) instead of the scoring "
                             "ones (12)")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    count, seed = ((DEVELOPMENT_PER_SET, scoring_sets.DEVELOPMENT_SEED) if args.development
                   else (PER_SET, scoring_sets.REGION_SEED))
    items = scoring_sets.region_set(args.work, args.region, count, reuse=True, seed=seed)
    labeler = Labeler(args.weights or default_weights(), device="cpu")
    below_sums: dict[str, list[float]] = {}
    for name, image, label in items:
        result = labeler.label(image)
        loaded = read_volume(image)  # the same reading again, for its per-channel evidence
        reading = labeler._read(loaded.volume, loaded.nii.affine, invert=False)
        found = np.flatnonzero(np.isfinite(reading.chain.coords[:, 0]))
        if len(found) < 2 or not result.discs:
            print(f"{name}: fewer than two discs")
            continue
        reference = reference_discs(label)
        lowest = np.asarray(result.discs[-1].world_mm)
        nearest = min(reference, key=lambda n: np.linalg.norm(lowest[1:] - reference[n][1:]))
        at = (nearest if np.linalg.norm(lowest[1:] - reference[nearest][1:]) <= AT_REFERENCE_MM
              else None)
        kind = ("at L5/S1" if at == NUM_DISCS else "at L4/L5, L5/S1 missed"
                if at == NUM_DISCS - 1 else f"at {at}" if at else "at no reference disc")
        above, last = reading.chain.coords[found[-2]], reading.chain.coords[found[-1]]
        link = float(np.linalg.norm(last - above))
        here = profile(reading.projected, last, DISC_RADIUS * link)
        below = profile(reading.projected, last + (last - above), BELOW_RADIUS * link)
        if below is not None:
            below_sums.setdefault(kind, []).append(float(below.sum()))
        print(f"{name}: lowest disc named {result.discs[-1].number}, {kind}; there: "
              f"{describe(here)}; one link below: {describe(below)}")
    for kind, sums in sorted(below_sums.items()):
        print(f"lowest disc {kind}: {len(sums)} volumes, channel sum one link below "
              f"{min(sums):.2f}-{max(sums):.2f} (median {np.median(sums):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
