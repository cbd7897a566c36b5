"""Fast on-the-fly 2-D synthetic mid-sagittal samples for training.

The same anatomy sampler and implicit shapes as the 3-D generator are evaluated on one sagittal
plane of the prepared grid (head up, anterior at column 0), then the same appearance model
(intensities, texture, bias, blur, Rician noise) is applied in 2-D.
"""

from __future__ import annotations

import numpy as np

from ..constants import GRID_SHAPE, PIXEL_MM, TRAIN_SLICE_HALF_WIDTH_MM
from ..geometry import grid_pixel_mm
from . import tables as T
from .anatomy import sample_anatomy
from .appearance import (
    blur,
    coil_log_gain,
    rician,
    robust_range,
    sample_intensities,
    sample_texture_amplitudes,
    smooth_log_field,
    texture_2d,
)
from .shapes import build_layers
from .volume import sample_plane

F32 = np.float32
_CONTRASTS = tuple(T.CONTRAST_2D_PROBABILITIES)
_PROBS = np.array([T.CONTRAST_2D_PROBABILITIES[c] for c in _CONTRASTS])


def sample_2d(rng: np.random.Generator, grid_shape: tuple[int, int] = GRID_SHAPE,
              pixel_mm: float = PIXEL_MM, contrast: str | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """One synthetic near-mid-sagittal image on the prepared grid, with its disc keypoints.

    ``contrast``: "T1w" or "T2w" (preset appearance), "random" (random intensity per tissue), or
    None (drawn from CONTRAST_2D_PROBABILITIES). The plane lies within
    TRAIN_SLICE_HALF_WIDTH_MM of the mid-sagittal plane. As in prepared data, a random field
    of view (FOV_2D_HEIGHT_MM x FOV_2D_WIDTH_MM) is fitted into the grid: at ``pixel_mm``, or
    at a larger pixel when it does not fit, centred, with 0 around it.

    Returns ``image`` float32 (H, W) in [0, 1] (0.5/99.5 percentiles mapped to 0/1, then
    clipped), row 0 superior, column 0 anterior; and ``keypoints`` float32 (NUM_DISCS, 2) of
    (row, col) pixel coordinates of each disc's posterior tip (just inside the disc), NaN for a
    disc outside the image.
    """
    if contrast is None:
        contrast = str(rng.choice(_CONTRASTS, p=_PROBS))
    mode = "random" if contrast == "random" else "preset"
    anat = sample_anatomy(rng)
    # an acquisition field of view, fitted into the grid exactly as prepare_trainset does: the
    # pixel grows when the field of view does not fit, and the rest of the grid stays 0
    fov_mm = (rng.uniform(*T.FOV_2D_HEIGHT_MM), rng.uniform(*T.FOV_2D_WIDTH_MM))
    pixel = grid_pixel_mm(fov_mm, tuple(grid_shape), pixel_mm)
    shape = (min(grid_shape[0], int(round(fov_mm[0] / pixel))),
             min(grid_shape[1], int(round(fov_mm[1] / pixel))))
    plane = sample_plane(rng, anat, shape, (pixel, pixel))
    layers = build_layers(anat, plane)
    x = rng.uniform(0.0, TRAIN_SLICE_HALF_WIDTH_MM)
    idx = layers.index_at(x)
    lut = sample_intensities(rng, contrast, mode)
    amp = sample_texture_amplitudes(rng)
    tis = layers.gather(layers.tissue, idx)
    tex = texture_2d(rng, plane.shape, rng.uniform(*T.TEXTURE_SIGMA_MM) / pixel)
    img = lut[tis] * (F32(1.0) + amp[tis] * tex)
    log_gain = smooth_log_field(rng, plane.shape, (pixel, pixel), (T.BIAS_NODE_SPACING_MM,),
                                (rng.uniform(*T.BIAS_LOG_SD_RANGE),))
    img *= np.exp(log_gain + coil_log_gain(rng, plane.shape))
    img = blur(img, tuple(rng.uniform(*T.LOW_RES_2D_SIGMA_PX, 2)))
    _, hi = robust_range(img)
    img = rician(rng, img, rng.uniform(*T.NOISE_SD_RANGE) * max(hi, 1e-6))
    lo, hi = robust_range(img)
    img = np.clip((img - F32(lo)) / F32(max(hi - lo, 1e-6)), 0.0, 1.0).astype(F32)
    # keypoints: the posterior tip moved LABEL_INSET_MM inside the disc, along -d
    r, c = anat.curve.to_plane(anat.label_s, anat.label_d - T.LABEL_INSET_MM)
    rows, cols = plane.to_pixel(r, c)
    kp = np.stack([rows, cols], 1).astype(F32)
    h, w = plane.shape
    outside = (rows < -0.5) | (rows > h - 0.5) | (cols < -0.5) | (cols > w - 0.5)
    kp[outside] = np.nan
    r0, c0 = (grid_shape[0] - h) // 2, (grid_shape[1] - w) // 2
    out = np.zeros(tuple(grid_shape), F32)
    out[r0:r0 + h, c0:c0 + w] = img
    return out, kp + np.array([r0, c0], F32)
