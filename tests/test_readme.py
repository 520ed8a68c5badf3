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
