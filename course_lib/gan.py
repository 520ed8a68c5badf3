"""Generative adversarial networks that train on a 2-core CPU: losses, DCGAN for 8x8 digits, a 2-D toy.

Conventions
-----------
- Images are ``(N, 8, 8)`` float32 in [0, 1] (the format of :func:`course_lib.data.digits` and
  :func:`course_lib.data.glyphs`); Keras models see ``(N, 8, 8, 1)``. The generator ends in a
  **sigmoid**, so its samples are in [0, 1] directly: no [-1, 1] rescaling anywhere.
- The discriminator returns a **logit** :math:`\\ell`; the probability "real" is :math:`D = \\sigma(\\ell)`.
  Every loss is written from logits (``softplus``), which is the numerically stable form of the logs.
- Layers have stable names (``g_dense``, ``g_up1``, ``g_up2``, ``g_out``; ``d_conv1``, ``d_conv2``,
  ``d_logit``) so that lesson 05 can freeze the discriminator's early layers (FreezeD).

The same :func:`make_train_step` trains the 2-D toy GAN, the glyph DCGAN and its fine-tuned variants.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from .classifier import score_samples as evaluate_samples
from .data import GLYPHS_HELDOUT_SEED
from .validate import check_batch, check_choice, check_int, check_positive, check_range, scale_hint

__all__ = [
    "LATENT_DIM", "GLYPH_STEPS", "LOSSES", "d_loss_bce", "g_loss_minimax", "g_loss_nonsaturating", "d_loss_hinge",
    "g_loss_hinge", "d_loss_article", "g_loss_article", "build_generator", "build_discriminator", "build_toy_generator",
    "build_toy_discriminator", "make_train_step", "train_gan", "sample", "latent", "ring_data", "ring_centres",
    "modes_covered", "train_toy_gan", "evaluate_samples", "nearest_neighbours", "pretrain_gan_glyphs",
    "load_gan_glyphs", "load_snapshots", "generator_gradient_norm", "mean_d", "logit_gradient",
]

#: Size of the generator's input noise z for the glyph DCGAN.
LATENT_DIM = 32

# --- losses, from discriminator logits -------------------------------------------------------------------------


def d_loss_bce(real_logits, fake_logits):
    r"""Discriminator loss of the minimax game: :math:`-\mathbb E[\log D(x)] - \mathbb E[\log(1 - D(G(z)))]`.

    With :math:`D = \sigma(\ell)`: :math:`-\log\sigma(\ell) = \mathrm{softplus}(-\ell)` and
    :math:`-\log(1 - \sigma(\ell)) = \mathrm{softplus}(\ell)`.

    Parameters
    ----------
    real_logits : tf.Tensor or array_like, shape (N, 1) or (N,), float32
        Discriminator logits on real images.
    fake_logits : tf.Tensor or array_like, shape (M, 1) or (M,), float32
        Discriminator logits on generated images.

    Returns
    -------
    tf.Tensor, shape (), float32
        The batch-mean loss (to minimise).
        In nats, ≥ 0; ``2 log 2`` when D outputs 1/2 everywhere.

    References
    ----------
    I. Goodfellow et al., "Generative adversarial nets", NeurIPS 2014, eq. 1.

    Examples
    --------
    >>> round(float(d_loss_bce(tf.zeros((4, 1)), tf.zeros((4, 1)))), 4)   # 2 log 2
    1.3863
    """
    return tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(tf.nn.softplus(fake_logits))


def g_loss_minimax(fake_logits):
    r"""Generator loss of the original minimax game: :math:`\mathbb E[\log(1 - D(G(z)))]` (to minimise).

    It *saturates*: when D confidently rejects the fakes (:math:`D(G(z)) \to 0`) its gradient vanishes.

    Parameters
    ----------
    fake_logits : tf.Tensor or array_like, shape (M, 1) or (M,), float32
        Discriminator logits on generated images.

    Returns
    -------
    tf.Tensor, shape (), float32
        The batch-mean loss (to minimise).
        In nats, ≤ 0.

    References
    ----------
    Goodfellow et al. 2014, eq. 1.
    """
    return -tf.reduce_mean(tf.nn.softplus(fake_logits))


def g_loss_nonsaturating(fake_logits):
    r"""Non-saturating generator loss (Goodfellow et al. 2014, §3): :math:`-\mathbb E[\log D(G(z))]`.

    Parameters
    ----------
    fake_logits : tf.Tensor or array_like, shape (M, 1) or (M,), float32
        Discriminator logits on generated images.

    Returns
    -------
    tf.Tensor, shape (), float32
        The batch-mean loss (to minimise).
        In nats, ≥ 0.

    References
    ----------
    Goodfellow et al., NeurIPS 2014, Sec. 3.

    Examples
    --------
    >>> round(float(g_loss_nonsaturating(tf.zeros((4, 1)))), 4)   # log 2
    0.6931
    """
    return tf.reduce_mean(tf.nn.softplus(-fake_logits))


def d_loss_hinge(real_logits, fake_logits):
    r"""Hinge discriminator loss: :math:`\mathbb E[\max(0, 1 - \ell_{real})] + \mathbb E[\max(0, 1 + \ell_{fake})]`.

    Parameters
    ----------
    real_logits : tf.Tensor or array_like, shape (N, 1) or (N,), float32
        Discriminator logits on real images.
    fake_logits : tf.Tensor or array_like, shape (M, 1) or (M,), float32
        Discriminator logits on generated images.

    Returns
    -------
    tf.Tensor, shape (), float32
        The batch-mean loss (to minimise).
        ≥ 0.

    References
    ----------
    J. H. Lim and J. C. Ye, "Geometric GAN", arXiv:1705.02894, 2017; T. Miyato et al., "Spectral normalization for
    generative adversarial networks", ICLR 2018.
    """
    return tf.reduce_mean(tf.nn.relu(1.0 - real_logits)) + tf.reduce_mean(tf.nn.relu(1.0 + fake_logits))


def g_loss_hinge(fake_logits):
    r"""Generator loss paired with the hinge discriminator: :math:`-\mathbb E[\ell_{fake}]`.

    Parameters
    ----------
    fake_logits : tf.Tensor or array_like, shape (M, 1) or (M,), float32
        Discriminator logits on generated images.

    Returns
    -------
    tf.Tensor, shape (), float32
        The batch-mean loss (to minimise).

    References
    ----------
    Lim and Ye 2017; Miyato et al., ICLR 2018.
    """
    return -tf.reduce_mean(fake_logits)


def d_loss_article(real_logits, fake_logits):
    """The popular article's discriminator "loss": ``-mean(D(real))``; it never looks at the fakes.

    Parameters
    ----------
    real_logits : tf.Tensor or array_like, shape (N, 1) or (N,), float32
        Discriminator logits on real images.
    fake_logits : tf.Tensor or array_like, shape (M, 1) or (M,), float32
        Discriminator logits on generated images.
        Ignored.

    Returns
    -------
    tf.Tensor, shape (), float32
        The batch-mean loss (to minimise).
        In [-1, 0].
    """
    del fake_logits  # the article's code never shows D a generated image
    return -tf.reduce_mean(tf.sigmoid(real_logits))


def g_loss_article(fake_logits):
    """The popular article's generator "loss": the raw discriminator output ``mean(D(G(z)))``, minimised.

    Parameters
    ----------
    fake_logits : tf.Tensor or array_like, shape (M, 1) or (M,), float32
        Discriminator logits on generated images.

    Returns
    -------
    tf.Tensor, shape (), float32
        The batch-mean loss (to minimise).
        In [0, 1].
    """
    return tf.reduce_mean(tf.sigmoid(fake_logits))


#: name -> (discriminator loss, generator loss)
LOSSES: dict[str, tuple[Callable, Callable]] = {
    "minimax": (d_loss_bce, g_loss_minimax),
    "non-saturating": (d_loss_bce, g_loss_nonsaturating),
    "hinge": (d_loss_hinge, g_loss_hinge),
    "article": (d_loss_article, g_loss_article),
}

# --- models ------------------------------------------------------------------------------------------------------


def build_generator(latent_dim: int = LATENT_DIM, width: int = 32, seed: int = 0) -> keras.Model:
    """DCGAN generator for 8x8 images: z → Dense → 2x2x4w → ConvT → 4x4x2w → ConvT → 8x8xw → Conv → sigmoid.

    Transposed convolutions (kernel 3, stride 2) double the size; batch normalisation and ReLU follow each
    (Radford et al. 2016).

    Parameters
    ----------
    latent_dim : int
        Size of the noise vector z, in [1, 4096].
    width : int
        Filters of the last transposed convolution (the earlier layers have 2x and 4x), in [1, 1024].
    seed : int
        Seed of the initial weights.

    Returns
    -------
    keras.Model
        Input ``(N, latent_dim)`` float32, output ``(N, 8, 8, 1)`` in [0, 1].

    Raises
    ------
    TypeError
        If ``latent_dim`` or ``width`` is not an integer.
    ValueError
        If ``latent_dim`` or ``width`` is outside its range.

    References
    ----------
    A. Radford, L. Metz and S. Chintala, "Unsupervised representation learning with deep convolutional
    generative adversarial networks", ICLR 2016.
    """
    latent_dim, width = check_int(latent_dim, "latent_dim", 1, 4096), check_int(width, "width", 1, 1024)
    keras.utils.set_random_seed(seed)
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(2 * 2 * 4 * width, use_bias=False, name="g_dense")(z)
    x = layers.Reshape((2, 2, 4 * width))(x)
    x = layers.ReLU()(layers.BatchNormalization(name="g_bn0")(x))
    x = layers.Conv2DTranspose(2 * width, 3, strides=2, padding="same", use_bias=False, name="g_up1")(x)  # 4x4
    x = layers.ReLU()(layers.BatchNormalization(name="g_bn1")(x))
    x = layers.Conv2DTranspose(width, 3, strides=2, padding="same", use_bias=False, name="g_up2")(x)  # 8x8
    x = layers.ReLU()(layers.BatchNormalization(name="g_bn2")(x))
    image = layers.Conv2D(1, 3, padding="same", activation="sigmoid", name="g_out")(x)
    return keras.Model(z, image, name="generator")


def build_discriminator(width: int = 64, seed: int = 0) -> keras.Model:
    """DCGAN discriminator for 8x8 images: Conv(stride 2) → 4x4 → Conv(stride 2) → 2x2 → Dense → one logit.

    LeakyReLU(0.2), no batch normalisation (so that the same D also works with the hinge loss and
    per-sample penalties). ``d_conv1`` is the "early layer" that FreezeD keeps frozen in lesson 05.

    Parameters
    ----------
    width : int
        Filters of the first convolution (the second has twice as many), in [1, 1024].
    seed : int
        Seed of the initial weights.

    Returns
    -------
    keras.Model
        Input ``(N, 8, 8, 1)`` in [0, 1], output ``(N, 1)`` logits.

    Raises
    ------
    TypeError
        If ``width`` is not an integer.
    ValueError
        If ``width`` is outside [1, 1024].

    References
    ----------
    Radford, Metz and Chintala, ICLR 2016.
    """
    width = check_int(width, "width", 1, 1024)
    keras.utils.set_random_seed(seed)
    image = keras.Input((8, 8, 1), name="image")
    x = layers.LeakyReLU(0.2)(layers.Conv2D(width, 3, strides=2, padding="same", name="d_conv1")(image))  # 4x4
    x = layers.LeakyReLU(0.2)(layers.Conv2D(2 * width, 3, strides=2, padding="same", name="d_conv2")(x))  # 2x2
    logit = layers.Dense(1, name="d_logit")(layers.Flatten()(x))
    return keras.Model(image, logit, name="discriminator")


def build_toy_generator(latent_dim: int = 2, hidden: int = 128, seed: int = 0) -> keras.Model:
    """MLP generator for 2-D points: z (``latent_dim``) → 2 hidden ReLU layers → (x, y).

    Parameters
    ----------
    latent_dim : int
        Size of z (≥ 1).
    hidden : int
        Units of each hidden layer.
    seed : int
        Seed of the initial weights.

    Returns
    -------
    keras.Model
        Input ``(N, latent_dim)``, output ``(N, 2)`` points.

    Raises
    ------
    TypeError
        If ``latent_dim`` is not an integer.
    ValueError
        If ``latent_dim`` < 1.
    """
    keras.utils.set_random_seed(seed)
    z = keras.Input((check_int(latent_dim, "latent_dim", 1),), name="z")
    h = layers.Dense(hidden, activation="relu", name="g_hidden1")(z)
    h = layers.Dense(hidden, activation="relu", name="g_hidden2")(h)
    return keras.Model(z, layers.Dense(2, name="g_out")(h), name="toy_generator")


def build_toy_discriminator(hidden: int = 128, seed: int = 0) -> keras.Model:
    """MLP discriminator for 2-D points: (x, y) → 2 hidden ReLU layers → one logit.

    Parameters
    ----------
    hidden : int
        Units of each hidden layer.
    seed : int
        Seed of the initial weights.

    Returns
    -------
    keras.Model
        Input ``(N, 2)`` points, output ``(N, 1)`` logits.
    """
    keras.utils.set_random_seed(seed)
    point = keras.Input((2,), name="point")
    h = layers.Dense(hidden, activation="relu", name="d_hidden1")(point)
    h = layers.Dense(hidden, activation="relu", name="d_hidden2")(h)
    return keras.Model(point, layers.Dense(1, name="d_logit")(h), name="toy_discriminator")


# --- one training step, then the loop ---------------------------------------------------------------------------


class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Learning rate ``lr`` until step ``start``, then linearly down to 0 at step ``end``.

    Parameters
    ----------
    lr : float
        Initial learning rate.
    start : int
        Optimiser step at which the decay begins.
    end : int
        Optimiser step at which the rate reaches 0 (at least ``start + 1``).

    Examples
    --------
    >>> schedule = LinearDecay(1e-3, 100, 200)
    >>> [round(float(schedule(step)), 6) for step in (0, 150, 300)]
    [0.001, 0.0005, 0.0]
    """

    def __init__(self, lr: float, start: int, end: int):
        self.lr, self.start, self.end = float(lr), int(start), max(int(end), int(start) + 1)

    def __call__(self, step):
        done = (tf.cast(step, tf.float32) - self.start) / (self.end - self.start)
        return self.lr * (1.0 - tf.clip_by_value(done, 0.0, 1.0))

    def get_config(self) -> dict:
        return {"lr": self.lr, "start": self.start, "end": self.end}


def make_train_step(generator, discriminator, *, loss: str = "non-saturating", g_lr: float = 2e-4,
                    d_lr: float = 2e-4, beta_1: float = 0.5, decay: tuple[int, int] | None = None,
                    augment: Callable | None = None) -> Callable:
    """Return ``train_step(real, z) -> {"d_loss", "g_loss"}``: one update of D, then one of G.

    D is updated on a batch of real images **and** a batch of generated images; G is updated through D
    (its loss is a function of D's logits on G's samples). Only ``trainable_variables`` are updated, so
    freezing a layer (``layer.trainable = False``) before calling this keeps it fixed. Adam (β₁ = 0.5, as
    in DCGAN) with learning rates ``g_lr`` and ``d_lr``.

    Parameters
    ----------
    generator, discriminator : keras.Model
        The two networks (e.g. :func:`build_generator` and :func:`build_discriminator`).
    loss : {"non-saturating", "minimax", "hinge", "article"}
        A key of :data:`LOSSES`.
    g_lr, d_lr : float
        Adam learning rates of G and D (> 0).
    beta_1 : float
        Adam's β₁.
    decay : (int, int), optional
        ``(start, end)``: both rates fall linearly to 0 between those optimiser steps (:class:`LinearDecay`).
    augment : callable, optional
        Applied to real and generated images alike before D sees them (DiffAugment, lesson 05).

    Returns
    -------
    callable
        A ``tf.function`` ``train_step(real, z)``: ``real`` a batch of D's input shape, ``z`` ``(B, latent_dim)``
        float32; returns ``{"d_loss": tf.Tensor, "g_loss": tf.Tensor}``.

    Raises
    ------
    TypeError
        If a learning rate is not a number.
    ValueError
        If ``loss`` is unknown or a learning rate ≤ 0.
    """
    d_loss_fn, g_loss_fn = LOSSES[check_choice(loss, "loss", tuple(LOSSES))]
    g_lr, d_lr = check_positive(g_lr, "g_lr"), check_positive(d_lr, "d_lr")
    if decay is not None:
        g_lr, d_lr = LinearDecay(g_lr, *decay), LinearDecay(d_lr, *decay)
    g_opt = keras.optimizers.Adam(g_lr, beta_1=beta_1)
    d_opt = keras.optimizers.Adam(d_lr, beta_1=beta_1)
    # Create the optimisers' slots now: variables created inside the first call would make tf.function trace twice.
    g_opt.build(generator.trainable_variables)
    d_opt.build(discriminator.trainable_variables)
    show = augment or (lambda x: x)

    @tf.function
    def train_step(real, z):
        with tf.GradientTape() as tape:  # 1. discriminator: real vs generated
            fake = generator(z, training=True)
            d_loss = d_loss_fn(discriminator(show(real), training=True), discriminator(show(fake), training=True))
        d_opt.apply_gradients(zip(tape.gradient(d_loss, discriminator.trainable_variables),
                                  discriminator.trainable_variables))
        with tf.GradientTape() as tape:  # 2. generator: through the (just updated) discriminator
            g_loss = g_loss_fn(discriminator(show(generator(z, training=True)), training=True))
        g_opt.apply_gradients(zip(tape.gradient(g_loss, generator.trainable_variables), generator.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss}

    return train_step


def latent(n: int, latent_dim: int = LATENT_DIM, seed: int = 0) -> np.ndarray:
    """``n`` standard-normal noise vectors z, shape ``(n, latent_dim)``, float32; same seed, same z.

    Parameters
    ----------
    n : int
        Number of vectors (≥ 1).
    latent_dim : int
        Size of each vector (≥ 1).
    seed : int
        Seed (≥ 0).

    Returns
    -------
    ndarray, shape (n, latent_dim), float32
        Draws from N(0, I).

    Raises
    ------
    TypeError
        If an argument is not an integer.
    ValueError
        If ``n`` or ``latent_dim`` < 1 or ``seed`` < 0.

    Examples
    --------
    >>> z = latent(3, 4, seed=0)
    >>> z.shape, z.dtype, bool(np.array_equal(z, latent(3, 4, seed=0)))
    ((3, 4), dtype('float32'), True)
    """
    from .train import normal_codes

    return normal_codes(n, check_int(latent_dim, "latent_dim", 1), seed)


def sample(generator, n: int = 64, seed: int = 0, z: np.ndarray | None = None) -> np.ndarray:
    """Draw ``n`` samples (or one per row of ``z``); images come back as ``(N, 8, 8)`` in [0, 1].

    Parameters
    ----------
    generator : keras.Model
        Maps ``(N, latent_dim)`` to images ``(N, 8, 8, 1)`` or points ``(N, 2)``.
    n : int
        Number of samples when ``z`` is not given (≥ 1).
    seed : int
        Seed of z (:func:`latent`) when ``z`` is not given.
    z : array_like, shape (N, latent_dim), optional
        Noise vectors to use instead.

    Returns
    -------
    ndarray, float32
        ``(N, 8, 8)`` images in [0, 1] (the channel axis dropped), or ``(N, 2)`` points for the toy generator.

    Raises
    ------
    TypeError, ValueError
        As :func:`latent`, for a bad ``n`` or ``seed``.
    """
    if z is None:
        z = latent(n, generator.input_shape[-1], seed)
    out = np.asarray(generator(np.asarray(z, dtype=np.float32), training=False))
    return out[..., 0] if out.ndim == 4 else out


def _as_batchable(data, discriminator) -> np.ndarray:
    """``data`` as a float32 batch of the discriminator's input shape; ``(N, H, W)`` images gain a channel axis.

    Images must be floats in [0, 1] (the generator ends in a sigmoid): integer counts, 0-255 values or [-1, 1]
    data raise a ``ValueError`` with the conversion to use (:func:`course_lib.validate.scale_hint`); on the wrong
    scale D separates real from fake by their range alone and its loss collapses to ~0.
    """
    expected = tuple(discriminator.input_shape[1:])
    images = len(expected) == 3
    if images and isinstance(data, np.ndarray) and not np.issubdtype(data.dtype, np.floating):
        peak = data.max() if data.size and data.dtype != bool else 1
        todo = "divide by 16 (sklearn digits' 0-16 counts)" if peak <= 16 else "use course_lib.data.as_float"
        raise TypeError(f"data must be float images in [0, 1]; got dtype {data.dtype} — {todo}")
    data = np.asarray(data, dtype=np.float32)
    if data.ndim == 3 and len(expected) == 3:  # (N, H, W) images -> (N, H, W, 1) for Keras
        data = data[..., None]
    if data.ndim < 2 or tuple(data.shape[1:]) != expected or len(data) < 2:
        wanted = "(N, 8, 8) images" if len(expected) == 3 else f"(N, {expected[0]}) points"
        raise ValueError(f"data must be {wanted} with N >= 2, matching the discriminator's input {expected}; "
                         f"got shape {data.shape}")
    if not np.all(np.isfinite(data)):
        raise ValueError("data contains NaN or infinite values")
    if images and (data.min() < 0 or data.max() > 1):
        vmin, vmax = float(data.min()), float(data.max())
        raise ValueError(f"data must be images in [0, 1] (the generator's sigmoid range); got range "
                         f"[{vmin:.4g}, {vmax:.4g}]{scale_hint(vmin, vmax)}")
    return data


def _save_weights_atomically(model, path: Path) -> None:
    tmp = path.with_name(path.name.replace(".weights.h5", ".tmp.weights.h5"))
    model.save_weights(tmp)
    os.replace(tmp, path)  # an interrupted save never leaves a half-written file behind


def train_gan(generator, discriminator, data, *, steps: int, batch_size: int = 64, loss: str = "non-saturating",
              g_lr: float = 4e-4, d_lr: float = 2e-3, lr_decay: float = 0.5, seed: int = 0, snapshot_every: int = 0,
              on_snapshot: Callable | None = None, save_every: int = 0, save_dir: str | Path | None = None,
              augment: Callable | None = None, ema: float = 0.0, desc: str = "GAN") -> dict:
    r"""Train ``generator`` and ``discriminator`` on ``data`` for ``steps`` steps with :func:`make_train_step`.

    The defaults are the glyph DCGAN's: D learns 5x faster than G (two time-scale update rule, Heusel et al.
    2017), and both learning rates decay linearly to 0 over the last ``lr_decay`` share of the steps.
    Uses :func:`course_lib.train.run_steps` (progress bar, loss history, Ctrl-C keeps the last weights).

    Parameters
    ----------
    generator, discriminator : keras.Model
        The networks, trained in place.
    data : array_like
        Real examples: ``(N, 8, 8)`` images in [0, 1] (or ``(N, 8, 8, 1)``), or ``(N, 2)`` points for the toy;
        N ≥ 2, finite, matching the discriminator's input.
    steps : int
        Training steps (≥ 0), one D and one G update each.
    batch_size : int
        Real examples per step, drawn with replacement (≥ 1).
    loss : str
        A key of :data:`LOSSES`.
    g_lr, d_lr : float
        Adam learning rates (> 0).
    lr_decay : float
        Share of the steps, in [0, 1], over which both rates fall linearly to 0 at the end (0: constant).
    seed : int
        Seed of the minibatches, the noise and the snapshot z.
    snapshot_every : int
        Every this many steps (and after the last) sample 36 images from a fixed z into
        ``history["snapshots"]`` and call ``on_snapshot(step, images)``; 0 = never.
    on_snapshot : callable, optional
        ``on_snapshot(step, images)`` with images ``(36, 8, 8)``.
    save_every : int
        Every this many steps write both models' weights to ``save_dir`` atomically (so an interrupted run
        can be resumed); 0 = never.
    save_dir : str or Path, optional
        Folder of ``generator.weights.h5`` and ``discriminator.weights.h5``.
    augment : callable, optional
        Applied to real and generated images before D sees them (DiffAugment).
    ema : float
        In [0, 1); > 0 keeps an exponential moving average of G's weights,
        :math:`\bar\theta \leftarrow \text{ema}\,\bar\theta + (1 - \text{ema})\,\theta` after every step
        (Yazıcı et al., ICLR 2019); snapshots are drawn with the averaged weights and ``generator`` holds them
        when the loop ends (also after Ctrl-C).
    desc : str
        Label of the progress bar.

    Returns
    -------
    dict
        The history of ``run_steps`` (``step``, ``d_loss``, ``g_loss``) plus ``"snapshots"``:
        ``{"step": [...], "images": [...]}`` and ``"seconds"``, the wall time.

    Raises
    ------
    TypeError
        If ``steps``/``batch_size`` is not an integer or a rate is not a number.
    ValueError
        If ``data`` has the wrong shape, fewer than 2 examples or NaN/inf, ``loss`` is unknown, or a number is
        outside its range.

    References
    ----------
    M. Heusel et al., "GANs trained by a two time-scale update rule converge to a local Nash equilibrium",
    NeurIPS 2017; Y. Yazıcı et al., "The unusual effectiveness of averaging in GAN training", ICLR 2019.
    """
    data = _as_batchable(data, discriminator)
    steps, batch_size = check_int(steps, "steps", 0), check_int(batch_size, "batch_size", 1)
    lr_decay = check_range(lr_decay, "lr_decay", 0, 1)
    decay = (round(steps * (1 - lr_decay)), steps) if lr_decay > 0 else None
    train_step = make_train_step(generator, discriminator, loss=loss, g_lr=g_lr, d_lr=d_lr, decay=decay,
                                 augment=augment)
    rng, latent_dim = np.random.default_rng(seed), generator.input_shape[-1]
    fixed_z = latent(36, latent_dim, seed=10_000 + seed)
    snapshots: dict[str, list] = {"step": [], "images": []}
    ema = check_range(ema, "ema", 0, 1)
    average = [tf.Variable(w, trainable=False) for w in generator.weights] if ema > 0 else []

    @tf.function
    def update_average():
        for mean, weight in zip(average, generator.weights):
            mean.assign(ema * mean + (1.0 - ema) * weight)

    def step(i: int) -> dict:
        real = data[rng.integers(0, len(data), batch_size)]
        logs = train_step(real, rng.standard_normal((batch_size, latent_dim)).astype(np.float32))
        if average:
            update_average()
        done = i + 1
        if snapshot_every and (done % snapshot_every == 0 or done == steps):
            current = [w.numpy() for w in generator.weights]
            for weight, mean in zip(generator.weights, average):  # sample with the averaged weights
                weight.assign(mean)
            snapshots["step"].append(done)
            snapshots["images"].append(sample(generator, z=fixed_z))
            if on_snapshot is not None:
                on_snapshot(done, snapshots["images"][-1])
            if average:
                generator.set_weights(current)
        if save_every and save_dir is not None and (done % save_every == 0 or done == steps):
            Path(save_dir).mkdir(parents=True, exist_ok=True)
            _save_weights_atomically(generator, Path(save_dir) / "generator.weights.h5")
            _save_weights_atomically(discriminator, Path(save_dir) / "discriminator.weights.h5")
        return logs

    from .train import run_steps

    start = time.perf_counter()
    history = run_steps(step, steps, desc=desc, log_every=max(1, steps // 200))
    for weight, mean in zip(generator.weights, average):  # the generator keeps the averaged weights
        weight.assign(mean)
    history["seconds"] = time.perf_counter() - start
    history["snapshots"] = snapshots
    return history


def logit_gradient(g_loss: Callable, d_fake) -> np.ndarray:
    r"""Gradient of a generator loss with respect to D's logit, per sample, at discriminator outputs ``d_fake``.

    ``d_fake`` are values of :math:`D(G(z)) \in (0, 1)`; the logit is :math:`\ell = \log(D / (1 - D))`.
    The loss is a batch mean, so the per-sample gradient is the gradient of the mean times the batch size.

    Parameters
    ----------
    g_loss : callable
        A generator loss on logits, e.g. :func:`g_loss_minimax`.
    d_fake : array_like, float
        Discriminator outputs strictly between 0 and 1.

    Returns
    -------
    ndarray, same shape as ``d_fake``, float64
        :math:`\partial\,\text{loss} / \partial \ell` per sample.

    Raises
    ------
    ValueError
        If a value of ``d_fake`` is not strictly between 0 and 1.

    Examples
    --------
    >>> logit_gradient(g_loss_nonsaturating, [0.5])   # -(1 - D)
    array([-0.5])
    """
    d_fake = np.asarray(d_fake, dtype=np.float64)
    if np.any((d_fake <= 0) | (d_fake >= 1)):
        raise ValueError("d_fake must hold discriminator outputs strictly between 0 and 1")
    logits = tf.constant(np.log(d_fake / (1 - d_fake)))
    with tf.GradientTape() as tape:
        tape.watch(logits)
        loss = g_loss(logits)
    return np.asarray(tape.gradient(loss, logits)) * d_fake.size


def generator_gradient_norm(generator, discriminator, g_loss: Callable, z) -> float:
    """Global norm of the gradient of ``g_loss`` (a generator loss on D's logits) w.r.t. G's trainable weights.

    Measures how much signal the generator gets from a given discriminator: with the minimax loss and a
    discriminator that confidently rejects the fakes this norm collapses towards 0.

    Parameters
    ----------
    generator, discriminator : keras.Model
        The networks (run in inference mode).
    g_loss : callable
        A generator loss on logits (:data:`LOSSES`).
    z : array_like, shape (N, latent_dim), float
        Noise vectors.

    Returns
    -------
    float
        The global L2 norm (≥ 0).
    """
    z = tf.constant(np.asarray(z, dtype=np.float32))
    with tf.GradientTape() as tape:
        loss = g_loss(discriminator(generator(z, training=False), training=False))
    return float(tf.linalg.global_norm(tape.gradient(loss, generator.trainable_variables)))


def mean_d(discriminator, images) -> float:
    r"""Mean discriminator output :math:`D = \sigma(\ell)` on a batch of images ``(N, 8, 8)`` or points ``(N, 2)``.

    Parameters
    ----------
    discriminator : keras.Model
        Returns logits.
    images : ndarray or array_like
        ``(N, 8, 8)`` float images in [0, 1], or ``(N, 2)`` finite points; N ≥ 1.

    Returns
    -------
    float
        Mean probability "real", in [0, 1].

    Raises
    ------
    TypeError
        If an image batch is not float.
    ValueError
        If the batch has the wrong shape, is empty, or holds NaN/inf (or images outside [0, 1]).
    """
    if isinstance(images, np.ndarray) and images.ndim == 3:
        x = check_batch(images, "images", size=tuple(discriminator.input_shape[1:3]))[..., None]
    else:
        x = np.asarray(images, dtype=np.float32)
        if x.ndim != 2 or len(x) == 0 or not np.all(np.isfinite(x)):
            raise ValueError(f"images must be (N, 8, 8) images or (N, 2) finite points, N >= 1; got shape {x.shape}")
    return float(tf.reduce_mean(tf.sigmoid(discriminator(x, training=False))))


# --- the 2-D toy: a ring of Gaussians ----------------------------------------------------------------------------


def ring_centres(n_modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """Centres of ``n_modes`` Gaussians evenly spaced on a circle of ``radius``, shape ``(n_modes, 2)``.

    Parameters
    ----------
    n_modes : int
        Number of modes (≥ 1); the first lies on the positive x axis.
    radius : float
        Circle radius (> 0).

    Returns
    -------
    ndarray, shape (n_modes, 2), float32

    Raises
    ------
    TypeError
        If ``n_modes`` is not an integer or ``radius`` not a number.
    ValueError
        If ``n_modes`` < 1 or ``radius`` ≤ 0.

    Examples
    --------
    >>> ring_centres(4, 1.0).round(6)
    array([[ 1.,  0.],
           [ 0.,  1.],
           [-1.,  0.],
           [-0., -1.]], dtype=float32)
    """
    angles = 2 * np.pi * np.arange(check_int(n_modes, "n_modes", 1)) / n_modes
    return (check_positive(radius, "radius") * np.stack([np.cos(angles), np.sin(angles)], 1)).astype(np.float32)


def ring_data(n: int, *, n_modes: int = 8, radius: float = 2.0, std: float = 0.05, seed: int = 0) -> np.ndarray:
    """``n`` points from an equal mixture of isotropic Gaussians (std ``std``) on a ring; shape ``(n, 2)``.

    Parameters
    ----------
    n : int
        Number of points (≥ 1).
    n_modes : int
        Number of Gaussians (≥ 1).
    radius : float
        Ring radius (> 0).
    std : float
        Standard deviation of each Gaussian (> 0).
    seed : int
        Seed (≥ 0).

    Returns
    -------
    ndarray, shape (n, 2), float32

    Raises
    ------
    TypeError
        If a count or seed is not an integer, or ``radius``/``std`` not a number.
    ValueError
        If a count or seed is out of range or ``radius``/``std`` ≤ 0.

    References
    ----------
    L. Metz, B. Poole, D. Pfau and J. Sohl-Dickstein, "Unrolled generative adversarial networks", ICLR 2017.

    Examples
    --------
    >>> modes_covered(ring_data(1000, seed=0))["modes"]
    8
    """
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    centres = ring_centres(n_modes, radius)[rng.integers(0, n_modes, check_int(n, "n", 1))]
    return (centres + check_positive(std, "std") * rng.standard_normal(centres.shape)).astype(np.float32)


def modes_covered(points: np.ndarray, *, n_modes: int = 8, radius: float = 2.0, std: float = 0.05,
                  min_share: float | None = None) -> dict:
    """Count the ring's modes a sample covers (the measure of Metz et al. 2017 and Srivastava et al. 2017).

    A point is *high quality* when it lies within 3 ``std`` of its nearest centre. A mode is *covered* when
    at least ``min_share`` of all points are high-quality points of that mode.

    Parameters
    ----------
    points : array_like, shape (N, 2), float
        Generated points.
    n_modes, radius, std : int, float, float
        The ring the points should come from (:func:`ring_data`).
    min_share : float, optional
        In [0, 1]; default a quarter of a fair share, ``0.25 / n_modes``.

    Returns
    -------
    dict
        ``modes`` (int, number covered), ``high_quality`` (float in [0, 1], share of high-quality points),
        ``mode_shares`` (ndarray (n_modes,), share of all points that are high-quality points of each mode).

    Raises
    ------
    TypeError
        If ``min_share`` is not a number.
    ValueError
        If ``points`` is not (N, 2) or ``min_share`` is outside [0, 1].

    References
    ----------
    Metz et al., ICLR 2017; A. Srivastava et al., "VEEGAN", NeurIPS 2017.

    Examples
    --------
    >>> modes_covered(np.zeros((10, 2)))["modes"]   # every point at the centre: no mode
    0
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2); got {points.shape}")
    min_share = 0.25 / n_modes if min_share is None else check_range(min_share, "min_share", 0, 1)
    distances = np.linalg.norm(points[:, None, :] - ring_centres(n_modes, radius)[None], axis=2)
    nearest, good = distances.argmin(1), distances.min(1) <= 3 * std
    shares = np.bincount(nearest[good], minlength=n_modes) / len(points)
    return {"modes": int(np.sum(shares >= min_share)), "high_quality": float(good.mean()), "mode_shares": shares}


_SHORT = {"non-saturating": "NS"}  # progress-bar labels short enough not to wrap


def train_toy_gan(*, loss: str = "non-saturating", g_lr: float = 1e-3, d_lr: float = 1e-3, steps: int = 2000,
                  batch_size: int = 256, latent_dim: int = 2, seed: int = 0, n_samples: int = 2000) -> dict:
    """Train an MLP GAN on the ring of 8 Gaussians; return samples, their mode coverage and the history.

    Parameters
    ----------
    loss : str
        A key of :data:`LOSSES`.
    g_lr, d_lr : float
        Adam learning rates (> 0).
    steps : int
        Training steps.
    batch_size : int
        Points per step.
    latent_dim : int
        Size of z.
    seed : int
        Seed of the data, the weights and the samples.
    n_samples : int
        Points drawn after training.

    Returns
    -------
    dict
        ``{"samples": (n_samples, 2) float32, "coverage": modes_covered(samples), "history": ...,
        "generator": G}``.

    Raises
    ------
    TypeError, ValueError
        As :func:`train_gan`, for bad settings.
    """
    generator = build_toy_generator(latent_dim, seed=seed)
    discriminator = build_toy_discriminator(seed=seed + 1)
    history = train_gan(generator, discriminator, ring_data(50_000, seed=seed), steps=steps, batch_size=batch_size,
                        loss=loss, g_lr=g_lr, d_lr=d_lr, seed=seed, desc=f"toy {_SHORT.get(loss, loss)}")
    points = sample(generator, n_samples, seed=seed + 1)
    return {"samples": points, "coverage": modes_covered(points), "history": history, "generator": generator}


# --- evaluation with the course classifier ------------------------------------------------------------------------


def nearest_neighbours(queries: np.ndarray, pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each image in ``queries``, the index of and Euclidean pixel distance to its nearest image in ``pool``.

    Parameters
    ----------
    queries : ndarray, shape (N, H, W), float
        Images in [0, 1] (e.g. generated samples).
    pool : ndarray, shape (M, H, W), float
        Images in [0, 1] (e.g. the training set).

    Returns
    -------
    index : ndarray, shape (N,), int
        Index into ``pool``.
    distance : ndarray, shape (N,), float64
        L2 distance over all pixels (0-1 intensity units).

    Raises
    ------
    TypeError
        If a batch is not a float array.
    ValueError
        If a batch is not (N, H, W) in [0, 1], or the two image sizes differ.

    Examples
    --------
    >>> pool = np.stack([np.zeros((2, 2)), np.ones((2, 2))]).astype(np.float32)
    >>> nearest_neighbours(np.full((1, 2, 2), 0.9, np.float32), pool)[0]
    array([1])
    """
    queries, pool = check_batch(queries, "queries"), check_batch(pool, "pool")
    q, p = queries.astype(np.float64).reshape(len(queries), -1), pool.astype(np.float64).reshape(len(pool), -1)
    if q.shape[1] != p.shape[1]:
        raise ValueError(f"queries and pool must hold images of the same size; got {queries.shape} and {pool.shape}")
    squared = (q**2).sum(1)[:, None] - 2 * q @ p.T + (p**2).sum(1)[None]
    index = squared.argmin(1)
    return index, np.linalg.norm(q - p[index], axis=1)  # exact distance, free of the expansion's rounding


# --- shipped checkpoints: the glyph DCGAN and its training snapshots ---------------------------------------------

#: Held-out real glyphs for evaluation (a seed no training set uses) and their number.
HELDOUT_SEED, HELDOUT_N = GLYPHS_HELDOUT_SEED, 2000
#: Training steps of the glyph DCGAN (lesson 01's full mode and ``pretrain gan-glyphs``): about 3.5 minutes on 2
#: idle cores. 6000 steps gave 0.89-0.905 confident samples over 3 seeds, too close to the 0.9 target.
GLYPH_STEPS = 10_000
RECIPE = "python -m course_lib pretrain gan-glyphs"


class SnapshotStore(keras.Model):
    """Numpy arrays kept as non-trainable Keras weights, so that they ship as a ``*.weights.h5`` checkpoint.

    The training snapshots are data, not a model, but storing them this way gives them the same sha256
    check, manifest entry and rebuild message as every other checkpoint (no pickle, no second format).

    Parameters
    ----------
    shapes : dict of str to tuple of int
        Name and shape of each array (stored as float32 weights, initialised to 0).
    **kwargs
        Passed to ``keras.Model``.
    """

    def __init__(self, shapes: dict[str, tuple[int, ...]], **kwargs):
        super().__init__(name="snapshot_store", **kwargs)
        self.arrays = {key: self.add_weight(shape=tuple(shape), initializer="zeros", trainable=False, name=key)
                       for key, shape in shapes.items()}
        self.built = True

    def call(self, inputs):
        return inputs

    def assign(self, arrays: dict) -> SnapshotStore:
        for key, value in arrays.items():
            self.arrays[key].assign(np.asarray(value, dtype=np.float32))
        return self

    def numpy(self) -> dict[str, np.ndarray]:
        return {key: np.asarray(variable) for key, variable in self.arrays.items()}


def _snapshot_shapes(n_snapshots: int, n_images: int = 36) -> dict[str, tuple[int, ...]]:
    return {"step": (n_snapshots,), "images": (n_snapshots, n_images, 8, 8), "kid": (n_snapshots,),
            "confident_share": (n_snapshots,)}


def pretrain_gan_glyphs(steps: int = GLYPH_STEPS, n_glyphs: int = 10_000, seed: int = 0, snapshot_every: int = 250,
                        ema: float = 0.0, save: bool = True):
    """Train the glyph DCGAN (non-saturating loss); save ``gan-glyphs-generator``, ``-discriminator``, ``-snapshots``.

    The snapshots hold 36 samples from a fixed z every ``snapshot_every`` steps with their KID and
    confident share (500 samples against held-out glyphs), for the lesson's "training over time" view.

    Parameters
    ----------
    steps : int
        Training steps (:data:`GLYPH_STEPS` by default).
    n_glyphs : int
        Rendered training glyphs.
    seed : int
        Seed of the glyphs, weights and samples.
    snapshot_every : int
        Steps between snapshots.
    ema : float
        Weight averaging of G (:func:`train_gan`).
    save : bool
        Save the three checkpoints.

    Returns
    -------
    generator, discriminator : keras.Model
    history : dict
        :func:`train_gan`'s history.
    quality : dict
        Confident share, smallest class share, classes present, KID, FID (2000 samples vs 2000 held-out glyphs).

    Raises
    ------
    TypeError, ValueError
        If a setting is not an integer or out of range (raised by :func:`course_lib.data.glyphs` and the training
        loop, e.g. ``n_glyphs`` outside [1, 200000]).
    """
    from .checkpoints import save_checkpoint
    from .data import glyphs

    start = time.perf_counter()
    images, _ = glyphs(n_glyphs, seed=seed)
    heldout, _ = glyphs(HELDOUT_N, seed=HELDOUT_SEED)
    generator, discriminator = build_generator(seed=seed), build_discriminator(seed=seed + 1)
    curve: dict[str, list] = {"kid": [], "confident_share": []}

    def measure(_step: int, _images: np.ndarray) -> None:
        scores = evaluate_samples(sample(generator, 500, seed=seed + 1), heldout, n_subsets=10, seed=seed)
        curve["kid"].append(scores["kid"])
        curve["confident_share"].append(scores["confident_share"])

    history = train_gan(generator, discriminator, images, steps=steps, seed=seed, snapshot_every=snapshot_every,
                        on_snapshot=measure, ema=ema, desc="glyph DCGAN")
    seconds = time.perf_counter() - start
    scores = evaluate_samples(sample(generator, HELDOUT_N, seed=seed + 1), heldout, seed=seed)
    quality = {"steps": steps, "n_glyphs": n_glyphs, "loss": "non-saturating",
               "confident_share": scores["confident_share"], "min_class_share": float(scores["class_shares"].min()),
               "classes_present": scores["classes_present"], "kid": scores["kid"], "kid_std_subsets": scores["kid_std"],
               "fid": scores["fid"], "evaluation": f"{HELDOUT_N} samples vs {HELDOUT_N} held-out glyphs "
               f"(seed {HELDOUT_SEED}) in the digit-classifier's feature space"}
    quality = {k: round(v, 5) if isinstance(v, float) else v for k, v in quality.items()}
    if save:
        for model, part in ((generator, "generator"), (discriminator, "discriminator")):
            save_checkpoint(model, f"gan-glyphs-{part}", train_seconds=seconds, quality=quality, command=RECIPE)
        snaps = history["snapshots"]
        store = SnapshotStore(_snapshot_shapes(len(snaps["step"]))).assign(
            {"step": snaps["step"], "images": np.stack(snaps["images"]), **curve})
        save_checkpoint(store, "gan-glyphs-snapshots", train_seconds=seconds, command=RECIPE,
                        quality={"snapshots": len(snaps["step"]), "every": snapshot_every,
                                 "final_kid": round(float(curve["kid"][-1]), 5),
                                 "final_confident_share": round(float(curve["confident_share"][-1]), 4),
                                 "evaluation": "500 samples vs held-out glyphs at each snapshot (10 KID subsets)"})
    return generator, discriminator, history, quality


def load_gan_glyphs() -> tuple[keras.Model, keras.Model]:
    """Fresh copies of the shipped glyph DCGAN ``(generator, discriminator)`` (safe to train further).

    Returns
    -------
    generator : keras.Model
        ``(N, LATENT_DIM)`` → ``(N, 8, 8, 1)`` in [0, 1].
    discriminator : keras.Model
        ``(N, 8, 8, 1)`` → ``(N, 1)`` logits.

    Raises
    ------
    course_lib.checkpoints.CheckpointError
        If a checkpoint is missing, corrupt or does not fit.
    """
    from .checkpoints import load_checkpoint

    generator, discriminator = build_generator(), build_discriminator()
    load_checkpoint(generator, "gan-glyphs-generator")
    load_checkpoint(discriminator, "gan-glyphs-discriminator")
    return generator, discriminator


@functools.cache
def _load_snapshots() -> dict:
    from .checkpoints import load_checkpoint, manifest

    entry = manifest().get("gan-glyphs-snapshots", {})
    store = SnapshotStore(_snapshot_shapes(int(entry.get("quality", {}).get("snapshots", 1))))
    load_checkpoint(store, "gan-glyphs-snapshots")
    arrays = store.numpy()
    arrays["step"] = arrays["step"].round().astype(int)
    return arrays


def load_snapshots() -> dict:
    """The shipped training snapshots: ``step``, ``images`` (S, 36, 8, 8), ``kid`` and ``confident_share`` (S,).

    Returns
    -------
    dict of str to ndarray
        ``step`` (int), ``images`` (float32 in [0, 1]), ``kid`` and ``confident_share`` (float32), one entry per
        snapshot; a new dict each call (the arrays are shared).

    Raises
    ------
    course_lib.checkpoints.CheckpointError
        If the checkpoint is missing or corrupt.
    """
    return dict(_load_snapshots())
