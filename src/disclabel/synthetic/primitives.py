"""Building blocks of the implicit shapes: priorities, half-width profiles, and the context
(coordinate fields of one sagittal grid) that every shape function reads.

Every shape function adds structures (see :mod:`.layers`) to a :class:`LayerBuilder`: a 2-D
region on the sagittal plane, a tissue, and a left-right half-width map, so that the 3-D shape
is ``{|x| < w}``. Spine structures are written in curvilinear coordinates (s, d, s'; see
:mod:`.geometry`), head structures in a rigid head frame (a: downwards along the brainstem,
b: posterior; origin at the dens tip). Everything is vectorised over the pixels of a bounding
box; there are no per-pixel Python loops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from disclabel.synthetic import tables as T
from disclabel.synthetic.anatomy import Anatomy
from disclabel.synthetic.geometry import Plane, rigid_frame

Tissue = T.Tissue
D = T.DETAIL
F32 = np.float32

PRIORITY: dict[str, float] = {
    # higher wins where structures overlap; inner structures rank above the ones that hold them
    "dens_marrow": 97, "dens": 96, "nucleus": 95, "disc": 94, "body_marrow": 93, "body": 92,
    "c1_marrow": 91, "c1_arch": 90, "cord": 88, "cauda": 87, "sac": 86, "ligament": 85,
    "epidural": 84, "lamina_marrow": 81, "lamina": 80, "interspinous": 79, "pedicle_marrow": 77,
    "pedicle": 76, "articular": 73, "c1_lateral_mass": 73, "brainstem": 71, "ventricle4": 70,
    "cerebellum": 69, "callosum": 68, "ventricle": 69, "cerebrum": 66, "sinus": 64, "clivus": 63,
    "cavity": 61, "skull": 60, "palate": 58, "septum": 57, "nasopharynx": 56, "nasal": 55,
    "tongue": 53, "mandible": 54, "face": 20, "aorta": 49, "airway": 47, "airway_wall": 46,
    "heart": 45, "liver": 44, "blob": 43, "mediastinum": 42, "lung": 41, "abdomen": 30,
    "neck_blob": 43, "fascia": 13, "muscle": 12, "fat": 11, "skin": 10,
}

BODY_BOX_DEPTH_MM: float = 60.0
"""The vertebral column is evaluated for -BODY_BOX_DEPTH_MM < d < BODY_BOX_POSTERIOR_MM."""
BODY_BOX_POSTERIOR_MM: float = 6.0
CORTEX_FRACTION_MIN: float = 0.25
"""Marrow keeps at least this fraction of a shape's half-size when the cortex is subtracted."""


# ------------------------------------------------------------------------------------------
# small vectorised helpers
# ------------------------------------------------------------------------------------------
def pow8(x: np.ndarray) -> np.ndarray:
    x2 = x * x
    x4 = x2 * x2
    return x4 * x4


def axial_width(rho: np.ndarray, width: np.ndarray | float, power: float = T.BODY_AXIAL_POWER
           ) -> np.ndarray:
    """Half-width of a super-elliptic cross-section at normalised AP distance ``rho``."""
    r = np.minimum(np.abs(rho), F32(1.0))
    return (width * np.cbrt(1.0 - r * r * r)).astype(F32) if power == 3.0 else (
        width * (1.0 - r ** power) ** (1.0 / power)).astype(F32)


def ellipsoid_width(r2: np.ndarray, width: float | np.ndarray) -> np.ndarray:
    """Half-width of an ellipsoid at normalised squared sagittal radius ``r2`` (0 outside)."""
    return (width * np.sqrt(np.maximum(F32(1.0) - r2, F32(0.0)))).astype(F32)


@dataclass
class ShapeContext:
    anat: Anatomy
    plane: Plane
    s: np.ndarray
    d: np.ndarray
    sp: np.ndarray
    ds: np.ndarray
    dd: np.ndarray

    def __post_init__(self) -> None:
        # soft tissue and head shapes use coordinates displaced by the anatomy's smooth wobble
        self.sw = self.s + self.ds
        self.dw = self.d + self.dd

    def box_sd(self, s0: float, s1: float, d0: float, d1: float) -> tuple[slice, slice] | None:
        """Pixel box covering the curvilinear rectangle [s0, s1] x [d0, d1]."""
        ss = np.linspace(s0, s1, max(2, int((s1 - s0) / D["box_step"]) + 2))
        rr, cc = [], []
        for dd in (d0, d1):
            r, c = self.anat.curve.to_plane(ss, np.full_like(ss, dd))
            rr.append(r)
            cc.append(c)
        return self.plane.box(np.concatenate(rr), np.concatenate(cc))

    def head_box(self, a0: float, a1: float, b0: float, b1: float) -> tuple[slice, slice] | None:
        ang = self.anat.head_angle
        a = np.array([a0, a0, a1, a1])
        b = np.array([b0, b1, b0, b1])
        return self.plane.box(a * np.cos(ang) - b * np.sin(ang), a * np.sin(ang) + b * np.cos(ang))

    def head_frame(self, sl: tuple[slice, slice]) -> tuple[np.ndarray, np.ndarray]:
        """Head-frame coordinates (a, b) of the box ``sl``, displaced by the wobble."""
        a, b = rigid_frame(self.plane, sl, (0.0, 0.0), self.anat.head_angle)
        return a + self.ds[sl], b + self.dd[sl]

    def level(self, s: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Per-vertebra ``values`` interpolated at ``s`` (float32)."""
        return np.interp(s, self.anat.level_s, values).astype(F32)
