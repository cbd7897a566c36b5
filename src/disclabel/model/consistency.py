"""Inversion consistency (``main.py --consistency-weight W``): part of every training batch is
shown a second time with its contrast inverted inside the body, and the network's heatmaps for
the inverted copy are pulled towards its heatmaps for the original, so that a disc gets the
same name whichever way its tissues are bright.

The inversion is :func:`disclabel.data.contrast.invert_in_body` (what the augmentation and
``label.py --polarity`` apply to one slice) done on a batch of tensors on the device.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torchvision.transforms.v2 import functional as tvf

from disclabel.data.contrast import BODY_LEVEL, BODY_SIGMA_PX
from disclabel.model.loss import pixel_weights

CONSISTENCY_SHARE: float = 0.25
"""Share of each training batch shown again inverted (at least one sample)."""
BODY_KERNEL_PX: int = 17
"""Side of the Gaussian kernel of the body weights: OpenCV's choice for ``BODY_SIGMA_PX`` = 2
on float images (``round(8 * sigma + 1)``, odd)."""


def pair_count(batch_size: int) -> int:
    """How many samples of a batch of ``batch_size`` are shown again inverted."""
    return max(1, round(batch_size * CONSISTENCY_SHARE))


def invert_in_body_batch(images: Tensor) -> Tensor:
    """``images`` (B, 1, H, W) in [0, 1] (0 outside the field of view) with their contrast
    inverted inside the body, air left dark; the same as
    :func:`disclabel.data.contrast.invert_in_body` on each slice (up to float rounding)."""
    blurred = tvf.gaussian_blur(images.float(), [BODY_KERNEL_PX, BODY_KERNEL_PX],
                                [BODY_SIGMA_PX, BODY_SIGMA_PX])
    body = torch.clamp(blurred / BODY_LEVEL, 0.0, 1.0)
    out = torch.clamp(body * (1.0 - images) + (1.0 - body) * images, 0.0, 1.0)
    return torch.where(images > 0, out, torch.zeros_like(out)).to(images.dtype)


def consistency_loss(inverted: Sequence[Tensor], original: Sequence[Tensor], target: Tensor,
                     weight: Tensor, foreground_weight: float = 0.0) -> Tensor:
    """Weighted MSE of the heatmaps of the inverted copies against those of their originals,
    summed over stacks; the originals are the teacher (no gradient flows into them), so the
    loss never pulls the network's reading of the acquired contrast.

    inverted, original: per stack (K, D, h, w); target (K, D, h, w) and weight (K, D) of the K
    originals, weighting pixels and discs as :func:`disclabel.model.loss.heatmap_loss` does.
    """
    w = pixel_weights(target, weight, foreground_weight)
    return sum(((inv.float() - orig.detach().float()) ** 2 * w).mean()
               for inv, orig in zip(inverted, original, strict=True))
