"""Fast on-the-fly 2-D synthetic mid-sagittal samples for training.

The same anatomy sampler and implicit shapes as the 3-D generator are evaluated on one sagittal
plane of the prepared grid (head up, anterior at column 0), then the same appearance model
(intensities, texture, bias, blur, Rician noise) is applied in 2-D.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from disclabel.constants import NUM_DISCS, PIXEL_MM, TRAIN_SLICE_HALF_WIDTH_MM, WINDOW_SHAPE
from disclabel.data.oblique import (
    CURVE_MM,
    CURVE_PROBABILITY,
    CURVE_WAVELENGTH_MM,
    PRESENT_MM,
    TILT_DEG,
)
from disclabel.data.windows import keypoints_in_window, window_origin
from disclabel.synthetic import imaging
from disclabel.synthetic import tables as T
from disclabel.synthetic.anatomy import sample_anatomy
from disclabel.synthetic.appearance import (
    blur,
    coil_log_gain,
    rician,
    robust_range,
    sample_intensities,
    sample_texture_amplitudes,
    smooth_log_field,
    texture_2d,
)
from disclabel.synthetic.geometry import Plane
from disclabel.synthetic.negatives import head_fov_window, head_window_origin, shapes_image
from disclabel.synthetic.shapes import build_layers
from disclabel.synthetic.styles import DEFAULT_STYLE_2D, STYLES_2D, Style2D
from disclabel.synthetic.volume import sample_plane

F32 = np.float32
NEGATIVE_HEAD_SHARE: float = 0.5
"""Share of negative samples that try a head window (the rest: random shapes)."""
HEAD_TRIES: int = 4
"""Fields of view drawn for a head window before falling back to random shapes (about a third
of them reach far enough above the atlas)."""


def sample_2d(rng: np.random.Generator, grid_shape: tuple[int, int] = WINDOW_SHAPE,
              pixel_mm: float = PIXEL_MM, contrast: str | None = None,
              style: str = DEFAULT_STYLE_2D) -> tuple[np.ndarray, np.ndarray]:
    """One synthetic near-mid-sagittal training window, with its disc keypoints.

    ``contrast``: "T1w" or "T2w" (preset appearance), "random" (random intensity per tissue), or
    None (drawn from the style's contrast probabilities). ``style``: a key of
    :data:`~disclabel.synthetic.styles.STYLES_2D` (appearance settings). The plane lies within
    TRAIN_SLICE_HALF_WIDTH_MM of the mid-sagittal plane. A random acquisition field of view
    (FOV_2D_HEIGHT_MM x FOV_2D_WIDTH_MM) is imaged at ``pixel_mm`` (the one physical scale of
    every image the network sees) and a ``grid_shape`` window is cut from it as training
    windows are cut from prepared data (:func:`~disclabel.data.windows.window_origin`), 0 where the
    window reaches beyond the field of view.

    Returns ``image`` float32 (H, W) in [0, 1] (0.5/99.5 percentiles of the field of view's
    part in the window mapped to 0/1, then clipped), row 0 superior, column 0 anterior; and
    ``keypoints`` float32 (NUM_DISCS, 2) of (row, col) pixel coordinates of each disc's
    posterior tip (just inside the disc), NaN for a disc outside the image.
    """
    if style not in STYLES_2D:
        raise ValueError(f"style must be one of {sorted(STYLES_2D)}, got {style!r}")
    settings = STYLES_2D[style]
    if contrast is None:
        names = tuple(settings.contrast_probabilities)
        probs = np.array([settings.contrast_probabilities[c] for c in names])
        contrast = str(rng.choice(names, p=probs / probs.sum()))
    mode = "random" if contrast == "random" else "preset"
    if settings.negative_probability > 0 and rng.random() < settings.negative_probability:
        return negative_sample(rng, grid_shape, pixel_mm, contrast, mode, settings)
    sacrum = settings.sacrum_share > 0 and rng.random() < settings.sacrum_share
    anat, fov, fov_shape, kp_fov = _field_of_view(rng, pixel_mm, settings.cervical_scale, sacrum)
    lateral = None
    if settings.lateral_share > 0 and rng.random() < settings.lateral_share:
        lateral, kp_fov = lateral_surface(rng, fov, kp_fov)
    top, left = window_origin(rng, kp_fov, (0, fov_shape[0] - 1), fov_shape, tuple(grid_shape))
    if sacrum and fov_shape[0] > grid_shape[0]:
        past = int(round(rng.uniform(*imaging.SACRUM_WINDOW_PAST_MM) / pixel_mm))
        top = fov_shape[0] - grid_shape[0] + past
    out = render_window(rng, anat, fov, (top, left), grid_shape, contrast, mode, settings,
                        lateral)
    return out, keypoints_in_window(kp_fov, (top, left), tuple(grid_shape))


def lateral_surface(rng: np.random.Generator, fov: Plane, kp_fov: np.ndarray
                    ) -> tuple[Callable[[np.ndarray], np.ndarray], np.ndarray]:
    """A sagittal surface that a tilted or scoliotic spine leaves and re-enters: its
    left-right distance from the spine's midline as a function of the anatomy row (mm), a
    tilt of up to ``TILT_DEG`` plus (in ``CURVE_PROBABILITY`` of the draws) a lateral curve,
    passing within ``PRESENT_MM`` of one random disc in view. Returns ``(x_of_row,
    keypoints)``: the keypoints (NUM_DISCS, 2) of the discs farther than ``PRESENT_MM`` from
    the surface set to NaN."""
    present = np.flatnonzero(np.isfinite(kp_fov[:, 0]))
    centre = (kp_fov[rng.choice(present), 0] if len(present) else 0.5 * fov.shape[0])
    ref = fov.row0 + float(centre) * fov.drow
    slope = np.tan(np.radians(rng.uniform(-TILT_DEG, TILT_DEG)))
    offset = rng.uniform(-PRESENT_MM, PRESENT_MM)
    amplitude = rng.uniform(*CURVE_MM) if rng.random() < CURVE_PROBABILITY else 0.0
    wavelength, phase = rng.uniform(*CURVE_WAVELENGTH_MM), rng.uniform(0.0, 2 * np.pi)

    def x_of_row(rows_mm: np.ndarray) -> np.ndarray:
        u = np.asarray(rows_mm, np.float64) - ref
        return (offset + slope * u
                + amplitude * (np.sin(2 * np.pi * u / wavelength + phase) - np.sin(phase)))

    keypoints = np.array(kp_fov, np.float32)
    far = np.abs(x_of_row(fov.row0 + keypoints[:, 0] * fov.drow)) > PRESENT_MM
    keypoints[far] = np.nan
    return x_of_row, keypoints


def _field_of_view(rng: np.random.Generator, pixel_mm: float, cervical_scale: float = 1.0,
                   sacrum: bool = False):
    """A random anatomy (its cervical levels scaled by ``cervical_scale``) and acquisition
    field of view: ``(anatomy, plane, (rows, cols), keypoints (NUM_DISCS, 2) in field-of-view
    pixels, NaN outside it)``. ``sacrum``: the field of view ends SACRUM_BOTTOM_MM below the
    centre of S1 (a lumbosacral view) instead of having its top drawn."""
    anat = sample_anatomy(rng, cervical_scale)
    fov_mm = (rng.uniform(*imaging.FOV_2D_HEIGHT_MM), rng.uniform(*imaging.FOV_2D_WIDTH_MM))
    fov_shape = (int(round(fov_mm[0] / pixel_mm)), int(round(fov_mm[1] / pixel_mm)))
    bottom_s = (anat.level_centre("S1") + rng.uniform(*imaging.SACRUM_BOTTOM_MM)
                if sacrum else None)
    fov = sample_plane(rng, anat, fov_shape, (pixel_mm, pixel_mm), bottom_s)
    # every disc's posterior tip, moved LABEL_INSET_MM inside the disc, in FOV pixels
    r, c = anat.curve.to_plane(anat.label_s, anat.label_d - imaging.LABEL_INSET_MM)
    rows, cols = fov.to_pixel(r, c)
    kp_fov = keypoints_in_window(np.stack([rows, cols], 1), (0, 0), fov_shape)
    return anat, fov, fov_shape, kp_fov


def render_window(rng: np.random.Generator, anat, fov: Plane, origin: tuple[int, int],
                  grid_shape: tuple[int, int], contrast: str, mode: str, style: Style2D,
                  lateral: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """The ``grid_shape`` window at ``origin`` (top row, left column, in field-of-view pixels)
    of field of view ``fov``: MR-like intensities where it overlaps the field of view, 0
    elsewhere; ``lateral``: the surface's left-right position per anatomy row (mm) instead of
    one sagittal plane near the midline. (H, W) float32."""
    top, left = origin
    pixel_mm = fov.drow
    r0, r1 = max(top, 0), min(top + grid_shape[0], fov.shape[0])
    c0, c1 = max(left, 0), min(left + grid_shape[1], fov.shape[1])
    out = np.zeros(tuple(grid_shape), F32)
    if r1 > r0 and c1 > c0:
        plane = Plane(fov.row0 + r0 * pixel_mm, fov.col0 + c0 * pixel_mm, pixel_mm, pixel_mm,
                      (r1 - r0, c1 - c0))
        out[r0 - top:r1 - top, c0 - left:c1 - left] = _render_plane(rng, anat, plane, contrast,
                                                                    mode, style, lateral)
    return out


def negative_sample(rng: np.random.Generator, grid_shape: tuple[int, int], pixel_mm: float,
                    contrast: str, mode: str, style: Style2D) -> tuple[np.ndarray, np.ndarray]:
    """A training window without any disc: the head above C1 (when the drawn field of view
    reaches far enough up within HEAD_TRIES draws; a share ``style.head_fov_share`` of them
    as a head-only field of view with black padding around it) or, otherwise and for half the
    samples, random shapes (:func:`~disclabel.synthetic.negatives.shapes_image`). Returns
    ``(image (H, W) float32 in [0, 1], keypoints (NUM_DISCS, 2) all NaN)``."""
    absent = np.full((NUM_DISCS, 2), np.nan, F32)
    for _ in range(HEAD_TRIES if rng.random() < NEGATIVE_HEAD_SHARE else 0):
        anat, fov, _, kp_fov = _field_of_view(rng, pixel_mm, style.cervical_scale)
        if style.head_fov_share > 0 and rng.random() < style.head_fov_share:
            placed = head_fov_window(rng, kp_fov, grid_shape, pixel_mm)
            if placed is not None:
                first, height, origin = placed
                head = Plane(fov.row0 + first * fov.drow, fov.col0, fov.drow, fov.dcol,
                             (height, fov.shape[1]))
                return render_window(rng, anat, head, origin, grid_shape, contrast, mode,
                                     style), absent
            continue
        origin = head_window_origin(rng, kp_fov, grid_shape, pixel_mm)
        if origin is not None:
            return render_window(rng, anat, fov, origin, grid_shape, contrast, mode,
                                 style), absent
    return shapes_image(rng, grid_shape, pixel_mm,
                        lambda img: acquire(rng, img, pixel_mm, style), style.arc_groups), absent


def _render_plane(rng: np.random.Generator, anat, plane: Plane, contrast: str, mode: str,
                  style: Style2D, lateral: Callable[[np.ndarray], np.ndarray] | None = None
                  ) -> np.ndarray:
    """MR-like intensities in [0, 1] of one near-mid-sagittal plane, or of the surface
    ``lateral`` (left-right position per anatomy row, mm): (H, W) float32."""
    pixel = plane.drow
    layers = build_layers(anat, plane)
    if lateral is None:
        idx = layers.index_at(rng.uniform(0.0, TRAIN_SLICE_HALF_WIDTH_MM))
    else:
        rows_mm = plane.row0 + np.arange(plane.shape[0]) * plane.drow
        idx = layers.index_map(np.abs(lateral(rows_mm)).astype(np.float32)[:, None])
    lut = sample_intensities(rng, contrast, mode, style.preset_jitter_sd)
    amp = sample_texture_amplitudes(rng) * rng.uniform(*style.tissue_texture_range,
                                                       T.NUM_TISSUES).astype(F32)
    tis = layers.gather(layers.tissue, idx)
    tex = texture_2d(rng, plane.shape, rng.uniform(*imaging.TEXTURE_SIGMA_MM) / pixel)
    img = lut[tis] * (F32(1.0) + amp[tis] * tex)
    return acquire(rng, img, pixel, style)


def acquire(rng: np.random.Generator, img: np.ndarray, pixel_mm: float, style: Style2D
            ) -> np.ndarray:
    """Acquisition effects on tissue intensities (H, W): bias field, coil falloff, low
    resolution, blur, ghosting, Rician noise, then 0.5/99.5 percentiles to [0, 1] and gamma.
    Returns (H, W) float32 in [0, 1]."""
    shape = img.shape
    log_gain = smooth_log_field(rng, shape, (pixel_mm, pixel_mm), (imaging.BIAS_NODE_SPACING_MM,),
                                (rng.uniform(*imaging.BIAS_LOG_SD_RANGE),))
    img *= np.exp(log_gain + coil_log_gain(rng, shape, style.coil_falloff))
    if rng.random() < style.low_res_probability:
        img = low_resolution(img, int(rng.integers(2)), rng.uniform(*style.low_res_factor))
    img = blur(img, tuple(rng.uniform(*style.blur_sigma_px, 2)))
    if rng.random() < style.ghost_probability:
        img = ghost(img, int(rng.integers(2)), rng.uniform(*style.ghost_shift),
                    rng.uniform(*style.ghost_amplitude))
    _, hi = robust_range(img)
    img = rician(rng, img, rng.uniform(*imaging.NOISE_SD_RANGE) * max(hi, 1e-6))
    lo, hi = robust_range(img)
    img = np.clip((img - F32(lo)) / F32(max(hi - lo, 1e-6)), 0.0, 1.0)
    if style.gamma_log_sd > 0:
        img = img ** F32(np.exp(rng.normal(0.0, style.gamma_log_sd)))
    return img.astype(F32)


def low_resolution(img: np.ndarray, axis: int, factor: float) -> np.ndarray:
    """The image as acquired with pixels ``factor`` times larger along ``axis`` (0 = rows,
    1 = columns): area-averaged down, then linearly interpolated back. (H, W) float32."""
    h, w = img.shape
    size = (w, max(2, int(round(h / factor)))) if axis == 0 else (max(2, int(round(w / factor))), h)
    small = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def ghost(img: np.ndarray, axis: int, shift: float, amplitude: float) -> np.ndarray:
    """Add a faint copy of the image shifted by ``shift`` of its side along ``axis``, wrapping
    around (motion ghosting along the phase-encoding axis). (H, W) float32."""
    steps = int(round(shift * img.shape[axis]))
    return img + F32(amplitude) * np.roll(img, steps, axis=axis)
