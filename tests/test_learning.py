"""A real learning test: a tiny model learns to find and number discs on a handful of images."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from disclabel.constants import NUM_DISCS
from disclabel.dataset import PreparedDataset
from disclabel.engine import evaluate, heatmap_loss
from disclabel.io import write_npz
from disclabel.models import build_model
from disclabel.prepare import Sample, stack_samples

GRID = (128, 128)
DISCS = range(3, 9)
TIME_LIMIT_S = 100.0
MAX_MEDIAN_ERROR_MM = 3.0


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
def test_tiny_model_learns_to_label_discs(tmp_path):
    rng = np.random.default_rng(0)
    samples = []
    for i in range(6):
        image, kp = _spine_image(rng)
        samples.append(Sample(image, kp, np.isfinite(kp[:, 0]).astype(np.uint8), (3, 8),
                              f"sub-t{i}", "T2w", "none", 1.0, 0, np.eye(4), np.eye(4)))
    path = tmp_path / "train.npz"
    write_npz(path, stack_samples(samples, GRID))
    dataset = PreparedDataset(path, sigma_mm=4.0, outside_weight=1.0)
    torch.manual_seed(0)
    model = build_model({"stacks": 1, "features": 32, "attention": True})
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    loader = DataLoader(dataset, batch_size=6, shuffle=True)
    device = torch.device("cpu")
    first_loss = last_loss = None
    start = time.perf_counter()
    steps = 0
    while time.perf_counter() - start < TIME_LIMIT_S and steps < 400:
        for batch in loader:
            model.train()
            loss = heatmap_loss(model(batch["image"]), batch["target"], batch["weight"])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            first_loss = float(loss.detach()) if first_loss is None else first_loss
            last_loss = float(loss.detach())
            steps += 1
        if steps % 50 == 0:
            summary = evaluate(model, dataset, device, batch_size=6).summary
            if summary["identification_rate"] == 1.0:
                break
    ev = evaluate(model, dataset, device, batch_size=6)
    assert last_loss < 0.2 * first_loss, (first_loss, last_loss)
    assert ev.summary["identification_rate"] >= 0.9, ev.summary
    assert ev.summary["median_error_mm"] <= MAX_MEDIAN_ERROR_MM, ev.summary
    assert ev.summary["false_positives"] == 0
