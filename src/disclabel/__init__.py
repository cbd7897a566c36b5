"""disclabel: intervertebral disc labeling in spine MRI with a stacked hourglass network.

Labelling (:mod:`disclabel.api`)::

    from disclabel import label, Labeler
    result = label("sub-01_T2w.nii.gz")

The research stages (:mod:`disclabel.stages`): :func:`create_dataset`,
:func:`prepare_trainset`, :func:`train`, :func:`evaluate_model`, :func:`make_res_gif`.

The package is laid out by stage, each importing only those below it: ``cli`` (the scripts) >
``api``, ``stages`` > ``training`` > ``evaluation`` > ``viz`` > ``labeling`` > ``model``,
``synthetic`` > ``data`` > ``constants``, ``version`` (checked by import-linter, see
``pyproject.toml``). Importing ``disclabel`` imports nothing
else; each name above is imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from disclabel.version import __version__

_PUBLIC = {
    "Disc": "disclabel.api", "LabelResult": "disclabel.api", "Labeler": "disclabel.api",
    "label": "disclabel.api", "load_labeler": "disclabel.api", "qc_picture": "disclabel.api",
    "create_dataset": "disclabel.stages", "prepare_trainset": "disclabel.stages",
    "train": "disclabel.stages", "evaluate_model": "disclabel.stages",
    "make_res_gif": "disclabel.stages",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    """The public names, imported from their modules when first asked for."""
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'disclabel' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
