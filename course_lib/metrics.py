"""Image-quality metrics: MSE, PSNR and SSIM (thin, validated wrappers over scikit-image), and
metrics of generated *distributions* over feature arrays: KID (×10³, standardised features), precision/recall
and density/coverage, FID and class coverage (pure numpy/scipy).

Conventions: ``reference`` is the clean image, ``estimate`` the restored or degraded one.
PSNR uses ``data_range=1`` on the estimate clipped to [0, 1] (a restored pixel outside
[0, 1] can never be displayed, so it is clipped before scoring).
"""

from __future__ import annotations

import numpy as np

from .validate import check_image, check_int, check_mask, check_noisy

__all__ = ["mse", "psnr", "ssim", "softmax", "mmd2_unbiased", "reference_stats", "KID_SCALE", "kid",
           "precision_recall", "fid", "class_coverage"]


def _pair(reference: np.ndarray, estimate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    reference = check_image(reference, "reference")
    estimate = check_noisy(estimate, "estimate")  # any finite values on the 0-1 scale (clipped below)
    if reference.shape != estimate.shape:
        raise ValueError(f"reference and estimate must have the same shape; got {reference.shape} and {estimate.shape}")
    return reference.astype(np.float64), np.clip(estimate, 0.0, 1.0).astype(np.float64)


def mse(reference: np.ndarray, estimate: np.ndarray) -> float:
    r"""Mean squared error :math:`\frac1N\sum_i (x_i - \hat x_i)^2` after clipping the estimate to [0, 1].

    Parameters
    ----------
    reference : ndarray, shape (H, W) or (H, W, 3), float
        Clean image in [0, 1].
    estimate : ndarray, same shape as ``reference``, float
        Restored or degraded image, any finite values (clipped to [0, 1] before scoring).

    Returns
    -------
    float
        MSE in [0, 1] (0-1 intensity units squared).

    Raises
    ------
    TypeError
        If an image is not a float numpy array (uint8 included: use :func:`course_lib.data.as_float`).
    ValueError
        If an image has the wrong number of dimensions or holds NaN/inf, ``reference`` leaves [0, 1], or the two
        shapes differ.

    Examples
    --------
    >>> mse(np.zeros((4, 4), np.float32), np.full((4, 4), 0.1, np.float32))
    0.010000000298023226
    """
    reference, estimate = _pair(reference, estimate)
    return float(np.mean((reference - estimate) ** 2))


def psnr(reference: np.ndarray, estimate: np.ndarray, mask: np.ndarray | None = None) -> float:
    r"""Peak signal-to-noise ratio in dB, :math:`10\log_{10}(1 / \mathrm{MSE})` for images in [0, 1].

    Computed by ``skimage.metrics.peak_signal_noise_ratio`` with ``data_range=1`` on the clipped estimate
    (inside ``mask`` only, when one is given).

    Parameters
    ----------
    reference : ndarray, shape (H, W) or (H, W, 3), float
        Clean image in [0, 1].
    estimate : ndarray, same shape as ``reference``, float
        Restored or degraded image, any finite values (clipped to [0, 1] before scoring).
    mask : ndarray of bool, shape (H, W), optional
        Score only the pixels where ``mask`` is True (e.g. the holes of an inpainting task; every channel of a
        colour pixel); ``None`` scores the whole image.

    Returns
    -------
    float
        PSNR in dB; ``inf`` for identical images.

    Raises
    ------
    TypeError
        If an image is not a float numpy array (uint8 included: use :func:`course_lib.data.as_float`), or ``mask``
        is not a boolean array.
    ValueError
        If an image has the wrong number of dimensions or holds NaN/inf, ``reference`` leaves [0, 1], the two
        shapes differ, or ``mask`` does not match their height and width or selects no pixel.

    Examples
    --------
    >>> round(psnr(np.zeros((4, 4), np.float32), np.full((4, 4), 0.1, np.float32)), 2)   # MSE 0.01
    20.0
    >>> holes = np.zeros((4, 4), bool); holes[0] = True
    >>> round(psnr(np.zeros((4, 4), np.float32), np.where(holes, 0.1, 0).astype(np.float32), mask=holes), 2)
    20.0
    """
    from skimage.metrics import peak_signal_noise_ratio

    reference, estimate = _pair(reference, estimate)
    if mask is not None:
        mask = check_mask(mask, reference.shape)
        if not mask.any():
            raise ValueError("mask must select at least one pixel (True = scored); got an all-False mask")
        reference, estimate = reference[mask], estimate[mask]
    if np.array_equal(reference, estimate):
        return float("inf")
    return float(peak_signal_noise_ratio(reference, estimate, data_range=1.0))


def ssim(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Structural similarity (Wang et al. 2004) as in ``skimage.metrics.structural_similarity``.

    Uses a 7x7 uniform window (skimage's default) and ``data_range=1``; colour images are
    scored per channel and averaged.  Images must be at least 7x7.

    Parameters
    ----------
    reference : ndarray, shape (H, W) or (H, W, 3), float
        Clean image in [0, 1].
    estimate : ndarray, same shape as ``reference``, float
        Restored or degraded image, any finite values (clipped to [0, 1] before scoring).

    Returns
    -------
    float
        SSIM in [-1, 1] (1 for identical images).

    Raises
    ------
    TypeError
        If an image is not a float numpy array (uint8 included: use :func:`course_lib.data.as_float`).
    ValueError
        If an image has the wrong number of dimensions or holds NaN/inf, ``reference`` leaves [0, 1], or the two
        shapes differ.
        Also if the images are smaller than 7x7.

    References
    ----------
    Z. Wang, A. C. Bovik, H. R. Sheikh and E. P. Simoncelli, "Image quality assessment: from error visibility to
    structural similarity", IEEE Trans. Image Processing 13(4):600-612, 2004.

    Examples
    --------
    >>> image = np.random.default_rng(0).random((16, 16), dtype=np.float32)
    >>> ssim(image, image)
    1.0
    """
    from skimage.metrics import structural_similarity

    reference, estimate = _pair(reference, estimate)
    if min(reference.shape[:2]) < 7:
        raise ValueError(f"ssim needs images of at least 7x7 pixels; got shape {reference.shape}")
    channel_axis = -1 if reference.ndim == 3 else None
    return float(structural_similarity(reference, estimate, data_range=1.0, channel_axis=channel_axis))


# --- distribution metrics over feature arrays (generation lessons) ----------------------------------------------


def _features(features: object, name: str) -> np.ndarray:
    if not isinstance(features, np.ndarray):
        raise TypeError(f"{name} must be a numpy array of shape (N, d); got {type(features).__name__}")
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"{name} must have shape (N, d) with N >= 2 feature vectors; got shape {features.shape}")
    if not np.all(np.isfinite(features)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return features.astype(np.float64)


def _feature_pair(a: object, b: object) -> tuple[np.ndarray, np.ndarray]:
    a, b = _features(a, "features_a"), _features(b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"features_a and features_b must have the same dimension d; got {a.shape[1]} and {b.shape[1]}")
    return a, b


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``(N, K)`` logits, computed stably (the maximum is subtracted first).

    Parameters
    ----------
    logits : array_like, shape (..., K), float
        Unnormalised log-probabilities (any finite values).

    Returns
    -------
    ndarray, same shape as ``logits``, float64
        Probabilities in [0, 1]; each row sums to 1.

    Examples
    --------
    >>> softmax(np.array([[0.0, np.log(3.0)]]))
    array([[0.25, 0.75]])
    """
    logits = np.asarray(logits, dtype=np.float64)
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    r"""Unbiased squared MMD with the cubic polynomial kernel :math:`k(a, b) = (a \cdot b / d + 1)^3`.

    .. math:: \widehat{\mathrm{MMD}}^2 = \frac{\sum_{i \ne j} k(x_i, x_j)}{m(m-1)}
              + \frac{\sum_{i \ne j} k(y_i, y_j)}{n(n-1)} - \frac{2}{mn}\sum_{i, j} k(x_i, y_j)

    Diagonal terms :math:`k(x_i, x_i)` are left out, which removes the bias: the estimate is 0 on average
    when both samples come from the same distribution, and can be slightly negative.

    Parameters
    ----------
    x : ndarray, shape (m, d), float
        First feature set, m ≥ 2 finite vectors.
    y : ndarray, shape (n, d), float
        Second feature set, n ≥ 2 finite vectors of the same dimension.

    Returns
    -------
    float
        The estimate (feature units to the sixth power; may be slightly negative).

    Raises
    ------
    TypeError
        If a feature set is not a numpy array.
    ValueError
        If a feature set is not (N, d) with N ≥ 2, holds NaN/inf, or the two dimensions d differ.

    References
    ----------
    A. Gretton, K. M. Borgwardt, M. J. Rasch, B. Schölkopf and A. Smola, "A kernel two-sample test", JMLR
    13:723-773, 2012 (unbiased estimator, Lemma 6); the kernel of Bińkowski et al., ICLR 2018.

    Examples
    --------
    >>> a = np.random.default_rng(0).normal(size=(200, 4))
    >>> b = np.random.default_rng(1).normal(size=(200, 4))
    >>> bool(abs(mmd2_unbiased(a, b)) < mmd2_unbiased(a, b + 1))
    True
    """
    x, y = _feature_pair(x, y)
    d, m, n = x.shape[1], len(x), len(y)

    def cubic(a, b):
        k = a @ b.T / d + 1
        return k * k * k  # 5x faster than k ** 3

    k_xx, k_yy, k_xy = cubic(x, x), cubic(y, y), cubic(x, y)
    within_x = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    within_y = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return float(within_x + within_y - 2 * k_xy.mean())


def reference_stats(reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std (per feature) of the *real reference* features, the fixed standardisation of :func:`kid` and
    :func:`precision_recall`. Compute them once per reference set and pass them on, so every score of a table is on
    the same scale.

    Parameters
    ----------
    reference : ndarray, shape (N, d)
        Features of the real reference images (N >= 2).

    Returns
    -------
    (ndarray, ndarray)
        Per-feature mean and std, each of shape (d,), float64. A feature that is constant on the reference (a dead
        ReLU unit) gets std = 1, i.e. keeps its raw scale.
    """
    ref = _features(reference, "reference")
    std = ref.std(axis=0)
    return ref.mean(axis=0), np.where(std > 1e-12, std, 1.0)


def _standardised(a: np.ndarray, b: np.ndarray, stats) -> tuple[np.ndarray, np.ndarray]:
    mean, std = reference_stats(b) if stats is None else (np.asarray(stats[0], np.float64),
                                                          np.asarray(stats[1], np.float64))
    if mean.shape != (a.shape[1],) or std.shape != (a.shape[1],) or np.any(std <= 0):
        raise ValueError(f"stats must be (mean, std) of shape ({a.shape[1]},) with std > 0, as reference_stats "
                         f"returns; got shapes {mean.shape} and {std.shape}")
    return (a - mean) / std, (b - mean) / std


#: KID is reported multiplied by this factor (KID ×10³), in every table of the course.
KID_SCALE = 1e3


def kid(features_a: np.ndarray, features_b: np.ndarray, *, n_subsets: int = 100, subset_size: int = 200,
        seed: int = 0, stats: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[float, float]:
    r"""Kernel Inception Distance (Bińkowski et al., ICLR 2018) in any feature space, **×10³**, with its spread.

    Parameters
    ----------
    features_a : ndarray, shape (N_a, d)
        Features of the generated (or compared) images; use at least 1000 generated images.
    features_b : ndarray, shape (N_b, d)
        Features of the **real reference** images (e.g. the 500 held-out digits).
    n_subsets, subset_size : int
        ``n_subsets`` random subsets of ``subset_size`` vectors are drawn from each set (without replacement within
        a subset), and :func:`mmd2_unbiased` is averaged over them — the reference implementations' protocol. The
        defaults, 100 subsets of 200, suit 1000 generated vs 500 real images. ``subset_size`` must be **smaller
        than both sets**: with subsets as large as a set every subset is the whole set and the spread over subsets
        is 0 by construction.
    seed : int
        Seeds the choice of subsets.
    stats : (mean, std), optional
        Standardisation: both feature sets are mapped to :math:`(f - \mu_{ref}) / \sigma_{ref}` with the
        **reference set's** per-feature mean and std (:func:`reference_stats`), so that the cubic kernel
        :math:`k(a, b) = (a^\top b / d + 1)^3` sees values of order 1 and KID does not depend on the feature
        layer's arbitrary scale. Default: computed from ``features_b``; pass the stats of the full reference set
        when ``features_b`` is only part of it (the real-vs-real floor compares two halves).

    Returns
    -------
    (float, float)
        KID ×10³ (mean over subsets) and the std over subsets ×10³: the standard error of a KID computed from one
        pair of ``subset_size`` samples, a conservative error bar for the mean (the subsets overlap). Real vs
        real of one distribution gives 0 within that error bar; the unbiased estimate can be slightly negative.

    Raises
    ------
    ValueError
        If ``subset_size`` is not smaller than both sets, or the arrays are not (N, d) of equal d.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> same, _ = kid(rng.normal(size=(300, 4)), rng.normal(size=(300, 4)), n_subsets=10, subset_size=100)
    >>> shifted, _ = kid(rng.normal(size=(300, 4)) + 1, rng.normal(size=(300, 4)), n_subsets=10, subset_size=100)
    >>> bool(abs(same) < shifted)
    True
    """
    a, b = _feature_pair(features_a, features_b)
    n_subsets, subset_size = check_int(n_subsets, "n_subsets", 1), check_int(subset_size, "subset_size", 2)
    if subset_size >= min(len(a), len(b)):
        raise ValueError(f"subset_size must be smaller than both sets (else every subset is the whole set and the "
                         f"spread is 0); got subset_size={subset_size} with {len(a)} and {len(b)} feature vectors")
    a, b = _standardised(a, b, stats)
    rng = np.random.default_rng(seed)
    values = KID_SCALE * np.array([mmd2_unbiased(a[rng.choice(len(a), subset_size, replace=False)],
                                                 b[rng.choice(len(b), subset_size, replace=False)])
                                   for _ in range(n_subsets)])
    return float(np.mean(values)), float(np.std(values))


def precision_recall(features_a: np.ndarray, features_b: np.ndarray, *, k: int = 5,
                     stats: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    r"""Improved precision and recall (Kynkäänniemi et al., NeurIPS 2019) and density and coverage (Naeem et al.,
    ICML 2020) with k nearest neighbours, on features standardised with the real set's statistics.

    Each real feature :math:`r_i` owns a ball of radius :math:`\rho_k(r_i)`, the distance to its k-th nearest other
    real feature (likewise :math:`\rho_k(f_j)` for the fakes):

    - **precision** = share of fakes inside at least one real ball (quality: do samples look real?);
    - **recall** = share of reals inside at least one fake ball (diversity: is every real mode generated?);
    - **density** = :math:`\frac{1}{kM}\sum_j \#\{i : \lVert f_j - r_i\rVert \le \rho_k(r_i)\}` (≈ 1 for fakes
      distributed like the reals; rewards samples in dense real regions, can exceed 1);
    - **coverage** = share of real balls that contain at least one fake (robust to outliers among the fakes).

    Parameters
    ----------
    features_a : ndarray, shape (M, d)
        Generated ("fake") features, more than k (the order of :func:`kid`: generated first).
    features_b : ndarray, shape (N, d)
        Real reference features, more than k. Compare at equal N and M: recall and coverage depend on the set sizes.
    k : int
        Neighbourhood size; both papers recommend k = 5.
    stats : (mean, std), optional
        Standardisation as in :func:`kid`; default from ``features_b``.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``density``, ``coverage`` (floats; all but density in [0, 1]).

    Raises
    ------
    ValueError
        If a set has k vectors or fewer, or the arrays are not (N, d) of equal d.
    """
    fake, real = _feature_pair(features_a, features_b)
    k = check_int(k, "k", 1)
    if min(len(real), len(fake)) <= k:
        raise ValueError(f"features_a and features_b need more than k={k} vectors each; got {len(fake)} and "
                         f"{len(real)}")
    fake, real = _standardised(fake, real, stats)

    def distances(x, y):
        return np.sqrt(np.maximum((x**2).sum(1)[:, None] - 2 * x @ y.T + (y**2).sum(1)[None], 0.0))

    real_real, fake_fake, fake_real = distances(real, real), distances(fake, fake), distances(fake, real)
    radius_real = np.sort(real_real, axis=1)[:, k]  # column 0 is the point itself
    radius_fake = np.sort(fake_fake, axis=1)[:, k]
    inside = fake_real <= radius_real[None, :]  # (M, N): fake j inside the ball of real i
    return {"precision": float(inside.any(axis=1).mean()),
            "recall": float((fake_real <= radius_fake[:, None]).any(axis=0).mean()),
            "density": float(inside.sum() / (k * len(fake))), "coverage": float(inside.any(axis=0).mean())}


def fid(features_a: np.ndarray, features_b: np.ndarray) -> float:
    r"""Fréchet distance between Gaussians fitted to two feature sets (Heusel et al., NeurIPS 2017).

    .. math:: \mathrm{FID} = \lVert \mu_a - \mu_b \rVert^2 + \mathrm{tr}\big(\Sigma_a + \Sigma_b
              - 2 (\Sigma_a \Sigma_b)^{1/2}\big)

    Biased: it is positive even for two samples of one distribution and shrinks as N grows, so compare
    FIDs only at equal N (and in the same feature space).

    Parameters
    ----------
    features_a, features_b : ndarray, shape (N_a, d) and (N_b, d), float
        Two feature sets (here the course classifier's 64-d ``features`` layer), N ≥ 2 finite vectors each.

    Returns
    -------
    float
        FID ≥ 0 (up to rounding), in squared feature units.

    Raises
    ------
    TypeError
        If a feature set is not a numpy array.
    ValueError
        If a feature set is not (N, d) with N ≥ 2, holds NaN/inf, or the two dimensions d differ.

    References
    ----------
    M. Heusel, H. Ramsauer, T. Unterthiner, B. Nessler and S. Hochreiter, "GANs trained by a two time-scale
    update rule converge to a local Nash equilibrium", NeurIPS 2017.

    Examples
    --------
    >>> a = np.random.default_rng(0).normal(size=(500, 2))
    >>> round(fid(a, a + [3.0, 4.0]), 6)   # a shift by (3, 4) costs |(3, 4)|² = 25
    25.0
    """
    a, b = _feature_pair(features_a, features_b)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * _trace_sqrt_product(cov_a, cov_b))


def _trace_sqrt_product(cov_a: np.ndarray, cov_b: np.ndarray) -> float:
    r""":math:`\mathrm{tr}\,(\Sigma_a \Sigma_b)^{1/2}`, computed as :math:`\mathrm{tr}\,(\Sigma_a^{1/2} \Sigma_b
    \Sigma_a^{1/2})^{1/2}` (same eigenvalues, but symmetric): stable even when a covariance is singular,
    as it is for features with inactive ReLU units."""
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    inner = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    return float(np.sum(np.sqrt(np.clip(inner, 0, None))))


def class_coverage(probabilities: np.ndarray, *, threshold: float = 0.9, min_share: float = 0.05) -> dict:
    """How confidently and how evenly a classifier recognises generated images.

    Parameters
    ----------
    probabilities : array_like, shape (N, K), float
        Class probabilities (rows sum to 1 within 1e-4), e.g. ``softmax`` of the course classifier's logits.
    threshold : float
        A sample is *confident* when its largest probability is >= ``threshold``, in [0, 1].
    min_share : float
        A class is *present* when at least this share of all samples is predicted as it, in [0, 1].

    Returns
    -------
    dict
        ``confident_share`` (float in [0, 1], share of confident samples), ``class_shares`` (ndarray of shape
        (K,): share of samples whose arg-max is each class), ``classes_present`` (int, number of classes with
        share >= ``min_share``).

    Raises
    ------
    TypeError
        If ``threshold`` or ``min_share`` is not a number.
    ValueError
        If ``probabilities`` is not 2-D or its rows do not sum to 1, or ``threshold``/``min_share`` is outside
        [0, 1].

    Examples
    --------
    >>> c = class_coverage(np.array([[0.95, 0.05], [0.6, 0.4]]))
    >>> c["confident_share"], c["classes_present"]
    (0.5, 1)
    """
    from .validate import check_range

    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.ndim != 2 or not np.allclose(probabilities.sum(1), 1.0, atol=1e-4):
        raise ValueError("probabilities must be an (N, K) array whose rows sum to 1 (apply softmax to logits first); "
                         f"got shape {probabilities.shape}")
    threshold, min_share = check_range(threshold, "threshold", 0, 1), check_range(min_share, "min_share", 0, 1)
    shares = np.bincount(probabilities.argmax(1), minlength=probabilities.shape[1]) / len(probabilities)
    return {"confident_share": float(np.mean(probabilities.max(1) >= threshold)), "class_shares": shares,
            "classes_present": int(np.sum(shares >= min_share))}
