"""Exercises of lesson 04 (CNN repair): receptive field, the residual training step, where the CNN stops beating
BM3D."""

from __future__ import annotations

import numpy as np

from . import close, exercise

# --- 04.receptive: receptive field of stacked convolutions ---------------------------------------------------


def receptive_field(n_convs, kernel=3, downsample=1):
    """Receptive field in image pixels of ``n_convs`` stride-1 ``kernel×kernel`` convolutions on a coarser grid.

    The grid is ``downsample`` times coarser than the image; each layer adds ``kernel - 1`` grid cells.

    Parameters
    ----------
    n_convs : int
        Number of convolutions (≥ 0).
    kernel : int
        Kernel side (odd, ≥ 1).
    downsample : int
        How many image pixels one grid cell spans (≥ 1).

    Returns
    -------
    int
        Side of the receptive field in image pixels.
    """
    return downsample * (n_convs * (kernel - 1) + 1)


def _receptive_wrong(n_convs, kernel=3, downsample=1):
    return n_convs * kernel


@exercise("04.receptive", "receptive field of a conv stack", solution=receptive_field, wrong=_receptive_wrong)
def _check_receptive(fn) -> str:
    for args, expected in (((1, 3, 1), 3), ((17, 3, 1), 35), ((12, 3, 2), 50), ((4, 5, 1), 17)):
        close(fn(*args), expected, tol=0, what=f"receptive_field{args}",
              hint="one k×k layer sees k pixels; every further layer adds k-1; a grid s times coarser multiplies by s.")
    return "DnCNN's 17 layers see 35×35 pixels; the FFDNet-style 12 layers at half resolution see 50×50."


# --- 04.trainstep: the residual training step, written and run --------------------------------------------------


def residual_train_step(model, optimizer, noisy, sigma, clean):
    """One optimiser step of residual learning: ``model([noisy, sigma])`` predicts the *noise*.

    The estimate is ``noisy - predicted noise`` and the loss its MSE to the clean batch, i.e. the MSE of the
    predicted noise to the true noise ``noisy - clean`` (Zhang et al. 2017, eq. 1).

    Parameters
    ----------
    model : keras.Model
        A network with inputs ``[noisy, sigma]`` whose output is read as the predicted noise.
    optimizer : keras.optimizers.Optimizer
        The optimiser that applies the gradient (Adam in the lesson).
    noisy, clean : ndarray, shape (B, h, w, 1), float32
        A batch of noisy patches and their clean originals (0-1 scale).
    sigma : ndarray, shape (B, 1), float32
        Noise level of each patch (0-1 scale).

    Returns
    -------
    tf.Tensor
        The loss before the step (0-1 intensity units squared).
    """
    import tensorflow as tf

    with tf.GradientTape() as tape:
        predicted_noise = model([noisy, sigma], training=True)
        loss = tf.reduce_mean(tf.square(predicted_noise - (noisy - clean)))   # == mean((noisy - n̂ - clean)²)
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    return loss


def _trainstep_wrong(model, optimizer, noisy, sigma, clean):
    import tensorflow as tf

    with tf.GradientTape() as tape:  # treats the output as the clean image: not residual learning
        loss = tf.reduce_mean(tf.square(model([noisy, sigma], training=True) - clean))
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    return loss


def _noise_predictor(seed):
    import keras

    from ..restore import build_denoiser

    # residual=False: the network's output is used as it is — here, as the predicted noise
    return build_denoiser(depth=4, width=16, seed=seed, residual=False), keras.optimizers.Adam(1e-3)


def _denoised_psnr(model, noisy, sigma, clean):
    from ..metrics import psnr

    estimate = noisy - np.asarray(model([noisy, sigma], training=False))
    return float(np.mean([psnr(c[..., 0], e[..., 0]) for c, e in zip(clean, estimate)]))


@exercise("04.trainstep", "the residual training step", solution=residual_train_step, wrong=_trainstep_wrong)
def _check_trainstep(fn) -> str:
    from ..restore import make_batch, split_photos

    train_images, val_images = split_photos()
    (noisy, sigma), clean = make_batch("denoise", train_images, 8, 32, np.random.default_rng(0))
    ours, theirs = _noise_predictor(0), _noise_predictor(0)
    residual_train_step(*ours, noisy, sigma, clean)
    fn(*theirs, noisy, sigma, clean)
    worst = max(float(np.max(np.abs(a - b))) for a, b in zip(ours[0].get_weights(), theirs[0].get_weights()))
    if not (worst < 1e-5):
        raise AssertionError(
            f"after one step from the same weights and batch your model's weights differ from the reference by up to "
            f"{worst:.2e}. Hint: the network predicts the noise n̂ = model([noisy, sigma]); minimise "
            "mean((n̂ - (noisy - clean))²) — equivalently the MSE of noisy - n̂ to clean — with one tape and "
            "optimizer.apply_gradients.")
    (val_noisy, val_sigma), val_clean = make_batch("denoise", val_images, 16, 48, np.random.default_rng(1))
    model, optimizer = _noise_predictor(1)
    before = _denoised_psnr(model, val_noisy, val_sigma, val_clean)
    rng = np.random.default_rng(2)
    for _ in range(50):
        (noisy, sigma), clean = make_batch("denoise", train_images, 16, 32, rng)
        fn(model, optimizer, noisy, sigma, clean)
    after = _denoised_psnr(model, val_noisy, val_sigma, val_clean)
    if not (after > before + 0.5):
        raise AssertionError(
            f"50 of your steps moved the validation PSNR of noisy - n̂ from {before:.2f} to "
            f"{after:.2f} dB: the network is not learning the noise.")
    return (f"50 steps of your residual step raised the validation PSNR from {before:.2f} dB (the noisy input: a "
            f"fresh network predicts n̂ = 0) to {after:.2f} dB.")


# --- 04.crossover: the first σ at which the CNN no longer beats BM3D -----------------------------------------


def first_sigma_not_won(table):
    """Smallest σ in ``table = {sigma: (cnn_psnr, bm3d_psnr)}`` where the CNN is not better; ``None`` if none.

    Parameters
    ----------
    table : dict of float to (float, float)
        PSNRs in dB of the CNN and of BM3D per noise level σ.

    Returns
    -------
    float or None
    """
    lost = [sigma for sigma, (cnn, bm3d) in table.items() if cnn <= bm3d]
    return min(lost) if lost else None


def _crossover_wrong(table):
    return max(table, key=lambda sigma: table[sigma][1] - table[sigma][0])


@exercise("04.crossover", "where the CNN stops beating BM3D", solution=first_sigma_not_won, wrong=_crossover_wrong)
def _check_crossover(fn) -> str:
    cases = (
        ({15: (31.0, 30.5), 25: (28.6, 28.5), 50: (25.0, 25.3), 75: (20.0, 23.0)}, 50),
        ({50: (24.0, 25.0), 15: (31.0, 30.0), 75: (21.0, 22.0)}, 50),
        ({15: (31.0, 30.0), 25: (29.0, 28.0)}, None),
        ({15: (30.0, 30.0)}, 15),
    )
    for table, expected in cases:
        got = fn(table)
        if not (got == expected):
            raise AssertionError(
                f"for {table} you answered {got!r}, expected {expected!r}. Hint: look for the "
                "smallest σ where cnn <= bm3d (a tie is not a win); return None if it always wins.")
    return ("Apply it to the measured table below, and compare the size of each gap with the differences between "
            "photos before explaining it.")
