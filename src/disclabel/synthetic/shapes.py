"""Implicit shapes of the synthetic anatomy, evaluated on a sagittal grid as layered structures.

Every function adds structures (see :mod:`.layers`) to a :class:`LayerBuilder`: a 2-D region on
the sagittal plane, a tissue, and a left-right half-width map, so that the 3-D shape is
``{|x| < w}``. Spine structures are written in curvilinear coordinates (s, d, s'; see
:mod:`.geometry`), head structures in a rigid head frame (a: downwards along the brainstem,
b: posterior; origin at the dens tip). Everything is vectorised over the pixels of a bounding
box; there are no per-pixel Python loops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import tables as T
from .anatomy import NUM_BODIES, NUM_VERTEBRAE, Anatomy
from .geometry import Plane, curvilinear, rigid_frame
from .layers import LayerBuilder, Layers

Tissue = T.Tissue
F32 = np.float32

PRIORITY: dict[str, float] = {
    # higher wins where structures overlap; inner structures rank above the ones that hold them
    "dens_marrow": 97, "dens": 96, "nucleus": 95, "disc": 94, "body_marrow": 93, "body": 92,
    "c1_marrow": 91, "c1_arch": 90, "cord": 88, "cauda": 87, "sac": 86, "ligament": 85,
    "epidural": 84, "lamina_marrow": 81, "lamina": 80, "interspinous": 79, "pedicle_marrow": 77,
    "pedicle": 76, "articular": 73, "c1_lateral_mass": 73, "brainstem": 71, "ventricle4": 70,
    "cerebellum": 69, "callosum": 68, "ventricle": 69, "cerebrum": 66, "sinus": 64, "clivus": 63,
    "cavity": 61, "skull": 60, "palate": 58, "septum": 57, "nasopharynx": 56, "nasal": 55,
    "tongue": 53, "mandible": 54, "face": 20, "aorta": 49, "airway": 47, "airway_wall": 46,
    "heart": 45, "liver": 44, "blob": 43, "mediastinum": 42, "lung": 41, "abdomen": 30,
    "muscle": 12, "fat": 11, "skin": 10,
}

BODY_BOX_DEPTH_MM: float = 45.0
"""The vertebral column is evaluated for -BODY_BOX_DEPTH_MM < d < BODY_BOX_POSTERIOR_MM."""
BODY_BOX_POSTERIOR_MM: float = 6.0
CORTEX_FRACTION_MIN: float = 0.25
"""Marrow keeps at least this fraction of a shape's half-size when the cortex is subtracted."""


# ------------------------------------------------------------------------------------------
# small vectorised helpers
# ------------------------------------------------------------------------------------------
def _pow8(x: np.ndarray) -> np.ndarray:
    x2 = x * x
    x4 = x2 * x2
    return x4 * x4


def _axial(rho: np.ndarray, width: np.ndarray | float, power: float = T.BODY_AXIAL_POWER
           ) -> np.ndarray:
    """Half-width of a super-elliptic cross-section at normalised AP distance ``rho``."""
    r = np.minimum(np.abs(rho), F32(1.0))
    return (width * np.cbrt(1.0 - r * r * r)).astype(F32) if power == 3.0 else (
        width * (1.0 - r ** power) ** (1.0 / power)).astype(F32)


def _ellipsoid_w(r2: np.ndarray, width: float | np.ndarray) -> np.ndarray:
    """Half-width of an ellipsoid at normalised squared sagittal radius ``r2`` (0 outside)."""
    return (width * np.sqrt(np.maximum(F32(1.0) - r2, F32(0.0)))).astype(F32)


@dataclass
class _Ctx:
    anat: Anatomy
    plane: Plane
    s: np.ndarray
    d: np.ndarray
    sp: np.ndarray

    def box_sd(self, s0: float, s1: float, d0: float, d1: float) -> tuple[slice, slice] | None:
        """Pixel box covering the curvilinear rectangle [s0, s1] x [d0, d1]."""
        ss = np.linspace(s0, s1, max(2, int((s1 - s0) / 5.0) + 2))
        rr, cc = [], []
        for dd in (d0, d1):
            r, c = self.anat.curve.to_plane(ss, np.full_like(ss, dd))
            rr.append(r)
            cc.append(c)
        return self.plane.box(np.concatenate(rr), np.concatenate(cc))

    def head_box(self, a0: float, a1: float, b0: float, b1: float) -> tuple[slice, slice] | None:
        ang = self.anat.head_angle
        a = np.array([a0, a0, a1, a1])
        b = np.array([b0, b1, b0, b1])
        return self.plane.box(a * np.cos(ang) - b * np.sin(ang), a * np.sin(ang) + b * np.cos(ang))

    def head_frame(self, sl: tuple[slice, slice]) -> tuple[np.ndarray, np.ndarray]:
        return rigid_frame(self.plane, sl, (0.0, 0.0), self.anat.head_angle)

    def level(self, s: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Per-vertebra ``values`` interpolated at ``s`` (float32)."""
        return np.interp(s, self.anat.level_s, values).astype(F32)


# ------------------------------------------------------------------------------------------
# vertebral column
# ------------------------------------------------------------------------------------------
def _column(c: _Ctx, lb: LayerBuilder) -> None:
    an = c.anat
    sl = c.box_sd(an.bounds[0] - 2.0, an.bounds[-1] + 2.0, -BODY_BOX_DEPTH_MM * 1.3,
                  BODY_BOX_POSTERIOR_MM)
    if sl is None:
        return
    d, sp = c.d[sl], c.sp[sl]
    b = an.bounds.astype(F32)
    nbnd = len(b)
    seg = np.searchsorted(b, sp, side="right")
    lo = b[np.clip(seg - 1, 0, nbnd - 1)]
    hi = b[np.clip(seg, 0, nbnd - 1)]
    h = np.maximum(hi - lo, F32(1e-3))
    u = np.clip((sp - lo) / h, 0.0, 1.0).astype(F32)
    in_body = (seg % 2 == 1)
    in_disc = (seg % 2 == 0) & (seg >= 2) & (seg <= nbnd - 2)
    # bodies
    ib = np.clip((seg - 1) // 2, 0, NUM_BODIES - 1)
    depth = an.body_depth.astype(F32)[ib]
    dant = -depth + an.body_waist.astype(F32)[ib] * 4.0 * u * (1.0 - u)
    half_d = -0.5 * dant
    rho = np.abs(d - 0.5 * dant) / half_d
    tau = np.abs(2.0 * u - 1.0)
    inside = in_body & (_pow8(tau) + _pow8(rho) < 1.0)
    cort = F32(an.cortex)
    hh = 0.5 * h
    tau_i = tau * hh / np.maximum(hh - cort, CORTEX_FRACTION_MIN * hh)
    rho_i = rho * half_d / np.maximum(half_d - cort, CORTEX_FRACTION_MIN * half_d)
    marrow = inside & (_pow8(tau_i) + _pow8(rho_i) < 1.0)
    w_body = _axial(rho, an.body_half_width.astype(F32)[ib])
    corner = in_body & ~inside & (d > -depth) & (d < 0.0)
    lb.add(PRIORITY["body"], sl, np.where(inside | corner, w_body, 0.0).astype(F32),
           np.where(inside, Tissue.CORTEX, Tissue.ANNULUS).astype(np.uint8))
    lb.add(PRIORITY["body_marrow"], sl, np.where(marrow, w_body - cort, 0.0).astype(F32),
           Tissue.MARROW)
    # discs
    idisc = np.clip(seg // 2 - 1, 0, NUM_BODIES - 2)
    dd = 0.5 * (an.body_depth[:-1] + an.body_depth[1:]).astype(F32)[idisc]
    sinu = np.clip(np.sin(np.pi * u), 0.0, 1.0).astype(F32)
    dpost = an.disc_bulge_post.astype(F32)[idisc] * np.sqrt(sinu)
    dant = -dd - an.disc_bulge_ant.astype(F32)[idisc] * sinu
    disc = in_disc & (d < dpost) & (d > dant)
    rho = np.abs(d - 0.5 * (dpost + dant)) / (0.5 * (dpost - dant))
    wd = 0.5 * (an.body_half_width[:-1] + an.body_half_width[1:]).astype(F32)[idisc]
    lb.add(PRIORITY["disc"], sl, np.where(disc, _axial(rho, wd), 0.0).astype(F32), Tissue.ANNULUS)
    grade = an.disc_grade[idisc]
    nh = 0.5 * an.disc_nucleus_height.astype(F32)[idisc]
    na = 0.5 * an.disc_nucleus_depth.astype(F32)[idisc] * dd
    ncen = -T.NUCLEUS_CENTRE_FRACTION * dd
    rn = ((u - 0.5) / nh) ** 2 + ((d - ncen) / na) ** 2
    nucleus = disc & (rn < 1.0) & (grade >= 0)
    cleft = an.disc_cleft[idisc] & (np.abs(u - 0.5) * h < T.CLEFT_HALF_THICKNESS) & (
        h > T.CLEFT_MIN_DISC_HEIGHT)
    tis = np.where(cleft, Tissue.ANNULUS, Tissue.NUCLEUS + np.maximum(grade, 0)).astype(np.uint8)
    lb.add(PRIORITY["nucleus"], sl,
           np.where(nucleus, _ellipsoid_w(rn, T.NUCLEUS_HALF_WIDTH_FRACTION * wd), 0.0).astype(F32),
           tis)


def _upper_cervical(c: _Ctx, lb: LayerBuilder) -> None:
    """Dens of C2, anterior arch and lateral masses of C1, transverse ligament."""
    an = c.anat
    cort = F32(an.cortex)
    front = an.dens_posterior - an.dens_depth
    arch_c = front - an.c1_arch_gap - 0.5 * an.c1_arch_depth
    sl = c.box_sd(-6.0, an.dens_length + 4.0, arch_c - an.c1_arch_depth, 20.0)
    if sl is None:
        return
    s, d, sp = c.s[sl], c.d[sl], c.sp[sl]
    # dens: a peg with a round tip, merging into the C2 body
    half = 0.5 * an.dens_depth * (0.85 + 0.15 * np.clip(sp / an.dens_length, 0.0, 1.0))
    rho = (d - (an.dens_posterior - 0.5 * an.dens_depth)) / half
    tip = np.maximum(half - sp, 0.0) / half
    r2 = rho * rho + tip * tip
    dens = (r2 < 1.0) & (sp < an.dens_length + 1.5)
    rho_i = rho * half / np.maximum(half - cort, CORTEX_FRACTION_MIN * half)
    tip_i = np.maximum(half - sp, 0.0) / np.maximum(half - cort, CORTEX_FRACTION_MIN * half)
    dens_i = (rho_i * rho_i + tip_i * tip_i < 1.0) & (sp < an.dens_length + 1.5)
    w = _ellipsoid_w(np.minimum(rho * rho, 1.0), an.dens_half_width)
    lb.add(PRIORITY["dens"], sl, np.where(dens, w, 0.0).astype(F32), Tissue.CORTEX)
    lb.add(PRIORITY["dens_marrow"], sl, np.where(dens_i, w - cort, 0.0).astype(F32), Tissue.MARROW)
    # anterior arch of C1
    ra = 0.5 * an.c1_arch_height
    rb = 0.5 * an.c1_arch_depth
    r2 = ((s - an.c1_arch_s) / ra) ** 2 + ((d - arch_c) / rb) ** 2
    r2i = ((s - an.c1_arch_s) / (ra - cort)) ** 2 + ((d - arch_c) / max(rb - cort, 0.5)) ** 2
    wa = F32(2.0 * an.dens_half_width)
    lb.add(PRIORITY["c1_arch"], sl, _ellipsoid_w(r2, wa), Tissue.CORTEX)
    lb.add(PRIORITY["c1_marrow"], sl, _ellipsoid_w(r2i, wa - cort), Tissue.MARROW)
    # transverse ligament behind the dens
    tl = (np.abs(s - an.c1_arch_s) < 0.6 * an.c1_arch_height) & (d > an.dens_posterior) & (
        d < an.dens_posterior + 2.5)
    lb.add(PRIORITY["ligament"], sl, np.where(tl, F32(10.0), 0.0).astype(F32), Tissue.LIGAMENT)
    # lateral masses of C1 (lateral of the dens and the canal)
    lm = (s > an.c1_arch_s - ra) & (s < an.dens_length + 1.0) & (d > arch_c - rb) & (d < 12.0)
    lb.add(PRIORITY["c1_lateral_mass"], sl,
           np.where(lm, F32(T.C1_LATERAL_MASS_HALF_WIDTH), 0.0).astype(F32), Tissue.MARROW)


# ------------------------------------------------------------------------------------------
# spinal canal, pedicles, posterior elements
# ------------------------------------------------------------------------------------------
def _canal(c: _Ctx, lb: LayerBuilder) -> None:
    an = c.anat
    s_top = T.FORAMEN_MAGNUM_LEVEL
    s_bot = an.bounds[-1]
    sl = c.box_sd(s_top - 2.0, s_bot, -2.0, float(an.canal_ap.max()) + 3.0)
    if sl is None:
        return
    s, d, sp = c.s[sl], c.d[sl], c.sp[sl]
    ap = c.level(s, an.canal_ap)
    wc = c.level(s, an.canal_half_width)
    canal = (d > 0.0) & (d < ap) & (s > s_top)
    rho = np.abs(d - 0.5 * ap) / (0.5 * ap)
    w_canal = np.where(canal, _axial(rho, wc), 0.0).astype(F32)
    lb.add(PRIORITY["epidural"], sl, w_canal, Tissue.FAT)
    # posterior longitudinal ligament / dura: a thin dark line on the anterior canal wall
    pll = canal & (d < 0.8)
    lb.add(PRIORITY["ligament"], sl, np.where(pll, 0.7 * w_canal, 0.0).astype(F32),
           Tissue.LIGAMENT)
    # dural sac
    front = F32(an.anterior_epidural)
    back = ap - c.level(s, an.posterior_epidural)
    shrink = np.clip((an.sac_end_s - s) / 15.0, 0.0, 1.0).astype(F32)
    back = front + (back - front) * shrink
    mid = 0.5 * (front + back)
    half = np.maximum(0.5 * (back - front), F32(1e-3))
    rho_s = np.abs(d - mid) / half
    sac = canal & (rho_s < 1.0) & (shrink > 0.0)
    w_sac = np.where(sac, _axial(rho_s, T.SAC_HALF_WIDTH_FRACTION * wc), 0.0).astype(F32)
    lb.add(PRIORITY["sac"], sl, w_sac, Tissue.CSF)
    # cord, tapering into the conus
    taper = np.sqrt(np.clip((an.conus_s - s) / T.CONUS_TAPER_MM, 0.0, 1.0)).astype(F32)
    rc = c.level(s, an.cord_ap) * taper
    ratio = c.level(s, an.cord_ratio)
    cc = front + (back - front) * F32(an.cord_position)
    r2 = ((d - cc) / np.maximum(rc, F32(1e-3))) ** 2
    cord = sac & (r2 < 1.0) & (rc > 0.2)
    lb.add(PRIORITY["cord"], sl, np.where(cord, _ellipsoid_w(r2, rc * ratio), 0.0).astype(F32),
           Tissue.CORD)
    # cauda equina: nerve roots lying posteriorly in the sac below the conus
    stripes = np.cos(2.0 * np.pi * (d - mid) / an.cauda_period) > 0.2
    cauda = sac & (s > an.conus_s - 10.0) & (d > mid - 0.2 * half) & stripes
    lb.add(PRIORITY["cauda"], sl, np.where(cauda, 0.6 * w_sac, 0.0).astype(F32), Tissue.NERVE)
    # pedicles (at the upper part of each body) and foramina (elsewhere), lateral of the canal
    b = an.bounds.astype(F32)
    seg = np.searchsorted(b, sp, side="right")
    lo = b[np.clip(seg - 1, 0, len(b) - 1)]
    hi = b[np.clip(seg, 0, len(b) - 1)]
    u = (sp - lo) / np.maximum(hi - lo, F32(1e-3))
    ped = (seg % 2 == 1) & (u > T.PEDICLE_SPAN[0]) & (u < T.PEDICLE_SPAN[1])
    lateral = canal & (s > an.dens_length)
    w_lat = np.where(lateral, wc + F32(an.pedicle_length), 0.0).astype(F32)
    lb.add(PRIORITY["pedicle"], sl, w_lat, np.where(ped, Tissue.CORTEX, Tissue.FAT).astype(np.uint8))
    lb.add(PRIORITY["pedicle_marrow"], sl,
           np.where(lateral & ped, w_lat - F32(an.cortex), 0.0).astype(F32), Tissue.MARROW)
    # articular pillars behind the foramina
    art = (s > an.dens_length) & (d > 0.4 * ap) & (d < ap + 6.0) & (s < an.bounds[-3])
    lb.add(PRIORITY["articular"], sl,
           np.where(art, wc + F32(an.pedicle_length + T.ARTICULAR_EXTRA_WIDTH), 0.0).astype(F32),
           Tissue.MARROW)


def _posterior(c: _Ctx, lb: LayerBuilder) -> None:
    """Laminae and spinous processes (one shape per vertebra), ligamenta flava, interspinous."""
    an = c.anat
    reach = float((an.canal_ap + an.spinous_length).max()) + 5.0
    sl = c.box_sd(an.lamina_start[0] - 5.0, an.lamina_start[-1], 0.0, reach)
    if sl is None:
        return
    s, d = c.s[sl], c.d[sl]
    ap = c.level(s, an.canal_ap)
    e = d - ap
    s_post = s - c.level(s, an.spinous_tan) * np.maximum(e, 0.0)
    n_lev = len(an.level_s)
    v = np.searchsorted(an.lamina_start.astype(F32), s_post, side="right") - 1
    valid = (v >= 0) & (v < n_lev)
    v = np.clip(v, 0, n_lev - 1)
    t = s_post - an.lamina_start.astype(F32)[v]
    hl = an.lamina_height.astype(F32)[v]
    length = an.spinous_length.astype(F32)[v]
    thick = an.lamina_thickness.astype(F32)[v]
    hh = 0.5 * hl * (1.0 - (1.0 - an.spinous_tip.astype(F32)[v]) * np.clip(e / length, 0.0, 1.0))
    tau = np.abs(t - 0.5 * hl) / hh
    eps = e / length
    e2 = eps * eps
    inside = valid & (e > 0.0) & (_pow8(np.sqrt(tau)) + e2 * e2 * e2 < 1.0)
    cort = F32(an.cortex)
    tau_i = np.abs(t - 0.5 * hl) / np.maximum(hh - cort, 0.25 * hh)
    eps_i = (e - cort) / np.maximum(length - 2.0 * cort, F32(1.0))
    e2 = eps_i * eps_i
    inner = inside & (eps_i > 0.0) & (_pow8(np.sqrt(tau_i)) + e2 * e2 * e2 < 1.0)
    wc = c.level(s, an.canal_half_width)
    wsp = an.spinous_half_width.astype(F32)[v]
    w = wsp + (wc + F32(T.LAMINA_LATERAL_EXTRA) - wsp) * np.sqrt(np.clip(1.0 - e / thick, 0.0, 1.0))
    lb.add(PRIORITY["lamina"], sl, np.where(inside, w, 0.0).astype(F32), Tissue.CORTEX)
    lb.add(PRIORITY["lamina_marrow"], sl, np.where(inner, w - cort, 0.0).astype(F32), Tissue.MARROW)
    gap = valid & (t > hl) & (s > T.FORAMEN_MAGNUM_LEVEL)
    flavum = gap & (e > -T.FLAVUM_THICKNESS) & (e < 0.7 * thick)
    lb.add(PRIORITY["ligament"], sl, np.where(flavum, wc + 2.0, 0.0).astype(F32), Tissue.LIGAMENT)
    inter = gap & (e >= 0.7 * thick) & (e < 0.8 * length)
    lb.add(PRIORITY["interspinous"], sl, np.where(inter, F32(1.5), 0.0).astype(F32),
           Tissue.LIGAMENT)


# ------------------------------------------------------------------------------------------
# soft tissue of neck and trunk
# ------------------------------------------------------------------------------------------
def _soft_tissue(c: _Ctx, lb: LayerBuilder) -> None:
    an = c.anat
    h, w = c.plane.shape
    sl = (slice(0, h), slice(0, w))
    s, d = c.s, c.d
    fa = an.soft_at(s, 0)
    fp = an.soft_at(s, 1)
    inside = (d > -fa) & (d < fp) & (s > T.NECK_TOP_S)
    dist_a = d + fa
    dist_p = fp - d
    fat = np.where(d < 0.0, an.soft_at(s, 2), an.soft_at(s, 3))
    dist = np.minimum(dist_a, dist_p)
    mid = 0.5 * (fp - fa)
    rho = np.abs(d - mid) / (0.5 * (fp + fa))
    # round the top of the neck envelope
    cap = np.clip((s - T.NECK_TOP_S) / 30.0, 0.0, 1.0)
    w_env = np.where(inside, _ellipsoid_w(rho * rho, an.soft_at(s, 6)) * np.sqrt(cap), 0.0)
    w_env = w_env.astype(F32)
    skin = F32(an.skin)
    lb.add(PRIORITY["skin"], sl, w_env, Tissue.SKIN)
    lb.add(PRIORITY["fat"], sl, np.where(dist > skin, w_env - skin, 0.0).astype(F32), Tissue.FAT)
    lb.add(PRIORITY["muscle"], sl, np.where(dist > skin + fat, w_env - skin - fat, 0.0).astype(F32),
           Tissue.MUSCLE)
    depth = np.interp(s, an.level_s[1:], an.body_depth).astype(F32)
    wall = fa - an.soft_at(s, 2) - 12.0  # inner surface of the chest/abdominal wall (d = -wall)
    # airway: pharynx, larynx and trachea, in front of the prevertebral soft tissue
    aw = an.soft_at(s, 5)
    back = -depth - an.soft_at(s, 4)
    front = back - aw
    air = (aw > 1.0) & (d < back) & (d > front) & (s > -20.0)
    rho = np.abs(d - 0.5 * (back + front)) / np.maximum(0.5 * aw, F32(0.5))
    c6 = an.level_centre("C6")
    wa = np.where(s < c6, F32(an.airway_half_width), F32(0.6 * an.airway_half_width))
    w_air = np.where(air, _ellipsoid_w(rho * rho, wa), 0.0).astype(F32)
    lb.add(PRIORITY["airway"], sl, w_air, Tissue.AIR)
    wall_t = F32(T.AIRWAY_WALL_MM)
    airw = (aw > 1.0) & (d < back + wall_t) & (d > front - wall_t) & (s > -20.0)
    rho = np.abs(d - 0.5 * (back + front)) / (0.5 * aw + wall_t)
    lb.add(PRIORITY["airway_wall"], sl,
           np.where(airw, _ellipsoid_w(rho * rho, wa + wall_t), 0.0).astype(F32), Tissue.GLAND)
    # thorax: lungs lateral of the mediastinum, heart, descending aorta
    thorax = (s > an.lung_s[0]) & (s < an.lung_s[1]) & (d > -wall) & (d < 25.0)
    lb.add(PRIORITY["lung"], sl, np.where(thorax, F32(200.0), 0.0).astype(F32), Tissue.LUNG)
    med = thorax & (d < -depth)
    lb.add(PRIORITY["mediastinum"], sl, np.where(med, F32(an.mediastinum_half_width), 0.0
                                                 ).astype(F32), Tissue.FAT)
    hs, hd = T.HEART_SEMI_AXES
    hc = -float(np.interp(an.heart_s, an.level_s[1:], an.body_depth)) - 25.0 - hd
    r2 = ((s - an.heart_s) / hs) ** 2 + ((d - hc) / hd) ** 2
    lb.add(PRIORITY["heart"], sl, np.where(thorax, _ellipsoid_w(r2, T.HEART_HALF_WIDTH), 0.0
                                           ).astype(F32), Tissue.VISCERA)
    rad = F32(an.aorta_radius)
    ac = -depth - 3.0 - rad
    aorta = (s > an.aorta_s[0]) & (s < an.aorta_s[1]) & (np.abs(d - ac) < rad)
    lb.add(PRIORITY["aorta"], sl, np.where(aorta, np.sqrt(np.maximum(rad * rad - (d - ac) ** 2, 0.0)),
                                           0.0).astype(F32), Tissue.VESSEL)
    # abdomen: liver, a background of bowel, and random blobs
    abd = (s > an.lung_s[1] - 20.0) & (d > -wall) & (d < -depth - 5.0)
    lb.add(PRIORITY["abdomen"], sl, np.where(abd, F32(150.0), 0.0).astype(F32), Tissue.VISCERA_2)
    liver = (s > an.liver_s[0]) & (s < an.liver_s[1]) & (d > -wall) & (d < -depth - 20.0)
    lb.add(PRIORITY["liver"], sl, np.where(liver, F32(120.0), 0.0).astype(F32), Tissue.VISCERA)
    for bs, bd, rs, rd, bw, bt in an.blobs:
        r2 = ((s - bs) / rs) ** 2 + ((d - bd) / rd) ** 2
        lb.add(PRIORITY["blob"], sl, np.where(abd, _ellipsoid_w(r2, bw), 0.0).astype(F32), int(bt))


# ------------------------------------------------------------------------------------------
# head
# ------------------------------------------------------------------------------------------
def _ellipse_r2(a: np.ndarray, b: np.ndarray, e: tuple[float, ...], grow: float = 0.0) -> np.ndarray:
    ca, cb, ra, rb = e[:4]
    return ((a - ca) / (ra + grow)) ** 2 + ((b - cb) / (rb + grow)) ** 2


def _head(c: _Ctx, lb: LayerBuilder) -> None:
    an = c.anat
    hd = an.head
    cer = hd["cerebrum"]
    pf = hd["posterior_fossa"]
    face = hd["face"]
    grow = an.skull_thickness + an.scalp_thickness
    a0 = cer[0] - cer[2] - grow
    b0 = min(cer[1] - cer[3], face[1] - face[3]) - grow
    b1 = max(cer[1] + cer[3], pf[1] + pf[3]) + grow
    a1 = face[0] + face[2]
    sl = c.head_box(a0, a1, b0, b1)
    if sl is None:
        return
    a, b = c.head_frame(sl)
    # cranial cavity, skull and scalp (union of the supratentorial and posterior fossa ellipses)
    r_cav = np.minimum(_ellipse_r2(a, b, cer), _ellipse_r2(a, b, pf))
    r_skull = np.minimum(_ellipse_r2(a, b, cer, an.skull_thickness),
                         _ellipse_r2(a, b, pf, an.skull_thickness))
    r_scalp = np.minimum(_ellipse_r2(a, b, cer, grow), _ellipse_r2(a, b, pf, grow))
    wh = cer[4]
    clen, cthick, slope = an.clivus
    ba, bb = an.basion
    clivus_back = bb + slope * (a - ba)  # posterior surface of the clivus (b), for a < basion
    above_fm = a < ba + 4.0
    cavity_ok = (b > clivus_back) | (a < ba - clen)
    fm = (a > ba - 2.0) & (b > bb) & (b < an.opisthion_b)
    lb.add(PRIORITY["skin"], sl, _ellipsoid_w(r_scalp, wh + grow), Tissue.SKIN)
    lb.add(PRIORITY["fat"], sl, _ellipsoid_w(r_scalp, wh + grow - an.skin) * (
        r_scalp < (1.0 - an.skin / (cer[3] + grow)) ** 2), Tissue.FAT)
    skull_t = np.where(
        (r_skull > (1.0 - 1.5 / (cer[3] + an.skull_thickness)) ** 2) | (r_cav < 1.0 + 3.0 / cer[3]),
        Tissue.CORTEX, Tissue.MARROW).astype(np.uint8)
    lb.add(PRIORITY["skull"], sl, np.where(fm, 0.0, _ellipsoid_w(r_skull, wh + an.skull_thickness)
                                           ).astype(F32), skull_t)
    cav = (r_cav < 1.0) & cavity_ok & above_fm
    lb.add(PRIORITY["cavity"], sl, np.where(cav | fm & (a < 4.0), _ellipsoid_w(
        np.minimum(r_cav, 0.9), wh), 0.0).astype(F32), Tissue.CSF)
    # clivus and sphenoid sinus
    clv = (a < ba) & (a > ba - clen) & (b < clivus_back) & (b > clivus_back - cthick)
    lb.add(PRIORITY["clivus"], sl, np.where(clv, F32(18.0), 0.0).astype(F32), Tissue.MARROW)
    lb.add(PRIORITY["sinus"], sl, _ellipsoid_w(_ellipse_r2(a, b, hd["sphenoid_sinus"]),
                                               hd["sphenoid_sinus"][4]), Tissue.AIR)
    # brain
    inset = 3.0
    r_brain = _ellipse_r2(a, b, cer, -inset)
    cereb = hd["cerebellum"]
    r_cbl = _ellipse_r2(a, b, cereb)
    lb.add(PRIORITY["cerebrum"], sl, np.where(r_cbl < 1.0, 0.0, _ellipsoid_w(r_brain, wh - inset)
                                              ).astype(F32), Tissue.CEREBRUM)
    lb.add(PRIORITY["cerebellum"], sl, _ellipsoid_w(r_cbl, cereb[4]), Tissue.CEREBELLUM)
    cc = hd["corpus_callosum"]
    r_cc = _ellipse_r2(a, b, cc)
    band = (r_cc < 1.0) & (r_cc > 0.55) & (a < cc[0])
    lb.add(PRIORITY["callosum"], sl, np.where(band, _ellipsoid_w(r_cc, cc[4]), 0.0).astype(F32),
           Tissue.BRAINSTEM)
    for name, pri in (("ventricle", "ventricle"), ("fourth_ventricle", "ventricle4")):
        e = hd[name]
        lb.add(PRIORITY[pri], sl, _ellipsoid_w(_ellipse_r2(a, b, e), e[4]), Tissue.CSF)
    # brainstem: medulla continuing the cord, pons, midbrain
    cord_c = an.anterior_epidural + an.cord_position * (an.canal_ap[0] - an.anterior_epidural)
    pons = hd["pons"]
    mb = hd["midbrain"]
    med = (a > pons[0]) & (a < ba + 8.0) & (np.abs(b - cord_c) < an.medulla_ap)
    rm = ((b - cord_c) / an.medulla_ap) ** 2
    w_med = np.where(med, _ellipsoid_w(rm, 1.5 * an.medulla_ap), 0.0)
    w_pons = _ellipsoid_w(_ellipse_r2(a, b, pons), pons[4])
    w_mb = _ellipsoid_w(_ellipse_r2(a, b, mb), mb[4])
    lb.add(PRIORITY["brainstem"], sl, np.maximum(np.maximum(w_med, w_pons), w_mb).astype(F32),
           Tissue.BRAINSTEM)
    # face: soft tissue, tongue, airways, palate, mandible
    r_face = _ellipse_r2(a, b, face)
    lb.add(PRIORITY["face"], sl, _ellipsoid_w(r_face, face[4]), Tissue.FAT)
    lb.add(PRIORITY["face"] + 0.5, sl, _ellipsoid_w(r_face, face[4] - an.skin) * (
        r_face < (1.0 - an.skin / face[3]) ** 2), Tissue.MUSCLE)
    tg = hd["tongue"]
    lb.add(PRIORITY["tongue"], sl, _ellipsoid_w(_ellipse_r2(a, b, tg), tg[4]), Tissue.MUSCLE)
    npx = hd["nasopharynx"]
    lb.add(PRIORITY["nasopharynx"], sl, _ellipsoid_w(_ellipse_r2(a, b, npx), npx[4]), Tissue.AIR)
    nc = hd["nasal_cavity"]
    r_nc = _ellipse_r2(a, b, nc)
    lb.add(PRIORITY["nasal"], sl, _ellipsoid_w(r_nc, nc[4]), Tissue.AIR)
    lb.add(PRIORITY["septum"], sl, np.where(r_nc < 0.8, F32(1.2), 0.0).astype(F32), Tissue.LIGAMENT)
    pa, pb_post, pb_ant, pt = an.palate
    pal = (np.abs(a - pa) < 0.5 * pt) & (b < pb_post) & (b > pb_ant)
    lb.add(PRIORITY["palate"], sl, np.where(pal, F32(20.0), 0.0).astype(F32), Tissue.MARROW)
    md = hd["mandible"]
    r_md = _ellipse_r2(a, b, md)
    lb.add(PRIORITY["mandible"], sl, _ellipsoid_w(r_md, md[4]),
           np.where(r_md < 0.5, Tissue.MARROW, Tissue.CORTEX).astype(np.uint8))


def build_layers(anat: Anatomy, plane: Plane) -> Layers:
    """Layered tissue representation of ``anat`` on the sagittal grid ``plane``."""
    s, d, sp = curvilinear(anat.curve, plane, anat.shear_s, anat.shear_k)
    ctx = _Ctx(anat, plane, s, d, sp)
    lb = LayerBuilder(plane.shape)
    _column(ctx, lb)
    _upper_cervical(ctx, lb)
    _canal(ctx, lb)
    _posterior(ctx, lb)
    _soft_tissue(ctx, lb)
    _head(ctx, lb)
    return lb.build()


__all__ = ["PRIORITY", "build_layers", "NUM_VERTEBRAE"]
