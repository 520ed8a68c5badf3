"""course_lib.diffaugment: shapes, what each transform does, independence per image, gradients flow."""

import numpy as np
import pytest
import tensorflow as tf

from course_lib import diffaugment


def batch(n=64, seed=0):
    return np.random.default_rng(seed).random((n, 8, 8, 1)).astype(np.float32)


@pytest.mark.parametrize("name", ["translation", "cutout", "brightness", "diff_augment"])
def test_every_transform_keeps_the_shape_and_lets_gradients_flow(name):
    fn = getattr(diffaugment, name)
    x = tf.Variable(batch())
    with tf.GradientTape() as tape:
        y = fn(x)
        loss = tf.reduce_sum(y * tf.random.normal(y.shape, seed=1))
    assert y.shape == x.shape
    grad = tape.gradient(loss, x)
    assert grad is not None and float(tf.reduce_sum(tf.abs(grad))) > 0


def test_translation_shifts_by_at_most_one_pixel_on_8x8_and_fills_zeros():
    x = np.zeros((200, 8, 8, 1), np.float32)
    x[:, 3, 4, 0] = 1.0  # one bright pixel
    y = np.asarray(diffaugment.translation(x))
    rows, cols = np.nonzero(y[..., 0].reshape(200, -1))[1] // 8, np.nonzero(y[..., 0].reshape(200, -1))[1] % 8
    assert y.sum(axis=(1, 2, 3)).tolist() == [1.0] * 200  # moved, never duplicated or lost (not at the border)
    assert set(np.abs(rows - 3)) <= {0, 1} and set(np.abs(cols - 4)) <= {0, 1}
    assert len(set(zip(rows - 3, cols - 4))) == 9  # all nine shifts occur, each image its own
    edge = np.asarray(diffaugment.translation(np.ones((200, 8, 8, 1), np.float32)))
    assert edge.min() == 0.0 and edge.max() == 1.0  # zero padding comes in from the side


def test_cutout_zeroes_a_square_of_at_most_4x4_and_keeps_the_rest():
    x = np.ones((300, 8, 8, 1), np.float32)
    y = np.asarray(diffaugment.cutout(x))[..., 0]
    zeros = (y == 0).sum(axis=(1, 2))
    assert zeros.max() == 16 and zeros.min() >= 4  # 4x4 inside, at least 2x2 when it overhangs a corner
    assert set(np.unique(y)) == {0.0, 1.0}
    assert len({tuple(np.argwhere(im == 0)[0]) for im in y}) > 10  # positions differ between images


def test_brightness_adds_one_value_per_image_within_the_amount():
    x = batch(500)
    shift = np.asarray(diffaugment.brightness(x)) - x
    per_image = shift.reshape(500, -1)
    np.testing.assert_allclose(per_image, per_image[:, :1].repeat(64, axis=1), atol=1e-6)
    assert np.abs(per_image).max() <= 0.25 + 1e-6 and per_image[:, 0].std() > 0.1


def test_real_and_fake_batches_get_the_same_kinds_of_transform_with_independent_draws():
    x = batch(32)
    a, b = np.asarray(diffaugment.diff_augment(x)), np.asarray(diffaugment.diff_augment(x))
    assert not np.allclose(a, b)  # fresh randomness per call
    with pytest.raises(ValueError, match="policy"):
        diffaugment.diff_augment(x, policy=("rotate",))
    with pytest.raises(ValueError, match=r"\(N, H, W, C\)"):
        diffaugment.translation(np.zeros((8, 8), np.float32))


def test_gan_trains_with_diffaugment():
    from course_lib import data, gan

    generator, discriminator = gan.build_generator(seed=0), gan.build_discriminator(seed=1)
    before = [w.copy() for w in generator.get_weights()]
    history = gan.train_gan(generator, discriminator, data.digits("train")[0][:20], steps=2,
                            augment=diffaugment.diff_augment)
    assert np.isfinite(history["d_loss"]).all()
    assert any(not np.array_equal(a, b) for a, b in zip(before, generator.get_weights()))
