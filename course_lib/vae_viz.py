"""Figures and widget views of lesson 02 (VAEs): the 2-D latent map, interpolations, the β family.

Every widget callback here is a plain function ``view(...) -> matplotlib Figure`` that tests can call without a
browser; :func:`latent_explorer` and :func:`beta_explorer` wire them to sliders with
:func:`course_lib.widgets.explore`. The algorithms live in :mod:`course_lib.vae`, which imports no plotting.
"""

from __future__ import annotations

import keras
import numpy as np
from skimage.util import montage

from .vae import _check_images, beta_table, decode, encode, latent_dim_of, prior_codes
from .validate import check_int, check_range

__all__ = ["latent_map_view", "latent_explorer", "interpolation_view", "beta_view", "beta_explorer"]


def _grid_codes(extent: float, n: int) -> np.ndarray:
    """The n x n grid of 2-D codes over [-extent, extent]², row by row from the top (z2 upwards)."""
    ticks = np.linspace(-extent, extent, n)
    return np.array([[a, b] for b in ticks[::-1] for a in ticks], dtype=np.float32)


def latent_map_view(model: keras.Model, images: np.ndarray, labels: np.ndarray, z1: float = 0.0, z2: float = 0.0,
                    *, extent: float = 3.0, n_grid: int = 8, mu: np.ndarray | None = None):
    """A 2-D latent space: posterior means coloured by label, the image decoded at (z1, z2), and a decoded grid.

    The posterior means μ(x) of ``images`` are coloured by label with the point (z1, z2); the decoded means cover a
    grid over [-extent, extent]². The point and the whole grid are decoded in **one** batched decoder call; pass
    ``mu`` to skip the encoder too, as :func:`latent_explorer` does.

    Parameters
    ----------
    model : keras.Model
        A :func:`~course_lib.vae.build_vae` model with a 2-D latent space.
    images : ndarray, shape (N, 8, 8), float
        Images in [0, 1].
    labels : array_like, shape (N,), int
        Digits 0-9 (colours).
    z1, z2 : float
        The point to decode, each in [-10, 10].
    extent : float
        Half-width of the grid and of the axes.
    n_grid : int
        Grid side, in [2, 40] (8 by default).
    mu : ndarray, shape (N, 2), optional
        Posterior means of ``images`` (from :func:`~course_lib.vae.encode`).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``z1``/``z2`` is not a number or ``n_grid`` not an integer.
    ValueError
        If the model's latent space is not 2-D, or a setting is out of range.
    """
    import matplotlib.pyplot as plt

    if latent_dim_of(model) != 2:
        raise ValueError(f"model must have a 2-D latent space for a map; got latent_dim {latent_dim_of(model)}")
    z1, z2 = check_range(z1, "z1", -10, 10), check_range(z2, "z2", -10, 10)
    n_grid = check_int(n_grid, "n_grid", 2, 40)
    mu = encode(model, images)[0] if mu is None else np.asarray(mu, np.float32)
    decoded = decode(model, np.concatenate([np.array([[z1, z2]], np.float32), _grid_codes(extent, n_grid)]))
    fig, (ax_map, ax_one, ax_grid) = plt.subplots(1, 3, figsize=(8.2, 3.4), width_ratios=[1.25, 0.7, 1.1])
    points = ax_map.scatter(mu[:, 0], mu[:, 1], c=labels, cmap="tab10", s=6, vmin=-0.5, vmax=9.5)
    ax_map.plot([z1], [z2], "kx", markersize=12, markeredgewidth=3)
    ax_map.set(xlim=(-extent, extent), ylim=(-extent, extent), aspect="equal", xlabel="z₁", ylabel="z₂",
               title="posterior means μ(x)\nof the test digits")
    fig.colorbar(points, ax=ax_map, ticks=range(10), label="digit", fraction=0.046)
    ax_one.imshow(decoded[0], cmap="gray", vmin=0, vmax=1)
    ax_one.set_title(f"decoded E[x | z]\nat z = ({z1:.2f}, {z2:.2f})")
    ax_one.axis("off")
    ax_grid.imshow(montage(decoded[1:], grid_shape=(n_grid, n_grid)), cmap="gray", vmin=0, vmax=1,
                   extent=(-extent, extent, -extent, extent))
    ax_grid.plot([z1], [z2], "rx", markersize=10, markeredgewidth=2)
    ax_grid.set(xlabel="z₁", ylabel="z₂", title=f"decoded means\non a {n_grid}×{n_grid} grid")
    fig.tight_layout()
    return fig


def latent_explorer(model: keras.Model, images: np.ndarray, labels: np.ndarray):
    """Two latent sliders → :func:`latent_map_view`: move through the 2-D latent space and decode live.

    Parameters
    ----------
    model : keras.Model
        A :func:`~course_lib.vae.build_vae` model with a 2-D latent space.
    images : ndarray, shape (N, 8, 8), float
        Images in [0, 1] (encoded once).
    labels : array_like, shape (N,), int
        Digits 0-9.

    Returns
    -------
    ipywidgets.VBox

    Raises
    ------
    TypeError, ValueError
        As :func:`~course_lib.vae.encode` and :func:`latent_map_view`.
    """
    import ipywidgets as widgets

    from .widgets import explore

    sliders = {name: widgets.FloatSlider(value=0.0, min=-3.0, max=3.0, step=0.1, description=name)
               for name in ("z1", "z2")}
    mu = encode(model, images)[0]  # once: every redraw then makes a single decoder call
    return explore(latent_map_view, model=model, images=images, labels=labels, mu=mu, **sliders)


def interpolation_view(model: keras.Model, image_a: np.ndarray, image_b: np.ndarray, n_steps: int = 9):
    """Top: decode the straight line between μ(a) and μ(b) in latent space. Bottom: blend the pixels instead.

    Parameters
    ----------
    model : keras.Model
        A :func:`~course_lib.vae.build_vae` model (or one loaded with :func:`~course_lib.vae.load_vae`).
    image_a, image_b : ndarray, shape (8, 8), float
        The two end images in [0, 1].
    n_steps : int
        Images along each line (≥ 2).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If an image is not a float array or ``n_steps`` not an integer.
    ValueError
        If an image is not 8x8 in [0, 1] or ``n_steps`` < 2.
    """
    from .viz import show_images

    pair = _check_images(np.stack([image_a, image_b]), "image_a and image_b")
    t = np.linspace(0, 1, check_int(n_steps, "n_steps", 2))[:, None]
    mu = encode(model, pair)[0]
    latent_line = decode(model, (1 - t) * mu[:1] + t * mu[1:])
    pixel_line = (1 - t[:, :, None]) * pair[:1] + t[:, :, None] * pair[1:]
    titles = [f"latent, t={v:.2f}" for v in t[:, 0]] + [f"pixels, t={v:.2f}" for v in t[:, 0]]
    return show_images(list(latent_line) + list(pixel_line), titles, ncols=len(t), size=1.2,
                       suptitle="interpolation: through the latent space (top) vs in pixel space (bottom)")


def beta_view(models: dict, images: np.ndarray, beta: float, *, n: int = 8, seed: int = 0, table: dict | None = None):
    """Test images, their reconstructions and prior samples of the model trained with ``beta``.

    The test ELBO, its terms and the active units are in the title (from ``table``, see
    :func:`~course_lib.vae.beta_table`, or
    computed here).

    Parameters
    ----------
    models : dict of float to keras.Model
        β → model.
    images : ndarray, shape (N, 8, 8), float
        Images in [0, 1] on the 17 grey levels k/16 (sklearn digits format).
    beta : float
        A key of ``models``.
    n : int
        Images per row, in [1, 32].
    seed : int
        Seed of the prior samples.
    table : dict, optional
        :func:`~course_lib.vae.beta_table`'s result.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``beta`` is not a key of ``models`` or ``n`` is out of range (``TypeError`` if not an integer).
    """
    from .viz import show_images

    if beta not in models:
        raise ValueError(f"beta must be one of the trained values {sorted(models)}; got {beta!r}")
    model, n = models[beta], check_int(n, "n", 1, 32)
    row = (table or {}).get(beta) or beta_table({beta: model}, images, seed=seed)[beta]
    codes = np.concatenate([encode(model, images[:n])[0], prior_codes(n, latent_dim_of(model), seed)])
    decoded = decode(model, codes)
    rows = list(images[:n]) + list(decoded)
    titles = ["test digit"] * n + ["reconstruction"] * n + ["prior sample"] * n
    return show_images(rows, titles, ncols=n, size=1.25, suptitle=(
        f"β = {beta:g}: log p(x|z) {row['reconstruction']:.1f}, KL {row['kl']:.1f}, ELBO {row['elbo']:.1f} "
        f"nats/image; active units {row['active_units']}/{row['latent_dim']}"))


def beta_explorer(models: dict, images: np.ndarray, table: dict | None = None):
    """A slider over the trained β values → :func:`beta_view` (the table is computed once, not per redraw).

    Parameters
    ----------
    models : dict of float to keras.Model
        β → model.
    images : ndarray, shape (N, 8, 8), float
        Images in [0, 1] on the 17 grey levels k/16 (sklearn digits format).
    table : dict, optional
        :func:`~course_lib.vae.beta_table`'s result (computed here if missing).

    Returns
    -------
    ipywidgets.VBox

    Raises
    ------
    TypeError
        If ``images`` is not a numpy array or not float.
    ValueError
        If ``images`` is not (N, 8, 8) with N ≥ 1, leaves [0, 1], holds NaN/inf, or (where the likelihood needs
        it) a value is not a multiple of 1/16.
    """
    import ipywidgets as widgets

    from .widgets import explore

    table = table or beta_table(models, images)
    slider = widgets.SelectionSlider(options=sorted(models), value=1.0 if 1.0 in models else min(models),
                                     description="β")
    return explore(beta_view, models=models, images=images, table=table, beta=slider)
