"""Geometry: reorientation to the canonical orientation and sagittal sampling onto a fixed grid.

Three coordinate systems appear here:

* **source voxel** ``(i, j, k)``: array indices of the NIfTI file as stored;
* **canonical voxel** ``(x, j, k)``: indices after reorienting to ``CANONICAL_ORIENTATION``
  (x = left -> right sagittal slice index, j = superior -> inferior, k = anterior -> posterior);
* **grid pixel** ``(row, col)``: a prepared 2-D sample, row = superior -> inferior,
  col = anterior -> posterior, integer values at pixel centres.

A sample keeps a 4 x 4 matrix ``pix2vox`` mapping the homogeneous vector ``(row, col, s, 1)`` to
the source voxel ``(i, j, k, 1)``, where ``s`` is a sagittal offset in canonical slices from the
sample's slice (0 on the slice itself). With the source affine, ``affine @ pix2vox`` maps a pixel
to world mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import nibabel as nib
import numpy as np
from nibabel import orientations as ornt

from disclabel.constants import (
    CANONICAL_ORIENTATION,
    GRID_MULTIPLE,
    INTENSITY_PERCENTILES,
    MAX_GRID_SIDE,
    PIXEL_MM,
    WINDOW_SHAPE,
)

ANTIALIAS_SIGMA_FACTOR: float = 0.5
"""Gaussian sigma (in source pixels) per unit of downsampling factor above 1, before resampling."""


@dataclass(frozen=True)
class CanonicalVolume:
    """A volume reoriented to the canonical orientation.

    Attributes:
        data: float32 array (nx, nj, nk) in canonical voxel order.
        affine: (4, 4) canonical voxel -> world mm.
        canon2src: (4, 4) canonical voxel -> source voxel.
        zooms: (3,) voxel size in mm along x, j, k.
    """

    data: np.ndarray
    affine: np.ndarray
    canon2src: np.ndarray
    zooms: np.ndarray


def canonical_transform(affine: np.ndarray, shape: tuple[int, int, int]
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Orientation transform from a source grid to the canonical one.

    Returns ``(transform, canon2src)``: the nibabel orientation transform (for
    ``apply_orientation``) and the (4, 4) matrix mapping canonical voxels to source voxels.
    Oblique affines are reoriented to their closest canonical axes.
    """
    src = ornt.io_orientation(affine)
    dst = ornt.axcodes2ornt(CANONICAL_ORIENTATION)
    transform = ornt.ornt_transform(src, dst)
    canon2src = ornt.inv_ornt_aff(transform, shape)
    return transform, canon2src


def to_canonical(data: np.ndarray, affine: np.ndarray) -> CanonicalVolume:
    """Reorient a 3-D array (source voxel order) to the canonical orientation."""
    transform, canon2src = canonical_transform(affine, data.shape)
    canon = np.ascontiguousarray(ornt.apply_orientation(data, transform), dtype=np.float32)
    canon_affine = affine @ canon2src
    zooms = np.sqrt((canon_affine[:3, :3] ** 2).sum(axis=0))
    return CanonicalVolume(canon, canon_affine, canon2src, zooms)


def to_canonical_points(points_src: np.ndarray, canon2src: np.ndarray) -> np.ndarray:
    """Map source voxel points (N, 3) (i, j, k) to canonical voxel points (N, 3) (x, j, k)."""
    src2canon = np.linalg.inv(canon2src)
    homog = np.c_[points_src, np.ones(len(points_src))]
    return (homog @ src2canon.T)[:, :3]


def canonical_extent(shape: tuple[int, ...], affine: np.ndarray) -> tuple[float, float]:
    """(superior-inferior, anterior-posterior) extent in mm of the sagittal slices of a volume
    of ``shape`` with ``affine``, from the header alone (no voxel data read)."""
    transform, canon2src = canonical_transform(affine, tuple(shape[:3]))
    canon_shape = [0, 0, 0]
    for src_axis, (dst_axis, _) in enumerate(transform):
        canon_shape[int(dst_axis)] = int(shape[src_axis])
    zooms = np.sqrt(((affine @ canon2src)[:3, :3] ** 2).sum(axis=0))
    return float(canon_shape[1] * zooms[1]), float(canon_shape[2] * zooms[2])


def fit_grid(extent_mm: tuple[float, float], pixel_mm: float = PIXEL_MM,
             max_side: int = MAX_GRID_SIDE, min_shape: tuple[int, int] = WINDOW_SHAPE
             ) -> tuple[tuple[int, int], float]:
    """The grid that shows a (height_mm, width_mm) field of view whole at ``pixel_mm``.

    Returns ``((rows, cols), pixel)``: each side the field of view's pixel count rounded up to a
    multiple of ``GRID_MULTIPLE``, and at least ``min_shape`` (the training window: a small field
    of view is seen inside black padding, as every training window shows it, not on a smaller
    grid that training never showed). The pixel is ``pixel_mm`` unless a side would exceed
    ``max_side`` pixels; only then is it enlarged (keeping the aspect ratio) to fit.
    """
    pixel = float(max(pixel_mm, extent_mm[0] / max_side, extent_mm[1] / max_side))
    pixels = [int(np.ceil(e / pixel - 1e-6)) for e in extent_mm]
    rows, cols = (max(1, -(-n // GRID_MULTIPLE)) * GRID_MULTIPLE for n in pixels)
    return (max(rows, min_shape[0]), max(cols, min_shape[1])), pixel


def grid_to_slice(slice_shape: tuple[int, int], slice_zooms: tuple[float, float],
                  grid_shape: tuple[int, int], pixel: float) -> np.ndarray:
    """(3, 3) matrix mapping grid ``(row, col, 1)`` to slice voxel ``(j, k, 1)``; the centre of
    the slice lands on the centre of the grid."""
    scale = np.array([pixel / slice_zooms[0], pixel / slice_zooms[1]])
    centre_src = (np.asarray(slice_shape, float) - 1) / 2
    centre_dst = (np.asarray(grid_shape, float) - 1) / 2
    mat = np.eye(3)
    mat[0, 0], mat[1, 1] = scale
    mat[:2, 2] = centre_src - scale * centre_dst
    return mat


def pix2vox_matrix(g2s: np.ndarray, slice_x: float, canon2src: np.ndarray) -> np.ndarray:
    """(4, 4) matrix mapping ``(row, col, s, 1)`` to source voxel ``(i, j, k, 1)``."""
    to_canon = np.zeros((4, 4))
    to_canon[0, 2] = 1.0            # x = slice_x + s
    to_canon[0, 3] = slice_x
    to_canon[1, 0] = g2s[0, 0]      # j from row
    to_canon[1, 3] = g2s[0, 2]
    to_canon[2, 1] = g2s[1, 1]      # k from col
    to_canon[2, 3] = g2s[1, 2]
    to_canon[3, 3] = 1.0
    return canon2src @ to_canon


def normalise_intensity(values: np.ndarray, percentiles: tuple[float, float] = INTENSITY_PERCENTILES
                        ) -> tuple[float, float]:
    """Robust (low, high) intensity window of an array, from its percentiles."""
    lo, hi = np.percentile(values, percentiles)
    if hi - lo < 1e-6:
        hi = lo + 1.0
    return float(lo), float(hi)


def resample_slice(slice2d: np.ndarray, g2s: np.ndarray, grid_shape: tuple[int, int],
                   window: tuple[float, float]) -> np.ndarray:
    """Resample a sagittal slice (nj, nk) onto the grid and map ``window`` to [0, 1].

    Pixels outside the slice are 0. When the grid pixel is larger than the slice's voxels the
    slice is low-pass filtered first (anti-aliasing).
    """
    lo, hi = window
    src = np.clip((slice2d.astype(np.float32) - lo) / (hi - lo), 0.0, 1.0)
    sig_r = ANTIALIAS_SIGMA_FACTOR * max(g2s[0, 0] - 1.0, 0.0)
    sig_c = ANTIALIAS_SIGMA_FACTOR * max(g2s[1, 1] - 1.0, 0.0)
    if sig_r > 0 or sig_c > 0:
        src = cv2.GaussianBlur(src, (0, 0), sigmaX=max(sig_c, 1e-3), sigmaY=max(sig_r, 1e-3))
    # cv2 works in (x = col, y = row); g2s maps (row, col) -> (j, k) = (y_src, x_src)
    m = np.array([[g2s[1, 1], 0.0, g2s[1, 2]], [0.0, g2s[0, 0], g2s[0, 2]]])
    out = cv2.warpAffine(src, m, (grid_shape[1], grid_shape[0]),
                         flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    return out.astype(np.float32)


def points_to_grid(points_canon: np.ndarray, g2s: np.ndarray) -> np.ndarray:
    """Map canonical voxel points (N, 3) (x, j, k) to grid pixels (N, 2) (row, col)."""
    s2g = np.linalg.inv(g2s)
    homog = np.c_[points_canon[:, 1:3], np.ones(len(points_canon))]
    return (homog @ s2g.T)[:, :2]


def pixels_to_world(rc: np.ndarray, pix2vox: np.ndarray, vox2world: np.ndarray) -> np.ndarray:
    """Map grid pixels (N, 2) (row, col) on a sample's slice to world mm (N, 3)."""
    homog = np.c_[rc, np.zeros(len(rc)), np.ones(len(rc))]
    return (homog @ (vox2world @ pix2vox).T)[:, :3]


def pixels_to_voxels(rc: np.ndarray, pix2vox: np.ndarray) -> np.ndarray:
    """Map grid pixels (N, 2) (row, col) on a sample's slice to source voxels (N, 3) (i, j, k)."""
    homog = np.c_[rc, np.zeros(len(rc)), np.ones(len(rc))]
    return (homog @ pix2vox.T)[:, :3]


def orientation_code(affine: np.ndarray) -> str:
    """Three-letter nibabel orientation code of an affine, e.g. ``'PSR'``."""
    return "".join(nib.aff2axcodes(affine))


def sagittal_axes(affine: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """(2, 3) unit world vectors of a volume's superior->inferior and anterior->posterior axes
    (its canonical rows and columns): world points dotted with them give in-plane mm."""
    _, canon2src = canonical_transform(affine, tuple(shape[:3]))
    axes = (affine @ canon2src)[:3, 1:3].T
    return axes / np.linalg.norm(axes, axis=1, keepdims=True)
