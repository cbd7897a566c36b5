"""Heatmap targets rendered with torch on the training device (the numpy renderer and the
decoders are in :mod:`disclabel.data.heatmaps`, which needs no torch)."""

from __future__ import annotations

import torch

from disclabel.constants import OUTPUT_STRIDE


def render_heatmaps_torch(keypoints: torch.Tensor, out_shape: tuple[int, int],
                          sigma_px: torch.Tensor, stride: int = OUTPUT_STRIDE) -> torch.Tensor:
    """:func:`disclabel.data.heatmaps.render_heatmaps` for a batch, on the keypoints' device (the
    training step renders its targets where the network runs, instead of shipping 25 maps per
    sample from the loader).

    Args:
        keypoints: (B, D, 2) ``(row, col)`` in INPUT pixels, NaN for absent discs.
        out_shape: ``(h, w)`` of the output heatmaps.
        sigma_px: (B,) standard deviation in OUTPUT pixels, one per sample.

    Returns:
        float32 (B, D, h, w), equal to :func:`render_heatmaps` of each sample (to float32
        rounding).
    """
    points = keypoints.to(torch.float32)
    present = ~torch.isnan(points).any(dim=-1)  # (B, D)
    centres = (torch.where(present[..., None], points, 0.0) - (stride - 1) / 2.0) / stride
    inv_two_var = (1.0 / (2.0 * sigma_px.to(points) ** 2))[:, None, None]  # (B, 1, 1)
    rows = torch.arange(out_shape[0], device=points.device, dtype=torch.float32)
    cols = torch.arange(out_shape[1], device=points.device, dtype=torch.float32)
    d_row = rows[None, None, :] - centres[..., 0:1]  # (B, D, h)
    d_col = cols[None, None, :] - centres[..., 1:2]  # (B, D, w)
    g_row = torch.exp(-d_row * d_row * inv_two_var) * present[..., None]
    g_col = torch.exp(-d_col * d_col * inv_two_var)
    return g_row[..., :, None] * g_col[..., None, :]
