"""Gather BIDS datasets (Spine Generic layout) into ``DIR/dataset.json``, or generate a synthetic
one first with ``--synthetic N``."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ..constants import CONTRASTS, DEFAULT_LABEL_SUFFIX, MANIFEST_NAME
from ..io import InputError, write_json
from ..manifest import gather, manifest_dict
from .common import Parser, run_main


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


def _summary(manifest: dict) -> str:
    per_contrast = Counter(e["contrast"] for e in manifest["entries"])
    subjects = {e["subject"] for e in manifest["entries"]}
    lines = [f"{len(manifest['entries'])} usable pairs from {len(subjects)} subjects: "
             + ", ".join(f"{c} {per_contrast.get(c, 0)}" for c in manifest["contrasts"])]
    if manifest["ignored_label_values"]:
        lines.append("ignored label values (not discs): " + ", ".join(
            f"{v} x{n}" for v, n in manifest["ignored_label_values"].items()))
    for skip in manifest["skipped"]:
        lines.append(f"skipped {skip['image']}: {skip['reason']}")
    return "\n".join(lines)


def _body(args: argparse.Namespace) -> int:
    roots = list(args.bids or [])
    if args.synthetic is not None:
        if args.synthetic < 1:
            raise InputError(f"--synthetic {args.synthetic}: need at least 1 subject")
        from ..synthetic import write_bids_dataset

        synth_root = args.out / "bids"
        start = time.perf_counter()
        write_bids_dataset(synth_root, args.synthetic, seed=args.seed, contrasts=args.contrasts,
                           random_contrast_fraction=args.random_contrast,
                           progress=not args.quiet)
        print(f"generated {args.synthetic} synthetic subjects in {synth_root} "
              f"({time.perf_counter() - start:.1f} s)")
        roots.append(synth_root)
    if not roots:
        raise InputError("no input: give --bids ROOT [ROOT ...] or --synthetic N")
    log = None if args.quiet else print
    result = gather(roots, args.contrasts, args.label_suffix, log=log)
    manifest = manifest_dict(result, roots, args.contrasts, args.label_suffix)
    print(_summary(manifest))
    if not result.entries:
        raise InputError(f"{', '.join(str(r) for r in roots)}: no usable image/label pair "
                         f"(contrasts {' '.join(args.contrasts)}, label suffix "
                         f"{' '.join(args.label_suffix)})")
    out = args.out / MANIFEST_NAME
    write_json(out, manifest)
    print(f"wrote {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the script; returns the exit code."""
    return run_main(get_parser(), argv, _body)


def run() -> None:
    """Console entry point."""
    sys.exit(main())
