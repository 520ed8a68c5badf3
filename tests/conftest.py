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
    return _re.sub(r"\\d+(?:\\.\\d+)?\\s?s\\b", "<seconds>", text)


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
