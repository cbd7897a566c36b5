"""Accuracy metrics for disc labeling (DESIGN section 5), as pure functions returning dicts.

Inputs per image are two keypoint arrays ``pred`` and ``ref`` of shape ``(NUM_DISCS, 2)`` holding
``(row, col)`` in pixels of the prepared 2-D grid, with an all-NaN row for an absent disc
(row index = disc number - 1). Rows run superior -> inferior, columns anterior -> posterior, and the
grid's pixel size ``pixel_mm`` is the same in both directions, so a pixel distance times
``pixel_mm`` is a distance in mm in the sagittal plane.

Two families of numbers are computed:

* **Label-aware** (the project's metric): prediction and reference are matched *by disc number*.
  A disc is *identified* when the prediction with its number lies within ``radius_mm`` (inclusive)
  of the reference point. A *false positive* is a predicted disc whose number lies inside the
  reference's labelled range ``[min reference disc, max reference disc]`` and which has no reference
  of that number or whose reference is further than ``radius_mm``. Predictions outside that range
  are not judged (the reference says nothing there); with no reference disc at all the range is
  empty, so no false positive is counted.
* **Original-compatible** (label-blind, only for comparison with the published numbers): for each
  reference point the distance to the nearest prediction of *any* number (DTT); a reference point is
  a false negative when that nearest prediction is more than ``ORIGINAL_FN_PX`` pixels away in the
  row (superior-inferior) direction, or when there is no prediction; a prediction is a false
  positive when it is more than ``ORIGINAL_FP_PX`` pixels from every reference point in the row
  direction (every prediction, when there is no reference). A prediction one level off lands on a
  real disc and scores perfectly here, which is why the label-aware metric exists.

Every returned value is a plain Python ``int``/``float``/``bool``/``None``/``list``/``dict`` with no
NaN, so ``json.dumps(..., allow_nan=False)`` accepts it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from disclabel.constants import (
    DISC_NAMES,
    IDENTIFICATION_RADIUS_MM,
    NUM_DISCS,
    ORIGINAL_FN_PX,
    ORIGINAL_FP_PX,
)

PERCENT: float = 100.0
_MISSING: str = "n/a"
_LABEL_WIDTH: int = 34
_VALUE_WIDTH: int = 12


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def _check_keypoints(points: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate a ``(NUM_DISCS, 2)`` ``(row, col)`` array; return it as float64 and its presence.

    Returns:
        ``(points, present)``: float64 array ``(NUM_DISCS, 2)`` and bool array ``(NUM_DISCS,)``,
        True where the disc is present (both coordinates finite).

    Raises:
        ValueError: wrong shape, or a row that is neither all-NaN nor all-finite.
    """
    arr = np.asarray(points, dtype=np.float64)
    if arr.shape != (NUM_DISCS, 2):
        raise ValueError(f"{name} must have shape ({NUM_DISCS}, 2), got {arr.shape}")
    absent = np.isnan(arr).all(axis=1)
    present = np.isfinite(arr).all(axis=1)
    malformed = ~(absent | present)
    if malformed.any():
        discs = (np.flatnonzero(malformed) + 1).tolist()
        raise ValueError(f"{name}: rows of discs {discs} must be all-NaN (absent) or all finite")
    return arr, present


def _optional_float(value: float) -> float | None:
    """``float(value)``, or None when it is NaN/inf (JSON-safe)."""
    value = float(value)
    return value if math.isfinite(value) else None


def _ratio(numerator: float, denominator: float, scale: float = 1.0) -> float | None:
    """``numerator / denominator * scale``, or None when the denominator is 0."""
    if denominator == 0:
        return None
    return float(numerator) / float(denominator) * scale


def _median(values: Sequence[float]) -> float | None:
    """Median of ``values``, or None when empty."""
    return float(np.median(np.asarray(values, dtype=np.float64))) if len(values) else None


def _mean(values: Sequence[float]) -> float | None:
    """Mean of ``values``, or None when empty."""
    return float(np.mean(np.asarray(values, dtype=np.float64))) if len(values) else None


# --------------------------------------------------------------------------------------------
# Per image
# --------------------------------------------------------------------------------------------
def image_metrics(
    pred: np.ndarray,
    ref: np.ndarray,
    pixel_mm: float,
    radius_mm: float = IDENTIFICATION_RADIUS_MM,
) -> dict:
    """Label-aware and original-compatible metrics of one image.

    Args:
        pred: predicted discs, float ``(NUM_DISCS, 2)`` of ``(row, col)`` in prepared-grid pixels,
            all-NaN row = absent; row index = disc number - 1.
        ref: reference discs, same layout.
        pixel_mm: pixel size of the prepared grid in mm (isotropic, > 0).
        radius_mm: identification radius in mm (a distance equal to it still identifies).

    Returns:
        JSON-safe dict with keys

        * ``n_ref``, ``n_pred``, ``n_identified`` (int);
        * ``errors_mm``: distances (mm) of the identified discs, in disc order;
        * ``false_positives`` (int) and ``all_correct`` (bool: every reference disc identified and
          no false positive; true for an image without reference discs and without FP);
        * ``per_disc``: one dict per disc present in ``pred`` or ``ref`` (ascending disc number)
          with ``disc``, ``ref_row``, ``ref_col``, ``pred_row``, ``pred_col`` (None if absent),
          ``error_mm`` (None unless both present), ``identified``, ``false_positive``;
        * original-compatible: ``dtt_mm`` (per reference point in disc order, distance in mm to
          the nearest prediction of any number; empty when there is no prediction), ``orig_fn``,
          ``orig_fp`` (int);
        * ``pixel_mm``, ``radius_mm``: the parameters used.

    Raises:
        ValueError: malformed arrays or a non-positive ``pixel_mm`` / ``radius_mm``.
    """
    if not (math.isfinite(pixel_mm) and pixel_mm > 0):
        raise ValueError(f"pixel_mm must be a positive finite number, got {pixel_mm}")
    if not (math.isfinite(radius_mm) and radius_mm > 0):
        raise ValueError(f"radius_mm must be a positive finite number, got {radius_mm}")
    pred, pred_present = _check_keypoints(pred, "pred")
    ref, ref_present = _check_keypoints(ref, "ref")

    # Label-aware: same disc number only.
    same_disc_mm = np.linalg.norm(pred - ref, axis=1) * pixel_mm  # NaN unless both present
    both = pred_present & ref_present
    identified = both & (np.where(both, same_disc_mm, np.inf) <= radius_mm)
    ref_discs = np.flatnonzero(ref_present)
    in_range = np.zeros(NUM_DISCS, dtype=bool)
    if ref_discs.size:  # labelled range [min ref disc, max ref disc]; empty without reference
        in_range[ref_discs.min() : ref_discs.max() + 1] = True
    false_positive = pred_present & in_range & ~identified

    per_disc = []
    for idx in np.flatnonzero(pred_present | ref_present):
        per_disc.append(
            {
                "disc": int(idx + 1),
                "ref_row": float(ref[idx, 0]) if ref_present[idx] else None,
                "ref_col": float(ref[idx, 1]) if ref_present[idx] else None,
                "pred_row": float(pred[idx, 0]) if pred_present[idx] else None,
                "pred_col": float(pred[idx, 1]) if pred_present[idx] else None,
                "error_mm": float(same_disc_mm[idx]) if both[idx] else None,
                "identified": bool(identified[idx]),
                "false_positive": bool(false_positive[idx]),
            }
        )

    # Original-compatible: label-blind nearest neighbours.
    ref_pts = ref[ref_present]  # (R, 2)
    pred_pts = pred[pred_present]  # (P, 2)
    if len(ref_pts) and len(pred_pts):
        diff = ref_pts[:, None, :] - pred_pts[None, :, :]  # (R, P, 2) in (row, col)
        dist_px = np.linalg.norm(diff, axis=2)  # (R, P)
        nearest = np.argmin(dist_px, axis=1)  # (R,)
        rows = np.arange(len(ref_pts))
        dtt_mm = (dist_px[rows, nearest] * pixel_mm).tolist()
        orig_fn = int(np.count_nonzero(np.abs(diff[rows, nearest, 0]) > ORIGINAL_FN_PX))
        min_row_gap = np.abs(diff[:, :, 0]).min(axis=0)  # (P,) nearest reference, row direction
        orig_fp = int(np.count_nonzero(min_row_gap > ORIGINAL_FP_PX))
    else:
        dtt_mm = []
        orig_fn = len(ref_pts)  # no prediction: every reference point is missed
        orig_fp = len(pred_pts)  # no reference: every prediction is false

    n_ref = int(ref_present.sum())
    n_identified = int(identified.sum())
    n_fp = int(false_positive.sum())
    return {
        "n_ref": n_ref,
        "n_pred": int(pred_present.sum()),
        "n_identified": n_identified,
        "errors_mm": [float(same_disc_mm[i]) for i in np.flatnonzero(identified)],
        "false_positives": n_fp,
        "all_correct": bool(n_identified == n_ref and n_fp == 0),
        "per_disc": per_disc,
        "dtt_mm": [float(d) for d in dtt_mm],
        "orig_fn": orig_fn,
        "orig_fp": orig_fp,
        "pixel_mm": float(pixel_mm),
        "radius_mm": float(radius_mm),
    }


# --------------------------------------------------------------------------------------------
# Over images
# --------------------------------------------------------------------------------------------
def volume_metrics(pred_world: dict[int, Sequence[float]], ref_world: dict[int, Sequence[float]],
                   axes: np.ndarray, radius_mm: float = IDENTIFICATION_RADIUS_MM) -> dict:
    """:func:`image_metrics` of discs given in world mm (``{disc number: (x, y, z)}``), compared
    in the sagittal plane of a volume: ``axes`` (2, 3) are its superior->inferior and
    anterior->posterior unit vectors (left-right is ignored). Pixel units are mm, so the
    original-compatible thresholds read as mm. Adds ``errors_3d_mm``: the 3-D distance (mm) of
    each identified disc, in disc order (whether each disc sits in its own left-right place)."""
    def project(points: dict[int, Sequence[float]]) -> np.ndarray:
        out = np.full((NUM_DISCS, 2), np.nan)
        for number, xyz in points.items():
            if 1 <= int(number) <= NUM_DISCS:
                out[int(number) - 1] = np.asarray(axes, np.float64) @ np.asarray(xyz, np.float64)
        return out

    metrics = image_metrics(project(pred_world), project(ref_world), 1.0, radius_mm)
    identified = [e["disc"] for e in metrics["per_disc"] if e["identified"]]
    metrics["errors_3d_mm"] = [
        float(np.linalg.norm(np.subtract(pred_world[n], ref_world[n], dtype=np.float64)))
        for n in identified]
    return metrics


def aggregate(results: Sequence[dict]) -> dict:
    """Summarise :func:`image_metrics` dicts over a set of images.

    Errors and DTT values are pooled over all images before the median/mean is taken.

    Returns:
        JSON-safe dict: ``n_images``, ``n_ref``, ``n_pred``, ``n_identified``,
        ``identification_rate`` (identified / reference discs, fraction in [0, 1]),
        ``median_error_mm``, ``mean_error_mm`` (over identified discs), ``median_error_3d_mm``
        (over the identified discs of volumes scored in 3-D, :func:`volume_metrics`),
        ``false_positives``
        (total), ``fp_per_image``, ``all_correct_rate`` (fraction of images), and
        original-compatible ``dtt_median_mm``, ``orig_fn``, ``orig_fp`` (totals),
        ``fnr_percent`` (orig_fn / n_ref * 100) and ``fpr_percent`` (orig_fp / n_ref * 100: as in
        the original paper, a percentage of *reference* points). A value whose denominator is
        zero, or whose sample is empty, is None. ``radius_mm`` is the common identification
        radius, or None when the images used different radii (or there are none).
    """
    n_images = len(results)
    n_ref = sum(int(r["n_ref"]) for r in results)
    n_pred = sum(int(r["n_pred"]) for r in results)
    n_identified = sum(int(r["n_identified"]) for r in results)
    errors = [float(e) for r in results for e in r["errors_mm"]]
    errors_3d = [float(e) for r in results for e in r.get("errors_3d_mm", [])]
    dtt = [float(d) for r in results for d in r["dtt_mm"]]
    false_positives = sum(int(r["false_positives"]) for r in results)
    n_all_correct = sum(bool(r["all_correct"]) for r in results)
    orig_fn = sum(int(r["orig_fn"]) for r in results)
    orig_fp = sum(int(r["orig_fp"]) for r in results)
    radii = {float(r["radius_mm"]) for r in results if "radius_mm" in r}
    return {
        "n_images": n_images,
        "n_ref": n_ref,
        "n_pred": n_pred,
        "n_identified": n_identified,
        "identification_rate": _ratio(n_identified, n_ref),
        "median_error_mm": _median(errors),
        "mean_error_mm": _mean(errors),
        "median_error_3d_mm": _median(errors_3d),
        "false_positives": false_positives,
        "fp_per_image": _ratio(false_positives, n_images),
        "all_correct_rate": _ratio(n_all_correct, n_images),
        "radius_mm": radii.pop() if len(radii) == 1 else None,
        "dtt_median_mm": _median(dtt),
        "orig_fn": orig_fn,
        "orig_fp": orig_fp,
        "fnr_percent": _ratio(orig_fn, n_ref, PERCENT),
        "fpr_percent": _ratio(orig_fp, n_ref, PERCENT),
    }


def per_disc_table(results: Sequence[dict]) -> list[dict]:
    """Per-disc-number summary over :func:`image_metrics` dicts.

    Returns:
        One JSON-safe row per disc number present in any reference, ascending: ``disc``,
        ``name`` (``DISC_NAMES[disc - 1]``), ``n_ref``, ``n_identified``, ``identification_rate``
        (fraction), ``median_error_mm``, ``mean_error_mm`` (None when none identified).
    """
    n_ref: dict[int, int] = {}
    errors: dict[int, list[float]] = {}
    for result in results:
        for entry in result["per_disc"]:
            if entry["ref_row"] is None:
                continue
            disc = int(entry["disc"])
            n_ref[disc] = n_ref.get(disc, 0) + 1
            errors.setdefault(disc, [])
            if entry["identified"]:
                errors[disc].append(float(entry["error_mm"]))
    table = []
    for disc in sorted(n_ref):
        disc_errors = errors[disc]
        table.append(
            {
                "disc": disc,
                "name": DISC_NAMES[disc - 1],
                "n_ref": n_ref[disc],
                "n_identified": len(disc_errors),
                "identification_rate": _ratio(len(disc_errors), n_ref[disc]),
                "median_error_mm": _median(disc_errors),
                "mean_error_mm": _mean(disc_errors),
            }
        )
    return table


# --------------------------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------------------------
def _fmt(value: float | int | None, unit: str = "", scale: float = 1.0, digits: int = 2) -> str:
    """Format a number (scaled) with a unit, or ``n/a`` for None."""
    if value is None:
        return _MISSING
    if isinstance(value, int) and scale == 1.0:
        return f"{value}{unit}"
    return f"{float(value) * scale:.{digits}f}{unit}"


def format_table(summary: dict, title: str) -> str:
    """Fixed-width plain-text table of an :func:`aggregate` summary.

    The label-aware section comes first, then the original-compatible (label-blind) section.
    Rates are shown as percentages; missing values as ``n/a``.
    """
    radius = summary.get("radius_mm")
    radius_text = f"{radius:g} mm" if radius is not None else "mixed radii"
    sections = [
        (
            f"Label-aware (by disc number, identified within {radius_text})",
            [
                ("Images", _fmt(summary["n_images"])),
                ("Reference discs", _fmt(summary["n_ref"])),
                ("Predicted discs", _fmt(summary["n_pred"])),
                ("Identified discs", _fmt(summary.get("n_identified"))),
                ("Identification rate", _fmt(summary["identification_rate"], " %", PERCENT)),
                ("Median error (identified)", _fmt(summary["median_error_mm"], " mm")),
                ("Mean error (identified)", _fmt(summary["mean_error_mm"], " mm")),
                ("False positives", _fmt(summary["false_positives"])),
                ("False positives per image", _fmt(summary["fp_per_image"])),
                ("Images all correct", _fmt(summary["all_correct_rate"], " %", PERCENT)),
            ],
        ),
        (
            "Original-compatible (label-blind, for comparison only)",
            [
                ("DTT median", _fmt(summary["dtt_median_mm"], " mm")),
                ("FNR (% of reference points)", _fmt(summary["fnr_percent"], " %")),
                ("FPR (% of reference points)", _fmt(summary["fpr_percent"], " %")),
            ],
        ),
    ]
    width = max([_LABEL_WIDTH + _VALUE_WIDTH, len(title)] + [len(h) for h, _ in sections])
    lines = [title, "=" * width]
    for heading, rows in sections:
        lines += ["", heading, "-" * width]
        lines += [f"{label:<{_LABEL_WIDTH}}{value:>{_VALUE_WIDTH}}" for label, value in rows]
    return "\n".join(lines) + "\n"
