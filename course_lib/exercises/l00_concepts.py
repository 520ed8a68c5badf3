"""Exercises of lesson 00 (concepts): noise units, PSNR by hand, predicting PSNR, the inpainting operator."""

from __future__ import annotations

import numpy as np

from . import close, exercise

# --- 00.sigma: noise levels on the 0-1 scale ---------------------------------------------------------------


def sigma_01(sigma_255):
    """Convert a noise level given on the 0-255 scale to the course's 0-1 image scale.

    Parameters
    ----------
    sigma_255 : float or ndarray
        Noise standard deviation in 8-bit units (0-255).

    Returns
    -------
    float or ndarray
        The same σ on the 0-1 scale (``sigma_255 / 255``).
    """
    return sigma_255 / 255


def _sigma_wrong(sigma_255):
    return sigma_255 / 256


@exercise("00.sigma", "noise level on the 0-1 scale", solution=sigma_01, wrong=_sigma_wrong)
def _check_sigma(fn) -> str:
    for value in (15, 25, 50):
        close(fn(value), value / 255, tol=1e-6, what=f"sigma_01({value})",
              hint="images are in [0, 1] and 255 is white: divide by the largest 8-bit value.")
    return "σ = 25 on the 8-bit scale is 25/255 ≈ 0.098 here."


# --- 00.psnr: PSNR from its definition ----------------------------------------------------------------------


def psnr_by_hand(clean, estimate):
    """PSNR in dB for images in [0, 1]: 10 log10(1 / MSE), with the estimate clipped to [0, 1].

    Parameters
    ----------
    clean : ndarray, float
        Clean image in [0, 1].
    estimate : ndarray, float, same shape
        Restored or noisy image (any finite values).

    Returns
    -------
    float
        PSNR in dB (``inf`` when the MSE is 0).
    """
    estimate = np.clip(estimate, 0, 1)
    mse = np.mean((clean.astype(np.float64) - estimate) ** 2)
    return 10 * np.log10(1.0 / mse)


def _psnr_wrong(clean, estimate):
    return 20 * np.log10(1.0 / np.mean((clean - estimate) ** 2))  # 20 log10 of the MSE: a classic slip


@exercise("00.psnr", "PSNR by hand", solution=psnr_by_hand, wrong=_psnr_wrong)
def _check_psnr(fn) -> str:
    from ..metrics import psnr

    rng = np.random.default_rng(0)
    for sigma in (0.02, 0.1, 0.3):
        clean = rng.random((32, 32)).astype(np.float32)
        noisy = clean + sigma * rng.standard_normal(clean.shape).astype(np.float32)
        close(fn(clean, noisy), psnr(clean, noisy), tol=1e-3, what=f"your PSNR at σ={sigma}",
              hint="MSE = mean((clean - clip(estimate, 0, 1))**2), then PSNR = 10·log10(peak² / MSE) with peak 1.")
    return "It agrees with course_lib.metrics.psnr (skimage) to 0.001 dB."


# --- 00.predict: the PSNR of a noisy image, predicted without looking ---------------------------------------


def predicted_noisy_psnr(sigma):
    """PSNR (dB) of x + n with n ~ N(0, σ²), ignoring clipping: MSE = σ², so PSNR = -20 log10 σ.

    Parameters
    ----------
    sigma : float
        Noise standard deviation on the 0-1 scale, > 0.

    Returns
    -------
    float
        Predicted PSNR in dB.
    """
    return -20 * np.log10(sigma)


def _predict_wrong(sigma):
    return -10 * np.log10(sigma)


@exercise("00.predict", "predict the PSNR of a noisy image", solution=predicted_noisy_psnr, wrong=_predict_wrong)
def _check_predict(fn) -> str:
    for sigma in (5 / 255, 25 / 255, 50 / 255):
        close(fn(sigma), -20 * np.log10(sigma), tol=0.01, what=f"predicted PSNR at σ={sigma:.3f}",
              hint="for additive noise the expected MSE is the noise variance σ²; PSNR = 10·log10(1/MSE).")
    return "σ = 25/255 gives 20.17 dB before clipping; the lesson measures what clipping adds."


# --- 00.inpaint: the inpainting operator A -------------------------------------------------------------------


def inpainting_operator(image, mask):
    """A(x) for inpainting: keep the known pixels, zero the missing ones (mask True = missing).

    Parameters
    ----------
    image : ndarray, shape (H, W), float
        Image in [0, 1].
    mask : ndarray, shape (H, W), bool
        True where a pixel is missing.

    Returns
    -------
    ndarray, shape (H, W)
        The image with the missing pixels set to 0.
    """
    return np.where(mask, 0.0, image)


def _inpaint_wrong(image, mask):
    return np.where(mask, image, 0.0)


@exercise("00.inpaint", "the inpainting operator A", solution=inpainting_operator, wrong=_inpaint_wrong)
def _check_inpaint(fn) -> str:
    from ..degrade import apply_mask, box_mask

    rng = np.random.default_rng(1)
    image = rng.random((24, 24)).astype(np.float32)
    mask = box_mask(image.shape, n_boxes=3, size=6, seed=2)
    got = np.asarray(fn(image, mask), dtype=np.float32)
    if not (got.shape == image.shape):
        raise AssertionError(f"A(x) must keep the image's shape {image.shape}; got {got.shape}.")
    wrong = int(np.sum(~np.isclose(got, apply_mask(image, mask))))
    if not (wrong == 0):
        raise AssertionError(
            f"{wrong} of {image.size} pixels differ from the expected A(x). Hint: where mask is True "
            "the pixel is missing (set it to 0); elsewhere A keeps x unchanged (a diagonal 0/1 matrix).")
    return "A is a diagonal matrix of 0s and 1s: linear, but not invertible."


# --- 00.ssim: SSIM written from its definition, as scikit-image computes it ---------------------------------


def ssim_by_hand(clean, estimate):
    """Mean SSIM over 7x7 uniform windows (sample statistics, data range 1), leaving out a 3-pixel border.

    Parameters
    ----------
    clean : ndarray, shape (H, W), float
        Clean image in [0, 1], at least 7x7.
    estimate : ndarray, shape (H, W), float
        Image to score (same scale).

    Returns
    -------
    float
        SSIM in [-1, 1] (1 for identical images).

    References
    ----------
    Z. Wang, A. C. Bovik, H. R. Sheikh and E. P. Simoncelli, "Image quality assessment: from error visibility to
    structural similarity", IEEE Trans. Image Processing 13(4):600-612, 2004, eq. 13.
    """
    from scipy.ndimage import uniform_filter

    x, y = np.asarray(clean, np.float64), np.asarray(estimate, np.float64)
    win, n = 7, 49
    c1, c2 = 0.01**2, 0.03**2
    mean = lambda a: uniform_filter(a, size=win)  # noqa: E731 - local mean over every 7x7 window
    mx, my = mean(x), mean(y)
    cov = n / (n - 1)                               # sample (co)variance: divide by N - 1
    vx, vy = cov * (mean(x * x) - mx**2), cov * (mean(y * y) - my**2)
    vxy = cov * (mean(x * y) - mx * my)
    s = ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    pad = (win - 1) // 2                            # windows that would leave the image are not scored
    return float(s[pad:-pad, pad:-pad].mean())


def _ssim_wrong(clean, estimate):
    from scipy.ndimage import uniform_filter

    x, y = np.asarray(clean, np.float64), np.asarray(estimate, np.float64)
    mean = lambda a: uniform_filter(a, size=7)  # noqa: E731
    mx, my = mean(x), mean(y)
    vx, vy, vxy = mean(x * x) - mx**2, mean(y * y) - my**2, mean(x * y) - mx * my  # divides by N, not N - 1
    s = ((2 * mx * my + 0.01**2) * (2 * vxy + 0.03**2)) / ((mx**2 + my**2 + 0.01**2) * (vx + vy + 0.03**2))
    return float(s.mean())  # and averages the border windows too, which leave the image


@exercise("00.ssim", "SSIM from its definition", solution=ssim_by_hand, wrong=_ssim_wrong)
def _check_ssim(fn) -> str:
    from ..data import load_photo
    from ..degrade import add_gaussian_noise, gaussian_blur
    from ..metrics import ssim

    clean = np.ascontiguousarray(load_photo("camera")[200:264, 200:264])
    for name, estimate in (("noisy", np.clip(add_gaussian_noise(clean, 0.1, seed=0), 0, 1)),
                           ("blurred", gaussian_blur(clean, 1.5)), ("brighter", np.clip(clean + 0.1, 0, 1))):
        close(fn(clean, estimate), ssim(clean, estimate), tol=1e-4, what=f"your SSIM of the {name} crop",
              hint="local means, variances and the covariance over every 7x7 window (scipy.ndimage.uniform_filter), "
                   "variances with N - 1 (multiply by 49/48), C1 = 0.01², C2 = 0.03², then the mean of the SSIM map "
                   "without its 3-pixel border.")
    close(fn(clean, clean), 1.0, tol=1e-9, what="SSIM of an image with itself", hint="it must be exactly 1.")
    return "It matches skimage's structural_similarity (the course's metrics.ssim) to 1e-4."
