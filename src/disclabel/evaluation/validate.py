"""Prediction and the one ``evaluate`` shared by training's validation, ``main.py --evaluate``
and test.py: every sample of a prepared split through the network, decoded as one chain
(:func:`disclabel.labeling.chain.decode_chain`) and scored against its keypoints."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from disclabel.constants import CONFIDENCE_THRESHOLD, NUM_DISCS
from disclabel.evaluation.metrics import aggregate, image_metrics
from disclabel.labeling.chain import decode_chain
from disclabel.model.loss import batch_targets, heatmap_loss


@torch.no_grad()
def predict(model: nn.Module, images: Tensor, device: torch.device
            ) -> tuple[np.ndarray, np.ndarray | None]:
    """Heatmaps of the last stack (B, D, h, w) and the attention map (B, h, w) or None."""
    model.eval()
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
        outputs = model(images.to(device))
    heatmaps = outputs[-1].float().cpu().numpy()
    attention = getattr(model, "last_attention", None)
    att = attention[:, 0].float().cpu().numpy() if attention is not None else None
    return heatmaps, att


@dataclass
class Evaluation:
    """Predictions and metrics over a dataset.

    coords: (N, D, 2) decoded (row, col), NaN when absent; confidence: (N, D);
    references: (N, D, 2); results: per-image metric dicts; summary: aggregate; loss: mean loss.
    """

    coords: np.ndarray
    confidence: np.ndarray
    references: np.ndarray
    results: list[dict]
    summary: dict
    loss: float


def evaluate(model: nn.Module, dataset: Dataset, device: torch.device, batch_size: int = 4,
             threshold: float = CONFIDENCE_THRESHOLD, progress: bool = False,
             workers: int = 0) -> Evaluation:
    """Predict every sample of ``dataset`` (no augmentation), decode with anatomical ordering
    and score against its keypoints (label-aware and original-compatible metrics)."""
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=workers)
    coords, confs, refs, results = [], [], [], []
    total_loss, count = 0.0, 0
    model.eval()
    for batch in tqdm(loader, desc="evaluate", unit="batch", disable=not progress, leave=False):
        with torch.no_grad():
            with torch.autocast(device.type, dtype=torch.bfloat16,
                                enabled=device.type == "cuda"):
                outputs = model(batch["image"].to(device))
            loss = heatmap_loss(outputs, batch_targets(batch, device),
                                batch["weight"].to(device))
        total_loss += float(loss) * len(batch["image"])
        count += len(batch["image"])
        heatmaps = outputs[-1].float().cpu().numpy()
        for i in range(len(heatmaps)):
            pixel_mm = float(batch["pixel_mm"][i])
            chain = decode_chain(heatmaps[i], pixel_mm, threshold=threshold)
            c, conf = chain.coords, chain.confidence
            ref = batch["keypoints"][i].numpy()
            coords.append(c)
            confs.append(conf)
            refs.append(ref)
            results.append(image_metrics(c, ref, pixel_mm))
    n_discs = getattr(model, "config", {}).get("num_discs", NUM_DISCS)
    return Evaluation(_stack(coords, (0, n_discs, 2)), _stack(confs, (0, n_discs)),
                      _stack(refs, (0, n_discs, 2)), results, aggregate(results),
                      total_loss / max(count, 1))


def _stack(arrays: list[np.ndarray], empty_shape: tuple[int, ...]) -> np.ndarray:
    return np.stack(arrays) if arrays else np.zeros(empty_shape, np.float32)
