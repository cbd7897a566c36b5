"""The synthetic dataset goes through create_dataset, prepare_trainset, main and test unchanged."""

from __future__ import annotations

import json

import pytest

from disclabel.cli import create_dataset, prepare_trainset
from disclabel.cli import main as train_cli
from disclabel.cli import test as test_cli


@pytest.mark.slow
def test_synthetic_dataset_through_the_whole_chain(tmp_path, capsys):
    ds = tmp_path / "ds"
    assert create_dataset.main(["--synthetic", "4", "--seed", "3", "--out", str(ds),
                                "--quiet"]) == 0
    manifest = json.loads((ds / "dataset.json").read_text())
    assert len(manifest["entries"]) == 8 and not manifest["skipped"]
    assert {e["contrast"] for e in manifest["entries"]} == {"T1w", "T2w"}
    assert (ds / "bids" / "sub-syn001" / "anat" / "sub-syn001_T2w.nii.gz").exists()
    prep = tmp_path / "prep"
    assert prepare_trainset.main(["--source", str(ds), "--target", str(prep), "--grid", "128",
                                  "128", "--pixel-mm", "2", "--split", "0.5", "0.25", "0.25",
                                  "--no-progress"]) == 0
    run = tmp_path / "run"
    assert train_cli.main(["--datapath", str(prep), "--out", str(run), "--epochs", "1",
                           "--features", "16", "--stacks", "1", "--train-batch", "4",
                           "--synthetic-ratio", "0.3", "--progress", "false",
                           "--device", "cpu"]) == 0
    assert test_cli.main(["--datapath", str(prep), "--checkpoint", str(run / "best.pt"),
                          "--out", str(tmp_path / "test"), "--progress", "false",
                          "--device", "cpu"]) == 0
    doc = json.loads((tmp_path / "test" / "metrics.json").read_text())
    assert doc["summary"]["all"]["n_ref"] > 0


def test_synthetic_flag_errors(tmp_path, capsys):
    assert create_dataset.main(["--synthetic", "0", "--out", str(tmp_path / "d")]) == 1
    assert "--synthetic 0" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()
