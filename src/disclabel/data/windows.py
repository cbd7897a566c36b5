"""Training windows: where a window is cut from a 2-D sample, and the keypoints moved into it.
Keypoints are ``(D, 2)`` ``(row, col)`` in pixels, NaN for an absent disc."""

from __future__ import annotations

import numpy as np

from disclabel.constants import SPINE_WINDOW_PROBABILITY, WINDOW_MARGIN_PX


def window_origin(rng: np.random.Generator, keypoints: np.ndarray,
                  content_rows: tuple[int, int], shape: tuple[int, int],
                  window: tuple[int, int]) -> tuple[int, int]:
    """Top-left (row, col) of a training window over an image of ``shape`` whose field of view
    covers rows ``content_rows`` (first, last).

    A field of view no taller than the window is seen whole in the superior-inferior direction,
    as at inference (where every field of view is seen whole): the window's rows cover it at a
    random offset. A taller one is cut around a random present disc (uniformly placed at least
    ``WINDOW_MARGIN_PX`` inside the window). Columns: around a random present disc. With
    probability ``1 - SPINE_WINDOW_PROBABILITY``, or without a disc, the window lies anywhere.
    """
    (height, width), (h, w) = shape, window
    present = np.flatnonzero(np.isfinite(keypoints[:, 0]))
    if not len(present) or rng.random() >= SPINE_WINDOW_PROBABILITY:
        return (int(rng.integers(min(0, height - h), max(0, height - h) + 1)),
                int(rng.integers(min(0, width - w), max(0, width - w) + 1)))
    row, col = keypoints[rng.choice(present)]
    first, last = content_rows
    if last - first + 1 <= h:
        top = int(rng.integers(last - h + 1, first + 1))
    else:
        top = int(round(row - rng.uniform(WINDOW_MARGIN_PX, h - 1 - WINDOW_MARGIN_PX)))
    left = int(round(col - rng.uniform(WINDOW_MARGIN_PX, w - 1 - WINDOW_MARGIN_PX)))
    return top, left


def crop_window(image: np.ndarray, keypoints: np.ndarray, window: tuple[int, int],
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Cut a ``window`` (rows, cols) out of ``image`` (H, W), with 0 where it reaches beyond;
    placed by :func:`window_origin` (the field of view is the image's non-zero rows).
    Keypoints (D, 2) ``(row, col)`` move with it; those outside become NaN. Returns
    ``(window image, keypoints)``."""
    height, width = image.shape
    h, w = window
    rows = np.flatnonzero(image.max(axis=1) > 0)
    content = (int(rows[0]), int(rows[-1])) if len(rows) else (0, height - 1)
    top, left = window_origin(rng, keypoints, content, (height, width), window)
    out = np.zeros((h, w), np.float32)
    r0, r1 = max(top, 0), min(top + h, height)
    c0, c1 = max(left, 0), min(left + w, width)
    if r1 > r0 and c1 > c0:
        out[r0 - top:r1 - top, c0 - left:c1 - left] = image[r0:r1, c0:c1]
    return out, keypoints_in_window(keypoints, (top, left), window)


def keypoints_in_window(keypoints: np.ndarray, origin: tuple[int, int],
                        shape: tuple[int, int]) -> np.ndarray:
    """Keypoints (D, 2) ``(row, col)`` moved into the ``shape`` window whose top-left pixel is
    ``origin``; NaN for those outside it (beyond half a pixel from its edge). float32 copy."""
    moved = (np.asarray(keypoints, np.float32) - np.array(origin, np.float32)).astype(np.float32)
    outside = ((moved[:, 0] < -0.5) | (moved[:, 0] > shape[0] - 0.5) | (moved[:, 1] < -0.5)
               | (moved[:, 1] > shape[1] - 0.5))
    moved[outside] = np.nan
    return moved
