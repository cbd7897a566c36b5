"""Training step, prediction, and the one ``evaluate`` shared by training, ``--evaluate`` and
test.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from .accel import FastPath, to_device
from .chain import EVIDENCE_FLOOR, decode_chain
from .constants import (
    CONFIDENCE_THRESHOLD,
    MIN_SIGMA_OUTPUT_PX,
    NUM_DISCS,
    OUTPUT_STRIDE,
    SIGMA_MM,
)
from .metrics import aggregate, image_metrics
from .targets import render_heatmaps_torch

PROGRESS_EVERY: int = 10
"""Training steps between two updates of the progress bar's loss."""


def resolve_device(name: str) -> torch.device:
    """``auto`` -> the first CUDA GPU when present, else the CPU; ``cpu``, ``cuda``, ``cuda:N``."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {name}: CUDA is not available on this machine")
    return device


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
    w = weight[:, :, None, None]
    if foreground_weight:
        w = w * (1.0 + foreground_weight * target)
    loss = sum(((out.float() - target) ** 2 * w).mean() for out in outputs)
    if identity_weight:
        loss = loss + identity_weight * sum(identity_loss(out, target) for out in outputs)
    return loss


def identity_loss(output: Tensor, target: Tensor) -> Tensor:
    """Cross-entropy of the disc identity that the decoder reads, at the discs.

    output, target: (B, D, h, w). At every pixel the output's channel shares are
    ``(max(output, 0) + EVIDENCE_FLOOR)`` normalised over the D channels (what
    :func:`disclabel.chain.vote_offsets` turns into numbering votes) and the target's are the
    target normalised likewise; the cross-entropy between them is averaged over the pixels,
    each weighted by the target's largest channel there (about 1 at a disc, 0 far from every
    disc). A 0-d tensor in nats: 0 when each disc's evidence is all on its own channel.
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


def step_loss(model: nn.Module, batch: dict[str, Tensor], device: torch.device,
              fast: FastPath, foreground_weight: float = 0.0, sigma_mm: float = SIGMA_MM,
              identity_weight: float = 0.0) -> Tensor:
    """The forward pass and loss of one training batch (targets rendered on ``device`` unless
    the batch carries them). Autocast's weight cache is off: a CUDA graph capture requires
    it, a compiled network's code is guarded on that setting (so eager warm-up steps and the
    capture must agree), and no weight is cast twice in one forward pass, so it saves nothing."""
    images = to_device(batch["image"], device, fast)
    target = batch_targets(batch, device, sigma_mm)
    weight = batch["weight"].to(device, non_blocking=True)
    with torch.autocast(device.type, dtype=fast.dtype, enabled=fast.dtype is not None,
                        cache_enabled=False):
        outputs = model(images)
    return heatmap_loss(outputs, target, weight, foreground_weight, identity_weight)


def eager_step(model: nn.Module, batch: dict[str, Tensor], optimizer: torch.optim.Optimizer,
               device: torch.device, fast: FastPath, scaler: torch.amp.GradScaler | None = None,
               foreground_weight: float = 0.0, sigma_mm: float = SIGMA_MM,
               set_to_none: bool = True, identity_weight: float = 0.0) -> Tensor:
    """One plain training step (forward, loss, backward, optimiser); returns the detached loss."""
    loss = step_loss(model, batch, device, fast, foreground_weight, sigma_mm,
                     identity_weight=identity_weight)
    optimizer.zero_grad(set_to_none=set_to_none)
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    else:
        loss.backward()
        optimizer.step()
    return loss.detach()


def train_one_epoch(model: nn.Module, loader: DataLoader, optimizer: torch.optim.Optimizer,
                    device: torch.device, progress: bool = True, desc: str = "train",
                    foreground_weight: float = 0.0, fast: FastPath | None = None,
                    scaler: torch.amp.GradScaler | None = None, sigma_mm: float = SIGMA_MM,
                    stop: Callable[[], bool] | None = None,
                    step: Callable[[dict[str, Tensor]], Tensor] | None = None,
                    after_step: Callable[[], None] | None = None,
                    identity_weight: float = 0.0) -> dict:
    """One pass over ``loader``; returns the summed loss (a 0-d tensor on ``device``, so that
    the loop never waits for the device) and the sample count (a tensor too, for reduction
    across processes). ``fast`` sets precision and layout (None: fp32); ``step`` replaces the
    eager step (a :class:`disclabel.graphstep.CudaGraphStep`); ``after_step()`` runs after every
    optimiser step (the weights' moving average); ``stop()`` true ends the pass after the
    current step."""
    fast = fast or FastPath()
    model.train()
    total = torch.zeros((), device=device)
    count = 0
    bar = tqdm(loader, desc=desc, unit="batch", disable=not progress, leave=False)
    for index, batch in enumerate(bar):
        if step is not None:
            loss = step(batch)
        else:
            loss = eager_step(model, batch, optimizer, device, fast, scaler, foreground_weight,
                              sigma_mm, identity_weight=identity_weight)
        if after_step is not None:
            after_step()
        size = len(batch["image"])
        total += loss * size
        count += size
        if progress and index % PROGRESS_EVERY == 0:  # reading the loss waits for the device
            bar.set_postfix(loss=f"{float(total) / count:.5f}")
        if stop is not None and stop():
            break
    return {"loss_sum": total, "samples": torch.tensor(float(count), device=device)}


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
