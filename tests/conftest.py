"""Test harness: quick mode, thread caps, offline kernels, and notebooks with the reference solutions.

Before collection, every ``lessons/NN_*.ipynb`` is copied to ``tests/_lessons/`` with each exercise
cell (tagged ``exercise``) replaced by the reference solution from ``course_lib.exercises``; nbval
(``--nbval-lax``) then runs those copies. Kernels inherit ``COURSE_QUICK=1`` and an IPython
startup file that refuses every non-loopback network connection.

The copies also get the re-run check (:func:`add_rerun_check`): the key cells of a lesson (tagged
``rerun``) are run again after the whole lesson, last to first, and must succeed and print what they
printed the first time. That is what a learner does when they go back and re-run a cell out of order.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLVED = Path(__file__).resolve().parent / "_lessons"

OFFLINE_GUARD = '''
import socket as _socket

_ALLOWED = ("127.", "::1", "localhost")
_connect, _connect_ex = _socket.socket.connect, _socket.socket.connect_ex


def _check(sock, address):
    if sock.family in (_socket.AF_INET, _socket.AF_INET6):
        host = str(address[0])
        if not host.startswith(_ALLOWED):
            raise OSError(f"course offline guard: network access to {address} is blocked (the course runs offline)")


def _guarded_connect(self, address):
    _check(self, address)
    return _connect(self, address)


def _guarded_connect_ex(self, address):
    _check(self, address)
    return _connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host is not None and not str(host).startswith(_ALLOWED):
        raise OSError(f"course offline guard: looking up {host!r} is blocked (the course runs offline)")
    return _getaddrinfo(host, *args, **kwargs)


_getaddrinfo = _socket.getaddrinfo
_socket.socket.connect, _socket.socket.connect_ex = _guarded_connect, _guarded_connect_ex
_socket.getaddrinfo = _guarded_getaddrinfo
'''


def solve_notebook(source: Path, target: Path) -> int:
    """Copy notebook ``source`` to ``target`` with exercise cells replaced by reference solutions."""
    import nbformat

    from course_lib.exercises import solution_source

    nb = nbformat.read(source, as_version=4)
    solved = 0
    for cell in nb.cells:
        if "exercise" in cell.metadata.get("tags", []):
            cell.source = solution_source(cell.metadata["exercise"])
            solved += 1
    nbformat.write(nb, target)
    return solved


RERUN_RECORDER = '''
# Added by tests/conftest.py (not in the lesson): record what the key cells (tagged "rerun") print.
import json as _json
import sys as _sys

_RERUN_KEYS = {source.strip(): index for index, source in _json.loads(KEYS_JSON).items()}
_RERUN_SEEN, _rerun_now = {}, {}


class _RerunTee:
    def __init__(self, out):
        self.out, self.parts = out, []

    def __getattr__(self, name):
        return getattr(self.out, name)

    def write(self, text):
        self.parts.append(text)
        return self.out.write(text)

    def flush(self):
        self.out.flush()


def _rerun_pre(info):
    index = _RERUN_KEYS.get((info.raw_cell or "").strip())
    if index is not None:
        _rerun_now["index"], _rerun_now["tee"] = index, _RerunTee(_sys.stdout)
        _sys.stdout = _rerun_now["tee"]


def _rerun_post(result):
    tee = _rerun_now.pop("tee", None)
    if tee is not None:
        _sys.stdout = tee.out
        _RERUN_SEEN.setdefault(_rerun_now.pop("index"), []).append("".join(tee.parts))


get_ipython().events.register("pre_run_cell", _rerun_pre)
get_ipython().events.register("post_run_cell", _rerun_post)
'''

RERUN_CHECK = '''
# Added by tests/conftest.py (not in the lesson): re-run the key cells out of order, last to first, after the
# whole lesson has run. Each must succeed and print what it printed the first time (times in seconds aside).
import re as _re


def _rerun_normalise(text):
    return _re.sub(r" *\\d+(?:\\.\\d+)?\\s?s\\b", " <seconds>", text)  # the padding of a right-aligned time too


_rerun_source = {index: source for source, index in _RERUN_KEYS.items()}
_missing = sorted(set(_rerun_source) - set(_RERUN_SEEN), key=int)
assert not _missing, f"key cells {_missing} did not run in order (their source changed?)"
for _index in sorted(_rerun_source, key=int, reverse=True):
    _result = get_ipython().run_cell(_rerun_source[_index])
    assert _result.success, (f"cell {_index} fails when re-run after the whole lesson: "
                             f"{_result.error_before_exec or _result.error_in_exec!r}")
_changed = {i: seen for i, seen in _RERUN_SEEN.items() if len({_rerun_normalise(s) for s in seen}) > 1}
assert not _changed, "re-run out of order, these cells print something else:\\n" + "\\n".join(
    f"cell {i}:\\n--- first run\\n{seen[0]}--- re-run\\n{seen[-1]}" for i, seen in _changed.items())
print(f"re-ran the {len(_rerun_source)} key cells last to first: same output")
'''


def add_rerun_check(path: Path) -> int:
    """Wrap notebook ``path`` with the re-run check of its ``rerun``-tagged cells; return how many there are."""
    import json

    import nbformat

    nb = nbformat.read(path, as_version=4)
    keys = {str(i): cell.source for i, cell in enumerate(nb.cells) if "rerun" in cell.metadata.get("tags", [])}
    if keys:
        recorder = RERUN_RECORDER.replace("KEYS_JSON", repr(json.dumps(keys)))
        nb.cells = [nbformat.v4.new_code_cell(recorder), *nb.cells, nbformat.v4.new_code_cell(RERUN_CHECK)]
        nbformat.write(nb, path)
    return len(keys)


FIGURE_RECORDER = '''
# Added by tests/conftest.py (not in the lesson): record every figure the lesson shows (its PNG width and
# the font size of every text drawn in it), for the readability check at the end. Cells are counted from this one.
import io as _io
import struct as _struct

import matplotlib.backend_bases as _backend_bases
import matplotlib.text as _mtext

_FIGURES, _drawn_sizes, _cell_no = [], [], [0]
get_ipython().events.register("pre_run_cell", lambda info: _cell_no.__setitem__(0, _cell_no[0] + 1))
_text_draw, _print_figure = _mtext.Text.draw, _backend_bases.FigureCanvasBase.print_figure


def _recording_draw(self, renderer, *args, **kwargs):
    if self.get_visible() and self.get_text().strip():
        _drawn_sizes.append((self.get_fontsize(), self.get_text()[:40]))
    return _text_draw(self, renderer, *args, **kwargs)


def _recording_print_figure(self, filename, *args, **kwargs):
    _drawn_sizes.clear()
    result = _print_figure(self, filename, *args, **kwargs)
    if isinstance(filename, _io.BytesIO) and filename.getvalue()[:8] == b"\\x89PNG\\r\\n\\x1a\\n":
        width = _struct.unpack(">I", filename.getvalue()[16:20])[0] / kwargs.get("dpi", self.figure.dpi)
        title = next((t for _, t in _drawn_sizes), "")
        _FIGURES.append({"cell": _cell_no[0], "width_in": width, "texts": list(_drawn_sizes),
                         "first_text": title})
    return result


_mtext.Text.draw = _recording_draw
_backend_bases.FigureCanvasBase.print_figure = _recording_print_figure
'''

FIGURE_CHECK = '''
# Added by tests/conftest.py (not in the lesson): every figure shown fits the lesson column and no text in it is
# smaller than the course minimum at 100 % zoom (a wider figure is shrunk by the browser, and its text with it).
from course_lib.viz import COLUMN_INCHES as _COLUMN, MIN_FONT_PT as _MIN_PT

_bad = []
for _fig in _FIGURES:
    _scale = min(1.0, _COLUMN / _fig["width_in"])
    _small = [(round(size * _scale, 1), text) for size, text in _fig["texts"] if size * _scale < _MIN_PT - 0.05]
    if _fig["width_in"] > _COLUMN + 0.05 or _small:
        _bad.append(f"cell [{_fig['cell']}] figure {_fig['first_text']!r}: {_fig['width_in']:.2f} in wide "
                    f"(column {_COLUMN} in); text under {_MIN_PT} pt at 100 %: {_small[:4]}")
assert _FIGURES, "no figure was recorded"
assert not _bad, f"{len(_bad)} of {len(_FIGURES)} figures are not readable in the column:\\n" + "\\n".join(_bad)
print(f"checked {len(_FIGURES)} figures: all fit the {_COLUMN}-inch column with text of {_MIN_PT} pt or more")
'''


def add_figure_check(path: Path) -> None:
    """Wrap notebook ``path`` with the figure readability check (width and smallest font of every figure shown)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.cells = [nbformat.v4.new_code_cell(FIGURE_RECORDER), *nb.cells, nbformat.v4.new_code_cell(FIGURE_CHECK)]
    nbformat.write(nb, path)


def pytest_sessionstart(session) -> None:
    os.environ["COURSE_QUICK"] = "1"
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    ipython_dir = Path(tempfile.mkdtemp(prefix="course-ipython-"))
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-offline.py").write_text(OFFLINE_GUARD)
    os.environ["IPYTHONDIR"] = str(ipython_dir)
    shutil.rmtree(SOLVED, ignore_errors=True)
    SOLVED.mkdir()
    for notebook in sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb")):
        solve_notebook(notebook, SOLVED / notebook.name)
        add_rerun_check(SOLVED / notebook.name)
        add_figure_check(SOLVED / notebook.name)
