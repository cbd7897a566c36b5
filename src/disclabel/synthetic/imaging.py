"""Tunable numbers of the synthetic images' appearance and acquisition: tissue intensities,
texture, bias fields, noise, blur, and the fields of view and voxel grids of the volumes.

Like :mod:`disclabel.synthetic.tables` (the anatomy), these are named tables; nothing here is
computed. Lengths are in mm; a ``(lo, hi)`` pair is a uniform range sampled per volume.
"""

from __future__ import annotations

from disclabel.synthetic.tables import Tissue

# --------------------------------------------------------------------------------------------
# Appearance
# --------------------------------------------------------------------------------------------
_T = Tissue
INTENSITY_PRESETS: dict[str, dict[int, float]] = {
    # T1w-like (MPRAGE / T1 TSE): fat bright, CSF dark, cord brighter than CSF, discs intermediate.
    "T1w": {
        _T.AIR: 0.0, _T.FAT: 1.0, _T.MUSCLE: 0.36, _T.SKIN: 0.5, _T.CORTEX: 0.05,
        _T.MARROW: 0.62, _T.ANNULUS: 0.30, _T.NUCLEUS: 0.42, _T.CSF: 0.10, _T.CORD: 0.52,
        _T.LIGAMENT: 0.10, _T.NERVE: 0.42, _T.BRAINSTEM: 0.56, _T.CEREBELLUM: 0.48,
        _T.CEREBRUM: 0.50, _T.VESSEL: 0.10, _T.VISCERA: 0.46, _T.VISCERA_2: 0.34,
        _T.LUNG: 0.04, _T.GLAND: 0.48,
    },
    # T2w-like (TSE / SPACE): CSF bright, cord darker than CSF, healthy nucleus bright.
    "T2w": {
        _T.AIR: 0.0, _T.FAT: 0.68, _T.MUSCLE: 0.16, _T.SKIN: 0.35, _T.CORTEX: 0.03,
        _T.MARROW: 0.36, _T.ANNULUS: 0.13, _T.NUCLEUS: 0.80, _T.CSF: 1.0, _T.CORD: 0.33,
        _T.LIGAMENT: 0.05, _T.NERVE: 0.28, _T.BRAINSTEM: 0.34, _T.CEREBELLUM: 0.44,
        _T.CEREBRUM: 0.42, _T.VESSEL: 0.06, _T.VISCERA: 0.30, _T.VISCERA_2: 0.55,
        _T.LUNG: 0.04, _T.GLAND: 0.55,
    },
}
PRESET_JITTER_SD: float = 0.12
"""Per-volume log-normal jitter (standard deviation of the log) of every preset intensity."""
RANDOM_INTENSITY_RANGE: tuple[float, float] = (0.0, 1.0)
"""Random-contrast mode: every tissue intensity uniform in this range."""
NUCLEUS_GRADE_SHIFT: float = 0.9
"""The worst nucleus grade moves this fraction of the way from healthy nucleus to annulus."""
TEXTURE_AMPLITUDE: dict[int, float] = {
    _T.FAT: 0.06, _T.MUSCLE: 0.12, _T.SKIN: 0.05, _T.MARROW: 0.16, _T.ANNULUS: 0.06,
    _T.NUCLEUS: 0.05, _T.CSF: 0.02, _T.CORD: 0.03, _T.NERVE: 0.08, _T.BRAINSTEM: 0.04,
    _T.CEREBELLUM: 0.12, _T.CEREBRUM: 0.10, _T.VISCERA: 0.12, _T.VISCERA_2: 0.18,
    _T.GLAND: 0.10,
}
"""Relative amplitude of the fine multiplicative texture per tissue (0 where absent)."""
TEXTURE_SCALE_RANGE: tuple[float, float] = (0.5, 1.6)
"""Per-volume multiplier of every texture amplitude."""
TEXTURE_SIGMA_MM: tuple[float, float] = (0.8, 2.0)
"""Correlation length (Gaussian sigma) of the fine texture."""
BIAS_LOG_SD_RANGE: tuple[float, float] = (0.05, 0.35)
"""Standard deviation of the log of the smooth multiplicative bias field."""
BIAS_NODE_SPACING_MM: float = 90.0
"""Spacing of the random nodes from which the bias field is interpolated."""
COIL_FALLOFF_RANGE: tuple[float, float] = (0.0, 2.0)
"""Receive-coil falloff: the log-gain drops by up to this much from the posterior to the anterior
edge of the field of view (spine coils lie behind the patient)."""
COIL_SI_FALLOFF_RANGE: tuple[float, float] = (0.0, 1.0)
"""Log-gain drop at the top and bottom edges of the field of view (quadratic in between)."""
LATERAL_FIELD_NODE_SPACING_MM: float = 8.0
LATERAL_FIELD_LOG_SD: float = 0.05
"""A 3-D field of this log amplitude varies the texture along left-right (3-D volumes only)."""
NOISE_SD_RANGE: tuple[float, float] = (0.004, 0.05)
"""Rician noise standard deviation relative to the 99th-percentile signal."""
BLUR_SIGMA_VOX_RANGE: tuple[float, float] = (0.3, 0.7)
"""Partial-volume blur (Gaussian sigma, in voxels of each axis)."""
STORED_MAX_RANGE: tuple[float, float] = (800.0, 4000.0)
"""The 99.5th percentile of a written volume is scaled to this (int16 scanner-like values)."""
INTENSITY_PERCENTILE_SUBSAMPLE: int = 7
"""Percentiles of a 3-D volume are taken on every n-th voxel (speed)."""

# --------------------------------------------------------------------------------------------
# Field of view and voxel grid
# --------------------------------------------------------------------------------------------
SPINE_GENERIC_PROBABILITY: float = 0.5
"""Share of volumes drawn near the Spine Generic protocol (0.8-1 mm, 64 x 320 x 320)."""
SPINE_GENERIC_VOXEL_MM: tuple[float, float] = (0.8, 1.0)
VOXEL_INPLANE_MM: tuple[float, float] = (0.5, 1.5)
VOXEL_LR_MAX_MM: float = 3.0
ISOTROPIC_PROBABILITY: float = 0.5
SLAB_LR_MM: tuple[float, float] = (30.0, 64.0)
MAX_LR_VOXELS: int = 96
SPINE_GENERIC_SHAPE: tuple[int, int, int] = (64, 320, 320)
"""(left-right, superior-inferior, anterior-posterior) voxels of a Spine Generic volume."""
INPLANE_SIZE_FACTOR: tuple[float, float] = (0.75, 1.2)
FOV_2D_HEIGHT_MM: tuple[float, float] = (150.0, 550.0)
"""Superior-inferior field of view of a 2-D training sample (fitted into the grid)."""
FOV_2D_WIDTH_MM: tuple[float, float] = (150.0, 420.0)
"""Anterior-posterior field of view of a 2-D training sample (fitted into the grid)."""
"""Non-Spine-Generic volumes have this factor times 320 voxels along SI and along AP."""
MIDLINE_OFFSET_FRACTION: float = 0.15
"""The mid-sagittal slice lies within this fraction of the slab from its centre."""
HEAD_TOP_PROBABILITY: float = 0.5
"""Share of fields of view whose top lies in the head (brainstem and cerebellum in view)."""
HEAD_TOP_A: tuple[float, float] = (-110.0, -15.0)
SPINE_TOP_LEVELS: tuple[str, str] = ("C1", "T12")
"""Otherwise the top of the field of view lies between these vertebrae."""
SACRUM_BOTTOM_MM: tuple[float, float] = (30.0, 130.0)
"""A lumbosacral field of view (a 2-D style's ``sacrum_share``) ends this far below the centre
of S1 along the spine: L5/S1 and some or all of the sacrum in view."""
REGIONS: tuple[str, ...] = ("lumbar", "thoracolumbar", "whole spine")
"""Fields of view of :func:`~disclabel.synthetic.volume.generate_region`: a lumbar one (L5/S1
and some of the sacrum in view, its top in the lower thorax), a thoracolumbar one (neither C2
nor the sacrum in view: it ends between T12 and L5) and a whole-spine one (from the head to
below S1)."""
REGION_HEIGHT_MM: dict[str, tuple[float, float]] = {"lumbar": (220.0, 360.0),
                                                    "thoracolumbar": (250.0, 400.0)}
"""Superior-inferior extent of the lumbar and thoracolumbar fields of view."""
REGION_WIDTH_MM: tuple[float, float] = (220.0, 340.0)
"""Anterior-posterior extent of every region's field of view."""
REGION_PIXEL_MM: tuple[float, float] = (0.7, 1.2)
"""In-plane pixel size of the region fields of view (lumbar and whole-spine protocols)."""
SACRUM_WINDOW_PAST_MM: tuple[float, float] = (0.0, 30.0)
"""Its training window ends this far below the field of view (black rows there)."""
SPINE_AP_FRACTION: tuple[float, float] = (0.4, 0.7)
"""The posterior vertebral line lies at this fraction of the AP extent from the anterior edge."""
OBLIQUE_PROBABILITY: float = 0.25
OBLIQUE_MAX_DEG: float = 8.0
TRANSLATION_MM: float = 120.0
"""Random world translation (uniform +-, per axis) of the written affine."""
LABEL_INSET_MM: float = 0.5
"""2-D keypoints sit this far inside the posterior disc margin (where the last disc voxel is)."""
