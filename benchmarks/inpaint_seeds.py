"""Benchmark: is the inpainter's margin over the classical fills larger than its error bar? Several mask seeds per
test photo, paired differences, standard errors over photos.

Run from the repository root::

    nice -n 10 python benchmarks/inpaint_seeds.py             # 6 test photos x 3 mask seeds x 2 mask kinds
    python benchmarks/inpaint_seeds.py --quick                # 2 photos, 2 seeds, 128x128 crops (seconds)

Protocol: the held-out test photos (grayscale, whole); masks as in ``benchmarks/restoration.py`` (strokes:
``stroke_mask(shape, 6, 5, seed)``; boxes: ``box_mask(shape, 4 * (H*W // 65536), 16, seed)``) with
seed = photo index + 10 * s for s = 0 … n_seeds - 1 (s = 0 gives the restoration benchmark's masks). Score: PSNR
inside the mask of the output clipped to [0, 1]. For each classical fill (Telea, Navier–Stokes, biharmonic) the
CNN's paired difference (same photo, same mask) is averaged over the seeds of each photo, then over photos: mean ±
standard error over the photos (photos, not masks, are the independent units). A margin is a *win* or a *loss* only
when it exceeds 2 standard errors; otherwise a *tie*.

Writes ``benchmarks/results/inpaint_seeds.json``.
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

from course_lib import baselines, degrade, metrics, restore  # noqa: E402
from course_lib.baselines import FILLS  # noqa: E402
from course_lib.data import test_photos  # noqa: E402


def masks_for(shape: tuple[int, int], kind: str, seed: int) -> np.ndarray:
    if kind == "strokes":
        return degrade.stroke_mask(shape, 6, 5, seed=seed)
    return degrade.box_mask(shape, max(1, 4 * (shape[0] * shape[1] // 65536)), 16, seed=seed)


def cnn_with_fills(observed: np.ndarray, mask: np.ndarray, fills: np.ndarray) -> np.ndarray:
    """``restore.cnn_inpaint`` with the classical fills it needs already computed (the same function of the same
    inputs, so the same result; it halves the benchmark's time, most of which is the biharmonic fill)."""
    original = restore.classical_fills
    restore.classical_fills = lambda image, m: fills
    try:
        return restore.cnn_inpaint(observed, mask)
    finally:
        restore.classical_fills = original


def paired_summary(scores: dict) -> dict:
    """scores[method][photo] = list over seeds -> per fill: CNN minus fill, mean ± se over photos, verdict."""
    photos = list(scores["cnn"])
    out = {"mean_psnr_in_mask": {m: float(np.mean([np.mean(v[p]) for p in photos])) for m, v in scores.items()}}
    for fill in FILLS:
        per_photo = np.array([np.mean(np.subtract(scores["cnn"][p], scores[fill][p])) for p in photos])
        se = float(per_photo.std(ddof=1) / np.sqrt(len(per_photo))) if len(per_photo) > 1 else float("nan")
        mean = float(per_photo.mean())
        verdict = "win" if mean > 2 * se else "loss" if mean < -2 * se else "tie"
        out[f"cnn_minus_{fill}"] = {"mean": mean, "se": se, "n_photos": len(per_photo), "verdict": verdict,
                                    "per_photo": [round(float(d), 3) for d in per_photo]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "inpaint_seeds.json"))
    args = parser.parse_args()
    photos = test_photos()
    if args.quick:
        photos = {name: np.ascontiguousarray(photos[name][:128, :128]) for name in ("camera", "coins")}
        args.seeds = 2
    start, result = time.perf_counter(), {}
    for kind in ("strokes", "boxes"):
        scores = {m: {} for m in ("cnn", *FILLS)}
        for i, (name, clean) in enumerate(photos.items()):
            for s in range(args.seeds):
                mask = masks_for(clean.shape, kind, i + 10 * s)
                observed = degrade.apply_mask(clean, mask)
                fills = baselines.classical_fills(observed, mask)
                scores["cnn"].setdefault(name, []).append(metrics.psnr(
                    clean, cnn_with_fills(observed, mask, fills), mask=mask))
                for j, fill in enumerate(FILLS):
                    scores[fill].setdefault(name, []).append(metrics.psnr(clean, fills[..., j], mask=mask))
            print(f"{kind:<8} {name:<10} cnn − biharmonic per seed: "
                  f"{np.round(np.subtract(scores['cnn'][name], scores['biharmonic'][name]), 2)}", flush=True)
        result[kind] = {"scores": {m: {p: [round(v, 3) for v in vs] for p, vs in d.items()} for m, d in scores.items()},
                        **paired_summary(scores)}
        for fill in FILLS:
            d = result[kind][f"cnn_minus_{fill}"]
            print(f"{kind}: cnn − {fill}: {d['mean']:+.3f} ± {d['se']:.3f} dB → {d['verdict']}", flush=True)
    out = {"command": "python benchmarks/inpaint_seeds.py" + (" --quick" if args.quick else ""),
           "protocol": __doc__, "seeds": args.seeds, "photos": list(photos),
           "machine": {"platform": platform.platform(), "date": time.strftime("%Y-%m-%d")},
           **result, "seconds": round(time.perf_counter() - start, 1)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
