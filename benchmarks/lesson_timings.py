"""Time every lesson top to bottom, in quick and/or full mode; write benchmarks/results/lesson_timings.json.

Usage: python benchmarks/lesson_timings.py [--mode quick|full|both] [LESSON ...]
Each run executes a copy of the notebook with the reference solutions in the exercise cells
(as the test suite does), in a fresh kernel, and records the wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from conftest import solve_notebook  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "lesson_timings.json"


def time_lesson(path: Path, quick: bool) -> float:
    """Run every code cell of the solved lesson in a fresh kernel (cwd ``lessons/``); return the wall time.

    Cells are sent one by one with ``jupyter_client``'s ``execute_interactive``, which polls the
    kernel's channels in short intervals: ``nbclient`` can block for good on a cell that opens
    ipywidgets (jupyter/nbclient#312), and every lesson has widget cells.
    """
    import nbformat
    from jupyter_client.manager import start_new_kernel

    with tempfile.TemporaryDirectory() as tmp:
        solved = Path(tmp) / path.name
        solve_notebook(path, solved)
        cells = [c.source for c in nbformat.read(solved, as_version=4).cells if c.cell_type == "code"]
    env = os.environ | {"COURSE_QUICK": "1" if quick else "0"}
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(path.parent), env=env)
    try:
        start = time.perf_counter()
        for i, source in enumerate(cells):
            reply = kc.execute_interactive(source, timeout=1800, output_hook=lambda _msg: None)
            content = reply["content"]
            if content["status"] != "ok":
                raise RuntimeError(f"{path.name}, code cell {i}: {content.get('ename')}: {content.get('evalue')}")
        return time.perf_counter() - start
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=["quick", "full", "both"], default="both")
    parser.add_argument("lessons", nargs="*", help="lesson stems, e.g. 00_concepts (default: all)")
    args = parser.parse_args()
    paths = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
    if args.lessons:
        paths = [p for p in paths if p.stem in args.lessons]
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    modes = ["quick", "full"] if args.mode == "both" else [args.mode]
    for path in paths:
        for mode in modes:
            load_before = os.getloadavg()[0]
            seconds = time_lesson(path, quick=mode == "quick")
            results.setdefault(path.stem, {})[mode] = {
                "seconds": round(seconds, 1), "cpu_count": os.cpu_count(), "machine": platform.machine(),
                "date": time.strftime("%Y-%m-%d"),
                "load_average": round(max(load_before, os.getloadavg()[0]), 1),  # other jobs slow it down
            }
            print(f"{path.stem:<15} {mode:<5} {seconds:6.1f} s (load {os.getloadavg()[0]:.1f})", flush=True)
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
