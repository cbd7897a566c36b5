"""Inversion consistency: the batch inversion equals the augmentation's, the loss pulls only
the inverted copies, and a training step with it runs and differs from one without."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from disclabel.constants import NUM_DISCS
from disclabel.data.contrast import invert_in_body
from disclabel.model.consistency import (
    consistency_loss,
    invert_in_body_batch,
    pair_count,
)
from disclabel.model.hourglass import build_model
from disclabel.training.config import TrainConfig, check_config
from disclabel.training.fastpath import FastPath
from disclabel.training.step import step_loss


def _slice(seed: int) -> np.ndarray:
    """A (64, 80) image: a body of random tissue, a dark pocket inside, air around it."""
    rng = np.random.default_rng(seed)
    image = np.zeros((64, 80), np.float32)
    image[6:58, 10:70] = rng.random((52, 60)).astype(np.float32) * 0.9 + 0.05
    image[24:32, 30:44] = 0.02
    return image


def test_the_batch_inversion_is_the_augmentations_slice_by_slice():
    images = np.stack([_slice(0), _slice(1)])[:, None]
    batch = invert_in_body_batch(torch.from_numpy(images)).numpy()
    for got, image in zip(batch[:, 0], images[:, 0], strict=True):
        np.testing.assert_allclose(got, invert_in_body(image), atol=1e-5)
    assert (batch[images == 0] == 0).all()        # air and padding stay dark


@pytest.mark.parametrize(("size", "pairs"), [(1, 1), (2, 1), (8, 2), (16, 4)])
def test_a_quarter_of_the_batch_at_least_one_sample(size, pairs):
    assert pair_count(size) == pairs


def test_the_loss_is_zero_for_equal_heatmaps_and_pulls_only_the_inverted_copies():
    torch.manual_seed(0)
    original = torch.rand(2, 3, 4, 4, requires_grad=True)
    inverted = torch.rand(2, 3, 4, 4, requires_grad=True)
    target, weight = torch.rand(2, 3, 4, 4), torch.ones(2, 3)
    assert float(consistency_loss([original.detach()], [original], target, weight).detach()) == 0.0
    loss = consistency_loss([inverted], [original], target, weight, foreground_weight=10.0)
    loss.backward()
    assert float(loss.detach()) > 0 and inverted.grad.abs().sum() > 0 and original.grad is None
    manual = ((inverted - original) ** 2 * (1 + 10 * target)).mean()
    torch.testing.assert_close(loss, manual)


def _batch(size: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(3)
    keypoints = torch.full((size, NUM_DISCS, 2), float("nan"))
    keypoints[:, 2:8] = torch.rand(size, 6, 2, generator=generator) * 40 + 12
    images = torch.rand(size, 1, 64, 64, generator=generator) * 0.9 + 0.05
    return {"image": images, "keypoints": keypoints, "weight": torch.ones(size, NUM_DISCS),
            "pixel_mm": torch.ones(size)}


def test_a_training_step_adds_the_consistency_of_the_inverted_copies():
    torch.manual_seed(0)
    model = build_model({"stacks": 1, "features": 16, "attention": True})
    model.train()
    batch, device, fast = _batch(4), torch.device("cpu"), FastPath()
    seen: list[int] = []
    model.register_forward_hook(lambda _m, inputs, _o: seen.append(len(inputs[0])))
    torch.manual_seed(1)
    plain = step_loss(model, batch, device, fast, 10.0)
    torch.manual_seed(1)
    with_pairs = step_loss(model, batch, device, fast, 10.0, consistency_weight=1.0)
    assert seen == [4, 5]                          # one inverted copy in the same pass
    assert float(with_pairs.detach()) != float(plain.detach())
    with_pairs.backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_a_negative_consistency_weight_is_refused():
    with pytest.raises(Exception, match="--consistency-weight -1"):
        check_config(TrainConfig(consistency_weight=-1.0))
