"""Auto-checked exercises: ``check(id, answer)`` and ``reveal(id)``.

Each lesson's exercises live in a module of this package (``l00_concepts``, ``l03_bm3d``, ...)
and register themselves with :func:`exercise`.  A check *raises* ``AssertionError`` with a hint
when the answer is wrong, so a wrong answer can fail a test; a right one prints a short
confirmation.  The reference solution of each exercise is a plain function whose source
:func:`reveal` prints and which the test suite puts in place of the learner's cell.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Exercise", "exercise", "check", "reveal", "solution_source", "get", "all_exercises", "close"]


@dataclass(frozen=True)
class Exercise:
    """One exercise: its id, what it asks, how to check it and its reference solution."""

    id: str
    title: str
    verify: Callable[[Any], str]
    solution: Callable
    wrong: Callable
    answer: str  # name of the function/variable the learner defines


_REGISTRY: dict[str, Exercise] = {}


def exercise(id: str, title: str, *, solution: Callable, wrong: Callable, answer: str | None = None):
    """Register ``verify`` (the decorated function) as the checker of exercise ``id``.

    ``verify(answer)`` raises ``AssertionError("hint")`` on a wrong answer and returns a short
    message on a right one. ``solution`` is the reference answer (its source is revealed),
    ``wrong`` a plausible wrong answer the unit tests use to prove the check can fail.
    """

    def register(verify: Callable[[Any], str]) -> Callable[[Any], str]:
        _REGISTRY[id] = Exercise(id, title, verify, solution, wrong, answer or solution.__name__)
        return verify

    return register


def _load_all() -> None:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


def get(id: str) -> Exercise:
    """The registered exercise ``id`` (e.g. ``"00.psnr"``)."""
    if id not in _REGISTRY:
        _load_all()
    if id not in _REGISTRY:
        raise KeyError(f"no exercise {id!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[id]


def all_exercises() -> list[Exercise]:
    """Every exercise of every lesson, sorted by id."""
    _load_all()
    return [_REGISTRY[key] for key in sorted(_REGISTRY)]


def check(id: str, answer: Any) -> None:
    """Check the learner's ``answer`` to exercise ``id``; raise ``AssertionError`` with a hint if wrong."""
    ex = get(id)
    if answer is Ellipsis or answer is None:
        raise AssertionError(f"Exercise {id}: replace the `...` with your answer first, then run this cell again.")
    try:
        message = ex.verify(answer)
    except NotImplementedError:
        raise AssertionError(f"Exercise {id}: your function still raises NotImplementedError — fill it in.") from None
    except (TypeError, ValueError, AttributeError) as error:
        raise AssertionError(
            f"Exercise {id}: your answer failed with {type(error).__name__}: {error}. "
            "Does it still contain `...`, or return nothing?"
        ) from None
    print(f"✓ Exercise {id} ({ex.title}): correct. {message}".rstrip())


def solution_source(id: str) -> str:
    """Source code of the reference solution, ready to paste into the exercise cell."""
    return textwrap.dedent(inspect.getsource(get(id).solution))


def reveal(id: str) -> None:
    """Print the reference solution of exercise ``id`` (try it yourself first!)."""
    print(f"# Solution of exercise {id}: {get(id).title}\n")
    print(solution_source(id))


def close(value: float, expected: float, *, tol: float, what: str, hint: str) -> str:
    """Assert ``|value - expected| <= tol``; return a confirmation naming ``what``."""
    value = float(value)
    assert abs(value - expected) <= tol, f"{what} is {value:.4g}, expected {expected:.4g} (± {tol:g}). Hint: {hint}"
    return f"{what} = {value:.4g}."
