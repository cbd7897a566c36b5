"""PyTorch datasets of prepared samples (and of on-the-fly synthetic ones) with heatmap targets.

An item is a dict of tensors:

* ``image``: (1, H, W) float32 in [0, 1];
* ``target``: (D, H/4, W/4) float32, one Gaussian per present disc (peak 1), zeros for absent ones
  (left out when the dataset's ``targets`` is False: the training step then renders it on its
  device from ``keypoints``, see :func:`disclabel.model.loss.batch_targets`);
* ``weight``: (D,) float32, 1 for discs inside the sample's labelled range (absent ones there are
  truly absent, and the network learns absence), ``outside_weight`` for the others, whose
  absence from the label file says nothing; each times the dataset's ``channel_scale`` (D,)
  when it has one (``main.py --disc-weight``);
* ``keypoints``: (D, 2) float32 (row, col) in input pixels, NaN when absent;
* ``pixel_mm``: () float32; ``index``: () int64, the sample's row in the split file.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from disclabel.constants import (
    MIN_SIGMA_OUTPUT_PX,
    NUM_DISCS,
    OUTPUT_STRIDE,
    OUTSIDE_WEIGHT,
    SIGMA_MM,
)
from disclabel.data.augment import Compose
from disclabel.data.heatmaps import render_heatmaps
from disclabel.data.io import InputError, read_npz
from disclabel.data.windows import crop_window

NEGATIVE_SMOOTHING_PX: tuple[float, float] = (1.0, 8.0)


def negative_image(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A random image without a spine (H, W) in [0, 1]: noise, smoothed noise or a constant."""
    kind = rng.integers(3)
    if kind == 2:
        return np.full(shape, rng.uniform(0, 1), np.float32)
    noise = rng.random(shape).astype(np.float32)
    if kind == 1:
        noise = cv2.GaussianBlur(noise, (0, 0), float(rng.uniform(*NEGATIVE_SMOOTHING_PX)))
        noise = (noise - noise.min()) / max(float(np.ptp(noise)), 1e-6)
    return noise.astype(np.float32)


def sigma_output_px(sigma_mm: float, pixel_mm: float, stride: int = OUTPUT_STRIDE) -> float:
    """Target sigma in output pixels for a sigma in mm on a grid of ``pixel_mm``."""
    return max(sigma_mm / (pixel_mm * stride), MIN_SIGMA_OUTPUT_PX)


def disc_weights(label_range: tuple[int, int], outside_weight: float,
                 channel_scale: np.ndarray | None = None) -> np.ndarray:
    """(D,) loss weights: 1 inside the labelled disc range [lo, hi], ``outside_weight``
    elsewhere, each times ``channel_scale`` (D,) when given."""
    weights = np.full(NUM_DISCS, outside_weight, np.float32)
    lo, hi = int(label_range[0]), int(label_range[1])
    if lo >= 1:
        weights[lo - 1:hi] = 1.0
    return weights if channel_scale is None else weights * channel_scale


def make_item(image: np.ndarray, keypoints: np.ndarray, label_range: tuple[int, int],
              pixel_mm: float, index: int, sigma_mm: float, outside_weight: float,
              target: bool = True, channel_scale: np.ndarray | None = None
              ) -> dict[str, torch.Tensor]:
    """Assemble one training item (see the module docstring) from an image and keypoints;
    ``target=False`` leaves the heatmaps out; ``channel_scale`` (D,) multiplies the disc
    weights."""
    h, w = image.shape
    item = {"target": torch.from_numpy(render_heatmaps(
        keypoints, (h // OUTPUT_STRIDE, w // OUTPUT_STRIDE),
        sigma_output_px(sigma_mm, pixel_mm)))} if target else {}
    return {
        **item,
        "image": torch.from_numpy(np.ascontiguousarray(image, np.float32))[None],
        "weight": torch.from_numpy(disc_weights(label_range, outside_weight, channel_scale)),
        "keypoints": torch.from_numpy(np.asarray(keypoints, np.float32)),
        "pixel_mm": torch.tensor(float(pixel_mm), dtype=torch.float32),
        "index": torch.tensor(index, dtype=torch.int64),
    }


class PreparedDataset(Dataset):
    """Samples of one prepared split file (``train.npz`` ...), optionally augmented.

    ``window`` (rows, cols): every item is a random window of that size cut from its sample
    (:func:`crop_window`; training); None: the whole sample (evaluation). ``repeat``: the
    dataset lists every sample this many times (each time with a fresh window and
    augmentation), so that an epoch of a few real volumes is not a handful of steps.
    """

    def __init__(self, path: str | Path, sigma_mm: float = SIGMA_MM,
                 augment: Compose | None = None, outside_weight: float = OUTSIDE_WEIGHT,
                 negative_ratio: float = 0.0, seed: int = 0,
                 window: tuple[int, int] | None = None, repeat: int = 1,
                 channel_scale: np.ndarray | None = None) -> None:
        self.path = Path(path)
        self.arrays = read_npz(self.path)
        missing = {"images", "keypoints", "label_range", "pixel_mm"} - set(self.arrays)
        if missing:
            raise InputError(f"{self.path}: not a prepared split file (missing "
                             f"{', '.join(sorted(missing))})")
        self.sigma_mm = sigma_mm
        self.augment = augment
        self.outside_weight = outside_weight
        self.negative_ratio = negative_ratio
        self.rng = np.random.default_rng(seed)
        self.window = None if window is None else (int(window[0]), int(window[1]))
        self.repeat = max(int(repeat), 1)
        self.channel_scale = channel_scale
        self.targets = True

    def reseed(self, seed: int) -> None:
        """Give this dataset (and its augmenter) fresh random streams, e.g. per worker."""
        self.rng = np.random.default_rng([seed, 1])
        if self.augment is not None:
            self.augment.reseed(seed)

    def __len__(self) -> int:
        return len(self.arrays["images"]) * self.repeat

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        index = index % len(self.arrays["images"])
        if self.negative_ratio > 0 and self.rng.random() < self.negative_ratio:
            shape = self.window or self.arrays["images"].shape[1:]
            return make_item(negative_image(self.rng, shape),
                             np.full((NUM_DISCS, 2), np.nan, np.float32), (1, NUM_DISCS),
                             float(self.arrays["pixel_mm"][index]), index, self.sigma_mm, 1.0,
                             self.targets, self.channel_scale)
        image = self.arrays["images"][index]
        keypoints = self.arrays["keypoints"][index]
        if self.window is not None:
            image, keypoints = crop_window(image, keypoints, self.window, self.rng)
        if self.augment is not None:
            image, keypoints = self.augment(image, keypoints)
        return make_item(image, keypoints, tuple(self.arrays["label_range"][index]),
                         float(self.arrays["pixel_mm"][index]), index, self.sigma_mm,
                         self.outside_weight, self.targets, self.channel_scale)


class SyntheticDataset(Dataset):
    """Samples drawn on the fly: synthetic ones (fully labelled: every disc in view is
    labelled, so absent discs are truly absent and weigh fully), or real volumes changed in 3-D
    (:func:`disclabel.data.oblique.oblique_sample`).

    ``sampler(rng)`` returns ``(image (H, W), keypoints (D, 2))``, or ``(image, keypoints,
    label_range)`` for a sample labelled over a range of discs only (those outside it weigh
    ``outside_weight``, as in :class:`PreparedDataset`). With ``pool`` 0, item ``i``
    of epoch ``e`` is a fresh sample drawn from a generator seeded by ``(seed, e, i)``. With
    ``pool`` P > 0, the epochs cycle through P samples seeded by ``(seed, k)``, each drawn once
    and kept in memory (float16), so that drawing does not slow training down; every use gets a
    fresh augmentation.
    """

    def __init__(self, length: int, sampler: Callable[[np.random.Generator], tuple],
                 pixel_mm: float, sigma_mm: float = SIGMA_MM, augment: Compose | None = None,
                 seed: int = 0, pool: int = 0, outside_weight: float = OUTSIDE_WEIGHT,
                 channel_scale: np.ndarray | None = None) -> None:
        self.length = length
        self.outside_weight = outside_weight
        self.channel_scale = channel_scale
        self.sampler = sampler
        self.pixel_mm = pixel_mm
        self.sigma_mm = sigma_mm
        self.augment = augment
        self.seed = seed
        self.pool = int(pool)
        self.cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.epoch = 0
        self.targets = True

    def reseed(self, seed: int) -> None:
        """Items are seeded by (seed, epoch, index); only the augmenter needs a new stream."""
        if self.augment is not None:
            self.augment.reseed(seed)

    def __len__(self) -> int:
        return self.length

    def draw(self, index: int) -> tuple:
        """The un-augmented sample of item ``index`` in the current epoch: ``(image,
        keypoints[, label_range])`` as the sampler returns it."""
        if self.pool <= 0:
            return self.sampler(np.random.default_rng([self.seed, self.epoch, index]))
        image, keypoints, *rest = self._pooled((index + self.epoch * self.length) % self.pool)
        return (image.astype(np.float32), keypoints.copy(), *rest)

    def _pooled(self, k: int) -> tuple:
        """Pool sample ``k`` (float16 image, keypoints[, label_range]), drawn on first use."""
        if k not in self.cache:
            image, *rest = self.sampler(np.random.default_rng([self.seed, k]))
            self.cache[k] = (image.astype(np.float16), *rest)
        return self.cache[k]

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        image, keypoints, *rest = self.draw(index)
        if self.augment is not None:
            image, keypoints = self.augment(image, keypoints)
        label_range, weight = ((tuple(rest[0]), self.outside_weight) if rest
                               else ((1, NUM_DISCS), 1.0))
        return make_item(image, keypoints, label_range, self.pixel_mm, -1 - index,
                         self.sigma_mm, weight, self.targets, self.channel_scale)

    def fill(self, processes: int = 0) -> None:
        """Draw the whole pool now, with ``processes`` worker processes (0: here), before the
        DataLoader's workers start, so that they share it instead of each drawing (and losing
        every epoch) its own copy. Sample ``k`` is seeded by ``(seed, k)`` whatever the count."""
        missing = [k for k in range(self.pool) if k not in self.cache]
        if processes <= 1 or len(missing) < 2:
            for k in missing:
                self._pooled(k)
            return
        global _FILL_SAMPLER
        _FILL_SAMPLER = self.sampler  # inherited by the forked processes (lambdas don't pickle)
        context = multiprocessing.get_context("fork")
        with context.Pool(processes) as pool:
            drawn = pool.map(_draw_pooled, [(self.seed, k) for k in missing], chunksize=8)
        _FILL_SAMPLER = None
        self.cache.update(zip(missing, drawn, strict=True))


_FILL_SAMPLER: Callable[[np.random.Generator], tuple] | None = None


def _draw_pooled(seed_and_k: tuple[int, int]) -> tuple:
    """Pool sample ``k`` of :meth:`SyntheticDataset.fill` (in a forked process)."""
    image, *rest = _FILL_SAMPLER(np.random.default_rng(list(seed_and_k)))
    return (image.astype(np.float16), *rest)


def worker_init(worker_id: int) -> None:
    """DataLoader worker initialiser: give each worker's augmenter its own random streams."""
    info = torch.utils.data.get_worker_info()
    if info is None:
        return
    for dataset in getattr(info.dataset, "datasets", [info.dataset]):
        if hasattr(dataset, "reseed"):
            dataset.reseed(int(info.seed % 2**32))
