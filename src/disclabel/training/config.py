"""What a training is made of: its hyperparameters (:class:`TrainConfig`, the ``main.py``
flags), its training set (real prepared samples mixed with synthetic ones, each with its own
augmentation stream), its optimiser and the optional moving average of its weights. The run
itself (loop, validation, logs, checkpoints) is :mod:`disclabel.training.loop`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn, update_bn
from torch.utils.data import ConcatDataset, DataLoader

from disclabel.constants import (
    AMP_CHOICES,
    FOREGROUND_WEIGHT,
    FOV_CROP_P,
    INTENSITY_MAP_P,
    NARROW_FOV_MM,
    NEGATIVE_RATIO,
    NUM_DISCS,
    OUTSIDE_WEIGHT,
    SIGMA_MM,
    WINDOW_SHAPE,
)
from disclabel.data.augment import AugmentConfig, build_augmenter
from disclabel.data.dataset import PreparedDataset, SyntheticDataset
from disclabel.data.io import InputError
from disclabel.data.oblique import oblique_sample, training_volumes
from disclabel.model.hourglass import StackedHourglass
from disclabel.synthetic.styles import DEFAULT_STYLE_2D, STYLES_2D
from disclabel.training.fastpath import FastPath

SYNTHETIC_EPOCH_SIZE = 64
"""Synthetic samples per epoch when there is no real training data (``--synthetic-ratio 1``)."""
OBLIQUE_SEED_OFFSET = 7919
"""Seeds of the changed real volumes' slices: ``(seed + this, epoch, index)``, a stream apart
from the synthetic samples' ``(seed, epoch, index)``."""
RANK_SEED_STRIDE = 1000
"""Process ``r`` of a multi-process training seeds its data streams with ``seed + r * this``."""


@dataclass
class TrainConfig:
    """Every training hyperparameter, in one place (the ``main.py`` flags)."""

    datapath: str = "prepared_data"
    out: str = ""
    epochs: int = 120
    train_batch: int = 3
    val_batch: int = 4
    solver: str = "rms"
    lr: float = 2.5e-4
    weight_decay: float = 0.0
    schedule: list[int] = field(default_factory=lambda: [60, 90])
    gamma: float = 0.1
    att: bool = True
    stacks: int = 2
    blocks: int = 1
    features: int = 256
    sigma: float = SIGMA_MM
    outside_weight: float = OUTSIDE_WEIGHT
    negative_ratio: float = NEGATIVE_RATIO
    foreground_weight: float = FOREGROUND_WEIGHT
    identity_weight: float = 0.0     # weight of the identity cross-entropy (model.loss)
    consistency_weight: float = 0.0  # weight of the inversion consistency (model.consistency)
    disc_weight: list[str] = field(default_factory=list)  # "N:W": disc N's loss weight times W
    seed: int = 42
    workers: int | str = "auto"    # loader processes; auto: distributed.loader_workers
    device: str = "auto"
    resume: str = ""
    synthetic_ratio: float = 0.0
    synthetic_pool: int = 0          # 0: fresh synthetic samples every epoch; P: cycle through P
    synthetic_style: str = DEFAULT_STYLE_2D  # generator appearance (synthetic.styles.STYLES_2D)
    real_repeat: int = 1             # each real training sample appears this often per epoch
    oblique_ratio: float = 0.0       # share of the real items drawn from volumes changed in 3-D
    window: list[int] = field(default_factory=lambda: list(WINDOW_SHAPE))
    val_every: int = 1               # validate (and pick best.pt) every N epochs and at the end
    fast: bool = True                # mixed precision, channels-last, cuDNN autotuning
    amp: str = "auto"                # with fast: auto, bf16, fp16 (CUDA) or off
    compile: bool = False            # torch.compile the network
    cuda_graphs: bool = True         # with fast on a CUDA GPU: replay the step as a CUDA graph
    sync_bn: bool = False            # under torchrun: batch statistics over all processes
    augment: bool = True
    fov_crop_p: float = FOV_CROP_P   # share of samples with a shorter field of view
    fov_narrow_p: float = 0.0        # share of samples with a narrower (A-P) field of view
    intensity_map_p: float = INTENSITY_MAP_P  # share with a random intensity curve or inversion
    tissue_contrast_p: float = 0.0   # share of those curves with knots at intensity quantiles
    progress: bool = True
    max_train_seconds: float = 0.0   # stop after the epoch that passes this (0 = no limit)
    ema: float = 0.0                 # decay per step of the weights' moving average (0 = off)

    def model_config(self, in_channels: int = 1) -> dict:
        return {"stacks": self.stacks, "blocks": self.blocks, "features": self.features,
                "in_channels": in_channels, "attention": self.att}


SOLVERS: tuple[str, ...] = ("rms", "adam", "adamw")


def check_config(config: TrainConfig) -> None:
    """Raise :class:`InputError` naming the flag of the first value out of its range."""
    positive = {"epochs": config.epochs, "train-batch": config.train_batch,
                "val-batch": config.val_batch, "stacks": config.stacks, "blocks": config.blocks,
                "features": config.features, "real-repeat": config.real_repeat,
                "val-every": config.val_every}
    for name, value in positive.items():
        if value < 1:
            raise InputError(f"--{name} {value}: must be at least 1")
    if config.synthetic_pool < 0:
        raise InputError(f"--synthetic-pool {config.synthetic_pool}: must be >= 0")
    if len(config.window) != 2 or any(n < 64 or n % 64 for n in config.window):
        raise InputError(f"--window {' '.join(map(str, config.window))}: two sizes, multiples "
                         "of 64")
    if config.features % 4:
        raise InputError(f"--features {config.features}: must be a multiple of 4")
    if config.lr <= 0 or config.sigma <= 0:
        raise InputError("--lr and --sigma must be positive")
    for name in ("identity_weight", "consistency_weight"):
        if getattr(config, name) < 0:
            raise InputError(f"--{name.replace('_', '-')} {getattr(config, name)}: must be >= 0")
    channel_scale(config.disc_weight)  # raises on a bad N:W
    if not 0 <= config.ema < 1:
        raise InputError(f"--ema {config.ema}: must lie in [0, 1) (0 = off)")
    for name in ("synthetic_ratio", "negative_ratio", "fov_crop_p", "fov_narrow_p",
                 "intensity_map_p", "tissue_contrast_p"):
        value = getattr(config, name)
        if not 0 <= value <= 1:
            raise InputError(f"--{name.replace('_', '-')} {value}: must lie in [0, 1]")
    if not 0 <= config.oblique_ratio < 1:
        raise InputError(f"--oblique-ratio {config.oblique_ratio}: must lie in [0, 1)")
    choices = {"solver": (config.solver, SOLVERS), "amp": (config.amp, AMP_CHOICES),
               "synthetic-style": (config.synthetic_style, tuple(sorted(STYLES_2D)))}
    for name, (value, allowed) in choices.items():
        if value not in allowed:
            raise InputError(f"--{name} {value}: expected one of {', '.join(allowed)}")


def make_optimizer(config: TrainConfig, model: torch.nn.Module,
                   fast: FastPath | None = None) -> torch.optim.Optimizer:
    """The ``--solver`` as the fast path ``fast`` runs it (None: the plain one): capturable in
    a CUDA graph with ``fast.graphs``, PyTorch's fused implementation with ``fast.fused``
    where the solver has one (Adam, AdamW)."""
    fast = fast or FastPath()
    kwargs = {"lr": config.lr, "weight_decay": config.weight_decay, "capturable": fast.graphs}
    if config.solver == "rms":
        return torch.optim.RMSprop(model.parameters(), **kwargs)
    if config.solver == "adam":
        return torch.optim.Adam(model.parameters(), fused=fast.fused or None, **kwargs)
    if config.solver == "adamw":
        return torch.optim.AdamW(model.parameters(), fused=fast.fused or None, **kwargs)
    raise InputError(f"--solver {config.solver}: expected rms, adam or adamw")


def configure_optimizer(optimizer: torch.optim.Optimizer, fast: FastPath) -> None:
    """Give ``optimizer`` the settings :func:`make_optimizer` gives for ``fast`` (capturable,
    fused), also after loading a checkpoint's state (loading restores the writer's settings):
    the step counts of a capturable or fused group go to their parameters' device."""
    for group in optimizer.param_groups:
        if "capturable" in group:
            group["capturable"] = fast.graphs
        if "fused" in group:
            group["fused"] = fast.fused or None
        on_device = fast.graphs or bool(group.get("fused"))
        for param in group["params"]:
            state = optimizer.state.get(param, {})
            if on_device and isinstance(state.get("step"), torch.Tensor):
                state["step"] = state["step"].to(device=param.device, dtype=torch.float32)


def channel_scale(specs: list[str]) -> np.ndarray | None:
    """(D,) float32 factors of each disc channel's loss weight from ``--disc-weight`` specs
    ``"N:W"`` (disc number N in 1..D, factor W > 0; a later spec of the same disc wins), None
    without any spec; raises :class:`InputError` on a malformed one."""
    if not specs:
        return None
    scale = np.ones(NUM_DISCS, np.float32)
    for spec in specs:
        number, _, factor = str(spec).partition(":")
        try:
            n, w = int(number), float(factor)
        except ValueError:
            raise InputError(f"--disc-weight {spec}: expected N:W, e.g. 25:4") from None
        if not 1 <= n <= NUM_DISCS or not w > 0:
            raise InputError(f"--disc-weight {spec}: N must lie in 1..{NUM_DISCS} and W be "
                             "positive")
        scale[n - 1] = w
    return scale


def augment_config(config: TrainConfig, pixel_mm: float) -> AugmentConfig:
    """The augmentation of a training on ``pixel_mm`` pixels: the ``--fov-crop-p``,
    ``--fov-narrow-p``, ``--intensity-map-p`` and ``--tissue-contrast-p`` shares, the narrowed
    width ``NARROW_FOV_MM`` in pixels."""
    return AugmentConfig(p_crop=config.fov_crop_p, p_narrow=config.fov_narrow_p,
                         p_intensity_map=config.intensity_map_p,
                         p_tissue=config.tissue_contrast_p,
                         narrow_px=(NARROW_FOV_MM[0] / pixel_mm, NARROW_FOV_MM[1] / pixel_mm))


def training_set(config: TrainConfig, meta: dict, rank: int = 0
                 ) -> tuple[torch.utils.data.Dataset, SyntheticDataset | None]:
    """The real prepared training samples, mixed with sagittal slices of the real training
    volumes changed in 3-D when ``oblique_ratio`` > 0 (that share of the real items,
    :func:`~disclabel.data.oblique.oblique_sample`) and with on-the-fly synthetic samples when
    ``synthetic_ratio`` > 0 (the share of synthetic samples in each epoch). Process ``rank`` of
    a multi-process training draws its own windows and augmentations. Returns the dataset and
    its synthetic part (None without one)."""
    seed = config.seed + RANK_SEED_STRIDE * rank
    pixel = float(meta["pixel_mm"])
    augmentation = augment_config(config, pixel)
    augment = build_augmenter(augmentation, seed) if config.augment else None
    window = tuple(config.window)
    scale = channel_scale(config.disc_weight)
    real = PreparedDataset(Path(config.datapath) / "train.npz", config.sigma, augment,
                           config.outside_weight, config.negative_ratio, seed,
                           window=window, repeat=config.real_repeat, channel_scale=scale)
    parts: list[torch.utils.data.Dataset] = [real] if len(real) else []
    if config.oblique_ratio > 0 and len(real):
        volumes = training_volumes(config.datapath)
        count = max(1, round(len(real) * config.oblique_ratio / (1 - config.oblique_ratio)))
        parts.append(SyntheticDataset(
            count, lambda rng: oblique_sample(rng, volumes, window, pixel), pixel,
            config.sigma, build_augmenter(augmentation, seed + 2) if config.augment else None,
            config.seed + OBLIQUE_SEED_OFFSET, outside_weight=config.outside_weight,
            channel_scale=scale))
    real_items = sum(len(part) for part in parts)
    if config.synthetic_ratio <= 0:
        if not parts:
            raise InputError(f"{real.path}: no training sample (use --synthetic-ratio to train "
                             "on synthetic data)")
        return (parts[0] if len(parts) == 1 else ConcatDataset(parts)), None
    from disclabel.synthetic import sample_2d

    ratio = min(config.synthetic_ratio, 1.0)
    n_synth = (SYNTHETIC_EPOCH_SIZE * config.real_repeat if ratio >= 1 or not parts
               else max(1, round(real_items * ratio / (1 - ratio))))
    synth_augment = build_augmenter(augmentation, seed + 1) if config.augment else None
    style = config.synthetic_style
    synth = SyntheticDataset(n_synth, lambda rng: sample_2d(rng, window, pixel, style=style), pixel,
                             config.sigma, synth_augment, config.seed, config.synthetic_pool,
                             channel_scale=scale)
    if ratio >= 1 or not parts:
        return synth, synth
    return ConcatDataset([*parts, synth]), synth


def make_ema(config: TrainConfig, model: StackedHourglass) -> AveragedModel | None:
    """The exponential moving average of ``model``'s weights (``--ema DECAY``: each step moves
    it ``1 - DECAY`` of the way to the current weights), or None when off. Its batch-norm
    statistics are only meaningful after :func:`finish_ema`."""
    if config.ema <= 0:
        return None
    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(config.ema))


def finish_ema(ema: AveragedModel, loader: DataLoader, device: torch.device) -> StackedHourglass:
    """The averaged network with its batch-norm statistics recomputed for its own weights over
    one pass of the training loader (torch's ``update_bn``): statistics gathered by other
    weights do not fit averaged ones (without this, the averaged fold models of the accuracy
    report lost discs)."""
    update_bn((batch["image"] for batch in loader), ema.module, device)
    return ema.module
