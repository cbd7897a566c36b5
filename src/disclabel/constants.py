"""Constants shared by every module: disc numbering, geometry conventions and defaults.

Disc numbers follow the Spinal Cord Toolbox / Spine Generic convention (DESIGN section 3):
1 = top of C1, 2 = C1/C2, 3 = C2/C3, ..., 8 = C7/T1, 9 = T1/T2, ..., 20 = T12/L1, 21 = L1/L2,
..., 25 = L5/S1. A disc label is one voxel at the posterior tip of the disc, valued with the disc
number. The network has one output channel per disc number: channel ``c`` is disc ``c + 1``.

2-D samples are sagittal images in the canonical orientation ``CANONICAL_ORIENTATION``:
rows run from superior (row 0, head) to inferior, columns from anterior (col 0) to posterior.
Pixel coordinates are written ``(row, col)`` and integer values are pixel centres.
"""

from __future__ import annotations

NUM_DISCS: int = 25
"""Number of disc numbers (and network output channels): discs 1..25."""

DISC_NAMES: tuple[str, ...] = (
    "C1-top", "C1/C2", "C2/C3", "C3/C4", "C4/C5", "C5/C6", "C6/C7", "C7/T1",
    "T1/T2", "T2/T3", "T3/T4", "T4/T5", "T5/T6", "T6/T7", "T7/T8", "T8/T9", "T9/T10",
    "T10/T11", "T11/T12", "T12/L1", "L1/L2", "L2/L3", "L3/L4", "L4/L5", "L5/S1",
)
"""Anatomical name of disc number ``n`` is ``DISC_NAMES[n - 1]``."""
FIRST_CHAIN_DISC: int = 3
"""The chain of the decoder holds real intervertebral discs, C2/C3 (3) to L5/S1 (25); discs 1
and 2 (the top of C1, C1/C2) are landmarks of the atlas placed above it."""

IGNORED_LABEL_VALUES: tuple[int, ...] = (49, 50)
"""Label values that are landmarks, not discs (pontomedullary groove / junction)."""

CANONICAL_ORIENTATION: tuple[str, str, str] = ("R", "I", "P")
"""nibabel axis codes of the canonical 3-D array: axis 0 towards Right (left-right, the
sagittal slice index), axis 1 towards Inferior (image rows), axis 2 towards Posterior (columns)."""

CONTRASTS: tuple[str, ...] = ("T1w", "T2w")
DEFAULT_LABEL_SUFFIX: str = "labels-disc-manual"
MANIFEST_NAME: str = "dataset.json"
SPLIT_NAMES: tuple[str, str, str] = ("train", "val", "test")

PIXEL_MM: float = 1.0
"""In-plane pixel size in mm of every 2-D image the network sees (training and inference): a
disc spans the same number of pixels on every image."""
GRID_MULTIPLE: int = 64
"""Sides of a 2-D image are padded to a multiple of this (the hourglass halves them 6 times)."""
MAX_GRID_SIDE: int = 1024
"""Largest side of a 2-D image in pixels; only a field of view beyond this many pixels is seen
at a larger pixel size (1 m at 1 mm: more than a whole spine)."""
MAX_VOXELS: int = 2**29
"""Largest image accepted (voxels, about 537 million: 2 GiB as float32, e.g. 800 x 800 x 800);
a header announcing more is refused before any voxel is read, instead of exhausting memory."""
WINDOW_SHAPE: tuple[int, int] = (256, 256)
"""(rows, cols) of the training windows cut from prepared images and drawn synthetically."""
SPINE_WINDOW_PROBABILITY: float = 0.9
"""A training window is placed around a random labelled disc with this probability (else
anywhere over the image)."""
WINDOW_MARGIN_PX: int = 16
"""The disc a window is placed around lies at least this far inside it."""
TRAIN_SLICE_HALF_WIDTH_MM: float = 2.0
"""Training samples use every sagittal slice within this distance of the labelled slice."""
INTENSITY_PERCENTILES: tuple[float, float] = (0.5, 99.5)
"""Robust intensity window mapped to [0, 1] when a 2-D sample is normalised."""

OUTPUT_STRIDE: int = 4
"""The network predicts heatmaps at 1/4 of the input resolution (256 -> 64)."""
SIGMA_MM: float = 4.0
"""Default standard deviation of a disc's target Gaussian, in mm."""
FOREGROUND_WEIGHT: float = 10.0
"""Training loss: each pixel's squared error weighs ``1 + FOREGROUND_WEIGHT * target``."""
INTENSITY_MAP_P: float = 0.25
"""Share of augmented training samples (real and synthetic) whose intensities go through a random
curve or, for 40 % of them, are inverted (a T1w look on a T2w image); ``main.py
--intensity-map-p``."""
FOV_CROP_P: float = 0.4
"""Share of augmented training samples whose field of view is shortened (rows blanked at the top
and/or bottom, the discs there dropped); ``main.py --fov-crop-p``."""
NARROW_FOV_MM: tuple[float, float] = (50.0, 140.0)
"""Width range of a narrowed (front-to-back) field of view in training, in mm (the two small
real crops are 60 and 76 mm); ``main.py --fov-narrow-p`` sets how often."""
AUTO_WORKERS_MAX: int = 8
"""``main.py --workers auto`` on a CUDA GPU: at most this many loader processes per training
process (one core each, one core left to the process that drives the GPU). A loader process
augments about 200-300 windows a second; the fast path's step takes 950-2800 a second on an
H200 (docs/speed.md). On a CPU ``auto`` means none: the loader shares the cores with the step."""
LABEL_WORKERS: int = 2
"""label.py on the CPU with ONNX Runtime labels this many volumes of a batch at a time, the
cores shared between them: one volume's decoding (NumPy, one core) then overlaps another's
network, which gains little from a second core (docs/speed.md)."""
CONFIDENCE_THRESHOLD: float = 0.3
"""A decoded disc whose heatmap peak is below this value is reported absent."""
CHECK_MARGIN_NATS: float = 3.0
"""label.py warns "check the numbering by eye" when the numbering margin is below this: over
three recipe seeds' leave-one-subject-out volumes, 8 of the 13 not named wholly right had a
margin under 3, and 22 of the 65 named right (``tools/margin_check.py``; docs/model-card.md)."""
IDENTIFICATION_RADIUS_MM: float = 5.0
"""A prediction with the right disc number within this distance of the reference is identified."""
ORIGINAL_FN_PX: float = 7.0
"""Original-compatible metric: a reference is missed when its nearest prediction is further
than this in the superior-inferior direction (pixels of the prepared grid)."""
ORIGINAL_FP_PX: float = 10.0
"""Original-compatible metric: a prediction is false when it is further than this from every
reference in the superior-inferior direction (pixels of the prepared grid)."""

DEFAULT_WEIGHTS_FILE: str = "weights/disclabel_default.pt"
"""The model the project ships, relative to the package folder (used by label.py by default)."""
LABEL_SUFFIX_OUT: str = "labels-disc"
"""Suffix of the label files label.py writes (``<stem>_labels-disc.nii.gz``)."""
MIN_SIGMA_OUTPUT_PX: float = 0.75
"""Floor of the target Gaussian's sigma in output pixels, so that coarse grids still give
peaks that several output pixels see."""
EVIDENCE_FLOOR: float = 0.005
"""Added to every channel's evidence before normalising it into identity shares (the decoder's
numbering vote, the identity loss), so that no share is ever 0 and no vote log(0)."""
OUTSIDE_WEIGHT: float = 0.1
"""Default loss weight of discs outside a sample's labelled range."""
NEGATIVE_RATIO: float = 0.05
"""Default share of training items replaced by a no-spine image (noise, smooth texture or a
constant) whose every disc channel must stay empty: the network learns not to invent discs."""
AMP_CHOICES: tuple[str, ...] = ("auto", "bf16", "fp16", "off")
"""``main.py --amp``: autocast precision of the training fast path (auto: bf16 where the device
has it, else fp16 with gradient scaling on a CUDA GPU, else fp32)."""
