"""Turn a manifest (create_dataset.py) into train/val/test samples: a seeded subject-level split,
canonical sagittal images on a fixed grid, and per-disc keypoints."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from disclabel.cli.common import Parser, run_main
from disclabel.constants import PIXEL_MM
from disclabel.stages import prepare_trainset


def get_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="prepare_trainset.py", description=__doc__)
    parser.add_argument("--source", type=Path, default=Path("dataset"),
                        help="folder holding dataset.json (default: dataset)")
    parser.add_argument("--target", type=Path, default=Path("prepared_data"),
                        help="output folder (default: prepared_data)")
    parser.add_argument("--split", type=float, nargs=3, default=[0.8, 0.1, 0.1],
                        metavar=("TRAIN", "VAL", "TEST"),
                        help="subject shares of the three sides (default: 0.8 0.1 0.1)")
    parser.add_argument("--seed", type=int, default=42, help="split seed (default: 42)")
    parser.add_argument("--contrasts", nargs="+", default=None,
                        help="only these contrasts (default: all in the manifest)")
    parser.add_argument("--grid", type=int, nargs=2, default=None, metavar=("ROWS", "COLS"),
                        help="a fixed grid, multiples of 64 (default: per split, the smallest "
                             "that holds every field of view whole)")
    parser.add_argument("--pixel-mm", type=float, default=PIXEL_MM,
                        help=f"in-plane pixel size in mm (default: {PIXEL_MM})")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _body(args: argparse.Namespace) -> int:
    prepare_trainset(args.source, args.target, args.split, args.seed, args.contrasts,
                     None if args.grid is None else tuple(args.grid), args.pixel_mm,
                     progress=not args.no_progress)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the script; returns the exit code."""
    return run_main(get_parser(), argv, _body)


def run() -> None:
    """Console entry point."""
    sys.exit(main())
