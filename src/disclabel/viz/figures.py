"""Pictures of predictions on prepared 2-D samples (validation pictures, ``test.py
--visualize true``) and of attention maps (``main.py --attshow true``).

Images are 2-D sagittal samples ``(H, W)`` in [0, 1]: row 0 is superior, column 0 anterior.
Keypoints are ``(25, 2)`` arrays of ``(row, col)`` pixel coordinates with NaN for an absent
disc; row ``n - 1`` is disc number ``n``. On the plots x is the column and y the row.
"""

from __future__ import annotations

import numpy as np

from disclabel.constants import DISC_NAMES
from disclabel.viz.canvas import (
    check_image,
    check_points,
    figure_rgb,
    new_figure,
    show_image,
)

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
    image = check_image(image)
    pred, ref = check_points(pred, "pred"), check_points(ref, "ref")
    if confidence is not None:
        confidence = np.asarray(confidence, dtype=np.float64).reshape(-1)
    h, w = image.shape
    scale = FIG_LONG_SIDE_IN / max(h, w)
    fig = new_figure(w * scale, h * scale)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.92))
    show_image(ax, image)
    _draw_discs(ax, pred, ref, confidence, names)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper right", fontsize=LABEL_FONT_SIZE, framealpha=0.6)
    fig.suptitle(title, fontsize=TITLE_FONT_SIZE, y=0.985)
    return figure_rgb(fig)


def render_attention(image: np.ndarray, attention: np.ndarray, pred: np.ndarray | None,
                     title: str = "") -> np.ndarray:
    """Three panels side by side: the input, the input with predicted discs, and the input with
    the attention map ``(h, w)`` stretched over the full ``(H, W)`` image (bilinear, jet colour
    map, alpha 0.5). Returns RGB uint8 (H', W', 3)."""
    image = check_image(image)
    pred = check_points(pred, "pred")
    attention = np.asarray(attention, dtype=np.float32)
    if attention.ndim != 2:
        raise ValueError(f"attention must be 2-D (h, w), got shape {attention.shape}")
    h, w = image.shape
    fig = new_figure(3 * PANEL_SIDE_IN, PANEL_SIDE_IN * max(h / w, 0.5))
    axes = fig.subplots(1, 3)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.88, wspace=0.02)
    for ax, subtitle in zip(axes, ("input", "prediction", "attention"), strict=True):
        show_image(ax, image)
        ax.set_title(subtitle, fontsize=TITLE_FONT_SIZE)
    _draw_discs(axes[1], pred, None, None, names=False)
    finite = attention[np.isfinite(attention)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    axes[2].imshow(attention, cmap="jet", alpha=ATTENTION_ALPHA, vmin=low, vmax=high,
                   interpolation="bilinear", extent=(-0.5, w - 0.5, h - 0.5, -0.5))
    fig.suptitle(title, fontsize=TITLE_FONT_SIZE, y=0.985)
    return figure_rgb(fig)


