"""Regenerate the measured tables of README.md and INSTRUCTORS.md from benchmarks/results/*.json, the
checkpoint manifest and the exercise registry.

Usage: python benchmarks/readme_tables.py          # rewrite both files in place
       python benchmarks/readme_tables.py --check  # exit 1 if either is out of date (used by the tests)

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
DOCUMENTS = (README, ROOT / "INSTRUCTORS.md")

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


def _timing(record: dict) -> str:
    load = record.get("load_average", 0)
    return f"{record['seconds']:.0f} s" + (f" (load {load:.0f})" if load > record.get("cpu_count", 2) + 0.5 else "")


def lessons_table() -> str:
    timings = _load("lesson_timings")
    rows = ["| lesson | what it teaches | quick / full run time |", "|---|---|---|"]
    for stem, topic in LESSONS.items():
        exists = (ROOT / "lessons" / f"{stem}.ipynb").exists()
        title = f"[{stem.replace('_', ' ', 1)}](lessons/{stem}.ipynb)" if exists else stem.replace("_", " ", 1)
        t = timings.get(stem, {})
        if exists and t:
            when = " / ".join(_timing(t[m]) if m in t else "not measured" for m in ("quick", "full"))
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


def restoration_table() -> str:
    data = _load("restoration")
    if not data:
        return "_not measured yet: run `python benchmarks/restoration.py`_"
    rows = ["| task | setting | " + " | ".join(["method", "mean PSNR (dB)", "time"]) + " |", "|---|---|---|---|---|"]
    for setting, methods in data["denoising"].items():
        for name, r in methods.items():
            rows.append(f"| denoising | {setting.replace('sigma=', 'σ = ')}/255 | {name} | {r['mean_psnr']:.2f} | "
                        f"{r['seconds_512']:.2f} s per 512² |")
    for kind, methods in data["inpainting"].items():
        for name, r in methods.items():
            rows.append(f"| inpainting (PSNR inside the mask) | {kind} | {name} | {r['mean_psnr_in_mask']:.2f} | "
                        f"{r['total_seconds']:.2f} s for 6 photos |")
    for name, r in data["super_resolution_x2"].items():
        rows.append(f"| ×2 super-resolution | area-downsampled | {name} | {r['mean_psnr']:.2f} | "
                    f"{r['total_seconds']:.2f} s for 6 photos |")
    for case, table in data["failure_cases"].items():
        for setting, methods in table.items():
            for name, r in methods.items():
                if "blind" not in name:
                    rows.append(f"| failure case: {case} | {setting.replace('sigma=', 'σ = ')}/255 | {name} | "
                                f"{r['mean_psnr']:.2f} | |")
    ratio = data["speed_ratio_bm3d_over_cnn_512"]
    return ("\n".join(rows) + f"\n\nCNN vs reference BM3D speed on the 512² photos, same run: **{ratio}× faster**. "
            f"Protocol: {data['protocol']}. Made by `python benchmarks/restoration.py` "
            f"({data['seconds']:.0f} s on {data['machine']['cpu_cores']} cores).")


def exercises_table() -> str:
    sys.path.insert(0, str(ROOT))
    from course_lib.exercises import all_exercises

    rows = ["| lesson | exercise | what it asks |", "|---|---|---|"]
    stems = {stem[:2]: stem for stem in LESSONS}
    for ex in all_exercises():
        stem = stems.get(ex.id.split(".")[0], ex.id.split(".")[0])
        rows.append(f"| {stem} | `{ex.id}` | {ex.title} |")
    return "\n".join(rows)


TABLES = {"exercises": exercises_table, "lessons": lessons_table, "checkpoints": checkpoints_table, "bm3d": bm3d_table,
          "restoration": restoration_table}


def render(text: str) -> str:
    for name, make in TABLES.items():
        pattern = re.compile(rf"(<!-- results:{name} -->\n).*?(<!-- /results:{name} -->)", re.S)
        text = pattern.sub(lambda m, make=make: m.group(1) + make() + "\n" + m.group(2), text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check that README.md is up to date")
    args = parser.parse_args()
    stale = []
    for path in DOCUMENTS:
        current = path.read_text()
        updated = render(current)
        if updated != current:
            stale.append(path.name)
            if not args.check:
                path.write_text(updated)
    if args.check and stale:
        print(f"{', '.join(stale)} out of date: run python benchmarks/readme_tables.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
