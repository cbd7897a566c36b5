"""Spines that leave the mid-sagittal plane: 3-D changes of a volume (a tilt in the coronal plane,
a rotation in the sagittal plane or about the spine's own axis, a lateral S-curve) and sagittal
slices through a real training volume changed that way, with the discs that lie in the slice.

Positions are ``(x, j, k)`` in mm along the canonical axes (``CANONICAL_ORIENTATION``: x left ->
right, j superior -> inferior, k anterior -> posterior) from canonical voxel 0. A change is a
pair of maps of such positions: ``forward`` moves the anatomy, ``inverse`` finds where a point
of the changed volume came from (for resampling). ``tools/make_3d_sets.py`` writes changed real
volumes for the accuracy report with the same maps.

Training (``main.py --oblique-ratio``): :func:`oblique_sample` draws a random change of a random
real training volume and a sagittal slice near one of its discs, resampled at the training
pixel size; a disc is in the slice when it lies within ``PRESENT_MM`` of it, and absent (its
heatmap must stay empty) otherwise, so that the network learns to see a disc on its own slice
only: partial discs, and a cord that enters and leaves the slice, are what an oblique or curved
spine shows on a sagittal slice.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage

from disclabel.constants import NUM_DISCS, SPLIT_NAMES
from disclabel.data.geometry import normalise_intensity, to_canonical, to_canonical_points
from disclabel.data.io import InputError, disc_voxels, load_nifti, read_data, read_json
from disclabel.data.windows import crop_window

Mapping = Callable[[np.ndarray], np.ndarray]
"""Positions (N, 3) in mm (x, j, k) -> positions (N, 3) in mm."""

PRESENT_MM: float = 3.0
"""A disc is in a training slice when its posterior tip lies within this distance of it."""
TILT_DEG: float = 25.0
"""Random coronal tilt of a training volume: uniform in +-this (degrees)."""
SAGITTAL_DEG: float = 10.0
"""Random rotation in the sagittal plane: uniform in +-this (degrees)."""
AXIAL_DEG: float = 15.0
"""Random rotation about the spine's superior-inferior axis (a turned trunk): +-this."""
CURVE_PROBABILITY: float = 0.5
"""Share of training volumes bent into a lateral curve."""
CURVE_MM: tuple[float, float] = (3.0, 15.0)
"""Amplitude of the lateral curve (mm): uniform in this range."""
CURVE_WAVELENGTH_MM: tuple[float, float] = (120.0, 320.0)
"""Wavelength of the lateral curve (mm): uniform in this range (one S over 120-320 mm)."""
SLICE_OFFSET_MM: float = 8.0
"""A training slice lies up to this far (uniform) left or right of the disc it is drawn at."""


@dataclass(frozen=True)
class Change:
    """A 3-D change of a volume: coronal tilt, sagittal and axial rotations (degrees, about the
    labelled discs' centre) and a lateral curve ``curve_mm * sin(2 pi (j - top) /
    wavelength + phase)`` (``top``: the highest disc; wavelength None: the discs' span)."""

    tilt_deg: float = 0.0
    sagittal_deg: float = 0.0
    axial_deg: float = 0.0
    curve_mm: float = 0.0
    curve_wavelength_mm: float | None = None
    curve_phase: float = 0.0


def _rotation(angle_deg: float, axes: tuple[int, int], centre: np.ndarray) -> Mapping:
    """Rotation by ``angle_deg`` in the plane of two axes about ``centre`` (3,) mm."""
    theta = math.radians(angle_deg)
    cos, sin = math.cos(theta), math.sin(theta)
    a, b = axes

    def move(points: np.ndarray) -> np.ndarray:
        out = np.array(points, np.float64)
        u, v = points[:, a] - centre[a], points[:, b] - centre[b]
        out[:, a] = centre[a] + cos * u - sin * v
        out[:, b] = centre[b] + sin * u + cos * v
        return out

    return move


def _curve(amplitude_mm: float, top_mm: float, wavelength_mm: float, phase: float,
           sign: float) -> Mapping:
    """A left-right shift by ``sign * amplitude * sin(2 pi (j - top) / wavelength + phase)``:
    it depends on j only, so that the shift with the other sign is its inverse."""
    def move(points: np.ndarray) -> np.ndarray:
        out = np.array(points, np.float64)
        out[:, 0] += sign * amplitude_mm * np.sin(
            2 * np.pi * (points[:, 1] - top_mm) / wavelength_mm + phase)
        return out

    return move


def _compose(steps: list[Mapping]) -> Mapping:
    def apply(points: np.ndarray) -> np.ndarray:
        for step in steps:
            points = step(points)
        return points

    return apply


def mappings(change: Change, discs_mm: np.ndarray) -> tuple[Mapping, Mapping]:
    """(forward, inverse) maps of ``change``, built around the labelled discs (N, 3) in mm:
    the rotations turn about their centre, the curve starts at the highest one (and spans
    them all when it has no wavelength of its own). Forward: tilt, sagittal, axial, curve."""
    centre = 0.5 * (discs_mm.min(axis=0) + discs_mm.max(axis=0))
    top = float(discs_mm[:, 1].min())
    forward: list[Mapping] = []
    inverse: list[Mapping] = []
    for angle, axes in ((change.tilt_deg, (0, 1)), (change.sagittal_deg, (1, 2)),
                        (change.axial_deg, (0, 2))):
        if angle:
            forward.append(_rotation(angle, axes, centre))
            inverse.insert(0, _rotation(-angle, axes, centre))
    if change.curve_mm:
        wavelength = change.curve_wavelength_mm or float(np.ptp(discs_mm[:, 1])) or 1.0
        forward.append(_curve(change.curve_mm, top, wavelength, change.curve_phase, 1.0))
        inverse.insert(0, _curve(change.curve_mm, top, wavelength, change.curve_phase, -1.0))
    return _compose(forward), _compose(inverse)


def random_change(rng: np.random.Generator) -> Change:
    """A training change: tilt, rotations and (in ``CURVE_PROBABILITY`` of the draws) a
    lateral curve, each uniform in its range."""
    curved = rng.random() < CURVE_PROBABILITY
    return Change(tilt_deg=float(rng.uniform(-TILT_DEG, TILT_DEG)),
                  sagittal_deg=float(rng.uniform(-SAGITTAL_DEG, SAGITTAL_DEG)),
                  axial_deg=float(rng.uniform(-AXIAL_DEG, AXIAL_DEG)),
                  curve_mm=float(rng.uniform(*CURVE_MM)) if curved else 0.0,
                  curve_wavelength_mm=float(rng.uniform(*CURVE_WAVELENGTH_MM)),
                  curve_phase=float(rng.uniform(0.0, 2 * np.pi)))


@dataclass(frozen=True)
class TrainingVolume:
    """A labelled real volume in the canonical orientation: ``data`` (X, J, K) float32,
    ``zooms`` (3,) mm, ``discs`` ``{number: (x, j, k) canonical voxel}``, ``label_range``
    (lowest and highest labelled disc numbers), ``affine`` (4, 4) canonical voxel -> world mm
    (None when unknown)."""

    data: np.ndarray
    zooms: np.ndarray
    discs: dict[int, np.ndarray]
    label_range: tuple[int, int]
    affine: np.ndarray | None = None

    def discs_mm(self) -> tuple[list[int], np.ndarray]:
        """The disc numbers and their positions (N, 3) in mm."""
        numbers = sorted(self.discs)
        return numbers, np.array([self.discs[n] for n in numbers]) * self.zooms


def read_training_volume(image: str | Path, label: str | Path) -> TrainingVolume:
    """A labelled volume as a :class:`TrainingVolume` (raises :class:`InputError`)."""
    image_nii = load_nifti(image)
    canon = to_canonical(read_data(image_nii, image), image_nii.affine)
    discs, _ = disc_voxels(read_data(load_nifti(label), label))
    if not discs:
        raise InputError(f"{label}: no disc label")
    points = {n: to_canonical_points(np.asarray(p, float)[None], canon.canon2src)[0]
              for n, p in discs.items()}
    return TrainingVolume(canon.data, np.asarray(canon.zooms, np.float64), points,
                          (min(points), max(points)), canon.affine)


def training_volumes(datapath: str | Path) -> list[TrainingVolume]:
    """The labelled volumes of the training side of a prepared folder (its ``meta.json``
    names the manifest, its ``splits.json`` the training subjects)."""
    datapath = Path(datapath)
    meta = read_json(datapath / "meta.json", "prepared data (run prepare_trainset.py first)")
    manifest = read_json(Path(meta["manifest"]), "manifest of the prepared data")
    sides = read_json(datapath / "splits.json", "split file").get("subjects", {})
    return [read_training_volume(e["image"], e["label"]) for e in manifest.get("entries", [])
            if sides.get(e["subject"]) == SPLIT_NAMES[0] and e.get("label")]


def resample_plane(data: np.ndarray, zooms: np.ndarray, inverse: Mapping, x_mm: float,
                   j_mm: np.ndarray, k_mm: np.ndarray) -> np.ndarray:
    """The sagittal plane at ``x_mm`` of a changed volume, on the grid ``j_mm`` (H,) x ``k_mm``
    (W,) (mm along the canonical axes): each point mapped back by ``inverse`` into ``data``
    (X, J, K) of voxel size ``zooms`` (3,) and sampled linearly, 0 outside. (H, W)."""
    jj, kk = np.meshgrid(j_mm, k_mm, indexing="ij")
    points = np.stack([np.full(jj.size, x_mm), jj.ravel(), kk.ravel()], axis=1)
    source = (inverse(points) / zooms).T
    return ndimage.map_coordinates(data, source, order=1, cval=0.0).reshape(jj.shape)


def slice_through(volume: TrainingVolume, change: Change, x_mm: float, pixel_mm: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The sagittal slice at left-right position ``x_mm`` of ``volume`` changed by ``change``,
    over the volume's sagittal extent at ``pixel_mm``.

    Returns ``image`` (H, W) float32 in [0, 1] (the slice's 0.5/99.5 percentiles mapped to
    0/1, 0 outside the volume) and ``keypoints`` (NUM_DISCS, 2) ``(row, col)`` of the discs
    whose moved posterior tips lie within ``PRESENT_MM`` of the slice (NaN for the others).
    """
    numbers, discs_mm = volume.discs_mm()
    forward, inverse = mappings(change, discs_mm)
    moved = forward(discs_mm)
    extent = (np.asarray(volume.data.shape[1:]) - 1) * volume.zooms[1:]
    rows, cols = (int(math.floor(e / pixel_mm)) + 1 for e in extent)
    plane = resample_plane(volume.data, volume.zooms, inverse, x_mm,
                           np.arange(rows) * pixel_mm, np.arange(cols) * pixel_mm)
    low, high = normalise_intensity(plane)
    image = np.clip((plane - low) / (high - low), 0.0, 1.0)
    keypoints = np.full((NUM_DISCS, 2), np.nan, np.float32)
    for number, point in zip(numbers, moved, strict=True):
        if abs(point[0] - x_mm) <= PRESENT_MM:
            keypoints[number - 1] = (point[1] / pixel_mm, point[2] / pixel_mm)
    return image.astype(np.float32), keypoints


def oblique_sample(rng: np.random.Generator, volumes: list[TrainingVolume],
                   window: tuple[int, int], pixel_mm: float
                   ) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """A ``window`` (rows, cols) of a sagittal slice (:func:`slice_through`) of a random
    training volume changed at random (:func:`random_change`), up to ``SLICE_OFFSET_MM`` left
    or right of a random disc, cut as training windows are (around a disc in the slice).
    Returns ``(image (H, W), keypoints (NUM_DISCS, 2), the volume's label_range)``."""
    volume = volumes[int(rng.integers(len(volumes)))]
    change = random_change(rng)
    _, discs_mm = volume.discs_mm()
    moved = mappings(change, discs_mm)[0](discs_mm)
    anchor = int(rng.integers(len(moved)))
    x_mm = float(moved[anchor, 0] + rng.uniform(-SLICE_OFFSET_MM, SLICE_OFFSET_MM))
    image, keypoints = slice_through(volume, change, x_mm, pixel_mm)
    image, keypoints = crop_window(image, keypoints, window, rng)
    return image, keypoints, volume.label_range
