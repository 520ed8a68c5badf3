"""Figures: image grids with metrics in the titles, before/after comparisons, training curves.

Importing this module applies the course style (:data:`STYLE`): figures are drawn for the notebook
column a lesson really has. JupyterLab at 1280×800 (a common projector) with the file browser open
leaves an output column of about 850 CSS pixels (968 at 1400×900); inline figures are PNGs at
``figure.dpi`` = 100, so a figure of :data:`COLUMN_INCHES` = 8.4 inches fills it without being
shrunk, and a 9 pt label stays 9 pt on screen. No text in the style is under 9 pt.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import numpy as np

from .validate import check_image

__all__ = ["COLUMN_INCHES", "FIGURE_INCHES", "MIN_FONT_PT", "STYLE", "apply_style", "column_figsize", "show_images",
           "compare", "plot_history"]

#: Width of the lesson column in inches at ``figure.dpi`` (840 px): no figure's PNG is wider.
COLUMN_INCHES = 8.4
#: The widest figure to make: the column less the padding the inline backend's tight bounding box adds.
FIGURE_INCHES = 8.2
#: Smallest font size (points) of any text in a course figure, at 100 % zoom.
MIN_FONT_PT = 9.0
#: The course's matplotlib style (rcParams), applied on import by :func:`apply_style`.
STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.figsize": (6.4, 3.6),
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
    "figure.titlesize": 11,
    "axes.titlelocation": "center",
}


def apply_style() -> None:
    """Apply :data:`STYLE` to matplotlib's rcParams (done once when ``course_lib.viz`` is imported)."""
    mpl.rcParams.update(STYLE)


def column_figsize(aspect: float = 0.4, width: float = 1.0) -> tuple[float, float]:
    """A figure size ``(w, h)`` in inches: ``width`` (share of the column, 0-1] and height ``aspect * w``.

    Parameters
    ----------
    aspect : float
        Height over width.
    width : float
        Share of the lesson column (:data:`FIGURE_INCHES`), clipped to [0.05, 1].

    Returns
    -------
    (float, float)
        Width and height in inches.

    Examples
    --------
    >>> column_figsize(0.5)
    (8.2, 4.1)
    """
    w = FIGURE_INCHES * min(max(float(width), 0.05), 1.0)
    return (w, aspect * w)


apply_style()


def show_images(
    images: Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    *,
    ncols: int | None = None,
    size: float = 2.6,
    suptitle: str | None = None,
    vmin: float = 0.0,
    vmax: float = 1.0,
    row_labels: Sequence[str] | None = None,
):
    """Show images in a grid (grayscale with ``cmap="gray"`` on a fixed [vmin, vmax] scale).

    The grid is never wider than the lesson column (:data:`FIGURE_INCHES`).

    Parameters
    ----------
    images : sequence of ndarray
        Float ``(H, W)`` or ``(H, W, 3)`` arrays with finite values; values outside [vmin, vmax] are clipped for
        display (an error image may be negative).
    titles : sequence of str, optional
        One title per image.
    ncols : int, optional
        Columns of the grid (default: all images in one row, at most 6).
    size : float
        Side of each panel in inches.
    suptitle : str, optional
        Title of the whole figure.
    vmin, vmax : float
        Grey-scale range (intensity units; black at ``vmin``, white at ``vmax``).
    row_labels : sequence of str, optional
        One label per row, written left of it, so that per-image titles can stay short.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If an image is not a float numpy array.
    ValueError
        If an image has the wrong shape or holds NaN/inf, ``images`` is empty, or ``titles`` (``row_labels``) does
        not have one entry per image (row).

    Examples
    --------
    >>> fig = show_images([np.zeros((4, 4)), np.ones((4, 4))], ["black", "white"])
    >>> len(fig.axes)
    2
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import matplotlib.pyplot as plt

    images = [check_image(image, f"images[{k}]", value_range=None) for k, image in enumerate(images)]
    if not images:
        raise ValueError("images must hold at least one image; got none")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles must have one entry per image ({len(images)}); got {len(titles)}")
    ncols = ncols or min(len(images), 6)
    nrows = int(np.ceil(len(images) / ncols))
    size = min(size, FIGURE_INCHES / ncols)  # never wider than the lesson's column
    title_lines = max((str(t).count("\n") + 1 for t in titles), default=0) if titles is not None else 0
    if row_labels is not None:  # room on the left for the labels
        size = min(size, (FIGURE_INCHES - 0.09 * max(len(str(label)) for label in row_labels)) / ncols)
    height = size * nrows + 0.2 * title_lines * nrows + (0.5 if suptitle else 0)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, height), squeeze=False, layout="constrained")
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(images):
            image = images[k]
            ax.imshow(np.clip(image, vmin, vmax), cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
            if titles is not None:
                ax.set_title(titles[k], fontsize=MIN_FONT_PT)
    if row_labels is not None:
        if len(row_labels) != nrows:
            raise ValueError(f"row_labels must have one entry per row ({nrows}); got {len(row_labels)}")
        for ax, label in zip(axes[:, 0], row_labels):
            ax.text(-0.08, 0.5, label, transform=ax.transAxes, ha="right", va="center", fontsize=MIN_FONT_PT)
    if suptitle:
        fig.suptitle(suptitle, wrap=True)
    return fig


def compare(reference: np.ndarray, estimates: dict[str, np.ndarray], *, size: float = 3.0, suptitle=None):
    """Show the clean ``reference`` next to each named estimate, with PSNR and SSIM in the titles.

    SSIM is left out for images smaller than 7x7.

    Parameters
    ----------
    reference : ndarray, shape (H, W) or (H, W, 3), float
        Clean image in [0, 1].
    estimates : dict of str to ndarray
        Named images of the same shape (any finite values; scored clipped to [0, 1]).
    size : float
        Side of each panel in inches (at most 4 panels a row, rows balanced).
    suptitle : str, optional
        Title of the whole figure.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If an image is not a float numpy array.
    ValueError
        If ``reference`` leaves [0, 1], an image holds NaN/inf, or an estimate's shape differs from the
        reference's.
    """
    from .metrics import psnr, ssim

    reference = check_image(reference, "reference")
    titles = ["reference (clean)"]
    for name, estimate in estimates.items():
        small = min(reference.shape[:2]) < 7
        quality = f"{psnr(reference, estimate):.2f} dB" + ("" if small else f", SSIM {ssim(reference, estimate):.3f}")
        titles.append(f"{name}\n{quality}")
    n = len(titles)
    ncols = int(np.ceil(n / np.ceil(n / 4)))  # at most 4 panels a row, rows balanced: readable titles
    return show_images([reference, *estimates.values()], titles, ncols=ncols, size=size, suptitle=suptitle)


def plot_history(history: dict, keys: Sequence[str] | None = None, *, ax=None, logy: bool = False, title=None):
    """Plot training curves from :func:`course_lib.train.run_steps`'s history (x axis: step).

    Parameters
    ----------
    history : dict of str to list
        ``{"step": [...], name: [...]}`` as returned by :func:`course_lib.train.run_steps`.
    keys : sequence of str, optional
        Which curves to draw (default: every entry except ``step``, ``interrupted_at`` and ``completed``).
    ax : matplotlib.axes.Axes, optional
        Draw into these axes (default: a new 5x3-inch figure).
    logy : bool
        Logarithmic y axis.
    title : str, optional
        Axes title (default ``"training curves"``).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``history`` has no ``"step"`` entry.
    """
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
