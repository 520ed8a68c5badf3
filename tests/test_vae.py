"""VAE: the ELBO terms against hand computations, KL vs Monte Carlo, reparameterisation, training, IWAE, views."""

import math

import matplotlib
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit, gammaln

from course_lib import data, vae, vae_viz

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def test_digits():
    return np.asarray(data.digits("test")[0])


# --- the likelihood ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("likelihood", list(vae.LIKELIHOODS))
def test_every_likelihood_is_a_normalised_distribution_over_the_17_levels(likelihood):
    rng = np.random.default_rng(0)
    params = rng.normal(scale=3.0, size=(4, 8, 8, vae.LIKELIHOODS[likelihood])).astype(np.float32)
    probs = np.exp(np.asarray(vae.level_log_probs(params, likelihood), dtype=np.float64))
    assert probs.shape == (4, 8, 8, 17) and np.all(probs >= 0)
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)


def test_discretised_logistic_matches_the_cdf_by_hand():
    mu, s = np.array([-0.2, 0.03, 0.5, 0.97, 1.3]), np.array([0.01, 0.05, 0.2, 0.03, 2.0])
    params = np.zeros((5, 8, 8, 2), np.float32)
    params[:, 0, 0, 0], params[:, 0, 0, 1] = mu, np.log(s)
    got = np.exp(np.asarray(vae.level_log_probs(params), dtype=np.float64))[:, 0, 0]
    edges = (np.arange(16) + 0.5) / 16
    cdf = np.concatenate([np.zeros((5, 1)), expit((edges - mu[:, None]) / s[:, None]), np.ones((5, 1))], axis=1)
    np.testing.assert_allclose(got, np.diff(cdf, axis=1), atol=2e-6)


def test_binomial_matches_the_formula_and_bce_is_not_normalised():
    logit = np.float32(0.3)
    p, k = expit(0.3), np.arange(17)
    expected = gammaln(17) - gammaln(k + 1) - gammaln(17 - k) + k * np.log(p) + (16 - k) * np.log(1 - p)
    got = np.asarray(vae.level_log_probs(np.full((1, 8, 8, 1), logit), "binomial"))[0, 0, 0]
    np.testing.assert_allclose(got, expected, atol=1e-4)
    # Bernoulli "likelihood" of grey values, exp(-BCE), summed over the 17 levels, is not 1.
    x = k / 16
    assert abs(np.sum(np.exp(x * np.log(p) + (1 - x) * np.log(1 - p))) - 1) > 5


# --- the ELBO terms ------------------------------------------------------------------------------------------------


def _dense(x, layer, relu):
    kernel, bias = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
    y = x @ kernel + bias
    return np.maximum(y, 0) if relu else y


def test_elbo_terms_match_a_hand_computation_on_a_tiny_model(test_digits):
    model = vae.build_vae(latent_dim=2, hidden=(3,), seed=5)
    enc, dec = vae.encoder_of(model), vae.decoder_of(model)
    x = test_digits[:4]
    eps = np.random.default_rng(1).standard_normal((4, 2)).astype(np.float32)
    rec, kl = (np.asarray(t, dtype=np.float64) for t in vae.elbo_terms(model, x, eps))

    h = _dense(x.reshape(4, 64).astype(np.float64), enc.get_layer("enc_0"), relu=True)
    mu, logvar = _dense(h, enc.get_layer("mu"), False), _dense(h, enc.get_layer("logvar"), False)
    z = mu + np.exp(0.5 * logvar) * eps
    out = _dense(_dense(z, dec.get_layer("dec_0"), True), dec.get_layer("logistic_params"), False).reshape(4, 8, 8, 2)
    centre, scale = out[..., 0], np.exp(np.maximum(out[..., 1], -7.0))
    level = np.rint(16 * x)
    upper = np.where(level == 16, np.inf, (level + 0.5) / 16)
    lower = np.where(level == 0, -np.inf, (level - 0.5) / 16)
    p = expit((upper - centre) / scale) - expit((lower - centre) / scale)
    np.testing.assert_allclose(rec, np.log(p).sum(axis=(1, 2)), rtol=1e-4)
    np.testing.assert_allclose(kl, 0.5 * np.sum(mu**2 + np.exp(logvar) - logvar - 1, axis=1), rtol=1e-4, atol=1e-5)


def test_elbo_of_a_hand_set_model_is_known_exactly(test_digits):
    """Encoder: μ = 1, log σ² = 0 for every input; decoder: uniform over the 17 levels (categorical, zero logits)."""
    model = vae.build_vae(latent_dim=3, hidden=(4,), seed=0, likelihood="categorical")
    for layer in (*vae.encoder_of(model).layers, *vae.decoder_of(model).layers):
        if layer.get_weights():
            kernel, bias = layer.get_weights()
            bias = np.ones_like(bias) if layer.name == "mu" else np.zeros_like(bias)
            layer.set_weights([np.zeros_like(kernel), bias])
    terms = vae.elbo(model, test_digits[:10], beta=2.0)
    assert terms["reconstruction"] == pytest.approx(-64 * math.log(17), abs=1e-3)
    assert terms["kl"] == pytest.approx(0.5 * 3 * 1.0, abs=1e-6)  # ½ Σ_j μ_j² with μ = 1, σ = 1
    assert terms["elbo"] == pytest.approx(-64 * math.log(17) - 1.5, abs=1e-3)
    assert terms["loss"] == pytest.approx(64 * math.log(17) + 2.0 * 1.5, abs=1e-3)


def test_reconstruction_is_summed_over_pixels_not_averaged(test_digits):
    model = vae.build_vae(latent_dim=2, hidden=(8,), seed=1)
    x = test_digits[:3]
    params = vae.decoder_of(model)(np.zeros((3, 2), np.float32))
    per_pixel = np.take_along_axis(np.asarray(vae.level_log_probs(params)), np.rint(16 * x).astype(int)[..., None], -1)
    np.testing.assert_allclose(np.asarray(vae.log_likelihood(params, x)), per_pixel.sum(axis=(1, 2, 3)), rtol=1e-5)


def test_mean_reduced_loss_has_the_gradient_of_beta_64(test_digits):
    model = vae.build_vae(latent_dim=4, hidden=(16,), seed=2)
    x = tf.constant(test_digits[:32])
    eps = tf.constant(np.random.default_rng(0).standard_normal((32, 4)), tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        buggy = vae.mean_reduced_loss(model, x, eps)
        rec, kl = vae.elbo_terms(model, x, eps)
        beta64 = -tf.reduce_mean(rec - 64.0 * kl)
        beta1 = -tf.reduce_mean(rec - kl)
    grads = [tape.gradient(loss, model.trainable_variables) for loss in (buggy, beta64, beta1)]
    for g_bug, g_64 in zip(grads[0], grads[1]):
        np.testing.assert_allclose(64 * np.asarray(g_bug), np.asarray(g_64), rtol=1e-3, atol=1e-4)
    gap_to_beta1 = max(float(np.max(np.abs(64 * np.asarray(a) - np.asarray(b)))) for a, b in zip(grads[0], grads[2]))
    assert gap_to_beta1 > 1e-2  # the bug is *not* the ELBO's gradient


# --- KL and reparameterisation -------------------------------------------------------------------------------------


def test_closed_form_kl_agrees_with_monte_carlo_within_its_standard_error():
    rng = np.random.default_rng(3)
    mu, logvar = rng.normal(size=(8, 6)), rng.normal(scale=0.7, size=(8, 6))
    closed = float(np.mean(vae.kl_divergence(mu, logvar)))
    estimate, se = vae.kl_monte_carlo(mu, logvar, n_samples=20_000, seed=4)
    assert se < 0.02 * closed
    assert abs(estimate - closed) < 4 * se, (estimate, closed, se)
    wrong = float(np.mean(0.5 * np.sum(mu**2 + np.exp(logvar) - logvar, axis=1)))  # forgot the "- 1"
    assert abs(estimate - wrong) > 10 * se


def test_reparameterised_samples_have_the_right_mean_and_variance():
    mu = np.array([[1.5, -0.5, 0.0]], np.float32)
    logvar = np.log(np.array([[0.25, 1.0, 9.0]], np.float32))
    n = 50_000
    eps = np.random.default_rng(5).standard_normal((n, 3)).astype(np.float32)
    z = np.asarray(vae.reparameterize(mu, logvar, eps), dtype=np.float64)
    variance = np.exp(logvar[0])
    assert np.all(np.abs(z.mean(0) - mu[0]) < 4 * np.sqrt(variance / n))
    # the sample variance of a Gaussian has standard error σ² √(2 / (n - 1))
    assert np.all(np.abs(z.var(0, ddof=1) - variance) < 4 * variance * np.sqrt(2 / (n - 1)))


def test_gradients_flow_through_the_reparameterisation():
    mu, logvar = tf.Variable([[0.3, -0.2]]), tf.Variable([[0.1, -1.0]])
    eps = tf.constant([[0.5, -2.0]])
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(vae.reparameterize(mu, logvar, eps))
    d_mu, d_logvar = tape.gradient(total, [mu, logvar])
    np.testing.assert_allclose(d_mu, [[1.0, 1.0]])
    np.testing.assert_allclose(d_logvar, 0.5 * np.exp(0.5 * np.array([[0.1, -1.0]])) * [[0.5, -2.0]], rtol=1e-6)


# --- training and evaluation ---------------------------------------------------------------------------------------


def test_training_steps_improve_the_elbo_on_a_fixed_batch(test_digits):
    batch = test_digits[:64]
    model = vae.build_vae(latent_dim=4, hidden=(32,), seed=0)
    before = vae.elbo(model, batch, n_samples=20, seed=7)["elbo"]
    history = vae.train_vae(model, batch, steps=60, batch_size=64, lr=3e-3, seed=0)
    after = vae.elbo(model, batch, n_samples=20, seed=7)["elbo"]
    assert after > before + 20, (before, after)
    assert np.mean(history["elbo"][-5:]) > history["elbo"][0] and set(history) >= {"loss", "reconstruction", "kl"}


def test_autoencoder_mode_uses_z_equal_mu_and_leaves_the_variance_head_alone(test_digits):
    model = vae.build_vae(latent_dim=3, hidden=(16,), seed=0)
    logvar_before = [w.copy() for w in vae.encoder_of(model).get_layer("logvar").get_weights()]
    mu_before = vae.encoder_of(model).get_layer("mu").get_weights()[0].copy()
    vae.train_vae(model, test_digits[:128], steps=20, autoencoder=True, seed=0)
    for a, b in zip(logvar_before, vae.encoder_of(model).get_layer("logvar").get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(mu_before, vae.encoder_of(model).get_layer("mu").get_weights()[0])


def test_validation_history_is_recorded(test_digits):
    model = vae.build_vae(latent_dim=2, hidden=(8,), seed=0)
    history = vae.train_vae(model, test_digits[:100], steps=10, validation=test_digits[100:150], validate_every=5)
    assert history["val_step"] == [5, 10] and len(history["val_elbo"]) == 2 and history["seconds"] > 0


def test_iwae_bound_tightens_with_k_and_k1_is_the_elbo(test_digits):
    model = vae.build_vae(latent_dim=4, hidden=(32,), seed=0)
    vae.train_vae(model, test_digits[:200], steps=100, seed=0)
    x = test_digits[200:300]
    elbo = vae.elbo(model, x, n_samples=50, seed=1)["elbo"]
    one = vae.iwae_bound(model, x, k=1, seed=2)
    assert one.shape == (100,) and abs(one.mean() - elbo) < 4 * one.std(ddof=1) / 10
    bounds = [vae.iwae_bound(model, x, k=k, seed=3).mean() for k in (1, 10, 200)]
    assert bounds[0] < bounds[1] < bounds[2] < 0


def test_baselines_and_units():
    (train, _), (test, _) = data.digits("train"), data.digits("test")
    assert vae.uniform_nats() == pytest.approx(64 * math.log(17))
    histogram = vae.pixel_histogram_nats(train, test)
    assert -vae.uniform_nats() < histogram < 0
    assert vae.bits_per_dim(-64 * math.log(2)) == pytest.approx(-1.0)


def test_decode_sample_and_active_units(test_digits):
    model = vae.build_vae(latent_dim=3, hidden=(8,), seed=0)
    means = vae.sample(model, 5, seed=1)
    draws = vae.sample(model, 5, seed=1, mean=False)
    assert means.shape == draws.shape == (5, 8, 8) and 0 <= means.min() and means.max() <= 1
    np.testing.assert_array_equal(vae.to_levels(draws) / 16, draws)
    np.testing.assert_array_equal(vae.sample(model, 5, seed=1), means)  # same seed, same images
    count, variances = vae.active_units(model, test_digits)
    assert variances.shape == (3,) and count == int(np.sum(variances > 0.01))
    assert vae.kl_per_dimension(model, test_digits).shape == (3,)
    assert vae.gaussian_fit_codes(model, test_digits, 7).shape == (7, 3)


# --- input validation ------------------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 16), st.floats(min_value=0.05, max_value=0.95), st.booleans())
def test_values_off_the_17_level_grid_are_rejected(level, offset, off_grid):
    images = np.zeros((2, 8, 8), np.float32)
    images[0, 3, 3] = min(level + offset, 16) / 16 if off_grid and level < 16 else level / 16
    if off_grid and level < 16:
        with pytest.raises(ValueError, match="images must lie on the 17 grey levels"):
            vae.to_levels(images)
    else:
        assert vae.to_levels(images)[0, 3, 3] == level


def test_bad_inputs_name_the_argument():
    model = vae.build_vae(latent_dim=2, hidden=(4,), seed=0)
    with pytest.raises(ValueError, match=r"images must have shape \(N, 8, 8\)"):
        vae.elbo(model, np.zeros((3, 64), np.float32))
    with pytest.raises(TypeError, match="divide sklearn's 0-16"):
        vae.elbo(model, np.zeros((3, 8, 8), np.int64))
    with pytest.raises(ValueError, match=r"values must be finite and in \[0, 1\]"):
        vae.elbo(model, np.full((3, 8, 8), 2.0, np.float32))
    with pytest.raises(ValueError, match="beta must be in"):
        vae.elbo(model, np.zeros((3, 8, 8), np.float32), beta=-1.0)
    with pytest.raises(ValueError, match=r"z must have shape \(N, 2\)"):
        vae.decode(model, np.zeros((3, 5)))
    with pytest.raises(ValueError, match="likelihood must be one of"):
        vae.build_vae(likelihood="bernoulli")
    with pytest.raises(ValueError, match="name must be one of"):
        vae.load_vae("vae-7d")
    with pytest.raises(ValueError, match="2-D latent space"):
        vae_viz.latent_map_view(vae.build_vae(latent_dim=3, hidden=(4,)), np.zeros((2, 8, 8), np.float32), [0, 1])


# --- views and widgets -----------------------------------------------------------------------------------------------


def test_views_draw_figures_and_widgets_are_wired(test_digits):
    import matplotlib.pyplot as plt

    labels = data.digits("test")[1]
    flat = vae.build_vae(latent_dim=2, hidden=(8,), seed=0)
    fig = vae_viz.latent_map_view(flat, test_digits[:50], labels[:50], 1.0, -0.5)
    assert len(fig.axes) >= 3 and "(1.00, -0.50)" in fig.axes[1].get_title()
    box = vae_viz.latent_explorer(flat, test_digits[:50], labels[:50])
    assert box.last_settings == {"z1": 0.0, "z2": 0.0}
    box.children[0].children[0].value = 1.5
    assert box.last_settings["z1"] == 1.5
    models = {0.5: vae.build_vae(3, (8,), seed=0), 2.0: vae.build_vae(3, (8,), seed=1)}
    fig = vae_viz.beta_view(models, test_digits[:40], 2.0, n=4)
    assert "β = 2" in fig._suptitle.get_text() and "active units" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="beta must be one of the trained values"):
        vae_viz.beta_view(models, test_digits[:40], 1.0)
    table = vae.beta_table(models, test_digits[:40])
    assert set(table) == {0.5, 2.0} and table[2.0]["kl_per_dim"].shape == (3,)
    assert table[2.0]["elbo"] == pytest.approx(table[2.0]["reconstruction"] - table[2.0]["kl"])
    fig = vae_viz.beta_view(models, test_digits[:40], 2.0, n=4, table=table)
    assert f"ELBO {table[2.0]['elbo']:.1f}" in fig._suptitle.get_text()
    assert vae_viz.beta_explorer(models, test_digits[:40], table).last_settings == {"beta": 0.5}
    fig = vae_viz.interpolation_view(models[0.5], test_digits[0], test_digits[1], n_steps=5)
    assert len([ax for ax in fig.axes if ax.images]) == 10
    plt.close("all")


def test_latent_map_decodes_point_and_grid_in_one_call(test_digits, monkeypatch):
    import matplotlib.pyplot as plt

    model = vae.build_vae(latent_dim=2, hidden=(8,), seed=0)
    calls = []
    real_decode = vae.decode
    monkeypatch.setattr(vae_viz, "decode", lambda m, z, **kw: calls.append(len(z)) or real_decode(m, z, **kw))
    vae_viz.latent_map_view(model, test_digits[:20], np.arange(20) % 10, n_grid=6)
    assert calls == [1 + 36]
    plt.close("all")


def test_score_samples_uses_the_course_classifier(test_digits):
    real = vae.score_samples(test_digits[:200], test_digits[200:400], n_subsets=5, subset_size=100)
    blank = vae.score_samples(np.zeros((200, 8, 8), np.float32), test_digits[200:400], n_subsets=5, subset_size=100)
    assert real["classes_present"] == 10 and real["confident_share"] > 0.8
    assert blank["classes_present"] <= 1 and blank["kid"] > 10 * abs(real["kid"])
    assert set(real) == {"confident_share", "classes_present", "class_shares", "kid", "kid_std", "fid", "precision",
                         "recall", "density", "coverage"}
    assert blank["recall"] < real["recall"]  # one blank image everywhere covers none of the real digits


@pytest.mark.parametrize("exercise_id", ["02.kl", "02.reparam", "02.loglik", "02.beta"])
def test_lesson_exercises_accept_the_solution_and_reject_the_wrong_answer(exercise_id, capsys):
    from course_lib import exercises

    ex = exercises.get(exercise_id)
    exercises.check(exercise_id, ex.solution)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(AssertionError):
        exercises.check(exercise_id, ex.wrong)
    capsys.readouterr()
    assert exercises.check(exercise_id, ...) is ex.solution  # a stub: not attempted yet, the lesson goes on
    assert "not attempted yet" in capsys.readouterr().out


# --- shipped checkpoints -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(vae.SHIPPED))
def test_shipped_models_load_and_reproduce_their_manifest_numbers(name):
    from course_lib.checkpoints import manifest

    entry = manifest().get(name)
    if entry is None:
        pytest.fail(f"checkpoint {name} is not shipped yet: run python -m course_lib pretrain {name}")
    assert entry["bytes"] < 2_000_000
    model = vae.load_vae(name)
    spec = vae.SHIPPED[name]
    test = vae._datasets(spec["data"])[1]
    quality = entry["quality"]
    assert vae.reconstruction_at_mean(model, test) == pytest.approx(quality["test_reconstruction_at_mu"], abs=0.01)
    if not spec.get("autoencoder"):
        assert vae.elbo(model, test, n_samples=10)["elbo"] == pytest.approx(quality["test_elbo"], abs=0.01)
        assert quality["test_iwae_1000"] >= quality["test_elbo"]
        assert quality["test_elbo"] > -vae.uniform_nats()
