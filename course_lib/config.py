"""Quick mode and seeding: the two switches every lesson uses.

``COURSE_QUICK=1`` (set by the test suite) makes lessons load the shipped
checkpoints and train for a handful of steps.  Both modes run the same code;
only the step counts differ, chosen with :func:`quick`.
"""

from __future__ import annotations

import os
import random
import sys

import numpy as np

__all__ = ["is_quick", "quick", "seed_everything", "limit_threads", "load_benchmark", "lesson_run_time"]


def is_quick() -> bool:
    """Return True when the environment variable ``COURSE_QUICK`` is ``1``.

    Returns
    -------
    bool
        True in quick mode (the test suite sets ``COURSE_QUICK=1``).

    Examples
    --------
    >>> import os
    >>> is_quick() == (os.environ.get("COURSE_QUICK", "0").strip() == "1")
    True
    """
    return os.environ.get("COURSE_QUICK", "0").strip() == "1"


def quick(full_value, quick_value):
    """Return ``quick_value`` in quick mode and ``full_value`` otherwise.

    Parameters
    ----------
    full_value : object
        What a learner gets (e.g. 2000 training steps).
    quick_value : object
        What the tests get under ``COURSE_QUICK=1`` (e.g. 20 steps).

    Returns
    -------
    object
        One of the two values, unchanged.

    Examples
    --------
    >>> steps = quick(2000, 20)   # 2000 training steps for a learner, 20 in the tests
    >>> steps == (20 if is_quick() else 2000)
    True
    """
    return quick_value if is_quick() else full_value


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed Python, numpy and (if it is imported) Keras/TensorFlow; return a numpy Generator.

    Parameters
    ----------
    seed : int
        Seed for ``random``, numpy's legacy global generator, ``keras.utils.set_random_seed`` and the returned
        Generator (≥ 0).

    Returns
    -------
    numpy.random.Generator
        ``np.random.default_rng(seed)``.

    Examples
    --------
    >>> seed_everything(0).integers(10) == np.random.default_rng(0).integers(10)
    np.True_
    """
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - learners' code may still use the legacy global generator
    if "keras" in sys.modules or "tensorflow" in sys.modules:
        import keras

        keras.utils.set_random_seed(seed)
    return np.random.default_rng(seed)


def limit_threads(n: int | None = None) -> None:
    """Cap the threads numeric libraries use (default: ``COURSE_THREADS`` or all cores).

    Call before TensorFlow runs its first operation; later calls are ignored by TensorFlow.
    ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS`` are set only where not yet set.

    Parameters
    ----------
    n : int or None
        Number of threads (≥ 1); ``None`` or 0 reads ``COURSE_THREADS``, then falls back to ``os.cpu_count()``.
    """
    n = n or int(os.environ.get("COURSE_THREADS", "0")) or os.cpu_count() or 1
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(n))
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(n)
            tf.config.threading.set_inter_op_parallelism_threads(min(n, 2))
        except RuntimeError:  # TensorFlow already initialised: keep its settings
            pass


def load_benchmark(name: str) -> dict:
    """The stored results of a benchmark script: ``benchmarks/results/<name>.json`` (e.g. ``"gan"``).

    Lessons quote measured numbers from these files (printed by a cell) instead of typing them into markdown.
    ``$COURSE_RESULTS`` names another folder (e.g. the output of a ``--quick`` smoke run).

    Parameters
    ----------
    name : str
        File stem, the name of the script in ``benchmarks/`` that writes it.

    Returns
    -------
    dict
        The parsed JSON.

    Raises
    ------
    FileNotFoundError
        If the file does not exist; the message names the script that writes it.

    Examples
    --------
    >>> load_benchmark("no-such-benchmark")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: ...no-such-benchmark.json is missing; make it with the script benchmarks/no-such-benchmark.py
    """
    import json
    from pathlib import Path

    folder = os.environ.get("COURSE_RESULTS") or Path(__file__).resolve().parent.parent / "benchmarks" / "results"
    path = Path(folder) / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; make it with the script benchmarks/{name}.py")
    return json.loads(path.read_text())


def lesson_run_time(lesson: str) -> str:
    """The measured run time of ``lesson`` (e.g. ``"00_concepts"``) in both modes, as one line of text.

    Read from ``benchmarks/results/lesson_timings.json`` (written by ``python benchmarks/lesson_timings.py``:
    wall time of all cells in a started kernel on a 2-core CPU), so that a lesson's header never types a time.

    Parameters
    ----------
    lesson : str
        Lesson stem, e.g. ``"00_concepts"``.

    Returns
    -------
    str
        ``"measured run time on N cores: quick mode … s (load average …, date) · full mode …"``.

    Raises
    ------
    KeyError
        If ``lesson`` has no entry in the timings file.
    FileNotFoundError
        If the timings file is missing.
    """
    timings = load_benchmark("lesson_timings")
    if lesson not in timings:
        raise KeyError(f"lesson must be one of {sorted(timings)} (benchmarks/results/lesson_timings.json); "
                       f"got {lesson!r}")
    parts = []
    for mode in ("quick", "full"):
        t = timings[lesson].get(mode)
        if t:
            parts.append(f"{mode} mode {t['seconds']:.0f} s (load average {t['load_average']:.1f}, {t['date']})")
    return f"measured run time on {timings[lesson][next(iter(timings[lesson]))]['cpu_count']} cores: " + \
        " · ".join(parts)
