"""A small CNN for 8x8 glyphs and digits: pretrained feature extractor and classifier.

Lesson 00 pretrains it on rendered glyphs (digits and letters in 21 fonts) and shows that
its features help to recognise *handwritten* digits from few labels: transfer, measured.
"""

from __future__ import annotations

import functools
import time

import numpy as np

from .validate import check_batch, check_int

__all__ = [
    "build_classifier", "train_classifier", "features", "accuracy", "pretrain_glyph_cnn", "probe_accuracy",
    "pretrain_digit_classifier", "load_digit_classifier", "probe_curve", "score_samples",
]


def build_classifier(n_classes: int = 10, width: int = 32, seed: int = 0):
    """Conv(3x3) → Conv(3x3) → MaxPool → Conv(3x3) → Dense "features" (64) → logits.

    The 64-d layer named ``"features"`` is what other tasks reuse.

    Parameters
    ----------
    n_classes : int
        Number of output logits, in [2, 1000].
    width : int
        Filters of the first two convolutions (the third has twice as many), in [1, 1024].
    seed : int
        Seed of the initial weights (``keras.utils.set_random_seed``).

    Returns
    -------
    keras.Model
        Input ``(N, 8, 8, 1)`` float images in [0, 1]; output ``(N, n_classes)`` logits.

    Raises
    ------
    TypeError
        If ``n_classes`` or ``width`` is not an integer.
    ValueError
        If ``n_classes`` or ``width`` is outside its range.
    """
    import keras
    from keras import layers

    n_classes = check_int(n_classes, "n_classes", 2, 1000)
    width = check_int(width, "width", 1, 1024)
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 1))
    x = layers.Conv2D(width, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = layers.Conv2D(width, 3, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(2 * width, 3, padding="same", activation="relu", name="conv3")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu", name="features")(x)
    logits = layers.Dense(n_classes, name="logits")(x)
    return keras.Model(inputs, logits, name="glyph_cnn")


def _batch(images: np.ndarray) -> np.ndarray:
    return check_batch(images, "images", size=(8, 8))[..., None]


def train_classifier(model, images, labels, *, steps: int, batch_size: int = 128, lr: float = 2e-3, seed: int = 0):
    """Minimise softmax cross-entropy with Adam for ``steps`` minibatch steps; return the history.

    Parameters
    ----------
    model : keras.Model
        A classifier from :func:`build_classifier` (trained in place).
    images : ndarray, shape (N, 8, 8), float
        Grayscale 8x8 images in [0, 1] (glyphs or digits).
    labels : array_like, shape (N,), int
        Class indices in [0, n_classes).
    steps : int
        Number of minibatch updates (≥ 0).
    batch_size : int
        Images per minibatch (drawn with replacement).
    lr : float
        Adam learning rate.
    seed : int
        Seed of the minibatch draws.

    Returns
    -------
    dict
        The loss history of :func:`course_lib.train.run_steps`.

    Raises
    ------
    TypeError
        If ``images`` is not a float numpy array.
    ValueError
        If ``images`` does not have shape (N, 8, 8) with N ≥ 1, or holds NaN/inf or values outside [0, 1].
    """
    import keras
    import tensorflow as tf

    from .train import run_steps

    x, y = _batch(images), np.asarray(labels, dtype=np.int64)
    rng = np.random.default_rng(seed)
    optimizer = keras.optimizers.Adam(lr)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def update(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return loss

    def step(_i):
        idx = rng.integers(0, len(x), batch_size)
        return {"loss": update(x[idx], y[idx])}

    return run_steps(step, steps, desc="classifier", log_every=max(1, steps // 100))


def features(model, images) -> np.ndarray:
    """Activations of the ``"features"`` layer for a batch of 8x8 images, shape ``(N, 64)``.

    Parameters
    ----------
    model : keras.Model
        A classifier from :func:`build_classifier`.
    images : ndarray, shape (N, 8, 8), float
        Grayscale 8x8 images in [0, 1] (glyphs or digits).

    Returns
    -------
    ndarray, shape (N, 64), float32
        ReLU activations (≥ 0).

    Raises
    ------
    TypeError
        If ``images`` is not a float numpy array.
    ValueError
        If ``images`` does not have shape (N, 8, 8) with N ≥ 1, or holds NaN/inf or values outside [0, 1].
    """
    import keras

    extractor = keras.Model(model.input, model.get_layer("features").output)
    return np.asarray(extractor(_batch(images), training=False))


def accuracy(model, images, labels) -> float:
    """Share of ``images`` whose arg-max logit equals the label.

    Parameters
    ----------
    model : keras.Model
        A classifier from :func:`build_classifier`.
    images : ndarray, shape (N, 8, 8), float
        Grayscale 8x8 images in [0, 1] (glyphs or digits).
    labels : array_like, shape (N,), int
        True class indices.

    Returns
    -------
    float
        Accuracy in [0, 1].

    Raises
    ------
    TypeError
        If ``images`` is not a float numpy array.
    ValueError
        If ``images`` does not have shape (N, 8, 8) with N ≥ 1, or holds NaN/inf or values outside [0, 1].
    """
    logits = np.asarray(model(_batch(images), training=False))
    return float(np.mean(logits.argmax(1) == np.asarray(labels)))


def probe_accuracy(train_x, train_y, test_x, test_y, *, per_class: int | None, seed: int = 0) -> float:
    """Linear probe: logistic regression on ``per_class`` labelled examples per class (None = all).

    Features are standardised on the training subset; returns test accuracy.

    Parameters
    ----------
    train_x, test_x : array_like, shape (N, ...) and (M, ...), float
        Features (or images), flattened per example.
    train_y, test_y : array_like, shape (N,) and (M,), int
        Class labels.
    per_class : int or None
        Labelled training examples kept per class (≥ 1), drawn at random; ``None`` keeps all.
    seed : int
        Seed of the choice of examples.

    Returns
    -------
    float
        Test accuracy in [0, 1].

    Raises
    ------
    TypeError
        If ``per_class`` is neither None nor an integer.
    ValueError
        If ``per_class`` < 1 (scikit-learn raises its own ``ValueError`` for inconsistent arrays).

    References
    ----------
    G. Alain and Y. Bengio, "Understanding intermediate layers using linear classifier probes", ICLR workshop 2017.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 50)
    >>> x = rng.normal(size=(100, 2)) + 4 * y[:, None]
    >>> probe_accuracy(x, y, x, y, per_class=5)
    1.0
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train_x, test_x = np.reshape(train_x, (len(train_x), -1)), np.reshape(test_x, (len(test_x), -1))
    train_y = np.asarray(train_y)
    if per_class is not None:
        per_class = check_int(per_class, "per_class", 1)
        rng = np.random.default_rng(seed)
        keep = np.concatenate([rng.permutation(np.flatnonzero(train_y == c))[:per_class] for c in np.unique(train_y)])
        train_x, train_y = train_x[keep], train_y[keep]
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.5))
    probe.fit(train_x, train_y)
    return float(probe.score(test_x, test_y))


def pretrain_glyph_cnn(steps: int = 3000, n_glyphs: int = 30_000, seed: int = 0, save: bool = True):
    """Train the CNN on rendered glyphs (10 digits + 26 letters); save it as checkpoint ``glyph-cnn``.

    The quality recorded in the manifest is the accuracy on freshly rendered held-out glyphs (another seed) and
    the 10-labels-per-class probe accuracy on the held-out handwritten digits.

    Parameters
    ----------
    steps : int
        Training steps (Adam, minibatches of 128).
    n_glyphs : int
        Rendered training glyphs.
    seed : int
        Seed of the glyphs and the weights (held-out glyphs use ``seed + 1000``).
    save : bool
        Save the weights and the quality with :func:`course_lib.checkpoints.save_checkpoint`.

    Returns
    -------
    model : keras.Model
    history : dict
        Loss history (:func:`course_lib.train.run_steps`).
    quality : dict of str to float
        ``glyph_test_accuracy`` and ``digits_probe_accuracy_10_per_class``, in [0, 1].

    Raises
    ------
    TypeError, ValueError
        If a setting is not an integer or out of range (raised by :func:`course_lib.data.glyphs` and the training
        loop, e.g. ``n_glyphs`` outside [1, 200000]).
    """
    from .checkpoints import save_checkpoint
    from .data import digits, glyphs

    start = time.perf_counter()
    images, labels = glyphs(n_glyphs, letters=True, seed=seed)
    model = build_classifier(36, seed=seed)
    history = train_classifier(model, images, labels, steps=steps, seed=seed)
    seconds = time.perf_counter() - start
    test_images, test_labels = glyphs(2000, letters=True, seed=seed + 1000)
    (dx, dy), (tx, ty) = digits("train"), digits("test")
    quality = {
        "glyph_test_accuracy": round(accuracy(model, test_images, test_labels), 4),
        "digits_probe_accuracy_10_per_class": round(
            probe_accuracy(features(model, dx), dy, features(model, tx), ty, per_class=10), 4),
    }
    if save:
        save_checkpoint(model, "glyph-cnn", train_seconds=seconds, quality=quality)
    return model, history, quality



def pretrain_digit_classifier(steps: int = 3000, n_glyphs: int = 20_000, seed: int = 0, save: bool = True):
    """Train the 10-class evaluation classifier of the generation lessons; save it as ``digit-classifier``.

    Training data: ``n_glyphs`` rendered digit glyphs (seed ``seed + 2``) plus the 1 297 handwritten digits of
    ``digits("train")``; never the held-out handwritten digits ``digits("test")`` nor the held-out glyphs (seed
    :data:`course_lib.data.GLYPHS_HELDOUT_SEED`) that lessons use as held-out real images. Its 64-d ``features``
    layer is the feature space of KID and FID
    (instead of Inception, which cannot be downloaded here).

    Parameters
    ----------
    steps : int
        Training steps (Adam, minibatches of 128).
    n_glyphs : int
        Rendered digit glyphs added to the handwritten training digits.
    seed : int
        Seed of the weights (glyphs use ``seed + 2``).
    save : bool
        Save the weights and the quality with :func:`course_lib.checkpoints.save_checkpoint`.

    Returns
    -------
    model : keras.Model
    history : dict
        Loss history (:func:`course_lib.train.run_steps`).
    quality : dict of str to float
        Accuracy on held-out handwritten digits and on held-out glyphs, and the share of those real images
        classified with confidence >= 0.9 (the reference for the generated images' "confident share"), in [0, 1].

    Raises
    ------
    TypeError, ValueError
        If a setting is not an integer or out of range (raised by :func:`course_lib.data.glyphs` and the training
        loop, e.g. ``n_glyphs`` outside [1, 200000]).
    """
    from .checkpoints import save_checkpoint
    from .data import GLYPHS_HELDOUT_SEED, digits, glyphs

    start = time.perf_counter()
    glyph_x, glyph_y = glyphs(n_glyphs, seed=seed + 2)
    hand_x, hand_y = digits("train")
    images, labels = np.concatenate([glyph_x, hand_x]), np.concatenate([glyph_y, hand_y])
    model = build_classifier(10, seed=seed)
    history = train_classifier(model, images, labels, steps=steps, seed=seed)
    seconds = time.perf_counter() - start
    quality = {}
    heldout = {"digits_test": digits("test"), "glyphs_heldout": glyphs(2000, seed=GLYPHS_HELDOUT_SEED)}
    for name, (x, y) in heldout.items():
        logits = np.asarray(model(_batch(x), training=False))
        probabilities = np.exp(logits - logits.max(1, keepdims=True))
        probabilities /= probabilities.sum(1, keepdims=True)
        quality[f"{name}_accuracy"] = round(float(np.mean(logits.argmax(1) == y)), 4)
        quality[f"{name}_confident_share"] = round(float(np.mean(probabilities.max(1) >= 0.9)), 4)
    if save:
        save_checkpoint(model, "digit-classifier", train_seconds=seconds, quality=quality)
    return model, history, quality


@functools.cache
def load_digit_classifier():
    """The shipped 10-class evaluation classifier (checkpoint ``digit-classifier``), loaded once per process.

    It is a measuring instrument: every lesson and benchmark loads the same weights, so their numbers compare.

    Returns
    -------
    keras.Model
        Input ``(N, 8, 8, 1)`` in [0, 1], output ``(N, 10)`` logits.

    Raises
    ------
    course_lib.checkpoints.CheckpointError
        If the checkpoint is missing or does not match its manifest entry.
    """
    from .checkpoints import load_checkpoint

    model = build_classifier(10)
    load_checkpoint(model, "digit-classifier")
    return model


def probe_curve(train_x, train_y, test_x, test_y, budgets, *, seeds: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Linear-probe accuracy for each labels-per-class budget: mean and standard error over ``seeds`` subsets.

    A budget of ``None`` uses every label; its subset is the same for every seed, so it is fitted once
    (standard error 0).

    Parameters
    ----------
    train_x, test_x : array_like, shape (N, ...) and (M, ...), float
        Features (or images), flattened per example.
    train_y, test_y : array_like, shape (N,) and (M,), int
        Class labels.
    budgets : sequence of int or None
        Labelled examples per class (≥ 1), ``None`` for all.
    seeds : int
        Random subsets per budget (≥ 2 for a standard error).

    Returns
    -------
    means : ndarray, shape (len(budgets),), float64
        Mean test accuracy in [0, 1].
    errors : ndarray, shape (len(budgets),), float64
        Standard error of the mean over the subsets.

    Raises
    ------
    TypeError, ValueError
        As :func:`probe_accuracy`, for a bad budget.
    """
    means, errors = [], []
    for k in budgets:
        scores = [probe_accuracy(train_x, train_y, test_x, test_y, per_class=k, seed=s)
                  for s in range(seeds if k is not None else 1)]
        means.append(np.mean(scores))
        errors.append(np.std(scores, ddof=1) / np.sqrt(len(scores)) if len(scores) > 1 else 0.0)
    return np.array(means), np.array(errors)


def score_samples(images: np.ndarray, reference: np.ndarray | None = None, *, classifier=None, n_subsets: int = 100,
                  subset_size: int = 200, seed: int = 0, stats=None) -> dict:
    """Score generated 8x8 images with the course's digit classifier: class coverage, and KID/FID to ``reference``.

    The one scorer of generated samples (lessons 01, 02, 05 and the benchmarks; ``gan.evaluate_samples`` and
    ``vae.score_samples`` are this function).

    Parameters
    ----------
    images : ndarray, shape (N, 8, 8), float
        Generated images in [0, 1].
    reference : ndarray, shape (M, 8, 8), float, optional
        Real images in [0, 1] to compare with; ``None`` computes the class coverage only (cheaper).
    classifier : keras.Model, optional
        Feature extractor and classifier; defaults to the shipped ``digit-classifier``.
    n_subsets, subset_size : int
        KID's subsets (:func:`course_lib.metrics.kid`); ``subset_size`` must be smaller than both sets.
    seed : int
        Seed of KID's subsets.
    stats : (ndarray, ndarray), optional
        Feature standardisation (:func:`course_lib.metrics.reference_stats`); default: the reference's own.

    Returns
    -------
    dict
        ``confident_share`` (share of images given ≥ 0.9 to one class), ``class_shares`` (K,), ``classes_present``
        (classes predicted for ≥ 5 % of the images) from :func:`course_lib.metrics.class_coverage`; with a
        ``reference`` also ``kid`` and ``kid_std`` (KID ×10³ on features standardised with the reference's
        statistics: mean and std over subsets; ~0 for real vs real), ``fid``, and ``precision``, ``recall``,
        ``density``, ``coverage`` (k = 5, :func:`course_lib.metrics.precision_recall`, on the first min(N, M)
        images of each set), in the classifier's feature space.

    Raises
    ------
    TypeError, ValueError
        If ``images`` or ``reference`` is not a float batch of 8x8 images in [0, 1].

    References
    ----------
    Bińkowski et al., "Demystifying MMD GANs", ICLR 2018 (KID); Heusel et al., NeurIPS 2017 (FID).
    """
    from .metrics import class_coverage, fid, kid, precision_recall, softmax

    images = check_batch(images, "images", size=(8, 8))
    model = classifier if classifier is not None else load_digit_classifier()
    out = class_coverage(softmax(np.asarray(model(images[..., None], training=False))))
    if reference is not None:
        reference = check_batch(reference, "reference", size=(8, 8))
        f_gen, f_ref = features(model, images), features(model, reference)
        out["kid"], out["kid_std"] = kid(f_gen, f_ref, n_subsets=n_subsets, subset_size=subset_size, seed=seed,
                                         stats=stats)
        out["fid"] = fid(f_gen, f_ref)
        n = min(len(f_gen), len(f_ref))
        if n > 5:
            out.update(precision_recall(f_gen[:n], f_ref[:n], stats=stats))
    return out
