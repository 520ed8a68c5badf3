"""Tiny helper to write lesson notebooks from Python lists of cells (outputs empty, counts clean).

Usage in a builder script::

    from nbbuild import md, code, exercise, write
    write("lessons/00_concepts.ipynb", [md("# Title"), code("x = 1"), exercise("00.psnr", "def f(): ...")])
"""

from __future__ import annotations

import nbformat


def md(text: str):
    return nbformat.v4.new_markdown_cell(text.strip("\n"))


def code(text: str, tags: tuple[str, ...] = ()):
    cell = nbformat.v4.new_code_cell(text.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def exercise(exercise_id: str, text: str):
    """A code cell the learner edits; the test suite swaps in the reference solution of ``exercise_id``."""
    cell = code(text, tags=("exercise",))
    cell.metadata["exercise"] = exercise_id
    return cell


def write(path: str, cells: list) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = cells
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:03d}"
    nbformat.validate(nb)
    nbformat.write(nb, path)
