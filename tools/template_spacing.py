#!/usr/bin/env python
"""The disc spacing of the PAM50 template, as the decoder's spacing prior holds it
(``disclabel.labeling.spacing.TEMPLATE_LINKS_MM``): the distance from each disc's posterior tip
to the next one's, in mm, from ``PAM50_small_label_discPosterior`` in ../shared/data.

    python tools/template_spacing.py [--fit] [--synthetic N]

Prints one line per link and whether the decoder's table matches (exit 1 if not). ``--fit``
also prints, for every labelled real volume, the prior's log-likelihood
(``spacing.spacing_log_likelihood``) of its reference discs at their true numbers and one level
high or low, for the whole chain and with its top two discs cut away (as the accuracy report's
cropped volumes). ``--synthetic N`` prints the mean disc-to-disc distance of N anatomies of
the synthetic generator (the default style's neck proportions) beside the template's, and how
often the prior prefers their true numbers over one level off (C2/C3 to L1/L2, and the
thoracolumbar part T6/T7 to L1/L2 alone).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from shared_data import REAL_VOLUMES, SHARED

from disclabel.evaluation.scoring import reference_discs
from disclabel.labeling import spacing
from disclabel.synthetic.anatomy import sample_anatomy
from disclabel.synthetic.styles import DEFAULT_STYLE_2D, STYLES_2D

TEMPLATE = Path("sct_testing_data/template/PAM50_small_label_discPosterior.nii.gz")


def template_links(path: Path = SHARED / TEMPLATE) -> dict[int, float]:
    """``{n: distance (mm, 0.1 mm) from disc n to disc n + 1}`` of a disc label file."""
    discs = reference_discs(path)
    return {n: round(float(np.linalg.norm(np.subtract(discs[n + 1], discs[n]))), 1)
            for n in sorted(discs) if n + 1 in discs}


def fit_shifts(path: Path, drop_top: int = 0) -> dict[int, float | None]:
    """``{shift: log-likelihood}`` of a disc label file's discs (world mm) numbered ``shift``
    (-1: one level high, 0: true, +1: one level low), the top ``drop_top`` discs left out."""
    discs = reference_discs(path)
    numbers = np.array(sorted(discs)[drop_top:])
    points = np.array([discs[n] for n in numbers], dtype=float)
    return {shift: spacing.spacing_log_likelihood(points, numbers + shift) for shift in (-1, 0, 1)}


def print_fits() -> None:
    """One line per labelled real volume and crop: the log-likelihoods of :func:`fit_shifts`."""
    def fmt(v: float | None) -> str:
        return "  n/a" if v is None else f"{v:5.1f}"
    for volume in REAL_VOLUMES:
        for drop, what in ((0, "whole chain"), (2, "top two cut")):
            fits = fit_shifts(SHARED / volume.label, drop)
            print(f"{volume.prefix}_{volume.contrast} {what}: one high {fmt(fits[-1])}, "
                  f"true {fmt(fits[0])}, one low {fmt(fits[1])}")


def synthetic_links(count: int, seed: int = 0) -> np.ndarray:
    """(count, 24) distances (mm) from disc n to n + 1 (n = 1..24) of ``count`` anatomies
    drawn by the generator with the default style's neck proportions; the label points
    (posterior tips) are those the synthetic images are labelled with."""
    rng = np.random.default_rng(seed)
    scale = STYLES_2D[DEFAULT_STYLE_2D].cervical_scale
    points = np.stack([sample_anatomy(rng, scale).label_points() for _ in range(count)])
    return np.linalg.norm(np.diff(points, axis=1), axis=2)


def prefers_true(links: np.ndarray, first: int, last: int) -> float:
    """Share of chains (rows of ``links``, disc n to n + 1 in column n - 1) whose discs
    ``first``..``last`` the prior scores higher at their true numbers than one level off."""
    numbers = np.arange(first, last + 1)
    wins = 0
    for row in links:
        rows = np.r_[0.0, np.cumsum(row[first - 1:last - 1])]
        points = np.stack([rows, np.zeros_like(rows)], axis=1)
        fits = [spacing.spacing_log_likelihood(points, numbers + shift) for shift in (-1, 0, 1)]
        wins += fits[1] > max(fits[0], fits[2])
    return wins / len(links)


def print_synthetic(count: int) -> None:
    """The generator's mean links beside the template's, and :func:`prefers_true` shares."""
    links = synthetic_links(count)
    for n, mm in spacing.TEMPLATE_LINKS_MM.items():
        print(f"disc {n} -> {n + 1}: template {mm:5.1f} mm, synthetic mean "
              f"{links[:, n - 1].mean():5.1f} (sd {links[:, n - 1].std():.1f})")
    for first, last in ((3, 21), (14, 21)):
        print(f"synthetic discs {first}-{last}: the prior prefers the true numbers in "
              f"{100 * prefers_true(links, first, last):.0f} % of {count} anatomies")


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true",
                        help="also print the prior's fit to every labelled real volume")
    parser.add_argument("--synthetic", type=int, default=0, metavar="N",
                        help="also compare the synthetic generator's spacing over N anatomies")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = get_parser().parse_args(argv)
    links = template_links()
    for n, mm in links.items():
        print(f"disc {n} -> {n + 1}: {mm:5.1f} mm (decoder: {spacing.TEMPLATE_LINKS_MM.get(n)})")
    same = links == spacing.TEMPLATE_LINKS_MM
    print("the decoder's table matches" if same else "the decoder's table DIFFERS")
    if args.fit:
        print_fits()
    if args.synthetic > 0:
        print_synthetic(args.synthetic)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
