#!/usr/bin/env python
"""Export a checkpoint's network to ONNX beside it, for label.py's ONNX Runtime backend.

    python tools/export_onnx.py WEIGHTS [WEIGHTS ...]

Writes ``WEIGHTS`` with the suffix ``.onnx`` (a run's ``best.pt`` -> ``best.onnx``), recording
the checkpoint's checksum: label.py (``--backend auto``, on the CPU) then runs it without
importing PyTorch, and falls back to PyTorch if the checkpoint changes later. Checks that ONNX
Runtime and PyTorch give the same heatmaps on a random input before reporting success.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from disclabel.data.io import InputError
from disclabel.labeling.onnxnet import OnnxNetwork
from disclabel.labeling.runtime import onnx_path
from disclabel.labeling.torchnet import TorchNetwork, export_onnx

TOLERANCE = 1e-4
"""Largest difference allowed between the two runtimes' heatmaps (values in [0, 1])."""


def export_and_check(weights: Path) -> float:
    """Export ``weights``; returns the largest heatmap difference between the two runtimes."""
    target = onnx_path(weights)
    export_onnx(weights, target)
    images = np.random.default_rng(0).normal(size=(2, 1, 256, 320)).astype(np.float32)
    difference = float(np.abs(OnnxNetwork(target)(images)
                              - TorchNetwork(weights, "cpu")(images)).max())
    if difference > TOLERANCE:
        target.unlink()
        raise InputError(f"{weights}: the ONNX export differs from PyTorch by {difference:.2e} "
                         f"(more than {TOLERANCE:g}); nothing written")
    return difference


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", nargs="+", type=Path)
    args = parser.parse_args(argv)
    failures = 0
    for weights in args.weights:
        try:
            difference = export_and_check(weights)
        except InputError as exc:
            failures += 1
            print(f"export_onnx.py: error: {exc}", file=sys.stderr)
            continue
        print(f"{weights} -> {onnx_path(weights)} (largest difference from PyTorch "
              f"{difference:.1e})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
