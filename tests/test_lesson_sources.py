"""Each lesson is a jupytext pair: ``lessons/NN_name.py`` (py:percent source) and ``lessons/NN_name.ipynb``.

Either file may be edited (JupyterLab with jupytext saves both); these tests fail when the two disagree, so an
edit made to one file alone cannot be lost silently. Re-pair by hand with ``jupytext --sync lessons/NN_name.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"
KEPT_METADATA = ("tags", "exercise")  # the cell metadata the course relies on (see jupytext.toml)


def _cells(nb) -> list[tuple[str, str, dict]]:
    return [(c.cell_type, c.source.strip("\n"), {k: c.metadata[k] for k in KEPT_METADATA if k in c.metadata})
            for c in nb.cells]


def pair_differences(notebook: Path) -> list[str]:
    """What differs between ``notebook`` (.ipynb) and its py:percent pair; empty when they are in sync."""
    source = notebook.with_suffix(".py")
    if not source.exists():
        return [f"{notebook.name} has no paired source {source.name} (run: jupytext --sync {notebook.name})"]
    ipynb, py = _cells(nbformat.read(notebook, as_version=4)), _cells(jupytext.read(source))
    problems = []
    if len(ipynb) != len(py):
        problems.append(f"{notebook.name} has {len(ipynb)} cells, {source.name} has {len(py)}")
    for index, (a, b) in enumerate(zip(ipynb, py)):
        if a != b:
            what = "type" if a[0] != b[0] else "metadata" if a[1] == b[1] else "source"
            problems.append(f"cell {index}: {what} differs between {notebook.name} and {source.name}: "
                            f"{a[1][:60]!r} vs {b[1][:60]!r}")
    return problems


NOTEBOOKS = sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))


def test_every_lesson_is_a_pair():
    notebooks = {p.stem for p in NOTEBOOKS}
    sources = {p.stem for p in LESSONS.glob("[0-9][0-9]_*.py")}
    assert notebooks, "no lessons found"
    assert notebooks == sources, f"unpaired: notebooks only {sorted(notebooks - sources)}, " \
                                 f"sources only {sorted(sources - notebooks)}; run jupytext --sync lessons/*.ipynb"
    assert not list((ROOT / "tools").glob("build_*.py")), "tools/build_*.py would overwrite edited lessons"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_pair_is_in_sync(notebook):
    problems = pair_differences(notebook)
    assert not problems, "\n".join(problems) + f"\nre-pair with: jupytext --sync lessons/{notebook.stem}.py"


@pytest.mark.parametrize("edit", ["notebook", "source"])
def test_sync_check_fails_on_an_edited_copy(tmp_path, edit):
    """The check above can fail: edit one file of a copied pair and it must report the cell."""
    notebook = tmp_path / NOTEBOOKS[0].name
    shutil.copy(NOTEBOOKS[0], notebook)
    shutil.copy(NOTEBOOKS[0].with_suffix(".py"), notebook.with_suffix(".py"))
    assert pair_differences(notebook) == []
    if edit == "notebook":
        nb = nbformat.read(notebook, as_version=4)
        nb.cells[0].source += "\nA sentence an instructor fixed in JupyterLab."
        nbformat.write(nb, notebook)
    else:
        text = notebook.with_suffix(".py").read_text()
        notebook.with_suffix(".py").write_text(text.replace('tags=["exercise"]', 'tags=["exercise", "x"]', 1))
    problems = pair_differences(notebook)
    assert len(problems) == 1 and problems[0].startswith("cell "), problems


def test_a_missing_source_is_reported(tmp_path):
    notebook = tmp_path / NOTEBOOKS[0].name
    shutil.copy(NOTEBOOKS[0], notebook)
    assert "no paired source" in pair_differences(notebook)[0]


def test_jupytext_config_pairs_the_lessons_only():
    from jupytext.config import load_jupytext_config

    formats = str(load_jupytext_config(str(LESSONS)).formats)
    assert "lessons///ipynb" in formats and "lessons///py:percent" in formats, formats
