"""CNN restoration: an FFDNet-style denoiser, a mask-aware inpainter and an ESPCN-style ×2 upscaler.

All three are small residual networks that work on images of any size:

* :func:`build_denoiser` — FFDNet (Zhang, Zuo & Zhang, IEEE TIP 2018): pixel-unshuffle the noisy
  image into four half-size sub-images, append a noise-level map σ, run a plain ReLU conv stack
  and pixel-shuffle back.  It predicts the *noise* (residual learning, DnCNN: Zhang et al.,
  IEEE TIP 2017) and subtracts it.
* :func:`build_inpainter` — takes three classical fills of the holes (OpenCV's Telea and
  Navier–Stokes, scikit-image's biharmonic) and the mask, and learns per pixel how much to trust
  each fill (softmax weights; dilated convolutions give it a wide receptive field).
* :func:`build_upscaler` — ESPCN (Shi et al., CVPR 2016): convolutions on the low-resolution image,
  a sub-pixel (pixel-shuffle) layer, added to the bicubic enlargement (SRCNN, Dong et al., ECCV 2014,
  learned the same residual at full resolution).

Training draws random patches from :func:`course_lib.data.train_photos` (never the test photos),
degrades them with :mod:`course_lib.degrade` and minimises the MSE with Adam and a cosine
learning-rate schedule (the inpainter minimises the mean log-MSE inside the holes instead, see
:func:`masked_log_mse`).  ``cnn_denoise``, ``cnn_inpaint`` and ``cnn_upscale`` use the shipped
checkpoints.
"""

from __future__ import annotations

import functools
import math
import os
import time
import warnings

import numpy as np

from .baselines import FILLS, classical_fills
from .validate import check_batch, check_choice, check_image, check_int, check_mask, check_noisy, check_range

__all__ = [
    "build_denoiser", "build_inpainter", "build_upscaler", "receptive_field", "split_photos",
    "denoise_batch", "inpaint_batch", "upscale_batch", "train_model", "validation_psnr",
    "masked_log_mse", "inpaint_weights",
    "denoise", "inpaint", "upscale", "cnn_denoise", "cnn_inpaint", "cnn_upscale",
    "load_restorer", "pretrain_denoiser", "pretrain_inpainter",
    "pretrain_upscaler", "MAX_SIGMA", "TILE", "model_reach",
]

#: Largest noise level (0-1 scale) the denoiser is trained on: σ ∈ [0, 55/255].
MAX_SIGMA = 55 / 255
#: Architecture of each shipped checkpoint (the builders' keyword arguments).
SHIPPED = {
    "denoiser": {"depth": 15, "width": 80},
    "inpainter": {"width": 48},
    "upscaler": {"depth": 6, "width": 48},
}


# --------------------------------------------------------------------------- models
def _pixel_layers():
    """Pixel (un)shuffle and the σ map as Keras layers written with ``keras.ops`` (any backend)."""
    import keras
    from keras import ops

    class PixelUnshuffle(keras.layers.Layer):
        """``(N, H, W, C) → (N, H/2, W/2, 4C)``: each 2×2 block becomes 4 channels (``tf.nn.space_to_depth``)."""

        def call(self, x):
            n, h, w, c = ops.shape(x)
            x = ops.reshape(x, (-1, h // 2, 2, w // 2, 2, c))
            return ops.reshape(ops.transpose(x, (0, 1, 3, 2, 4, 5)), (-1, h // 2, w // 2, 4 * c))

        def compute_output_shape(self, shape):
            half = [None if d is None else d // 2 for d in shape[1:3]]
            return (shape[0], *half, 4 * shape[3])

    class PixelShuffle(keras.layers.Layer):
        """``(N, h, w, 4C) → (N, 2h, 2w, C)``, the inverse of :class:`PixelUnshuffle` (ESPCN's sub-pixel layer)."""

        def call(self, x):
            n, h, w, c = ops.shape(x)
            x = ops.reshape(x, (-1, h, w, 2, 2, c // 4))
            return ops.reshape(ops.transpose(x, (0, 1, 3, 2, 4, 5)), (-1, 2 * h, 2 * w, c // 4))

        def compute_output_shape(self, shape):
            double = [None if d is None else 2 * d for d in shape[1:3]]
            return (shape[0], *double, shape[3] // 4)

    class NoiseLevelMap(keras.layers.Layer):
        """Broadcast σ of shape ``(N, 1)`` to a constant map shaped like ``like[..., :1]``."""

        def call(self, like, sigma):
            return ops.zeros_like(like[..., :1]) + sigma[:, None, None, :]

        def compute_output_shape(self, like_shape, sigma_shape):
            return (*like_shape[:3], 1)

    return PixelUnshuffle, PixelShuffle, NoiseLevelMap


def _conv_stack(x, depth: int, width: int, out_channels: int, dilations=None):
    """``depth`` 3×3 convolutions: ReLU on all but the last, which is linear and starts at zero."""
    from keras import layers

    dilations = dilations or [1] * (depth - 1)
    for i, rate in enumerate(dilations):
        x = layers.Conv2D(width, 3, padding="same", dilation_rate=rate, activation="relu", name=f"conv{i + 1}")(x)
    return layers.Conv2D(out_channels, 3, padding="same", kernel_initializer="zeros", name="out")(x)


def build_denoiser(depth: int = 12, width: int = 64, seed: int = 0, residual: bool = True):
    """FFDNet-style denoiser: inputs ``noisy (N, H, W, 1)`` and ``sigma (N, 1)``; H, W even.

    ``clean = noisy - shuffle(convs(concat(unshuffle(noisy), σ map)))``; with ``residual=False``
    the network outputs the clean image itself, ``clean = shuffle(convs(...))``.

    Parameters
    ----------
    depth : int
        Number of 3x3 convolutions, in [2, 64].
    width : int
        Filters per hidden convolution, in [1, 512].
    seed : int
        Seed of the initial weights.
    residual : bool
        Predict the noise and subtract it (DnCNN's residual learning) rather than the clean image.

    Returns
    -------
    keras.Model
        Inputs ``noisy`` (N, H, W, 1) float32 on the 0-1 scale plus noise, ``sigma`` (N, 1) on the 0-1 scale;
        output the clean estimate (N, H, W, 1).

    Raises
    ------
    TypeError
        If a size is not an integer.
    ValueError
        If a size is outside its range.

    References
    ----------
    K. Zhang, W. Zuo and L. Zhang, "FFDNet: toward a fast and flexible solution for CNN-based image denoising",
    IEEE Trans. Image Processing 27(9):4608-4622, 2018; K. Zhang et al., "Beyond a Gaussian denoiser: residual
    learning of deep CNN for image denoising" (DnCNN), IEEE Trans. Image Processing 26(7):3142-3155, 2017.
    """
    import keras
    from keras import layers

    depth, width = check_int(depth, "depth", 2, 64), check_int(width, "width", 1, 512)
    keras.utils.set_random_seed(seed)
    noisy = keras.Input((None, None, 1), name="noisy")
    sigma = keras.Input((1,), name="sigma")
    unshuffle, shuffle, noise_map = _pixel_layers()
    sub = unshuffle(name="unshuffle")(noisy)  # (N, H/2, W/2, 4)
    x = layers.Concatenate()([sub, noise_map(name="sigma_map")(sub, sigma)])
    out = shuffle(name="shuffle")(_conv_stack(x, depth, width, 4))
    clean = layers.Subtract(name="clean")([noisy, out]) if residual else out
    return keras.Model([noisy, sigma], clean, name="ffdnet" if residual else "ffdnet_direct")


def build_inpainter(width: int = 48, seed: int = 0, prior: float = 2.0):
    """Inpainter: inputs ``fills (N, H, W, 3)`` (:func:`classical_fills`) and ``mask (N, H, W, 1)``; H, W even.

    A conv stack (half resolution, dilations 1, 2, 4, 8, 4, 2, 1) reads the fills and the mask and
    outputs three logits per pixel; ``out = Σ_k softmax(logits)_k · fill_k``.  Outside the holes all
    fills equal the known pixels, so they are kept.  It starts with the logits (0, 0, ``prior``): with
    ``prior=2`` it trusts biharmonic most, softmax(0, 0, 2) = (0.11, 0.11, 0.79); ``prior=0`` is the plain mean.

    Parameters
    ----------
    width : int
        Filters per hidden convolution, in [1, 512].
    seed : int
        Seed of the initial weights.
    prior : float
        Initial logit of the biharmonic fill, in [-20, 20].

    Returns
    -------
    keras.Model
        Inputs ``fills`` (N, H, W, 3) in [0, 1] and ``mask`` (N, H, W, 1) float (1 = missing); output the
        inpainted image (N, H, W, 1).

    Raises
    ------
    TypeError
        If ``width`` is not an integer or ``prior`` not a number.
    ValueError
        If ``width`` or ``prior`` is outside its range.

    References
    ----------
    A. Telea, "An image inpainting technique based on the fast marching method", J. Graphics Tools 9(1), 2004;
    M. Bertalmio, A. L. Bertozzi and G. Sapiro, "Navier-Stokes, fluid dynamics, and image and video inpainting",
    CVPR 2001; S. B. Damelin and N. S. Hoang, "On surface completion and image inpainting by biharmonic
    functions", Int. J. Math. Math. Sci., 2018 (``skimage.restoration.inpaint_biharmonic``).
    """
    import keras
    from keras import layers, ops

    width = check_int(width, "width", 1, 512)
    prior = check_range(prior, "prior", -20.0, 20.0, hint=" (a logit: 0 = equal weights, 2 = 79 % biharmonic)")
    keras.utils.set_random_seed(seed)
    fills = keras.Input((None, None, len(FILLS)), name="fills")
    mask = keras.Input((None, None, 1), name="mask")
    unshuffle, shuffle, _ = _pixel_layers()
    x = unshuffle(name="unshuffle")(layers.Concatenate()([fills, mask]))
    logits = shuffle(name="shuffle")(_conv_stack(x, 8, width, 4 * len(FILLS), [1, 2, 4, 8, 4, 2, 1]))
    weights = layers.Softmax(name="weights")(logits)
    out = layers.Lambda(lambda t: ops.sum(t[0] * t[1], axis=-1, keepdims=True), name="inpainted")([weights, fills])
    model = keras.Model([fills, mask], out, name="inpainter")
    start = np.array([prior * (name == "biharmonic") for name in FILLS], np.float32)
    model.get_layer("out").bias.assign(np.tile(start, 4))  # 4 sub-pixel positions × 3 fills
    return model


def build_upscaler(depth: int = 6, width: int = 48, seed: int = 0):
    """ESPCN-style ×2 upscaler: inputs ``low (N, h, w, 1)`` and ``bicubic (N, 2h, 2w, 1)``.

    ``high = bicubic + shuffle(convs(low))``.

    Parameters
    ----------
    depth : int
        Number of 3x3 convolutions, in [2, 64].
    width : int
        Filters per hidden convolution, in [1, 512].
    seed : int
        Seed of the initial weights.

    Returns
    -------
    keras.Model
        Inputs ``low`` (N, h, w, 1) in [0, 1] and its bicubic enlargement (N, 2h, 2w, 1); output (N, 2h, 2w, 1).

    Raises
    ------
    TypeError
        If a size is not an integer.
    ValueError
        If a size is outside its range.

    References
    ----------
    W. Shi et al., "Real-time single image and video super-resolution using an efficient sub-pixel convolutional
    neural network", CVPR 2016.
    """
    import keras
    from keras import layers

    depth, width = check_int(depth, "depth", 2, 64), check_int(width, "width", 1, 512)
    keras.utils.set_random_seed(seed)
    low = keras.Input((None, None, 1), name="low")
    bicubic = keras.Input((None, None, 1), name="bicubic")
    _, shuffle, _ = _pixel_layers()
    detail = shuffle(name="shuffle")(_conv_stack(low, depth, width, 4))
    return keras.Model([low, bicubic], layers.Add(name="high")([bicubic, detail]), name="espcn")


def receptive_field(n_convs: int, kernel: int = 3, downsample: int = 1) -> int:
    """Receptive field (pixels) of ``n_convs`` stacked ``kernel×kernel`` convolutions on a coarser grid.

    The grid is ``downsample`` times coarser than the image: ``downsample · (n_convs·(kernel-1) + 1)``.

    Parameters
    ----------
    n_convs : int
        Number of stride-1 convolutions (≥ 0).
    kernel : int
        Kernel side (odd, ≥ 1).
    downsample : int
        Image pixels per grid cell (2 after a pixel-unshuffle).

    Returns
    -------
    int
        Side of the receptive field in image pixels.

    Examples
    --------
    >>> receptive_field(15, downsample=2)   # the shipped denoiser
    62
    """
    return downsample * (n_convs * (kernel - 1) + 1)


# --------------------------------------------------------------------------- batches (numpy, any size)
#: Side (pixels of the network's input grid) of the square tiles that large inputs are cut into; each tile
#: also gets a margin of the model's reach on every side, so the activations of one call are bounded whatever
#: the image size (peak memory per function: ``benchmarks/memory.py`` → ``benchmarks/results/memory.json``).
TILE = 384

_POINTWISE_LAYERS = ("InputLayer", "Concatenate", "Subtract", "Add", "Softmax", "Lambda", "PixelShuffle",
                     "NoiseLevelMap", "ReLU", "Activation", "Multiply", "Rescaling")


def model_reach(model) -> int | None:
    """How many input pixels on each side of an output pixel can change it: the radius of the receptive field.

    Sums ``dilation · (kernel - 1) / 2`` over the stride-1, ``"same"``-padded convolutions; after a
    ``PixelUnshuffle`` (the denoiser and the inpainter run at half resolution) a half-resolution pixel
    is a 2x2 block, so the reach is ``2 · sum + 1`` full-resolution pixels.  For the shipped models:
    denoiser 15 convolutions → 31 px, inpainter 8 dilated convolutions (1, 2, 4, 8, 4, 2, 1, 1) → 47 px,
    upscaler 6 convolutions → 6 low-resolution px.

    Parameters
    ----------
    model : keras.Model
        A fully convolutional model built from the layers of this module.

    Returns
    -------
    int or None
        The reach in input pixels; ``None`` for a layer it does not know (then nothing is tiled).
    """
    factor, total = 1, 0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "PixelUnshuffle":
            factor = 2
        elif kind == "Conv2D":
            if tuple(layer.strides) != (1, 1) or layer.padding != "same":
                return None
            total += (layer.kernel_size[0] - 1) // 2 * layer.dilation_rate[0]
        elif kind not in _POINTWISE_LAYERS:
            return None
    return factor * total + (factor - 1)


def _tiled(call, inputs: list[np.ndarray], scales: list[int], out_scale: int, reach: int | None, tile: int | None,
           align: int = 1) -> np.ndarray:
    """Run ``call(inputs)`` (a fully convolutional model on ``(N, H, W, C)`` arrays) in overlapping tiles.

    ``inputs[i]`` has ``scales[i]`` times the height and width of the base grid (``H, W`` = ``inputs[0]``'s over
    ``scales[0]``); the output has ``out_scale`` times.  The base grid is cut into ``tile x tile`` cores; each is
    run with ``reach`` extra pixels on every side (rounded up to ``align``, so that pixel-unshuffle blocks stay
    aligned) and only its core is kept.  A core pixel's receptive field then lies inside its padded tile, or meets
    the image border exactly where the whole image's would: the result equals the untiled one (to float rounding).
    Batches are split so that one call sees at most ``tile²`` base pixels (one image at a time for large images).
    """
    h, w = inputs[0].shape[1] // scales[0], inputs[0].shape[2] // scales[0]
    n = len(inputs[0])
    if tile is None:
        tile = TILE
    tile = max(align, tile // align * align)
    if reach is None or n * h * w <= tile * tile:
        return np.asarray(call(inputs))
    per_call = max(1, tile * tile // (h * w))
    if per_call > 1 or (h <= tile and w <= tile):  # small images, large batch: split the batch only
        return np.concatenate([np.asarray(call([a[i:i + per_call] for a in inputs])) for i in range(0, n, per_call)])
    margin = -(-reach // align) * align
    out = None
    for i in range(n):
        for y0 in range(0, h, tile):
            for x0 in range(0, w, tile):
                y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
                ya, yb, xa, xb = max(0, y0 - margin), min(h, y1 + margin), max(0, x0 - margin), min(w, x1 + margin)
                part = np.asarray(call([a[i:i + 1, ya * k:yb * k, xa * k:xb * k] for a, k in zip(inputs, scales)]))
                if out is None:
                    out = np.empty((n, h * out_scale, w * out_scale, part.shape[-1]), part.dtype)
                s = out_scale
                out[i, y0 * s:y1 * s, x0 * s:x1 * s] = part[0, (y0 - ya) * s:(y1 - ya) * s, (x0 - xa) * s:(x1 - xa) * s]
    return out


def _pad_even(images: np.ndarray) -> tuple[np.ndarray, int, int]:
    h, w = images.shape[1:3]
    pad = ((0, 0), (0, h % 2), (0, w % 2)) + ((0, 0),) * (images.ndim - 3)
    padded = np.pad(images, pad, mode="reflect" if min(h, w) > 1 else "edge")
    return padded, h, w


def denoise_batch(model, noisy: np.ndarray, sigma, *, tile: int | None = None) -> np.ndarray:
    """Denoise a batch ``(N, H, W)`` of any H, W with noise levels ``sigma`` (scalar or ``(N,)``, 0-1 scale).

    Large inputs run in overlapping tiles of ``tile`` pixels (default :data:`TILE`) with a margin of the model's
    receptive-field radius (:func:`model_reach`, 31 px for the shipped denoiser), so memory stays bounded and
    the result equals the untiled one.

    Parameters
    ----------
    model : keras.Model
        A :func:`build_denoiser` model.
    noisy : ndarray, shape (N, H, W), float
        Noisy images on the 0-1 scale plus noise of std ``sigma`` (not clipped).
    sigma : float or array_like, shape (N,)
        Noise standard deviation(s) ≥ 0 on the 0-1 scale.
    tile : int, optional
        Tile side in pixels (default :data:`TILE`); does not change the result.

    Returns
    -------
    ndarray, shape (N, H, W), float32
        The estimates (not clipped).

    Raises
    ------
    TypeError
        If ``noisy`` is not a float numpy array.
    ValueError
        If ``noisy`` is not (N, H, W) or holds NaN/inf or values more than 0.5 + 10 σ outside [0, 1], or ``sigma``
        is not one finite value ≥ 0 or one per image.
    """
    noisy = check_batch(noisy, "noisy", value_range=None)
    sigma = np.asarray(sigma, np.float32)
    if sigma.ndim > 1 or sigma.size not in (1, len(noisy)) or not np.all(np.isfinite(sigma)) or np.any(sigma < 0):
        raise ValueError(f"sigma must be one finite noise level >= 0 or one per image ({len(noisy)}); got {sigma!r}")
    check_noisy(noisy.reshape(-1, noisy.shape[2]), "noisy", float(sigma.max()), ndim=(2,))
    padded, h, w = _pad_even(noisy)
    sigmas = np.broadcast_to(sigma.reshape(-1), (len(padded),)).reshape(-1, 1)

    # the σ of each image travels with it as a 1x1 "image", so that batch splits keep it
    sigma_maps = np.broadcast_to(sigmas[:, None, None, :], (len(padded), *padded.shape[1:3], 1))
    out = _tiled(lambda inputs: model([inputs[0], inputs[1][:, 0, 0]], training=False),
                 [padded[..., None], sigma_maps], [1, 1], 1, model_reach(model), tile, align=2)
    return out[:, :h, :w, 0]


def _check_fill_mask(mask: object, shape: tuple[int, ...], name: str = "mask") -> np.ndarray:
    """:func:`check_mask`, and at least one known pixel: with every pixel missing there is nothing to fill from."""
    mask = check_mask(mask, shape, name)
    if mask.size and mask.all():
        raise ValueError(f"{name} is True (missing) at every pixel; inpainting needs some known pixels (False)")
    return mask


def _inpainter_inputs(images: np.ndarray, masks: np.ndarray) -> tuple[list[np.ndarray], int, int]:
    """The inpainter's inputs ``[fills (N, H', W', 3), mask (N, H', W', 1)]`` padded to even sizes, and H, W."""
    fills, h, w = _pad_even(np.stack([classical_fills(im, m) for im, m in zip(images, masks)]))
    mask_f, _, _ = _pad_even(np.asarray(masks, np.float32))
    return [fills, mask_f[..., None]], h, w


def inpaint_batch(model, images: np.ndarray, masks: np.ndarray, *, tile: int | None = None) -> np.ndarray:
    """Inpaint a batch ``(N, H, W)`` (values under the masks are ignored) with the network.

    The classical fills (:func:`classical_fills`) are computed on whole images; the network then runs in
    overlapping tiles of ``tile`` pixels (default :data:`TILE`) with a margin of its receptive-field radius
    (:func:`model_reach`, 47 px for the shipped inpainter), so memory stays bounded and the result equals the
    untiled one.

    Parameters
    ----------
    model : keras.Model
        A :func:`build_inpainter` model.
    images : ndarray, shape (N, H, W), float
        Images in [0, 1].
    masks : ndarray, shape (N, H, W), bool
        True where a pixel is missing.
    tile : int, optional
        Tile side in pixels (default :data:`TILE`).

    Returns
    -------
    ndarray, shape (N, H, W), float32
        Inpainted images in [0, 1]; known pixels unchanged.

    Raises
    ------
    TypeError
        If ``images`` is not a float numpy array.
    ValueError
        If ``images`` is not (N, H, W) in [0, 1], or ``masks`` is not a bool array of the same shape.
    """
    images = check_batch(images, "images")
    if not isinstance(masks, np.ndarray) or masks.dtype != bool or masks.shape != images.shape:
        raise ValueError(f"masks must be a boolean array of shape {images.shape} (True = missing pixel); got "
                         f"{masks.shape if isinstance(masks, np.ndarray) else type(masks).__name__}")
    inputs, h, w = _inpainter_inputs(images, masks)
    out = _tiled(lambda x: model(x, training=False), inputs, [1, 1], 1, model_reach(model), tile, align=2)
    return np.where(masks, np.clip(out[:, :h, :w, 0], 0, 1), images).astype(np.float32)


def upscale_batch(model, low: np.ndarray, *, tile: int | None = None) -> np.ndarray:
    """Enlarge a batch ``(N, h, w)`` ×2 with the network; returns ``(N, 2h, 2w)`` clipped to [0, 1].

    Large inputs run in overlapping tiles of ``tile`` low-resolution pixels (default :data:`TILE`) with a margin
    of the receptive-field radius (:func:`model_reach`, 6 low-resolution px for the shipped upscaler); the bicubic
    enlargement that the network corrects is computed on whole images.  The result equals the untiled one.

    Parameters
    ----------
    model : keras.Model
        A :func:`build_upscaler` model.
    low : ndarray, shape (N, h, w), float
        Low-resolution images in [0, 1].
    tile : int, optional
        Tile side in low-resolution pixels.

    Returns
    -------
    ndarray, shape (N, 2h, 2w), float32
        Values in [0, 1].

    Raises
    ------
    TypeError
        If ``low`` is not a float numpy array.
    ValueError
        If ``low`` is not (N, h, w) in [0, 1] or holds NaN/inf.
    """
    from .degrade import upsample

    low = check_batch(low, "low")
    bicubic = np.stack([upsample(im, 2) for im in low])
    out = _tiled(lambda x: model(x, training=False), [low[..., None], bicubic[..., None]], [1, 2], 2,
                 model_reach(model), tile)
    return np.clip(out[..., 0], 0, 1)


# --------------------------------------------------------------------------- training data
def split_photos(val_rows: int = 64) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Training photos and textures, each cut into (train part, bottom ``val_rows`` rows for validation).

    Parameters
    ----------
    val_rows : int
        Rows at the bottom of each image kept for validation.

    Returns
    -------
    train : list of ndarray, shape (H - val_rows, W), float32
    val : list of ndarray, shape (val_rows, W), float32
        Grayscale images in [0, 1]; never the test photos.
    """
    from .data import textures, train_photos

    images = list(train_photos().values()) + list(textures().values())
    return [im[:-val_rows] for im in images], [im[-val_rows:] for im in images]


def training_variants(val_rows: int = 64, scales=(1.0, 0.75, 0.5)) -> list[np.ndarray]:
    """More variety from the same training photos for pretraining (DnCNN's multi-scale augmentation).

    The luma and each colour channel of every photo, each at ``scales``; the bottom ``val_rows`` rows (the
    validation part of :func:`split_photos`) are cut off first.

    Parameters
    ----------
    val_rows : int
        Rows cut off the bottom of each image.
    scales : sequence of float
        Scale factors (1 = as is; others resized with area interpolation).

    Returns
    -------
    list of ndarray, shape (H, W), float32
        Grayscale images in [0, 1].
    """
    import cv2

    from .data import TRAIN_PHOTOS, load_photo, textures

    bases = list(textures().values())
    for name in TRAIN_PHOTOS:
        colour = load_photo(name, gray=False)
        bases.append(load_photo(name))
        if colour.ndim == 3:
            bases.extend(colour[..., c] for c in range(3))
    out = []
    for image in bases:
        image = np.ascontiguousarray(image[:-val_rows], dtype=np.float32)
        for scale in scales:
            size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
            out.append(image if scale == 1 else np.clip(cv2.resize(image, size, interpolation=cv2.INTER_AREA), 0, 1))
    return out


def _augment(patches: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random flips and 90° rotations (the 8 symmetries of the square), one per patch."""
    out = np.empty_like(patches)
    for i, (k, flip) in enumerate(zip(rng.integers(0, 4, len(patches)), rng.integers(0, 2, len(patches)))):
        p = np.rot90(patches[i], k)
        out[i] = p[:, ::-1] if flip else p
    return out


def make_batch(task: str, images, batch_size: int, patch: int, rng: np.random.Generator):
    """One training batch ``(inputs, target)`` for ``task`` in ``{"denoise", "inpaint", "upscale"}``.

    Parameters
    ----------
    task : {"denoise", "inpaint", "upscale"}
        The restoration task (anything else is treated as ``"upscale"``).
    images : sequence of ndarray
        Grayscale training images in [0, 1], each at least ``patch`` a side.
    batch_size : int
        Patches per batch.
    patch : int
        Patch side in pixels (even).
    rng : numpy.random.Generator
        Source of the patches, flips/rotations, noise levels (σ uniform in [0, 55/255]) and masks.

    Returns
    -------
    inputs : list of ndarray
        The model's inputs: ``[noisy (B, p, p, 1), sigma (B, 1)]``, ``[fills (B, p, p, 3), mask (B, p, p, 1)]`` or
        ``[low (B, p/2, p/2, 1), bicubic (B, p, p, 1)]``.
    target : ndarray, float32
        Clean patches ``(B, p, p, 1)``; for inpainting ``(B, p, p, 2)`` with the mask as channel 1.

    Raises
    ------
    TypeError, ValueError
        As :func:`course_lib.data.random_patches`, for bad images or sizes.
    """
    from .data import random_patches
    from .degrade import box_mask, downsample, stroke_mask, upsample

    clean = _augment(random_patches(images, batch_size, patch, seed=int(rng.integers(2**31))), rng)
    if task == "denoise":
        sigma = rng.uniform(0, MAX_SIGMA, (batch_size, 1)).astype(np.float32)
        noisy = clean + sigma[:, :, None] * rng.standard_normal(clean.shape).astype(np.float32)
        return [noisy[..., None], sigma], clean[..., None]
    if task == "inpaint":
        seeds = rng.integers(2**31, size=batch_size)
        masks = np.stack([stroke_mask((patch, patch), 2, int(rng.integers(3, 10)), seed=int(s)) if s % 2 else
                          box_mask((patch, patch), int(rng.integers(1, 3)), 16, seed=int(s)) for s in seeds])
        fills = np.stack([classical_fills(c, m) for c, m in zip(clean, masks)])
        # the target carries the mask as a second channel for masked_log_mse
        return [fills, masks[..., None].astype(np.float32)], np.stack([clean, masks], axis=-1).astype(np.float32)
    low = np.stack([downsample(c, 2) for c in clean])
    return [low[..., None], np.stack([upsample(lo, 2) for lo in low])[..., None]], clean[..., None]


def _predict(model, task: str, inputs):
    return model(inputs, training=False)


def masked_log_mse(target, prediction):
    """Inpainting loss: the batch mean of ``log(MSE inside the holes)``.

    Since PSNR = −10·log10(MSE), minimising the mean log-MSE maximises the mean PSNR inside the holes:
    every patch counts alike, instead of the patches with the largest errors dominating.

    Parameters
    ----------
    target : tensor, shape (N, H, W, 2), float32
        The clean patch (channel 0) and the mask (channel 1, 1 = hole).
    prediction : tensor, shape (N, H, W, 1), float32
        The inpainted patch.

    Returns
    -------
    tensor, shape (), float32
        Mean natural log of the per-patch MSE (+1e-5) inside the holes.
    """
    from keras import ops

    clean, mask = target[..., :1], target[..., 1:]
    mse = ops.sum(mask * (prediction - clean) ** 2, axis=(1, 2, 3)) / (ops.sum(mask, axis=(1, 2, 3)) + 1e-6)
    return ops.mean(ops.log(mse + 1e-5))


def validation_psnr(model, task: str, images, n: int = 24, patch: int = 64, seed: int = 123) -> float:
    """Mean PSNR (dB) on ``n`` fixed random validation patches.

    σ is uniform in [0, 55/255] for denoising; for inpainting the PSNR is measured inside the holes.

    Parameters
    ----------
    model : keras.Model
        A restoration model for ``task``.
    task : {"denoise", "inpaint", "upscale"}
        The task.
    images : sequence of ndarray
        Validation images in [0, 1] (e.g. the second list of :func:`split_photos`).
    n : int
        Number of patches.
    patch : int
        Patch side in pixels.
    seed : int
        Seed of the patches (fixed, so the numbers compare over training).

    Returns
    -------
    float
        Mean PSNR in dB (predictions clipped to [0, 1]).
    """
    from .metrics import psnr

    inputs, target = make_batch(task, images, n, patch, np.random.default_rng(seed))
    out = np.asarray(_predict(model, task, inputs))[..., 0]
    clean, masks = (target[..., 0], target[..., 1] > 0.5) if task == "inpaint" else (target[..., 0], [None] * n)
    return float(np.mean([psnr(c, o, mask=m) for c, o, m in zip(clean, out, masks)]))


def train_model(model, task: str, images, *, steps: int | None = None, minutes: float | None = None,
                batch_size: int = 16, patch: int = 48, lr: float = 1e-3, seed: int = 0, on_log=None):
    """Minimise the MSE (inpainting: :func:`masked_log_mse`) with Adam, lr cosine-decayed to 1 % of ``lr``.

    The schedule runs over the ``steps`` (or the ``minutes`` budget, following the elapsed time; the loop stops
    once the budget is spent).  Batches are prepared in background threads, each from its own generator
    seeded ``(seed, i)``, so the result does not depend on the number of threads.

    Parameters
    ----------
    model : keras.Model
        The model (trained in place).
    task : {"denoise", "inpaint", "upscale"}
        The task (see :func:`make_batch`).
    images : sequence of ndarray
        Grayscale training images in [0, 1].
    steps : int, optional
        Number of updates.
    minutes : float, optional
        Time budget in minutes (used when given, with or without ``steps``).
    batch_size : int
        Patches per update.
    patch : int
        Patch side in pixels (even).
    lr : float
        Initial Adam learning rate.
    seed : int
        Seed of the batches.
    on_log : callable, optional
        Passed to :func:`course_lib.train.run_steps`.

    Returns
    -------
    dict
        The :func:`course_lib.train.run_steps` history (``loss`` per logged step, ``completed``).

    Raises
    ------
    ValueError
        If ``task`` is unknown, or neither ``steps`` nor ``minutes`` is given.
    """
    from concurrent.futures import ThreadPoolExecutor

    import keras

    from .data import random_patches
    from .train import run_steps

    task = check_choice(task, "task", ("denoise", "inpaint", "upscale"))
    random_patches(images, 1, patch)  # checks every image (float, [0, 1], larger than a patch) before training
    if steps is None and not minutes:
        raise ValueError("train_model needs steps= (a number of updates) or minutes= (a time budget); got neither")
    trainer = keras.Model(model.inputs, model.outputs)  # shares the layers; keeps the optimizer out of `model`
    loss = masked_log_mse if task == "inpaint" else "mean_squared_error"
    trainer.compile(optimizer=keras.optimizers.Adam(lr), loss=loss)
    start, budget = time.perf_counter(), (minutes or 0) * 60
    # batch i is cut from its own generator seeded (seed, i): background threads prepare the next
    # batches while this one trains, and the result does not depend on the number of threads
    workers = max(1, min(4, (os.cpu_count() or 2) // 2))
    pool = ThreadPoolExecutor(workers)

    def cut(i):
        return pool.submit(make_batch, task, images, batch_size, patch, np.random.default_rng((seed, i)))

    pending = {i: cut(i) for i in range(workers + 1)}

    def step(i):
        if budget and time.perf_counter() - start > budget:
            raise StopIteration  # time budget spent: a normal end
        done = (time.perf_counter() - start) / budget if budget else i / max(1, steps)
        trainer.optimizer.learning_rate.assign(lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(done, 1.0)))))
        inputs, target = pending.pop(i).result()
        pending[i + workers + 1] = cut(i + workers + 1)
        return {"loss": float(np.ravel(trainer.train_on_batch(inputs, target))[0])}

    log_every = max(1, min(50, steps // 50)) if steps else 50
    try:
        return run_steps(step, steps, desc=f"train {task}", log_every=log_every, on_log=on_log,
                         minutes=minutes or None)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# --------------------------------------------------------------------------- shipped models
@functools.cache
def load_restorer(name: str):
    """Build the shipped architecture of ``name`` and load its verified checkpoint (cached per process).

    Parameters
    ----------
    name : {"denoiser", "inpainter", "upscaler"}
        The shipped model.

    Returns
    -------
    keras.Model

    Raises
    ------
    ValueError
        If ``name`` is unknown.
    course_lib.checkpoints.CheckpointError
        If the checkpoint is missing, corrupt or does not fit.
    """
    from .checkpoints import load_checkpoint

    name = check_choice(name, "name", tuple(SHIPPED))
    builder = {"denoiser": build_denoiser, "inpainter": build_inpainter, "upscaler": build_upscaler}[name]
    model = builder(**SHIPPED[name])
    load_checkpoint(model, name)
    return model


def cnn_denoise(image: np.ndarray, sigma: float | None = None, *, tile: int | None = None) -> np.ndarray:
    """Denoise a grayscale float image with the shipped FFDNet-style model.

    Parameters
    ----------
    image : ndarray, shape (H, W), float, H, W >= 1
        Noisy image on the 0-1 scale (values may leave [0, 1]: Gaussian noise is not clipped).
    sigma : float or None
        Noise standard deviation on the 0-1 scale, in [0, 1]; ``None`` = blind: σ is estimated with
        :func:`skimage.restoration.estimate_sigma` (wavelet MAD, Donoho & Johnstone 1994).
    tile : int, optional
        Tile side for large images (default :data:`TILE`); tiles overlap by the receptive-field radius
        (31 px), so the result does not depend on it (see :func:`denoise_batch`).

    Returns
    -------
    ndarray, shape (H, W), float32
        The estimate (not clipped).

    Raises
    ------
    TypeError
        If ``image`` is not a float numpy array or ``sigma`` is not a number.
    ValueError
        If ``sigma`` is outside [0, 1], or the values do not look like a 0-1 image plus noise (e.g. a 0-255
        image: "divide by 255").

    References
    ----------
    K. Zhang, W. Zuo and L. Zhang, "FFDNet: toward a fast and flexible solution for CNN-based image denoising",
    IEEE Trans. Image Processing 27(9):4608-4622, 2018; K. Zhang et al., "Beyond a Gaussian denoiser: residual
    learning of deep CNN for image denoising" (DnCNN), IEEE Trans. Image Processing 26(7):3142-3155, 2017.
    """
    from skimage.restoration import estimate_sigma

    if sigma is not None:
        sigma = check_range(sigma, "sigma", 0.0, 1.0, hint=" (σ is on the 0-1 scale: 25/255 ≈ 0.098)")
    image = check_noisy(image, "image", sigma, ndim=(2,), max_sigma=MAX_SIGMA)
    if sigma is None:
        with warnings.catch_warnings():  # skimage warns that a 2- to 4-pixel-wide image might be colour: it is not
            warnings.filterwarnings("ignore", "image is size", UserWarning)
            sigma = float(estimate_sigma(image, channel_axis=None)) if min(image.shape) > 1 else 0.0
        sigma = check_range(sigma, "estimated sigma", 0.0, 1.0, hint=" (blind mode estimated it from the image)")
    return denoise_batch(load_restorer("denoiser"), image[None], sigma, tile=tile)[0]


def cnn_inpaint(image: np.ndarray, mask: np.ndarray, *, tile: int | None = None) -> np.ndarray:
    """Fill the pixels where ``mask`` is True with the shipped inpainter; other pixels are kept.

    Large images run in overlapping tiles (``tile``, default :data:`TILE`; margin 47 px, the receptive-field
    radius), see :func:`inpaint_batch`.

    Parameters
    ----------
    image : ndarray, shape (H, W), float, H, W >= 2
        Image in [0, 1] (values under the mask are ignored).
    mask : ndarray, shape (H, W), bool
        True where a pixel is missing.
    tile : int, optional
        Tile side in pixels.

    Returns
    -------
    ndarray, shape (H, W), float32
        Values in [0, 1].

    Raises
    ------
    TypeError
        If ``image`` is not a float array or ``mask`` not a bool array.
    ValueError
        If ``image`` is not 2-D in [0, 1] or smaller than 2x2, or ``mask`` has another shape.
    """
    image = check_image(image, ndim=(2,), min_size=2)
    mask = _check_fill_mask(mask, image.shape)
    return inpaint_batch(load_restorer("inpainter"), image[None], mask[None], tile=tile)[0]


def inpaint_weights(image: np.ndarray, mask: np.ndarray, *, tile: int | None = None) -> np.ndarray:
    """``(H, W, 3)``: how much the shipped inpainter trusts each of :data:`FILLS` at every pixel (sums to 1).

    Tiled like :func:`inpaint_batch`.

    Parameters
    ----------
    image : ndarray, shape (H, W), float, H, W >= 2
        Image in [0, 1].
    mask : ndarray, shape (H, W), bool
        True where a pixel is missing.
    tile : int, optional
        Tile side in pixels.

    Returns
    -------
    ndarray, shape (H, W, 3), float32
        Softmax weights in [0, 1], in the order of :data:`FILLS`.

    Raises
    ------
    TypeError, ValueError
        As :func:`cnn_inpaint`.
    """
    import keras

    image = check_image(image, ndim=(2,), min_size=2)
    mask = _check_fill_mask(mask, image.shape)
    model = load_restorer("inpainter")
    weights = keras.Model(model.inputs, model.get_layer("weights").output)
    inputs, h, w = _inpainter_inputs(image[None], mask[None])
    out = _tiled(lambda x: weights(x, training=False), inputs, [1, 1], 1, model_reach(model), tile, align=2)
    return out[0, :h, :w]


def cnn_upscale(image: np.ndarray, *, tile: int | None = None) -> np.ndarray:
    """Enlarge a grayscale image (H, W) float in [0, 1] ×2 with the shipped ESPCN-style upscaler.

    Large images run in overlapping tiles (``tile``, default :data:`TILE`; margin 6 px), see :func:`upscale_batch`.

    Parameters
    ----------
    image : ndarray, shape (H, W), float
        Image in [0, 1].
    tile : int, optional
        Tile side in low-resolution pixels.

    Returns
    -------
    ndarray, shape (2H, 2W), float32
        Values in [0, 1].

    Raises
    ------
    TypeError
        If ``image`` is not a float numpy array.
    ValueError
        If ``image`` is not 2-D in [0, 1] or holds NaN/inf.

    References
    ----------
    W. Shi et al., "Real-time single image and video super-resolution using an efficient sub-pixel convolutional
    neural network", CVPR 2016.
    """
    image = check_image(image, ndim=(2,), min_size=1)
    return upscale_batch(load_restorer("upscaler"), image[None], tile=tile)[0]


denoise, inpaint, upscale = cnn_denoise, cnn_inpaint, cnn_upscale


# --------------------------------------------------------------------------- pretraining recipes
def _pretrain(name: str, task: str, minutes: float, patch: int, batch_size: int, lr: float, seed: int = 0):
    """Train checkpoint ``name`` for ``minutes``; save it every ``$COURSE_SAVE_MINUTES`` (default 5) minutes.

    The manifest's quality records the validation PSNR (patches from the bottom rows of the
    training photos) against training time: the PSNR-vs-time curve.
    """
    from .checkpoints import save_checkpoint
    from .config import limit_threads

    limit_threads()
    builder = {"denoiser": build_denoiser, "inpainter": build_inpainter, "upscaler": build_upscaler}[name]
    model = builder(**SHIPPED[name], seed=seed)
    train, val = split_photos()
    data_label = "train_photos + textures (bottom 64 rows held out)"
    if os.environ.get("COURSE_PRETRAIN_VARIANTS") == "1":  # colour channels and scales as extra images
        train = training_variants()
        data_label = "training_variants(): luma and R, G, B of train_photos + textures at scales 1, 0.75, 0.5"
    previous = {}
    if os.environ.get("COURSE_PRETRAIN_RESUME") == "1":  # continue from the current checkpoint
        from .checkpoints import load_checkpoint, manifest

        load_checkpoint(model, name)
        old = manifest()[name]
        previous = {"previous_stage": {"command": old["command"], "train_seconds": old["train_seconds"],
                                       "curve": old["quality"]["curve"], "steps": old["quality"]["steps"]}}
    every = float(os.environ.get("COURSE_SAVE_MINUTES", "5")) * 60
    start, curve, state = time.perf_counter(), [], {"next": 0.0}
    minutes = float(os.environ.get("COURSE_PRETRAIN_MINUTES", minutes))
    batch_size = int(os.environ.get("COURSE_PRETRAIN_BATCH", batch_size))
    patch = int(os.environ.get("COURSE_PRETRAIN_PATCH", patch))
    lr = float(os.environ.get("COURSE_PRETRAIN_LR", lr))
    settings = (f"COURSE_PRETRAIN_MINUTES={minutes:g} COURSE_PRETRAIN_BATCH={batch_size} COURSE_PRETRAIN_PATCH={patch}"
                f" COURSE_PRETRAIN_LR={lr:g} COURSE_PRETRAIN_VARIANTS={os.environ.get('COURSE_PRETRAIN_VARIANTS', '0')}"
                f" COURSE_PRETRAIN_RESUME={os.environ.get('COURSE_PRETRAIN_RESUME', '0')}")
    command = f"{settings} python -m course_lib pretrain {name}"

    def snapshot(i, _logs=None):
        seconds = time.perf_counter() - start
        val_psnr = round(validation_psnr(model, task, val), 3)
        curve.append({"seconds": round(seconds, 1), "steps": i + 1, "val_psnr": val_psnr})
        quality = {"val_psnr_db": val_psnr, "curve": curve, "patch": patch, "batch_size": batch_size, "steps": i + 1,
                   "budget_minutes": minutes, "architecture": SHIPPED[name],
                   "data": data_label, "hardware": _hardware()}
        quality |= previous
        total = seconds + previous.get("previous_stage", {}).get("train_seconds", 0)
        save_checkpoint(model, name, train_seconds=total, quality=quality, command=command)
        state["next"] = seconds + every
        return quality

    def on_log(i, _logs):
        if time.perf_counter() - start >= state["next"]:
            snapshot(i)

    history = train_model(model, task, train, minutes=minutes, batch_size=batch_size, patch=patch, lr=lr, seed=seed,
                          on_log=on_log)
    return model, snapshot(history["completed"][0] - 1)


def _hardware() -> str:
    """Where the training ran: the Keras backend and the accelerator, if any (recorded in the manifest)."""
    import keras

    backend = keras.backend.backend()
    try:
        devices = {"jax": lambda: __import__("jax").devices()[0].device_kind,
                   "torch": lambda: __import__("torch").cuda.get_device_name(0)}[backend]()
    except (KeyError, RuntimeError, AssertionError):
        devices = f"CPU ({os.cpu_count()} cores)"
    return f"keras {keras.__version__} / {backend} on {devices}"


def pretrain_denoiser(minutes: float = 120.0):
    """Recipe ``denoiser``: FFDNet-style, σ ∈ [0, 55/255] given as input, 48 px patches, batch 16.

    Parameters
    ----------
    minutes : float
        Training time budget in minutes (``$COURSE_PRETRAIN_MINUTES`` overrides it; other ``COURSE_PRETRAIN_*``
        variables set batch, patch, learning rate, extra variants and resuming).

    Returns
    -------
    model : keras.Model
    quality : dict
        What the manifest records: validation PSNR (dB) and its curve against training time, steps, settings.
    """
    return _pretrain("denoiser", "denoise", minutes, patch=48, batch_size=16, lr=1e-3)


def pretrain_inpainter(minutes: float = 10.0):
    """Recipe ``inpainter``: strokes and 16×16 boxes on 64 px patches, weighing three classical fills.

    Parameters
    ----------
    minutes : float
        Training time budget in minutes (``$COURSE_PRETRAIN_MINUTES`` overrides it; other ``COURSE_PRETRAIN_*``
        variables set batch, patch, learning rate, extra variants and resuming).

    Returns
    -------
    model : keras.Model
    quality : dict
        What the manifest records: validation PSNR (dB) and its curve against training time, steps, settings.
    """
    return _pretrain("inpainter", "inpaint", minutes, patch=64, batch_size=32, lr=5e-4)


def pretrain_upscaler(minutes: float = 15.0):
    """Recipe ``upscaler``: ×2 area-downsampled 64 px patches.

    Parameters
    ----------
    minutes : float
        Training time budget in minutes (``$COURSE_PRETRAIN_MINUTES`` overrides it; other ``COURSE_PRETRAIN_*``
        variables set batch, patch, learning rate, extra variants and resuming).

    Returns
    -------
    model : keras.Model
    quality : dict
        What the manifest records: validation PSNR (dB) and its curve against training time, steps, settings.
    """
    return _pretrain("upscaler", "upscale", minutes, patch=64, batch_size=16, lr=5e-4)
