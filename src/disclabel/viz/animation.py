"""Animations of pictures (``make_res_gif.py``): a looping GIF, and an MP4 when imageio's ffmpeg
plugin is installed; each frame captioned."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from disclabel.data.io import InputError, atomic_path
from disclabel.viz.canvas import PAD_VALUE, captioned

MP4_BLOCK = 16
"""MP4 frames are padded to a multiple of this size (H.264 macro-blocks)."""
MS_PER_S = 1000.0
VAL_IMAGES_DIR = "val_images"
RUN_GIF_NAME = "prediction.gif"
FOLDER_GIF_NAME = "animation.gif"
_EPOCH_PNG = re.compile(r"epoch_(\d+)\.png")
_DIGITS = re.compile(r"(\d+)")
MAX_FRAMES = 60
"""Default largest number of frames of an animation."""


def _pad(frames: list[np.ndarray], block: int = 1) -> np.ndarray:
    """Stack frames padded with white (below, and evenly left/right) to a common size that is a
    multiple of ``block``: (N, H, W, 3) uint8."""
    height = -(-max(f.shape[0] for f in frames) // block) * block
    width = -(-max(f.shape[1] for f in frames) // block) * block
    out = np.full((len(frames), height, width, 3), PAD_VALUE, dtype=np.uint8)
    for i, frame in enumerate(frames):
        left = (width - frame.shape[1]) // 2
        out[i, :frame.shape[0], left:left + frame.shape[1]] = frame
    return out


def ffmpeg_available() -> bool:
    """True when imageio's ffmpeg plugin can run (the ``imageio_ffmpeg`` package is installed)."""
    return importlib.util.find_spec("imageio_ffmpeg") is not None


def write_animation(frames: Sequence[np.ndarray], captions: Sequence[str], out: Path,
                    fps: float = 2.0) -> list[Path]:
    """Write ``frames`` (RGB uint8 (H, W, 3), any sizes) as a looping GIF at ``out``, each with its
    caption in a band above it, and ``out.with_suffix('.mp4')`` as well when imageio's ffmpeg
    plugin is installed (skipped silently otherwise). Returns the files written."""
    import imageio.v3 as iio

    if len(frames) == 0 or len(frames) != len(captions):
        raise ValueError(f"need one caption per frame and at least one frame, got "
                         f"{len(frames)} frames and {len(captions)} captions")
    if not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    out = Path(out)
    titled = [captioned(f, c) for f, c in zip(frames, captions, strict=True)]
    with atomic_path(out) as tmp:
        iio.imwrite(tmp, _pad(titled), extension=".gif", plugin="pillow",
                    duration=MS_PER_S / fps, loop=0)
    written = [out]
    if ffmpeg_available():
        mp4 = out.with_suffix(".mp4")
        with atomic_path(mp4) as tmp:
            iio.imwrite(tmp, _pad(titled, MP4_BLOCK), extension=".mp4", plugin="FFMPEG",
                        fps=fps, output_params=["-f", "mp4"])
        written.append(mp4)
    return written


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
