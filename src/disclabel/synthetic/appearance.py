"""MR appearance of a tissue map: intensities, texture, bias field, partial-volume blur, noise.

Works on 2-D images (H, W) and on 3-D volumes in the generator's internal order (X, H, W) =
(left-right, superior-inferior, anterior-posterior). Every random draw comes from the generator
passed in; nothing is global.
"""

from __future__ import annotations

import cv2
import numpy as np

from disclabel.constants import INTENSITY_PERCENTILES
from disclabel.synthetic import imaging
from disclabel.synthetic import tables as T
from disclabel.synthetic.geometry import interp_matrix

F32 = np.float32
MODES: tuple[str, ...] = ("preset", "random")
MIN_NODES: int = 2
MIN_SIGMA_PX: float = 0.3


def sample_intensities(rng: np.random.Generator, contrast: str, mode: str,
                       jitter_sd: float = imaging.PRESET_JITTER_SD) -> np.ndarray:
    """One intensity per tissue: float32 (NUM_TISSUES,).

    ``mode="preset"``: the T1w-like or T2w-like table (chosen by ``contrast``) with per-tissue
    log-normal jitter of standard deviation ``jitter_sd``. ``mode="random"``: every tissue
    uniform in RANDOM_INTENSITY_RANGE (the contrast name is then only a file name).
    Degenerated nucleus grades are interpolated between the healthy nucleus and the annulus
    in both modes.
    """
    if mode == "preset":
        if contrast not in imaging.INTENSITY_PRESETS:
            raise ValueError(f"no intensity preset for contrast {contrast!r}; "
                             f"known: {sorted(imaging.INTENSITY_PRESETS)} (or use mode='random')")
        table = imaging.INTENSITY_PRESETS[contrast]
        lut = np.array([table.get(t, 0.0) for t in range(T.NUM_TISSUES)], np.float64)
        lut *= np.exp(rng.normal(0.0, jitter_sd, T.NUM_TISSUES))
    elif mode == "random":
        lut = rng.uniform(*imaging.RANDOM_INTENSITY_RANGE, T.NUM_TISSUES)
    else:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    nuc, ann = lut[T.Tissue.NUCLEUS], lut[T.Tissue.ANNULUS]
    for g in range(1, T.NUCLEUS_GRADES):
        frac = imaging.NUCLEUS_GRADE_SHIFT * g / (T.NUCLEUS_GRADES - 1)
        lut[T.Tissue.NUCLEUS + g] = nuc + (ann - nuc) * frac
    return lut.astype(F32)


def sample_texture_amplitudes(rng: np.random.Generator) -> np.ndarray:
    """Per-tissue relative texture amplitude: float32 (NUM_TISSUES,)."""
    amp = np.zeros(T.NUM_TISSUES, np.float64)
    for t, a in imaging.TEXTURE_AMPLITUDE.items():
        amp[t] = a
    for g in range(1, T.NUCLEUS_GRADES):
        amp[T.Tissue.NUCLEUS + g] = amp[T.Tissue.NUCLEUS]
    return (amp * rng.uniform(*imaging.TEXTURE_SCALE_RANGE)).astype(F32)


def texture_2d(rng: np.random.Generator, shape: tuple[int, int], sigma_px: float) -> np.ndarray:
    """Zero-mean, unit-variance smooth random field: float32 (H, W)."""
    noise = rng.standard_normal(shape, dtype=F32)
    sigma = max(sigma_px, MIN_SIGMA_PX)
    tex = cv2.GaussianBlur(noise, (0, 0), sigmaX=sigma, sigmaY=sigma)
    sd = float(tex.std())
    return tex / F32(sd if sd > 0 else 1.0)


def _nodes(n: int, spacing_px: float) -> np.ndarray:
    return np.linspace(0.0, n - 1.0, max(MIN_NODES, int(np.ceil((n - 1) / spacing_px)) + 1))


def smooth_log_field(rng: np.random.Generator, shape: tuple[int, ...], voxel_mm: tuple[float, ...],
                     node_mm: tuple[float, ...], log_sd: tuple[float, ...]) -> np.ndarray:
    """Sum of smooth random fields (one per entry of ``node_mm``/``log_sd``): float32 ``shape``.

    Each field is Gaussian noise of standard deviation ``log_sd[k]`` on nodes spaced about
    ``node_mm[k]`` apart, interpolated (separably, linearly) to every voxel. Take its exp for a
    multiplicative bias. ``shape`` and ``voxel_mm`` have 2 or 3 entries.
    """
    finest = min(node_mm)
    nodes = [_nodes(n, finest / v) for n, v in zip(shape, voxel_mm, strict=True)]
    total = np.zeros(tuple(len(f) for f in nodes))
    for spacing, sd in zip(node_mm, log_sd, strict=True):
        coarse = [_nodes(n, spacing / v) for n, v in zip(shape, voxel_mm, strict=True)]
        field = rng.normal(0.0, sd, tuple(len(c) for c in coarse))
        # interpolate the coarse nodes onto the finest node grid (cheap), then sum
        total += _separable(field, [_node_matrix(f, c) for f, c in zip(nodes, coarse, strict=True)])
    mats = [interp_matrix(n, f).astype(F32) for n, f in zip(shape, nodes, strict=True)]
    return _separable(total.astype(F32), mats)


def _separable(field: np.ndarray, mats: list[np.ndarray]) -> np.ndarray:
    """Apply ``mats[k]`` (n_k, m_k) along axis k of ``field`` (m_0, ..., m_D-1), last axis first
    so that the first (largest) expansion produces the output directly."""
    out = field
    for ax in reversed(range(field.ndim)):
        out = np.moveaxis(np.tensordot(mats[ax], out, axes=([1], [ax])), 0, ax)
    return np.ascontiguousarray(out)


def _node_matrix(fine: np.ndarray, coarse: np.ndarray) -> np.ndarray:
    """Linear interpolation matrix from positions ``coarse`` to positions ``fine``."""
    j = np.clip(np.searchsorted(coarse, fine, side="right") - 1, 0, len(coarse) - 2)
    f = np.clip((fine - coarse[j]) / (coarse[j + 1] - coarse[j]), 0.0, 1.0)
    m = np.zeros((len(fine), len(coarse)))
    m[np.arange(len(fine)), j] = 1.0 - f
    m[np.arange(len(fine)), j + 1] = f
    return m


def coil_log_gain(rng: np.random.Generator, shape: tuple[int, int],
                  falloff: tuple[float, float] = imaging.COIL_FALLOFF_RANGE) -> np.ndarray:
    """Log receive-coil gain on the (SI, AP) plane: a ramp falling towards anterior (column 0)
    by a random amount in ``falloff`` and a quadratic falloff towards the top and bottom rows.
    float32 (H, W)."""
    h, w = shape
    ap = np.linspace(-1.0, 0.0, w, dtype=F32) * F32(rng.uniform(*falloff))
    t = np.linspace(-1.0, 1.0, h, dtype=F32)
    si = -(t - F32(rng.uniform(-0.5, 0.5))) ** 2 * F32(rng.uniform(*imaging.COIL_SI_FALLOFF_RANGE))
    return si[:, None] + ap[None, :]


def blur(img: np.ndarray, sigma_vox: tuple[float, ...]) -> np.ndarray:
    """Gaussian partial-volume blur: (H, W) with (sigma_row, sigma_col), or (X, H, W) with
    (sigma_x, sigma_row, sigma_col); the left-right axis uses a 3-tap kernel."""
    if img.ndim == 2:
        return cv2.GaussianBlur(img, (0, 0), sigmaX=float(sigma_vox[1]), sigmaY=float(sigma_vox[0]))
    out = np.empty_like(img)
    for i in range(img.shape[0]):
        out[i] = cv2.GaussianBlur(img[i], (0, 0), sigmaX=float(sigma_vox[2]),
                                  sigmaY=float(sigma_vox[1]))
    side = float(np.exp(-0.5 / max(float(sigma_vox[0]), 1e-3) ** 2))
    if side > 1e-3 and img.shape[0] > 1:
        wc = F32(1.0 / (1.0 + 2.0 * side))
        ws = F32(side / (1.0 + 2.0 * side))
        res = out * wc
        res[1:] += ws * out[:-1]
        res[:-1] += ws * out[1:]
        res[0] += ws * out[0]
        res[-1] += ws * out[-1]
        out = res
    return out


def rician(rng: np.random.Generator, img: np.ndarray, sd: float) -> np.ndarray:
    """Magnitude of the image plus complex Gaussian noise of standard deviation ``sd``.

    One normal draw serves both channels: the imaginary part of voxel i is the draw of voxel
    N - 1 - i (independent of voxel i's real part except at the centre voxel)."""
    n = rng.standard_normal(img.size, dtype=F32)
    re = img.reshape(-1) + F32(sd) * n
    im = F32(sd) * n[::-1]
    return np.sqrt(re * re + im * im).reshape(img.shape)


def robust_range(img: np.ndarray, subsample: int = 1) -> tuple[float, float]:
    """The INTENSITY_PERCENTILES (0.5, 99.5) of ``img``, taken on every n-th voxel."""
    flat = img.reshape(-1)[::subsample]
    lo, hi = np.percentile(flat, INTENSITY_PERCENTILES)
    return float(lo), float(hi)
