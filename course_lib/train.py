"""A training loop every lesson shares (progress bar, loss history, Ctrl-C safe), and the N(0, I) codes
the generative models are trained and sampled with.

The loop knows nothing about models: it calls ``step(i)``, which does one update and
returns a dict of numbers to log.  Interrupting with Ctrl-C (or the Jupyter stop button)
lets the step in progress finish, then ends the loop and keeps its weights; the message
names the step whose weights the model holds.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable

import numpy as np

from .validate import check_int, check_positive

__all__ = ["run_steps", "normal_codes"]


def run_steps(
    step: Callable[[int], dict],
    n_steps: int | None,
    *,
    desc: str = "training",
    log_every: int = 1,
    on_log: Callable[[int, dict], None] | None = None,
    minutes: float | None = None,
) -> dict[str, list[float]]:
    """Run ``step(i)`` for ``i = 0 … n_steps-1`` with a tqdm progress bar.

    Parameters
    ----------
    step : callable
        Does one training update and returns ``{"loss": value, ...}`` (numbers or scalar tensors).
    n_steps : int or None
        Number of steps (≥ 0); ``None`` runs until ``step`` raises ``StopIteration`` or the ``minutes`` budget is
        spent.
    desc : str
        Label of the progress bar (keep it short: a long label wraps the bar).
    log_every : int
        Record the history every ``log_every`` steps (≥ 1).
    on_log : callable, optional
        Called as ``on_log(i, logs)`` whenever the history is recorded (e.g. to save snapshots).
    minutes : float, optional
        A time budget in minutes (> 0): the loop ends (normally) once it is spent, and the bar shows the elapsed
        seconds against the budget, with the step count beside them.

    Returns
    -------
    dict of str to list
        ``{"step": [...], name: [...], "completed": [n]}``; ``completed`` is the number of steps done
        (``step`` only holds the logged ones). Also has ``"interrupted_at"`` if Ctrl-C stopped the loop.
        A loop that ends normally (all steps, ``StopIteration`` or the budget) leaves a full (green) bar.

    Raises
    ------
    TypeError
        If ``n_steps`` (when not None) or ``log_every`` is not an integer, or ``minutes`` not a number.
    ValueError
        If ``n_steps`` < 0, ``log_every`` < 1 or ``minutes`` ≤ 0.

    Examples
    --------
    >>> history = run_steps(lambda i: {"loss": 1.0 / (i + 1)}, 3, desc="demo")
    >>> history["loss"], history["completed"]
    ([1.0, 0.5, 0.3333333333333333], [3])
    """
    from tqdm.auto import tqdm

    n_steps = None if n_steps is None else check_int(n_steps, "n_steps", 0)
    log_every = check_int(log_every, "log_every", 1)
    budget = None if minutes is None else 60 * check_positive(minutes, "minutes")
    history: dict[str, list] = {"step": []}
    if budget is not None:
        bar = tqdm(total=round(budget), desc=desc, unit="s", leave=True,
                   bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s{postfix}")
    else:
        bar = tqdm(total=n_steps, desc=desc, unit="step", leave=True)
    start, completed, postfix, running = time.perf_counter(), 0, {}, None
    # Ctrl-C (or Jupyter's stop button, which sends SIGINT) while a step runs is held until that step has
    # finished, so that the step is either applied and counted or not started; a second Ctrl-C stops at once.
    stop, previous = {"requested": False}, None

    def hold(_signum, _frame):
        if stop["requested"]:
            raise KeyboardInterrupt
        stop["requested"] = True

    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, hold)
    try:
        i = 0
        while n_steps is None or i < n_steps:
            if budget is not None and time.perf_counter() - start >= budget:
                break
            running = i  # step i may be part-way through until it returns
            try:
                logs = {key: float(np.asarray(value)) for key, value in step(i).items()}
            except StopIteration:
                break
            completed, running = i + 1, None
            if i % log_every == 0 or i == (n_steps or 0) - 1 or stop["requested"]:
                history["step"].append(i)
                for key, value in logs.items():
                    history.setdefault(key, []).append(value)
                postfix = {key: f"{value:.4g}" for key, value in logs.items()}
                if on_log is not None:
                    on_log(i, logs)
            if budget is not None:
                bar.set_postfix({"steps": completed, **postfix}, refresh=False)
                bar.update(min(time.perf_counter() - start, budget) - bar.n)
            else:
                bar.set_postfix(postfix, refresh=False)
                bar.update(1)
            if stop["requested"]:
                print(f"Interrupted after {completed} of {n_steps or '?'} steps (the step in progress was finished "
                      f"first); the model keeps the weights of step {completed}.")
                history["interrupted_at"] = [completed]
                break
            i += 1
        # A normal end: fill the bar, so that it ends green (a partly filled bar reads as "interrupted").
        if bar.total is not None and "interrupted_at" not in history:
            bar.update(bar.total - bar.n)
    except KeyboardInterrupt:
        if running is None:  # between steps (e.g. in on_log): the last step is complete
            print(f"Interrupted after {completed} of {n_steps or '?'} steps; the model keeps the weights of step "
                  f"{completed}.")
        else:  # inside step(i) (a second Ctrl-C, or raised by the step itself): its update may be applied or not
            print(f"Interrupted after {completed} of {n_steps or '?'} steps, during step {completed + 1}; the model "
                  f"keeps the weights of step {completed}, or of step {completed + 1} if its update had already "
                  "been applied.")
        history["interrupted_at"] = [completed]
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        bar.close()
    history["completed"] = [completed]
    return history


def normal_codes(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """``n`` codes z ~ N(0, I) of dimension ``dim``: the GAN's input noise and the VAE's prior samples.

    Parameters
    ----------
    n : int
        Number of codes, at least 1.
    dim : int
        Dimension of each code, at least 1.
    seed : int
        Seed of ``numpy.random.default_rng``; same seed, same codes.

    Returns
    -------
    ndarray, shape (n, dim), float32

    Raises
    ------
    TypeError, ValueError
        If ``n``, ``dim`` or ``seed`` is not an integer in range.

    Examples
    --------
    >>> normal_codes(2, 3, seed=0).shape
    (2, 3)
    """
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    return rng.standard_normal((check_int(n, "n", 1), check_int(dim, "dim", 1))).astype(np.float32)
