"""Test harness: quick mode, thread caps, offline kernels, and notebooks with the reference solutions.

Before collection, every ``lessons/NN_*.ipynb`` is copied to ``tests/_lessons/`` with each exercise
cell (tagged ``exercise``) replaced by the reference solution from ``course_lib.exercises``; nbval
(``--nbval-lax``) then runs those copies. Kernels inherit ``COURSE_QUICK=1`` and an IPython
startup file that refuses every non-loopback network connection.
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


def pytest_sessionstart(session) -> None:
    os.environ["COURSE_QUICK"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
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
