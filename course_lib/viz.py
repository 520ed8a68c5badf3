"""Figures: image grids with metrics in the titles, before/after comparisons, training curves."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .validate import check_image

__all__ = ["show_images", "compare", "plot_history"]


def show_images(
    images: Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    *,
    ncols: int | None = None,
    size: float = 2.6,
    suptitle: str | None = None,
    vmin: float = 0.0,
    vmax: float = 1.0,
):
    """Show images in a grid (grayscale with ``cmap="gray"`` on a fixed [vmin, vmax] scale).

    Each image is a float ``(H, W)`` or ``(H, W, 3)`` array with finite values; values outside
    [vmin, vmax] are clipped for display (an error image may be negative). Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    images = [check_image(image, f"images[{k}]", value_range=None) for k, image in enumerate(images)]
    if not images:
        raise ValueError("images must hold at least one image; got none")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles must have one entry per image ({len(images)}); got {len(titles)}")
    ncols = ncols or min(len(images), 6)
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if suptitle else 0)),
                             squeeze=False, layout="constrained")
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(images):
            image = images[k]
            ax.imshow(np.clip(image, vmin, vmax), cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
            if titles is not None:
                ax.set_title(titles[k], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def compare(reference: np.ndarray, estimates: dict[str, np.ndarray], *, size: float = 3.0, suptitle=None):
    """Show the clean ``reference`` next to each named estimate, with PSNR and SSIM in the titles."""
    from .metrics import psnr, ssim

    reference = check_image(reference, "reference")
    titles = ["reference (clean)"]
    for name, estimate in estimates.items():
        small = min(reference.shape[:2]) < 7
        quality = f"{psnr(reference, estimate):.2f} dB" + ("" if small else f", SSIM {ssim(reference, estimate):.3f}")
        titles.append(f"{name}\n{quality}")
    return show_images([reference, *estimates.values()], titles, size=size, suptitle=suptitle)


def plot_history(history: dict, keys: Sequence[str] | None = None, *, ax=None, logy: bool = False, title=None):
    """Plot training curves from :func:`course_lib.train.run_steps`'s history (x axis: step)."""
    import matplotlib.pyplot as plt

    if "step" not in history:
        raise ValueError("history must have a 'step' entry (as returned by course_lib.train.run_steps)")
    keys = keys or [key for key in history if key not in ("step", "interrupted_at", "completed")]
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3))
    for key in keys:
        ax.plot(history["step"], history[key], label=key)
    ax.set_xlabel("training step")
    ax.set_ylabel("value")
    if logy:
        ax.set_yscale("log")
    ax.legend()
    ax.set_title(title or "training curves")
    ax.figure.tight_layout()
    return ax
