"""Input validation shared by every public function of the course.

Each check raises a ``TypeError`` (wrong kind of object) or a ``ValueError``
(right kind, wrong value) whose message names the argument, says what was
expected and what was received.  Functions call these at their boundary so
that bad input never crashes deep inside numpy or TensorFlow.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_image", "check_batch", "check_noisy", "check_positive", "check_range", "check_int", "check_choice",
           "check_mask", "scale_hint", "noisy_margin"]


def _describe(x: object) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}"[:120]


def scale_hint(vmin: float, vmax: float, *, noisy: bool = False) -> str:
    """What to do about values outside [0, 1], judged from their range ``[vmin, vmax]``; ``""`` if nothing fits.

    * max in (1, 255] (up to 300 for a noisy image), min >= 0 (>= -45 noisy): 8-bit values -> "divide by 255";
      whole numbers up to 16 also get "divide by 16" (sklearn's digits count 0..16);
    * max in (255, 257.01]: a 16-bit image divided by 255 -> "divide the uint16 image by 65535 instead";
    * max in (257.01, 65535]: 16-bit values -> "divide by 65535";
    * min in [-1, 0) and max <= 1: a [-1, 1] image (tanh output) -> "(x + 1) / 2".

    Used by every range check of the course, so the same input gets the same advice everywhere.

    Parameters
    ----------
    vmin, vmax : float
        Smallest and largest value of the image.
    noisy : bool
        The image carries unclipped noise (wider margins).

    Returns
    -------
    str
        A hint starting with " — " to append to an error message, or ``""``.

    Examples
    --------
    >>> scale_hint(0.0, 200.0)
    ' — did you forget to divide by 255? course_lib.data.as_float converts uint8 images'
    >>> scale_hint(0.0, 0.9)
    ''
    """
    low = -45.0 if noisy else -1e-6
    if -1.0 <= vmin < 0 and vmax <= 1.0 and not noisy:
        return " — values in [-1, 1]? map them to [0, 1] with (x + 1) / 2"
    if vmin < low or vmax <= 1.0:
        return ""
    if vmax <= (300.0 if noisy else 255.0):
        digits = " (or by 16 if these are sklearn's 0-16 digit counts)" if vmax <= 16 and vmin >= 0 else ""
        return f" — did you forget to divide by 255?{digits} course_lib.data.as_float converts uint8 images"
    if vmax <= 257.01:
        return (" — these look like 16-bit values divided by 255: divide the uint16 image by 65535 instead "
                "(course_lib.data.as_float does)")
    if vmax <= 65535.0 * (1.2 if noisy else 1.0):
        return " — 16-bit values? divide by 65535 (course_lib.data.as_float converts uint16 images)"
    return ""


def noisy_margin(sigma: float | None) -> float:
    """How far a noisy image may leave [0, 1]: ``0.5 + 10 σ``.

    10 standard deviations of Gaussian noise, plus room for a clean image that overshoots a little; σ unknown
    counts as σ = 1, the largest the course accepts.

    Parameters
    ----------
    sigma : float or None
        Noise standard deviation on the 0-1 scale, or None if unknown.

    Returns
    -------
    float
        The margin (0-1 intensity units).

    Examples
    --------
    >>> noisy_margin(0.1)
    1.5
    """
    return 0.5 + 10.0 * (1.0 if sigma is None else float(sigma))


def check_image(
    image: object,
    name: str = "image",
    *,
    ndim: tuple[int, ...] = (2, 3),
    min_size: int = 1,
    value_range: tuple[float, float] | None = (0.0, 1.0),
) -> np.ndarray:
    """Check that ``image`` is a float image and return it as float32.

    Parameters
    ----------
    image : array_like
        Grayscale ``(H, W)`` or colour ``(H, W, 3)`` float array.
    name : str
        Argument name used in error messages.
    ndim : tuple of int
        Accepted numbers of dimensions.
    min_size : int
        Smallest accepted height and width in pixels.
    value_range : (float, float) or None
        Inclusive range the values must lie in; ``None`` accepts any finite value
        (for example a noisy image, which is not clipped).

    Returns
    -------
    numpy.ndarray
        The image as a float32 array (a copy only when a conversion was needed).

    Raises
    ------
    TypeError
        If ``image`` is not a numpy array, is uint8 or uint16 (the message says to use
        ``course_lib.data.as_float``), or has a non-floating dtype.
    ValueError
        If its number of dimensions is not in ``ndim`` (or a 3-D image does not have 3 channels), it is smaller
        than ``min_size`` a side, holds NaN/inf, or leaves ``value_range`` (with :func:`scale_hint`'s advice).

    Examples
    --------
    >>> check_image(np.zeros((4, 4))).dtype
    dtype('float32')
    >>> check_image(np.full((4, 4), 200.0), "photo")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: photo values must be in [0, 1]; got range [200, 200] — did you forget to divide by 255? ...
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a numpy array; got {_describe(image)}")
    if image.dtype in (np.uint8, np.uint16):
        raise TypeError(
            f"{name} must be a float image in [0, 1]; got dtype {image.dtype} — "
            "convert it with course_lib.data.as_float(image)"
        )
    if image.dtype == bool or not np.issubdtype(image.dtype, np.floating):
        raise TypeError(f"{name} must have a floating dtype (float32 or float64); got dtype {image.dtype}")
    if image.ndim not in ndim:
        raise ValueError(f"{name} must have {' or '.join(map(str, ndim))} dimensions; got shape {image.shape}")
    if image.ndim == 3 and 3 in ndim and image.shape[2] != 3 and 4 not in ndim:
        raise ValueError(f"{name} with 3 dimensions must be (H, W, 3) colour; got shape {image.shape}")
    if image.shape[0] < min_size or image.shape[1] < min_size:
        raise ValueError(f"{name} must be at least {min_size}x{min_size} pixels; got shape {image.shape}")
    if not np.all(np.isfinite(image)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if value_range is not None:
        lo, hi = value_range
        vmin, vmax = float(image.min()), float(image.max())
        if vmin < lo or vmax > hi:
            hint = scale_hint(vmin, vmax) if (lo, hi) == (0.0, 1.0) else ""
            raise ValueError(f"{name} values must be in [{lo:g}, {hi:g}]; got range [{vmin:.4g}, {vmax:.4g}]{hint}")
    return image.astype(np.float32, copy=False)


def check_batch(
    images: object,
    name: str = "images",
    *,
    size: tuple[int, int] | None = None,
    value_range: tuple[float, float] | None = (0.0, 1.0),
) -> np.ndarray:
    """Check a batch ``(N, H, W)`` of N >= 1 grayscale float images and return it as float32.

    Errors name the argument, as :func:`check_image` does.

    Parameters
    ----------
    images : ndarray, shape (N, H, W), float
        The batch.
    name : str
        Argument name used in error messages.
    size : (int, int), optional
        Required ``(H, W)`` (``(8, 8)`` for digits and glyphs); ``None`` accepts any.
    value_range : (float, float) or None
        Inclusive range of the values; ``None`` accepts any finite value (a noisy batch).

    Returns
    -------
    ndarray, shape (N, H, W), float32

    Raises
    ------
    TypeError
        If ``images`` is not a numpy array or its dtype is not floating (uint8: use ``course_lib.data.as_float``).
    ValueError
        If it is not 3-D with N, H, W ≥ 1 (or not of ``size``), holds NaN/inf, or leaves ``value_range``.

    Examples
    --------
    >>> check_batch(np.zeros((2, 8, 8)), size=(8, 8)).shape
    (2, 8, 8)
    """
    if not isinstance(images, np.ndarray):
        raise TypeError(f"{name} must be a numpy array of shape (N, H, W); got {_describe(images)}")
    if images.dtype == bool or not np.issubdtype(images.dtype, np.floating):
        raise TypeError(f"{name} must be float images in [0, 1]; got dtype {images.dtype}"
                        + (" — convert with course_lib.data.as_float" if images.dtype in (np.uint8, np.uint16)
                           else ""))
    expected = f"(N, {size[0]}, {size[1]})" if size else "(N, H, W)"
    if images.ndim != 3 or (size is not None and images.shape[1:] != tuple(size)) or 0 in images.shape:
        raise ValueError(f"{name} must have shape {expected} with N, H, W >= 1; got shape {images.shape}")
    return check_image(images.reshape(-1, images.shape[2]), name, ndim=(2,), value_range=value_range).reshape(
        images.shape)


def check_noisy(
    image: object,
    name: str = "noisy",
    sigma: float | None = None,
    *,
    ndim: tuple[int, ...] = (2, 3),
    min_size: int = 1,
    max_sigma: float = 1.0,
) -> np.ndarray:
    """Check a *noisy* float image: a [0, 1] image plus zero-mean noise of standard deviation ``sigma``.

    Noise is not clipped, so values may leave [0, 1], but by no more than :func:`noisy_margin` ``(sigma)``;
    an image on the 0-255 (or 0-65535) scale is rejected with :func:`scale_hint`'s advice instead of being
    "denoised" on the wrong scale.  Otherwise as :func:`check_image` (dtype, rank, size, finite values).

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3), float
        The noisy image.
    name : str
        Argument name used in error messages.
    sigma : float or None
        Noise standard deviation on the 0-1 scale; ``None`` (blind denoising) allows noise up to ``max_sigma``.
    ndim : tuple of int
        Accepted numbers of dimensions.
    min_size : int
        Smallest accepted height and width in pixels.
    max_sigma : float
        The largest σ assumed when ``sigma`` is None.

    Returns
    -------
    ndarray, float32
        The image.

    Raises
    ------
    TypeError
        As :func:`check_image` (not a numpy array, uint8/uint16 or another non-float dtype).
    ValueError
        As :func:`check_image` (rank, size, NaN/inf), or if the values leave
        ``[-noisy_margin(sigma), 1 + noisy_margin(sigma)]``.

    Examples
    --------
    >>> check_noisy(np.full((4, 4), 1.2), sigma=0.1).dtype   # within 0.5 + 10 σ of [0, 1]
    dtype('float32')
    """
    image = check_image(image, name, ndim=ndim, min_size=min_size, value_range=None)
    margin = noisy_margin(max_sigma if sigma is None else sigma)
    vmin, vmax = float(image.min()), float(image.max())
    if vmin < -margin or vmax > 1 + margin:
        noise = f"noise of std sigma={sigma:.4g}" if sigma is not None else f"noise of std up to {max_sigma:.4g}"
        raise ValueError(f"{name} must be a [0, 1] image plus {noise}, so values in [{-margin:.4g}, {1 + margin:.4g}]; "
                         f"got range [{vmin:.4g}, {vmax:.4g}]{scale_hint(vmin, vmax, noisy=True)}")
    return image


def check_range(
    value: object,
    name: str,
    lo: float,
    hi: float,
    *,
    hint: str = "",
    lo_open: bool = False,
) -> float:
    """Check that ``value`` is a real number in ``[lo, hi]`` (``(lo, hi]`` if ``lo_open``).

    Parameters
    ----------
    value : object
        The value to check (a Python or numpy real number; bool is refused).
    name : str
        Argument name used in error messages.
    lo, hi : float
        Bounds (``hi`` may be ``np.inf``; ``value`` itself must be finite).
    hint : str
        Appended to the ``ValueError`` message (e.g. a suggestion for values on the 0-255 scale).
    lo_open : bool
        Exclude ``lo`` itself.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``value`` is not a real number (or is a bool).
    ValueError
        If ``value`` is not finite or lies outside the range.

    Examples
    --------
    >>> check_range(0.5, "sigma", 0, 1)
    0.5
    >>> check_range(25, "sigma", 0, 1)
    Traceback (most recent call last):
    ...
    ValueError: sigma must be in [0, 1]; got 25
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number; got {_describe(value)}")
    value = float(value)
    below = value <= lo if lo_open else value < lo
    if not np.isfinite(value) or below or value > hi:
        bracket = "(" if lo_open else "["
        raise ValueError(f"{name} must be in {bracket}{lo:g}, {hi:g}]; got {value:g}{hint}")
    return value


def check_positive(value: object, name: str, *, hint: str = "") -> float:
    """Check that ``value`` is a finite number > 0.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        Argument name used in error messages.
    hint : str
        Appended to the ``ValueError`` message.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``value`` is not a real number (or is a bool).
    ValueError
        If ``value`` ≤ 0 or is not finite.

    Examples
    --------
    >>> check_positive(2, "lr")
    2.0
    """
    return check_range(value, name, 0.0, np.inf, hint=hint, lo_open=True)


def check_int(value: object, name: str, lo: int = 0, hi: int | None = None) -> int:
    """Check that ``value`` is an integer in ``[lo, hi]`` (no upper bound if ``hi`` is None).

    Parameters
    ----------
    value : object
        The value to check (a Python or numpy integer; bool and float are refused).
    name : str
        Argument name used in error messages.
    lo : int
        Smallest accepted value.
    hi : int or None
        Largest accepted value, ``None`` for no bound.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If ``value`` is not an integer (or is a bool).
    ValueError
        If ``value`` lies outside ``[lo, hi]``.

    Examples
    --------
    >>> check_int(np.int64(3), "steps", 1)
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {_describe(value)}")
    value = int(value)
    if value < lo or (hi is not None and value > hi):
        upper = "∞" if hi is None else str(hi)
        raise ValueError(f"{name} must be in [{lo}, {upper}]; got {value}")
    return value


def check_choice(value: object, name: str, choices: tuple[str, ...]) -> str:
    """Check that ``value`` is one of ``choices``.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        Argument name used in error messages.
    choices : tuple of str
        Accepted values.

    Returns
    -------
    str
        ``str(value)``.

    Raises
    ------
    ValueError
        If ``value`` is not in ``choices`` (the message lists them).

    Examples
    --------
    >>> check_choice("dct", "transform", ("dct", "bior1.5"))
    'dct'
    """
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return str(value)


def check_mask(mask: object, shape: tuple[int, ...], name: str = "mask") -> np.ndarray:
    """Check a boolean mask (True = missing pixel) matching an image's first two dimensions.

    Parameters
    ----------
    mask : ndarray, shape (H, W), bool
        True where a pixel is missing.
    shape : tuple of int
        The image's shape; its first two entries ``(H, W)`` are required of the mask.
    name : str
        Argument name used in error messages.

    Returns
    -------
    ndarray, shape (H, W), bool
        ``mask`` itself.

    Raises
    ------
    TypeError
        If ``mask`` is not a numpy array or its dtype is not bool.
    ValueError
        If its shape is not ``shape[:2]``.

    Examples
    --------
    >>> check_mask(np.zeros((4, 4), bool), (4, 4, 3)).shape
    (4, 4)
    """
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"{name} must be a boolean numpy array; got {_describe(mask)}")
    if mask.dtype != bool:
        raise TypeError(f"{name} must have dtype bool (True = missing pixel); got dtype {mask.dtype}")
    if mask.shape != tuple(shape[:2]):
        raise ValueError(f"{name} must have shape {tuple(shape[:2])} (the image's height and width); got {mask.shape}")
    return mask
