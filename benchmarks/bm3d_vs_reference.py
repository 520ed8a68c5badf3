"""Benchmark: course_lib.bm3d against the reference ``bm3d`` package, NL-means, Gaussian blur and the noisy input.

Run from the repository root::

    python benchmarks/bm3d_vs_reference.py            # full run: 6 test photos x sigma 15, 25, 50 (about 5 min)
    python benchmarks/bm3d_vs_reference.py --quick    # 2 small photos, sigma 25 only (about 30 s)

Protocol
--------
* Images: ``course_lib.data.TEST_PHOTOS`` (grayscale, 2 of 512x512 and 4 of 256x256), never used for tuning.
* Noise: ``course_lib.degrade.add_gaussian_noise(image, sigma, seed=...)`` -- white Gaussian, *not* clipped,
  seed = 1000 * image index + sigma (0-255 units), identical for every method.
* Score: ``course_lib.metrics.psnr(clean, estimate)`` (estimate clipped to [0, 1], data range 1).
* Time: ``time.perf_counter`` around one call, same process, methods interleaved per image, so ours and the
  reference see the same machine load.  The reference runs its compiled multi-threaded binary with its defaults.
* Memory: peak resident memory *above the level just before the call* (Linux ``/proc/self/status`` VmHWM after
  resetting it through ``/proc/self/clear_refs``), which also sees the reference's C allocations (tracemalloc
  would not).  Falls back to tracemalloc (numpy allocations only) where /proc is unavailable.
* Baselines (``course_lib.baselines``): NL-means and Gaussian blur have one free parameter each, tuned per sigma
  on two *training* photos (``rocket``, ``china``, 256x256 crops) by grid search, then frozen:
  OpenCV's non-local means on uint8 (input clipped and rounded, as it requires) with
  ``h = c * sigma_255`` and its default 7x7 patches / 21x21 search; scikit-image ``denoise_nl_means`` with the
  known sigma, ``h = c * sigma``, 5x5 patches, distance 6, ``fast_mode=True`` (its gallery example's setting);
  ``scipy.ndimage.gaussian_filter`` with ``sigma_px`` from a grid.

Writes ``benchmarks/results/bm3d.json`` (per image, per sigma, per method: PSNR, seconds, peak MB; plus means, gaps
and time ratios) and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_lib import bm3d as ours  # noqa: E402
from course_lib.baselines import BASELINES, TUNING_PHOTOS, tune_baselines  # noqa: E402
from course_lib.data import TEST_PHOTOS, load_photo  # noqa: E402
from course_lib.degrade import add_gaussian_noise  # noqa: E402
from course_lib.metrics import psnr  # noqa: E402


# ------------------------------------------------------------------------------------------------ measuring
def _status_mb(key: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def measure(fn, *args, **kwargs):
    """Run ``fn`` once; return (result, seconds, peak MB above the pre-call level, how memory was measured)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak-RSS counter (Linux >= 4.0)
        before = _status_mb("VmRSS")
        how = "rss"
    except OSError:
        before, how = None, "tracemalloc"
    if before is None:
        how = "tracemalloc"
        tracemalloc.start()
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    seconds = time.perf_counter() - start
    if how == "rss":
        peak = _status_mb("VmHWM") - before
    else:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return result, seconds, max(peak, 0.0), how


# ------------------------------------------------------------------------------------------------ methods
def methods(sigma255: int, tuned: dict[str, float], with_paper: bool):
    import bm3d as reference

    sigma = sigma255 / 255
    hard = reference.BM3DStages.HARD_THRESHOLDING
    table = {
        "noisy": lambda z: z,
        "ours": lambda z: ours.bm3d(z, sigma),
        "reference": lambda z: reference.bm3d(z.astype(np.float64), sigma).astype(np.float32),
        "ours_hard": lambda z: ours.bm3d(z, sigma, stage="hard"),
        "reference_hard": lambda z: reference.bm3d(z.astype(np.float64), sigma, stage_arg=hard).astype(np.float32),
        "ours_hard_lambda3": lambda z: ours.bm3d(z, sigma, stage="hard", lambda_3d=3.0),
    }
    if with_paper:  # the paper's sigma > 40 profile differs from "ours" only above sigma = 40
        table["ours_paper_profile"] = lambda z: ours.bm3d(z, sigma, profile="paper")
    for name, fn in BASELINES.items():
        table[name] = lambda z, fn=fn, c=tuned[name]: fn(z, sigma, c)
    return table


# ------------------------------------------------------------------------------------------------ report
LABELS = {
    "ours": "course_lib.bm3d (both steps)",
    "reference": "reference bm3d 4.0.3 (both)",
    "ours_hard": "course_lib.bm3d step 1 (λ=2.7)",
    "reference_hard": "reference step 1",
    "ours_hard_lambda3": "course_lib.bm3d step 1, λ=3.0 (diagnostic)",
    "ours_paper_profile": "course_lib.bm3d, paper σ>40 profile",
    "nlm_opencv": "NL-means, OpenCV",
    "nlm_skimage": "NL-means, scikit-image",
    "gaussian": "Gaussian blur",
    "noisy": "noisy input",
}


def summarise(records: list[dict], sigmas: list[int]) -> dict:
    summary: dict = {"mean_psnr": {}, "mean_seconds": {}, "max_peak_mb": {}, "gap_db": {}, "time_ratio": {}}
    for s in sigmas:
        rows = [r for r in records if r["sigma255"] == s]
        names = rows[0]["methods"].keys()
        summary["mean_psnr"][s] = {m: float(np.mean([r["methods"][m]["psnr"] for r in rows])) for m in names}
        summary["mean_seconds"][s] = {m: float(np.mean([r["methods"][m]["seconds"] for r in rows])) for m in names}
        summary["max_peak_mb"][s] = {m: float(np.max([r["methods"][m]["peak_mb"] for r in rows])) for m in names}
        mp, ms = summary["mean_psnr"][s], summary["mean_seconds"][s]
        summary["gap_db"][s] = {"both": mp["ours"] - mp["reference"], "hard": mp["ours_hard"] - mp["reference_hard"],
                                "hard_lambda3": mp["ours_hard_lambda3"] - mp["reference_hard"]}
        if "ours_paper_profile" in mp:
            summary["gap_db"][s]["paper_profile"] = mp["ours_paper_profile"] - mp["reference"]
        summary["time_ratio"][s] = {"both": ms["ours"] / ms["reference"],
                                    "hard": ms["ours_hard"] / ms["reference_hard"]}
    return summary


def markdown(summary: dict, sigmas: list[int], n_images: int) -> str:
    order = [m for m in LABELS if any(m in summary["mean_psnr"][s] for s in sigmas)]
    head = "| method | " + " | ".join(f"σ={s}: PSNR dB · s/image" for s in sigmas) + " | peak MB |"
    lines = [f"Mean over {n_images} test photos (grayscale, noise seeded, not clipped).", "", head,
             "|---|" + "---|" * (len(sigmas) + 1)]
    for m in order:
        cells = []
        for s in sigmas:
            if m in summary["mean_psnr"][s]:
                cells.append(f"{summary['mean_psnr'][s][m]:.2f} · {summary['mean_seconds'][s][m]:.2f}")
            else:
                cells.append("—")
        peak = max(summary["max_peak_mb"][s].get(m, 0.0) for s in sigmas)
        lines.append(f"| {LABELS[m]} | " + " | ".join(cells) + f" | {peak:.0f} |")
    lines += ["", "| σ | gap both steps (ours − ref) | gap step 1 | gap step 1 at λ=3.0 | time ratio both (ours/ref) "
              "| time ratio step 1 |", "|---|---|---|---|---|---|"]
    for s in sigmas:
        g, t = summary["gap_db"][s], summary["time_ratio"][s]
        lines.append(f"| {s} | {g['both']:+.3f} dB | {g['hard']:+.3f} dB | {g['hard_lambda3']:+.3f} dB "
                     f"| {t['both']:.2f}× | {t['hard']:.2f}× |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 small photos, sigma 25 only")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bm3d.json"))
    args = parser.parse_args(argv)

    import bm3d as reference

    names = ["coffee", "coins"] if args.quick else list(TEST_PHOTOS)
    sigmas = [25] if args.quick else [15, 25, 50]
    records, tuned_all, how = [], {}, None
    for s in sigmas:
        tuned_all[s] = tune_baselines(s)
        print(f"σ={s}: tuned on {TUNING_PHOTOS}: {tuned_all[s]}", flush=True)
        table = methods(s, tuned_all[s], with_paper=s > 40)
        for index, name in enumerate(names):
            clean = load_photo(name)
            noisy = add_gaussian_noise(clean, s / 255, seed=1000 * index + s)
            row = {"image": name, "shape": list(clean.shape), "sigma255": s, "seed": 1000 * index + s, "methods": {}}
            for method, fn in table.items():
                estimate, seconds, peak, how = measure(fn, noisy)
                row["methods"][method] = {"psnr": psnr(clean, estimate), "seconds": seconds, "peak_mb": peak}
            records.append(row)
            m = row["methods"]
            print(f"  {name:10s} {clean.shape[0]}²  ours {m['ours']['psnr']:.2f} ({m['ours']['seconds']:.1f}s)  "
                  f"ref {m['reference']['psnr']:.2f} ({m['reference']['seconds']:.1f}s)  "
                  f"step1 {m['ours_hard']['psnr']:.2f}/{m['reference_hard']['psnr']:.2f}  "
                  f"NLM cv2 {m['nlm_opencv']['psnr']:.2f}", flush=True)

    summary = summarise(records, sigmas)
    table_md = markdown(summary, sigmas, len(names))
    result = {
        "command": "python benchmarks/bm3d_vs_reference.py" + (" --quick" if args.quick else ""),
        "protocol": __doc__,
        "memory_measure": "peak RSS above pre-call level (VmHWM)" if how == "rss" else "tracemalloc peak",
        "environment": {
            "python": platform.python_version(), "numpy": np.__version__,
            "bm3d": getattr(reference, "__version__", None) or _version("bm3d"),
            "cpu_count": os.cpu_count(), "load_average_at_end": list(os.getloadavg()),
            "machine": platform.machine(),
        },
        "images": {n: list(load_photo(n).shape) for n in names},
        "sigmas_255": sigmas,
        "tuned_baseline_parameters": tuned_all,
        "records": records,
        "summary": summary,
        "markdown": table_md,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=float))
    print()
    print(table_md)
    print(f"\nwrote {out}")
    return result


def _version(package: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(package)
    except Exception:  # noqa: BLE001
        return None


if __name__ == "__main__":
    main()
