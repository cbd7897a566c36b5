"""Evaluate a trained checkpoint on the test split: one metric table per contrast (label-aware
and original-compatible), ``metrics.json``, a per-disc ``metrics.csv`` and, with
``--visualize true``, one picture per test image."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ..io import InputError
from .common import Parser, run_main, str2bool


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
    from ..evaluation import evaluate_checkpoint

    if args.batch < 1:
        raise InputError(f"--batch {args.batch}: must be at least 1")
    if args.spacing_weight is not None and not args.spacing_weight >= 0:
        raise InputError(f"--spacing-weight {args.spacing_weight:g}: must be 0 or more")
    from ..inference import check_weights

    ckpt = check_weights(args.checkpoint or None)
    default_out = (ckpt.parent / args.split if args.checkpoint
                   else Path("runs") / f"shipped_{args.split}")
    out = Path(args.out) if args.out else default_out
    from ..spacing import weight_set

    try:
        with weight_set(args.spacing_weight):  # in-process callers keep the decoder they had
            evaluate_checkpoint(ckpt, Path(args.datapath) / f"{args.split}.npz", out,
                                device=args.device, batch_size=args.batch,
                                visualize_dir=out / "images" if args.visualize else None,
                                title=args.split, progress=args.progress)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the script; returns the exit code."""
    return run_main(get_parser(), argv, _body)


def run() -> None:
    """Console entry point."""
    sys.exit(main())
