"""An analytic spine phantom rendered at any voxel size and orientation (for label.py tests).

The anatomy is defined in world RAS millimetres: flat bright discs between grey vertebral bodies,
a dark canal behind them. It can be sampled on any grid, so the same spine can be written at
several resolutions and orientations.
"""

from __future__ import annotations

import nibabel as nib
import numpy as np
from nibabel import orientations as ornt

EXTENT_MM = (30.0, 90.0, 120.0)          # L-R, P-A, I-S
DISC_HALF = (11.0, 11.0, 2.5)            # half-width L-R, half-depth A-P, half-height S-I
DISC_SPACING_MM = 16.0
FIRST_DISC_Z_MM = 100.0                   # superior coordinate of the first disc
CENTRE_Y_MM = 50.0


def disc_centres(first: int = 3, count: int = 6, shift_mm: float = 0.0,
                 spacing_mm: float = DISC_SPACING_MM) -> dict[int, np.ndarray]:
    """Disc number -> centre (x, y, z) in world RAS mm."""
    return {first + i: np.array([EXTENT_MM[0] / 2, CENTRE_Y_MM + 0.8 * i,
                                 FIRST_DISC_Z_MM - shift_mm - i * spacing_mm])
            for i in range(count)}


def posterior_tips(centres: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    """Posterior tip of each disc (y decreases towards posterior in RAS)."""
    return {d: c - np.array([0.0, DISC_HALF[1], 0.0]) for d, c in centres.items()}


def render(zoom_mm: float | tuple[float, float, float] = 1.0, centres=None,
           seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sample the phantom on an RAS grid; returns (image float32, affine)."""
    zooms = np.broadcast_to(np.asarray(zoom_mm, float), (3,))
    shape = tuple(int(round(e / z)) for e, z in zip(EXTENT_MM, zooms, strict=True))
    axes = [(np.arange(n) + 0.5) * z for n, z in zip(shape, zooms, strict=True)]
    x, y, z = np.meshgrid(*axes, indexing="ij")
    centres = disc_centres() if centres is None else centres
    image = np.full(shape, 0.15, np.float32)
    body = (np.abs(x - EXTENT_MM[0] / 2) < 12) & (np.abs(y - CENTRE_Y_MM) < 12)
    image[body] = 0.4
    canal = (np.abs(x - EXTENT_MM[0] / 2) < 8) & (y < CENTRE_Y_MM - 14) & (y > CENTRE_Y_MM - 24)
    image[canal] = 0.05
    for c in centres.values():
        r = (((x - c[0]) / DISC_HALF[0]) ** 2 + ((y - c[1]) / DISC_HALF[1]) ** 2
             + ((z - c[2]) / DISC_HALF[2]) ** 2)
        image = np.where(r < 1, 0.95, image)
    rng = np.random.default_rng(seed)
    image = image + rng.normal(0, 0.01, shape).astype(np.float32)
    affine = np.diag([*zooms, 1.0])
    affine[:3, 3] = zooms / 2  # voxel centres at (index + 0.5) * zoom
    return image.astype(np.float32), affine


def reorient(image: np.ndarray, affine: np.ndarray, code: str) -> nib.Nifti1Image:
    """The same volume saved with another orientation code, or 'oblique' (rotated affine)."""
    img = nib.Nifti1Image(image, affine)
    if code == "oblique":
        angle = np.deg2rad(6.0)
        rot = np.eye(4)
        rot[1:3, 1:3] = [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
        return nib.Nifti1Image(image, rot @ affine)
    transform = ornt.ornt_transform(ornt.axcodes2ornt("RAS"), ornt.axcodes2ornt(tuple(code)))
    return img.as_reoriented(transform)


def label_volume(image: np.ndarray, affine: np.ndarray, tips: dict[int, np.ndarray]) -> np.ndarray:
    """One voxel per disc at its posterior tip, on the grid of ``image``."""
    labels = np.zeros(image.shape, np.uint8)
    inv = np.linalg.inv(affine)
    for disc, tip in tips.items():
        index = np.rint((inv @ np.r_[tip, 1.0])[:3]).astype(int)
        labels[tuple(index)] = disc
    return labels
