"""Measure the VAE lesson's figures; write benchmarks/results/vae.json (and a markdown table for the README).

Usage: python benchmarks/vae.py [--skip-training]

1. Every shipped VAE checkpoint on its test set: ELBO and its terms, IWAE bounds (k = 100, 1000; 5000 for vae-digits),
   log p(x | z = μ), bits per pixel, active units; plus the uniform and pixel-histogram baselines.
2. Closed-form KL vs a Monte-Carlo estimate on the test digits' posteriors (vae-digits).
3. The β sweep: the numbers above plus the classifier's confident share of prior samples.
4. Random decodes of the autoencoder vs the VAE (codes from N(0, I) and from a Gaussian fitted to the
   training codes), scored with the course's digit classifier (KID, confident share, classes present).
5. VAE vs GAN samples on glyphs with the same metric (if the GAN checkpoint is shipped).
6. Unless --skip-training: the full-mode training run of lesson 02 (timed), the likelihood choice (discretised
   logistic vs categorical vs binomial, same network, same steps) and the sum-vs-mean bug (training with the
   pixel-mean reconstruction), on held-out digits.
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
RESULTS = ROOT / "benchmarks" / "results" / "vae.json"
sys.path.insert(0, str(ROOT))

from course_lib import checkpoints, data, vae  # noqa: E402
from course_lib.config import seed_everything  # noqa: E402


def score_images(images: np.ndarray, reference: np.ndarray, seed: int = 0) -> dict:
    """KID, confident share and classes present under the course classifier (the GAN lesson's metric)."""
    scores = vae.score_samples(images, reference, seed=seed)
    return {"kid": round(scores["kid"], 4), "kid_std": round(scores["kid_std"], 4),
            "confident_share": round(scores["confident_share"], 3), "classes_present": scores["classes_present"]}


def shipped_models() -> dict:
    out = {}
    for name, spec in vae.SHIPPED.items():
        model, test = vae.load_vae(name), vae._datasets(spec["data"])[1]
        row = vae.evaluate(model, test, k=1000, autoencoder=spec.get("autoencoder", False))
        if not spec.get("autoencoder"):
            row["iwae_100"] = float(vae.iwae_bound(model, test, k=100, seed=1).mean())
            if name == "vae-digits":  # how much tighter than k = 1000? (k = 5000 on every model: too slow)
                row["iwae_5000"] = float(vae.iwae_bound(model, test, k=5000, seed=1).mean())
            row["bits_per_pixel_iwae_1000"] = vae.bits_per_dim(-row["iwae_1000"])
        out[name] = {"data": spec["data"], "beta": spec["beta"], **{k: _round(v) for k, v in row.items()}}
        print(f"{name:<12} {out[name]}", flush=True)
    return out


def _round(value):
    return round(value, 3) if isinstance(value, float) else value


def kl_check() -> dict:
    mu, logvar = vae.encode(vae.load_vae("vae-digits"), data.digits("test")[0])
    closed = float(np.mean(vae.kl_divergence(mu, logvar)))
    estimate, se = vae.kl_monte_carlo(mu, logvar, n_samples=10_000, seed=0)
    return {"closed_form": round(closed, 4), "monte_carlo": round(estimate, 4), "standard_error": round(se, 4),
            "difference_in_se": round((estimate - closed) / se, 2)}


def beta_sweep(shipped: dict, test: np.ndarray) -> list:
    rows = []
    for name in ("vae-beta0.1", "vae-digits", "vae-beta2", "vae-beta4", "vae-beta64"):
        row = {"name": name, **shipped[name]}
        row.update({f"samples_{k}": v for k, v in score_images(vae.sample(vae.load_vae(name), 2000, seed=0),
                                                                  test).items()})
        rows.append(row)
        print(row, flush=True)
    return rows


def random_decodes(train: np.ndarray, test: np.ndarray) -> dict:
    out = {"real_test_digits": score_images(test, data.digits("train")[0])}
    for name in ("ae-digits", "vae-digits"):
        model = vae.load_vae(name)
        d = vae.latent_dim_of(model)
        out[f"{name} z~N(0,I)"] = score_images(vae.decode(model, vae.prior_codes(2000, d, seed=0)), test)
        out[f"{name} z~fitted Gaussian"] = score_images(vae.decode(model, vae.gaussian_fit_codes(model, train, 2000)),
                                                        test)
    print(out, flush=True)
    return out


def vae_vs_gan() -> dict:
    """VAE samples, real glyphs and (once its checkpoint is in the manifest) GAN samples, same metric, same seed."""
    heldout = data.glyphs(2000, seed=data.GLYPHS_HELDOUT_SEED)[0]
    out = {"vae-glyphs": score_images(vae.sample(vae.load_vae("vae-glyphs"), 2000, seed=1), heldout),
           "real glyphs (another seed)": score_images(data.glyphs(2000, seed=data.GLYPHS_OTHER_SEED)[0], heldout)}
    if "gan-glyphs-generator" in checkpoints.manifest():
        from course_lib import gan

        generator, _ = gan.load_gan_glyphs()
        out["gan-glyphs"] = score_images(gan.sample(generator, 2000, seed=1), heldout)
    else:
        out["gan-glyphs"] = "skipped: checkpoint gan-glyphs-generator not in the manifest yet"
    print(out, flush=True)
    return out


def lesson_training(test: np.ndarray) -> dict:
    """The full-mode training run of lesson 02 (vae.LESSON_TRAINING), timed; with its test ELBO and IWAE."""
    spec = vae.LESSON_TRAINING
    seed_everything(spec["seed"])
    model = vae.build_vae(spec["latent_dim"], vae.HIDDEN, seed=spec["seed"])
    history = vae.train_vae(model, data.digits("train")[0], steps=spec["steps"], validation=test,
                            validate_every=spec["validate_every"], seed=spec["seed"], desc="lesson 02, full mode")
    row = {k: _round(v) for k, v in vae.evaluate(model, test, k=1000).items()}
    out = {"spec": spec, "train_seconds": round(history["seconds"], 1), **row}
    print("lesson training", out, flush=True)
    return out


def likelihood_choice(train: np.ndarray, test: np.ndarray, steps: int = 3000) -> dict:
    out = {}
    for likelihood in vae.LIKELIHOODS:  # k = 1000 for all three, like the shipped models
        seed_everything(0)
        model = vae.build_vae(16, vae.HIDDEN, seed=0, likelihood=likelihood)
        history = vae.train_vae(model, train, steps=steps, seed=0, desc=likelihood)
        row = vae.evaluate(model, test, k=1000)
        row["train_elbo_last_100_steps"] = float(np.mean(history["elbo"][-10:]))
        row["parameters"], row["seconds"] = model.count_params(), history["seconds"]
        out[likelihood] = {k: _round(v) for k, v in row.items()}
        print(likelihood, out[likelihood], flush=True)
    return out


def sum_vs_mean(train: np.ndarray, test: np.ndarray, steps: int = 3000) -> dict:
    seed_everything(0)
    model = vae.build_vae(16, vae.HIDDEN, seed=0)
    vae.train_vae(model, train, steps=steps, seed=0, reduction="mean", desc="pixel-mean reconstruction")
    row = {k: _round(v) for k, v in vae.evaluate(model, test, k=1000).items()}
    row.update({f"samples_{k}": v for k, v in score_images(vae.sample(model, 2000, seed=0), test).items()})
    print("mean-reduced", row, flush=True)
    return row


def markdown(results: dict) -> str:
    lines = ["| model | data | β | test ELBO | IWAE k=1000 | IWAE k=5000 | log p(x\\|z=μ) | KL | active units |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, r in results["shipped"].items():
        if "elbo" in r:
            k5000 = f"{r['iwae_5000']:.1f}" if "iwae_5000" in r else "—"
            lines.append(f"| {name} | {r['data']} | {r['beta']:g} | {r['elbo']:.1f} | {r['iwae_1000']:.1f} | {k5000} | "
                         f"{r['reconstruction_at_mu']:.1f} | {r['kl']:.1f} | {r['active_units']}/{r['latent_dim']} |")
        else:
            dash = "| — " * 4
            lines.append(f"| {name} (autoencoder) | {r['data']} {dash}| {r['reconstruction_at_mu']:.1f} | — | — |")
    base = results["baselines"]
    lines.append(f"\nNats per image on the held-out set (higher is better; the ELBO and IWAE are lower bounds on "
                 f"log p(x) under a discretised-logistic decoder over the 17 grey levels). Baselines on the digits: "
                 f"uniform {base['uniform']:.1f}, independent pixel histograms {base['pixel_histogram_digits']:.1f}. "
                 f"Closed-form KL {results['kl_check']['closed_form']:.3f} vs Monte Carlo "
                 f"{results['kl_check']['monte_carlo']:.3f} ± {results['kl_check']['standard_error']:.3f}.")
    if "lesson_full_mode_training" in results:
        run = results["lesson_full_mode_training"]
        lines.append(f"Lesson 02 full mode trains a {run['latent_dim']}-D VAE for {run['spec']['steps']} steps in "
                     f"{run['train_seconds']:.0f} s (test ELBO {run['elbo']:.1f}, IWAE k=1000 {run['iwae_1000']:.1f}).")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-training", action="store_true",
                        help="only measure the shipped checkpoints (keep the last run's trained comparisons)")
    args = parser.parse_args()
    start = time.perf_counter()
    (train, _), (test, _) = data.digits("train"), data.digits("test")
    results = {
        "command": "python benchmarks/vae.py" + (" --skip-training" if args.skip_training else ""),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "date": time.strftime("%Y-%m-%d")},
        "units": "nats per image (8x8, 17 grey levels); higher is better",
        "baselines": {"uniform": round(-vae.uniform_nats(), 3),
                      "pixel_histogram_digits": round(vae.pixel_histogram_nats(train, test), 3),
                      "pixel_histogram_glyphs": round(vae.pixel_histogram_nats(*vae._datasets("glyphs")), 3)},
        "shipped": (shipped := shipped_models()),
        "kl_check": kl_check(),
        "beta_sweep": beta_sweep(shipped, test),
        "random_decodes": random_decodes(train, test),
        "vae_vs_gan_glyphs": vae_vs_gan(),
        "train_seconds": {name: checkpoints.manifest()[name]["train_seconds"] for name in vae.SHIPPED},
    }
    if not args.skip_training:
        results["lesson_full_mode_training"] = lesson_training(test)
        results["likelihood_choice"] = likelihood_choice(train, test)
        results["sum_vs_mean"] = sum_vs_mean(train, test)
    elif RESULTS.exists():  # keep the trained comparisons of the last full run
        previous = json.loads(RESULTS.read_text())
        results.update({key: previous[key] for key in ("lesson_full_mode_training", "likelihood_choice", "sum_vs_mean")
                        if key in previous})
    results["markdown"] = markdown(results)
    results["seconds"] = round(time.perf_counter() - start, 1)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(results["markdown"])
    print(f"wrote {RESULTS.relative_to(ROOT)} in {results['seconds']:.0f} s")


if __name__ == "__main__":
    main()
