r"""Differentiable augmentation for GANs trained on few images: DiffAugment (Zhao, Liu, Lin, Zhu & Han, NeurIPS 2020).

With 100 training images the discriminator memorises them within a few hundred steps; its verdicts then carry no
signal for the generator and the samples degrade. DiffAugment shows the discriminator **augmented** images — real
and generated alike, with the same kinds of transform drawn independently for each image — and keeps every
transform differentiable, so the generator's gradient flows back through the augmentation:

.. math:: L_D = \mathbb E_x[f(-D(T(x)))] + \mathbb E_z[f(D(T(G(z))))], \qquad L_G = \mathbb E_z[f(-D(T(G(z))))]

(:math:`f = \mathrm{softplus}` for the non-saturating loss, :math:`T` a random transform). Augmenting only the real
images would teach G to produce augmented-looking images ("leaking"); augmenting both keeps the target the same.

The three transforms of the paper's ``"color,translation,cutout"`` policy, for ``(N, H, W, C)`` batches in [0, 1]:

- :func:`translation`: shift by up to ``ratio`` of the size (8×8: ±1 pixel), zero padding;
- :func:`cutout`: zero a random square of ``ratio`` of the size (8×8: 4×4), which may overhang the border;
- :func:`brightness`: add one uniform value in [-``amount``, ``amount``] per image (the paper's ±0.5 on the
  [-1, 1] scale is ±0.25 on ours). No clipping: a clip would cut the gradient.

:func:`diff_augment` chains them; ``gan.train_gan(..., augment=diff_augment)`` applies it to real and fake batches.
"""

from __future__ import annotations

import tensorflow as tf

from .validate import check_range

__all__ = ["POLICY", "translation", "cutout", "brightness", "diff_augment"]

#: The transforms :func:`diff_augment` applies, in order.
POLICY = ("brightness", "translation", "cutout")


def _as_images(x):
    x = tf.convert_to_tensor(x, tf.float32)
    if x.shape.rank != 4:
        raise ValueError(f"x must be a batch of shape (N, H, W, C); got shape {tuple(x.shape)}")
    return x


def translation(x, ratio: float = 0.125):
    """Shift every image by its own random (dy, dx), each in [-s, s] with s = round(``ratio`` · size); the pixels
    shifted in are 0. Differentiable in ``x`` (a gather from the zero-padded batch).

    Parameters
    ----------
    x : array or tensor, shape (N, H, W, C), float
        A batch of images (values in [0, 1] for the course's images; any finite value works).
    ratio : float
        Largest shift as a share of the height and width (default 1/8: ±1 pixel on 8×8 images).

    Returns
    -------
    tf.Tensor
        The shifted batch, same shape, float32.
    """
    x = _as_images(x)
    ratio = check_range(ratio, "ratio", 0, 1)
    n, h, w = tf.shape(x)[0], x.shape[1], x.shape[2]
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    if sh == 0 and sw == 0:
        return x
    dy = tf.random.uniform([n, 1, 1], -sh, sh + 1, dtype=tf.int32)
    dx = tf.random.uniform([n, 1, 1], -sw, sw + 1, dtype=tf.int32)
    rows, cols = tf.meshgrid(tf.range(h), tf.range(w), indexing="ij")
    rows = tf.clip_by_value(rows[None] + dy + sh, 0, h + 2 * sh - 1)  # index into the padded image
    cols = tf.clip_by_value(cols[None] + dx + sw, 0, w + 2 * sw - 1)
    padded = tf.pad(x, [[0, 0], [sh, sh], [sw, sw], [0, 0]])
    return tf.gather_nd(padded, tf.stack([rows, cols], axis=-1), batch_dims=1)


def cutout(x, ratio: float = 0.5):
    """Multiply every image by a mask that is 0 on its own random square of side round(``ratio`` · size), centred
    anywhere in the image (so it may overhang the border), 1 elsewhere. Differentiable in ``x``.

    Parameters
    ----------
    x : array or tensor, shape (N, H, W, C), float
        A batch of images.
    ratio : float
        Side of the square as a share of the image size (default 1/2: 4×4 on 8×8 images).

    Returns
    -------
    tf.Tensor
        The masked batch, same shape, float32.
    """
    x = _as_images(x)
    ratio = check_range(ratio, "ratio", 0, 1)
    n, h, w = tf.shape(x)[0], x.shape[1], x.shape[2]
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    if ch == 0 or cw == 0:
        return x
    cy = tf.random.uniform([n, 1, 1], 0, h, dtype=tf.int32)
    cx = tf.random.uniform([n, 1, 1], 0, w, dtype=tf.int32)
    rows, cols = tf.meshgrid(tf.range(h), tf.range(w), indexing="ij")
    top, left = cy - ch // 2, cx - cw // 2
    inside = (rows[None] >= top) & (rows[None] < top + ch) & (cols[None] >= left) & (cols[None] < left + cw)
    return x * tf.cast(~inside, x.dtype)[..., None]


def brightness(x, amount: float = 0.25):
    """Add one random value in [-``amount``, ``amount``] to every pixel of an image, a new value per image.

    Parameters
    ----------
    x : array or tensor, shape (N, H, W, C), float
        A batch of images.
    amount : float
        Largest brightness change, on the [0, 1] image scale (default 0.25).

    Returns
    -------
    tf.Tensor
        The brightened or darkened batch, same shape, float32 (not clipped, so the gradient flows).
    """
    x = _as_images(x)
    amount = check_range(amount, "amount", 0, 1)
    return x + tf.random.uniform([tf.shape(x)[0], 1, 1, 1], -amount, amount)


_TRANSFORMS = {"brightness": brightness, "translation": translation, "cutout": cutout}


def diff_augment(x, policy: tuple[str, ...] = POLICY):
    """Apply the transforms of ``policy`` (names of :data:`POLICY`) in order, with fresh randomness per image and
    per call: call it once on the real batch and once on the fake batch (``gan.make_train_step`` does).

    Parameters
    ----------
    x : array or tensor, shape (N, H, W, C), float
        A batch of images (real or generated).
    policy : tuple of str
        Transforms to apply, in order, among ``"brightness"``, ``"translation"``, ``"cutout"``.

    Returns
    -------
    tf.Tensor
        The augmented batch, same shape, float32, differentiable in ``x``.

    Raises
    ------
    ValueError
        If ``policy`` names an unknown transform.
    """
    for name in policy:
        if name not in _TRANSFORMS:
            raise ValueError(f"policy must name transforms among {tuple(_TRANSFORMS)}; got {name!r}")
        x = _TRANSFORMS[name](x)
    return x
