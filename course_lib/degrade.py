"""Degradations y = A(x) + n: noise, blur, downsampling, JPEG and missing pixels.

All functions take a float image in [0, 1] and return float32.  Random ones take
``seed`` so the same call gives the same image.  Gaussian noise is *not* clipped:
the noisy image may leave [0, 1], which is what the noise model says.
"""

from __future__ import annotations

import numpy as np

from .validate import check_image, check_int, check_mask, check_range

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
    image : ndarray
        Float image in [0, 1].
    sigma : float
        Noise standard deviation on the 0-1 scale (σ = 25/255 ≈ 0.098 is the classic "σ = 25").
    seed : int or None
        Seed of the noise; the same seed gives the same noise.
    """
    image = check_image(image)
    sigma = check_range(sigma, "sigma", 0.0, 1.0, hint=_sigma_hint(sigma))
    noise = np.random.default_rng(seed).standard_normal(image.shape).astype(np.float32)
    return image + np.float32(sigma) * noise


def add_poisson_noise(image: np.ndarray, peak: float, *, seed: int | None = 0) -> np.ndarray:
    r"""Photon (shot) noise: :math:`y = \mathrm{Poisson}(\text{peak}\cdot x)/\text{peak}`.

    ``peak`` is the expected photon count of a white pixel: smaller peak, stronger noise
    (the noise variance at intensity x is x / peak).
    """
    image = check_image(image)
    peak = check_range(peak, "peak", 0.0, 1e6, lo_open=True)
    counts = np.random.default_rng(seed).poisson(image.astype(np.float64) * peak)
    return (counts / peak).astype(np.float32)


def salt_and_pepper(image: np.ndarray, amount: float, *, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Set a fraction ``amount`` of pixels to 0 or 1 at random; return ``(image, mask of hit pixels)``."""
    image = check_image(image)
    amount = check_range(amount, "amount", 0.0, 1.0)
    rng = np.random.default_rng(seed)
    mask = rng.random(image.shape[:2]) < amount
    out = image.copy()
    values = rng.integers(0, 2, size=int(mask.sum())).astype(np.float32)
    out[mask] = values[:, None] if image.ndim == 3 else values
    return out, mask


def gaussian_blur(image: np.ndarray, sigma_px: float) -> np.ndarray:
    """Blur with a Gaussian kernel of standard deviation ``sigma_px`` pixels (reflecting borders)."""
    from scipy.ndimage import gaussian_filter

    image = check_image(image)
    sigma_px = check_range(sigma_px, "sigma_px", 0.0, 100.0)
    sigmas = (sigma_px, sigma_px, 0) if image.ndim == 3 else sigma_px
    return gaussian_filter(image, sigmas, mode="reflect").astype(np.float32)


def downsample(image: np.ndarray, factor: int = 2) -> np.ndarray:
    """Shrink by an integer ``factor`` with area averaging (anti-aliased); crops to a multiple of ``factor``."""
    image = check_image(image)
    factor = check_int(factor, "factor", 1, 16)
    h, w = (image.shape[0] // factor) * factor, (image.shape[1] // factor) * factor
    if h == 0 or w == 0:
        raise ValueError(f"image of shape {image.shape} is smaller than factor={factor}")
    blocks = image[:h, :w].reshape(h // factor, factor, w // factor, factor, *image.shape[2:])
    return blocks.mean(axis=(1, 3)).astype(np.float32)


def upsample(image: np.ndarray, factor: int = 2, *, method: str = "bicubic") -> np.ndarray:
    """Enlarge by an integer ``factor`` with OpenCV (``"bicubic"``, ``"bilinear"``, ``"nearest"``); clip to [0, 1]."""
    import cv2

    image = check_image(image, value_range=None)
    factor = check_int(factor, "factor", 1, 16)
    flags = {"bicubic": cv2.INTER_CUBIC, "bilinear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST}
    if method not in flags:
        raise ValueError(f"method must be one of {tuple(flags)}; got {method!r}")
    size = (image.shape[1] * factor, image.shape[0] * factor)
    return np.clip(cv2.resize(image, size, interpolation=flags[method]), 0, 1).astype(np.float32)


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """Compress and decompress with OpenCV's JPEG encoder at ``quality`` 1-100 (lower = more artefacts)."""
    import cv2

    image = check_image(image)
    quality = check_int(quality, "quality", 1, 100)
    as_uint8 = np.round(image * 255).astype(np.uint8)
    if image.ndim == 3:
        as_uint8 = as_uint8[..., ::-1]  # OpenCV stores colour as BGR
    ok, buffer = cv2.imencode(".jpg", as_uint8, [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)
    if image.ndim == 3:
        decoded = decoded[..., ::-1]
    return decoded.astype(np.float32) / 255.0


def stroke_mask(shape: tuple[int, int], n_strokes: int = 6, width: int = 5, *, seed: int | None = 0) -> np.ndarray:
    """Random brush strokes (poly-lines), as when scratches or text cover a photo; True = missing."""
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
    """``n_boxes`` random ``size x size`` square holes; True = missing."""
    h, w = (check_int(s, "shape[i]", 1, 100_000) for s in shape[:2])
    n_boxes = check_int(n_boxes, "n_boxes", 0, 10_000)
    size = check_int(size, "size", 1, min(h, w))
    rng = np.random.default_rng(seed)
    mask = np.zeros((h, w), dtype=bool)
    for top, left in zip(rng.integers(0, h - size + 1, n_boxes), rng.integers(0, w - size + 1, n_boxes)):
        mask[top : top + size, left : left + size] = True
    return mask


def apply_mask(image: np.ndarray, mask: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Set masked pixels (True = missing) to ``fill``: the inpainting degradation."""
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
