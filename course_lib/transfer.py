r"""Transfer learning, measured: fine-tuning strategies, FreezeD, distillation and one experiment runner.

Lesson 05's restoration half (adapting the photo denoiser to correlated noise with validation and early stopping,
He-initialised baselines, Yosinski's freezing curve, distillation) lives in :mod:`course_lib.transfer_restore`;
its :func:`adapt_denoiser` and :func:`distill_denoiser` are re-exported here. The ``faces``/``poisson``/``distill``
experiments of :func:`run_experiment` below are the earlier equal-step protocol (no validation, Glorot-initialised
scratch), no longer used by the lesson or the benchmarks.

What can be transferred from a *source* model to a *target* task with few images:

* **the initialisation** — start from the source weights and fine-tune all layers (:func:`prepare` with
  ``"fine-tune"``), only the last layers (``"last-layers"``, ``"linear-probe"``) or all layers with a smaller
  learning rate for the early ones (``"discriminative-lr"``); ``"scratch"`` is the same network from random
  weights, trained for the **same number of steps** (equal budgets);
* **the discriminator** of a GAN, with its early layers frozen: FreezeD (Mo, Cho & Shin, CVPRW 2020);
* **the teacher's outputs** — distillation (Hinton, Vinyals & Dean, 2015) on regression targets: a small
  student denoiser learns to reproduce a large teacher's outputs on *unlabelled* target images (:func:`distill`).

Early layers transfer best (Yosinski et al., NeurIPS 2014): they compute generic local filters (edges, blobs)
that any image domain needs; the last layers are task-specific. :func:`relative_change` measures this.

:func:`run_experiment` runs one cell of the lesson's grids, ``(experiment, strategy, n_target, seed)``, and
returns a flat record; ``benchmarks/transfer_*.py`` loop over it and :func:`summarise` the seeds.

Experiments (targets are always split into a target-train pool and a disjoint target-test set):

=============  ===========================================================================================
``faces``      new domain: photo denoiser → LFW faces (24×24), Gaussian σ = 25/255; test on faces 60-79
``poisson``    new degradation: photo denoiser → Poisson noise (peak 10) on photo crops; test on test photos
``distill``    a ½-width student (≈ 4× fewer parameters) taught by a fine-tuned teacher on unlabelled faces
``gan``        glyph DCGAN → N handwritten digits; KID and class coverage against ``digits("test")``
``vae``        VAE of a source (glyphs, faces or textures) → N digits; held-out ELBO and IWAE bound
=============  ===========================================================================================
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable

import numpy as np

from .transfer_restore import adapt_denoiser, distill_denoiser  # noqa: F401 (restoration half: issue 18)
from .validate import check_batch, check_choice, check_int, check_positive

__all__ = [
    "STRATEGIES", "EXPERIMENTS", "DEFAULT_STEPS", "weighted_layers", "freeze_first", "freeze_all_but_last",
    "freezed", "prepare", "trainable_share", "fit", "relative_change", "student_of", "distill", "count_params",
    "source_denoiser", "restoration_data", "restoration_batch", "restoration_psnr", "run_experiment", "summarise",
    "paired_effect", "load_results", "source_images", "degrade_batch",
]

__all__ += ["adapt_denoiser", "distill_denoiser"]  # defined in transfer_restore

#: Ways to adapt a source model; ``"none"`` evaluates the source model as it is.
STRATEGIES = ("none", "scratch", "fine-tune", "last-layers", "linear-probe", "discriminative-lr", "freezed",
              "distill")
EXPERIMENTS = ("faces", "poisson", "distill", "gan", "vae")
#: Training steps per run in the benchmarks (equal for every strategy of an experiment).
DEFAULT_STEPS = {"faces": 80, "poisson": 80, "distill": 80, "gan": 400, "vae": 400}
#: Learning rates per strategy (Adam peak rate, cosine decay over the steps).
#: Chosen on the *validation* faces (N = 5, 100 steps, one seed; ``benchmarks/transfer_restoration.py --choose-lr``)
#: from {1e-5, 3e-5, 1e-4} (fine-tune), {3e-5, 1e-4, 3e-4} (last layers), {3e-4, 1e-3, 3e-3} (scratch).
RESTORATION_LR = {"scratch": 1e-3, "distill": 1e-3, "fine-tune": 3e-5, "last-layers": 3e-4, "linear-probe": 3e-4,
                  "discriminative-lr": 3e-5}
FACES_SIGMA, POISSON_PEAK = 25 / 255, 10.0
#: Restoration batch size (patches per step).
BATCH = 8


# --- freezing -------------------------------------------------------------------------------------------------


def weighted_layers(model) -> list:
    """The layers of ``model`` that hold weights, input to output (activations, reshapes … are skipped).

    Parameters
    ----------
    model : keras.Model
        Any Keras model.

    Returns
    -------
    list of keras.layers.Layer
    """
    return [layer for layer in model.layers if layer.weights]


def freeze_first(model, k: int):
    """Freeze the first ``k`` weighted layers of ``model`` (``layer.trainable = False``), unfreeze the rest.

    Parameters
    ----------
    model : keras.Model
        The model (changed in place).
    k : int
        Number of weighted layers to freeze, from the input side, in [0, number of weighted layers]; 0 makes every
        layer trainable.

    Returns
    -------
    keras.Model
        The same model (changed in place), for chaining.

    Raises
    ------
    TypeError
        If ``k`` is not an integer.
    ValueError
        If ``k`` is outside [0, number of weighted layers].

    References
    ----------
    J. Yosinski, J. Clune, Y. Bengio and H. Lipson, "How transferable are features in deep neural networks?",
    NeurIPS 2014.
    """
    layers = weighted_layers(model)
    k = check_int(k, "k", 0, len(layers))
    for i, layer in enumerate(layers):
        layer.trainable = i >= k
    return model


def freeze_all_but_last(model, n: int = 1):
    """Train only the last ``n`` weighted layers; ``n = 1`` is a *linear probe* of the frozen features.

    Parameters
    ----------
    model : keras.Model
        The model (changed in place).
    n : int
        Trainable layers at the output end, in [1, number of weighted layers].

    Returns
    -------
    keras.Model
        The same model.

    Raises
    ------
    TypeError
        If ``n`` is not an integer.
    ValueError
        If ``n`` is outside its range.
    """
    n = check_int(n, "n", 1, len(weighted_layers(model)))
    return freeze_first(model, len(weighted_layers(model)) - n)


def freezed(discriminator, k: int = 1):
    """FreezeD (Mo et al. 2020): keep the discriminator's first ``k`` layers fixed while fine-tuning the GAN.

    Parameters
    ----------
    discriminator : keras.Model
        The discriminator (changed in place).
    k : int
        Weighted layers to freeze from the input side.

    Returns
    -------
    keras.Model
        The same discriminator.

    Raises
    ------
    TypeError, ValueError
        As :func:`freeze_first`.

    References
    ----------
    S. Mo, M. Cho and J. Shin, "Freeze the discriminator: a simple baseline for fine-tuning GANs", CVPR Workshops
    2020.
    """
    return freeze_first(discriminator, k)


def trainable_share(model) -> float:
    """Share of the parameters that training will change (after freezing).

    Parameters
    ----------
    model : keras.Model
        Any Keras model.

    Returns
    -------
    float
        In [0, 1].
    """
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return trainable / max(1, model.count_params())


def count_params(model) -> int:
    """Total number of parameters (trainable and frozen).

    Parameters
    ----------
    model : keras.Model
        Any Keras model.

    Returns
    -------
    int
    """
    return int(model.count_params())


def prepare(source, build: Callable, strategy: str, *, seed: int = 0, n_last: int = 3, into=None):
    """A model ready to train on the target for ``strategy``.

    Parameters
    ----------
    source : keras.Model
        The pretrained source model; never changed (its weights are copied).
    build : callable
        ``build(seed=...)`` returns a fresh model of the source's architecture.
    strategy : str
        ``"none"``, ``"fine-tune"`` or ``"discriminative-lr"``: a copy of the source, all layers trainable;
        ``"scratch"``: random weights; ``"last-layers"``: copy, only the last ``n_last`` weighted layers
        trainable; ``"linear-probe"``: copy, only the last layer trainable.
    seed : int
        Seed of the random initialisation (``"scratch"``).
    n_last : int
        Layers trained by ``"last-layers"``.
    into : keras.Model, optional
        Reuse this model of the same architecture (its weights are overwritten): saves re-tracing in benchmarks.

    Returns
    -------
    keras.Model
        ``into`` or a new model from ``build``.

    Raises
    ------
    ValueError
        If ``strategy`` is unknown, or ``n_last`` is out of range for ``"last-layers"`` (``TypeError`` if it is
        not an integer).
    """
    strategy = check_choice(strategy, "strategy", ("none", "scratch", "fine-tune", "last-layers", "linear-probe",
                                                   "discriminative-lr"))
    model = build(seed=seed) if into is None else into
    if strategy == "scratch":
        if into is not None:
            into.set_weights(build(seed=seed).get_weights())
        return freeze_first(model, 0)
    model.set_weights(source.get_weights())
    if strategy == "last-layers":
        return freeze_all_but_last(model, n_last)
    if strategy == "linear-probe":
        return freeze_all_but_last(model, 1)
    return freeze_first(model, 0)


# --- training and what it changed -------------------------------------------------------------------------------


def fit(model, batches: Callable[[int], tuple], *, steps: int, lr: float = 1e-3, early_lr_scale: float = 1.0,
        n_early: int = 0, desc: str = "fit") -> dict:
    """Minimise the MSE of ``model(inputs)`` to ``target`` with Adam, lr cosine-decayed to 1 % over ``steps``.

    Parameters
    ----------
    model : keras.Model
        Only its ``trainable_variables`` change, so frozen layers stay fixed.
    batches : callable
        ``batches(i) -> (inputs, target)``, the i-th training batch (numpy arrays).
    steps : int
        Number of updates (≥ 0): the training budget, equal across the strategies compared.
    lr : float
        Peak learning rate (> 0).
    early_lr_scale, n_early : float, int
        The first ``n_early`` (≥ 0) weighted layers learn at ``lr * early_lr_scale`` (> 0) ("discriminative-lr").
    desc : str
        Label of the progress bar.

    Returns
    -------
    dict
        :func:`course_lib.train.run_steps` history (``step``, ``loss``) plus ``seconds``.

    Raises
    ------
    TypeError
        If ``steps``/``n_early`` is not an integer or ``lr``/``early_lr_scale`` not a number.
    ValueError
        If one of them is out of range.

    References
    ----------
    J. Howard and S. Ruder, "Universal language model fine-tuning for text classification", ACL 2018
    (discriminative learning rates).
    """
    import tensorflow as tf

    from .train import run_steps

    steps = check_int(steps, "steps", 0)
    lr, early_lr_scale = check_positive(lr, "lr"), check_positive(early_lr_scale, "early_lr_scale")
    n_early = check_int(n_early, "n_early", 0)
    key = (lr, early_lr_scale, n_early, steps, tuple(id(v) for v in model.trainable_variables))
    cached = getattr(model, "_transfer_fit", None)
    if cached is not None and cached[0] == key:  # same model, same settings: reuse the traced step, fresh Adam
        update = cached[1]
        for optimizer in cached[2]:
            for variable in optimizer.variables:
                variable.assign(tf.zeros_like(variable))
    else:
        update, optimizers = _make_update(model, lr, early_lr_scale, n_early, steps)
        model._transfer_fit = (key, update, optimizers)
    start = time.perf_counter()
    history = run_steps(lambda i: update(*batches(i)), steps, desc=desc, log_every=max(1, steps // 100))
    history["seconds"] = time.perf_counter() - start
    return history


def _make_update(model, lr: float, early_lr_scale: float, n_early: int, steps: int):
    """A traced Adam step on the MSE; the first ``n_early`` weighted layers use ``lr * early_lr_scale``."""
    import keras
    import tensorflow as tf

    early = {id(v) for layer in weighted_layers(model)[:n_early] for v in layer.trainable_weights}
    groups = [[v for v in model.trainable_variables if (id(v) in early) == is_early] for is_early in (False, True)]
    optimizers = [keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(rate, max(1, steps), alpha=0.01))
                  for rate in (lr, lr * early_lr_scale)]
    for optimizer, group in zip(optimizers, groups):
        if group:
            optimizer.build(group)

    @tf.function(jit_compile=False)
    def update(inputs, target):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(inputs, training=True) - target))
        grads = tape.gradient(loss, groups[0] + groups[1])
        for optimizer, group, grad in ((optimizers[0], groups[0], grads[:len(groups[0])]),
                                       (optimizers[1], groups[1], grads[len(groups[0]):])):
            if group:
                optimizer.apply_gradients(zip(grad, group))
        return {"loss": loss}

    return update, optimizers


def relative_change(before, after) -> dict[str, float]:
    r"""How far each weighted layer moved: :math:`\lVert W_{after} - W_{before}\rVert / \lVert W_{before}\rVert`.

    Parameters
    ----------
    before, after : keras.Model
        Two models of the same architecture (e.g. source and fine-tuned).

    Returns
    -------
    dict of str to float
        Layer name → relative change (≥ 0), input to output.

    Raises
    ------
    ValueError
        If the two models do not have the same weighted layers in the same order.
    """
    a, b = weighted_layers(before), weighted_layers(after)
    if [layer.name for layer in a] != [layer.name for layer in b]:
        raise ValueError("before and after must have the same architecture (same weighted layers in the same order)")
    out = {}
    for la, lb in zip(a, b):
        w0 = np.concatenate([np.ravel(w) for w in la.get_weights()])
        w1 = np.concatenate([np.ravel(w) for w in lb.get_weights()])
        out[la.name] = float(np.linalg.norm(w1 - w0) / max(np.linalg.norm(w0), 1e-12))
    return out


# --- restoration: data, batches, score ------------------------------------------------------------------------


def source_denoiser():
    """The shipped photo denoiser of lesson 04 (a fresh copy, safe to fine-tune) and its builder ``build(seed=)``.

    Returns
    -------
    model : keras.Model
        A copy of :func:`course_lib.restore.load_restorer` ``("denoiser")``.
    build : callable
        ``build(seed=0)`` returns a fresh, randomly initialised denoiser of the same depth and width.

    Raises
    ------
    course_lib.checkpoints.CheckpointError
        If the shipped checkpoint is missing or corrupt.
    """
    from .restore import load_restorer

    shipped = load_restorer("denoiser")  # cached by restore; never trained here
    build = functools.partial(_build_like, shipped)
    model = build()
    model.set_weights(shipped.get_weights())
    return model, build


def _build_like(model, seed: int = 0):
    """A fresh denoiser with ``model``'s depth and width."""
    from .restore import build_denoiser

    conv = [layer for layer in weighted_layers(model) if layer.name.startswith("conv")]
    return build_denoiser(depth=len(conv) + 1, width=conv[0].filters, seed=seed)


#: One reusable model per (experiment, strategy) in this process: reusing it skips re-tracing the training step.
_ARM_MODELS: dict[tuple[str, str], object] = {}


@functools.cache
def restoration_data(experiment: str) -> dict[str, np.ndarray]:
    """Clean target images of ``experiment``: ``{"train": pool, "val": validation, "test": held-out test}``.

    ``faces`` (and ``distill``): the 100 LFW faces of ``data.faces()`` (images 100-199 of skimage's LFW subset are
    *non-faces*), cropped to 24×24 (even sizes for the pixel unshuffle); train pool = faces 0-59, test = 60-79,
    validation = 80-99 (for choosing learning rates). ``poisson``: 64×64 crops;
    pool = 60 and validation = 20 crops of the *training* photos, test = 4 crops of each *test* photo.
    The test images are never used for training or for choosing anything.

    Parameters
    ----------
    experiment : {"faces", "poisson", "distill"}
        The restoration experiment.

    Returns
    -------
    dict of str to ndarray, shape (N, H, W), float32
        Images in [0, 1] (cached: do not edit in place).

    Raises
    ------
    ValueError
        If ``experiment`` is unknown.
    """
    from .data import faces, random_patches, test_photos, train_photos

    experiment = check_choice(experiment, "experiment", ("faces", "poisson", "distill"))
    if experiment in ("faces", "distill"):
        images = np.asarray(faces())[:, :24, :24]
        return {"train": images[:60].copy(), "val": images[80:100].copy(), "test": images[60:80].copy()}
    crops = random_patches(list(train_photos().values()), 80, 64, seed=0)
    test = np.concatenate([random_patches([im], 4, 64, seed=i) for i, im in enumerate(test_photos().values())])
    return {"train": crops[:60], "val": crops[60:], "test": test}


def degrade_batch(clean: np.ndarray, experiment: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Degrade a clean batch ``(N, H, W)`` for ``experiment``; return ``(noisy, sigma)``.

    Gaussian σ = 25/255 (``faces``, ``distill``), or Poisson with peak 10 and σ-input √(mean/peak) (``poisson``).

    Parameters
    ----------
    clean : ndarray, shape (N, H, W), float
        Clean images in [0, 1].
    experiment : {"faces", "poisson", "distill"}
        Which degradation.
    rng : numpy.random.Generator
        Source of the noise.

    Returns
    -------
    noisy : ndarray, shape (N, H, W), float32
        Not clipped (Gaussian) or multiples of 1/peak (Poisson).
    sigma : ndarray, shape (N,), float32
        The noise level given to the denoiser, 0-1 scale.

    Raises
    ------
    TypeError
        If ``clean`` is not a float numpy array.
    ValueError
        If ``clean`` is not (N, H, W) in [0, 1], or ``experiment`` is unknown.
    """
    clean = check_batch(clean, "clean")
    check_choice(experiment, "experiment", ("faces", "poisson", "distill"))
    if experiment == "poisson":
        noisy = (rng.poisson(np.clip(clean, 0, 1) * POISSON_PEAK) / POISSON_PEAK).astype(np.float32)
        sigma = np.sqrt(np.clip(noisy.mean(axis=(1, 2)), 1e-3, None) / POISSON_PEAK)  # the best constant σ guess
        return noisy, sigma.astype(np.float32)
    noisy = clean + FACES_SIGMA * rng.standard_normal(clean.shape).astype(np.float32)
    return noisy, np.full(len(clean), FACES_SIGMA, np.float32)


def restoration_batch(images: np.ndarray, experiment: str, n: int, patch: int, rng: np.random.Generator):
    """One training batch ``([noisy, sigma], clean)`` of ``n`` random ``patch``² crops with random flips.

    Parameters
    ----------
    images : ndarray, shape (N, H, W), float
        Clean target images in [0, 1].
    experiment : {"faces", "poisson", "distill"}
        Which degradation (:func:`degrade_batch`).
    n : int
        Crops per batch (≥ 1).
    patch : int
        Crop side in pixels, in [1, min(H, W)] (even for the denoiser).
    rng : numpy.random.Generator
        Source of the crops, flips and noise.

    Returns
    -------
    inputs : list of ndarray
        ``[noisy (n, patch, patch, 1), sigma (n, 1)]``, float32.
    clean : ndarray, shape (n, patch, patch, 1), float32

    Raises
    ------
    TypeError
        If ``images`` is not a float array or ``n``/``patch`` not an integer.
    ValueError
        If ``images`` is not (N, H, W) in [0, 1], ``n`` < 1, ``patch`` is out of range, or ``experiment`` unknown.
    """
    images = check_batch(images, "images")
    patch = check_int(patch, "patch", 1, min(images.shape[1:]))
    idx = rng.integers(0, len(images), check_int(n, "n", 1))
    tops = rng.integers(0, images.shape[1] - patch + 1, n)
    lefts = rng.integers(0, images.shape[2] - patch + 1, n)
    clean = np.stack([images[i, t:t + patch, s:s + patch] for i, t, s in zip(idx, tops, lefts)])
    clean = np.where(rng.random((n, 1, 1)) < 0.5, clean, clean[:, :, ::-1]).astype(np.float32)
    noisy, sigma = degrade_batch(clean, experiment, rng)
    return [noisy[..., None], sigma[:, None]], clean[..., None]


def restoration_psnr(model, test: np.ndarray, experiment: str, *, seed: int = 1000) -> float:
    """Mean PSNR (dB, output clipped to [0, 1]) of ``model`` on the clean ``test`` images, fixed noise ``seed``.

    Parameters
    ----------
    model : keras.Model
        A :func:`course_lib.restore.build_denoiser` model.
    test : ndarray, shape (N, H, W), float
        Clean test images in [0, 1].
    experiment : {"faces", "poisson", "distill"}
        Which degradation.
    seed : int
        Seed of the noise (the same for every strategy compared).

    Returns
    -------
    float
        Mean over the images of the per-image PSNR in dB.

    Raises
    ------
    TypeError, ValueError
        As :func:`degrade_batch`.
    """
    from .metrics import psnr
    from .restore import denoise_batch

    noisy, sigma = degrade_batch(test, experiment, np.random.default_rng(seed))
    out = denoise_batch(model, noisy, sigma)
    return float(np.mean([psnr(clean, estimate) for clean, estimate in zip(test, out)]))


# --- distillation -----------------------------------------------------------------------------------------------


def student_of(teacher, *, seed: int = 0):
    """A student denoiser: the teacher's depth at half its width — about 4× fewer parameters.

    Parameters
    ----------
    teacher : keras.Model
        A :func:`course_lib.restore.build_denoiser` model.
    seed : int
        Seed of the student's initial weights.

    Returns
    -------
    keras.Model
        A new, untrained denoiser.
    """
    from .restore import build_denoiser

    conv = [layer for layer in weighted_layers(teacher) if layer.name.startswith("conv")]
    return build_denoiser(depth=len(conv) + 1, width=max(1, conv[0].filters // 2), seed=seed)


def distill(teacher, student, unlabelled: np.ndarray, experiment: str, *, steps: int, lr: float = 1e-3,
            batch_size: int = 8, patch: int = 24, seed: int = 0) -> dict:
    """Train ``student`` to reproduce ``teacher``'s outputs on degraded ``unlabelled`` target images.

    Regression distillation: the target of every patch is the teacher's estimate, never the clean image, so
    only degraded target images are needed (here the clean pool is degraded on the fly and then forgotten).

    Parameters
    ----------
    teacher : keras.Model
        The (fine-tuned) denoiser to imitate; not changed.
    student : keras.Model
        The denoiser to train (in place).
    unlabelled : ndarray, shape (N, H, W), float
        Target images in [0, 1] (only their degraded versions are used), checked before training starts.
    experiment : {"faces", "poisson", "distill"}
        Which degradation.
    steps : int
        Training steps.
    lr : float
        Peak learning rate.
    batch_size : int
        Patches per step.
    patch : int
        Patch side in pixels.
    seed : int
        Seed of the patches and noise.

    Returns
    -------
    dict
        :func:`fit`'s history.

    Raises
    ------
    TypeError, ValueError
        As :func:`fit` and :func:`restoration_batch`.

    References
    ----------
    G. Hinton, O. Vinyals and J. Dean, "Distilling the knowledge in a neural network", NeurIPS Deep Learning
    Workshop, 2015.
    """
    unlabelled = check_batch(unlabelled, "unlabelled")
    rng = np.random.default_rng(seed)

    def batches(_i):
        inputs, _clean = restoration_batch(unlabelled, experiment, batch_size, patch, rng)
        return inputs, np.asarray(teacher(inputs, training=False))

    return fit(student, batches, steps=steps, lr=lr, desc="distill")


# --- the experiment runner -------------------------------------------------------------------------------------


def _subset(pool: np.ndarray, n: int, seed: int) -> np.ndarray:
    n = check_int(n, "n_target", 1, len(pool))
    return pool[np.random.default_rng(seed).choice(len(pool), n, replace=False)]


def _restoration(experiment: str, strategy: str, n_target: int, seed: int, steps: int, lr: float | None = None,
                 split: str = "test") -> dict:
    source, build = source_denoiser()
    data = restoration_data(experiment)
    target = _subset(data["train"], n_target, seed)
    patch = 24
    rng = np.random.default_rng(seed)

    def batches(_i):
        return restoration_batch(target, experiment, BATCH, patch, rng)

    into = _ARM_MODELS.setdefault((experiment, strategy), build())
    model = prepare(source, build, strategy, seed=seed, into=into)
    history = {"seconds": 0.0}
    if strategy != "none":
        n_early = len(weighted_layers(model)) // 2 if strategy == "discriminative-lr" else 0
        history = fit(model, batches, steps=steps, lr=lr or RESTORATION_LR[strategy], early_lr_scale=0.1,
                      n_early=n_early, desc=f"{experiment} {strategy} N={n_target}")
    return {"psnr": restoration_psnr(model, data[split], experiment), "train_seconds": history["seconds"],
            "parameters": count_params(model), "trainable_share": trainable_share(model), "model": model}


def _distillation(strategy: str, n_target: int, seed: int, steps: int) -> dict:
    """``"distill"``: teacher = source fine-tuned on the N clean pairs, student taught on the 60 unlabelled pool faces;
    ``"scratch"``: the same student trained on the N clean pairs; ``"fine-tune"``: the teacher itself."""
    data = restoration_data("faces")
    teacher = _restoration("faces", "fine-tune", n_target, seed, steps) if strategy != "scratch" else None
    if strategy == "fine-tune":
        return teacher
    student = student_of(teacher["model"] if teacher else source_denoiser()[0], seed=seed)
    if strategy == "distill":
        history = distill(teacher["model"], student, data["train"], "faces", steps=steps, seed=seed)
    else:
        target, rng = _subset(data["train"], n_target, seed), np.random.default_rng(seed)
        history = fit(student, lambda _i: restoration_batch(target, "faces", BATCH, 24, rng), steps=steps,
                      lr=RESTORATION_LR["scratch"], desc=f"student scratch N={n_target}")
    return {"psnr": restoration_psnr(student, data["test"], "faces"), "train_seconds": history["seconds"],
            "parameters": count_params(student), "trainable_share": 1.0, "model": student}


def _gan(strategy: str, n_target: int, seed: int, steps: int) -> dict:
    from .data import digits
    from .gan import build_discriminator, build_generator, evaluate_samples, load_gan_glyphs, sample, train_gan

    target = _subset(digits("train")[0], n_target, seed)
    if strategy == "scratch":
        generator, discriminator = build_generator(seed=seed), build_discriminator(seed=seed + 1)
    else:
        generator, discriminator = load_gan_glyphs()
        if strategy == "freezed":
            freezed(discriminator, 1)
    history = {"seconds": 0.0}
    if strategy != "none":
        history = train_gan(generator, discriminator, target, steps=steps, seed=seed,
                            desc=f"GAN {strategy} N={n_target}")
    scores = evaluate_samples(sample(generator, 500, seed=seed + 7), digits("test")[0], n_subsets=50, seed=seed)
    return {"kid": scores["kid"], "fid": scores["fid"], "classes_present": scores["classes_present"],
            "confident_share": scores["confident_share"], "train_seconds": history["seconds"],
            "parameters": count_params(generator) + count_params(discriminator), "model": generator}


@functools.cache
def _source_vae(source: str, steps: int):
    """A VAE pretrained on ``source`` (glyphs, faces or textures as 8×8 images on 17 grey levels)."""
    from .vae import build_vae, load_vae, train_vae

    if source == "glyphs" and steps == 0:
        return load_vae("vae-glyphs")
    model = build_vae(16, seed=123)
    train_vae(model, source_images(source), steps=steps, seed=123, desc=f"VAE source {source}")
    return model


def source_images(source: str, n: int = 20_000) -> np.ndarray:
    """``n`` 8×8 images on the 17 grey levels from ``source``: ``"glyphs"``, ``"faces"`` or ``"textures"``.

    Faces are 16x16 crops and textures 32x32 crops, averaged down to 8x8 and rounded to the levels k/16.

    Parameters
    ----------
    source : {"glyphs", "faces", "textures"}
        The source domain.
    n : int
        Number of images.

    Returns
    -------
    ndarray, shape (n, 8, 8), float32
        Values k/16 in [0, 1].

    Raises
    ------
    ValueError
        If ``source`` is unknown.
    """
    from .data import faces, glyphs, random_patches, textures

    source = check_choice(source, "source", ("glyphs", "faces", "textures"))
    if source == "glyphs":
        return np.asarray(glyphs(n, seed=0)[0])
    if source == "faces":
        crops = random_patches(list(np.asarray(faces())[:100]), n, 16, seed=0)  # 100-199 are non-faces
    else:
        crops = random_patches(list(textures().values()), n, 32, seed=0)
    small = crops.reshape(n, 8, crops.shape[1] // 8, 8, crops.shape[2] // 8).mean(axis=(2, 4))
    return (np.round(16 * np.clip(small, 0, 1)) / 16).astype(np.float32)


def _vae(strategy: str, n_target: int, seed: int, steps: int, source: str = "glyphs", source_steps: int = 0) -> dict:
    from .data import digits
    from .vae import build_vae, elbo, iwae_bound, train_vae

    target, test = _subset(digits("train")[0], n_target, seed), np.asarray(digits("test")[0])
    model = build_vae(16, seed=seed)
    if strategy != "scratch":
        model.set_weights(_source_vae(source, source_steps).get_weights())
    history = {"seconds": 0.0}
    if strategy != "none":
        history = train_vae(model, target, steps=steps, seed=seed, batch_size=min(128, 4 * n_target),
                            desc=f"VAE {source} {strategy} N={n_target}")
    return {"elbo": elbo(model, test, n_samples=5, seed=seed)["elbo"],
            "iwae_100": float(iwae_bound(model, test, k=100, seed=seed).mean()),
            "train_seconds": history["seconds"], "parameters": count_params(model), "model": model}


def run_experiment(experiment: str, strategy: str, n_target: int, seed: int = 0, *, steps: int | None = None,
                   source: str = "glyphs", source_steps: int = 0, lr: float | None = None, split: str = "test",
                   keep_model: bool = False) -> dict:
    """Run one cell of a transfer grid and return a flat record.

    Parameters
    ----------
    experiment : str
        One of :data:`EXPERIMENTS`.
    strategy : str
        ``"none"`` (source as is), ``"scratch"``, ``"fine-tune"``, ``"last-layers"``, ``"linear-probe"``,
        ``"discriminative-lr"`` (restoration); ``"distill"`` (experiment ``distill``); ``"freezed"`` (``gan``).
    n_target : int
        Number of target training images (≥ 1, at most the pool size), drawn from the target-train pool with
        ``seed``.
    seed : int
        Seeds the target subset, the initialisation (scratch) and the batches (≥ 0).
    steps : int, optional
        Training steps (≥ 1), equal for all strategies; default :data:`DEFAULT_STEPS`.
    source, source_steps : str, int
        ``vae`` only: the source domain and its pretraining steps (0 = the shipped ``vae-glyphs``).
    lr : float, optional
        ``faces``/``poisson`` only: learning rate instead of :data:`RESTORATION_LR` (for choosing it).
    split : str
        ``faces``/``poisson`` only: score on ``"test"`` (default) or on ``"val"`` (for choosing settings).
    keep_model : bool
        Put the trained model in the record under ``"model"`` (for figures); otherwise it is dropped. Restoration
        models are reused by the next call with the same experiment and strategy: use them before that.

    Returns
    -------
    dict
        ``experiment, strategy, n_target, seed, steps``, the metrics (``psnr`` | ``kid``, ``fid``,
        ``classes_present``, ``confident_share`` | ``elbo``, ``iwae_100``), ``train_seconds``, ``parameters``,
        ``seconds`` (wall time of the whole cell) and, for ``vae``, ``source``.

    Raises
    ------
    TypeError
        If ``n_target``, ``seed``, ``steps`` or ``source_steps`` is not an integer, or ``lr`` not a number.
    ValueError
        If ``experiment``, ``strategy`` (for that experiment), ``split`` or ``source`` is unknown, or a number is
        out of range (e.g. ``n_target`` larger than the target pool).
    """
    experiment = check_choice(experiment, "experiment", EXPERIMENTS)
    allowed = {"faces": STRATEGIES[:6], "poisson": STRATEGIES[:6], "distill": ("scratch", "distill", "fine-tune"),
               "gan": ("none", "scratch", "fine-tune", "freezed"), "vae": ("none", "scratch", "fine-tune")}
    strategy = check_choice(strategy, "strategy", allowed[experiment])
    n_target, seed = check_int(n_target, "n_target", 1), check_int(seed, "seed", 0)
    steps = DEFAULT_STEPS[experiment] if steps is None else check_int(steps, "steps", 1)
    start = time.perf_counter()
    if experiment in ("faces", "poisson"):
        split = check_choice(split, "split", ("val", "test"))
        lr = None if lr is None else check_positive(lr, "lr")
        out = _restoration(experiment, strategy, n_target, seed, steps, lr, split)
    elif experiment == "distill":
        out = _distillation(strategy, n_target, seed, steps)
    elif experiment == "gan":
        out = _gan(strategy, n_target, seed, steps)
    else:
        out = _vae(strategy, n_target, seed, steps, source, check_int(source_steps, "source_steps", 0))
    record = {"experiment": experiment, "strategy": strategy, "n_target": n_target, "seed": seed, "steps": steps}
    if experiment == "vae":
        record["source"] = source
    model = out.pop("model")
    record.update(out, seconds=time.perf_counter() - start)
    if keep_model:
        record["model"] = model
    return record


# --- summaries and effect sizes ---------------------------------------------------------------------------------


def summarise(records: list[dict], metric: str, by: tuple[str, ...] = ("strategy", "n_target")) -> list[dict]:
    """Mean and standard error (std / √n, ddof = 1) of ``metric`` per group of ``by`` keys, sorted by the keys.

    Parameters
    ----------
    records : list of dict
        :func:`run_experiment` records.
    metric : str
        The record key to average (e.g. ``"psnr"``).
    by : tuple of str
        The keys that define a group.

    Returns
    -------
    list of dict
        One row per group: the ``by`` keys, ``mean``, ``se`` (NaN for a single record) and ``n``.

    Raises
    ------
    ValueError
        If ``records`` is empty or a record lacks ``metric``.

    Examples
    --------
    >>> rows = summarise([{"strategy": "a", "n_target": 5, "psnr": v} for v in (30.0, 32.0)], "psnr")
    >>> rows[0]["mean"], rows[0]["se"], rows[0]["n"]
    (31.0, 1.0, 2)
    """
    if not records:
        raise ValueError("records is empty: run some experiments first")
    if any(metric not in r for r in records):
        raise ValueError(f"metric {metric!r} is missing from some records; they have {sorted(records[0])}")
    groups: dict[tuple, list[float]] = {}
    for r in records:
        groups.setdefault(tuple(r[key] for key in by), []).append(float(r[metric]))
    rows = []
    for key in sorted(groups, key=lambda k: tuple(str(x).zfill(8) for x in k)):
        values = np.array(groups[key])
        se = float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else float("nan")
        rows.append({**dict(zip(by, key)), "mean": float(values.mean()), "se": se, "n": len(values)})
    return rows


def paired_effect(a: list[float] | np.ndarray, b: list[float] | np.ndarray) -> tuple[float, float]:
    """Effect of A over B paired by seed: mean of the differences ``a_i - b_i`` and its standard error.

    Same seed = same target images and noise, so the per-seed difference removes the variance they share.

    Parameters
    ----------
    a, b : array_like, shape (n,), float
        One result per seed for two strategies, the same seeds in the same order (n ≥ 2).

    Returns
    -------
    mean : float
        Mean difference, in the metric's unit.
    se : float
        Its standard error ``std(d, ddof=1) / sqrt(n)``.

    Raises
    ------
    ValueError
        If ``a`` and ``b`` are not 1-D of the same length ≥ 2.

    Examples
    --------
    >>> paired_effect([31.0, 32.0, 33.0], [30.0, 30.5, 31.0])
    (1.5, 0.2886751345948129)
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError(f"a and b must be 1-D, of equal length >= 2 (one value per seed); got {a.shape}, {b.shape}")
    diff = a - b
    return float(diff.mean()), float(diff.std(ddof=1) / math.sqrt(len(diff)))


# --- the benchmark results -------------------------------------------------------------------------------------


def load_results(name: str) -> dict:
    """``benchmarks/results/transfer_<name>.json`` (``name`` = ``"restoration"`` or ``"generation"``).

    ``$COURSE_RESULTS`` names another folder (e.g. the output of a ``--quick`` smoke run).

    Parameters
    ----------
    name : {"restoration", "generation"}
        Which benchmark.

    Returns
    -------
    dict
        The parsed JSON.

    Raises
    ------
    ValueError
        If ``name`` is unknown.
    FileNotFoundError
        If the file is missing (the message names the script that writes it).
    """
    import json
    import os
    from pathlib import Path

    name = check_choice(name, "name", ("restoration", "generation"))
    folder = os.environ.get("COURSE_RESULTS") or Path(__file__).resolve().parent.parent / "benchmarks" / "results"
    path = Path(folder) / f"transfer_{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; make it with: python benchmarks/transfer_{name}.py")
    return json.loads(path.read_text())


