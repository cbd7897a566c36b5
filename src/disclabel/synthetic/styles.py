"""Appearance styles of the 2-D synthetic training samples (``sample_2d(style=...)``).

A style is a frozen table of ranges, like :mod:`disclabel.synthetic.imaging`; nothing is computed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from disclabel.synthetic.imaging import COIL_FALLOFF_RANGE, PRESET_JITTER_SD

CONTRAST_2D_PROBABILITIES: dict[str, float] = {"T1w": 0.4, "T2w": 0.4, "random": 0.2}
"""sample_2d (style "v1") with contrast=None draws its contrast from this table."""
LOW_RES_2D_SIGMA_PX: tuple[float, float] = (0.3, 1.2)
"""sample_2d: blur emulating acquisition voxels larger than the prepared pixel."""


CERVICAL_BODIES: tuple[str, ...] = ("C4", "C5", "C6", "C7")
CERVICAL_DISCS: tuple[int, int] = (4, 8)
"""Vertebral bodies and discs (first and last disc number: C3/C4 to C7/T1) that a style's
``cervical_scale`` shortens (:func:`~disclabel.synthetic.anatomy.sample_anatomy`)."""
REAL_CERVICAL_SCALE: float = 0.87
"""The ``cervical_scale`` that brings the generator's lower cervical spacing to the real one:
without it, discs C3/C4 to C7/T1 lie 18.3-19.0 mm apart (medians per level over 300 windows),
in the five labelled real volumes 15.6-17.5 mm (means per level; docs/synthetic.md). Styles
from v5 and the 3-D generator (:func:`~disclabel.synthetic.generate_subject`) use it."""


@dataclass(frozen=True)
class Style2D:
    """Appearance settings of the 2-D training samples (sample_2d's ``style``).

    "v1" is the first generator. "v2" adds domain randomisation in the manner of SynthSeg
    (Billot et al. 2023): half the samples get a random intensity for every tissue, presets
    are jittered twice as much and every tissue's texture (its within-class spread) gets its
    own random amplitude, so that contrast stops being a cue; and acquisition effects: a low
    resolution along one in-plane axis (thick slices, anisotropic voxels), a wider blur, a
    stronger anterior coil falloff, ghosting (a faint shifted copy along the phase-encoding
    axis) and a random gamma. "v3" keeps v2's kinds of variation at about half
    its strength: v2's full strength made real discs harder to find (docs/synthetic.md).
    "v4" is v3 with a share ``negative_probability`` of windows without a
    spine (:mod:`disclabel.synthetic.negatives`: the head above the atlas, random shapes and
    bands), so that a bright line or a brain is not taken for discs. "v5" is v4 with the
    lower cervical levels (C4-C7 bodies, discs C3/C4 to C7/T1) ``cervical_scale`` = 0.87 times
    as tall: in v4, discs C3/C4 to C7/T1 lie 18.3-19.0 mm apart (medians per level), in the
    five labelled real volumes 15.6-17.5 mm (means per level; docs/synthetic.md).
    "v6" (the default and the shipped model's) is v5 with twice the windows without a spine.
    "v7" is v6 with negatives made against what v5 and v6 models took for discs in a
    brain-only field of view (peaks on the curved bands of the scalp and skull): half the head
    windows show a head-only field of view whole, with black padding around it
    (``head_fov_share``), and the random shapes get up to two sets of concentric arcs
    (``arc_groups``). An experiment: its one leave-one-subject-out run was worse than v6's and
    no safer on brain-only slabs (docs/experiments.md).
    "v8" is v6 with a share ``sacrum_share`` of the spine windows cut from a lumbosacral field
    of view (it ends below S1, the window at its bottom): with v6, L5/S1 is in about one
    synthetic window in nine and the shipped model's synthetic failures are mostly
    lumbosacral views numbered one off. "v9" is the same with a share of 0.1 (an experiment).
    "v10" is v6 with a share ``lateral_share`` of the spine windows cut along a sagittal surface
    that the spine leaves and re-enters (a tilted or scoliotic spine seen on one sagittal
    slice, :mod:`disclabel.synthetic.sample2d`): only the discs within
    ``LATERAL_PRESENT_MM`` of the surface are labelled. "v11" is v10 with a tenth of the spine
    windows lumbosacral, as v9 (an experiment: docs/experiments.md step 38).
    """

    contrast_probabilities: dict[str, float]
    preset_jitter_sd: float
    tissue_texture_range: tuple[float, float]
    low_res_probability: float
    low_res_factor: tuple[float, float]
    blur_sigma_px: tuple[float, float]
    coil_falloff: tuple[float, float]
    ghost_probability: float
    ghost_amplitude: tuple[float, float]
    ghost_shift: tuple[float, float]
    gamma_log_sd: float
    negative_probability: float = 0.0
    cervical_scale: float = 1.0
    head_fov_share: float = 0.0
    arc_groups: tuple[int, int] = (0, 0)
    sacrum_share: float = 0.0
    lateral_share: float = 0.0


STYLES_2D: dict[str, Style2D] = {
    "v1": Style2D(CONTRAST_2D_PROBABILITIES, PRESET_JITTER_SD, (1.0, 1.0), 0.0, (1.0, 1.0),
                  LOW_RES_2D_SIGMA_PX, COIL_FALLOFF_RANGE, 0.0, (0.0, 0.0), (0.0, 0.0), 0.0),
    "v2": Style2D(
        contrast_probabilities={"T1w": 0.25, "T2w": 0.25, "random": 0.5},
        preset_jitter_sd=0.25,
        tissue_texture_range=(0.3, 2.5),
        low_res_probability=0.4,
        low_res_factor=(1.5, 3.5),     # acquired pixel / prepared pixel along one axis
        blur_sigma_px=(0.3, 1.6),
        coil_falloff=(0.0, 3.0),
        ghost_probability=0.25,
        ghost_amplitude=(0.03, 0.15),  # of the image, added shifted
        ghost_shift=(0.1, 0.45),       # of the image side
        gamma_log_sd=0.3,
    ),
    "v3": Style2D(
        contrast_probabilities={"T1w": 0.4, "T2w": 0.4, "random": 0.2},
        preset_jitter_sd=0.18,
        tissue_texture_range=(0.6, 1.6),
        low_res_probability=0.25,
        low_res_factor=(1.2, 2.5),
        blur_sigma_px=(0.3, 1.4),
        coil_falloff=(0.0, 3.0),
        ghost_probability=0.1,
        ghost_amplitude=(0.02, 0.08),
        ghost_shift=(0.1, 0.45),
        gamma_log_sd=0.15,
    ),
}
STYLES_2D["v4"] = replace(STYLES_2D["v3"], negative_probability=0.1)
STYLES_2D["v5"] = replace(STYLES_2D["v4"], cervical_scale=REAL_CERVICAL_SCALE)
STYLES_2D["v6"] = replace(STYLES_2D["v5"], negative_probability=0.2)
STYLES_2D["v7"] = replace(STYLES_2D["v6"], head_fov_share=0.5, arc_groups=(0, 3))
STYLES_2D["v8"] = replace(STYLES_2D["v6"], sacrum_share=0.25)
STYLES_2D["v9"] = replace(STYLES_2D["v6"], sacrum_share=0.1)
STYLES_2D["v10"] = replace(STYLES_2D["v6"], lateral_share=0.3)
STYLES_2D["v11"] = replace(STYLES_2D["v10"], sacrum_share=0.1)
DEFAULT_STYLE_2D: str = "v6"
