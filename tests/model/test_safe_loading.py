"""A pickle with a payload, placed where a checkpoint or prepared data is expected, is refused
with a one-line error and runs nothing."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch

import phantom
from disclabel.cli import label as label_cli
from disclabel.data.io import InputError, read_npz
from disclabel.model.checkpoint import read_checkpoint


class Payload:
    """Unpickling this object would create ``marker`` (a stand-in for any code)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _evil_checkpoint(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "payload_ran"
    path = tmp_path / "evil.pt"
    torch.save({"model": Payload(marker), "model_config": {}}, path)
    return path, marker


def test_checkpoint_with_a_payload_is_refused(tmp_path):
    path, marker = _evil_checkpoint(tmp_path)
    with pytest.raises(InputError, match="not a readable checkpoint") as err:
        read_checkpoint(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    assert not marker.exists()


def test_label_py_refuses_a_checkpoint_with_a_payload(tmp_path, capsys):
    path, marker = _evil_checkpoint(tmp_path)
    image, affine = phantom.render(2.0)
    src = tmp_path / "x.nii.gz"
    nib.save(nib.Nifti1Image(image, affine), str(src))
    assert label_cli.main([str(src), "--weights", str(path), "--device", "cpu"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err
    assert not marker.exists()
    assert not list(tmp_path.glob("x_labels-disc*"))


def test_prepared_data_with_a_payload_is_refused(tmp_path):
    marker = tmp_path / "payload_ran"
    path = tmp_path / "train.npz"
    np.savez(path, images=np.zeros((1, 4, 4), np.float32),
             subjects=np.array([Payload(marker)], dtype=object))
    with pytest.raises(InputError, match="cannot be read") as err:
        read_npz(path)
    assert str(path) in str(err.value)
    assert not marker.exists()


def test_checkpoint_of_another_format_version_is_refused(tmp_path):
    from disclabel.model.checkpoint import CHECKPOINT_VERSION, save_checkpoint
    from disclabel.model.hourglass import build_model

    path = tmp_path / "future.pt"
    save_checkpoint(path, build_model({"stacks": 1, "features": 16}))
    payload = torch.load(path, weights_only=True)
    payload["version"] = CHECKPOINT_VERSION + 1
    torch.save(payload, path)
    with pytest.raises(InputError) as err:
        read_checkpoint(path)
    message = str(err.value)
    assert str(path) in message and f"version {CHECKPOINT_VERSION + 1}" in message
    assert f"reads version {CHECKPOINT_VERSION}" in message


def test_architecture_mismatch_names_both_sides_and_loads_nothing(tmp_path):
    from disclabel.model.checkpoint import load_weights, save_checkpoint
    from disclabel.model.hourglass import build_model

    path = tmp_path / "small.pt"
    save_checkpoint(path, build_model({"stacks": 1, "features": 16}))
    other = build_model({"stacks": 2, "features": 16})
    before = {k: v.clone() for k, v in other.state_dict().items()}
    with pytest.raises(InputError) as err:
        load_weights(other, read_checkpoint(path), path)
    assert "stacks=1 in the checkpoint but 2 here" in str(err.value)
    assert all(torch.equal(before[k], v) for k, v in other.state_dict().items())
