#!/usr/bin/env python
"""How often each disc is in a synthetic training window, per 2-D style.

    python tools/window_presence.py [--styles v6 v8 v9] [--windows 300] [--seed 0]

Prints, per style, the share of ``--windows`` windows (``sample_2d``, 256 x 256 at 1 mm) in
which each disc number 1-25 is present, and the share with L5/S1 (disc 25).
"""

from __future__ import annotations

import argparse

import numpy as np

from disclabel.constants import NUM_DISCS
from disclabel.synthetic import sample_2d


def presence(style: str, windows: int, seed: int) -> np.ndarray:
    """(NUM_DISCS,) share of the windows in which each disc is present."""
    rng = np.random.default_rng(seed)
    seen = np.zeros(NUM_DISCS)
    for _ in range(windows):
        seen += np.isfinite(sample_2d(rng, style=style)[1][:, 0])
    return seen / windows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--styles", nargs="+", default=["v6", "v8", "v9"])
    parser.add_argument("--windows", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for style in args.styles:
        share = presence(style, args.windows, args.seed)
        print(f"{style}: L5/S1 in {100 * share[-1]:.1f} % of {args.windows} windows; per disc "
              + " ".join(f"{100 * s:.0f}" for s in share))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
