"""The classical baselines every lesson, benchmark and CNN compares with, implemented once.

* Denoising: OpenCV's and scikit-image's non-local means (Buades, Coll & Morel, CVPR 2005) and a Gaussian blur,
  each with one strength parameter ``c`` chosen per noise level by grid search on *training* photos only
  (:func:`tune_baselines`, the protocol of lesson 03); :func:`classical_denoise` applies the tuned NL-means or the
  reference BM3D.
* Inpainting: OpenCV's Telea and Navier–Stokes fills and scikit-image's biharmonic fill behind one wrapper,
  :func:`classical_fill`; :func:`classical_fills` stacks all three, the inputs of the CNN inpainter.

Images are float32 on the 0-1 scale; OpenCV gets them as 8 bits through :func:`course_lib.data.as_uint8`.
"""

from __future__ import annotations

import functools

import numpy as np

from .data import as_uint8
from .degrade import add_gaussian_noise
from .metrics import psnr
from .validate import check_choice, check_image, check_mask, check_noisy, check_range

__all__ = [
    "TUNING_PHOTOS", "BASELINES", "FILLS", "nlm_opencv", "nlm_skimage", "gaussian_blur", "tune_baselines",
    "tuned_strength", "nl_means", "classical_denoise", "classical_fill", "classical_fills",
]

#: Training photos the baselines are tuned on (never the test photos).
TUNING_PHOTOS = ("rocket", "china")
_GRIDS = {
    "nlm_opencv": np.round(np.arange(0.5, 1.55, 0.1), 2),
    "nlm_skimage": np.round(np.arange(0.4, 1.25, 0.1), 2),
    "gaussian": np.round(np.arange(0.5, 4.05, 0.25), 2),
}
#: The classical fills, in the order of the CNN inpainter's input channels.
FILLS = ("telea", "navier-stokes", "biharmonic")


# --- denoising ------------------------------------------------------------------------------------------------


def _check_noisy(noisy: np.ndarray, sigma: float) -> tuple[np.ndarray, float]:
    sigma = check_range(sigma, "sigma", 0, 1, lo_open=True)
    return check_noisy(noisy, "noisy", sigma, ndim=(2,)), sigma


def nlm_opencv(noisy: np.ndarray, sigma: float, c: float = 0.9) -> np.ndarray:
    """OpenCV's non-local means (7x7 patches, 21x21 search) with filter strength ``h = c·σ_255``.

    The one call of OpenCV's NL-means in the course; :func:`nl_means` gives it the ``c`` tuned for ``sigma``.
    OpenCV needs uint8: the noisy image is clipped to [0, 1] and rounded to 8 bits first
    (:func:`course_lib.data.as_uint8`).

    Parameters
    ----------
    noisy : ndarray, shape (H, W), float
        Noisy grayscale image (0-1 scale plus noise, not clipped).
    sigma : float
        Noise standard deviation in (0, 1] (0-1 scale).
    c : float
        Filter strength ``h`` in units of σ (tuned per σ by :func:`tune_baselines`).

    Returns
    -------
    ndarray, shape (H, W), float32
        Denoised image in [0, 1], quantised to multiples of 1/255.

    Raises
    ------
    TypeError
        If ``noisy`` is not a float array or ``sigma`` is not a number.
    ValueError
        If ``noisy`` is not 2-D, holds NaN/inf or leaves [0, 1] by more than 0.5 + 10 σ, or ``sigma`` is not in
        (0, 1].

    References
    ----------
    A. Buades, B. Coll and J.-M. Morel, "A non-local algorithm for image denoising", CVPR 2005.

    Examples
    --------
    >>> noise = np.random.default_rng(0).normal(0, 0.1, (16, 16)).astype(np.float32)
    >>> noisy = np.full((16, 16), 0.5, np.float32) + noise
    >>> bool(nlm_opencv(noisy, 0.1).std() < noisy.std())
    True
    """
    import cv2

    noisy, sigma = _check_noisy(noisy, sigma)
    return cv2.fastNlMeansDenoising(as_uint8(noisy), None, h=float(c * sigma * 255)).astype(np.float32) / 255


def nlm_skimage(noisy: np.ndarray, sigma: float, c: float = 0.8) -> np.ndarray:
    """scikit-image's non-local means with the known σ, ``h = c·σ``, 5x5 patches, distance 6, fast mode.

    Parameters
    ----------
    noisy : ndarray, shape (H, W), float
        Noisy grayscale image (0-1 scale plus noise, not clipped).
    sigma : float
        Noise standard deviation in (0, 1] (0-1 scale).
    c : float
        Filter strength ``h`` in units of σ (tuned per σ by :func:`tune_baselines`).

    Returns
    -------
    ndarray, shape (H, W), float32

    Raises
    ------
    TypeError
        If ``noisy`` is not a float array or ``sigma`` is not a number.
    ValueError
        If ``noisy`` is not 2-D, holds NaN/inf or leaves [0, 1] by more than 0.5 + 10 σ, or ``sigma`` is not in
        (0, 1].

    References
    ----------
    Buades, Coll and Morel, CVPR 2005; ``skimage.restoration.denoise_nl_means``.
    """
    from skimage.restoration import denoise_nl_means

    noisy, sigma = _check_noisy(noisy, sigma)
    return denoise_nl_means(noisy, h=c * sigma, sigma=sigma, patch_size=5, patch_distance=6,
                            fast_mode=True).astype(np.float32)


def gaussian_blur(noisy: np.ndarray, sigma: float, c: float = 1.5) -> np.ndarray:
    """A Gaussian low-pass filter of width ``c`` pixels (``sigma``, the noise level, is unused).

    Parameters
    ----------
    noisy : ndarray, shape (H, W), float
        Noisy grayscale image (0-1 scale plus noise, not clipped).
    sigma : float
        Noise standard deviation in (0, 1]; checked, then ignored (same signature as the other baselines).
    c : float
        Standard deviation of the Gaussian kernel in pixels.

    Returns
    -------
    ndarray, shape (H, W), float32

    Raises
    ------
    TypeError
        If ``noisy`` is not a float array or ``sigma`` is not a number.
    ValueError
        If ``noisy`` is not 2-D, holds NaN/inf or leaves [0, 1] by more than 0.5 + 10 σ, or ``sigma`` is not in
        (0, 1].

    Examples
    --------
    >>> gaussian_blur(np.eye(8, dtype=np.float32), 0.1).shape
    (8, 8)
    """
    from scipy.ndimage import gaussian_filter

    noisy, _ = _check_noisy(noisy, sigma)
    return gaussian_filter(noisy, sigma=c).astype(np.float32)


BASELINES = {"nlm_opencv": nlm_opencv, "nlm_skimage": nlm_skimage, "gaussian": gaussian_blur}


def tune_baselines(sigma255: float, *, size: int = 256) -> dict[str, float]:
    """Each baseline's parameter ``c`` by grid search (best mean PSNR) on the *training* photos at this σ.

    The training photos are :data:`TUNING_PHOTOS` (never the test photos), each cropped to ``size`` pixels.

    Parameters
    ----------
    sigma255 : float
        Noise standard deviation on the 0-255 scale, in (0, 255].
    size : int
        Side of the top-left crop of each photo, in pixels.

    Returns
    -------
    dict of str to float
        ``{"nlm_opencv": c, "nlm_skimage": c, "gaussian": c}``.

    Raises
    ------
    TypeError, ValueError
        If ``sigma255`` is not a number in (0, 255].
    """
    return {name: tuned_strength(name, sigma255, size=size) for name in BASELINES}


def tuned_strength(name: str, sigma255: float, *, size: int = 256) -> float:
    """The strength ``c`` of baseline ``name`` with the best mean PSNR on the training photos at noise σ.

    Noisy copies of the top-left ``size`` x ``size`` crops of :data:`TUNING_PHOTOS` (noise seeds 7, 8) are
    denoised with every ``c`` of the baseline's grid; the result is cached per (name, σ, size).

    Parameters
    ----------
    name : str
        A key of :data:`BASELINES`: ``"nlm_opencv"``, ``"nlm_skimage"`` or ``"gaussian"``.
    sigma255 : float
        Noise standard deviation on the 0-255 scale, in (0, 255].
    size : int
        Side of the crop of each photo, in pixels.

    Returns
    -------
    float
        The chosen ``c``.

    Raises
    ------
    TypeError, ValueError
        If ``name`` is not a baseline or ``sigma255`` is not a number in (0, 255].
    """
    name = check_choice(name, "name", tuple(BASELINES))
    sigma255 = check_range(sigma255, "sigma255", 0, 255, lo_open=True, hint=" (σ on the 0-255 scale here)")
    return _tuned_strength(name, round(sigma255, 6), int(size))


@functools.lru_cache(maxsize=128)
def _tuned_strength(name: str, sigma255: float, size: int) -> float:
    from .data import load_photo

    photos = [np.ascontiguousarray(load_photo(photo)[:size, :size]) for photo in TUNING_PHOTOS]
    noisy = [add_gaussian_noise(p, sigma255 / 255, seed=7 + i) for i, p in enumerate(photos)]
    fn, grid = BASELINES[name], _GRIDS[name]
    scores = [np.mean([psnr(p, fn(z, sigma255 / 255, c)) for p, z in zip(photos, noisy)]) for c in grid]
    return float(grid[int(np.argmax(scores))])


def nl_means(noisy: np.ndarray, sigma: float) -> np.ndarray:
    """The course's NL-means baseline: :func:`nlm_opencv` with the strength tuned for ``sigma`` on training photos.

    Parameters
    ----------
    noisy : ndarray, shape (H, W), float
        Noisy grayscale image (0-1 scale plus noise, not clipped).
    sigma : float
        Noise standard deviation in (0, 1] (0-1 scale).

    Returns
    -------
    ndarray, shape (H, W), float32
        Denoised image in [0, 1].

    Raises
    ------
    TypeError, ValueError
        As :func:`nlm_opencv`.

    References
    ----------
    A. Buades, B. Coll and J.-M. Morel, "A non-local algorithm for image denoising", CVPR 2005.
    """
    noisy, sigma = _check_noisy(noisy, sigma)
    return nlm_opencv(noisy, sigma, tuned_strength("nlm_opencv", sigma * 255))


def classical_denoise(noisy: np.ndarray, sigma: float, method: str) -> np.ndarray:
    """``"bm3d"`` (reference package, Dabov et al. 2007) or ``"nl-means"`` (:func:`nl_means`, tuned per σ).

    Parameters
    ----------
    noisy : ndarray, shape (H, W), float
        Grayscale image on the 0-1 scale plus noise; at least 8x8 for ``"bm3d"``
        (:func:`course_lib.bm3d.reference_bm3d`) and 1x1 for ``"nl-means"``.
    sigma : float
        Noise standard deviation in [0, 1]; at 0 the image comes back unchanged.
    method : str
        ``"bm3d"`` or ``"nl-means"``.

    Returns
    -------
    ndarray, shape (H, W), float32

    Raises
    ------
    TypeError, ValueError
        If ``noisy`` is not a finite float image of that size, ``sigma`` is outside [0, 1] or ``method`` is
        unknown.
    """
    from .bm3d import REFERENCE_MIN_SIZE, reference_bm3d

    method = check_choice(method, "method", ("bm3d", "nl-means"))
    sigma = check_range(sigma, "sigma", 0.0, 1.0, hint=" (σ is on the 0-1 scale: 25/255 ≈ 0.098)")
    min_size = REFERENCE_MIN_SIZE if method == "bm3d" else 1
    noisy = check_noisy(noisy, "noisy", sigma, ndim=(2,), min_size=min_size)
    if sigma == 0:
        return noisy.copy()
    return reference_bm3d(noisy, sigma) if method == "bm3d" else nl_means(noisy, sigma)


# --- inpainting ----------------------------------------------------------------------------------------------


def classical_fill(image: np.ndarray, mask: np.ndarray, method: str = "telea", *, radius: int = 3) -> np.ndarray:
    """Fill the pixels where ``mask`` is True with a classical method; the known pixels are kept.

    ``"telea"`` (Telea, J. Graphics Tools 2004) and ``"navier-stokes"`` (Bertalmío, Bertozzi & Sapiro, CVPR 2001)
    are OpenCV's ``cv2.inpaint`` on the 8-bit image; ``"biharmonic"`` is ``skimage.restoration.inpaint_biharmonic``
    (Damelin & Hoang 2018), clipped to [0, 1]. The values under the mask are never read.

    Parameters
    ----------
    image : ndarray, shape (H, W), float
        Grayscale image in [0, 1].
    mask : ndarray of bool, shape (H, W)
        True where a pixel is missing.
    method : str
        One of :data:`FILLS`.
    radius : int
        Neighbourhood radius of the OpenCV methods, in pixels.

    Returns
    -------
    ndarray, shape (H, W), float32
        The filled image, in [0, 1].

    Raises
    ------
    TypeError, ValueError
        If ``image`` is not a 2-D float image in [0, 1], ``mask`` not a boolean array of its shape, or
        ``method`` unknown.
    """
    import cv2
    from skimage.restoration import inpaint_biharmonic

    image = check_image(image, ndim=(2,), min_size=1)
    mask = check_mask(mask, image.shape)
    if mask.all():
        raise ValueError("mask is True (missing) at every pixel; inpainting needs some known pixels (False)")
    method = check_choice(method, "method", FILLS)
    observed = np.where(mask, 0, image).astype(np.float32)
    if not mask.any():
        return observed
    if method == "biharmonic":
        fill = np.clip(inpaint_biharmonic(observed, mask), 0, 1)
    else:
        flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
        fill = cv2.inpaint(as_uint8(observed), mask.astype(np.uint8), radius, flag).astype(np.float32) / 255
    return np.where(mask, fill, image).astype(np.float32)


def classical_fills(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``(H, W, 3)``: the fills of :data:`FILLS` (:func:`classical_fill`), the CNN inpainter's inputs.

    Parameters
    ----------
    image : ndarray, shape (H, W), float
        Grayscale image in [0, 1].
    mask : ndarray of bool, shape (H, W)
        True where a pixel is missing.

    Returns
    -------
    ndarray, shape (H, W, 3), float32

    Raises
    ------
    TypeError, ValueError
        As :func:`classical_fill`.
    """
    return np.stack([classical_fill(image, mask, method) for method in FILLS], axis=-1)
