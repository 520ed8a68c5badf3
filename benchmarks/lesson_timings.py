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
    import nbformat
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory() as tmp:
        solved = Path(tmp) / path.name
        solve_notebook(path, solved)
        nb = nbformat.read(solved, as_version=4)
        os.environ["COURSE_QUICK"] = "1" if quick else "0"
        start = time.perf_counter()
        NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
                       ).execute()
        return time.perf_counter() - start


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
