"""Tests of course_lib.transfer_restore: the correlated-noise target, BM3D told its spectrum, He initialisation,
adapt_denoiser (validation split, early stopping, Ctrl-C) and distillation. Small networks, a few steps."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import transfer_restore as tr


def test_kernel_has_unit_norm_and_noise_keeps_sigma():
    k = tr.correlation_kernel(1.0)
    assert k.shape == (7, 7) and np.isclose(np.sum(k ** 2), 1.0)
    noise = tr.correlated_noise((64, 128, 128), np.random.default_rng(0), sigma=0.1)
    assert noise.dtype == np.float32 and abs(noise.std() - 0.1) < 0.002
    # neighbours are correlated as the kernel says: E[n(x) n(x+1)] / σ² = Σ k(u) k(u+1)
    expected = np.sum(k[:, :-1] * k[:, 1:])
    measured = np.mean(noise[:, :, :-1] * noise[:, :, 1:]) / np.mean(noise ** 2)
    assert expected > 0.5 and abs(measured - expected) < 0.01


def test_psd_convention_matches_reference_bm3d():
    h, w = 32, 48
    psd = tr.noise_psd((h, w), sigma=0.1)
    assert psd.shape == (h, w) and np.isclose(psd.mean() / (h * w), 0.01)  # Parseval: mean PSD / HW = σ²
    rng = np.random.default_rng(0)
    clean = np.tile(np.linspace(0.2, 0.8, w, dtype=np.float32), (h, 1))
    noisy = clean + 0.1 * rng.standard_normal((h, w)).astype(np.float32)
    white_psd = np.full((h, w), 0.01 * h * w)
    np.testing.assert_allclose(tr.bm3d_reference(noisy, psd=white_psd), tr.bm3d_reference(noisy, sigma=0.1),
                               atol=1e-5)


def test_numpy_trapz_shim(monkeypatch):
    if hasattr(np, "trapz"):
        monkeypatch.delattr(np, "trapz")
    assert tr.ensure_numpy_trapz() is True and np.trapz is np.trapezoid  # noqa: NPY201
    assert tr.ensure_numpy_trapz() is False
    monkeypatch.delattr(np, "trapz")  # bm3d_reference applies the shim itself
    noisy = np.random.default_rng(1).random((32, 32)).astype(np.float32)
    out = tr.bm3d_reference(noisy, psd=tr.noise_psd(noisy.shape))
    assert out.shape == noisy.shape and np.all(np.isfinite(out))


def test_bm3d_reference_validates():
    with pytest.raises(ValueError, match="exactly one"):
        tr.bm3d_reference(np.zeros((16, 16), np.float32))
    with pytest.raises(ValueError, match="psd must have"):
        tr.bm3d_reference(np.zeros((16, 16), np.float32), psd=np.ones((8, 8)))


def test_he_keeps_activations_alive_where_glorot_shrinks_them():
    images = np.random.default_rng(0).random((4, 16, 16)).astype(np.float32)
    glorot = tr.activation_std(tr.scratch_denoiser(12, 16, seed=0, init="glorot"), images)
    he = tr.activation_std(tr.scratch_denoiser(12, 16, seed=0, init="he"), images)
    last = list(he)[-1]
    assert he[last] > 20 * glorot[last]
    assert he[last] > 0.1 * he["conv1"]  # He: the same order of magnitude through depth


def _degrade(clean, rng):
    return clean + 0.1 * rng.standard_normal(clean.shape).astype(np.float32), 0.1


def _images(n=4, size=32):
    x = np.linspace(0, 1, size, dtype=np.float32)
    base = 0.5 + 0.4 * np.sin(6 * x)[None, :] * np.cos(4 * x)[:, None]
    return np.stack([np.roll(base, 3 * i, axis=1) for i in range(n)]).astype(np.float32)


def test_adapt_denoiser_trains_keeps_best_and_reports_curve():
    model = tr.scratch_denoiser(3, 8, seed=0)
    res = tr.adapt_denoiser(_images(), _degrade, model=model, n_val=1, max_steps=40, lr=3e-3, batch_size=4,
                            patch=16, eval_every=10, patience=10, seed=0, progress=False)
    curve = res["curve"]
    assert curve["step"] == [0, 10, 20, 30, 40] and len(curve["val_psnr"]) == 5
    assert res["best_val_psnr"] == max(curve["val_psnr"]) > res["start_val_psnr"]  # it trains
    assert res["n_train"] == 3 and res["n_val"] == 1 and res["stopped"] == "cap"
    assert curve["step"][curve["val_psnr"].index(res["best_val_psnr"])] == res["best_step"]


def test_adapt_denoiser_early_stops():
    res = tr.adapt_denoiser(_images(), _degrade, model=tr.scratch_denoiser(3, 8, seed=0), n_val=1, max_steps=200,
                            lr=10.0, batch_size=4, patch=16, eval_every=5, patience=2, seed=0, progress=False)
    assert res["stopped"] == "early" and res["steps_run"] < 200


def test_adapt_denoiser_ctrl_c_keeps_best_weights():
    calls = {"n": 0}

    def degrade(clean, rng):
        calls["n"] += 1
        if calls["n"] == 25:  # call 1 degrades the validation images, then one call per step
            raise KeyboardInterrupt
        return _degrade(clean, rng)

    model = tr.scratch_denoiser(3, 8, seed=0)
    res = tr.adapt_denoiser(_images(), degrade, model=model, n_val=1, max_steps=100, lr=3e-3, batch_size=4,
                            patch=16, eval_every=5, patience=10, seed=0, progress=False)
    assert res["stopped"] == "interrupted" and res["steps_run"] == 23
    best_weights = [w.copy() for w in model.get_weights()]
    again = tr.adapt_denoiser(_images(), _degrade, model=model, n_val=1, max_steps=0, seed=0, progress=False)
    assert np.isclose(again["start_val_psnr"], res["best_val_psnr"], atol=1e-3)  # the model holds the best weights
    assert all(np.array_equal(a, b) for a, b in zip(best_weights, model.get_weights()))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"images": [[0.5]]}, TypeError, "images must be a numpy array"),
    ({"degrade": "gaussian"}, TypeError, "degrade must be a function"),
    ({"degrade": lambda c, r: c}, TypeError, "must return a tuple"),
    ({"degrade": lambda c, r: (c[:, :8], 0.1)}, ValueError, "clean batch's shape"),
    ({"degrade": lambda c, r: (c, 25)}, ValueError, "sigma_hint"),
    ({"images": _images(1)}, ValueError, "pass val_images"),
    ({"patch": 15}, ValueError, "patch must be even"),
    ({"patch": 64}, ValueError, "larger than the images"),
    ({"lr": 0}, ValueError, "lr must be"),
])
def test_adapt_denoiser_validates(kwargs, error, match):
    args = {"images": _images(), "degrade": _degrade, "model": tr.scratch_denoiser(2, 4), "patch": 16,
            "max_steps": 1, "progress": False, **kwargs}
    images, degrade = args.pop("images"), args.pop("degrade")
    with pytest.raises(error, match=match):
        tr.adapt_denoiser(images, degrade, **args)


def test_distill_student_learns_from_teacher_outputs_only():
    images = _images(6)
    teacher = tr.scratch_denoiser(3, 8, seed=1)
    tr.adapt_denoiser(images, _degrade, model=teacher, n_val=1, max_steps=30, lr=3e-3, batch_size=4, patch=16,
                      eval_every=10, seed=0, progress=False)
    noisy, _ = _degrade(images[:4], np.random.default_rng(5))
    student = tr.scratch_denoiser(2, 4, seed=2)
    res = tr.distill_denoiser(student, teacher, noisy, 0.1, _degrade, images[4:], max_steps=30, lr=3e-3,
                              batch_size=4, patch=16, eval_every=10, seed=0, progress=False)
    assert res["n_unlabelled"] == 4 and res["best_val_psnr"] >= res["start_val_psnr"]
    assert len(res["curve"]["step"]) == 4


def test_time_inference_is_positive():
    assert tr.time_inference(tr.scratch_denoiser(2, 4), size=32, repeats=1) > 0


def _fake_results():
    curve = {"step": [0, 10, 20], "val_psnr": [23.0, 25.0, 24.5], "seconds": [0, 1, 2], "cpu_seconds": [0, 1, 2]}

    def rec(arm, n, seed, psnr, n_frozen=0):
        return {"arm": arm, "n_target": n, "seed": seed, "test_psnr": psnr, "per_image": [psnr - 0.5, psnr + 0.5],
                "n_frozen": n_frozen, "curve": curve, "best_step": 10, "cap": 20, "cpu_seconds": 2.0,
                "reach_unadapted": {"cpu_seconds": 1.0}}

    records = [rec(a, 5, s, p + 0.1 * s) for s in (0, 1) for a, p in
               (("fine-tune", 27.0), ("last layers", 24.0, ), ("small scratch", 25.0))]
    records[1]["n_frozen"] = records[4]["n_frozen"] = 12
    records += [rec("upper bound", 80, s, 28.0) for s in (0, 1)]
    fixed = {"noisy input": {"test_psnr": 20.0, "per_image": [19.5, 20.5]},
             "unadapted (σ true)": {"test_psnr": 23.0, "per_image": [22.5, 23.5]}}
    cor = {"records": records, "fixed": fixed, "unadapted_val_psnr": 23.0}
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import transfer_restoration as bench

    cor["table"] = bench.table(cor)
    yos = {"records": [rec("freeze first 6", 5, s, 26.0, 6) for s in (0, 1)], "n_weighted_layers": 15}
    return {"experiments": {"correlated": cor, "yosinski": yos}}, bench


def test_gap_rows_yosinski_points_and_figures():
    import matplotlib

    matplotlib.use("Agg")
    from course_lib import transfer_restore_viz as trv

    results, bench = _fake_results()
    cor = results["experiments"]["correlated"]
    shares = {(r["arm"], r["n_target"]): r["share"] for r in trv.gap_rows(cor)}
    assert np.isclose(shares[("upper bound", 80)], 1.0) and np.isclose(shares[("unadapted (σ true)", 0)], 0.0)
    assert np.isclose(shares[("fine-tune", 5)], (27.05 - 23.0) / (28.0 - 23.0))
    points = trv.yosinski_points(results)
    assert sorted(points) == [0, 6, 12, 15] and np.allclose(points[0], [27.0, 27.1]) and points[15] == [23.0]
    for fig in (trv.yosinski_figure(results), trv.curves_figure(cor, 5), trv.grid_figure(cor, "t"),
                trv.init_figure({"he": {"conv1": 0.3, "conv2": 0.2}})):
        assert fig.axes
    ft = next(r for r in cor["table"] if r["arm"] == "fine-tune")
    assert np.isclose(ft["effect"], 4.05) and ft["se_seeds"] > 0  # effect vs unadapted, paired per image


def test_paired_comparison_pairs_by_seed_and_image():
    results, _ = _fake_results()
    cor = results["experiments"]["correlated"]
    c = tr.paired_comparison(cor, "fine-tune", "unadapted (σ true)", 5)
    assert np.isclose(c["effect"], 4.05) and c["call"] == "fine-tune" and c["seeds"] == [0, 1]
    assert np.isclose(c["se_seeds"], 0.05) and np.isclose(c["se_images"], 0.0)
    c = tr.paired_comparison(cor, "last layers", "fine-tune", 5)
    assert np.isclose(c["effect"], -3.0) and c["call"] == "fine-tune"
    with pytest.raises(ValueError, match="no records"):
        tr.paired_comparison(cor, "fine-tune", "small scratch", 20)
