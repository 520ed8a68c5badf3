"""Transfer in generation, measured; writes benchmarks/results/transfer_generation.json.

Usage: python benchmarks/transfer_generation.py [--seeds 3] [--gan-steps 300] [--vae-steps 400]
       [--only gan,vae,negative] [--out PATH] [--quick]

Targets are sklearn's handwritten digits: N images drawn (per seed) from ``digits("train")``; every score is
measured against the 500 held-out ``digits("test")``, never trained on.

Grids reduced to fit the time budget on 2 shared cores: N = 10, 100, 500 (not 50), 300 GAN / 400 VAE steps per
run; negative transfer at N = 100 only. ``--only gan`` etc. runs parts in parallel processes.

4. ``gan`` — the shipped glyph DCGAN (``gan-glyphs``) fine-tuned on N = 10, 100, 500 digits vs the same DCGAN
   from scratch vs FreezeD (D's first conv frozen), all with the same steps and learning rates; KID
   (``metrics.kid``) and FID in the course digit classifier's feature space (500 samples vs the 500 test
   digits), classes present and confident share. ``none`` = the glyph GAN as it is.
5. ``vae`` — the shipped glyph VAE (``vae-glyphs``) fine-tuned on N digits vs from scratch: held-out ELBO and
   IWAE bound (k = 100), nats per image (higher is better).
6. ``negative`` — far sources: VAEs pretrained in this script for 1000 steps on glyphs, LFW faces (16×16 crops
   averaged to 8×8) and textures (brick, grass, gravel; 32×32 crops averaged to 8×8), then fine-tuned on
   N = 100 digits; compared with scratch (same seeds and steps).
"""

from __future__ import annotations

import argparse

import numpy as np
from transfer_common import ROOT, Clock, effect, environment, run_grid, table, write

GAN_NS, VAE_NS, FAR_NS = [100, 10, 500], [100, 10, 500], [100]
FAR_SOURCES, FAR_STEPS = ["glyphs", "faces", "textures"], 1000


def gan_part(seeds: int, steps: int, ns: list[int], save) -> None:
    from course_lib.gan import sample

    none, examples = [], {}
    gan_example = lambda g: np.round(sample(g, 16, seed=99), 3).tolist()  # noqa: E731
    run_grid("gan", [("none", 1, s) for s in range(seeds)], none, examples, gan_example, steps=steps)
    records = []
    for n in ns:  # N = 100 first: the headline cell; saved after every N
        records += [{**r, "n_target": n} for r in none]
        examples[f"none|{n}"] = examples["none|1"]
        cells = [(st, n, s) for s in range(seeds) for st in ("scratch", "fine-tune", "freezed")]
        run_grid("gan", cells, records, examples, gan_example, steps=steps)
        save({"metric": "kid", "higher_is_better": False, "table": table(records, "kid"),
              "tables": {m: table(records, m) for m in ("fid", "classes_present", "confident_share")},
              "records": records, "examples": examples})


def vae_part(seeds: int, steps: int, ns: list[int], save) -> None:
    from course_lib.vae import sample

    none, examples, records = [], {}, []
    vae_example = lambda m: np.round(sample(m, 16, seed=99), 3).tolist()  # noqa: E731
    run_grid("vae", [("none", 1, 0)], none, examples, vae_example, steps=steps)
    for n in ns:
        records += [{**none[0], "n_target": n, "seed": s} for s in range(seeds)]
        examples[f"none|{n}"] = examples["none|1"]
        run_grid("vae", [(st, n, s) for s in range(seeds) for st in ("scratch", "fine-tune")], records, examples,
                 vae_example, steps=steps)
        save({"metric": "iwae_100", "unit": "nats per image", "higher_is_better": True,
              "table": table(records, "iwae_100"), "tables": {"elbo": table(records, "elbo")}, "records": records,
              "examples": examples})


def negative_part(seeds: int, steps: int, ns: list[int], far_steps: int, save) -> None:
    records = run_grid("vae", [("scratch", n, s) for n in ns for s in range(seeds)], [], steps=steps)
    for source in FAR_SOURCES:
        cells = [("fine-tune", n, s) for n in ns for s in range(seeds)]
        new = run_grid("vae", cells, [], steps=steps, source=source, source_steps=far_steps)
        records += [{**r, "strategy": f"from {source}"} for r in new]
        save({"metric": "iwae_100", "unit": "nats per image", "higher_is_better": True,
              "table": table(records, "iwae_100"), "records": records})


def targets(experiments: dict) -> dict:
    """The headline effects (paired by seed, mean ± se) from the experiments run so far."""
    out = {}
    if "gan" in experiments:
        gan = experiments["gan"]["records"]
        n = 100 if any(r["n_target"] == 100 for r in gan) else gan[0]["n_target"]
        out["gan: KID reduction of fine-tune vs scratch at N=100 (1 - KID_ft/KID_scratch), target >= 0.30"] = effect(
            gan, "kid", "fine-tune", "scratch", n, relative=True)
        out["gan: KID reduction of FreezeD vs scratch at N=100"] = effect(gan, "kid", "freezed", "scratch", n, True)
        out["gan: KID reduction of FreezeD vs fine-tune at N=100"] = effect(gan, "kid", "freezed", "fine-tune", n, True)
    if "vae" in experiments:
        vae = experiments["vae"]["records"]
        n = 100 if any(r["n_target"] == 100 for r in vae) else vae[0]["n_target"]
        out["vae: IWAE fine-tune - scratch at N=100 (nats)"] = effect(vae, "iwae_100", "fine-tune", "scratch", n)
    if "negative" in experiments:
        far = experiments["negative"]["records"]
        for src in FAR_SOURCES:
            for n in sorted({r["n_target"] for r in far}):
                out[f"negative: IWAE from {src} - scratch at N={n} (nats)"] = effect(far, "iwae_100", f"from {src}",
                                                                                      "scratch", n)
    return {key: value for key, value in out.items() if value is not None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--gan-steps", type=int, default=300)
    parser.add_argument("--vae-steps", type=int, default=400)
    parser.add_argument("--only", default="gan,vae,negative", help="comma-separated parts (may run in parallel)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "transfer_generation.json"))
    parser.add_argument("--quick", action="store_true", help="3 steps, 1 seed, smallest grid: a smoke test")
    args = parser.parse_args()
    quick = args.quick
    seeds, gan_steps, vae_steps = (1, 3, 3) if quick else (args.seeds, args.gan_steps, args.vae_steps)
    far_steps = 20 if quick else FAR_STEPS
    command = "python benchmarks/transfer_generation.py" + (" --quick" if quick else "") + (
        f" --seeds {seeds}" if not quick and seeds != 3 else "")
    payload = {"command": command, "experiments": {},
               "settings": {"gan_steps": gan_steps, "vae_steps": vae_steps, "seeds": seeds, "far_source_steps":
                            far_steps, "evaluation": "500 samples vs digits('test') (500), digit-classifier features"}}

    def cut(ns):
        return ns[:1] if quick else ns

    parts = {"gan": lambda save: gan_part(seeds, gan_steps, cut(GAN_NS), save),
             "vae": lambda save: vae_part(seeds, vae_steps, cut(VAE_NS), save),
             "negative": lambda save: negative_part(seeds, vae_steps, cut(FAR_NS), far_steps, save)}
    merged: dict = {}
    for name in args.only.split(","):
        clock = Clock()

        def save(result: dict, name=name, clock=clock) -> None:
            payload["experiments"] = {name: {**result, "timing": clock.read(), "environment": environment()}}
            merged.update(write(args.out, payload, targets))

        parts[name](save)
    for key, value in merged.get("targets", {}).items():
        print(f"{key}: {value['effect']:+.4f} ± {value['se']}")
    print(merged["timing"])


if __name__ == "__main__":
    main()
