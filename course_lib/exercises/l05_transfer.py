"""Exercises of lesson 05 (transfer): freeze the right layers, call a winner with error bars, a paired effect size,
the memoriser baseline, the blind-spot masking."""

from __future__ import annotations

import numpy as np

from . import close, exercise

# --- 05.freeze: freeze the first k layers that hold weights ---------------------------------------------------


def freeze_first_layers(model, k):
    """Freeze the first ``k`` layers **that hold weights**; make every later layer trainable.

    Input, activation and reshape layers hold no weights and are not counted.

    Parameters
    ----------
    model : keras.Model
        The model (changed in place).
    k : int
        Number of weighted layers to freeze (≥ 0; more than there are freezes all).

    Returns
    -------
    keras.Model
        ``model`` itself.
    """
    weighted = [layer for layer in model.layers if layer.weights]
    for i, layer in enumerate(weighted):
        layer.trainable = i >= k
    return model


def _freeze_wrong(model, k):
    for i, layer in enumerate(model.layers):  # counts the input and activation layers too: off target
        layer.trainable = i >= k
    return model


def _tiny_discriminator():
    import keras
    from keras import layers

    image = keras.Input((8, 8, 1))
    x = layers.LeakyReLU(0.2)(layers.Conv2D(4, 3, strides=2, padding="same", name="d_conv1")(image))
    x = layers.LeakyReLU(0.2)(layers.Conv2D(8, 3, strides=2, padding="same", name="d_conv2")(x))
    return keras.Model(image, layers.Dense(1, name="d_logit")(layers.Flatten()(x)))


@exercise("05.freeze", "freeze the right layers (FreezeD)", solution=freeze_first_layers, wrong=_freeze_wrong)
def _check_freeze(fn) -> str:
    for k, frozen in ((1, {"d_conv1"}), (2, {"d_conv1", "d_conv2"}), (0, set())):
        model = fn(_tiny_discriminator(), k)
        got = {layer.name for layer in model.layers if layer.weights and not layer.trainable}
        if not (got == frozen):
            raise AssertionError(
                f"with k={k} the frozen layers are {sorted(got)}, expected {sorted(frozen)}. Hint: "
                "count only layers that hold weights (`layer.weights` is not empty), from the input "
                "side, and set `trainable = True` on the others.")
        trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        if not (trainable > 0):
            raise AssertionError("nothing is left to train: the last layers must stay trainable")
    return "FreezeD keeps D's first conv fixed: its generic stroke detectors survive while the upper layers adapt."


# --- 05.winner: which strategy wins at N, with error bars -------------------------------------------------------


def winner(table, n, higher_is_better=True):
    """Best strategy at ``n_target == n`` in a table of rows ``{strategy, n_target, mean, se}``, or ``"tie"``.

    It is a tie unless the best beats the runner-up by more than two combined standard errors
    ``2·sqrt(se1² + se2²)``.

    Parameters
    ----------
    table : list of dict
        Rows with keys ``strategy`` (str), ``n_target`` (int), ``mean`` and ``se`` (float or None, in the
        metric's unit); at least two rows at ``n``.
    n : int
        Number of target examples to compare at.
    higher_is_better : bool
        False for a metric such as FID or an error, where lower is better.

    Returns
    -------
    str
        The winning strategy or ``"tie"``.
    """
    rows = sorted((r for r in table if r["n_target"] == n), key=lambda r: r["mean"], reverse=higher_is_better)
    best, second = rows[0], rows[1]
    gap = abs(best["mean"] - second["mean"])
    return best["strategy"] if gap > 2 * np.hypot(best["se"] or 0.0, second["se"] or 0.0) else "tie"


def _winner_wrong(table, n, higher_is_better=True):
    rows = [r for r in table if r["n_target"] == n]
    return max(rows, key=lambda r: r["mean"])["strategy"]  # ignores the error bars and the metric's direction


def _row(strategy, n, mean, se):
    return {"strategy": strategy, "n_target": n, "mean": mean, "se": se}


@exercise("05.winner", "call a winner only beyond the error bars", solution=winner, wrong=_winner_wrong)
def _check_winner(fn) -> str:
    table = [_row("scratch", 1, 20.0, 0.3), _row("fine-tune", 1, 30.0, 0.2), _row("none", 1, 29.0, 0.1),
             _row("scratch", 500, 31.0, 0.4), _row("fine-tune", 500, 31.2, 0.3), _row("none", 500, 29.0, 0.1)]
    for args, expected, hint in (
        ((table, 1, True), "fine-tune", "with higher_is_better, the largest mean is the candidate."),
        ((table, 500, True), "tie", "31.2 vs 31.0 differ by 0.2 < 2·sqrt(0.3² + 0.4²) = 1.0: not a measured win."),
        (([_row("a", 5, 10.0, 0.5), _row("b", 5, 20.0, 0.5)], 5, False), "a",
         "for KID (lower is better) the smallest mean wins: use higher_is_better."),
        (([_row("a", 5, 1.0, 0.1), _row("b", 5, 2.0, 0.1), _row("c", 5, 9.0, 0.1)], 5, False), "a",
         "compare the best with the runner-up, not with the worst."),
    ):
        got = fn(*args)
        if not (got == expected):
            raise AssertionError(f"winner{args[1:]} returned {got!r}, expected {expected!r}. Hint: {hint}")
    return "A difference smaller than its error bars is not a result: say 'tie' (or run more seeds)."


# --- 05.effect: a paired effect size and its standard error ----------------------------------------------------


def paired_effect(a, b):
    """Mean of the per-seed differences ``a_i - b_i`` and its standard error ``std(d, ddof=1) / sqrt(n)``.

    Parameters
    ----------
    a, b : array_like, shape (n,), float
        One result per seed for two strategies, same seeds in the same order (n ≥ 2).

    Returns
    -------
    mean : float
        Mean difference, in the results' unit.
    se : float
        Its standard error.
    """
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))


def _effect_wrong(a, b):
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    return float(d.mean()), float(d.std())  # the spread of the differences, not the error of their mean


@exercise("05.effect", "effect size with its error bar", solution=paired_effect, wrong=_effect_wrong)
def _check_effect(fn) -> str:
    a, b = [31.0, 30.0, 32.0, 31.5], [29.0, 28.5, 30.0, 29.5]
    d = np.subtract(a, b)
    mean, se = fn(a, b)
    close(mean, d.mean(), tol=1e-9, what="the mean effect", hint="subtract seed by seed, then average.")
    close(se, d.std(ddof=1) / np.sqrt(len(d)), tol=1e-9, what="its standard error",
          hint="the standard error of a mean is std(differences, ddof=1) / sqrt(number of seeds).")
    return (f"{mean:.2f} ± {se:.2f} dB. Pairing by seed (same target images, same noise) removes what the two arms "
            "share, so the error bar is smaller than for two independent means.")


# --- 05.memorise: the memoriser baseline of a generation table --------------------------------------------------


def memorise(train_images, n, seed=0):
    """The "generator" that copies its training set.

    Parameters
    ----------
    train_images : ndarray, shape (N, 8, 8)
        The training images.
    n : int
        Number of samples; may exceed N.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    ndarray, shape (n, 8, 8)
        ``n`` images drawn uniformly **with replacement** from ``train_images``.
    """
    rng = np.random.default_rng(seed)
    return np.asarray(train_images)[rng.integers(0, len(train_images), n)]


def _memorise_wrong(train_images, n, seed=0):
    return np.resize(np.asarray(train_images), (n,) + np.shape(train_images)[1:])  # cycles in order: not a sample


@exercise("05.memorise", "the memoriser baseline", solution=memorise, wrong=_memorise_wrong)
def _check_memorise(fn) -> str:
    train = np.random.default_rng(3).random((10, 8, 8)).astype(np.float32)
    out = np.asarray(fn(train, 1000, seed=1))
    _require(out.shape == (1000, 8, 8), f"return n images of shape (n, 8, 8); got shape {out.shape}")
    index = {im.tobytes(): i for i, im in enumerate(train)}
    _require(all(im.tobytes() in index for im in out),
             "every sample must be one of the training images, unchanged. Hint: index train_images with random "
             "integers.")
    counts = np.bincount([index[im.tobytes()] for im in out], minlength=len(train))
    _require(counts.min() > 50,
             f"each of the 10 training images should appear about 100 times in 1000 draws; counts "
             f"{counts.tolist()}. Hint: draw uniformly among all N images.")
    first = [index[im.tobytes()] for im in out[:20]]
    _require(first != sorted(first) and first != [i % 10 for i in range(20)],
             "the samples come out in order. Hint: draw them at random (rng.integers), not by cycling through the set.")
    again, other = np.asarray(fn(train, 1000, seed=1)), np.asarray(fn(train, 1000, seed=2))
    _require(np.array_equal(out, again) and not np.array_equal(out, other),
             "Hint: use numpy.random.default_rng(seed): the same seed must give the same samples, another seed others.")
    big = np.asarray(fn(train[:3], 20, seed=0))
    _require(big.shape == (20, 8, 8), "Hint: n may exceed the number of training images: draw with replacement.")
    return ("A memoriser's samples are real images: precision and KID can look excellent while recall and coverage "
            "show that only N images were ever seen.")


# --- 05.early_stop: the early-stopping fine-tuning loop -----------------------------------------------------------


def fit_with_early_stopping(model, train_step, validate, max_steps, eval_every=10, patience=3):
    """Early-stopping training loop (reference solution of exercise 05.early_stop).

    Parameters
    ----------
    model : keras.Model
        Anything with ``get_weights()`` / ``set_weights()``; ends holding the best weights.
    train_step : callable
        ``train_step()`` does one update.
    validate : callable
        ``validate() -> float``: validation PSNR, higher is better.
    max_steps, eval_every, patience : int
        Step cap, validation interval, evaluations without improvement before stopping.

    Returns
    -------
    dict
        ``best_step``, ``best_psnr`` and the curve ``steps``, ``psnr`` (starting at step 0, before training).
    """
    best_psnr = validate()
    best_step, best_weights, worse = 0, model.get_weights(), 0
    steps, psnr = [0], [best_psnr]
    for i in range(1, max_steps + 1):
        train_step()
        if i % eval_every == 0:
            score = validate()
            steps.append(i)
            psnr.append(score)
            if score > best_psnr:
                best_psnr, best_step, best_weights, worse = score, i, model.get_weights(), 0
            else:
                worse += 1
                if worse >= patience:
                    break
    model.set_weights(best_weights)
    return {"best_step": best_step, "best_psnr": best_psnr, "steps": steps, "psnr": psnr}


def _early_stop_wrong(model, train_step, validate, max_steps, eval_every=10, patience=3):
    best_psnr, best_step, worse = validate(), 0, 0
    steps, psnr = [0], [best_psnr]
    for i in range(1, max_steps + 1):
        train_step()
        if i % eval_every == 0:
            score = validate()
            steps.append(i)
            psnr.append(score)
            if score > best_psnr:
                best_psnr, best_step, worse = score, i, 0
            else:
                worse += 1
                if worse >= patience:
                    break
    return {"best_step": best_step, "best_psnr": best_psnr, "steps": steps, "psnr": psnr}  # keeps the LAST weights


def _require(condition, hint: str) -> None:
    """Raise ``AssertionError(hint)`` unless ``condition`` (a bare ``assert`` would vanish under ``python -O``)."""
    if not condition:
        raise AssertionError(hint)


class _Counter:
    """A stand-in model whose only weight counts the training steps, with a scripted validation curve."""

    def __init__(self, curve):
        self.w, self.curve, self.calls = 0, curve, 0

    def get_weights(self):
        return [np.array(self.w)]

    def set_weights(self, weights):
        self.w = int(weights[0])

    def step(self):
        self.w += 1
        self.calls += 1

    def validate(self):
        return self.curve(self.w)


def _scripted(fn) -> None:
    peak = _Counter(lambda w: 30.0 - abs(w - 20) / 10)  # best at step 20, then worse and worse
    out = fn(peak, peak.step, peak.validate, 100, eval_every=10, patience=3)
    _require(out["steps"][0] == 0 and len(out["steps"]) == len(out["psnr"]),
             "the curve must start at step 0 (validate once before training) and list one PSNR per step listed.")
    _require(out["best_step"] == 20 and np.isclose(out["best_psnr"], 30.0),
             f"best_step {out['best_step']}, best_psnr {out['best_psnr']}: expected step 20 and 30.0 dB. Hint: "
             "compare each validation score with the best so far and remember the step.")
    _require(peak.calls == 50,
             f"train_step was called {peak.calls} times; with the best at step 20 and patience 3 the loop should "
             "stop after the evaluations at steps 30, 40 and 50. Hint: count evaluations without improvement, reset "
             "the count on an improvement, stop when it reaches patience.")
    _require(peak.w == 20,
             f"after the loop the model holds the weights of step {peak.w}, not those of the best step 20. Hint: "
             "copy model.get_weights() at each new best and call model.set_weights(best) before returning.")
    rising = _Counter(lambda w: 20.0 + w / 100)
    out = fn(rising, rising.step, rising.validate, 35, eval_every=10, patience=2)
    _require(rising.calls == 35 and out["best_step"] == 30,
             f"with a curve that keeps rising the loop must run all 35 steps (it ran {rising.calls}) and keep the "
             f"best evaluated step 30 (got {out['best_step']}).")


def _real_run(fn) -> str:
    from .. import data
    from .. import transfer_restore as tr

    photos = list(data.train_photos().values())
    images = data.random_patches([im[:-64] for im in photos], 5, 96, seed=3)
    val = data.random_patches([im[-64:] for im in photos], 4, 48, seed=4)
    model = tr.source_copy()
    step = tr.training_step(model, images, tr.add_correlated_noise, lr=1e-4, max_steps=30, seed=0)
    validate = tr.validator(model, val, tr.add_correlated_noise)
    out = fn(model, step, validate, 30, eval_every=10, patience=2)
    start, after = out["psnr"][0], validate()
    _require(out["best_psnr"] > start + 0.3,
             f"on correlated noise the validation PSNR went from {start:.2f} to at best {out['best_psnr']:.2f} dB in "
             "30 steps; fine-tuning should gain more. Does your loop call train_step() once per step?")
    _require(abs(after - out["best_psnr"]) < 1e-3,
             f"the model scores {after:.2f} dB after your loop but its best was {out['best_psnr']:.2f} dB: restore "
             "the best weights.")
    return f"{start:.2f} → {out['best_psnr']:.2f} dB"


@exercise("05.early_stop", "fine-tune with early stopping", solution=fit_with_early_stopping,
          wrong=_early_stop_wrong)
def _check_early_stop(fn) -> str:
    _scripted(fn)
    gain = _real_run(fn)
    return (f"Validation PSNR of the shipped denoiser on correlated noise, 30 steps on 5 crops: {gain}. The test "
            "images were never looked at: the validation crops chose the weights.")


# --- 05.blind_spot: the blind-spot masking (J-invariance) --------------------------------------------------------


def blind_spot_input(noisy, mask):
    """The blind-spot network's input (reference solution of exercise 05.blind_spot).

    Parameters
    ----------
    noisy : ndarray, shape (N, H, W)
        Noisy images.
    mask : ndarray of bool, shape (N, H, W)
        The hidden pixels: a grid, no two of them neighbours.

    Returns
    -------
    ndarray, shape (N, H, W), float32
        ``noisy`` with each hidden pixel replaced by the mean of its 4 neighbours (edges reflected).
    """
    p = np.pad(np.asarray(noisy, np.float32), [(0, 0), (1, 1), (1, 1)], mode="reflect")
    neighbours = (p[:, :-2, 1:-1] + p[:, 2:, 1:-1] + p[:, 1:-1, :-2] + p[:, 1:-1, 2:]) / 4
    return np.where(mask, neighbours, noisy).astype(np.float32)


def _blind_spot_wrong(noisy, mask):
    """Smooths each hidden pixel with a 3×3 box that includes the pixel itself: its own noise leaks in."""
    p = np.pad(np.asarray(noisy, np.float32), [(0, 0), (1, 1), (1, 1)], mode="reflect")
    h, w = np.shape(noisy)[1:]
    box = sum(p[:, i:i + h, j:j + w] for i in range(3) for j in range(3)) / 9
    return np.where(mask, box, noisy).astype(np.float32)


@exercise("05.blind_spot", "the blind-spot masking", solution=blind_spot_input, wrong=_blind_spot_wrong)
def _check_blind_spot(fn) -> str:
    from ..self_supervised import blind_spot_mask

    rng = np.random.default_rng(7)
    noisy = rng.random((3, 24, 20)).astype(np.float32)
    mask = blind_spot_mask(noisy.shape, rng, spacing=4)
    out = np.asarray(fn(noisy.copy(), mask))
    _require(out.shape == noisy.shape, f"return an array of the input's shape {noisy.shape}; got {out.shape}")
    _require(np.array_equal(out[~mask], noisy[~mask]),
             "the pixels that are not hidden must reach the network unchanged. Hint: np.where(mask, replacement, "
             "noisy).")
    jolted = noisy.copy()
    jolted[mask] += rng.normal(0, 5, int(mask.sum())).astype(np.float32)  # change only the hidden pixels' values
    moved = np.abs(np.asarray(fn(jolted, mask)) - out)
    _require(moved.max() < 1e-5,
             f"the input still depends on the hidden pixels' own noisy values (changing them moved the input by up to "
             f"{moved.max():.3g}): the network could copy a pixel's noise into its estimate of that pixel, and the "
             "loss would teach it to. Hint: build each hidden pixel's value from its neighbours only, never from "
             "itself.")
    near = [noisy[k, max(i - 1, 0):i + 2, max(j - 1, 0):j + 2] for k, i, j in zip(*np.nonzero(mask))]
    inside = [lo.min() - 1e-6 <= v <= lo.max() + 1e-6 for lo, v in zip(near, out[mask])]
    _require(all(inside),
             "a hidden pixel's value should be a local guess from its neighbours (between their smallest and largest "
             "value), not a constant. Hint: the mean of the 4 neighbours (up, down, left, right).")
    return ("J-invariant: the input no longer depends on the hidden pixels, so the network's output there cannot see "
            "their noise, and the squared error against the noisy pixel is the error against the clean one plus a "
            "constant.")
