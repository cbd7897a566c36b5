#!/usr/bin/env python
"""Time label.py on one volume (model work and whole process, start-up included) and per volume
in a batch of 8, on the CPU by default.

    python tools/bench_label.py [--image IMAGE] [--weights W] [--device cpu]

IMAGE defaults to sub-errsm11_T2w (384 x 216 x 52) in ../shared/data; without --weights, the
shipped model is used (when it is installed; else an untrained model of the default
architecture, 2 stacks of 256 features, written to a temporary folder: the time of a network
does not depend on its weights).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from disclabel.checkpoint import default_weights, save_checkpoint
from disclabel.inference import Labeler
from disclabel.models import build_model

REPO = Path(__file__).resolve().parents[1]
DEFAULT_IMAGE = REPO.parent / "shared/data/sct_errsm_t2/sub-errsm11/anat/sub-errsm11_T2w.nii.gz"
BATCH = 8


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        weights = args.weights or (default_weights() if default_weights().is_file() else None)
        if weights is None:  # timing does not depend on the weights: an untrained model
            torch.manual_seed(0)
            weights = tmp / "default_untrained.pt"
            save_checkpoint(weights, build_model({}), data={"pixel_mm": 1.0})
        labeler = Labeler(weights, args.device)
        labeler.label(args.image)  # warm-up
        labeler.model_seconds = 0.0
        tic = time.perf_counter()
        result = labeler.label(args.image)
        in_process = time.perf_counter() - tic
        print(f"image {args.image.name} shape {result.shape}, weights {weights.name}, "
              f"torch threads {torch.get_num_threads()}")
        print(f"one volume, in process: model work {labeler.model_seconds:.3f} s over "
              f"{len(result.slices_tried)} slices, total {in_process:.3f} s")
        cmd = [sys.executable, str(REPO / "src/label.py"), "--weights", str(weights),
               "--device", args.device, "-o"]
        tic = time.perf_counter()
        subprocess.run([*cmd, str(tmp / "one.nii.gz"), str(args.image)], check=True,
                       capture_output=True)
        print(f"one volume, whole process (python start-up included): "
              f"{time.perf_counter() - tic:.2f} s")
        copies = []
        for i in range(BATCH):
            link = tmp / f"copy{i}.nii.gz"
            link.symlink_to(args.image.resolve())
            copies.append(str(link))
        tic = time.perf_counter()
        subprocess.run([*cmd, str(tmp / "batch"), *copies], check=True, capture_output=True)
        total = time.perf_counter() - tic
        print(f"batch of {BATCH} in one process: {total:.2f} s, {total / BATCH:.2f} s per volume")
    return 0


if __name__ == "__main__":
    sys.exit(main())
