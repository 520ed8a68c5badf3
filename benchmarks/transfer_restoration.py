"""Transfer in restoration, measured; writes benchmarks/results/transfer_restoration.json.

Usage: python benchmarks/transfer_restoration.py [--seeds 3] [--steps 80] [--out PATH] [--quick | --choose-lr]

Source: the shipped photo denoiser of lesson 04 (``restore.SHIPPED["denoiser"]``). Every trained arm gets the
same budget: 80 steps of batch 8 (what fits the grids into the time limit on 2 cores). Learning rates are fixed
in ``transfer.RESTORATION_LR``, chosen with ``--choose-lr`` on the validation faces 80-99 (never on the test
images). PSNR is measured on held-out target-test images only. skimage's LFW subset holds 100 faces and 100
*non-faces*; only the faces are used.

Grids reduced from the issue's (N = 1, 2, 5, 10, 20 for both shifts) to fit the hour on 2 *shared* cores: faces
N = 1, 5, 20 and Poisson N = 5; ``--only faces`` etc. runs parts in parallel processes.

1. ``faces`` — new domain: LFW faces 24×24, Gaussian σ = 25/255; N = 1, 5, 20 target faces from faces 0-59;
   test = faces 60-79. Arms: none (source as is), scratch, fine-tune (all layers), last-layers (last 3 convs).
2. ``distill`` — N = 5: a half-width student (≈ 4× fewer parameters) trained on the fine-tuned teacher's outputs
   for the 60 *unlabelled* pool faces vs the same student trained on the 5 clean pairs (same steps).
3. ``poisson`` — new degradation: Poisson noise, peak 10 (σ-input √(mean/peak)), on 64×64 photo crops (24×24
   training patches); N = 5 crops of the training photos; test = 24 crops of the 6 test
   photos. Poisson, not JPEG: it is still *noise* (zero-mean, pixel-wise independent), so the source's job stays
   the same and only the noise statistics shift — signal-dependent variance instead of a constant σ, which is
   exactly what the σ input cannot express. JPEG would change the task itself (structured 8×8 block artefacts).
"""

from __future__ import annotations

import argparse

import numpy as np
from transfer_common import ROOT, Clock, effect, environment, run_grid, table, transfer, write

GRID = {"faces": ([5, 1, 20], ["scratch", "fine-tune", "last-layers"]),
        "distill": ([5], ["distill", "scratch"]),
        "poisson": ([5], ["scratch", "fine-tune", "last-layers"])}


def examples_for(name: str) -> tuple[dict, callable]:
    """The first test image of ``name``: clean, noisy and a function giving a model's output on it."""
    from course_lib.restore import denoise_batch

    clean = transfer.restoration_data(name)["test"][:1]
    kind = "poisson" if name == "poisson" else "faces"
    noisy, sigma = transfer.degrade_batch(clean, kind, np.random.default_rng(1000))
    store = {"clean": np.round(clean[0], 3).tolist(), "noisy": np.round(noisy[0], 3).tolist()}
    return store, lambda model: np.round(np.clip(denoise_batch(model, noisy, sigma)[0], 0, 1), 3).tolist()


def choose_lr() -> None:
    """The learning-rate sweep behind ``transfer.RESTORATION_LR``: validation faces, N = 5, 100 steps, seed 0."""
    for strategy, rates in (("fine-tune", (1e-5, 3e-5, 1e-4)), ("last-layers", (3e-5, 1e-4, 3e-4)),
                            ("scratch", (3e-4, 1e-3, 3e-3))):
        for lr in rates:
            r = transfer.run_experiment("faces", strategy, 5, 0, steps=100, lr=lr, split="val")
            print(f"{strategy:<12} lr={lr:g}: validation PSNR {r['psnr']:.3f} dB", flush=True)


def targets(experiments: dict) -> dict:
    """The headline effects (paired by seed, mean ± se) from the experiments run so far."""
    five = min((r["n_target"] for r in experiments.get("faces", {}).get("records", [])), key=lambda n: abs(n - 5),
               default=5)
    wanted = {
        "faces: fine-tune - scratch at N=5 (dB), target >= 1.0": ("faces", "fine-tune", "scratch"),
        "faces: fine-tune - none at N=5 (dB), target > 0": ("faces", "fine-tune", "none"),
        "faces: last-layers - none at N=5 (dB)": ("faces", "last-layers", "none"),
        "poisson: fine-tune - scratch at N=5 (dB)": ("poisson", "fine-tune", "scratch"),
        "poisson: fine-tune - none at N=5 (dB)": ("poisson", "fine-tune", "none"),
        "distill: distilled - scratch student at N=5 (dB)": ("distill", "distill", "scratch"),
    }
    out = {key: effect(experiments[name]["records"], "psnr", a, b, five) for key, (name, a, b) in wanted.items()
           if name in experiments}
    return {key: value for key, value in out.items() if value is not None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=80)
    parser.add_argument("--only", default=",".join(GRID), help="comma-separated experiments (parts can run in "
                        "parallel processes; each merges its part into the JSON)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "transfer_restoration.json"))
    parser.add_argument("--quick", action="store_true", help="2 steps, 1 seed, smallest grid: a smoke test")
    parser.add_argument("--choose-lr", action="store_true", help="print validation PSNR per learning rate; no JSON")
    args = parser.parse_args()
    if args.choose_lr:
        return choose_lr()
    seeds, steps = (1, 2) if args.quick else (args.seeds, args.steps)
    command = "python benchmarks/transfer_restoration.py" + (f" --seeds {seeds}" if seeds != 3 else "") + (
        f" --steps {steps}" if steps != 80 else "") + (" --quick" if args.quick else "")
    payload = {"command": command, "experiments": {},
               "settings": {"steps": steps, "seeds": seeds, "batch": transfer.BATCH, "lr": transfer.RESTORATION_LR,
                            "faces_sigma": transfer.FACES_SIGMA, "poisson_peak": transfer.POISSON_PEAK,
                            "source_parameters": transfer.source_denoiser()[0].count_params()}}
    for name in args.only.split(","):
        ns, strategies = GRID[name]
        ns = ns[:1] if args.quick else ns
        clock, records = Clock(), []
        store, example = examples_for(name)
        examples = {"test_image": store}
        if name != "distill":
            run_grid(name, [("none", 1, 0)], records, examples, example, steps=steps)
        none = records[:1]
        for n in ns:  # N = 5 first: the headline cell; the JSON is rewritten after every N
            if none:
                records += [{**none[0], "n_target": n, "seed": s} for s in range(seeds) if (n, s) != (1, 0)]
            run_grid(name, [(st, n, s) for s in range(seeds) for st in strategies], records, examples, example,
                     steps=steps)
            payload["experiments"] = {name: {"metric": "psnr", "unit": "dB", "higher_is_better": True,
                                             "table": table(records, "psnr"), "records": records,
                                             "examples": examples, "timing": clock.read(),
                                             "environment": environment()}}
            merged = write(args.out, payload, targets)
    for key, value in merged.get("targets", {}).items():
        print(f"{key}: {value['effect']:+.3f} ± {value['se']}")
    print(merged["timing"])


if __name__ == "__main__":
    main()
