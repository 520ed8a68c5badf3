"""Exercises of lesson 04 (CNN repair): receptive field, the residual loss, where the CNN stops beating BM3D."""

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


# --- 04.residual: the residual (noise-predicting) loss -------------------------------------------------------


def residual_loss(noisy, clean, predicted_noise):
    """DnCNN's loss: mean squared error between the predicted noise and the true noise ``noisy - clean``.

    Parameters
    ----------
    noisy, clean, predicted_noise : ndarray, float, same shape
        Noisy and clean images and the network's noise estimate (0-1 scale).

    Returns
    -------
    float
        The MSE (0-1 intensity units squared).

    References
    ----------
    K. Zhang, W. Zuo, Y. Chen, D. Meng and L. Zhang, "Beyond a Gaussian denoiser: residual learning of deep CNN
    for image denoising", IEEE Trans. Image Processing 26(7):3142-3155, 2017, eq. 1.
    """
    return np.mean((predicted_noise - (noisy - clean)) ** 2)


def _residual_wrong(noisy, clean, predicted_noise):
    return np.mean((predicted_noise - clean) ** 2)


@exercise("04.residual", "the residual loss", solution=residual_loss, wrong=_residual_wrong)
def _check_residual(fn) -> str:
    rng = np.random.default_rng(4)
    clean = rng.random((4, 16, 16)).astype(np.float32)
    noise = 0.1 * rng.standard_normal(clean.shape).astype(np.float32)
    guess = 0.5 * noise + 0.01
    close(fn(clean + noise, clean, noise), 0.0, tol=1e-10, what="loss of a perfect noise prediction",
          hint="the target of the network is the noise n = noisy - clean, not the clean image.")
    close(fn(clean + noise, clean, guess), np.mean((guess - noise) ** 2), tol=1e-7, what="loss of a half-right guess",
          hint="average the squared difference between predicted_noise and (noisy - clean) over all pixels.")
    return "Same minimiser as MSE on the clean image (clean = noisy - noise), but an easier target to learn."


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
        assert got == expected, (f"for {table} you answered {got!r}, expected {expected!r}. Hint: look for the "
                                 "smallest σ where cnn <= bm3d (a tie is not a win); return None if it always wins.")
    return "Beyond its training range the CNN loses: it never learned to remove that much noise."
