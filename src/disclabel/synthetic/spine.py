"""Implicit shapes of the spine: vertebral bodies and discs, C1/C2, spinal canal with sac, cord
and roots, pedicles and foramina, laminae and spinous processes (see :mod:`.primitives`)."""

from __future__ import annotations

import numpy as np

from disclabel.synthetic import tables as T
from disclabel.synthetic.anatomy import NUM_BODIES
from disclabel.synthetic.layers import LayerBuilder
from disclabel.synthetic.primitives import (
    BODY_BOX_DEPTH_MM,
    BODY_BOX_POSTERIOR_MM,
    CORTEX_FRACTION_MIN,
    PRIORITY,
    ShapeContext,
    axial_width,
    ellipsoid_width,
    pow8,
)

Tissue = T.Tissue
D = T.DETAIL
F32 = np.float32


# ------------------------------------------------------------------------------------------
# vertebral column
# ------------------------------------------------------------------------------------------
def vertebral_column(c: ShapeContext, lb: LayerBuilder) -> None:
    an = c.anat
    sl = c.box_sd(an.bounds[0] - D["box_margin"], an.bounds[-1] + D["box_margin"],
                  -BODY_BOX_DEPTH_MM, BODY_BOX_POSTERIOR_MM)
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
    inside = in_body & (pow8(tau) + pow8(rho) < 1.0)
    cort = F32(an.cortex)
    hh = 0.5 * h
    tau_i = tau * hh / np.maximum(hh - cort, CORTEX_FRACTION_MIN * hh)
    rho_i = rho * half_d / np.maximum(half_d - cort, CORTEX_FRACTION_MIN * half_d)
    marrow = inside & (pow8(tau_i) + pow8(rho_i) < 1.0)
    w_body = axial_width(rho, an.body_half_width.astype(F32)[ib])
    vein = (np.abs(u - 0.5) * h < T.BASIVERTEBRAL_HALF_HEIGHT) & (d > -an.basivertebral) & (ib > 0)
    corner = in_body & ~inside & (d > -depth) & (d < 0.0)
    lb.add(PRIORITY["body"], sl, np.where(inside | corner, w_body, 0.0).astype(F32),
           np.where(inside, Tissue.CORTEX, Tissue.ANNULUS).astype(np.uint8))
    lb.add(PRIORITY["body_marrow"], sl, np.where(marrow, w_body - cort, 0.0).astype(F32),
           np.where(vein, Tissue.FAT, Tissue.MARROW).astype(np.uint8))
    # discs
    idisc = np.clip(seg // 2 - 1, 0, NUM_BODIES - 2)
    dd = 0.5 * (an.body_depth[:-1] + an.body_depth[1:]).astype(F32)[idisc]
    sinu = np.clip(np.sin(np.pi * u), 0.0, 1.0).astype(F32)
    dpost = an.disc_bulge_post.astype(F32)[idisc] * np.sqrt(sinu)
    dant = -dd - an.disc_bulge_ant.astype(F32)[idisc] * sinu
    disc = in_disc & (d < dpost) & (d > dant)
    rho = np.abs(d - 0.5 * (dpost + dant)) / (0.5 * (dpost - dant))
    wd = 0.5 * (an.body_half_width[:-1] + an.body_half_width[1:]).astype(F32)[idisc]
    lb.add(PRIORITY["disc"], sl, np.where(disc, axial_width(rho, wd), 0.0).astype(F32),
           Tissue.ANNULUS)
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
           np.where(nucleus, ellipsoid_width(rn, T.NUCLEUS_HALF_WIDTH_FRACTION * wd), 0.0
                    ).astype(F32),
           tis)


def upper_cervical(c: ShapeContext, lb: LayerBuilder) -> None:
    """Dens of C2, anterior arch and lateral masses of C1, transverse ligament."""
    an = c.anat
    cort = F32(an.cortex)
    front = an.dens_posterior - an.dens_depth
    arch_c = front - an.c1_arch_gap - 0.5 * an.c1_arch_depth
    sl = c.box_sd(T.FORAMEN_MAGNUM_LEVEL, an.dens_length + 2.0 * D["box_margin"],
                  arch_c - an.c1_arch_depth, D["lateral_mass_back"] + D["box_margin"])
    if sl is None:
        return
    s, d, sp = c.s[sl], c.d[sl], c.sp[sl]
    # dens: a peg with a round tip, merging into the C2 body
    taper = D["dens_taper"]
    half = 0.5 * an.dens_depth * (1.0 - taper + taper * np.clip(sp / an.dens_length, 0.0, 1.0))
    rho = (d - (an.dens_posterior - 0.5 * an.dens_depth)) / half
    tip = np.maximum(half - sp, 0.0) / half
    r2 = rho * rho + tip * tip
    dens = (r2 < 1.0) & (sp < an.dens_length + D["dens_base_overlap"])
    rho_i = rho * half / np.maximum(half - cort, CORTEX_FRACTION_MIN * half)
    tip_i = np.maximum(half - sp, 0.0) / np.maximum(half - cort, CORTEX_FRACTION_MIN * half)
    dens_i = (rho_i * rho_i + tip_i * tip_i < 1.0) & (sp < an.dens_length + D["dens_base_overlap"])
    w = ellipsoid_width(np.minimum(rho * rho, 1.0), an.dens_half_width)
    lb.add(PRIORITY["dens"], sl, np.where(dens, w, 0.0).astype(F32), Tissue.CORTEX)
    lb.add(PRIORITY["dens_marrow"], sl, np.where(dens_i, w - cort, 0.0).astype(F32), Tissue.MARROW)
    # anterior arch of C1
    ra = 0.5 * an.c1_arch_height
    rb = 0.5 * an.c1_arch_depth
    r2 = ((s - an.c1_arch_s) / ra) ** 2 + ((d - arch_c) / rb) ** 2
    r2i = ((s - an.c1_arch_s) / max(ra - cort, CORTEX_FRACTION_MIN * ra)) ** 2 + (
        (d - arch_c) / max(rb - cort, CORTEX_FRACTION_MIN * rb)) ** 2
    wa = F32(2.0 * an.dens_half_width)
    lb.add(PRIORITY["c1_arch"], sl, ellipsoid_width(r2, wa), Tissue.CORTEX)
    lb.add(PRIORITY["c1_marrow"], sl, ellipsoid_width(r2i, wa - cort), Tissue.MARROW)
    # transverse ligament behind the dens
    tl = (np.abs(s - an.c1_arch_s) < D["transverse_ligament_reach"] * an.c1_arch_height) & (
        d > an.dens_posterior) & (d < an.dens_posterior + D["transverse_ligament"])
    lb.add(PRIORITY["ligament"], sl,
           np.where(tl, F32(D["transverse_ligament_half_width"]), 0.0).astype(F32), Tissue.LIGAMENT)
    # lateral masses of C1 (lateral of the dens and the canal)
    lm = (s > an.c1_arch_s - ra) & (s < an.dens_length + D["dens_base_overlap"]) & (
        d > arch_c - rb) & (d < D["lateral_mass_back"])
    lb.add(PRIORITY["c1_lateral_mass"], sl,
           np.where(lm, F32(T.C1_LATERAL_MASS_HALF_WIDTH), 0.0).astype(F32), Tissue.MARROW)


# ------------------------------------------------------------------------------------------
# spinal canal, pedicles, posterior elements
# ------------------------------------------------------------------------------------------
def spinal_canal(c: ShapeContext, lb: LayerBuilder) -> None:
    an = c.anat
    s_top = T.FORAMEN_MAGNUM_LEVEL
    s_bot = an.bounds[-1]
    sl = c.box_sd(s_top - D["box_margin"], s_bot, -D["box_margin"],
                  float(an.canal_ap.max()) + D["box_margin"])
    if sl is None:
        return
    s, d, sp = c.s[sl], c.d[sl], c.sp[sl]
    ap = c.level(s, an.canal_ap)
    wc = c.level(s, an.canal_half_width)
    canal = (d > 0.0) & (d < ap) & (s > s_top)
    rho = np.abs(d - 0.5 * ap) / (0.5 * ap)
    w_canal = np.where(canal, axial_width(rho, wc), 0.0).astype(F32)
    # posterior longitudinal ligament / dura: a thin dark line on the anterior canal wall
    pll = canal & (d < D["pll_thickness"])
    lb.add(PRIORITY["ligament"], sl, np.where(pll, D["pll_width_fraction"] * w_canal, 0.0
                                              ).astype(F32),
           Tissue.LIGAMENT)
    # dural sac
    front = F32(an.anterior_epidural)
    back = ap - c.level(s, an.posterior_epidural)
    shrink = np.clip((an.sac_end_s - s) / D["sac_end_taper"], 0.0, 1.0).astype(F32)
    back = front + (back - front) * shrink
    mid = 0.5 * (front + back)
    half = np.maximum(0.5 * (back - front), F32(1e-3))
    rho_s = np.abs(d - mid) / half
    sac = canal & (rho_s < 1.0) & (shrink > 0.0)
    w_sac = np.where(sac, ellipsoid_width(rho_s * rho_s, T.SAC_HALF_WIDTH_FRACTION * wc), 0.0
                     ).astype(F32)
    lb.add(PRIORITY["sac"], sl, w_sac, Tissue.CSF)
    # epidural space: fat behind the sac, venous plexus in front, roots and veins beside it
    beside = np.where(d < mid, Tissue.VESSEL, Tissue.NERVE)
    epi = np.where(d > back, Tissue.FAT, np.where(d < front, Tissue.VESSEL, beside))
    lb.add(PRIORITY["epidural"], sl, w_canal, epi.astype(np.uint8))
    # cord, tapering into the conus
    taper = np.sqrt(np.clip((an.conus_s - s) / T.CONUS_TAPER_MM, 0.0, 1.0)).astype(F32)
    rc = c.level(s, an.cord_ap) * taper
    ratio = c.level(s, an.cord_ratio)
    cc = front + (back - front) * F32(an.cord_position)
    r2 = ((d - cc) / np.maximum(rc, F32(1e-3))) ** 2
    cord = sac & (r2 < 1.0) & (rc > D["cord_min_radius"])
    lb.add(PRIORITY["cord"], sl, np.where(cord, ellipsoid_width(r2, rc * ratio), 0.0).astype(F32),
           Tissue.CORD)
    # cauda equina: nerve roots lying posteriorly in the sac below the conus
    stripes = np.cos(2.0 * np.pi * (d - mid) / an.cauda_period) > T.CAUDA_THRESHOLD
    cauda = sac & (s > an.conus_s - D["cauda_above_conus"]) & (
        d > mid - D["cauda_front_fraction"] * half) & stripes
    lb.add(PRIORITY["cauda"], sl, np.where(cauda, D["cauda_width_fraction"] * w_sac, 0.0
                                           ).astype(F32), Tissue.NERVE)
    # pedicles (at the upper part of each body) and foramina (elsewhere), lateral of the canal
    b = an.bounds.astype(F32)
    seg = np.searchsorted(b, sp, side="right")
    lo = b[np.clip(seg - 1, 0, len(b) - 1)]
    hi = b[np.clip(seg, 0, len(b) - 1)]
    u = (sp - lo) / np.maximum(hi - lo, F32(1e-3))
    ped = (seg % 2 == 1) & (u > T.PEDICLE_SPAN[0]) & (u < T.PEDICLE_SPAN[1])
    lateral = canal & (s > an.dens_length)
    w_lat = np.where(lateral, wc + F32(an.pedicle_length), 0.0).astype(F32)
    root = np.abs(d - T.ROOT_POSITION * ap) < T.ROOT_RADIUS * ap
    veins = d < D["foramen_vein_fraction"] * ap
    foramen = np.where(root, Tissue.NERVE, np.where(veins, Tissue.VESSEL, Tissue.FAT))
    lb.add(PRIORITY["pedicle"], sl, w_lat, np.where(ped, Tissue.CORTEX, foramen).astype(np.uint8))
    lb.add(PRIORITY["pedicle_marrow"], sl,
           np.where(lateral & ped, w_lat - F32(an.cortex), 0.0).astype(F32), Tissue.MARROW)
    # articular pillars behind the foramina
    art = (s > an.dens_length) & (d > D["articular_front_fraction"] * ap) & (
        d < ap + D["articular_behind_canal"]) & (s < an.bounds[-3])
    # facet joints: thin oblique lines once per vertebra
    s_f = s + T.FACET_SLOPE * (d - D["facet_centre_fraction"] * ap)
    v = np.clip(np.searchsorted(an.lamina_start.astype(F32), s_f, side="right") - 1, 0,
                len(an.lamina_start) - 1)
    joint = (s_f - an.lamina_start.astype(F32)[v]) < T.FACET_GAP_MM
    lb.add(PRIORITY["articular"], sl,
           np.where(art, wc + F32(an.pedicle_length + T.ARTICULAR_EXTRA_WIDTH), 0.0).astype(F32),
           np.where(joint, Tissue.LIGAMENT, Tissue.MARROW).astype(np.uint8))


def posterior_elements(c: ShapeContext, lb: LayerBuilder) -> None:
    """Laminae and spinous processes (one shape per vertebra), ligamenta flava, interspinous."""
    an = c.anat
    reach = float((an.canal_ap + an.spinous_length).max()) + D["box_margin"]
    sl = c.box_sd(an.lamina_start[0] - D["box_margin"], an.lamina_start[-1], 0.0, reach)
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
    inside = valid & (e > 0.0) & (pow8(np.sqrt(tau)) + e2 * e2 * e2 < 1.0)
    cort = F32(an.cortex)
    tau_i = np.abs(t - 0.5 * hl) / np.maximum(hh - cort, 0.25 * hh)
    eps_i = (e - cort) / np.maximum(length - 2.0 * cort, F32(1.0))
    e2 = eps_i * eps_i
    inner = inside & (eps_i > 0.0) & (pow8(np.sqrt(tau_i)) + e2 * e2 * e2 < 1.0)
    wc = c.level(s, an.canal_half_width)
    wsp = an.spinous_half_width.astype(F32)[v]
    w = wsp + (wc + F32(T.LAMINA_LATERAL_EXTRA) - wsp) * np.sqrt(np.clip(1.0 - e / thick, 0.0, 1.0))
    lb.add(PRIORITY["lamina"], sl, np.where(inside, w, 0.0).astype(F32), Tissue.CORTEX)
    lb.add(PRIORITY["lamina_marrow"], sl, np.where(inner, w - cort, 0.0).astype(F32), Tissue.MARROW)
    gap = valid & (t > hl) & (s > T.FORAMEN_MAGNUM_LEVEL)
    back = D["flavum_depth_fraction"] * thick
    flavum = gap & (e > -T.FLAVUM_THICKNESS) & (e < back)
    lb.add(PRIORITY["ligament"], sl, np.where(flavum, wc + D["flavum_extra_width"], 0.0
                                              ).astype(F32), Tissue.LIGAMENT)
    inter = gap & (e >= back) & (e < D["interspinous_reach"] * length)
    lb.add(PRIORITY["interspinous"], sl,
           np.where(inter, F32(D["interspinous_half_width"]), 0.0).astype(F32),
           Tissue.LIGAMENT)
