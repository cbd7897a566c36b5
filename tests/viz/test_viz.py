"""Prediction / attention pictures, atomic PNG writing and captioned animations (disclabel.viz)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import read_gif_frames
from disclabel.constants import NUM_DISCS
from disclabel.viz import animation, canvas, figures, qc

SHAPE = (128, 96)
SRC = Path(__file__).resolve().parents[2] / "src"


def _image() -> np.ndarray:
    rows = np.linspace(0.0, 1.0, SHAPE[0], dtype=np.float32)[:, None]
    return np.repeat(rows, SHAPE[1], axis=1) * 0.5


def _discs(offset: float = 0.0) -> np.ndarray:
    """(25, 2) (row, col): the first 8 discs present on a vertical line, the rest NaN."""
    points = np.full((NUM_DISCS, 2), np.nan, dtype=np.float32)
    points[:8, 0] = 10 + 14 * np.arange(8) + offset
    points[:8, 1] = 48 + offset
    return points


def test_import_has_no_matplotlib_side_effect():
    code = ("import sys, disclabel.viz.figures, disclabel.viz.qc, disclabel.cli.make_res_gif; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported at import time'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(SRC)}, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("kwargs", [
    {"pred": _discs()},
    {"pred": _discs(), "ref": _discs(2.0)},
    {"pred": _discs(), "confidence": np.linspace(0, 1, NUM_DISCS), "names": False},
    {"pred": None, "ref": _discs()},
])
def test_render_prediction_markers_change_pixels(kwargs):
    blank = figures.render_prediction(_image(), None, title="t")
    rgb = figures.render_prediction(_image(), title="t", **kwargs)
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    assert rgb.shape == blank.shape and min(rgb.shape[:2]) >= 200
    # portrait image -> portrait figure
    assert rgb.shape[0] > rgb.shape[1]
    assert (rgb != blank).any(axis=2).sum() > 100


def test_render_prediction_draws_red_predictions_and_green_references():
    blank = figures.render_prediction(_image(), None)
    pred = figures.render_prediction(_image(), _discs())
    ref = figures.render_prediction(_image(), None, _discs())

    def reddish(a):
        return ((a[..., 0] > 180) & (a[..., 1] < 80) & (a[..., 2] < 80)).sum()

    def greenish(a):
        return ((a[..., 1] > 180) & (a[..., 0] < 80) & (a[..., 2] < 80)).sum()

    assert reddish(pred) > reddish(blank) + 50
    assert greenish(ref) > greenish(blank) + 50


def test_all_nan_and_partial_nan_discs_are_skipped():
    blank = figures.render_prediction(_image(), None)
    all_nan = np.full((NUM_DISCS, 2), np.nan, dtype=np.float32)
    conf = np.full(NUM_DISCS, np.nan)
    assert np.array_equal(figures.render_prediction(_image(), all_nan, all_nan, conf), blank)
    half = _discs()
    half[2, 1] = np.nan  # one coordinate missing -> disc absent
    assert figures.render_prediction(_image(), half).shape == blank.shape


def test_title_changes_pixels():
    assert not np.array_equal(figures.render_prediction(_image(), None, title="sub-01 T2w"),
                              figures.render_prediction(_image(), None))


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 3)), np.zeros(5)])
def test_render_prediction_rejects_non_2d_image(bad):
    with pytest.raises(ValueError, match="2-D"):
        figures.render_prediction(bad, None)


def test_render_prediction_rejects_bad_keypoint_shape():
    with pytest.raises(ValueError, match="pred"):
        figures.render_prediction(_image(), np.zeros((25, 3)))


def test_render_attention_three_panels():
    attention = np.zeros((SHAPE[0] // 4, SHAPE[1] // 4), dtype=np.float32)
    attention[8:16, 8:16] = 1.0
    with_pred = figures.render_attention(_image(), attention, _discs(), title="att")
    no_pred = figures.render_attention(_image(), attention, None, title="att")
    assert with_pred.dtype == np.uint8 and with_pred.shape[2] == 3
    assert with_pred.shape == no_pred.shape and with_pred.shape[1] > 2 * with_pred.shape[0]
    changed = np.flatnonzero((with_pred != no_pred).any(axis=(0, 2)))
    width = with_pred.shape[1]
    # the discs are drawn in the middle panel only
    assert changed.size and changed.min() > width // 3 and changed.max() < 2 * width // 3
    # the attention overlay is coloured (jet) in the right panel, grey elsewhere
    right, left = with_pred[:, 2 * width // 3:].astype(int), with_pred[:, :width // 3].astype(int)
    assert np.ptp(right, axis=2).max() > 100 and np.ptp(left, axis=2).max() < 30


def test_render_attention_constant_map_and_bad_shape():
    rgb = figures.render_attention(_image(), np.full((32, 24), 0.5), _discs())
    assert rgb.dtype == np.uint8
    with pytest.raises(ValueError, match="attention"):
        figures.render_attention(_image(), np.zeros(10), None)


def test_save_png_roundtrip_atomic(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    path = tmp_path / "sub" / "a.png"
    canvas.save_png(path, rgb)
    canvas.save_png(path, rgb)  # overwrite in place
    assert np.array_equal(np.asarray(Image.open(path).convert("RGB")), rgb)
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.png"]  # no temp files left


def test_save_png_failure_leaves_no_file(tmp_path):
    with pytest.raises((TypeError, ValueError)):
        canvas.save_png(tmp_path / "bad.png", np.zeros((2, 2, 7), dtype=np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_write_animation_frames_captions_and_padding(tmp_path, monkeypatch):
    monkeypatch.setattr(animation, "ffmpeg_available", lambda: False)
    frames = [np.full((40, 60, 3), 30, np.uint8), np.full((50, 40, 3), 120, np.uint8),
              np.full((40, 60, 3), 30, np.uint8)]
    out = tmp_path / "anim.gif"
    written = animation.write_animation(frames, ["a", "b", "c"], out, fps=4.0)
    assert written == [out] and not out.with_suffix(".mp4").exists()
    back = read_gif_frames(out)
    assert len(back) == 3  # identical pictures with different captions stay separate frames
    assert {f.shape for f in back} == {(50 + canvas.CAPTION_BAND_PX, 60, 3)}
    band = back[0][:canvas.CAPTION_BAND_PX]
    assert (band < 128).any() and (band > 200).any()  # dark caption text on a white band
    assert not np.array_equal(back[0][:canvas.CAPTION_BAND_PX], back[2][:canvas.CAPTION_BAND_PX])
    body = back[1][canvas.CAPTION_BAND_PX:]
    assert abs(int(body[:50, 10:50].mean()) - 120) <= 3 and body[:, :5].min() >= 250
    with Image.open(out) as gif:
        assert gif.info["duration"] == 250 and gif.info["loop"] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anim.gif"]


def test_write_animation_mp4_when_ffmpeg_present(tmp_path, monkeypatch):
    calls = []
    import imageio.v3 as iio

    real = iio.imwrite

    def fake_imwrite(uri, frames, **kwargs):
        if kwargs.get("extension") == ".mp4":
            calls.append(np.asarray(frames).shape)
            open(uri, "wb").write(b"mp4")
            return None
        return real(uri, frames, **kwargs)

    monkeypatch.setattr(animation, "ffmpeg_available", lambda: True)
    monkeypatch.setattr(iio, "imwrite", fake_imwrite)
    out = tmp_path / "a.gif"
    written = animation.write_animation([np.zeros((30, 21, 3), np.uint8)] * 2, ["1", "2"], out)
    assert written == [out, tmp_path / "a.mp4"] and (tmp_path / "a.mp4").exists()
    n, h, w, _ = calls[0]
    assert n == 2 and h % animation.MP4_BLOCK == 0 and w % animation.MP4_BLOCK == 0


@pytest.mark.parametrize("frames,captions,fps", [
    ([], [], 2.0),
    ([np.zeros((4, 4, 3), np.uint8)], [], 2.0),
    ([np.zeros((4, 4, 3), np.uint8)], ["a"], 0.0),
    ([np.zeros((4, 4, 3), np.uint8)], ["a"], float("nan")),
])
def test_write_animation_rejects_bad_arguments(tmp_path, frames, captions, fps):
    with pytest.raises(ValueError):
        animation.write_animation(frames, captions, tmp_path / "x.gif", fps)
    assert list(tmp_path.iterdir()) == []


def test_qc_picture_is_cropped_to_the_spine_at_two_pixels_per_mm_or_more():
    image = np.zeros((400, 300), np.float32)
    image[50:350, 100:200] = 0.5
    discs = np.full((NUM_DISCS, 2), np.nan)
    discs[2:9] = np.stack([120 + 16 * np.arange(7), np.full(7, 150.0)], axis=1)
    conf = np.where(np.isfinite(discs[:, 0]), 0.9, 0.0)
    rgb = qc.render_qc(image, discs, conf, 1.0, "title")
    rows, cols = qc.qc_crop(image.shape, discs, 1.0)
    # the crop holds the discs with the margin and no more than needed
    assert rows.start <= 120 - qc.QC_MARGIN_MM and rows.stop >= 216 + qc.QC_MARGIN_MM
    assert rows.stop - rows.start < image.shape[0]
    assert cols.stop - cols.start >= qc.QC_MIN_SIDE_MM
    # at least 2 screen pixels per mm of the crop, below a title band
    assert rgb.shape[1] >= 2 * (cols.stop - cols.start)
    assert rgb.shape[0] >= 2 * (rows.stop - rows.start)
    # the same inputs give the same picture; a heatmap adds a second panel of the same size
    assert np.array_equal(rgb, qc.render_qc(image, discs, conf, 1.0, "title"))
    two = qc.render_qc(image, discs, conf, 1.0, "title", np.zeros((100, 75)))
    assert two.shape[0] == rgb.shape[0] and abs(two.shape[1] - 2 * rgb.shape[1]) <= 2
    # a coarser pixel is drawn larger, to keep the same size per mm
    coarse = qc.render_qc(image, discs, conf, 2.0, "title")
    assert coarse.shape[1] > rgb.shape[1]
    # a coronal view (100 mm wide here) adds a panel of its width at the same scale, with every
    # disc marked at its own column; another column gives another picture
    per_mm = rgb.shape[1] / (cols.stop - cols.start)
    coronal = np.full((400, 100), 0.3, np.float32)
    across = np.where(np.isfinite(discs[:, 0]), 30.0 + np.arange(NUM_DISCS), np.nan)
    three = qc.render_qc(image, discs, conf, 1.0, "title", np.zeros((100, 75)), coronal, across)
    assert three.shape[0] == rgb.shape[0]
    assert abs(three.shape[1] - two.shape[1] - per_mm * 100) <= 3
    # a narrow one (40 mm) is padded to CORONAL_MIN_MM, so that its caption fits
    narrow = qc.render_qc(image, discs, conf, 1.0, "title", np.zeros((100, 75)),
                          coronal[:, :40], across)
    assert qc.CORONAL_MIN_MM > 40
    assert abs(narrow.shape[1] - two.shape[1] - per_mm * qc.CORONAL_MIN_MM) <= 3
    moved = across.copy()
    moved[4] += 20.0
    assert not np.array_equal(three, qc.render_qc(image, discs, conf, 1.0, "title",
                                                   np.zeros((100, 75)), coronal, moved))


def test_qc_picture_without_discs_shows_the_whole_image():
    image = np.zeros((128, 96), np.float32)
    none = np.full((NUM_DISCS, 2), np.nan)
    assert qc.qc_crop(image.shape, none, 1.0) == (slice(0, 128), slice(0, 96))
    rgb = qc.render_qc(image, none, np.zeros(NUM_DISCS), 1.0, "no spine found")
    assert rgb.ndim == 3 and rgb.shape[2] == 3


def test_mosaic_tiles_pictures_with_captions():
    pictures = [np.full((200, 100 + 20 * i, 3), 40 * i, np.uint8) for i in range(6)]
    mosaic = qc.render_mosaic(pictures, [f"volume {i}" for i in range(6)])
    assert mosaic.shape[0] == 2 * (qc.MOSAIC_TILE_PX + canvas.CAPTION_BAND_PX)
    with pytest.raises(ValueError):
        qc.render_mosaic(pictures, ["one caption"])


def test_qc_shows_more_under_a_lowest_disc_taken_as_l5s1_and_wraps_a_long_title():
    image = np.zeros((400, 300), np.float32)
    discs = np.full((NUM_DISCS, 2), np.nan)
    discs[20:25] = np.stack([60 + 36 * np.arange(5), np.full(5, 150.0)], axis=1)
    rows, _ = qc.qc_crop(image.shape, discs, 1.0)
    deeper, _ = qc.qc_crop(image.shape, discs, 1.0, qc.QC_BELOW_COLUMN_END_MM)
    assert rows.stop == 204 + qc.QC_MARGIN_MM + 1 and deeper.stop == 204 + 80 + 1
    assert deeper.start == rows.start
    conf = np.where(np.isfinite(discs[:, 0]), 0.9, 0.0)
    short = qc.render_qc(image, discs, conf, 1.0, "title")
    long = qc.render_qc(image, discs, conf, 1.0, " ".join(["word"] * 60))
    assert long.shape[1] == short.shape[1] and long.shape[0] > short.shape[0]  # wrapped lines
    wrapped = qc.wrap_title("a " * 50 + "\nsecond line", 3.0)
    limit = int(3.0 / qc.TITLE_CHAR_IN)
    assert all(len(line) <= limit for line in wrapped.splitlines())
    assert wrapped.split() == ("a " * 50 + "\nsecond line").split()
    assert wrapped.splitlines()[-1] == "second line"
