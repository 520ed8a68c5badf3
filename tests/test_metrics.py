import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from course_lib import metrics

rng = np.random.default_rng(1)
X = rng.random((48, 48)).astype(np.float32)
Y = np.clip(X + 0.05 * rng.standard_normal(X.shape), 0, 1).astype(np.float32)


def test_psnr_matches_skimage_and_formula():
    assert metrics.psnr(X, Y) == pytest.approx(peak_signal_noise_ratio(X, Y, data_range=1), abs=1e-6)
    assert metrics.psnr(X, Y) == pytest.approx(10 * np.log10(1 / np.mean((X.astype(float) - Y) ** 2)), abs=1e-4)
    assert metrics.psnr(X, X) == float("inf")


def test_psnr_inside_a_mask():
    mask = np.zeros(X.shape, bool)
    mask[10:20, 5:40] = True
    worse = np.where(mask, np.clip(Y + 0.2, 0, 1), X).astype(np.float32)  # errors only inside the mask
    inside = 10 * np.log10(1 / np.mean((X[mask].astype(float) - worse[mask]) ** 2))
    assert metrics.psnr(X, worse, mask=mask) == pytest.approx(inside, abs=1e-6)
    assert metrics.psnr(X, worse, mask=mask) < metrics.psnr(X, worse)  # the whole image dilutes the error
    assert metrics.psnr(X, worse, mask=np.ones(X.shape, bool)) == pytest.approx(metrics.psnr(X, worse), abs=1e-9)
    colour = np.stack([X, X, X], -1)
    assert metrics.psnr(colour, np.stack([worse] * 3, -1), mask=mask) == pytest.approx(inside, abs=1e-6)
    with pytest.raises(ValueError, match="mask"):
        metrics.psnr(X, worse, mask=np.zeros(X.shape, bool))
    with pytest.raises(ValueError, match="mask"):
        metrics.psnr(X, worse, mask=mask[:5])
    with pytest.raises(TypeError, match="mask"):
        metrics.psnr(X, worse, mask=mask.astype(np.uint8))


def test_psnr_clips_estimate():
    noisy = X + 0.3
    assert metrics.psnr(X, noisy) == pytest.approx(metrics.psnr(X, np.clip(noisy, 0, 1)))


def test_mse_and_ssim_match_skimage():
    assert metrics.mse(X, Y) == pytest.approx(np.mean((X.astype(float) - Y) ** 2), rel=1e-6)
    assert metrics.ssim(X, Y) == pytest.approx(structural_similarity(X, Y, data_range=1), abs=1e-6)
    assert metrics.ssim(X, X) == pytest.approx(1.0)
    colour = rng.random((16, 16, 3)).astype(np.float32)
    assert metrics.ssim(colour, colour) == pytest.approx(1.0)


def test_shape_mismatch_and_tiny_images():
    with pytest.raises(ValueError, match="same shape"):
        metrics.psnr(X, Y[:10])
    with pytest.raises(ValueError, match="7x7"):
        metrics.ssim(X[:5, :5], Y[:5, :5])
