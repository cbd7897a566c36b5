"""Tests of disclabel.evaluation.metrics on hand-built keypoint arrays (DESIGN section 5)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from disclabel.constants import (
    DISC_NAMES,
    IDENTIFICATION_RADIUS_MM,
    NUM_DISCS,
    ORIGINAL_FN_PX,
    ORIGINAL_FP_PX,
)
from disclabel.evaluation.metrics import (
    aggregate,
    format_table,
    image_metrics,
    per_disc_table,
    volume_metrics,
)

DISC_SPACING_PX = 20.0  # rows between consecutive discs of the synthetic spine
TOP_ROW_PX = 30.0
COL_PX = 120.0


def empty() -> np.ndarray:
    """All-absent keypoints, (NUM_DISCS, 2) of (row, col)."""
    return np.full((NUM_DISCS, 2), np.nan, dtype=np.float32)


def spine(discs: range | list[int]) -> np.ndarray:
    """Keypoints with the given disc numbers present on a vertical line, DISC_SPACING_PX apart."""
    points = empty()
    for disc in discs:
        points[disc - 1] = (TOP_ROW_PX + (disc - 1) * DISC_SPACING_PX, COL_PX)
    return points


def json_roundtrip(obj: object) -> object:
    """Fails when obj is not strictly JSON-serialisable (NaN included)."""
    return json.loads(json.dumps(obj, allow_nan=False))


# ---------------------------------------------------------------------------------------------
# image_metrics
# ---------------------------------------------------------------------------------------------
def test_perfect_prediction():
    ref = spine(range(3, 11))
    m = image_metrics(ref.copy(), ref, pixel_mm=1.0)
    assert (m["n_ref"], m["n_pred"], m["n_identified"]) == (8, 8, 8)
    assert m["errors_mm"] == [0.0] * 8
    assert m["false_positives"] == 0 and m["all_correct"] is True
    assert m["dtt_mm"] == [0.0] * 8
    assert (m["orig_fn"], m["orig_fp"]) == (0, 0)
    assert [e["disc"] for e in m["per_disc"]] == list(range(3, 11))
    assert all(e["identified"] and not e["false_positive"] for e in m["per_disc"])


def test_one_level_off_is_wrong_label_aware_but_perfect_label_blind():
    """Every disc predicted at the next disc's place: the central point of the design."""
    ref = spine(range(3, 11))
    pred = empty()
    for disc in range(3, 11):  # disc n is predicted where disc n+1 really is
        pred[disc - 1] = (TOP_ROW_PX + disc * DISC_SPACING_PX, COL_PX)
    m = image_metrics(pred, ref, pixel_mm=1.0)
    assert m["n_identified"] == 0
    assert m["errors_mm"] == []
    assert m["false_positives"] == 8  # discs 3..10 all in range [3, 10], all 20 mm off
    assert m["all_correct"] is False
    # Label-blind: discs 4..10 have a prediction exactly on them; disc 3's nearest is 20 px away.
    assert m["dtt_mm"] == pytest.approx([DISC_SPACING_PX] + [0.0] * 7)
    assert float(np.median(m["dtt_mm"])) == pytest.approx(0.0)
    assert m["orig_fn"] == 1
    assert m["orig_fp"] == 1  # the prediction below disc 10 is 20 px from every reference
    summary = aggregate([m])
    assert summary["identification_rate"] == 0.0
    assert summary["dtt_median_mm"] == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("offset_px", "pixel_mm", "identified"),
    [
        ((4.0, 0.0), 1.0, True),  # 4 mm along rows
        ((0.0, 6.0), 1.0, False),  # 6 mm along cols
        ((3.0, 4.0), 1.0, True),  # exactly 5 mm: boundary is inclusive
        ((3.0, 4.01), 1.0, False),  # just over 5 mm
        ((8.0, 0.0), 0.5, True),  # 8 px * 0.5 mm = 4 mm
        ((12.0, 0.0), 0.5, False),  # 12 px * 0.5 mm = 6 mm
        ((0.0, 2.0), 2.0, True),  # 4 mm
        ((0.0, 3.0), 2.0, False),  # 6 mm
    ],
)
def test_identification_radius(offset_px, pixel_mm, identified):
    ref = spine([5])
    pred = ref.copy()
    pred[4] += np.asarray(offset_px, dtype=np.float32)
    m = image_metrics(pred, ref, pixel_mm=pixel_mm)
    expected_mm = math.hypot(*offset_px) * pixel_mm
    assert m["n_identified"] == int(identified)
    assert m["false_positives"] == int(not identified)  # disc 5 is inside the range [5, 5]
    assert m["all_correct"] is identified
    assert m["per_disc"][0]["error_mm"] == pytest.approx(expected_mm, abs=1e-5)
    assert m["dtt_mm"] == pytest.approx([expected_mm], abs=1e-5)
    if identified:
        assert m["errors_mm"] == pytest.approx([expected_mm], abs=1e-5)
    else:
        assert m["errors_mm"] == []


def test_custom_radius():
    ref = spine([5])
    pred = ref.copy()
    pred[4, 0] += 6.0
    assert image_metrics(pred, ref, 1.0)["n_identified"] == 0
    assert image_metrics(pred, ref, 1.0, radius_mm=7.0)["n_identified"] == 1
    assert IDENTIFICATION_RADIUS_MM == 5.0


def test_empty_prediction():
    ref = spine(range(3, 8))
    m = image_metrics(empty(), ref, pixel_mm=1.0)
    assert (m["n_ref"], m["n_pred"], m["n_identified"]) == (5, 0, 0)
    assert m["false_positives"] == 0 and m["all_correct"] is False
    assert m["dtt_mm"] == []
    assert (m["orig_fn"], m["orig_fp"]) == (5, 0)
    assert all(e["pred_row"] is None and e["error_mm"] is None for e in m["per_disc"])


def test_empty_reference():
    """No reference: the labelled range is empty, so no label-aware FP; all predictions are
    original-compatible FPs."""
    m = image_metrics(spine(range(3, 8)), empty(), pixel_mm=1.0)
    assert (m["n_ref"], m["n_pred"], m["n_identified"]) == (0, 5, 0)
    assert m["false_positives"] == 0 and m["all_correct"] is True
    assert m["dtt_mm"] == []
    assert (m["orig_fn"], m["orig_fp"]) == (0, 5)
    assert all(e["ref_row"] is None and not e["false_positive"] for e in m["per_disc"])


def test_both_empty():
    m = image_metrics(empty(), empty(), pixel_mm=1.0)
    assert (m["n_ref"], m["n_pred"], m["n_identified"], m["false_positives"]) == (0, 0, 0, 0)
    assert m["all_correct"] is True
    assert m["per_disc"] == [] and m["dtt_mm"] == [] and m["errors_mm"] == []
    assert (m["orig_fn"], m["orig_fp"]) == (0, 0)


def test_false_positive_only_inside_labelled_range():
    ref = spine([3, 4, 6, 7])  # labelled range [3, 7], disc 5 has no reference
    pred = spine([2, 3, 4, 5, 6, 7, 8])
    m = image_metrics(pred, ref, pixel_mm=1.0)
    flags = {e["disc"]: e["false_positive"] for e in m["per_disc"]}
    assert flags == {2: False, 3: False, 4: False, 5: True, 6: False, 7: False, 8: False}
    assert m["false_positives"] == 1
    assert m["n_identified"] == 4 and m["all_correct"] is False
    # Without the inside prediction (disc 5) the image is all correct despite discs 2 and 8.
    pred[4] = np.nan
    m = image_metrics(pred, ref, pixel_mm=1.0)
    assert m["false_positives"] == 0 and m["all_correct"] is True


def test_per_disc_entries():
    ref = spine([3, 4])
    pred = spine([4, 9])
    pred[3, 1] += 2.0  # disc 4 is 2 px posterior
    m = image_metrics(pred, ref, pixel_mm=1.5)
    by_disc = {e["disc"]: e for e in m["per_disc"]}
    assert sorted(by_disc) == [3, 4, 9]
    assert by_disc[3]["pred_row"] is None and by_disc[3]["error_mm"] is None
    assert by_disc[3]["ref_row"] == pytest.approx(TOP_ROW_PX + 2 * DISC_SPACING_PX)
    assert by_disc[4]["pred_col"] == pytest.approx(COL_PX + 2.0)
    assert by_disc[4]["error_mm"] == pytest.approx(3.0)
    assert by_disc[4]["identified"] is True
    assert by_disc[9]["ref_col"] is None and by_disc[9]["false_positive"] is False


def test_original_thresholds_use_row_direction_only():
    ref = spine([5])
    # Nearest prediction far in columns but within ORIGINAL_FN_PX in rows: not a FN.
    pred = empty()
    pred[4] = ref[4] + np.asarray([ORIGINAL_FN_PX, 50.0], dtype=np.float32)
    m = image_metrics(pred, ref, pixel_mm=1.0)
    assert m["orig_fn"] == 0 and m["orig_fp"] == 0
    pred[4] = ref[4] + np.asarray([ORIGINAL_FN_PX + 0.5, 0.0], dtype=np.float32)
    m = image_metrics(pred, ref, pixel_mm=1.0)
    assert m["orig_fn"] == 1 and m["orig_fp"] == 0
    pred[4] = ref[4] + np.asarray([ORIGINAL_FP_PX + 0.5, 0.0], dtype=np.float32)
    m = image_metrics(pred, ref, pixel_mm=1.0)
    assert m["orig_fn"] == 1 and m["orig_fp"] == 1
    # pixel thresholds do not scale with pixel_mm, but DTT does
    m = image_metrics(pred, ref, pixel_mm=2.0)
    assert m["orig_fp"] == 1 and m["dtt_mm"] == pytest.approx([2 * (ORIGINAL_FP_PX + 0.5)])


@pytest.mark.parametrize(
    ("pred", "ref", "pixel_mm", "radius_mm"),
    [
        (np.zeros((24, 2)), np.zeros((NUM_DISCS, 2)), 1.0, 5.0),
        (np.zeros((NUM_DISCS, 2)), np.zeros((NUM_DISCS, 3)), 1.0, 5.0),
        (np.zeros((NUM_DISCS, 2)), np.zeros((NUM_DISCS, 2)), 0.0, 5.0),
        (np.zeros((NUM_DISCS, 2)), np.zeros((NUM_DISCS, 2)), 1.0, -1.0),
        (np.array([[np.nan, 1.0]] * NUM_DISCS), np.zeros((NUM_DISCS, 2)), 1.0, 5.0),
    ],
)
def test_invalid_input(pred, ref, pixel_mm, radius_mm):
    with pytest.raises(ValueError):
        image_metrics(pred, ref, pixel_mm, radius_mm)


# ---------------------------------------------------------------------------------------------
# aggregate / per_disc_table / format_table
# ---------------------------------------------------------------------------------------------
def _three_images() -> list[dict]:
    ref = spine([3, 4, 5])
    # Image A: perfect except disc 5 at 2 mm (rows), pixel 1 mm.
    pred_a = ref.copy()
    pred_a[4, 0] += 2.0
    # Image B: disc 3 at 4 mm, disc 4 missing, disc 5 at 9 mm (not identified, FP).
    pred_b = ref.copy()
    pred_b[2, 1] += 4.0
    pred_b[3] = np.nan
    pred_b[4, 0] += 9.0
    # Image C: no reference, one prediction.
    return [
        image_metrics(pred_a, ref, 1.0),
        image_metrics(pred_b, ref, 1.0),
        image_metrics(spine([7]), empty(), 1.0),
    ]


def test_aggregate_values():
    s = aggregate(_three_images())
    assert (s["n_images"], s["n_ref"], s["n_pred"], s["n_identified"]) == (3, 6, 6, 4)
    assert s["identification_rate"] == pytest.approx(4 / 6)
    assert s["median_error_mm"] == pytest.approx(1.0)  # errors 0, 0, 2, 4
    assert s["mean_error_mm"] == pytest.approx(1.5)
    assert s["false_positives"] == 1
    assert s["fp_per_image"] == pytest.approx(1 / 3)
    assert s["all_correct_rate"] == pytest.approx(2 / 3)  # A and C
    # DTT: A [0, 0, 2]; B disc 3 -> 4, disc 4 -> nearest pred (disc 3's, 20 px up, 4 px
    # posterior), disc 5 -> 9.
    assert s["dtt_median_mm"] == pytest.approx(3.0)
    # orig FN: B disc 5 (9 px rows) and B disc 4 (20 px rows) -> 2 of 6 reference points.
    assert s["orig_fn"] == 2 and s["fnr_percent"] == pytest.approx(100 * 2 / 6)
    # orig FP: C's lone prediction (no reference) -> 1 of 6 reference points.
    assert s["orig_fp"] == 1 and s["fpr_percent"] == pytest.approx(100 / 6)
    assert s["radius_mm"] == IDENTIFICATION_RADIUS_MM


def test_aggregate_none_handling():
    s = aggregate([])
    assert s["n_images"] == 0 and s["n_ref"] == 0
    for key in ("identification_rate", "median_error_mm", "mean_error_mm", "fp_per_image",
                "all_correct_rate", "dtt_median_mm", "fnr_percent", "fpr_percent", "radius_mm"):
        assert s[key] is None, key
    # References exist but nothing identified: rate 0, errors None.
    s = aggregate([image_metrics(empty(), spine([3, 4]), 1.0)])
    assert s["identification_rate"] == 0.0
    assert s["median_error_mm"] is None and s["mean_error_mm"] is None
    assert s["dtt_median_mm"] is None
    assert s["fnr_percent"] == 100.0 and s["fpr_percent"] == 0.0
    # Only predictions, no reference: ratios over n_ref are None, per-image ones are not.
    s = aggregate([image_metrics(spine([3]), empty(), 1.0)])
    assert s["identification_rate"] is None and s["fpr_percent"] is None
    assert s["fp_per_image"] == 0.0 and s["all_correct_rate"] == 1.0
    # Mixed radii
    ref = spine([3])
    s = aggregate([image_metrics(ref, ref, 1.0), image_metrics(ref, ref, 1.0, radius_mm=3.0)])
    assert s["radius_mm"] is None


def test_aggregate_accepts_json_roundtripped_results():
    results = _three_images()
    assert aggregate(json_roundtrip(results)) == aggregate(results)


def test_per_disc_table_numbers():
    table = per_disc_table(_three_images())
    assert [row["disc"] for row in table] == [3, 4, 5]  # disc 7 has no reference anywhere
    assert [row["name"] for row in table] == [DISC_NAMES[2], DISC_NAMES[3], DISC_NAMES[4]]
    by_disc = {row["disc"]: row for row in table}
    assert by_disc[3]["n_ref"] == 2 and by_disc[3]["n_identified"] == 2
    assert by_disc[3]["identification_rate"] == 1.0
    assert by_disc[3]["median_error_mm"] == pytest.approx(2.0)  # errors 0 and 4
    assert by_disc[3]["mean_error_mm"] == pytest.approx(2.0)
    assert by_disc[4]["n_identified"] == 1 and by_disc[4]["identification_rate"] == 0.5
    assert by_disc[4]["median_error_mm"] == pytest.approx(0.0)
    assert by_disc[5]["n_identified"] == 1
    assert by_disc[5]["mean_error_mm"] == pytest.approx(2.0)
    assert per_disc_table([]) == []
    none_found = per_disc_table([image_metrics(empty(), spine([6]), 1.0)])
    assert none_found == [
        {"disc": 6, "name": DISC_NAMES[5], "n_ref": 1, "n_identified": 0,
         "identification_rate": 0.0, "median_error_mm": None, "mean_error_mm": None}
    ]


def test_format_table():
    s = aggregate(_three_images())
    text = format_table(s, "Test split, T2w")
    lines = text.splitlines()
    assert lines[0] == "Test split, T2w"
    label_aware = next(i for i, line in enumerate(lines) if line.startswith("Label-aware"))
    original = next(i for i, line in enumerate(lines) if line.startswith("Original-compatible"))
    assert label_aware < original
    assert "66.67 %" in text  # identification rate
    assert "1.00 mm" in text  # median error
    assert "33.33 %" in text  # FNR
    rows = [line for line in lines[label_aware + 2 :] if line and not line.startswith(("-", "O"))]
    assert len({len(line) for line in rows}) == 1  # fixed width
    empty_text = format_table(aggregate([]), "empty")
    assert "n/a" in empty_text


def test_all_outputs_json_serialisable():
    results = _three_images() + [
        image_metrics(empty(), empty(), 1.0),
        image_metrics(empty(), spine([2]), 0.8),
    ]
    for result in results:
        json_roundtrip(result)
    json_roundtrip(aggregate(results))
    json_roundtrip(aggregate([]))
    json_roundtrip(per_disc_table(results))
    for result in results:  # no numpy scalar types sneak in
        assert all(type(v) in (int, float, bool, list) for v in result.values())


def test_volume_metrics_score_in_the_sagittal_plane_and_report_the_3d_error():
    """Left-right offsets do not change identification (the plane is superior-inferior x
    anterior-posterior) but do show in the 3-D error of each identified disc."""
    axes = np.array([[0.0, 0.0, -1.0], [0.0, -1.0, 0.0]])  # RAS world: inferior, posterior
    ref = {3: (0.0, 0.0, 100.0), 4: (0.0, 0.0, 80.0), 5: (0.0, 0.0, 60.0)}
    pred = {3: (4.0, 3.0, 100.0), 4: (-12.0, 0.0, 80.0), 5: (0.0, 0.0, 66.0)}
    metrics = volume_metrics(pred, ref, axes)
    assert metrics["n_identified"] == 2 and metrics["false_positives"] == 1
    assert metrics["errors_mm"] == pytest.approx([3.0, 0.0])
    assert metrics["errors_3d_mm"] == pytest.approx([5.0, 12.0])
    summary = aggregate([metrics, image_metrics(np.full((NUM_DISCS, 2), np.nan),
                                                np.full((NUM_DISCS, 2), np.nan), 1.0)])
    assert summary["median_error_3d_mm"] == pytest.approx(8.5)
