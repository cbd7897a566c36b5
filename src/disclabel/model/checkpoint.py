"""Checkpoints: weights plus everything needed to rebuild the model, loaded without pickles.

A checkpoint is a dict of tensors and plain Python values, saved with ``torch.save`` and loaded
with ``torch.load(..., weights_only=True)``:

* ``model``: the state dict (no ``module.`` prefixes);
* ``model_config``: the :class:`~disclabel.model.hourglass.StackedHourglass` arguments;
* ``epoch``: epochs completed; ``optimizer`` / ``scheduler``: their state dicts (for resuming);
* ``best``: the best validation score so far; ``train_config``: the training arguments;
* ``data``: pixel size (and training window) of the data the model was trained on; ``version``.

A shipped model (:func:`export_model`) keeps only what inference needs, its weights in half
precision (loaded back into a float32 model), plus a ``card`` describing how it was trained.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from disclabel.data.io import InputError, atomic_path
from disclabel.model.hourglass import StackedHourglass, build_model
from disclabel.version import __version__

CHECKPOINT_VERSION = 1


def save_checkpoint(path: str | Path, model: StackedHourglass, **extra: Any) -> None:
    """Save ``model`` with its configuration and any extra plain values, atomically."""
    state = {k.removeprefix("module."): v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {"version": CHECKPOINT_VERSION, "software": __version__, "model": state,
               "model_config": dict(model.config), **extra}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def read_checkpoint(path: str | Path) -> dict:
    """Load a checkpoint dict safely (``weights_only=True``); one-line errors naming the file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: checkpoint not found")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: not a readable checkpoint ({first})") from exc
    if not isinstance(ckpt, dict) or "model" not in ckpt or "model_config" not in ckpt:
        raise InputError(f"{path}: not a disclabel checkpoint (no model or model_config)")
    if ckpt.get("version") != CHECKPOINT_VERSION:
        raise InputError(f"{path}: checkpoint format version {ckpt.get('version')!r}, but this "
                         f"software reads version {CHECKPOINT_VERSION}")
    return ckpt


def load_weights(model: nn.Module, ckpt: dict, path: str | Path) -> None:
    """Load a checkpoint's weights into ``model`` (strict), refusing an architecture mismatch
    with a message that names the differing arguments."""
    config = getattr(model, "config", {})
    saved = ckpt["model_config"]
    diffs = [f"{k}={saved.get(k)!r} in the checkpoint but {config.get(k)!r} here"
             for k in sorted(set(saved) | set(config)) if saved.get(k) != config.get(k)]
    if diffs:
        flag = " (use --att to match)" if any(d.startswith("attention=") for d in diffs) else ""
        raise InputError(f"{path}: checkpoint does not fit this model: {'; '.join(diffs)}{flag}")
    try:
        model.load_state_dict(ckpt["model"], strict=True)
    except RuntimeError as exc:
        raise InputError(f"{path}: weights do not fit the model "
                         f"({str(exc).splitlines()[0]})") from exc


def model_from_checkpoint(path: str | Path) -> tuple[StackedHourglass, dict]:
    """Rebuild a model from a checkpoint alone; returns ``(model in eval mode, checkpoint)``."""
    ckpt = read_checkpoint(path)
    try:
        model = build_model(ckpt["model_config"])
    except (TypeError, ValueError) as exc:
        raise InputError(f"{path}: bad model_config ({exc})") from exc
    load_weights(model, ckpt, path)
    return model.eval(), ckpt


def export_model(source: str | Path, target: str | Path, card: dict) -> None:
    """Write a training checkpoint as a shipped model: weights in half precision, the model
    configuration, the data description and ``card``; no optimiser state."""
    ckpt = read_checkpoint(source)
    state = {k: (v.half() if v.is_floating_point() else v) for k, v in ckpt["model"].items()}
    payload = {"version": CHECKPOINT_VERSION, "software": __version__, "model": state,
               "model_config": ckpt["model_config"], "data": ckpt.get("data", {}),
               "epoch": ckpt.get("epoch"), "card": card}
    with atomic_path(target) as tmp:
        torch.save(payload, tmp)
