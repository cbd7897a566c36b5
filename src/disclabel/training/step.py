"""One training step (forward pass, loss, backward pass, optimiser) and one epoch of them; the
validation that training runs after its epochs is :mod:`disclabel.evaluation.validate`."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader
from tqdm import tqdm

from disclabel.constants import (
    SIGMA_MM,
)
from disclabel.model.consistency import consistency_loss, invert_in_body_batch, pair_count
from disclabel.model.loss import batch_targets, heatmap_loss
from disclabel.training.fastpath import FastPath, to_device

PROGRESS_EVERY: int = 10
"""Training steps between two updates of the progress bar's loss."""


def step_loss(model: nn.Module, batch: dict[str, Tensor], device: torch.device,
              fast: FastPath, foreground_weight: float = 0.0, sigma_mm: float = SIGMA_MM,
              identity_weight: float = 0.0, consistency_weight: float = 0.0) -> Tensor:
    """The forward pass and loss of one training batch (targets rendered on ``device`` unless
    the batch carries them). With ``consistency_weight`` > 0 the first
    :func:`~disclabel.model.consistency.pair_count` images are also shown inverted in the same
    forward pass, and that weight times their
    :func:`~disclabel.model.consistency.consistency_loss` is added. Autocast's weight cache is
    off: a CUDA graph capture requires it, a compiled network's code is guarded on that
    setting (so eager warm-up steps and the capture must agree), and no weight is cast twice
    in one forward pass, so it saves nothing."""
    images = to_device(batch["image"], device, fast)
    target = batch_targets(batch, device, sigma_mm)
    weight = batch["weight"].to(device, non_blocking=True)
    size = len(images)
    pairs = pair_count(size) if consistency_weight else 0
    if pairs:
        images = torch.cat([images, invert_in_body_batch(images[:pairs])])
    with torch.autocast(device.type, dtype=fast.dtype, enabled=fast.dtype is not None,
                        cache_enabled=False):
        outputs = model(images)
    loss = heatmap_loss([out[:size] for out in outputs] if pairs else outputs, target, weight,
                        foreground_weight, identity_weight)
    if pairs:
        loss = loss + consistency_weight * consistency_loss(
            [out[size:] for out in outputs], [out[:pairs] for out in outputs], target[:pairs],
            weight[:pairs], foreground_weight)
    return loss


def eager_step(model: nn.Module, batch: dict[str, Tensor], optimizer: torch.optim.Optimizer,
               device: torch.device, fast: FastPath, scaler: torch.amp.GradScaler | None = None,
               foreground_weight: float = 0.0, sigma_mm: float = SIGMA_MM,
               set_to_none: bool = True, identity_weight: float = 0.0,
               consistency_weight: float = 0.0) -> Tensor:
    """One plain training step (forward, loss, backward, optimiser); returns the detached loss."""
    loss = step_loss(model, batch, device, fast, foreground_weight, sigma_mm,
                     identity_weight=identity_weight, consistency_weight=consistency_weight)
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
                    identity_weight: float = 0.0, consistency_weight: float = 0.0) -> dict:
    """One pass over ``loader``; returns the summed loss (a 0-d tensor on ``device``, so that
    the loop never waits for the device) and the sample count (a tensor too, for reduction
    across processes). ``fast`` sets precision and layout (None: fp32); ``step`` replaces the
    eager step (a :class:`.cuda_graph.CudaGraphStep`); ``after_step()`` runs after every
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
                              sigma_mm, identity_weight=identity_weight,
                              consistency_weight=consistency_weight)
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


