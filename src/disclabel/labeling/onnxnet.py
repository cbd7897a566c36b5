"""The network run by ONNX Runtime on the CPU (see :mod:`disclabel.labeling.runtime`); the export is
:func:`disclabel.labeling.torchnet.export_onnx`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from disclabel.constants import PIXEL_MM
from disclabel.data.io import InputError

QUIET = 3
"""ONNX Runtime's log level: errors only (its warnings about the graph are not the user's)."""


class OnnxNetwork:
    """An ONNX export loaded in an ONNX Runtime session on the CPU: ``(B, 1, H, W)`` float32 ->
    ``(B, D, H / 4, W / 4)`` float32 heatmaps. ``source_sha256`` and ``pixel_mm`` come from the
    export's metadata. ``threads`` caps the session's threads (None: ONNX Runtime's choice,
    every core); several threads may call one network at once."""

    concurrent = True

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        options = ort.SessionOptions()
        options.log_severity_level = QUIET
        if threads is not None:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(path), options,
                                                providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types for unreadable models
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(f"{path}: not a readable ONNX model ({first})") from exc
        meta = self.session.get_modelmeta().custom_metadata_map
        self.source_sha256 = meta.get("source_sha256")
        self.pixel_mm = float(meta.get("pixel_mm", PIXEL_MM))
        self.device = "cpu"
        self.runtime = f"onnxruntime {ort.__version__}"
        self._input = self.session.get_inputs()[0].name

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        images = np.ascontiguousarray(batch, dtype=np.float32)
        return self.session.run(None, {self._input: images})[0]
