"""A real learning test: training steps on disc images lower the heatmap loss.

A fixed number of steps with fixed seeds (not a time budget) keeps the verdict the same on every
machine; how well a trained model labels discs is the accuracy report's business, not a unit
test's."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from disclabel.constants import NUM_DISCS
from disclabel.data.dataset import PreparedDataset
from disclabel.data.io import write_npz
from disclabel.data.prepare import Sample, stack_samples
from disclabel.model.hourglass import build_model
from disclabel.model.loss import heatmap_loss

GRID = (128, 128)
DISCS = range(3, 9)
STEPS = 40


def _spine_image(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Bright flat ellipses (discs) between grey blocks (bodies), shifted at random."""
    image = rng.normal(0.1, 0.02, GRID).astype(np.float32)
    rr, cc = np.mgrid[:GRID[0], :GRID[1]]
    top, col, step = rng.uniform(15, 30), rng.uniform(45, 80), rng.uniform(14, 17)
    kp = np.full((NUM_DISCS, 2), np.nan, np.float32)
    for i, disc in enumerate(DISCS):
        r, c = top + i * step, col + 1.5 * i
        body = (np.abs(rr - r - step / 2) < step / 2 - 3) & (np.abs(cc - c) < 12)
        image[body] += 0.35
        image += 0.8 * np.exp(-((rr - r) / 1.8) ** 2 - ((cc - c) / 11) ** 2)
        kp[disc - 1] = (r, c)
    return np.clip(image, 0, 1), kp


@pytest.mark.slow
def test_training_steps_lower_the_heatmap_loss(tmp_path):
    rng = np.random.default_rng(0)
    samples = []
    for i in range(6):
        image, kp = _spine_image(rng)
        samples.append(Sample(image, kp, np.isfinite(kp[:, 0]).astype(np.uint8), (3, 8),
                              f"sub-t{i}", "T2w", "none", 1.0, 0, np.eye(4), np.eye(4)))
    path = tmp_path / "train.npz"
    write_npz(path, stack_samples(samples, GRID))
    batch = next(iter(DataLoader(PreparedDataset(path, sigma_mm=4.0, outside_weight=1.0),
                                 batch_size=6)))
    torch.manual_seed(0)
    model = build_model({"stacks": 1, "features": 32, "attention": True})
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    losses = []
    for _ in range(STEPS):
        loss = heatmap_loss(model(batch["image"]), batch["target"], batch["weight"])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert all(np.isfinite(losses))
    assert np.mean(losses[-5:]) < 0.5 * losses[0], losses
