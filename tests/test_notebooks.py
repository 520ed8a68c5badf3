"""Notebook hygiene (no outputs, naming, template parts) and the offline guarantee of lesson kernels."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))
ORDER = ["00_concepts", "01_gan", "02_vae", "03_bm3d", "04_cnn_repair", "05_transfer"]


def test_lessons_exist_and_follow_the_naming_and_order():
    names = [path.stem for path in LESSONS]
    assert names, "no lessons found"
    assert set(names) <= set(ORDER), f"unexpected lesson names: {sorted(set(names) - set(ORDER))}"
    assert names == [name for name in ORDER if name in names]
    assert "00_concepts" in names


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_notebook_is_committed_clean(path):
    nb = json.loads(path.read_text())
    code = [(i, c) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
    dirty = [i for i, c in code if c["outputs"] or c["execution_count"]]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; clear them before committing"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_notebook_follows_the_lesson_template(path):
    nb = json.loads(path.read_text())
    text = "\n".join("".join(c["source"]) for c in nb["cells"])
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    exercises = [c for c in nb["cells"] if "exercise" in c.get("metadata", {}).get("tags", [])]
    assert len(exercises) >= 3, f"{path.name}: needs at least 3 auto-checked exercises"
    for cell in exercises:
        ex_id = re.escape(cell["metadata"]["exercise"])
        # name = check("id", name): check returns the reference solution while the exercise is not attempted, so
        # the cells below (and Run All) keep working; a bare check(...) would leave the stub in place.
        assert re.search(rf"^(\w+) = check\(\"{ex_id}\", \1\)", text, re.M), (
            f"{path.name}: exercise {cell['metadata']['exercise']} needs `name = check(\"id\", name)`")
    widget_cells = [c for c in nb["cells"] if "widget" in c.get("metadata", {}).get("tags", [])]
    assert widget_cells and "widgets" in text, f"{path.name}: needs an interactive section (a cell tagged 'widget')"
    for cell in widget_cells:  # nbval reads the tag; the learner's view keeps no test plumbing
        assert "nbval-ignore-output" in cell["metadata"]["tags"], f"{path.name}: widget cell, no nbval-ignore-output"
    assert "NBVAL_" not in text, f"{path.name}: use the nbval-ignore-output cell tag, not an NBVAL_ comment"
    for part in ("learn", "Run time", "References", "isconception"):
        assert part in markdown, f"{path.name}: lesson template part {part!r} is missing"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_first_code_cell_imports_course_lib_before_tensorflow(path):
    """course_lib sets TensorFlow's log level when imported; TensorFlow reads it once, when it loads."""
    nb = json.loads(path.read_text())
    first = "".join(next(c for c in nb["cells"] if c["cell_type"] == "code")["source"]).splitlines()
    course = [i for i, line in enumerate(first) if re.match(r"(import|from) course_lib\b", line)]
    tf = [i for i, line in enumerate(first) if re.match(r"(import|from) (tensorflow|keras)\b", line)]
    assert course, f"{path.name}: the first code cell does not import course_lib"
    assert not tf or course[0] < tf[0], f"{path.name}: TensorFlow is imported before course_lib (its logs would show)"


def test_importing_course_lib_first_silences_tensorflow():
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")}
    code = "import course_lib, tensorflow as tf; print(float(tf.reduce_sum(tf.ones(3))))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0 and result.stdout.strip() == "3.0", result.stderr
    assert result.stderr == "", f"TensorFlow wrote to stderr: {result.stderr[:500]}"


OFFLINE_PROBE = r'''
import os, urllib.request
assert os.environ["COURSE_QUICK"] == "1"
try:
    urllib.request.urlopen("http://example.com", timeout=5)
    print("NETWORK REACHED")
except OSError as error:
    print("BLOCKED", error)
try:
    socket_ = __import__("socket").create_connection(("1.1.1.1", 80), timeout=5)
    print("NETWORK REACHED BY IP")
except OSError as error:
    print("BLOCKED", error)
import socket
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(1)
client = socket.socket(); client.connect(server.getsockname()); print("LOOPBACK OK")
'''


def test_lesson_kernels_run_offline(tmp_path):
    """Kernels started by the tests get the IPython startup guard: outbound connections fail, loopback works."""
    import nbformat
    from nbclient import NotebookClient

    assert Path(os.environ["IPYTHONDIR"], "profile_default", "startup", "00-offline.py").exists()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(OFFLINE_PROBE)])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    out = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert out.count("course offline guard") == 2 and "REACHED" not in out and "LOOPBACK OK" in out, out


def test_doctor_reports_honestly():
    result = subprocess.run([sys.executable, "-m", "course_lib", "doctor"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "glyph-cnn" in result.stdout and "all good" in result.stdout
    assert "00_concepts" in result.stdout and "quick mode (COURSE_QUICK=1): on" in result.stdout
    assert "memory: denoising a 1024x1024 image peaks at" in result.stdout  # sizes classroom machines


def test_doctor_fails_on_a_broken_checkpoint(tmp_path):
    import shutil

    from course_lib.checkpoints import checkpoint_dir

    broken = tmp_path / "checkpoints"
    shutil.copytree(checkpoint_dir(), broken)
    (broken / "glyph-cnn.weights.h5").write_bytes(b"not a checkpoint")
    env = {**os.environ, "COURSE_CHECKPOINTS": str(broken)}
    result = subprocess.run([sys.executable, "-m", "course_lib", "doctor", "--no-memory"], capture_output=True,
                            text=True, timeout=300, env=env)
    assert result.returncode == 1 and "corrupt" in result.stdout


@pytest.mark.parametrize("fault", ["missing folder", "truncated manifest"])
def test_doctor_fails_on_a_broken_store(tmp_path, fault):
    """A folder that does not exist, or a manifest cut to 300 bytes: reported (no traceback), exit status 1."""
    import shutil

    from course_lib.checkpoints import checkpoint_dir

    store = tmp_path / "checkpoints"
    if fault == "truncated manifest":
        shutil.copytree(checkpoint_dir(), store)
        (store / "manifest.json").write_text((store / "manifest.json").read_text()[:300])
    env = {**os.environ, "COURSE_CHECKPOINTS": str(store)}
    result = subprocess.run([sys.executable, "-m", "course_lib", "doctor", "--no-memory"], capture_output=True,
                            text=True, timeout=300, env=env)
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stdout + result.stderr and "all good" not in result.stdout
    expected = "does not exist" if fault == "missing folder" else "manifest is corrupt"
    assert expected in result.stdout and f"COURSE_CHECKPOINTS={store}" in result.stdout


@pytest.mark.parametrize("sources, problem", [
    (["import numpy as np\nprint(np.random.default_rng(0).random())", "x = 1", "print(2 * x)"], None),
    (["counter = globals().get('counter', 0) + 1\nprint(counter)"], "print something else"),
    (["x = 1", "y = 2 * x\ndel x\nprint(y)"], "fails when re-run"),
], ids=["idempotent", "counter", "order-dependent"])
def test_rerun_check_catches_cells_that_are_not_idempotent(tmp_path, sources, problem):
    """The harness that nbval runs: key cells re-run last to first must succeed and print the same."""
    import nbformat
    from conftest import add_rerun_check
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    cells = [nbformat.v4.new_code_cell(source, metadata={"tags": ["rerun"]}) for source in sources]
    path = tmp_path / "lesson.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    assert add_rerun_check(path) == len(sources)
    nb = nbformat.read(path, as_version=4)
    if problem is None:
        NotebookClient(nb, timeout=120, kernel_name="python3").execute()
        assert "same output" in nb.cells[-1].outputs[-1]["text"]
    else:
        with pytest.raises(CellExecutionError, match=problem):
            NotebookClient(nb, timeout=120, kernel_name="python3").execute()
