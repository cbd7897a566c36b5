"""Disc heatmaps: render Gaussian targets and decode predicted heatmaps back to disc positions.

Coordinates are ``(row, col)`` throughout. Keypoints live in INPUT pixels (the prepared 2-D grid,
integer = pixel centre); heatmaps live at OUTPUT resolution, ``stride`` times coarser. An output
pixel ``u`` and an input coordinate ``r`` are related by ``r = u * stride + (stride - 1) / 2``.

Decoders:

- :func:`decode_argmax`: one disc per channel at the channel's maximum, refined to sub-pixel
  precision by a parabola through the log of the peak and its neighbours (exact for a Gaussian).
- :func:`find_candidates`: several local maxima of one channel.

:func:`local_maxima` marks the pixels that no neighbour exceeds (OpenCV's dilation is the
maximum filter: SciPy's ``ndimage`` would add a quarter of a second to ``label.py``'s start-up).

Numbering a whole image's discs as one chain is :mod:`disclabel.labeling.chain`'s job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from disclabel.constants import CONFIDENCE_THRESHOLD, OUTPUT_STRIDE

if TYPE_CHECKING:
    import torch

MAX_CANDIDATES: int = 5
"""Default number of local maxima per channel returned by :func:`find_candidates`."""
MIN_PEAK_DISTANCE: int = 2
"""Default minimum distance (output pixels, Chebyshev) between two candidates of one channel."""

_PARABOLA_POINTS: int = 3
"""A sub-pixel parabola is fitted through this many samples along each axis."""


def input_to_output(coord: np.ndarray | float, stride: int = OUTPUT_STRIDE) -> np.ndarray:
    """Input-pixel to output-pixel coordinates: ``u = (r - (stride - 1) / 2) / stride``."""
    return (np.asarray(coord, dtype=np.float64) - (stride - 1) / 2.0) / stride


def output_to_input(coord: np.ndarray | float, stride: int = OUTPUT_STRIDE) -> np.ndarray:
    """Output-pixel to input-pixel coordinates: ``r = u * stride + (stride - 1) / 2``."""
    return np.asarray(coord, dtype=np.float64) * stride + (stride - 1) / 2.0


def render_heatmaps(keypoints: np.ndarray, out_shape: tuple[int, int], sigma_px: float,
                    stride: int = OUTPUT_STRIDE) -> np.ndarray:
    """Render one Gaussian heatmap per disc.

    Args:
        keypoints: (D, 2) ``(row, col)`` in INPUT pixels; a row with a NaN marks an absent disc.
        out_shape: ``(h, w)`` of the output heatmaps (input shape divided by ``stride``).
        sigma_px: standard deviation of the Gaussian in OUTPUT pixels (> 0).
        stride: input pixels per output pixel.

    Returns:
        float32 (D, h, w). Map ``d`` is ``exp(-((y - u_r)^2 + (x - u_c)^2) / (2 sigma^2))`` with
        ``(u_r, u_c)`` the keypoint in output pixels, so its (continuous) peak is exactly 1 at the
        sub-pixel centre; it is computed as the outer product of a row and a column Gaussian. The
        Gaussian is not truncated (the tails underflow to 0 by themselves), which keeps the log of
        every sample near the peak exactly quadratic for the sub-pixel decoder. Absent discs give
        all-zero maps.
    """
    points = np.asarray(keypoints, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"keypoints must have shape (D, 2), got {points.shape}")
    if not sigma_px > 0:
        raise ValueError(f"sigma_px must be positive, got {sigma_px}")
    height, width = (int(n) for n in out_shape)
    present = ~np.isnan(points).any(axis=1)
    centres = input_to_output(np.where(present[:, None], points, 0.0), stride)  # (D, 2)
    inv_two_var = 1.0 / (2.0 * sigma_px * sigma_px)
    d_row = np.arange(height)[None, :] - centres[:, 0:1]  # (D, h)
    d_col = np.arange(width)[None, :] - centres[:, 1:2]  # (D, w)
    g_row = np.exp(-d_row * d_row * inv_two_var) * present[:, None]
    g_col = np.exp(-d_col * d_col * inv_two_var)
    return (g_row[:, :, None] * g_col[:, None, :]).astype(np.float32)


def as_numpy(heatmaps: np.ndarray | torch.Tensor) -> np.ndarray:
    """Return heatmaps as a float64 numpy array (a torch tensor is detached and moved to CPU;
    recognised by its ``detach`` method, so that this module needs no torch)."""
    if hasattr(heatmaps, "detach"):
        return heatmaps.detach().cpu().double().numpy()
    return np.asarray(heatmaps, dtype=np.float64)


def _subpixel_1d(profiles: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """Sub-pixel positions of peaks along 1-D profiles.

    Args:
        profiles: (N, L) samples along one axis through each peak.
        peaks: (N,) integer index of each peak in its profile.

    Returns:
        float64 (N,) refined positions in the profile's pixel units. A parabola is fitted through
        the log of three consecutive samples around the peak (exact for a Gaussian); at a border
        the three samples nearest the border are used, so the vertex may lie beside the peak
        sample. Where a sample is not positive, the parabola is fitted to the raw values instead.
        Where the parabola has no maximum, the integer position is kept. Results are clipped to
        the peak pixel's cell ``[peak - 0.5, peak + 0.5]``.
    """
    positions = peaks.astype(np.float64)
    count, length = profiles.shape
    if length < _PARABOLA_POINTS or count == 0:
        return positions
    centre = np.clip(peaks, 1, length - 2)
    index = np.arange(count)
    samples = np.stack([profiles[index, centre - 1], profiles[index, centre],
                        profiles[index, centre + 1]], axis=1)  # (N, 3)
    positive = np.all(samples > 0, axis=1)
    logs = np.log(np.where(samples > 0, samples, 1.0))
    fitted = np.where(positive[:, None], logs, samples)
    curvature = fitted[:, 0] - 2.0 * fitted[:, 1] + fitted[:, 2]
    has_max = curvature < 0
    offset = 0.5 * (fitted[:, 0] - fitted[:, 2]) / np.where(has_max, curvature, -1.0)
    refined = np.clip(centre + offset, positions - 0.5, positions + 0.5)
    return np.where(has_max, refined, positions)


def refine_peaks(maps: np.ndarray, map_index: np.ndarray, rows: np.ndarray,
            cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sub-pixel ``(row, col)`` in OUTPUT pixels of integer peaks ``maps[map_index, rows, cols]``.

    ``maps`` is (M, h, w); the index arrays are (N,). Returns two float64 (N,) arrays.
    """
    row_profiles = maps[map_index, :, cols]  # (N, h)
    col_profiles = maps[map_index, rows, :]  # (N, w)
    return _subpixel_1d(row_profiles, rows), _subpixel_1d(col_profiles, cols)


def decode_argmax(heatmaps: np.ndarray | torch.Tensor, threshold: float = CONFIDENCE_THRESHOLD,
                  stride: int = OUTPUT_STRIDE) -> tuple[np.ndarray, np.ndarray]:
    """Decode each channel at its maximum, with sub-pixel refinement.

    Args:
        heatmaps: (D, h, w) or (B, D, h, w), numpy array or torch tensor.
        threshold: a channel whose peak value is below this is reported absent.
        stride: input pixels per output pixel.

    Returns:
        ``coords``: float32 (..., D, 2) ``(row, col)`` in INPUT pixels, NaN where the peak is below
        ``threshold``; ``confidence``: float32 (..., D), the peak value of each channel.
    """
    maps = as_numpy(heatmaps)
    if maps.ndim not in (3, 4):
        raise ValueError(f"heatmaps must be (D, h, w) or (B, D, h, w), got shape {maps.shape}")
    lead_shape = maps.shape[:-2]
    height, width = maps.shape[-2:]
    flat = maps.reshape(-1, height, width)
    peak_flat = flat.reshape(flat.shape[0], -1).argmax(axis=1)
    rows, cols = np.unravel_index(peak_flat, (height, width))
    index = np.arange(flat.shape[0])
    confidence = flat[index, rows, cols]
    u_row, u_col = refine_peaks(flat, index, rows, cols)
    coords = output_to_input(np.stack([u_row, u_col], axis=1), stride)
    coords[confidence < threshold] = np.nan
    return (coords.reshape(*lead_shape, 2).astype(np.float32),
            confidence.reshape(lead_shape).astype(np.float32))


def local_maxima(hmap: np.ndarray, radius: int = 1) -> np.ndarray:
    """Boolean mask (h, w) of the pixels of a (h, w) float map that equal the largest value within
    Chebyshev distance ``radius`` (pixels outside the map do not count; every pixel of a plateau's
    top is marked)."""
    size = 2 * radius + 1
    largest = cv2.dilate(np.ascontiguousarray(hmap), np.ones((size, size), np.uint8))
    return hmap == largest


def find_candidates(heatmap: np.ndarray, threshold: float, max_candidates: int = MAX_CANDIDATES,
                    min_distance: int = MIN_PEAK_DISTANCE,
                    stride: int = OUTPUT_STRIDE) -> list[tuple[float, float, float]]:
    """Local maxima of one heatmap.

    Args:
        heatmap: (h, w) map of one channel (numpy array or torch tensor).
        threshold: only maxima with a value of at least this are kept.
        max_candidates: keep at most this many, the strongest.
        min_distance: a maximum must be the largest value within this Chebyshev distance (output
            pixels), and two kept maxima are more than this apart (plateaus give one candidate).
        stride: input pixels per output pixel.

    Returns:
        ``[(row, col, score), ...]`` highest score first; ``(row, col)`` in INPUT pixels, sub-pixel
        refined as in :func:`decode_argmax`; ``score`` is the map value at the integer peak.
    """
    hmap = as_numpy(heatmap)
    if hmap.ndim != 2:
        raise ValueError(f"heatmap must have shape (h, w), got {hmap.shape}")
    if max_candidates <= 0:
        return []
    rows, cols = np.nonzero(local_maxima(hmap, max(int(min_distance), 0)) & (hmap >= threshold))
    scores = hmap[rows, cols]
    order = np.lexsort((cols, rows, -scores))  # highest score first, then top-left first
    kept: list[int] = []
    for i in order:
        if all(max(abs(rows[i] - rows[j]), abs(cols[i] - cols[j])) > min_distance for j in kept):
            kept.append(int(i))
            if len(kept) == max_candidates:
                break
    if not kept:
        return []
    keep = np.asarray(kept)
    u_row, u_col = refine_peaks(hmap[None], np.zeros(len(keep), dtype=np.intp), rows[keep],
                                cols[keep])
    r_row = output_to_input(u_row, stride)
    r_col = output_to_input(u_col, stride)
    return [(float(r_row[i]), float(r_col[i]), float(scores[k])) for i, k in enumerate(keep)]
