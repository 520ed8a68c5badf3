"""The classical baselines: one NL-means (tuned on training photos), one inpainting wrapper, one uint8 conversion."""

import numpy as np
import pytest

from course_lib import baselines, data, degrade, metrics


@pytest.fixture(scope="module")
def coffee():
    return np.ascontiguousarray(data.load_photo("coffee")[60:156, 60:156])


def test_as_uint8_rounds_and_clips():
    values = np.array([-0.2, 0.0, 0.6 / 255, 0.5, 1.0, 1.3], np.float32)
    np.testing.assert_array_equal(data.as_uint8(values), [0, 0, 1, 128, 255, 255])
    image = data.load_photo("camera")[:32, :32]
    np.testing.assert_array_equal(data.as_float(data.as_uint8(image)), image)  # the photos are 8-bit already
    with pytest.raises(TypeError, match="float"):
        data.as_uint8(np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match="NaN"):
        data.as_uint8(np.array([np.nan], np.float32))


def test_nl_means_uses_the_strength_tuned_on_training_photos(coffee):
    tuned = baselines.tune_baselines(25, size=64)
    assert set(tuned) == set(baselines.BASELINES)
    assert baselines.tuned_strength("nlm_opencv", 25, size=64) == tuned["nlm_opencv"]
    c = baselines.tuned_strength("nlm_opencv", 25)
    noisy = degrade.add_gaussian_noise(coffee, 25 / 255, seed=0)
    np.testing.assert_array_equal(baselines.nl_means(noisy, 25 / 255), baselines.nlm_opencv(noisy, 25 / 255, c))
    np.testing.assert_array_equal(baselines.classical_denoise(noisy, 25 / 255, "nl-means"),
                                  baselines.nl_means(noisy, 25 / 255))
    # tuning never worsens the training-photo score of the grid's default, and helps on a test crop here
    assert metrics.psnr(coffee, baselines.nl_means(noisy, 25 / 255)) > metrics.psnr(coffee, noisy) + 3
    assert baselines.classical_denoise(noisy, 0.0, "nl-means") is not noisy
    np.testing.assert_array_equal(baselines.classical_denoise(noisy, 0.0, "nl-means"), noisy)
    with pytest.raises(ValueError, match="name"):
        baselines.tuned_strength("bm4d", 25)
    with pytest.raises(ValueError, match="sigma255"):
        baselines.tuned_strength("nlm_opencv", 0)


def test_classical_fill_keeps_known_pixels_and_ignores_hole_values(coffee):
    mask = degrade.stroke_mask(coffee.shape, 3, 5, seed=1)
    scribbled = np.where(mask, 1.0, coffee).astype(np.float32)
    for method in baselines.FILLS:
        filled = baselines.classical_fill(coffee, mask, method)
        assert filled.dtype == np.float32 and 0 <= filled.min() and filled.max() <= 1
        np.testing.assert_array_equal(filled[~mask], coffee[~mask])
        np.testing.assert_array_equal(filled, baselines.classical_fill(scribbled, mask, method))
        assert metrics.psnr(coffee, filled, mask=mask) > metrics.psnr(coffee, degrade.apply_mask(coffee, mask),
                                                                        mask=mask)
    stack = baselines.classical_fills(coffee, mask)
    assert stack.shape == (*coffee.shape, 3)
    np.testing.assert_array_equal(stack[..., 1], baselines.classical_fill(coffee, mask, "navier-stokes"))
    with pytest.raises(ValueError, match="method"):
        baselines.classical_fill(coffee, mask, "exemplar")
