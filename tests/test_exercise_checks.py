"""Exercise checks fail on wrong answers even under ``python -O``, which strips every bare ``assert``."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "course_lib" / "exercises"

# Run under -O: every registered exercise's checker gets its plausible wrong answer. A bare `assert` in a checker
# would be stripped, so the check would pass (or crash later with another error) instead of raising its hint.
OPTIMISED_RUN = """
import json, sys
from course_lib.exercises import _guarded, all_exercises

def bare_assert_check(x):
    assert x == 1, "stripped under -O"

outcome = {}
for ex in all_exercises():
    answer = _guarded(ex.wrong) if callable(ex.wrong) else ex.wrong
    try:
        ex.verify(answer)
        outcome[ex.id] = "passed"
    except AssertionError:
        outcome[ex.id] = "AssertionError"
    except Exception as error:
        outcome[ex.id] = f"{type(error).__name__}: {error}"
try:
    bare_assert_check(0)
    control = "passed"
except AssertionError:
    control = "AssertionError"
print(json.dumps({"optimize": sys.flags.optimize, "control": control, "outcome": outcome}))
"""


def test_no_bare_assert_in_exercise_checks():
    found = [f"{path.name}:{node.lineno}" for path in sorted(EXERCISES.glob("*.py"))
             for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Assert)]
    assert not found, f"bare assert (stripped by python -O) in {found}; raise AssertionError(hint) instead"


def test_wrong_answers_fail_under_python_O():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COURSE_QUICK": "1"}
    result = subprocess.run([sys.executable, "-O", "-c", OPTIMISED_RUN], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["optimize"] == 1
    assert report["control"] == "passed"  # the run really strips asserts: a bare-assert check lets 0 through
    wrong = {eid: how for eid, how in report["outcome"].items() if how != "AssertionError"}
    assert report["outcome"] and not wrong, f"under -O these checks did not raise AssertionError: {wrong}"
