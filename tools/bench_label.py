#!/usr/bin/env python
"""Time label.py on one volume (model work and whole process, start-up included) and per volume
in a batch of 8, on the CPU by default; also each volume's own time in the batch
(the seconds that label.py prints for each volume, reading, labelling and writing, volumes 2 to
8; on the CPU with ONNX Runtime two volumes are labelled at a time, so these overlap and are
longer than the batch's time per volume).

    python tools/bench_label.py [--image IMAGE] [--weights W] [--device cpu]
                                [--backend onnx torch] [--polarity acquired auto]
    python tools/bench_label.py --against REV [--rounds 5]

``--against REV`` times label.py of this tree and of commit REV (checked out in a temporary git
worktree) side by side with the same weights: one volume as a whole process and per volume in a
batch of 8, the two trees alternating for ``--rounds`` rounds; the medians are printed.

IMAGE defaults to sub-errsm11_T2w (384 x 216 x 52) in ../shared/data; without --weights, the
shipped model is used (when it is installed; else an untrained model of the default
architecture, 2 stacks of 256 features, written to a temporary folder: the time of a network
does not depend on its weights).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness
import numpy as np
import torch

from disclabel.labeling.labeler import Labeler
from disclabel.labeling.polarity import POLARITIES
from disclabel.labeling.runtime import BACKENDS, default_weights, onnx_path
from disclabel.model.checkpoint import save_checkpoint
from disclabel.model.hourglass import build_model

REPO = Path(__file__).resolve().parents[1]
DEFAULT_IMAGE = REPO.parent / "shared/data/sct_errsm_t2/sub-errsm11/anat/sub-errsm11_T2w.nii.gz"
BATCH = 8


def measure(image: Path, weights: Path | None, device: str, backend: str = "auto",
            polarity: str = "acquired") -> dict:
    """Seconds of label.py on ``image`` (with ``--polarity polarity``): in process (model work
    apart), as a whole process, and per volume in a batch of ``BATCH`` copies in one process."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        weights = weights or (default_weights() if default_weights().is_file() else None)
        if weights is None:  # timing does not depend on the weights: an untrained model
            torch.manual_seed(0)
            weights = tmp / "default_untrained.pt"
            save_checkpoint(weights, build_model({}), data={"pixel_mm": 1.0})
        labeler = Labeler(weights, device, backend=backend, polarity=polarity)
        labeler.label(image)  # warm-up
        labeler.model_seconds = 0.0
        tic = time.perf_counter()
        result = labeler.label(image)
        in_process = time.perf_counter() - tic
        cmd = [sys.executable, str(REPO / "src/label.py"), "--weights", str(weights),
               "--device", device, "--backend", backend, "--polarity", polarity, "-o"]
        tic = time.perf_counter()
        subprocess.run([*cmd, str(tmp / "one.nii.gz"), str(image)], check=True,
                       capture_output=True)
        whole = time.perf_counter() - tic
        copies = []
        for i in range(BATCH):
            link = tmp / f"copy{i}.nii.gz"
            link.symlink_to(image.resolve())
            copies.append(str(link))
        tic = time.perf_counter()
        done = subprocess.run([*cmd, str(tmp / "batch"), *copies], check=True,
                              capture_output=True, text=True)
        batch = time.perf_counter() - tic
        per_volume = [float(m) for m in re.findall(r"\(([0-9.]+) s\)$", done.stdout, re.M)]
    return {"image": image.name, "shape": list(result.shape), "weights": weights.name,
            "device": labeler.network.device, "runtime": labeler.network.runtime,
            "slices": len(result.slices_tried),
            "model_seconds": labeler.model_seconds, "in_process_seconds": in_process,
            "whole_process_seconds": whole, "batch": BATCH,
            "batch_seconds_per_volume": batch / BATCH,
            "batch_seconds_each_volume": float(np.mean(per_volume[1:]))}


def report(figures: dict) -> str:
    """The figures as printed lines."""
    return (f"image {figures['image']} shape {tuple(figures['shape'])}, weights "
            f"{figures['weights']}, device {figures['device']}, {figures['runtime']}\n"
            f"one volume, in process: model work {figures['model_seconds']:.3f} s over "
            f"{figures['slices']} slices, total {figures['in_process_seconds']:.3f} s\n"
            f"one volume, whole process (python start-up included): "
            f"{figures['whole_process_seconds']:.2f} s\n"
            f"batch of {figures['batch']} in one process: "
            f"{figures['batch_seconds_per_volume']:.2f} s per volume (start-up included), "
            f"each volume {figures['batch_seconds_each_volume']:.2f} s from reading to "
            "writing (two at a time with ONNX Runtime)")


def process_seconds(tree: Path, image: Path, weights: Path, device: str, backend: str,
                    tmp: Path) -> tuple[float, float]:
    """(one volume as a whole process, per volume in a batch of ``BATCH``) seconds of the
    label.py of source tree ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    cmd = [sys.executable, str(tree / "src" / "label.py"), "--weights", str(weights),
           "--device", device, "--backend", backend, "-o"]
    tic = time.perf_counter()
    subprocess.run([*cmd, str(tmp / "one.nii.gz"), str(image)], check=True,
                   capture_output=True, env=env)
    whole = time.perf_counter() - tic
    copies = []
    for i in range(BATCH):
        link = tmp / f"copy{i}.nii.gz"
        if not link.exists():
            link.symlink_to(image.resolve())
        copies.append(str(link))
    tic = time.perf_counter()
    subprocess.run([*cmd, str(tmp / "batch"), *copies], check=True, capture_output=True,
                   env=env)
    return whole, (time.perf_counter() - tic) / BATCH


def against(revision: str, image: Path, weights: Path, device: str, backend: str,
            rounds: int) -> dict:
    """Median label.py seconds of this tree and of ``revision``, alternating."""
    seconds: dict[str, list[tuple[float, float]]] = {"this tree": [], revision: []}
    with tempfile.TemporaryDirectory() as tmp, harness.worktree(revision) as other:
        for _ in range(rounds):
            for name, tree in (("this tree", REPO), (revision, other)):
                work = Path(tmp) / name.replace("/", "_")
                work.mkdir(exist_ok=True)
                seconds[name].append(process_seconds(tree, image, weights, device, backend,
                                                     work))
    return {name: {"whole_process_seconds": float(np.median([s[0] for s in runs])),
                   "batch_seconds_per_volume": float(np.median([s[1] for s in runs])),
                   "rounds": rounds} for name, runs in seconds.items()}


def against_line(name: str, values: dict) -> str:
    """One tree's figures of :func:`against` as a printed line."""
    return (f"label.py of {name}: one volume, whole process "
            f"{values['whole_process_seconds']:.2f} s; batch of {BATCH}: "
            f"{values['batch_seconds_per_volume']:.2f} s per volume (medians of "
            f"{values['rounds']} rounds, alternating)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--backend", nargs="+", default=None, choices=BACKENDS,
                        help="label.py's runtimes to time, one after the other (default: onnx "
                             "and torch where the weights have an ONNX export, else torch)")
    parser.add_argument("--polarity", nargs="+", default=["acquired"], choices=POLARITIES,
                        help="label.py --polarity values to time, one after the other")
    parser.add_argument("--against", metavar="REV", default=None,
                        help="time this tree's label.py side by side with commit REV's")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of --against")
    args = parser.parse_args(argv)
    weights = args.weights or default_weights()
    if args.against:
        backend = (args.backend or ["auto"])[0]
        figures = against(args.against, args.image, weights, args.device, backend,
                          args.rounds)
        for name, values in figures.items():
            print(against_line(name, values))
        return 0
    exported = weights.is_file() and onnx_path(weights).is_file()
    print(f"torch threads {torch.get_num_threads()}")
    for backend in args.backend or (["onnx", "torch"] if exported else ["torch"]):
        for polarity in args.polarity:
            if polarity != "acquired":
                print(f"--polarity {polarity}:")
            print(report(measure(args.image, args.weights, args.device, backend, polarity)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
