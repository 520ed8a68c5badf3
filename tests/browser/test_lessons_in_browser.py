"""Every lesson in a real JupyterLab, in Debian's chromium driven by Playwright.

A JupyterLab server starts on 127.0.0.1 with a temporary token and a temporary root holding the
lessons as committed (the exercise stubs still in place, as a learner first opens them), in quick
mode and offline. For each lesson the test runs all cells and checks: Run All reaches the last cell,
no cell shows an error, the exercises say "not attempted yet", no cell writes to stderr anything that
is not the course's own (TensorFlow's C++ log lines, warnings and tracebacks fail the test), an
ipywidget rendered, moving a slider changes the displayed output, and tqdm progress widgets appeared.
A screenshot of each lesson is saved under a temporary folder; its path is in every failure message.

The copies with the reference solutions in the exercise cells run under nbval (``tests/conftest.py``),
where every check's solution path is exercised; running them here a second time would double the
browser test's time for no check it does not already make on the committed notebooks.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
# Lessons with a training loop, whose tqdm progress bar must render as a widget.
TRAINS_A_MODEL = {"00_concepts", "01_gan", "02_vae", "04_cnn_repair", "05_transfer"}
# stderr the course writes itself: tqdm's text bar (when widgets are unavailable). Anything else fails.
COURSE_STDERR = re.compile(r"^\s*$|^.*\d+%\|.*\|.*$|^.*\d+/[\d?]+ \[.*\]\s*$")
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
    reason="chromium is not installed (apt-get install chromium); .ci/run installs it",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab():
    """A JupyterLab server on 127.0.0.1 serving copies of the committed lessons; yields (url, token, shots)."""
    workdir = Path(tempfile.mkdtemp(prefix="course-lab-"))
    shots = Path(tempfile.mkdtemp(prefix="course-screenshots-"))
    (workdir / "stubs").mkdir()
    for lesson in LESSONS:
        shutil.copy(lesson, workdir / "stubs" / lesson.name)  # as committed: the exercise stubs in place
    token, port = secrets.token_hex(16), _free_port()
    env = {**os.environ, "COURSE_QUICK": "1", "JUPYTER_CONFIG_DIR": str(workdir / ".jupyter-config")}
    log = open(shots / "jupyterlab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workdir}",
         "--allow-root", "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.extension_manager=readonly"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail(f"JupyterLab did not start; log: {shots / 'jupyterlab.log'}")
    yield url, token, shots
    server.terminate()
    server.wait(timeout=30)
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS,
                                              headless=True, chromium_sandbox=False)
        yield instance
        instance.close()


def _accept_kernel_dialog(page) -> None:
    """JupyterLab may ask which kernel to start: accept the proposed "Python 3 (ipykernel)"."""
    select = page.locator(".jp-Dialog button", has_text="Select")
    try:
        select.first.wait_for(state="visible", timeout=15_000)
        select.first.click()
    except Exception:  # noqa: BLE001 - no dialog is fine
        pass


def _run_all_cells(page, timeout_s: float) -> list[str]:
    """Run all cells; return the input prompts once the kernel has stayed idle with no cell queued."""
    _accept_kernel_dialog(page)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    deadline, idle_since = time.time() + timeout_s, None
    while time.time() < deadline:
        time.sleep(1)
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_text_contents()  # off-screen cells too
        busy = page.locator(".jp-Notebook-ExecutionIndicator[data-status='busy']").count()
        if busy or any("*" in p for p in prompts):
            idle_since = None
        elif idle_since is None:
            idle_since = time.time()
        elif time.time() - idle_since > 5:
            return prompts
    raise TimeoutError(f"cells still running after {timeout_s:.0f} s")


def _foreign_stderr(page) -> list[str]:
    """Lines written to stderr by anything but the course (TensorFlow's C++ logs, warnings, tracebacks)."""
    texts = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_text_contents()
    return [line for text in texts for line in text.splitlines() if not COURSE_STDERR.match(line)]


def _open_and_run_all(page, url: str, token: str, path: str, workspace: str) -> list[str]:
    """Open notebook ``path`` (relative to the server root) in a fresh workspace and run all its cells."""
    page.goto(f"{url}/lab/workspaces/{workspace}/tree/{path}?token={token}&reset", wait_until="domcontentloaded")
    page.locator(".jp-Notebook").first.wait_for(timeout=120_000)
    _accept_kernel_dialog(page)
    idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first
    idle.wait_for(state="attached", timeout=120_000)
    return _run_all_cells(page, timeout_s=900)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_runs_in_jupyterlab(lab, browser, lesson):
    """Run All on the notebook as committed (exercises not attempted): it reaches the last cell without errors or
    foreign stderr, its widgets render and respond, and its training loops show tqdm progress widgets."""
    url, token, shots = lab
    shot = shots / f"{lesson.stem}.png"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        # A workspace of its own, reset, so that only this lesson is open in the page.
        prompts = _open_and_run_all(page, url, token, f"stubs/{lesson.name}", lesson.stem)
        page.screenshot(path=str(shot), full_page=False)
        where = f" (screenshot: {shot}; server log: {shots / 'jupyterlab.log'})"
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        first_error = next((t for t in errors.all_text_contents() if "Error" in t or "✗" in t), "")
        not_run = [i for i, p in enumerate(prompts) if not p.strip()[1:-2].isdigit()]
        assert not not_run, f"{lesson.name}: code cells {not_run} did not run; first error: {first_error[:800]}{where}"
        tracebacks = [t for t in errors.all_text_contents() if "Traceback" in t or "Error" in t.split("\n")[0]]
        assert not tracebacks and not first_error, \
            f"{lesson.name}: a cell shows an error: {(tracebacks or [first_error])[0][:500]}{where}"
        stdout = "\n".join(page.locator(".jp-OutputArea-output").all_text_contents())
        assert "not attempted yet" in stdout, f"{lesson.name}: no exercise said 'not attempted yet'{where}"
        foreign = _foreign_stderr(page)
        assert not foreign, f"{lesson.name}: stderr output that is not the course's own: {foreign[:5]}{where}"

        if lesson.stem in TRAINS_A_MODEL:
            progress = page.locator(".jp-OutputArea .widget-hprogress").count()
            assert progress > 0, f"{lesson.name}: no tqdm progress widget{where}"

        sliders = page.locator(".jp-OutputArea .widget-slider")
        assert sliders.count() > 0, f"{lesson.name}: no ipywidget slider rendered{where}"
        images = page.locator(".jp-OutputArea-output img")
        before = {images.nth(i).get_attribute("src") for i in range(images.count())}
        slider = sliders.first
        slider.scroll_into_view_if_needed()
        slider.locator(".noUi-handle, .ui-slider-handle").first.click()
        changed = False
        for key in ("ArrowLeft", "ArrowRight"):  # left first; right if the slider started at its minimum
            for _ in range(5):
                page.keyboard.press(key)
            deadline = time.time() + 60
            while not changed and time.time() < deadline:
                time.sleep(1)
                now = {images.nth(i).get_attribute("src") for i in range(images.count())}
                changed = bool(now - before)
            if changed:
                break
        page.screenshot(path=str(shot), full_page=False)
        assert changed, f"{lesson.name}: moving the first slider did not change any figure{where}"
    finally:
        page.close()
