r"""BM3D denoising, written from scratch in vectorised numpy.

K. Dabov, A. Foi, V. Katkovnik and K. Egiazarian, "Image denoising by sparse 3-D transform-domain
collaborative filtering", IEEE Transactions on Image Processing 16(8):2080-2095, 2007 ("the paper").

BM3D runs the same three moves twice:

1. **grouping** -- :func:`match_blocks` stacks the blocks that look like a reference block into a
   3-D group (a "stack of similar patches");
2. **collaborative filtering** -- :func:`transform_3d` (a 2-D transform of every block, then a 1-D Haar
   transform along the stack) makes the group sparse; step 1 shrinks it with :func:`hard_threshold`,
   step 2 with the empirical :func:`wiener` filter that uses the step-1 result as an oracle;
3. **aggregation** -- every block of every group is an estimate of its pixels; :func:`aggregate` averages
   the overlapping estimates with weights (fewer surviving coefficients = more trust) times a Kaiser window.

Step 1 (:func:`bm3d_step1`) produces the *basic estimate*; step 2 (:func:`bm3d_step2`) matches blocks again
on the basic estimate and filters the noisy image with Wiener weights.  :func:`bm3d` runs both.

Conventions: images are float arrays in [0, 1]; ``sigma`` is the noise standard deviation on the same
scale (σ = 25/255 for the classic "σ = 25").  The paper states its matching thresholds for images in
[0, 255]; the code converts them (see :func:`matching_threshold`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .validate import check_choice, check_image, check_int, check_noisy, check_positive, check_range

__all__ = [
    "StageParams", "BM3DProfile", "NORMAL", "HIGH_NOISE", "PROFILES", "bm3d_profile", "Groups",
    "dct_matrix", "bior15_matrix", "haar_matrix", "transform_matrix", "kaiser_window",
    "reference_positions", "block_distances", "prefiltered_distances", "matching_threshold", "match_blocks",
    "extract_blocks", "transform_3d", "hard_threshold", "wiener", "aggregate",
    "bm3d_step1", "bm3d_step2", "bm3d", "OPPONENT", "reference_bm3d", "REFERENCE_MIN_SIZE",
]


# ---------------------------------------------------------------------------------------------------------------------
# 1. Parameters (all from the paper, Sec. VI "Results" and its parameter table; names as in the paper)
# ---------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StageParams:
    """Parameters of one BM3D step.

    Attributes
    ----------
    block_size : int
        :math:`N_1`, the side of a square block (8 in the paper for σ ≤ 40).
    step : int
        :math:`N_{step}`, distance between neighbouring reference blocks (3).
    window : int
        :math:`N_S`, side of the square search window centred on the reference block (39).
    max_blocks : int
        :math:`N_2`, the most blocks in a group (16 in step 1, 32 in step 2); a power of two.
    tau_match : float
        :math:`\\tau_{match}`, the largest accepted block distance, in 0-255 units per pixel
        (2500 in step 1, 400 in step 2).
    transform : str
        The 2-D block transform :math:`T_{2D}`: ``"bior1.5"`` (step 1) or ``"dct"`` (step 2).
    beta : float
        :math:`\\beta` of the Kaiser window used in aggregation (2.0).
    lambda_2d : float
        :math:`\\lambda_{2D}`, hard-threshold of the 2-D spectra before matching (0 = plain distance;
        2.0 in the paper's σ > 40 profile).
    """

    block_size: int
    step: int
    window: int
    max_blocks: int
    tau_match: float
    transform: str
    beta: float = 2.0
    lambda_2d: float = 0.0


@dataclass(frozen=True)
class BM3DProfile:
    r"""Both steps' parameters and the hard threshold :math:`\lambda_{3D}` of step 1.

    Attributes
    ----------
    name : str
        ``"normal"`` (the paper's σ ≤ 40 set) or ``"high-noise"`` (its σ > 40 set).
    hard : StageParams
        Parameters of step 1 (hard thresholding).
    wiener : StageParams
        Parameters of step 2 (Wiener filtering).
    lambda_3d : float
        :math:`\lambda_{3D}`, the hard threshold of step 1 in units of σ (2.7 in the paper for σ ≤ 40).

    References
    ----------
    Dabov et al. 2007, Sec. VI (see the module docstring).
    """

    name: str
    hard: StageParams
    wiener: StageParams
    lambda_3d: float


#: The paper's parameters for σ ≤ 40 (0-255 scale), Sec. VI of Dabov et al. 2007.
NORMAL = BM3DProfile(
    name="normal",
    hard=StageParams(block_size=8, step=3, window=39, max_blocks=16, tau_match=2500.0, transform="bior1.5"),
    wiener=StageParams(block_size=8, step=3, window=39, max_blocks=32, tau_match=400.0, transform="dct"),
    lambda_3d=2.7,
)
#: The paper's parameters for σ > 40 (0-255 scale): bigger blocks, a 2-D pre-filter before matching.
HIGH_NOISE = BM3DProfile(
    name="high-noise",
    hard=StageParams(block_size=12, step=4, window=39, max_blocks=16, tau_match=5000.0, transform="dct",
                     lambda_2d=2.0),
    wiener=StageParams(block_size=11, step=6, window=39, max_blocks=32, tau_match=3500.0, transform="dct"),
    lambda_3d=2.8,
)
PROFILES = ("normal", "paper")


def bm3d_profile(sigma: float, profile: str = "normal") -> BM3DProfile:
    """Parameters for noise level ``sigma`` (0-1 scale).

    ``"normal"`` uses the paper's σ ≤ 40 parameters at every σ (what the authors' current code does);
    ``"paper"`` switches to the paper's σ > 40 profile above σ = 40/255, as the 2007 paper did.
    The lesson measures both: at σ = 50 the σ > 40 profile is the weaker one.

    Parameters
    ----------
    sigma : float
        Noise standard deviation in (0, 1] (0-1 image scale; σ = 25/255 for the classic "σ = 25").
    profile : {"normal", "paper"}
        Which parameter set to use.

    Returns
    -------
    BM3DProfile
        :data:`NORMAL` or :data:`HIGH_NOISE`.

    Raises
    ------
    TypeError
        If ``sigma`` is not a real number.
    ValueError
        If ``sigma`` is not in (0, 1] (the message suggests ``sigma/255`` for values on the 0-255 scale) or
        ``profile`` is not one of the two names.

    Examples
    --------
    >>> bm3d_profile(25 / 255).name, bm3d_profile(50 / 255, "paper").name
    ('normal', 'high-noise')
    """
    sigma = check_range(sigma, "sigma", 0.0, 1.0, lo_open=True, hint=_sigma_hint(sigma))
    check_choice(profile, "profile", PROFILES)
    return HIGH_NOISE if profile == "paper" and sigma > 40 / 255 else NORMAL


def _sigma_hint(sigma: object) -> str:
    try:
        value = float(sigma)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return f" (the image scale) — did you mean {value:g}/255 = {value / 255:.4g}?" if 1 < value <= 255 else ""


# ---------------------------------------------------------------------------------------------------------------------
# 2. Transforms, as matrices: a 2-D block transform is T @ block @ T.T, a 1-D transform along the group is H @ stack
# ---------------------------------------------------------------------------------------------------------------------
@functools.cache
def dct_matrix(n: int) -> np.ndarray:
    """Orthonormal DCT-II matrix ``D`` (n x n): ``D @ x`` is ``scipy.fft.dct(x, norm="ortho")``.

    Parameters
    ----------
    n : int
        Transform size (≥ 1), e.g. the block side :math:`N_1`.

    Returns
    -------
    ndarray, shape (n, n), float64
        Read-only (cached and shared): copy before editing.

    Examples
    --------
    >>> d = dct_matrix(8)
    >>> bool(np.allclose(d @ d.T, np.eye(8)))
    True
    """
    k, i = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    d = np.sqrt(2.0 / n) * np.cos(np.pi * (2 * i + 1) * k / (2 * n))
    d[0] /= np.sqrt(2.0)
    return _read_only(d)


#: Analysis low-pass filter of the biorthogonal spline wavelet 'bior1.5' (Cohen-Daubechies-Feauveau;
#: the same taps as ``pywt.Wavelet("bior1.5").dec_lo``).  Its high-pass is the Haar difference.
BIOR15_LOWPASS = np.array([3, -3, -22, 22, 128, 128, 22, -22, -3, 3]) * (np.sqrt(2) / 256)
BIOR15_HIGHPASS = np.array([0, 0, 0, 0, -1, 1, 0, 0, 0, 0]) / np.sqrt(2)


@functools.cache
def bior15_matrix(n: int = 8) -> np.ndarray:
    """Full periodic 'bior1.5' wavelet decomposition of n samples as an n x n matrix, rows scaled to unit norm.

    Row order is ``[approximation, coarsest detail, ..., finest details]`` like ``pywt.wavedec(x, "bior1.5",
    mode="periodization")``.  The wavelet is biorthogonal, not orthogonal: the rows are not perpendicular, so
    the inverse is ``np.linalg.inv`` rather than the transpose.  Unit-norm rows give every coefficient of
    white noise the variance σ², which is what the threshold λ·σ assumes.

    Parameters
    ----------
    n : int
        Number of samples, a power of two ≥ 2 (the block side, 8 in step 1).

    Returns
    -------
    ndarray, shape (n, n), float64
        Read-only (cached and shared).

    Raises
    ------
    ValueError
        If ``n`` is not a power of two ≥ 2.

    References
    ----------
    A. Cohen, I. Daubechies and J.-C. Feauveau, "Biorthogonal bases of compactly supported wavelets",
    Comm. Pure Appl. Math. 45(5):485-560, 1992; the taps are those of ``pywt.Wavelet("bior1.5")``.

    Examples
    --------
    >>> t = bior15_matrix(8)
    >>> t.shape, bool(np.allclose(np.linalg.norm(t, axis=1), 1.0))
    ((8, 8), True)
    """
    if n < 2 or n & (n - 1):
        raise ValueError(f"n must be a power of two ≥ 2 for the bior1.5 wavelet; got {n}")
    approx, details = np.eye(n), []
    while approx.shape[0] > 1:
        m = approx.shape[0]
        # periodic convolution + downsampling by 2: output k reads inputs 2k+5, 2k+4, ..., 2k-4 (mod m)
        taps = (2 * np.arange(m // 2)[:, None] + 5 - np.arange(10)[None, :]) % m
        low, high = np.zeros((m // 2, m)), np.zeros((m // 2, m))
        for row in range(m // 2):
            np.add.at(low[row], taps[row], BIOR15_LOWPASS)
            np.add.at(high[row], taps[row], BIOR15_HIGHPASS)
        details.insert(0, high @ approx)
        approx = low @ approx
    t = np.vstack([approx, *details])
    return _read_only(t / np.linalg.norm(t, axis=1, keepdims=True))


@functools.cache
def haar_matrix(n: int) -> np.ndarray:
    """Orthonormal Haar matrix (n x n, n a power of two): row 0 is the mean (DC), the others differences.

    Parameters
    ----------
    n : int
        Group size, a power of two ≥ 1 (1, 2, 4, ...).

    Returns
    -------
    ndarray, shape (n, n), float64
        Read-only (cached and shared).

    Raises
    ------
    ValueError
        If ``n`` is not a power of two ≥ 1.

    Examples
    --------
    >>> haar_matrix(2) * np.sqrt(2)
    array([[ 1.,  1.],
           [ 1., -1.]])
    """
    if n < 1 or n & (n - 1):
        raise ValueError(f"group size must be a power of two (1, 2, 4, ...) for the Haar transform; got {n}")
    h = np.ones((1, 1))
    while h.shape[0] < n:
        h = np.vstack([np.kron(h, [1, 1]), np.kron(np.eye(h.shape[0]), [1, -1])]) / np.sqrt(2)
    return _read_only(h)


@functools.cache
def transform_matrix(name: str, n: int) -> np.ndarray:
    """The 1-D transform matrix ``"dct"`` or ``"bior1.5"`` of size n (apply it on both sides for 2-D).

    Parameters
    ----------
    name : {"dct", "bior1.5"}
        Which transform: :func:`dct_matrix` or :func:`bior15_matrix`.
    n : int
        Transform size (a power of two ≥ 2 for ``"bior1.5"``).

    Returns
    -------
    ndarray, shape (n, n), float64
        Read-only (cached and shared).

    Raises
    ------
    ValueError
        If ``name`` is unknown, or ``n`` is not a power of two for ``"bior1.5"``.
    """
    check_choice(name, "transform", ("dct", "bior1.5"))
    return dct_matrix(n) if name == "dct" else bior15_matrix(n)


@functools.cache
def kaiser_window(n: int, beta: float = 2.0) -> np.ndarray:
    """2-D Kaiser window (outer product of ``np.kaiser(n, beta)``): aggregation trusts block centres more.

    Parameters
    ----------
    n : int
        Block side in pixels.
    beta : float
        Shape parameter β of the Kaiser window (2.0 in the paper; 0 gives a flat window).

    Returns
    -------
    ndarray, shape (n, n), float64
        Weights in (0, 1], largest at the centre; read-only (cached and shared).

    Examples
    --------
    >>> kaiser_window(8).shape
    (8, 8)
    """
    w = np.kaiser(n, beta)
    return _read_only(np.outer(w, w))


@functools.cache
def _block_transform(name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Forward and inverse 2-D transform of a flattened n x n block: kron(T, T) and its inverse (float32)."""
    t = transform_matrix(name, n)
    forward = np.kron(t, t)  # kron(T, T) @ block.ravel() == (T @ block @ T.T).ravel()
    return _read_only(forward.astype(np.float32)), _read_only(np.linalg.inv(forward).astype(np.float32))


def _read_only(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)  # cached and shared: copy before editing
    return a


# ---------------------------------------------------------------------------------------------------------------------
# 3. Grouping by block matching
# ---------------------------------------------------------------------------------------------------------------------
class Groups(NamedTuple):
    """Result of :func:`match_blocks`, one row per reference block.

    ``positions[i, :sizes[i]]`` are the top-left corners ``(y, x)`` of group ``i``, closest first (the reference
    block itself is first); ``distances`` are the mean squared differences per pixel (0-1 scale).

    Attributes
    ----------
    refs : ndarray, shape (R, 2), int
        Top-left corners ``(y, x)`` of the R reference blocks, in pixels.
    positions : ndarray, shape (R, N2, 2), int
        The N2 closest blocks of each reference block, closest first.
    distances : ndarray, shape (R, N2), float32
        Their distances to the reference block (mean squared difference per pixel, in the image's units squared).
    sizes : ndarray, shape (R,), int64
        Group sizes: how many blocks pass ``tau``, rounded down to a power of two (≥ 1).
    """

    refs: np.ndarray       # (R, 2) top-left corners of the reference blocks
    positions: np.ndarray  # (R, N2, 2) the N2 closest blocks, closest first
    distances: np.ndarray  # (R, N2) their distances to the reference block
    sizes: np.ndarray      # (R,) group sizes: how many pass tau, rounded down to a power of two


def reference_positions(length: int, block_size: int, step: int) -> np.ndarray:
    """Start of every reference block along one axis: 0, step, 2·step, … plus the last block, so borders count.

    Parameters
    ----------
    length : int
        Image height or width in pixels (≥ ``block_size``).
    block_size : int
        Block side :math:`N_1` in pixels.
    step : int
        :math:`N_{step}`, pixels between neighbouring reference blocks (≥ 1).

    Returns
    -------
    ndarray, shape (m,), int
        Increasing start indices; the last one is ``length - block_size``.

    Examples
    --------
    >>> reference_positions(11, 4, 3)
    array([0, 3, 6, 7])
    """
    starts = np.arange(0, length - block_size + 1, step)
    return starts if starts[-1] == length - block_size else np.append(starts, length - block_size)


def _box_sums(a: np.ndarray, starts: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Sums of ``size`` consecutive entries of ``a`` along ``axis`` beginning at each index in ``starts``."""
    a = np.moveaxis(a, axis, 0)
    return np.moveaxis(sum(a[starts + i] for i in range(size)), 0, axis)


def block_distances(image: np.ndarray, ys: np.ndarray, xs: np.ndarray, block_size: int, window: int) -> np.ndarray:
    r"""Distance between every reference block and every block of its search window (paper eq. 4, λ2D = 0).

    :math:`d(Z_{x_R}, Z_x) = \|Z_{x_R} - Z_x\|_2^2 / N_1^2`, for the reference blocks with top-left corners
    ``(ys[i], xs[j])`` and every displacement ``(dy, dx)`` with ``|dy|, |dx| ≤ window // 2``.

    Vectorised per vertical displacement: for one ``dy`` the squared differences for *all* ``dx`` form one
    array, and box sums over ``block_size`` rows and columns turn them into the distances of all blocks at once.

    Parameters
    ----------
    image : ndarray, shape (H, W), float
        Image to match on (any finite values; not validated here -- :func:`match_blocks` does).
    ys, xs : ndarray, shape (m,) and (n,), int
        Increasing top-left rows and columns of the reference blocks (in pixels, within the image).
    block_size : int
        Block side :math:`N_1` in pixels.
    window : int
        Side :math:`N_S` of the (odd) square search window in pixels.

    Returns
    -------
    ndarray, shape (len(ys), len(xs), window, window), float32
        ``d[i, j, dy + r, dx + r]`` with ``r = window // 2``, in the image's units squared per pixel; ``inf``
        where the displaced block would leave the image.
    """
    h, w = image.shape
    b, r = block_size, window // 2
    padded = np.pad(image, r, mode="edge")
    rows = image[ys[0] : ys[-1] + b]  # every pixel row that a reference block of this band covers
    d = np.empty((ys.size, xs.size, window, window), np.float32)
    for k, dy in enumerate(range(-r, r + 1)):
        moved = padded[ys[0] + dy + r : ys[-1] + b + dy + r]         # the same rows, displaced by dy
        candidates = sliding_window_view(moved, w, axis=1)            # (rows, window, w): every dx at once
        squared = (rows[:, None, :] - candidates) ** 2
        per_row_block = _box_sums(squared, ys - ys[0], b, axis=0)    # sum over the b rows of each block
        d[:, :, k, :] = _box_sums(per_row_block, xs, b, axis=2).transpose(0, 2, 1)  # ... and over its b columns
    d /= b * b
    return _mark_outside(d, ys, xs, h - b, w - b)


def _mark_outside(d: np.ndarray, ys: np.ndarray, xs: np.ndarray, y_max: int, x_max: int) -> np.ndarray:
    """Set the distance of displaced blocks that leave the image (corner outside [0, y_max] x [0, x_max]) to inf."""
    r = d.shape[-1] // 2
    offsets = np.arange(-r, r + 1)
    bad_y = (ys[:, None] + offsets < 0) | (ys[:, None] + offsets > y_max)  # (len(ys), window)
    bad_x = (xs[:, None] + offsets < 0) | (xs[:, None] + offsets > x_max)  # (len(xs), window)
    d[bad_y[:, None, :, None] | bad_x[None, :, None, :]] = np.inf
    return d


def prefiltered_distances(image: np.ndarray, ys: np.ndarray, xs: np.ndarray, block_size: int, window: int,
                          transform: str, threshold: float) -> np.ndarray:
    r"""Like :func:`block_distances`, but between hard-thresholded 2-D spectra (paper eq. 5, λ2D > 0).

    :math:`d = \|\Upsilon'(T_{2D}(Z_{x_R})) - \Upsilon'(T_{2D}(Z_x))\|_2^2 / N_1^2`, where :math:`\Upsilon'` zeroes
    coefficients below ``threshold`` (= λ2D·σ).  Used by the paper's σ > 40 profile: at high noise the coarse
    pre-filter keeps noise from deciding which blocks look alike.  Computed as
    :math:`\|a\|^2 + \|b\|^2 - 2\langle a, b\rangle`, with one matrix product per column of reference blocks.

    Parameters
    ----------
    image : ndarray, shape (H, W), float
        Image to match on (not validated here -- :func:`match_blocks` does).
    ys, xs : ndarray, shape (m,) and (n,), int
        Increasing top-left rows and columns of the reference blocks, in pixels.
    block_size : int
        Block side :math:`N_1` in pixels.
    window : int
        Side :math:`N_S` of the (odd) square search window in pixels.
    transform : {"dct", "bior1.5"}
        The 2-D block transform :math:`T_{2D}`.
    threshold : float
        Coefficients with magnitude below it are zeroed (λ2D·σ, image units).

    Returns
    -------
    ndarray, shape (len(ys), len(xs), window, window), float32
        Distances ≥ 0 per pixel, ``inf`` where the displaced block would leave the image.
    """
    h, w = image.shape
    b, r = block_size, window // 2
    forward, _ = _block_transform(transform, b)
    top, bottom = max(ys[0] - r, 0), min(ys[-1] + r, h - b) + 1       # block rows any candidate can start on
    blocks = sliding_window_view(image[top : bottom + b - 1], (b, b)).reshape(-1, b * b)
    spectra = blocks @ forward.T
    spectra[np.abs(spectra) < threshold] = 0.0
    spectra = spectra.reshape(bottom - top, w - b + 1, b * b)
    energy = np.einsum("yxc,yxc->yx", spectra, spectra)
    d = np.full((ys.size, xs.size, window, window), np.inf, np.float32)
    for j, x in enumerate(xs):  # one column of reference blocks at a time: one matrix product
        left, right = max(x - r, 0), min(x + r, w - b) + 1
        refs = spectra[ys - top, x]                                            # (len(ys), b*b)
        cands = spectra[:, left:right]                                         # (rows, cols, b*b)
        cross = (cands @ refs.T).transpose(2, 0, 1)                            # <a, b> for every pair
        dist = energy[ys - top, x][:, None, None] + energy[None, :, left:right] - 2 * cross
        for i, y in enumerate(ys):
            y0 = max(y - r, top)
            y1 = min(y + r, bottom - 1) + 1
            d[i, j, y0 - (y - r) : y1 - (y - r), left - (x - r) : right - (x - r)] = dist[i, y0 - top : y1 - top]
    return np.maximum(d, 0.0) / (b * b)


def matching_threshold(tau_match: float, value_range: float = 1.0) -> float:
    r"""The paper's τ_match (0-255 units, per pixel) as a threshold for :func:`match_blocks` on a 0-1 image.

    ``tau_match / 255²`` -- times ``value_range²`` where step 1 passes the value range (max - min) of the noisy
    image, as the authors' implementation does (the ``bm3d``/``bm4d`` packages multiply the threshold by it).
    Why: two noisy copies of the *same* block are already 2σ² apart on average, more than τ_match = 2500 once
    σ > 35; without the factor nearly every step-1 group shrinks to one block at σ = 50 (measured in the lesson).
    The paper instead switches to its σ > 40 profile (``profile="paper"``).  Step 2 matches on the basic
    estimate, whose noise is small: it uses the paper's threshold as it is (``value_range=1``).

    Parameters
    ----------
    tau_match : float
        :math:`\tau_{match}`, mean squared difference per pixel on the 0-255 scale (2500 in step 1, 400 in step 2).
    value_range : float
        Value range (max - min) of the image matched on, 0-1 scale; 1 keeps the paper's threshold.

    Returns
    -------
    float
        The threshold on the 0-1 scale (mean squared difference per pixel).

    Examples
    --------
    >>> round(matching_threshold(2500), 4)
    0.0384
    """
    return tau_match / 255.0**2 * value_range**2


def match_blocks(
    image: np.ndarray,
    *,
    block_size: int = 8,
    step: int = 3,
    window: int = 39,
    max_blocks: int = 16,
    tau: float = 2500 / 255**2,
    prefilter: float = 0.0,
    transform: str = "dct",
    at: tuple[int, int] | None = None,
    band: int = 8,
) -> Groups:
    """Group similar blocks: for every reference block, the ``max_blocks`` closest blocks in its search window.

    Parameters
    ----------
    image : ndarray, shape (H, W), float
        Image to match on (the noisy image in step 1, the basic estimate in step 2).  Need not be in [0, 1].
    block_size, step, window, max_blocks : int
        :math:`N_1, N_{step}, N_S, N_2` of the paper, in pixels (``max_blocks`` in blocks).  ``block_size`` is
        at most ``min(H, W)``, ``window`` must be odd, ``max_blocks`` a power of two.
    tau : float
        Largest accepted distance (mean squared difference per pixel, in the image's own units): a group holds
        the blocks with ``distance ≤ tau``, rounded down to a power of two (the Haar transform needs it).  The
        reference block (distance 0) always belongs to its group; ``np.inf`` always gives ``max_blocks``.
    prefilter : float
        If > 0, compare hard-thresholded 2-D spectra (threshold ``prefilter`` = λ2D·σ) with ``transform``.
    transform : {"dct", "bior1.5"}
        The 2-D transform used by the pre-filter.
    at : (int, int), optional
        Match only the reference block with this top-left corner (instead of the grid every ``step`` pixels).
    band : int
        Rows of reference blocks processed together (memory vs. speed; does not change the result).

    Returns
    -------
    Groups
        One row per reference block (see :class:`Groups`).

    Raises
    ------
    TypeError
        If ``image`` is not a float array, or a size argument is not an integer or ``tau`` not a number.
    ValueError
        If ``image`` is not 2-D or holds NaN/inf, ``block_size`` exceeds the image, ``window`` is even,
        ``max_blocks`` is not a power of two, ``tau < 0``, or ``at`` lies outside the image.

    References
    ----------
    Dabov et al. 2007, Sec. III-A, eq. 4-5 (see the module docstring).

    Examples
    --------
    >>> image = np.random.default_rng(0).random((16, 16), dtype=np.float32)
    >>> groups = match_blocks(image, block_size=4, window=7, max_blocks=4, at=(6, 6))
    >>> groups.positions[0, 0].tolist(), int(groups.sizes[0])   # the reference block comes first
    ([6, 6], 1)
    """
    image = check_image(image, "image", ndim=(2,), min_size=1, value_range=None)
    block_size = check_int(block_size, "block_size", 1, min(image.shape))
    step = check_int(step, "step", 1)
    window = check_int(window, "window", 1)
    if window % 2 == 0:
        raise ValueError(f"window must be odd (a square centred on the reference block); got {window}")
    max_blocks = check_int(max_blocks, "max_blocks", 1)
    if max_blocks & (max_blocks - 1):
        raise ValueError(f"max_blocks must be a power of two (1, 2, 4, ...); got {max_blocks}")
    tau = np.inf if tau == np.inf else check_range(tau, "tau", 0.0, np.inf)  # inf: no threshold, groups of N2
    max_blocks = min(max_blocks, window * window)
    if at is None:
        ys = reference_positions(image.shape[0], block_size, step)
        xs = reference_positions(image.shape[1], block_size, step)
    else:
        ys = np.array([check_int(at[0], "at[0] (block row)", 0, image.shape[0] - block_size)])
        xs = np.array([check_int(at[1], "at[1] (block column)", 0, image.shape[1] - block_size)])
    r = window // 2
    positions, distances = [], []
    for start in range(0, ys.size, band):
        yb = ys[start : start + band]
        if prefilter > 0:
            d = prefiltered_distances(image, yb, xs, block_size, window, transform, prefilter)
        else:
            d = block_distances(image, yb, xs, block_size, window)
        d[:, :, r, r] = -1.0  # the reference block comes first, even if another block is identical to it
        d = d.reshape(yb.size * xs.size, window * window)
        best = np.argpartition(d, max_blocks - 1, axis=1)[:, :max_blocks]        # the N2 smallest, unordered
        best = np.take_along_axis(best, np.argsort(np.take_along_axis(d, best, 1), axis=1, kind="stable"), 1)
        dy, dx = np.divmod(best, window)
        corner = np.stack(np.meshgrid(yb, xs, indexing="ij"), axis=-1).reshape(-1, 1, 2)
        positions.append(corner + np.stack([dy - r, dx - r], axis=-1))
        distances.append(np.maximum(np.take_along_axis(d, best, 1), 0.0))
    positions, distances = np.concatenate(positions), np.concatenate(distances)
    count = np.maximum(((distances <= tau) & np.isfinite(distances)).sum(axis=1), 1)  # inf: outside the image
    sizes = 2 ** np.floor(np.log2(count)).astype(np.int64)
    return Groups(positions[:, 0], positions, distances, sizes)


# ---------------------------------------------------------------------------------------------------------------------
# 4. Collaborative filtering of a batch of groups: shape (n, k, b, b) = n groups of k blocks of b x b pixels
# ---------------------------------------------------------------------------------------------------------------------
def extract_blocks(image: np.ndarray, positions: np.ndarray, block_size: int) -> np.ndarray:
    """Copy the ``block_size`` x ``block_size`` blocks whose top-left corners are ``positions`` (..., 2).

    Parameters
    ----------
    image : ndarray, shape (H, W)
        Image to read from.
    positions : ndarray, shape (..., 2), int
        Top-left corners ``(y, x)`` in pixels; each block must lie inside the image.
    block_size : int
        Block side in pixels.

    Returns
    -------
    ndarray, shape (..., block_size, block_size)
        The blocks, same dtype as ``image``.

    Examples
    --------
    >>> extract_blocks(np.arange(16.0).reshape(4, 4), np.array([[1, 2]]), 2)
    array([[[ 6.,  7.],
            [10., 11.]]])
    """
    windows = sliding_window_view(image, (block_size, block_size))
    return windows[positions[..., 0], positions[..., 1]]


def transform_3d(groups: np.ndarray, transform: str = "bior1.5", *, inverse: bool = False) -> np.ndarray:
    r"""3-D transform of groups: the 2-D ``transform`` of every block, then a 1-D Haar transform along each group.

    :math:`\mathcal T_{3D}(G) = H_k \cdot [\,T\,B_1\,T^\top, \dots, T\,B_k\,T^\top]` for a group of k blocks
    (k a power of two).  With ``inverse=True`` the inverse transform of spectra of the same shape.

    Parameters
    ----------
    groups : ndarray, shape (n, k, b, b)
        n groups of k square blocks (or spectra, for the inverse); k a power of two, b a power of two for
        ``"bior1.5"``.
    transform : {"bior1.5", "dct"}
        The 2-D block transform (step 1 uses bior1.5, step 2 the DCT).
    inverse : bool
        Apply the inverse transform instead.

    Returns
    -------
    ndarray, shape (n, k, b, b), float32
        Spectra (or, with ``inverse=True``, blocks).

    Raises
    ------
    ValueError
        If ``groups`` is not a 4-D array of square blocks, ``k`` is not a power of two, ``b`` is not a power of
        two for ``"bior1.5"``, or ``transform`` is unknown.

    Examples
    --------
    >>> groups = np.random.default_rng(0).random((2, 4, 8, 8), dtype=np.float32)
    >>> back = transform_3d(transform_3d(groups), inverse=True)
    >>> bool(np.allclose(back, groups, atol=1e-5))
    True
    """
    if not isinstance(groups, np.ndarray) or groups.ndim != 4 or groups.shape[2] != groups.shape[3]:
        shape = getattr(groups, "shape", type(groups).__name__)
        raise ValueError(f"groups must be an array of shape (n, k, b, b): n groups of k square blocks; got {shape}")
    n, k, b, _ = groups.shape
    haar = haar_matrix(k).astype(np.float32)
    forward, backward = _block_transform(transform, b)
    flat = groups.reshape(n, k, b * b).astype(np.float32)
    if not inverse:
        return (haar @ (flat @ forward.T)).reshape(n, k, b, b)   # 2-D transform of each block, then Haar
    return ((haar.T @ flat) @ backward.T).reshape(n, k, b, b)     # inverse Haar, then inverse 2-D transform


def hard_threshold(spectra: np.ndarray, threshold: float, *, keep_dc: bool = True) -> tuple[np.ndarray, np.ndarray]:
    r"""Zero the 3-D coefficients with :math:`|c| \le` ``threshold`` (= λ3D·σ); by default keep each group's DC term.

    Dabov et al. (2007) threshold every coefficient, the DC included, and so does Lebrun's IPOL implementation
    (2012). Keeping the DC whatever its size is **this course's choice** (``keep_dc=True``): the DC of a group is
    its mean brightness, and zeroing it in a dark, flat region pulls the estimate towards black. Lesson 03 and
    ``benchmarks/bm3d_dc.py`` measure what the choice changes on the test photos; ``keep_dc=False`` is the paper's
    rule.

    Parameters
    ----------
    spectra : ndarray, shape (n, k, b, b), float
        3-D spectra of n groups (from :func:`transform_3d`).
    threshold : float
        Threshold ≥ 0 in image units (λ3D·σ, 0-1 scale).
    keep_dc : bool
        Keep the DC ``spectra[:, 0, 0, 0]`` whatever its size (the course's default); False thresholds it too.

    Returns
    -------
    thresholded : ndarray, same shape and dtype as ``spectra``
        The spectra with the small coefficients zeroed.
    n_kept : ndarray, shape (n,), int
        :math:`N_{har}`, the number of coefficients kept per group (≥ 1), for the aggregation weight.

    Raises
    ------
    TypeError
        If ``threshold`` is not a real number.
    ValueError
        If ``threshold`` is negative or not finite.

    References
    ----------
    Dabov et al. 2007, eq. 6 and 10 (see the module docstring); M. Lebrun, An analysis and implementation of
    the BM3D image denoising method, IPOL 2:175-213, 2012.
    """
    threshold = check_range(threshold, "threshold", 0.0, np.inf)
    keep = np.abs(spectra) > threshold
    if keep_dc:
        keep[:, 0, 0, 0] = True  # DC of the 3-D spectrum
    return np.where(keep, spectra, 0).astype(spectra.dtype), np.maximum(keep.sum(axis=(1, 2, 3)), 1)


def wiener(noisy_spectra: np.ndarray, pilot_spectra: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    r"""Empirical Wiener shrinkage of noisy group spectra, with the basic estimate's spectra as the oracle.

    :math:`W = \frac{|\mathcal T_{3D}(\hat Y^{basic})|^2}{|\mathcal T_{3D}(\hat Y^{basic})|^2 + \sigma^2}`,
    filtered spectrum :math:`W \cdot \mathcal T_{3D}(Z)` (paper eq. 8).

    Parameters
    ----------
    noisy_spectra : ndarray, shape (n, k, b, b), float
        3-D spectra of the noisy groups.
    pilot_spectra : ndarray, same shape
        3-D spectra of the same groups in the basic estimate (the oracle).
    sigma : float
        Noise standard deviation (> 0, 0-1 scale).

    Returns
    -------
    filtered : ndarray, same shape as ``noisy_spectra``
        ``W * noisy_spectra``.
    shrinkage : ndarray, same shape, float32
        The coefficients ``W`` in [0, 1], for the aggregation weight :math:`1 / (\sigma^2 \|W\|_2^2)`.

    Raises
    ------
    TypeError
        If ``sigma`` is not a real number.
    ValueError
        If ``sigma`` ≤ 0 or not finite, or the two spectra differ in shape.

    References
    ----------
    Dabov et al. 2007, eq. 8 (see the module docstring).
    """
    sigma = check_positive(sigma, "sigma")
    if noisy_spectra.shape != pilot_spectra.shape:
        raise ValueError(f"noisy_spectra and pilot_spectra must have the same shape; "
                         f"got {noisy_spectra.shape} and {pilot_spectra.shape}")
    energy = pilot_spectra.astype(np.float32) ** 2
    shrinkage = energy / (energy + np.float32(sigma) ** 2)
    return shrinkage * noisy_spectra, shrinkage


def aggregate(numerator: np.ndarray, denominator: np.ndarray, estimates: np.ndarray, positions: np.ndarray,
              weights: np.ndarray, window: np.ndarray) -> None:
    r"""Add weighted block estimates to the running sums (in place): final image = numerator / denominator.

    Pixel :math:`x` receives :math:`\sum w_g\, K(x - x_m)\, \hat Y_m(x)` over every block ``m`` of every group
    ``g`` that covers it, and the denominator the same sum without :math:`\hat Y_m` (paper eq. 9-12, with the
    Kaiser window ``K``).

    Parameters
    ----------
    numerator, denominator : ndarray, shape (H, W), float64
        Running sums, updated in place.
    estimates : ndarray, shape (n, k, b, b)
        Filtered blocks of n groups of k blocks.
    positions : ndarray, shape (n, k, 2), int
        Their top-left corners ``(y, x)`` in pixels.
    weights : ndarray, shape (n,)
        One weight per group (> 0).
    window : ndarray, shape (b, b)
        Kaiser window (:func:`kaiser_window`).

    Raises
    ------
    ValueError
        If ``positions``, ``weights`` or ``window`` do not match the shape of ``estimates``.

    References
    ----------
    Dabov et al. 2007, eq. 9-12 (see the module docstring).
    """
    h, w = numerator.shape
    n, k, b, _ = estimates.shape
    if positions.shape != (n, k, 2) or weights.shape != (n,) or window.shape != (b, b):
        raise ValueError(f"aggregate expects positions (n, k, 2), weights (n,), window (b, b) for estimates "
                         f"{estimates.shape}; got {positions.shape}, {weights.shape}, {window.shape}")
    pixel = (positions[..., 0] * w + positions[..., 1])[..., None] + (np.arange(b)[:, None] * w + np.arange(b)).ravel()
    block_weight = weights[:, None, None] * window.reshape(1, 1, b * b)            # (n, 1, b*b)
    values = block_weight * estimates.reshape(n, k, b * b)
    numerator += np.bincount(pixel.ravel(), values.ravel(), minlength=h * w).reshape(h, w)
    denominator += np.bincount(pixel.ravel(), np.broadcast_to(block_weight, values.shape).ravel(),
                               minlength=h * w).reshape(h, w)


def _batches(groups: Groups, max_blocks: int = 16384) -> Iterator[np.ndarray]:
    """Positions (n, k, 2) of groups that have the same size k, about ``max_blocks`` blocks per batch."""
    for k in np.unique(groups.sizes):
        index = np.flatnonzero(groups.sizes == k)
        per_batch = max(1, max_blocks // int(k))
        for start in range(0, index.size, per_batch):
            yield groups.positions[index[start : start + per_batch], :k]


# ---------------------------------------------------------------------------------------------------------------------
# 5. The two steps and the whole algorithm
# ---------------------------------------------------------------------------------------------------------------------
def bm3d_step1(noisy: np.ndarray, sigma: float, params: StageParams = NORMAL.hard, lambda_3d: float = 2.7,
               groups: Groups | None = None) -> np.ndarray:
    r"""Step 1, the basic estimate: match on the noisy image, hard-threshold groups, aggregate.

    Each group :math:`Z_g` becomes :math:`\hat Y_g = \mathcal T_{3D}^{-1}(\Upsilon(\mathcal T_{3D}(Z_g)))`,
    :math:`\Upsilon` = :func:`hard_threshold` at :math:`\lambda_{3D}\sigma`, with weight
    :math:`w_g = 1 / (\sigma^2 N_{har})` (paper eq. 6-10).

    Parameters
    ----------
    noisy : ndarray, shape (H, W), float
        Noisy grayscale image (0-1 scale plus noise, not clipped), at least ``params.block_size`` pixels a side.
    sigma : float
        Noise standard deviation in (0, 1] (0-1 scale).
    params : StageParams
        Step-1 parameters (default: the paper's σ ≤ 40 set).
    lambda_3d : float
        Hard threshold in units of σ (2.7 in the paper).
    groups : Groups, optional
        Reuse this block matching (CBM3D matches once on the luminance); default: match on ``noisy``.

    Returns
    -------
    ndarray, shape (H, W), float32
        The basic estimate.

    Raises
    ------
    TypeError
        If ``noisy`` is not a float array or ``sigma`` is not a number.
    ValueError
        If ``noisy`` is not 2-D, is smaller than a block, holds NaN/inf or leaves [0, 1] by more than
        0.5 + 10 σ (:func:`course_lib.validate.check_noisy`), or ``sigma`` is not in (0, 1].

    References
    ----------
    Dabov et al. 2007, Sec. III and eq. 6-10 (see the module docstring).
    """
    noisy, sigma = _check_step_inputs(noisy, sigma, params)
    if groups is None:
        groups = match_blocks(noisy, block_size=params.block_size, step=params.step, window=params.window,
                              max_blocks=params.max_blocks, tau=matching_threshold(params.tau_match, np.ptp(noisy)),
                              prefilter=params.lambda_2d * sigma, transform=params.transform)
    numerator, denominator = np.zeros(noisy.shape), np.zeros(noisy.shape)
    kaiser = kaiser_window(params.block_size, params.beta)
    for positions in _batches(groups):
        spectra = transform_3d(extract_blocks(noisy, positions, params.block_size), params.transform)
        thresholded, n_kept = hard_threshold(spectra, lambda_3d * sigma)
        estimates = transform_3d(thresholded, params.transform, inverse=True)
        aggregate(numerator, denominator, estimates, positions, 1.0 / (sigma**2 * n_kept), kaiser)
    return (numerator / denominator).astype(np.float32)


def bm3d_step2(noisy: np.ndarray, basic: np.ndarray, sigma: float, params: StageParams = NORMAL.wiener,
               groups: Groups | None = None) -> np.ndarray:
    r"""Step 2, the final estimate: match on the basic estimate, Wiener-filter the noisy groups, aggregate.

    Blocks are grouped by their similarity in ``basic`` (less noisy, so better matches); the *noisy* group is
    shrunk with :func:`wiener` using the basic group's spectrum as the oracle, weight
    :math:`w_g = 1 / (\sigma^2 \|W_g\|_2^2)` (paper eq. 11-12).

    Parameters
    ----------
    noisy : ndarray, shape (H, W), float
        Noisy grayscale image (0-1 scale plus noise, not clipped).
    basic : ndarray, shape (H, W), float
        The basic estimate of step 1.
    sigma : float
        Noise standard deviation in (0, 1] (0-1 scale).
    params : StageParams
        Step-2 parameters (default: the paper's).
    groups : Groups, optional
        Reuse this block matching; default: match on ``basic``.

    Returns
    -------
    ndarray, shape (H, W), float32
        The final estimate.

    Raises
    ------
    TypeError
        If ``noisy`` or ``basic`` is not a float array, or ``sigma`` is not a number.
    ValueError
        If an image is not 2-D, is smaller than a block, holds NaN/inf or leaves [0, 1] by more than 0.5 + 10 σ
        (:func:`course_lib.validate.check_noisy`), ``basic`` and ``noisy`` differ in shape, or ``sigma`` is not in
        (0, 1].

    References
    ----------
    Dabov et al. 2007, Sec. III and eq. 8, 11-12 (see the module docstring).
    """
    noisy, sigma = _check_step_inputs(noisy, sigma, params)
    basic = check_noisy(basic, "basic", sigma, ndim=(2,))
    if basic.shape != noisy.shape:
        raise ValueError(f"basic must have the shape of noisy {noisy.shape}; got {basic.shape}")
    if groups is None:
        groups = match_blocks(basic, block_size=params.block_size, step=params.step, window=params.window,
                              max_blocks=params.max_blocks, tau=matching_threshold(params.tau_match))
    numerator, denominator = np.zeros(noisy.shape), np.zeros(noisy.shape)
    kaiser = kaiser_window(params.block_size, params.beta)
    for positions in _batches(groups):
        noisy_spectra = transform_3d(extract_blocks(noisy, positions, params.block_size), params.transform)
        pilot_spectra = transform_3d(extract_blocks(basic, positions, params.block_size), params.transform)
        filtered, shrinkage = wiener(noisy_spectra, pilot_spectra, sigma)
        estimates = transform_3d(filtered, params.transform, inverse=True)
        weights = 1.0 / (sigma**2 * np.maximum((shrinkage**2).sum(axis=(1, 2, 3)), 1e-12))
        aggregate(numerator, denominator, estimates, positions, weights, kaiser)
    return (numerator / denominator).astype(np.float32)


def _check_step_inputs(noisy: object, sigma: object, params: StageParams) -> tuple[np.ndarray, float]:
    sigma = check_range(sigma, "sigma", 0.0, 1.0, lo_open=True, hint=_sigma_hint(sigma))
    return check_noisy(noisy, "noisy", sigma, ndim=(2,), min_size=params.block_size), sigma


#: Opponent colour transform of CBM3D (rows: luminance, two chrominances), as in the authors' code.
OPPONENT = np.array([[1 / 3, 1 / 3, 1 / 3], [1 / 2, 0, -1 / 2], [1 / 4, -1 / 2, 1 / 4]])


def bm3d(noisy: np.ndarray, sigma: float, *, stage: str = "both", profile: str = "normal",
         lambda_3d: float | None = None) -> np.ndarray:
    """Denoise an image with additive white Gaussian noise of standard deviation ``sigma`` (both on the 0-1 scale).

    Parameters
    ----------
    noisy : ndarray, shape (H, W) or (H, W, 3), float
        Noisy image, not clipped (values slightly outside [0, 1] are expected); each side at least the block size
        (8 pixels, 12 with the ``"paper"`` profile above σ = 40/255).
    sigma : float
        Noise standard deviation in (0, 1]: σ = 25/255 for the classic "σ = 25".
    stage : {"both", "hard"}
        ``"hard"`` returns the basic estimate of step 1 only.
    profile : {"normal", "paper"}
        Parameter set, see :func:`bm3d_profile`.
    lambda_3d : float, optional
        Override the hard threshold λ3D of step 1 (2.7 in the paper), > 0.

    Returns
    -------
    ndarray, float32, same shape as ``noisy``
        Colour images are denoised as in CBM3D (Dabov et al., ICIP 2007): opponent colour space, block matching
        on the luminance only, the same groups for the two chrominance channels.

    Raises
    ------
    TypeError
        If ``noisy`` is not a float array (uint8 included: divide by 255 first), or ``sigma``/``lambda_3d`` is
        not a number.
    ValueError
        If ``sigma`` is not in (0, 1] (values on the 0-255 scale get a hint), ``stage``/``profile`` is unknown,
        ``lambda_3d`` ≤ 0, ``noisy`` has the wrong shape, is smaller than a block, holds NaN/inf, or its values
        leave [0, 1] by more than 0.5 + 10 σ (:func:`course_lib.validate.check_noisy`; values on the 0-255 scale
        get a hint).

    References
    ----------
    K. Dabov, A. Foi, V. Katkovnik and K. Egiazarian, "Image denoising by sparse 3-D transform-domain
    collaborative filtering", IEEE Trans. Image Processing 16(8):2080-2095, 2007; "Color image denoising via
    sparse 3D collaborative filtering with grouping constraint in luminance-chrominance space", ICIP 2007.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> clean = np.tile(np.linspace(0, 1, 32, dtype=np.float32), (32, 1))
    >>> noisy = clean + rng.normal(0, 25 / 255, clean.shape).astype(np.float32)
    >>> denoised = bm3d(noisy, 25 / 255)
    >>> denoised.shape, denoised.dtype
    ((32, 32), dtype('float32'))
    >>> bool(np.abs(denoised - clean).mean() < np.abs(noisy - clean).mean() / 2)
    True
    """
    sigma = check_range(sigma, "sigma", 0.0, 1.0, lo_open=True, hint=_sigma_hint(sigma))
    stage = check_choice(stage, "stage", ("both", "hard"))
    prof = bm3d_profile(sigma, profile)
    lambda_3d = prof.lambda_3d if lambda_3d is None else check_positive(lambda_3d, "lambda_3d")
    size = max(prof.hard.block_size, prof.wiener.block_size)
    noisy = check_noisy(noisy, "noisy", sigma, min_size=size)
    if noisy.ndim == 2:
        basic = bm3d_step1(noisy, sigma, prof.hard, lambda_3d)
        return basic if stage == "hard" else bm3d_step2(noisy, basic, sigma, prof.wiener)
    return _cbm3d(noisy, sigma, prof, lambda_3d, stage)


def _cbm3d(noisy: np.ndarray, sigma: float, prof: BM3DProfile, lambda_3d: float, stage: str) -> np.ndarray:
    """Colour BM3D: opponent colour space, matching on the luminance, same groups for every channel."""
    channels = noisy @ OPPONENT.T.astype(np.float32)
    sigmas = sigma * np.linalg.norm(OPPONENT, axis=1)  # noise std of each opponent channel
    p1, p2 = prof.hard, prof.wiener
    luma = channels[..., 0]
    g1 = match_blocks(luma, block_size=p1.block_size, step=p1.step, window=p1.window, max_blocks=p1.max_blocks,
                      tau=matching_threshold(p1.tau_match, np.ptp(luma)), prefilter=p1.lambda_2d * sigmas[0],
                      transform=p1.transform)
    basic = np.stack([bm3d_step1(channels[..., c], sigmas[c], p1, lambda_3d, groups=g1) for c in range(3)], -1)
    if stage == "both":
        g2 = match_blocks(basic[..., 0], block_size=p2.block_size, step=p2.step, window=p2.window,
                          max_blocks=p2.max_blocks, tau=matching_threshold(p2.tau_match))
        basic = np.stack([bm3d_step2(channels[..., c], basic[..., c], sigmas[c], p2, groups=g2) for c in range(3)], -1)
    return (basic @ np.linalg.inv(OPPONENT).T).astype(np.float32)


#: Smallest side the reference ``bm3d`` package accepts (its block size); exactly 8x8 crashes it (segfault).
REFERENCE_MIN_SIZE = 8


def reference_bm3d(noisy: np.ndarray, sigma: float) -> np.ndarray:
    """The reference ``bm3d`` package (Mäkinen, Azzari & Foi, 2020) on a grayscale image, made safe to call.

    The compiled package raises an unhelpful error below 8x8 pixels and *kills the Python process*
    (segmentation fault, bm3d 4.0) on an image of exactly 8x8.  This wrapper checks the input first
    (:func:`course_lib.validate.check_noisy`: at least 8x8, finite, on the 0-1 scale) and denoises an 8x8
    image as 9x8 (one mirrored row added, then cut off again).

    Parameters
    ----------
    noisy : ndarray, shape (H, W), float, H, W >= 8
        Noisy image on the 0-1 scale (not clipped).
    sigma : float
        Noise standard deviation in (0, 1] (0-1 scale).

    Returns
    -------
    ndarray, shape (H, W), float32

    Raises
    ------
    TypeError
        If ``noisy`` is not a float array or ``sigma`` is not a number.
    ValueError
        If ``noisy`` is not 2-D, is smaller than 8x8, holds NaN/inf or leaves [0, 1] by more than 0.5 + 10 σ,
        or ``sigma`` is not in (0, 1].

    References
    ----------
    Y. Mäkinen, L. Azzari and A. Foi, "Collaborative filtering of correlated noise: exact transform-domain
    variance for improved shrinkage and patch matching", IEEE Trans. Image Processing 29:8339-8354, 2020
    (the ``bm3d`` package on PyPI).
    """
    import bm3d as reference

    sigma = check_range(sigma, "sigma", 0.0, 1.0, lo_open=True, hint=_sigma_hint(sigma))
    noisy = check_noisy(noisy, "noisy", sigma, ndim=(2,), min_size=REFERENCE_MIN_SIZE)
    h, w = noisy.shape
    padded = np.pad(noisy, ((0, 1), (0, 0)), mode="reflect") if (h, w) == (8, 8) else noisy
    return np.asarray(reference.bm3d(padded.astype(np.float64), sigma_psd=sigma), dtype=np.float32)[:h, :w]
