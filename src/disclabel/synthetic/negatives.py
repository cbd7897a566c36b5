"""Training windows without a spine, so that the network learns to see no disc where there is none.

Two kinds (:func:`disclabel.synthetic.sample2d.negative_sample` draws them):

- the head above the atlas: a window of a generated head-and-neck field of view whose bottom
  row lies ``HEAD_MARGIN_MM`` above the top of C1 (brain, skull, face; no disc);
- a head-only field of view (styles with ``head_fov_share``): the same head, but the field of
  view ends above the atlas and is seen whole inside the window with black padding around it,
  as ``label.py`` sees a brain scan;
- random shapes in the manner of SynthSeg's label maps: smooth random regions, ellipses and
  straight bands (bright or dark lines like fat planes, vessels or a bone's cortex), each with
  a random intensity, imaged with the same acquisition effects as the spine samples. Straight
  bands matter: a bright line is what a spine's CSF looks like from afar. Styles with
  ``arc_groups`` add curved bands: sets of concentric arcs like the scalp, skull and
  meninges around a brain, which models without them took for a short chain of discs.

Nothing here draws a row of evenly spaced blobs, which is what a spine is.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from disclabel.synthetic.appearance import texture_2d

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
HEAD_FOV_HEIGHT_MM: tuple[float, float] = (60.0, 256.0)
"""Height of a head-only field of view (it ends above the atlas)."""
ARC_RADIUS_MM: tuple[float, float] = (30.0, 150.0)
"""Inner radius of a set of concentric arcs (a head is 70-100 mm in radius)."""
ARC_RINGS: tuple[int, int] = (1, 5)
"""Concentric rings in a set (the low end inclusive, the high end exclusive)."""
ARC_RING_WIDTH_MM: tuple[float, float] = (1.5, 8.0)
ARC_RING_GAP_MM: tuple[float, float] = (0.0, 6.0)
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


def head_fov_window(rng: np.random.Generator, keypoints: np.ndarray,
                    grid_shape: tuple[int, int], pixel_mm: float
                    ) -> tuple[int, int, tuple[int, int]] | None:
    """A head-only field of view seen whole in a window: ``(first row of the head field of view
    in the spine field of view's pixels (negative above it), its height in rows, (top row, left
    column) of the window in the head field of view's pixels)``.

    The head field of view ends ``HEAD_MARGIN_MM`` above the top of C1, is
    ``HEAD_FOV_HEIGHT_MM`` tall, and lies at a random row offset inside the window (rows
    outside it are black), as inference places a field of view no taller than its window.
    ``keypoints`` as for :func:`head_window_origin`. None when C1 is not in view."""
    row, col = keypoints[0]
    if not np.isfinite(row):
        return None
    bottom = int(row - rng.uniform(*HEAD_MARGIN_MM) / pixel_mm)
    height = int(rng.uniform(*HEAD_FOV_HEIGHT_MM) / pixel_mm)
    spare = grid_shape[0] - height
    top = -int(rng.integers(0, spare + 1)) if spare >= 0 else int(rng.integers(0, 1 - spare))
    left = int(round(col - rng.uniform(0.3, 0.7) * grid_shape[1]))
    return bottom - height, height, (top, left)


def arc_sets(rng: np.random.Generator, labels: np.ndarray, rows: np.ndarray,
             cols: np.ndarray, groups: int, k: int) -> int:
    """Draw ``groups`` sets of concentric rings (:func:`rings`) into ``labels`` (H, W);
    ``rows``/``cols`` (H, W) in mm. Returns the next free label."""
    h_mm, w_mm = float(rows[-1, 0]), float(cols[0, -1])
    for _ in range(groups):
        radius = rng.uniform(*ARC_RADIUS_MM)
        # centres anywhere from one radius outside the image to its far side: arcs of every
        # curvature and direction cross the window
        r0 = rng.uniform(-radius, h_mm + radius)
        c0 = rng.uniform(-radius, w_mm + radius)
        k = rings(rng, labels, np.hypot(rows - r0, cols - c0), radius, k)
    return k


def rings(rng: np.random.Generator, labels: np.ndarray, distance: np.ndarray, radius: float,
          k: int) -> int:
    """Label ``ARC_RINGS`` concentric rings outward from ``radius`` (mm) in ``labels`` (H, W),
    each ``ARC_RING_WIDTH_MM`` wide, ``ARC_RING_GAP_MM`` apart, labels ``k``, ``k + 1``, ...;
    ``distance`` (H, W) is every pixel's distance (mm) from their centre. Returns the next
    free label."""
    for _ in range(int(rng.integers(*ARC_RINGS))):
        width = rng.uniform(*ARC_RING_WIDTH_MM)
        labels[(distance >= radius) & (distance < radius + width)] = k
        radius += width + rng.uniform(*ARC_RING_GAP_MM)
        k += 1
    return k


def shapes_image(rng: np.random.Generator, grid_shape: tuple[int, int], pixel_mm: float,
                 acquire: Callable[[np.ndarray], np.ndarray],
                 arc_groups: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Random regions, ellipses, bands and (``arc_groups`` sets, the low end inclusive, the
    high end exclusive) concentric arcs with random intensities, passed through ``acquire``
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
    if arc_groups[1] > arc_groups[0]:
        k = arc_sets(rng, labels, rows, cols, int(rng.integers(*arc_groups)), k)
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
