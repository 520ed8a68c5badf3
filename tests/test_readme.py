import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_tables_match_the_results_json():
    result = subprocess.run([sys.executable, "benchmarks/readme_tables.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_quick_start_has_the_two_commands():
    text = (ROOT / "README.md").read_text()
    assert "pip install -r requirements.txt && jupyter lab" in text
    assert "pip install -r requirements.txt && python -m pytest" in text
    assert "python -m pytest" in (ROOT / ".ci" / "run").read_text()


def test_instructor_guide_covers_what_a_class_needs():
    text = (ROOT / "INSTRUCTORS.md").read_text()
    for part in ("Timings per lesson", "JupyterHub", "reveal(", "python -m course_lib pretrain", "Suggested homework"):
        assert part in text, f"INSTRUCTORS.md lacks {part!r}"
    assert "| 00_concepts | `00." in text, "the exercise table is not generated"
