"""Reading a volume to label, without torch: ``label.py`` starts reading its first volume in a
thread before it imports torch (about a second on a 2-core CPU), so that the two overlap."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nibabel as nib

from disclabel.constants import LABEL_SUFFIX_OUT
from disclabel.data.geometry import CanonicalVolume, to_canonical
from disclabel.data.io import InputError, checked_nifti, load_nifti, nifti_stem, read_data


@dataclass
class LoadedVolume:
    """A checked NIfTI volume: its path, the image as read, and its canonical reorientation
    (:func:`disclabel.data.geometry.to_canonical`)."""

    path: Path
    nii: nib.Nifti1Image
    volume: CanonicalVolume


def read_volume(path: str | Path) -> LoadedVolume:
    """Read and check one NIfTI volume and reorient it (raises :class:`InputError` on a bad
    file); thread-safe, so that the next volume can be read while the network works."""
    path = Path(path)
    return _loaded(path, load_nifti(path))


def volume_from_nifti(image: nib.Nifti1Image, name: str | Path = "<image>") -> LoadedVolume:
    """Check and reorient a NIfTI image already in memory, with the checks of
    :func:`read_volume`; ``name`` stands for its path in messages and outputs (raises
    :class:`InputError`)."""
    return _loaded(Path(name), checked_nifti(image, name))


def _loaded(path: Path, nii: nib.Nifti1Image) -> LoadedVolume:
    data = read_data(nii, path)
    if data.min() == data.max():
        raise InputError(f"{path}: every voxel is {float(data.min()):g}: nothing to label")
    return LoadedVolume(path, nii, to_canonical(data, nii.affine))


def default_output(image_path: Path) -> Path:
    """``<input stem>_labels-disc.nii.gz`` beside the input."""
    return image_path.with_name(f"{nifti_stem(image_path)}_{LABEL_SUFFIX_OUT}.nii.gz")
