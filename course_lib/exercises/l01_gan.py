"""Exercises of lesson 01 (GANs): the non-saturating loss, the optimal discriminator, one training step, KID by hand,
diagnosing a run."""

from __future__ import annotations

import numpy as np

from . import close, exercise

# --- 01.nonsat: the non-saturating generator loss from logits -----------------------------------------------


def g_loss_ns_by_hand(fake_logits):
    """-mean(log D(G(z))) with D = sigmoid(logit), written stably: -log sigmoid(l) = log(1 + exp(-l)).

    Parameters
    ----------
    fake_logits : array_like, shape (N,) or (N, 1), float
        The discriminator's logits on generated images.

    Returns
    -------
    float
        The non-saturating generator loss (≥ 0, in nats).

    References
    ----------
    I. Goodfellow et al., "Generative adversarial nets", NeurIPS 2014, Sec. 3.
    """
    return np.mean(np.logaddexp(0.0, -np.asarray(fake_logits, dtype=np.float64)))


def _nonsat_wrong(fake_logits):
    d = 1 / (1 + np.exp(-np.asarray(fake_logits, dtype=np.float64)))
    return -np.mean(np.log(d))  # the textbook formula, naively: sigmoid underflows to 0 and log(0) = -inf


def _nonsat_saturating(fake_logits):
    d = 1 / (1 + np.exp(-np.asarray(fake_logits, dtype=np.float64)))
    return np.mean(np.log(1 - d))  # the saturating minimax loss, not the non-saturating one


@exercise("01.nonsat", "the non-saturating generator loss", solution=g_loss_ns_by_hand, wrong=_nonsat_wrong)
def _check_nonsat(fn) -> str:
    from ..gan import g_loss_nonsaturating

    rng = np.random.default_rng(0)
    # ±800: exp(800) overflows float64, so the naive -log(sigmoid(l)) gives log(0) = -inf there
    for logits in (np.array([0.0]), rng.normal(0, 3, 16), np.array([-30.0, -5.0, 2.0, 30.0]),
                   np.array([-800.0, 800.0])):
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            got = fn(logits)
        if not np.isfinite(got):
            raise AssertionError(
                f"your loss on logits {np.round(logits[:3], 2)} is {got}: it overflowed. Hint: "
                "-log sigmoid(l) = log(1 + exp(-l)); np.logaddexp(0, -l) computes it without "
                "forming exp(800).")
        close(got, float(g_loss_nonsaturating(logits)), tol=1e-4 * max(1.0, float(np.max(np.abs(logits)))),
              what=f"your loss on logits {np.round(logits[:3], 2)}…",
              hint="the generator wants D(G(z)) = sigmoid(logit) close to 1: minimise -mean(log sigmoid(logit)); "
                   "np.logaddexp(0, -logits) is log(1 + exp(-logits)) without overflow.")
    return "Its gradient with respect to the logit is -(1 - D): large exactly when D rejects the fakes."


# --- 01.dstar: the optimal discriminator --------------------------------------------------------------------


def optimal_discriminator(p_data, p_g):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) for densities evaluated at the same points.

    Parameters
    ----------
    p_data, p_g : array_like, float, same shape
        The data and generator densities (≥ 0, not both 0) at the same points.

    Returns
    -------
    ndarray, float64
        D*(x) in [0, 1].

    References
    ----------
    Goodfellow et al. 2014, Proposition 1.
    """
    p_data, p_g = np.asarray(p_data, dtype=np.float64), np.asarray(p_g, dtype=np.float64)
    return p_data / (p_data + p_g)


def _dstar_wrong(p_data, p_g):
    return np.asarray(p_g) / (np.asarray(p_data) + np.asarray(p_g))


@exercise("01.dstar", "the optimal discriminator", solution=optimal_discriminator, wrong=_dstar_wrong)
def _check_dstar(fn) -> str:
    x = np.linspace(-4, 4, 81)
    p_data = np.exp(-0.5 * (x - 1) ** 2) / np.sqrt(2 * np.pi)
    p_g = np.exp(-0.5 * ((x + 1) / 1.5) ** 2) / (1.5 * np.sqrt(2 * np.pi))
    got = np.asarray(fn(p_data, p_g), dtype=np.float64)
    if not (got.shape == x.shape):
        raise AssertionError(f"return one value per point, shape {x.shape}; got {got.shape}")
    worst = float(np.max(np.abs(got - p_data / (p_data + p_g))))
    if not (worst < 1e-6):
        raise AssertionError(
            f"your D* is off by up to {worst:.3g}. Hint: for fixed G, maximise "
            "p_data(x)·log D + p_g(x)·log(1 - D) over D at each x (set the derivative to 0).")
    close(fn(np.array([0.3]), np.array([0.3]))[0], 0.5, tol=1e-9, what="D* where p_data = p_g",
          hint="when the generator matches the data, the best discriminator can only say 1/2.")
    return "Where p_g = p_data, D* = 1/2 everywhere: the discriminator can no longer tell."


# --- 01.kid: KID for one subset, by hand --------------------------------------------------------------------


def kid_by_hand(x, y):
    """Unbiased MMD² with the cubic kernel k(a, b) = (a·b/d + 1)³; x is (m, d), y is (n, d).

    Parameters
    ----------
    x : array_like, shape (m, d), float
        First feature set (m ≥ 2).
    y : array_like, shape (n, d), float
        Second feature set (n ≥ 2).

    Returns
    -------
    float
        The unbiased estimate (may be slightly negative).

    References
    ----------
    M. Bińkowski, D. J. Sutherland, M. Arbel and A. Gretton, "Demystifying MMD GANs", ICLR 2018.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    d, m, n = x.shape[1], len(x), len(y)
    k_xx, k_yy, k_xy = (x @ x.T / d + 1) ** 3, (y @ y.T / d + 1) ** 3, (x @ y.T / d + 1) ** 3
    return ((k_xx.sum() - np.trace(k_xx)) / (m * (m - 1)) + (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
            - 2 * k_xy.mean())


def _kid_wrong(x, y):
    d = x.shape[1]
    return ((x @ x.T / d + 1) ** 3).mean() + ((y @ y.T / d + 1) ** 3).mean() - 2 * ((x @ y.T / d + 1) ** 3).mean()


@exercise("01.kid", "KID by hand", solution=kid_by_hand, wrong=_kid_wrong)
def _check_kid(fn) -> str:
    from ..metrics import mmd2_unbiased

    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((30, 4)), rng.standard_normal((25, 4)) + 0.3
    close(fn(x, y), mmd2_unbiased(x, y), tol=1e-6 * abs(mmd2_unbiased(x, y)) + 1e-9, what="your MMD²",
          hint="leave out the diagonal terms k(x_i, x_i) and k(y_j, y_j): divide the off-diagonal sums by m(m-1) "
               "and n(n-1); the cross term uses every pair and is divided by m·n.")
    same = [fn(rng.standard_normal((20, 4)), rng.standard_normal((20, 4))) for _ in range(200)]
    if not (abs(np.mean(same)) < 4 * np.std(same) / np.sqrt(len(same))):
        raise AssertionError(
            "for two samples of one distribution your estimate should average to 0; it is biased. Hint: drop the "
            "diagonal of the within-sample kernel matrices.")
    return "Unbiased: two samples of the same distribution give 0 on average (sometimes a negative number)."


# --- 01.diagnose: read a run's health from its metrics ------------------------------------------------------


def diagnose(confident_share, class_shares):
    """'low quality' if under half the samples are confident, else 'mode collapse' if a digit is rare, else 'healthy'.

    A digit is rare when it gets less than 2 % of the samples.

    Parameters
    ----------
    confident_share : float
        Share in [0, 1] of samples the classifier recognises with confidence ≥ 0.9.
    class_shares : array_like, shape (10,), float
        Share of samples predicted as each digit (sums to 1).

    Returns
    -------
    str
        ``"low quality"``, ``"mode collapse"`` or ``"healthy"``.
    """
    if confident_share < 0.5:
        return "low quality"
    if np.min(class_shares) < 0.02:
        return "mode collapse"
    return "healthy"


def _diagnose_wrong(confident_share, class_shares):
    return "healthy" if confident_share >= 0.5 else "low quality"  # trusts confidence alone


@exercise("01.diagnose", "diagnose a GAN run from its metrics", solution=diagnose, wrong=_diagnose_wrong)
def _check_diagnose(fn) -> str:
    even = np.full(10, 0.1)
    collapsed = np.array([0.9, 0.1] + [0.0] * 8)
    cases = [(0.95, even, "healthy"), (1.0, collapsed, "mode collapse"), (0.3, even, "low quality"),
             (0.2, collapsed, "low quality"), (0.92, np.array([0.015] + [0.985 / 9] * 9), "mode collapse")]
    for share, shares, expected in cases:
        got = fn(share, shares)
        if not (got == expected):
            raise AssertionError(
                f"confident share {share}, smallest class share {shares.min():.3f}: you said {got!r}, expected "
                f"{expected!r}. Hint: a collapsed generator can be very *confident* — check the class shares too.")
    return "A run can be 100 % confident and still useless: always look at coverage."


# --- 01.trainstep: one GAN training step, written and run -----------------------------------------------------


def gan_train_step(generator, discriminator, g_opt, d_opt, real, z):
    """One update of D on real and generated points (BCE from logits), then one of G through the updated D.

    G uses the non-saturating loss.

    Parameters
    ----------
    generator, discriminator : keras.Model
        The networks (updated in place).
    g_opt, d_opt : keras.optimizers.Optimizer
        Their optimisers.
    real : ndarray or tf.Tensor, shape (B, ...), float32
        A batch of real examples of the discriminator's input shape.
    z : ndarray or tf.Tensor, shape (B, latent_dim), float32
        Noise vectors.

    Returns
    -------
    dict of str to tf.Tensor
        ``{"d_loss": ..., "g_loss": ...}``, batch means in nats.

    References
    ----------
    I. Goodfellow et al., "Generative adversarial nets", NeurIPS 2014, Algorithm 1.
    """
    import tensorflow as tf

    with tf.GradientTape() as tape:                      # 1. the discriminator sees real AND generated samples
        fake = generator(z, training=True)
        real_logits, fake_logits = discriminator(real, training=True), discriminator(fake, training=True)
        d_loss = tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(tf.nn.softplus(fake_logits))
    d_grads = tape.gradient(d_loss, discriminator.trainable_variables)
    d_opt.apply_gradients(zip(d_grads, discriminator.trainable_variables))
    with tf.GradientTape() as tape:                      # 2. the generator, through the updated discriminator
        g_loss = tf.reduce_mean(tf.nn.softplus(-discriminator(generator(z, training=True), training=True)))
    g_grads = tape.gradient(g_loss, generator.trainable_variables)
    g_opt.apply_gradients(zip(g_grads, generator.trainable_variables))
    return {"d_loss": d_loss, "g_loss": g_loss}


def _trainstep_wrong(generator, discriminator, g_opt, d_opt, real, z):
    import tensorflow as tf

    with tf.GradientTape() as tape:  # the article's pattern: D only ever sees real samples
        d_loss = -tf.reduce_mean(tf.sigmoid(discriminator(real, training=True)))
    d_opt.apply_gradients(zip(tape.gradient(d_loss, discriminator.trainable_variables),
                              discriminator.trainable_variables))
    with tf.GradientTape() as tape:
        g_loss = tf.reduce_mean(tf.nn.softplus(-discriminator(generator(z, training=True), training=True)))
    g_opt.apply_gradients(zip(tape.gradient(g_loss, generator.trainable_variables), generator.trainable_variables))
    return {"d_loss": d_loss, "g_loss": g_loss}


def _toy_pair(seed):
    import keras

    from ..gan import build_toy_discriminator, build_toy_generator

    generator, discriminator = build_toy_generator(seed=seed), build_toy_discriminator(seed=seed + 1)
    g_opt, d_opt = keras.optimizers.Adam(1e-3, beta_1=0.5), keras.optimizers.Adam(1e-3, beta_1=0.5)
    return generator, discriminator, g_opt, d_opt


@exercise("01.trainstep", "one GAN training step", solution=gan_train_step, wrong=_trainstep_wrong)
def _check_trainstep(fn) -> str:
    from ..gan import d_loss_bce, latent, ring_data

    # 1. one step from identical weights and inputs must give the reference update
    real, z = ring_data(256, seed=0), latent(256, 2, seed=0)
    ours, theirs = _toy_pair(0), _toy_pair(0)
    gan_train_step(*ours, real, z)
    fn(*theirs, real, z)
    for who, a, b in (("discriminator", ours[1], theirs[1]), ("generator", ours[0], theirs[0])):
        worst = max(float(np.max(np.abs(u - v))) for u, v in zip(a.get_weights(), b.get_weights()))
        if not (worst < 1e-5):
            raise AssertionError(
                f"after one step from the same weights and batch, your {who}'s weights differ from the reference by up "
                f"to {worst:.2e}. Hint: first update D on L_D = mean(softplus(-D(real))) + mean(softplus(D(G(z)))) "
                "(D must see the generated samples too), then G on mean(softplus(-D(G(z)))) computed with the updated "
                "D, each inside its own tf.GradientTape, with d_opt and g_opt.")
    # 2. run it: with G held still (learning rate 0), D's loss on a fixed batch falls; with D held still, G's does
    import keras

    from ..gan import g_loss_nonsaturating

    probe_real, probe_z = ring_data(512, seed=99), latent(512, 2, seed=99)
    generator, discriminator, g_opt, d_opt = _toy_pair(1)

    def losses():
        fake_logits = discriminator(generator(probe_z))
        return float(d_loss_bce(discriminator(probe_real), fake_logits)), float(g_loss_nonsaturating(fake_logits))

    frozen = keras.optimizers.Adam(0.0)
    d_start = losses()[0]
    for step in range(30):
        fn(generator, discriminator, frozen, d_opt, ring_data(256, seed=1000 + step), latent(256, 2, seed=2000 + step))
    d_end, g_start = losses()
    if not (d_end < d_start - 0.05):
        raise AssertionError(
            f"with the generator held still, 30 of your steps moved D's loss on a fixed batch of real and generated "
            f"points from {d_start:.3f} to {d_end:.3f}: D is not learning to tell them apart. Hint: D's loss needs the "
            "fakes.")
    for step in range(30):
        fn(generator, discriminator, g_opt, keras.optimizers.Adam(0.0), ring_data(256, seed=3000 + step),
           latent(256, 2, seed=4000 + step))
    g_end = losses()[1]
    if not (g_end < g_start - 0.05):
        raise AssertionError(
            f"with D held still, 30 of your steps moved G's loss from {g_start:.3f} to {g_end:.3f}: G gets no useful "
            "gradient through D. Hint: compute G's loss from D's logits on generator(z) inside the generator's tape.")
    return (f"Each half learns: with G still, D's loss fell {d_start:.3f} → {d_end:.3f}; with D still, G's "
            f"non-saturating loss fell {g_start:.3f} → {g_end:.3f}.")
