"""Evaluate a checkpoint on a prepared split: metric tables per contrast, files, pictures."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import torch

from disclabel.constants import SIGMA_MM
from disclabel.data.dataset import PreparedDataset
from disclabel.data.geometry import sagittal_axes
from disclabel.data.io import (
    InputError,
    atomic_path,
    disc_voxels,
    file_sha256,
    load_nifti,
    read_data,
    write_json,
)
from disclabel.evaluation.metrics import aggregate, format_table, per_disc_table, volume_metrics
from disclabel.evaluation.validate import Evaluation, evaluate, predict
from disclabel.labeling.labeler import Labeler
from disclabel.labeling.outcome import numbering_summary
from disclabel.model.checkpoint import model_from_checkpoint
from disclabel.model.device import resolve_device

PER_DISC_COLUMNS = ("contrast", "disc", "name", "n_ref", "n_identified", "identification_rate",
                    "median_error_mm", "mean_error_mm")


def sample_names(dataset: PreparedDataset) -> list[str]:
    """A unique file stem per sample: ``<subject>_<contrast>``, with ``_<slice>`` if needed."""
    a = dataset.arrays
    stems = [f"{s}_{c}" for s, c in zip(a["subjects"], a["contrasts"], strict=True)]
    return [f"{stem}_{int(a['slice_index'][i])}" if stems.count(stem) > 1 else stem
            for i, stem in enumerate(stems)]


def summaries_by_contrast(dataset: PreparedDataset, ev: Evaluation) -> dict[str, dict]:
    """Aggregate metrics for ``all`` samples and for each contrast."""
    contrasts = dataset.arrays["contrasts"].tolist()
    out = {"all": ev.summary}
    for contrast in sorted(set(contrasts)):
        out[contrast] = aggregate([r for r, c in zip(ev.results, contrasts, strict=True)
                                   if c == contrast])
    return out


def write_per_disc_csv(path: Path, dataset: PreparedDataset, ev: Evaluation) -> None:
    contrasts = dataset.arrays["contrasts"].tolist()
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(PER_DISC_COLUMNS)
        for contrast in ["all", *sorted(set(contrasts))]:
            results = [r for r, c in zip(ev.results, contrasts, strict=True)
                       if contrast in ("all", c)]
            for row in per_disc_table(results):
                writer.writerow([contrast, *("" if row[k] is None else row[k]
                                             for k in PER_DISC_COLUMNS[1:])])


def draw_predictions(folder: Path, dataset: PreparedDataset, ev: Evaluation) -> None:
    """One picture per sample: reference (green) vs prediction (red), disc numbers drawn."""
    from disclabel.viz.canvas import save_png
    from disclabel.viz.figures import render_prediction

    for i, name in enumerate(sample_names(dataset)):
        rgb = render_prediction(dataset.arrays["images"][i], ev.coords[i], ev.references[i],
                                ev.confidence[i], title=name.replace("_", " "))
        save_png(folder / f"{name}.png", rgb)


def draw_attention(folder: Path, model: torch.nn.Module, dataset: PreparedDataset,
                   ev: Evaluation, device: torch.device) -> None:
    """Input, prediction and attention map of each sample, side by side."""
    from disclabel.viz.canvas import save_png
    from disclabel.viz.figures import render_attention

    for i, name in enumerate(sample_names(dataset)):
        image = torch.from_numpy(dataset.arrays["images"][i])[None, None]
        _, attention = predict(model, image, device)
        save_png(folder / f"{name}.png", render_attention(
            dataset.arrays["images"][i], attention[0], ev.coords[i], title=name))


def reference_discs(label_path: Path) -> dict[int, list[float]]:
    """World mm ``{disc number: (x, y, z)}`` of a disc label file (InputError if unreadable)."""
    nii = load_nifti(label_path)
    discs, _ = disc_voxels(read_data(nii, label_path))
    return {n: (nii.affine @ np.r_[v, 1.0])[:3].tolist() for n, v in discs.items()}


def evaluate_volume(labeler: Labeler, image_path: Path, label_path: Path | None = None,
                    reference: dict[int, list[float]] | None = None) -> dict:
    """Label one volume as label.py does and score it against its reference discs (a label
    file, or ``{number: world mm}``), by disc number in the volume's sagittal plane.

    Returns the :func:`~.metrics.volume_metrics` dict plus ``image``, ``predicted``
    (numbers), ``reference`` (numbers) and the numbering certainty (``top_disc``,
    ``offset_margin_nats``, ``offset_probability``).
    """
    result = labeler.label(image_path)
    ref = reference if reference is not None else reference_discs(label_path)
    nii = load_nifti(image_path)
    metrics = volume_metrics({d.number: d.world_mm for d in result.discs}, ref,
                             sagittal_axes(nii.affine, nii.shape))
    return {"image": str(image_path), "predicted": [d.number for d in result.discs],
            "reference": sorted(int(n) for n in ref), **numbering_summary(result.chain),
            **metrics}


def evaluate_checkpoint(checkpoint: Path, split_path: Path, out_dir: Path, device: str = "auto",
                        batch_size: int = 4, sigma: float = SIGMA_MM,
                        visualize_dir: Path | None = None, attention_dir: Path | None = None,
                        title: str = "test", progress: bool = True) -> dict:
    """Evaluate ``checkpoint`` on a prepared split; print tables and write ``metrics.json``
    (overall, per contrast, per image) and a per-disc ``metrics.csv`` into ``out_dir``.

    Returns the content of ``metrics.json``.
    """
    model, ckpt = model_from_checkpoint(checkpoint)
    if attention_dir is not None and not model.config["attention"]:
        raise InputError(f"{checkpoint}: the model has no attention (trained with --att false); "
                         "--attshow needs one trained with --att true")
    dev = resolve_device(device)
    model.to(dev)
    dataset = PreparedDataset(split_path, sigma)
    if len(dataset) == 0:
        raise InputError(f"{split_path}: no sample to evaluate")
    trained_mm = (ckpt.get("data") or {}).get("pixel_mm")
    prepared_mm = np.unique(dataset.arrays["pixel_mm"])
    if trained_mm and np.any(np.abs(prepared_mm - trained_mm) > 0.01 * trained_mm):
        print(f"warning: {checkpoint} was trained on {trained_mm} mm pixels but {split_path} "
              f"holds {', '.join(f'{v:g}' for v in prepared_mm)} mm pixels (prepare the data "
              f"with --pixel-mm {trained_mm})")
    ev = evaluate(model, dataset, dev, batch_size, progress=progress)
    by_contrast = summaries_by_contrast(dataset, ev)
    for contrast, summary in by_contrast.items():
        if contrast != "all" or len(by_contrast) > 2:
            print(format_table(summary, f"{title}: {contrast} ({summary['n_images']} images)"))
    names = sample_names(dataset)
    document = {
        "checkpoint": str(checkpoint), "checkpoint_sha256": file_sha256(checkpoint),
        "epoch": ckpt.get("epoch"), "split": str(split_path), "summary": by_contrast,
        "images": [{"name": n, "subject": str(dataset.arrays["subjects"][i]),
                    "contrast": str(dataset.arrays["contrasts"][i]),
                    "predicted": {str(d + 1): [float(v) for v in ev.coords[i, d]]
                                  for d in np.nonzero(np.isfinite(ev.coords[i, :, 0]))[0]},
                    **{k: v for k, v in ev.results[i].items() if k != "per_disc"},
                    "per_disc": ev.results[i]["per_disc"]}
                   for i, n in enumerate(names)],
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / "metrics.json", document)
    write_per_disc_csv(out_dir / "metrics.csv", dataset, ev)
    written = [out_dir / "metrics.json", out_dir / "metrics.csv"]
    if visualize_dir is not None:
        draw_predictions(visualize_dir, dataset, ev)
        written.append(visualize_dir)
    if attention_dir is not None:
        draw_attention(attention_dir, model, dataset, ev, dev)
        written.append(attention_dir)
    print("wrote " + ", ".join(str(p) for p in written))
    return document
