"""Deterministic NIfTI writing and the synthetic BIDS dataset.

The gzip stream is written with ``mtime=0`` and no file name, and the NIfTI header has fixed
fields, so the same seed gives byte-identical files.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from pathlib import Path

import nibabel as nib
import numpy as np
from tqdm import tqdm

from disclabel.constants import DEFAULT_LABEL_SUFFIX
from disclabel.synthetic.volume import SyntheticVolume, generate_subject
from disclabel.version import __version__

GZIP_LEVEL: int = 1
NIFTI_XYZ_UNITS: str = "mm"
SFORM_CODE: int = 1  # scanner anatomical
BIDS_VERSION: str = "1.8.0"
SUBJECT_PREFIX: str = "sub-syn"
SUBJECT_DIGITS: int = 3
MODE_STREAM: int = 7


def nifti_gz_bytes(data: np.ndarray, affine: np.ndarray) -> bytes:
    """Gzipped NIfTI-1 bytes of ``data`` (stored with its own dtype) and ``affine``."""
    img = nib.Nifti1Image(data, affine)
    hdr = img.header
    hdr.set_xyzt_units(NIFTI_XYZ_UNITS)
    hdr.set_qform(affine, code=SFORM_CODE)
    hdr.set_sform(affine, code=SFORM_CODE)
    hdr["descrip"] = b"disclabel synthetic"
    return gzip.compress(img.to_bytes(), compresslevel=GZIP_LEVEL, mtime=0)


def write_volume(path: Path, data: np.ndarray, affine: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(nifti_gz_bytes(data, affine))


def subject_seed(seed: int, index: int) -> int:
    """Seed of subject ``index`` (0-based) of a dataset: independent of the dataset size."""
    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1, np.uint32)[0])


def _write_json(path: Path, obj: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def write_subject(root: Path, subject: str, volumes: dict[str, SyntheticVolume],
                  label_suffix: str = DEFAULT_LABEL_SUFFIX) -> list[Path]:
    """Write the images (int16) and label files (uint8) of one subject; returns image paths."""
    paths = []
    for contrast, vol in volumes.items():
        img_path = root / subject / "anat" / f"{subject}_{contrast}.nii.gz"
        lab_path = (root / "derivatives" / "labels" / subject / "anat"
                    / f"{subject}_{contrast}_{label_suffix}.nii.gz")
        write_volume(img_path, vol.image.astype(np.int16), vol.affine)
        write_volume(lab_path, vol.labels.astype(np.uint8), vol.affine)
        paths.append(img_path)
    return paths


def write_bids_dataset(root: Path, n_subjects: int, seed: int = 0,
                       contrasts: Sequence[str] = ("T1w", "T2w"),
                       random_contrast_fraction: float = 0.0, progress: bool = True) -> list[Path]:
    """Write ``n_subjects`` synthetic subjects as a BIDS dataset under ``root``.

    Layout: ``root/dataset_description.json``, ``root/sub-synNNN/anat/sub-synNNN_<contrast>.nii.gz``
    and ``root/derivatives/labels/sub-synNNN/anat/sub-synNNN_<contrast>_labels-disc-manual.nii.gz``
    (NNN = 001, 002, ...). Subject i uses :func:`subject_seed` (seed, i), so adding subjects does
    not change earlier ones; a fraction ``random_contrast_fraction`` of subjects (decided per
    subject from the same seed) uses the random-contrast mode. Returns the image paths.
    """
    root = Path(root)
    _write_json(root / "dataset_description.json", {
        "Name": "disclabel synthetic spine MRI", "BIDSVersion": BIDS_VERSION, "DatasetType": "raw",
        "GeneratedBy": [{"Name": "disclabel.synthetic", "Version": __version__}],
    })
    _write_json(root / "derivatives" / "labels" / "dataset_description.json", {
        "Name": "disclabel synthetic disc labels", "BIDSVersion": BIDS_VERSION,
        "DatasetType": "derivative",
        "GeneratedBy": [{"Name": "disclabel.synthetic", "Version": __version__}],
    })
    paths: list[Path] = []
    for i in tqdm(range(n_subjects), desc="synthetic subjects", disable=not progress):
        sub_seed = subject_seed(seed, i)
        mode_rng = np.random.default_rng([sub_seed, MODE_STREAM])
        mode = "random" if mode_rng.random() < random_contrast_fraction else "preset"
        subject = f"{SUBJECT_PREFIX}{i + 1:0{SUBJECT_DIGITS}d}"
        volumes = generate_subject(sub_seed, contrasts, mode)
        paths.extend(write_subject(root, subject, volumes))
    return paths
