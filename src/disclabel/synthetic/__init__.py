"""Synthetic spine MRI: random 3-D anatomy, T1w/T2w-like or random contrast, disc labels.

Public API:

- :func:`generate_subject` -- one subject's volumes (one per contrast) with disc labels.
- :func:`generate_region` -- the same, framing the lumbar, thoracolumbar or whole spine.
- :func:`write_bids_dataset` -- a BIDS dataset of synthetic subjects with label derivatives.
- :func:`sample_2d` -- a fast 2-D mid-sagittal sample with keypoints, for on-the-fly training.
- :class:`SyntheticVolume` -- image, labels, affine (and optionally the tissue map).

Modules: :mod:`.tables` (every tunable number), :mod:`.anatomy` (random anatomy numbers),
:mod:`.geometry` (spine curve, curvilinear coordinates), :mod:`.primitives`,
:mod:`.spine`, :mod:`.softtissue` and :mod:`.shapes` (implicit shapes on a sagittal grid),
:mod:`.layers` (left-right layered evaluation), :mod:`.appearance` (MR appearance),
:mod:`.volume` (3-D grid, orientation, labels), :mod:`.writer` (NIfTI/BIDS),
:mod:`.sample2d` (2-D samples).

May import: :mod:`disclabel.data`, :mod:`disclabel.constants`, :mod:`disclabel.version`.
"""

from disclabel.synthetic.sample2d import sample_2d
from disclabel.synthetic.tables import Tissue
from disclabel.synthetic.volume import SyntheticVolume, generate_region, generate_subject
from disclabel.synthetic.writer import write_bids_dataset

__all__ = ["SyntheticVolume", "Tissue", "generate_region", "generate_subject", "sample_2d",
           "write_bids_dataset"]
