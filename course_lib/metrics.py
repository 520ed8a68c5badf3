"""Image-quality metrics: MSE, PSNR and SSIM (thin, validated wrappers over scikit-image).

Conventions: ``reference`` is the clean image, ``estimate`` the restored or degraded one.
PSNR uses ``data_range=1`` on the estimate clipped to [0, 1] (a restored pixel outside
[0, 1] can never be displayed, so it is clipped before scoring).
"""

from __future__ import annotations

import numpy as np

from .validate import check_image

__all__ = ["mse", "psnr", "ssim"]


def _pair(reference: np.ndarray, estimate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    reference = check_image(reference, "reference")
    estimate = check_image(estimate, "estimate", value_range=None)
    if reference.shape != estimate.shape:
        raise ValueError(f"reference and estimate must have the same shape; got {reference.shape} and {estimate.shape}")
    return reference.astype(np.float64), np.clip(estimate, 0.0, 1.0).astype(np.float64)


def mse(reference: np.ndarray, estimate: np.ndarray) -> float:
    r"""Mean squared error :math:`\frac1N\sum_i (x_i - \hat x_i)^2` after clipping the estimate to [0, 1]."""
    reference, estimate = _pair(reference, estimate)
    return float(np.mean((reference - estimate) ** 2))


def psnr(reference: np.ndarray, estimate: np.ndarray) -> float:
    r"""Peak signal-to-noise ratio in dB, :math:`10\log_{10}(1 / \mathrm{MSE})` for images in [0, 1].

    Returns ``inf`` for identical images.
    """
    from skimage.metrics import peak_signal_noise_ratio

    reference, estimate = _pair(reference, estimate)
    if np.array_equal(reference, estimate):
        return float("inf")
    return float(peak_signal_noise_ratio(reference, estimate, data_range=1.0))


def ssim(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Structural similarity (Wang et al. 2004) as in ``skimage.metrics.structural_similarity``.

    Uses a 7x7 uniform window (skimage's default) and ``data_range=1``; colour images are
    scored per channel and averaged.  Images must be at least 7x7.
    """
    from skimage.metrics import structural_similarity

    reference, estimate = _pair(reference, estimate)
    if min(reference.shape[:2]) < 7:
        raise ValueError(f"ssim needs images of at least 7x7 pixels; got shape {reference.shape}")
    channel_axis = -1 if reference.ndim == 3 else None
    return float(structural_similarity(reference, estimate, data_range=1.0, channel_axis=channel_axis))
