"""Degradations y = A(x) + n: noise, blur, downsampling, JPEG and missing pixels.

All functions take a float image in [0, 1] and return float32.  Random ones take
``seed`` so the same call gives the same image.  Gaussian noise is *not* clipped:
the noisy image may leave [0, 1], which is what the noise model says.
"""

from __future__ import annotations

import numpy as np

from .validate import check_image, check_int, check_mask, check_noisy, check_range

__all__ = [
    "add_gaussian_noise", "add_poisson_noise", "salt_and_pepper", "gaussian_blur", "downsample", "upsample",
    "jpeg", "stroke_mask", "box_mask", "apply_mask", "apply_degradation", "strength_for_psnr", "DEGRADATIONS",
]

_SIGMA_HINT = " — sigma is on the 0-1 image scale: did you mean {:.4g}/255 = {:.4g}?"


def _sigma_hint(sigma: object) -> str:
    try:
        value = float(sigma)
    except (TypeError, ValueError):
        return ""
    return _SIGMA_HINT.format(value, value / 255) if 1 < value <= 255 else ""


def add_gaussian_noise(image: np.ndarray, sigma: float, *, seed: int | None = 0) -> np.ndarray:
    r"""Additive white Gaussian noise, :math:`y = x + n,\ n \sim \mathcal N(0, \sigma^2)`, not clipped.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3), float
        Image in [0, 1].
    sigma : float
        Noise standard deviation on the 0-1 scale, in [0, 1] (σ = 25/255 ≈ 0.098 is the classic "σ = 25").
    seed : int or None
        Seed of the noise; the same seed gives the same noise (``None``: fresh noise each call).

    Returns
    -------
    ndarray, float32, same shape as ``image``
        The noisy image; values may leave [0, 1].

    Raises
    ------
    TypeError
        If ``image`` is not a float numpy array (uint8 included: use :func:`course_lib.data.as_float`) or ``sigma``
        is not a number.
    ValueError
        If ``image`` has the wrong shape or holds NaN/inf or values outside [0, 1], or ``sigma`` is outside [0, 1]
        (values in (1, 255] get a /255 hint).

    Examples
    --------
    >>> noisy = add_gaussian_noise(np.full((64, 64), 0.5, np.float32), 25 / 255, seed=0)
    >>> noisy.dtype, round(float(noisy.std()) * 255)
    (dtype('float32'), 25)
    """
    image = check_image(image)
    sigma = check_range(sigma, "sigma", 0.0, 1.0, hint=_sigma_hint(sigma))
    noise = np.random.default_rng(seed).standard_normal(image.shape).astype(np.float32)
    return image + np.float32(sigma) * noise


def add_poisson_noise(image: np.ndarray, peak: float, *, seed: int | None = 0) -> np.ndarray:
    r"""Photon (shot) noise: :math:`y = \mathrm{Poisson}(\text{peak}\cdot x)/\text{peak}`.

    ``peak`` is the expected photon count of a white pixel: smaller peak, stronger noise
    (the noise variance at intensity x is x / peak).

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3), float
        Image in [0, 1].
    peak : float
        Expected photon count of a white pixel, in (0, 1e6].
    seed : int or None
        Seed of the noise.

    Returns
    -------
    ndarray, float32, same shape as ``image``
        Values ≥ 0, multiples of ``1 / peak`` (may exceed 1).

    Raises
    ------
    TypeError
        If ``image`` is not a float numpy array (uint8 included: use :func:`course_lib.data.as_float`) or ``peak``
        is not a number.
    ValueError
        If ``image`` has the wrong shape or holds NaN/inf or values outside [0, 1], or ``peak`` is outside (0, 1e6].

    Examples
    --------
    >>> noisy = add_poisson_noise(np.full((64, 64), 0.5, np.float32), peak=10.0, seed=0)
    >>> bool(np.all(noisy * 10 == np.round(noisy * 10))), round(float(noisy.var()), 2)   # variance x / peak
    (True, 0.05)
    """
    image = check_image(image)
    peak = check_range(peak, "peak", 0.0, 1e6, lo_open=True)
    counts = np.random.default_rng(seed).poisson(image.astype(np.float64) * peak)
    return (counts / peak).astype(np.float32)


def salt_and_pepper(image: np.ndarray, amount: float, *, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Set a fraction ``amount`` of pixels to 0 or 1 at random; return ``(image, mask of hit pixels)``.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3), float
        Image in [0, 1].
    amount : float
        Probability that a pixel is hit, in [0, 1] (all channels of a colour pixel get the same value).
    seed : int or None
        Seed of the choice of pixels and values.

    Returns
    -------
    image : ndarray, float32, same shape as ``image``
        The degraded copy.
    mask : ndarray, shape (H, W), bool
        True where a pixel was set to 0 or 1.

    Raises
    ------
    TypeError
        If ``image`` is not a float numpy array (uint8 included: use :func:`course_lib.data.as_float`) or ``amount``
        is not a number.
    ValueError
        If ``image`` has the wrong shape or holds NaN/inf or values outside [0, 1], or ``amount`` is outside [0, 1].
    """
    image = check_image(image)
    amount = check_range(amount, "amount", 0.0, 1.0)
    rng = np.random.default_rng(seed)
    mask = rng.random(image.shape[:2]) < amount
    out = image.copy()
    values = rng.integers(0, 2, size=int(mask.sum())).astype(np.float32)
    out[mask] = values[:, None] if image.ndim == 3 else values
    return out, mask


def gaussian_blur(image: np.ndarray, sigma_px: float) -> np.ndarray:
    """Blur with a Gaussian kernel of standard deviation ``sigma_px`` pixels (reflecting borders).

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3), float
        Image in [0, 1].
    sigma_px : float
        Kernel standard deviation in pixels, in [0, 100] (0: no blur); colour channels are not mixed.

    Returns
    -------
    ndarray, float32, same shape as ``image``

    Raises
    ------
    TypeError
        If ``image`` is not a float numpy array (uint8 included: use :func:`course_lib.data.as_float`) or ``sigma_px``
        is not a number.
    ValueError
        If ``image`` has the wrong shape or holds NaN/inf or values outside [0, 1], or ``sigma_px`` is outside [0, 100].
    """
    from scipy.ndimage import gaussian_filter

    image = check_image(image)
    sigma_px = check_range(sigma_px, "sigma_px", 0.0, 100.0)
    sigmas = (sigma_px, sigma_px, 0) if image.ndim == 3 else sigma_px
    return gaussian_filter(image, sigmas, mode="reflect").astype(np.float32)


def downsample(image: np.ndarray, factor: int = 2) -> np.ndarray:
    """Shrink by an integer ``factor`` with area averaging (anti-aliased); crops to a multiple of ``factor``.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3), float
        Image in [0, 1].
    factor : int
        Shrink factor in [1, 16].

    Returns
    -------
    ndarray, shape (H // factor, W // factor[, 3]), float32
        Mean of each ``factor x factor`` block.

    Raises
    ------
    TypeError
        If ``image`` is not a float numpy array (uint8 included: use :func:`course_lib.data.as_float`) or ``factor``
        is not an integer.
    ValueError
        If ``image`` has the wrong shape or holds NaN/inf or values outside [0, 1], or ``factor`` is outside [1, 16] or
        the image is smaller than it.

    Examples
    --------
    >>> downsample(np.array([[0, 1, 0, 0], [1, 0, 0, 0]], np.float32), 2)
    array([[0.5, 0. ]], dtype=float32)
    """
    image = check_image(image)
    factor = check_int(factor, "factor", 1, 16)
    h, w = (image.shape[0] // factor) * factor, (image.shape[1] // factor) * factor
    if h == 0 or w == 0:
        raise ValueError(f"image of shape {image.shape} is smaller than factor={factor}")
    blocks = image[:h, :w].reshape(h // factor, factor, w // factor, factor, *image.shape[2:])
    return blocks.mean(axis=(1, 3)).astype(np.float32)


def upsample(image: np.ndarray, factor: int = 2, *, method: str = "bicubic") -> np.ndarray:
    """Enlarge by an integer ``factor`` with OpenCV (``"bicubic"``, ``"bilinear"``, ``"nearest"``); clip to [0, 1].

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3), float
        Image, any finite values (results are clipped to [0, 1]).
    factor : int
        Enlargement factor in [1, 16].
    method : {"bicubic", "bilinear", "nearest"}
        OpenCV interpolation (``cv2.INTER_CUBIC``, ``INTER_LINEAR``, ``INTER_NEAREST``).

    Returns
    -------
    ndarray, shape (H * factor, W * factor[, 3]), float32
        Values in [0, 1].

    Raises
    ------
    TypeError
        If ``image`` is not a float numpy array or ``factor`` is not an integer.
    ValueError
        If ``image`` has the wrong shape or holds NaN/inf, ``factor`` is outside [1, 16], or ``method`` is
        unknown.

    Examples
    --------
    >>> upsample(np.eye(2, dtype=np.float32), 2, method="nearest")
    array([[1., 1., 0., 0.],
           [1., 1., 0., 0.],
           [0., 0., 1., 1.],
           [0., 0., 1., 1.]], dtype=float32)
    """
    import cv2

    image = check_noisy(image, "image")  # may overshoot [0, 1] a little, but not be on the 0-255 scale
    factor = check_int(factor, "factor", 1, 16)
    flags = {"bicubic": cv2.INTER_CUBIC, "bilinear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST}
    if method not in flags:
        raise ValueError(f"method must be one of {tuple(flags)}; got {method!r}")
    size = (image.shape[1] * factor, image.shape[0] * factor)
    return np.clip(cv2.resize(image, size, interpolation=flags[method]), 0, 1).astype(np.float32)


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """Compress and decompress with OpenCV's JPEG encoder at ``quality`` 1-100 (lower = more artefacts).

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3), float
        Image in [0, 1].
    quality : int
        JPEG quality in [1, 100].

    Returns
    -------
    ndarray, float32, same shape as ``image``
        Decoded image in [0, 1], multiples of 1/255.

    Raises
    ------
    TypeError
        If ``image`` is not a float numpy array (uint8 included: use :func:`course_lib.data.as_float`) or ``quality``
        is not an integer.
    ValueError
        If ``image`` has the wrong shape or holds NaN/inf or values outside [0, 1], or ``quality`` is outside [1, 100].
    """
    import cv2

    from .data import as_uint8

    image = check_image(image)
    quality = check_int(quality, "quality", 1, 100)
    eight_bit = as_uint8(image)
    if image.ndim == 3:
        eight_bit = eight_bit[..., ::-1]  # OpenCV stores colour as BGR
    ok, buffer = cv2.imencode(".jpg", eight_bit, [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)
    if image.ndim == 3:
        decoded = decoded[..., ::-1]
    return decoded.astype(np.float32) / 255.0


def stroke_mask(shape: tuple[int, int], n_strokes: int = 6, width: int = 5, *, seed: int | None = 0) -> np.ndarray:
    """Random brush strokes (poly-lines), as when scratches or text cover a photo; True = missing.

    Parameters
    ----------
    shape : tuple of int
        ``(H, W)`` or an image shape ``(H, W, C)``: only the first two entries are used, each in [1, 100000].
    n_strokes : int
        Number of strokes, in [0, 1000]; each is a poly-line through 5 random points.
    width : int
        Stroke width in pixels, in [1, 1000].
    seed : int or None
        Seed of the strokes.

    Returns
    -------
    ndarray, shape (H, W), bool
        True where a pixel is missing.

    Raises
    ------
    TypeError
        If a size or count is not an integer.
    ValueError
        If a size or count is outside its range.

    Examples
    --------
    >>> mask = stroke_mask((32, 32), n_strokes=2, width=3, seed=0)
    >>> mask.shape, mask.dtype, bool(0 < mask.mean() < 1)
    ((32, 32), dtype('bool'), True)
    """
    import cv2

    h, w = (check_int(s, "shape[i]", 1, 100_000) for s in shape[:2])
    n_strokes = check_int(n_strokes, "n_strokes", 0, 1000)
    width = check_int(width, "width", 1, 1000)
    rng = np.random.default_rng(seed)
    canvas = np.zeros((h, w), dtype=np.uint8)
    for _ in range(n_strokes):
        points = np.cumsum(rng.normal(0, max(h, w) / 8, size=(5, 2)), axis=0) + rng.uniform(0, (w, h))
        points = np.clip(points, 0, (w - 1, h - 1)).astype(np.int32)
        cv2.polylines(canvas, [points], isClosed=False, color=1, thickness=width)
    return canvas.astype(bool)


def box_mask(shape: tuple[int, int], n_boxes: int = 4, size: int = 16, *, seed: int | None = 0) -> np.ndarray:
    """``n_boxes`` random ``size x size`` square holes; True = missing.

    Parameters
    ----------
    shape : tuple of int
        ``(H, W)`` or an image shape ``(H, W, C)``: only the first two entries are used, each in [1, 100000].
    n_boxes : int
        Number of boxes, in [0, 10000] (boxes may overlap).
    size : int
        Box side in pixels, in [1, min(H, W)].
    seed : int or None
        Seed of the box positions.

    Returns
    -------
    ndarray, shape (H, W), bool
        True where a pixel is missing.

    Raises
    ------
    TypeError
        If a size or count is not an integer.
    ValueError
        If a size or count is outside its range.

    Examples
    --------
    >>> int(box_mask((16, 16), n_boxes=1, size=4).sum())
    16
    """
    h, w = (check_int(s, "shape[i]", 1, 100_000) for s in shape[:2])
    n_boxes = check_int(n_boxes, "n_boxes", 0, 10_000)
    size = check_int(size, "size", 1, min(h, w))
    rng = np.random.default_rng(seed)
    mask = np.zeros((h, w), dtype=bool)
    for top, left in zip(rng.integers(0, h - size + 1, n_boxes), rng.integers(0, w - size + 1, n_boxes)):
        mask[top : top + size, left : left + size] = True
    return mask


def apply_mask(image: np.ndarray, mask: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Set masked pixels (True = missing) to ``fill``: the inpainting degradation.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3), float
        Image in [0, 1].
    mask : ndarray, shape (H, W), bool
        True where a pixel is missing.
    fill : float
        Value written into the missing pixels, in [0, 1].

    Returns
    -------
    ndarray, float32, same shape as ``image``
        A copy with the masked pixels set to ``fill``.

    Raises
    ------
    TypeError
        If ``image`` is not a float numpy array, ``mask`` is not a bool array, or ``fill`` is not a number.
    ValueError
        If ``image`` has the wrong shape or values, ``mask`` does not have shape (H, W), or ``fill`` is outside
        [0, 1].

    Examples
    --------
    >>> apply_mask(np.ones((2, 2), np.float32), np.eye(2, dtype=bool))
    array([[0., 1.],
           [1., 0.]], dtype=float32)
    """
    image = check_image(image)
    mask = check_mask(mask, image.shape)
    fill = check_range(fill, "fill", 0.0, 1.0)
    out = image.copy()
    out[mask] = fill
    return out


#: Name → (strength's meaning, its (min, max, default) for sliders).
DEGRADATIONS: dict[str, tuple[str, tuple[float, float, float]]] = {
    "gaussian noise": ("σ (0-1 scale)", (0.0, 0.4, 25 / 255)),
    "poisson noise": ("peak photons", (1.0, 200.0, 30.0)),
    "salt & pepper": ("fraction of pixels", (0.0, 0.5, 0.05)),
    "blur": ("kernel σ (pixels)", (0.0, 6.0, 2.0)),
    "downsample ×k": ("factor k", (1.0, 8.0, 2.0)),
    "jpeg": ("quality", (1.0, 100.0, 20.0)),
    "missing strokes": ("stroke width (pixels)", (1.0, 20.0, 5.0)),
}


def apply_degradation(image: np.ndarray, kind: str, strength: float, *, seed: int | None = 0) -> np.ndarray:
    """Apply the degradation ``kind`` (a key of :data:`DEGRADATIONS`) at ``strength``.

    One entry point for widgets and exercises; the result has the image's shape
    (downsampling is followed by bicubic upsampling back to the original size).

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3), float
        Image in [0, 1].
    kind : str
        A key of :data:`DEGRADATIONS`: ``"gaussian noise"``, ``"poisson noise"``, ``"salt & pepper"``,
        ``"blur"``, ``"downsample ×k"``, ``"jpeg"`` or ``"missing strokes"``.
    strength : float
        Its strength, in the unit that :data:`DEGRADATIONS` names (σ on the 0-1 scale, photons, fraction of
        pixels, kernel σ in pixels, factor, quality, stroke width in pixels); rounded for integer kinds.
    seed : int or None
        Seed of random degradations.

    Returns
    -------
    ndarray, float32, same shape as ``image``

    Raises
    ------
    TypeError
        If ``image`` is not a float numpy array or ``strength`` is not a number.
    ValueError
        If ``kind`` is unknown, ``image`` has the wrong shape or values, or ``strength`` is outside the range of
        the degradation.

    Examples
    --------
    >>> apply_degradation(np.zeros((8, 8), np.float32), "blur", 1.0).shape
    (8, 8)
    """
    if kind not in DEGRADATIONS:
        raise ValueError(f"kind must be one of {tuple(DEGRADATIONS)}; got {kind!r}")
    if kind == "gaussian noise":
        return add_gaussian_noise(image, strength, seed=seed)
    if kind == "poisson noise":
        return add_poisson_noise(image, strength, seed=seed)
    if kind == "salt & pepper":
        return salt_and_pepper(image, strength, seed=seed)[0]
    if kind == "blur":
        return gaussian_blur(image, strength)
    if kind == "downsample ×k":
        image = check_image(image)
        factor = int(round(check_range(strength, "strength", 1, 16)))
        small = upsample(downsample(image, factor), factor)
        out = image.copy()
        out[: small.shape[0], : small.shape[1]] = small  # edge rows that don't fill a block stay as they were
        return out
    if kind == "jpeg":
        return jpeg(image, int(round(check_range(strength, "strength", 1, 100))))
    width = int(round(check_range(strength, "strength", 1, 1000)))
    return apply_mask(image, stroke_mask(image.shape, width=width, seed=seed))


def strength_for_psnr(image: np.ndarray, kind: str, target_db: float, *, seed: int | None = 0) -> float:
    """Find, by bisection, the strength of ``kind`` that degrades ``image`` to ``target_db`` PSNR.

    Works for degradations whose damage grows with strength ("gaussian noise", "blur",
    "salt & pepper") and for ``"brightness"`` (a constant shift added to every pixel, clipped).
    Used to build images with *equal* PSNR that look very different.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3), float
        Image in [0, 1].
    kind : {"gaussian noise", "blur", "salt & pepper", "brightness"}
        The degradation.
    target_db : float
        Target PSNR in dB, in [1, 100].
    seed : int or None
        Seed of random degradations.

    Returns
    -------
    float
        The strength (40 bisection steps), in the unit of ``kind`` (see :data:`DEGRADATIONS`; brightness shift on
        the 0-1 scale).

    Raises
    ------
    TypeError
        If ``image`` is not a float numpy array (uint8 included: use :func:`course_lib.data.as_float`) or ``target_db``
        is not a number.
    ValueError
        If ``image`` has the wrong shape or holds NaN/inf or values outside [0, 1], or ``target_db`` is outside [1,
        100].
        Also if ``kind`` is not one of the four names.

    Examples
    --------
    >>> image = np.full((16, 16), 0.5, np.float32)
    >>> round(strength_for_psnr(image, "brightness", 20.0), 3)   # 20 dB = an RMS error of 0.1
    0.1
    """
    from .metrics import psnr

    image = check_image(image)
    target_db = check_range(target_db, "target_db", 1.0, 100.0)
    ranges = {"gaussian noise": (0.0, 1.0), "blur": (0.0, 50.0), "salt & pepper": (0.0, 1.0), "brightness": (0.0, 1.0)}
    if kind not in ranges:
        raise ValueError(f"kind must be one of {tuple(ranges)}; got {kind!r}")

    def damaged(strength: float) -> np.ndarray:
        if kind == "brightness":
            return np.clip(image + np.float32(strength), 0, 1)
        return apply_degradation(image, kind, strength, seed=seed)

    lo, hi = ranges[kind]
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if psnr(image, damaged(mid)) > target_db else (lo, mid)
    return (lo + hi) / 2
