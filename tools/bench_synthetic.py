#!/usr/bin/env python
"""Speed of the synthetic generator: 3-D volumes per second at Spine Generic size (one contrast),
with and without writing the gzipped NIfTI files, and milliseconds per 2-D sample.

    python tools/bench_synthetic.py [--volumes 10] [--samples 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from disclabel.synthetic import sample_2d
from disclabel.synthetic.anatomy import sample_anatomy
from disclabel.synthetic.volume import render_volumes, sample_geometry
from disclabel.synthetic.writer import write_subject

CONTRAST = "T2w"
WARMUP = 1


def bench_volumes(n: int, write: bool) -> float:
    """Volumes per second of generate (and write) at the Spine Generic grid, one contrast."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = 0.0
        for i in range(n + WARMUP):
            if i == WARMUP:
                t0 = time.perf_counter()
            anat = sample_anatomy(np.random.default_rng([i, 0]))
            geom = sample_geometry(np.random.default_rng([i, 1]), anat, spine_generic=True)
            vols = render_volumes(i, anat, geom, (CONTRAST,))
            if write:
                write_subject(Path(tmp), f"sub-bench{i:03d}", vols)
        return n / (time.perf_counter() - t0)


def bench_2d(n: int) -> float:
    """Milliseconds per sample_2d call (default 256 x 256 grid)."""
    rng = np.random.default_rng(0)
    sample_2d(rng)
    t0 = time.perf_counter()
    for _ in range(n):
        sample_2d(rng)
    return (time.perf_counter() - t0) / n * 1000.0


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--volumes", type=int, default=10, help="3-D volumes per measurement")
    p.add_argument("--samples", type=int, default=200, help="2-D samples")
    return p


def main(argv: list[str] | None = None) -> int:
    args = get_parser().parse_args(argv)
    print(f"3-D, 64 x 320 x 320, one contrast: {bench_volumes(args.volumes, False):.2f} volumes/s "
          "(generation)")
    print(f"3-D, 64 x 320 x 320, one contrast: {bench_volumes(args.volumes, True):.2f} volumes/s "
          "(generation + gzipped NIfTI image and labels)")
    print(f"2-D sample_2d 256 x 256: {bench_2d(args.samples):.1f} ms/sample")
    return 0


if __name__ == "__main__":
    sys.exit(main())
