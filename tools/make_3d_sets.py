#!/usr/bin/env python
"""Real volumes changed in 3-D, with their disc labels moved the same way: the spine tilted in
the coronal plane, bent into an S-shaped lateral curve, rotated in the sagittal plane, imaged
with clinical geometry (3.5 mm slices left-right, 0.8 mm in plane), and all of these at once.

    python tools/make_3d_sets.py --out runs/3d_sets        # the four full real volumes

writes ``OUT/<subject>/<subject>_<change>.nii.gz``, ``..._labels.nii.gz`` (each disc at the
voxel nearest its moved position) and ``..._reference.json`` (``{disc: world mm}``, exact)
for every change. The accuracy report scores its models on these volumes
(:func:`changed_volumes`).

Geometry: the volume is reoriented to the canonical orientation (RIP) and each change is a map
of positions in mm along its axes (x left-right, j superior-inferior, k anterior-posterior).
Every output voxel is sampled from the input at the inverse-mapped position (linear
interpolation, 0 outside the input), on a canonical grid that holds the whole changed volume;
the world frame is the input's, so that world coordinates of the changed volume and its labels
are comparable with the input's. A thick slice is the mean of the input over the slice
thickness (a box profile), sampled at a quarter of it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import nibabel as nib
import numpy as np
from shared_data import LOSO_SUBJECTS, REAL_VOLUMES, SHARED

from disclabel.data.oblique import (
    Change,
    Mapping,
    mappings,
    read_training_volume,
    resample_plane,
)
from disclabel.evaluation.scoring import reference_discs

CLINICAL_SPACING_MM: tuple[float, float, float] = (3.5, 0.8, 0.8)
"""Clinical sagittal geometry: 3.5 mm slices left-right, 0.8 mm pixels in plane."""
CURVE_AMPLITUDE_MM: float = 10.0
"""The S-shaped lateral curve moves the spine up to this far left and right (one S over the
labelled discs)."""
THICK_SUBSAMPLES: int = 4
"""A thick slice is the mean of this many thin ones across its thickness."""

CHANGES: dict[str, tuple[Change, tuple[float, float, float] | None]] = {
    "tilted 5 degrees": (Change(tilt_deg=5.0), None),
    "tilted 10 degrees": (Change(tilt_deg=10.0), None),
    "tilted 20 degrees": (Change(tilt_deg=20.0), None),
    "S-curve 10 mm": (Change(curve_mm=CURVE_AMPLITUDE_MM), None),
    "clinical slices": (Change(), CLINICAL_SPACING_MM),
    "rotated 10 degrees sagittal": (Change(sagittal_deg=10.0), None),
    "combined": (Change(tilt_deg=10.0, curve_mm=CURVE_AMPLITUDE_MM), CLINICAL_SPACING_MM),
}
"""The changes of the accuracy report's 3-D robustness columns, each with its output voxel
size (None: the input's); "combined": tilted 10 degrees, the S-curve and clinical slices
together."""


def changed_grid(shape: Sequence[int], zooms: np.ndarray, forward: Mapping, curve_mm: float,
                 spacing: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int]]:
    """(origin mm (3,), shape) of the output grid that holds the changed input box."""
    corners = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)], float)
    box = forward((corners * (np.asarray(shape) - 1)) * zooms)
    low, high = box.min(axis=0), box.max(axis=0)
    low[0] -= curve_mm
    high[0] += curve_mm
    size = tuple(int(math.floor((h - lo) / s + 1e-6)) + 1
                 for lo, h, s in zip(low, high, spacing, strict=True))
    return low, size


def change_volume(data: np.ndarray, zooms: np.ndarray, discs_mm: np.ndarray, change: Change,
                  spacing_mm: tuple[float, float, float] | None = None
                  ) -> tuple[np.ndarray, np.ndarray, Mapping]:
    """The changed volume of a canonical ``data`` (voxel size ``zooms``) on a grid of
    ``spacing_mm`` (None: ``zooms``): ``(image, M, forward)`` where ``M`` (4, 4) maps output
    voxels to input canonical voxels and ``forward`` moves input positions in mm to changed
    ones."""
    forward, inverse = mappings(change, discs_mm)
    spacing = np.asarray(spacing_mm or zooms, np.float64)
    origin, shape = changed_grid(data.shape, zooms, forward, change.curve_mm, spacing)
    thin = THICK_SUBSAMPLES if spacing[0] > zooms[0] * 1.5 else 1
    offsets = (np.arange(thin) - (thin - 1) / 2) * spacing[0] / thin
    xs = (origin[0] + np.arange(shape[0])[:, None] * spacing[0] + offsets[None]).reshape(-1)
    js = origin[1] + np.arange(shape[1]) * spacing[1]
    ks = origin[2] + np.arange(shape[2]) * spacing[2]
    out = np.zeros((len(xs), shape[1], shape[2]), np.float32)
    for i, x in enumerate(xs):  # one output slice at a time keeps memory small
        out[i] = resample_plane(data, zooms, inverse, x, js, ks)
    image = out.reshape(shape[0], thin, shape[1], shape[2]).mean(axis=1)
    to_input = np.eye(4)
    to_input[:3, :3] = np.diag(spacing / zooms)
    to_input[:3, 3] = origin / zooms
    return image, to_input, forward


def changed_volumes(image: Path, label: Path, folder: Path, stem: str,
                    changes: Sequence[str] = tuple(CHANGES)) -> list[tuple[str, Path, dict]]:
    """Write the changed versions of one labelled volume: ``(change, image path, {disc: world
    mm})`` triples (the references exact, not rounded to voxels). Files already written are
    reused."""
    volume = read_training_volume(image, label)
    numbers, discs_mm = volume.discs_mm()
    zooms = volume.zooms
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name in changes:
        slug = name.replace(" ", "-")
        path = folder / f"{stem}_{slug}.nii.gz"
        ref_path = folder / f"{stem}_{slug}_reference.json"
        if not (path.exists() and ref_path.exists()):
            data, to_input, forward = change_volume(volume.data, zooms, discs_mm, *CHANGES[name])
            affine = volume.affine @ to_input
            moved = forward(discs_mm) / zooms  # input canonical voxels, changed positions
            world = (volume.affine @ np.c_[moved, np.ones(len(moved))].T).T[:, :3]
            reference = {int(n): [round(float(v), 4) for v in w]
                         for n, w in zip(numbers, world, strict=True)}
            labels = np.zeros(data.shape, np.uint8)
            out_vox = (np.linalg.inv(to_input) @ np.c_[moved, np.ones(len(moved))].T).T[:, :3]
            for n, v in zip(numbers, np.rint(out_vox).astype(int), strict=True):
                if all(0 <= c < s for c, s in zip(v, data.shape, strict=True)):
                    labels[tuple(v)] = n
            nib.save(nib.Nifti1Image(data.astype(np.float32), affine), str(path))
            nib.save(nib.Nifti1Image(labels, affine),
                     str(folder / f"{stem}_{slug}_labels.nii.gz"))
            ref_path.write_text(json.dumps(reference, indent=1) + "\n")
        reference = {int(k): v for k, v in json.loads(ref_path.read_text()).items()}
        out.append((name, path, reference))
    return out


def full_volume_sets(out: Path, subjects: Sequence[str] = LOSO_SUBJECTS,
                     changes: Sequence[str] = tuple(CHANGES)) -> list[tuple[str, str, Path, dict]]:
    """The four full real volumes unchanged and with every change, for scoring: ``(subject,
    change or "unchanged", image, {disc: world mm})``, the changed ones written under
    ``out/<subject>`` (:func:`changed_volumes`)."""
    items = []
    for volume in REAL_VOLUMES:
        if volume.subject in subjects and not volume.session:
            image, label = SHARED / volume.image, SHARED / volume.label
            items.append((volume.subject, "unchanged", image, reference_discs(label)))
            items += [(volume.subject, name, path, reference) for name, path, reference
                      in changed_volumes(image, label, out / volume.subject, volume.subject,
                                         changes)]
    return items


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/3d_sets"))
    parser.add_argument("--changes", nargs="+", choices=sorted(CHANGES), default=list(CHANGES))
    parser.add_argument("--subjects", nargs="+", choices=LOSO_SUBJECTS,
                        default=list(LOSO_SUBJECTS))
    args = parser.parse_args(argv)
    for subject, name, path, reference in full_volume_sets(args.out, args.subjects,
                                                           args.changes):
        if name != "unchanged":
            shape = nib.load(str(path)).shape
            print(f"{subject} {name}: {path} {shape}, discs {min(reference)}-{max(reference)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
