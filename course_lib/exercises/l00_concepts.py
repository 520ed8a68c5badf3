"""Exercises of lesson 00 (concepts): noise units, PSNR by hand, predicting PSNR, the inpainting operator."""

from __future__ import annotations

import numpy as np

from . import close, exercise

# --- 00.sigma: noise levels on the 0-1 scale ---------------------------------------------------------------


def sigma_01(sigma_255):
    """Convert a noise level given on the 0-255 scale to the course's 0-1 image scale."""
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
    """PSNR in dB for images in [0, 1]: 10 log10(1 / MSE), with the estimate clipped to [0, 1]."""
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
    """PSNR (dB) of x + n with n ~ N(0, σ²), ignoring clipping: MSE = σ², so PSNR = -20 log10 σ."""
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
    """A(x) for inpainting: keep the known pixels, zero the missing ones (mask True = missing)."""
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
    assert got.shape == image.shape, f"A(x) must keep the image's shape {image.shape}; got {got.shape}."
    wrong = int(np.sum(~np.isclose(got, apply_mask(image, mask))))
    assert wrong == 0, (f"{wrong} of {image.size} pixels differ from the expected A(x). Hint: where mask is True "
                        "the pixel is missing (set it to 0); elsewhere A keeps x unchanged (a diagonal 0/1 matrix).")
    return "A is a diagonal matrix of 0s and 1s: linear, but not invertible."
