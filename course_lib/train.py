"""A training loop every lesson shares: progress bar, loss history, Ctrl-C safe.

The loop knows nothing about models: it calls ``step(i)``, which does one update and
returns a dict of numbers to log.  Interrupting with Ctrl-C (or the Jupyter stop button)
ends the loop after the last completed step and keeps its weights.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .validate import check_int

__all__ = ["run_steps"]


def run_steps(
    step: Callable[[int], dict],
    n_steps: int | None,
    *,
    desc: str = "training",
    log_every: int = 1,
    on_log: Callable[[int, dict], None] | None = None,
) -> dict[str, list[float]]:
    """Run ``step(i)`` for ``i = 0 … n_steps-1`` with a tqdm progress bar.

    Parameters
    ----------
    step : callable
        Does one training update and returns ``{"loss": value, ...}`` (numbers or scalar tensors).
    n_steps : int or None
        Number of steps; ``None`` runs until ``step`` raises ``StopIteration`` (e.g. a time budget is spent).
    desc : str
        Label of the progress bar.
    log_every : int
        Record the history every ``log_every`` steps.
    on_log : callable, optional
        Called as ``on_log(i, logs)`` whenever the history is recorded (e.g. to save snapshots).

    Returns
    -------
    dict
        ``{"step": [...], name: [...], "completed": [n]}``; also has ``"interrupted_at"`` if Ctrl-C
        stopped the loop.
    """
    import itertools

    from tqdm.auto import tqdm

    n_steps = None if n_steps is None else check_int(n_steps, "n_steps", 0)
    log_every = check_int(log_every, "log_every", 1)
    history: dict[str, list] = {"step": []}
    bar = tqdm(itertools.count() if n_steps is None else range(n_steps), desc=desc, total=n_steps, leave=True)
    completed = 0
    try:
        for i in bar:
            try:
                logs = {key: float(np.asarray(value)) for key, value in step(i).items()}
            except StopIteration:
                break
            completed = i + 1
            if i % log_every == 0 or i == (n_steps or 0) - 1:
                history["step"].append(i)
                for key, value in logs.items():
                    history.setdefault(key, []).append(value)
                bar.set_postfix({key: f"{value:.4g}" for key, value in logs.items()}, refresh=False)
                if on_log is not None:
                    on_log(i, logs)
    except KeyboardInterrupt:
        print(f"Interrupted after {completed} of {n_steps or '?'} steps; the model keeps the weights of step "
              f"{completed}.")
        history["interrupted_at"] = [completed]
    finally:
        bar.close()
    history["completed"] = [completed]
    return history
