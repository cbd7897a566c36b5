"""Gather BIDS datasets (Spine Generic layout) into a manifest of checked image/label pairs.

Layout (``<suffix>`` defaults to ``labels-disc-manual``)::

    ROOT/sub-X/anat/sub-X_<contrast>.nii.gz
    ROOT/derivatives/labels/sub-X/anat/sub-X_<contrast>_<suffix>.nii.gz

Sessions (``sub-X/ses-Y/anat``) are accepted too. The manifest (``dataset.json``) lists one entry
per usable (subject, contrast) pair and every skipped pair with its reason; no image is copied.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from disclabel.constants import CONTRASTS, DEFAULT_LABEL_SUFFIX, IGNORED_LABEL_VALUES, NUM_DISCS
from disclabel.data.geometry import orientation_code
from disclabel.data.io import (
    InputError,
    describe_ignored,
    disc_voxels,
    load_nifti,
    nifti_stem,
    read_data,
    same_grid,
)

MANIFEST_VERSION = 1
NIFTI_EXTENSIONS = (".nii.gz", ".nii")
_SITE_RE = re.compile(r"^([A-Za-z]+)")


def site_of(subject: str) -> str:
    """Acquisition site of a subject id: its leading letters (``sub-amu01`` -> ``amu``)."""
    name = subject.removeprefix("sub-")
    match = _SITE_RE.match(name)
    return match.group(1).lower() if match else "unknown"


@dataclass
class GatherResult:
    """Entries of usable pairs, skipped pairs with reasons, and ignored-label counts."""

    entries: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    ignored_values: Counter = field(default_factory=Counter)


def _find_file(folder: Path, stem: str) -> Path | None:
    for ext in NIFTI_EXTENSIONS:
        candidate = folder / f"{stem}{ext}"
        if candidate.is_file():
            return candidate
    return None


def _anat_folders(root: Path) -> list[tuple[str, Path]]:
    """(subject, anat folder) pairs of a BIDS root, sorted, sessions included."""
    folders = []
    for sub in sorted(root.glob("sub-*")):
        if not sub.is_dir():
            continue
        if (sub / "anat").is_dir():
            folders.append((sub.name, sub / "anat"))
        for ses in sorted(sub.glob("ses-*/anat")):
            folders.append((sub.name, ses))
    return folders


LABEL_ROUNDING: float = 1e-3
"""Label voxels farther than this from an integer make a label file invalid."""


def check_pair(image_path: Path, label_path: Path) -> tuple[dict, dict[int, int]]:
    """Load and check one image/label pair.

    Returns the manifest fields of the pair (shape, zooms, orientation, disc numbers) and the
    counts of ignored label values. Raises :class:`InputError` naming the file and the problem.
    """
    image = load_nifti(image_path)
    read_data(image, image_path)  # NaN / unreadable voxels are caught here
    label = load_nifti(label_path)
    if not same_grid(image, label):
        raise InputError(f"{label_path}: label is not on the image grid (shape {label.shape} vs "
                         f"{image.shape}, or a different affine)")
    values = read_data(label, label_path)
    if np.any(np.abs(values - np.rint(values)) > LABEL_ROUNDING):
        raise InputError(f"{label_path}: non-integer label values (a label file holds disc "
                         "numbers, not an image)")
    discs, ignored = disc_voxels(values)
    unknown = {v: n for v, n in ignored.items() if v not in IGNORED_LABEL_VALUES}
    if unknown:
        raise InputError(f"{label_path}: label values outside 1..{NUM_DISCS} that are not known "
                         f"landmarks {IGNORED_LABEL_VALUES}: {describe_ignored(unknown)}")
    if not discs:
        extra = f" (only {describe_ignored(ignored)})" if ignored else ""
        raise InputError(f"{label_path}: no disc label (values 1..25){extra}")
    fields = {
        "shape": [int(n) for n in image.shape[:3]],
        "zooms": [round(float(z), 6) for z in image.header.get_zooms()[:3]],
        "orientation": orientation_code(image.affine),
        "discs": sorted(discs),
    }
    return fields, ignored


def gather(roots: Sequence[Path], contrasts: Sequence[str] = CONTRASTS,
           label_suffixes: Sequence[str] = (DEFAULT_LABEL_SUFFIX,),
           log: Callable[[str], None] | None = None) -> GatherResult:
    """Collect every checked (subject, contrast) pair of the BIDS roots.

    A label is looked for with each suffix in turn; the first that exists is used.
    """
    result = GatherResult()
    for root in roots:
        root = Path(root).resolve()
        if not root.is_dir():
            raise InputError(f"{root}: BIDS root not found")
        for subject, anat in _anat_folders(root):
            rel = anat.relative_to(root)
            for contrast in contrasts:
                session = anat.parent.name if anat.parent.name.startswith("ses-") else None
                prefix = f"{subject}_{session}" if session else subject
                image_path = _find_file(anat, f"{prefix}_{contrast}")
                if image_path is None:
                    continue
                stem = nifti_stem(image_path)
                label_dir = root / "derivatives" / "labels" / rel
                found = (_find_file(label_dir, f"{stem}_{s}") for s in label_suffixes)
                label_path = next((p for p in found if p is not None), None)
                if label_path is None:
                    result.skipped.append({"image": str(image_path), "reason":
                                           f"no label file ({', '.join(label_suffixes)})"})
                    continue
                try:
                    fields, ignored = check_pair(image_path, label_path)
                except InputError as exc:
                    result.skipped.append({"image": str(image_path), "reason": str(exc)})
                    continue
                result.ignored_values.update(ignored)
                result.entries.append({
                    "subject": subject, "site": site_of(subject), "contrast": contrast,
                    "image": str(image_path), "label": str(label_path), **fields,
                })
                if log:
                    log(f"  {subject} {contrast}: discs {fields['discs'][0]}-{fields['discs'][-1]}"
                        f" ({len(fields['discs'])}), {fields['orientation']}")
    return result


def manifest_dict(result: GatherResult, roots: Sequence[Path], contrasts: Sequence[str],
                  label_suffixes: Sequence[str]) -> dict:
    """The JSON content of ``dataset.json``."""
    return {
        "version": MANIFEST_VERSION,
        "roots": [str(Path(r).resolve()) for r in roots],
        "contrasts": list(contrasts),
        "label_suffixes": list(label_suffixes),
        "entries": result.entries,
        "skipped": result.skipped,
        "ignored_label_values": {str(k): v for k, v in sorted(result.ignored_values.items())},
    }
