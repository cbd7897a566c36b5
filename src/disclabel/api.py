"""Labelling from Python: what ``label.py`` does, for a notebook or a pipeline.

>>> from disclabel import label
>>> result = label("sub-01_T2w.nii.gz")                # the shipped model, on the CPU
>>> [(d.number, d.name, d.world_mm) for d in result.discs]
>>> result.numbering["offset_margin_nats"]             # below 3: check the numbers by eye
>>> result.label_image().to_filename("sub-01_T2w_labels-disc.nii.gz")

:func:`label` loads the model for one image; a :class:`Labeler` keeps it loaded over many.
Nothing here imports PyTorch when the model runs with ONNX Runtime (the shipped model on a CPU),
so this works from the light install (``pip install disclabel``).
"""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

from disclabel.labeling.labeler import Disc, Labeler, LabelResult
from disclabel.labeling.runtime import check_weights

__all__ = ["Disc", "LabelResult", "Labeler", "label", "load_labeler", "qc_picture"]


def load_labeler(weights: str | Path | None = None, device: str = "auto",
                 backend: str = "auto", polarity: str = "acquired") -> Labeler:
    """A :class:`Labeler` for checkpoint ``weights`` (default: the shipped model), with the
    ``device`` (auto, cpu, cuda, cuda:N), ``backend`` (auto, onnx, torch) and ``polarity``
    (acquired, inverted, auto) of ``label.py``; raises :class:`~disclabel.data.io.InputError` for a
    missing checkpoint."""
    return Labeler(check_weights(weights), device, backend=backend, polarity=polarity)


def label(image: str | Path | nib.Nifti1Image, weights: str | Path | None = None,
          device: str = "auto", backend: str = "auto", polarity: str = "acquired"
          ) -> LabelResult:
    """Find and number the discs of one NIfTI volume (a path or a nibabel image), as
    ``label.py`` does with the same ``weights``, ``device``, ``backend`` and ``polarity``.

    The result holds ``discs`` (each with ``number``, ``name``, ``world_mm``, ``voxel``,
    ``confidence``, ``identity``), ``numbering`` (the top disc's number and the margin of the
    numbering in nats) and ``label_image()`` (the label volume on the input's grid). Raises
    :class:`~disclabel.data.io.InputError` with a one-line message for a bad input.
    """
    return load_labeler(weights, device, backend, polarity).label(image)


def qc_picture(result: LabelResult) -> np.ndarray:
    """The QC picture that ``label.py --qc`` writes for ``result``, as RGB uint8 (H, W, 3)."""
    from disclabel.viz.qc import label_qc

    return label_qc(result)
