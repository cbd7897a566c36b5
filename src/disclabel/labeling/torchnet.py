"""The network run by PyTorch on any device (see :mod:`.runtime`), and its export to ONNX for
:mod:`.onnxnet`."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from disclabel.constants import MAX_GRID_SIDE, OUTPUT_STRIDE, PIXEL_MM
from disclabel.data.io import atomic_path, file_sha256
from disclabel.model.checkpoint import model_from_checkpoint
from disclabel.model.device import resolve_device
from disclabel.model.hourglass import fold_batchnorm
from disclabel.version import __version__

ONNX_OPSET = 18
"""The ONNX operator set of the exports."""


class TorchNetwork:
    """A checkpoint's model, its BNs folded into the convolutions before them, channels-last,
    on ``device``; bf16 autocast on CUDA, float32 elsewhere. ``(B, 1, H, W)`` float32 ->
    ``(B, D, H / 4, W / 4)`` float32 heatmaps of the last stack."""

    concurrent = False

    def __init__(self, weights: str | Path, device: str = "auto") -> None:
        model, ckpt = model_from_checkpoint(weights)
        self.torch_device = resolve_device(device)
        # BNs folded, channels-last: faster on CPUs and GPUs
        self.model = fold_batchnorm(model).to(self.torch_device,
                                              memory_format=torch.channels_last)
        self.pixel_mm = float((ckpt.get("data") or {}).get("pixel_mm", PIXEL_MM))
        self.device = str(self.torch_device)
        self.runtime = f"torch {torch.__version__}"

    @torch.no_grad()
    def __call__(self, batch: np.ndarray) -> np.ndarray:
        images = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32)).to(
            self.torch_device).contiguous(memory_format=torch.channels_last)
        with torch.autocast(self.torch_device.type, dtype=torch.bfloat16,
                            enabled=self.torch_device.type == "cuda"):
            return self.model(images)[-1].float().cpu().numpy()


class _LastStack(nn.Module):
    """The heatmaps of a model's last stack only (what label.py decodes)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.model(images)[-1]


def export_onnx(weights: str | Path, target: str | Path) -> None:
    """Write the network of checkpoint ``weights`` as ONNX at ``target``, as label.py runs it
    (BNs folded, float32, the last stack): input ``image`` (B, 1, H, W), H and W multiples of
    the model's granule up to ``MAX_GRID_SIDE``; output ``heatmaps`` (B, D, H / 4, W / 4).
    Metadata: ``source_sha256`` (of ``weights``), ``pixel_mm``, ``software``."""
    model, ckpt = model_from_checkpoint(weights)
    network = _LastStack(fold_batchnorm(model)).eval()
    granule = OUTPUT_STRIDE * 2 ** int(model.config["depth"])
    side = torch.export.Dim
    shapes = {"images": {0: side("batch", min=1, max=1024),
                         2: granule * side("rows", min=1, max=MAX_GRID_SIDE // granule),
                         3: granule * side("cols", min=1, max=MAX_GRID_SIDE // granule)}}
    example = torch.zeros(2, 1, 4 * granule, 6 * granule)
    with warnings.catch_warnings():  # the attention map kept for --attshow is not exported
        warnings.filterwarnings("ignore", message=".*last_attention.*")
        program = torch.onnx.export(network, (example,), dynamo=True, dynamic_shapes=shapes,
                                    input_names=["image"], output_names=["heatmaps"],
                                    opset_version=ONNX_OPSET, verbose=False)
    program.model.metadata_props.update({
        "source_sha256": file_sha256(weights),
        "pixel_mm": str(float((ckpt.get("data") or {}).get("pixel_mm", PIXEL_MM))),
        "software": f"disclabel {__version__}"})
    with atomic_path(Path(target)) as tmp:
        program.save(str(tmp))
