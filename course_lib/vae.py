r"""Variational autoencoders for 8x8 digits and glyphs, with the ELBO stated and implemented exactly.

The model (Kingma & Welling, ICLR 2014; Rezende, Mohamed & Wierstra, ICML 2014)
-------------------------------------------------------------------------------
- prior :math:`p(z) = \mathcal N(0, I_d)`;
- encoder :math:`q_\phi(z \mid x) = \mathcal N(\mu_\phi(x), \mathrm{diag}\,\sigma^2_\phi(x))`: the network outputs
  :math:`\mu` and :math:`\log\sigma^2`;
- decoder :math:`p_\theta(x \mid z) = \prod_{i=1}^{64} P(k_i \mid z)`: every pixel takes one of the **17 grey
  levels** :math:`k/16,\ k = 0 \dots 16` of sklearn's digits (and of the course's glyphs), :math:`k_i = 16 x_i`.
  The default ``"logistic"`` likelihood is the *discretised logistic* (Kingma et al., NeurIPS 2016; Salimans et
  al., ICLR 2017): the decoder outputs a centre :math:`m_i` and a scale :math:`s_i` per pixel, and level k gets
  the logistic probability mass of its bin :math:`[k/16 - 1/32,\ k/16 + 1/32]` (the end bins extend to
  :math:`\pm\infty`). ``"categorical"`` (17 free logits per pixel) and ``"binomial"`` (16 x ~ Binomial(16, p),
  i.e. the 16 sub-pixels of a 4x4 block counted as independent coin flips) are there for comparison.

Why a distribution over the 17 levels: it is normalised over the values the data can take, so the ELBO and the
IWAE bound are true lower bounds on :math:`\log p(x)` in nats per image, comparable between models (uniform
guessing scores :math:`-64 \ln 17 \approx -181.3` nats). A Bernoulli BCE on grey values is not a normalised
distribution, and a Gaussian *density* on discrete levels is not a probability, so neither gives comparable
nats without extra care (binarisation, dequantisation). The discretised logistic knows that level 7 is next to
level 8 (the categorical does not, and overfits 1 297 training digits; ``benchmarks/vae.py`` measures it).

Conventions: images are ``(N, 8, 8)`` float32 in [0, 1] on the 17-level grid; losses are **summed over
pixels and latent dimensions and averaged over the batch** (nats per image); ``beta`` weighs the KL term
(Higgins et al., ICLR 2017). Since KL >= 0, ``beta > 1`` optimises a looser lower bound on :math:`\log p(x)`,
``beta < 1`` no bound at all, and only ``beta = 1`` maximises the ELBO itself (Alemi et al., ICML 2018). The plain
autoencoder of the lesson is the same network trained with :math:`\varepsilon = 0` and :math:`\beta = 0`.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from .classifier import score_samples
from .data import GLYPHS_HELDOUT_SEED
from .validate import check_choice, check_int, check_positive, check_range, scale_hint

__all__ = [
    "LEVELS", "HIDDEN", "LIKELIHOODS", "SHIPPED", "to_levels", "build_encoder", "build_decoder", "build_vae",
    "encoder_of", "decoder_of", "latent_dim_of", "likelihood_of", "level_log_probs", "discretised_logistic_log_probs",
    "categorical_log_probs", "binomial_log_probs", "kl_divergence", "reparameterize", "log_likelihood", "log_normal",
    "elbo_terms", "elbo", "mean_reduced_loss", "train_vae", "encode", "decode", "reconstruct", "sample",
    "prior_codes", "gaussian_fit_codes", "kl_monte_carlo", "iwae_bound", "active_units", "kl_per_dimension",
    "pixel_histogram_nats", "uniform_nats", "bits_per_dim", "reconstruction_at_mean", "evaluate", "pretrain",
    "load_vae", "beta_table", "score_samples", "LESSON_TRAINING",
]

#: Number of grey levels of sklearn's digits and of the glyphs: k/16 for k = 0 … 16.
LEVELS = 17
_PIXELS = 64
#: Hidden layer widths of the shipped models' encoder (the decoder uses them reversed).
HIDDEN = (128,)

# --- data ----------------------------------------------------------------------------------------------------


def to_levels(images: np.ndarray, name: str = "images") -> np.ndarray:
    """Grey levels ``k = 16 x`` (int32, 0 … 16) of ``(N, 8, 8)`` images in [0, 1] on the 17-level grid.

    Parameters
    ----------
    images : ndarray, shape (N, 8, 8), float
        Images in [0, 1] on the 17 grey levels k/16 (sklearn digits format).
    name : str
        Argument name used in error messages.

    Returns
    -------
    ndarray, shape (N, 8, 8), int32
        Levels 0 … 16.

    Raises
    ------
    TypeError
        If ``images`` is not a numpy array or not float.
    ValueError
        If ``images`` is not (N, 8, 8) with N ≥ 1, leaves [0, 1] or holds NaN/inf, or a value is not a multiple of
        1/16: the likelihoods are defined on the 17 levels only (a blurred or noisy image must be quantised first,
        e.g. ``np.round(16 * x) / 16``).

    Examples
    --------
    >>> to_levels(np.full((1, 8, 8), 0.5, np.float32))[0, 0, :3]
    array([8, 8, 8], dtype=int32)
    """
    x = _check_images(images, name)
    k = np.rint(16 * x)
    off = np.abs(16 * x - k) > 1e-3
    if off.any():
        raise ValueError(f"{name} must lie on the 17 grey levels k/16 (sklearn digits format); got e.g. "
                         f"{float(x[off][0]):.4g} — quantise with np.round(16 * x) / 16 first")
    return k.astype(np.int32)


def _check_images(images: object, name: str = "images") -> np.ndarray:
    if not isinstance(images, np.ndarray):
        raise TypeError(f"{name} must be a numpy array of shape (N, 8, 8); got {type(images).__name__}")
    if images.ndim != 3 or images.shape[1:] != (8, 8) or len(images) == 0:
        raise ValueError(f"{name} must have shape (N, 8, 8) with N >= 1 (8x8 digits or glyphs); got {images.shape}")
    if not np.issubdtype(images.dtype, np.floating):
        raise TypeError(f"{name} must be float images in [0, 1]; got dtype {images.dtype} — divide sklearn's 0-16 "
                        "counts by 16 (course_lib.data.digits does)")
    if not np.all(np.isfinite(images)) or images.min() < 0 or images.max() > 1:
        vmin, vmax = float(images.min()), float(images.max())
        raise ValueError(f"{name} values must be finite and in [0, 1]; got range [{vmin:.4g}, {vmax:.4g}]"
                         f"{scale_hint(vmin, vmax)}")
    return images.astype(np.float32, copy=False)


# --- models --------------------------------------------------------------------------------------------------


def build_encoder(latent_dim: int = 16, hidden: tuple[int, ...] = HIDDEN, seed: int = 0) -> keras.Model:
    """MLP encoder: (N, 8, 8) image → hidden ReLU layers → two linear heads ``mu`` and ``logvar`` (N, d).

    Parameters
    ----------
    latent_dim : int
        Size d of the code, in [1, 1024].
    hidden : tuple of int
        Widths of the hidden layers, each in [1, 4096].
    seed : int
        Seed of the initial weights.

    Returns
    -------
    keras.Model
        Input ``(N, 8, 8)`` in [0, 1]; outputs ``[mu, logvar]``, each ``(N, latent_dim)``.

    Raises
    ------
    TypeError
        If a size is not an integer.
    ValueError
        If a size is outside its range.
    """
    latent_dim = check_int(latent_dim, "latent_dim", 1, 1024)
    keras.utils.set_random_seed(seed)
    x_in = keras.Input((8, 8), name="image")
    h = layers.Flatten()(x_in)
    for i, width in enumerate(hidden):
        h = layers.Dense(check_int(width, "hidden[i]", 1, 4096), activation="relu", name=f"enc_{i}")(h)
    mu = layers.Dense(latent_dim, name="mu")(h)
    logvar = layers.Dense(latent_dim, name="logvar")(h)
    return keras.Model(x_in, [mu, logvar], name="encoder")


def build_decoder(latent_dim: int = 16, hidden: tuple[int, ...] = HIDDEN, seed: int = 0,
                  likelihood: str = "logistic") -> keras.Model:
    """MLP decoder: z (N, d) → hidden ReLU layers (``hidden`` reversed) → parameters (N, 8, 8, c) of p(x | z).

    ``c`` is 2 for ``"logistic"`` (μ and log s per pixel), 17 for ``"categorical"``, 1 for ``"binomial"``. The
    output layer is named ``"<likelihood>_params"``, so the likelihood can be read back from the model.

    Parameters
    ----------
    latent_dim : int
        Size d of the code, in [1, 1024].
    hidden : tuple of int
        Widths of the encoder's hidden layers (used reversed), each in [1, 4096].
    seed : int
        Seed of the initial weights (``seed + 1`` is used, so encoder and decoder differ).
    likelihood : {"logistic", "categorical", "binomial"}
        The pixel likelihood, a key of :data:`LIKELIHOODS`.

    Returns
    -------
    keras.Model
        Input ``(N, latent_dim)``; output ``(N, 8, 8, c)``.

    Raises
    ------
    TypeError
        If a size is not an integer.
    ValueError
        If a size is out of range or ``likelihood`` is unknown.
    """
    latent_dim = check_int(latent_dim, "latent_dim", 1, 1024)
    channels = LIKELIHOODS[check_choice(likelihood, "likelihood", tuple(LIKELIHOODS))]
    keras.utils.set_random_seed(seed + 1)
    z_in = keras.Input((latent_dim,), name="z")
    h = z_in
    for i, width in enumerate(reversed(hidden)):
        h = layers.Dense(check_int(width, "hidden[i]", 1, 4096), activation="relu", name=f"dec_{i}")(h)
    params = layers.Dense(_PIXELS * channels, name=f"{likelihood}_params")(h)
    return keras.Model(z_in, layers.Reshape((8, 8, channels))(params), name="decoder")


def build_vae(latent_dim: int = 16, hidden: tuple[int, ...] = HIDDEN, seed: int = 0,
              likelihood: str = "logistic") -> keras.Model:
    """Encoder and decoder in one Keras model (x → parameters of p(x | z = μ)), so one weights file holds both.

    Use :func:`encoder_of` / :func:`decoder_of` for the parts. The same model is the plain autoencoder when
    trained with ``train_vae(..., autoencoder=True)``.

    Parameters
    ----------
    latent_dim : int
        Size d of the code, in [1, 1024].
    hidden : tuple of int
        Hidden widths of the encoder (the decoder uses them reversed).
    seed : int
        Seed of the initial weights.
    likelihood : {"logistic", "categorical", "binomial"}
        The decoder's pixel likelihood.

    Returns
    -------
    keras.Model
        Input ``(N, 8, 8)`` in [0, 1]; output the decoder's parameters at z = μ, ``(N, 8, 8, c)``.

    Raises
    ------
    TypeError, ValueError
        As :func:`build_encoder` and :func:`build_decoder`.

    References
    ----------
    D. P. Kingma and M. Welling, "Auto-encoding variational Bayes", ICLR 2014.
    """
    encoder = build_encoder(latent_dim, hidden, seed)
    decoder = build_decoder(latent_dim, hidden, seed, likelihood)
    x_in = keras.Input((8, 8), name="image")
    mu, _ = encoder(x_in)
    return keras.Model(x_in, decoder(mu), name="vae")


def encoder_of(model: keras.Model) -> keras.Model:
    """The encoder inside a :func:`build_vae` model.

    Parameters
    ----------
    model : keras.Model
        A :func:`build_vae` model (or one loaded with :func:`load_vae`).

    Returns
    -------
    keras.Model
        ``(N, 8, 8)`` → ``[mu, logvar]``.
    """
    return model.get_layer("encoder")


def decoder_of(model: keras.Model) -> keras.Model:
    """The decoder inside a :func:`build_vae` model.

    Parameters
    ----------
    model : keras.Model
        A :func:`build_vae` model (or one loaded with :func:`load_vae`).

    Returns
    -------
    keras.Model
        ``(N, d)`` → ``(N, 8, 8, c)`` likelihood parameters.
    """
    return model.get_layer("decoder")


def latent_dim_of(model: keras.Model) -> int:
    """Size d of the latent code of a :func:`build_vae` model.

    Parameters
    ----------
    model : keras.Model
        A :func:`build_vae` model (or one loaded with :func:`load_vae`).

    Returns
    -------
    int
    """
    return int(encoder_of(model).get_layer("mu").units)


def likelihood_of(model: keras.Model) -> str:
    """Name of the decoder's likelihood (``"logistic"``, ``"categorical"`` or ``"binomial"``).

    Parameters
    ----------
    model : keras.Model
        A :func:`build_vae` model (or one loaded with :func:`load_vae`).

    Returns
    -------
    str
    """
    return decoder_of(model).layers[-2].name.removesuffix("_params")


# --- p(x | z): log-probabilities of the 17 grey levels ---------------------------------------------------------

def discretised_logistic_log_probs(params):
    r"""Log-probabilities (N, 8, 8, 17) of the 17 levels; ``params[..., 0]`` is the centre m, ``params[..., 1]`` log s.

    Level k owns the bin between the edges :math:`e_{k-1}` and :math:`e_k`, :math:`e_j = j/16 + 1/32`
    (:math:`e_{-1} = -\infty,\ e_{16} = +\infty`). With :math:`c_j = (e_j - m)/s` and the logistic CDF (sigmoid):

    .. math:: \log P(k) = \log(\mathrm{sigmoid}(c_k) - \mathrm{sigmoid}(c_{k-1}))
              = \log\mathrm{sigmoid}(c_k) + \log\mathrm{sigmoid}(-c_{k-1}) + \log(1 - e^{c_{k-1} - c_k}),

    written with :math:`\log\mathrm{sigmoid}(c) = -\mathrm{softplus}(-c)`, so that it never takes the log of 0.
    The scale is kept above :math:`e^{-7}` (as in PixelCNN++).

    Parameters
    ----------
    params : tf.Tensor, shape (N, 8, 8, 2), float32
        Centre m (0-1 intensity scale) and log scale log s per pixel.

    Returns
    -------
    tf.Tensor, shape (N, 8, 8, 17), float32
        log P(k | z) of the levels k = 0 … 16 (nats); they sum to 1 in probability per pixel.

    References
    ----------
    T. Salimans, A. Karpathy, X. Chen and D. P. Kingma, "PixelCNN++", ICLR 2017; D. P. Kingma et al.,
    "Improved variational inference with inverse autoregressive flow", NeurIPS 2016.

    Examples
    --------
    >>> log_p = discretised_logistic_log_probs(tf.zeros((1, 8, 8, 2)))
    >>> bool(np.allclose(np.exp(log_p.numpy()).sum(-1), 1.0, atol=1e-5))
    True
    """
    m, log_s = params[..., :1], tf.maximum(params[..., 1:2], -7.0)
    edges = (tf.range(LEVELS - 1, dtype=tf.float32) + 0.5) / 16.0  # e_0 … e_15
    c = (edges - m) * tf.exp(-log_s)  # (N, 8, 8, 16)
    first = -tf.nn.softplus(-c[..., :1])  # k = 0: log sigmoid(c_0)
    last = -tf.nn.softplus(c[..., -1:])  # k = 16: log(1 - sigmoid(c_15))
    width = tf.math.log(-tf.math.expm1(c[..., :-1] - c[..., 1:]))  # log(1 - e^(c_{k-1} - c_k))
    middle = -tf.nn.softplus(-c[..., 1:]) - tf.nn.softplus(c[..., :-1]) + width  # k = 1 … 15
    return tf.concat([first, middle, last], axis=-1)


def categorical_log_probs(params):
    """Log-probabilities (N, 8, 8, 17): a softmax over 17 free logits per pixel (levels are unordered).

    Parameters
    ----------
    params : tf.Tensor, shape (N, 8, 8, 17), float32
        Logits of the 17 levels.

    Returns
    -------
    tf.Tensor, shape (N, 8, 8, 17), float32
        log P(k | z) of the levels k = 0 … 16 (nats); they sum to 1 in probability per pixel.
    """
    return tf.nn.log_softmax(params, axis=-1)


def binomial_log_probs(params):
    r"""Log-probabilities (N, 8, 8, 17) of :math:`k \sim \mathrm{Binomial}(16, p)`, :math:`p = \sigma(\ell)`.

    :math:`\log\binom{16}{k} + k \log p + (16 - k) \log(1 - p)`.

    Parameters
    ----------
    params : tf.Tensor, shape (N, 8, 8, 1), float32
        The logit ℓ of p per pixel.

    Returns
    -------
    tf.Tensor, shape (N, 8, 8, 17), float32
        log P(k | z) of the levels k = 0 … 16 (nats); they sum to 1 in probability per pixel.
    """
    k = tf.range(LEVELS, dtype=tf.float32)
    log_choose = tf.math.lgamma(17.0) - tf.math.lgamma(k + 1.0) - tf.math.lgamma(17.0 - k)
    return log_choose - k * tf.nn.softplus(-params) - (16.0 - k) * tf.nn.softplus(params)


#: likelihood name → number of decoder outputs per pixel
LIKELIHOODS = {"logistic": 2, "categorical": LEVELS, "binomial": 1}
_LOG_PROBS = {"logistic": discretised_logistic_log_probs, "categorical": categorical_log_probs,
              "binomial": binomial_log_probs}


def level_log_probs(params, likelihood: str = "logistic"):
    """Log-probabilities (N, 8, 8, 17) of every grey level under the decoder's output ``params``.

    Parameters
    ----------
    params : tf.Tensor or array_like, shape (N, 8, 8, c), float32
        The decoder's output (``c`` = 2 for ``"logistic"``, 17 for ``"categorical"``, 1 for ``"binomial"``).
    likelihood : {"logistic", "categorical", "binomial"}
        Which likelihood the parameters belong to.

    Returns
    -------
    tf.Tensor, shape (N, 8, 8, 17), float32
        log P(k | z) of the levels k = 0 … 16 (nats); they sum to 1 in probability per pixel.

    Raises
    ------
    ValueError
        If ``likelihood`` is unknown.
    """
    return _LOG_PROBS[check_choice(likelihood, "likelihood", tuple(LIKELIHOODS))](tf.cast(params, tf.float32))


# --- the ELBO, term by term ----------------------------------------------------------------------------------


def kl_divergence(mu, logvar):
    r"""KL of the diagonal Gaussian posterior to the prior N(0, I), one value per example (summed over latent dims).

    :math:`\mathrm{KL}(\mathcal N(\mu, \mathrm{diag}\,\sigma^2) \,\|\, \mathcal N(0, I)) = \tfrac12 \sum_j
    (\mu_j^2 + \sigma_j^2 - \log\sigma_j^2 - 1)`.

    Parameters
    ----------
    mu, logvar : tf.Tensor or array_like, shape (N, d), float32
        Posterior means and log-variances log σ².

    Returns
    -------
    tf.Tensor, shape (N,)
        KL in nats (≥ 0).

    References
    ----------
    Kingma and Welling, ICLR 2014, Appendix B.

    Examples
    --------
    >>> kl_divergence(tf.zeros((2, 3)), tf.zeros((2, 3))).numpy()   # q = p: no divergence
    array([0., 0.], dtype=float32)
    """
    return 0.5 * tf.reduce_sum(tf.square(mu) + tf.exp(logvar) - logvar - 1.0, axis=-1)


def reparameterize(mu, logvar, eps):
    r""":math:`z = \mu + \sigma \odot \varepsilon` with :math:`\sigma = \exp(\tfrac12 \log\sigma^2)`.

    :math:`\varepsilon \sim \mathcal N(0, I)` is drawn outside: z is a differentiable function of μ and log σ².

    Parameters
    ----------
    mu, logvar : tf.Tensor, shape (..., d), float32
        Posterior means and log-variances.
    eps : tf.Tensor or ndarray, broadcastable to ``mu``, float32
        Standard normal draws.

    Returns
    -------
    tf.Tensor, same shape as ``mu`` (broadcast with ``eps``)
        The codes z.

    References
    ----------
    Kingma and Welling, ICLR 2014, Sec. 2.4.
    """
    return mu + tf.exp(0.5 * logvar) * eps


def log_likelihood(params, images, likelihood: str = "logistic"):
    r""":math:`\log p_\theta(x \mid z) = \sum_{i=1}^{64} \log P(k_i \mid z)`, :math:`k_i = 16 x_i`, per example.

    One value per example, **summed** over the 64 pixels (nats). Picks each pixel's observed level out of
    :func:`level_log_probs`; for the discretised logistic it evaluates only the observed level's bin (the same
    numbers, 8x less work: it matters for the IWAE bound with k = 1000).

    Parameters
    ----------
    params : tf.Tensor or array_like, shape (N, 8, 8, c), float32
        The decoder's output (``c`` = 2 for ``"logistic"``, 17 for ``"categorical"``, 1 for ``"binomial"``).
    images : tf.Tensor or ndarray, shape (N, 8, 8), float
        Images on the 17-level grid (rounded to the nearest level; not validated here).
    likelihood : {"logistic", "categorical", "binomial"}
        Which likelihood the parameters belong to.

    Returns
    -------
    tf.Tensor, shape (N,), float32
        log p(x | z) in nats (≤ 0).

    Raises
    ------
    ValueError
        If ``likelihood`` is unknown (``"logistic"`` is not checked).
    """
    levels = tf.cast(tf.round(16.0 * tf.cast(images, tf.float32)), tf.int32)  # (N, 8, 8) in 0 … 16
    if likelihood == "logistic":
        log_p = _logistic_log_prob_of_level(tf.cast(params, tf.float32), levels)
    else:
        log_p = tf.gather(level_log_probs(params, likelihood), levels, axis=-1, batch_dims=3)  # (N, 8, 8)
    return tf.reduce_sum(log_p, axis=[1, 2])


def _logistic_log_prob_of_level(params, levels):
    """log P(k | z) of the discretised logistic for the given level k only (N, 8, 8): the formula of
    :func:`discretised_logistic_log_probs` on the two edges of bin k."""
    m, log_s = params[..., 0], tf.maximum(params[..., 1], -7.0)
    k = tf.cast(levels, tf.float32)
    inv_s = tf.exp(-log_s)
    c_up, c_lo = ((k + 0.5) / 16.0 - m) * inv_s, ((k - 0.5) / 16.0 - m) * inv_s
    first = -tf.nn.softplus(-c_up)  # k = 0: log sigmoid(c_up)
    last = -tf.nn.softplus(c_lo)  # k = 16: log(1 - sigmoid(c_lo))
    middle = first + last + tf.math.log(-tf.math.expm1(c_lo - c_up))
    return tf.where(levels == 0, first, tf.where(levels == LEVELS - 1, last, middle))


def log_normal(z, mu, logvar):
    r""":math:`\log \mathcal N(z; \mu, \mathrm{diag}\,\sigma^2)` summed over the last axis.

    Parameters
    ----------
    z : tf.Tensor, shape (..., d), float32
        Points.
    mu, logvar : tf.Tensor or float, broadcastable to ``z``
        Means and log-variances (0 and 0 for the standard normal prior).

    Returns
    -------
    tf.Tensor, shape (...,)
        Log-density in nats.

    Examples
    --------
    >>> round(float(log_normal(tf.zeros((1,)), 0.0, 0.0)), 4)   # -½ log 2π
    -0.9189
    """
    return -0.5 * tf.reduce_sum(math.log(2 * math.pi) + logvar + tf.square(z - mu) / tf.exp(logvar), axis=-1)


def elbo_terms(model: keras.Model, images, eps):
    r"""One-sample estimate of the two ELBO terms for each image: ``(log p(x|z), KL(q(z|x) || p(z)))``.

    :math:`z = \mu + \sigma \odot \varepsilon` with the given noise ``eps``.

    Parameters
    ----------
    model : keras.Model
        A :func:`build_vae` model (or one loaded with :func:`load_vae`).
    images : tf.Tensor or ndarray, shape (N, 8, 8), float32
        Images on the 17-level grid (not validated here).
    eps : tf.Tensor or ndarray, shape (N, d), float32
        Standard normal draws (zeros give z = μ).

    Returns
    -------
    log_px : tf.Tensor, shape (N,)
        log p(x | z) in nats.
    kl : tf.Tensor, shape (N,)
        KL(q(z | x) || p(z)) in nats.
    """
    mu, logvar = encoder_of(model)(images)
    z = reparameterize(mu, logvar, eps)
    params = decoder_of(model)(z)
    return log_likelihood(params, images, likelihood_of(model)), kl_divergence(mu, logvar)


def elbo(model: keras.Model, images: np.ndarray, *, beta: float = 1.0, n_samples: int = 1, seed: int = 0) -> dict:
    """ELBO of ``images`` in nats per image, with its two terms reported separately.

    The reconstruction term is a Monte-Carlo estimate with ``n_samples`` draws of ε per image (the KL is exact).

    Parameters
    ----------
    model : keras.Model
        A :func:`build_vae` model (or one loaded with :func:`load_vae`).
    images : ndarray, shape (N, 8, 8), float
        Images in [0, 1] on the 17 grey levels k/16 (sklearn digits format).
    beta : float
        Weight of the KL term in ``loss``, in [0, 1e6] (the ``elbo`` itself always uses 1).
    n_samples : int
        Draws of ε per image, in [1, 10000].
    seed : int
        Seed of ε.

    Returns
    -------
    dict of str to float
        ``{"reconstruction": E_q[log p(x|z)], "kl": KL(q||p), "elbo": reconstruction - kl,
        "loss": -(reconstruction - beta * kl)}``, each averaged over the images (nats per image).

    Raises
    ------
    TypeError
        If ``images`` is not a numpy array or not float.
    ValueError
        If ``images`` is not (N, 8, 8) with N ≥ 1, leaves [0, 1], holds NaN/inf, or (where the likelihood needs
        it) a value is not a multiple of 1/16.
        Also if ``beta`` or ``n_samples`` is out of range (``TypeError`` if not a number/integer).

    References
    ----------
    Kingma and Welling, ICLR 2014, eq. 3 and 10.
    """
    to_levels(images)  # validates shape, range and the 17-level grid
    beta = check_range(beta, "beta", 0.0, 1e6)
    n_samples = check_int(n_samples, "n_samples", 1, 10_000)
    rng = np.random.default_rng(seed)
    x = tf.constant(images, tf.float32)
    d = latent_dim_of(model)
    rec = np.mean([elbo_terms(model, x, rng.standard_normal((len(x), d)).astype(np.float32))[0].numpy()
                   for _ in range(n_samples)], axis=0)
    mu, logvar = encoder_of(model)(x)
    kl = kl_divergence(mu, logvar).numpy()
    out = {"reconstruction": float(rec.mean()), "kl": float(kl.mean())}
    return {**out, "elbo": out["reconstruction"] - out["kl"], "loss": -(out["reconstruction"] - beta * out["kl"])}


def mean_reduced_loss(model: keras.Model, images, eps):
    """The common bug, for the lesson to measure: reconstruction *averaged* over pixels plus the KL *summed*.

    Keras' built-in cross-entropy averages over pixels; the KL is summed over latent dims. Its gradient is that of
    β = 64, divided by 64.

    Parameters
    ----------
    model : keras.Model
        A :func:`build_vae` model (or one loaded with :func:`load_vae`).
    images : tf.Tensor or ndarray, shape (N, 8, 8), float32
        Images on the 17-level grid.
    eps : tf.Tensor or ndarray, shape (N, d), float32
        Standard normal draws.

    Returns
    -------
    tf.Tensor, shape (), float32
        The batch-mean loss (nats per pixel + nats per image, on purpose).
    """
    rec, kl = elbo_terms(model, images, eps)
    return tf.reduce_mean(-rec / _PIXELS + kl)


# --- training --------------------------------------------------------------------------------------------------


def train_vae(model: keras.Model, images: np.ndarray, *, steps: int, beta: float = 1.0, autoencoder: bool = False,
              batch_size: int = 128, lr: float = 1e-3, seed: int = 0, validation: np.ndarray | None = None,
              validate_every: int = 0, reduction: str = "sum", desc: str | None = None,
              on_validate: Callable[[int, float], bool] | None = None) -> dict:
    r"""Maximise :math:`\frac1B \sum_b [\log p(x_b \mid z_b) - \beta\,\mathrm{KL}_b]` with Adam, minibatch by minibatch.

    ``autoencoder=True`` trains the same network as a plain autoencoder: :math:`\varepsilon = 0` (so z = μ) and
    :math:`\beta = 0`. Uses :func:`course_lib.train.run_steps` (progress bar; Ctrl-C keeps the last weights).

    Parameters
    ----------
    model : keras.Model
        A :func:`build_vae` model (or one loaded with :func:`load_vae`).
        Trained in place.
    images : ndarray, shape (N, 8, 8), float
        Images in [0, 1] on the 17 grey levels k/16 (sklearn digits format).
    steps : int
        Training steps (≥ 0).
    beta : float
        KL weight in [0, 1e6] (Higgins et al. 2017; 1 is the ELBO).
    autoencoder : bool
        Train as a plain autoencoder (ignores ``beta``).
    batch_size : int
        Images per step, drawn with replacement (≥ 1).
    lr : float
        Adam learning rate (> 0).
    seed : int
        Seed of the minibatches and ε.
    validation : ndarray, shape (M, 8, 8), optional
        Images whose ELBO (fixed ε) is recorded every ``validate_every`` steps (and after the last).
    validate_every : int
        Steps between validations (0 = never).
    reduction : {"sum", "mean"}
        ``"mean"`` reproduces a common bug on purpose: the reconstruction term averaged over the 64 pixels
        (as Keras' built-in losses do) next to the summed KL — the same as β·64, up to a scale Adam ignores.
    desc : str, optional
        Label of the progress bar.
    on_validate : callable, optional
        Called as ``on_validate(step, val_elbo)`` after each validation; returning True stops training there
        (early stopping).

    Returns
    -------
    dict
        The history: ``step``, ``loss``, ``reconstruction``, ``kl``, ``elbo`` (training batches, nats per
        image), and ``val_step``, ``val_elbo`` when validating; plus ``seconds`` (wall time).

    Raises
    ------
    TypeError
        If ``images`` is not a numpy array or not float.
    ValueError
        If ``images`` is not (N, 8, 8) with N ≥ 1, leaves [0, 1], holds NaN/inf, or (where the likelihood needs
        it) a value is not a multiple of 1/16.
        Also if a setting is out of range (``TypeError`` if it is not a number/integer).

    References
    ----------
    Kingma and Welling, ICLR 2014; I. Higgins et al., "β-VAE", ICLR 2017.
    """
    from .train import run_steps

    to_levels(images)
    steps, batch_size = check_int(steps, "steps", 0), check_int(batch_size, "batch_size", 1)
    beta = 0.0 if autoencoder else check_range(beta, "beta", 0.0, 1e6)
    lr = check_positive(lr, "lr")
    validate_every = check_int(validate_every, "validate_every", 0)
    if validation is not None:
        to_levels(validation, "validation")
    x, rng, d = np.asarray(images, np.float32), np.random.default_rng(seed), latent_dim_of(model)
    optimizer = keras.optimizers.Adam(lr)
    noise_scale = 0.0 if autoencoder else 1.0
    pixel_weight = 1.0 / _PIXELS if check_choice(reduction, "reduction", ("sum", "mean")) == "mean" else 1.0

    @tf.function
    def update(xb, eps):
        with tf.GradientTape() as tape:
            rec, kl = elbo_terms(model, xb, eps)
            loss = -tf.reduce_mean(pixel_weight * rec - beta * kl)
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return {"loss": loss, "reconstruction": tf.reduce_mean(rec), "kl": tf.reduce_mean(kl),
                "elbo": tf.reduce_mean(rec - kl)}

    history: dict[str, list] = {"val_step": [], "val_elbo": []}

    def step(i: int) -> dict:
        logs = update(x[rng.integers(0, len(x), batch_size)], noise_scale * rng.standard_normal((batch_size, d),
                                                                                                 dtype=np.float32))
        if validation is not None and validate_every and ((i + 1) % validate_every == 0 or i + 1 == steps):
            history["val_step"].append(i + 1)
            history["val_elbo"].append(elbo(model, validation, seed=1)["elbo"])
            if on_validate is not None and on_validate(i + 1, history["val_elbo"][-1]):
                raise StopIteration
        return logs

    start = time.perf_counter()
    name = desc or ("autoencoder" if autoencoder else f"VAE (d={d}, β={beta:g})")
    history.update(run_steps(step, steps, desc=name, log_every=max(1, steps // 200)))
    history["seconds"] = time.perf_counter() - start
    return history


# --- using a trained model -------------------------------------------------------------------------------------


def encode(model: keras.Model, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior parameters ``(mu, logvar)`` of q(z | x), each (N, d).

    Parameters
    ----------
    model : keras.Model
        A :func:`build_vae` model (or one loaded with :func:`load_vae`).
    images : ndarray, shape (N, 8, 8), float
        Images in [0, 1].

    Returns
    -------
    mu : ndarray, shape (N, d), float32
    logvar : ndarray, shape (N, d), float32
        log σ².

    Raises
    ------
    TypeError
        If ``images`` is not a float numpy array.
    ValueError
        If ``images`` is not (N, 8, 8) with N ≥ 1, or leaves [0, 1] / holds NaN/inf.
    """
    mu, logvar = encoder_of(model)(_check_images(images), training=False)
    return np.asarray(mu), np.asarray(logvar)


def decode(model: keras.Model, z: np.ndarray, *, mean: bool = True, seed: int = 0) -> np.ndarray:
    r"""Images (N, 8, 8) from codes z (N, d): the mean of p(x | z) per pixel, or one draw.

    ``mean=True``: :math:`\mathbb E[x \mid z] = \sum_k \frac{k}{16} P(k \mid z)` per pixel (what the figures show);
    ``mean=False``: one draw of every pixel from p(x | z).

    Parameters
    ----------
    model : keras.Model
        A :func:`build_vae` model (or one loaded with :func:`load_vae`).
    z : array_like, shape (N, d), float
        Codes.
    mean : bool
        Return the mean rather than a draw.
    seed : int
        Seed of the draw.

    Returns
    -------
    ndarray, shape (N, 8, 8), float32
        Values in [0, 1] (multiples of 1/16 for a draw).

    Raises
    ------
    ValueError
        If ``z`` is not (N, d) with the model's d.
    """
    z = np.asarray(z, dtype=np.float32)
    if z.ndim != 2 or z.shape[1] != latent_dim_of(model):
        raise ValueError(f"z must have shape (N, {latent_dim_of(model)}); got {z.shape}")
    params = decoder_of(model)(z, training=False)
    probs = np.exp(np.asarray(level_log_probs(params, likelihood_of(model)), dtype=np.float64))
    probs /= probs.sum(-1, keepdims=True)  # removes float32 rounding only: the levels' masses already sum to 1
    if mean:
        return (probs @ (np.arange(LEVELS) / 16)).astype(np.float32)
    rng = np.random.default_rng(seed)
    levels = (probs.cumsum(-1) < rng.random(probs.shape[:-1] + (1,))).sum(-1)
    return (np.minimum(levels, LEVELS - 1) / 16).astype(np.float32)


def reconstruct(model: keras.Model, images: np.ndarray, *, mean: bool = True) -> np.ndarray:
    """Decode the posterior means: x → μ(x) → E[x | z = μ].

    Parameters
    ----------
    model : keras.Model
        A :func:`build_vae` model (or one loaded with :func:`load_vae`).
    images : ndarray, shape (N, 8, 8), float
        Images in [0, 1].
    mean : bool
        Decode the mean (True) or one draw.

    Returns
    -------
    ndarray, shape (N, 8, 8), float32
        Values in [0, 1].

    Raises
    ------
    TypeError, ValueError
        As :func:`encode`.
    """
    return decode(model, encode(model, images)[0], mean=mean)


def prior_codes(n: int, latent_dim: int, seed: int = 0) -> np.ndarray:
    """``n`` codes from the prior N(0, I), shape (n, latent_dim), float32; same seed, same codes.

    Parameters
    ----------
    n : int
        Number of codes (≥ 1).
    latent_dim : int
        Size d (≥ 1).
    seed : int
        Seed (≥ 0).

    Returns
    -------
    ndarray, shape (n, latent_dim), float32

    Raises
    ------
    TypeError
        If an argument is not an integer.
    ValueError
        If ``n`` or ``latent_dim`` < 1 or ``seed`` < 0.

    Examples
    --------
    >>> prior_codes(2, 3).shape
    (2, 3)
    """
    from .train import normal_codes

    return normal_codes(n, check_int(latent_dim, "latent_dim", 1), seed)


def sample(model: keras.Model, n: int = 64, *, seed: int = 0, mean: bool = True) -> np.ndarray:
    """Generate ``n`` new images: z ~ N(0, I), then :func:`decode`.

    Parameters
    ----------
    model : keras.Model
        A :func:`build_vae` model (or one loaded with :func:`load_vae`).
    n : int
        Number of images (≥ 1).
    seed : int
        Seed of the codes (and of the draw when ``mean=False``).
    mean : bool
        Decode the mean of p(x | z) rather than a draw.

    Returns
    -------
    ndarray, shape (n, 8, 8), float32
        Values in [0, 1].

    Raises
    ------
    TypeError, ValueError
        As :func:`prior_codes`.
    """
    return decode(model, prior_codes(n, latent_dim_of(model), seed), mean=mean, seed=seed)


# --- measuring ---------------------------------------------------------------------------------------------------


def kl_monte_carlo(mu: np.ndarray, logvar: np.ndarray, *, n_samples: int = 10_000, seed: int = 0):
    r"""Monte-Carlo estimate of the mean KL over the rows of ``mu``/``logvar``, and its standard error.

    :math:`\mathrm{KL} = \mathbb E_{z \sim q}[\log q(z) - \log p(z)]`, averaged over ``n_samples`` draws per row.

    Parameters
    ----------
    mu, logvar : array_like, shape (N, d), float
        Posterior means and log-variances.
    n_samples : int
        Draws per row (≥ 2).
    seed : int
        Seed of the draws.

    Returns
    -------
    mean : float
        Estimated KL in nats (mean over the rows).
    se : float
        Its standard error over the draws.

    Raises
    ------
    TypeError
        If ``n_samples`` is not an integer.
    ValueError
        If the shapes differ or are not 2-D, or ``n_samples`` < 2.

    Examples
    --------
    >>> mean, se = kl_monte_carlo(np.ones((1, 2)), np.zeros((1, 2)), n_samples=20_000)
    >>> bool(abs(mean - 1.0) < 3 * se + 0.01)   # exact value: ½ (1 + 1) = 1 nat
    True
    """
    mu, logvar = np.asarray(mu, np.float64), np.asarray(logvar, np.float64)
    if mu.shape != logvar.shape or mu.ndim != 2:
        raise ValueError(f"mu and logvar must both have shape (N, d); got {mu.shape} and {logvar.shape}")
    n_samples = check_int(n_samples, "n_samples", 2)
    eps = np.random.default_rng(seed).standard_normal((n_samples,) + mu.shape)
    z = mu + np.exp(0.5 * logvar) * eps
    log_q = -0.5 * np.sum(np.log(2 * np.pi) + logvar + eps**2, axis=-1)
    log_p = -0.5 * np.sum(np.log(2 * np.pi) + z**2, axis=-1)
    per_draw = (log_q - log_p).mean(axis=1)  # average over the rows, one value per draw
    return float(per_draw.mean()), float(per_draw.std(ddof=1) / np.sqrt(n_samples))


def iwae_bound(model: keras.Model, images: np.ndarray, *, k: int = 100, seed: int = 0) -> np.ndarray:
    r"""Importance-weighted bound (Burda, Grosse & Salakhutdinov, ICLR 2016) per image, in nats.

    .. math:: \mathcal L_k(x) = \log \frac1k \sum_{i=1}^k \frac{p_\theta(x \mid z_i)\, p(z_i)}{q_\phi(z_i \mid x)},
              \quad z_i \sim q_\phi(z \mid x);\qquad \mathcal L_1 \le \mathcal L_k \le \log p_\theta(x).

    ``k = 1`` is a one-sample ELBO; it tightens towards :math:`\log p(x)` as k grows.

    Parameters
    ----------
    model : keras.Model
        A :func:`build_vae` model (or one loaded with :func:`load_vae`).
    images : ndarray, shape (N, 8, 8), float
        Images in [0, 1] on the 17 grey levels k/16 (sklearn digits format).
    k : int
        Importance samples per image, in [1, 100000].
    seed : int
        Seed of the samples.

    Returns
    -------
    ndarray, shape (N,), float64
        The bound per image in nats (≤ 0).

    Raises
    ------
    TypeError
        If ``images`` is not a numpy array or not float.
    ValueError
        If ``images`` is not (N, 8, 8) with N ≥ 1, leaves [0, 1], holds NaN/inf, or (where the likelihood needs
        it) a value is not a multiple of 1/16.
        Also if ``k`` is out of range (``TypeError`` if not an integer).

    References
    ----------
    Y. Burda, R. Grosse and R. Salakhutdinov, "Importance weighted autoencoders", ICLR 2016.
    """
    to_levels(images)
    k = check_int(k, "k", 1, 100_000)
    rng, d = np.random.default_rng(seed), latent_dim_of(model)
    chunk = max(1, 25_000 // k)
    out = []
    for start in range(0, len(images), chunk):
        x = tf.constant(images[start : start + chunk], tf.float32)
        n = int(x.shape[0])
        mu, logvar = encoder_of(model)(x, training=False)
        mu, logvar = mu[:, None], logvar[:, None]  # (n, 1, d)
        z = reparameterize(mu, logvar, rng.standard_normal((n, k, d), dtype=np.float32))  # (n, k, d)
        params = decoder_of(model)(tf.reshape(z, (n * k, d)), training=False)
        log_px = tf.reshape(log_likelihood(params, tf.repeat(x, k, axis=0), likelihood_of(model)), (n, k))
        log_w = log_px + log_normal(z, 0.0, 0.0) - log_normal(z, mu, logvar)
        out.append((tf.reduce_logsumexp(tf.cast(log_w, tf.float64), axis=1) - math.log(k)).numpy())
    return np.concatenate(out)


def kl_per_dimension(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """Mean KL of each latent dimension over ``images`` (nats), shape (d,): a collapsed unit has KL ≈ 0.

    Parameters
    ----------
    model : keras.Model
        A :func:`build_vae` model (or one loaded with :func:`load_vae`).
    images : ndarray, shape (N, 8, 8), float
        Images in [0, 1].

    Returns
    -------
    ndarray, shape (d,), float32
        KL in nats per dimension (≥ 0).

    Raises
    ------
    TypeError, ValueError
        As :func:`encode`.
    """
    mu, logvar = encode(model, images)
    return 0.5 * np.mean(mu**2 + np.exp(logvar) - logvar - 1.0, axis=0)


def active_units(model: keras.Model, images: np.ndarray, *, threshold: float = 0.01) -> tuple[int, np.ndarray]:
    r"""Active units (Burda et al. 2016): dims u with :math:`\mathrm{Var}_x(\mathbb E_q[z_u]) >` ``threshold``.

    A unit whose posterior mean ignores the input is *inactive*; it is *collapsed* onto the prior only if its
    variance is 1 too (q(z_u | x) = p(z_u), KL 0): see :func:`kl_per_dimension`.

    Parameters
    ----------
    model : keras.Model
        A :func:`build_vae` model (or one loaded with :func:`load_vae`).
    images : ndarray, shape (N, 8, 8), float
        Images in [0, 1].
    threshold : float
        Variance threshold (> 0; 0.01 in the paper).

    Returns
    -------
    count : int
        Number of active units.
    variances : ndarray, shape (d,), float32
        Variance over the images of each posterior mean.

    Raises
    ------
    TypeError
        If ``images`` is not a float array or ``threshold`` not a number.
    ValueError
        If ``images`` is not (N, 8, 8) in [0, 1] or ``threshold`` ≤ 0.

    References
    ----------
    Burda, Grosse and Salakhutdinov, ICLR 2016, Sec. 5.2.
    """
    threshold = check_positive(threshold, "threshold")
    variances = encode(model, images)[0].var(axis=0)
    return int(np.sum(variances > threshold)), variances


def uniform_nats() -> float:
    """−log-likelihood of guessing every pixel uniformly among the 17 levels: 64 ln 17 ≈ 181.3 nats per image.

    Returns
    -------
    float
        Nats per image.

    Examples
    --------
    >>> round(uniform_nats(), 1)
    181.3
    """
    return _PIXELS * math.log(LEVELS)


def pixel_histogram_nats(train_images: np.ndarray, test_images: np.ndarray) -> float:
    """Mean test log-likelihood (nats/image) of independent pixels, each with its training histogram (add-one).

    The simplest model that knows anything about digits: a baseline every VAE must beat.

    Parameters
    ----------
    train_images, test_images : ndarray, shape (N, 8, 8) and (M, 8, 8), float
        Images in [0, 1] on the 17-level grid.

    Returns
    -------
    float
        Mean log-likelihood of the test images in nats per image (≤ 0).

    Raises
    ------
    TypeError, ValueError
        As :func:`to_levels`, for either set.
    """
    train, test = to_levels(train_images, "train_images"), to_levels(test_images, "test_images")
    counts = np.stack([(train == k).sum(0) for k in range(LEVELS)], axis=-1) + 1.0  # (8, 8, 17)
    log_p = np.log(counts / counts.sum(-1, keepdims=True))
    return float(np.mean(np.take_along_axis(log_p[None], test[..., None], axis=-1).sum(axis=(1, 2, 3))))


def bits_per_dim(nats_per_image: float) -> float:
    """Convert a log-likelihood in nats per 8x8 image to bits per pixel.

    Parameters
    ----------
    nats_per_image : float
        Log-likelihood (or its negative) in nats per image.

    Returns
    -------
    float
        ``nats / (64 ln 2)``, same sign.

    Examples
    --------
    >>> round(bits_per_dim(uniform_nats()), 3)   # log2 17
    4.087
    """
    return float(nats_per_image) / (_PIXELS * math.log(2))


def reconstruction_at_mean(model: keras.Model, images: np.ndarray) -> float:
    """Mean log p(x | z = μ(x)) in nats per image: how well the *deterministic* code reconstructs (AE and VAE alike).

    Parameters
    ----------
    model : keras.Model
        A :func:`build_vae` model (or one loaded with :func:`load_vae`).
    images : ndarray, shape (N, 8, 8), float
        Images in [0, 1] on the 17 grey levels k/16 (sklearn digits format).

    Returns
    -------
    float
        Nats per image (≤ 0).

    Raises
    ------
    TypeError
        If ``images`` is not a numpy array or not float.
    ValueError
        If ``images`` is not (N, 8, 8) with N ≥ 1, leaves [0, 1], holds NaN/inf, or (where the likelihood needs
        it) a value is not a multiple of 1/16.
    """
    to_levels(images)
    x = tf.constant(images, tf.float32)
    params = decoder_of(model)(encoder_of(model)(x, training=False)[0], training=False)
    return float(tf.reduce_mean(log_likelihood(params, x, likelihood_of(model))))


def evaluate(model: keras.Model, images: np.ndarray, *, k: int = 100, n_samples: int = 10, seed: int = 0,
             autoencoder: bool = False) -> dict:
    """Test-set numbers in nats per image: ELBO and its terms, the IWAE bound, log p(x | z = μ), active units.

    An autoencoder has no q(z|x), so for it only log p(x | z = μ) is reported.

    Parameters
    ----------
    model : keras.Model
        A :func:`build_vae` model (or one loaded with :func:`load_vae`).
    images : ndarray, shape (N, 8, 8), float
        Images in [0, 1] on the 17 grey levels k/16 (sklearn digits format).
    k : int
        Importance samples of the IWAE bound.
    n_samples : int
        Draws of ε per image for the ELBO.
    seed : int
        Seed of the draws.
    autoencoder : bool
        The model is a plain autoencoder.

    Returns
    -------
    dict
        ``reconstruction_at_mu``, ``latent_dim``; for a VAE also ``elbo``, ``reconstruction``, ``kl``,
        ``iwae_<k>`` (nats per image) and ``active_units``.

    Raises
    ------
    TypeError
        If ``images`` is not a numpy array or not float.
    ValueError
        If ``images`` is not (N, 8, 8) with N ≥ 1, leaves [0, 1], holds NaN/inf, or (where the likelihood needs
        it) a value is not a multiple of 1/16.
    """
    out = {"reconstruction_at_mu": reconstruction_at_mean(model, images), "latent_dim": latent_dim_of(model)}
    if autoencoder:
        return out
    terms = elbo(model, images, n_samples=n_samples, seed=seed)
    out.update({key: terms[key] for key in ("elbo", "reconstruction", "kl")})
    out[f"iwae_{k}"] = float(iwae_bound(model, images, k=k, seed=seed).mean())
    out["active_units"] = active_units(model, images)[0]
    return out


def gaussian_fit_codes(model: keras.Model, images: np.ndarray, n: int, *, seed: int = 0) -> np.ndarray:
    """``n`` codes from a Gaussian fitted (mean and full covariance) to the posterior means of ``images``.

    The fair way to sample an autoencoder's latent space: its codes need not be near N(0, I) at all.

    Parameters
    ----------
    model : keras.Model
        A :func:`build_vae` model (or one loaded with :func:`load_vae`).
    images : ndarray, shape (N, 8, 8), float
        Images in [0, 1] (N ≥ 2).
    n : int
        Number of codes (≥ 1).
    seed : int
        Seed (≥ 0).

    Returns
    -------
    ndarray, shape (n, d), float32

    Raises
    ------
    TypeError
        If ``images`` is not a float array or ``n``/``seed`` not an integer.
    ValueError
        If ``images`` is not (N, 8, 8) in [0, 1], ``n`` < 1 or ``seed`` < 0.
    """
    mu = encode(model, images)[0].astype(np.float64)
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    return rng.multivariate_normal(mu.mean(0), np.cov(mu, rowvar=False), size=check_int(n, "n", 1)).astype(np.float32)


# --- a family of models, and generated samples -----------------------------------------------------------


def beta_table(models: dict, images: np.ndarray, *, n_samples: int = 10, seed: int = 0,
               classifier=None, n_generated: int = 0) -> dict:
    """For every β of ``models``: test ELBO (β = 1), its terms, the KL of each latent unit and the active units.

    With ``n_generated > 0`` also the classifier's confident share and digits present (:func:`score_samples`) of
    that many prior samples. :func:`beta_view` and :func:`beta_explorer` read the table instead of recomputing.

    Parameters
    ----------
    models : dict of float to keras.Model
        β → model trained with it.
    images : ndarray, shape (N, 8, 8), float
        Images in [0, 1] on the 17 grey levels k/16 (sklearn digits format).
    n_samples : int
        Draws of ε per image for the ELBO.
    seed : int
        Seed of the draws and samples.
    classifier : keras.Model, optional
        For the sample scores (default: the shipped ``digit-classifier``).
    n_generated : int
        Prior samples to score (0 = none).

    Returns
    -------
    dict of float to dict
        ``{beta: row}``; a row has ``beta``, ``elbo``, ``reconstruction``, ``kl`` (nats per image),
        ``active_units``, ``latent_dim``, ``mean_variances`` and ``kl_per_dim`` (ndarray (d,)), and
        ``samples_*`` scores when ``n_generated > 0``.

    Raises
    ------
    TypeError
        If ``images`` is not a numpy array or not float.
    ValueError
        If ``images`` is not (N, 8, 8) with N ≥ 1, leaves [0, 1], holds NaN/inf, or (where the likelihood needs
        it) a value is not a multiple of 1/16.
    """
    table = {}
    for beta, model in sorted(models.items()):
        terms, (units, variances) = elbo(model, images, n_samples=n_samples, seed=seed), active_units(model, images)
        row = {"beta": float(beta), **{key: terms[key] for key in ("elbo", "reconstruction", "kl")},
               "active_units": units, "latent_dim": latent_dim_of(model), "mean_variances": variances,
               "kl_per_dim": kl_per_dimension(model, images)}
        if n_generated:
            scores = score_samples(sample(model, n_generated, seed=seed), None, classifier=classifier, seed=seed)
            row.update({f"samples_{key}": value for key, value in scores.items() if key != "class_shares"})
        table[beta] = row
    return table


# --- shipped checkpoints ---------------------------------------------------------------------------------------

#: Every shipped model: training data, architecture and recipe; ``python -m course_lib pretrain NAME`` rebuilds it.
SHIPPED: dict[str, dict] = {
    "vae-2d": {"data": "digits", "latent_dim": 2, "beta": 1.0, "steps": 3000},
    "vae-digits": {"data": "digits", "latent_dim": 16, "beta": 1.0, "steps": 3000},
    "ae-digits": {"data": "digits", "latent_dim": 16, "beta": 0.0, "steps": 3000, "autoencoder": True},
    "vae-glyphs": {"data": "glyphs", "latent_dim": 16, "beta": 1.0, "steps": 6000},
    "vae-beta0.1": {"data": "digits", "latent_dim": 16, "beta": 0.1, "steps": 3000},
    "vae-beta2": {"data": "digits", "latent_dim": 16, "beta": 2.0, "steps": 3000},
    "vae-beta4": {"data": "digits", "latent_dim": 16, "beta": 4.0, "steps": 3000},
    "vae-beta64": {"data": "digits", "latent_dim": 16, "beta": 64.0, "steps": 3000},
}
#: What lesson 02 trains in full mode (a 2-D VAE from scratch, the shipped ``vae-2d`` recipe with a validation
#: curve); quick mode fine-tunes the shipped ``vae-2d`` for ``quick_steps`` through the same code.
#: ``benchmarks/vae.py`` times exactly this run.
LESSON_TRAINING = {"latent_dim": 2, "steps": 3000, "quick_steps": 20, "validate_every": 250, "seed": 0}
#: Glyphs for training the glyph VAE, and held-out glyphs for testing it (the seed lesson 01 holds out too).
GLYPHS_TRAIN, GLYPHS_TEST = {"n": 20_000, "seed": 0}, {"n": 2000, "seed": GLYPHS_HELDOUT_SEED}


def _datasets(kind: str) -> tuple[np.ndarray, np.ndarray]:
    from .data import digits, glyphs

    if kind == "glyphs":
        return glyphs(**GLYPHS_TRAIN)[0], glyphs(**GLYPHS_TEST)[0]
    return digits("train")[0], digits("test")[0]


def pretrain(name: str, *, steps: int | None = None, seed: int = 0, save: bool = True):
    """Train shipped model ``name`` (see :data:`SHIPPED`), measure it on its test set and save the checkpoint.

    Quality holds the test ELBO and its terms, the IWAE bound (k = 1000), log p(x | z = μ) (all in nats per
    image), the active units, and the architecture that :func:`load_vae` rebuilds. The glyph model is also
    measured on the held-out handwritten digits (the transfer target).

    Parameters
    ----------
    name : str
        A key of :data:`SHIPPED`.
    steps : int, optional
        Training steps (default: the recipe's).
    seed : int
        Seed of the weights and minibatches.
    save : bool
        Save the checkpoint.

    Returns
    -------
    model : keras.Model
    history : dict
        :func:`train_vae`'s history.
    quality : dict
        The measured numbers and the recipe.

    Raises
    ------
    ValueError
        If ``name`` is not a key of :data:`SHIPPED`.
    """
    from .checkpoints import save_checkpoint
    from .data import digits

    if name not in SHIPPED:
        raise ValueError(f"name must be one of {', '.join(SHIPPED)}; got {name!r}")
    spec, steps = SHIPPED[name], steps or SHIPPED[name]["steps"]
    autoencoder = spec.get("autoencoder", False)
    train, test = _datasets(spec["data"])
    start = time.perf_counter()
    model = build_vae(spec["latent_dim"], HIDDEN, seed=seed)
    history = train_vae(model, train, steps=steps, beta=spec["beta"], autoencoder=autoencoder, seed=seed, desc=name)
    seconds = time.perf_counter() - start
    scores = {f"test_{key}": value for key, value in evaluate(model, test, k=1000, autoencoder=autoencoder).items()}
    if spec["data"] == "glyphs":
        scores["digits_test_elbo"] = elbo(model, digits("test")[0], n_samples=10)["elbo"]
    quality = {key: round(v, 2) if isinstance(v, float) else v for key, v in scores.items()}
    quality.update(beta=spec["beta"], data=spec["data"], steps=steps, hidden=list(HIDDEN), likelihood="logistic",
                   units="nats per image", test_set="digits('test')" if spec["data"] == "digits" else
                   f"glyphs({GLYPHS_TEST['n']}, seed={GLYPHS_TEST['seed']})")
    if save:
        save_checkpoint(model, name, train_seconds=seconds, quality=quality)
    return model, history, quality


def load_vae(name: str) -> keras.Model:
    """A fresh copy of shipped model ``name`` (safe to train further), built with its recorded architecture.

    Parameters
    ----------
    name : str
        A key of :data:`SHIPPED`.

    Returns
    -------
    keras.Model

    Raises
    ------
    ValueError
        If ``name`` is not a key of :data:`SHIPPED`.
    course_lib.checkpoints.CheckpointError
        If the checkpoint is missing, corrupt or does not fit.
    """
    from .checkpoints import load_checkpoint, manifest

    if name not in SHIPPED:
        raise ValueError(f"name must be one of {', '.join(SHIPPED)}; got {name!r}")
    quality = manifest().get(name, {}).get("quality", {})
    model = build_vae(SHIPPED[name]["latent_dim"], tuple(quality.get("hidden", HIDDEN)))
    load_checkpoint(model, name)
    return model


pretrain_vae_2d = functools.partial(pretrain, "vae-2d")
pretrain_vae_digits = functools.partial(pretrain, "vae-digits")
pretrain_ae_digits = functools.partial(pretrain, "ae-digits")
pretrain_vae_glyphs = functools.partial(pretrain, "vae-glyphs")
pretrain_vae_beta01 = functools.partial(pretrain, "vae-beta0.1")
pretrain_vae_beta2 = functools.partial(pretrain, "vae-beta2")
pretrain_vae_beta4 = functools.partial(pretrain, "vae-beta4")
pretrain_vae_beta64 = functools.partial(pretrain, "vae-beta64")
