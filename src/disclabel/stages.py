"""The research stages as functions, with the options of their scripts (``create_dataset.py``,
``prepare_trainset.py``, ``main.py``, ``test.py`` and ``main.py --evaluate true``,
``make_res_gif.py``); the scripts parse their flags and call these.

>>> import disclabel
>>> disclabel.create_dataset(bids=["/data/spine-generic"], out="dataset")
>>> disclabel.prepare_trainset(source="dataset", target="prepared_data")
>>> run = disclabel.train(datapath="prepared_data", epochs=60, solver="adam", lr=1e-3)
>>> disclabel.evaluate_model(run / "best.pt", datapath="prepared_data", split="test")

Each writes what its script writes and returns what a caller needs next. Progress lines go to
``log`` (``print`` by default, as the scripts show them; ``None`` for silence). A bad option or
input raises :class:`~disclabel.data.io.InputError` with the script's one-line message.
Training and evaluation need PyTorch (``pip install "disclabel[train]"``), imported only when
they run.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any

from disclabel.constants import (
    CONTRASTS,
    DEFAULT_LABEL_SUFFIX,
    MANIFEST_NAME,
    PIXEL_MM,
    SPLIT_NAMES,
)
from disclabel.data.io import InputError, missing_extra, write_json
from disclabel.data.manifest import gather, manifest_dict
from disclabel.data.prepare import prepare_dataset

Log = Callable[[str], None] | None
RUNS_DIR = Path("runs")
"""Run folders of ``main.py`` and ``test.py`` when no ``--out`` is given."""

__all__ = ["create_dataset", "evaluate_model", "make_res_gif", "prepare_trainset", "train"]


def _say(log: Log, text: str) -> None:
    if log is not None:
        log(text)


@contextmanager
def _needs_extra(what: str) -> Iterator[None]:
    """Turn a missing module of the ``train`` extra into a one-line :class:`InputError`."""
    try:
        yield
    except ImportError as exc:
        error = missing_extra(exc, what)
        if error is None:
            raise
        raise error from exc


def create_dataset(bids: Sequence[str | Path] = (), out: str | Path = "dataset",
                   contrasts: Sequence[str] = CONTRASTS,
                   label_suffix: Sequence[str] = (DEFAULT_LABEL_SUFFIX,),
                   synthetic: int | None = None, seed: int = 0, random_contrast: float = 0.0,
                   quiet: bool = False, log: Log = print) -> dict:
    """Gather BIDS datasets (Spine Generic layout) into ``OUT/dataset.json``; with
    ``synthetic=N`` first generate N synthetic subjects in ``OUT/bids`` and gather them too.
    Returns the manifest written (its ``entries`` are the usable image/label pairs)."""
    out = Path(out)
    roots = [Path(root) for root in bids]
    contrasts, label_suffix = list(contrasts), list(label_suffix)
    if synthetic is not None:
        if synthetic < 1:
            raise InputError(f"--synthetic {synthetic}: need at least 1 subject")
        from disclabel.synthetic import write_bids_dataset

        synth_root = out / "bids"
        start = time.perf_counter()
        write_bids_dataset(synth_root, synthetic, seed=seed, contrasts=contrasts,
                           random_contrast_fraction=random_contrast, progress=not quiet)
        _say(log, f"generated {synthetic} synthetic subjects in {synth_root} "
                  f"({time.perf_counter() - start:.1f} s)")
        roots.append(synth_root)
    if not roots:
        raise InputError("no input: give --bids ROOT [ROOT ...] or --synthetic N")
    result = gather(roots, contrasts, label_suffix, log=None if quiet else log)
    manifest = manifest_dict(result, roots, contrasts, label_suffix)
    _say(log, manifest_summary(manifest))
    if not result.entries:
        raise InputError(f"{', '.join(str(r) for r in roots)}: no usable image/label pair "
                         f"(contrasts {' '.join(contrasts)}, label suffix "
                         f"{' '.join(label_suffix)})")
    target = out / MANIFEST_NAME
    write_json(target, manifest)
    _say(log, f"wrote {target}")
    return manifest


def manifest_summary(manifest: dict) -> str:
    """Lines saying what a manifest holds: pairs per contrast, ignored labels, skipped files."""
    per_contrast = Counter(e["contrast"] for e in manifest["entries"])
    subjects = {e["subject"] for e in manifest["entries"]}
    lines = [f"{len(manifest['entries'])} usable pairs from {len(subjects)} subjects: "
             + ", ".join(f"{c} {per_contrast.get(c, 0)}" for c in manifest["contrasts"])]
    if manifest["ignored_label_values"]:
        lines.append("ignored label values (not discs): " + ", ".join(
            f"{v} x{n}" for v, n in manifest["ignored_label_values"].items()))
    for skip in manifest["skipped"]:
        lines.append(f"skipped {skip['image']}: {skip['reason']}")
    return "\n".join(lines)


def prepare_trainset(source: str | Path = "dataset", target: str | Path = "prepared_data",
                     split: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 42,
                     contrasts: Sequence[str] | None = None,
                     grid: tuple[int, int] | None = None, pixel_mm: float = PIXEL_MM,
                     progress: bool = True, log: Log = print) -> dict:
    """Turn ``SOURCE/dataset.json`` into train/val/test samples in ``target`` (a seeded
    subject-level split written once to ``splits.json``, canonical sagittal images, per-disc
    keypoints); ``grid`` (rows, cols), multiples of 64, fixes the grid. Returns the metadata
    written to ``meta.json``."""
    source, target = Path(source), Path(target)
    if len(split) != 3:
        raise InputError(f"--split {' '.join(map(str, split))}: give three shares (train, "
                         "val, test)")
    if any(f < 0 for f in split) or sum(split) <= 0:
        raise InputError(f"--split {' '.join(map(str, split))}: shares must be >= 0 "
                         "with a positive sum")
    if grid is not None and any(n < 64 or n % 64 for n in grid):
        raise InputError(f"--grid {grid[0]} {grid[1]}: sizes must be multiples of 64")
    if not pixel_mm > 0:
        raise InputError(f"--pixel-mm {pixel_mm}: must be positive")
    start = time.perf_counter()
    meta = prepare_dataset(source, target, list(split), seed,
                           None if contrasts is None else list(contrasts),
                           None if grid is None else tuple(grid), pixel_mm, progress=progress)
    for name in SPLIT_NAMES:
        count = meta["counts"][name]
        _say(log, f"{name}: {count['samples']} samples from {count['subjects']} subjects "
                  f"-> {target / (name + '.npz')}")
    _say(log, f"prepared in {time.perf_counter() - start:.1f} s; split in "
              f"{target / 'splits.json'}, metadata in {target / 'meta.json'}")
    return meta


def train(datapath: str | Path = "prepared_data", **options: Any) -> Path:
    """Train a model on ``datapath`` (``prepare_trainset``'s folder); ``options`` are
    ``main.py``'s flags with underscores (``epochs=60, solver="adam", train_batch=8, att=True,
    stacks=1, features=64, device="cpu"``, ...; see :class:`disclabel.training.config.TrainConfig`
    for every one and its default). Returns the run folder (``best.pt``, ``last.pt``,
    ``train.log``, ``metrics.csv``). Raises
    :class:`~disclabel.training.interrupt.TrainingInterrupted` when stopped by a signal."""
    with _needs_extra("training"):
        from disclabel.training.config import TrainConfig, check_config
        from disclabel.training.loop import train as train_loop

    names = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(options) - names)
    if unknown:
        raise InputError(f"unknown training option(s): {', '.join(unknown)}")
    config = TrainConfig(datapath=str(datapath), **options)
    check_config(config)
    try:
        return train_loop(config)
    except ValueError as exc:  # e.g. a CUDA device on a machine without one
        raise InputError(str(exc)) from exc


def evaluate_model(checkpoint: str | Path | None = None, datapath: str | Path = "prepared_data",
                   split: str = "test", out: str | Path | None = None, device: str = "auto",
                   batch: int = 4, visualize: bool = False,
                   attention_out: str | Path | None = None, sigma: float | None = None,
                   spacing_weight: float | None = None, title: str | None = None,
                   progress: bool = True) -> dict:
    """Score a checkpoint (default: the shipped model) on one split of ``datapath``: what
    ``test.py`` does (``split="test"``) and ``main.py --evaluate true`` (``split="val"``).
    Prints a metric table per contrast and writes ``metrics.json``, a per-disc
    ``metrics.csv`` and, with ``visualize``, a picture per image into ``out`` (default:
    ``<run>/<split>``, ``runs/shipped_<split>`` for the shipped model); attention maps into
    ``attention_out`` when given. ``spacing_weight`` sets the decoder's spacing prior for this
    call only (0: the vote without it). Returns the metrics written."""
    from disclabel.constants import SIGMA_MM
    from disclabel.labeling.runtime import check_weights
    from disclabel.labeling.spacing import weight_set

    with _needs_extra("evaluating a model on prepared data"):
        from disclabel.evaluation.scoring import evaluate_checkpoint

    if split not in SPLIT_NAMES:
        raise InputError(f"--split {split}: expected one of {', '.join(SPLIT_NAMES)}")
    if batch < 1:
        raise InputError(f"--batch {batch}: must be at least 1")
    if spacing_weight is not None and not spacing_weight >= 0:
        raise InputError(f"--spacing-weight {spacing_weight:g}: must be 0 or more")
    ckpt = check_weights(checkpoint or None)
    default_out = ckpt.parent / split if checkpoint else RUNS_DIR / f"shipped_{split}"
    out = Path(out) if out else default_out
    try:
        with weight_set(spacing_weight):  # in-process callers keep the decoder they had
            return evaluate_checkpoint(
                ckpt, Path(datapath) / f"{split}.npz", out, device=device, batch_size=batch,
                sigma=SIGMA_MM if sigma is None else sigma,
                visualize_dir=out / "images" if visualize else None,
                attention_dir=None if attention_out is None else Path(attention_out),
                title=title or split, progress=progress)
    except ValueError as exc:
        raise InputError(str(exc)) from exc


def make_res_gif(input: str | Path, out: str | Path | None = None, fps: float = 2.0,
                 max_frames: int = 60, log: Log = print) -> list[Path]:
    """An animated GIF (and an MP4 when imageio-ffmpeg is installed) of a run folder's
    per-epoch validation pictures or of a folder of PNG pictures, at most ``max_frames``
    frames evenly spread (0: all). Returns the files written."""
    from disclabel.viz.animation import find_frames, read_rgb, spread, write_animation

    if not math.isfinite(fps) or fps <= 0:
        raise InputError(f"--fps {fps}: must be a positive number")
    if max_frames < 0 or max_frames == 1:
        raise InputError(f"--max-frames {max_frames}: must be 0 (all) or at least 2")
    files, captions, default_out = find_frames(Path(input))
    keep = spread(len(files), max_frames)
    files, captions = [files[i] for i in keep], [captions[i] for i in keep]
    target = Path(out) if out is not None else default_out
    if target.suffix.lower() != ".gif":
        raise InputError(f"--out {target}: must end with .gif")
    if target.exists() and target.is_dir():
        raise InputError(f"--out {target}: is a folder")
    frames = [read_rgb(p) for p in files]
    with _needs_extra("making an animation"):
        written = write_animation(frames, captions, target, fps)
    for path in written:
        _say(log, f"wrote {path} ({len(frames)} frames at {fps:g} fps)")
    return written
