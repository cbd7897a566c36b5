"""Training step, prediction, and the one ``evaluate`` shared by training, ``--evaluate`` and
test.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from .chain import decode_chain
from .constants import CONFIDENCE_THRESHOLD, NUM_DISCS
from .metrics import aggregate, image_metrics


def resolve_device(name: str) -> torch.device:
    """``auto`` -> the first CUDA GPU when present, else the CPU; ``cpu``, ``cuda``, ``cuda:N``."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {name}: CUDA is not available on this machine")
    return device


def heatmap_loss(outputs: Sequence[Tensor], target: Tensor, weight: Tensor,
                 foreground_weight: float = 0.0) -> Tensor:
    """Weighted MSE summed over stacks (intermediate supervision).

    outputs: per stack (B, D, h, w); target (B, D, h, w); weight (B, D) per-disc weights.
    ``foreground_weight`` > 0 multiplies each pixel's squared error by
    ``1 + foreground_weight * target``: the few pixels near a disc count more than the
    background, which otherwise drives an untrained network to all-zero maps for a long time.
    0 is the paper's plain MSE.
    """
    w = weight[:, :, None, None]
    if foreground_weight:
        w = w * (1.0 + foreground_weight * target)
    return sum(((out.float() - target) ** 2 * w).mean() for out in outputs)


def train_one_epoch(model: nn.Module, loader: DataLoader, optimizer: torch.optim.Optimizer,
                    device: torch.device, progress: bool = True, desc: str = "train",
                    foreground_weight: float = 0.0) -> dict:
    """One pass over ``loader``; returns mean loss, sample count and seconds."""
    model.train()
    total, count = 0.0, 0
    use_amp = device.type == "cuda"
    bar = tqdm(loader, desc=desc, unit="batch", disable=not progress, leave=False)
    for batch in bar:
        images = batch["image"].to(device, non_blocking=True)
        target = batch["target"].to(device, non_blocking=True)
        weight = batch["weight"].to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            outputs = model(images)
        loss = heatmap_loss(outputs, target, weight, foreground_weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += float(loss.detach()) * len(images)
        count += len(images)
        bar.set_postfix(loss=f"{total / count:.5f}")
    return {"loss": total / max(count, 1), "samples": count}


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
            loss = heatmap_loss(outputs, batch["target"].to(device), batch["weight"].to(device))
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
