"""The network that label.py runs, and where it runs: PyTorch on any device, or ONNX Runtime on
the CPU. Nothing here imports torch or onnxruntime until a network is loaded.

ONNX Runtime is the CPU default wherever an ONNX export of the weights (:func:`onnx_path`, written
by ``tools/export_onnx.py`` or ``make model``) lies beside them and records their checksum:
a ``label.py`` process then never imports PyTorch, whose import is most of its start-up. Both run
the same float32 network (the BNs folded), so their heatmaps agree to float rounding (tested).
With ``--device auto`` an exported model runs on the CPU even where a GPU is present: a CUDA
process pays about 5 s of start-up (H200 host, docs/speed.md) and the network's work is small
(the shipped model: about 0.04 s a volume on 2 CPU cores, of 0.11 s in all); ``--device cuda``
asks for the GPU.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Protocol

import numpy as np

from disclabel.constants import DEFAULT_WEIGHTS_FILE
from disclabel.data.io import InputError, file_sha256, missing_extra

BACKENDS: tuple[str, ...] = ("auto", "torch", "onnx")
"""``auto``: ONNX Runtime on the CPU where an export matches the weights, else PyTorch."""


class Network(Protocol):
    """A loaded network: ``(B, 1, H, W)`` float32 images -> ``(B, D, H / 4, W / 4)`` float32
    heatmaps of the last stack (channel ``c`` = disc ``c + 1``); H and W multiples of
    ``GRID_MULTIPLE``."""

    pixel_mm: float
    """Pixel size (mm) of the data the network was trained on."""
    device: str
    """Where it runs: ``cpu``, ``cuda:0``, ..."""
    runtime: str
    """The library and its version, e.g. ``onnxruntime 1.32.0``."""
    concurrent: bool
    """Whether several threads may run it at once, each with its share of the cores (ONNX
    Runtime's sessions: yes; PyTorch's thread pool is one per process: no)."""

    def __call__(self, batch: np.ndarray) -> np.ndarray: ...


def default_weights() -> Path:
    """Path of the model the project ships (``src/disclabel/weights/disclabel_default.pt``)."""
    return Path(__file__).resolve().parents[1] / DEFAULT_WEIGHTS_FILE


def onnx_path(weights: str | Path) -> Path:
    """The ONNX export that belongs to a checkpoint: the same name with ``.onnx``."""
    return Path(weights).with_suffix(".onnx")


def load_network(weights: str | Path, device: str = "auto", backend: str = "auto",
                 sha256: str | None = None, threads: int | None = None) -> Network:
    """Load the network of checkpoint ``weights`` (whose checksum is ``sha256``, computed when
    not given) with ``backend`` (one of :data:`BACKENDS`) on ``device`` (auto, cpu, cuda,
    cuda:N). With ``device`` auto or cpu, backend ``auto`` takes ONNX Runtime on the CPU when
    onnxruntime is installed and :func:`onnx_path` holds an export of these very weights, even
    where a GPU is present (module docstring); otherwise, and when an export does not match
    (with a warning), PyTorch on ``device`` (auto: a CUDA GPU if present, else the CPU).
    ``threads`` caps ONNX Runtime's threads (None: every core). Raises :class:`InputError` when
    ``onnx`` is asked for and cannot be had."""
    weights = Path(weights)
    if backend not in BACKENDS:
        raise InputError(f"--backend {backend}: expected one of {', '.join(BACKENDS)}")
    cpu_allowed = device in ("auto", "cpu")
    if backend == "onnx" and not cpu_allowed:
        raise InputError(f"--backend onnx runs on the CPU only, not on --device {device}")
    exported = onnx_path(weights)
    if backend == "onnx" or (backend == "auto" and cpu_allowed and exported.is_file()):
        network = _onnx_network(weights, exported, sha256 or file_sha256(weights),
                                required=backend == "onnx", threads=threads)
        if network is not None:
            return network
    try:
        from disclabel.labeling.torchnet import TorchNetwork
    except ImportError as exc:
        error = missing_extra(exc, f"running {weights.name} with PyTorch (--backend torch, "
                                   "a GPU, or a model without an ONNX export)")
        if error is None:
            raise
        raise error from exc
    return TorchNetwork(weights, device)


def _onnx_network(weights: Path, exported: Path, sha256: str, required: bool,
                  threads: int | None = None) -> Network | None:
    """The ONNX Runtime network of ``exported``, or None (``required`` False) when onnxruntime
    is missing or the export is not one of ``weights``."""
    try:
        from disclabel.labeling.onnxnet import OnnxNetwork
    except ImportError as exc:
        if required:
            raise InputError(f"--backend onnx: onnxruntime is not installed ({exc})") from exc
        return None
    if not exported.is_file():
        raise InputError(f"{exported}: no ONNX export of {weights.name} (write one with "
                         f"python tools/export_onnx.py {weights})")
    network = OnnxNetwork(exported, threads)
    if network.source_sha256 == sha256:
        return network
    problem = (f"{exported}: not an export of {weights} (its recorded checksum differs; "
               f"export it again with python tools/export_onnx.py {weights})")
    if required:
        raise InputError(problem)
    warnings.warn(f"{problem}: running the checkpoint with PyTorch", stacklevel=3)
    return None


def check_weights(weights: str | Path | None) -> Path:
    """The weights to use (given, else the shipped model), or a clear error when missing."""
    path = Path(weights) if weights else default_weights()
    if not path.is_file():
        if weights:
            raise InputError(f"{path}: checkpoint not found")
        raise InputError(f"{path}: the shipped model is missing (rebuild it with `make model`, "
                         "or pass --weights runs/<run>/best.pt)")
    return path
