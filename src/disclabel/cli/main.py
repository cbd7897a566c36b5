"""Train the stacked hourglass disc labeler (default), or evaluate a trained model on the
validation split with ``--evaluate true`` (and draw its attention maps with ``--attshow true``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from disclabel.cli.common import Parser, run_main, str2bool
from disclabel.constants import (
    AMP_CHOICES,
    AUTO_WORKERS_MAX,
    FOREGROUND_WEIGHT,
    FOV_CROP_P,
    INTENSITY_MAP_P,
    NEGATIVE_RATIO,
    OUTSIDE_WEIGHT,
    SIGMA_MM,
    WINDOW_SHAPE,
)
from disclabel.data.io import InputError
from disclabel.stages import RUNS_DIR, evaluate_model, train
from disclabel.synthetic.styles import DEFAULT_STYLE_2D, STYLES_2D


def workers_arg(text: str) -> int | str:
    """``--workers``: ``auto`` or a count of loader processes (0 or more)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected auto or a count of 0 or more, got {text!r}")
    return value


def get_parser() -> argparse.ArgumentParser:
    p = Parser(prog="main.py", description=__doc__)
    p.add_argument("--datapath", default="prepared_data", help="prepared data folder")
    p.add_argument("--out", default="", help="run folder (default: runs/<timestamp>)")
    p.add_argument("--epochs", type=int, default=120)
    p.add_argument("--train-batch", "--train_batch", dest="train_batch", type=int, default=3)
    p.add_argument("--val-batch", "--val_batch", dest="val_batch", type=int, default=4)
    p.add_argument("--solver", choices=["rms", "adam", "adamw"], default="rms")
    p.add_argument("--lr", type=float, default=2.5e-4)
    p.add_argument("--weight-decay", "--weight_decay", dest="weight_decay", type=float,
                   default=0.0)
    p.add_argument("--schedule", type=int, nargs="*", default=[60, 90],
                   help="epochs at which the learning rate is multiplied by --gamma")
    p.add_argument("--gamma", type=float, default=0.1)
    p.add_argument("--att", type=str2bool, default=True, help="multi-level attention (true)")
    p.add_argument("-s", "--stacks", type=int, default=2)
    p.add_argument("-b", "--blocks", type=int, default=1)
    p.add_argument("--features", type=int, default=256)
    p.add_argument("--sigma", type=float, default=SIGMA_MM, help="target Gaussian sigma in mm")
    p.add_argument("--outside-weight", "--outside_weight", dest="outside_weight", type=float,
                   default=OUTSIDE_WEIGHT,
                   help="loss weight of discs outside a sample's labelled range")
    p.add_argument("--negative-ratio", "--negative_ratio", dest="negative_ratio", type=float,
                   default=NEGATIVE_RATIO,
                   help="share of training items replaced by a no-spine image (learns absence)")
    p.add_argument("--foreground-weight", "--foreground_weight", dest="foreground_weight",
                   type=float, default=FOREGROUND_WEIGHT,
                   help="extra loss weight of pixels near a disc (0 = the paper's plain MSE)")
    p.add_argument("--identity-weight", "--identity_weight", dest="identity_weight",
                   type=float, default=0.0,
                   help="weight of a cross-entropy on each disc's channel shares, the evidence "
                        "that names it (0 = heatmap loss only)")
    p.add_argument("--consistency-weight", "--consistency_weight", dest="consistency_weight",
                   type=float, default=0.0,
                   help="weight of the inversion consistency: a quarter of every batch is shown "
                        "again with its contrast inverted inside the body, its heatmaps pulled "
                        "towards the original's (0 = off)")
    p.add_argument("--disc-weight", "--disc_weight", dest="disc_weight", nargs="+",
                   default=[], metavar="N:W",
                   help="multiply the loss weight of disc N's channel by W (e.g. 25:4, the "
                        "L5/S1 channel four times; several allowed; default: every channel 1)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--workers", type=workers_arg, default="auto",
                   help="data loader worker processes (auto: none on a CPU; on a CUDA GPU one "
                        f"per free core, at most {AUTO_WORKERS_MAX} per training process)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--resume", default="",
                   help="checkpoint to resume from, or 'true' for the run folder's last.pt")
    p.add_argument("--synthetic-ratio", "--synthetic_ratio", dest="synthetic_ratio", type=float,
                   default=0.0, help="share of fresh synthetic samples in each epoch (0..1)")
    p.add_argument("--synthetic-pool", "--synthetic_pool", dest="synthetic_pool", type=int,
                   default=0, help="cycle through this many synthetic samples kept in memory "
                                   "(0: fresh samples every epoch)")
    p.add_argument("--synthetic-style", "--synthetic_style", dest="synthetic_style",
                   choices=sorted(STYLES_2D), default=DEFAULT_STYLE_2D,
                   help="appearance settings of the synthetic generator (default: "
                        f"{DEFAULT_STYLE_2D}; v1 = the first generator)")
    p.add_argument("--real-repeat", "--real_repeat", dest="real_repeat", type=int, default=1,
                   help="each real training sample appears this often per epoch")
    p.add_argument("--oblique-ratio", "--oblique_ratio", dest="oblique_ratio", type=float,
                   default=0.0,
                   help="share of the real training items that are sagittal slices of the real "
                        "training volumes changed in 3-D (tilted, rotated, bent into a lateral "
                        "curve), with the discs that lie in each slice (0: none)")
    p.add_argument("--window", type=int, nargs=2, default=list(WINDOW_SHAPE),
                   metavar=("ROWS", "COLS"),
                   help="training window cut from each sample, multiples of 64 (default: "
                        f"{WINDOW_SHAPE[0]} {WINDOW_SHAPE[1]})")
    p.add_argument("--val-every", "--val_every", dest="val_every", type=int, default=1,
                   help="validate every N epochs (and after the last)")
    p.add_argument("--fast", type=str2bool, default=True,
                   help="training fast path: mixed precision where the device supports it, "
                        "channels-last, cuDNN autotuning (false: the plain fp32 baseline)")
    p.add_argument("--amp", choices=AMP_CHOICES, default="auto",
                   help="with --fast: autocast precision (auto: bf16 where supported, else "
                        "fp16 with gradient scaling on CUDA, else fp32)")
    p.add_argument("--compile", type=str2bool, default=False,
                   help="torch.compile the network (minutes of compilation first)")
    p.add_argument("--cuda-graphs", "--cuda_graphs", dest="cuda_graphs", type=str2bool,
                   default=True,
                   help="with --fast on one CUDA GPU: capture the training step in a CUDA graph "
                        "and replay it (not with fp16 or torchrun)")
    p.add_argument("--sync-bn", "--sync_bn", dest="sync_bn", type=str2bool, default=False,
                   help="under torchrun: batch-norm statistics over all processes")
    p.add_argument("--augment", type=str2bool, default=True, help="training augmentation")
    p.add_argument("--fov-crop-p", "--fov_crop_p", dest="fov_crop_p", type=float,
                   default=FOV_CROP_P,
                   help="share of training samples whose field of view is shortened at the top "
                        "and/or bottom (discs there vanish)")
    p.add_argument("--fov-narrow-p", "--fov_narrow_p", dest="fov_narrow_p", type=float,
                   default=0.0,
                   help="share of training samples whose field of view is narrowed front to back "
                        "to 50-140 mm (NARROW_FOV_MM) about the spine, as in small real crops")
    p.add_argument("--intensity-map-p", "--intensity_map_p", dest="intensity_map_p", type=float,
                   default=INTENSITY_MAP_P,
                   help="share of augmented training samples (real and synthetic) whose "
                        "intensities go through a random curve or (40 %% of them) are inverted")
    p.add_argument("--tissue-contrast-p", "--tissue_contrast_p", dest="tissue_contrast_p",
                   type=float, default=0.0,
                   help="share of those random curves whose knots sit at random quantiles of "
                        "the body's intensities: a random level per tissue class")
    p.add_argument("--progress", type=str2bool, default=True, help="tqdm progress bars")
    p.add_argument("--max-train-seconds", "--max_train_seconds", dest="max_train_seconds",
                   type=float, default=0.0, help="stop after the epoch that passes this time")
    p.add_argument("--ema", type=float, default=0.0, metavar="DECAY",
                   help="also keep an exponential moving average of the weights, moved "
                        "1 - DECAY of the way after every step, saved as ema.pt (0: off; "
                        "e.g. 0.999)")
    p.add_argument("-e", "--evaluate", type=str2bool, default=False,
                   help="evaluate a trained model on the validation split instead of training")
    p.add_argument("--attshow", type=str2bool, default=False,
                   help="with --evaluate: write attention-map overlays of validation images")
    p.add_argument("--checkpoint", default="",
                   help="with --evaluate: checkpoint (default: --resume, else the run folder's "
                        "best.pt when --out is given, else the shipped model)")
    return p


def _evaluate(args: argparse.Namespace) -> int:
    if args.checkpoint:
        ckpt = Path(args.checkpoint)
    elif args.resume and args.resume.lower() not in ("true", "yes", "1", "false", "no", "0"):
        ckpt = Path(args.resume)
    elif args.out:
        ckpt = Path(args.out) / "best.pt"
    else:
        from disclabel.labeling.runtime import check_weights

        ckpt = check_weights(None)
        print(f"evaluating the shipped model {ckpt}")
    out = Path(args.out) if args.out else RUNS_DIR / "evaluate_shipped"
    evaluate_model(ckpt, args.datapath, "val", out / "evaluate", device=args.device,
                   batch=args.val_batch, sigma=args.sigma,
                   attention_out=out / "attention" if args.attshow else None,
                   title="validation")
    return 0


def _body(args: argparse.Namespace) -> int:
    from disclabel.training.config import TrainConfig, check_config

    options = {f.name: getattr(args, f.name) for f in fields(TrainConfig)}
    check_config(TrainConfig(**options))
    if args.attshow and not args.evaluate:
        raise InputError("--attshow true needs --evaluate true")
    if args.evaluate:
        return _evaluate(args)
    from disclabel.training.interrupt import TrainingInterrupted

    try:
        run_dir = train(**options)
    except TrainingInterrupted as exc:
        print("main.py: interrupted; the line above says how to resume", file=sys.stderr)
        return exc.exit_code
    print(f"run folder: {run_dir}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the script; returns the exit code."""
    return run_main(get_parser(), argv, _body)


def run() -> None:
    """Console entry point."""
    sys.exit(main())
