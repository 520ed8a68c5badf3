"""The package's import structure: algorithm modules draw nothing, and imports only go down the layers.

Parsed with ``ast`` rather than checked in ``sys.modules``: Keras itself imports ``matplotlib.pyplot``, so a
runtime check would say nothing for the TensorFlow modules, and ``ast.walk`` also sees the imports inside
functions (the lazy ones a runtime check would miss).
"""

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "course_lib"

#: Modules that compute (models, training, experiments): no figures, no widgets.
ALGORITHMS = (
    "gan", "vae", "restore", "transfer", "bm3d", "baselines", "classifier", "train", "metrics", "degrade", "validate",
    "transfer_restore", "self_supervised",
)
#: Imports an algorithm module must not make, at any depth: plotting, widgets, and the course's own view modules.
DRAWING = ("matplotlib", "ipywidgets", "course_lib.viz", "course_lib.widgets")

#: Layer of each module: a module imports only modules of its own layer or below (lessons → transfer → models →
#: core), and the graph has no cycle. ``*_viz`` modules sit just above the module they draw.
LAYERS = {
    **dict.fromkeys(("validate", "config", "metrics", "degrade", "data", "train", "checkpoints", "viz", "widgets"), 0),
    **dict.fromkeys(("classifier", "baselines", "gan", "vae", "restore", "bm3d", "diffaugment"), 1),
    **dict.fromkeys(("bm3d_viz", "gan_viz", "vae_viz", "restore_viz"), 2),
    **dict.fromkeys(("transfer", "transfer_restore", "transfer_gen", "self_supervised"), 3),
    **dict.fromkeys(("transfer_viz", "transfer_restore_viz", "self_supervised_viz"), 4),
    **dict.fromkeys(("exercises", "pretrain", "__main__", "__init__"), 5),
}


def _module_name(path: Path) -> str:
    """``course_lib/gan.py`` → ``gan``; everything under ``course_lib/exercises/`` → ``exercises``."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def _imports(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports, at any depth (``from . import x`` → ``course_lib.x``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(("course_lib", *path.relative_to(PACKAGE).parent.parts))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                if node.module:
                    names.add(f"{base}.{node.module}")
                else:  # from . import x, y
                    names.update(f"{base}.{alias.name}" for alias in node.names)
            elif node.module:
                names.add(node.module)
    return names


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        own = _module_name(path)
        targets = {name.split(".")[1] for name in _imports(path) if name.startswith("course_lib.")}
        graph.setdefault(own, set()).update(targets - {own, "__version__"})
    return graph


@pytest.mark.parametrize("module", ALGORITHMS)
def test_algorithm_modules_import_no_plotting_or_widgets(module):
    found = sorted(name for name in _imports(PACKAGE / f"{module}.py")
                   if any(name == bad or name.startswith(bad + ".") for bad in DRAWING) or name.endswith("_viz"))
    assert not found, f"course_lib/{module}.py imports {found}; figures and widgets go to course_lib/{module}_viz.py"


def test_every_module_has_a_layer():
    assert set(_package_graph()) <= set(LAYERS), sorted(set(_package_graph()) - set(LAYERS))


def test_imports_go_down_the_layers():
    wrong = [f"{a} (layer {LAYERS[a]}) imports {b} (layer {LAYERS[b]})"
             for a, targets in _package_graph().items() for b in targets if LAYERS[b] > LAYERS[a]]
    assert not wrong, wrong


def test_no_import_cycles():
    graph, done, path = _package_graph(), set(), []

    def visit(node):
        if node in path:
            raise AssertionError(f"import cycle: {' → '.join(path[path.index(node):] + [node])}")
        if node in done:
            return
        path.append(node)
        for target in sorted(graph.get(node, ())):
            visit(target)
        path.pop()
        done.add(node)

    for node in sorted(graph):
        visit(node)


def test_the_checks_catch_a_violation(tmp_path, monkeypatch):
    """A module that draws, and a pair that import each other, are found (so the tests above can fail)."""
    fake = tmp_path / "course_lib"
    fake.mkdir()
    (fake / "gan.py").write_text("def f():\n    import matplotlib.pyplot as plt\n    from .vae import g\n")
    (fake / "vae.py").write_text("from . import gan\nfrom .gan_viz import h\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    with pytest.raises(AssertionError, match="matplotlib.pyplot"):
        test_algorithm_modules_import_no_plotting_or_widgets("gan")
    with pytest.raises(AssertionError, match="gan_viz"):
        test_algorithm_modules_import_no_plotting_or_widgets("vae")
    with pytest.raises(AssertionError, match=r"vae \(layer 1\) imports gan_viz \(layer 2\)"):
        test_imports_go_down_the_layers()
    with pytest.raises(AssertionError, match="import cycle"):
        test_no_import_cycles()
