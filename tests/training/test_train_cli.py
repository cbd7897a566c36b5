"""main.py, test.py and make_res_gif.py end to end on a tiny prepared set in tmp_path."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch

from disclabel.cli import main as main_cli
from disclabel.cli import test as test_cli
from disclabel.model.checkpoint import export_model, model_from_checkpoint, read_checkpoint

TINY = ["--features", "16", "--stacks", "1", "--train-batch", "2", "--progress", "false",
        "--device", "cpu", "--window", "64", "64"]


@pytest.fixture(scope="module")
def run_dir(prepared, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "run"
    assert main_cli.main(["--datapath", str(prepared), "--out", str(out), "--epochs", "2",
                          *TINY]) == 0
    return out


def test_training_run_writes_every_file(run_dir):
    for name in ["config.json", "train.log", "metrics.csv", "last.pt", "best.pt",
                 "val_images/epoch_001.png", "val_images/epoch_002.png"]:
        assert (run_dir / name).exists(), name
    rows = list(csv.DictReader(open(run_dir / "metrics.csv")))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert {"train_loss", "val_loss", "val_identification_rate", "val_median_error_mm", "lr",
            "seconds"} <= set(rows[0])
    ckpt = read_checkpoint(run_dir / "last.pt")
    assert ckpt["epoch"] == 2 and ckpt["model_config"]["features"] == 16
    assert not any(k.startswith("module.") for k in ckpt["model"])
    config = json.loads((run_dir / "config.json").read_text())
    assert config["att"] is True and config["train_batch"] == 2
    assert config["workers"] == "auto"  # the default: no loader process on a CPU
    assert "samples, 0 loader workers" in (run_dir / "train.log").read_text()


def test_resume_continues_from_saved_epoch(prepared, run_dir, tmp_path):
    out = tmp_path / "resumed"
    out.mkdir()
    for name in ("last.pt", "metrics.csv"):
        (out / name).write_bytes((run_dir / name).read_bytes())
    assert main_cli.main(["--datapath", str(prepared), "--out", str(out), "--epochs", "3",
                          "--resume", "true", *TINY]) == 0
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert read_checkpoint(out / "last.pt")["epoch"] == 3
    assert "resumed at epoch 2" in (out / "train.log").read_text()


def test_attention_checkpoint_refuses_model_without_attention(prepared, run_dir, tmp_path,
                                                             capsys):
    code = main_cli.main(["--datapath", str(prepared), "--out", str(tmp_path / "x"),
                          "--epochs", "3", "--resume", str(run_dir / "last.pt"),
                          "--att", "false", *TINY])
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert "attention=True in the checkpoint but False here" in err and "\n" not in err


def test_oblique_ratio_adds_slices_of_the_training_volumes_changed_in_3d(prepared, tmp_path):
    """--oblique-ratio 0.5: as many items as the real ones come from the training volumes
    (found through the prepared folder's manifest and split) turned and bent in 3-D."""
    out = tmp_path / "oblique"
    assert main_cli.main(["--datapath", str(prepared), "--out", str(out), "--epochs", "1",
                          "--oblique-ratio", "0.5", *TINY]) == 0
    plain = int(json.loads((prepared / "meta.json").read_text())["counts"]["train"]["samples"])
    assert f"{2 * plain} training" in (out / "train.log").read_text()


def test_att_false_builds_a_model_without_attention(prepared, tmp_path):
    out = tmp_path / "noatt"
    assert main_cli.main(["--datapath", str(prepared), "--out", str(out), "--epochs", "1",
                          "--att", "false", "--train_batch", "2", "--features", "16",
                          "-s", "1", "--progress", "no", "--device", "cpu"]) == 0
    ckpt = read_checkpoint(out / "best.pt")
    assert ckpt["model_config"]["attention"] is False
    assert not any("attention" in k for k in ckpt["model"])


def test_evaluate_and_attshow(run_dir, prepared, capsys):
    assert main_cli.main(["--datapath", str(prepared), "--out", str(run_dir),
                          "--evaluate", "true", "--attshow", "true", "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "identification rate" in printed.lower()
    assert (run_dir / "evaluate" / "metrics.json").exists()
    assert len(list((run_dir / "attention").glob("*.png"))) >= 1


def test_test_script_writes_metrics_and_pictures(run_dir, prepared, tmp_path, capsys):
    out = tmp_path / "test"
    assert test_cli.main(["--datapath", str(prepared), "--checkpoint", str(run_dir / "best.pt"),
                          "--out", str(out), "--visualize", "true", "--device", "cpu",
                          "--progress", "false"]) == 0
    printed = capsys.readouterr().out
    assert "T1w" in printed and "T2w" in printed and "DTT" in printed
    doc = json.loads((out / "metrics.json").read_text())
    assert set(doc["summary"]) == {"all", "T1w", "T2w"}
    assert doc["images"] and "n_identified" in doc["images"][0]
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert rows and {"contrast", "disc", "name", "identification_rate"} <= set(rows[0])
    assert len(list((out / "images").glob("*.png"))) == len(doc["images"])


def test_test_py_spacing_weight_is_used_for_the_run_and_then_restored(run_dir, prepared, tmp_path,
                                                                       monkeypatch, capsys):
    from disclabel.evaluation import scoring
    from disclabel.labeling import spacing as prior

    seen = []
    monkeypatch.setattr(scoring, "evaluate_checkpoint",
                        lambda *a, **k: seen.append(prior.SPACING_WEIGHT))
    before = prior.SPACING_WEIGHT
    common = ["--datapath", str(prepared), "--checkpoint", str(run_dir / "best.pt"), "--out",
              str(tmp_path / "t"), "--device", "cpu", "--progress", "false"]
    assert test_cli.main([*common, "--spacing-weight", "0"]) == 0
    assert test_cli.main(common) == 0
    assert seen == [0.0, before] and prior.SPACING_WEIGHT == before
    assert test_cli.main([*common, "--spacing-weight", "-1"]) == 1
    err = capsys.readouterr().err.strip()
    assert "--spacing-weight" in err and "\n" not in err


def test_make_res_gif_on_run_folder(run_dir):
    from disclabel.cli import make_res_gif

    assert make_res_gif.main(["--input", str(run_dir), "--out", str(run_dir / "p.gif")]) == 0
    assert (run_dir / "p.gif").stat().st_size > 0


@pytest.mark.parametrize("argv,needle", [
    (["--epochs", "0"], "--epochs"),
    (["--synthetic-ratio", "2"], "--synthetic-ratio"),
    (["--attshow", "true"], "--evaluate"),
    (["--ema", "1"], "--ema"),
    (["--ema", "-0.5"], "--ema"),
    (["--intensity-map-p", "1.5"], "--intensity-map-p"),
    (["--tissue-contrast-p", "-0.1"], "--tissue-contrast-p"),
    (["--oblique-ratio", "1"], "--oblique-ratio"),
    (["--disc-weight", "25"], "--disc-weight 25"),
    (["--disc-weight", "26:2"], "--disc-weight 26:2"),
    (["--disc-weight", "25:0"], "--disc-weight 25:0"),
    (["--device", "cuda:7"] if not torch.cuda.is_available() else ["--epochs", "-1"], "--"),
])
def test_bad_arguments(prepared, tmp_path, capsys, argv, needle):
    assert main_cli.main(["--datapath", str(prepared), "--out", str(tmp_path / "r"),
                          "--progress", "false", *argv]) == 1
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err


@pytest.mark.parametrize("argv", [["--att", "maybe"], ["--solver", "sgd"], ["--nope"],
                                  ["--workers", "-1"], ["--workers", "many"]])
def test_bad_flags(argv):
    with pytest.raises(SystemExit) as info:
        main_cli.main(argv)
    assert info.value.code == 2


def test_missing_checkpoint(tmp_path, capsys):
    assert test_cli.main(["--checkpoint", str(tmp_path / "none.pt")]) == 1
    assert "checkpoint not found" in capsys.readouterr().err


def test_checkpoint_loads_with_weights_only(run_dir):
    ckpt = torch.load(run_dir / "best.pt", weights_only=True)
    assert "model" in ckpt and "optimizer" in ckpt


def test_validation_every_n_epochs(prepared, tmp_path):
    out = tmp_path / "run"
    assert main_cli.main(["--datapath", str(prepared), "--out", str(out), "--epochs", "3",
                          "--val-every", "2", *TINY]) == 0
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert [bool(r["val_loss"]) for r in rows] == [False, True, True]  # epoch 2 and the last


def test_exported_model_is_small_half_precision_and_predicts_the_same(run_dir, tmp_path):
    target = tmp_path / "shipped.pt"
    export_model(run_dir / "last.pt", target, {"note": "test"})
    ckpt = torch.load(target, map_location="cpu", weights_only=True)
    assert all(v.dtype == torch.float16 for v in ckpt["model"].values() if v.is_floating_point())
    assert "optimizer" not in ckpt and ckpt["card"] == {"note": "test"}
    assert target.stat().st_size < 0.7 * (run_dir / "last.pt").stat().st_size
    shipped, _ = model_from_checkpoint(target)
    original, _ = model_from_checkpoint(run_dir / "last.pt")
    x = torch.rand(2, 1, 64, 64)
    with torch.no_grad():
        assert next(shipped.parameters()).dtype == torch.float32
        assert torch.allclose(shipped(x)[-1], original(x)[-1], atol=2e-2)


def test_test_py_and_evaluate_default_to_the_shipped_model(run_dir, prepared, tmp_path,
                                                           monkeypatch, capsys):
    import disclabel.labeling.runtime

    shipped = tmp_path / "shipped.pt"
    export_model(run_dir / "last.pt", shipped, {})
    monkeypatch.setattr(disclabel.labeling.runtime, "default_weights", lambda: shipped)
    monkeypatch.chdir(tmp_path)
    assert test_cli.main(["--datapath", str(prepared), "--device", "cpu", "--progress",
                          "false"]) == 0
    doc = json.loads((tmp_path / "runs" / "shipped_test" / "metrics.json").read_text())
    assert doc["checkpoint"] == str(shipped)
    assert main_cli.main(["--datapath", str(prepared), "--evaluate", "true",
                          "--device", "cpu"]) == 0
    assert "evaluating the shipped model" in capsys.readouterr().out
    assert (tmp_path / "runs" / "evaluate_shipped" / "evaluate" / "metrics.json").exists()
    # without a shipped model the message says how to get one
    monkeypatch.setattr(disclabel.labeling.runtime, "default_weights", lambda: tmp_path / "none.pt")
    assert test_cli.main(["--datapath", str(prepared), "--device", "cpu"]) == 1
    assert "make model" in capsys.readouterr().err


@pytest.mark.parametrize("workers", ["auto", "2"])
def test_same_seed_same_weights_on_the_cpu(prepared, tmp_path, workers):
    """Training is deterministic on the CPU: the same seed gives bit-identical weights, with
    the augmentation in this process (auto on a CPU) or in loader processes (each epoch's
    workers seeded from the loader's generator; the synthetic pool drawn by 2 processes)."""
    states = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert main_cli.main(["--datapath", str(prepared), "--out", str(out), "--epochs", "2",
                              "--synthetic-ratio", "0.5", "--synthetic-pool", "4",
                              "--workers", workers, *TINY]) == 0
        states.append(read_checkpoint(out / "last.pt")["model"])
        count = 0 if workers == "auto" else int(workers)
        assert f"samples, {count} loader workers" in (out / "train.log").read_text()
    assert states[0].keys() == states[1].keys()
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])


def _weights(path: Path) -> dict[str, torch.Tensor]:
    """The learnt weights of a checkpoint (no batch-norm statistics)."""
    return {k: v for k, v in read_checkpoint(path)["model"].items()
            if v.is_floating_point() and "running_" not in k}


def test_ema_leaves_the_training_unchanged_and_follows_its_weights(prepared, tmp_path):
    """``--ema`` only watches: the trained weights are bit-identical with and without it; with
    a decay near 0 the average is the last weights (every step reaches it), with 0.9 it lags
    behind them; its batch-norm statistics are recomputed, not the training's; without the
    flag no ema.pt is written."""
    runs = {}
    for name, extra in (("off", []), ("tiny", ["--ema", "1e-12"]), ("slow", ["--ema", "0.9"])):
        runs[name] = tmp_path / name
        assert main_cli.main(["--datapath", str(prepared), "--out", str(runs[name]),
                              "--epochs", "2", *extra, *TINY]) == 0
    assert not (runs["off"] / "ema.pt").exists()
    last = _weights(runs["off"] / "last.pt")
    for name in ("tiny", "slow"):
        assert all(torch.equal(v, _weights(runs[name] / "last.pt")[k]) for k, v in last.items())
    tiny, slow = _weights(runs["tiny"] / "ema.pt"), _weights(runs["slow"] / "ema.pt")
    assert tiny.keys() == last.keys() == slow.keys()
    assert all(torch.allclose(tiny[k], v, rtol=1e-5, atol=1e-6) for k, v in last.items())
    assert max(float((slow[k] - v).abs().max()) for k, v in last.items()) > 1e-3
    stats = {k: v for k, v in read_checkpoint(runs["tiny"] / "ema.pt")["model"].items()
             if "running_mean" in k}
    trained = read_checkpoint(runs["off"] / "last.pt")["model"]
    assert stats and all(torch.isfinite(v).all() for v in stats.values())
    assert any(not torch.allclose(v, trained[k]) for k, v in stats.items())
    ema, _ = model_from_checkpoint(runs["slow"] / "ema.pt")  # label.py loads it as it is
    saved = read_checkpoint(runs["slow"] / "ema.pt")
    assert saved["ema_decay"] == 0.9 and saved["epoch"] == 2 and saved["ema_steps"] > 2
    assert ema.config == model_from_checkpoint(runs["off"] / "last.pt")[0].config
