"""The training loss: weighted MSE between predicted and target heatmaps over every stack, and
the optional identity cross-entropy; targets rendered on the device from keypoints."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from disclabel.constants import EVIDENCE_FLOOR, MIN_SIGMA_OUTPUT_PX, OUTPUT_STRIDE, SIGMA_MM
from disclabel.data.targets import render_heatmaps_torch


def heatmap_loss(outputs: Sequence[Tensor], target: Tensor, weight: Tensor,
                 foreground_weight: float = 0.0, identity_weight: float = 0.0) -> Tensor:
    """Weighted MSE summed over stacks (intermediate supervision), plus ``identity_weight``
    times :func:`identity_loss`.

    outputs: per stack (B, D, h, w); target (B, D, h, w); weight (B, D) per-disc weights.
    ``foreground_weight`` > 0 multiplies each pixel's squared error by
    ``1 + foreground_weight * target``: the few pixels near a disc count more than the
    background, which otherwise drives an untrained network to all-zero maps for a long time.
    0 is the paper's plain MSE.
    """
    w = pixel_weights(target, weight, foreground_weight)
    loss = sum(((out.float() - target) ** 2 * w).mean() for out in outputs)
    if identity_weight:
        loss = loss + identity_weight * sum(identity_loss(out, target) for out in outputs)
    return loss


def pixel_weights(target: Tensor, weight: Tensor, foreground_weight: float = 0.0) -> Tensor:
    """(B, D, h, w) weight of each pixel's squared error: the disc's ``weight`` (B, D), times
    ``1 + foreground_weight * target`` (B, D, h, w) when ``foreground_weight`` is not 0."""
    w = weight[:, :, None, None]
    return w * (1.0 + foreground_weight * target) if foreground_weight else w


def identity_loss(output: Tensor, target: Tensor) -> Tensor:
    """Cross-entropy of the disc identity that the decoder reads, at the discs.

    output, target: (B, D, h, w). At every pixel the output's channel shares are
    ``(max(output, 0) + EVIDENCE_FLOOR)`` normalised over the D channels (what
    :func:`disclabel.labeling.numbering.vote_offsets` turns into numbering votes) and the
    target's are the target normalised likewise; the cross-entropy between them is averaged
    over the pixels, each weighted by the target's largest channel there (about 1 at a disc, 0
    far from every disc). A 0-d tensor in nats: 0 when each disc's evidence is all on its own
    channel.
    """
    near = target.amax(dim=1)
    wanted = target / target.sum(dim=1, keepdim=True).clamp_min(1e-6)
    evidence = output.float().clamp_min(0.0) + EVIDENCE_FLOOR
    log_share = torch.log(evidence / evidence.sum(dim=1, keepdim=True))
    cross_entropy = -(wanted * log_share).sum(dim=1)
    return (near * cross_entropy).sum() / near.sum().clamp_min(1e-6)


def batch_targets(batch: dict[str, Tensor], device: torch.device,
                  sigma_mm: float = SIGMA_MM) -> Tensor:
    """The batch's heatmap targets (B, D, H/4, W/4) on ``device``: the loader's when it sent
    them, else rendered there from ``keypoints`` (B, D, 2) with each sample's ``pixel_mm``."""
    if "target" in batch:
        return batch["target"].to(device, non_blocking=True)
    _, _, height, width = batch["image"].shape
    pixel_mm = batch["pixel_mm"].to(device, non_blocking=True)
    sigma = torch.clamp(sigma_mm / (pixel_mm * OUTPUT_STRIDE), min=MIN_SIGMA_OUTPUT_PX)
    return render_heatmaps_torch(batch["keypoints"].to(device, non_blocking=True),
                                 (height // OUTPUT_STRIDE, width // OUTPUT_STRIDE), sigma)
