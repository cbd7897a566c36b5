"""make_res_gif.py: animations of a run's per-epoch pictures or of a folder of pictures."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from conftest import read_gif_frames
from disclabel.cli import make_res_gif
from disclabel.constants import NUM_DISCS
from disclabel.viz import animation, canvas, figures

EPOCHS = (1, 2, 10)


@pytest.fixture(autouse=True)
def _no_mp4(monkeypatch):
    """Only the GIF, whether or not imageio-ffmpeg happens to be installed."""
    monkeypatch.setattr(animation, "ffmpeg_available", lambda: False)


def _picture(shift: int, title: str) -> np.ndarray:
    image = np.zeros((64, 48), dtype=np.float32)
    image[:, 20:28] = 0.8
    pred = np.full((NUM_DISCS, 2), np.nan, dtype=np.float32)
    pred[:4] = [(8 + 12 * i + shift, 24) for i in range(4)]
    return figures.render_prediction(image, pred, title=title)


def _body(frame: np.ndarray) -> np.ndarray:
    return frame[canvas.CAPTION_BAND_PX:].astype(int)


def _closest(frame: np.ndarray, pictures: list[np.ndarray]) -> int:
    errors = [np.abs(_body(frame)[:p.shape[0], :p.shape[1]] - p).mean() for p in pictures]
    return int(np.argmin(errors))


@pytest.fixture
def run_folder(tmp_path):
    """A run folder whose val_images hold epochs 1, 2 and 10 (written in a scrambled order)."""
    pictures = {e: _picture(3 * i, f"epoch {e}") for i, e in enumerate(EPOCHS)}
    for epoch in (10, 1, 2):
        canvas.save_png(tmp_path / "run" / "val_images" / f"epoch_{epoch}.png", pictures[epoch])
    (tmp_path / "run" / "val_images" / "notes.txt").write_text("not a picture")
    (tmp_path / "run" / "metrics.csv").write_text("epoch\n")
    return tmp_path / "run", [pictures[e] for e in EPOCHS]


def test_run_folder_frames_in_epoch_order(run_folder, capsys):
    run, pictures = run_folder
    assert make_res_gif.main(["--input", str(run)]) == 0
    out = run / "prediction.gif"
    frames = read_gif_frames(out)
    assert len(frames) == 3
    assert [_closest(f, pictures) for f in frames] == [0, 1, 2]  # epoch_10 after epoch_2
    printed = capsys.readouterr().out
    assert str(out) in printed and ".mp4" not in printed


def test_run_folder_custom_out_and_fps(run_folder, tmp_path):
    run, _ = run_folder
    out = tmp_path / "new" / "x.gif"
    assert make_res_gif.main(["--input", str(run), "--out", str(out), "--fps", "5"]) == 0
    with Image.open(out) as gif:
        assert gif.n_frames == 3 and gif.info["duration"] == 200
    assert not (run / "prediction.gif").exists()


def test_image_folder_sorted_by_name(tmp_path, capsys):
    names = ["sub-10_T2w", "sub-2_T1w", "sub-2_T2w"]
    pictures = {n: _picture(4 * i, n) for i, n in enumerate(names)}
    # smaller picture (different size) is padded to the common size
    pictures["sub-2_T1w"] = pictures["sub-2_T1w"][:300, :250]
    for name, rgb in pictures.items():
        canvas.save_png(tmp_path / "images" / f"{name}.png", rgb)
    assert make_res_gif.main(["--input", str(tmp_path / "images")]) == 0
    out = tmp_path / "images" / "animation.gif"
    frames = read_gif_frames(out)
    order = ["sub-2_T1w", "sub-2_T2w", "sub-10_T2w"]
    assert len(frames) == 3 and len({f.shape for f in frames}) == 1
    assert [_closest(f, [pictures[n] for n in order]) for f in frames] == [0, 1, 2]
    assert str(out) in capsys.readouterr().out


@pytest.mark.parametrize("setup,argv,needle", [
    (None, [], "folder not found"),
    ("empty", [], "no PNG"),
    ("empty_run", [], "no epoch_"),
    ("pictures", ["--fps", "0"], "--fps"),
    ("pictures", ["--fps", "-1"], "--fps"),
    ("pictures", ["--fps", "nan"], "--fps"),
    ("pictures", ["--out", "{root}/a.mp4"], "--out"),
    ("broken", [], "cannot read"),
])
def test_errors_exit_1_with_one_line_and_write_nothing(tmp_path, capsys, setup, argv, needle):
    root = tmp_path / "in"
    if setup is not None:
        root.mkdir()
    if setup == "empty_run":
        (root / "val_images").mkdir()
        (root / "val_images" / "epoch_x.png").write_bytes(b"")
    if setup == "pictures":
        canvas.save_png(root / "a.png", np.zeros((8, 8, 3), np.uint8))
    if setup == "broken":
        (root / "a.png").write_bytes(b"not a png")
    before = sorted(tmp_path.rglob("*"))
    argv = [a.format(root=root) for a in argv]
    assert make_res_gif.main(["--input", str(root), *argv]) == 1
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert needle in err and "\n" not in err and err.startswith("make_res_gif.py: error:")
    assert captured.out == ""
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.parametrize("argv", [[], ["--input"], ["--input", "x", "--fps", "fast"],
                                  ["--input", "x", "--nope"]])
def test_bad_flags_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        make_res_gif.main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "error" in err and "\n" not in err


@pytest.mark.parametrize("n,limit,expected", [(5, 60, [0, 1, 2, 3, 4]), (10, 3, [0, 4, 9]),
                                              (100, 0, list(range(100))), (4, 2, [0, 3])])
def test_spread_keeps_first_and_last(n, limit, expected):
    from disclabel.viz.animation import spread

    assert spread(n, limit) == expected
