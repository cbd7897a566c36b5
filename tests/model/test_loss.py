"""Loss and device helpers of the training engine."""

from __future__ import annotations

import math

import pytest
import torch

from disclabel.constants import EVIDENCE_FLOOR
from disclabel.model.device import resolve_device
from disclabel.model.loss import heatmap_loss, identity_loss


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


def _one_disc(channel: int, discs: int = 5) -> torch.Tensor:
    """(1, discs, 6, 6) target with one disc (peak 1) of the given channel at (2, 3)."""
    target = torch.zeros(1, discs, 6, 6)
    target[0, channel, 2, 3] = 1.0
    target[0, channel, 1, 3] = target[0, channel, 3, 3] = 0.5
    return target


def test_identity_loss_is_the_cross_entropy_of_the_channel_shares_at_the_disc():
    target = _one_disc(2)
    own = identity_loss(target.clone(), target)
    split = target.clone()
    split[0, 3] = split[0, 2]                   # the same evidence on the next disc's channel too
    neighbour = identity_loss(split, target)
    wrong = identity_loss(_one_disc(3), target)
    # every disc pixel holds its evidence on channel 2: the share is (v + floor) / (v + 5 floor)
    expected_own = -(1.0 * math.log((1 + EVIDENCE_FLOOR) / (1 + 5 * EVIDENCE_FLOOR))
                     + 2 * 0.5 * math.log((0.5 + EVIDENCE_FLOOR)
                                        / (0.5 + 5 * EVIDENCE_FLOOR))) / 2.0
    assert math.isclose(float(own), expected_own, rel_tol=1e-5)
    assert float(own) < 0.03 < float(neighbour) < float(wrong)
    half = -math.log((1 + EVIDENCE_FLOOR) / (2 + 5 * EVIDENCE_FLOOR))  # about log 2
    assert math.isclose(float(neighbour), half, rel_tol=0.05)


def test_identity_loss_ignores_pixels_far_from_every_disc_and_negative_outputs():
    target = _one_disc(1)
    output = target.clone()
    output[0, 4, 5, 5] = 3.0                    # a false peak far from the disc: not identity
    output[0, 0, 2, 3] = -2.0                   # negative evidence counts as none
    assert torch.isclose(identity_loss(output, target), identity_loss(target, target))
    assert float(identity_loss(output, torch.zeros_like(target))) == 0.0


def test_heatmap_loss_adds_the_weighted_identity_loss_of_every_stack():
    target = _one_disc(2)
    outs = [_one_disc(3), target.clone()]
    w = torch.ones(1, 5)
    plain = heatmap_loss(outs, target, w, 10.0)
    both = heatmap_loss(outs, target, w, 10.0, identity_weight=0.5)
    extra = 0.5 * (identity_loss(outs[0], target) + identity_loss(outs[1], target))
    assert torch.isclose(both, plain + extra)


def test_resolve_device():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda:0")
