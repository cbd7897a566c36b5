"""File input/output: validated NIfTI loading, atomic writes, deterministic JSON and ``.npz`` files.

Every problem with an input raises :class:`InputError` whose message is one line naming the file
and the problem; the command-line front ends print it and exit non-zero. Every output is written to
a temporary file beside its destination and moved into place only when complete, so an error never
leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from disclabel.constants import IGNORED_LABEL_VALUES, MAX_VOXELS, NUM_DISCS

AFFINE_TOLERANCE_MM: float = 1e-3
"""Largest difference between two affines' entries for them to describe the same grid."""
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class InputError(Exception):
    """A bad input file or argument; ``str(error)`` is a one-line message naming the file."""


TRAIN_EXTRA_MODULES: tuple[str, ...] = ("torch", "torchvision", "imageio", "onnx", "onnxscript")
"""What ``pip install "disclabel[train]"`` adds to the light install (labelling with ONNX
Runtime needs none of them)."""


def available_cores() -> int:
    """CPU cores this process may run on (its affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def missing_extra(exc: ImportError, what: str) -> InputError | None:
    """The one-line error for ``what`` when ``exc`` says that a module of the ``train`` extra is
    not installed; None for any other import error (which is then a bug, not a set-up)."""
    name = (getattr(exc, "name", None) or "").split(".")[0]
    if name not in TRAIN_EXTRA_MODULES:
        return None
    return InputError(f"{what} needs {name}, which is not installed here (the light install "
                      f"labels with ONNX Runtime only): pip install \"disclabel[train]\"")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def load_nifti(path: str | os.PathLike) -> nib.Nifti1Image:
    """Load a 3-D NIfTI image header, raising :class:`InputError` for any problem.

    A 4-D image whose fourth dimension is 1 is accepted and squeezed to 3-D. The voxel data is
    not read here; use :func:`read_data`.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    try:
        img = nib.load(str(path))
    except Exception as exc:  # nibabel raises many types for corrupt files
        raise InputError(f"{path}: cannot be read as NIfTI ({_one_line(exc)})") from exc
    return checked_nifti(img, path)


def checked_nifti(img: Any, path: str | os.PathLike) -> nib.Nifti1Image:
    """The checks of :func:`load_nifti` on an image already loaded (``path`` names it in the
    error messages): a 3-D NIfTI image (a 4-D one with one volume squeezed to 3-D) with a
    finite, non-singular affine and at most ``MAX_VOXELS`` voxels."""
    if not isinstance(img, (nib.Nifti1Image, nib.Nifti2Image)):
        raise InputError(f"{path}: not a NIfTI image ({type(img).__name__})")
    shape = img.shape
    if int(np.prod(shape, dtype=np.float64)) > MAX_VOXELS:
        raise InputError(f"{path}: image of shape {tuple(shape)} is larger than the limit of "
                         f"{MAX_VOXELS:,} voxels")
    if len(shape) == 4 and shape[3] == 1:
        img = nib.Nifti1Image(np.asanyarray(img.dataobj)[..., 0], img.affine, img.header)
        shape = img.shape
    if len(shape) != 3:
        raise InputError(f"{path}: expected a 3-D image, got shape {tuple(shape)}")
    if min(shape) < 1:
        raise InputError(f"{path}: empty image, shape {tuple(shape)}")
    if not np.all(np.isfinite(img.affine)):
        raise InputError(f"{path}: invalid affine (non-finite values)")
    voxel_mm = np.linalg.norm(img.affine[:3, :3], axis=0)
    if voxel_mm.min() < 1e-6:
        raise InputError(f"{path}: invalid affine (zero voxel size: {voxel_mm.round(6).tolist()})")
    if abs(np.linalg.det(img.affine[:3, :3])) < 1e-9:
        raise InputError(f"{path}: invalid affine (singular: its axes are not independent)")
    return img


def read_data(img: nib.Nifti1Image, path: str | os.PathLike, *, check_finite: bool = True
              ) -> np.ndarray:
    """Read the voxel array of ``img`` as float32 (array order = file order, shape (i, j, k))."""
    try:
        data = np.asarray(img.dataobj, dtype=np.float32)
    except Exception as exc:
        raise InputError(f"{path}: voxel data cannot be read ({_one_line(exc)})") from exc
    if data.ndim == 4:
        data = data[..., 0]
    if check_finite and not np.all(np.isfinite(data)):
        bad = int(np.count_nonzero(~np.isfinite(data)))
        raise InputError(f"{path}: {bad} voxels are NaN or infinite")
    return data


def nifti_stem(path: str | os.PathLike) -> str:
    """File name without its ``.nii.gz`` or ``.nii`` extension (``sub-01_T2w.nii.gz`` ->
    ``sub-01_T2w``)."""
    return Path(path).name.removesuffix(".gz").removesuffix(".nii")


def same_grid(a: nib.Nifti1Image, b: nib.Nifti1Image) -> bool:
    """Whether two images share shape and affine (within :data:`AFFINE_TOLERANCE_MM`)."""
    return a.shape[:3] == b.shape[:3] and np.allclose(a.affine, b.affine, atol=AFFINE_TOLERANCE_MM)


def disc_voxels(labels: np.ndarray) -> tuple[dict[int, np.ndarray], dict[int, int]]:
    """Find disc label voxels in a label array.

    Args:
        labels: 3-D label array (i, j, k) in file order.

    Returns:
        ``(discs, ignored)``: ``discs`` maps disc number (1..25) to its voxel index (i, j, k) as
        float64 (the centroid when a disc value covers several voxels); ``ignored`` counts voxels
        of every other non-zero value (for example 49/50 landmarks) by value.
    """
    values = np.rint(labels).astype(np.int64)
    idx = np.nonzero(values)
    found = values[idx]
    discs: dict[int, np.ndarray] = {}
    ignored: dict[int, int] = {}
    coords = np.stack(idx, axis=1).astype(np.float64)
    for value in np.unique(found).tolist():
        sel = found == value
        if 1 <= value <= NUM_DISCS:
            discs[int(value)] = coords[sel].mean(axis=0)
        else:
            ignored[int(value)] = int(sel.sum())
    return discs, ignored


def describe_ignored(ignored: Mapping[int, int]) -> str:
    """Short text for ignored label values, naming known landmark values."""
    parts = []
    for value, count in sorted(ignored.items()):
        kind = "landmark" if value in IGNORED_LABEL_VALUES else "not a disc"
        parts.append(f"{value} ({kind}, {count} voxel{'s' if count > 1 else ''})")
    return ", ".join(parts)


def _default_file_mode() -> int:
    """Mode of a new ordinary file under the current umask (0644 with the usual 022)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds,
    after flushing it to disk (a crash at any moment leaves the old file or the new one whole)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise InputError(f"{path}: cannot be written ({exc.strerror or exc})") from exc
    os.close(fd)
    os.chmod(tmp, _default_file_mode())  # mkstemp makes 0600; outputs are ordinary files
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def json_text(obj: Any) -> str:
    """Deterministic JSON text (2-space indent, no NaN) ending with a newline."""
    return json.dumps(obj, indent=2, allow_nan=False) + "\n"


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as deterministic JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json_text(obj))


def read_json(path: str | os.PathLike, what: str = "JSON file") -> Any:
    """Read a JSON file, raising :class:`InputError` naming the file on any problem."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: {what} not found")
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: {what} is not valid JSON ({_one_line(exc)})") from exc


def write_npz(path: str | os.PathLike, arrays: Mapping[str, np.ndarray]) -> None:
    """Write arrays as an uncompressed ``.npz`` whose bytes depend on the arrays only.

    ``numpy.savez`` stamps the current time into the archive; this writer uses a fixed time so
    that the same inputs give byte-identical files. Object arrays are refused (no pickles).
    """
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            array = np.ascontiguousarray(arrays[name])
            if array.dtype.hasobject:
                raise TypeError(f"array {name!r} has dtype object; refusing to pickle")
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue())


def read_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Load every array of an ``.npz`` file without pickles."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: prepared data not found (run prepare_trainset.py first)")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: cannot be read as .npz ({_one_line(exc)})") from exc


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file (to identify the model in outputs)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
