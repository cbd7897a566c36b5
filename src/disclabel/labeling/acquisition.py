"""What a volume's acquisition lets the network see, checked before any labelling.

The network reads sagittal slices at 1 mm pixels (``PIXEL_MM``), so what matters is the spacing
of the volume along the spine (superior-inferior) and front to back (anterior-posterior): a
disc is 5-10 mm tall, and with ``MAX_IN_PLANE_MM`` or more between samples along either axis
the sagittal plane is too coarse to show it. Such a volume (an axial stack with 5-8 mm between
its slices, a coronal scan with thick slices) is **refused** with a one-line error: labelling
it would give numbers that mean nothing. A volume that can be read but differs from what the
network was trained on is labelled **with a warning**: an in-plane spacing coarser than
``WARN_IN_PLANE_MM`` (then also when its slices are not sagittal, the coarsest axis not
left-right), left-right slices thicker than ``WARN_SLICE_MM``, or a left-right coverage under
``MIN_COVERAGE_MM`` (a spine off that slab is missed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from disclabel.data.geometry import CanonicalVolume
from disclabel.data.io import InputError

MAX_IN_PLANE_MM: float = 3.0
"""A volume whose spacing along the spine or front to back is this or more is refused."""
WARN_IN_PLANE_MM: float = 2.0
"""An in-plane spacing above this (coarser than any training volume's) is warned."""
WARN_SLICE_MM: float = 5.0
"""Sagittal slices thicker than this are warned (clinical protocols use 3-4 mm)."""
MIN_COVERAGE_MM: float = 20.0
"""A left-right coverage under this is warned."""
AXES: tuple[str, str, str] = ("left-right", "superior-inferior", "anterior-posterior")
PLANES: dict[int, str] = {0: "sagittal", 1: "axial", 2: "coronal"}
"""The plane of a volume's slices, by its coarsest axis (canonical order)."""


class RefusedVolume(InputError):
    """A volume whose acquisition the network cannot read (:func:`check_acquisition`)."""


@dataclass(frozen=True)
class Acquisition:
    """The geometry of a volume as the network sees it: ``spacing_mm`` (3,) along left-right,
    superior-inferior and anterior-posterior; ``coverage_mm`` (3,) the extents; ``plane`` of
    its slices (by the coarsest axis; "sagittal" when the spacing is even); ``refusal`` (why it
    cannot be labelled, or None) and ``warnings``."""

    spacing_mm: tuple[float, float, float]
    coverage_mm: tuple[float, float, float]
    plane: str
    refusal: str | None = None
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """JSON-ready."""
        return {"plane": self.plane, "spacing_mm": [round(v, 3) for v in self.spacing_mm],
                "coverage_mm": [round(v, 1) for v in self.coverage_mm]}


def check_acquisition(volume: CanonicalVolume) -> Acquisition:
    """The acquisition of a canonical volume, with the refusal or the warnings it calls for."""
    spacing = tuple(float(z) for z in volume.zooms)
    coverage = tuple(float(n * z) for n, z in zip(volume.data.shape, spacing, strict=True))
    coarsest = int(np.argmax(spacing))
    plane = PLANES[coarsest] if spacing[coarsest] > 1.2 * min(spacing) else "sagittal"
    in_plane = {AXES[a]: spacing[a] for a in (1, 2)}
    too_coarse = {axis: s for axis, s in in_plane.items() if s >= MAX_IN_PLANE_MM}
    if too_coarse:
        axis, value = max(too_coarse.items(), key=lambda item: item[1])
        refusal = (f"{plane} acquisition with {value:g} mm between samples {axis}: the "
                   f"sagittal plane the network reads needs under {MAX_IN_PLANE_MM:g} mm along "
                   "the spine and front to back (a sagittal series of this subject would do)")
        return Acquisition(spacing, coverage, plane, refusal)
    warnings = []
    if plane != "sagittal" and spacing[coarsest] > WARN_IN_PLANE_MM:
        warnings.append(f"{plane} acquisition (its coarsest axis, {spacing[coarsest]:g} mm, is "
                        f"{AXES[coarsest]}): the network was trained on sagittal slices")
    coarse = {axis: s for axis, s in in_plane.items() if s > WARN_IN_PLANE_MM}
    if coarse:
        text = ", ".join(f"{s:g} mm {axis}" for axis, s in coarse.items())
        warnings.append(f"in-plane spacing {text} is coarser than the training data's "
                        f"1-{WARN_IN_PLANE_MM:g} mm: discs may be missed or placed less "
                        "precisely")
    if spacing[0] > WARN_SLICE_MM:
        warnings.append(f"sagittal slices {spacing[0]:g} mm thick: a disc between two slices "
                        "is seen only partly")
    if coverage[0] < MIN_COVERAGE_MM:
        warnings.append(f"covers only {coverage[0]:g} mm left-right: discs off that slab "
                        "(a tilted or scoliotic spine) are missed")
    return Acquisition(spacing, coverage, plane, None, warnings)
