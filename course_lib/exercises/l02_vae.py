"""Exercises of lesson 02 (VAE): the KL term, the reparameterisation trick, the reconstruction term summed over
pixels, the importance-weighted bound, and what β → 0 gives."""

from __future__ import annotations

import numpy as np

from . import check_statements, exercise

# --- 02.kl: the KL term in closed form ------------------------------------------------------------------------


def kl_diag_gaussian(mu, logvar):
    """KL(N(mu, diag exp(logvar)) || N(0, I)) for each row: ½ Σ_j (mu² + σ² − log σ² − 1), shape (N,).

    Parameters
    ----------
    mu : ndarray, shape (N, d), float
        Means of the approximate posterior.
    logvar : ndarray, shape (N, d), float
        Log-variances log σ² (any finite values).

    Returns
    -------
    ndarray, shape (N,)
        KL divergence per row, in nats (≥ 0).

    References
    ----------
    D. P. Kingma and M. Welling, "Auto-encoding variational Bayes", ICLR 2014, Appendix B.
    """
    return 0.5 * np.sum(mu**2 + np.exp(logvar) - logvar - 1.0, axis=-1)


def _kl_wrong(mu, logvar):
    return 0.5 * np.mean(mu**2 + np.exp(logvar) - logvar - 1.0, axis=-1)  # mean over latent dims: KL / d


@exercise("02.kl", "the KL term in closed form", solution=kl_diag_gaussian, wrong=_kl_wrong)
def _check_kl(fn) -> str:
    from ..vae import kl_divergence

    rng = np.random.default_rng(2)
    mu, logvar = rng.normal(size=(6, 5)), rng.normal(scale=0.8, size=(6, 5))
    got = np.asarray(fn(mu, logvar), dtype=np.float64)
    if not (got.shape == (6,)):
        raise AssertionError(
            f"return one KL per row (shape (6,) here); got shape {got.shape}. Hint: sum over the "
            "latent dimensions (axis=-1), not over the batch.")
    zero = float(np.asarray(fn(np.zeros((1, 5)), np.zeros((1, 5)))).ravel()[0])
    if not (abs(zero) < 1e-9):
        raise AssertionError(f"KL(N(0, I) || N(0, I)) must be 0; yours gives {zero:.4g}. Check the '- 1' term.")
    expected = np.asarray(kl_divergence(mu, logvar), dtype=np.float64)
    err = float(np.max(np.abs(got - expected)))
    if not (err < 1e-4 * max(1.0, float(np.abs(expected).max()))):
        raise AssertionError(
            f"your KL differs from the closed form by up to {err:.4g} nats (e.g. {got[0]:.4f} vs {expected[0]:.4f}). "
            "Hint: ½ Σ_j (μ_j² + σ_j² − log σ_j² − 1) with σ² = exp(logvar); *sum* over the latent dimensions — a mean "
            "divides the KL by d and quietly changes β.")
    return "Zero exactly when q = p, positive otherwise, summed over the latent dims."


# --- 02.reparam: the reparameterisation trick -------------------------------------------------------------------


def reparameterize_by_hand(mu, logvar, eps):
    """z = mu + sigma * eps with sigma = exp(logvar / 2): differentiable in mu and logvar (eps is an input).

    Parameters
    ----------
    mu, logvar : tf.Tensor or ndarray, shape (N, d), float32
        Posterior means and log-variances.
    eps : tf.Tensor or ndarray, shape (N, d), float32
        Standard normal draws.

    Returns
    -------
    tf.Tensor, shape (N, d), float32
        The codes z.

    References
    ----------
    Kingma and Welling, ICLR 2014, Sec. 2.4.
    """
    import tensorflow as tf

    return mu + tf.exp(0.5 * logvar) * eps


def _reparam_wrong(mu, logvar, eps):
    import tensorflow as tf

    return mu + tf.exp(logvar) * eps  # the variance used as a standard deviation


@exercise("02.reparam", "reparameterisation with gradients", solution=reparameterize_by_hand, wrong=_reparam_wrong)
def _check_reparam(fn) -> str:
    import tensorflow as tf

    mu = tf.Variable([[0.5, -1.0, 2.0]], dtype=tf.float32)
    logvar = tf.Variable([[0.0, np.log(4.0), np.log(0.25)]], dtype=tf.float32)
    eps = tf.constant(np.random.default_rng(0).standard_normal((20_000, 3)), tf.float32)
    with tf.GradientTape() as tape:
        z = fn(mu, logvar, eps)
        total = tf.reduce_sum(z)
    grad_mu, grad_logvar = tape.gradient(total, [mu, logvar])
    if not (grad_mu is not None and grad_logvar is not None):
        raise AssertionError(
            "no gradient reaches mu or logvar. Hint: build z with TensorFlow operations as mu + sigma * eps from "
            "the given eps, so that z is a differentiable function of mu and logvar; a z computed outside the graph "
            "(numpy, or .numpy() anywhere on the way) carries no gradient.")
    z = np.asarray(z, dtype=np.float64)
    if not (z.shape == (20_000, 3)):
        raise AssertionError(f"z must have the shape of eps (20000, 3); got {z.shape}")
    std = z.std(axis=0)
    if not np.allclose(std, [1.0, 2.0, 0.5], rtol=0.03):
        raise AssertionError(
            f"the standard deviations of your z are {np.round(std, 3)}; expected [1, 2, 0.5] for logvar = log [1, 4, "
            "0.25]. Hint: σ = exp(logvar / 2) — logvar is the log of the *variance*.")
    if not np.allclose(z.mean(axis=0), [0.5, -1.0, 2.0], atol=0.05):
        raise AssertionError(f"the means of your z are {z.mean(0)}")
    if not np.allclose(np.asarray(grad_mu), 20_000, rtol=1e-5):
        raise AssertionError("∂Σz/∂μ should be the number of samples (20000).")
    expected = 0.5 * np.exp(0.5 * np.asarray(logvar)) * np.asarray(eps).sum(0)
    if not np.allclose(np.asarray(grad_logvar), expected, rtol=1e-3, atol=1e-2):
        raise AssertionError("∂z/∂logvar should be ½ σ ε.")
    return "z has the right mean and spread, and gradients flow to μ and log σ² (∂z/∂μ = 1, ∂z/∂log σ² = ½σε)."


# --- 02.loglik: the reconstruction term, summed over pixels --------------------------------------------------------


def log_likelihood_by_hand(log_probs, images):
    """log p(x | z) per image from the decoder's level log-probabilities (N, 8, 8, 17).

    Pick the log-probability of each pixel's level k = 16 x and *sum* over the 64 pixels.

    Parameters
    ----------
    log_probs : ndarray, shape (N, 8, 8, 17), float
        Log-probabilities of the 17 grey levels 0/16 ... 16/16 of each pixel.
    images : ndarray, shape (N, 8, 8), float
        Images whose values are multiples of 1/16 in [0, 1].

    Returns
    -------
    ndarray, shape (N,)
        log p(x | z) per image, in nats (≤ 0).
    """
    levels = np.rint(16 * images).astype(int)
    picked = np.take_along_axis(log_probs, levels[..., None], axis=-1)[..., 0]
    return picked.sum(axis=(1, 2))


def _loglik_wrong(log_probs, images):
    levels = np.rint(16 * images).astype(int)
    return np.take_along_axis(log_probs, levels[..., None], axis=-1)[..., 0].mean(axis=(1, 2))  # per-pixel mean


@exercise("02.loglik", "the reconstruction term, summed", solution=log_likelihood_by_hand, wrong=_loglik_wrong)
def _check_loglik(fn) -> str:
    from ..data import digits
    from ..vae import build_vae, decoder_of, level_log_probs, log_likelihood

    images = np.asarray(digits("test")[0][:5])
    params = decoder_of(build_vae(4, (16,), seed=3))(np.random.default_rng(3).standard_normal((5, 4)))
    log_probs = np.asarray(level_log_probs(params), dtype=np.float64)
    got = np.asarray(fn(log_probs, images), dtype=np.float64)
    if not (got.shape == (5,)):
        raise AssertionError(f"return one log-likelihood per image (shape (5,)); got shape {got.shape}")
    expected = np.asarray(log_likelihood(params, images), dtype=np.float64)
    if np.allclose(got * 64, expected, rtol=1e-4):
        raise AssertionError("your values are exactly 64 times too small: you averaged over the pixels. The "
                             "likelihood of an image is the *product* over pixels, so its log is the *sum*; a mean "
                             "silently multiplies the KL's weight by 64 (β = 64).")
    err = float(np.max(np.abs(got - expected)))
    if not (err < 1e-3):
        raise AssertionError(
            f"your log p(x|z) differs by up to {err:.4g} nats (e.g. {got[0]:.3f} vs {expected[0]:.3f}). "
            "Hint: levels = round(16 x); take log_probs[..., level] per pixel, then sum over both "
            "image axes.")
    return f"log p(x|z) of the first image = {got[0]:.2f} nats (uniform guessing would give {-64 * np.log(17):.2f})."


# --- 02.beta: what β → 0 gives ---------------------------------------------------------------------------------------

BETA_TO_ZERO = {
    "A": "The loss tends to the autoencoder's: only the reconstruction term is left, so reconstructions get sharper.",
    "B": "Nothing keeps q(z|x) near the prior any more: the KL grows, and decoding codes drawn from N(0, I) "
         "gives fewer recognisable digits.",
    "C": "The ELBO (with β = 1) of the trained model gets higher, because the model fits the data better.",
    "D": "Latent units collapse: more and more of them carry no information about x.",
}


def beta_to_zero():
    """Return the set of letters of BETA_TO_ZERO that are true.

    Returns
    -------
    set of str
    """
    return {"A", "B"}


def _beta_wrong():
    return {"A", "D"}


@exercise("02.beta", "predict what β → 0 gives", solution=beta_to_zero, wrong=_beta_wrong)
def _check_beta(fn) -> str:
    hints = {
        "C": "C is false: the training objective with β < 1 is not the ELBO; the ELBO counts the full KL, which "
             "grows faster than the reconstruction improves (the β table below measures it).",
        "D": "D is false: collapse is what *large* β does — the KL penalty makes unused units copy the prior.",
    }
    check_statements(fn(), BETA_TO_ZERO, {"A", "B"}, hints, where="the β table below")
    return "The β table and the widget below measure both."


# --- 02.iwae: the importance-weighted bound, written and run ---------------------------------------------------


def iwae_by_hand(model, images, k, seed=0):
    """IWAE bound per image (nats): log (1/k) Σ_i p(x|z_i) p(z_i) / q(z_i|x), z_i ~ q(z|x), computed in log space.

    Parameters
    ----------
    model : keras.Model
        A VAE of ``course_lib.vae`` (e.g. ``vae.load_vae("vae-digits")``).
    images : ndarray, shape (N, 8, 8), float
        Images on the 17-level grid in [0, 1].
    k : int
        Number of importance samples per image (k = 1 is a one-sample ELBO).
    seed : int
        Seed of the noise ε.

    Returns
    -------
    ndarray, shape (N,)
        The bound of each image, nats.

    References
    ----------
    Y. Burda, R. Grosse, R. Salakhutdinov. Importance weighted autoencoders. ICLR 2016, eq. 8.
    """
    from scipy.special import logsumexp

    from course_lib import vae

    mu, logvar = vae.encode(model, images)                                    # (N, d) each
    n, d = mu.shape
    eps = np.random.default_rng(seed).standard_normal((n, k, d)).astype(np.float32)
    z = mu[:, None] + np.exp(0.5 * logvar[:, None]) * eps                     # (N, k, d): k draws from q(z|x)
    params = vae.decoder_of(model)(z.reshape(n * k, d))
    log_px = np.asarray(vae.log_likelihood(params, np.repeat(images, k, axis=0))).reshape(n, k)
    log_pz = -0.5 * np.sum(np.log(2 * np.pi) + z**2, axis=-1)                 # log N(z; 0, I)
    log_qz = -0.5 * np.sum(np.log(2 * np.pi) + logvar[:, None] + eps**2, axis=-1)   # log N(z; mu, sigma²)
    return logsumexp(log_px + log_pz - log_qz, axis=1) - np.log(k)          # log-mean-exp over the k weights


def _iwae_wrong(model, images, k, seed=0):
    from course_lib import vae

    mu, logvar = vae.encode(model, images)
    n, d = mu.shape
    eps = np.random.default_rng(seed).standard_normal((n, k, d)).astype(np.float32)
    z = mu[:, None] + np.exp(0.5 * logvar[:, None]) * eps
    params = vae.decoder_of(model)(z.reshape(n * k, d))
    log_px = np.asarray(vae.log_likelihood(params, np.repeat(images, k, axis=0))).reshape(n, k)
    log_pz = -0.5 * np.sum(np.log(2 * np.pi) + z**2, axis=-1)
    log_qz = -0.5 * np.sum(np.log(2 * np.pi) + logvar[:, None] + eps**2, axis=-1)
    return np.mean(log_px + log_pz - log_qz, axis=1)  # mean of the log weights: a k-sample ELBO, not the IWAE bound


@exercise("02.iwae", "the importance-weighted bound", solution=iwae_by_hand, wrong=_iwae_wrong)
def _check_iwae(fn) -> str:
    from ..data import digits
    from ..vae import iwae_bound, load_vae

    model, images = load_vae("vae-digits"), digits("test")[0][:200]
    means = {}
    for k in (1, 50):
        got = np.asarray(fn(model, images, k, seed=7), dtype=np.float64)
        if not (got.shape == (len(images),)):
            raise AssertionError(f"return one bound per image, shape ({len(images)},); got {got.shape}")
        if not np.all(np.isfinite(got)):
            raise AssertionError(
                f"your bound at k = {k} has non-finite values. Hint: average the weights in "
                "log space: scipy.special.logsumexp(log_w, axis=1) - log(k).")
        library = iwae_bound(model, images, k=k, seed=0)
        diff = got - library                      # two independent estimates of the same bound, image by image
        se = float(np.std(diff, ddof=1) / np.sqrt(len(diff)))
        if not (abs(diff.mean()) < 4 * se + 0.05):
            raise AssertionError(
                f"at k = {k} your bound averages {got.mean():.2f} nats/image over 200 test digits, the library's "
                f"{library.mean():.2f} (difference {diff.mean():+.2f} ± {se:.2f}). Hint: log w_i = log p(x|z_i) + "
                "log p(z_i) - log q(z_i|x); the bound is log of the *mean of the weights* (logsumexp - log k), not the "
                "mean of the log weights.")
        means[k] = got.mean()
    if not (means[50] > means[1]):
        raise AssertionError("the bound must tighten (rise) from k = 1 to k = 50")
    return (f"Your bound matches vae.iwae_bound within its sampling error: {means[1]:.2f} nats/image at k = 1 (the "
            f"ELBO), {means[50]:.2f} at k = 50.")
