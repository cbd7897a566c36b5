"""Tunable numbers of the synthetic spine anatomy, gathered in named tables (appearance and
acquisition: :mod:`disclabel.synthetic.imaging`).

Lengths are in mm, angles in degrees. A ``(lo, hi)`` pair is a uniform range sampled once per
subject (anatomy) or once per volume (appearance, field of view). Nothing here is computed.

Coordinate words used in the tables: ``s`` is the arc length along the posterior vertebral line
(the posterior wall of the vertebral bodies), measured downwards from the tip of the dens;
``d`` is the signed distance from that line, positive towards posterior.
"""

from __future__ import annotations

from enum import IntEnum


class Tissue(IntEnum):
    """Tissue classes of the label map; each gets one intensity per volume."""

    AIR = 0
    FAT = 1
    MUSCLE = 2
    SKIN = 3
    CORTEX = 4
    MARROW = 5
    ANNULUS = 6
    NUCLEUS = 7  # healthy nucleus pulposus; NUCLEUS + g is degeneration grade g
    NUCLEUS_1 = 8
    NUCLEUS_2 = 9
    NUCLEUS_3 = 10
    CSF = 11
    CORD = 12
    LIGAMENT = 13
    NERVE = 14
    BRAINSTEM = 15
    CEREBELLUM = 16
    CEREBRUM = 17
    VESSEL = 18
    VISCERA = 19
    VISCERA_2 = 20
    LUNG = 21
    GLAND = 22


NUM_TISSUES: int = len(Tissue)
NUCLEUS_GRADES: int = 4
"""Nucleus tissues NUCLEUS .. NUCLEUS_3; grade g moves its intensity towards the annulus."""
DISC_TISSUES: tuple[int, ...] = (
    Tissue.ANNULUS, Tissue.NUCLEUS, Tissue.NUCLEUS_1, Tissue.NUCLEUS_2, Tissue.NUCLEUS_3,
)
CANAL_TISSUES: tuple[int, ...] = (
    Tissue.CSF, Tissue.CORD, Tissue.FAT, Tissue.LIGAMENT, Tissue.NERVE,
)
"""What may lie just posterior of a disc's posterior tip: the content of the spinal canal."""

# --------------------------------------------------------------------------------------------
# Anatomy: vertebrae
# --------------------------------------------------------------------------------------------
VERTEBRA_NAMES: tuple[str, ...] = (
    "C1", "C2", "C3", "C4", "C5", "C6", "C7",
    "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12",
    "L1", "L2", "L3", "L4", "L5", "S1",
)
"""Vertebra index v: disc number n lies between vertebrae v = n - 2 and v = n - 1 (n >= 3)."""
SACRAL_SEGMENTS: int = 3
"""Fused sacral segments drawn below S1 (S2..S4), without labels."""

VERTEBRA_ANCHORS: dict[str, tuple[float, ...]] = {
    # name: (body height, body depth AP, body half-width, canal AP, canal half-width,
    #        spinous process length, spinous process downward angle, interlaminar gap fraction)
    "C2": (17.0, 15.5, 9.0, 18.0, 12.5, 32.0, 15.0, 0.30),
    "C3": (14.0, 15.5, 9.5, 17.0, 12.5, 17.0, 20.0, 0.35),
    "C6": (14.0, 16.5, 11.0, 16.5, 12.5, 21.0, 25.0, 0.35),
    "C7": (14.5, 17.0, 11.5, 15.5, 12.0, 34.0, 35.0, 0.30),
    "T1": (16.5, 17.5, 13.0, 15.0, 10.5, 38.0, 40.0, 0.25),
    "T6": (20.0, 24.0, 15.0, 14.0, 8.5, 40.0, 55.0, 0.15),
    "T12": (23.5, 29.0, 19.0, 15.5, 10.0, 32.0, 25.0, 0.25),
    "L1": (24.5, 30.0, 21.0, 17.0, 11.0, 32.0, 10.0, 0.30),
    "L5": (25.0, 32.0, 24.5, 17.0, 12.5, 28.0, 0.0, 0.35),
    "S1": (27.0, 34.0, 25.0, 14.0, 11.5, 16.0, -10.0, 0.40),
}
"""Mean values at anchor vertebrae, linearly interpolated by vertebra index in between."""
SACRAL_SEGMENT_SHRINK: float = 0.8
"""Each sacral segment below S1 has this fraction of the previous one's size."""
SACRAL_GAP_FRACTION: float = 0.5
SACRAL_SPINOUS_FRACTION: float = 0.5
"""Sacral spinous tubercles are this fraction of the S1 process."""
LAST_LAMINA_EXTRA_MM: float = 10.0
SPINOUS_ANGLE_JITTER: float = 8.0
C1_POSTERIOR_ARCH_DROP: float = 2.0
"""The posterior arch of C1 sits this much lower than its anterior arch."""
SIZE_SCALE_RANGE: tuple[float, float] = (0.92, 1.08)
"""Per-subject scale of every vertebra/canal length."""
LEVEL_JITTER: float = 0.05
"""Per-vertebra relative jitter (uniform +-) of the anchor values."""
BODY_WAIST_FRACTION: tuple[float, float] = (0.02, 0.08)
"""Anterior concavity of a body, as a fraction of its depth."""
BODY_CORNER_POWER: float = 8.0
"""Exponent of the super-ellipse outline of a body and a disc (larger = squarer)."""
BODY_AXIAL_POWER: float = 3.0
"""Exponent of the axial (left-right) outline of bodies, discs and the canal."""
CORTEX_MM: tuple[float, float] = (0.8, 1.4)
"""Thickness of cortical bone and endplates."""
WEDGE_SLOPE: float = 0.03
"""Random tilt (d-slope, uniform +-) of each endplate relative to its neighbours."""

DENS_LENGTH: tuple[float, float] = (13.0, 17.0)
"""Dens, from its tip (s = 0) down to the top of the C2 body."""
DENS_DEPTH: tuple[float, float] = (9.0, 11.0)
DENS_HALF_WIDTH: tuple[float, float] = (4.5, 5.5)
DENS_POSTERIOR_OFFSET: tuple[float, float] = (-2.0, -0.5)
"""d of the posterior surface of the dens (slightly anterior of the posterior C2 wall)."""
C1_ARCH_HEIGHT: tuple[float, float] = (9.0, 12.0)
C1_ARCH_DEPTH: tuple[float, float] = (6.0, 8.0)
C1_ARCH_GAP: tuple[float, float] = (1.0, 2.5)
"""Atlanto-dental gap between the anterior arch of C1 and the dens."""
C1_ARCH_LEVEL: tuple[float, float] = (0.25, 0.4)
"""Centre of the C1 anterior arch, as a fraction of the dens length below its tip."""
C1_LATERAL_MASS_HALF_WIDTH: float = 24.0
C1_POSTERIOR_ARCH: tuple[float, float] = (8.0, 11.0)
"""Height of the posterior arch of C1 (its "spinous process" is a short tubercle)."""
C1_TUBERCLE_LENGTH: tuple[float, float] = (8.0, 13.0)
FORAMEN_MAGNUM_LEVEL: float = -6.0
"""s of the foramen magnum (above the dens tip)."""

DISC_HEIGHT_RANGES: tuple[tuple[int, int, float, float], ...] = (
    # (first disc number, last disc number, lo, hi) of healthy disc height on the posterior
    # vertebral line (lordotic discs are taller anteriorly through the curvature)
    (3, 8, 4.0, 6.5),
    (9, 13, 4.0, 6.0),
    (14, 20, 4.5, 8.0),
    (21, 24, 6.5, 9.5),
    (25, 25, 5.5, 8.5),
)
SACRAL_DISC_HEIGHT: tuple[float, float] = (1.0, 2.0)
MAX_LEVEL_SPACING_MM: float = 33.0
"""Consecutive disc mid-heights are never further apart than this along the spine (a body is
shortened if needed)."""
AGE_RANGE: tuple[float, float] = (18.0, 75.0)
DEGENERATION_LEVEL_WEIGHT: dict[int, float] = {5: 1.3, 6: 1.6, 7: 1.3, 23: 1.3, 24: 1.7, 25: 1.7}
"""Disc numbers prone to degeneration (C4/C5..C6/C7, L3/L4..L5/S1); others weigh 1."""
DEGENERATION_PER_YEAR: float = 0.012
"""Probability (per year above 20, times the level weight) that a disc is degenerated."""
DEGENERATION_HEIGHT_LOSS: float = 0.4
"""A fully degenerated disc loses this fraction of its height."""
DISC_POSTERIOR_BULGE: tuple[float, float] = (0.3, 1.5)
"""Healthy posterior bulge of a disc beyond the posterior vertebral line, at mid-height."""
DEGENERATED_EXTRA_BULGE: float = 2.5
DEGENERATION_SEVERITY: tuple[float, float] = (0.25, 1.0)
"""Severity (0..1) of a degenerated disc; healthy discs get HEALTHY_SEVERITY."""
HEALTHY_SEVERITY: tuple[float, float] = (0.0, 0.2)
GRADE_GAIN: float = 1.2
"""Nucleus grade = round(severity x (NUCLEUS_GRADES - 1) x GRADE_GAIN), clipped."""
NUCLEUS_HEIGHT_LOSS: float = 0.35
NUCLEUS_DEPTH_LOSS: float = 0.3
"""A fully degenerated nucleus loses these fractions of its height and depth."""
DISC_ANTERIOR_BULGE: tuple[float, float] = (0.0, 1.0)
NUCLEUS_HEIGHT_FRACTION: tuple[float, float] = (0.65, 0.85)
NUCLEUS_DEPTH_FRACTION: tuple[float, float] = (0.55, 0.7)
NUCLEUS_HALF_WIDTH_FRACTION: float = 0.55
NUCLEUS_CENTRE_FRACTION: float = 0.48
"""Nucleus centre, as a fraction of the disc depth from its posterior margin."""
CLEFT_PROBABILITY: float = 0.5
CLEFT_MIN_AGE: float = 30.0
CLEFT_HALF_THICKNESS: float = 0.45
CLEFT_MIN_DISC_HEIGHT: float = 7.0
"""Intranuclear cleft: a thin dark band across the middle of adult nuclei."""

# --------------------------------------------------------------------------------------------
# Anatomy: spinal curvature (all totals are changes of the tangent angle over the region)
# --------------------------------------------------------------------------------------------
CERVICAL_LORDOSIS: tuple[float, float] = (-10.0, 40.0)
THORACIC_KYPHOSIS: tuple[float, float] = (20.0, 55.0)
LUMBAR_LORDOSIS: tuple[float, float] = (35.0, 65.0)
SACRAL_KYPHOSIS: tuple[float, float] = (30.0, 60.0)
GLOBAL_TILT: tuple[float, float] = (-10.0, 10.0)
"""Mean tangent angle of the C2..T12 spine to the vertical (posture, positioning)."""
HEAD_FLEXION: tuple[float, float] = (-12.0, 12.0)
CURVE_STEP_MM: float = 1.0
CURVE_MARGIN_MM: float = 400.0
"""The curve is extended straight this far beyond the dens tip and the sacrum."""

# --------------------------------------------------------------------------------------------
# Anatomy: canal content
# --------------------------------------------------------------------------------------------
ANTERIOR_EPIDURAL: tuple[float, float] = (0.4, 1.0)
POSTERIOR_EPIDURAL_ANCHORS: dict[str, tuple[float, float]] = {
    "C1": (0.5, 1.5), "C7": (0.5, 1.5), "T6": (2.0, 4.5), "L3": (3.0, 6.0), "S1": (3.0, 6.0),
}
SAC_HALF_WIDTH_FRACTION: float = 0.8
"""Dural sac half-width relative to the canal half-width."""
CORD_AP_RADIUS_ANCHORS: dict[str, tuple[float, float]] = {
    "C1": (4.3, 5.2), "C3": (3.3, 3.9), "C5": (3.5, 4.1), "C7": (3.2, 3.7), "T6": (2.9, 3.4),
    "T11": (3.4, 4.0), "T12": (3.1, 3.6),
}
CORD_WIDTH_RATIO_ANCHORS: dict[str, float] = {
    "C1": 1.2, "C4": 1.7, "T1": 1.5, "T6": 1.25, "T12": 1.3,
}
CORD_POSITION: tuple[float, float] = (0.38, 0.55)
"""Cord centre as a fraction of the sac depth from its anterior wall."""
CONUS_TIP_DISC: tuple[float, float] = (19.5, 21.5)
"""The cord ends at this (fractional) disc number (T12/L1 = 20, L1/L2 = 21)."""
CONUS_TAPER_MM: float = 30.0
SAC_END_LEVEL: tuple[float, float] = (24.3, 24.9)
"""Fractional vertebra index where the dural sac ends (S2 is just below S1 = 24)."""
CAUDA_PERIOD_MM: tuple[float, float] = (2.5, 4.0)
CAUDA_THRESHOLD: float = 0.4
"""Cauda equina: nerve-root strands of this period (across the sac); cos > threshold is root."""
PEDICLE_LENGTH: tuple[float, float] = (6.0, 10.0)
"""Pedicles reach this far lateral of the canal; foramina lie between them."""
PEDICLE_SPAN: tuple[float, float] = (0.08, 0.62)
"""Pedicle extent along the body height (fractions from the upper endplate)."""
ARTICULAR_EXTRA_WIDTH: float = 11.0
"""Articular pillars extend this far beyond the pedicles."""
FACET_SLOPE: float = 1.0
"""Facet joints rise this many mm (along s) per mm towards posterior."""
FACET_GAP_MM: float = 1.2
ROOT_POSITION: float = 0.45
ROOT_RADIUS: float = 0.18
"""Exiting nerve roots in the foramina: centre and half-size, as fractions of the canal depth."""
LAMINA_THICKNESS: tuple[float, float] = (4.0, 7.0)
LAMINA_LATERAL_EXTRA: float = 12.0
SPINOUS_HALF_WIDTH: tuple[float, float] = (2.5, 4.5)
SPINOUS_TIP_HEIGHT_FRACTION: tuple[float, float] = (0.45, 0.8)
LAMINA_SHIFT_FRACTION: tuple[float, float] = (0.25, 0.45)
"""Laminae start this fraction of their body's height below its upper endplate."""
FLAVUM_THICKNESS: float = 2.0

# --------------------------------------------------------------------------------------------
# Anatomy: soft tissue (anchors keyed by vertebra; values interpolated along s)
# --------------------------------------------------------------------------------------------
SOFT_TISSUE_ANCHORS: dict[str, tuple[float, ...]] = {
    # name: (anterior skin distance from the posterior vertebral line, posterior skin distance,
    #        anterior subcutaneous fat, posterior subcutaneous fat, prevertebral thickness,
    #        airway AP size (0 = no airway), body half-width (left-right))
    "C1": (100.0, 75.0, 5.0, 8.0, 5.0, 13.0, 60.0),
    "C3": (85.0, 70.0, 5.0, 8.0, 5.0, 14.0, 55.0),
    "C6": (72.0, 64.0, 6.0, 8.0, 14.0, 16.0, 58.0),
    "T1": (90.0, 60.0, 8.0, 8.0, 16.0, 16.0, 80.0),
    "T3": (150.0, 55.0, 10.0, 9.0, 22.0, 16.0, 140.0),
    "T4": (175.0, 55.0, 10.0, 9.0, 24.0, 0.0, 150.0),
    "T8": (200.0, 55.0, 10.0, 10.0, 4.0, 0.0, 155.0),
    "T12": (205.0, 60.0, 12.0, 12.0, 4.0, 0.0, 150.0),
    "L3": (190.0, 75.0, 15.0, 15.0, 4.0, 0.0, 145.0),
    "S1": (180.0, 80.0, 15.0, 18.0, 4.0, 0.0, 160.0),
}
HABITUS_RANGE: tuple[float, float] = (0.85, 1.25)
"""Per-subject scale of the trunk size and of the subcutaneous fat (fat uses its square)."""
SKIN_MM: tuple[float, float] = (1.5, 2.5)
AIRWAY_HALF_WIDTH: tuple[float, float] = (12.0, 18.0)
AIRWAY_WALL_MM: float = 2.5
NECK_TOP_S: float = -45.0
"""The neck/trunk envelope starts here (above, only the head's shapes exist)."""
AORTA_RADIUS: tuple[float, float] = (9.0, 13.0)
AORTA_LEVELS: tuple[str, str] = ("T4", "L4")
HEART_LEVEL: str = "T7"
HEART_SEMI_AXES: tuple[float, float] = (55.0, 50.0)
HEART_HALF_WIDTH: float = 55.0
MEDIASTINUM_HALF_WIDTH: tuple[float, float] = (15.0, 28.0)
LUNG_LEVELS: tuple[str, str] = ("T1", "T11")
LIVER_LEVELS: tuple[str, str] = ("T9", "L2")
BLOBS: dict[str, dict] = {
    # random ellipsoid blobs: count range, semi-axes range, left-right half-width range,
    # tissue probabilities, and where their centres go
    "abdomen": {"count": (6, 16), "size": (10.0, 40.0), "width": (15.0, 70.0),
                "tissues": {Tissue.VISCERA: 0.3, Tissue.VISCERA_2: 0.3, Tissue.FAT: 0.15,
                            Tissue.VESSEL: 0.1, Tissue.AIR: 0.05, Tissue.MUSCLE: 0.1}},
    "neck": {"count": (4, 12), "size": (3.0, 14.0), "width": (4.0, 30.0),
             "tissues": {Tissue.GLAND: 0.3, Tissue.VESSEL: 0.25, Tissue.FAT: 0.2,
                         Tissue.MUSCLE: 0.15, Tissue.VISCERA_2: 0.1}},
    "face": {"count": (3, 8), "size": (4.0, 16.0), "width": (5.0, 40.0),
             "tissues": {Tissue.FAT: 0.35, Tissue.GLAND: 0.25, Tissue.MUSCLE: 0.2,
                         Tissue.VISCERA_2: 0.2}},
}
ABDOMEN_BLOB_EXTENT: tuple[str, str, float] = ("T11", "S1", 80.0)
"""Abdominal blobs lie between these vertebrae (plus this many mm below the second)."""
ABDOMEN_BLOB_MARGIN: float = 15.0
"""Abdominal blob centres stay this far from the spine and from the anterior skin."""
NECK_BLOB_EXTENT: tuple[str, str] = ("C2", "T1")
NECK_BLOB_MARGIN: float = 3.0
FACE_BLOB_SPREAD: float = 0.6
"""Face blob centres lie within this fraction of the face semi-axes."""
FASCIA_PERIOD_MM: tuple[float, float] = (9.0, 20.0)
"""Spacing of the fat planes between the posterior muscles."""
FASCIA_FRACTION: tuple[float, float] = (0.06, 0.18)
"""Share of the posterior muscle occupied by fat planes."""
FASCIA_WAVE_MM: tuple[float, float] = (2.0, 8.0)
"""Amplitude of the undulation of the fat planes along the spine."""
FASCIA_WAVELENGTH_MM: tuple[float, float] = (40.0, 120.0)
SUBCUTANEOUS_FAT_JITTER: tuple[float, float] = (0.6, 1.5)
"""Per-subject factor of the subcutaneous fat, on top of the habitus."""
BASIVERTEBRAL_DEPTH: tuple[float, float] = (3.0, 7.0)
"""Length of the basivertebral vein notch into the back of a body (0 in some subjects)."""
BASIVERTEBRAL_HALF_HEIGHT: float = 0.7
BASIVERTEBRAL_PROBABILITY: float = 0.7

# --------------------------------------------------------------------------------------------
# Anatomy: head, in the head frame (a: downwards along the clivus/brainstem axis, b: posterior;
# origin at the dens tip). Each entry: (centre a, centre b, semi-axis a, semi-axis b,
# half-width left-right). Every length is jittered per subject.
# --------------------------------------------------------------------------------------------
HEAD_ELLIPSES: dict[str, tuple[float, float, float, float, float]] = {
    "posterior_fossa": (-30.0, 38.0, 30.0, 44.0, 55.0),
    "cerebrum": (-95.0, 5.0, 62.0, 98.0, 68.0),
    "cerebellum": (-28.0, 48.0, 26.0, 37.0, 48.0),
    "fourth_ventricle": (-30.0, 22.0, 9.0, 4.0, 6.0),
    "pons": (-48.0, 12.0, 14.0, 13.0, 18.0),
    "midbrain": (-70.0, 14.0, 12.0, 11.0, 15.0),
    "corpus_callosum": (-100.0, -5.0, 14.0, 38.0, 40.0),
    "ventricle": (-92.0, -5.0, 9.0, 30.0, 10.0),
    "face": (20.0, -68.0, 50.0, 40.0, 50.0),
    "tongue": (25.0, -50.0, 20.0, 26.0, 25.0),
    "nasopharynx": (-8.0, -27.0, 12.0, 9.0, 14.0),
    "nasal_cavity": (-28.0, -70.0, 16.0, 32.0, 14.0),
    "mandible": (52.0, -80.0, 12.0, 9.0, 40.0),
    "sphenoid_sinus": (-40.0, -34.0, 10.0, 11.0, 12.0),
}
MEDULLA_AP_RADIUS: tuple[float, float] = (5.0, 6.5)
SKULL_THICKNESS: tuple[float, float] = (5.0, 8.0)
SCALP_THICKNESS: tuple[float, float] = (5.0, 9.0)
CLIVUS_THICKNESS: tuple[float, float] = (9.0, 13.0)
CLIVUS_LENGTH: tuple[float, float] = (38.0, 48.0)
CLIVUS_SLOPE: tuple[float, float] = (0.35, 0.6)
"""The clivus leans anteriorly by this many mm per mm upwards."""
BASION: tuple[float, float] = (-6.0, -3.0)
"""(a, b) of the basion (anterior rim of the foramen magnum)."""
OPISTHION_B: tuple[float, float] = (30.0, 36.0)
HARD_PALATE: tuple[float, float, float, float] = (-4.0, -35.0, -90.0, 6.0)
"""(a, b posterior end, b anterior end, thickness) of the hard palate."""
HEAD_JITTER: float = 0.08
HEAD_SCALE_RANGE: tuple[float, float] = (0.92, 1.08)
WOBBLE_MM: tuple[float, float] = (1.0, 3.5)
"""Amplitude of a smooth random displacement of soft-tissue and head shapes (not of the spine)."""
WOBBLE_NODE_MM: float = 25.0
WOBBLE_EXTENT: tuple[float, float, float, float] = (-300.0, 1100.0, -350.0, 250.0)
"""(s min, s max, d min, d max) covered by the displacement nodes."""
"""Relative jitter (uniform +-) of every head length."""

# --------------------------------------------------------------------------------------------
# Shape details (mm unless said otherwise), used by spine.py and softtissue.py
# --------------------------------------------------------------------------------------------
DETAIL: dict[str, float] = {
    "dens_base_overlap": 1.5,  # the dens reaches this far into the C2 body
    "dens_taper": 0.15,  # the dens is this fraction thinner at its tip than at its base
    "transverse_ligament": 2.5,  # thickness behind the dens
    "transverse_ligament_half_width": 10.0,
    "transverse_ligament_reach": 0.6,  # half-height, as a fraction of the C1 arch height
    "lateral_mass_back": 12.0,  # posterior limit (d) of the C1 lateral masses
    "pll_thickness": 0.8,  # posterior longitudinal ligament on the anterior canal wall
    "pll_width_fraction": 0.7,
    "sac_end_taper": 15.0,  # the dural sac closes over this length
    "cord_min_radius": 0.2,
    "cauda_above_conus": 10.0,  # nerve roots start this far above the conus tip
    "cauda_front_fraction": 0.2,  # roots lie behind (mid - this x half-depth) of the sac
    "cauda_width_fraction": 0.6,
    "foramen_vein_fraction": 0.25,  # anterior part of a foramen (fraction of canal depth): veins
    "articular_front_fraction": 0.4,  # articular pillars start at this fraction of canal depth
    "articular_behind_canal": 6.0,
    "facet_centre_fraction": 0.7,
    "flavum_extra_width": 2.0,
    "flavum_depth_fraction": 0.3,  # of the lamina thickness, behind the canal
    "interspinous_reach": 0.8,  # of the spinous process length
    "interspinous_half_width": 1.5,
    "fascia_behind_canal": 6.0,  # fat planes only this far behind the canal
    "fascia_wobble_fraction": 0.3,
    "fascia_wobble_period": 2.7,  # in units of the fascia period
    "neck_cap": 30.0,  # the top of the neck envelope is rounded over this length
    "airway_top_s": -20.0,
    "trachea_width_fraction": 0.6,  # below C6 the airway narrows to the trachea
    "chest_wall": 12.0,  # muscle and ribs inside the anterior subcutaneous fat
    "lung_back": 25.0,  # lungs reach this far behind the posterior vertebral line
    "lung_half_width": 200.0,
    "heart_gap": 25.0,  # between the front of the vertebral bodies and the heart
    "aorta_gap": 3.0,
    "aorta_box_depth": 60.0,
    "abdomen_top": 20.0,  # the abdomen starts this far above the lower end of the lungs
    "abdomen_behind_spine": 5.0,
    "abdomen_half_width": 150.0,
    "liver_behind_spine": 20.0,
    "liver_half_width": 120.0,
    "pelvis_extent": 150.0,  # abdomen/pelvis shapes extend this far below the sacrum
    "blob_face_fraction": 0.9,  # face blobs stay inside this normalised face radius (squared)
    "skull_table": 1.5,  # outer table (cortex) thickness of the skull
    "skull_inner_table": 3.0,
    "foramen_magnum_depth": 2.0,  # the foramen magnum opening reaches this far above the basion
    "cavity_below_basion": 4.0,
    "cavity_lateral_r2": 0.9,  # lateral extent of the cranial CSF cavity (normalised radius)
    "clivus_half_width": 18.0,
    "brain_inset": 3.0,  # CSF between the brain surface and the skull
    "callosum_inner_r2": 0.55,  # the corpus callosum is the upper band of its ellipse
    "medulla_top_below_basion": 8.0,
    "medulla_width_ratio": 1.5,
    "septum_half_width": 1.2,
    "septum_r2": 0.8,
    "palate_half_width": 20.0,
    "mandible_marrow_r2": 0.5,
    "box_margin": 2.0,
    "box_step": 5.0,  # spacing of the curve samples bounding a curvilinear box
}
