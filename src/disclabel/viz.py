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


QC_PX_PER_MM = 2.5
"""QC pictures draw the spine at this many screen pixels per mm (at least 2)."""
QC_MARGIN_MM = 35.0
"""QC pictures show the discs' bounding box plus this margin."""
QC_MIN_SIDE_MM = 120.0
QC_FONT_SIZE = 8
QC_TITLE_SIZE = 9
MOSAIC_TILE_PX = 420
"""Height of each picture in a QC mosaic."""
MOSAIC_COLUMNS = 4


def qc_crop(shape: tuple[int, int], coords: np.ndarray, pixel_mm: float
            ) -> tuple[slice, slice]:
    """Rows and columns of a QC picture: the detected discs' bounding box with a margin of
    ``QC_MARGIN_MM`` (at least ``QC_MIN_SIDE_MM`` square), inside the image; the whole image
    when no disc was found."""
    ok = np.isfinite(coords).all(axis=1)
    if not ok.any():
        return slice(0, shape[0]), slice(0, shape[1])
    margin, half = QC_MARGIN_MM / pixel_mm, 0.5 * QC_MIN_SIDE_MM / pixel_mm
    lo, hi = coords[ok].min(axis=0) - margin, coords[ok].max(axis=0) + margin
    centre = 0.5 * (lo + hi)
    lo, hi = np.minimum(lo, centre - half), np.maximum(hi, centre + half)
    r0, c0 = (max(0, int(np.floor(v))) for v in lo)
    r1, c1 = (min(n, int(np.ceil(v)) + 1) for v, n in zip(hi, shape, strict=True))
    return slice(r0, r1), slice(c0, c1)


def render_qc(image: np.ndarray, coords: np.ndarray, confidence: np.ndarray, pixel_mm: float,
              title: str, heatmap: np.ndarray | None = None) -> np.ndarray:
    """The QC picture of one labelled volume: the chosen sagittal slice cropped to the spine,
    drawn at ``QC_PX_PER_MM`` pixels per mm, every disc marked and named ("C2/C3 (3) 0.98",
    the last number its confidence); with ``heatmap`` (h, w) a second panel shows the sum of
    the network's disc heatmaps over the same crop.

    ``image`` (H, W) in [0, 1] (row 0 superior, column 0 anterior); ``coords`` (25, 2) (row,
    col), NaN when absent; ``confidence`` (25,). Returns RGB uint8 whose size depends only on
    the crop, so the same inputs give the same picture on every machine.
    """
    image = _check_image(image)
    coords = _check_points(coords, "coords")
    rows, cols = qc_crop(image.shape, coords, pixel_mm)
    crop = image[rows, cols]
    shifted = coords - np.array([rows.start, cols.start])
    panels = 2 if heatmap is not None else 1
    scale = QC_PX_PER_MM * pixel_mm / DPI  # inches per image pixel
    title_in = 0.5
    width_in = panels * crop.shape[1] * scale
    fig = _figure(width_in, crop.shape[0] * scale + title_in)
    height_frac = crop.shape[0] * scale / (crop.shape[0] * scale + title_in)
    ax = fig.add_axes((0.0, 0.0, 1.0 / panels, height_frac))
    _show_image(ax, crop)
    ok = np.isfinite(shifted).all(axis=1)
    ax.plot(shifted[ok, 1], shifted[ok, 0], "o", mfc="none", mec="red", ms=6, mew=1.5)
    for index in np.flatnonzero(ok):
        ax.text(shifted[index, 1] + 3.0 / pixel_mm, shifted[index, 0],
                f"{DISC_NAMES[index]} ({index + 1}) {float(confidence[index]):.2f}",
                color="yellow", fontsize=QC_FONT_SIZE, va="center", ha="left",
                bbox={"facecolor": "black", "alpha": 0.55, "pad": 1.0, "lw": 0})
    if heatmap is not None:
        hmap = np.asarray(heatmap, np.float32)
        ax2 = fig.add_axes((1.0 / panels, 0.0, 1.0 / panels, height_frac))
        _show_image(ax2, crop)
        h, w = image.shape
        ax2.imshow(hmap, cmap="magma", alpha=0.6, vmin=0.0, vmax=max(1.0, float(hmap.max())),
                   interpolation="bilinear", extent=(-0.5 - cols.start, w - 0.5 - cols.start,
                                                     h - 0.5 - rows.start, -0.5 - rows.start))
        ax2.set_xlim(-0.5, crop.shape[1] - 0.5)
        ax2.set_ylim(crop.shape[0] - 0.5, -0.5)
        ax2.text(2, 2, "sum of disc heatmaps", color="white", fontsize=QC_FONT_SIZE, va="top")
    fig.text(0.5, 1.0 - 0.5 * (1 - height_frac), title, ha="center", va="center",
             fontsize=QC_TITLE_SIZE, wrap=True)
    return _to_rgb(fig)


def render_mosaic(pictures: Sequence[np.ndarray], captions: Sequence[str]) -> np.ndarray:
    """An overview of several QC pictures: each scaled to ``MOSAIC_TILE_PX`` high, captioned,
    ``MOSAIC_COLUMNS`` per row on white. Returns RGB uint8."""
    from PIL import Image

    if not pictures or len(pictures) != len(captions):
        raise ValueError("need one caption per picture and at least one picture")
    tiles = []
    for picture, caption in zip(pictures, captions, strict=True):
        img = Image.fromarray(np.asarray(picture, np.uint8))
        width = max(1, round(img.width * MOSAIC_TILE_PX / img.height))
        tiles.append(_captioned(np.asarray(img.resize((width, MOSAIC_TILE_PX),
                                                      Image.Resampling.LANCZOS)), caption))
    rows = [tiles[i:i + MOSAIC_COLUMNS] for i in range(0, len(tiles), MOSAIC_COLUMNS)]
    tile_w = max(t.shape[1] for t in tiles)
    tile_h = max(t.shape[0] for t in tiles)
    out = np.full((len(rows) * tile_h, MOSAIC_COLUMNS * tile_w if len(rows) > 1
                   else len(rows[0]) * tile_w, 3), PAD_VALUE, np.uint8)
    for r, row in enumerate(rows):
        for c, tile in enumerate(row):
            out[r * tile_h:r * tile_h + tile.shape[0],
                c * tile_w:c * tile_w + tile.shape[1]] = tile
    return out


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
