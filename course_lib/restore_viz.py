"""Figures and widget views of lesson 04 (CNN restoration): denoising and inpainting of one photo, any method.

Every widget callback here is a plain function ``view(...) -> matplotlib Figure`` that tests can call without a
browser; the lesson wires them to controls with :func:`course_lib.widgets.explore`. The algorithms live in
:mod:`course_lib.restore`, which imports no plotting.
"""

from __future__ import annotations

import time

import numpy as np

from .baselines import classical_denoise, classical_fill
from .metrics import psnr
from .restore import cnn_denoise, cnn_inpaint
from .validate import check_choice, check_image

__all__ = ["denoise_view", "inpaint_view"]


def denoise_view(image: np.ndarray, sigma_255: float = 25, method: str = "cnn (σ given)", seed: int = 0):
    """Add noise σ = ``sigma_255``/255 to ``image``, denoise it with ``method``; show result, error and PSNR.

    Parameters
    ----------
    image : ndarray, shape (H, W), float
        Clean image in [0, 1].
    sigma_255 : float
        Noise standard deviation on the 0-255 scale.
    method : str
        ``"cnn (σ given)"``, ``"cnn (blind)"`` (any name starting with ``cnn``), ``"bm3d"`` or ``"nl-means"``.
    seed : int
        Seed of the noise.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError, ValueError
        As :func:`course_lib.degrade.add_gaussian_noise`, :func:`~course_lib.restore.cnn_denoise` and
        :func:`~course_lib.baselines.classical_denoise`.
    """
    import matplotlib.pyplot as plt

    from .degrade import add_gaussian_noise

    sigma = sigma_255 / 255
    noisy = add_gaussian_noise(image, sigma, seed=seed)
    start = time.perf_counter()
    if method.startswith("cnn"):
        out = cnn_denoise(noisy, sigma if "given" in method else None)
    else:
        out = classical_denoise(noisy, sigma, method)
    seconds = time.perf_counter() - start
    fig, axes = plt.subplots(1, 3, figsize=(8.2, 3.3))
    panels = [(noisy, f"noisy σ={sigma_255:g}/255\n{psnr(image, noisy):.2f} dB"),
              (out, f"{method}\n{psnr(image, out):.2f} dB, {seconds:.2f} s"), (out - image, "error (±0.2)")]
    for ax, (im, title) in zip(axes, panels):
        lo, hi = (-0.2, 0.2) if title.startswith("error") else (0, 1)
        ax.imshow(im, cmap="gray", vmin=lo, vmax=hi)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    return fig


def inpaint_view(image: np.ndarray, mask_kind: str = "strokes", seed: int = 0, method: str = "cnn"):
    """Cut holes (``"strokes"`` or ``"boxes"``) into ``image`` and fill them with ``method``; PSNR inside the mask.

    Parameters
    ----------
    image : ndarray, shape (H, W), float
        Clean image in [0, 1], at least 32x32.
    mask_kind : {"strokes", "boxes"}
        Six 5-pixel strokes or four 16x16 boxes.
    seed : int
        Seed of the mask.
    method : {"cnn", "telea", "biharmonic"}
        The fill.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``image`` is not a float array.
    ValueError
        If ``image`` is not 2-D in [0, 1] or smaller than 32x32, or ``mask_kind``/``method`` is unknown.
    """
    import matplotlib.pyplot as plt

    from .degrade import apply_mask, box_mask, stroke_mask

    image = check_image(image, ndim=(2,), min_size=32)
    strokes = check_choice(mask_kind, "mask_kind", ("strokes", "boxes")) == "strokes"
    method = check_choice(method, "method", ("cnn", "telea", "biharmonic"))
    mask = stroke_mask(image.shape, 6, 5, seed=seed) if strokes else box_mask(image.shape, 4, 16, seed=seed)
    observed = apply_mask(image, mask)
    out = cnn_inpaint(observed, mask) if method == "cnn" else classical_fill(observed, mask, method)
    inside = psnr(image, out, mask=mask)
    fig, axes = plt.subplots(1, 2, figsize=(7, 3.6))
    for ax, im, title in zip(axes, (observed, out), ("observed (holes = 0)", f"{method}: {inside:.2f} dB inside mask")):
        ax.imshow(im, cmap="gray", vmin=0, vmax=1)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    return fig
