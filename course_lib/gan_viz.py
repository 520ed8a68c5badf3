"""Figures and widget views of lesson 01 (GANs): the 2-D toy, samples, training snapshots, latent walks.

Every widget callback here is a plain function ``view(...) -> matplotlib Figure`` that tests can call without a
browser; :func:`snapshot_explorer` and :func:`latent_explorer` wire them to sliders with
:func:`course_lib.widgets.explore`. The algorithms live in :mod:`course_lib.gan`, which imports no plotting.
"""

from __future__ import annotations

import numpy as np

from .gan import latent, modes_covered, ring_centres, sample
from .validate import check_batch, check_int

__all__ = ["toy_view", "samples_view", "snapshot_view", "snapshot_explorer", "latent_view", "latent_explorer"]


def toy_view(results: dict, *, size: float = 2.8):
    """Scatter generated 2-D points of each named run over the ring's centres; modes covered in the titles.

    At most 3 panels a row; the figure is never wider than the lesson column.

    Parameters
    ----------
    results : dict
        Maps a run name to an ``(N, 2)`` array of points (or to :func:`~course_lib.gan.train_toy_gan`'s dict).
    size : float
        Side of each panel in inches (capped to fit the column).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If a set of points is not (N, 2).
    """
    import matplotlib.pyplot as plt

    from .viz import FIGURE_INCHES

    ncols = int(np.ceil(len(results) / np.ceil(len(results) / 3)))  # at most 3 panels a row
    nrows = int(np.ceil(len(results) / ncols))
    size = min(size, FIGURE_INCHES / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, (size + 0.45) * nrows + 0.35), squeeze=False,
                             layout="constrained")
    centres = ring_centres()
    for ax in axes.flat[len(results):]:
        ax.axis("off")
    for ax, (name, points) in zip(axes.flat, results.items()):
        points = points["samples"] if isinstance(points, dict) else points
        cover = modes_covered(points)
        ax.scatter(*np.asarray(points).T, s=2, alpha=0.4, label="the panel's points (real or generated)")
        ax.scatter(*centres.T, marker="x", c="red", s=40, label="the 8 mode centres")
        ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", xlabel="x₁", ylabel="x₂")
        ax.set_title(f"{name}\n{cover['modes']}/8 modes, {cover['high_quality']:.0%} high quality")
    legend = fig.legend(*axes[0][0].get_legend_handles_labels(), loc="outside lower center", ncols=2)
    legend.legend_handles[0].set_sizes([16])  # the points' marker, large enough to see in the legend
    legend.legend_handles[0].set_alpha(1)
    return fig


def samples_view(images: np.ndarray, *, classifier=None, n: int = 36, ncols: int = 12, title: str = "samples"):
    """Show ``n`` images with the course classifier's predicted digit and confidence in each title.

    Parameters
    ----------
    images : ndarray, shape (N, 8, 8), float
        Images in [0, 1].
    classifier : keras.Model, optional
        Defaults to the shipped ``digit-classifier``.
    n : int
        How many to show (≥ 1).
    ncols : int
        Columns of the grid.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``images`` is not a float array or ``n`` not an integer.
    ValueError
        If ``images`` is not (N, 8, 8) in [0, 1] or ``n`` < 1.
    """
    from .classifier import load_digit_classifier
    from .metrics import softmax
    from .viz import show_images

    images = check_batch(images, "images", size=(8, 8))[:check_int(n, "n", 1)]
    model = classifier if classifier is not None else load_digit_classifier()
    probabilities = softmax(np.asarray(model(images[..., None], training=False)))
    titles = [f"{p.argmax()} ({p.max():.2f})" for p in probabilities]
    return show_images(list(images), titles, ncols=ncols, size=1.0, suptitle=title)


def snapshot_view(snapshots: dict, index: int = -1):
    """Samples from a fixed z at snapshot ``index``, next to the KID and confident-share curves of the run.

    Parameters
    ----------
    snapshots : dict
        As :func:`~course_lib.gan.load_snapshots` returns: ``step``, ``images`` (S, 36, 8, 8), ``kid``,
        ``confident_share``.
    index : int
        Which snapshot (negative counts from the end; taken modulo S).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    steps = np.asarray(snapshots["step"])
    index = int(index) % len(steps)
    fig = plt.figure(figsize=(8.2, 4.0), layout="constrained")
    grid, curves = fig.subfigures(1, 2, width_ratios=[1.1, 1])
    axes = grid.subplots(6, 6)
    for ax, image in zip(axes.flat, snapshots["images"][index]):
        ax.imshow(image, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.axis("off")
    grid.suptitle(f"step {steps[index]}: confident share {snapshots['confident_share'][index]:.0%}, "
                  f"KID ×10³ {snapshots['kid'][index]:.1f}", fontsize=10)
    ax_kid = curves.subplots()
    ax_kid.plot(steps, snapshots["kid"], color="C0", marker=".")
    ax_kid.set(xlabel="training step", ylabel="KID ×10³ (lower is better; symlog scale)", title="training over time")
    ax_kid.set_yscale("symlog", linthresh=10)  # unbiased KID can be slightly negative: no plain log axis
    ax_share = ax_kid.twinx()
    ax_share.plot(steps, snapshots["confident_share"], color="C1", marker=".")
    ax_share.set(ylabel="confident share (≥ 0.9)", ylim=(0, 1))
    ax_kid.axvline(steps[index], color="gray", linestyle="--")
    ax_kid.legend(ax_kid.lines[:1] + ax_share.lines[:1], ["KID", "confident share"], loc="center right")
    return fig


def snapshot_explorer(snapshots: dict):
    """A slider over the training snapshots (labelled by step) → :func:`snapshot_view`.

    Parameters
    ----------
    snapshots : dict
        As :func:`~course_lib.gan.load_snapshots` returns.

    Returns
    -------
    ipywidgets.VBox
    """
    import ipywidgets as widgets

    from .widgets import explore

    options = [(f"{step:,}", i) for i, step in enumerate(snapshots["step"])]  # shows the step, not an index
    slider = widgets.SelectionSlider(options=options, value=len(options) - 1, description="step",
                                     style={"description_width": "initial"})
    return explore(snapshot_view, snapshots=snapshots, index=slider)


def latent_view(generator, seed_a: int = 0, seed_b: int = 1, n_steps: int = 10):
    """Walk in a straight line from z(seed_a) to z(seed_b) and show the generated image at each step.

    Parameters
    ----------
    generator : keras.Model
        An image generator.
    seed_a, seed_b : int
        Seeds of the two end points (:func:`~course_lib.gan.latent`).
    n_steps : int
        Images along the line (≥ 2).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError, ValueError
        If ``n_steps`` is not an integer ≥ 2 or a seed is not an integer ≥ 0.
    """
    from .viz import show_images

    z_a, z_b = (latent(1, generator.input_shape[-1], seed) for seed in (seed_a, seed_b))
    t = np.linspace(0, 1, check_int(n_steps, "n_steps", 2))[:, None]
    images = sample(generator, z=(1 - t) * z_a + t * z_b)
    return show_images(list(images), [f"t = {v:.2f}" for v in t[:, 0]], ncols=n_steps, size=1.1,
                       suptitle=f"latent interpolation z = (1 - t)·z(seed {seed_a}) + t·z(seed {seed_b})")


def latent_explorer(generator):
    """Two seed sliders → :func:`latent_view` (interpolation between the two noise vectors).

    Parameters
    ----------
    generator : keras.Model
        An image generator.

    Returns
    -------
    ipywidgets.VBox
    """
    import ipywidgets as widgets

    from .widgets import explore

    seed_a = widgets.IntSlider(value=0, min=0, max=99, description="seed A")
    seed_b = widgets.IntSlider(value=1, min=0, max=99, description="seed B")
    return explore(latent_view, generator=generator, seed_a=seed_a, seed_b=seed_b)
