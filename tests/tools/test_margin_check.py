"""tools/margin_check.py: margins of the volumes named right and wrong, over report parts."""

from __future__ import annotations

import json

import pytest

from conftest import tool_module


@pytest.fixture(scope="module")
def margin_check():
    return tool_module("margin_check")


def _volume(identified: int, ref: int, fp: int, margin: float | None) -> dict:
    return {"n_identified": identified, "n_ref": ref, "false_positives": fp,
            "offset_margin_nats": margin}


def test_counts_low_margins_among_right_and_wrong_volumes(margin_check, tmp_path, capsys):
    part = {"volumes": [_volume(8, 8, 0, 5.0), _volume(0, 3, 2, 0.8), _volume(0, 4, 0, None)],
            "robustness": {"noise": {"volumes": [_volume(9, 9, 0, 1.2), _volume(5, 9, 1, 4.1)]}}}
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"a": part, "b": {"volumes": [_volume(3, 3, 0, 2.0)],
                                                   "robustness": {}}}))
    assert margin_check.main(["--report", str(report), "--parts", "a", "b"]) == 0
    out = capsys.readouterr().out.splitlines()
    # a volume without a chain (margin None) has no numbering to flag
    assert out[0] == "named wholly right: 3 volumes, 2 with a margin below 3 nats (margins 1.2-5.0)"
    assert out[1] == "not: 2 volumes, 1 with a margin below 3 nats (margins 0.8-4.1)"
    assert out[2] == "wrong volumes' margins: 0.8, 4.1"
