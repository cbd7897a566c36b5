#!/usr/bin/env python
"""Rebuild the shipped model from scratch (``make model``) and print its scores.

    python tools/make_model.py [--work runs/model] [--device auto] [--epochs N] [--install]
                               [--extra "MAIN.PY FLAGS"]

1. links the trainable labelled real volumes of ../shared/data into ``WORK/bids`` (the MIT
   Spinal Cord Toolbox volumes: sct_errsm_t2, sct_testing_data's crops and PAM50_small; never
   the TPTBox crop, whose image origin is undocumented) and gathers them;
2. prepares every subject for training (1 mm pixels, whole fields of view);
3. trains with the recipe of ``disclabel.training.recipe`` (real volumes + synthetic samples), on a
   GPU when one is present (``--device auto``), else on the CPU;
4. exports the last checkpoint in half precision with its model card data to
   ``WORK/disclabel_default.pt``, and that file's network to ONNX beside it
   (``disclabel_default.onnx``, run by ONNX Runtime where label.py works on the CPU); with
   ``--install`` both go to the paths label.py loads by default
   (``src/disclabel/weights/disclabel_default.pt`` and ``.onnx``);
5. scores it on held-out synthetic T1w-like, T2w-like and random-contrast volumes, on
   synthetic lumbar, thoracolumbar and whole-spine fields of view and on the TPTBox crop
   (never trained on), and checks that it finds no disc where there is no spine.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import time
from pathlib import Path

import harness
import scoring_sets
import torch
from shared_data import REAL_VOLUMES, available

from disclabel.cli.main import get_parser as main_parser
from disclabel.data.io import file_sha256
from disclabel.labeling.runtime import default_weights, onnx_path
from disclabel.labeling.torchnet import export_onnx
from disclabel.model.checkpoint import export_model
from disclabel.model.device import resolve_device
from disclabel.training.recipe import flag_value, recipe_args


def training_recipe(epochs: int | None, extra: str = "") -> list[str]:
    """The recipe's main.py flags (``epochs`` overriding its own, the schedule scaled), then
    ``extra`` split as a shell would; main.py takes the last value of a repeated flag.

    Raises ValueError when ``extra`` does not split (an unclosed quote) or main.py's parser
    refuses the flags, before any data is gathered or any training starts."""
    try:
        recipe = recipe_args(epochs) + shlex.split(extra)
    except ValueError as err:
        raise ValueError(f"--extra {extra!r}: {err}") from None
    parser = main_parser()
    parser.exit_on_error = False
    try:
        _, unknown = parser.parse_known_args(["--datapath", "unused", *recipe])
    except argparse.ArgumentError as err:
        raise ValueError(f"--extra {extra!r}: main.py refuses it ({err})") from None
    if unknown:
        raise ValueError(f"--extra {extra!r}: main.py does not take {' '.join(unknown)}")
    return recipe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("runs/model"))
    parser.add_argument("--device", default="auto", help="auto (GPU when present), cpu, cuda")
    parser.add_argument("--epochs", type=int, default=None,
                        help="override the recipe's epochs (the schedule scales with it)")
    parser.add_argument("--threads", type=int, default=0,
                        help="CPU threads for training (0: torch's default)")
    parser.add_argument("--install", action="store_true",
                        help="copy the model to the path label.py loads by default")
    parser.add_argument("--extra", default="",
                        help="main.py flags appended to the recipe, in one quoted string (an "
                             "experiment, e.g. --extra '--features 128'); the card records them")
    args = parser.parse_args(argv)
    try:
        recipe = training_recipe(args.epochs, args.extra)
    except ValueError as err:
        parser.error(str(err))
    if not available():
        raise SystemExit("make_model: ../shared/data is not here; the shipped model is trained "
                         "on its labelled volumes")
    work: Path = args.work
    device = str(resolve_device(args.device))
    began = time.perf_counter()
    trainable = tuple(v for v in REAL_VOLUMES if v.trainable)
    dataset = harness.gather(work, trainable)
    prepared = harness.prepare(dataset, work / "prepared",
                               {v.subject: "train" for v in trainable})
    run = work / "run"
    command = harness.train_command(prepared, run, recipe, device)
    threads = args.threads or torch.get_num_threads()
    seconds = harness.run_trainings([(command, run)], parallel=1, threads=threads)[0]
    card = {
        "trained_on": sorted({f"{v.prefix}_{v.contrast}" for v in trainable}),
        "synthetic": "disclabel.synthetic sample_2d windows (style "
                     f"{flag_value(recipe, '--synthetic-style')})",
        "recipe": recipe,
        "device": device + ("" if device != "cpu" else f" ({threads} threads)"),
        "training_seconds": round(seconds, 1),
        "date": time.strftime("%Y-%m-%d"),
    }
    target = work / "disclabel_default.pt"
    export_model(run / "last.pt", target, card)
    export_onnx(target, onnx_path(target))
    print(f"model: {target} ({target.stat().st_size / 1e6:.2f} MB, sha256 "
          f"{file_sha256(target)}), trained in {seconds / 60:.1f} min on {card['device']}; "
          f"ONNX export {onnx_path(target)} ({onnx_path(target).stat().st_size / 1e6:.2f} MB)")
    scores = scoring_sets.score_shipped(target, work / "scores", device="cpu")
    harness.save(work / "scores.json", {"card": card, "sha256": file_sha256(target),
                                        "scores": scores})
    if args.install:
        default_weights().parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, default_weights())
        shutil.copyfile(onnx_path(target), onnx_path(default_weights()))
        print(f"installed as {default_weights()} and {onnx_path(default_weights())}")
    print(f"make_model finished in {(time.perf_counter() - began) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
