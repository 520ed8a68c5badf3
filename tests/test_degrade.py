import numpy as np
import pytest

from course_lib import degrade, metrics

rng = np.random.default_rng(0)
IMAGE = rng.random((64, 64)).astype(np.float32)


def test_gaussian_noise_is_unclipped_seeded_with_right_sigma():
    sigma = 25 / 255
    y = degrade.add_gaussian_noise(IMAGE, sigma, seed=3)
    assert y.dtype == np.float32 and (y.min() < 0 or y.max() > 1)
    assert abs((y - IMAGE).std() - sigma) < 0.005
    np.testing.assert_array_equal(y, degrade.add_gaussian_noise(IMAGE, sigma, seed=3))
    assert not np.array_equal(y, degrade.add_gaussian_noise(IMAGE, sigma, seed=4))


def test_sigma_on_wrong_scale_gets_a_hint():
    with pytest.raises(ValueError, match="25/255"):
        degrade.add_gaussian_noise(IMAGE, 25)


def test_poisson_noise_variance_is_x_over_peak():
    flat = np.full((200, 200), 0.5, dtype=np.float32)
    y = degrade.add_poisson_noise(flat, 20, seed=0)
    assert abs(y.mean() - 0.5) < 0.01 and abs(y.var() - 0.5 / 20) < 0.003


def test_salt_and_pepper_mask():
    y, mask = degrade.salt_and_pepper(IMAGE, 0.1, seed=0)
    assert abs(mask.mean() - 0.1) < 0.02
    assert set(np.unique(y[mask])) <= {0.0, 1.0}
    np.testing.assert_array_equal(y[~mask], IMAGE[~mask])


def test_blur_preserves_mean_and_smooths():
    y = degrade.gaussian_blur(IMAGE, 2.0)
    assert abs(y.mean() - IMAGE.mean()) < 0.01 and y.std() < IMAGE.std() / 3


def test_downsample_is_block_mean_and_upsample_restores_size():
    small = degrade.downsample(IMAGE, 2)
    assert small.shape == (32, 32)
    assert np.isclose(small[0, 0], IMAGE[:2, :2].mean())
    assert degrade.upsample(small, 2).shape == IMAGE.shape


def test_jpeg_quality_orders_psnr():
    photo = degrade.gaussian_blur(IMAGE, 1.0)
    assert metrics.psnr(photo, degrade.jpeg(photo, 90)) > metrics.psnr(photo, degrade.jpeg(photo, 10))


def test_masks_are_seeded_bool():
    for make in (degrade.stroke_mask, degrade.box_mask):
        m = make((64, 64), seed=1)
        assert m.dtype == bool and 0 < m.mean() < 0.6
        np.testing.assert_array_equal(m, make((64, 64), seed=1))
    hole = degrade.box_mask((64, 64), n_boxes=1, size=16, seed=0)
    assert hole.sum() == 256
    y = degrade.apply_mask(IMAGE, hole)
    assert np.all(y[hole] == 0) and np.array_equal(y[~hole], IMAGE[~hole])


@pytest.mark.parametrize("kind", list(degrade.DEGRADATIONS))
def test_apply_degradation_keeps_shape_and_hurts(kind):
    smooth = degrade.gaussian_blur(IMAGE, 1.5)
    default = degrade.DEGRADATIONS[kind][1][2]
    y = degrade.apply_degradation(smooth, kind, default, seed=0)
    assert y.shape == smooth.shape and metrics.psnr(smooth, y) < 60


@pytest.mark.parametrize("kind", ["gaussian noise", "blur", "brightness"])
def test_strength_for_psnr_hits_target(kind):
    photo = degrade.gaussian_blur(IMAGE, 1.0)
    strength = degrade.strength_for_psnr(photo, kind, 25.0)
    y = np.clip(photo + strength, 0, 1) if kind == "brightness" else degrade.apply_degradation(photo, kind, strength)
    assert abs(metrics.psnr(photo, y) - 25.0) < 0.05
