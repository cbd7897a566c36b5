"""A stand-in for the network on phantom images (tests of label.py's geometry).

It sees what a perfect model would see in a phantom slice (tests/phantom.py): every bright blob
is a disc; the k-th blob from the top is disc ``first + k``, placed at its posterior tip. Its
heatmaps are exact Gaussians, so label.py's slice choice, decoding, mapping back to the image's
own space and outputs are tested without hoping that a small trained model behaves.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage

from disclabel.constants import NUM_DISCS, OUTPUT_STRIDE
from disclabel.data.heatmaps import render_heatmaps

BRIGHT = 0.7
"""A pixel above this (label.py's intensities are in [0, 1]) belongs to a disc."""
MIN_PIXELS = 6
"""Blobs smaller than this (grazed disc edges) are ignored."""
SIGMA_OUT = 0.75
"""Peak width in output pixels."""


class PhantomOracle(torch.nn.Module):
    """``forward((B, 1, H, W))`` -> ``[(B, NUM_DISCS, H / 4, W / 4)]`` (one stack)."""

    def __init__(self, first: int = 3) -> None:
        super().__init__()
        self.first = first

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        batch, _, height, width = images.shape
        out_shape = (height // OUTPUT_STRIDE, width // OUTPUT_STRIDE)
        maps = np.zeros((batch, NUM_DISCS, *out_shape), np.float32)
        for b, image in enumerate(images[:, 0].cpu().numpy()):
            blobs, count = ndimage.label(image > BRIGHT)
            tips = []
            for index in range(1, count + 1):
                rows, cols = np.nonzero(blobs == index)
                if len(rows) >= MIN_PIXELS:  # (row, col): centre height, posterior-most column
                    tips.append((float(rows.mean()), float(cols.max())))
            keypoints = np.full((NUM_DISCS, 2), np.nan, np.float32)
            for rank, tip in enumerate(sorted(tips)[: NUM_DISCS - self.first + 1]):
                keypoints[self.first - 1 + rank] = tip
            maps[b] = render_heatmaps(keypoints, out_shape, SIGMA_OUT)
        return [torch.from_numpy(maps).to(images.device)]
