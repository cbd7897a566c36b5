"""Turn manifest entries into prepared 2-D sagittal samples with per-disc keypoints.

Each volume is reoriented to the canonical orientation, a sagittal slice is taken, resampled to
one fixed physical pixel size (``PIXEL_MM``; larger only beyond ``MAX_GRID_SIDE`` pixels), centred
on a grid that holds the whole field of view, and its intensities mapped to [0, 1]. The grid of
one sample is its field of view rounded up to multiples of 64 pixels and at least a training
window (256 x 256: a small field of view lies in black padding; :func:`fit_grid`), exactly as
label.py sees a volume; the samples of a split file share the smallest grid that holds them
all (0 around each field of view). Validation and test samples use the mid-sagittal slice
of the volume, chosen without the labels; training samples use every slice within
``TRAIN_SLICE_HALF_WIDTH_MM`` of the labelled slice.

Arrays of a split file (N samples, D = 25 discs, grid H x W):

==============  =====================  =====================================================
name            dtype, shape           meaning
==============  =====================  =====================================================
images          float32 (N, H, W)      intensities in [0, 1], 0 outside the field of view
keypoints       float32 (N, D, 2)      (row, col) of each disc on the grid, NaN if absent
visible         uint8 (N, D)           1 where the disc is labelled and inside the grid
label_range     int16 (N, 2)           lowest and highest labelled disc numbers
subjects        str (N,)               subject id
contrasts       str (N,)               contrast
image_paths     str (N,)               source NIfTI path
pixel_mm        float32 (N,)           grid pixel size in mm
slice_index     int32 (N,)             canonical sagittal slice of the sample
pix2vox         float64 (N, 4, 4)      (row, col, s, 1) -> source voxel (i, j, k, 1)
vox2world       float64 (N, 4, 4)      source voxel -> world mm (the NIfTI affine)
==============  =====================  =====================================================
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from disclabel.constants import (
    CANONICAL_ORIENTATION,
    DISC_NAMES,
    GRID_MULTIPLE,
    MANIFEST_NAME,
    NUM_DISCS,
    PIXEL_MM,
    SPLIT_NAMES,
    TRAIN_SLICE_HALF_WIDTH_MM,
)
from disclabel.data import splits
from disclabel.data.geometry import (
    CanonicalVolume,
    canonical_extent,
    fit_grid,
    grid_to_slice,
    normalise_intensity,
    pix2vox_matrix,
    points_to_grid,
    resample_slice,
    to_canonical,
    to_canonical_points,
)
from disclabel.data.io import (
    InputError,
    disc_voxels,
    load_nifti,
    read_data,
    read_json,
    same_grid,
    write_json,
    write_npz,
)

PREPARED_VERSION = 2

SAMPLE_KEYS = ("images", "keypoints", "visible", "label_range", "subjects", "contrasts",
               "image_paths", "pixel_mm", "slice_index", "pix2vox", "vox2world")


@dataclass
class Sample:
    """One prepared 2-D sample (see the module docstring for the meaning of each field)."""

    image: np.ndarray
    keypoints: np.ndarray
    visible: np.ndarray
    label_range: tuple[int, int]
    subject: str
    contrast: str
    image_path: str
    pixel_mm: float
    slice_index: int
    pix2vox: np.ndarray
    vox2world: np.ndarray


def mid_slice(volume: CanonicalVolume) -> int:
    """Index of the mid-sagittal slice of a canonical volume (no labels used)."""
    return (volume.data.shape[0] - 1) // 2


def slice_sample(volume: CanonicalVolume, x: int, vox2world: np.ndarray,
                 grid_shape: tuple[int, int] | None = None, pixel_mm: float = PIXEL_MM
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Resample canonical sagittal slice ``x`` at ``pixel_mm``, centred on a grid.

    ``grid_shape`` None: the grid that holds the whole field of view (:func:`fit_grid`); a
    given grid smaller than the field of view keeps its centre. Returns ``(image (H, W)
    float32, g2s (3, 3) grid -> slice voxel, pix2vox (4, 4), pixel)``.
    """
    slice2d = volume.data[x]
    zooms = (float(volume.zooms[1]), float(volume.zooms[2]))
    extent = (slice2d.shape[0] * zooms[0], slice2d.shape[1] * zooms[1])
    auto_grid, pixel = fit_grid(extent, pixel_mm)
    grid_shape = tuple(grid_shape) if grid_shape is not None else auto_grid
    g2s = grid_to_slice(slice2d.shape, zooms, grid_shape, pixel)
    window = normalise_intensity(slice2d)
    image = resample_slice(slice2d, g2s, grid_shape, window)
    return image, g2s, pix2vox_matrix(g2s, x, volume.canon2src), pixel


def keypoints_on_grid(discs_canon: dict[int, np.ndarray], g2s: np.ndarray,
                      grid_shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Disc points (canonical voxels) -> keypoints (D, 2) (row, col) and visible flags (D,)."""
    keypoints = np.full((NUM_DISCS, 2), np.nan, np.float32)
    visible = np.zeros(NUM_DISCS, np.uint8)
    for disc, point in discs_canon.items():
        rc = points_to_grid(point[None], g2s)[0]
        keypoints[disc - 1] = rc
        inside = (-0.5 <= rc[0] <= grid_shape[0] - 0.5) and (-0.5 <= rc[1] <= grid_shape[1] - 0.5)
        visible[disc - 1] = 1 if inside else 0
    return keypoints, visible


def entry_grid(entry: dict, pixel_mm: float = PIXEL_MM) -> tuple[int, int]:
    """The grid that holds an entry's sagittal field of view (header only; InputError if bad)."""
    nii = load_nifti(entry["image"])
    return fit_grid(canonical_extent(nii.shape, nii.affine), pixel_mm)[0]


def prepare_entry(entry: dict, training: bool, grid_shape: tuple[int, int] | None = None,
                  pixel_mm: float = PIXEL_MM,
                  half_width_mm: float = TRAIN_SLICE_HALF_WIDTH_MM) -> list[Sample]:
    """Prepare the samples of one manifest entry (keys ``image``, ``label``, ``subject``,
    ``contrast``). Raises :class:`InputError` for unreadable or inconsistent files."""
    image_nii = load_nifti(entry["image"])
    volume = to_canonical(read_data(image_nii, entry["image"]), image_nii.affine)
    discs_canon: dict[int, np.ndarray] = {}
    label_path = entry.get("label")
    if label_path:
        label_nii = load_nifti(label_path)
        if not same_grid(image_nii, label_nii):
            raise InputError(f"{label_path}: label is not on the image grid")
        discs_src, _ = disc_voxels(read_data(label_nii, label_path))
        discs_canon = {d: to_canonical_points(p[None], volume.canon2src)[0]
                       for d, p in discs_src.items()}
    if training and discs_canon:
        centre = int(round(float(np.median([p[0] for p in discs_canon.values()]))))
        half = int(np.floor(half_width_mm / float(volume.zooms[0]) + 1e-6))
        xs = range(max(centre - half, 0), min(centre + half, volume.data.shape[0] - 1) + 1)
    else:
        xs = [mid_slice(volume)]
    numbers = sorted(discs_canon)
    label_range = (numbers[0], numbers[-1]) if numbers else (0, 0)
    samples = []
    for x in xs:
        image, g2s, pix2vox, pixel = slice_sample(volume, x, image_nii.affine, grid_shape, pixel_mm)
        keypoints, visible = keypoints_on_grid(discs_canon, g2s, image.shape)
        samples.append(Sample(image, keypoints, visible, label_range, entry["subject"],
                              entry["contrast"], str(entry["image"]), pixel, int(x), pix2vox,
                              np.asarray(image_nii.affine, np.float64)))
    return samples


def stack_samples(samples: Sequence[Sample], grid_shape: tuple[int, int]
                  ) -> dict[str, np.ndarray]:
    """Stack samples into the arrays of a split file (empty arrays when there is none)."""
    n = len(samples)

    def strings(values: list[str]) -> np.ndarray:
        return np.array(values, dtype=f"<U{max([len(v) for v in values] + [1])}")

    return {
        "images": np.stack([s.image for s in samples]) if n
        else np.zeros((0, *grid_shape), np.float32),
        "keypoints": np.stack([s.keypoints for s in samples]) if n
        else np.zeros((0, NUM_DISCS, 2), np.float32),
        "visible": np.stack([s.visible for s in samples]) if n
        else np.zeros((0, NUM_DISCS), np.uint8),
        "label_range": np.array([s.label_range for s in samples], np.int16).reshape(n, 2),
        "subjects": strings([s.subject for s in samples]),
        "contrasts": strings([s.contrast for s in samples]),
        "image_paths": strings([s.image_path for s in samples]),
        "pixel_mm": np.array([s.pixel_mm for s in samples], np.float32),
        "slice_index": np.array([s.slice_index for s in samples], np.int32),
        "pix2vox": np.array([s.pix2vox for s in samples], np.float64).reshape(n, 4, 4),
        "vox2world": np.array([s.vox2world for s in samples], np.float64).reshape(n, 4, 4),
    }


def manifest_checksum(path: Path) -> str:
    """SHA-256 of a manifest file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_or_assign_splits(target: Path, entries: Sequence[dict], fractions: Sequence[float],
                          seed: int) -> dict[str, str]:
    """Read ``target/splits.json`` if it exists, assign subjects new to the manifest, write it
    back, and return subject -> side."""
    path = target / "splits.json"
    existing: dict[str, str] = {}
    if path.exists():
        existing = dict(read_json(path, "split file").get("subjects", {}))
    sites = {e["subject"]: e["site"] for e in entries}
    assignment = splits.assign(sites, fractions, seed, existing)
    document = splits.splits_document(assignment, fractions, seed)
    splits.check_no_overlap(document["sides"])
    if not path.exists() or read_json(path, "split file") != document:
        write_json(path, document)
    return assignment


def prepare_dataset(source: Path, target: Path, fractions: Sequence[float] = (0.8, 0.1, 0.1),
                    seed: int = 42, contrasts: Sequence[str] | None = None,
                    grid_shape: tuple[int, int] | None = None, pixel_mm: float = PIXEL_MM,
                    log: Callable[[str], None] = print, progress: bool = True) -> dict:
    """Prepare ``train/val/test.npz``, ``splits.json`` and ``meta.json`` from a manifest.

    ``grid_shape`` None: each split's grid is the smallest that holds all its fields of view at
    ``pixel_mm``. A bad entry is skipped with its reason. Returns the content of ``meta.json``.
    """
    manifest_path = Path(source) / MANIFEST_NAME
    manifest = read_json(manifest_path, "manifest (run create_dataset.py first)")
    entries = [e for e in manifest.get("entries", [])
               if contrasts is None or e["contrast"] in contrasts]
    if not entries:
        raise InputError(f"{manifest_path}: no entry for contrasts {' '.join(contrasts or [])}")
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    assignment = load_or_assign_splits(target, entries, fractions, seed)
    per_split: dict[str, list[Sample]] = {name: [] for name in SPLIT_NAMES}
    skipped = []

    def skip(entry: dict, exc: InputError) -> None:
        skipped.append({"image": entry["image"], "reason": str(exc)})
        log(f"skipped {entry['image']}: {exc}")

    grids: dict[str, tuple[int, int]] = {}
    usable = []
    for entry in entries:
        try:
            grid = tuple(grid_shape) if grid_shape is not None else entry_grid(entry, pixel_mm)
        except InputError as exc:
            skip(entry, exc)
            continue
        side = assignment[entry["subject"]]
        old = grids.get(side, (0, 0))
        grids[side] = (max(old[0], grid[0]), max(old[1], grid[1]))
        usable.append(entry)
    from tqdm import tqdm  # here: label.py samples its slices with this module, without a bar

    for entry in tqdm(usable, desc="prepare", unit="volume", disable=not progress):
        side = assignment[entry["subject"]]
        try:
            per_split[side].extend(prepare_entry(entry, side == "train", grids[side], pixel_mm))
        except InputError as exc:
            skip(entry, exc)
    empty_grid = tuple(grid_shape) if grid_shape is not None else (GRID_MULTIPLE, GRID_MULTIPLE)
    split_grids = {name: list(grids.get(name, empty_grid)) for name in SPLIT_NAMES}
    meta = {
        "version": PREPARED_VERSION,
        "grid_shapes": split_grids,
        "pixel_mm": pixel_mm,
        "orientation": "".join(CANONICAL_ORIENTATION),
        "axes": {"row": "superior -> inferior", "col": "anterior -> posterior"},
        "channels": [{"channel": d - 1, "disc": d, "name": DISC_NAMES[d - 1]}
                     for d in range(1, NUM_DISCS + 1)],
        "manifest": str(manifest_path.resolve()),
        "manifest_sha256": manifest_checksum(manifest_path),
        "seed": seed,
        "fractions": [float(f) for f in fractions],
        "train_slice_half_width_mm": TRAIN_SLICE_HALF_WIDTH_MM,
        "counts": {}, "skipped": skipped,
    }
    for name in SPLIT_NAMES:
        samples = per_split[name]
        write_npz(target / f"{name}.npz", stack_samples(samples, tuple(split_grids[name])))
        meta["counts"][name] = {"samples": len(samples),
                                "subjects": len({s.subject for s in samples})}
    write_json(target / "meta.json", meta)
    return meta
