#!/usr/bin/env python
"""Label the no-spine set (tools/scoring_sets.py: noise, zeros, a knee-like volume, brain-only
fields of view) with each model given and print one summary line per model.

    python tools/no_spine_check.py WEIGHTS [WEIGHTS ...] [--work runs/no_spine] [--device cpu]

For example every leave-one-subject-out fold model of the recipe:
    python tools/no_spine_check.py runs/report/loso/sub-*/run/last.pt
"""

from __future__ import annotations

import argparse

import harness
import scoring_sets

from disclabel.labeling.labeler import Labeler


def get_parser() -> argparse.ArgumentParser:
    return harness.models_parser(__doc__.splitlines()[0], "runs/no_spine",
                                 "the no-spine volumes")


def main(argv: list[str] | None = None) -> int:
    args = get_parser().parse_args(argv)
    items = scoring_sets.no_spine_set(args.work)
    for weights in args.weights:
        labeler = Labeler(weights, args.device, polarity=args.polarity)
        found = {name: scoring_sets._discs_or_refusal(labeler, path) for name, path, _ in items}
        print(f"{weights}: {scoring_sets.no_spine_text(found)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
