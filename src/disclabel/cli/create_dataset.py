"""Gather BIDS datasets (Spine Generic layout) into ``DIR/dataset.json``, or generate a synthetic
one first with ``--synthetic N``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from disclabel.cli.common import Parser, run_main
from disclabel.constants import CONTRASTS, DEFAULT_LABEL_SUFFIX
from disclabel.stages import create_dataset


def get_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="create_dataset.py", description=__doc__)
    parser.add_argument("--bids", nargs="+", type=Path, metavar="ROOT",
                        help="BIDS dataset root(s) in the Spine Generic layout")
    parser.add_argument("--out", type=Path, default=Path("dataset"),
                        help="output folder for dataset.json (default: dataset)")
    parser.add_argument("--contrasts", nargs="+", default=list(CONTRASTS),
                        help="contrasts to gather (default: T1w T2w)")
    parser.add_argument("--label-suffix", nargs="+", default=[DEFAULT_LABEL_SUFFIX],
                        help="label file suffix(es), tried in order "
                             f"(default: {DEFAULT_LABEL_SUFFIX})")
    parser.add_argument("--synthetic", type=int, metavar="N",
                        help="generate N synthetic subjects in OUT/bids and gather them")
    parser.add_argument("--seed", type=int, default=0, help="seed of --synthetic (default: 0)")
    parser.add_argument("--random-contrast", type=float, default=0.0, metavar="FRACTION",
                        help="share of synthetic subjects with random tissue contrast")
    parser.add_argument("--quiet", action="store_true", help="print the summary only")
    return parser


def _body(args: argparse.Namespace) -> int:
    create_dataset(args.bids or (), args.out, args.contrasts, args.label_suffix, args.synthetic,
                   args.seed, args.random_contrast, quiet=args.quiet)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the script; returns the exit code."""
    return run_main(get_parser(), argv, _body)


def run() -> None:
    """Console entry point."""
    sys.exit(main())
