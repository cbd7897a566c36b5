"""Random anatomy of one synthetic subject: numbers only (shapes are drawn by :mod:`.shapes`).

Vertebra index ``v``: 0 = C1 ... 24 = S1 (:data:`.tables.VERTEBRA_NAMES`). Body index
``i = v - 1``: body 0 is C2, body 23 is S1, then the fused sacral segments. Disc index ``i`` lies
between bodies ``i`` and ``i + 1`` and has disc number ``i + 3`` (disc 3 = C2/C3 ... 25 = L5/S1).
Positions along the spine are arc lengths ``s`` (mm, downwards from the dens tip) on the
posterior vertebral line; see :mod:`.geometry`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from disclabel.constants import NUM_DISCS
from disclabel.synthetic import tables as T
from disclabel.synthetic.geometry import SpineCurve, build_curve
from disclabel.synthetic.styles import CERVICAL_BODIES, CERVICAL_DISCS

NUM_VERTEBRAE: int = len(T.VERTEBRA_NAMES)
NUM_BODIES: int = NUM_VERTEBRAE - 1 + T.SACRAL_SEGMENTS
FIRST_BODY_DISC: int = 3
"""Disc number of the disc below body 0 (C2/C3)."""


def vertebra_index(name: str) -> int:
    return T.VERTEBRA_NAMES.index(name)


def _anchor_table(anchors: dict[str, tuple[float, ...]]) -> np.ndarray:
    """Anchor rows interpolated linearly over the vertebra index: (NUM_VERTEBRAE, ncols)."""
    idx = np.array([vertebra_index(k) for k in anchors], np.float64)
    vals = np.array(list(anchors.values()), np.float64).reshape(len(anchors), -1)
    order = np.argsort(idx)
    v = np.arange(NUM_VERTEBRAE, dtype=np.float64)
    return np.stack([np.interp(v, idx[order], vals[order, c]) for c in range(vals.shape[1])], 1)


def _u(rng: np.random.Generator, lohi: tuple[float, float], size=None) -> np.ndarray | float:
    return rng.uniform(lohi[0], lohi[1], size)


@dataclass(frozen=True)
class Anatomy:
    """All random anatomy numbers of a subject (mm, rad). Arrays are indexed as documented in
    the module docstring: ``body_*`` by body index, ``disc_*`` by disc index, ``level_*`` by
    vertebra index (C1..S1 then the sacral segments)."""

    curve: SpineCurve
    head_angle: float
    bounds: np.ndarray
    shear_s: np.ndarray
    shear_k: np.ndarray
    body_depth: np.ndarray
    body_half_width: np.ndarray
    body_waist: np.ndarray
    cortex: float
    disc_bulge_post: np.ndarray
    disc_bulge_ant: np.ndarray
    disc_grade: np.ndarray
    disc_nucleus_height: np.ndarray
    disc_nucleus_depth: np.ndarray
    disc_cleft: np.ndarray
    level_s: np.ndarray
    canal_ap: np.ndarray
    canal_half_width: np.ndarray
    posterior_epidural: np.ndarray
    cord_ap: np.ndarray
    cord_ratio: np.ndarray
    anterior_epidural: float
    cord_position: float
    conus_s: float
    sac_end_s: float
    cauda_period: float
    pedicle_length: float
    lamina_start: np.ndarray
    lamina_height: np.ndarray
    lamina_thickness: np.ndarray
    spinous_length: np.ndarray
    spinous_tan: np.ndarray
    spinous_half_width: np.ndarray
    spinous_tip: np.ndarray
    dens_length: float
    dens_depth: float
    dens_half_width: float
    dens_posterior: float
    c1_arch_s: float
    c1_arch_height: float
    c1_arch_depth: float
    c1_arch_gap: float
    soft_s: np.ndarray
    soft: np.ndarray
    skin: float
    airway_half_width: float
    aorta_radius: float
    aorta_s: tuple[float, float]
    heart_s: float
    mediastinum_half_width: float
    lung_s: tuple[float, float]
    liver_s: tuple[float, float]
    blobs: np.ndarray
    neck_blobs: np.ndarray
    face_blobs: np.ndarray
    fascia: tuple[float, float, float, float, float]
    basivertebral: float
    wobble: np.ndarray
    head: dict[str, tuple[float, float, float, float, float]]
    skull_thickness: float
    scalp_thickness: float
    clivus: tuple[float, float, float]
    basion: tuple[float, float]
    opisthion_b: float
    palate: tuple[float, float, float, float]
    medulla_ap: float
    label_s: np.ndarray
    label_d: np.ndarray

    def body_top(self, i: int) -> float:
        return float(self.bounds[2 * i])

    def body_bottom(self, i: int) -> float:
        return float(self.bounds[2 * i + 1])

    def level_centre(self, name: str) -> float:
        return float(self.level_s[vertebra_index(name)])

    def wobble_at(self, s: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Smooth random displacement (mm, along s and d) at curvilinear points (s, d)."""
        s0, _, d0, _ = T.WOBBLE_EXTENT
        fs = np.clip((s - s0) / T.WOBBLE_NODE_MM, 0.0, self.wobble.shape[1] - 1.001)
        fd = np.clip((d - d0) / T.WOBBLE_NODE_MM, 0.0, self.wobble.shape[2] - 1.001)
        i, j = fs.astype(np.int64), fd.astype(np.int64)
        u, v = fs - i, fd - j
        w = self.wobble
        out = [(w[k, i, j] * (1 - u) * (1 - v) + w[k, i + 1, j] * u * (1 - v)
                + w[k, i, j + 1] * (1 - u) * v + w[k, i + 1, j + 1] * u * v) for k in range(2)]
        return out[0], out[1]

    def soft_at(self, s: np.ndarray, column: int) -> np.ndarray:
        """Soft-tissue table column (see SOFT_TISSUE_ANCHORS) interpolated at ``s``."""
        return np.interp(s, self.soft_s, self.soft[:, column]).astype(np.float32)

    def label_points(self) -> np.ndarray:
        """(NUM_DISCS, 2) float64 (row, col) mm of every disc label (posterior tip)."""
        r, c = self.curve.to_plane(self.label_s, self.label_d)
        return np.stack([r, c], 1)


def _disc_heights(rng: np.random.Generator, age: float) -> tuple[np.ndarray, np.ndarray]:
    """Healthy heights and degeneration (0..1) of the labelled discs 3..25 (index n - 3)."""
    n_discs = NUM_DISCS - FIRST_BODY_DISC + 1
    heights = np.zeros(n_discs)
    for first, last, lo, hi in T.DISC_HEIGHT_RANGES:
        k = np.arange(first, last + 1) - FIRST_BODY_DISC
        heights[k] = rng.uniform(lo, hi, len(k))
    weights = np.array([T.DEGENERATION_LEVEL_WEIGHT.get(n, 1.0)
                        for n in range(FIRST_BODY_DISC, NUM_DISCS + 1)])
    p = np.clip(T.DEGENERATION_PER_YEAR * max(0.0, age - 20.0) * weights, 0.0, 0.95)
    degenerated = rng.random(n_discs) < p
    severity = np.where(degenerated, _u(rng, T.DEGENERATION_SEVERITY, n_discs),
                        _u(rng, T.HEALTHY_SEVERITY, n_discs))
    return heights, severity


def _blobs(rng: np.random.Generator, spec: dict, centre) -> np.ndarray:
    """Random ellipsoid blobs described by a BLOBS entry: (n, 6) rows of (centre 1, centre 2,
    semi-axis 1, semi-axis 2, half-width, tissue); ``centre()`` draws a centre."""
    keys = np.array([int(k) for k in spec["tissues"]], np.int64)
    p = np.array(list(spec["tissues"].values()))
    rows = []
    lo, hi = spec["count"]
    for _ in range(int(rng.integers(lo, hi + 1))):
        c1, c2 = centre()
        rows.append((c1, c2, *_u(rng, spec["size"], 2), _u(rng, spec["width"]),
                     float(rng.choice(keys, p=p / p.sum()))))
    return np.array(rows, np.float64).reshape(-1, 6)


PLATEAU_INTEGRAL: float = 0.8
"""Integral over [0, 1] of the curvature profile 1 - (2t - 1)^4."""


def _region_kappa(s: np.ndarray, s0: float, s1: float, total_rad: float) -> np.ndarray:
    """Curvature of one region: a plateau profile whose integral over [s0, s1] is total_rad."""
    t = np.clip((s - s0) / (s1 - s0), 0.0, 1.0)
    prof = np.where((s >= s0) & (s <= s1), 1.0 - (2.0 * t - 1.0) ** 4, 0.0)
    return total_rad * prof / (PLATEAU_INTEGRAL * (s1 - s0))


def sample_anatomy(rng: np.random.Generator, cervical_scale: float = 1.0) -> Anatomy:
    """Draw one subject's anatomy (deterministic for a given generator state).

    ``cervical_scale`` multiplies the heights of the C4-C7 bodies and of the discs C3/C4 to
    C7/T1 (after every random draw, so that the same generator state gives the same subject
    with a shorter or longer neck)."""
    vt = _anchor_table(T.VERTEBRA_ANCHORS)  # (25, 8)
    scale = _u(rng, T.SIZE_SCALE_RANGE)
    jit = lambda n: 1.0 + rng.uniform(-T.LEVEL_JITTER, T.LEVEL_JITTER, n)  # noqa: E731
    # ---- bodies (C2..S1 then sacral segments) -------------------------------------------
    shrink = T.SACRAL_SEGMENT_SHRINK ** np.arange(1, T.SACRAL_SEGMENTS + 1)
    base = np.concatenate([vt[1:], vt[-1:] * shrink[:, None]], 0)  # (NUM_BODIES, 8)
    height = base[:, 0] * scale * jit(NUM_BODIES)
    depth = base[:, 1] * scale * jit(NUM_BODIES)
    half_width = base[:, 2] * scale * jit(NUM_BODIES)
    waist = depth * _u(rng, T.BODY_WAIST_FRACTION, NUM_BODIES)
    cortex = _u(rng, T.CORTEX_MM)
    age = _u(rng, T.AGE_RANGE)
    disc_h, severity = _disc_heights(rng, age)
    disc_h = disc_h * scale * (1.0 - T.DEGENERATION_HEIGHT_LOSS * severity)
    if cervical_scale != 1.0:
        height[[vertebra_index(name) - 1 for name in CERVICAL_BODIES]] *= cervical_scale
        first, last = CERVICAL_DISCS
        disc_h[first - FIRST_BODY_DISC:last - FIRST_BODY_DISC + 1] *= cervical_scale
    n_sacral_discs = NUM_BODIES - 1 - len(disc_h)
    disc_h = np.concatenate([disc_h, _u(rng, T.SACRAL_DISC_HEIGHT, n_sacral_discs)])
    grade = np.clip(np.round(severity * (T.NUCLEUS_GRADES - 1) * T.GRADE_GAIN), 0,
                    T.NUCLEUS_GRADES - 1)
    grade = np.concatenate([grade, np.full(n_sacral_discs, -1.0)]).astype(np.int64)
    severity = np.concatenate([severity, np.ones(n_sacral_discs)])
    bulge_post = _u(rng, T.DISC_POSTERIOR_BULGE, NUM_BODIES - 1) + T.DEGENERATED_EXTRA_BULGE * (
        severity ** 2) * (grade >= 0)
    bulge_ant = _u(rng, T.DISC_ANTERIOR_BULGE, NUM_BODIES - 1)
    nuc_h = _u(rng, T.NUCLEUS_HEIGHT_FRACTION, NUM_BODIES - 1) * (
        1.0 - T.NUCLEUS_HEIGHT_LOSS * severity)
    nuc_d = _u(rng, T.NUCLEUS_DEPTH_FRACTION, NUM_BODIES - 1) * (
        1.0 - T.NUCLEUS_DEPTH_LOSS * severity)
    cleft = (rng.random(NUM_BODIES - 1) < T.CLEFT_PROBABILITY) & (age > T.CLEFT_MIN_AGE)
    dens_length = _u(rng, T.DENS_LENGTH) * scale
    # keep the distance between consecutive disc mid-heights within MAX_LEVEL_SPACING_MM
    n_d = len(disc_h)
    spacing = 0.5 * disc_h[:-1] + height[1:n_d] + 0.5 * disc_h[1:]
    height[1:n_d] -= np.maximum(spacing - T.MAX_LEVEL_SPACING_MM, 0.0)
    bounds = np.empty(2 * NUM_BODIES)
    top = dens_length
    for i in range(NUM_BODIES):
        bounds[2 * i] = top
        bounds[2 * i + 1] = top + height[i]
        top = bounds[2 * i + 1] + (disc_h[i] if i < NUM_BODIES - 1 else 0.0)
    shear_k = rng.uniform(-T.WEDGE_SLOPE, T.WEDGE_SLOPE, len(bounds))
    # ---- curve --------------------------------------------------------------------------
    s_end = bounds[-1]
    s_start = -T.CURVE_MARGIN_MM
    s = np.arange(s_start, s_end + T.CURVE_MARGIN_MM, T.CURVE_STEP_MM)

    def btop(name: str) -> float:
        return bounds[2 * (vertebra_index(name) - 1)]

    regions = (
        (0.0, btop("T1"), _u(rng, T.CERVICAL_LORDOSIS)),
        (btop("T1"), btop("L1"), -_u(rng, T.THORACIC_KYPHOSIS)),
        (btop("L1"), btop("S1"), _u(rng, T.LUMBAR_LORDOSIS)),
        (btop("S1"), s_end, -_u(rng, T.SACRAL_KYPHOSIS)),
    )
    kappa = sum(_region_kappa(s, a, b, np.deg2rad(tot)) for a, b, tot in regions)
    tmp = build_curve(kappa, s_start, T.CURVE_STEP_MM, 0.0)
    span = (s >= 0.0) & (s <= bounds[2 * (vertebra_index("T12") - 1) + 1])
    theta0 = np.deg2rad(_u(rng, T.GLOBAL_TILT)) - float(tmp.theta[span].mean())
    curve = build_curve(kappa, s_start, T.CURVE_STEP_MM, theta0)
    head_angle = theta0 + np.deg2rad(_u(rng, T.HEAD_FLEXION))
    # ---- levels (vertebra centres; C1 at its anterior arch) ------------------------------
    c1_arch_height = _u(rng, T.C1_ARCH_HEIGHT) * scale
    c1_arch_s = _u(rng, T.C1_ARCH_LEVEL) * dens_length
    centres = 0.5 * (bounds[0::2] + bounds[1::2])
    level_s = np.concatenate([[c1_arch_s], centres])  # (NUM_VERTEBRAE + sacral,)
    n_lev = len(level_s)
    lev = np.concatenate([vt, vt[-1:] * shrink[:, None]], 0)
    lev_scale = scale * jit(n_lev)
    canal_ap = lev[:, 3] * lev_scale
    canal_ap[NUM_VERTEBRAE:] *= shrink  # the sacral canal narrows
    canal_hw = lev[:, 4] * scale * jit(n_lev)
    epi = _anchor_table({k: (rng.uniform(*v),) for k, v in T.POSTERIOR_EPIDURAL_ANCHORS.items()})
    posterior_epidural = np.concatenate([epi[:, 0], np.repeat(epi[-1:, 0], T.SACRAL_SEGMENTS)])
    cord = _anchor_table({k: (rng.uniform(*v),) for k, v in T.CORD_AP_RADIUS_ANCHORS.items()})
    cord_ap = np.concatenate([cord[:, 0], np.zeros(T.SACRAL_SEGMENTS)])
    ratio = _anchor_table({k: (v,) for k, v in T.CORD_WIDTH_RATIO_ANCHORS.items()})
    cord_ratio = np.concatenate([ratio[:, 0], np.repeat(ratio[-1:, 0], T.SACRAL_SEGMENTS)])
    conus_disc = _u(rng, T.CONUS_TIP_DISC)
    disc_mid = 0.5 * (bounds[1:2 * (NUM_DISCS - 2):2] + bounds[2:2 * (NUM_DISCS - 1):2])
    conus_s = float(np.interp(conus_disc, np.arange(FIRST_BODY_DISC, NUM_DISCS + 1), disc_mid))
    sac_end_s = float(np.interp(_u(rng, T.SAC_END_LEVEL), np.arange(n_lev), level_s))
    # ---- posterior elements ---------------------------------------------------------------
    shift = _u(rng, T.LAMINA_SHIFT_FRACTION, n_lev - 1) * height
    c1_post = _u(rng, T.C1_POSTERIOR_ARCH) * scale
    lamina_start = np.concatenate([[c1_arch_s - 0.5 * c1_post + T.C1_POSTERIOR_ARCH_DROP],
                                   bounds[0::2] + shift, [bounds[-1] + T.LAST_LAMINA_EXTRA_MM]])
    seg_len = np.diff(lamina_start)
    gap_fraction = lev[:, 7].copy()
    gap_fraction[NUM_VERTEBRAE:] = T.SACRAL_GAP_FRACTION
    lamina_height = seg_len * (1.0 - gap_fraction)
    lamina_height[0] = c1_post
    lamina_thickness = _u(rng, T.LAMINA_THICKNESS, n_lev) * scale
    spinous_length = lev[:, 5] * lev_scale
    spinous_length[0] = _u(rng, T.C1_TUBERCLE_LENGTH)
    spinous_length[NUM_VERTEBRAE:] *= T.SACRAL_SPINOUS_FRACTION
    jitter = rng.uniform(-T.SPINOUS_ANGLE_JITTER, T.SPINOUS_ANGLE_JITTER, n_lev)
    spinous_tan = np.tan(np.deg2rad(lev[:, 6] + jitter))
    spinous_half_width = _u(rng, T.SPINOUS_HALF_WIDTH, n_lev) * scale
    spinous_tip = _u(rng, T.SPINOUS_TIP_HEIGHT_FRACTION, n_lev)
    # ---- soft tissue ------------------------------------------------------------------------
    soft_tab = _anchor_table(T.SOFT_TISSUE_ANCHORS)
    habitus = _u(rng, T.HABITUS_RANGE)
    soft = soft_tab.copy()
    soft[:, 0:2] *= habitus
    soft[:, 2:4] *= habitus ** 2 * _u(rng, T.SUBCUTANEOUS_FAT_JITTER)
    soft[:, 4:6] *= scale
    soft[:, 6] *= habitus
    soft_s = level_s[:NUM_VERTEBRAE]
    t_lev = lambda name: float(level_s[vertebra_index(name)])  # noqa: E731
    def abdomen_centre() -> tuple[float, float]:
        first, last, below = T.ABDOMEN_BLOB_EXTENT
        bs = rng.uniform(t_lev(first), t_lev(last) + below)
        front = float(np.interp(bs, soft_s, soft[:, 0])) - T.ABDOMEN_BLOB_MARGIN
        back = float(np.interp(bs, level_s[1:], depth)) + T.ABDOMEN_BLOB_MARGIN
        return bs, -rng.uniform(back, max(back + 1.0, front))

    def neck_centre() -> tuple[float, float]:
        bs = rng.uniform(*(t_lev(n) for n in T.NECK_BLOB_EXTENT))
        front = float(np.interp(bs, soft_s, soft[:, 0] - soft[:, 2])) - T.NECK_BLOB_MARGIN
        back = float(np.interp(bs, level_s[1:], depth) + np.interp(
            bs, soft_s, soft[:, 4] + soft[:, 5])) + T.NECK_BLOB_MARGIN
        return bs, -rng.uniform(back, max(back + 1.0, front))

    blobs = _blobs(rng, T.BLOBS["abdomen"], abdomen_centre)
    neck_blobs = _blobs(rng, T.BLOBS["neck"], neck_centre)
    fascia = (_u(rng, T.FASCIA_PERIOD_MM), _u(rng, T.FASCIA_FRACTION), _u(rng, T.FASCIA_WAVE_MM),
              _u(rng, T.FASCIA_WAVELENGTH_MM), rng.uniform(0.0, 2.0 * np.pi))
    has_vein = rng.random() < T.BASIVERTEBRAL_PROBABILITY
    basivertebral = _u(rng, T.BASIVERTEBRAL_DEPTH) if has_vein else 0.0
    s0, s1, d0, d1 = T.WOBBLE_EXTENT
    n_s = int(np.ceil((s1 - s0) / T.WOBBLE_NODE_MM)) + 1
    n_d = int(np.ceil((d1 - d0) / T.WOBBLE_NODE_MM)) + 1
    wobble = rng.normal(0.0, _u(rng, T.WOBBLE_MM), (2, n_s, n_d))
    # ---- head -------------------------------------------------------------------------------
    head_scale = _u(rng, T.HEAD_SCALE_RANGE)
    head = {}
    for name, vals in T.HEAD_ELLIPSES.items():
        j = 1.0 + rng.uniform(-T.HEAD_JITTER, T.HEAD_JITTER, 5)
        head[name] = tuple(float(x) for x in np.asarray(vals) * head_scale * j)
    fa, fb, fra, frb = head["face"][:4]
    spread = T.FACE_BLOB_SPREAD
    face_blobs = _blobs(rng, T.BLOBS["face"], lambda: (
        fa + rng.uniform(-spread, spread) * fra, fb + rng.uniform(-spread, spread) * frb))
    dens_posterior = _u(rng, T.DENS_POSTERIOR_OFFSET)
    label_s = np.empty(NUM_DISCS)
    label_d = np.empty(NUM_DISCS)
    label_s[0] = c1_arch_s - 0.5 * c1_arch_height
    label_s[1] = dens_length
    label_d[:2] = dens_posterior
    for n in range(FIRST_BODY_DISC, NUM_DISCS + 1):
        i = n - FIRST_BODY_DISC
        label_d[n - 1] = bulge_post[i]
        label_s[n - 1] = 0.5 * (bounds[2 * i + 1] + bounds[2 * i + 2])
    # from sheared s' to s (s = s' + k(s) d, two fixed-point steps)
    s_mid = label_s.copy()
    for _ in range(2):
        label_s = s_mid + np.interp(label_s, bounds, shear_k) * label_d
    return Anatomy(
        curve=curve, head_angle=float(head_angle), bounds=bounds, shear_s=bounds.copy(),
        shear_k=shear_k, body_depth=depth, body_half_width=half_width, body_waist=waist,
        cortex=float(cortex), disc_bulge_post=bulge_post, disc_bulge_ant=bulge_ant,
        disc_grade=grade, disc_nucleus_height=nuc_h, disc_nucleus_depth=nuc_d, disc_cleft=cleft,
        level_s=level_s, canal_ap=canal_ap, canal_half_width=canal_hw,
        posterior_epidural=posterior_epidural, cord_ap=cord_ap * scale, cord_ratio=cord_ratio,
        anterior_epidural=float(_u(rng, T.ANTERIOR_EPIDURAL)),
        cord_position=float(_u(rng, T.CORD_POSITION)), conus_s=conus_s, sac_end_s=sac_end_s,
        cauda_period=float(_u(rng, T.CAUDA_PERIOD_MM)),
        pedicle_length=float(_u(rng, T.PEDICLE_LENGTH) * scale), lamina_start=lamina_start,
        lamina_height=lamina_height, lamina_thickness=lamina_thickness,
        spinous_length=spinous_length, spinous_tan=spinous_tan,
        spinous_half_width=spinous_half_width, spinous_tip=spinous_tip,
        dens_length=float(dens_length), dens_depth=float(_u(rng, T.DENS_DEPTH) * scale),
        dens_half_width=float(_u(rng, T.DENS_HALF_WIDTH) * scale),
        dens_posterior=float(dens_posterior), c1_arch_s=float(c1_arch_s),
        c1_arch_height=float(c1_arch_height),
        c1_arch_depth=float(_u(rng, T.C1_ARCH_DEPTH) * scale),
        c1_arch_gap=float(_u(rng, T.C1_ARCH_GAP)),
        soft_s=soft_s, soft=soft, skin=float(_u(rng, T.SKIN_MM)),
        airway_half_width=float(_u(rng, T.AIRWAY_HALF_WIDTH)),
        aorta_radius=float(_u(rng, T.AORTA_RADIUS)),
        aorta_s=(t_lev(T.AORTA_LEVELS[0]), t_lev(T.AORTA_LEVELS[1])),
        heart_s=t_lev(T.HEART_LEVEL),
        mediastinum_half_width=float(_u(rng, T.MEDIASTINUM_HALF_WIDTH)),
        lung_s=(t_lev(T.LUNG_LEVELS[0]), t_lev(T.LUNG_LEVELS[1])),
        liver_s=(t_lev(T.LIVER_LEVELS[0]), t_lev(T.LIVER_LEVELS[1])),
        blobs=blobs, neck_blobs=neck_blobs, face_blobs=face_blobs, fascia=fascia,
        basivertebral=float(basivertebral), wobble=wobble, head=head,
        skull_thickness=float(_u(rng, T.SKULL_THICKNESS) * head_scale),
        scalp_thickness=float(_u(rng, T.SCALP_THICKNESS)),
        clivus=(float(_u(rng, T.CLIVUS_LENGTH) * head_scale), float(_u(rng, T.CLIVUS_THICKNESS)),
                float(_u(rng, T.CLIVUS_SLOPE))),
        basion=(float(T.BASION[0]), float(T.BASION[1])),
        opisthion_b=float(_u(rng, T.OPISTHION_B) * head_scale),
        palate=T.HARD_PALATE, medulla_ap=float(_u(rng, T.MEDULLA_AP_RADIUS)),
        label_s=label_s, label_d=label_d,
    )
