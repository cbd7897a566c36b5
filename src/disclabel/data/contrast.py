"""Contrast of a prepared slice: where the body is, and the inversion inside it that turns a
T2w-like look into a T1w-like one (training applies it at random, :mod:`.augment`; the
labeller can read a volume both ways, :mod:`disclabel.labeling.labeler`).

Images are ``(H, W)`` float32 in [0, 1], 0 outside the field of view.
"""

from __future__ import annotations

import cv2
import numpy as np

BODY_SIGMA_PX: float = 2.0
"""The body weights come from the image blurred by a Gaussian of this sigma (pixels)..."""
BODY_LEVEL: float = 0.08
"""...divided by this level and clipped to [0, 1]: 1 inside the body, 0 in dark air."""


def body_weights(image: np.ndarray) -> np.ndarray:
    """(H, W) float weights in [0, 1] of the body of ``image`` (H, W): 1 where the blurred
    image reaches ``BODY_LEVEL``, falling to 0 in dark air."""
    blurred = cv2.GaussianBlur(image, (0, 0), BODY_SIGMA_PX)
    return np.clip(blurred / BODY_LEVEL, 0.0, 1.0)


def blend_in_body(image: np.ndarray, mapped: np.ndarray, body: np.ndarray) -> np.ndarray:
    """``mapped`` (H, W) inside the body (weights ``body``), ``image`` outside, clipped to [0, 1]
    and 0 wherever ``image`` is 0 (outside the field of view); float32."""
    out = body * mapped + (1.0 - body) * image
    return np.where(image > 0, np.clip(out, 0.0, 1.0), 0.0).astype(np.float32)


def invert_in_body(image: np.ndarray) -> np.ndarray:
    """``image`` (H, W) with its contrast inverted inside the body (``1 - image``), air left
    dark: as training inverts its samples."""
    return blend_in_body(image, 1.0 - image, body_weights(image))
