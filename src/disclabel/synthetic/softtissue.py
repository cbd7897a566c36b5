"""Implicit shapes around the spine: neck and trunk soft tissue, airway, thorax, abdomen, and the
head (skull, brain, brainstem, face), with random blobs (see :mod:`.primitives`)."""

from __future__ import annotations

import numpy as np

from disclabel.synthetic import tables as T
from disclabel.synthetic.layers import LayerBuilder
from disclabel.synthetic.primitives import PRIORITY, ShapeContext, ellipsoid_width

Tissue = T.Tissue
D = T.DETAIL
F32 = np.float32


# ------------------------------------------------------------------------------------------
# soft tissue of neck and trunk
# ------------------------------------------------------------------------------------------
def blob_structures(c: ShapeContext, lb: LayerBuilder, blobs: np.ndarray, priority: float,
                     allowed: np.ndarray | None = None, head: bool = False) -> None:
    """Random ellipsoid blobs (rows of :func:`anatomy._blobs`) in curvilinear (s, d)
    coordinates, or in the head frame (a, b) when ``head``; only where ``allowed`` (full grid)."""
    for c1, c2, r1, r2, bw, bt in blobs:
        if head:
            sl = c.head_box(c1 - r1, c1 + r1, c2 - r2, c2 + r2)
        else:
            sl = c.box_sd(c1 - r1, c1 + r1, c2 - r2, c2 + r2)
        if sl is None:
            continue
        if head:
            u, v = c.head_frame(sl)
        else:
            u, v = c.sw[sl], c.dw[sl]
        w = ellipsoid_width(((u - c1) / r1) ** 2 + ((v - c2) / r2) ** 2, bw)
        if allowed is not None:
            w = np.where(allowed[sl], w, 0.0).astype(F32)
        lb.add(priority, sl, w, int(bt))


def neck_and_trunk(c: ShapeContext, lb: LayerBuilder) -> None:
    an = c.anat
    h, w = c.plane.shape
    full = (slice(0, h), slice(0, w))
    s, d = c.sw, c.dw
    fa = an.soft_at(s, 0)
    fp = an.soft_at(s, 1)
    inside = (d > -fa) & (d < fp) & (s > T.NECK_TOP_S)
    fat = np.where(d < 0.0, an.soft_at(s, 2), an.soft_at(s, 3))
    dist = np.minimum(d + fa, fp - d)
    rho = (d - 0.5 * (fp - fa)) / (0.5 * (fp + fa))
    cap = np.sqrt(np.clip((s - T.NECK_TOP_S) / D["neck_cap"], 0.0, 1.0))
    w_env = np.where(inside, ellipsoid_width(rho * rho, an.soft_at(s, 6)) * cap, 0.0).astype(F32)
    skin = F32(an.skin)
    lb.add(PRIORITY["skin"], full, w_env, Tissue.SKIN)
    lb.add(PRIORITY["fat"], full, np.where(dist > skin, w_env - skin, 0.0).astype(F32), Tissue.FAT)
    muscle = dist > skin + fat
    w_mus = np.where(muscle, w_env - skin - fat, 0.0).astype(F32)
    lb.add(PRIORITY["muscle"], full, w_mus, Tissue.MUSCLE)
    # fat planes between the posterior muscles
    period, frac, amp, wavelength, phase = an.fascia
    e = d - c.level(s, an.canal_ap)
    e = e + amp * np.sin(2.0 * np.pi * s / wavelength + phase) + D["fascia_wobble_fraction"] * (
        period * np.sin(2.0 * np.pi * e / (D["fascia_wobble_period"] * period) + phase))
    planes = muscle & (d > c.level(s, an.canal_ap) + D["fascia_behind_canal"]) & (s > 0.0) & (
        np.mod(e, period) < frac * period)
    lb.add(PRIORITY["fascia"], full, np.where(planes, w_mus, 0.0).astype(F32), Tissue.FAT)
    depth_of = lambda ss: np.interp(ss, an.level_s[1:], an.body_depth).astype(F32)  # noqa: E731
    # airway (pharynx, larynx, trachea) in front of the prevertebral soft tissue, and its wall
    carina = float(an.soft_s[np.nonzero(an.soft[:, 5] > 0.0)[0][-1] + 1])
    top = D["airway_top_s"]
    sl = c.box_sd(top, carina, -float(an.soft[:, 0].max()), 0.0)
    if sl is not None:
        ss, dd = s[sl], d[sl]
        aw = an.soft_at(ss, 5)
        back = -depth_of(ss) - an.soft_at(ss, 4)
        front = back - aw
        mid = 0.5 * (back + front)
        wa = np.where(ss < an.level_centre("C6"), F32(an.airway_half_width),
                      F32(D["trachea_width_fraction"] * an.airway_half_width))
        ok = (aw > 0.0) & (ss > top)
        air = ok & (dd < back) & (dd > front)
        r2 = ((dd - mid) / np.maximum(0.5 * aw, F32(0.5))) ** 2
        lb.add(PRIORITY["airway"], sl, np.where(air, ellipsoid_width(r2, wa), 0.0).astype(F32),
               Tissue.AIR)
        wall_t = F32(T.AIRWAY_WALL_MM)
        airw = ok & (dd < back + wall_t) & (dd > front - wall_t)
        r2 = ((dd - mid) / (0.5 * aw + wall_t)) ** 2
        lb.add(PRIORITY["airway_wall"], sl,
               np.where(airw, ellipsoid_width(r2, wa + wall_t), 0.0).astype(F32), Tissue.GLAND)
    blob_structures(c, lb, an.neck_blobs, PRIORITY["neck_blob"], allowed=muscle)
    # thorax: lungs lateral of the mediastinum, heart, descending aorta
    sl = c.box_sd(an.lung_s[0], an.lung_s[1], -float(an.soft[:, 0].max()), D["lung_back"])
    if sl is not None:
        ss, dd = s[sl], d[sl]
        depth = depth_of(ss)
        wall = fa[sl] - an.soft_at(ss, 2) - D["chest_wall"]
        thorax = (ss > an.lung_s[0]) & (ss < an.lung_s[1]) & (dd > -wall) & (dd < D["lung_back"])
        lb.add(PRIORITY["lung"], sl, np.where(thorax, F32(D["lung_half_width"]), 0.0).astype(F32),
               Tissue.LUNG)
        med = thorax & (dd < -depth)
        lb.add(PRIORITY["mediastinum"], sl, np.where(med, F32(an.mediastinum_half_width), 0.0
                                                     ).astype(F32), Tissue.VESSEL)
        hs, hd = T.HEART_SEMI_AXES
        hc = -float(depth_of(an.heart_s)) - D["heart_gap"] - hd
        r2 = ((ss - an.heart_s) / hs) ** 2 + ((dd - hc) / hd) ** 2
        lb.add(PRIORITY["heart"], sl, np.where(thorax, ellipsoid_width(r2, T.HEART_HALF_WIDTH), 0.0
                                               ).astype(F32), Tissue.VISCERA)
    sl = c.box_sd(an.aorta_s[0], an.aorta_s[1], -D["aorta_box_depth"], 0.0)
    if sl is not None:
        ss, dd = s[sl], d[sl]
        rad = F32(an.aorta_radius)
        ac = -depth_of(ss) - D["aorta_gap"] - rad
        aorta = (ss > an.aorta_s[0]) & (ss < an.aorta_s[1]) & (np.abs(dd - ac) < rad)
        lb.add(PRIORITY["aorta"], sl, np.where(aorta, np.sqrt(np.maximum(
            rad * rad - (dd - ac) ** 2, 0.0)), 0.0).astype(F32), Tissue.VESSEL)
    # abdomen: liver, a background of bowel, and random blobs
    top = an.lung_s[1] - D["abdomen_top"]
    sl = c.box_sd(top, an.bounds[-1] + D["pelvis_extent"], -float(an.soft[:, 0].max()), 0.0)
    if sl is not None:
        ss, dd = s[sl], d[sl]
        depth = depth_of(ss)
        wall = fa[sl] - an.soft_at(ss, 2) - D["chest_wall"]
        abd = (ss > top) & (dd > -wall) & (dd < -depth - D["abdomen_behind_spine"])
        lb.add(PRIORITY["abdomen"], sl, np.where(abd, F32(D["abdomen_half_width"]), 0.0
                                                 ).astype(F32), Tissue.VISCERA_2)
        liver = (ss > an.liver_s[0]) & (ss < an.liver_s[1]) & (dd > -wall) & (
            dd < -depth - D["liver_behind_spine"])
        lb.add(PRIORITY["liver"], sl, np.where(liver, F32(D["liver_half_width"]), 0.0).astype(F32),
               Tissue.VISCERA)
        allowed = np.zeros((h, w), bool)
        allowed[sl] = abd
        blob_structures(c, lb, an.blobs, PRIORITY["blob"], allowed=allowed)


# ------------------------------------------------------------------------------------------
# head
# ------------------------------------------------------------------------------------------
def ellipse_r2(a: np.ndarray, b: np.ndarray, e: tuple[float, ...], grow: float = 0.0
                ) -> np.ndarray:
    ca, cb, ra, rb = e[:4]
    return ((a - ca) / (ra + grow)) ** 2 + ((b - cb) / (rb + grow)) ** 2


def head(c: ShapeContext, lb: LayerBuilder) -> None:
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
    r_cav = np.minimum(ellipse_r2(a, b, cer), ellipse_r2(a, b, pf))
    r_skull = np.minimum(ellipse_r2(a, b, cer, an.skull_thickness),
                         ellipse_r2(a, b, pf, an.skull_thickness))
    r_scalp = np.minimum(ellipse_r2(a, b, cer, grow), ellipse_r2(a, b, pf, grow))
    wh = cer[4]
    clen, cthick, slope = an.clivus
    ba, bb = an.basion
    clivus_back = bb + slope * (a - ba)  # posterior surface of the clivus (b), for a < basion
    above_fm = a < ba + D["cavity_below_basion"]
    cavity_ok = (b > clivus_back) | (a < ba - clen)
    fm = (a > ba - D["foramen_magnum_depth"]) & (b > bb) & (b < an.opisthion_b)
    lb.add(PRIORITY["skin"], sl, ellipsoid_width(r_scalp, wh + grow), Tissue.SKIN)
    lb.add(PRIORITY["fat"], sl, ellipsoid_width(r_scalp, wh + grow - an.skin) * (
        r_scalp < (1.0 - an.skin / (cer[3] + grow)) ** 2), Tissue.FAT)
    skull_t = np.where(
        (r_skull > (1.0 - D["skull_table"] / (cer[3] + an.skull_thickness)) ** 2)
        | (r_cav < 1.0 + D["skull_inner_table"] / cer[3]),
        Tissue.CORTEX, Tissue.MARROW).astype(np.uint8)
    w_skull = ellipsoid_width(r_skull, wh + an.skull_thickness)
    lb.add(PRIORITY["skull"], sl, np.where(fm, 0.0, w_skull).astype(F32), skull_t)
    cav = (r_cav < 1.0) & cavity_ok & above_fm
    lb.add(PRIORITY["cavity"], sl, np.where(cav | fm & above_fm, ellipsoid_width(
        np.minimum(r_cav, D["cavity_lateral_r2"]), wh), 0.0).astype(F32), Tissue.CSF)
    # clivus and sphenoid sinus
    clv = (a < ba) & (a > ba - clen) & (b < clivus_back) & (b > clivus_back - cthick)
    lb.add(PRIORITY["clivus"], sl, np.where(clv, F32(D["clivus_half_width"]), 0.0).astype(F32),
           Tissue.MARROW)
    lb.add(PRIORITY["sinus"], sl, ellipsoid_width(ellipse_r2(a, b, hd["sphenoid_sinus"]),
                                               hd["sphenoid_sinus"][4]), Tissue.AIR)
    # brain
    inset = D["brain_inset"]
    r_brain = ellipse_r2(a, b, cer, -inset)
    cereb = hd["cerebellum"]
    r_cbl = ellipse_r2(a, b, cereb)
    lb.add(PRIORITY["cerebrum"], sl, np.where(r_cbl < 1.0, 0.0, ellipsoid_width(r_brain, wh - inset)
                                              ).astype(F32), Tissue.CEREBRUM)
    lb.add(PRIORITY["cerebellum"], sl, ellipsoid_width(r_cbl, cereb[4]), Tissue.CEREBELLUM)
    cc = hd["corpus_callosum"]
    r_cc = ellipse_r2(a, b, cc)
    band = (r_cc < 1.0) & (r_cc > D["callosum_inner_r2"]) & (a < cc[0])
    lb.add(PRIORITY["callosum"], sl, np.where(band, ellipsoid_width(r_cc, cc[4]), 0.0).astype(F32),
           Tissue.BRAINSTEM)
    for name, pri in (("ventricle", "ventricle"), ("fourth_ventricle", "ventricle4")):
        e = hd[name]
        lb.add(PRIORITY[pri], sl, ellipsoid_width(ellipse_r2(a, b, e), e[4]), Tissue.CSF)
    # brainstem: medulla continuing the cord, pons, midbrain
    cord_c = an.anterior_epidural + an.cord_position * (an.canal_ap[0] - an.anterior_epidural)
    pons = hd["pons"]
    mb = hd["midbrain"]
    med = (a > pons[0]) & (a < ba + D["medulla_top_below_basion"]) & (
        np.abs(b - cord_c) < an.medulla_ap)
    rm = ((b - cord_c) / an.medulla_ap) ** 2
    w_med = np.where(med, ellipsoid_width(rm, D["medulla_width_ratio"] * an.medulla_ap), 0.0)
    w_pons = ellipsoid_width(ellipse_r2(a, b, pons), pons[4])
    w_mb = ellipsoid_width(ellipse_r2(a, b, mb), mb[4])
    lb.add(PRIORITY["brainstem"], sl, np.maximum(np.maximum(w_med, w_pons), w_mb).astype(F32),
           Tissue.BRAINSTEM)
    # face: soft tissue, tongue, airways, palate, mandible
    r_face = ellipse_r2(a, b, face)
    lb.add(PRIORITY["face"], sl, ellipsoid_width(r_face, face[4]), Tissue.FAT)
    lb.add(PRIORITY["face"] + 0.5, sl, ellipsoid_width(r_face, face[4] - an.skin) * (
        r_face < (1.0 - an.skin / face[3]) ** 2), Tissue.MUSCLE)
    in_face = np.zeros(c.plane.shape, bool)
    in_face[sl] = r_face < D["blob_face_fraction"]
    blob_structures(c, lb, an.face_blobs, PRIORITY["face"] + 1.0, allowed=in_face, head=True)
    tg = hd["tongue"]
    lb.add(PRIORITY["tongue"], sl, ellipsoid_width(ellipse_r2(a, b, tg), tg[4]), Tissue.MUSCLE)
    npx = hd["nasopharynx"]
    lb.add(PRIORITY["nasopharynx"], sl, ellipsoid_width(ellipse_r2(a, b, npx), npx[4]), Tissue.AIR)
    nc = hd["nasal_cavity"]
    r_nc = ellipse_r2(a, b, nc)
    lb.add(PRIORITY["nasal"], sl, ellipsoid_width(r_nc, nc[4]), Tissue.AIR)
    lb.add(PRIORITY["septum"], sl, np.where(r_nc < D["septum_r2"], F32(D["septum_half_width"]), 0.0
                                            ).astype(F32), Tissue.LIGAMENT)
    pa, pb_post, pb_ant, pt = an.palate
    pal = (np.abs(a - pa) < 0.5 * pt) & (b < pb_post) & (b > pb_ant)
    lb.add(PRIORITY["palate"], sl, np.where(pal, F32(D["palate_half_width"]), 0.0).astype(F32),
           Tissue.MARROW)
    md = hd["mandible"]
    r_md = ellipse_r2(a, b, md)
    lb.add(PRIORITY["mandible"], sl, ellipsoid_width(r_md, md[4]),
           np.where(r_md < D["mandible_marrow_r2"], Tissue.MARROW, Tissue.CORTEX).astype(np.uint8))
