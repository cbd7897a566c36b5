"""Training augmentation of a 2-D sample together with its disc keypoints.

Every random transform owns its ``numpy.random.Generator`` (seeded through :meth:`reseed`), takes
``(image, keypoints)`` and returns new ones: image (H, W) float32 in [0, 1], keypoints (D, 2)
float32 (row, col) with NaN for an absent disc. A disc moved off the grid, or cut off by a
field-of-view crop, becomes NaN (absent). No transform flips the image: the spine stays head up.

The geometric transforms (affine, elastic) are torchvision's ``transforms.v2`` applied to a
``tv_tensors.Image`` and ``tv_tensors.KeyPoints`` (which are ``(x, y) = (col, row)``); their torch
random draws are made inside ``torch.random.fork_rng`` from a seed drawn from the transform's own
generator, so the global torch stream is never touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import cv2
import numpy as np
import torch
from torchvision import tv_tensors
from torchvision.transforms import v2

from disclabel.constants import FOV_CROP_P, INTENSITY_MAP_P
from disclabel.data.contrast import blend_in_body, body_weights

Sample2D = tuple[np.ndarray, np.ndarray]
_SEED_RANGE = 2**31 - 1


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges of every augmentation (probabilities in [0, 1])."""

    rotate_deg: float = 12.0
    scale: tuple[float, float] = (0.85, 1.18)
    translate: float = 0.05          # fraction of the grid size
    p_affine: float = 0.8
    elastic_px: tuple[float, float] = (1.0, 4.0)   # displacement standard deviation (pixels)
    elastic_node_px: int = 48        # spacing of the displacement field's random nodes
    p_elastic: float = 0.5
    p_crop: float = FOV_CROP_P
    crop_max: float = 0.35           # largest fraction of rows removed at either end
    p_narrow: float = 0.0            # share of samples whose field of view is narrowed (A-P)
    narrow_px: tuple[float, float] = (50.0, 140.0)  # width of the narrowed field (pixels;
    #                                                 training uses NARROW_FOV_MM / pixel size)
    p_intensity_map: float = INTENSITY_MAP_P
    intensity_points: int = 5        # control points of the random intensity curve
    p_invert: float = 0.4            # share of the intensity maps that invert the image
    p_tissue: float = 0.0            # share of the other maps whose knots sit at the body's
    #                                  intensity quantiles (a random level per tissue class)
    gamma: tuple[float, float] = (0.6, 1.6)
    p_gamma: float = 0.5
    contrast: tuple[float, float] = (0.7, 1.3)
    p_contrast: float = 0.5
    noise_std: tuple[float, float] = (0.0, 0.06)
    p_noise: float = 0.5
    blur_sigma: tuple[float, float] = (0.3, 1.2)
    p_blur: float = 0.2
    bias_strength: float = 0.35      # largest relative gain change of the smooth bias field
    p_bias: float = 0.4

    def to_dict(self) -> dict:
        return asdict(self)


class RandomTransform:
    """Base class: a transform applied with probability ``p`` using its own generator."""

    def __init__(self, p: float, seed: int | None = None) -> None:
        self.p = p
        self.rng = np.random.default_rng(seed)

    def reseed(self, seed: int | np.random.SeedSequence) -> None:
        self.rng = np.random.default_rng(seed)

    def __call__(self, image: np.ndarray, keypoints: np.ndarray) -> Sample2D:
        if self.rng.random() >= self.p:
            return image, keypoints
        return self.apply(image, keypoints)

    def apply(self, image: np.ndarray, keypoints: np.ndarray) -> Sample2D:
        raise NotImplementedError


def _drop_outside(keypoints: np.ndarray, shape: tuple[int, int], top: float = -0.5,
                  bottom: float | None = None, left: float = -0.5,
                  right: float | None = None) -> np.ndarray:
    """Set keypoints outside rows [top, bottom] and columns [left, right] (by default the
    grid's) to NaN."""
    bottom = shape[0] - 0.5 if bottom is None else bottom
    right = shape[1] - 0.5 if right is None else right
    kp = keypoints.copy()
    out = (kp[:, 0] < top) | (kp[:, 0] > bottom) | (kp[:, 1] < left) | (kp[:, 1] > right)
    kp[out] = np.nan
    return kp


class TorchvisionGeometric(RandomTransform):
    """Base class of the geometric transforms done by torchvision on image and keypoints."""

    def warp(self, image: tv_tensors.Image, keypoints: tv_tensors.KeyPoints
             ) -> tuple[tv_tensors.Image, tv_tensors.KeyPoints]:
        """Transform both with torchvision (random draws from the global torch stream, which
        :meth:`apply` forks and seeds from this transform's own generator)."""
        raise NotImplementedError

    def apply(self, image: np.ndarray, keypoints: np.ndarray) -> Sample2D:
        h, w = image.shape
        seed = int(self.rng.integers(_SEED_RANGE))
        xy = torch.from_numpy(np.ascontiguousarray(keypoints[:, ::-1], np.float32))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            out, moved = self.warp(tv_tensors.Image(torch.from_numpy(image)[None]),
                                   tv_tensors.KeyPoints(xy, canvas_size=(h, w)))
        rc = moved.as_subclass(torch.Tensor).numpy()[:, ::-1].astype(np.float32)
        return out[0].numpy().astype(np.float32), _drop_outside(rc, (h, w))


class RandomAffine(TorchvisionGeometric):
    """Rotation about the grid centre, isotropic scale and translation (no flip)."""

    def __init__(self, rotate_deg: float, scale: tuple[float, float], translate: float,
                 p: float, seed: int | None = None) -> None:
        super().__init__(p, seed)
        self.transform = v2.RandomAffine(degrees=rotate_deg, translate=(translate, translate),
                                         scale=scale, interpolation=v2.InterpolationMode.BILINEAR,
                                         fill=0.0)

    def warp(self, image, keypoints):
        return self.transform(image, keypoints)


class RandomElastic(TorchvisionGeometric):
    """A smooth random elastic deformation (torchvision's ``elastic``): the spine's curvature,
    the discs' shapes and the soft tissue change a little, and the keypoints follow.

    The displacement field is drawn on nodes ``node_px`` apart (normal, standard deviation
    ``amplitude_px`` pixels) and interpolated bicubically: as smooth as ``ElasticTransform``
    with a large sigma, without its full-size Gaussian blur (seconds per image on a CPU).
    Output pixel ``q`` shows input point ``q + D(q)``; a keypoint ``p`` therefore moves to the
    ``q`` solving ``q + D(q) = p``, found by fixed-point iteration on the interpolated field
    (torchvision's keypoint kernel reads ``D`` at the floored pixel, off by up to 1.5 pixels
    on such fields).
    """

    ITERATIONS = 8

    def __init__(self, amplitude_px: tuple[float, float], node_px: int, p: float,
                 seed: int | None = None) -> None:
        super().__init__(p, seed)
        self.amplitude_px, self.node_px = amplitude_px, node_px

    def displacement(self, h: int, w: int) -> torch.Tensor:
        """(1, h, w, 2) displacement in torchvision's normalised units ((x, y), 2 = the side)."""
        nodes = (-(-h // self.node_px) + 1, -(-w // self.node_px) + 1)
        amplitude = float(self.rng.uniform(*self.amplitude_px))
        coarse = torch.randn(1, 2, *nodes) * amplitude
        field = torch.nn.functional.interpolate(coarse, size=(h, w), mode="bicubic",
                                                align_corners=True)
        scale = torch.tensor([2.0 / w, 2.0 / h])
        return field.permute(0, 2, 3, 1) * scale

    def warp(self, image, keypoints):
        h, w = image.shape[-2:]
        d = self.displacement(h, w)
        field = d[0].permute(2, 0, 1)[None] * torch.tensor([w / 2.0, h / 2.0])[:, None, None]
        target = keypoints.as_subclass(torch.Tensor)
        moved = target.clone()
        for _ in range(self.ITERATIONS):  # q <- p - D(q), D sampled bilinearly in pixels
            grid = (2.0 * moved + 1.0) / torch.tensor([w, h]) - 1.0
            sampled = torch.nn.functional.grid_sample(field, grid[None, :, None, :],
                                                      mode="bilinear", padding_mode="border",
                                                      align_corners=False)
            moved = target - sampled[0, :, :, 0].T
        return (v2.functional.elastic(image, d, fill=0.0),
                tv_tensors.wrap(moved, like=keypoints))


class RandomFovCrop(RandomTransform):
    """Blank out rows at the top and/or bottom, as a shorter field of view; discs there vanish."""

    def __init__(self, crop_max: float, p: float, seed: int | None = None) -> None:
        super().__init__(p, seed)
        self.crop_max = crop_max

    def apply(self, image: np.ndarray, keypoints: np.ndarray) -> Sample2D:
        rows = np.nonzero(image.max(axis=1) > 0)[0]
        if len(rows) < 2:
            return image, keypoints
        first, last = int(rows[0]), int(rows[-1])
        span = last - first + 1
        cut_top = int(self.rng.uniform(0, self.crop_max) * span) if self.rng.random() < 0.7 else 0
        cut_bot = int(self.rng.uniform(0, self.crop_max) * span) if self.rng.random() < 0.7 else 0
        out = image.copy()
        top, bottom = first + cut_top, last - cut_bot
        out[:top] = 0.0
        out[bottom + 1:] = 0.0
        return out, _drop_outside(keypoints, image.shape, top - 0.5, bottom + 0.5)


class RandomNarrowFov(RandomTransform):
    """Blank out the columns left and right of a window ``narrow_px`` wide placed about the
    spine, as a small anterior-posterior field of view (the small crops of real protocols);
    a disc outside the window vanishes. The window holds every visible disc with
    ``MARGIN_PX`` to spare where its width allows; else it is centred on them."""

    MARGIN_PX = 8.0

    def __init__(self, narrow_px: tuple[float, float], p: float, seed: int | None = None
                 ) -> None:
        super().__init__(p, seed)
        self.narrow_px = narrow_px

    def apply(self, image: np.ndarray, keypoints: np.ndarray) -> Sample2D:
        cols = keypoints[~np.isnan(keypoints[:, 1]), 1]
        if len(cols) == 0:
            content = np.nonzero(image.max(axis=0) > 0)[0]
            if len(content) == 0:
                return image, keypoints
            cols = np.array([content.mean()])
        width = self.rng.uniform(*self.narrow_px)
        lo, hi = float(cols.min()) - self.MARGIN_PX, float(cols.max()) + self.MARGIN_PX
        if hi - lo <= width:
            left = self.rng.uniform(hi - width, lo)
        else:
            left = 0.5 * (lo + hi - width)
        first, last = max(0, int(np.ceil(left))), int(np.floor(left + width))
        out = image.copy()
        out[:, :first] = 0.0
        out[:, last + 1:] = 0.0
        return out, _drop_outside(keypoints, image.shape, left=first - 0.5, right=last + 0.5)


class RandomGamma(RandomTransform):
    def __init__(self, gamma: tuple[float, float], p: float, seed: int | None = None) -> None:
        super().__init__(p, seed)
        self.gamma = gamma

    def apply(self, image: np.ndarray, keypoints: np.ndarray) -> Sample2D:
        g = np.exp(self.rng.uniform(*np.log(self.gamma)))
        return np.power(np.clip(image, 0, 1), g).astype(np.float32), keypoints


class RandomContrast(RandomTransform):
    """Scale intensities about their mean inside the field of view."""

    def __init__(self, factor: tuple[float, float], p: float, seed: int | None = None) -> None:
        super().__init__(p, seed)
        self.factor = factor

    def apply(self, image: np.ndarray, keypoints: np.ndarray) -> Sample2D:
        inside = image > 0
        mean = float(image[inside].mean()) if inside.any() else 0.0
        out = (image - mean) * self.rng.uniform(*self.factor) + mean
        return np.where(inside, np.clip(out, 0, 1), 0).astype(np.float32), keypoints


class RandomNoise(RandomTransform):
    def __init__(self, std: tuple[float, float], p: float, seed: int | None = None) -> None:
        super().__init__(p, seed)
        self.std = std

    def apply(self, image: np.ndarray, keypoints: np.ndarray) -> Sample2D:
        noise = self.rng.normal(0.0, self.rng.uniform(*self.std), image.shape)
        return np.clip(image + noise, 0, 1).astype(np.float32), keypoints


class RandomBlur(RandomTransform):
    def __init__(self, sigma: tuple[float, float], p: float, seed: int | None = None) -> None:
        super().__init__(p, seed)
        self.sigma = sigma

    def apply(self, image: np.ndarray, keypoints: np.ndarray) -> Sample2D:
        s = self.rng.uniform(*self.sigma)
        return cv2.GaussianBlur(image, (0, 0), sigmaX=s, sigmaY=s), keypoints


class RandomIntensityMap(RandomTransform):
    """Pass the intensities inside the field of view through a random curve, so that contrast
    stops being a cue (domain randomisation of real images): a piecewise-linear map through
    ``points`` random control values on [0, 1], or, with probability ``p_invert``, the inverted
    image (T2w-like turns T1w-like). The curve applies inside the body; dark air and the 0
    outside the field of view stay as they are (a soft mask:
    :func:`disclabel.data.contrast.body_weights`).

    With probability ``p_tissue`` a curve that does not invert is a tissue contrast instead: its
    ``points`` knots sit at random quantiles of the body's intensities (the lowest and highest
    included), so that each band of the image's own tissue classes (fat, muscle, disc, bone,
    fluid, whatever the scan shows) gets a random level of its own, as SynthSeg-style training
    gives each label a random intensity. Evenly spaced knots leave most tissues of a dark scan
    on one segment of the curve; quantile knots do not. With ``p_tissue`` 0 no draw is made for
    it (the random stream is that of the plain curve)."""

    def __init__(self, points: int, p_invert: float, p: float, seed: int | None = None,
                 p_tissue: float = 0.0) -> None:
        super().__init__(p, seed)
        self.points, self.p_invert, self.p_tissue = points, p_invert, p_tissue

    def apply(self, image: np.ndarray, keypoints: np.ndarray) -> Sample2D:
        body = body_weights(image)
        if self.rng.random() < self.p_invert:
            mapped = 1.0 - image
        else:
            knots = np.linspace(0.0, 1.0, self.points)
            if self.p_tissue > 0 and self.rng.random() < self.p_tissue:
                knots = tissue_knots(image[body > 0.5], self.points, self.rng)
            levels = self.rng.uniform(0.0, 1.0, self.points)
            mapped = np.interp(image, knots, levels)
        return blend_in_body(image, mapped, body), keypoints


def tissue_knots(values: np.ndarray, points: int, rng: np.random.Generator) -> np.ndarray:
    """``points`` increasing intensities (``points`` >= 2) at random quantiles of ``values``
    (1-D, the body's intensities), the lowest and highest always among them; evenly spaced on
    [0, 1] when ``values`` is empty or flat."""
    if values.size == 0 or np.ptp(values) <= 0:
        return np.linspace(0.0, 1.0, points)
    inner = np.sort(rng.uniform(0.0, 1.0, points - 2))
    knots = np.quantile(values, np.concatenate([[0.0], inner, [1.0]]))  # non-decreasing
    return knots + np.arange(points) * 1e-6  # strictly increasing where classes coincide


class RandomBiasField(RandomTransform):
    """Multiply by a smooth random gain field (a low-order polynomial in row and col)."""

    def __init__(self, strength: float, p: float, seed: int | None = None) -> None:
        super().__init__(p, seed)
        self.strength = strength

    def apply(self, image: np.ndarray, keypoints: np.ndarray) -> Sample2D:
        h, w = image.shape
        r = np.linspace(-1, 1, h)[:, None]
        c = np.linspace(-1, 1, w)[None, :]
        a = self.rng.uniform(-1, 1, 5)
        field = a[0] * r + a[1] * c + a[2] * r * c + a[3] * r**2 + a[4] * c**2
        field = field / max(np.abs(field).max(), 1e-6) * self.strength
        return np.clip(image * np.exp(field), 0, 1).astype(np.float32), keypoints


class Compose:
    """Apply transforms in order; :meth:`reseed` gives each its own independent stream."""

    def __init__(self, transforms: Sequence[RandomTransform], seed: int = 0) -> None:
        self.transforms = list(transforms)
        self.reseed(seed)

    def reseed(self, seed: int) -> None:
        children = np.random.SeedSequence(seed).spawn(len(self.transforms))
        for transform, child in zip(self.transforms, children, strict=True):
            transform.reseed(child)

    def __call__(self, image: np.ndarray, keypoints: np.ndarray) -> Sample2D:
        for transform in self.transforms:
            image, keypoints = transform(image, keypoints)
        return image.astype(np.float32), keypoints.astype(np.float32)


def build_augmenter(config: AugmentConfig = AugmentConfig(), seed: int = 0) -> Compose:
    """The training augmentation pipeline: geometry first, then field of view, then intensity;
    the narrowed field of view last (appended: the other transforms' streams do not change)."""
    c = config
    return Compose([
        RandomAffine(c.rotate_deg, c.scale, c.translate, c.p_affine),
        RandomElastic(c.elastic_px, c.elastic_node_px, c.p_elastic),
        RandomFovCrop(c.crop_max, c.p_crop),
        RandomIntensityMap(c.intensity_points, c.p_invert, c.p_intensity_map,
                           p_tissue=c.p_tissue),
        RandomBiasField(c.bias_strength, c.p_bias),
        RandomGamma(c.gamma, c.p_gamma),
        RandomContrast(c.contrast, c.p_contrast),
        RandomBlur(c.blur_sigma, c.p_blur),
        RandomNoise(c.noise_std, c.p_noise),
        RandomNarrowFov(c.narrow_px, c.p_narrow),  # last: the blanked field is exactly 0
    ], seed=seed)
