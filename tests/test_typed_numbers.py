"""No measured number is typed into a lesson's markdown: it must come out of a cell (issue 15).

A *measured-looking number* is a decimal (``0.42``) or an approximate count (``≈ 20``) followed by one of the
units the course measures in — dB, nats, s, min, %, × — or a decimal with an error bar (``5.3 ± 1.3``). A
markdown line that contains one must also contain a *citation* — an author-year reference such as
"(Dabov et al., 2007)", "Zhang, Zuo & Zhang, IEEE TIP 2018" or "Higgins et al. 2017": a capitalised surname,
optionally followed by "et al." or "& / and" a second surname, then within a few words a year 1900–2099. Such a
line reports a figure from the literature; any other measured number belongs in a cell's output (computed, or read
from ``benchmarks/results/*.json`` or the checkpoint manifest).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))

_UNIT = r"(?:dB|nats?|s|min|%|×)(?![A-Za-z0-9])"
MEASURED = re.compile(rf"(?:\d+\.\d+|≈\s*\d+(?:\.\d+)?)\s?{_UNIT}|\d+\.\d+\s*±\s*\d+(?:\.\d+)?")
_NAME = r"[A-Z][A-Za-zÀ-ÿ'’-]+"
CITATION = re.compile(rf"\b{_NAME}(?:\s+et al\.|\s+(?:&|and)\s+{_NAME})?,?\s+\(?(?:[A-Za-z][\w ]{{0,30}},?\s+)?"
                      r"(?:19|20)\d{2}\b")


def typed_numbers(markdown: str) -> list[str]:
    """The lines of ``markdown`` with a measured-looking number and no citation on the same line."""
    return [line.strip() for line in markdown.splitlines() if MEASURED.search(line) and not CITATION.search(line)]


@pytest.mark.parametrize("line, flagged", [
    ("the CNN is 0.42 dB below BM3D", True),
    ("quick mode ≈ 20 s · full mode ≈ 1 min", True),
    ("5.3 ± 1.3 modes with the generator 10× faster", True),
    ("an 83.5 % confident share", True),
    ("the published results are 0.3–0.7 dB above BM3D (Zhang et al., 2017)", False),
    ("FFDNet (Zhang, Zuo & Zhang, IEEE TIP 2018) reports 29.19 dB", False),
    ("Higgins et al. 2017 report 0.5 nats", False),
    ("images in [0, 1], σ = 25/255 ≈ 0.098, a 3×3 convolution, 8×8 digits, 5 % of the samples", False),
    ("uniform guessing scores −64 ln 17 ≈ −181.3", False),
], ids=range(9))
def test_the_rule_flags_typed_measurements_and_spares_citations(line, flagged):
    assert bool(typed_numbers(line)) is flagged, line


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_no_measured_number_is_typed_into_markdown(path):
    nb = nbformat.read(path, as_version=4)
    found = [(i, line) for i, cell in enumerate(nb.cells) if cell.cell_type == "markdown"
             for line in typed_numbers(cell.source)]
    assert not found, f"{path.name}: measured-looking numbers typed into markdown (print them from a cell, or cite " \
                      "the paper on the same line):\n" + "\n".join(f"  cell {i}: {line}" for i, line in found)
