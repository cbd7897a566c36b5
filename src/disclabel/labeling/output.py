"""Writing a label file: the input's exact grid with one voxel per disc, gzipped
reproducibly and atomically."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import TYPE_CHECKING

import nibabel as nib
import numpy as np

from disclabel.data.io import atomic_path, nifti_stem

if TYPE_CHECKING:
    from disclabel.labeling.labeler import LabelResult



LABEL_DTYPE = np.uint8
GZIP_LEVEL: int = 1
"""zlib level of a gzipped label file: nibabel's own, three times faster than the most (9) on a
volume of zeros (8 against 24 ms for 4.3 million voxels), for a file of 19 KB instead of 4 KB."""


def label_image(result: LabelResult, reference: nib.Nifti1Image) -> nib.Nifti1Image:
    """The label volume: the reference's exact shape, affine and header, one voxel per disc."""
    labels = np.zeros(result.shape, LABEL_DTYPE, order="F")  # NIfTI's order: written at once
    for disc in result.discs:
        labels[disc.voxel] = disc.number
    header = reference.header.copy()
    header.set_data_dtype(LABEL_DTYPE)
    out = nib.Nifti1Image(labels, reference.affine, header)
    out.set_qform(reference.get_qform(), int(reference.header["qform_code"]))
    out.set_sform(reference.get_sform(), int(reference.header["sform_code"]))
    out.header.set_slope_inter(1.0, 0.0)
    return out


def save_nifti_atomic(image: nib.Nifti1Image, path: Path) -> None:
    """Write a NIfTI (gzipped when the name ends in .gz, at ``GZIP_LEVEL``, with a fixed
    timestamp and no file name in the gzip header: the same labels give the same bytes)
    atomically."""
    raw = image.to_bytes()
    with atomic_path(path) as tmp:
        if path.name.endswith(".gz"):
            with open(tmp, "wb") as handle, gzip.GzipFile(filename="", fileobj=handle,
                                                         mode="wb", mtime=0,
                                                         compresslevel=GZIP_LEVEL) as gz:
                gz.write(raw)
        else:
            tmp.write_bytes(raw)


def sidecar_path(label_path: Path) -> Path:
    """The JSON sidecar of a label file: the same stem with ``.json``."""
    return label_path.with_name(nifti_stem(label_path) + ".json")
