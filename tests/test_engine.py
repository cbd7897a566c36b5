"""Loss and device helpers of the training engine."""

from __future__ import annotations

import pytest
import torch

from disclabel.engine import heatmap_loss, resolve_device


def test_plain_weighted_mse_over_stacks():
    torch.manual_seed(0)
    target = torch.rand(2, 3, 4, 4)
    outs = [torch.rand(2, 3, 4, 4), torch.rand(2, 3, 4, 4)]
    weight = torch.tensor([[1.0, 0.0, 0.5], [1.0, 1.0, 1.0]])
    expected = sum(((o - target) ** 2 * weight[:, :, None, None]).mean() for o in outs)
    assert torch.allclose(heatmap_loss(outs, target, weight), expected)


def test_foreground_weight_counts_disc_pixels_more():
    target = torch.zeros(1, 1, 4, 4)
    target[0, 0, 1, 1] = 1.0
    miss_disc = torch.zeros(1, 1, 4, 4)           # error 1 on the disc pixel
    false_peak = target.clone()
    false_peak[0, 0, 3, 3] = 1.0                  # error 1 on a background pixel
    w = torch.ones(1, 1)
    assert heatmap_loss([miss_disc], target, w) == heatmap_loss([false_peak], target, w)
    fg = heatmap_loss([miss_disc], target, w, foreground_weight=10.0)
    bg = heatmap_loss([false_peak], target, w, foreground_weight=10.0)
    assert torch.isclose(fg, 11 * bg)


def test_resolve_device():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda:0")
