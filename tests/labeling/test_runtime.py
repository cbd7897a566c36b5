"""The network's runtimes: an ONNX export runs in ONNX Runtime with PyTorch's heatmaps, is chosen
only where it belongs to the weights, and lets label.py work without importing torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import phantom
from conftest import REPO, save_nifti
from disclabel.data.io import InputError, file_sha256
from disclabel.labeling.labeler import Labeler
from disclabel.labeling.onnxnet import OnnxNetwork
from disclabel.labeling.runtime import default_weights, load_network, onnx_path
from disclabel.labeling.torchnet import TorchNetwork, export_onnx
from disclabel.model.checkpoint import save_checkpoint
from disclabel.model.hourglass import build_model

TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """A small random checkpoint (trained BN statistics made up) with its ONNX export beside."""
    torch.manual_seed(0)
    model = build_model({"stacks": 2, "features": 16, "attention": True})
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
    path = tmp_path_factory.mktemp("onnx") / "small.pt"
    save_checkpoint(path, model, data={"pixel_mm": 0.8})
    export_onnx(path, onnx_path(path))
    return path


@pytest.mark.parametrize("shape", [(1, 1, 256, 256), (3, 1, 320, 192), (2, 1, 64, 448)])
def test_onnx_runtime_gives_pytorchs_heatmaps(exported, shape):
    """Any batch size and any grid of multiples of 64 (the export's shapes are dynamic)."""
    images = np.random.default_rng(1).normal(size=shape).astype(np.float32)
    expected = TorchNetwork(exported, "cpu")(images)
    got = OnnxNetwork(onnx_path(exported))(images)
    assert got.shape == expected.shape == (shape[0], 25, shape[2] // 4, shape[3] // 4)
    assert np.abs(got - expected).max() < TOLERANCE


def test_the_export_records_its_checkpoint(exported):
    network = OnnxNetwork(onnx_path(exported))
    assert network.source_sha256 == file_sha256(exported)
    assert network.pixel_mm == pytest.approx(0.8)
    assert network.device == "cpu" and network.runtime.startswith("onnxruntime ")


def test_auto_runs_the_export_on_the_cpu_and_torch_without_one(exported, tmp_path):
    assert isinstance(load_network(exported, "cpu"), OnnxNetwork)
    assert isinstance(load_network(exported, "cpu", "torch"), TorchNetwork)
    lone = tmp_path / "lone.pt"
    lone.write_bytes(exported.read_bytes())
    assert isinstance(load_network(lone, "cpu"), TorchNetwork)
    with pytest.raises(InputError, match="lone.onnx: no ONNX export of lone.pt"):
        load_network(lone, "cpu", "onnx")
    with pytest.raises(InputError, match="CPU only"):
        load_network(exported, "cuda", "onnx")


def test_device_auto_runs_an_export_on_the_cpu_even_where_a_gpu_is(exported, tmp_path,
                                                                  monkeypatch):
    """A CUDA process's start-up (seconds) outweighs a small exported network's work."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # as on a GPU machine
    for backend in ("auto", "onnx"):
        network = load_network(exported, "auto", backend)
        assert isinstance(network, OnnxNetwork) and network.device == "cpu"
    monkeypatch.undo()
    lone = tmp_path / "lone.pt"
    lone.write_bytes(exported.read_bytes())
    assert isinstance(load_network(lone, "auto"), TorchNetwork)  # no export: PyTorch


def test_an_export_of_other_weights_is_not_used(exported, tmp_path):
    """A checkpoint retrained after its export: auto warns and runs PyTorch, onnx refuses."""
    changed = tmp_path / "changed.pt"
    torch.manual_seed(5)
    save_checkpoint(changed, build_model({"stacks": 2, "features": 16, "attention": True}),
                    data={"pixel_mm": 0.8})
    onnx_path(changed).write_bytes(onnx_path(exported).read_bytes())
    with pytest.warns(UserWarning, match="changed.onnx: not an export of"):
        assert isinstance(load_network(changed, "cpu"), TorchNetwork)
    with pytest.raises(InputError, match="its recorded checksum differs"):
        load_network(changed, "cpu", "onnx")


def test_an_unreadable_export_is_a_one_line_error(exported, tmp_path):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(exported.read_bytes())
    onnx_path(broken).write_bytes(b"not an onnx model")
    with pytest.raises(InputError, match="broken.onnx: not a readable ONNX model") as info:
        load_network(broken, "cpu")
    assert "\n" not in str(info.value)


def test_labeler_reports_its_runtime_in_the_sidecar(exported, tmp_path):
    image, affine = phantom.render(1.0)
    src = save_nifti(tmp_path / "p.nii.gz", image, affine)
    for backend, runtime in (("onnx", "onnxruntime "), ("torch", "torch ")):
        labeler = Labeler(exported, "cpu", backend=backend)
        sidecar = labeler.sidecar(labeler.label(src), tmp_path / "p_labels-disc.nii.gz")
        assert sidecar["model"]["runtime"].startswith(runtime)
        assert sidecar["model"]["sha256"] == file_sha256(exported)


SHIPPED = pytest.mark.skipif(not onnx_path(default_weights()).is_file(),
                             reason="the shipped model's ONNX export is not installed")


@SHIPPED
def test_the_shipped_export_is_the_shipped_model():
    network = OnnxNetwork(onnx_path(default_weights()))
    assert network.source_sha256 == file_sha256(default_weights()), \
        "disclabel_default.onnx is stale: python tools/export_onnx.py " \
        "src/disclabel/weights/disclabel_default.pt"
    images = np.random.default_rng(2).normal(size=(2, 1, 256, 320)).astype(np.float32)
    expected = TorchNetwork(default_weights(), "cpu")(images)
    assert np.abs(network(images) - expected).max() < TOLERANCE


@SHIPPED
@pytest.mark.parametrize("device", ["cpu", "auto"])
def test_label_py_on_the_cpu_never_imports_torch(tmp_path, device):
    image, affine = phantom.render(1.0)
    src = save_nifti(tmp_path / "p.nii.gz", image, affine)
    code = ("import sys; from disclabel.cli.label import main; "
            f"code = main([{str(src)!r}, '--device', {device!r}, '-o', "
            f"{str(tmp_path / 'out')!r}]); "
            "print('torch imported' if 'torch' in sys.modules else 'no torch'); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "no torch"
    sidecar = json.loads((tmp_path / "out" / "p_labels-disc.json").read_text())
    assert sidecar["model"]["runtime"].startswith("onnxruntime ")
