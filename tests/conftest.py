"""Shared test fixtures: paths to the real data in ../shared/data and tiny NIfTI builders."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import nibabel as nib
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
ERRSM = SHARED_DATA / "sct_errsm_t2"
IVADOMED = SHARED_DATA / "ivadomed_data-testing"


def tool_module(name: str) -> ModuleType:
    """Import ``tools/<name>.py`` (the tools are scripts, not a package)."""
    sys.path.insert(0, str(REPO / "tools"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.pop(0)


def needs_shared(*paths: Path):
    """Skip a test cleanly when ../shared/data (a user's fresh clone has none) is absent."""
    missing = [p for p in paths if not p.exists()]
    return pytest.mark.skipif(bool(missing), reason=f"shared data absent: {missing[:1]}")


def save_nifti(path: Path, data: np.ndarray, affine: np.ndarray) -> Path:
    """Save an array as NIfTI (parents created) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(data, affine), str(path))
    return path


def make_bids_subject(root: Path, subject: str, contrast: str, image: np.ndarray,
                      labels: np.ndarray | None, affine: np.ndarray,
                      suffix: str = "labels-disc-manual") -> tuple[Path, Path | None]:
    """Write one Spine Generic style image (and label file when given)."""
    img = save_nifti(root / subject / "anat" / f"{subject}_{contrast}.nii.gz",
                     image.astype(np.float32), affine)
    lab = None
    if labels is not None:
        lab = save_nifti(root / "derivatives" / "labels" / subject / "anat" /
                         f"{subject}_{contrast}_{suffix}.nii.gz", labels.astype(np.uint8), affine)
    return img, lab


def spine_phantom(shape=(9, 48, 64), discs=(3, 4, 5, 6, 7), spacing=9, first_row=8,
                  seed=0) -> tuple[np.ndarray, np.ndarray]:
    """A tiny RAS volume (x = L->R, y = P->A, z = I->S) whose values encode their coordinates,
    with disc labels on the middle slice (one voxel each, spaced ``spacing`` voxels in z)."""
    rng = np.random.default_rng(seed)
    x, y, z = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    image = 100.0 + 3.0 * z + 1.0 * y + 0.1 * x + rng.normal(0, 0.01, shape)
    labels = np.zeros(shape, np.uint8)
    mid = shape[0] // 2
    for i, disc in enumerate(discs):
        labels[mid, shape[1] // 2, shape[2] - 1 - first_row - i * spacing] = disc
    return image.astype(np.float32), labels


TINY_AFFINE = np.diag([2.0, 1.0, 1.0, 1.0])


def make_tiny_prepared(tmp: Path) -> Path:
    """Six phantom subjects (T1w and T2w) gathered and prepared on a 64 x 64 grid; returns
    the prepared folder (``tmp/prep``)."""
    from disclabel.cli import create_dataset, prepare_trainset

    root = tmp / "bids"
    for i in range(6):
        image, labels = spine_phantom(shape=(5, 60, 60), spacing=9, first_row=6, seed=i)
        for contrast in ("T1w", "T2w"):
            make_bids_subject(root, f"sub-s{i:02d}", contrast, image, labels, TINY_AFFINE)
    assert create_dataset.main(["--bids", str(root), "--out", str(tmp / "ds"), "--quiet"]) == 0
    assert prepare_trainset.main(["--source", str(tmp / "ds"), "--target", str(tmp / "prep"),
                                  "--grid", "64", "64", "--split", "0.6", "0.2", "0.2",
                                  "--no-progress"]) == 0
    return tmp / "prep"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """A tiny prepared set (:func:`make_tiny_prepared`), one per test module (a module may
    define its own ``prepared``)."""
    return make_tiny_prepared(tmp_path_factory.mktemp("tiny"))


def read_gif_frames(path: Path) -> list[np.ndarray]:
    """Every frame of a GIF as an RGB array (H, W, 3)."""
    from PIL import Image

    frames = []
    with Image.open(path) as gif:
        for i in range(gif.n_frames):
            gif.seek(i)
            frames.append(np.asarray(gif.convert("RGB")))
    return frames
