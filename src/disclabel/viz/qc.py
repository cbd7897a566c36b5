"""Quality-control pictures of ``label.py``: one per labelled volume (the chosen sagittal slice
cropped to the spine, every disc named, the numbering margin in the title, the summed disc
heatmaps beside it) and a mosaic of several.

Images are ``(H, W)`` in [0, 1] (row 0 superior, column 0 anterior); disc coordinates are
``(25, 2)`` ``(row, col)`` with NaN for an absent disc (row ``n - 1`` = disc ``n``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from disclabel.constants import CHECK_MARGIN_NATS, DISC_NAMES
from disclabel.labeling.outcome import OUTCOME_WARNING_STARTS
from disclabel.viz.canvas import (
    DPI,
    PAD_VALUE,
    captioned,
    check_image,
    check_points,
    figure_rgb,
    new_figure,
    show_image,
)
from disclabel.viz.reformat import coronal_band, curved_sagittal

if TYPE_CHECKING:
    from disclabel.labeling.labeler import LabelResult

QC_PX_PER_MM = 2.5
"""QC pictures draw the spine at this many screen pixels per mm (at least 2)."""
QC_MARGIN_MM = 35.0
"""QC pictures show the discs' bounding box plus this margin."""
QC_BELOW_COLUMN_END_MM = 80.0
"""Shown under the lowest disc when it was taken as L5/S1 (:mod:`disclabel.labeling.columnend`):
enough for the next disc down, had the network missed L5/S1, and the top of the sacrum."""
QC_MIN_SIDE_MM = 120.0
QC_FONT_SIZE = 8
QC_TITLE_SIZE = 9
LABEL_BOX: dict = {"facecolor": "black", "alpha": 0.55, "pad": 1.0, "lw": 0}
"""Box behind every disc's name or number, so that it reads on bright tissue too."""
MOSAIC_TILE_PX = 420
"""Height of each picture in a QC mosaic."""
MOSAIC_COLUMNS = 4
TITLE_LINE_IN = 0.2
"""Height of each line of a QC picture's title, in inches."""
TITLE_CHAR_IN = 0.6 * QC_TITLE_SIZE / 72
"""Width of a title character, in inches (a generous mean for the default sans-serif font), so
that a wrapped title line fits the picture."""
CORONAL_FRONT_MM = 25.0
"""The coronal view averages the volume from this far in front of the discs' posterior tips
(the vertebral bodies and discs)..."""
CORONAL_BACK_MM = 8.0
"""... to this far behind them (the spinal canal)."""
CORONAL_MIN_MM = 90.0
"""The coronal panel is at least this wide (a narrow volume is padded with black either side),
so that its caption and the disc numbers fit."""


def qc_crop(shape: tuple[int, int], coords: np.ndarray, pixel_mm: float,
            below_mm: float = QC_MARGIN_MM) -> tuple[slice, slice]:
    """Rows and columns of a QC picture: the detected discs' bounding box with a margin of
    ``QC_MARGIN_MM`` (``below_mm`` under the lowest disc; at least ``QC_MIN_SIDE_MM`` square),
    inside the image; the whole image when no disc was found."""
    ok = np.isfinite(coords).all(axis=1)
    if not ok.any():
        return slice(0, shape[0]), slice(0, shape[1])
    margin, half = QC_MARGIN_MM / pixel_mm, 0.5 * QC_MIN_SIDE_MM / pixel_mm
    lo = coords[ok].min(axis=0) - margin
    hi = coords[ok].max(axis=0) + np.array([max(below_mm, QC_MARGIN_MM) / pixel_mm, margin])
    centre = 0.5 * (lo + hi)
    lo, hi = np.minimum(lo, centre - half), np.maximum(hi, centre + half)
    r0, c0 = (max(0, int(np.floor(v))) for v in lo)
    r1, c1 = (min(n, int(np.ceil(v)) + 1) for v, n in zip(hi, shape, strict=True))
    return slice(r0, r1), slice(c0, c1)


def render_qc(image: np.ndarray, coords: np.ndarray, confidence: np.ndarray, pixel_mm: float,
              title: str, heatmap: np.ndarray | None = None,
              coronal: np.ndarray | None = None,
              coronal_cols: np.ndarray | None = None,
              below_mm: float = QC_MARGIN_MM) -> np.ndarray:
    """The QC picture of one labelled volume: the sagittal view cropped to the spine, drawn at
    ``QC_PX_PER_MM`` pixels per mm, every disc marked and named ("C2/C3 (3) 0.98", the last
    number its confidence); with ``heatmap`` (h, w) a panel of the sum of the network's disc
    heatmaps over the same crop; with ``coronal`` (H, X) a coronal view of the spine on the
    same rows (column ``c`` at ``c * pixel_mm`` mm from left to right), every disc marked at
    its column ``coronal_cols`` (25,), so that a person sees whether the discs follow the spine
    (padded to at least ``CORONAL_MIN_MM`` wide). ``below_mm``: how much is shown under the
    lowest disc (:func:`qc_crop`).

    ``image`` (H, W) in [0, 1] (row 0 superior, column 0 anterior); ``coords`` (25, 2) (row,
    col), NaN when absent; ``confidence`` (25,). Returns RGB uint8 whose size depends only on
    the crop, so the same inputs give the same picture on every machine.
    """
    image = check_image(image)
    coords = check_points(coords, "coords")
    rows, cols = qc_crop(image.shape, coords, pixel_mm, below_mm)
    crop = image[rows, cols]
    shifted = coords - np.array([rows.start, cols.start])
    widths = [crop.shape[1]] * (2 if heatmap is not None else 1)
    pad = 0
    if coronal is not None:
        coronal = check_image(coronal)[rows]
        pad = max(0, int(np.ceil((CORONAL_MIN_MM / pixel_mm - coronal.shape[1]) / 2)))
        coronal = np.pad(coronal, ((0, 0), (pad, pad)))  # a narrow volume: black either side
        widths.append(coronal.shape[1])
    scale = QC_PX_PER_MM * pixel_mm / DPI  # inches per image pixel
    total = float(sum(widths))
    title = wrap_title(title, total * scale)
    title_in = TITLE_LINE_IN * (title.count("\n") + 1) + 0.2
    fig = new_figure(total * scale, crop.shape[0] * scale + title_in)
    height_frac = crop.shape[0] * scale / (crop.shape[0] * scale + title_in)
    lefts = np.cumsum([0, *widths[:-1]]) / total
    ax = fig.add_axes((0.0, 0.0, widths[0] / total, height_frac))
    show_image(ax, crop)
    ok = np.isfinite(shifted).all(axis=1)
    ax.plot(shifted[ok, 1], shifted[ok, 0], "o", mfc="none", mec="red", ms=6, mew=1.5)
    for index in np.flatnonzero(ok):
        ax.text(shifted[index, 1] + 3.0 / pixel_mm, shifted[index, 0],
                f"{DISC_NAMES[index]} ({index + 1}) {float(confidence[index]):.2f}",
                color="yellow", fontsize=QC_FONT_SIZE, va="center", ha="left", bbox=LABEL_BOX)
    if heatmap is not None:
        hmap = np.asarray(heatmap, np.float32)
        ax2 = fig.add_axes((lefts[1], 0.0, widths[1] / total, height_frac))
        show_image(ax2, crop)
        h, w = image.shape
        ax2.imshow(hmap, cmap="magma", alpha=0.6, vmin=0.0, vmax=max(1.0, float(hmap.max())),
                   interpolation="bilinear", extent=(-0.5 - cols.start, w - 0.5 - cols.start,
                                                     h - 0.5 - rows.start, -0.5 - rows.start))
        ax2.set_xlim(-0.5, crop.shape[1] - 0.5)
        ax2.set_ylim(crop.shape[0] - 0.5, -0.5)
        ax2.text(2, 2, "sum of disc heatmaps", color="white", fontsize=QC_FONT_SIZE, va="top")
    if coronal is not None:
        ax3 = fig.add_axes((lefts[-1], 0.0, widths[-1] / total, height_frac))
        show_image(ax3, coronal)
        across = (np.full(len(coords), np.nan) if coronal_cols is None
                  else np.asarray(coronal_cols, np.float64) + pad)
        marked = ok & np.isfinite(across)
        ax3.plot(across[marked], shifted[marked, 0], "o", mfc="none", mec="red", ms=6, mew=1.5)
        for index in np.flatnonzero(marked):
            ax3.text(across[index] + 3.0 / pixel_mm, shifted[index, 0], f"{index + 1}",
                     color="yellow", fontsize=QC_FONT_SIZE, va="center", ha="left",
                     bbox=LABEL_BOX)
        ax3.text(2, 2, "coronal, patient left on the left", color="white",
                 fontsize=QC_FONT_SIZE, va="top")
    fig.text(0.5, 1.0 - 0.5 * (1 - height_frac), title, ha="center", va="center",
             fontsize=QC_TITLE_SIZE)
    return figure_rgb(fig)


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
        tiles.append(captioned(np.asarray(img.resize((width, MOSAIC_TILE_PX),
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


def wrap_title(title: str, width_in: float) -> str:
    """``title`` with each of its lines wrapped at spaces to fit a picture ``width_in`` inches
    wide (at least 20 characters a line)."""
    limit = max(20, int(width_in / TITLE_CHAR_IN))
    return "\n".join(part for line in title.splitlines()
                     for part in textwrap.wrap(line, limit, break_long_words=False) or [""])


def qc_title(result: LabelResult) -> str:
    """The QC picture's title: file, slice, disc count and how sure the numbering is (its
    margin, what anchors it, "check by eye" when anything makes it uncertain, whether it was
    read with its contrast inverted), then one line per acquisition warning."""
    chain = result.chain
    if chain.offset is None:
        certainty = "no spine found"
    else:
        certainty = (f"numbering margin {chain.margin:.1f} nats (p {chain.offset_probability:.2f})"
                     if np.isfinite(chain.margin) else "numbering certain")
        if not chain.recognised:
            certainty += ", discs not recognised"
        elif chain.anchors:
            certainty += f", from {' and '.join(chain.anchors)}"
        elif chain.column_end_mm is None:
            certainty += ", no anchor (C2, sacrum) in view"
        if chain.column_end_mm is not None:
            certainty += ", lowest disc taken as L5/S1"
        if chain.margin < CHECK_MARGIN_NATS or not (chain.recognised and chain.anchors):
            certainty += ", check by eye"
        if result.read_inverted:
            certainty += ", read with its contrast inverted"
    outcome = {w for w in result.warnings if w.startswith(OUTCOME_WARNING_STARTS)}
    lines = [f"{result.path.name}  slice {result.slice_index}  {len(result.discs)} discs  "
             f"{certainty}"]
    lines += [f"warning: {w}" for w in result.warnings if w not in outcome]
    return "\n".join(lines)


def label_qc(result: LabelResult) -> np.ndarray:
    """The QC picture of a labelled volume (:func:`render_qc` titled by :func:`qc_title`):
    the sagittal view along the spine's course (a curved reformat through each disc's own
    slice), the disc heatmaps, and the coronal view of the spine; more of the image under the
    lowest disc when it was taken as L5/S1. RGB uint8."""
    views = spine_views(result)
    below = QC_MARGIN_MM if result.chain.column_end_mm is None else QC_BELOW_COLUMN_END_MM
    if views is None:
        return render_qc(result.image, result.coords, result.confidence, result.pixel_mm,
                         qc_title(result), result.heatmap, below_mm=below)
    sagittal, coronal, across = views
    return render_qc(sagittal, result.coords, result.confidence, result.pixel_mm,
                     qc_title(result), result.heatmap, coronal, across, below)


def spine_views(result: LabelResult) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(sagittal (H, W), coronal (H, X), coronal column of each disc (25,))`` of a result
    with a spine, resampled from its volume: the sagittal view on every row at the spine's
    left-right position, the coronal view the mean over a band from ``CORONAL_FRONT_MM`` in
    front of the discs' posterior tips to ``CORONAL_BACK_MM`` behind them; None without a
    spine or a volume."""
    if result.volume is None or result.spine_mm is None or not np.isfinite(result.spine_mm).all():
        return None
    found = np.flatnonzero(np.isfinite(result.coords[:, 0]))
    shape = result.image.shape
    sagittal = curved_sagittal(result.volume, result.grid_to_slice, shape, result.spine_mm)
    order = found[np.argsort(result.coords[found, 0])]
    tips = np.interp(np.arange(shape[0]), result.coords[order, 0], result.coords[order, 1])
    offsets = np.arange(-CORONAL_FRONT_MM, CORONAL_BACK_MM + 1e-6, result.pixel_mm)
    band = tips[:, None] + offsets[None, :] / result.pixel_mm
    coronal = coronal_band(result.volume, result.grid_to_slice, shape[0], band, result.pixel_mm)
    across = result.chain.lateral_mm.astype(np.float64) / result.pixel_mm
    return sagittal, coronal, across
