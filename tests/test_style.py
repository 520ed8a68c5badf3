import ast
import importlib
import inspect
import os
import pkgutil
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_clean():
    paths = [p for p in ("course_lib", "tests", "benchmarks", "tools", "lessons") if (ROOT / p).exists()]
    result = subprocess.run([sys.executable, "-m", "ruff", "check", *paths], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# --- numpydoc sections on the public API -------------------------------------------------------

_SECTION = r"^[ \t]*{name}[ \t]*\n[ \t]*-{{3,}}[ \t]*$"


def _has_section(doc: str, *names: str) -> bool:
    return any(re.search(_SECTION.format(name=re.escape(name)), doc, re.M) for name in names)


def _public_api():
    """Every public function and class of course_lib: (qualified name, object), defined in its own module."""
    import course_lib

    names = ["course_lib"] + [m.name for m in pkgutil.walk_packages(course_lib.__path__, "course_lib.")]
    for module_name in sorted(names):
        if module_name.endswith("__main__"):
            continue
        module = importlib.import_module(module_name)
        for name, obj in sorted(vars(module).items()):
            target = inspect.unwrap(obj) if callable(obj) else obj
            if name.startswith("_") or not (inspect.isfunction(target) or inspect.isclass(target)):
                continue
            if getattr(target, "__module__", None) == module_name:
                yield f"{module_name}.{name}", target


def _body_nodes(func):
    """The AST nodes of ``func``'s own body (nested functions, classes and lambdas excluded)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    stack = list(tree.body[0].body)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.append(child)


def _takes_parameters(func) -> bool:
    params = [p for p in inspect.signature(func).parameters if p not in ("self", "cls")]
    return bool(params)


def _returns_value(func) -> bool:
    nodes = list(_body_nodes(func))
    return any(isinstance(n, ast.Return) and n.value is not None for n in nodes) or any(
        isinstance(n, (ast.Yield, ast.YieldFrom)) for n in nodes
    )


def _raises_directly(func) -> bool:
    return any(isinstance(n, ast.Raise) and n.exc is not None for n in _body_nodes(func))


def _documented_parameters(doc: str) -> set[str] | None:
    """Names listed in the Parameters section (``a, b : int`` lists two; ``**kwargs`` is ``kwargs``)."""
    match = re.search(r"^Parameters\n-{3,}\n(.*?)(?:\n\n[A-Z][A-Za-z ]+\n-{3,}|\Z)", doc, re.S | re.M)
    if match is None:
        return None
    heads = [line.split(" : ")[0] for line in match.group(1).split("\n") if line and not line.startswith(" ")]
    return {name.strip().lstrip("*") for head in heads for name in head.split(",")}


def _parameter_mismatch(func, doc: str) -> str:
    """``""`` if the Parameters section names exactly the signature's parameters, else what differs."""
    documented = _documented_parameters(doc)
    if documented is None:
        return ""
    actual = {p for p in inspect.signature(func).parameters if p not in ("self", "cls")}
    missing, extra = sorted(actual - documented), sorted(documented - actual)
    return (f"Parameters section misses {missing}" if missing else "") + (f" lists unknown {extra}" if extra else "")


def numpydoc_problems() -> list[str]:
    """One line per missing docstring section of the public API (empty when all is documented)."""
    problems = []
    for qualname, obj in _public_api():
        doc = inspect.getdoc(obj) or ""
        if not doc.strip():
            problems.append(f"{qualname}: no docstring")
            continue
        if inspect.isclass(obj):
            init = vars(obj).get("__init__")
            fields = getattr(obj, "__dataclass_fields__", None) or getattr(obj, "_fields", None)  # NamedTuple
            if (fields or (init is not None and _takes_parameters(init))) and not _has_section(
                doc, "Parameters", "Attributes"
            ):
                problems.append(f"{qualname}: takes parameters but has no Parameters/Attributes section")
            continue
        if _takes_parameters(obj) and not _has_section(doc, "Parameters"):
            problems.append(f"{qualname}: takes parameters but has no Parameters section")
        mismatch = _parameter_mismatch(obj, doc)
        if mismatch:
            problems.append(f"{qualname}: {mismatch.strip()}")
        if _returns_value(obj) and not _has_section(doc, "Returns", "Yields"):
            problems.append(f"{qualname}: returns a value but has no Returns section")
        if _raises_directly(obj) and not _has_section(doc, "Raises"):
            problems.append(f"{qualname}: raises but has no Raises section")
    return problems


def test_public_api_has_numpydoc_sections():
    problems = numpydoc_problems()
    assert not problems, f"{len(problems)} docstrings lack a section:\n" + "\n".join(problems)


def test_numpydoc_check_catches_a_missing_section():
    def documented(x):
        """Double ``x``.

        Parameters
        ----------
        x : float
            A number.

        Returns
        -------
        float
            ``2 x``.
        """
        return 2 * x

    def undocumented(x):
        """Double ``x``."""
        if x is None:
            raise ValueError("x is None")
        return 2 * x

    assert _has_section(inspect.getdoc(documented), "Parameters")
    assert _has_section(inspect.getdoc(documented), "Returns")
    assert not _has_section(inspect.getdoc(undocumented), "Parameters")
    assert _takes_parameters(undocumented) and _returns_value(undocumented) and _raises_directly(undocumented)
    assert not _raises_directly(documented)
    assert _parameter_mismatch(documented, inspect.getdoc(documented)) == ""

    def renamed(y):
        return documented(y)

    renamed.__doc__ = documented.__doc__
    mismatch = _parameter_mismatch(renamed, inspect.getdoc(renamed))
    assert mismatch == "Parameters section misses ['y'] lists unknown ['x']"


def test_doctests_pass():
    """The examples in the docstrings run (the README's test command runs this file)."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--doctest-modules", "course_lib", "-q", "-p", "no:cacheprovider",
         "-o", "addopts=", "-o", "testpaths=course_lib"],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT), "COURSE_QUICK": "1"},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", result.stdout), result.stdout[-2000:]
