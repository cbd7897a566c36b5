"""The drawing surface shared by every picture: a matplotlib figure on the Agg canvas (no pyplot,
no global backend), its RGB pixels, checks of the arrays drawn, captions, and PNG files.

Images are 2-D sagittal samples ``(H, W)`` in [0, 1]: row 0 is superior, column 0 anterior.
Keypoints are ``(n, 2)`` arrays of ``(row, col)`` pixel coordinates with NaN for an absent
disc; row ``n - 1`` is disc number ``n``. On the plots x is the column and y the row.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from disclabel.constants import DISC_NAMES
from disclabel.data.io import atomic_path

DPI = 100
PAD_VALUE = 255
"""Frames of different sizes are padded with white to a common size."""
CAPTION_BAND_PX = 28
CAPTION_FONT_PX = 18


def new_figure(width_in: float, height_in: float):
    """An empty matplotlib figure of the given size (inches) at ``DPI``, on the Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def figure_rgb(fig) -> np.ndarray:
    """The drawn figure as RGB uint8 (H, W, 3)."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def check_image(image: np.ndarray) -> np.ndarray:
    """``image`` as float32 (H, W); ValueError when it is not 2-D."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D (H, W), got shape {image.shape}")
    return image


def check_points(points: np.ndarray | None, what: str) -> np.ndarray | None:
    """``points`` as float64 (n, 2) ``(row, col)``, or None; ValueError for another shape."""
    if points is None:
        return None
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or points.shape[0] > len(DISC_NAMES):
        raise ValueError(f"{what} must be (n <= {len(DISC_NAMES)}, 2) (row, col), "
                         f"got shape {points.shape}")
    return points


def show_image(ax, image: np.ndarray) -> None:
    """Draw a grey (H, W) image in [0, 1] on ``ax``, pixel centres at integer coordinates."""
    ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_xlim(-0.5, image.shape[1] - 0.5)
    ax.set_ylim(image.shape[0] - 0.5, -0.5)
    ax.set_axis_off()


def save_png(path: Path, rgb: np.ndarray) -> None:
    """Write an RGB uint8 array as PNG atomically (temporary file beside it, then replace)."""
    from PIL import Image

    with atomic_path(path) as tmp:
        Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(tmp, format="PNG")


def captioned(frame: np.ndarray, caption: str) -> np.ndarray:
    """RGB uint8 ``frame`` (grey accepted) with ``caption`` in a white band above it."""
    from PIL import Image, ImageDraw, ImageFont

    frame = np.asarray(frame, dtype=np.uint8)
    if frame.ndim == 2:
        frame = np.repeat(frame[..., None], 3, axis=2)
    frame = frame[..., :3]
    band = Image.new("RGB", (frame.shape[1], CAPTION_BAND_PX), (PAD_VALUE,) * 3)
    draw = ImageDraw.Draw(band)
    font = ImageFont.load_default(size=CAPTION_FONT_PX)
    draw.text((frame.shape[1] / 2, CAPTION_BAND_PX / 2), caption, fill=(0, 0, 0), font=font,
              anchor="mm")
    return np.concatenate([np.asarray(band), frame], axis=0)
