"""Transfer in generation, measured fairly; writes benchmarks/results/transfer_generation.json.

Usage: python benchmarks/transfer_generation.py [--seeds 3] [--gan-steps 2000] [--vae-steps 2000]
       [--only gan,vae] [--out PATH] [--quick]

Protocol (course design §9; ``course_lib.transfer_gen``):

- Data: ``digits("train")`` is split once into a pool (first 1000; the N-image target set of each seed is drawn
  from it) and a validation set (the last 297, outside every target set). ``digits("test")`` (500) is touched
  once per trained model, for the scores below.
- GAN arms (``transfer_gen.adapt_gan``): ``scratch`` and ``fine-tune`` (the shipped glyph DCGAN), each with and
  without DiffAugment, and ``FreezeD`` (fine-tune with D's two convolutions frozen: 99.3 % of D). Each base
  strategy's learning rate is chosen first on the validation digits (N = 100, seed 0, the rates of ``GAN_LRS``);
  every arm then trains to the step cap with snapshot selection on validation KID. ``none`` is the glyph GAN as is.
- GAN scores: 1000 samples vs the 500 test digits in the digit classifier's feature space, standardised with the
  test set's mean and std: KID ×10³ (100 subsets of 200), FID, precision / recall / density / coverage (k = 5, 500
  vs 500), classes present (≥ 5 % of samples). Reference rows: the real-vs-real floor (test halves, 50 random
  splits) and the memoriser (each seed's N training images, resampled to 1000 "samples").
- VAE arms (``transfer_gen.adapt_vae``): scratch; from glyphs (shipped ``vae-glyphs``), faces and textures (VAEs
  pretrained here for ``FAR_STEPS`` steps): fine-tune, frozen encoder, re-head. Learning rates chosen on validation
  (N = 100, seed 0, glyph source); early stopping on the validation ELBO. Scores on the test digits: ELBO and IWAE
  bound (k = 100), nats per image; reference: uniform guess (-64 ln 17 = -181.3) and the pixel histogram of the N
  training digits.
- The mechanism behind "glyphs hurt": histograms of grey levels (glyphs vs digits) and of the decoder's logistic
  log-scales on the test digits before and after fine-tuning (N = 100, seed 0).

``--quick``: 1 seed, N = 100 only, 20 GAN / 60 VAE steps, the default learning rates of ``transfer_gen`` (no
choice): a smoke test (minutes), not a result. The JSON holds a ``targets`` list (target, measured, met) that
``benchmarks/readme_tables.py`` renders.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from threadpoolctl import threadpool_limits
from transfer_common import ROOT, Clock, environment, write

from course_lib import transfer_gen as tg

GAN_NS, VAE_NS = [100, 10, 500], [100, 10, 500]
#: arm name -> (strategy, DiffAugment)
GAN_ARMS = {"scratch": ("scratch", False), "scratch + DiffAugment": ("scratch", True),
            "fine-tune": ("fine-tune", False), "fine-tune + DiffAugment": ("fine-tune", True),
            "FreezeD": ("freezed", False)}
GAN_LRS = {"scratch": [2e-4, 4e-4, 1e-3], "fine-tune": [3e-5, 1e-4, 3e-4]}
VAE_SOURCES, FAR_STEPS = ["glyphs", "faces", "textures"], 1000
VAE_LRS = {"scratch": [3e-4, 1e-3, 3e-3], "fine-tune": [1e-4, 3e-4, 1e-3], "frozen-encoder": [3e-4, 1e-3, 3e-3],
           "re-head": [1e-4, 3e-4, 1e-3]}
GAN_METRICS = ("kid", "kid_std", "fid", "precision", "recall", "density", "coverage", "classes_present",
               "confident_share")


def mean_se(values) -> dict:
    values = np.asarray(values, dtype=float)
    se = float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else None
    return {"mean": round(float(values.mean()), 4), "se": None if se is None else round(se, 4), "n": len(values)}


def summary(records: list[dict], metric: str) -> list[dict]:
    groups: dict = {}
    for r in records:
        groups.setdefault((r["strategy"], r["n_target"]), []).append(r[metric])
    return [{"strategy": arm, "n_target": n, **mean_se(v)} for (arm, n), v in groups.items()]


def rounded(scores: dict) -> dict:
    return {k: round(float(v), 4) if isinstance(v, (float, np.floating)) else v for k, v in scores.items()}


# --- GAN --------------------------------------------------------------------------------------------------------


def gan_part(seeds: int, steps: int, ns: list[int], quick: bool, save) -> None:
    from course_lib.gan import load_gan_glyphs, sample

    splits = tg.digit_splits()
    val, test = splits["validation"], splits["test"]
    eval_every = max(1, steps // 8)
    lr_choice, chosen = [], {}
    for base, rates in GAN_LRS.items():  # learning rates on validation only (quick: the module's defaults)
        for lr in [] if quick else rates:
            out = tg.adapt_gan(tg.target_set(100, 0), strategy=base, max_steps=steps, seed=0, lr=lr, validation=val,
                               eval_every=eval_every)
            lr_choice.append({"strategy": base, "lr": lr, "best_val_kid": out["best_val_kid"],
                              "best_step": out["best_step"], "curve": out["curve"]})
            print("lr choice", base, lr, out["best_val_kid"], flush=True)
        rows = [r for r in lr_choice if r["strategy"] == base]
        chosen[base] = min(rows, key=lambda r: r["best_val_kid"])["lr"] if rows else tg.GAN_LR[base]
    chosen["freezed"] = chosen["fine-tune"]
    records, examples, references = [], {}, {}
    none_generator, _ = load_gan_glyphs()
    for n in ns:  # N = 100 first: the headline cell; saved after every N
        for seed in range(seeds):
            target = tg.target_set(n, seed)
            refs = tg.reference_rows(test, {n: target}, seed=seed, n_splits=50)
            references.setdefault("floor", rounded(refs["floor"]))
            references[f"memoriser N={n}|{seed}"] = rounded(refs[f"memoriser N={n}"])
            none = tg.score_generated(sample(none_generator, tg.N_GENERATED, seed=seed + 7), test, seed=seed)
            records.append({"strategy": "none (glyph GAN as is)", "n_target": n, "seed": seed, **rounded(none)})
            for arm, (strategy, augment) in GAN_ARMS.items():
                out = tg.adapt_gan(target, strategy=strategy, augment=augment, max_steps=steps, seed=seed,
                                   lr=chosen[strategy], validation=val, eval_every=eval_every)
                scores = tg.score_generated(sample(out["generator"], tg.N_GENERATED, seed=seed + 7), test, seed=seed)
                records.append({"strategy": arm, "n_target": n, "seed": seed, **rounded(scores), "lr": out["lr"],
                                "best_step": out["best_step"], "best_val_kid": out["best_val_kid"],
                                "train_seconds": out["seconds"], "d_frozen_share": out["d_frozen_share"],
                                "curve": out["curve"]})
                if seed == 0:
                    examples[f"{arm}|{n}"] = np.round(sample(out["generator"], 16, seed=99), 3).tolist()
                print("gan", arm, n, seed, {k: records[-1][k] for k in ("kid", "classes_present", "best_step")},
                      f"{out['seconds']:.0f} s", flush=True)
        memo = [references[f"memoriser N={n}|{s}"] for s in range(seeds)]
        references[f"memoriser N={n}"] = {m: mean_se([r[m] for r in memo]) for m in GAN_METRICS}
        save({"metric": "kid", "unit": "KID ×10³", "higher_is_better": False, "lr_choice": lr_choice,
              "chosen_lr": chosen, "steps": steps, "eval_every": eval_every,
              "table": summary(records, "kid"), "tables": {m: summary(records, m) for m in GAN_METRICS},
              "references": references,
              "records": records, "examples": examples})


# --- VAE --------------------------------------------------------------------------------------------------------


def vae_arms() -> dict:
    arms = {"scratch": ("scratch", None)}
    for source in VAE_SOURCES:
        for strategy in ("fine-tune", "frozen-encoder", "re-head"):
            arms[f"{strategy} from {source}"] = (strategy, source)
    return arms


def _source_steps(source: str, far_steps: int) -> int:
    return 0 if source == "glyphs" else far_steps


def mechanism(steps: int, lr: float, val: np.ndarray, test: np.ndarray) -> dict:
    """Grey-level histograms of glyphs vs digits; decoder log-scales on the test digits before/after fine-tuning."""
    from course_lib import vae
    from course_lib.transfer import source_images

    def levels(images):
        return np.bincount(np.rint(16 * np.asarray(images)).astype(int).ravel(), minlength=17) / np.size(images)

    def log_scales(model):
        params = vae.decoder_of(model)(vae.encode(model, test)[0], training=False)
        return np.asarray(params)[..., 1].ravel()

    before = tg.source_vae("glyphs")
    after = tg.adapt_vae(tg.target_set(100, 0), strategy="fine-tune", max_steps=steps, lr=lr, validation=val)["model"]
    edges = np.linspace(-7, 1, 33)
    return {"grey_levels": {"glyphs": np.round(levels(source_images("glyphs", 5000)), 5).tolist(),
                            "digits": np.round(levels(tg.digit_splits()["pool"]), 5).tolist()},
            "log_scale_edges": edges.round(3).tolist(),
            "log_scales": {name: (np.histogram(np.clip(log_scales(m), -7, 1), edges)[0] / (64 * len(test))).round(5)
                           .tolist() for name, m in (("glyph VAE", before), ("fine-tuned on 100 digits", after))},
            "median_log_scale": {"glyph VAE": round(float(np.median(log_scales(before))), 4),
                                 "fine-tuned on 100 digits": round(float(np.median(log_scales(after))), 4)}}


def vae_part(seeds: int, steps: int, ns: list[int], quick: bool, far_steps: int, save) -> None:
    from course_lib import vae

    splits = tg.digit_splits()
    val, test = splits["validation"], splits["test"]
    for source in VAE_SOURCES:  # pretrain the far sources once (cached in transfer_gen)
        tg.source_vae(source, _source_steps(source, far_steps))
    lr_choice, chosen = [], {}
    for strategy, rates in VAE_LRS.items():
        for lr in [] if quick else rates:
            out = tg.adapt_vae(tg.target_set(100, 0), strategy=strategy, max_steps=steps, lr=lr, validation=val)
            lr_choice.append({"strategy": strategy, "lr": lr, "best_val_elbo": out["best_val_elbo"],
                              "best_step": out["best_step"]})
        rows = [r for r in lr_choice if r["strategy"] == strategy]
        chosen[strategy] = max(rows, key=lambda r: r["best_val_elbo"])["lr"] if rows else tg.VAE_LR[strategy]
    glyph_vae = tg.source_vae("glyphs")
    none = {"elbo": vae.elbo(glyph_vae, test, n_samples=5)["elbo"],
            "iwae_100": float(vae.iwae_bound(glyph_vae, test, k=100).mean())}
    records, examples = [], {}
    for n in ns:
        for seed in range(seeds):
            target = tg.target_set(n, seed)
            records.append({"strategy": "none (glyph VAE as is)", "n_target": n, "seed": seed, **rounded(none)})
            records.append({"strategy": "pixel histogram of the N digits", "n_target": n, "seed": seed,
                            "elbo": round(vae.pixel_histogram_nats(target, test), 4),
                            "iwae_100": round(vae.pixel_histogram_nats(target, test), 4)})
            for arm, (strategy, source) in vae_arms().items():
                out = tg.adapt_vae(target, strategy=strategy, source=source or "glyphs",
                                   source_steps=_source_steps(source or "glyphs", far_steps), max_steps=steps,
                                   seed=seed, lr=chosen[strategy], validation=val)
                model = out["model"]
                records.append({"strategy": arm, "n_target": n, "seed": seed,
                                "elbo": round(vae.elbo(model, test, n_samples=5, seed=seed)["elbo"], 4),
                                "iwae_100": round(float(vae.iwae_bound(model, test, k=100, seed=seed).mean()), 4),
                                "lr": out["lr"], "best_step": out["best_step"], "steps_done": out["steps_done"],
                                "best_val_elbo": out["best_val_elbo"], "train_seconds": out["seconds"],
                                "curve": out["curve"]})
                if seed == 0:
                    examples[f"{arm}|{n}"] = np.round(vae.sample(model, 16, seed=99), 3).tolist()
                print("vae", arm, n, seed, records[-1]["iwae_100"], out["best_step"], f"{out['seconds']:.0f} s",
                      flush=True)
        save({"metric": "iwae_100", "unit": "nats per image", "higher_is_better": True, "lr_choice": lr_choice,
              "chosen_lr": chosen, "uniform_nats": -vae.uniform_nats(),
              "table": summary(records, "iwae_100"),
              "tables": {m: summary(records, m) for m in ("iwae_100", "elbo")}, "records": records,
              "examples": examples})
    save({"metric": "iwae_100", "unit": "nats per image", "higher_is_better": True, "lr_choice": lr_choice,
          "chosen_lr": chosen, "uniform_nats": -vae.uniform_nats(),
          "table": summary(records, "iwae_100"), "tables": {m: summary(records, m) for m in ("iwae_100", "elbo")},
          "records": records, "examples": examples,
          "mechanism": mechanism(steps, chosen["fine-tune"], val, test)})


# --- targets ----------------------------------------------------------------------------------------------------


def _paired(records, metric, a, b, n, relative=False):
    get = {(r["strategy"], r["seed"]): r[metric] for r in records if r["n_target"] == n}
    seeds = sorted(s for (arm, s) in get if arm == a and (b, s) in get)
    if not seeds:
        return None
    va, vb = np.array([get[a, s] for s in seeds]), np.array([get[b, s] for s in seeds])
    diff = 1 - va / vb if relative else va - vb
    se = float(diff.std(ddof=1) / math.sqrt(len(diff))) if len(diff) > 1 else None
    return float(diff.mean()), se, seeds


def _best(table, arms, n):
    rows = [r for r in table if r["strategy"] in arms and r["n_target"] == n]
    return min(rows, key=lambda r: r["mean"])["strategy"] if rows else None


def _fmt(value, se, digits=1, pct=False):
    if pct:
        return f"{value:.0%} ± {se:.0%}" if se is not None else f"{value:.0%} (1 seed)"
    return f"{value:+.{digits}f} ± {se:.{digits}f}" if se is not None else f"{value:+.{digits}f} (1 seed)"


def targets(experiments: dict) -> list[dict]:
    """The issue's targets: (target, measured, met), from the experiments run so far."""
    out = []
    if "gan" in experiments:
        gan = experiments["gan"]
        records, table = gan["records"], gan["tables"]["kid"]
        floor = gan["references"]["floor"]
        out.append({"target": "real-vs-real floor (KID ×10³, test halves) within 2 SE of 0",
                    "measured": f"{floor['kid']:+.1f} ± {floor['kid_std']:.1f} (std over {floor['n_splits']} splits)",
                    "met": abs(floor["kid"]) < 2 * floor["kid_std"]})
        ns = sorted({r["n_target"] for r in records})
        n_big, n_mid = max(ns), (100 if 100 in ns else ns[0])
        scratch_arms = ("scratch", "scratch + DiffAugment")
        best_scratch = _best(table, scratch_arms, n_big)
        if best_scratch:
            classes = [r["classes_present"] for r in records
                       if r["strategy"] == best_scratch and r["n_target"] == n_big]
            out.append({"target": f"best scratch arm covers all 10 classes at N = {n_big}",
                        "measured": f"{best_scratch}: classes present per seed {classes}",
                        "met": bool(classes) and min(classes) == 10})
        best_ft = _best(table, ("fine-tune", "fine-tune + DiffAugment", "FreezeD"), n_mid)
        best_sc = _best(table, scratch_arms, n_mid)
        effect = _paired(records, "kid", best_ft, best_sc, n_mid, relative=True) if best_ft and best_sc else None
        if effect:
            out.append({"target": f"N = {n_mid}: KID reduction of the best fine-tuning arm vs the best scratch arm "
                                  "≥ 30 % (1 − KID_ft / KID_scratch, paired by seed)",
                        "measured": f"{best_ft} vs {best_sc}: {_fmt(effect[0], effect[1], pct=True)}",
                        "met": effect[0] >= 0.30})
        effect = _paired(records, "kid", "scratch + DiffAugment", "scratch", n_mid)
        if effect:
            out.append({"target": f"DiffAugment's effect on scratch at N = {n_mid}, with its SE (KID ×10³, "
                                  "DiffAugment − plain; negative = better)",
                        "measured": _fmt(effect[0], effect[1]), "met": effect[1] is not None})
        share = [r["d_frozen_share"] for r in records if r["strategy"] == "FreezeD"]
        if share:
            out.append({"target": "FreezeD freezes a real share of D", "measured": f"{share[0]:.1%} of D's parameters",
                        "met": share[0] > 0.5})
    if "vae" in experiments:
        vae = experiments["vae"]
        trained = [r for r in vae["tables"]["iwae_100"] if not r["strategy"].startswith(("none", "pixel"))]
        worst = min(trained, key=lambda r: r["mean"])
        out.append({"target": f"no VAE arm below the uniform-guess line ({vae['uniform_nats']:.1f} nats) at any N",
                    "measured": f"lowest arm mean: {worst['strategy']}, N = {worst['n_target']}: "
                                f"{worst['mean']:.1f} nats",
                    "met": worst["mean"] > vae["uniform_nats"]})
    parts = [e["timing"] for e in experiments.values() if "timing" in e]
    if parts:
        wall = sum(t["wall_seconds"] for t in parts)
        out.append({"target": "benchmark ≤ 60 min on 2 cores", "measured": f"{wall / 60:.1f} min wall, "
                    f"{sum(t['cpu_seconds'] for t in parts) / 60:.1f} CPU-min", "met": wall <= 3600})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--gan-steps", type=int, default=2000)
    parser.add_argument("--vae-steps", type=int, default=2000)
    parser.add_argument("--only", default="gan,vae", help="comma-separated parts (may run in parallel processes)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "transfer_generation.json"))
    parser.add_argument("--quick", action="store_true", help="1 seed, N = 100, 20 GAN / 60 VAE steps: a smoke test")
    args = parser.parse_args()
    threadpool_limits(1, "blas")  # the KID kernels are small: BLAS threads only contend with TensorFlow's
    quick = args.quick
    seeds, gan_steps, vae_steps = (1, 20, 60) if quick else (args.seeds, args.gan_steps, args.vae_steps)
    far_steps = 50 if quick else FAR_STEPS
    ns = [100] if quick else GAN_NS
    command = "python benchmarks/transfer_generation.py" + (" --quick" if quick else "") + (
        f" --seeds {seeds}" if not quick and seeds != 3 else "")
    payload = {"command": command, "quick": quick, "experiments": {},
               "settings": {"gan_steps": gan_steps, "vae_steps": vae_steps, "seeds": seeds, "far_source_steps":
                            far_steps, "n_generated": tg.N_GENERATED,
                            "evaluation": "1000 samples vs digits('test') (500), digit-classifier features "
                                          "standardised with the test set's mean and std; KID ×10³ over 100 "
                                          "subsets of 200; precision/recall/density/coverage k = 5 on 500 vs 500"}}
    parts = {"gan": lambda save: gan_part(seeds, gan_steps, ns, quick, save),
             "vae": lambda save: vae_part(seeds, vae_steps, ns if quick else VAE_NS, quick, far_steps, save)}
    merged: dict = {}
    start = time.perf_counter()
    for name in args.only.split(","):
        clock = Clock()

        def save(result: dict, name=name, clock=clock) -> None:
            payload["experiments"] = {name: {**result, "timing": clock.read(), "environment": environment()}}
            merged.update(write(args.out, payload, targets))

        parts[name](save)
    for t in merged.get("targets", []):
        print(f"{'met ' if t['met'] else 'MISS'} {t['target']}: {t['measured']}")
    print(f"{time.perf_counter() - start:.0f} s", merged.get("timing"))


if __name__ == "__main__":
    main()
