"""Evaluate a trained checkpoint on the test split: one metric table per contrast (label-aware
and original-compatible), ``metrics.json``, a per-disc ``metrics.csv`` and, with
``--visualize true``, one picture per test image."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from disclabel.cli.common import Parser, run_main, str2bool
from disclabel.stages import evaluate_model


def get_parser() -> argparse.ArgumentParser:
    p = Parser(prog="test.py", description=__doc__)
    p.add_argument("--datapath", default="prepared_data", help="prepared data folder")
    p.add_argument("--checkpoint", default="",
                   help="checkpoint (default: the shipped model)")
    p.add_argument("--out", default="",
                   help="output folder (default: <run>/<split>, runs/shipped_<split> for the "
                        "shipped model)")
    p.add_argument("--split", default="test", choices=["train", "val", "test"],
                   help="split to evaluate (default: test)")
    p.add_argument("--visualize", type=str2bool, default=False,
                   help="write a picture per image into OUT/images")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--progress", type=str2bool, default=True)
    p.add_argument("--spacing-weight", type=float, default=None, metavar="W",
                   help="weight of the decoder's disc-spacing prior in the numbering vote "
                        "(default: the decoder's own; 0: the vote without the prior)")
    return p


def _body(args: argparse.Namespace) -> int:
    evaluate_model(args.checkpoint or None, args.datapath, args.split, args.out or None,
                   device=args.device, batch=args.batch, visualize=args.visualize,
                   spacing_weight=args.spacing_weight, progress=args.progress)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the script; returns the exit code."""
    return run_main(get_parser(), argv, _body)


def run() -> None:
    """Console entry point."""
    sys.exit(main())
