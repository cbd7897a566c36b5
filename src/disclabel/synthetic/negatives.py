"""Training windows without a spine, so that the network learns to see no disc where there is none.

Two kinds (:func:`disclabel.synthetic.sample2d.negative_sample` draws them):

- the head above the atlas: a window of a generated head-and-neck field of view whose bottom
  row lies ``HEAD_MARGIN_MM`` above the top of C1 (brain, skull, face; no disc);
- random shapes in the manner of SynthSeg's label maps: smooth random regions, ellipses and
  straight bands (bright or dark lines like fat planes, vessels or a bone's cortex), each with
  a random intensity, imaged with the same acquisition effects as the spine samples. Straight
  bands matter: a bright line is what a spine's CSF looks like from afar.

Nothing here draws a row of evenly spaced blobs, which is what a spine is.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .appearance import texture_2d

F32 = np.float32

HEAD_MARGIN_MM: tuple[float, float] = (10.0, 60.0)
"""A head window ends this far above the top of C1."""
MIN_HEAD_ROWS: int = 16
"""A head window shows at least this many rows of the field of view (else: random shapes)."""
REGION_CLASSES: tuple[int, int] = (3, 9)
"""Number of smooth random regions (the low end inclusive, the high end exclusive)."""
REGION_SCALE_MM: tuple[float, float] = (8.0, 40.0)
"""Smoothing of the random fields whose argmax makes the regions."""
ELLIPSES: tuple[int, int] = (1, 7)
ELLIPSE_RADIUS_MM: tuple[float, float] = (5.0, 80.0)
BANDS: tuple[int, int] = (0, 4)
BAND_WIDTH_MM: tuple[float, float] = (1.5, 12.0)
BAND_TILT_SD_DEG: float = 25.0
"""Bands run mostly superior-inferior (the way a spine would), tilted by this much (sd)."""
TEXTURE_SIGMA_MM: tuple[float, float] = (1.0, 6.0)
TEXTURE_AMPLITUDE: tuple[float, float] = (0.0, 0.3)
PADDED_PROBABILITY: float = 0.3
"""Share of shape images that end in black padding on one side (a window past the field of
view)."""


def head_window_origin(rng: np.random.Generator, keypoints: np.ndarray,
                       grid_shape: tuple[int, int], pixel_mm: float) -> tuple[int, int] | None:
    """(top row, left column) of a window above the atlas, in field-of-view pixels.

    ``keypoints`` (NUM_DISCS, 2) (row, col) of the field of view's discs, disc 1 (top of C1)
    first, NaN outside it. None when disc 1 is not in view or too little head lies above it."""
    row, col = keypoints[0]
    if not np.isfinite(row):
        return None
    bottom = int(row - rng.uniform(*HEAD_MARGIN_MM) / pixel_mm)
    if bottom < MIN_HEAD_ROWS:
        return None
    left = int(round(col - rng.uniform(0.3, 0.7) * grid_shape[1]))
    return bottom - grid_shape[0], left


def shapes_image(rng: np.random.Generator, grid_shape: tuple[int, int], pixel_mm: float,
                 acquire: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Random regions, ellipses and bands with random intensities, passed through ``acquire``
    (tissue intensities (H, W) -> image (H, W) in [0, 1]). Returns (H, W) float32."""
    h, w = grid_shape
    k = int(rng.integers(*REGION_CLASSES))
    fields = [texture_2d(rng, (h, w), rng.uniform(*REGION_SCALE_MM) / pixel_mm)
              for _ in range(k)]
    labels = np.argmax(np.stack(fields), axis=0)
    rows, cols = np.mgrid[0:h, 0:w].astype(F32) * F32(pixel_mm)
    for _ in range(int(rng.integers(*ELLIPSES))):
        r0, c0 = rng.uniform(0, h * pixel_mm), rng.uniform(0, w * pixel_mm)
        a, b = rng.uniform(*ELLIPSE_RADIUS_MM, 2)
        t = rng.uniform(0, np.pi)
        u = (rows - r0) * np.cos(t) + (cols - c0) * np.sin(t)
        v = -(rows - r0) * np.sin(t) + (cols - c0) * np.cos(t)
        labels[(u / a) ** 2 + (v / b) ** 2 < 1] = k
        k += 1
    for _ in range(int(rng.integers(*BANDS))):
        c0 = rng.uniform(0, w * pixel_mm)
        t = np.deg2rad(rng.normal(0.0, BAND_TILT_SD_DEG))
        distance = np.abs((cols - c0) * np.cos(t) - (rows - h * pixel_mm / 2) * np.sin(t))
        labels[distance < rng.uniform(*BAND_WIDTH_MM) / 2] = k
        k += 1
    intensity = rng.uniform(0.0, 1.0, k).astype(F32)
    texture = texture_2d(rng, (h, w), rng.uniform(*TEXTURE_SIGMA_MM) / pixel_mm)
    img = intensity[labels] * (F32(1.0) + F32(rng.uniform(*TEXTURE_AMPLITUDE)) * texture)
    img = acquire(np.clip(img, 0.0, None).astype(F32))
    if rng.random() < PADDED_PROBABILITY:
        side, depth = int(rng.integers(4)), rng.uniform(0.1, 0.5)
        n = int(depth * (h if side < 2 else w))
        view = img if side < 2 else img.T
        if side % 2 == 0:
            view[:n] = 0.0
        else:
            view[-n:] = 0.0
    return img.astype(F32)
