"""Views of a labelled volume for quality control that follow its spine: a curved sagittal
reformat and a coronal band.

Canonical voxels are ``(x, j, k)`` (left -> right, superior -> inferior, anterior ->
posterior, see :mod:`disclabel.data.geometry`); the views are grids of ``(row, col)`` pixels
with row 0 superior. Only ``label.py --qc`` needs them, so SciPy's ``ndimage`` (a quarter of a
second to import) stays out of labelling without pictures.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from disclabel.data.geometry import CanonicalVolume, normalise_intensity


def curved_sagittal(volume: CanonicalVolume, g2s: np.ndarray, grid_shape: tuple[int, int],
                    x_mm: np.ndarray) -> np.ndarray:
    """A sagittal view that follows a spine out of the mid-sagittal plane: on every grid row
    the canonical slice at left-right position ``x_mm`` (H,) (mm from slice 0, between slices
    interpolated), resampled onto the grid by ``g2s`` (grid -> slice voxel), intensities
    mapped to [0, 1] by their percentiles. (H, W) float32, 0 outside the volume."""
    rows, cols = np.meshgrid(np.arange(grid_shape[0]), np.arange(grid_shape[1]), indexing="ij")
    j = g2s[0, 0] * rows + g2s[0, 2]
    k = g2s[1, 1] * cols + g2s[1, 2]
    x = np.broadcast_to((np.asarray(x_mm, np.float64) / volume.zooms[0])[:, None], rows.shape)
    values = ndimage.map_coordinates(volume.data, np.stack([x, j, k]).reshape(3, -1), order=1,
                                     cval=np.nan).reshape(rows.shape)
    inside = np.isfinite(values)
    if not inside.any():
        return np.zeros(grid_shape, np.float32)
    lo, hi = normalise_intensity(values[inside])
    return np.where(inside, np.clip((values - lo) / (hi - lo), 0.0, 1.0), 0.0).astype(np.float32)


def coronal_band(volume: CanonicalVolume, g2s: np.ndarray, grid_rows: int,
                 band_cols: np.ndarray, pixel_mm: float) -> np.ndarray:
    """A coronal view of the spine: on every grid row, the mean of the volume over the grid
    columns ``band_cols`` (H, M) (a front-to-back band around the spine on that row), at
    every ``pixel_mm`` from left to right across the volume; intensities mapped to [0, 1] by
    their percentiles. (H, X) float32, column ``c`` at ``c * pixel_mm`` mm from slice 0."""
    count = int(np.floor((volume.data.shape[0] - 1) * volume.zooms[0] / pixel_mm)) + 1
    x = np.arange(count) * pixel_mm / volume.zooms[0]
    rows = np.arange(grid_rows, dtype=np.float64)
    j = np.broadcast_to((g2s[0, 0] * rows + g2s[0, 2])[:, None, None], (grid_rows, count,
                                                                         band_cols.shape[1]))
    k = np.broadcast_to((g2s[1, 1] * band_cols + g2s[1, 2])[:, None, :], j.shape)
    xs = np.broadcast_to(x[None, :, None], j.shape)
    values = ndimage.map_coordinates(volume.data, np.stack([xs, j, k]).reshape(3, -1), order=1,
                                     cval=np.nan).reshape(j.shape)
    finite = np.isfinite(values)
    counted = finite.sum(axis=2)
    inside = counted > 0
    mean = np.where(finite, values, 0.0).sum(axis=2) / np.maximum(counted, 1)
    if not inside.any():
        return np.zeros((grid_rows, count), np.float32)
    lo, hi = normalise_intensity(mean[inside])
    return np.where(inside, np.clip((mean - lo) / (hi - lo), 0.0, 1.0), 0.0).astype(np.float32)
