"""The whole synthetic anatomy as layered structures on one sagittal grid."""

from __future__ import annotations

from disclabel.synthetic.anatomy import Anatomy
from disclabel.synthetic.geometry import Plane, curvilinear
from disclabel.synthetic.layers import LayerBuilder, Layers
from disclabel.synthetic.primitives import ShapeContext
from disclabel.synthetic.softtissue import head, neck_and_trunk
from disclabel.synthetic.spine import (
    posterior_elements,
    spinal_canal,
    upper_cervical,
    vertebral_column,
)


def build_layers(anat: Anatomy, plane: Plane) -> Layers:
    """Layered tissue representation of ``anat`` on the sagittal grid ``plane``."""
    s, d, sp, ds, dd = curvilinear(anat.curve, plane, anat.shear_s, anat.shear_k,
                                   displacement=anat.wobble_at)
    ctx = ShapeContext(anat, plane, s, d, sp, ds, dd)
    lb = LayerBuilder(plane.shape)
    vertebral_column(ctx, lb)
    upper_cervical(ctx, lb)
    spinal_canal(ctx, lb)
    posterior_elements(ctx, lb)
    neck_and_trunk(ctx, lb)
    head(ctx, lb)
    return lb.build()
