#!/usr/bin/env python
"""How well the numbering margin flags a wrongly named volume, over parts of the accuracy
report (``runs/report/report.json``): for the volumes named wholly right (every reference disc
identified, no false positive) and the others, how many have a margin below a threshold.

    python tools/margin_check.py [--report runs/report/report.json] [--below 3]
                                 [--parts loso loso-seed_7 loso-seed_123]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path


def volumes(part: dict) -> list[dict]:
    """Every scored volume of a leave-one-subject-out part (held-out and robustness)."""
    return part["volumes"] + [v for r in part["robustness"].values() for v in r["volumes"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, default=Path("runs/report/report.json"))
    parser.add_argument("--parts", nargs="+", default=["loso", "loso-seed_7", "loso-seed_123"])
    parser.add_argument("--below", type=float, default=3.0, help="margin threshold (nats)")
    args = parser.parse_args(argv)
    report = json.loads(args.report.read_text())
    right, wrong = [], []
    for name in args.parts:
        for v in volumes(report[name]):
            margin = v.get("offset_margin_nats")
            if not v["n_ref"] or margin is None or not math.isfinite(margin):
                continue
            ok = v["n_identified"] == v["n_ref"] and v["false_positives"] == 0
            (right if ok else wrong).append(margin)
    for label, margins in (("named wholly right", right), ("not", wrong)):
        low = sum(m < args.below for m in margins)
        lo, hi = min(margins, default=math.nan), max(margins, default=math.nan)
        print(f"{label}: {len(margins)} volumes, {low} with a margin below {args.below:g} nats"
              f" (margins {lo:.1f}-{hi:.1f})")
    print("wrong volumes' margins: " + ", ".join(f"{m:.1f}" for m in sorted(wrong)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
