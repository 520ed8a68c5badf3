r"""Transfer in restoration: adapt the shipped photo denoiser to a noise it never saw, and measure it fairly.

The source is lesson 04's FFDNet-style denoiser, trained on *white* Gaussian noise. Its target here is
**spatially correlated** Gaussian noise — white noise filtered by a small fixed Gaussian kernel and rescaled to a
per-pixel standard deviation σ — which a σ input cannot describe: the noise has the same variance but its energy
sits at low spatial frequencies, where image structure lives (sensor noise after demosaicking, noise in
compressed or resampled images; Zhang et al. 2018 FFDNet §IV-E, Mäkinen, Azzari & Foi, IEEE TIP 2020).

What this module provides:

* the target degradation: :func:`correlation_kernel`, :func:`correlated_noise`, :func:`noise_psd` (its power
  spectrum in the convention of the reference ``bm3d`` package) and :func:`bm3d_reference`, which calls that
  package told σ only or told the spectrum (``sigma_psd``);
* networks that can train from random weights: :func:`he_initialise` (He et al., ICCV 2015) and
  :func:`scratch_denoiser`; :func:`activation_std` shows why Keras' default (Glorot) initialisation fails in a
  15-layer plain ReLU stack;
* :func:`adapt_denoiser`, one call that adapts a denoiser (by default a copy of the shipped one) to a learner's own
  clean images and *any* degradation ``degrade(clean, rng) -> (noisy, sigma_hint)``, with a validation split,
  early stopping on validation PSNR, a learning curve, a progress bar, and Ctrl-C keeping the best weights;
* :func:`teacher_targets` for distillation (Hinton, Vinyals & Dean, 2015): a student learns the teacher's outputs on
  *unlabelled* noisy images.

All images are float32 in [0, 1], σ on the same scale.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from .validate import check_batch, check_int, check_positive, check_range

__all__ = [
    "SIGMA", "KERNEL_PX", "correlation_kernel", "correlated_noise", "add_correlated_noise", "noise_psd",
    "ensure_numpy_trapz", "bm3d_reference", "he_initialise", "scratch_denoiser", "activation_std", "source_copy",
    "freeze_first", "batch_psnr", "adapt_denoiser", "train_with_early_stopping", "distill_denoiser",
    "training_step", "validator", "paired_comparison",
    "teacher_targets", "random_crops", "crops_at_random", "time_inference",
]

#: Per-pixel noise standard deviation of the target (the classic "σ = 25" on the 0-1 scale).
SIGMA = 25 / 255
#: Standard deviation (pixels) of the Gaussian kernel that correlates the noise.
KERNEL_PX = 1.0


# --- the target degradation ---------------------------------------------------------------------------------------


def correlation_kernel(kernel_px: float = KERNEL_PX) -> np.ndarray:
    """The fixed filter that correlates the noise: a Gaussian of std ``kernel_px`` pixels, cut at 3 std, with unit
    L2 norm (so white noise of std σ filtered by it keeps the per-pixel std σ).

    Parameters
    ----------
    kernel_px : float
        Standard deviation of the Gaussian in pixels, in (0, 10].

    Returns
    -------
    numpy.ndarray, shape (2r+1, 2r+1), float64, r = ceil(3 * kernel_px)
    """
    kernel_px = check_range(kernel_px, "kernel_px", 0.0, 10.0, lo_open=True, hint=" (pixels)")
    r = int(math.ceil(3 * kernel_px))
    x = np.arange(-r, r + 1)
    g = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * kernel_px ** 2))
    return g / np.sqrt(np.sum(g ** 2))


def _kernel_spectrum(shape: tuple[int, int], kernel_px: float) -> np.ndarray:
    """FFT of the kernel placed with its centre at (0, 0) on a ``shape`` grid (circular convolution)."""
    k = correlation_kernel(kernel_px)
    r = k.shape[0] // 2
    h, w = shape
    if h < k.shape[0] or w < k.shape[1]:
        raise ValueError(f"images must be at least {k.shape[0]}×{k.shape[1]} for kernel_px={kernel_px}; got {shape}")
    padded = np.zeros(shape)
    padded[:k.shape[0], :k.shape[1]] = k
    return np.fft.fft2(np.roll(padded, (-r, -r), axis=(0, 1)))


def correlated_noise(shape: tuple[int, ...], rng: np.random.Generator, sigma: float = SIGMA,
                     kernel_px: float = KERNEL_PX) -> np.ndarray:
    """Stationary correlated Gaussian noise: white noise circularly convolved with :func:`correlation_kernel`.

    Parameters
    ----------
    shape : tuple
        ``(H, W)`` or ``(N, H, W)``.
    rng : numpy.random.Generator
    sigma : float
        Per-pixel standard deviation (0-1 scale).
    kernel_px : float
        Correlation length: std of the Gaussian kernel in pixels.

    Returns
    -------
    numpy.ndarray, float32, of ``shape``

    Raises
    ------
    TypeError
        If ``rng`` is not a numpy Generator.
    """
    sigma = check_range(sigma, "sigma", 0.0, 1.0, hint=" (σ is on the 0-1 scale: 25/255 ≈ 0.098)")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
    shape = tuple(int(s) for s in shape)
    white = rng.standard_normal(shape)
    spectrum = _kernel_spectrum(shape[-2:], kernel_px)
    return (sigma * np.real(np.fft.ifft2(np.fft.fft2(white) * spectrum))).astype(np.float32)


def add_correlated_noise(clean: np.ndarray, rng: np.random.Generator, sigma: float = SIGMA,
                         kernel_px: float = KERNEL_PX) -> tuple[np.ndarray, float]:
    """The target degradation in :func:`adapt_denoiser`'s form: ``(clean + correlated noise, sigma)``.

    Parameters
    ----------
    clean : numpy.ndarray, shape (H, W) or (N, H, W)
        Clean image(s) in [0, 1].
    rng : numpy.random.Generator
    sigma, kernel_px : float
        Per-pixel std (0-1 scale) and correlation length (pixels), as in :func:`correlated_noise`.

    Returns
    -------
    noisy : numpy.ndarray, float32, like ``clean`` (not clipped)
    sigma : float
        The σ hint for the network's σ input (the true per-pixel std).
    """
    clean = np.asarray(clean, np.float32)
    return clean + correlated_noise(clean.shape, rng, sigma, kernel_px), sigma


def noise_psd(shape: tuple[int, int], sigma: float = SIGMA, kernel_px: float = KERNEL_PX) -> np.ndarray:
    """Power spectral density of :func:`correlated_noise` on an ``(H, W)`` image, in the convention of the
    reference ``bm3d`` package (``sigma_psd``): ``|FFT(σ·kernel)|² · H·W``, so white noise has the constant σ²·H·W.

    Parameters
    ----------
    shape : tuple of int
        ``(H, W)`` of the image.
    sigma, kernel_px : float
        As in :func:`correlated_noise`.

    Returns
    -------
    numpy.ndarray, shape (H, W), float64
    """
    sigma = check_range(sigma, "sigma", 0.0, 1.0, hint=" (σ is on the 0-1 scale: 25/255 ≈ 0.098)")
    h, w = (int(s) for s in shape)
    return np.abs(sigma * _kernel_spectrum((h, w), kernel_px)) ** 2 * h * w


def ensure_numpy_trapz() -> bool:
    """Give numpy ``trapz`` back if it is missing: the reference ``bm3d`` package (via ``bm4d``) calls
    ``numpy.trapz`` when told a noise spectrum, and numpy 2.4 removed it (``numpy.trapezoid`` is the same function).

    Returns
    -------
    bool
        True if the alias was added by this call.
    """
    if hasattr(np, "trapz"):
        return False
    np.trapz = np.trapezoid  # noqa: NPY201 (the alias bm4d needs, on purpose)
    return True


def bm3d_reference(noisy: np.ndarray, sigma: float | None = None, psd: np.ndarray | None = None) -> np.ndarray:
    """Denoise one image with the reference ``bm3d`` package (Mäkinen, Azzari & Foi, IEEE TIP 2020), told either
    the noise std ``sigma`` (it then assumes white noise) or the noise power spectrum ``psd`` (:func:`noise_psd`).

    Parameters
    ----------
    noisy : numpy.ndarray, shape (H, W), H, W >= 9
        Noisy grayscale image on the 0-1 scale (not clipped).
    sigma : float, optional
        Noise standard deviation (white noise); through :func:`course_lib.bm3d.reference_bm3d`.
    psd : numpy.ndarray, shape (H, W), optional
        Noise power spectrum in the package's convention (:func:`noise_psd`).

    Returns
    -------
    numpy.ndarray, shape (H, W), float32 (not clipped)

    Raises
    ------
    ValueError
        If both or neither of ``sigma`` and ``psd`` are given, or the shapes do not fit.
    """
    from .bm3d import reference_bm3d

    if (sigma is None) == (psd is None):
        raise ValueError("give exactly one of sigma (white noise) and psd (correlated noise)")
    if sigma is not None:
        return reference_bm3d(noisy, sigma)
    import bm3d

    noisy = np.asarray(noisy, np.float32)
    if noisy.ndim != 2 or min(noisy.shape) < 9:
        raise ValueError(f"noisy must be one grayscale image (H, W) with H, W >= 9; got shape {noisy.shape}")
    psd = np.asarray(psd, np.float64)
    if psd.shape != noisy.shape:
        raise ValueError(f"psd must have the image's shape {noisy.shape}; got {psd.shape}")
    ensure_numpy_trapz()
    return np.asarray(bm3d.bm3d(noisy.astype(np.float64), psd), np.float32)


# --- networks that train from random weights ---------------------------------------------------------------------


def he_initialise(model, seed: int = 0):
    """Re-draw every hidden ReLU convolution's kernel from He's normal distribution, N(0, 2/fan_in), biases 0
    (He, Zhang, Ren & Sun, ICCV 2015); the linear output layer keeps its zero start (the residual network starts as
    the identity). Keras' default, Glorot uniform, has variance 2/(fan_in + fan_out): for a ReLU stack that halves
    the activation variance at every layer, so 14 layers shrink it ~10⁴-fold (see :func:`activation_std`).

    Parameters
    ----------
    model : keras.Model
        A denoiser of :func:`course_lib.restore.build_denoiser` (hidden layers named ``conv1`` …).
    seed : int
        Seed of the draw.

    Returns
    -------
    keras.Model
        The same model, changed in place.
    """
    import keras

    seed = check_int(seed, "seed", 0)
    for i, layer in enumerate(model.layers):
        if layer.name.startswith("conv") and getattr(layer, "kernel", None) is not None:
            init = keras.initializers.HeNormal(seed=seed * 1000 + i)
            layer.kernel.assign(init(tuple(layer.kernel.shape)))
            if layer.bias is not None:
                layer.bias.assign(np.zeros(tuple(layer.bias.shape), np.float32))
    return model


def scratch_denoiser(depth: int = 15, width: int = 80, seed: int = 0, init: str = "he"):
    """A denoiser of lesson 04's architecture with random weights.

    Parameters
    ----------
    depth, width : int
        Convolutions and channels: ``15, 80`` is the source's own size; ``7, 32`` a small one (15× fewer parameters).
    seed : int
        Seed of the initialisation.
    init : str
        ``"he"`` (trains) or ``"glorot"`` (Keras' default).

    Returns
    -------
    keras.Model

    Raises
    ------
    ValueError
        If ``init`` is neither.
    """
    from .restore import build_denoiser

    if init not in ("he", "glorot"):
        raise ValueError(f"init must be 'he' or 'glorot'; got {init!r}")
    model = build_denoiser(depth=depth, width=width, seed=seed)
    return he_initialise(model, seed) if init == "he" else model


def activation_std(model, images: np.ndarray, sigma: float = SIGMA, seed: int = 0) -> dict[str, float]:
    """Standard deviation of each hidden layer's output (``conv1`` … the last ReLU) on noisy ``images``.

    Parameters
    ----------
    model : keras.Model
        A denoiser of :func:`course_lib.restore.build_denoiser`.
    images : numpy.ndarray, shape (N, H, W), H and W even
        Clean images in [0, 1]; white noise of std ``sigma`` (seeded) is added.
    sigma : float
        Noise std, also given to the σ input.
    seed : int
        Noise seed.

    Returns
    -------
    dict
        ``{layer name: std}``, input to output.
    """
    import keras

    images = check_batch(images, "images")
    noisy = images + sigma * np.random.default_rng(seed).standard_normal(images.shape).astype(np.float32)
    names = [layer.name for layer in model.layers if layer.name.startswith("conv")]
    probe = keras.Model(model.inputs, [model.get_layer(n).output for n in names])
    outs = probe([noisy[..., None], np.full((len(images), 1), sigma, np.float32)])
    return {n: float(np.std(np.asarray(o))) for n, o in zip(names, outs)}


def source_copy():
    """A fresh, trainable copy of the shipped photo denoiser (lesson 04); the cached original is never changed.

    Returns
    -------
    keras.Model
    """
    from .restore import SHIPPED, build_denoiser, load_restorer

    model = build_denoiser(**SHIPPED["denoiser"])
    model.set_weights(load_restorer("denoiser").get_weights())
    return model


def freeze_first(model, k: int):
    """Freeze the first ``k`` weighted layers (input side), train the rest; ``k = 0`` trains all.

    Parameters
    ----------
    model : keras.Model
    k : int
        Number of weighted layers to freeze, 0 … number of weighted layers.

    Returns
    -------
    keras.Model
        The same model, changed in place.
    """
    layers = [layer for layer in model.layers if layer.weights]
    k = check_int(k, "k", 0, len(layers))
    for i, layer in enumerate(layers):
        layer.trainable = i >= k
    return model


# --- scoring ------------------------------------------------------------------------------------------------------


def batch_psnr(clean: np.ndarray, estimate: np.ndarray) -> np.ndarray:
    """PSNR (dB) of each image of a batch, estimate clipped to [0, 1] (:func:`course_lib.metrics.psnr`).

    Parameters
    ----------
    clean, estimate : numpy.ndarray, shape (N, H, W)
        References in [0, 1] and estimates (any values).

    Returns
    -------
    numpy.ndarray, shape (N,)
    """
    from .metrics import psnr

    return np.array([psnr(c, np.clip(e, 0, 1)) for c, e in zip(clean, estimate)])


def _denoise(model, noisy: np.ndarray, sigma: np.ndarray, chunk: int = 16) -> np.ndarray:
    from .restore import denoise_batch

    return np.concatenate([denoise_batch(model, noisy[i:i + chunk], sigma[i:i + chunk])
                           for i in range(0, len(noisy), chunk)])


def random_crops(images: np.ndarray, n: int, patch: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` random ``patch``² crops of a batch ``(N, H, W)``, each flipped left-right with probability ½.

    Parameters
    ----------
    images : numpy.ndarray, shape (N, H, W)
    n, patch : int
        Number of crops and their size (<= H, W).
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (n, patch, patch), float32
    """
    crops, _ = crops_at_random(images, n, patch, rng)
    return np.where(rng.random((n, 1, 1)) < 0.5, crops, crops[:, :, ::-1]).astype(np.float32)


def crops_at_random(images: np.ndarray, n: int, patch: int,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` ``patch``² crops at random images and places (no flip): the draw behind :func:`random_crops`, also for
    stacks ``(N, H, W, C)`` whose channels must be cropped together (noisy/target pairs).

    Parameters
    ----------
    images : numpy.ndarray, shape (N, H, W) or (N, H, W, C)
    n, patch : int
        Number of crops and their size (<= H, W).
    rng : numpy.random.Generator

    Returns
    -------
    crops : numpy.ndarray, shape (n, patch, patch) or (n, patch, patch, C), the dtype of ``images``
    idx : numpy.ndarray of int, shape (n,)
        The image each crop comes from.
    """
    idx = rng.integers(0, len(images), n)
    tops = rng.integers(0, images.shape[1] - patch + 1, n)
    lefts = rng.integers(0, images.shape[2] - patch + 1, n)
    return np.stack([images[i, t:t + patch, s:s + patch] for i, t, s in zip(idx, tops, lefts)]), idx


def _as_sigmas(hint, n: int, name: str = "degrade's sigma_hint") -> np.ndarray:
    sigma = np.asarray(hint, np.float32).reshape(-1)
    if sigma.size not in (1, n) or not np.all(np.isfinite(sigma)) or np.any(sigma < 0) or np.any(sigma > 1):
        raise ValueError(f"{name} must be one number in [0, 1] or one per image ({n}); got {hint!r}")
    return np.broadcast_to(sigma, (n,)).astype(np.float32)


def _degrade(degrade: Callable, clean: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    out = degrade(clean, rng)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError(f"degrade(clean, rng) must return a tuple (noisy, sigma_hint); got {type(out).__name__}")
    noisy = np.asarray(out[0], np.float32)
    if noisy.shape != clean.shape or not np.all(np.isfinite(noisy)):
        raise ValueError(f"degrade must return finite noisy images of the clean batch's shape {clean.shape}; "
                         f"got shape {noisy.shape}")
    return noisy, _as_sigmas(out[1], len(clean))


# --- adaptation ---------------------------------------------------------------------------------------------------


def _make_step(model, lr: float, steps: int, trainable: str = "all"):
    """A traced Adam step on the (weighted) mean squared error, learning rate cosine-decayed to 1 % over ``steps``.

    ``step(noisy, sigma, target, weight)`` minimises ``Σ weight·(model(noisy, sigma) − target)² / Σ weight``: weight
    1 everywhere is the plain MSE, a 0/1 mask is the blind-spot loss (:mod:`course_lib.self_supervised`).
    ``trainable="gains"`` trains one gain per output channel of every convolution and nothing else (GainTuning,
    Mohan et al., NeurIPS 2021): the convolution computes ``g_c · (W_c * x + b_c)``, so its kernel and bias become
    ``g_c W_c`` and ``g_c b_c``, and by the chain rule ``∂L/∂g_c = Σ ∂L/∂W_c · W_c⁰ + ∂L/∂b_c · b_c⁰`` (``W⁰``, ``b⁰``
    the weights at the start). The gains start at 1.

    The traced step is kept on the model: training the same model again with the same settings and trainable
    layers reuses it with a fresh optimizer state (tracing costs seconds per call on a CPU)."""
    import keras
    import tensorflow as tf

    gains = trainable == "gains"
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)] if gains else []
    variables = model.trainable_variables
    key = (float(lr), int(steps), trainable, tuple(id(v) for v in variables))
    cache = model.__dict__.setdefault("_course_steps", {})
    if key in cache:
        step, optimizer, reset = cache[key]
        for variable in optimizer.variables:
            variable.assign(tf.zeros_like(variable))
        reset()
        return step
    warmup = max(1, steps // 20)  # linear warm-up over the first 5 % of the steps: no early collapse at a high rate
    schedule = keras.optimizers.schedules.CosineDecay(lr / warmup, max(1, steps - warmup), alpha=0.01,
                                                      warmup_target=lr, warmup_steps=warmup)
    optimizer = keras.optimizers.Adam(schedule)
    if gains:
        start = [(tf.Variable(layer.kernel, trainable=False), tf.Variable(layer.bias, trainable=False))
                 for layer in convs]
        g = [tf.Variable(tf.ones(layer.filters), name=f"gain_{layer.name}") for layer in convs]
        weights = [w for layer in convs for w in (layer.kernel, layer.bias)]
        optimizer.build(g)
    else:
        optimizer.build(variables)

    def reset():  # gains back to 1, start weights = the model's current weights
        for layer, (k0, b0), gi in zip(convs, start if gains else [], g if gains else []):
            k0.assign(layer.kernel)
            b0.assign(layer.bias)
            gi.assign(tf.ones_like(gi))

    def weighted_mse(noisy, sigma, target, weight):
        error = tf.square(model([noisy, sigma], training=True) - target)
        return tf.reduce_sum(weight * error) / tf.maximum(tf.reduce_sum(weight), 1.0)

    @tf.function(jit_compile=False)
    def step(noisy, sigma, target, weight):
        with tf.GradientTape() as tape:
            loss = weighted_mse(noisy, sigma, target, weight)
        if not gains:
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            return loss
        grads = tape.gradient(loss, weights)
        grad_g = [tf.reduce_sum(dk * k0, axis=[0, 1, 2]) + db * b0
                  for dk, db, (k0, b0) in zip(grads[0::2], grads[1::2], start)]
        optimizer.apply_gradients(zip(grad_g, g))
        for layer, (k0, b0), gi in zip(convs, start, g):
            layer.kernel.assign(k0 * gi)
            layer.bias.assign(b0 * gi)
        return loss

    cache[key] = (step, optimizer, reset)
    return step


def adapt_denoiser(images, degrade: Callable, *, model=None, n_val: int = 1, val_images=None,
                   max_steps: int = 300, lr: float = 1e-4, batch_size: int = 8, patch: int = 24,
                   eval_every: int = 25, patience: int = 4, n_frozen: int = 0, seed: int = 0,
                   targets: Callable | None = None, desc: str = "adapt", progress: bool = True) -> dict:
    r"""Adapt a denoiser to your own clean images and degradation, with a validation split and early stopping.

    Every step draws ``batch_size`` random ``patch``² crops of the training images, degrades them afresh with
    ``degrade`` (new noise every step) and takes one Adam step on the mean squared error to the clean crops. Every
    ``eval_every`` steps it denoises the validation images (degraded once, with a fixed seed) and keeps the weights
    with the best mean PSNR; it stops after ``patience`` evaluations without improvement, or at ``max_steps``.

    Parameters
    ----------
    images : numpy.ndarray, shape (N, H, W), float32 in [0, 1]
        Clean target images (grayscale); H, W >= ``patch``.
    degrade : callable
        ``degrade(clean, rng) -> (noisy, sigma_hint)``: ``clean`` is a batch ``(n, h, w)``, ``rng`` a
        ``numpy.random.Generator``; ``noisy`` has the same shape, ``sigma_hint`` (one number or one per image, 0-1
        scale) is what the network's σ input is told.
    model : keras.Model, optional
        The network to adapt, changed in place; default a fresh copy of the shipped photo denoiser.
    n_val : int
        Images held out of ``images`` for validation (ignored when ``val_images`` is given); at least 1.
    val_images : numpy.ndarray, shape (M, H', W'), optional
        Separate clean validation images; then all of ``images`` train.
    max_steps : int
        Step cap (>= 0; 0 only evaluates).
    lr : float
        Peak Adam learning rate (cosine decay to 1 % over ``max_steps``).
    batch_size, patch : int
        Crops per step and their size in pixels (even).
    eval_every, patience : int
        Validation interval (steps) and the number of evaluations without improvement before stopping.
    n_frozen : int
        Freeze the first ``n_frozen`` weighted layers (0: fine-tune all; see :func:`freeze_first`).
    seed : int
        Seeds the split, the crops and the noise.
    targets : callable, optional
        ``targets(noisy, sigma) -> (n, h, w)`` regression targets instead of the clean crops (distillation:
        a teacher's outputs, see :func:`teacher_targets`).
    desc : str
        Progress-bar label.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    dict
        ``model`` (holding the best weights), ``curve`` ({``step``, ``val_psnr``, ``seconds``, ``cpu_seconds``}
        lists, starting with step 0 = before training), ``best_step``, ``best_val_psnr``, ``start_val_psnr``,
        ``steps_run``, ``seconds``, ``cpu_seconds``, ``stopped`` (``"early"``, ``"cap"`` or ``"interrupted"``),
        ``lr``, ``n_train``, ``n_val``.

    Raises
    ------
    TypeError, ValueError
        On malformed images, a non-callable ``degrade`` or one that returns the wrong shapes, or bad settings.

    Notes
    -----
    Ctrl-C (the Jupyter stop button) ends training and keeps the best weights seen so far.
    Early stopping as model selection: Prechelt, "Early stopping — but when?", 1998.
    """
    images = check_batch(images, "images")
    if not callable(degrade):
        raise TypeError(f"degrade must be a function degrade(clean, rng) -> (noisy, sigma_hint); got "
                        f"{type(degrade).__name__}")
    max_steps, batch_size = check_int(max_steps, "max_steps", 0), check_int(batch_size, "batch_size", 1)
    patch = check_int(patch, "patch", 2)
    if patch % 2:
        raise ValueError(f"patch must be even (the network works on 2×2 pixel blocks); got {patch}")
    eval_every, patience = check_int(eval_every, "eval_every", 1), check_int(patience, "patience", 1)
    lr, seed = check_positive(lr, "lr"), check_int(seed, "seed", 0)
    rng = np.random.default_rng(seed)
    if val_images is None:
        n_val = check_int(n_val, "n_val", 1, len(images) - 1) if len(images) > 1 else None
        if n_val is None:
            raise ValueError("images holds 1 image: pass val_images too (validation needs images not trained on)")
        order = rng.permutation(len(images))
        val, train = images[order[:n_val]], images[order[n_val:]]
    else:
        val, train = check_batch(val_images, "val_images"), images
    if min(train.shape[1:]) < patch:
        raise ValueError(f"patch={patch} is larger than the images ({train.shape[1:]}); use a smaller patch")
    model = source_copy() if model is None else model
    val_noisy, val_sigma = _degrade(degrade, val, np.random.default_rng(10_000 + seed))

    def draw():
        clean = random_crops(train, batch_size, patch, rng)
        noisy, sigma = _degrade(degrade, clean, rng)
        return noisy, sigma, clean if targets is None else np.asarray(targets(noisy, sigma), np.float32)

    out = train_with_early_stopping(model, draw, val, val_noisy, val_sigma, max_steps=max_steps, lr=lr,
                                    eval_every=eval_every, patience=patience, n_frozen=n_frozen, desc=desc,
                                    progress=progress)
    return {**out, "n_train": len(train), "n_val": len(val)}


def train_with_early_stopping(model, draw: Callable, val: np.ndarray | None, val_noisy: np.ndarray | None,
                              val_sigma: np.ndarray | None, *, max_steps: int, lr: float, eval_every: int = 25,
                              patience: int = 4, n_frozen: int = 0, desc: str = "train", progress: bool = True,
                              score: Callable[[], float] | None = None, monitor: Callable[[], float] | None = None,
                              trainable: str = "all") -> dict:
    """The loop behind :func:`adapt_denoiser`, :func:`distill_denoiser` and :mod:`course_lib.self_supervised`.

    Parameters
    ----------
    model : keras.Model
        Trained in place; ends with the best weights.
    draw : callable
        ``draw() -> (noisy, sigma, target)`` or ``(noisy, sigma, target, weight)``: one batch, arrays ``(n, h, w)``,
        ``(n,)``, ``(n, h, w)`` and optionally ``(n, h, w)`` loss weights (a 0/1 mask: the blind-spot loss).
    val, val_noisy : numpy.ndarray, shape (M, H, W), or None
        Clean validation images and their (fixed) degraded versions; ``None`` when ``score`` is given.
    val_sigma : numpy.ndarray, shape (M,), or None
        σ inputs for the validation images.
    max_steps, lr, eval_every, patience, n_frozen, desc, progress
        As in :func:`adapt_denoiser`.
    score : callable, optional
        ``score() -> float``, higher is better, used for early stopping instead of the validation PSNR (e.g. minus a
        self-supervised loss on noisy images, when there are no clean ones); the curve then records ``val_score``.
    monitor : callable, optional
        ``monitor() -> float`` recorded at each evaluation as ``monitor`` but never used to choose (e.g. the PSNR on
        clean images a benchmark keeps aside, to show how well ``score`` tracks it).
    trainable : {"all", "gains"}
        Train all (unfrozen) weights, or only one gain per convolution channel (see :func:`_make_step`).

    Returns
    -------
    dict
        :func:`adapt_denoiser`'s dict without ``n_train`` and ``n_val``; with ``score``, ``best_val_score`` and
        ``start_val_score`` replace ``best_val_psnr`` and ``start_val_psnr``.

    Raises
    ------
    ValueError
        If ``trainable`` is not ``"all"`` or ``"gains"``, or neither the validation arrays nor ``score`` are given.
    """
    from tqdm.auto import tqdm

    if trainable not in ("all", "gains"):
        raise ValueError(f"trainable must be 'all' or 'gains'; got {trainable!r}")
    if score is None and (val is None or val_noisy is None or val_sigma is None):
        raise ValueError("give the validation arrays (val, val_noisy, val_sigma) or a score function")
    metric = "val_psnr" if score is None else "val_score"
    freeze_first(model, n_frozen)

    def validate() -> float:
        if score is not None:
            return round(float(score()), 6)
        return round(float(np.mean(batch_psnr(val, _denoise(model, val_noisy, val_sigma)))), 4)

    wall0, cpu0 = time.perf_counter(), time.process_time()
    curve = {"step": [0], metric: [validate()], "seconds": [0.0], "cpu_seconds": [0.0]}
    if monitor is not None:
        curve["monitor"] = [round(float(monitor()), 4)]
    best, best_step, best_weights, since, stopped, done = curve[metric][0], 0, model.get_weights(), 0, "cap", 0
    step = _make_step(model, lr, max_steps, trainable) if max_steps else None
    bar = tqdm(range(max_steps), desc=desc, leave=False, disable=not progress)
    try:
        for i in bar:
            batch = draw()
            noisy, sigma, target = batch[:3]
            weight = batch[3] if len(batch) > 3 else np.ones_like(target)
            step(noisy[..., None], sigma[:, None], target[..., None], np.asarray(weight, np.float32)[..., None])
            done = i + 1
            if done % eval_every == 0 or done == max_steps:
                value = validate()
                record = [("step", done), (metric, value), ("seconds", time.perf_counter() - wall0),
                          ("cpu_seconds", time.process_time() - cpu0)]
                if monitor is not None:
                    record.append(("monitor", float(monitor())))
                for key, number in record:
                    curve[key].append(round(number, 4) if isinstance(number, float) and key != metric else number)
                bar.set_postfix({metric: f"{value:.4g}", "best": f"{max(best, value):.4g}"}, refresh=False)
                if value > best:
                    best, best_step, best_weights, since = value, done, model.get_weights(), 0
                else:
                    since += 1
                    if since >= patience:
                        stopped = "early"
                        break
    except KeyboardInterrupt:
        stopped = "interrupted"
        shown = f"validation PSNR {best:.2f} dB" if score is None else f"validation score {best:.4g}"
        print(f"Interrupted after {done} steps; keeping the best weights (step {best_step}, {shown}).")
    finally:
        bar.close()
    model.set_weights(best_weights)
    freeze_first(model, 0)
    return {"model": model, "curve": curve, "best_step": best_step, f"best_{metric}": best,
            f"start_{metric}": curve[metric][0], "steps_run": done, "seconds": time.perf_counter() - wall0,
            "cpu_seconds": time.process_time() - cpu0, "stopped": stopped, "lr": lr}


def distill_denoiser(student, teacher, unlabelled_noisy: np.ndarray, sigma: float, degrade: Callable,
                     val_images: np.ndarray, *, clean_images: np.ndarray | None = None, max_steps: int = 1000,
                     lr: float = 1e-3, batch_size: int = 8, patch: int = 24, eval_every: int = 50,
                     patience: int = 4, seed: int = 0, desc: str = "distill", progress: bool = True) -> dict:
    """Distillation (Hinton, Vinyals & Dean 2015) for a denoiser: train ``student`` to reproduce ``teacher``'s outputs
    on *unlabelled* noisy images (their clean versions are never used).

    Parameters
    ----------
    student, teacher : keras.Model
        Denoisers with inputs ``[noisy, sigma]``; only the student changes.
    unlabelled_noisy : numpy.ndarray, shape (M, H, W)
        Noisy target images without clean versions; the teacher denoises each once.
    sigma : float
        The σ input given to both networks.
    degrade : callable
        ``degrade(clean, rng) -> (noisy, sigma_hint)``, used for the validation images and for ``clean_images``.
    val_images : numpy.ndarray, shape (V, h, w)
        Clean validation images (early stopping).
    clean_images : numpy.ndarray, optional
        Clean target images too ("both"): half of each batch are clean pairs, half teacher pairs.
    max_steps, lr, batch_size, patch, eval_every, patience, seed, desc, progress
        As in :func:`adapt_denoiser`.

    Returns
    -------
    dict
        As :func:`adapt_denoiser`, plus ``n_unlabelled``.
    """
    noisy_pool = check_batch(unlabelled_noisy, "unlabelled_noisy", value_range=None)
    sigma = check_range(sigma, "sigma", 0.0, 1.0)
    val = check_batch(val_images, "val_images")
    rng = np.random.default_rng(seed)
    sig = np.full(len(noisy_pool), sigma, np.float32)
    taught = _denoise(teacher, noisy_pool, sig)
    pairs = np.stack([noisy_pool, taught], axis=-1)  # crop both at the same place
    n_clean = 0 if clean_images is None else batch_size // 2
    clean_pool = None if clean_images is None else check_batch(clean_images, "clean_images")

    def draw():
        crops, _ = crops_at_random(pairs, batch_size - n_clean, patch, rng)
        crops = np.where(rng.random((len(crops), 1, 1, 1)) < 0.5, crops, crops[:, :, ::-1])
        noisy, target, sigmas = crops[..., 0], crops[..., 1], np.full(len(crops), sigma, np.float32)
        if n_clean:
            clean = random_crops(clean_pool, n_clean, patch, rng)
            extra, extra_sigma = _degrade(degrade, clean, rng)
            noisy, target = np.concatenate([noisy, extra]), np.concatenate([target, clean])
            sigmas = np.concatenate([sigmas, extra_sigma])
        return noisy.astype(np.float32), sigmas, target.astype(np.float32)

    val_noisy, val_sigma = _degrade(degrade, val, np.random.default_rng(10_000 + seed))
    out = train_with_early_stopping(student, draw, val, val_noisy, val_sigma, max_steps=check_int(max_steps,
                                    "max_steps", 0), lr=check_positive(lr, "lr"), eval_every=eval_every,
                                    patience=patience, desc=desc, progress=progress)
    return {**out, "n_unlabelled": len(noisy_pool)}


def training_step(model, images: np.ndarray, degrade: Callable, *, lr: float = 1e-4, max_steps: int = 300,
                  batch_size: int = 8, patch: int = 24, seed: int = 0) -> Callable[[], float]:
    """One Adam update on fresh target crops per call — the inside of :func:`adapt_denoiser`'s loop, for writing
    the loop yourself (lesson 05's exercise).

    Parameters
    ----------
    model : keras.Model
        The denoiser to train (changed in place by each call).
    images : numpy.ndarray, shape (N, H, W)
        Clean training images in [0, 1].
    degrade : callable
        ``degrade(clean, rng) -> (noisy, sigma_hint)``, as in :func:`adapt_denoiser`.
    lr, max_steps : float, int
        Peak learning rate and the length of its cosine decay.
    batch_size, patch, seed : int
        Crops per step, their size (even), and the seed of the crops and the noise.

    Returns
    -------
    callable
        ``step() -> loss``: draws a batch, updates the model, returns the batch's mean squared error.

    Raises
    ------
    TypeError
        If ``degrade`` is not callable.
    """
    images = check_batch(images, "images")
    if not callable(degrade):
        raise TypeError(f"degrade must be a function degrade(clean, rng) -> (noisy, sigma_hint); got "
                        f"{type(degrade).__name__}")
    patch, batch_size = check_int(patch, "patch", 2, min(images.shape[1:])), check_int(batch_size, "batch_size", 1)
    update = _make_step(model, check_positive(lr, "lr"), check_int(max_steps, "max_steps", 1))
    rng = np.random.default_rng(check_int(seed, "seed", 0))

    def step() -> float:
        clean = random_crops(images, batch_size, patch, rng)
        noisy, sigma = _degrade(degrade, clean, rng)
        return float(update(noisy[..., None], sigma[:, None], clean[..., None], np.ones_like(clean)[..., None]))

    return step


def validator(model, val_images: np.ndarray, degrade: Callable, *, seed: int = 0) -> Callable[[], float]:
    """Validation PSNR of ``model`` on ``val_images``, degraded once with a fixed seed, as a zero-argument function.

    Parameters
    ----------
    model : keras.Model
        The denoiser being trained (read at each call).
    val_images : numpy.ndarray, shape (M, H, W)
        Clean validation images in [0, 1], never trained on.
    degrade : callable
        ``degrade(clean, rng) -> (noisy, sigma_hint)``.
    seed : int
        Seed of the validation noise (the same noise at every call).

    Returns
    -------
    callable
        ``validate() -> float``: mean PSNR in dB (outputs clipped to [0, 1]).
    """
    val = check_batch(val_images, "val_images")
    noisy, sigma = _degrade(degrade, val, np.random.default_rng(10_000 + check_int(seed, "seed", 0)))

    def validate() -> float:
        return round(float(np.mean(batch_psnr(val, _denoise(model, noisy, sigma)))), 4)

    return validate


def teacher_targets(teacher) -> Callable:
    """``targets(noisy, sigma)`` for :func:`adapt_denoiser`: the teacher's denoised crops (distillation — the clean
    images are never looked at, so the student can learn from *unlabelled* noisy images).

    Parameters
    ----------
    teacher : keras.Model
        A denoiser with inputs ``[noisy, sigma]``.

    Returns
    -------
    callable
        ``targets(noisy (n, h, w), sigma (n,)) -> (n, h, w)``.
    """
    def targets(noisy, sigma):
        return _denoise(teacher, noisy, sigma)
    return targets


def time_inference(model, size: int = 512, repeats: int = 3, sigma: float = SIGMA) -> float:
    """Median wall seconds to denoise one ``size``² image (after one warm-up call).

    Parameters
    ----------
    model : keras.Model
        A denoiser with inputs ``[noisy, sigma]``.
    size : int
        Image side in pixels.
    repeats : int
        Timed calls (the median is returned).
    sigma : float
        σ input.

    Returns
    -------
    float
    """
    from .restore import denoise_batch

    noisy = np.random.default_rng(0).random((1, size, size)).astype(np.float32)
    denoise_batch(model, noisy, sigma)
    times = []
    for _ in range(check_int(repeats, "repeats", 1)):
        start = time.perf_counter()
        denoise_batch(model, noisy, sigma)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def paired_comparison(part: dict, a: str, b: str, n_target: int) -> dict:
    """Effect of arm ``a`` over arm ``b`` at ``n_target`` in one experiment of ``transfer_restoration.json``,
    paired by seed and by test image, with both standard errors and a call.

    Parameters
    ----------
    part : dict
        One experiment (``records`` with ``per_image`` PSNRs; ``fixed`` for the arms that do not train).
    a, b : str
        Arm names; an arm of ``part["fixed"]`` (no training) is paired with every seed of the other.
    n_target : int
        Number of target images of the trained arms.

    Returns
    -------
    dict
        ``effect`` (dB, mean over seeds and images), ``se_seeds``, ``se_images`` (None with one seed or image),
        ``call``: ``"a"``/``"b"`` if the effect exceeds twice the larger SE, else ``"tie"``.

    Raises
    ------
    ValueError
        If an arm has no records at ``n_target``.
    """
    def per_image(arm):
        if arm in part.get("fixed", {}):
            return None
        recs = sorted((r for r in part["records"] if r["arm"] == arm and r["n_target"] == n_target),
                      key=lambda r: r["seed"])
        if not recs:
            raise ValueError(f"no records for arm {arm!r} at n_target={n_target}")
        return {r["seed"]: np.asarray(r["per_image"], float) for r in recs}

    pa, pb = per_image(a), per_image(b)
    seeds = sorted(set(pa or {}) & set(pb or {})) if pa and pb else sorted(pa or pb)
    fixed_a = None if pa else np.asarray(part["fixed"][a]["per_image"], float)
    fixed_b = None if pb else np.asarray(part["fixed"][b]["per_image"], float)
    diffs = np.array([(pa[s] if pa else fixed_a) - (pb[s] if pb else fixed_b) for s in seeds])  # seeds × images

    def se(values):
        return float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else None

    effect, s_seeds, s_images = float(diffs.mean()), se(diffs.mean(axis=1)), se(diffs.mean(axis=0))
    bar = 2 * max(s_seeds or 0.0, s_images or 0.0)
    call = a if effect > bar else b if effect < -bar else "tie"
    return {"effect": effect, "se_seeds": s_seeds, "se_images": s_images, "call": call, "seeds": seeds}
