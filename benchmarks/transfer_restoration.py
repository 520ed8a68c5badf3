"""Transfer in restoration, measured fairly; writes benchmarks/results/transfer_restoration.json.

Usage: ``python benchmarks/transfer_restoration.py [--seeds 3] [--only correlated,distill,yosinski,faces]
[--quick]`` (``--quick``: tiny caps, one seed, N = 5 only — a smoke test writing to ``--out``).

Source: the shipped photo denoiser of lesson 04 (15 convolutions × 80 channels, trained on *white* Gaussian noise).
Every trained arm uses :func:`course_lib.transfer_restore.adapt_denoiser`'s loop: batches of 8 random 24² crops,
noise redrawn every step, Adam with a linear warm-up (5 % of the cap) and cosine decay, validation PSNR every few
steps, early stopping (patience 4 evaluations) and a step cap per arm (below). Each arm's learning rate is chosen
from its candidates on the validation crops at N = 5, seed 0 (the chosen run is that cell's result); the test
crops are touched only to score the selected weights. Networks trained from random weights are He-initialised.

1. ``correlated`` — a noise the source never saw: white Gaussian noise filtered by a Gaussian kernel (1 px) and
   rescaled to a per-pixel std of 25/255. Pool: 80 crops (128²) of the *training* photos (top parts); validation:
   8 crops (64²) of their bottom 64 rows; test: 12 crops (96²) of the held-out *test* photos, noise seeded.
   Arms: unadapted (σ true), unadapted with the best σ hint (chosen on validation), BM3D told σ, BM3D told the
   noise spectrum, fine-tune, last layers (last 3 layers), small scratch (7 × 32), fair scratch (15 × 80, N = 5),
   upper bound (fine-tune on the whole pool of 80 crops).
2. ``distill`` — teacher: the fine-tuned model of (1) at N = 5 (same seed); student: 7 × 32, He-initialised
   (≈ 15× fewer parameters); unlabelled data: 60 other pool crops, noisy once, denoised by the teacher.
   Arms: student on the 5 clean pairs (= small scratch of (1)), distilled, both, student on the whole pool
   (upper bound), the teacher; inference time on one 512² image, timed in this run.
3. ``yosinski`` — correlated noise, N = 5: test PSNR against the number k of frozen first layers (k = 0 … 15;
   k = 15 freezes everything, i.e. the unadapted source).
4. ``faces`` — the small shift: LFW faces (24²) with *white* Gaussian noise σ = 25/255 (the source's own noise);
   pool faces 0-59, validation 80-99, test 60-79; N = 1, 5, 20, 60. Arms: unadapted, BM3D, fine-tune, small
   scratch, fair scratch (N = 5).
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
sys.path.insert(0, str(ROOT))

from course_lib import data  # noqa: E402
from course_lib import transfer_restore as tr  # noqa: E402
from course_lib.restore import denoise_batch  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "transfer_restoration.json"
#: Step caps, evaluation intervals and learning-rate candidates per arm (full run).
ARMS = {
    "fine-tune": {"cap": 200, "eval": 20, "lrs": (1e-4, 3e-4)},
    "last layers": {"cap": 200, "eval": 20, "lrs": (3e-4, 1e-3)},
    "small scratch": {"cap": 600, "eval": 60, "lrs": (1e-3, 3e-3)},
    "fair scratch": {"cap": 400, "eval": 40, "lrs": (3e-4, 1e-3)},
    "upper bound": {"cap": 300, "eval": 30, "lrs": None},  # the fine-tune learning rate
    "distilled": {"cap": 600, "eval": 60, "lrs": None},  # the small-scratch learning rate
}
QUICK_CAPS = {"fine-tune": 20, "last layers": 20, "small scratch": 40, "fair scratch": 20, "upper bound": 20,
              "distilled": 40}
#: Faces (white noise, the source's own): smaller fine-tuning rates are the candidates.
FACES_LRS = {"fine-tune": (3e-5, 1e-4)}
HINTS = (1.0, 1.5, 2.0, 2.5, 3.0)
N_LAST = 3  # "last layers": the last 3 weighted layers train
YOSINSKI_K = (0, 3, 6, 9, 12, 14, 15)
BUDGET_STEPS = 200  # the equal-step budget at which every arm is also reported


TAG = {"part": ""}  # the experiment being run, for the log


def log(*args):
    print(time.strftime("%H:%M:%S"), TAG["part"], *args, flush=True)


# --- data --------------------------------------------------------------------------------------------------------


def correlated_data() -> dict:
    photos = list(data.train_photos().values())
    pool = data.random_patches([im[:-64] for im in photos], 80, 128, seed=0)
    val = data.random_patches([im[-64:] for im in photos], 8, 64, seed=1)
    test = np.concatenate([data.random_patches([im], 2, 96, seed=10 + i)
                           for i, im in enumerate(data.test_photos().values())])
    noisy, _ = tr.add_correlated_noise(test, np.random.default_rng(2024))
    return {"pool": pool, "val": val, "test": test, "test_noisy": noisy, "degrade": tr.add_correlated_noise}


def white(clean, rng):
    return clean + tr.SIGMA * rng.standard_normal(np.shape(clean)).astype(np.float32), tr.SIGMA


def faces_data() -> dict:
    faces = np.asarray(data.faces())[:, :24, :24]
    test = faces[60:80].copy()
    noisy, _ = white(test, np.random.default_rng(2024))
    return {"pool": faces[:60].copy(), "val": faces[80:100].copy(), "test": test, "test_noisy": noisy,
            "degrade": white}


def subset(pool: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` pool images drawn with ``seed`` and the indices of the rest."""
    order = np.random.default_rng(seed).permutation(len(pool))
    return pool[order[:n]], order[n:]


# --- one trained arm ---------------------------------------------------------------------------------------------


def score(model, d: dict, hint: float = 1.0) -> np.ndarray:
    out = denoise_batch(model, d["test_noisy"], tr.SIGMA * hint)
    return np.round(tr.batch_psnr(d["test"], out), 4)


def reach(curve: dict, level: float) -> dict:
    """Steps and CPU-seconds at the first validation above ``level`` (None if never)."""
    for step, value, cpu, wall in zip(curve["step"], curve["val_psnr"], curve["cpu_seconds"], curve["seconds"]):
        if step > 0 and value > level:
            return {"steps": step, "cpu_seconds": round(cpu, 2), "seconds": round(wall, 2)}
    return {"steps": None, "cpu_seconds": None, "seconds": None}


_MODELS: dict = {}


def model_for(arm: str, seed: int):
    """A network for ``arm``, freshly initialised: one object per architecture is reused (re-tracing the training
    step costs seconds), so use a record's model before the next run of the same architecture."""
    small = arm in ("small scratch", "distilled", "both", "student pool")
    arch = (7, 32) if small else (15, 80)
    if arch not in _MODELS:
        _MODELS[arch] = tr.scratch_denoiser(*arch, seed=seed)
    model = _MODELS[arch]
    if small or arm == "fair scratch":
        out = model.get_layer("out")
        out.kernel.assign(np.zeros(tuple(out.kernel.shape), np.float32))
        out.bias.assign(np.zeros(tuple(out.bias.shape), np.float32))
        return tr.he_initialise(model, seed)
    model.set_weights(source_weights())
    return model


def source_weights():
    if "source" not in _MODELS:
        _MODELS["source"] = tr.source_copy().get_weights()
    return _MODELS["source"]


def teacher_model(weights):
    """A separate copy of the source architecture holding ``weights`` (a fine-tuned teacher)."""
    if "teacher" not in _MODELS:
        _MODELS["teacher"] = tr.source_copy()
    _MODELS["teacher"].set_weights(weights)
    return _MODELS["teacher"]


def train_arm(arm: str, d: dict, n: int, seed: int, lr: float, cap: int, every: int, unadapted_val: float,
              n_frozen: int = 0, images: np.ndarray | None = None, keep: bool = False) -> dict:
    """Train one arm with early stopping and score it; also the test PSNR of the best-so-far weights at the
    equal-step budget (:data:`BUDGET_STEPS`), through a second, capped run only when the cap differs."""
    images = subset(d["pool"], n, seed)[0] if images is None else images
    model = model_for(arm, seed)
    res = tr.adapt_denoiser(images, d["degrade"], model=model, val_images=d["val"], max_steps=cap, lr=lr,
                            eval_every=every, patience=4, n_frozen=n_frozen, seed=seed, desc=f"{arm} N={n} s{seed}",
                            progress=False)
    per_image = score(res["model"], d)
    record = {"arm": arm, "n_target": n, "seed": seed, "lr": lr, "cap": cap, "n_frozen": n_frozen,
              "test_psnr": round(float(per_image.mean()), 4), "per_image": per_image.tolist(),
              "best_step": res["best_step"], "steps_run": res["steps_run"], "stopped": res["stopped"],
              "best_val_psnr": round(res["best_val_psnr"], 4), "seconds": round(res["seconds"], 1),
              "cpu_seconds": round(res["cpu_seconds"], 1), "curve": res["curve"],
              "reach_unadapted": reach(res["curve"], unadapted_val),
              "parameters": int(res["model"].count_params())}
    # the best-so-far validation point within the equal-step budget (its test value is not re-measured:
    # within the budget the early-stopped best and the capped best coincide when best_step <= budget)
    within = [(v, s) for s, v in zip(res["curve"]["step"], res["curve"]["val_psnr"]) if s <= BUDGET_STEPS]
    record["val_at_budget"] = max(within)[0] if within else None
    log(arm, f"N={n} seed={seed} lr={lr:g}: test {record['test_psnr']:.2f} dB, best step {res['best_step']}/"
        f"{res['steps_run']} ({res['stopped']}), {res['cpu_seconds']:.0f} CPU-s")
    if keep:
        record["_weights"] = res["model"].get_weights()
    return record


def choose_and_train(arm: str, d: dict, caps: dict, lrs, unadapted_val: float, n_frozen: int = 0,
                     keep: bool = False) -> tuple[float, dict, dict]:
    """Run the arm's candidates at N = 5, seed 0; keep the best on validation. Returns (lr, record, choice)."""
    runs = [train_arm(arm, d, 5, 0, lr, caps[arm], ARMS[arm]["eval"], unadapted_val, n_frozen, keep=keep)
            for lr in lrs]
    best = max(runs, key=lambda r: r["best_val_psnr"])
    return best["lr"], best, {f"{r['lr']:g}": r["best_val_psnr"] for r in runs}


def strip(record: dict) -> dict:
    return {k: v for k, v in record.items() if not k.startswith("_")}


# --- parts -------------------------------------------------------------------------------------------------------


def baselines(d: dict, with_psd: bool) -> dict:
    """Noisy input, unadapted source (σ true and the best hint on validation), BM3D told σ (and the spectrum)."""
    source = tr.source_copy()
    val_noisy, val_sigma = d["degrade"](d["val"], np.random.default_rng(10_000))
    hint_val = {f"{h:g}": round(float(tr.batch_psnr(d["val"], denoise_batch(source, val_noisy, tr.SIGMA * h)).mean()),
                                4) for h in HINTS}
    best_hint = float(max(hint_val, key=hint_val.get))
    out = {"noisy input": tr.batch_psnr(d["test"], d["test_noisy"]),
           "unadapted (σ true)": score(source, d),
           "unadapted (best σ hint)": score(source, d, best_hint)}
    start = time.process_time()
    out["BM3D told σ"] = tr.batch_psnr(d["test"], np.stack([tr.bm3d_reference(y, sigma=tr.SIGMA)
                                                            for y in d["test_noisy"]]))
    bm3d_cpu = {"BM3D told σ": time.process_time() - start}
    if with_psd:
        start = time.process_time()
        out["BM3D told the spectrum"] = tr.batch_psnr(d["test"], np.stack(
            [tr.bm3d_reference(y, psd=tr.noise_psd(y.shape)) for y in d["test_noisy"]]))
        bm3d_cpu["BM3D told the spectrum"] = time.process_time() - start
    fixed = {name: {"test_psnr": round(float(np.mean(v)), 4), "per_image": np.round(v, 4).tolist()}
             for name, v in out.items()}
    unadapted_val = hint_val["1"]
    log("baselines", {k: v["test_psnr"] for k, v in fixed.items()}, "hint", best_hint)
    return {"fixed": fixed, "hint_val_psnr": hint_val, "best_hint": best_hint, "unadapted_val_psnr": unadapted_val,
            "bm3d_cpu_seconds": {k: round(v, 1) for k, v in bm3d_cpu.items()}}


def run_correlated(seeds: int, ns: list[int], caps: dict, quick: bool, teachers: dict) -> dict:
    TAG["part"] = "[correlated]"
    d = correlated_data()
    part = {"description": "correlated Gaussian noise (Gaussian kernel 1 px, per-pixel std 25/255)",
            "test": {"n_images": len(d["test"]), "size": d["test"].shape[1], "source": "test photos"},
            "pool": {"n_images": len(d["pool"]), "size": 128}, "val": {"n_images": len(d["val"]), "size": 64},
            **baselines(d, with_psd=True), "records": [], "lr_choice": {}}
    uval = part["unadapted_val_psnr"]
    lrs = {"fine-tune": None, "last layers": None, "small scratch": None, "fair scratch": None}
    n_frozen = {"last layers": 15 - N_LAST}
    for arm in lrs:
        cands = ARMS[arm]["lrs"][:1] if quick else ARMS[arm]["lrs"]
        lrs[arm], rec, part["lr_choice"][arm] = choose_and_train(arm, d, caps, cands, uval, n_frozen.get(arm, 0),
                                                                 keep=arm in ("fine-tune", "small scratch"))
        if "_weights" in rec:
            teachers[(arm, 0)] = rec.pop("_weights")
        part["records"].append(rec)
    for n in ns:
        for seed in range(seeds):
            for arm in ("fine-tune", "last layers", "small scratch") + (("fair scratch",) if n == 5 else ()):
                if n == 5 and seed == 0:
                    continue
                rec = train_arm(arm, d, n, seed, lrs[arm], caps[arm], ARMS[arm]["eval"], uval,
                                n_frozen.get(arm, 0), keep=n == 5 and arm in ("fine-tune", "small scratch"))
                if "_weights" in rec:
                    teachers[(arm, seed)] = rec.pop("_weights")
                part["records"].append(rec)
    for seed in range(seeds):
        part["records"].append(train_arm("upper bound", d, len(d["pool"]), seed, lrs["fine-tune"], caps["upper bound"],
                                         ARMS["upper bound"]["eval"], uval, images=d["pool"]))
    part["lr"] = lrs
    part["residual_example"] = residual_example(d, teachers.get(("fine-tune", 0)))
    return part


def residual_example(d: dict, fine_tuned) -> dict:
    """One test crop: clean, noisy, and the outputs of unadapted / BM3D told the spectrum / fine-tuned (N=5, seed 0)."""
    clean, noisy = d["test"][0], d["test_noisy"][0]
    outs = {"unadapted (σ true)": denoise_batch(tr.source_copy(), noisy[None], tr.SIGMA)[0],
            "BM3D told the spectrum": tr.bm3d_reference(noisy, psd=tr.noise_psd(noisy.shape))}
    if fine_tuned is not None:
        outs["fine-tune N=5"] = denoise_batch(teacher_model(fine_tuned), noisy[None], tr.SIGMA)[0]
    return {"clean": np.round(clean, 3).tolist(), "noisy": np.round(noisy, 3).tolist(),
            "outputs": {k: np.round(np.clip(v, 0, 1), 3).tolist() for k, v in outs.items()}}


def run_distill(seeds: int, caps: dict, lr_small: float, teachers: dict, correlated: dict) -> dict:
    TAG["part"] = "[distill]"
    d = correlated_data()
    uval = correlated["unadapted_val_psnr"]
    part = {"records": [], "timing_512": {}}
    for seed in range(seeds):
        if ("fine-tune", seed) not in teachers:
            continue
        teacher = teacher_model(teachers[("fine-tune", seed)])
        images, rest = subset(d["pool"], 5, seed)
        unlabelled = d["pool"][rest[:60]]
        noisy_u, _ = d["degrade"](unlabelled, np.random.default_rng(500 + seed))
        for arm, clean in (("distilled", None), ("both", images)):
            student = model_for(arm, seed)
            res = tr.distill_denoiser(student, teacher, noisy_u, tr.SIGMA, d["degrade"], d["val"], clean_images=clean,
                                      max_steps=caps["distilled"], lr=lr_small, eval_every=ARMS["distilled"]["eval"],
                                      seed=seed, progress=False)
            per_image = score(res["model"], d)
            part["records"].append({"arm": arm, "n_target": 5, "seed": seed, "n_unlabelled": len(noisy_u),
                                    "lr": lr_small, "test_psnr": round(float(per_image.mean()), 4),
                                    "per_image": per_image.tolist(), "best_step": res["best_step"],
                                    "steps_run": res["steps_run"], "cpu_seconds": round(res["cpu_seconds"], 1),
                                    "curve": res["curve"], "parameters": int(student.count_params())})
            log(arm, f"seed={seed}: test {per_image.mean():.2f} dB")
        part["records"].append(train_arm("student pool", d, len(d["pool"]), seed, lr_small, caps["distilled"],
                                         ARMS["distilled"]["eval"], uval, images=d["pool"]))
    if ("fine-tune", 0) in teachers:
        teacher = teacher_model(teachers[("fine-tune", 0)])
        student = _MODELS[(7, 32)]  # the last trained student (timing does not depend on the weights)
        part["timing_512"] = {"teacher_seconds": round(tr.time_inference(teacher, 512, repeats=3), 4),
                              "student_seconds": round(tr.time_inference(student, 512, repeats=3), 4),
                              "teacher_parameters": int(teacher.count_params()),
                              "student_parameters": int(student.count_params())}
        t = part["timing_512"]
        t["speedup"] = round(t["teacher_seconds"] / t["student_seconds"], 2)
        log("timing 512²", t)
    return part


def run_yosinski(seeds: int, caps: dict, lr_ft: float, correlated: dict) -> dict:
    TAG["part"] = "[yosinski]"
    d = correlated_data()
    uval = correlated["unadapted_val_psnr"]
    part = {"k": list(YOSINSKI_K), "records": [], "n_weighted_layers": 15}
    for seed in range(seeds):
        for k in YOSINSKI_K:
            if k in (0, 15 - N_LAST, 15):  # fine-tune, last layers and the unadapted source are in (1)
                continue
            rec = train_arm("fine-tune", d, 5, seed, lr_ft, caps["fine-tune"], ARMS["fine-tune"]["eval"], uval,
                            n_frozen=k)
            rec["arm"] = f"freeze first {k}"
            part["records"].append(rec)
    return part


def run_faces(seeds: int, ns: list[int], caps: dict, quick: bool) -> dict:
    TAG["part"] = "[faces]"
    d = faces_data()
    part = {"description": "LFW faces 24², white Gaussian noise σ = 25/255 (the source's own noise)",
            **baselines(d, with_psd=False), "records": [], "lr_choice": {}}
    uval = part["unadapted_val_psnr"]
    lrs = {}
    for arm in ("fine-tune", "small scratch", "fair scratch"):
        cands = FACES_LRS.get(arm, ARMS[arm]["lrs"])
        cands = cands[:1] if quick else cands
        lrs[arm], rec, part["lr_choice"][arm] = choose_and_train(arm, d, caps, cands, uval)
        part["records"].append(rec)
    for n in ns:
        for seed in range(seeds):
            for arm in ("fine-tune", "small scratch") + (("fair scratch",) if n == 5 else ()):
                if not (n == 5 and seed == 0):
                    part["records"].append(train_arm(arm, d, n, seed, lrs[arm], caps[arm], ARMS[arm]["eval"], uval))
    part["lr"] = lrs
    return part


# --- summaries and targets ---------------------------------------------------------------------------------------


def _se(values) -> float | None:
    values = np.asarray(values, float)
    return round(float(values.std(ddof=1) / np.sqrt(len(values))), 4) if len(values) > 1 else None


def table(part: dict) -> list[dict]:
    """Mean ± SE over seeds of the test PSNR per (arm, N); effect vs the unadapted source with its SE over seeds
    and over test images; the fixed arms (no training) as rows with N = 0."""
    rows = []
    unadapted = np.asarray(part["fixed"]["unadapted (σ true)"]["per_image"]) if "fixed" in part else None
    for name, v in part.get("fixed", {}).items():
        rows.append({"arm": name, "n_target": 0, "mean": v["test_psnr"], "se_seeds": None,
                     "effect": round(v["test_psnr"] - float(unadapted.mean()), 4), "se_images": _se(
                         np.asarray(v["per_image"]) - unadapted)})
    groups: dict = {}
    for r in part["records"]:
        groups.setdefault((r["arm"], r["n_target"]), []).append(r)
    for (arm, n), recs in groups.items():
        per_seed = [r["test_psnr"] for r in recs]
        row = {"arm": arm, "n_target": n, "mean": round(float(np.mean(per_seed)), 4), "se_seeds": _se(per_seed),
               "n_seeds": len(recs), "best_step_mean": round(float(np.mean([r["best_step"] for r in recs])), 1),
               "cpu_seconds_mean": round(float(np.mean([r["cpu_seconds"] for r in recs])), 1)}
        if unadapted is not None:
            effects = np.array([np.asarray(r["per_image"]) - unadapted for r in recs])  # seeds × images
            row.update(effect=round(float(effects.mean()), 4), se_seeds_effect=_se(effects.mean(axis=1)),
                       se_images=_se(effects.mean(axis=0)))
        if all(r.get("val_at_budget") is not None for r in recs):
            row["val_at_budget_mean"] = round(float(np.mean([r["val_at_budget"] for r in recs])), 4)
        rows.append(row)
    return sorted(rows, key=lambda r: (r["n_target"], r["arm"]))


def _cell(rows, arm, n):
    return next((r for r in rows if r["arm"] == arm and r["n_target"] == n), None)


def targets(results: dict) -> list[dict]:
    out = []
    parts = results["experiments"]
    cor, faces = parts.get("correlated"), parts.get("faces")
    for name, part in (("correlated", cor), ("faces", faces)):
        if not part:
            continue
        noisy = part["fixed"]["noisy input"]["test_psnr"]
        scratch = [r for r in part["table"] if "scratch" in r["arm"] and r["n_target"] >= 5]
        worst = min(scratch, key=lambda r: r["mean"]) if scratch else None
        if worst:
            out.append({"target": f"{name}: every arm from random weights ≥ 1 dB above the noisy input at N ≥ 5",
                        "measured": f"worst {worst['arm']} N={worst['n_target']}: {worst['mean']:.2f} vs noisy "
                                    f"{noisy:.2f} dB ({worst['mean'] - noisy:+.2f})",
                        "met": worst["mean"] - noisy >= 1.0})
    if cor:
        rows, un = cor["table"], cor["fixed"]["unadapted (σ true)"]["test_psnr"]
        ub, ft5 = _cell(rows, "upper bound", 80), _cell(rows, "fine-tune", 5)
        psd = cor["fixed"]["BM3D told the spectrum"]["test_psnr"]
        if ub:
            out.append({"target": "correlated: unadapted source ≥ 3 dB below the upper bound",
                        "measured": f"{un:.2f} vs {ub['mean']:.2f} dB ({ub['mean'] - un:.2f} dB gap)",
                        "met": ub["mean"] - un >= 3})
        if ub and ft5:
            share = (ft5["mean"] - un) / (ub["mean"] - un)
            out.append({"target": "correlated: fine-tune on N = 5 closes ≥ 60 % of that gap",
                        "measured": f"{100 * share:.0f} % ({ft5['mean']:.2f} ± {ft5['se_seeds'] or 0:.2f} dB)",
                        "met": share >= 0.6})
            bm3d = np.asarray(cor["fixed"]["BM3D told the spectrum"]["per_image"])
            diffs = np.array([np.asarray(r["per_image"]) - bm3d for r in cor["records"]
                              if r["arm"] == "fine-tune" and r["n_target"] == 5])  # seeds × images
            se = max(_se(diffs.mean(axis=1)) or 0, _se(diffs.mean(axis=0)) or 0)
            out.append({"target": "correlated: fine-tune on N = 5 beats BM3D told the noise spectrum (by > 2 SE)",
                        "measured": f"{ft5['mean']:.2f} vs {psd:.2f} dB: {diffs.mean():+.2f} dB (SE over seeds "
                                    f"{_se(diffs.mean(axis=1))}, over test crops {_se(diffs.mean(axis=0))})",
                        "met": bool(diffs.mean() > 2 * se)})
        fair = [r for r in cor["records"] if r["arm"] == "fair scratch" and r["n_target"] == 5]
        ft = {r["seed"]: r for r in cor["records"] if r["arm"] == "fine-tune" and r["n_target"] == 5}
        pairs = [(f, ft[f["seed"]]) for f in fair if f["seed"] in ft]
        if pairs:
            gaps = [b["test_psnr"] - a["test_psnr"] for a, b in pairs]
            ratios = [a["reach_unadapted"]["cpu_seconds"] / b["reach_unadapted"]["cpu_seconds"] for a, b in pairs
                      if a["reach_unadapted"]["cpu_seconds"] and b["reach_unadapted"]["cpu_seconds"]]
            reached = sum(a["reach_unadapted"]["cpu_seconds"] is not None for a, _ in pairs)
            out.append({"target": "correlated, N = 5: fine-tune − fair scratch, early-stopped bests, with SE",
                        "measured": f"{np.mean(gaps):+.2f} ± {_se(gaps) or 0:.2f} dB over {len(gaps)} seeds",
                        "met": len(gaps) >= 2})
            out.append({"target": "correlated, N = 5: CPU-seconds to pass the unadapted validation PSNR, "
                                  "fair scratch ÷ fine-tune, with SE",
                        "measured": (f"{np.mean(ratios):.1f}× ± {_se(ratios) or 0:.1f} " if ratios else "— ")
                        + f"(fair scratch passed it in {reached} of {len(pairs)} seeds within its cap)",
                        "met": len(ratios) >= 2})
    dist = parts.get("distill")
    if dist and cor:
        small = {r["seed"]: r["test_psnr"] for r in cor["records"] if r["arm"] == "small scratch"
                 and r["n_target"] == 5}
        distilled = {r["seed"]: r["test_psnr"] for r in dist["records"] if r["arm"] == "distilled"}
        seeds = sorted(set(small) & set(distilled))
        if seeds:
            diff = [distilled[s] - small[s] for s in seeds]
            out.append({"target": "distilled student ≥ 0.5 dB above the same student on the 5 clean pairs",
                        "measured": f"{np.mean(diff):+.2f} ± {_se(diff) or 0:.2f} dB over {len(seeds)} seeds",
                        "met": float(np.mean(diff)) >= 0.5})
        t = dist.get("timing_512")
        if t:
            out.append({"target": "student ≥ 5× faster than the teacher on 512² (same run)",
                        "measured": f"{t['speedup']:.1f}× ({t['student_seconds']:.3f} vs {t['teacher_seconds']:.3f} s)",
                        "met": t["speedup"] >= 5})
    if faces:
        row = _cell(faces["table"], "fine-tune", 1)
        if row:
            se = max(row.get("se_seeds_effect") or 0, row.get("se_images") or 0)
            out.append({"target": "faces: fine-tune − unadapted at N = 1 not negative beyond its SE",
                        "measured": f"{row['effect']:+.3f} dB (SE over seeds {row.get('se_seeds_effect')}, over "
                                    f"images {row.get('se_images')})",
                        "met": row["effect"] >= -se})
    if "wall_seconds" in results:
        out.append({"target": "benchmark ≤ 60 min on 2 cores",
                    "measured": f"{results['wall_seconds'] / 60:.1f} min wall, {results['cpu_seconds'] / 60:.1f} "
                                f"CPU-min (load average at start {results['environment']['load_average_at_start']})",
                    "met": results["wall_seconds"] <= 3600})
    return out


def write(path: Path, results: dict, finished: bool = False) -> dict:
    """Merge this process's experiments into the JSON at ``path`` (the faces part runs in a second process), recompute
    tables and targets, write atomically. ``finished``: record this process's wall and CPU seconds."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        merged = json.loads(path.read_text()) if path.exists() else {}
        if merged.get("run_id") != results["run_id"]:
            merged = {}
        merged.update({k: v for k, v in results.items() if k not in ("experiments", "processes")})
        merged["experiments"] = {**merged.get("experiments", {}), **results["experiments"]}
        merged.setdefault("processes", {})[results["process"]] = results["processes"][results["process"]]
        procs = merged["processes"].values()
        if all(p.get("end") for p in procs) and "main" in merged["processes"]:
            merged["wall_seconds"] = round(max(p["end"] for p in procs) - min(p["start"] for p in procs), 1)
            merged["cpu_seconds"] = round(sum(p["cpu_seconds"] for p in procs), 1)
        for part in merged["experiments"].values():
            if "records" in part and "fixed" in part:
                part["table"] = table(part)
        merged["targets"] = targets(merged)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(merged, separators=(",", ":"), ensure_ascii=False))
        os.replace(tmp, path)
    log("wrote", path)
    return merged


def retable(path: Path) -> None:
    """Recompute ``table`` and ``targets`` from the stored records (e.g. after a change of a target's wording)."""
    merged = json.loads(path.read_text())
    for part in merged["experiments"].values():
        if "records" in part and "fixed" in part:
            part["table"] = table(part)
    merged["targets"] = targets(merged)
    path.write_text(json.dumps(merged, separators=(",", ":"), ensure_ascii=False))
    for t in merged["targets"]:
        print(f"{'met ' if t['met'] else 'MISS'} | {t['target']} | {t['measured']}")


def wait_for_part(path: Path, run_id: str, name: str, timeout: float = 5400) -> dict | None:
    """Wait (idle) until the other process of this run has written experiment ``name`` into ``path``."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists():
            try:
                merged = json.loads(path.read_text())
            except json.JSONDecodeError:
                merged = {}
            if merged.get("run_id") == run_id and name in merged.get("experiments", {}):
                return merged["experiments"][name]
        time.sleep(20)
    log(f"gave up waiting for {name}")
    return None


def main() -> None:
    import subprocess

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", default="correlated,distill,yosinski,faces",
                        help="parts to run; by default 'faces' runs in a second process beside the others")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--threads", type=int, default=1, help="TensorFlow threads per process")
    parser.add_argument("--run-id", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--retable", action="store_true",
                        help="recompute the tables and targets of --out from its records (no training)")
    args = parser.parse_args()
    if args.retable:
        return retable(Path(args.out))
    from course_lib.config import limit_threads

    limit_threads(args.threads)
    import keras
    import tensorflow as tf  # noqa: F401 (imported so that limit_threads reaches it)

    limit_threads(args.threads)
    seeds = 1 if args.quick else args.seeds
    caps = QUICK_CAPS if args.quick else {k: v["cap"] for k, v in ARMS.items()}
    only = args.only.split(",")
    process = "main" if args.run_id is None else "faces"
    run_id = args.run_id or f"{time.time():.0f}"
    child = None
    if process == "main" and "faces" in only and len(only) > 1:  # faces beside the rest: 2 processes, 2 cores
        cmd = [sys.executable, __file__, "--only", "faces", "--seeds", str(args.seeds), "--out", args.out,
               "--threads", str(args.threads), "--run-id", run_id] + (["--quick"] if args.quick else [])
        if "yosinski" in only:
            cmd[3] = "faces,yosinski"
            only.remove("yosinski")
        child = subprocess.Popen(cmd, start_new_session=True)  # its own scheduling group, like a 2nd job
        only.remove("faces")
    wall0, cpu0 = time.time(), time.process_time()
    command = "python benchmarks/transfer_restoration.py" + (" --quick" if args.quick else "") + (
        f" --seeds {seeds}" if seeds != 3 and not args.quick else "")
    results = {"command": command, "run_id": run_id, "process": process,
               "processes": {process: {"start": wall0, "parts": only}},
               "settings": {"seeds": seeds, "caps": caps, "arms": ARMS, "hints": HINTS, "batch": 8, "patch": 24,
                            "patience": 4, "sigma": tr.SIGMA, "kernel_px": tr.KERNEL_PX,
                            "budget_steps": BUDGET_STEPS, "threads_per_process": args.threads},
               "environment": {"python": platform.python_version(), "keras": keras.__version__,
                               "cpu_count": os.cpu_count(), "machine": platform.machine(),
                               "load_average_at_start": [round(x, 2) for x in os.getloadavg()]},
               "experiments": {}}
    if process == "main":
        results["init_check"] = init_check()
    teachers: dict = {}
    ns = [5] if args.quick else [5, 1, 20]
    path = Path(args.out)
    if "correlated" in only:
        results["experiments"]["correlated"] = run_correlated(seeds, ns, caps, args.quick, teachers)
        write(path, results)
    cor = results["experiments"].get("correlated")
    if "distill" in only and cor:
        results["experiments"]["distill"] = run_distill(seeds, caps, cor["lr"]["small scratch"], teachers, cor)
        write(path, results)
    if "faces" in only:
        results["experiments"]["faces"] = run_faces(seeds, [5] if args.quick else [5, 1, 20, 60], caps, args.quick)
        write(path, results)
    if "yosinski" in only:
        cor = cor or wait_for_part(path, run_id, "correlated")
        if cor:
            results["experiments"]["yosinski"] = run_yosinski(min(seeds, 2), caps, cor["lr"]["fine-tune"], cor)
            write(path, results)
    if child is not None:
        child.wait()
    results["processes"][process].update(end=time.time(), cpu_seconds=round(time.process_time() - cpu0, 1))
    merged = write(path, results)
    if process == "main":
        for t in merged["targets"]:
            print(f"{'met ' if t['met'] else 'MISS'} | {t['target']} | {t['measured']}")


def init_check() -> dict:
    """Std of each hidden activation at initialisation, Glorot (Keras' default) vs He, 15 × 80 (faces, σ = 25)."""
    faces = np.asarray(data.faces())[:16, :24, :24]
    return {init: {k: round(v, 6) for k, v in tr.activation_std(tr.scratch_denoiser(15, 80, 0, init), faces).items()}
            for init in ("glorot", "he")}


if __name__ == "__main__":
    main()
