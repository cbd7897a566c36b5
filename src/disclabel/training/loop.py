"""A training run (what it is made of: :mod:`disclabel.training.config`): loop, schedule, per-epoch
validation, logs and checkpoints.

A run folder holds ``config.json``, ``train.log``, ``metrics.csv`` (one row per epoch),
``last.pt``, ``best.pt`` (best validation identification rate, then lowest median error),
``ema.pt`` with ``--ema DECAY`` (written when the training ends: the exponential moving average
of the weights, updated after every step, with batch-norm statistics recomputed for those
weights over one more pass of the training data; a checkpoint like the others, which label.py
loads as it is) and
``val_images/epoch_NNN.png`` (one validation prediction picture per epoch).
"""

from __future__ import annotations

import csv
import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler

from disclabel.data.dataset import PreparedDataset, SyntheticDataset, worker_init
from disclabel.data.io import InputError, atomic_path, read_json, write_json
from disclabel.evaluation.validate import Evaluation, evaluate
from disclabel.model.checkpoint import load_weights, read_checkpoint, save_checkpoint
from disclabel.model.device import resolve_device
from disclabel.model.hourglass import StackedHourglass, build_model, count_parameters
from disclabel.training import rngstate
from disclabel.training.config import (
    TrainConfig,
    configure_optimizer,
    finish_ema,
    make_ema,
    make_optimizer,
    training_set,
)
from disclabel.training.cuda_graph import CudaGraphStep
from disclabel.training.distributed import (
    Distributed,
    broadcast_flag,
    loader_workers,
    local_processes,
    process_device,
    reduce_sum,
    setup_distributed,
    teardown,
)
from disclabel.training.fastpath import choose_fast_path, prepare_model
from disclabel.training.interrupt import StopRequests, TrainingInterrupted, log_interruption
from disclabel.training.step import train_one_epoch

__all__ = ["TrainConfig", "fit", "train"]

METRIC_COLUMNS = ("epoch", "train_loss", "val_loss", "val_identification_rate",
                  "val_median_error_mm", "val_mean_error_mm", "val_false_positives", "lr",
                  "seconds")


def make_logger(run_dir: Path) -> logging.Logger:
    """A logger writing to ``run_dir/train.log`` and the console (fresh handlers per run)."""
    logger = logging.getLogger(f"disclabel.run.{run_dir.resolve()}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    fmt = logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S")
    for handler in (logging.FileHandler(run_dir / "train.log"), logging.StreamHandler()):
        handler.setFormatter(fmt)
        logger.addHandler(handler)
    return logger


def _is_better(summary: dict, best: dict | None) -> bool:
    rate = summary.get("identification_rate") or 0.0
    err = summary.get("median_error_mm")
    err = math.inf if err is None else err
    if best is None:
        return True
    return (rate, -err) > (best["identification_rate"], -best["median_error_mm"])


def _save_val_picture(run_dir: Path, epoch: int, dataset: PreparedDataset, ev: Evaluation) -> None:
    if len(dataset) == 0:
        return
    from disclabel.viz.canvas import save_png
    from disclabel.viz.figures import render_prediction

    image = dataset.arrays["images"][0]
    title = (f"epoch {epoch}  {dataset.arrays['subjects'][0]} "
             f"{dataset.arrays['contrasts'][0]}")
    rgb = render_prediction(image, ev.coords[0], ev.references[0], ev.confidence[0], title)
    save_png(run_dir / "val_images" / f"epoch_{epoch:03d}.png", rgb)


def resume_path(config: TrainConfig, run_dir: Path) -> Path | None:
    """Checkpoint to resume from: ``--resume true`` means the run folder's ``last.pt``."""
    if not config.resume or config.resume.lower() in ("false", "no", "0"):
        return None
    if config.resume.lower() in ("true", "yes", "1"):
        return run_dir / "last.pt"
    return Path(config.resume)


def train(config: TrainConfig) -> Path:
    """Run a training; returns the run folder."""
    return fit(config)[0]


def _loader(config: TrainConfig, train_set: torch.utils.data.Dataset, device: torch.device,
            ddp: Distributed, start_epoch: int, workers: int) -> DataLoader:
    """The training loader: shuffled (each process its own share under torchrun), ``workers``
    loader processes, pinned host memory for a GPU."""
    sampler = (DistributedSampler(train_set, ddp.world_size, ddp.rank, shuffle=True,
                                  seed=config.seed) if ddp.active else None)
    return DataLoader(train_set, batch_size=config.train_batch, shuffle=sampler is None,
                      sampler=sampler, num_workers=workers, worker_init_fn=worker_init,
                      pin_memory=device.type == "cuda",
                      drop_last=len(train_set) > config.train_batch * ddp.world_size,
                      generator=torch.Generator().manual_seed(config.seed + start_epoch))


def fit(config: TrainConfig) -> tuple[Path, StackedHourglass]:
    """Run a training; returns the run folder and the trained network (this process's copy)."""
    ddp = setup_distributed(config.device)
    try:
        return _fit(config, ddp)
    finally:
        teardown(ddp)


def _fit(config: TrainConfig, ddp: Distributed) -> tuple[Path, StackedHourglass]:
    run_dir = Path(config.out or time.strftime("runs/%Y%m%d-%H%M%S"))
    if ddp.main:
        run_dir.mkdir(parents=True, exist_ok=True)
    meta = read_json(Path(config.datapath) / "meta.json", "prepared metadata (run "
                     "prepare_trainset.py first)")
    device = process_device(resolve_device(config.device), ddp)
    fast = choose_fast_path(device, config.fast, config.amp, config.compile,
                            config.cuda_graphs and not ddp.active)
    torch.manual_seed(config.seed)
    np.random.seed(config.seed % 2**32)
    if device.type == "cpu":  # the same seed gives the same weights on this machine
        torch.use_deterministic_algorithms(True)
    train_set, synth = training_set(config, meta, ddp.rank)
    for part in getattr(train_set, "datasets", [train_set]):
        part.targets = False  # rendered on the device by the training step
    workers = loader_workers(config.workers, device, local_processes())
    if synth is not None and workers > 0:
        synth.fill(workers)
    val_set = PreparedDataset(Path(config.datapath) / "val.npz", config.sigma, None,
                              config.outside_weight)
    model: StackedHourglass = build_model(config.model_config()).to(device)
    if config.sync_bn and ddp.active:
        if device.type != "cuda":
            raise InputError("--sync-bn true: synchronised batch norm needs CUDA GPUs")
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    optimizer = make_optimizer(config, model, fast)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, config.schedule, config.gamma)
    scaler = torch.amp.GradScaler(device.type) if fast.scaler else None
    start_epoch, best, history, ckpt = 0, None, [], None
    ckpt_path = resume_path(config, run_dir)
    if ckpt_path is not None:
        ckpt = read_checkpoint(ckpt_path)
        load_weights(model, ckpt, ckpt_path)
        optimizer.load_state_dict(ckpt["optimizer"])
        configure_optimizer(optimizer, fast)
        scheduler.load_state_dict(ckpt["scheduler"])
        if scaler is not None and ckpt.get("scaler"):
            scaler.load_state_dict(ckpt["scaler"])
        start_epoch, best = int(ckpt["epoch"]), ckpt.get("best")
        history = [list(row) for row in ckpt.get("metrics", [])]
    step_model = prepare_model(model, fast)
    ema = make_ema(config, model)  # after the layout change: the same layout as the weights
    if ema is not None and ckpt is not None and ckpt.get("ema"):
        ema.load_state_dict(ckpt["ema"])
    graph_step = (CudaGraphStep(step_model, optimizer, device, fast, config.foreground_weight,
                                config.sigma, config.identity_weight,
                                config.consistency_weight)
                  if fast.graphs else None)
    if ddp.active:
        step_model = DistributedDataParallel(
            step_model, device_ids=[device.index] if device.type == "cuda" else None)
    data_info = {"pixel_mm": meta["pixel_mm"], "window": list(config.window)}
    log = make_logger(run_dir) if ddp.main else None
    if log is not None:
        write_json(run_dir / "config.json", {**asdict(config), "out": str(run_dir),
                                             "model": model.config, "data": data_info})
        log.info(f"run {run_dir}: {count_parameters(model):,} parameters, device {device}"
                 f"{f' x {ddp.world_size} processes' if ddp.active else ''}, {fast.describe()}, "
                 f"{len(train_set)} training / {len(val_set)} validation samples, "
                 f"{workers} loader worker{'s' if workers != 1 else ''}"
                 + (f", resumed at epoch {start_epoch}" if start_epoch else ""))
    loader = _loader(config, train_set, device, ddp, start_epoch, workers)
    parts = getattr(train_set, "datasets", [train_set])
    if ckpt is not None and ckpt.get("random_state") and not ddp.active:
        rngstate.restore(ckpt["random_state"], parts, loader.generator, str(ckpt_path))
    elif ckpt is not None:  # each process of a resumed multi-process run: fresh streams
        for part in parts:
            part.reseed(int(np.random.SeedSequence([config.seed, ddp.rank, start_epoch])
                            .generate_state(1)[0]))
    if ddp.main:
        _write_metrics(run_dir / "metrics.csv", history)

    def checkpoint_state(epoch: int) -> dict:
        """What a checkpoint holds besides the weights; taken when it is written."""
        return {"epoch": epoch, "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "scaler": scaler.state_dict() if scaler is not None else None,
                "random_state": rngstate.capture(parts, loader.generator),
                "metrics": history, "train_config": asdict(config), "data": data_info,
                "ema": ema.state_dict() if ema is not None else None}

    began = time.perf_counter()
    with StopRequests() as stop:
        for epoch in range(start_epoch + 1, config.epochs + 1):
            tic = time.perf_counter()
            for part in parts:  # drawn datasets seed their items by (seed, epoch, index)
                if isinstance(part, SyntheticDataset):
                    part.epoch = epoch
            if isinstance(loader.sampler, DistributedSampler):
                loader.sampler.set_epoch(epoch)
            lr = optimizer.param_groups[0]["lr"]
            stats = train_one_epoch(step_model, loader, optimizer, device,
                                    config.progress and ddp.main,
                                    desc=f"epoch {epoch}/{config.epochs}",
                                    foreground_weight=config.foreground_weight, fast=fast,
                                    scaler=scaler, sigma_mm=config.sigma, stop=stop.requested,
                                    step=graph_step, identity_weight=config.identity_weight,
                                    consistency_weight=config.consistency_weight,
                                    after_step=None if ema is None else
                                    lambda: ema.update_parameters(model))
            if broadcast_flag(stop.requested(), ddp, device):
                log_interruption(log, stop.signal_name, epoch, run_dir)
                raise TrainingInterrupted(stop.exit_code)
            scheduler.step()
            summed = reduce_sum(torch.stack([stats["loss_sum"], stats["samples"]]), ddp)
            train_loss = float(summed[0] / summed[1].clamp(min=1))
            out_of_time = broadcast_flag(bool(config.max_train_seconds and time.perf_counter()
                                              - began > config.max_train_seconds), ddp, device)
            if ddp.main:
                best = _end_epoch(config, run_dir, epoch, model, val_set, device, log, best,
                                  train_loss, lr, tic, out_of_time, history, checkpoint_state)
            if out_of_time:
                if log is not None:
                    log.info(f"stopping after epoch {epoch}: time budget of "
                             f"{config.max_train_seconds:.0f} s reached")
                break
    if ema is not None and ddp.main:
        averaged = finish_ema(ema, loader, device)
        save_checkpoint(run_dir / "ema.pt", averaged, epoch=history[-1][0] if history else 0,
                        ema_decay=config.ema, ema_steps=int(ema.n_averaged),
                        train_config=asdict(config), data=data_info)
        log.info(f"moving average of {int(ema.n_averaged)} steps (decay {config.ema}), "
                 f"batch-norm statistics recomputed: {run_dir / 'ema.pt'}")
    if graph_step is not None and log is not None:
        log.info(f"CUDA graphs: {graph_step.captures} captures, {graph_step.replays} replayed "
                 f"steps, {graph_step.eager_steps} eager steps")
    return run_dir, model


def _write_metrics(path: Path, history: list[list]) -> None:
    """(Re)write ``metrics.csv`` from the rows kept in the checkpoint, atomically."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(METRIC_COLUMNS)
        writer.writerows([["" if v is None else v for v in row] for row in history])


def _end_epoch(config: TrainConfig, run_dir: Path, epoch: int, model: StackedHourglass,
               val_set: PreparedDataset, device: torch.device, log: logging.Logger,
               best: dict | None, train_loss: float, lr: float, tic: float, last: bool,
               history: list[list], state: Callable[[int], dict]) -> dict | None:
    """Rank 0's end of an epoch: validation (every ``val_every`` epochs and at the end), the
    metrics row, checkpoints, the validation picture and the log line; returns the best score."""
    validate = epoch % max(config.val_every, 1) == 0 or epoch == config.epochs or last
    ev = evaluate(model, val_set, device, config.val_batch) if validate else None
    s = ev.summary if ev is not None else {}
    seconds = time.perf_counter() - tic
    row = [epoch, train_loss, None if ev is None else ev.loss,
           s.get("identification_rate"), s.get("median_error_mm"), s.get("mean_error_mm"),
           s.get("false_positives"), lr, seconds]
    history.append(row)
    with open(run_dir / "metrics.csv", "a", newline="") as handle:
        csv.writer(handle).writerow(["" if v is None else v for v in row])
    improved = ev is not None and len(val_set) > 0 and _is_better(s, best)
    if improved:
        best = {"epoch": epoch, "identification_rate": s["identification_rate"] or 0.0,
                "median_error_mm": (math.inf if s["median_error_mm"] is None
                                    else s["median_error_mm"])}
    extra = {**state(epoch), "best": best}
    save_checkpoint(run_dir / "last.pt", model, **extra)
    if improved or not (run_dir / "best.pt").exists():
        save_checkpoint(run_dir / "best.pt", model, **extra)
    if ev is not None:
        _save_val_picture(run_dir, epoch, val_set, ev)
    rate = s.get("identification_rate")
    err = s.get("median_error_mm")
    val_text = ("" if ev is None else
                f" val_loss {ev.loss:.5f}"
                f" id_rate {'n/a' if rate is None else f'{100 * rate:.1f}%'}"
                f" median_err {'n/a' if err is None else f'{err:.2f} mm'}")
    log.info(f"epoch {epoch}/{config.epochs} loss {train_loss:.5f}{val_text}"
             f" lr {lr:.2e} {seconds:.1f}s{' *best*' if improved else ''}")
    return best
