r"""Restoration when there are no clean images: Noise2Noise, blind-spot self-supervision, test-time adaptation.

Every other restoration experiment of the course trains on clean targets. Microscopy, astronomy, low-light and old
photos usually come without them. Three standard answers need only noisy images:

* **Noise2Noise** (Lehtinen et al., ICML 2018): train on two independent noisy observations of the same scene,
  ``f(y₁) ≈ y₂``. For zero-mean noise independent of ``y₁``, :math:`E\|f(y_1) - y_2\|^2 = E\|f(y_1) - x\|^2 +
  E\|y_2 - x\|^2`, so the minimiser is the same as with clean targets (:func:`adapt_noise2noise`).
* **Blind-spot self-supervision**, Noise2Void (Krull, Buchholz & Jug, CVPR 2019) / Noise2Self (Batson & Royer, ICML
  2019): train on *single* noisy images with a loss that never lets a pixel see its own noise. A function
  :math:`f` is *J-invariant* when :math:`f(y)_J` does not depend on :math:`y_J`; then, for noise independent from
  pixel to pixel and zero-mean,

  .. math:: E\,\|f(y)_J - y_J\|^2 = E\,\|f(y)_J - x_J\|^2 + E\,\|y_J - x_J\|^2,

  so the self-supervised loss is the supervised one plus a constant (Batson & Royer, Eq. 2). Here ``J`` is a
  grid of every ``spacing``-th pixel in each direction (random phase); its pixels are replaced by the mean of their
  four neighbours, which are never in ``J`` (:func:`blind_spot_mask`, :func:`blind_spot_input`), and the loss
  counts only the pixels of ``J`` (:func:`adapt_blind_spot`). The assumption is pixel-independent noise:
  correlated noise lets the network predict a pixel's noise from its neighbours' (Broaddus et al., ISBI 2020).
* **Test-time adaptation**: the blind-spot loss on the noisy image itself fine-tunes a pretrained denoiser (Cha &
  Moon, ICCV 2019), either all its weights or only one gain per channel (GainTuning: Mohan et al., NeurIPS 2021),
  via ``trainable="gains"``.

The target noise is photon-limited **Poisson** noise (:func:`poisson_noise`): ``y = Poisson(peak · x) / peak``,
zero-mean, independent from pixel to pixel, of variance ``x / peak``. At a low ``peak`` it is far outside the
shipped denoiser's training (white Gaussian noise, σ ≤ 55/255). Its classical answer is the Anscombe transform,
which makes the noise roughly Gaussian with unit variance, then BM3D and the exact unbiased inverse (Mäkitalo &
Foi, IEEE TIP 2011; :func:`anscombe_bm3d`).

All images are float32, clean ones in [0, 1]; every function is seeded. The training loop is the one of
:func:`course_lib.transfer_restore.train_with_early_stopping` (progress bar, early stopping, Ctrl-C keeps the best
weights); early stopping uses the self-supervised loss on noisy images, never a clean image.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .transfer_restore import (
    _as_sigmas,
    _denoise,
    crops_at_random,
    random_crops,
    source_copy,
    train_with_early_stopping,
)
from .validate import check_batch, check_int, check_positive

__all__ = [
    "PEAK", "SPACING", "poisson_noise", "poisson_sigma", "poisson_degrade", "anscombe", "inverse_anscombe",
    "anscombe_bm3d", "blind_spot_mask", "blind_spot_input", "j_invariant_denoise", "blind_spot_loss",
    "adapt_blind_spot", "adapt_noise2noise",
]

#: Photons per unit intensity of the target noise (white = ``PEAK`` photons on average); chosen in
#: ``benchmarks/self_supervised.py`` as the level where the shipped denoiser is clearly wrong.
PEAK = 2.0
#: Spacing of the blind-spot grid: one pixel in ``SPACING²`` is masked per step.
SPACING = 4


# --- the target noise and its classical answer ---------------------------------------------------------------------


def poisson_noise(clean: np.ndarray, rng: np.random.Generator, peak: float = PEAK) -> np.ndarray:
    """Photon-limited noise: ``y = Poisson(peak · x) / peak`` (mean ``x``, variance ``x / peak``).

    Parameters
    ----------
    clean : numpy.ndarray, any shape, float in [0, 1]
        Clean intensities.
    rng : numpy.random.Generator
        Source of the photon counts.
    peak : float
        Expected photon count of a white pixel (> 0); lower is noisier.

    Returns
    -------
    numpy.ndarray, float32, the shape of ``clean``
        Noisy intensities, multiples of ``1 / peak`` (not clipped: a count can exceed ``peak``).

    Raises
    ------
    ValueError
        If ``peak`` is not positive or ``clean`` is outside [0, 1].

    Examples
    --------
    >>> y = poisson_noise(np.full((200, 200), 0.5), np.random.default_rng(0), peak=4.0)
    >>> round(float(y.mean()), 2), round(float(y.var()), 2)   # mean x = 0.5, variance x / peak = 0.125
    (0.5, 0.13)
    """
    peak = check_positive(peak, "peak")
    clean = np.asarray(clean, np.float64)
    if clean.size and (np.nanmin(clean) < 0 or np.nanmax(clean) > 1 or not np.all(np.isfinite(clean))):
        raise ValueError(f"clean must hold finite values in [0, 1]; got [{np.nanmin(clean):.3g}, "
                         f"{np.nanmax(clean):.3g}]")
    return (rng.poisson(peak * clean) / peak).astype(np.float32)


def poisson_sigma(noisy: np.ndarray, peak: float = PEAK) -> np.ndarray:
    """The σ input for the denoiser: the noise's root-mean-square std, ``sqrt(mean(y) / peak)`` per image.

    Poisson noise's std varies with the intensity (``sqrt(x / peak)``); the shipped denoiser takes one σ per image,
    so it is told the average. The estimate needs the noisy image only.

    Parameters
    ----------
    noisy : numpy.ndarray, shape (N, H, W) or (H, W)
        Noisy images (:func:`poisson_noise`).
    peak : float
        The noise's photon count of a white pixel (> 0).

    Returns
    -------
    numpy.ndarray, shape (N,) (or a 0-d array for one image), float32 in [0, 1]

    Examples
    --------
    >>> float(poisson_sigma(np.full((8, 8), 0.5), peak=2.0))
    0.5
    """
    noisy = np.asarray(noisy, np.float32)
    mean = np.clip(noisy.mean(axis=(-2, -1)), 0, None)
    return np.clip(np.sqrt(mean / check_positive(peak, "peak")), 0, 1).astype(np.float32)


def poisson_degrade(peak: float = PEAK) -> Callable:
    """``degrade(clean, rng) -> (noisy, sigma_hint)`` for :func:`course_lib.transfer_restore.adapt_denoiser`:
    Poisson noise at ``peak`` and its :func:`poisson_sigma`.

    Parameters
    ----------
    peak : float
        Photon count of a white pixel (> 0).

    Returns
    -------
    callable
    """
    peak = check_positive(peak, "peak")

    def degrade(clean, rng):
        noisy = poisson_noise(clean, rng, peak)
        return noisy, poisson_sigma(noisy, peak)

    return degrade


def anscombe(noisy: np.ndarray, peak: float = PEAK) -> np.ndarray:
    r"""Anscombe's variance-stabilising transform of photon counts: :math:`A(k) = 2\sqrt{k + 3/8}`, ``k = peak · y``.

    For Poisson counts, :math:`A(k)` is close to Gaussian with variance 1 (Anscombe, Biometrika 1948).

    Parameters
    ----------
    noisy : numpy.ndarray
        Noisy intensities ``y`` (:func:`poisson_noise`).
    peak : float
        Photon count of a white pixel (> 0).

    Returns
    -------
    numpy.ndarray, float64, the shape of ``noisy``

    Examples
    --------
    >>> k = np.random.default_rng(0).poisson(20.0, 100_000)
    >>> round(float(anscombe(k / 4.0, peak=4.0).std()), 2)
    1.0
    """
    counts = np.clip(np.asarray(noisy, np.float64) * check_positive(peak, "peak"), 0, None)
    return 2.0 * np.sqrt(counts + 3.0 / 8.0)


def inverse_anscombe(d: np.ndarray, peak: float = PEAK) -> np.ndarray:
    r"""The closed-form approximation of the *exact unbiased* inverse of :func:`anscombe`, divided by ``peak``
    (M. Mäkitalo & A. Foi, "A closed-form approximation of the exact unbiased inverse of the Anscombe
    variance-stabilizing transformation", IEEE TIP 20(9):2697-2698, 2011; the exact inverse: IEEE TIP 20(1):99-109,
    2011):

    .. math:: I(D) = \tfrac14 D^2 + \tfrac14\sqrt{\tfrac32}D^{-1} - \tfrac{11}{8}D^{-2}
                     + \tfrac58\sqrt{\tfrac32}D^{-3} - \tfrac18 .

    The algebraic inverse :math:`(D/2)^2 - 3/8` is biased at low counts; this one is not.

    Parameters
    ----------
    d : numpy.ndarray
        Denoised values in the Anscombe domain.
    peak : float
        Photon count of a white pixel (> 0).

    Returns
    -------
    numpy.ndarray, float32
        Intensities (0-1 scale), ≥ 0.

    Examples
    --------
    The inverse of the *mean* of the transformed counts recovers the intensity; the algebraic inverse does not:

    >>> d = anscombe(np.random.default_rng(0).poisson(2.0, 200_000) / 4.0, peak=4.0).mean()   # x = 2 / 4
    >>> round(float(inverse_anscombe(d, 4.0)), 2), round(float(((d / 2) ** 2 - 3 / 8) / 4), 2)
    (0.5, 0.44)
    """
    d = np.maximum(np.asarray(d, np.float64), 0.8)  # the series is valid for D above ~0.8 (counts near 0)
    r = np.sqrt(1.5)
    counts = 0.25 * d ** 2 + 0.25 * r / d - 11.0 / 8.0 / d ** 2 + 0.625 * r / d ** 3 - 0.125
    return (np.maximum(counts, 0.0) / check_positive(peak, "peak")).astype(np.float32)


def anscombe_bm3d(noisy: np.ndarray, peak: float = PEAK) -> np.ndarray:
    """The classical answer to Poisson noise: Anscombe transform, BM3D with σ = 1 (the reference ``bm3d`` package),
    exact unbiased inverse (Mäkitalo & Foi, IEEE TIP 2011).

    Parameters
    ----------
    noisy : numpy.ndarray, shape (H, W), H, W >= 9
        One noisy grayscale image (:func:`poisson_noise`).
    peak : float
        Photon count of a white pixel (> 0).

    Returns
    -------
    numpy.ndarray, shape (H, W), float32
    """
    from .bm3d import reference_bm3d

    z = anscombe(noisy, peak)
    lo, hi = float(z.min()), float(z.max())
    scale = max(hi - lo, 1e-6)  # the package works on any range; rescaled to [0, 1] with σ scaled alike
    d = reference_bm3d(((z - lo) / scale).astype(np.float32), 1.0 / scale)
    return inverse_anscombe(np.asarray(d, np.float64) * scale + lo, peak)


# --- the blind spot --------------------------------------------------------------------------------------------


def blind_spot_mask(shape: tuple[int, ...], rng: np.random.Generator, spacing: int = SPACING) -> np.ndarray:
    """The pixels ``J`` the blind-spot loss sees: every ``spacing``-th pixel in each direction, at a random phase
    per image.

    Parameters
    ----------
    shape : tuple of int
        ``(N, H, W)`` (or ``(H, W)``): the batch the mask is for.
    rng : numpy.random.Generator
        Draws the phases.
    spacing : int
        Grid spacing, ≥ 2 (so no two masked pixels are 4-neighbours): ``1 / spacing²`` of the pixels are masked.

    Returns
    -------
    numpy.ndarray of bool, shape ``shape``

    Raises
    ------
    ValueError
        If ``spacing`` < 2 or ``shape`` is not 2-d or 3-d.

    Examples
    --------
    >>> int(blind_spot_mask((1, 8, 8), np.random.default_rng(0), spacing=4).sum())   # 8² / 4² pixels
    4
    """
    spacing = check_int(spacing, "spacing", 2)
    if len(shape) not in (2, 3):
        raise ValueError(f"shape must be (H, W) or (N, H, W); got {shape}")
    n, h, w = (1, *shape) if len(shape) == 2 else shape
    rows, cols = np.arange(h)[:, None], np.arange(w)[None, :]
    phase = rng.integers(0, spacing, (n, 2))
    mask = ((rows % spacing)[None] == phase[:, 0, None, None]) & ((cols % spacing)[None] == phase[:, 1, None, None])
    return mask.reshape(shape)


def blind_spot_input(noisy: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The network's input: each masked pixel replaced by the mean of its four neighbours (edges reflected).

    With ``mask`` from :func:`blind_spot_mask`, no neighbour of a masked pixel is masked, so the input depends on
    the unmasked pixels only: the network's output at ``J`` cannot see the noise at ``J`` (J-invariance).

    Parameters
    ----------
    noisy : numpy.ndarray, shape (N, H, W) or (H, W)
        Noisy images.
    mask : numpy.ndarray of bool, the shape of ``noisy``
        The pixels to hide.

    Returns
    -------
    numpy.ndarray, float32, the shape of ``noisy``

    Raises
    ------
    ValueError
        If the shapes differ.

    Examples
    --------
    >>> y = np.arange(9, dtype=np.float32).reshape(3, 3)
    >>> m = np.zeros((3, 3), bool); m[1, 1] = True
    >>> float(blind_spot_input(y, m)[1, 1])   # (1 + 3 + 5 + 7) / 4
    4.0
    """
    noisy, mask = np.asarray(noisy, np.float32), np.asarray(mask, bool)
    if noisy.shape != mask.shape:
        raise ValueError(f"mask must have the shape of noisy {noisy.shape}; got {mask.shape}")
    pad = [(0, 0)] * (noisy.ndim - 2) + [(1, 1), (1, 1)]
    p = np.pad(noisy, pad, mode="reflect")
    neighbours = (p[..., :-2, 1:-1] + p[..., 2:, 1:-1] + p[..., 1:-1, :-2] + p[..., 1:-1, 2:]) / 4
    return np.where(mask, neighbours, noisy).astype(np.float32)


def _phases(spacing: int, n_phases: int | None) -> list[tuple[int, int]]:
    every = [(a, b) for a in range(spacing) for b in range(spacing)]
    if n_phases is None or n_phases >= len(every):
        return every
    picks = np.random.default_rng(spacing).choice(len(every), check_int(n_phases, "n_phases", 1), replace=False)
    return [every[i] for i in sorted(picks)]


def j_invariant_denoise(model, noisy: np.ndarray, sigma, spacing: int = SPACING) -> np.ndarray:
    """The J-invariant prediction: for each of the ``spacing²`` grid phases, denoise the masked input and keep the
    outputs at the masked pixels; every pixel is then estimated without seeing its own noise (Batson & Royer 2019).

    A network trained with the blind-spot loss has only ever been asked for pixels it could not see; this is how
    to ask it the same question at test time (``spacing²`` passes instead of one).

    Parameters
    ----------
    model : keras.Model
        A denoiser with inputs ``[noisy, sigma]``.
    noisy : numpy.ndarray, shape (N, H, W)
        Noisy images.
    sigma : float or numpy.ndarray, shape (N,)
        σ inputs.
    spacing : int
        Grid spacing (≥ 2).

    Returns
    -------
    numpy.ndarray, shape (N, H, W), float32
    """
    return _masked_outputs(model, noisy, sigma, spacing, None)[0]


def _masked_outputs(model, noisy, sigma, spacing, n_phases):
    noisy = check_batch(noisy, "noisy", value_range=None)
    spacing = check_int(spacing, "spacing", 2)
    sigma = np.broadcast_to(np.asarray(sigma, np.float32).reshape(-1), (len(noisy),)).astype(np.float32)
    out, seen = np.zeros_like(noisy), np.zeros(noisy.shape, bool)
    rows, cols = np.arange(noisy.shape[1])[:, None], np.arange(noisy.shape[2])[None, :]
    for a, b in _phases(spacing, n_phases):
        mask = np.broadcast_to((rows % spacing == a) & (cols % spacing == b), noisy.shape)
        out = np.where(mask, _denoise(model, blind_spot_input(noisy, mask), sigma), out)
        seen |= mask
    return out, seen


def blind_spot_loss(model, noisy: np.ndarray, sigma, spacing: int = SPACING, n_phases: int | None = None) -> float:
    """The self-supervised loss: mean of ``(f(ỹ)_J − y_J)²`` over the hidden pixels of every grid phase.

    For pixel-independent zero-mean noise it equals the MSE to the (unknown) clean image plus the noise variance,
    so it ranks denoisers as the MSE would, without a clean image (Batson & Royer 2019, Eq. 2).

    Parameters
    ----------
    model : keras.Model
        A denoiser with inputs ``[noisy, sigma]``.
    noisy : numpy.ndarray, shape (N, H, W)
        Noisy images.
    sigma : float or numpy.ndarray, shape (N,)
        σ inputs.
    spacing : int
        Grid spacing (≥ 2).
    n_phases : int, optional
        Use this many of the ``spacing²`` phases (a fixed subset: an unbiased estimate in fewer passes); default all.

    Returns
    -------
    float
    """
    out, seen = _masked_outputs(model, noisy, sigma, spacing, n_phases)
    return float(np.mean((out - np.asarray(noisy, np.float32))[seen] ** 2))


# --- self-supervised training ------------------------------------------------------------------------------------


def _check_noisy_batch(images, name: str) -> np.ndarray:
    images = check_batch(images, name, value_range=None)
    if images.ndim != 3:
        raise ValueError(f"{name} must be a batch (N, H, W) of grayscale images; got shape {images.shape}")
    return images


def _sigmas(sigma_hint, images: np.ndarray) -> np.ndarray:
    """σ inputs for ``images``: ``sigma_hint`` (a number, one per image, or a function of the images), checked."""
    return _as_sigmas(sigma_hint(images) if callable(sigma_hint) else sigma_hint, len(images), "sigma_hint")


def adapt_blind_spot(noisy_images, *, sigma_hint, model=None, trainable: str = "all", val_noisy=None,
                     max_steps: int = 300, lr: float = 1e-4, batch_size: int = 8, patch: int = 32,
                     spacing: int = SPACING, n_phases: int | None = None, eval_every: int = 25, patience: int = 4,
                     seed: int = 0, monitor: Callable[[], float] | None = None, desc: str = "blind-spot",
                     progress: bool = True) -> dict:
    r"""Train a denoiser on noisy images alone with the blind-spot loss (Noise2Void / Noise2Self).

    Each step draws ``batch_size`` random ``patch``² crops, hides a grid of pixels ``J`` (:func:`blind_spot_mask`,
    :func:`blind_spot_input`) and takes one Adam step on

    .. math:: L = \frac{1}{|J|}\sum_{j \in J} \big(f(\tilde y)_j - y_j\big)^2 ,

    the squared error *at the hidden pixels only*, against their noisy values. Every ``eval_every`` steps it
    computes :func:`blind_spot_loss` on ``val_noisy`` (default: the first 4 training images themselves, which is
    what test-time adaptation on one image has) and keeps the weights with the lowest; it stops after ``patience``
    evaluations without improvement, or at ``max_steps``. No clean image is used anywhere.

    Parameters
    ----------
    noisy_images : numpy.ndarray, shape (N, H, W)
        Noisy images only (N ≥ 1; N = 1 and the image to denoise is test-time adaptation); H, W ≥ ``patch``.
    sigma_hint : float, array of shape (N,), or callable
        The σ input of the network (0-1 scale): one number, one per image, or a function of the images (e.g.
        :func:`poisson_sigma`), also applied to ``val_noisy``.
    model : keras.Model, optional
        Trained in place; default a fresh copy of the shipped photo denoiser.
    trainable : {"all", "gains"}
        All weights, or one gain per convolution channel (GainTuning, Mohan et al., NeurIPS 2021).
    val_noisy : numpy.ndarray, shape (M, H', W'), optional
        Held-out noisy images for early stopping; default the first 4 of ``noisy_images``.
    max_steps, lr, batch_size, patch, eval_every, patience, seed
        As in :func:`course_lib.transfer_restore.adapt_denoiser` (``patch`` even).
    spacing : int
        Blind-spot grid spacing (≥ 2).
    n_phases : int, optional
        Grid phases the validation loss uses (:func:`blind_spot_loss`; default ``None``: all ``spacing²``, so every
        pixel counts once — the loss is a noisy estimate of the MSE, and fewer pixels make it noisier).
    monitor : callable, optional
        ``monitor() -> float`` recorded on the curve, never used to choose (a benchmark's PSNR on clean images).
    desc : str
        Progress-bar label.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    dict
        The loop's result (:func:`course_lib.transfer_restore.train_with_early_stopping`): ``model``, ``curve``
        (``val_score`` = minus the blind-spot loss), ``best_step``, ``best_val_score``, ``stopped``, … plus
        ``n_train`` and ``trainable``.

    Raises
    ------
    TypeError, ValueError
        On malformed images or settings (the message names the argument).

    Notes
    -----
    Ctrl-C (the Jupyter stop button) ends training and keeps the best weights seen so far.
    """
    images = _check_noisy_batch(noisy_images, "noisy_images")
    val = images[:4] if val_noisy is None else _check_noisy_batch(val_noisy, "val_noisy")
    patch = check_int(patch, "patch", 2, min(images.shape[1:]))
    if patch % 2:
        raise ValueError(f"patch must be even (the network works on 2×2 pixel blocks); got {patch}")
    batch_size, spacing = check_int(batch_size, "batch_size", 1), check_int(spacing, "spacing", 2)
    sigma_train, sigma_val = _sigmas(sigma_hint, images), _sigmas(sigma_hint, val)
    per_image_hint = not callable(sigma_hint) and np.size(sigma_hint) > 1
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    model = source_copy() if model is None else model

    def draw():
        crops = random_crops(images, batch_size, patch, rng)
        if callable(sigma_hint):
            sigma = _sigmas(sigma_hint, crops)
        elif per_image_hint:  # the crops' images are not tracked: use the mean hint
            sigma = np.full(batch_size, sigma_train.mean(), np.float32)
        else:
            sigma = np.full(batch_size, sigma_train[0], np.float32)
        mask = blind_spot_mask(crops.shape, rng, spacing)
        return blind_spot_input(crops, mask), sigma, crops, mask.astype(np.float32)

    out = train_with_early_stopping(model, draw, None, None, None, max_steps=check_int(max_steps, "max_steps", 0),
                                    lr=check_positive(lr, "lr"), eval_every=eval_every, patience=patience,
                                    desc=desc, progress=progress, trainable=trainable, monitor=monitor,
                                    score=lambda: -blind_spot_loss(model, val, sigma_val, spacing, n_phases))
    return {**out, "n_train": len(images), "trainable": trainable}


def adapt_noise2noise(first, second, *, sigma_hint, model=None, n_val: int = 1, trainable: str = "all",
                      max_steps: int = 300, lr: float = 1e-4, batch_size: int = 8, patch: int = 32,
                      eval_every: int = 25, patience: int = 4, seed: int = 0,
                      monitor: Callable[[], float] | None = None, desc: str = "noise2noise",
                      progress: bool = True) -> dict:
    r"""Noise2Noise (Lehtinen et al., ICML 2018): train on pairs of independent noisy observations of the same
    scenes, :math:`\min \sum \|f(y_1) - y_2\|^2`, each crop's two copies swapped at random.

    Early stopping uses the same loss on ``n_val`` held-out pairs (each copy predicting the other), which equals the
    MSE to the clean images plus the noise variance: no clean image is used.

    Parameters
    ----------
    first, second : numpy.ndarray, shape (N, H, W)
        Two noisy observations of each of N scenes (N ≥ 2: ``n_val`` pairs are held out).
    sigma_hint : float, array of shape (N,), or callable
        The network's σ input, as in :func:`adapt_blind_spot`.
    model : keras.Model, optional
        Trained in place; default a fresh copy of the shipped photo denoiser.
    n_val : int
        Pairs held out for early stopping (1 … N − 1).
    trainable : {"all", "gains"}
        All weights, or gains only.
    max_steps, lr, batch_size, patch, eval_every, patience, seed, monitor, desc, progress
        As in :func:`adapt_blind_spot`.

    Returns
    -------
    dict
        As :func:`adapt_blind_spot` (``val_score`` = minus the held-out Noise2Noise loss), plus ``n_train``,
        ``n_val``.

    Raises
    ------
    TypeError, ValueError
        On malformed images, pairs of different shapes, fewer than 2 pairs, or bad settings.
    """
    first, second = _check_noisy_batch(first, "first"), _check_noisy_batch(second, "second")
    if first.shape != second.shape:
        raise ValueError(f"first and second must have the same shape; got {first.shape} and {second.shape}")
    if len(first) < 2:
        raise ValueError(f"Noise2Noise needs at least 2 pairs (1 held out for early stopping); got {len(first)}")
    n_val = check_int(n_val, "n_val", 1, len(first) - 1)
    patch = check_int(patch, "patch", 2, min(first.shape[1:]))
    if patch % 2:
        raise ValueError(f"patch must be even (the network works on 2×2 pixel blocks); got {patch}")
    batch_size = check_int(batch_size, "batch_size", 1)
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    order = rng.permutation(len(first))
    val_idx, train_idx = order[:n_val], order[n_val:]
    pairs = np.stack([first[train_idx], second[train_idx]], axis=-1)  # crop both copies at the same place
    val_in, val_target = first[val_idx], second[val_idx]
    sigma_val = _sigmas(sigma_hint, val_in)
    sigma_all = _sigmas(sigma_hint, first) if not callable(sigma_hint) else None
    model = source_copy() if model is None else model

    def draw():
        crops, idx = crops_at_random(pairs, batch_size, patch, rng)
        crops = np.where(rng.random((batch_size, 1, 1, 1)) < 0.5, crops, crops[..., ::-1])  # swap the copies
        noisy, target = crops[..., 0], crops[..., 1]
        sigma = _sigmas(sigma_hint, noisy) if sigma_all is None else sigma_all[train_idx][idx]
        return noisy.astype(np.float32), sigma, target.astype(np.float32)

    def score() -> float:  # both directions: half the variance of the cross term (f(y₁) − x)(y₂ − x)
        forward = np.mean((_denoise(model, val_in, sigma_val) - val_target) ** 2)
        backward = np.mean((_denoise(model, val_target, sigma_val) - val_in) ** 2)
        return -float(forward + backward) / 2

    out = train_with_early_stopping(model, draw, None, None, None, max_steps=check_int(max_steps, "max_steps", 0),
                                    lr=check_positive(lr, "lr"), eval_every=eval_every, patience=patience,
                                    desc=desc, progress=progress, trainable=trainable, monitor=monitor, score=score)
    return {**out, "n_train": len(train_idx), "n_val": n_val, "trainable": trainable}
