"""Measurements, figures and widget callbacks of lesson 03 (BM3D), compared with the classical baselines.

Every widget callback here is a plain function ``view(...) -> matplotlib Figure`` that tests can call without a
browser; :func:`match_explorer` and :func:`denoise_explorer` wire them to sliders with
:func:`course_lib.widgets.explore`.
"""

from __future__ import annotations

import time

import numpy as np

from . import bm3d as B
from .baselines import BASELINES
from .degrade import add_gaussian_noise
from .metrics import psnr
from .validate import check_choice, check_image, check_int, check_noisy, check_positive, check_range

__all__ = [
    "patch_recurrence", "recurrence_figure", "match_view", "match_explorer", "match_agreement",
    "group_sparsity", "sparsity_figure", "step1_variant", "denoise_view", "denoise_explorer", "compare_methods",
]


# ------------------------------------------------------------------------------------------ patches repeat
def patch_recurrence(image: np.ndarray, *, k: int = 16, step: int = 6, seed: int = 0) -> dict[str, np.ndarray]:
    """Distance (RMS per pixel, 0-255 units) from each reference block to its k-th closest block in the window.

    Measured on ``image`` and on a copy whose pixels are shuffled (same histogram, no structure): if natural
    images had no repeating patches, the two would match.

    Parameters
    ----------
    image : ndarray, shape (H, W), float
        Clean grayscale image in [0, 1], at least 8x8.
    k : int
        Which neighbour to measure, in [2, 64] (the reference block itself is the first).
    step : int
        Pixels between reference blocks (≥ 1).
    seed : int
        Seed of the pixel shuffle.

    Returns
    -------
    dict of str to ndarray, shape (R,), float32
        ``{"image": distances, "shuffled pixels": distances}``, RMS differences on the 0-255 scale.

    Raises
    ------
    TypeError
        If ``image`` is not a float array or ``k``/``step`` is not an integer.
    ValueError
        If ``image`` is not 2-D grayscale in [0, 1] or smaller than a block, or ``k`` is outside [2, 64].

    Examples
    --------
    >>> image = np.tile(np.linspace(0, 1, 24, dtype=np.float32), (24, 1))
    >>> d = patch_recurrence(image, k=4, step=8)
    >>> bool(np.median(d["image"]) < np.median(d["shuffled pixels"]))
    True
    """
    image = check_image(image)
    k = check_int(k, "k", 2, 64)
    shuffled = np.random.default_rng(seed).permutation(image.ravel()).reshape(image.shape)
    out = {}
    for name, img in (("image", image), ("shuffled pixels", shuffled)):
        groups = B.match_blocks(img, step=step, max_blocks=1 << (k - 1).bit_length(), tau=np.inf)
        out[name] = 255 * np.sqrt(groups.distances[:, k - 1])
    return out


def recurrence_figure(image: np.ndarray, *, k: int = 16, seed: int = 0):
    """Histogram of :func:`patch_recurrence` for the image and its pixel-shuffled copy, with the medians.

    Parameters
    ----------
    image : ndarray, shape (H, W), float
        Clean grayscale image in [0, 1], at least 8x8.
    k : int
        Which neighbour to measure, in [2, 64].
    seed : int
        Seed of the pixel shuffle.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError, ValueError
        As :func:`patch_recurrence`.
    """
    import matplotlib.pyplot as plt

    dist = patch_recurrence(image, k=k, seed=seed)
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    bins = np.linspace(0, max(np.percentile(d, 99) for d in dist.values()), 50)
    for name, d in dist.items():
        ax.hist(d, bins=bins, alpha=0.6, label=f"{name} (median {np.median(d):.1f})")
    ax.set_xlabel(f"RMS difference to the {k}-th closest 8x8 block in a 39x39 window (0-255 units)")
    ax.set_ylabel("reference blocks")
    ax.set_title("natural images repeat themselves; shuffled pixels do not")
    ax.legend()
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------ block matching
def match_view(image: np.ndarray, y: int = 120, x: int = 100, sigma255: float = 25.0, *, seed: int = 0,
               n_show: int = 8):
    """Block matching seen from one reference block: the noisy image with the group drawn on it.

    Shows the first ``n_show`` matched blocks with their distances, and how many of them the *clean* image would
    pick.

    Parameters
    ----------
    image : ndarray, shape (H, W), float
        Clean grayscale image in [0, 1], at least 8x8.
    y, x : int
        Top-left corner of the reference block in pixels (clipped into the image).
    sigma255 : float
        Noise standard deviation on the 0-255 scale (> 0).
    seed : int
        Seed of the noise.
    n_show : int
        How many matched blocks to draw.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``image`` is not a float array or ``sigma255`` is not a number.
    ValueError
        If ``image`` is not 2-D in [0, 1] or smaller than 8x8, or ``sigma255`` ≤ 0.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    image = check_image(image, ndim=(2,), min_size=8)
    sigma255 = check_positive(sigma255, "sigma255")
    y = int(np.clip(y, 0, image.shape[0] - 8))
    x = int(np.clip(x, 0, image.shape[1] - 8))
    noisy = add_gaussian_noise(image, sigma255 / 255, seed=seed)
    p = B.NORMAL.hard
    noisy_groups = B.match_blocks(noisy, at=(y, x), tau=B.matching_threshold(p.tau_match, np.ptp(noisy)))
    clean_groups = B.match_blocks(image, at=(y, x), tau=B.matching_threshold(p.tau_match, np.ptp(image)))
    n = int(noisy_groups.sizes[0])
    found = {tuple(q) for q in noisy_groups.positions[0, :n]}
    truth = {tuple(q) for q in clean_groups.positions[0, : clean_groups.sizes[0]]}

    fig = plt.figure(figsize=(8.2, 3.3), layout="constrained")
    grid = fig.add_gridspec(2, n_show + 4)
    ax = fig.add_subplot(grid[:, :4])
    ax.imshow(np.clip(noisy, 0, 1), cmap="gray", vmin=0, vmax=1)
    ax.add_patch(Rectangle((x - 19.5, y - 19.5), 46, 46, fill=False, ec="cyan", ls="--", lw=1))
    for qy, qx in noisy_groups.positions[0, :n][::-1]:
        ax.add_patch(Rectangle((qx - 0.5, qy - 0.5), 8, 8, fill=False, ec="yellow", lw=1))
    ax.add_patch(Rectangle((x - 0.5, y - 0.5), 8, 8, fill=False, ec="red", lw=2))
    ax.set_title(f"σ={sigma255:g}: group of {n}\n(red: reference, cyan: search window)", fontsize=9)
    ax.axis("off")
    for i in range(min(n_show, n)):
        qy, qx = noisy_groups.positions[0, i]
        for row, img, label in ((0, noisy, "noisy"), (1, image, "clean")):
            a = fig.add_subplot(grid[row, 4 + i])
            a.imshow(np.clip(img[qy : qy + 8, qx : qx + 8], 0, 1), cmap="gray", vmin=0, vmax=1)
            a.set_xticks([])
            a.set_yticks([])
            if row == 0:
                a.set_title(f"{255**2 * noisy_groups.distances[0, i]:.0f}", fontsize=9)
            if i == 0:
                a.set_ylabel(label, fontsize=9)
    agree = len(found & truth) / max(len(found), 1)
    fig.suptitle(f"matched on the noisy image (titles: distance d in 0-255 units², per pixel); {100 * agree:.0f}% of "
                 f"these blocks are also in the clean image's group of {int(clean_groups.sizes[0])}", fontsize=10,
                 wrap=True)
    return fig


def match_explorer(image: np.ndarray):
    """Sliders for the reference block's position and σ → :func:`match_view`.

    Parameters
    ----------
    image : ndarray, shape (H, W), float
        Clean grayscale image in [0, 1], at least 8x8.

    Returns
    -------
    ipywidgets.VBox
        The sliders above the figure (see :func:`course_lib.widgets.explore`).

    Raises
    ------
    TypeError, ValueError
        As :func:`match_view`, for a bad ``image``.
    """
    import ipywidgets as widgets

    from .widgets import explore

    h, w = image.shape
    return explore(match_view, image=image,
                   y=widgets.IntSlider(value=min(120, h - 8), min=0, max=h - 8, description="block row"),
                   x=widgets.IntSlider(value=min(100, w - 8), min=0, max=w - 8, description="block col"),
                   sigma255=widgets.FloatSlider(value=25, min=5, max=75, step=5, description="σ (0-255)"))


def match_agreement(clean: np.ndarray, sigmas255=(5, 15, 25, 50, 75), *, seed: int = 0) -> dict[str, list[float]]:
    """How well matching on noisy data finds the blocks that matching on the clean image finds.

    For each σ: the mean fraction of the 16 blocks matched on the noisy image that are among the 16 matched on
    the clean image (same reference blocks, no threshold), the same for matching on BM3D's basic estimate
    (what step 2 does), and the mean step-1 group size with the real threshold.

    Parameters
    ----------
    clean : ndarray, shape (H, W), float
        Clean grayscale image in [0, 1], at least 8x8.
    sigmas255 : sequence of float
        Noise levels on the 0-255 scale, each in (0, 255].
    seed : int
        Seed of the noise.

    Returns
    -------
    dict of str to list of float
        ``sigma255``, ``noisy`` and ``basic`` (fractions in [0, 1]) and ``group_size`` (blocks), one entry per σ.

    Raises
    ------
    TypeError
        If ``clean`` is not a float numpy array (uint8 included: divide by 255 first).
    ValueError
        If ``clean`` is not 2-D, is smaller than 8x8, holds NaN/inf or values outside [0, 1].
    """
    clean = check_image(clean, ndim=(2,), min_size=8)
    truth = B.match_blocks(clean, step=6, tau=np.inf).positions
    result: dict[str, list[float]] = {"sigma255": [], "noisy": [], "basic": [], "group_size": []}
    for s in sigmas255:
        noisy = add_gaussian_noise(clean, s / 255, seed=seed)
        basic = B.bm3d(noisy, s / 255, stage="hard")
        result["sigma255"].append(float(s))
        for key, img in (("noisy", noisy), ("basic", basic)):
            found = B.match_blocks(img, step=6, tau=np.inf).positions
            result[key].append(_overlap(found, truth))
        sizes = B.match_blocks(noisy, tau=B.matching_threshold(2500, np.ptp(noisy))).sizes
        result["group_size"].append(float(sizes.mean()))
    return result


def _overlap(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean fraction of each row of ``found`` (R, N, 2) that also appears in the same row of ``truth``."""
    key_f = found[..., 0] * 100_000 + found[..., 1]
    key_t = truth[..., 0] * 100_000 + truth[..., 1]
    return float(np.mean([np.isin(f, t).mean() for f, t in zip(key_f, key_t)]))


# ------------------------------------------------------------------------------------------ sparsity
def group_sparsity(image: np.ndarray, *, step: int = 9, transform: str = "bior1.5") -> dict[str, np.ndarray]:
    """How much of the non-DC energy the largest coefficients hold: one block alone vs its group of 16.

    Groups come from block matching on ``image`` (clean, so that sparsity is about the signal, not noise).  A
    single block uses its 2-D spectrum; a group its 3-D spectrum (2-D transform + Haar along the 16 blocks),
    with the number of coefficients counted *per block* (divided by 16) so that the two are comparable.

    Parameters
    ----------
    image : ndarray, shape (H, W), float
        Clean grayscale image in [0, 1], at least 11x11.
    step : int
        Pixels between reference blocks.
    transform : {"bior1.5", "dct"}
        The 2-D block transform.

    Returns
    -------
    dict of str to ndarray
        ``coefficients_per_block`` (1 ... 63) and the mean captured energy fraction (in [0, 1]) for ``block`` and
        ``group``, each of shape (63,).

    Raises
    ------
    TypeError
        If ``image`` is not a float numpy array (uint8 included: divide by 255 first).
    ValueError
        If ``image`` is not 2-D, is smaller than 11x11 (a full group of 16 blocks), holds NaN/inf or values outside [0,
        1].
    """
    image = check_image(image, ndim=(2,), min_size=11)  # 11x11 = 4x4 block positions: a full group of 16
    groups = B.match_blocks(image, step=step, tau=np.inf)
    blocks = B.extract_blocks(image, groups.positions, 8)                     # (R, 16, 8, 8)
    alone = B.transform_3d(blocks.reshape(-1, 1, 8, 8), transform).reshape(len(blocks), 16, 64)[..., 1:]
    together = B.transform_3d(blocks, transform).reshape(len(blocks), 16 * 64)[:, 1:]
    textured = (alone**2).sum(-1).min(-1) > 1e-6                                # skip perfectly flat groups
    alone, together = alone[textured].reshape(-1, 63), together[textured]
    per_block = np.arange(1, 64)
    captured_alone = np.cumsum(np.sort(alone**2, axis=1)[:, ::-1], axis=1)
    captured_alone /= captured_alone[:, -1:]
    captured_together = np.cumsum(np.sort(together**2, axis=1)[:, ::-1], axis=1)
    captured_together /= captured_together[:, -1:]
    return {"coefficients_per_block": per_block, "block": captured_alone.mean(0),
            "group": captured_together[:, per_block * 16 - 1].mean(0)}


def sparsity_figure(image: np.ndarray):
    """Energy-compaction curves of :func:`group_sparsity`, with the energy held by 1 coefficient per block.

    Parameters
    ----------
    image : ndarray, shape (H, W), float
        Clean grayscale image in [0, 1], at least 11x11.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``image`` is not a float numpy array (uint8 included: divide by 255 first).
    ValueError
        If ``image`` is not 2-D, is smaller than 11x11, holds NaN/inf or values outside [0, 1].
    """
    import matplotlib.pyplot as plt

    s = group_sparsity(image)
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.plot(s["coefficients_per_block"], s["block"], marker=".",
            label=f"one block, 2-D (1 coeff.: {s['block'][0]:.0%})")
    ax.plot(s["coefficients_per_block"], s["group"], marker=".",
            label=f"group of 16, 3-D (1 coeff./block: {s['group'][0]:.0%})")
    ax.set_xscale("log")
    ax.set_xlabel("largest coefficients kept, per block")
    ax.set_ylabel("fraction of non-DC energy kept")
    ax.set_title("the same blocks are sparser as a group")
    ax.legend()
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------ step 1, taken apart
def step1_variant(noisy: np.ndarray, sigma: float, *, weights: bool = True, kaiser: bool = True,
                  keep_dc: bool = True, max_blocks: int = 16, lambda_3d: float = 2.7) -> np.ndarray:
    """Step 1 rebuilt from the public building blocks, with switches to remove one ingredient at a time.

    With the defaults it equals :func:`course_lib.bm3d.bm3d_step1`.  ``weights=False``: every group weighs 1;
    ``kaiser=False``: a flat window; ``keep_dc=False``: the DC is thresholded like any coefficient;
    ``max_blocks=1``: no collaboration (each block is filtered alone: plain 2-D transform thresholding).

    Parameters
    ----------
    noisy : ndarray, shape (H, W), float
        Noisy grayscale image (0-1 scale plus noise, not clipped), at least 8x8.
    sigma : float
        Noise standard deviation in (0, 1] (0-1 scale).
    weights, kaiser, keep_dc : bool
        Keep the aggregation weights, the Kaiser window, the DC coefficient.
    max_blocks : int
        Group size :math:`N_2`, a power of two (1 = no collaboration).
    lambda_3d : float
        Hard threshold in units of σ.

    Returns
    -------
    ndarray, shape (H, W), float32
        The basic estimate of the variant.

    Raises
    ------
    TypeError
        If ``noisy`` is not a float array or ``sigma`` is not a number.
    ValueError
        If ``noisy`` is not 2-D, holds NaN/inf or leaves [0, 1] by more than 0.5 + 10 σ, ``sigma`` is not in
        (0, 1], or ``max_blocks`` is not a power of two.

    References
    ----------
    Dabov et al. 2007 (see :mod:`course_lib.bm3d`).
    """
    sigma = check_range(sigma, "sigma", 0, 1, lo_open=True)
    noisy = check_noisy(noisy, "noisy", sigma, ndim=(2,))
    p = B.NORMAL.hard
    groups = B.match_blocks(noisy, max_blocks=max_blocks, tau=B.matching_threshold(p.tau_match, np.ptp(noisy)))
    numerator, denominator = np.zeros(noisy.shape), np.zeros(noisy.shape)
    window = B.kaiser_window(8, p.beta) if kaiser else np.ones((8, 8))
    for positions in B._batches(groups):
        spectra = B.transform_3d(B.extract_blocks(noisy, positions, 8), p.transform)
        thresholded, n_kept = B.hard_threshold(spectra, lambda_3d * sigma, keep_dc=keep_dc)
        estimates = B.transform_3d(thresholded, p.transform, inverse=True)
        w = 1.0 / (sigma**2 * n_kept) if weights else np.ones(len(positions))
        B.aggregate(numerator, denominator, estimates, positions, w, window)
    return (numerator / denominator).astype(np.float32)


# ------------------------------------------------------------------------------------------ interactive denoising
def denoise_view(image: np.ndarray, sigma255: float = 25.0, lambda_3d: float = 2.7, *, seed: int = 0):
    """Noisy → step 1 → step 2 on ``image`` at noise σ (0-255 units) and hard threshold λ3D, PSNR in the titles.

    Parameters
    ----------
    image : ndarray, shape (H, W), float
        Clean grayscale image in [0, 1], at least 8x8.
    sigma255 : float
        Noise standard deviation on the 0-255 scale, in (0, 255].
    lambda_3d : float
        Hard threshold of step 1 in units of σ (> 0).
    seed : int
        Seed of the noise.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``image`` is not a float array or a number argument is not a number.
    ValueError
        If ``image`` is not 2-D in [0, 1] or smaller than 8x8, ``sigma255`` is not in (0, 255], or
        ``lambda_3d`` ≤ 0.
    """
    from .viz import show_images

    image = check_image(image, ndim=(2,), min_size=8)
    sigma = check_positive(sigma255, "sigma255") / 255
    noisy = add_gaussian_noise(image, sigma, seed=seed)
    start = time.perf_counter()
    basic = B.bm3d(noisy, sigma, stage="hard", lambda_3d=lambda_3d)
    final = B.bm3d_step2(noisy, basic, sigma)
    seconds = time.perf_counter() - start
    titles = ["clean", f"noisy σ={sigma255:g}\n{psnr(image, noisy):.2f} dB",
              f"step 1, λ3D={lambda_3d:.2f}\n{psnr(image, basic):.2f} dB",
              f"step 2 (final)\n{psnr(image, final):.2f} dB"]
    return show_images([image, noisy, basic, final], titles, size=2.6,
                       suptitle=f"BM3D from scratch ({seconds:.2f} s for both steps)")


def denoise_explorer(image: np.ndarray):
    """σ and λ3D sliders → :func:`denoise_view` (redraws when a slider is released).

    Parameters
    ----------
    image : ndarray, shape (H, W), float
        Clean grayscale image in [0, 1], at least 8x8.

    Returns
    -------
    ipywidgets.VBox
        The sliders above the figure (see :func:`course_lib.widgets.explore`).

    Raises
    ------
    TypeError, ValueError
        As :func:`denoise_view`, for a bad ``image``.
    """
    import ipywidgets as widgets

    from .widgets import explore

    return explore(denoise_view, image=image,
                   sigma255=widgets.FloatSlider(value=25, min=5, max=75, step=5, description="σ (0-255)"),
                   lambda_3d=widgets.FloatSlider(value=2.7, min=1.0, max=5.0, step=0.1, description="λ3D"))


# ------------------------------------------------------------------------------------------ all methods
def compare_methods(clean: np.ndarray, sigma255: float, *, seed: int = 0, tuned: dict[str, float] | None = None,
                    include: tuple[str, ...] = ("bm3d", "bm3d_step1", "reference", "nlm_opencv", "nlm_skimage",
                                                "gaussian", "noisy")) -> dict[str, dict]:
    """Denoise ``clean`` + noise with every method; ``{method: {"estimate", "psnr", "seconds"}}``.

    Parameters
    ----------
    clean : ndarray, shape (H, W), float
        Clean grayscale image in [0, 1], at least 8x8.
    sigma255 : float
        Noise standard deviation on the 0-255 scale, in (0, 255].
    seed : int
        Seed of the noise.
    tuned : dict of str to float, optional
        The baselines' parameters (:func:`course_lib.baselines.tune_baselines`); defaults are used where missing.
    include : tuple of str
        Methods to run, from ``"bm3d"``, ``"bm3d_step1"``, ``"reference"`` (the ``bm3d`` package,
        :func:`course_lib.bm3d.reference_bm3d`),
        ``"nlm_opencv"``, ``"nlm_skimage"``, ``"gaussian"`` and ``"noisy"``.

    Returns
    -------
    dict of str to dict
        Per method: ``"estimate"`` (ndarray (H, W), float32), ``"psnr"`` (dB) and ``"seconds"`` (wall time).

    Raises
    ------
    TypeError
        If ``clean`` is not a float array.
    ValueError
        If ``clean`` is not 2-D in [0, 1] or smaller than 8x8, or ``include`` names an unknown method.
    """
    clean = check_image(clean, ndim=(2,), min_size=8)
    for name in include:
        check_choice(name, "include", ("bm3d", "bm3d_step1", "reference", "nlm_opencv", "nlm_skimage", "gaussian",
                                       "noisy"))
    sigma = sigma255 / 255
    noisy = add_gaussian_noise(clean, sigma, seed=seed)
    tuned = tuned or {}

    def reference(z):
        return B.reference_bm3d(z, sigma)

    runners = {
        "bm3d": lambda z: B.bm3d(z, sigma),
        "bm3d_step1": lambda z: B.bm3d(z, sigma, stage="hard"),
        "reference": reference,
        "noisy": lambda z: z,
    }
    for name, fn in BASELINES.items():
        runners[name] = lambda z, fn=fn, name=name: fn(z, sigma, *([tuned[name]] if name in tuned else []))
    out = {}
    for name in include:
        start = time.perf_counter()
        estimate = runners[name](noisy)
        out[name] = {"estimate": estimate, "seconds": time.perf_counter() - start, "psnr": psnr(clean, estimate)}
    return out
