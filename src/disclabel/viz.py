"""Pictures of predictions and attention maps, and animations of them (GIF, MP4 when possible).

Images are 2-D sagittal samples ``(H, W)`` in [0, 1]: row 0 is superior, column 0 anterior.
Keypoints are ``(25, 2)`` arrays of ``(row, col)`` pixel coordinates with NaN for an absent
disc; row ``n - 1`` is disc number ``n``. On the plots x is the column and y the row.
Rendering uses matplotlib's object API with the Agg canvas (no pyplot, no global backend).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .constants import DISC_NAMES
from .io import atomic_path

DPI = 100
FIG_LONG_SIDE_IN = 6.0
"""Longer side of a one-panel figure in inches (600 pixels at ``DPI``)."""
PANEL_SIDE_IN = 4.0
"""Side of each panel of the attention figure in inches."""
LABEL_FONT_SIZE = 6
TITLE_FONT_SIZE = 9
MARKER_SIZE = 7
LABEL_OFFSET_PX = 4.0
"""Horizontal gap between a prediction cross and its label, in image pixels."""
ATTENTION_ALPHA = 0.5
CAPTION_BAND_PX = 28
CAPTION_FONT_PX = 18
PAD_VALUE = 255
"""Frames of different sizes are padded with white to a common size."""
MP4_BLOCK = 16
"""MP4 frames are padded to a multiple of this size (H.264 macro-blocks)."""
MS_PER_S = 1000.0


def _figure(width_in: float, height_in: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _to_rgb(fig) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def _check_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D (H, W), got shape {image.shape}")
    return image


def _check_points(points: np.ndarray | None, what: str) -> np.ndarray | None:
    if points is None:
        return None
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or points.shape[0] > len(DISC_NAMES):
        raise ValueError(f"{what} must be (n <= {len(DISC_NAMES)}, 2) (row, col), "
                         f"got shape {points.shape}")
    return points


def _show_image(ax, image: np.ndarray) -> None:
    ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_xlim(-0.5, image.shape[1] - 0.5)
    ax.set_ylim(image.shape[0] - 0.5, -0.5)
    ax.set_axis_off()


def _draw_discs(ax, pred: np.ndarray | None, ref: np.ndarray | None,
                confidence: np.ndarray | None, names: bool) -> None:
    """Reference discs as green circles, predictions as labelled red crosses; NaN rows skipped."""
    if ref is not None:
        ok = np.isfinite(ref).all(axis=1)
        if ok.any():
            ax.plot(ref[ok, 1], ref[ok, 0], "o", mfc="none", mec="lime", ms=MARKER_SIZE,
                    mew=1.2, label="reference")
    if pred is None:
        return
    ok = np.isfinite(pred).all(axis=1)
    if ok.any():
        ax.plot(pred[ok, 1], pred[ok, 0], "x", color="red", ms=MARKER_SIZE, mew=1.5,
                label="prediction")
    for index in np.flatnonzero(ok):
        text = f"{index + 1} {DISC_NAMES[index]}" if names else f"{index + 1}"
        if confidence is not None and np.isfinite(confidence[index]):
            text += f" {float(confidence[index]):.2f}"
        ax.text(pred[index, 1] + LABEL_OFFSET_PX, pred[index, 0], text, color="yellow",
                fontsize=LABEL_FONT_SIZE, va="center", ha="left", clip_on=True)


def render_prediction(image: np.ndarray, pred: np.ndarray | None, ref: np.ndarray | None = None,
                      confidence: np.ndarray | None = None, title: str = "",
                      names: bool = True) -> np.ndarray:
    """Draw predicted (red crosses, labelled ``"n NAME [confidence]"``) and reference (green
    circles) discs over a grey image. ``image`` (H, W) in [0, 1]; ``pred``/``ref`` (25, 2) of
    (row, col) pixels with NaN = absent; ``confidence`` (25,). Returns RGB uint8 (H', W', 3)
    whose size depends on the image shape only."""
    image = _check_image(image)
    pred, ref = _check_points(pred, "pred"), _check_points(ref, "ref")
    if confidence is not None:
        confidence = np.asarray(confidence, dtype=np.float64).reshape(-1)
    h, w = image.shape
    scale = FIG_LONG_SIDE_IN / max(h, w)
    fig = _figure(w * scale, h * scale)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.92))
    _show_image(ax, image)
    _draw_discs(ax, pred, ref, confidence, names)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper right", fontsize=LABEL_FONT_SIZE, framealpha=0.6)
    fig.suptitle(title, fontsize=TITLE_FONT_SIZE, y=0.985)
    return _to_rgb(fig)


def render_attention(image: np.ndarray, attention: np.ndarray, pred: np.ndarray | None,
                     title: str = "") -> np.ndarray:
    """Three panels side by side: the input, the input with predicted discs, and the input with
    the attention map ``(h, w)`` stretched over the full ``(H, W)`` image (bilinear, jet colour
    map, alpha 0.5). Returns RGB uint8 (H', W', 3)."""
    image = _check_image(image)
    pred = _check_points(pred, "pred")
    attention = np.asarray(attention, dtype=np.float32)
    if attention.ndim != 2:
        raise ValueError(f"attention must be 2-D (h, w), got shape {attention.shape}")
    h, w = image.shape
    fig = _figure(3 * PANEL_SIDE_IN, PANEL_SIDE_IN * max(h / w, 0.5))
    axes = fig.subplots(1, 3)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.88, wspace=0.02)
    for ax, subtitle in zip(axes, ("input", "prediction", "attention"), strict=True):
        _show_image(ax, image)
        ax.set_title(subtitle, fontsize=TITLE_FONT_SIZE)
    _draw_discs(axes[1], pred, None, None, names=False)
    finite = attention[np.isfinite(attention)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    axes[2].imshow(attention, cmap="jet", alpha=ATTENTION_ALPHA, vmin=low, vmax=high,
                   interpolation="bilinear", extent=(-0.5, w - 0.5, h - 0.5, -0.5))
    fig.suptitle(title, fontsize=TITLE_FONT_SIZE, y=0.985)
    return _to_rgb(fig)


def save_png(path: Path, rgb: np.ndarray) -> None:
    """Write an RGB uint8 array as PNG atomically (temporary file beside it, then replace)."""
    from PIL import Image

    with atomic_path(path) as tmp:
        Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(tmp, format="PNG")


def _captioned(frame: np.ndarray, caption: str) -> np.ndarray:
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
    captioned = [_captioned(f, c) for f, c in zip(frames, captions, strict=True)]
    with atomic_path(out) as tmp:
        iio.imwrite(tmp, _pad(captioned), extension=".gif", plugin="pillow",
                    duration=MS_PER_S / fps, loop=0)
    written = [out]
    if ffmpeg_available():
        mp4 = out.with_suffix(".mp4")
        with atomic_path(mp4) as tmp:
            iio.imwrite(tmp, _pad(captioned, MP4_BLOCK), extension=".mp4", plugin="FFMPEG",
                        fps=fps, output_params=["-f", "mp4"])
        written.append(mp4)
    return written
