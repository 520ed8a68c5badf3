"""Benchmark: what BM3D's DC exemption changes — course_lib.bm3d with the group's DC always kept (the course's
choice) against the paper's rule, where the DC is hard-thresholded like every other coefficient (Dabov et al. 2007;
Lebrun, IPOL 2012).

Run from the repository root::

    nice -n 10 python benchmarks/bm3d_dc.py            # 6 test photos x sigma 15, 25, 50 (about 4 min on 2 cores)
    python benchmarks/bm3d_dc.py --quick               # 2 photos, sigma 25, 128x128 crops (seconds)

Protocol: the test photos and noise seeds of ``benchmarks/bm3d_vs_reference.py`` (seed = 1000 * image index +
sigma in 0-255 units, noise not clipped); both variants run step 1 (``bm3d_viz.step1_variant``, equal to
``bm3d.bm3d_step1`` with ``keep_dc=True``) and then the same step 2 (``bm3d.bm3d_step2``); PSNR on the output
clipped to [0, 1]. Also the basic estimate (step 1 only), where the exemption acts directly; when the two basic
estimates are identical to the bit, step 2 (deterministic) is run once and its result used for both. The difference is
paired (same noise for both variants): mean ± standard error over the photos.

Writes ``benchmarks/results/bm3d_dc.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_lib import bm3d  # noqa: E402
from course_lib.bm3d_viz import step1_variant  # noqa: E402
from course_lib.data import TEST_PHOTOS, load_photo  # noqa: E402
from course_lib.degrade import add_gaussian_noise  # noqa: E402
from course_lib.metrics import psnr  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 photos, sigma 25, 128x128 crops")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bm3d_dc.json"))
    args = parser.parse_args()
    names = ["coffee", "coins"] if args.quick else list(TEST_PHOTOS)
    sigmas = [25] if args.quick else [15, 25, 50]
    start, records = time.perf_counter(), []
    for s in sigmas:
        for index, name in enumerate(TEST_PHOTOS):
            if name not in names:
                continue
            clean = load_photo(name)
            clean = np.ascontiguousarray(clean[:128, :128]) if args.quick else clean
            noisy = add_gaussian_noise(clean, s / 255, seed=1000 * index + s)
            row = {"image": name, "sigma255": s, "seed": 1000 * index + s}
            basics = {keep_dc: step1_variant(noisy, s / 255, keep_dc=keep_dc) for keep_dc in (True, False)}
            row["basic_identical"] = bool(np.array_equal(basics[True], basics[False]))
            finals = {True: bm3d.bm3d_step2(noisy, basics[True], s / 255)}
            # step 2 is deterministic given the basic estimate: identical basics give identical final estimates
            finals[False] = finals[True] if row["basic_identical"] else bm3d.bm3d_step2(noisy, basics[False], s / 255)
            for keep_dc in (True, False):
                key = "dc_kept" if keep_dc else "dc_thresholded"
                row[key] = {"basic_psnr": psnr(clean, basics[keep_dc]), "psnr": psnr(clean, finals[keep_dc]),
                            "mean_shift": float(np.mean(finals[keep_dc]) - np.mean(clean))}
            records.append(row)
            print(f"{name:<10} σ={s:<3} DC kept {row['dc_kept']['psnr']:.3f} dB, DC thresholded "
                  f"{row['dc_thresholded']['psnr']:.3f} dB", flush=True)
    summary = {}
    for s in sigmas:
        rows = [r for r in records if r["sigma255"] == s]
        entry = {}
        for stage, key in (("final", "psnr"), ("basic", "basic_psnr")):
            diff = np.array([r["dc_kept"][key] - r["dc_thresholded"][key] for r in rows])
            entry[stage] = {"dc_kept": float(np.mean([r["dc_kept"][key] for r in rows])),
                            "dc_thresholded": float(np.mean([r["dc_thresholded"][key] for r in rows])),
                            "kept_minus_thresholded": float(diff.mean()),
                            "se": float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else float("nan"),
                            "n": len(diff)}
        summary[str(s)] = entry
    result = {"command": "python benchmarks/bm3d_dc.py" + (" --quick" if args.quick else ""),
              "protocol": __doc__, "machine": {"platform": platform.platform(), "date": time.strftime("%Y-%m-%d")},
              "records": records, "summary": summary, "seconds": round(time.perf_counter() - start, 1)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    for s, entry in summary.items():
        f = entry["final"]
        print(f"σ={s}: DC kept {f['dc_kept']:.3f} dB, thresholded {f['dc_thresholded']:.3f} dB, "
              f"difference {f['kept_minus_thresholded']:+.3f} ± {f['se']:.3f} dB (n = {f['n']})")


if __name__ == "__main__":
    main()
