"""Regenerate the README's measured tables from benchmarks/results/*.json and the checkpoint manifest.

Usage: python benchmarks/readme_tables.py          # rewrite README.md in place
       python benchmarks/readme_tables.py --check  # exit 1 if README.md is out of date (used by the tests)

Each table sits between ``<!-- results:NAME -->`` and ``<!-- /results:NAME -->`` markers.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
README = ROOT / "README.md"

LESSONS = {
    "00_concepts": "images as arrays, $y = A(x) + n$, PSNR vs SSIM (where PSNR misleads), generation vs restoration, "
                   "pretraining / fine-tuning / transfer with a measured linear-probe curve, glossary EN/中文, errata",
    "01_gan": "minimax and non-saturating losses, mode collapse, KID/FID in a course-trained feature space",
    "02_vae": "the ELBO implemented exactly, reparameterisation, β, IWAE",
    "03_bm3d": "block matching and 3-D collaborative filtering from scratch vs the reference `bm3d`, NL-means",
    "04_cnn_repair": "residual denoising, inpainting, super-resolution vs classical baselines",
    "05_transfer": "fine-tuning, freezing, FreezeD, distillation: effect sizes with error bars",
}


def _load(name: str) -> dict:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def lessons_table() -> str:
    timings = _load("lesson_timings")
    rows = ["| lesson | what it teaches | quick / full run time |", "|---|---|---|"]
    for stem, topic in LESSONS.items():
        exists = (ROOT / "lessons" / f"{stem}.ipynb").exists()
        title = f"[{stem.replace('_', ' ', 1)}](lessons/{stem}.ipynb)" if exists else stem.replace("_", " ", 1)
        t = timings.get(stem, {})
        if exists and t:
            when = " / ".join(f"{t[m]['seconds']:.0f} s" if m in t else "not measured" for m in ("quick", "full"))
        else:
            when = "not measured" if exists else "not written yet"
        rows.append(f"| {title} | {topic} | {when} |")
    return "\n".join(rows)


def checkpoints_table() -> str:
    manifest = json.loads((ROOT / "data" / "checkpoints" / "manifest.json").read_text())
    rows = ["| name | made by | training time | parameters | measured quality |", "|---|---|---|---|---|"]
    for name, e in sorted(manifest.items()):
        quality = ", ".join(f"{k} {v}" for k, v in e["quality"].items() if not isinstance(v, (dict, list)))
        seconds, params = f"{e['train_seconds']:.0f} s", e.get("parameters", "—")
        rows.append(f"| {name} | `{e['command']}` | {seconds} | {params} | {quality} |")
    return "\n".join(rows)


def bm3d_table() -> str:
    data = _load("bm3d")
    if not data:
        return "_not measured yet: run `python benchmarks/bm3d_vs_reference.py`_"
    return f"{data['markdown'].strip()}\n\nMade by `{data.get('command', 'python benchmarks/bm3d_vs_reference.py')}`."


TABLES = {"lessons": lessons_table, "checkpoints": checkpoints_table, "bm3d": bm3d_table}


def render(text: str) -> str:
    for name, make in TABLES.items():
        pattern = re.compile(rf"(<!-- results:{name} -->\n).*?(<!-- /results:{name} -->)", re.S)
        text = pattern.sub(lambda m, make=make: m.group(1) + make() + "\n" + m.group(2), text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check that README.md is up to date")
    args = parser.parse_args()
    current = README.read_text()
    updated = render(current)
    if args.check:
        if updated != current:
            print("README.md is out of date: run python benchmarks/readme_tables.py")
            return 1
        return 0
    README.write_text(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
