"""Make an animated GIF (and an MP4 when imageio-ffmpeg is installed) from a training run's
per-epoch validation pictures (RUN/val_images/epoch_NNN.png, in epoch order) or from a folder of
PNG pictures such as those of ``test.py --visualize true`` (in name order)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from disclabel.cli.common import Parser, run_main
from disclabel.stages import make_res_gif
from disclabel.viz.animation import FOLDER_GIF_NAME, MAX_FRAMES, RUN_GIF_NAME, VAL_IMAGES_DIR


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


def _body(args: argparse.Namespace) -> int:
    make_res_gif(args.input, args.out, args.fps, args.max_frames)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the script; returns the exit code."""
    return run_main(get_parser(), argv, _body)


def run() -> None:
    """Console entry point."""
    sys.exit(main())
