"""Measure the GAN lesson's figures; write benchmarks/results/gan.json.

Usage: python benchmarks/gan.py [--seeds 3] [--toy-seeds 3] [--skip-glyphs] [--kid-only]

1. The full-mode glyph DCGAN (the recipe of ``python -m course_lib pretrain gan-glyphs``, not saved) trained
   from scratch with ``--seeds`` seeds: wall time, share of samples classified with confidence >= 0.9 by the
   course's digit classifier, the smallest class share, classes present, KID (mean over 50 subsets) and FID to
   2000 held-out real glyphs; then mean and standard error over seeds.
2. The reference point: the same metrics for 2000 *real* glyphs of another seed (what "perfect" looks like).
3. The 2-D ring of 8 Gaussians: modes covered and high-quality share for each generator loss, over seeds.
4. KID ×10³ in the course's units (features standardised with the held-out glyphs' statistics, 100 subsets of 200)
   of the *shipped* generator, next to the real-vs-real floor and the memoriser (its 10 000 training glyphs
   resampled). ``--kid-only`` measures only this part and keeps the rest of the JSON (about a minute).

Budget: about 3.5 minutes per glyph seed and 20 s per toy run on 2 idle cores (≤ 20 minutes in all).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "gan.json"
sys.path.insert(0, str(ROOT))

from course_lib import data, gan  # noqa: E402

TOY_RUNS = {  # name -> keyword arguments of gan.train_toy_gan
    "non-saturating": {"loss": "non-saturating"},
    "minimax": {"loss": "minimax"},
    "hinge": {"loss": "hinge"},
    "non-saturating, D lr x10": {"loss": "non-saturating", "d_lr": 1e-2},
    "non-saturating, G lr x10": {"loss": "non-saturating", "g_lr": 1e-2},
    "non-saturating, D lr /10": {"loss": "non-saturating", "d_lr": 1e-4},
    "article (no fakes for D)": {"loss": "article"},
}


def mean_se(values) -> dict:
    values = np.asarray(values, dtype=np.float64)
    se = float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0
    return {"mean": round(float(values.mean()), 4), "se": round(se, 4), "n": int(len(values))}


def _scores(images: np.ndarray, heldout: np.ndarray) -> dict:
    s = gan.evaluate_samples(images, heldout, seed=0)
    return {"confident_share": round(s["confident_share"], 4),
            "min_class_share": round(float(s["class_shares"].min()), 4), "classes_present": s["classes_present"],
            "kid": round(s["kid"], 3), "kid_std_subsets": round(s["kid_std"], 3), "fid": round(s["fid"], 3),
            **{k: round(s[k], 4) for k in ("precision", "recall", "density", "coverage")}}


def shipped_kid() -> dict:
    """KID ×10³ of the shipped generator, the real-vs-real floor and the memoriser, against the held-out glyphs."""
    heldout, _ = data.glyphs(gan.HELDOUT_N, seed=gan.HELDOUT_SEED)
    generator, _ = gan.load_gan_glyphs()
    train, _ = data.glyphs(10_000, seed=0)  # the shipped generator's training set
    copies = train[np.random.default_rng(0).integers(0, len(train), gan.HELDOUT_N)]
    out = {"shipped generator": _scores(gan.sample(generator, gan.HELDOUT_N, seed=1), heldout),
           "real glyphs (floor)": _scores(data.glyphs(gan.HELDOUT_N, seed=1002)[0], heldout),
           "memoriser (its training glyphs)": _scores(copies, heldout),
           "evaluation": f"{gan.HELDOUT_N} images vs {gan.HELDOUT_N} held-out glyphs (seed {gan.HELDOUT_SEED}); "
                         "digit-classifier features standardised with the held-out set's mean and std; KID ×10³ "
                         "± std over 100 subsets of 200; precision/recall k = 5"}
    for name, row in out.items():
        print(name, row, flush=True)
    return out


def glyph_runs(seeds: int) -> dict:
    heldout, _ = data.glyphs(gan.HELDOUT_N, seed=gan.HELDOUT_SEED)
    runs = []
    for seed in range(seeds):
        start = time.perf_counter()
        generator, _, history, _ = gan.pretrain_gan_glyphs(seed=seed, save=False)
        seconds = time.perf_counter() - start  # includes data rendering and the per-snapshot evaluations
        row = {"seed": seed, "train_seconds": round(seconds, 1), "loop_seconds": round(history["seconds"], 1),
               **_scores(gan.sample(generator, gan.HELDOUT_N, seed=seed + 1), heldout)}
        print(row, flush=True)
        runs.append(row)
    summary = {key: mean_se([r[key] for r in runs])
               for key in ("train_seconds", "confident_share", "min_class_share", "kid", "fid")}
    summary["all_seeds_meet_targets"] = all(r["confident_share"] >= 0.9 and r["min_class_share"] >= 0.05 for r in runs)
    real = _scores(data.glyphs(gan.HELDOUT_N, seed=data.GLYPHS_OTHER_SEED)[0], heldout)
    print("real glyphs:", real, flush=True)
    return {"runs": runs, "summary": summary, "real_glyphs_reference": real, "kid_units": "x1e3, standardised features",
            "recipe": "gan.pretrain_gan_glyphs defaults (python -m course_lib pretrain gan-glyphs), save=False",
            "evaluation": f"{gan.HELDOUT_N} samples vs {gan.HELDOUT_N} held-out glyphs (seed {gan.HELDOUT_SEED}), "
                          "digit-classifier features standardised with the held-out set's statistics; KID ×10³ "
                          "over 100 subsets of 200; SE over training seeds"}


def toy_runs(seeds: int) -> dict:
    out = {}
    for name, kwargs in TOY_RUNS.items():
        rows = []
        for seed in range(seeds):
            start = time.perf_counter()
            result = gan.train_toy_gan(seed=seed, **kwargs)
            rows.append({"seed": seed, "modes": result["coverage"]["modes"],
                         "high_quality": round(result["coverage"]["high_quality"], 3),
                         "seconds": round(time.perf_counter() - start, 1)})
        out[name] = {"settings": kwargs, "runs": rows, "modes": mean_se([r["modes"] for r in rows]),
                     "high_quality": mean_se([r["high_quality"] for r in rows])}
        print(name, out[name]["modes"], out[name]["high_quality"], flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--toy-seeds", type=int, default=3)
    parser.add_argument("--skip-glyphs", action="store_true")
    parser.add_argument("--kid-only", action="store_true", help="only part 4; keep the rest of the JSON")
    args = parser.parse_args()
    start = time.perf_counter()
    if args.kid_only:
        results = json.loads(RESULTS.read_text())
        results["kid_x1e3"] = shipped_kid()
        results["kid_x1e3"]["seconds"] = round(time.perf_counter() - start, 1)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {RESULTS}")
        return
    results = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                           "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}}
    results["toy_ring"] = toy_runs(args.toy_seeds)
    if not args.skip_glyphs:
        results["glyph_dcgan"] = glyph_runs(args.seeds)
    elif RESULTS.exists():
        results["glyph_dcgan"] = json.loads(RESULTS.read_text()).get("glyph_dcgan")
    results["kid_x1e3"] = shipped_kid()
    results["benchmark_seconds"] = round(time.perf_counter() - start, 1)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS} in {results['benchmark_seconds']} s")


if __name__ == "__main__":
    main()
