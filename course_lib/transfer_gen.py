r"""Transfer in generation, measured fairly: adapt the shipped glyph GAN or a pretrained VAE to a few images.

Two public functions take **any** ``(N, 8, 8)`` array in [0, 1] (your own drawings, a class of digits …):

* :func:`adapt_gan` — scratch, fine-tune or FreezeD (Mo, Cho & Shin, CVPRW 2020), optionally with DiffAugment
  (Zhao et al., NeurIPS 2020); trains to a step cap and keeps the **snapshot with the best validation KID**;
* :func:`adapt_vae` — scratch, fine-tune, frozen encoder + trained decoder, or fine-tune with the decoder's output
  layer re-initialised ("re-head"); **early stopping** on the validation ELBO.

Both split off a validation set (or take yours), return the validation curve, show a progress bar, and keep the best
snapshot when you interrupt them (Ctrl-C or the stop button). The benchmark ``benchmarks/transfer_generation.py``
and lesson 05 call them.

The fair protocol (course design §9): the digits of ``digits("train")`` are split once into a **pool** (the first
1000; every N-image target set is drawn from it) and a **validation** set (the last 297, outside every target
set), used to choose learning rates and snapshots; ``digits("test")`` (500) is touched once, for the final scores.
Each table carries two reference rows (:func:`reference_rows`): a **real-vs-real floor** (two disjoint halves of the
test digits: what a perfect generator scores) and a **memoriser** (the N training images themselves, shown as
samples: what copying scores).
"""

from __future__ import annotations

import time

import numpy as np

from .validate import check_batch, check_choice, check_int, check_positive, check_range

__all__ = [
    "GAN_STRATEGIES", "VAE_STRATEGIES", "GAN_LR", "VAE_LR", "N_GENERATED", "POOL_SIZE", "digit_splits", "target_set",
    "freeze_discriminator", "score_generated", "reference_rows", "memoriser", "adapt_gan", "source_vae",
    "adapt_vae",
]

GAN_STRATEGIES = ("scratch", "fine-tune", "freezed")
VAE_STRATEGIES = ("scratch", "fine-tune", "frozen-encoder", "re-head")
#: Default generator learning rates (D learns 5x faster, as in the glyph recipe): the rates that
#: ``benchmarks/transfer_generation.py`` chose on the validation digits (N = 100, seed 0; ``chosen_lr`` in its JSON,
#: copied here after its full run). FreezeD uses fine-tune's rate.
GAN_LR = {"scratch": 4e-4, "fine-tune": 1e-4, "freezed": 1e-4}
#: Default VAE learning rates (Adam), chosen likewise on the validation ELBO.
VAE_LR = {"scratch": 3e-4, "fine-tune": 1e-4, "frozen-encoder": 3e-4, "re-head": 1e-3}
#: Generated images per score (KID needs subsets smaller than both sets: 1000 generated vs 500 test digits).
N_GENERATED = 1000
#: The first POOL_SIZE digits of ``digits("train")`` hold every target set; the rest is the validation set.
POOL_SIZE = 1000


# --- data -------------------------------------------------------------------------------------------------------


def digit_splits() -> dict:
    """The fixed split of sklearn's digits for every generation experiment.

    Returns
    -------
    dict
        ``"pool"`` (1000, 8, 8): the first 1000 of ``digits("train")``, where target sets come from;
        ``"validation"`` (297, 8, 8): the rest of ``digits("train")``; ``"test"`` (500, 8, 8): ``digits("test")``.
        Float32 in [0, 1] on the 17 grey levels.
    """
    from .data import digits

    train = np.asarray(digits("train")[0])
    return {"pool": train[:POOL_SIZE], "validation": train[POOL_SIZE:], "test": np.asarray(digits("test")[0])}


def target_set(n: int, seed: int = 0) -> np.ndarray:
    """The target set of an experiment: digits drawn without replacement from the pool.

    Parameters
    ----------
    n : int
        Number of digits, 1 … 1000.
    seed : int
        The same seed gives the same images.

    Returns
    -------
    ndarray, shape (n, 8, 8), float32 in [0, 1]
    """
    pool = digit_splits()["pool"]
    n = check_int(n, "n", 1, len(pool))
    return pool[np.random.default_rng(check_int(seed, "seed", 0)).choice(len(pool), n, replace=False)]


def _check_images(images: object, name: str = "images", minimum: int = 2) -> np.ndarray:
    images = check_batch(images, name, size=(8, 8))
    if len(images) < minimum:
        raise ValueError(f"{name} must hold at least {minimum} images; got {len(images)}")
    return images


def _split(images: np.ndarray, validation: np.ndarray | None, val_share: float, seed: int):
    """Training and validation images: ``validation`` if given, else a random ``val_share`` of ``images``."""
    if validation is not None:
        return images, _check_images(validation, "validation", 3)
    val_share = check_range(val_share, "val_share", 0.0, 0.9)
    n_val = max(3, round(val_share * len(images)))
    if len(images) - n_val < 2:
        raise ValueError(f"images must hold at least {n_val + 2} images to split off {n_val} for validation; got "
                         f"{len(images)} — pass validation=... (other images of the same kind) instead")
    order = np.random.default_rng(seed).permutation(len(images))
    return images[order[n_val:]], images[order[:n_val]]


# --- scores ------------------------------------------------------------------------------------------------------


def score_generated(images: np.ndarray, reference: np.ndarray, *, stats=None, seed: int = 0,
                    n_subsets: int = 100) -> dict:
    """Score generated images against real ones in the digit classifier's feature space.

    Parameters
    ----------
    images : ndarray, shape (N, 8, 8), float in [0, 1]
        Generated images (use :data:`N_GENERATED`).
    reference : ndarray, shape (M, 8, 8), float in [0, 1]
        Real reference images (e.g. the test digits).
    stats : (mean, std), optional
        Feature standardisation (:func:`course_lib.metrics.reference_stats`); default: the reference's own.
    seed : int
        Seeds the KID subsets.
    n_subsets : int
        Number of KID subsets of min(200, N - 1, M - 1) images.

    Returns
    -------
    dict
        ``kid`` and ``kid_std`` (×10³), ``fid``, ``precision``, ``recall``, ``density``, ``coverage`` (k = 5, on
        equal set sizes), ``confident_share``, ``class_shares`` (list), ``classes_present``.
    """
    from threadpoolctl import threadpool_limits

    from .gan import evaluate_samples

    images, reference = _check_images(images), _check_images(reference, "reference")
    size = min(200, len(images) - 1, len(reference) - 1)
    with threadpool_limits(1, "blas"):
        scores = evaluate_samples(images, reference, n_subsets=n_subsets, subset_size=size, seed=seed, stats=stats)
    scores["class_shares"] = [round(float(v), 4) for v in scores["class_shares"]]
    return scores


def memoriser(train_images: np.ndarray, n: int = N_GENERATED, seed: int = 0) -> np.ndarray:
    """The memorising "generator": samples drawn with replacement from the training images themselves.

    Parameters
    ----------
    train_images : ndarray, shape (N, 8, 8), float in [0, 1]
        The training images.
    n : int
        Number of "samples".
    seed : int
        Seeds the draws.

    Returns
    -------
    ndarray, shape (n, 8, 8)
        Copies of training images.
    """
    train_images = _check_images(train_images, "train_images", 1)
    index = np.random.default_rng(check_int(seed, "seed", 0)).integers(0, len(train_images), check_int(n, "n", 1))
    return train_images[index]


def reference_rows(test: np.ndarray, targets: dict[int, np.ndarray] | None = None, *, seed: int = 0,
                   n_splits: int = 50) -> dict:
    """The rows that give a generation table its meaning, scored against ``test`` like any generator:

    ``"floor"`` — real vs real, what a perfect generator scores: ``test`` cut into two disjoint random halves
    ``n_splits`` times; ``kid`` is the mean over the splits of KID ×10³ between the halves (the unbiased MMD² of all
    pairs, features standardised with the whole test set's statistics) and ``kid_std`` the std over the splits
    (the standard error of one half-vs-half KID); the other scores are those of the first split.
    ``"memoriser N=n"`` — each target set of ``targets`` (``{n: images}``) resampled to :data:`N_GENERATED`
    "samples" (:func:`memoriser`), scored like a generator: what copying the training images scores.

    Parameters
    ----------
    test : ndarray, shape (M, 8, 8), float in [0, 1]
        The real test images (M >= 10).
    targets : dict, optional
        ``{n: (n, 8, 8) training images}`` for the memoriser rows.
    seed : int
        Seeds the splits, the memoriser's draws and the KID subsets.
    n_splits : int
        Number of random half-splits for the floor.

    Returns
    -------
    dict
        ``{"floor": scores, "memoriser N=n": scores, ...}`` with the keys of :func:`score_generated` (the floor also
        has ``n_splits``).
    """
    from .classifier import features, load_digit_classifier
    from .metrics import KID_SCALE, mmd2_unbiased, reference_stats

    test = _check_images(test, "test", 10)
    n_splits = check_int(n_splits, "n_splits", 2)
    f_test = features(load_digit_classifier(), test)
    stats = reference_stats(f_test)
    z = (f_test - stats[0]) / stats[1]
    rng, half = np.random.default_rng(seed), len(test) // 2
    orders = [rng.permutation(len(test)) for _ in range(n_splits)]
    floor = [KID_SCALE * mmd2_unbiased(z[o[:half]], z[o[half:2 * half]]) for o in orders]
    first = orders[0]
    rows = {"floor": {**score_generated(test[first[:half]], test[first[half:]], stats=stats, seed=seed),
                      "kid": float(np.mean(floor)), "kid_std": float(np.std(floor, ddof=1)), "n_splits": n_splits}}
    for n, images in (targets or {}).items():
        rows[f"memoriser N={n}"] = score_generated(memoriser(images, seed=seed), test, stats=stats, seed=seed)
    return rows


# --- GAN --------------------------------------------------------------------------------------------------------


def freeze_discriminator(discriminator, n_layers: int = 2) -> float:
    """FreezeD: freeze the first ``n_layers`` weighted layers of D (the shipped D has three: ``d_conv1`` 640
    parameters, ``d_conv2`` 73 856, ``d_logit`` 513); the later layers are made trainable.

    Parameters
    ----------
    discriminator : keras.Model
        The discriminator, changed in place.
    n_layers : int
        0, 1 or 2 layers frozen from the input side.

    Returns
    -------
    float
        The **share of D's parameters frozen** (0 … 1): ``d_conv1`` alone is under 1 %, both convolutions over 99 %
        (D keeps a trainable linear head).
    """
    from .transfer import freeze_first, trainable_share

    freeze_first(discriminator, check_int(n_layers, "n_layers", 0, 2))
    return 1.0 - trainable_share(discriminator)


def adapt_gan(images: np.ndarray, *, strategy: str = "fine-tune", max_steps: int = 2000, seed: int = 0,
              lr: float | None = None, augment: bool = False, validation: np.ndarray | None = None,
              val_share: float = 0.2, eval_every: int = 250, freeze_layers: int = 2, batch_size: int = 64,
              n_eval: int = N_GENERATED, desc: str | None = None) -> dict:
    """Adapt the shipped glyph DCGAN (or a fresh one) to ``images`` and keep the snapshot with the best validation KID.

    Step 0 — the starting weights — is a candidate snapshot too: if adapting never beats the glyph GAN on the
    validation images, the glyph GAN is what comes back (``best_step`` 0), which is itself a result. The learning
    rates decay linearly to 0 over the second half of ``max_steps`` (the glyph recipe's schedule).

    Parameters
    ----------
    images : ndarray, shape (N, 8, 8), float in [0, 1]
        The target images (at least 2 after the validation split).
    strategy : str
        ``"fine-tune"`` (G and D from the glyph GAN, all layers train), ``"freezed"`` (fine-tune with D's first
        ``freeze_layers`` layers frozen; the frozen share is returned and printed) or ``"scratch"`` (the same
        architecture from random weights).
    max_steps : int
        Step cap (one D and one G update per step).
    seed : int
        Seeds the initialisation (scratch), batches, noise, augmentation and the validation split.
    lr : float, optional
        Generator learning rate (D: 5x); default :data:`GAN_LR` of the strategy (chosen on validation digits).
    augment : bool
        Train with DiffAugment (translation, cutout, brightness on real and generated images alike).
    validation : ndarray (M, 8, 8), optional
        Validation images (M >= 3); default: a random ``val_share`` of ``images``, kept out of training.
    val_share : float
        Share of ``images`` split off for validation when ``validation`` is None (at least 3 images).
    eval_every : int
        Validation KID (×10³, ``n_eval`` samples from a fixed z) at step 0 and every ``eval_every`` steps.
    freeze_layers : int
        FreezeD only: number of D's weighted layers frozen (1 or 2).
    batch_size : int
        Real images per step (drawn with replacement).
    n_eval : int
        Generated images per validation KID (more than 200 keeps the KID subsets at 200).
    desc : str, optional
        Label of the progress bar.

    Returns
    -------
    dict
        ``generator`` (holding the best snapshot's weights), ``discriminator`` (last weights), ``best_step``,
        ``best_val_kid``, ``curve`` (``step``, ``val_kid``, ``val_kid_std`` lists), ``steps_done``, ``interrupted``,
        ``seconds``, ``strategy``, ``lr``, ``augment``, ``d_frozen_share``, ``n_train``, ``n_val``.

    Raises
    ------
    ValueError, TypeError
        Images that are not (N, 8, 8) floats in [0, 1], too few images, an unknown strategy.
    """
    from threadpoolctl import threadpool_limits

    from .classifier import features, load_digit_classifier
    from .diffaugment import diff_augment
    from .gan import build_discriminator, build_generator, latent, load_gan_glyphs, sample, train_gan
    from .metrics import kid, reference_stats

    images = _check_images(images)
    strategy = check_choice(strategy, "strategy", GAN_STRATEGIES)
    max_steps, seed = check_int(max_steps, "max_steps", 0), check_int(seed, "seed", 0)
    eval_every, n_eval = check_int(eval_every, "eval_every", 1), check_int(n_eval, "n_eval", 10)
    lr = GAN_LR[strategy] if lr is None else check_positive(lr, "lr")
    train, val = _split(images, validation, val_share, seed)
    if strategy == "scratch":
        generator, discriminator = build_generator(seed=seed), build_discriminator(seed=seed + 1)
    else:
        generator, discriminator = load_gan_glyphs()
    frozen = freeze_discriminator(discriminator, freeze_layers) if strategy == "freezed" else 0.0
    if strategy == "freezed":
        print(f"FreezeD: {freeze_layers} of D's layers frozen = {frozen:.1%} of its {discriminator.count_params()} "
              "parameters")
    classifier = load_digit_classifier()
    f_val = features(classifier, val)
    stats, size = reference_stats(f_val), min(200, len(val) - 1)
    z = latent(n_eval, generator.input_shape[-1], seed=20_000 + seed)
    curve: dict[str, list] = {"step": [], "val_kid": [], "val_kid_std": []}
    best = {"kid": np.inf, "step": 0, "weights": None}

    def evaluate(step: int, _images=None) -> None:
        with threadpool_limits(1, "blas"):  # small kernels: extra BLAS threads only contend with TensorFlow's
            value, spread = kid(features(classifier, sample(generator, z=z)), f_val, n_subsets=30,
                                subset_size=size, seed=seed, stats=stats)
        curve["step"].append(int(step))
        curve["val_kid"].append(round(value, 4))
        curve["val_kid_std"].append(round(spread, 4))
        if value < best["kid"]:
            best.update(kid=value, step=int(step), weights=[w.copy() for w in generator.get_weights()])

    start = time.perf_counter()
    evaluate(0)
    history = {"completed": [0]}
    try:
        history = train_gan(generator, discriminator, train, steps=max_steps, batch_size=batch_size, g_lr=lr,
                            d_lr=5 * lr, seed=seed, snapshot_every=eval_every, on_snapshot=evaluate,
                            augment=diff_augment if augment else None,
                            desc=desc or f"GAN {strategy}{' + DiffAugment' if augment else ''} N={len(train)}")
    except KeyboardInterrupt:  # an interrupt outside the training loop (e.g. while tracing): keep the best so far
        history = {"completed": [curve["step"][-1]], "interrupted_at": [curve["step"][-1]]}
    generator.set_weights(best["weights"])
    return {"generator": generator, "discriminator": discriminator, "best_step": best["step"],
            "best_val_kid": round(float(best["kid"]), 4), "curve": curve, "steps_done": int(history["completed"][0]),
            "interrupted": "interrupted_at" in history, "seconds": round(time.perf_counter() - start, 2),
            "strategy": strategy, "lr": lr, "augment": bool(augment), "d_frozen_share": round(frozen, 4),
            "n_train": len(train), "n_val": len(val)}


# --- VAE --------------------------------------------------------------------------------------------------------

_SOURCE_VAES: dict = {}


def source_vae(source: str = "glyphs", steps: int = 0, seed: int = 123):
    """A VAE pretrained on a source domain (cached; a fresh copy is returned each call).

    Parameters
    ----------
    source : str
        ``"glyphs"``, ``"faces"`` or ``"textures"`` (20 000 8×8 images, :func:`course_lib.transfer.source_images`).
    steps : int
        Pretraining steps; ``0`` with ``"glyphs"`` loads the shipped ``vae-glyphs``.
    seed : int
        Seeds the initialisation and the batches of the pretraining.

    Returns
    -------
    keras.Model
        A :func:`course_lib.vae.build_vae` model (latent dimension 16) holding the source weights.

    Raises
    ------
    ValueError
        An unknown source, or ``steps=0`` for a source that ships no VAE.
    """
    from .transfer import source_images
    from .vae import build_vae, load_vae, train_vae

    source = check_choice(source, "source", ("glyphs", "faces", "textures"))
    steps = check_int(steps, "steps", 0)
    key = (source, steps, seed)
    if key not in _SOURCE_VAES:
        if source == "glyphs" and steps == 0:
            model = load_vae("vae-glyphs")
        else:
            if steps == 0:
                raise ValueError(f"steps must be > 0 for source {source!r} (only glyphs ship a pretrained VAE)")
            model = build_vae(16, seed=seed)
            train_vae(model, source_images(source), steps=steps, seed=seed, desc=f"VAE source {source}")
        _SOURCE_VAES[key] = model.get_weights()
    model = build_vae(16, seed=seed)
    model.set_weights(_SOURCE_VAES[key])
    return model


def adapt_vae(images: np.ndarray, *, strategy: str = "fine-tune", source: str = "glyphs", source_steps: int = 0,
              max_steps: int = 3000, seed: int = 0, lr: float | None = None, validation: np.ndarray | None = None,
              val_share: float = 0.2, eval_every: int = 50, patience: int = 10, batch_size: int = 128,
              desc: str | None = None) -> dict:
    """Adapt a pretrained VAE (or train one from scratch) on ``images``, early-stopped on the validation ELBO.

    Parameters
    ----------
    images : ndarray, shape (N, 8, 8), float on the 17 grey levels k/16
        The target images (``np.round(16 * x) / 16`` quantises other images).
    strategy : str
        ``"scratch"`` (random weights), ``"fine-tune"`` (all weights from the source), ``"frozen-encoder"`` (source
        weights, only the decoder trains) or ``"re-head"`` (source weights, the decoder's output layer
        re-initialised, then everything trains).
    source, source_steps : str, int
        The source VAE (:func:`source_vae`); ignored by ``"scratch"``.
    max_steps, eval_every, patience : int
        Step cap; the validation ELBO (nats per image, fixed ε) is measured every ``eval_every`` steps and training
        stops after ``patience`` evaluations without improvement. The best weights are restored.
    lr : float, optional
        Adam learning rate; default :data:`VAE_LR` of the strategy.
    validation, val_share, seed, batch_size
        As in :func:`adapt_gan`; the batch is ``min(batch_size, N)`` images drawn with replacement.
    desc : str, optional
        Label of the progress bar.

    Returns
    -------
    dict
        ``model`` (best weights), ``best_step``, ``best_val_elbo``, ``curve`` (``step``, ``val_elbo``),
        ``steps_done``, ``interrupted``, ``seconds``, ``strategy``, ``source``, ``lr``, ``n_train``, ``n_val``.
    """
    from .vae import build_vae, decoder_of, elbo, encoder_of, to_levels, train_vae

    to_levels(_check_images(images))
    strategy = check_choice(strategy, "strategy", VAE_STRATEGIES)
    max_steps, seed = check_int(max_steps, "max_steps", 0), check_int(seed, "seed", 0)
    eval_every, patience = check_int(eval_every, "eval_every", 1), check_int(patience, "patience", 1)
    lr = VAE_LR[strategy] if lr is None else check_positive(lr, "lr")
    train, val = _split(np.asarray(images, np.float32), validation, val_share, seed)
    to_levels(val, "validation")
    if strategy == "scratch":
        model = build_vae(16, seed=seed)
    else:
        model = source_vae(source, source_steps)
        if strategy == "frozen-encoder":
            encoder_of(model).trainable = False
        if strategy == "re-head":
            head = decoder_of(model).layers[-2]
            fresh = decoder_of(build_vae(16, seed=seed)).layers[-2]
            head.set_weights(fresh.get_weights())
    curve = {"step": [0], "val_elbo": [round(elbo(model, val, seed=1)["elbo"], 4)]}
    best = {"elbo": curve["val_elbo"][0], "step": 0, "weights": model.get_weights(), "waited": 0}

    def on_validate(step: int, value: float) -> bool:
        curve["step"].append(int(step))
        curve["val_elbo"].append(round(float(value), 4))
        if value > best["elbo"]:
            best.update(elbo=float(value), step=int(step), weights=model.get_weights(), waited=0)
        else:
            best["waited"] += 1
        return best["waited"] >= patience

    start = time.perf_counter()
    history = {"completed": [0]}
    try:
        history = train_vae(model, train, steps=max_steps, lr=lr, seed=seed, batch_size=min(batch_size, len(train)),
                            validation=val, validate_every=eval_every, on_validate=on_validate,
                            desc=desc or f"VAE {strategy} ({source}) N={len(train)}")
    except KeyboardInterrupt:
        history = {"completed": [curve["step"][-1]], "interrupted_at": [curve["step"][-1]]}
    model.set_weights(best["weights"])
    encoder_of(model).trainable = True
    return {"model": model, "best_step": best["step"], "best_val_elbo": round(best["elbo"], 4), "curve": curve,
            "steps_done": int(history["completed"][0]), "interrupted": "interrupted_at" in history,
            "seconds": round(time.perf_counter() - start, 2), "strategy": strategy,
            "source": None if strategy == "scratch" else source, "lr": lr, "n_train": len(train), "n_val": len(val)}
