"""course_lib.gan: losses against hand computations, the train step, the loop, the toy ring, checkpoints, views."""

import json

import matplotlib
import numpy as np
import pytest

from course_lib import checkpoints, data, gan, gan_viz

matplotlib.use("Agg")

REAL = np.array([2.0, -1.0, 0.5])  # discriminator logits on real images
FAKE = np.array([-3.0, 0.0, 1.5])  # ... and on generated images


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_minimax_discriminator_loss_by_hand():
    expected = -np.mean(np.log(sigmoid(REAL))) - np.mean(np.log(1 - sigmoid(FAKE)))
    assert float(gan.d_loss_bce(REAL, FAKE)) == pytest.approx(expected, rel=1e-6)


def test_generator_losses_by_hand():
    d_fake = sigmoid(FAKE)
    assert float(gan.g_loss_minimax(FAKE)) == pytest.approx(np.mean(np.log(1 - d_fake)), rel=1e-6)
    assert float(gan.g_loss_nonsaturating(FAKE)) == pytest.approx(-np.mean(np.log(d_fake)), rel=1e-6)
    assert float(gan.g_loss_hinge(FAKE)) == pytest.approx(-np.mean(FAKE))
    assert float(gan.g_loss_article(FAKE)) == pytest.approx(np.mean(d_fake), rel=1e-6)


def test_hinge_and_article_discriminator_losses_by_hand():
    expected = np.mean(np.maximum(0, 1 - REAL)) + np.mean(np.maximum(0, 1 + FAKE))
    assert float(gan.d_loss_hinge(REAL, FAKE)) == pytest.approx(expected)
    assert float(gan.d_loss_article(REAL, FAKE)) == pytest.approx(-np.mean(sigmoid(REAL)), rel=1e-6)
    assert float(gan.d_loss_article(REAL, FAKE + 5)) == float(gan.d_loss_article(REAL, FAKE))  # never sees fakes


def test_losses_are_stable_for_extreme_logits():
    big = np.array([80.0, -80.0])
    for value in (gan.d_loss_bce(big, -big), gan.g_loss_minimax(big), gan.g_loss_nonsaturating(-big)):
        assert np.isfinite(float(value))
    assert float(gan.g_loss_nonsaturating(np.array([-80.0]))) == pytest.approx(80.0)


def test_minimax_generator_loss_saturates_and_the_non_saturating_one_does_not():
    d = np.array([0.001, 0.01, 0.5, 0.99])
    minimax, ns = gan.logit_gradient(gan.g_loss_minimax, d), gan.logit_gradient(gan.g_loss_nonsaturating, d)
    np.testing.assert_allclose(minimax, -d, rtol=1e-5)  # d/dl log(1 - sigmoid(l)) = -sigmoid(l)
    np.testing.assert_allclose(ns, -(1 - d), rtol=1e-5)  # d/dl -log sigmoid(l) = -(1 - sigmoid(l))
    assert abs(minimax[0]) < 0.01 < 0.9 < abs(ns[0])
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        gan.logit_gradient(gan.g_loss_minimax, [0.0, 0.5])


def test_models_have_the_documented_shapes_ranges_and_layer_names():
    generator, discriminator = gan.build_generator(width=4), gan.build_discriminator(width=4)
    images = gan.sample(generator, 5, seed=1)
    assert images.shape == (5, 8, 8) and images.min() >= 0 and images.max() <= 1
    assert discriminator(images[..., None]).shape == (5, 1)
    names = {layer.name for layer in generator.layers + discriminator.layers}
    assert {"g_dense", "g_up1", "g_up2", "g_out", "d_conv1", "d_conv2", "d_logit"} <= names
    np.testing.assert_array_equal(gan.sample(generator, 5, seed=1), images)  # same seed, same samples


def _tiny_pair(seed=0):
    return gan.build_generator(width=4, seed=seed), gan.build_discriminator(width=8, seed=seed + 1)


def test_one_train_step_lowers_the_discriminator_loss_on_a_fixed_batch():
    generator, discriminator = _tiny_pair()
    real = data.glyphs(64, seed=3)[0][..., None]
    z = gan.latent(64, seed=4)
    fake = generator(z, training=False)  # frozen copy of the fakes D is trained against

    def d_loss():
        return float(gan.d_loss_bce(discriminator(real), discriminator(fake)))

    before = d_loss()
    gan.make_train_step(generator, discriminator, d_lr=1e-2, g_lr=1e-12)(real, z)
    assert d_loss() < before - 1e-3


def test_train_step_moves_the_generator_towards_real_through_the_discriminator():
    generator, discriminator = _tiny_pair(1)
    real = data.glyphs(64, seed=3)[0][..., None]
    z = gan.latent(64, seed=4)
    step = gan.make_train_step(generator, discriminator, d_lr=1e-12, g_lr=1e-2)
    before = float(gan.g_loss_nonsaturating(discriminator(generator(z, training=True))))
    step(real, z)
    assert float(gan.g_loss_nonsaturating(discriminator(generator(z, training=True)))) < before


def test_frozen_layers_stay_fixed_for_freezed():
    generator, discriminator = _tiny_pair()
    discriminator.get_layer("d_conv1").trainable = False
    frozen = [w.copy() for w in discriminator.get_layer("d_conv1").get_weights()]
    upper = [w.copy() for w in discriminator.get_layer("d_conv2").get_weights()]
    step = gan.make_train_step(generator, discriminator, d_lr=1e-2)
    step(data.glyphs(32, seed=3)[0][..., None], gan.latent(32, seed=4))
    for a, b in zip(frozen, discriminator.get_layer("d_conv1").get_weights()):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(upper, discriminator.get_layer("d_conv2").get_weights()))


def test_augment_is_applied_to_real_and_fake_images():
    """An augmentation that blanks every image leaves D nothing to tell apart: real and fake logits coincide."""
    generator, discriminator = _tiny_pair()
    blank = np.zeros((1, 8, 8, 1), np.float32)
    logit = discriminator(blank)  # D's logit on a blank image, before the update
    expected = float(gan.d_loss_bce(logit, logit))  # = softplus(-l) + softplus(l): real and fake look the same
    step = gan.make_train_step(generator, discriminator, augment=lambda images: 0.0 * images)
    logs = step(data.glyphs(16, seed=3)[0][..., None], gan.latent(16, seed=1))
    assert float(logs["d_loss"]) == pytest.approx(expected, rel=1e-5)
    plain = gan.make_train_step(*_tiny_pair(), augment=None)(data.glyphs(16, seed=3)[0][..., None],
                                                               gan.latent(16, seed=1))
    assert abs(float(plain["d_loss"]) - expected) > 1e-3  # without the augmentation D does see a difference


def test_train_gan_history_snapshots_saves_and_ctrl_c(tmp_path, capsys):
    generator, discriminator = _tiny_pair()
    calls = []

    def on_snapshot(step, images):
        calls.append((step, images.shape))
        if step == 6:
            raise KeyboardInterrupt

    images = data.glyphs(128, seed=5)[0]
    history = gan.train_gan(generator, discriminator, images, steps=10, batch_size=16, snapshot_every=2,
                            on_snapshot=on_snapshot, save_every=4, save_dir=tmp_path)
    assert calls == [(2, (36, 8, 8)), (4, (36, 8, 8)), (6, (36, 8, 8))]
    assert history["snapshots"]["step"] == [2, 4, 6] and history["interrupted_at"] == [5]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["discriminator.weights.h5", "generator.weights.h5"]
    restored = gan.build_generator(width=4, seed=9)
    restored.load_weights(tmp_path / "generator.weights.h5")  # the save of step 4 is complete and loads
    assert "Interrupted after 5 of 10 steps" in capsys.readouterr().out


def test_input_validation_names_the_argument():
    generator, discriminator = _tiny_pair()
    with pytest.raises(ValueError, match="loss must be one of"):
        gan.make_train_step(generator, discriminator, loss="wasserstein")
    with pytest.raises(ValueError, match="g_lr"):
        gan.make_train_step(generator, discriminator, g_lr=-1.0)
    with pytest.raises(ValueError, match="data must be"):
        gan.train_gan(generator, discriminator, np.zeros((10, 8)), steps=1)
    with pytest.raises(ValueError, match="points must have shape"):
        gan.modes_covered(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="same size"):
        gan.nearest_neighbours(np.zeros((2, 8, 8)), np.zeros((3, 4, 4)))


def test_ring_data_and_mode_counting():
    points = gan.ring_data(4000, seed=0)
    full = gan.modes_covered(points)
    assert full["modes"] == 8 and full["high_quality"] > 0.98
    centres = gan.ring_centres()
    three = centres[np.arange(3000) % 3] + 0.01
    assert gan.modes_covered(three)["modes"] == 3
    assert gan.modes_covered(np.zeros((100, 2)))["modes"] == 0  # the centre of the ring is far from every mode


def test_toy_gan_learns_the_ring_beyond_its_initial_state():
    before = gan.modes_covered(gan.sample(gan.build_toy_generator(seed=0), 2000, seed=1))
    result = gan.train_toy_gan(steps=1500, seed=0)
    assert result["coverage"]["high_quality"] > before["high_quality"] + 0.2
    assert result["coverage"]["modes"] > before["modes"]


def test_nearest_neighbours_by_brute_force():
    pool = np.random.default_rng(0).random((50, 8, 8)).astype(np.float32)
    queries = np.concatenate([pool[[7, 3]], 1 - pool[:1]])
    index, distance = gan.nearest_neighbours(queries, pool)
    brute = np.linalg.norm(queries.reshape(3, 1, 64) - pool.reshape(1, 50, 64), axis=2)
    np.testing.assert_array_equal(index, brute.argmin(1))
    np.testing.assert_allclose(distance, brute.min(1), atol=1e-3)
    assert index[:2].tolist() == [7, 3] and distance[0] == pytest.approx(0.0, abs=1e-3)


def test_evaluate_samples_on_real_glyphs_and_on_noise():
    reference = data.glyphs(gan.HELDOUT_N, seed=gan.HELDOUT_SEED)[0][:1000]
    real = gan.evaluate_samples(data.glyphs(1000, seed=data.GLYPHS_OTHER_SEED)[0], reference)
    assert real["confident_share"] > 0.95 and real["classes_present"] == 10
    assert abs(real["kid"]) < 3 * real["kid_std"]
    noise = gan.evaluate_samples(np.random.default_rng(0).random((1000, 8, 8)).astype(np.float32), reference)
    assert noise["kid"] > 10 * real["kid_std"] and noise["fid"] > 10 * real["fid"]


def test_shipped_gan_loads_and_matches_its_manifest():
    entry = checkpoints.manifest()["gan-glyphs-generator"]
    generator, discriminator = gan.load_gan_glyphs()
    quality = entry["quality"]
    reference = data.glyphs(gan.HELDOUT_N, seed=gan.HELDOUT_SEED)[0]
    scores = gan.evaluate_samples(gan.sample(generator, gan.HELDOUT_N, seed=1), reference)
    assert scores["confident_share"] == pytest.approx(quality["confident_share"], abs=0.005)
    assert scores["confident_share"] >= 0.9 and scores["class_shares"].min() >= 0.05  # the targets
    assert discriminator.get_layer("d_conv1").trainable
    for name in ("gan-glyphs-generator", "gan-glyphs-discriminator", "gan-glyphs-snapshots", "digit-classifier"):
        assert checkpoints.manifest()[name]["bytes"] < 1e6, name


def test_snapshots_ship_and_views_draw_without_a_browser():
    snapshots = gan.load_snapshots()
    n = len(snapshots["step"])
    assert snapshots["images"].shape == (n, 36, 8, 8) and n >= 5
    assert snapshots["kid"][-1] < snapshots["kid"][0]  # the shipped run improved over training
    fig = gan_viz.snapshot_view(snapshots, 0)
    texts = [text.get_text() for text in fig.findobj(matplotlib.text.Text)]
    assert any(f"step {snapshots['step'][0]}:" in text for text in texts), texts
    box = gan_viz.snapshot_explorer(snapshots)
    box.children[0].children[0].value = 1
    assert box.last_settings == {"index": 1}
    assert box.children[0].children[0].label == f"{snapshots['step'][1]:,}"  # the slider shows the step
    generator, _ = gan.load_gan_glyphs()
    assert "seed 3" in gan_viz.latent_view(generator, 3, 4)._suptitle.get_text()
    latent_box = gan_viz.latent_explorer(generator)
    latent_box.children[0].children[1].value = 7
    assert latent_box.last_settings == {"seed_a": 0, "seed_b": 7}
    assert "modes" in gan_viz.toy_view({"real": gan.ring_data(500)}).axes[0].get_title()
    assert len(gan_viz.samples_view(gan.sample(generator, 12), n=12).axes) == 12
    json.dumps(checkpoints.manifest())  # the manifest stays valid JSON after our writes


def test_minimax_signal_vanishes_when_the_discriminator_wins():
    """Train D alone on a fixed G: D(G(z)) falls, and the minimax gradient falls far below the non-saturating one."""
    generator, discriminator = _tiny_pair(2)
    z = gan.latent(256, seed=5)
    images = data.glyphs(256, seed=6)[0]
    gan.train_gan(generator, discriminator, images, steps=60, batch_size=64, g_lr=1e-12, d_lr=1e-2, lr_decay=0)
    d_fake = gan.mean_d(discriminator, gan.sample(generator, z=z))
    minimax = gan.generator_gradient_norm(generator, discriminator, gan.g_loss_minimax, z)
    nonsat = gan.generator_gradient_norm(generator, discriminator, gan.g_loss_nonsaturating, z)
    assert d_fake < 0.1 and gan.mean_d(discriminator, images) > 0.9
    assert minimax < 0.2 * nonsat


def test_snapshot_store_round_trip(tmp_path):
    arrays = {"step": np.array([5.0, 10.0]), "images": np.random.default_rng(0).random((2, 36, 8, 8)),
              "kid": np.array([3.0, 1.0]), "confident_share": np.array([0.2, 0.9])}
    store = gan.SnapshotStore(gan._snapshot_shapes(2)).assign(arrays)
    store.save_weights(tmp_path / "s.weights.h5")
    loaded = gan.SnapshotStore(gan._snapshot_shapes(2))
    loaded.load_weights(tmp_path / "s.weights.h5")
    for key, value in loaded.numpy().items():
        np.testing.assert_allclose(value, arrays[key], rtol=1e-6)


@pytest.mark.parametrize("exercise_id", ["01.nonsat", "01.dstar", "01.kid", "01.diagnose", "01.trainstep"])
def test_lesson_exercises_accept_the_solution_and_reject_the_wrong_answer(exercise_id, capsys):
    from course_lib import exercises

    ex = exercises.get(exercise_id)
    exercises.check(exercise_id, ex.solution)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="Hint|hint"):
        exercises.check(exercise_id, ex.wrong)


def test_nonsat_check_fails_on_the_naive_form_at_large_logits_and_on_the_saturating_loss():
    """The naive -log(sigmoid(l)) is finite at ±30 in float64; the check must reach logits where it overflows."""
    from course_lib import exercises
    from course_lib.exercises.l01_gan import _nonsat_saturating, _nonsat_wrong

    with np.errstate(over="ignore", divide="ignore"):
        assert np.isfinite(_nonsat_wrong(np.array([-30.0, 30.0])))      # why ±30 could not catch it
        assert not np.isfinite(_nonsat_wrong(np.array([-800.0, 800.0])))
    for wrong in (_nonsat_wrong, _nonsat_saturating):
        with pytest.raises(AssertionError, match="Hint|hint"):
            exercises.check("01.nonsat", wrong)


def test_weight_averaging_keeps_the_average_in_the_generator():
    """ema = 1 never moves the average, so the generator ends with its initial weights; ema = 0 keeps the last."""
    images = data.glyphs(64, seed=5)[0]
    generator, discriminator = _tiny_pair(3)
    initial = [w.copy() for w in generator.get_weights()]
    gan.train_gan(generator, discriminator, images, steps=4, batch_size=16, ema=1.0, snapshot_every=2)
    for a, b in zip(initial, generator.get_weights()):
        np.testing.assert_array_equal(a, b)
    gan.train_gan(generator, discriminator, images, steps=4, batch_size=16, ema=0.0)
    assert any(not np.array_equal(a, b) for a, b in zip(initial, generator.get_weights()))


@pytest.mark.parametrize("scale, dtype, error, hint", [
    (16.0, np.float32, ValueError, "by 16"),             # raw sklearn digits (0..16)
    (255.0, np.float32, ValueError, "divide by 255"),    # 8-bit values
    (16, np.int64, TypeError, "divide by 16"),           # integer counts
    (255, np.uint8, TypeError, "as_float"),              # 8-bit images
])
def test_train_gan_rejects_data_on_the_wrong_scale(scale, dtype, error, hint):
    """On the wrong scale D tells real from fake by their range alone (loss ~0.001): refuse, and say why."""
    generator, discriminator = _tiny_pair()
    images = (data.digits("train")[0][:32] * scale).astype(dtype)
    before = [w.copy() for w in generator.get_weights()]
    with pytest.raises(error, match=hint):
        gan.train_gan(generator, discriminator, images, steps=1)
    for a, b in zip(before, generator.get_weights()):
        np.testing.assert_array_equal(a, b)  # rejected before any update
    with pytest.raises(ValueError, match=r"\(x \+ 1\) / 2"):
        gan.train_gan(generator, discriminator, data.digits("train")[0][:32] * 2 - 1, steps=1)
    with pytest.raises(ValueError, match="by 16"):
        gan.train_gan(generator, discriminator, np.full((2, 8, 8), 16.0, np.float32), steps=1)


def test_train_gan_still_takes_points_of_any_range():
    generator, discriminator = gan.build_toy_generator(seed=0), gan.build_toy_discriminator(seed=1)
    points = gan.ring_data(64, radius=2.0)  # the toy GAN's 2-D points lie in [-2.1, 2.1]
    history = gan.train_gan(generator, discriminator, points, steps=2, batch_size=8)
    assert points.min() < -1 and history["completed"] == [2]
