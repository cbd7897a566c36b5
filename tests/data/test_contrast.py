"""disclabel.data.contrast: the body weights and the inversion inside the body, shared by
training (RandomIntensityMap) and the labeller's inverted reading."""

from __future__ import annotations

import numpy as np

from disclabel.data.augment import RandomIntensityMap
from disclabel.data.contrast import body_weights, invert_in_body


def _slice() -> np.ndarray:
    """A (64, 64) slice: 0 outside the field of view (left columns), dark air (0.002) around a
    body of 0.3 with a bright (0.9) disc in it."""
    image = np.full((64, 64), 0.002, np.float32)
    image[:, :8] = 0.0
    image[16:48, 20:52] = 0.3
    image[28:34, 30:40] = 0.9
    return image


def test_inversion_flips_the_body_and_leaves_air_and_the_outside_alone():
    image = _slice()
    out = invert_in_body(image)
    assert out.dtype == np.float32 and out.shape == image.shape
    assert np.all(out[:, :8] == 0.0)                              # outside the field of view
    assert out[2, 12] < 0.05                                       # dark air stays dark
    np.testing.assert_allclose(out[30, 35], 0.1, atol=1e-6)        # the bright disc turns dark
    np.testing.assert_allclose(out[20, 24], 0.7, atol=1e-6)        # the body turns bright
    assert body_weights(image)[30, 35] == 1.0 and body_weights(image)[2, 12] < 0.05


def test_training_inverts_exactly_as_the_labeller_does():
    image = _slice()
    transform = RandomIntensityMap(5, p_invert=1.0, p=1.0, seed=0)
    trained, _ = transform.apply(image, np.zeros((25, 2), np.float32))
    np.testing.assert_array_equal(trained, invert_in_body(image))
