"""3-D synthetic volumes: field of view, voxel grid, orientation, labels and rendering.

Internal array order is (X, H, W) = (left-right towards Right, superior-inferior towards
Inferior, anterior-posterior towards Posterior), i.e. nibabel codes ("R", "I", "P"). The
written array is a random axis permutation and flip of it, with the matching affine.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from disclabel.constants import NUM_DISCS
from disclabel.synthetic import imaging
from disclabel.synthetic import tables as T
from disclabel.synthetic.anatomy import Anatomy, sample_anatomy, vertebra_index
from disclabel.synthetic.appearance import (
    blur,
    coil_log_gain,
    rician,
    robust_range,
    sample_intensities,
    sample_texture_amplitudes,
    smooth_log_field,
    texture_2d,
)
from disclabel.synthetic.geometry import Plane
from disclabel.synthetic.layers import Layers
from disclabel.synthetic.shapes import build_layers
from disclabel.synthetic.styles import REAL_CERVICAL_SCALE

F32 = np.float32
ANATOMY_STREAM: int = 0
GEOMETRY_STREAM: int = 1
APPEARANCE_STREAM: int = 2
LABEL_SEARCH_PX: tuple[int, int] = (-4, 2)
"""The posterior-most disc voxel of a label row is searched this many voxels around the
analytic posterior tip (posterior is +)."""
INT16_MAX: int = 32767
MIN_GRID: int = 8


@dataclass(frozen=True)
class SyntheticVolume:
    """One generated volume, in the written array order.

    ``image``: float32 (3-D) scanner-like intensities (integers, as stored in the file);
    ``labels``: uint8, same shape, one voxel per disc valued with its disc number;
    ``affine``: (4, 4) voxel -> world mm (RAS); ``tissues``: uint8 tissue map (same shape,
    values of :class:`~disclabel.synthetic.tables.Tissue`) when requested, else None.
    """

    image: np.ndarray
    labels: np.ndarray
    affine: np.ndarray
    tissues: np.ndarray | None = None


def _rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rotation matrix about unit ``axis`` by ``angle`` rad (Rodrigues)."""
    k = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    return np.eye(3) + np.sin(angle) * k + (1.0 - np.cos(angle)) * (k @ k)


@dataclass(frozen=True)
class VolumeGeometry:
    """Voxel grid of a volume: ``plane`` (SI x AP, anatomy mm), ``n_x`` sagittal slices of
    ``dx`` mm with the mid-sagittal plane (x = 0) on slice ``i_mid``; the written array is
    ``transpose(internal, perm)`` then flipped where ``flips``; ``world`` maps anatomy RAS mm to
    world mm."""

    plane: Plane
    dx: float
    n_x: int
    i_mid: int
    perm: tuple[int, int, int]
    flips: tuple[bool, bool, bool]
    world: np.ndarray

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.n_x,) + self.plane.shape

    def x_mm(self) -> np.ndarray:
        """Left-right position (mm, towards Right) of every sagittal slice: (n_x,)."""
        return (np.arange(self.n_x) - self.i_mid) * self.dx

    def internal_affine(self) -> np.ndarray:
        """Internal voxel (i, j, k) -> world mm."""
        p = self.plane
        a = np.array([[self.dx, 0.0, 0.0, -self.i_mid * self.dx],
                      [0.0, 0.0, -p.dcol, -p.col0],
                      [0.0, -p.drow, 0.0, -p.row0],
                      [0.0, 0.0, 0.0, 1.0]])
        return self.world @ a

    def written_affine(self) -> np.ndarray:
        """Written voxel -> world mm."""
        m = np.zeros((4, 4))
        m[3, 3] = 1.0
        shape = self.shape
        for a, src in enumerate(self.perm):
            if self.flips[a]:
                m[src, a] = -1.0
                m[src, 3] = shape[src] - 1
            else:
                m[src, a] = 1.0
        return self.internal_affine() @ m

    def to_written(self, vol: np.ndarray) -> np.ndarray:
        """Internal (X, H, W) array -> written array order (contiguous copy)."""
        out = np.transpose(vol, self.perm)
        flip_axes = tuple(a for a in range(3) if self.flips[a])
        if flip_axes:
            out = np.flip(out, flip_axes)
        return np.ascontiguousarray(out)


def sample_plane(rng: np.random.Generator, anat: Anatomy, shape: tuple[int, int],
                 pixel_mm: tuple[float, float], bottom_s: float | None = None) -> Plane:
    """Random field of view on the sagittal plane: top in the head or anywhere from C1 to T12,
    the posterior vertebral line at a random fraction of the AP extent. With ``bottom_s``
    (mm along the spine curve), the last row lies at that point of the curve instead."""
    h, w = shape
    dr, dc = pixel_mm
    curve = anat.curve
    if bottom_s is not None:
        row_top = float(curve.point(np.array(bottom_s))[0]) - dr * (h - 1)
    elif rng.random() < imaging.HEAD_TOP_PROBABILITY:
        row_top = rng.uniform(*imaging.HEAD_TOP_A) * np.cos(anat.head_angle)
    else:
        lo, hi = (anat.level_s[vertebra_index(n)] for n in imaging.SPINE_TOP_LEVELS)
        row_top = float(curve.point(np.array(rng.uniform(lo, hi)))[0])
    centre_row = row_top + 0.5 * dr * (h - 1)
    s_grid = curve.s_start + curve.step * np.arange(len(curve.row))
    s_c = np.interp(centre_row, curve.row, s_grid)
    c_pvl = float(curve.point(np.array(s_c))[1])
    col0 = c_pvl - rng.uniform(*imaging.SPINE_AP_FRACTION) * dc * (w - 1)
    return Plane(float(row_top), float(col0), float(dr), float(dc), (int(h), int(w)))


def region_plane(rng: np.random.Generator, anat: Anatomy, region: str) -> Plane:
    """A sagittal field of view framing one region of the spine (``imaging.REGIONS``): lumbar
    (ends ``SACRUM_BOTTOM_MM`` below the centre of S1), thoracolumbar (ends between the centres
    of T12 and L5: neither C2/C3 nor L5/S1 in view) or whole spine (from the head to below
    S1)."""
    if region not in imaging.REGIONS:
        raise ValueError(f"region must be one of {imaging.REGIONS}, got {region!r}")
    pixel = rng.uniform(*imaging.REGION_PIXEL_MM)
    if region == "thoracolumbar":
        bottom_s = rng.uniform(anat.level_centre("T12"), anat.level_centre("L5"))
    else:
        bottom_s = anat.level_centre("S1") + rng.uniform(*imaging.SACRUM_BOTTOM_MM)
    if region == "whole spine":
        top_row = rng.uniform(*imaging.HEAD_TOP_A) * np.cos(anat.head_angle)
        height = float(anat.curve.point(np.array(bottom_s))[0]) - top_row
    else:
        height = rng.uniform(*imaging.REGION_HEIGHT_MM[region])
    shape = (int(round(height / pixel)) + 1,
             int(round(rng.uniform(*imaging.REGION_WIDTH_MM) / pixel)))
    return sample_plane(rng, anat, shape, (pixel, pixel), bottom_s)


def sample_geometry(rng: np.random.Generator, anat: Anatomy, size_scale: float = 1.0,
                    spine_generic: bool | None = None) -> VolumeGeometry:
    """Random voxel size, field of view, orientation and world pose of a volume.

    ``size_scale`` > 1 makes every voxel that much larger for the same field of view (fewer
    voxels: fast tests). ``spine_generic``: force (True) or forbid (False) the Spine Generic
    grid; None draws it with SPINE_GENERIC_PROBABILITY."""
    draw = rng.random() < imaging.SPINE_GENERIC_PROBABILITY
    if draw if spine_generic is None else spine_generic:
        v = rng.uniform(*imaging.SPINE_GENERIC_VOXEL_MM)
        dx = v
        n_x, n_si, n_ap = imaging.SPINE_GENERIC_SHAPE
    else:
        v = rng.uniform(*imaging.VOXEL_INPLANE_MM)
        isotropic = rng.random() < imaging.ISOTROPIC_PROBABILITY
        dx = v if isotropic else rng.uniform(v, imaging.VOXEL_LR_MAX_MM)
        base = imaging.SPINE_GENERIC_SHAPE[1]
        n_si = int(round(base * rng.uniform(*imaging.INPLANE_SIZE_FACTOR)))
        n_ap = int(round(base * rng.uniform(*imaging.INPLANE_SIZE_FACTOR)))
        n_x = int(np.clip(round(rng.uniform(*imaging.SLAB_LR_MM) / dx), MIN_GRID,
                          imaging.MAX_LR_VOXELS))
    n_x = max(MIN_GRID // 2, int(round(n_x / size_scale)))
    n_si = max(MIN_GRID, int(round(n_si / size_scale)))
    n_ap = max(MIN_GRID, int(round(n_ap / size_scale)))
    v *= size_scale
    dx *= size_scale
    plane = sample_plane(rng, anat, (n_si, n_ap), (v, v))
    off = rng.uniform(-imaging.MIDLINE_OFFSET_FRACTION, imaging.MIDLINE_OFFSET_FRACTION)
    i_mid = int(np.clip(round(0.5 * (n_x - 1) + off * n_x), 0, n_x - 1))
    perm = tuple(int(p) for p in rng.permutation(3))
    flips = tuple(bool(f) for f in rng.random(3) < 0.5)
    world = np.eye(4)
    if rng.random() < imaging.OBLIQUE_PROBABILITY:
        axis = rng.normal(size=3)
        axis /= np.linalg.norm(axis)
        angle = np.deg2rad(rng.uniform(-imaging.OBLIQUE_MAX_DEG, imaging.OBLIQUE_MAX_DEG))
        world[:3, :3] = _rotation(axis, angle)
    world[:3, 3] = rng.uniform(-imaging.TRANSLATION_MM, imaging.TRANSLATION_MM, 3)
    return VolumeGeometry(plane, float(dx), int(n_x), i_mid, perm, flips, world)


def label_pixels(anat: Anatomy, plane: Plane, mid_tissue: np.ndarray) -> dict[int, tuple[int, int]]:
    """Label pixel (row, col) of every disc inside ``plane``, keyed by disc number.

    A disc's label is its posterior-most disc pixel on the row through its posterior tip at
    mid-height (``mid_tissue`` is the (H, W) tissue map of the mid-sagittal plane). Discs 1 and 2
    are not discs: their pixel is the one nearest to the analytic point.
    """
    pts = anat.label_points()
    rows, cols = plane.to_pixel(pts[:, 0], pts[:, 1])
    h, w = plane.shape
    out = {}
    disc = np.isin(mid_tissue, T.DISC_TISSUES)
    for n in range(1, NUM_DISCS + 1):
        r = int(round(rows[n - 1]))
        c = int(round(cols[n - 1]))
        if not (0 <= r < h and 0 <= c < w):
            continue
        if n >= 3:
            lo = max(0, c + LABEL_SEARCH_PX[0])
            hi = min(w, c + LABEL_SEARCH_PX[1] + 1)
            hits = np.nonzero(disc[r, lo:hi])[0]
            if len(hits):
                c = lo + int(hits[-1])
        out[n] = (r, c)
    return out


def _render(rng: np.random.Generator, layers: Layers, idx: np.ndarray, voxel_mm: tuple[float, ...],
            contrast: str, mode: str) -> np.ndarray:
    """Scanner-like float32 intensities (integers) of the volume ``idx`` (X, H, W)."""
    lut = sample_intensities(rng, contrast, mode)
    amp = sample_texture_amplitudes(rng)
    tex_sigma = rng.uniform(*imaging.TEXTURE_SIGMA_MM) / voxel_mm[1]
    tex = texture_2d(rng, layers.tissue.shape[1:], tex_sigma)
    vals = lut[layers.tissue] * (F32(1.0) + amp[layers.tissue] * tex)
    img = layers.gather(vals, idx)
    bias_sd = rng.uniform(*imaging.BIAS_LOG_SD_RANGE)
    field = smooth_log_field(rng, img.shape, voxel_mm,
                             (imaging.BIAS_NODE_SPACING_MM, imaging.LATERAL_FIELD_NODE_SPACING_MM),
                             (bias_sd, imaging.LATERAL_FIELD_LOG_SD))
    field += coil_log_gain(rng, img.shape[1:])
    img *= np.exp(field)
    img = blur(img, tuple(rng.uniform(*imaging.BLUR_SIGMA_VOX_RANGE, 3)))
    _, hi = robust_range(img, imaging.INTENSITY_PERCENTILE_SUBSAMPLE)
    img = rician(rng, img, rng.uniform(*imaging.NOISE_SD_RANGE) * max(hi, 1e-6))
    _, hi = robust_range(img, imaging.INTENSITY_PERCENTILE_SUBSAMPLE)
    img *= F32(rng.uniform(*imaging.STORED_MAX_RANGE) / max(hi, 1e-6))
    np.clip(img, 0.0, INT16_MAX, out=img)
    return np.round(img, out=img)


def _stream_rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), *stream])


def generate_subject(seed: int, contrasts: Sequence[str] = ("T1w", "T2w"), mode: str = "preset",
                     *, size_scale: float = 1.0, return_tissues: bool = False,
                     cervical_scale: float = REAL_CERVICAL_SCALE
                     ) -> dict[str, SyntheticVolume]:
    """Generate one synthetic subject: one volume per contrast, sharing anatomy and geometry.

    ``seed`` (>= 0) fixes everything: the anatomy and the voxel grid come from their own random
    streams, and each contrast's appearance from a stream keyed by its name, so a contrast's
    volume does not depend on which other contrasts are asked for. ``mode``: "preset" (T1w/T2w
    presets, by contrast name) or "random" (random intensity for every tissue).
    ``size_scale`` > 1 uses proportionally larger voxels (same field of view; for fast tests).
    ``return_tissues`` fills :attr:`SyntheticVolume.tissues`. ``cervical_scale``: the height of
    the lower cervical levels (:func:`~disclabel.synthetic.anatomy.sample_anatomy`; by default
    as in the real volumes; 1.0: the taller levels of the first generator).

    Returns ``{contrast: SyntheticVolume}`` in the written (randomly oriented) array order.
    """
    if mode not in ("preset", "random"):
        raise ValueError(f"mode must be 'preset' or 'random', got {mode!r}")
    anat = sample_anatomy(_stream_rng(seed, ANATOMY_STREAM), cervical_scale)
    geom = sample_geometry(_stream_rng(seed, GEOMETRY_STREAM), anat, size_scale)
    return render_volumes(seed, anat, geom, contrasts, mode, return_tissues)


def generate_region(seed: int, region: str, contrasts: Sequence[str] = ("T1w", "T2w"),
                    mode: str = "preset") -> dict[str, SyntheticVolume]:
    """Like :func:`generate_subject`, with the field of view framing one region of the spine
    (:func:`region_plane`): ``{contrast: SyntheticVolume}``. The voxel grid's slices,
    orientation and pose are drawn as in :func:`generate_subject`."""
    if mode not in ("preset", "random"):
        raise ValueError(f"mode must be 'preset' or 'random', got {mode!r}")
    anat = sample_anatomy(_stream_rng(seed, ANATOMY_STREAM), REAL_CERVICAL_SCALE)
    rng = _stream_rng(seed, GEOMETRY_STREAM)
    geom = sample_geometry(rng, anat)
    geom = replace(geom, plane=region_plane(rng, anat, region))
    return render_volumes(seed, anat, geom, contrasts, mode)


def render_volumes(seed: int, anat: Anatomy, geom: VolumeGeometry, contrasts: Sequence[str],
                   mode: str = "preset", return_tissues: bool = False
                   ) -> dict[str, SyntheticVolume]:
    """Volumes of the given anatomy on the given grid (the second half of generate_subject)."""
    layers = build_layers(anat, geom.plane)
    idx = layers.index(np.abs(geom.x_mm()))
    labels = np.zeros(geom.shape, np.uint8)
    for n, (r, c) in label_pixels(anat, geom.plane, layers.tissue[0]).items():
        labels[geom.i_mid, r, c] = n
    labels_w = geom.to_written(labels)
    tissues_w = geom.to_written(layers.gather(layers.tissue, idx)) if return_tissues else None
    affine = geom.written_affine()
    voxel_mm = (geom.dx, geom.plane.drow, geom.plane.dcol)
    out = {}
    for contrast in contrasts:
        rng = _stream_rng(seed, APPEARANCE_STREAM, zlib.crc32(contrast.encode()))
        img = _render(rng, layers, idx, voxel_mm, contrast, mode)
        out[contrast] = SyntheticVolume(geom.to_written(img), labels_w.copy(), affine.copy(),
                                        None if tissues_w is None else tissues_w.copy())
    return out
