"""Volumes a model is scored on besides the real ones: held-out synthetic test sets, images with
no spine at all, and the robustness variants of a real volume (cropped, resampled, inverted,
noisy, rotated). Every volume is written as NIfTI and labelled exactly as label.py does."""

from __future__ import annotations

import zlib
from pathlib import Path

import harness
import nibabel as nib
import numpy as np
from nibabel.processing import resample_to_output
from scipy import ndimage
from shared_data import REAL_VOLUMES

from disclabel.data.geometry import to_canonical
from disclabel.data.io import InputError, disc_voxels, load_nifti, read_data
from disclabel.evaluation.scoring import reference_discs
from disclabel.labeling.labeler import Labeler
from disclabel.synthetic import generate_region, generate_subject
from disclabel.synthetic.imaging import REGIONS

SYNTHETIC_SEED = 900_000
"""Seeds of the synthetic test volumes start here (training draws from other streams)."""
SYNTHETIC_SETS = {"T1w-like": ("T1w", "preset"), "T2w-like": ("T2w", "preset"),
                  "random contrast": ("T2w", "random")}
REGION_SEED = SYNTHETIC_SEED + 10_000
"""Seeds of the region test sets (lumbar, thoracolumbar, whole spine) start here."""
DEVELOPMENT_SEED = 5_000_000
"""Seeds of the region sets that decoder rules are chosen on (``synthetic_check.py --regions
--development``), apart from the scoring sets and from training's streams."""
REGION_CONTRASTS = (("T2w", "preset"), ("T1w", "preset"), ("T2w", "random"))
"""A region set's volumes take these appearances in turn: T2w-like, T1w-like, random."""
NO_SPINE_KINDS = ("noise", "zeros", "brain only", "knee-like")
ROBUSTNESS = ("top two discs cropped", "resampled to 1.5 mm", "contrast inverted",
              "noise added", "rotated 10 degrees", "random contrast per intensity class")
NOISE_FRACTION = 0.08
"""Robustness 'noise added': Gaussian noise (two channels, magnitude) of this share of the
99th intensity percentile."""
ROTATION_DEG = 10.0
INTENSITY_CLASSES = 6
"""Robustness 'random contrast per intensity class': the body's intensities are split into
this many classes at their quantiles, and each class boundary gets a random intensity (the
curve between them linear): tissues of distinct intensities change brightness independently,
in any order, as between contrasts."""
BRAIN_SLABS = 8
"""Brain-only fields of view in the no-spine set (one with the whole head above the cut)."""
BRAIN_CUT_MM = 15.0
"""A brain-only field of view ends this far above the top of C1."""
BRAIN_MIN_HEAD_MM = 80.0
"""Synthetic volumes with less head than this above C1 give no brain-only field of view."""
BRAIN_SLAB_MM = (50.0, 150.0)
"""Height of the short brain-only slabs."""
SLAB_PREFIX = "brain slab"


def save(data: np.ndarray, affine: np.ndarray, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(np.asarray(data, np.float32), affine), str(path))
    return path


def synthetic_set(folder: Path, name: str, count: int, reuse: bool = False
                  ) -> list[tuple[str, Path, Path]]:
    """``count`` synthetic volumes of one test set written under ``folder``: (name, image,
    label) triples. ``reuse``: a volume whose two files are already there is not made again
    (for checks that score many models on the same volumes)."""
    contrast, mode = SYNTHETIC_SETS[name]
    items = []
    for i in range(count):
        stem = f"{name.replace(' ', '-')}_{i:03d}"
        image, label = folder / f"{stem}.nii.gz", folder / f"{stem}_labels.nii.gz"
        if not (reuse and image.exists() and label.exists()):
            seed = SYNTHETIC_SEED + 1000 * list(SYNTHETIC_SETS).index(name) + i
            volume = generate_subject(seed, (contrast,), mode)[contrast]
            save(volume.image, volume.affine, image)
            nib.save(nib.Nifti1Image(volume.labels, volume.affine), str(label))
        items.append((stem, image, label))
    return items


def region_set(folder: Path, region: str, count: int, reuse: bool = False,
               seed: int = REGION_SEED) -> list[tuple[str, Path, Path]]:
    """``count`` synthetic volumes framing one region of the spine (``REGIONS``: lumbar,
    thoracolumbar, whole spine; :func:`disclabel.synthetic.generate_region`), T2w-like, T1w-like
    and random contrast in turn, written under ``folder``: (name, image, label) triples.
    ``seed``: where the sets' seeds start (``REGION_SEED``: the scoring sets;
    ``DEVELOPMENT_SEED``: the volumes decoder rules are chosen on)."""
    items = []
    for i in range(count):
        contrast, mode = REGION_CONTRASTS[i % len(REGION_CONTRASTS)]
        look = "random" if mode == "random" else f"{contrast}-like"
        stem = f"{region.replace(' ', '-')}_{look}_{i:03d}"
        image, label = folder / f"{stem}.nii.gz", folder / f"{stem}_labels.nii.gz"
        if not (reuse and image.exists() and label.exists()):
            volume = generate_region(seed + 1000 * REGIONS.index(region) + i, region,
                                     (contrast,), mode)[contrast]
            save(volume.image, volume.affine, image)
            nib.save(nib.Nifti1Image(volume.labels, volume.affine), str(label))
        items.append((stem, image, label))
    return items


def _knee(rng: np.random.Generator) -> np.ndarray:
    """A knee-like volume (RAS, 1 mm): femur and tibia with bright marrow and dark cortex, a
    joint space, muscle and fat around, noise. (60, 200, 240) float32."""
    x, y, z = np.meshgrid(np.arange(60) - 30.0, np.arange(200) - 100.0, np.arange(240) - 120.0,
                          indexing="ij")
    img = np.where((x / 28) ** 2 + (y / 80) ** 2 < 1, 0.25, 0.0)          # muscle
    img = np.where(((x / 30) ** 2 + (y / 85) ** 2 < 1) & ((x / 27) ** 2 + (y / 78) ** 2 >= 1),
                   0.9, img)                                            # subcutaneous fat
    femur = ((x / 16) ** 2 + (y / 18) ** 2 < 1) & (z > 8)
    condyle = (x / 20) ** 2 + (y / 24) ** 2 + ((z - 20) / 16) ** 2 < 1
    tibia = ((x / 18) ** 2 + (y / 22) ** 2 < 1) & (z < -6) & (z > -110)
    for bone in (femur | condyle, tibia):
        img = np.where(bone, 0.05, img)
        img = np.where(ndimage.binary_erosion(bone, iterations=2), 0.8, img)
    img = ndimage.gaussian_filter(img, 1.0)
    return (img + rng.normal(0, 0.03, img.shape)).clip(0) * 1000


def brain_slabs(folder: Path, rng: np.random.Generator, count: int = BRAIN_SLABS
                ) -> list[tuple[str, Path]]:
    """``count`` brain-only fields of view: synthetic head-and-neck volumes (seeds below the
    test sets') cut ``BRAIN_CUT_MM`` above the top of C1, the first with all the head above,
    the others ``BRAIN_SLAB_MM`` tall (short slabs are where models take the skull's bands
    for discs). (name, path) pairs."""
    items = []
    for seed in range(SYNTHETIC_SEED - 1, SYNTHETIC_SEED - 1000, -1):
        volume = generate_subject(seed, ("T2w",))["T2w"]
        canon = to_canonical(volume.image, volume.affine)
        labels = to_canonical(volume.labels.astype(np.float32), volume.affine).data
        rows = np.nonzero(labels == 1)[1]
        if not len(rows) or rows[0] * canon.zooms[1] <= BRAIN_MIN_HEAD_MM:
            continue
        cut = int(rows[0] - BRAIN_CUT_MM / canon.zooms[1])
        top = 0 if not items else max(0, cut - int(rng.uniform(*BRAIN_SLAB_MM)
                                                   / canon.zooms[1]))
        name = "brain only" if not items else f"{SLAB_PREFIX} {len(items)}"
        stem = "brain" if not items else f"brain_slab{len(items)}"
        items.append((name, save(canon.data[:, top:cut], canon.affine,
                                 folder / f"{stem}.nii.gz")))
        if len(items) == count:
            break
    return items


def no_spine_set(folder: Path) -> list[tuple[str, Path, dict]]:
    """Volumes without a spine: (name, image, empty reference) triples."""
    rng = np.random.default_rng(7)
    items = [("noise", save(rng.random((40, 256, 256)) * 1000, np.eye(4), folder / "noise.nii.gz")),
             ("zeros", save(np.zeros((40, 256, 256)), np.eye(4), folder / "zeros.nii.gz")),
             ("knee-like", save(_knee(rng), np.eye(4), folder / "knee.nii.gz"))]
    items += brain_slabs(folder, rng)
    return [(name, path, {}) for name, path in items]


def _canonical_reference(label_path: Path, volume_affine_canon2src: np.ndarray
                         ) -> dict[int, np.ndarray]:
    discs, _ = disc_voxels(read_data(load_nifti(label_path), label_path))
    src2canon = np.linalg.inv(volume_affine_canon2src)
    return {n: (src2canon @ np.r_[v, 1.0])[:3] for n, v in discs.items()}


def robustness_set(image: Path, label: Path, folder: Path, stem: str
                   ) -> list[tuple[str, Path, dict]]:
    """The robustness variants of one real volume: (variant, image, reference {disc: world
    mm}) triples. Variants are written in the canonical orientation (RIP)."""
    nii = load_nifti(image)
    canon = to_canonical(read_data(nii, image), nii.affine)
    ref_canon = _canonical_reference(label, canon.canon2src)
    ref_world = reference_discs(label)
    data, aff = canon.data, canon.affine
    out = []
    # top two discs cropped: cut half-way between the second and third discs from the top
    order = sorted(ref_canon, key=lambda n: ref_canon[n][1])
    cut = int(round(0.5 * (ref_canon[order[1]][1] + ref_canon[order[2]][1])))
    shift = np.eye(4)
    shift[1, 3] = cut
    out.append((ROBUSTNESS[0], save(data[:, cut:], aff @ shift, folder / f"{stem}_crop.nii.gz"),
                {n: ref_world[n] for n in order[2:]}))
    # resampled to 1.5 mm (world positions of the discs unchanged)
    resampled = resample_to_output(nib.Nifti1Image(data, aff), voxel_sizes=1.5, order=1)
    out.append((ROBUSTNESS[1], save(resampled.get_fdata(), resampled.affine,
                                    folder / f"{stem}_1p5mm.nii.gz"), ref_world))
    # contrast inverted inside the body (air stays dark): a T1w-like look
    hi = float(np.percentile(data, 99.5))
    body = ndimage.gaussian_filter(data, 2.0) > 0.05 * hi
    inverted = np.where(body, hi - np.clip(data, 0, hi), 0.0)
    out.append((ROBUSTNESS[2], save(inverted, aff, folder / f"{stem}_inverted.nii.gz"),
                ref_world))
    # noise added (Rician: magnitude of the image plus complex Gaussian noise)
    rng = np.random.default_rng(11)
    sd = NOISE_FRACTION * float(np.percentile(data, 99))
    noisy = np.hypot(data + rng.normal(0, sd, data.shape), rng.normal(0, sd, data.shape))
    out.append((ROBUSTNESS[3], save(noisy, aff, folder / f"{stem}_noise.nii.gz"), ref_world))
    # rotated 10 degrees in the sagittal plane about the slice centre
    rotated = ndimage.rotate(data, ROTATION_DEG, axes=(1, 2), reshape=False, order=1)
    centre = (np.array(data.shape[1:]) - 1) / 2.0
    theta = np.deg2rad(ROTATION_DEG)
    # scipy's rotate moves the point (row, col) to centre + R (point - centre) with this R
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    ref_rot = {}
    for n, p in ref_canon.items():
        jk = rot @ (p[1:] - centre) + centre
        ref_rot[n] = (aff @ np.r_[p[0], jk, 1.0])[:3].tolist()
    out.append((ROBUSTNESS[4], save(rotated, aff, folder / f"{stem}_rotated.nii.gz"), ref_rot))
    out.append((ROBUSTNESS[5], save(class_contrast(data, body, hi, zlib.crc32(stem.encode())),
                                    aff, folder / f"{stem}_class-contrast.nii.gz"), ref_world))
    return out


def class_contrast(data: np.ndarray, body: np.ndarray, hi: float, seed: int) -> np.ndarray:
    """``data`` with a random intensity for each of ``INTENSITY_CLASSES`` classes of the body's
    intensities (quantile boundaries, linear between them; air outside ``body`` stays 0); the
    seed fixes the draw. Values in [0, hi]."""
    rng = np.random.default_rng(seed)
    knots = np.quantile(data[body], np.linspace(0.0, 1.0, INTENSITY_CLASSES + 1))
    values = rng.uniform(0.0, hi, len(knots))
    return np.where(body, np.interp(data, knots, values), 0.0)


def score_shipped(weights: Path, folder: Path, device: str = "cpu", per_set: int = 12) -> dict:
    """Scores of a model on the synthetic test sets (contrasts, then regions), the TPTBox crop
    and the no-spine volumes (printed as tables and returned)."""
    scores = {}
    rows = []
    sets = [(name, synthetic_set(folder / "synthetic", name, per_set)) for name in SYNTHETIC_SETS]
    sets += [(name, region_set(folder / "synthetic", name, per_set)) for name in REGIONS]
    for name, items in sets:
        results = harness.score_volumes(weights, items, device)
        scores[name] = {"summary": harness.summary(results), "volumes": results}
        rows.append(harness.summary_row(f"synthetic {name} ({per_set} volumes)",
                                        scores[name]["summary"]))
    tpt = next(v for v in REAL_VOLUMES if v.subject == "sub-tptbox")
    from shared_data import SHARED

    results = harness.score_volumes(weights, [("sub-tptbox_T2w", SHARED / tpt.image,
                                                SHARED / tpt.label)], device)
    scores["TPTBox crop"] = {"summary": harness.summary(results), "volumes": results}
    rows.append(harness.result_row("TPTBox crop (C5-C7, 1.5 mm, never trained on)", results[0]))
    labeler = Labeler(weights, device, polarity=harness.POLARITY["mode"])
    found = {name: _discs_or_refusal(labeler, path)
             for name, path, _ in no_spine_set(folder / "no_spine")}
    scores["no spine"] = found
    print(harness.TABLE_HEADER)
    print("\n".join(rows))
    print("no spine: " + no_spine_text(found))
    return scores


def _discs_or_refusal(labeler: Labeler, path: Path) -> list[int] | str:
    """The disc numbers label.py finds, or why it refuses the volume."""
    try:
        return [d.number for d in labeler.label(path).discs]
    except InputError as exc:
        return f"refused ({str(exc).split(': ', 1)[-1]})"


def no_spine_text(found: dict[str, list[int] | str]) -> str:
    """One line: discs found (or the refusal) per volume without a spine; the short brain slabs
    summed up as the number of slabs with discs."""
    slabs = [len(v) if isinstance(v, list) else 0
             for k, v in found.items() if k.startswith(SLAB_PREFIX)]
    text = ", ".join(f"{k}: {len(v)} discs" if isinstance(v, list) else f"{k}: {v}"
                     for k, v in found.items() if not k.startswith(SLAB_PREFIX))
    if slabs:
        text += (f"; short brain-only slabs: discs in {sum(n > 0 for n in slabs)} of "
                 f"{len(slabs)} ({sum(slabs)} discs)")
    return text
