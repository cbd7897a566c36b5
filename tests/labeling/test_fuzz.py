"""Property-based fuzzing (hypothesis, derandomized: the same examples on every run).

* label.py's reading and geometry over NIfTI shapes, dtypes, zooms and orientations (oblique
  ones too): either a one-line :class:`InputError` or labels on the input's own grid, never an
  unhandled exception;
* the chain decoder over random heatmaps: never an exception, every disc inside the image.
"""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from disclabel.constants import NUM_DISCS, OUTPUT_STRIDE
from disclabel.data.io import InputError
from disclabel.labeling.chain import decode_chain
from disclabel.labeling.labeler import Labeler
from disclabel.labeling.output import label_image
from disclabel.labeling.volumes import read_volume
from disclabel.model.checkpoint import save_checkpoint
from disclabel.model.hourglass import build_model
from oracle import PhantomOracle

FUZZ = settings(derandomize=True, deadline=None, max_examples=40,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
DTYPES = [np.uint8, np.int16, np.int32, np.float32, np.float64]


@pytest.fixture(scope="module")
def labeler(tmp_path_factory) -> Labeler:
    path = tmp_path_factory.mktemp("fuzz") / "oracle.pt"
    save_checkpoint(path, build_model({"stacks": 1, "features": 16}), data={"pixel_mm": 1.0})
    labeler = Labeler(path, device="cpu")
    labeler.network.model = PhantomOracle()
    return labeler


def _affine(zooms: list[float], axes: list[int], flips: list[bool], tilt_deg: float
            ) -> np.ndarray:
    """Permuted, flipped and scaled axes, rotated by ``tilt_deg`` about the first world axis."""
    linear = np.zeros((3, 3))
    for column, (axis, flip, zoom) in enumerate(zip(axes, flips, zooms, strict=True)):
        linear[axis, column] = -zoom if flip else zoom
    t = np.deg2rad(tilt_deg)
    rotation = np.array([[1, 0, 0], [0, np.cos(t), -np.sin(t)], [0, np.sin(t), np.cos(t)]])
    affine = np.eye(4)
    affine[:3, :3] = rotation @ linear
    affine[:3, 3] = [-10.0, 20.0, 5.0]
    return affine


volumes = st.fixed_dictionaries({
    "shape": st.lists(st.integers(1, 40), min_size=3, max_size=3),
    "dtype": st.sampled_from(DTYPES),
    "zooms": st.lists(st.floats(0.3, 3.0), min_size=3, max_size=3),
    "axes": st.permutations([0, 1, 2]),
    "flips": st.lists(st.booleans(), min_size=3, max_size=3),
    "tilt": st.sampled_from([0.0, 0.0, 7.0, 30.0]),
    "content": st.sampled_from(["noise", "blobs", "constant"]),
    "seed": st.integers(0, 2**16),
})


def _data(spec: dict) -> np.ndarray:
    rng = np.random.default_rng(spec["seed"])
    shape = tuple(spec["shape"])
    if spec["content"] == "constant":
        data = np.full(shape, 7.0)
    elif spec["content"] == "noise":
        data = rng.random(shape) * 200
    else:  # bright blobs on a dark background (what the oracle reads as discs)
        data = np.zeros(shape)
        for _ in range(6):
            centre = [rng.integers(0, n) for n in shape]
            data[tuple(slice(max(c - 2, 0), c + 3) for c in centre)] = 200.0
    return data.astype(spec["dtype"])


@FUZZ
@given(spec=volumes)
def test_label_geometry_never_crashes_and_stays_on_the_input_grid(labeler, tmp_path, spec):
    affine = _affine(spec["zooms"], spec["axes"], spec["flips"], spec["tilt"])
    path = tmp_path / "fuzz.nii.gz"
    nib.save(nib.Nifti1Image(_data(spec), affine), str(path))
    try:
        loaded = read_volume(path)
        result = labeler.label_volume(loaded)
    except InputError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
        return
    shape = tuple(spec["shape"])
    assert result.shape == shape
    for disc in result.discs:
        assert all(0 <= v < n for v, n in zip(disc.voxel, shape, strict=True))
        assert 1 <= disc.number <= NUM_DISCS
    out = label_image(result, loaded.nii)
    assert out.shape == shape and np.allclose(out.affine, loaded.nii.affine)
    assert np.count_nonzero(np.asarray(out.dataobj)) == len(result.discs)


heatmaps = st.fixed_dictionaries({
    "h": st.integers(1, 48), "w": st.integers(1, 48), "seed": st.integers(0, 2**16),
    "kind": st.sampled_from(["uniform", "sparse", "negative", "huge", "zeros", "peaks"]),
    "pixel_mm": st.sampled_from([0.5, 1.0, 2.5]),
})


def _heatmaps(spec: dict) -> np.ndarray:
    rng = np.random.default_rng(spec["seed"])
    shape = (NUM_DISCS, spec["h"], spec["w"])
    kind = spec["kind"]
    if kind == "zeros":
        return np.zeros(shape, np.float32)
    if kind == "peaks":  # a few sharp peaks in random channels
        maps = np.zeros(shape, np.float32)
        for _ in range(rng.integers(1, 12)):
            maps[rng.integers(NUM_DISCS), rng.integers(spec["h"]), rng.integers(spec["w"])] = 1
        return maps
    maps = rng.random(shape).astype(np.float32)
    if kind == "sparse":
        maps *= rng.random(shape) > 0.97
    elif kind == "negative":
        maps -= 0.5
    elif kind == "huge":
        maps *= 1e6
    return maps


@FUZZ
@given(spec=heatmaps)
def test_decoder_never_crashes_and_keeps_discs_in_the_image(spec):
    maps = _heatmaps(spec)
    chain = decode_chain(maps, spec["pixel_mm"])
    assert chain.coords.shape == (NUM_DISCS, 2) and chain.confidence.shape == (NUM_DISCS,)
    present = np.isfinite(chain.coords[:, 0])
    rows, cols = spec["h"] * OUTPUT_STRIDE, spec["w"] * OUTPUT_STRIDE
    assert np.all((chain.coords[present] >= -0.5) & (chain.coords[present] <= [rows - 0.5,
                                                                               cols - 0.5]))
    assert np.all(np.isfinite(chain.confidence[present]))
    if present.any():
        numbers = np.flatnonzero(present)
        assert np.all(np.diff(chain.coords[numbers, 0]) > 0), "discs out of order"
