#!/usr/bin/env python
"""The speed benchmark (``make bench``): prints figures and writes them as JSON.

    python tools/benchmark.py [--device auto|cpu|cuda] [--batch B] [--steps N]
                              [--repeats R] [--model all|default|shipped] [--compile]
                              [--json runs/bench/bench.json] [--no-label]
                              [--against REV [--rounds N]]

* Training images per second and peak memory, side by side in one run, of the fast path
  (``main.py --fast true``: mixed precision where supported, channels-last, heatmap targets
  rendered on the device, and on a CUDA GPU the step replayed as a CUDA graph; there also the
  fast path without graphs) and of the plain fp32 eager baseline of the same model (targets
  rendered on the host per sample, as a DataLoader would, and moved with the batch), for the
  default model (2 stacks of 256 features) and the shipped one (``disclabel.training.recipe``), on
  256 x 256 windows; each figure is the best of ``--repeats`` timed runs of ``--steps`` steps
  (the eager baseline's speed is bound by the host and varies: on an H200, 312 to 446
  images/s from one run of the benchmark to another). The batches are made before the timed
  loop (as loader workers deliver them; pinned memory on a GPU), so the timed loop is the
  training step. Each configuration runs in a fresh process, so that its peak memory is its
  own (CUDA: peak allocated over the whole process; CPU: peak resident memory above the
  process's size before the model was built). ``--compile`` adds the fast path with
  ``torch.compile`` (compiling takes a minute or more): on a GPU for both models, with the
  compiled step captured in the CUDA graph; on a CPU for the shipped model. A configuration
  that fails is reported as such and the others still run.
* Inference milliseconds per slice (the shipped model as label.py runs it, with each runtime
  it can use here: ONNX Runtime and PyTorch on a CPU; batches of 5 slices, as label.py's
  passes).
* label.py seconds per volume, alone (whole process) and in a batch of 8 (tools/bench_label.py),
  with each of those runtimes.
* With ``--against REV``: label.py of this tree and of commit REV side by side (one volume as a
  whole process and per volume in a batch of 8, the trees alternating for ``--rounds`` rounds,
  medians; :func:`bench_label.against`). ``make bench`` gives ``SLAB_SEARCH_REV``, the last
  commit whose label.py searched a slab of the central slices for one 2-D chain, so that the
  3-D labelling's cost is measured against it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import bench_label
import numpy as np
import torch

from disclabel.constants import NUM_DISCS, OUTPUT_STRIDE, SIGMA_MM, WINDOW_SHAPE
from disclabel.data.dataset import sigma_output_px
from disclabel.data.heatmaps import render_heatmaps
from disclabel.labeling.runtime import default_weights, load_network, onnx_path
from disclabel.model.device import resolve_device
from disclabel.model.hourglass import build_model, count_parameters
from disclabel.training.config import TrainConfig, make_optimizer
from disclabel.training.cuda_graph import WARMUP_STEPS, CudaGraphStep
from disclabel.training.fastpath import FastPath, choose_fast_path, prepare_model
from disclabel.training.recipe import MODEL_ARGS, flag_value
from disclabel.training.step import train_one_epoch

_STACKS, _FEATURES = (int(flag_value(MODEL_ARGS, f)) for f in ("--stacks", "--features"))
MODELS = {
    "default (2 stacks, 256 features)": {"stacks": 2, "features": 256, "attention": True},
    f"shipped ({_STACKS} stack{'s' * (_STACKS > 1)}, {_FEATURES} features)":
        {"stacks": _STACKS, "features": _FEATURES, "attention": True},
}
INFERENCE_BATCH = 5
PRESENT_DISCS = 10
DISTINCT_BATCHES = 8
"""Batches made before the timed loop, cycled through."""


def _batches(count: int, batch: int, targets_on_host: bool, seed: int = 0,
             pin: bool = False) -> list[dict[str, torch.Tensor]]:
    """``count`` training batches of random windows with ``PRESENT_DISCS`` discs each, made
    before the timed loop (as loader workers deliver them, in pinned memory for a GPU); the
    baseline's carry host-rendered targets (25 maps per sample to move to the device)."""
    rng = np.random.default_rng(seed)
    h, w = WINDOW_SHAPE
    out = []
    for _ in range(count):
        keypoints = np.full((batch, NUM_DISCS, 2), np.nan, np.float32)
        keypoints[:, :PRESENT_DISCS] = rng.uniform(16, h - 16, (batch, PRESENT_DISCS, 2))
        item = {"image": torch.from_numpy(rng.random((batch, 1, h, w), np.float32)),
                "keypoints": torch.from_numpy(keypoints),
                "weight": torch.ones(batch, NUM_DISCS),
                "pixel_mm": torch.ones(batch)}
        if targets_on_host:
            sigma = sigma_output_px(SIGMA_MM, 1.0)
            item["target"] = torch.from_numpy(np.stack([
                render_heatmaps(k, (h // OUTPUT_STRIDE, w // OUTPUT_STRIDE), sigma)
                for k in keypoints]))
        out.append({k: v.pin_memory() for k, v in item.items()} if pin else item)
    return out


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class TrainingRun:
    """One training configuration made ready to time: the model on ``device`` with the fast
    path ``path`` (its optimiser made by :func:`disclabel.training.config.make_optimizer`, its CUDA
    graph step where ``path.graphs``) and ``count`` batches of ``batch`` windows made before
    any timing (pinned memory on a GPU; with ``host_targets`` they carry targets rendered on
    the host, as the fp32 baseline's loader would send them)."""

    def __init__(self, config: dict, device: torch.device, path: FastPath, batch: int,
                 count: int, host_targets: bool) -> None:
        torch.manual_seed(0)
        self.device, self.path = device, path
        self.model = build_model(config).to(device)
        self.step_model = prepare_model(self.model, path)
        self.optimizer = make_optimizer(TrainConfig(solver="adam", lr=1e-3), self.model, path)
        self.scaler = torch.amp.GradScaler(device.type) if path.scaler else None
        self.step = (CudaGraphStep(self.step_model, self.optimizer, device, path)
                     if path.graphs else None)
        self.batches = _batches(count, batch, host_targets, pin=device.type == "cuda")

    def run(self, steps: int) -> float:
        """Seconds for ``steps`` training steps (cycling through the batches), waiting for
        the device at the end."""
        loader = [self.batches[i % len(self.batches)] for i in range(steps)]
        tic = time.perf_counter()
        stats = train_one_epoch(self.step_model, loader, self.optimizer, self.device,
                                progress=False, fast=self.path, scaler=self.scaler,
                                step=self.step)
        float(stats["loss_sum"])  # waits for the device
        return time.perf_counter() - tic


def train_speed(config: dict, device_name: str, fast: bool, compile_model: bool, batch: int,
                steps: int, warmup: int, graphs: bool = True, repeats: int = 1) -> dict:
    """Training images per second (the best of ``repeats`` timed runs of ``steps`` steps) and
    peak memory of one configuration (run in a fresh process). The batches are made first;
    the timed loop is the training step alone."""
    device = resolve_device(device_name)
    start_mb = _rss_mb()
    path = choose_fast_path(device, fast, "auto", compile_model, graphs)
    run = TrainingRun(config, device, path, batch, min(steps, DISTINCT_BATCHES), not fast)
    run.run(warmup)
    seconds = min(run.run(steps) for _ in range(repeats))
    out = {"images_per_second": steps * batch / seconds, "precision": path.describe(),
           "parameters": count_parameters(run.model)}
    if device.type == "cuda":  # over the whole process: warm-up and graph capture included
        out["peak_memory_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
        out["peak_reserved_mb"] = torch.cuda.max_memory_reserved(device) / 2**20
    else:
        out["peak_memory_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                                 - start_mb)
    if run.step is not None:
        out["graph"] = {"captures": run.step.captures, "replays": run.step.replays,
                        "eager_steps": run.step.eager_steps}
    return out


def inference_speed(device_name: str, repeats: int, backend: str) -> dict:
    """Milliseconds per slice of the shipped model as label.py runs it with ``backend``."""
    network = load_network(default_weights(), device_name, backend)
    x = np.random.default_rng(0).random((INFERENCE_BATCH, 1, *WINDOW_SHAPE), np.float32)
    times = []
    for i in range(repeats + 1):
        tic = time.perf_counter()
        network(x)
        if i:
            times.append(time.perf_counter() - tic)
    return {"ms_per_slice": 1000 * float(np.median(times)) / INFERENCE_BATCH,
            "batch": INFERENCE_BATCH, "window": list(WINDOW_SHAPE),
            "runtime": network.runtime, "device": network.device}


def label_backends(device: torch.device) -> list[str]:
    """The runtimes label.py can use for the shipped model here: PyTorch, and on the CPU ONNX
    Runtime where the model's export is installed."""
    cpu_onnx = device.type == "cpu" and onnx_path(default_weights()).is_file()
    return ["onnx", "torch"] if cpu_onnx else ["torch"]


def _isolated(function, *args):
    """``function(*args)`` in a fresh process (its own peak memory, no warm caches)."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def _variants(gpu: bool, args: argparse.Namespace, model_name: str
              ) -> list[tuple[str, bool, bool, bool]]:
    """The training configurations timed for one model: (label, fast path, torch.compile,
    CUDA graphs); the baseline first."""
    out = [("fp32 eager baseline", False, False, False)]
    if gpu:  # what the CUDA graphs add, apart from precision and layout
        out.append(("fast path without CUDA graphs", True, False, False))
    out.append(("fast path", True, False, True))
    if args.compile and gpu:
        out.append(("fast path + torch.compile", True, True, True))
    elif args.compile and model_name.startswith("shipped"):
        out.append(("fast path + torch.compile", True, True, False))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch", type=int, default=None,
                        help="training batch (default: 16 on a GPU, 4 on a CPU)")
    parser.add_argument("--steps", type=int, default=None,
                        help="timed training steps (default: 60 on a GPU, 3 on a CPU)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed runs per configuration, the best one reported "
                             "(default: 3 on a GPU, 1 on a CPU)")
    parser.add_argument("--model", choices=("all", "default", "shipped"), default="all",
                        help="the models whose training is timed (default: both)")
    parser.add_argument("--compile", action="store_true",
                        help="also time the fast path with torch.compile")
    parser.add_argument("--json", type=Path, default=Path("runs/bench/bench.json"))
    parser.add_argument("--no-label", action="store_true", help="skip the label.py timings")
    parser.add_argument("--against", metavar="REV", default=None,
                        help="also time label.py side by side with that of commit REV")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of --against")
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    gpu = device.type == "cuda"
    batch = args.batch or (16 if gpu else 4)
    steps = args.steps or (60 if gpu else 3)
    repeats = args.repeats or (3 if gpu else 1)
    name = torch.cuda.get_device_name(device) if gpu else f"CPU, {os.cpu_count()} cores"
    began = time.perf_counter()
    out: dict = {"device": name, "torch": torch.__version__,
                 "threads": torch.get_num_threads(), "batch": batch, "steps": steps,
                 "repeats": repeats,
                 "window": list(WINDOW_SHAPE), "training": []}
    print(f"device {name}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"training batch {batch}, best of {repeats} x {steps} timed steps on "
          f"{WINDOW_SHAPE[0]}x{WINDOW_SHAPE[1]}")
    print(f"{'model':34s} {'path':56s} {'img/s':>8s} {'peak MB':>8s} {'speed-up':>8s}")
    for model_name, config in MODELS.items():
        if args.model != "all" and not model_name.startswith(args.model):
            continue
        base = None
        for label, fast, compiled, graphs in _variants(gpu, args, model_name):
            warmup = (10 if compiled else WARMUP_STEPS + 3) if gpu else 1
            try:
                fig = _isolated(train_speed, config, str(device), fast, compiled, batch, steps,
                                warmup, graphs, repeats)
            except Exception as error:  # one configuration failing must not end the run
                traceback.print_exception(error, file=sys.stderr)
                lines = str(error).strip().splitlines()
                reason = f"{type(error).__name__}: {lines[0] if lines else ''}"
                out["training"].append({"model": model_name, "path": label, "error": reason})
                print(f"{model_name:34s} {label:56s} FAILED: {reason[:200]}", flush=True)
                continue
            base = base or fig["images_per_second"]
            fig.update(model=model_name, path=label,
                       speedup=fig["images_per_second"] / base)
            out["training"].append(fig)
            described = f"{label} ({fig['precision']})"
            print(f"{model_name:34s} {described:56s} "
                  f"{fig['images_per_second']:8.2f} {fig['peak_memory_mb']:8.0f} "
                  f"{fig['speedup']:7.2f}x", flush=True)
    out["inference"], out["label"] = [], []
    for backend in label_backends(device) if default_weights().is_file() else []:
        fig = _isolated(inference_speed, str(device), 20 if gpu else 5, backend)
        out["inference"].append(fig)
        print(f"inference (shipped model as label.py runs it, {fig['runtime']}, batches of "
              f"{INFERENCE_BATCH}): {fig['ms_per_slice']:.1f} ms per slice")
    for backend in label_backends(device):
        if args.no_label or not bench_label.DEFAULT_IMAGE.exists():
            break
        out["label"].append(bench_label.measure(bench_label.DEFAULT_IMAGE, None, str(device),
                                                backend))
        print(bench_label.report(out["label"][-1]))
    if args.against and not args.no_label and bench_label.DEFAULT_IMAGE.exists():
        out["against"] = bench_label.against(args.against, bench_label.DEFAULT_IMAGE,
                                             default_weights(), str(device), "auto",
                                             args.rounds)
        for name, values in out["against"].items():
            print(bench_label.against_line(name, values))
    out["seconds"] = time.perf_counter() - began
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=2) + "\n")
    print(f"benchmark took {out['seconds']:.0f} s; figures in {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
