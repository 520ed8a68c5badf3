"""Auto-checked exercises: ``answer = check(id, answer)`` and ``reveal(id)``.

Each lesson's exercises live in a module of this package (``l00_concepts``, ``l03_bm3d``, ...)
and register themselves with :func:`exercise`. A lesson checks an answer with
``psnr_by_hand = check("00.psnr", psnr_by_hand)``; :func:`check` returns the function the rest of
the lesson should use:

- a right answer prints a short confirmation and is returned unchanged;
- an answer not attempted yet (the ``...`` stub, a function whose body is still ``...``, that
  returns ``...`` or raises ``NotImplementedError``) prints a friendly note and returns the
  reference solution, so that *Run All* reaches the end of the lesson;
- a wrong answer raises :class:`ExerciseError` (an ``AssertionError``) with a hint. IPython shows
  only the hint, without library frames in the traceback.

The reference solution of each exercise is a plain function whose source :func:`reveal` prints and
which the test suite puts in place of the learner's cell.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import pkgutil
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Exercise", "ExerciseError", "exercise", "check", "reveal", "solution_source", "get", "all_exercises",
           "close", "is_stub", "check_statements"]


@dataclass(frozen=True)
class Exercise:
    """One exercise: its id, what it asks, how to check it and its reference solution.

    Attributes
    ----------
    id : str
        ``"NN.name"``, e.g. ``"00.psnr"`` (NN = lesson number).
    title : str
        What the exercise asks, in a few words.
    verify : callable
        ``verify(answer) -> str``: raises ``AssertionError`` with a hint on a wrong answer, returns a short
        confirmation on a right one.
    solution : callable
        The reference answer (its source is what :func:`reveal` prints).
    wrong : callable
        A plausible wrong answer; the unit tests use it to prove the check can fail.
    answer : str
        Name of the function or variable the learner defines.
    """

    id: str
    title: str
    verify: Callable[[Any], str]
    solution: Callable
    wrong: Callable
    answer: str  # name of the function/variable the learner defines


_REGISTRY: dict[str, Exercise] = {}


def exercise(id: str, title: str, *, solution: Callable, wrong: Callable, answer: str | None = None):
    """Register ``verify`` (the decorated function) as the checker of exercise ``id``.

    Parameters
    ----------
    id : str
        Exercise id ``"NN.name"``.
    title : str
        What it asks, in a few words.
    solution : callable
        The reference answer (its source is revealed).
    wrong : callable
        A plausible wrong answer the unit tests use to prove the check can fail.
    answer : str, optional
        Name the learner's answer has in the lesson (default: ``solution.__name__``).

    Returns
    -------
    callable
        A decorator that registers ``verify(answer) -> str`` (which raises ``AssertionError("hint")`` on a
        wrong answer and returns a short message on a right one) and returns it unchanged.
    """

    def register(verify: Callable[[Any], str]) -> Callable[[Any], str]:
        _REGISTRY[id] = Exercise(id, title, verify, solution, wrong, answer or solution.__name__)
        return verify

    return register


def _load_all() -> None:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


def get(id: str) -> Exercise:
    """The registered exercise ``id`` (e.g. ``"00.psnr"``).

    Parameters
    ----------
    id : str
        Exercise id; every lesson's exercise module is imported on the first miss.

    Returns
    -------
    Exercise

    Raises
    ------
    KeyError
        If there is no exercise ``id`` (the message lists the known ids).

    Examples
    --------
    >>> get("00.psnr").answer
    'psnr_by_hand'
    """
    if id not in _REGISTRY:
        _load_all()
    if id not in _REGISTRY:
        raise KeyError(f"no exercise {id!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[id]


def all_exercises() -> list[Exercise]:
    """Every exercise of every lesson, sorted by id.

    Returns
    -------
    list of Exercise
    """
    _load_all()
    return [_REGISTRY[key] for key in sorted(_REGISTRY)]


class ExerciseError(AssertionError):
    """A wrong answer to an exercise. IPython shows its hint alone, without a traceback of library code."""

    def _render_traceback_(self) -> list[str]:  # honoured by IPython's InteractiveShell.showtraceback
        return [f"\x1b[1;31m✗ {line}\x1b[0m" if i == 0 else line for i, line in enumerate(str(self).splitlines())]


class _NotAttempted(Exception):
    """Raised inside :func:`check` when the learner's function is still a stub."""


def _is_placeholder_value(node: ast.AST | None) -> bool:
    if node is None:
        return True
    if isinstance(node, ast.Constant):
        return node.value is Ellipsis or node.value is None
    if isinstance(node, (ast.Set, ast.List, ast.Tuple)):
        return all(_is_placeholder_value(item) for item in node.elts)
    return False


def _is_placeholder(stmt: ast.stmt) -> bool:
    """``...``, ``pass``, ``return ...``, ``return {...}`` or ``raise NotImplementedError``."""
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Expr):
        value = stmt.value.value if isinstance(stmt.value, ast.Constant) else None
        return value is Ellipsis or isinstance(value, str)
    if isinstance(stmt, ast.Return):
        return _is_placeholder_value(stmt.value)
    if isinstance(stmt, ast.Raise) and stmt.exc is not None:
        exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return False


def is_stub(answer: Any) -> bool:
    """Whether ``answer`` is still the exercise's stub: ``...``, ``None``, or a function whose body is a placeholder.

    A placeholder body holds only ``...``, ``pass``, strings, ``return ...``/``return None``/``return {...}`` or
    ``raise NotImplementedError``.

    Parameters
    ----------
    answer : object
        The learner's answer.

    Returns
    -------
    bool
        False for anything else, including a function whose source cannot be read (it is judged when it runs).

    Examples
    --------
    >>> def psnr_by_hand(clean, estimate):
    ...     ...
    >>> is_stub(psnr_by_hand), is_stub(...), is_stub(len)
    (True, True, False)
    """
    if answer is Ellipsis or answer is None:
        return True
    if not inspect.isfunction(answer):
        return False
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(answer)))
    except (OSError, TypeError, SyntaxError):  # no source (e.g. made by exec): decided when it runs
        return False
    node = tree.body[0] if tree.body else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    return all(_is_placeholder(stmt) for stmt in node.body)


def _contains_ellipsis(value: Any) -> bool:
    if value is Ellipsis:
        return True
    if isinstance(value, (set, frozenset, list, tuple)):
        return any(item is Ellipsis for item in value)
    return False


def _guarded(fn: Callable) -> Callable:
    """``fn``, raising :class:`_NotAttempted` where it raises ``NotImplementedError`` or returns ``...``."""

    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
        except NotImplementedError:
            raise _NotAttempted from None
        if _contains_ellipsis(result):
            raise _NotAttempted
        return result

    return guarded


def _not_attempted(ex: Exercise) -> Callable:
    print(f"○ Exercise {ex.id} ({ex.title}): not attempted yet — fill in the cell above and run both cells again, "
          f"or run reveal(\"{ex.id}\") to see a solution.\n"
          f"  Meanwhile `{ex.answer}` is the course's reference solution, so the cells below still run.")
    return ex.solution


def check(id: str, answer: Any) -> Any:
    """Check the learner's ``answer`` to exercise ``id`` and return what the rest of the lesson should use.

    Parameters
    ----------
    id : str
        The exercise id, e.g. ``"00.psnr"``.
    answer : callable or Ellipsis
        The learner's function (or the ``...`` stub).

    Returns
    -------
    callable
        ``answer`` itself when it is right (a confirmation is printed); the reference solution when
        the exercise is not attempted yet (a note says so).

    Raises
    ------
    ExerciseError
        (an ``AssertionError``) when the answer is wrong, with a hint; IPython shows the hint only.
    KeyError
        If there is no exercise ``id``.
    """
    ex = get(id)
    if is_stub(answer):
        return _not_attempted(ex)
    try:
        message = ex.verify(_guarded(answer) if callable(answer) else answer)
    except _NotAttempted:
        return _not_attempted(ex)
    except AssertionError as error:
        raise ExerciseError(f"Exercise {id} ({ex.title}): not yet right.\n{error}") from None
    except Exception as error:  # noqa: BLE001 - any failure of the learner's code becomes a hint
        raise ExerciseError(
            f"Exercise {id} ({ex.title}): your answer failed with {type(error).__name__}: {error}\n"
            "Does it still contain `...`, or return nothing? Run it by itself on a small input to see the error."
        ) from None
    print(f"✓ Exercise {id} ({ex.title}): correct. {message}".rstrip())
    return answer


def solution_source(id: str) -> str:
    """Source code of the reference solution, ready to paste into the exercise cell.

    Parameters
    ----------
    id : str
        Exercise id, e.g. ``"00.psnr"``.

    Returns
    -------
    str
        The dedented source of the solution function.

    Raises
    ------
    KeyError
        If there is no exercise ``id``.

    Examples
    --------
    >>> solution_source("00.sigma").splitlines()[0]
    'def sigma_01(sigma_255):'
    """
    return textwrap.dedent(inspect.getsource(get(id).solution))


def reveal(id: str) -> None:
    """Print the reference solution of exercise ``id`` (try it yourself first!).

    Parameters
    ----------
    id : str
        Exercise id, e.g. ``"00.psnr"``.

    Raises
    ------
    KeyError
        If there is no exercise ``id``.
    """
    print(f"# Solution of exercise {id}: {get(id).title}\n")
    print(solution_source(id))


def close(value: float, expected: float, *, tol: float, what: str, hint: str) -> str:
    """Assert ``|value - expected| <= tol``; return a confirmation naming ``what``.

    Parameters
    ----------
    value : float
        The learner's number.
    expected : float
        The right number.
    tol : float
        Largest accepted absolute difference (same unit as ``value``).
    what : str
        What ``value`` is, for the messages.
    hint : str
        Hint added to the failure message.

    Returns
    -------
    str
        ``"<what> = <value>."``

    Raises
    ------
    AssertionError
        If ``value`` is farther than ``tol`` from ``expected`` (the message names both and gives the hint).
    TypeError, ValueError
        If ``value`` cannot be converted to a float.

    Examples
    --------
    >>> close(0.098, 25 / 255, tol=1e-3, what="sigma", hint="divide by 255")
    'sigma = 0.098.'
    """
    value = float(value)
    if not (abs(value - expected) <= tol):
        raise AssertionError(f"{what} is {value:.4g}, expected {expected:.4g} (± {tol:g}). Hint: {hint}")
    return f"{what} = {value:.4g}."


def check_statements(answer: Any, statements: dict[str, str], true: set[str], hints: dict[str, str], *,
                     where: str) -> None:
    """Check a set of letters naming the true ``statements``; raise ``AssertionError`` with a hint otherwise.

    Parameters
    ----------
    answer : set
        The learner's letters (case and spaces ignored); ``...`` in it means "not answered yet".
    statements : dict of str to str
        Letter → statement.
    true : set of str
        The letters of the true statements.
    hints : dict of str to str
        Letter → why that false statement is false.
    where : str
        Where the lesson measures the true statements (e.g. ``"the next cell"``), quoted for a missing one.

    Raises
    ------
    AssertionError
        For ``...`` left in the set, an unknown letter, a false statement chosen (its hint) or a true one missed.
    """
    raw = set(answer)
    if Ellipsis in raw:
        raise AssertionError("replace the `...` in the set with the letters you think are true, e.g. {\"A\", \"C\"}.")
    chosen = {str(letter).strip().upper() for letter in raw}
    unknown = chosen - set(statements)
    if unknown:
        raise AssertionError(f"unknown letters {sorted(unknown)}: choose among {sorted(statements)}.")
    false = sorted(chosen - true)
    if false:
        raise AssertionError(hints[false[0]])
    missing = sorted(true - chosen)
    if missing:
        raise AssertionError(f"{missing[0]} is true too — {where} measures it: {statements[missing[0]]}")
