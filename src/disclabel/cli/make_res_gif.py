"""Make an animated GIF (and an MP4 when imageio-ffmpeg is installed) from a training run's
per-epoch validation pictures (RUN/val_images/epoch_NNN.png, in epoch order) or from a folder of
PNG pictures such as those of ``test.py --visualize true`` (in name order)."""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..io import InputError
from .common import Parser, run_main

VAL_IMAGES_DIR = "val_images"
RUN_GIF_NAME = "prediction.gif"
FOLDER_GIF_NAME = "animation.gif"
_EPOCH_PNG = re.compile(r"epoch_(\d+)\.png")
_DIGITS = re.compile(r"(\d+)")


MAX_FRAMES = 60
"""Default largest number of frames of an animation."""

def get_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="make_res_gif.py", description=__doc__)
    parser.add_argument("--input", type=Path, required=True,
                        help=f"a run folder (uses {VAL_IMAGES_DIR}/epoch_*.png) or a folder of "
                             "PNG pictures")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"output GIF (default: INPUT/{RUN_GIF_NAME} for a run folder, "
                             f"INPUT/{FOLDER_GIF_NAME} for a picture folder)")
    parser.add_argument("--fps", type=float, default=2.0,
                        help="frames per second (default: 2.0)")
    parser.add_argument("--max-frames", type=int, default=MAX_FRAMES,
                        help="keep at most this many frames, evenly spread, first and last "
                             f"included (default: {MAX_FRAMES}; 0 keeps all)")
    return parser


def _natural_key(path: Path) -> list[int | str]:
    """Sort key comparing digit runs as numbers (``sub-2`` before ``sub-10``)."""
    return [int(part) if part.isdigit() else part
            for part in _DIGITS.split(path.name.lower())]


def find_frames(folder: Path) -> tuple[list[Path], list[str], Path]:
    """Picture files, their captions and the default output for a run or picture folder."""
    if not folder.is_dir():
        raise InputError(f"{folder}: folder not found")
    val_dir = folder / VAL_IMAGES_DIR
    if val_dir.is_dir():
        epochs = sorted((int(m.group(1)), p) for p in val_dir.iterdir()
                        if p.is_file() and (m := _EPOCH_PNG.fullmatch(p.name)))
        if not epochs:
            raise InputError(f"{val_dir}: no epoch_*.png pictures found")
        return ([p for _, p in epochs], [f"epoch {n}" for n, _ in epochs],
                folder / RUN_GIF_NAME)
    files = sorted((p for p in folder.iterdir()
                    if p.is_file() and p.suffix.lower() == ".png"), key=_natural_key)
    if not files:
        raise InputError(f"{folder}: no PNG pictures found (and no {VAL_IMAGES_DIR}/ folder)")
    return files, [p.stem for p in files], folder / FOLDER_GIF_NAME


def read_rgb(path: Path) -> np.ndarray:
    """Read a picture as RGB uint8 (H, W, 3), raising :class:`InputError` naming the file."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        reason = " ".join(str(exc).split())
        raise InputError(f"{path}: cannot read the picture ({reason})") from exc


def spread(n: int, limit: int) -> list[int]:
    """At most ``limit`` indices of ``range(n)``, evenly spread, first and last included."""
    if limit == 0 or n <= limit:
        return list(range(n))
    return sorted({int(round(i * (n - 1) / (limit - 1))) for i in range(limit)})


def _body(args: argparse.Namespace) -> int:
    from ..viz import write_animation

    if not math.isfinite(args.fps) or args.fps <= 0:
        raise InputError(f"--fps {args.fps}: must be a positive number")
    if args.max_frames < 0 or args.max_frames == 1:
        raise InputError(f"--max-frames {args.max_frames}: must be 0 (all) or at least 2")
    files, captions, default_out = find_frames(args.input)
    keep = spread(len(files), args.max_frames)
    files, captions = [files[i] for i in keep], [captions[i] for i in keep]
    out = args.out if args.out is not None else default_out
    if out.suffix.lower() != ".gif":
        raise InputError(f"--out {out}: must end with .gif")
    if out.exists() and out.is_dir():
        raise InputError(f"--out {out}: is a folder")
    frames = [read_rgb(p) for p in files]
    for path in write_animation(frames, captions, out, args.fps):
        print(f"wrote {path} ({len(frames)} frames at {args.fps:g} fps)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the script; returns the exit code."""
    return run_main(get_parser(), argv, _body)


def run() -> None:
    """Console entry point."""
    sys.exit(main())
