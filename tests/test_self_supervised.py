"""Tests of course_lib.self_supervised: the Poisson target and its classical answer, the blind spot's J-invariance,
the self-supervised loss as MSE + noise variance, gains-only training, and the two training calls. Small networks,
a few steps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import self_supervised as ss
from course_lib import transfer_restore as tr


def _images(n=4, size=32):
    x = np.linspace(0, 1, size, dtype=np.float32)
    base = 0.5 + 0.4 * np.sin(6 * x)[None, :] * np.cos(4 * x)[:, None]
    return np.stack([np.roll(base, 3 * i, axis=1) for i in range(n)]).astype(np.float32)


def test_poisson_noise_mean_and_variance():
    clean = np.full((100, 100), 0.3, np.float32)
    y = ss.poisson_noise(clean, np.random.default_rng(0), peak=5.0)
    assert y.dtype == np.float32 and abs(y.mean() - 0.3) < 0.01 and abs(y.var() - 0.3 / 5.0) < 0.005
    assert np.allclose(y * 5.0, np.round(y * 5.0))  # photon counts / peak
    np.testing.assert_allclose(ss.poisson_sigma(y[None], 5.0), [np.sqrt(y.mean() / 5.0)], rtol=1e-5)
    with pytest.raises(ValueError, match="peak"):
        ss.poisson_noise(clean, np.random.default_rng(0), peak=0)
    with pytest.raises(ValueError, match=r"clean must hold finite values in \[0, 1\]"):
        ss.poisson_noise(clean + 1, np.random.default_rng(0))


def test_anscombe_stabilises_variance_and_inverse_is_unbiased():
    rng = np.random.default_rng(0)
    for lam in (3.0, 10.0, 40.0):
        z = ss.anscombe(rng.poisson(lam, 100_000) / 2.0, peak=2.0)
        assert abs(z.std() - 1.0) < 0.06  # variance ~1 whatever the intensity
        assert abs(ss.inverse_anscombe(z.mean(), 2.0) - lam / 2.0) < 0.02 * lam / 2.0


def test_anscombe_bm3d_denoises_poisson():
    clean = _images(1, 48)[0]
    noisy = ss.poisson_noise(clean, np.random.default_rng(1), peak=4.0)
    out = ss.anscombe_bm3d(noisy, peak=4.0)
    mse = lambda a: float(np.mean((a - clean) ** 2))  # noqa: E731
    assert out.shape == clean.shape and mse(out) < 0.5 * mse(noisy)


def test_blind_spot_mask_is_a_sparse_grid_without_neighbours():
    mask = ss.blind_spot_mask((50, 16, 16), np.random.default_rng(0), spacing=4)
    assert mask.dtype == bool and np.all(mask.sum(axis=(1, 2)) == 16)  # 1 pixel in 16
    assert not np.any(mask[:, 1:] & mask[:, :-1]) and not np.any(mask[:, :, 1:] & mask[:, :, :-1])
    assert len({m.tobytes() for m in mask}) > 4  # the phase is drawn per image
    with pytest.raises(ValueError, match="spacing"):
        ss.blind_spot_mask((4, 4), np.random.default_rng(0), spacing=1)


def test_blind_spot_input_is_j_invariant():
    rng = np.random.default_rng(3)
    noisy = rng.random((2, 20, 24)).astype(np.float32)
    mask = ss.blind_spot_mask(noisy.shape, rng)
    out = ss.blind_spot_input(noisy, mask)
    assert np.array_equal(out[~mask], noisy[~mask])
    jolted = noisy.copy()
    jolted[mask] += 10.0
    np.testing.assert_array_equal(ss.blind_spot_input(jolted, mask), out)  # the input ignores y at J
    with pytest.raises(ValueError, match="shape"):
        ss.blind_spot_input(noisy, mask[0])


def test_j_invariant_output_never_sees_its_own_pixel():
    model = tr.scratch_denoiser(3, 8, seed=0)
    tr.he_initialise(model, 1)
    out = model.get_layer("out")
    out.kernel.assign(np.random.default_rng(0).normal(0, 0.1, tuple(out.kernel.shape)).astype(np.float32))
    noisy = np.random.default_rng(1).random((1, 16, 16)).astype(np.float32)
    jolted = noisy.copy()
    jolted[0, 7, 9] += 1.0
    a, b = ss.j_invariant_denoise(model, noisy, 0.1), ss.j_invariant_denoise(model, jolted, 0.1)
    assert a[0, 7, 9] == pytest.approx(b[0, 7, 9], abs=1e-6)  # pixel (7, 9) is estimated without itself
    assert np.abs(a - b).max() > 1e-3  # ... but its neighbours do use it
    plain = tr._denoise(model, jolted, np.full(1, 0.1, np.float32)) - tr._denoise(model, noisy,
                                                                                 np.full(1, 0.1, np.float32))
    assert abs(plain[0, 7, 9]) > 1e-3  # the one-pass output does see it


def test_blind_spot_loss_is_mse_plus_noise_variance():
    # An identity network (zero output layer, residual): its J-invariant output is the neighbours' mean
    model = tr.scratch_denoiser(2, 4, seed=0)
    clean = _images(8, 32)
    sigma = 0.1
    noisy = clean + sigma * np.random.default_rng(0).standard_normal(clean.shape).astype(np.float32)
    estimate = ss.j_invariant_denoise(model, noisy, sigma)
    mse_to_clean = float(np.mean((estimate - clean) ** 2))
    loss = ss.blind_spot_loss(model, noisy, sigma)
    assert loss == pytest.approx(mse_to_clean + sigma ** 2, rel=0.05)
    assert ss.blind_spot_loss(model, noisy, sigma, n_phases=4) == pytest.approx(loss, rel=0.1)


def test_gains_only_changes_one_scale_per_channel():
    model = tr.scratch_denoiser(3, 8, seed=0)
    tr.he_initialise(model, 0)
    before = {layer.name: np.array(layer.kernel) for layer in model.layers if layer.name.startswith("conv")}
    noisy = ss.poisson_noise(_images(3, 32), np.random.default_rng(0), peak=4.0)
    res = ss.adapt_blind_spot(noisy, sigma_hint=0.2, model=model, trainable="gains", max_steps=20, lr=1e-2,
                              batch_size=4, patch=16, eval_every=10, patience=5, progress=False)
    assert res["trainable"] == "gains" and res["curve"]["step"][-1] >= 10
    changed = False
    for layer in model.layers:
        if layer.name in before:
            ratio = np.array(layer.kernel) / before[layer.name]  # (3, 3, in, out): one value per output channel
            spread = np.nanmax(ratio, axis=(0, 1, 2)) - np.nanmin(ratio, axis=(0, 1, 2))
            assert np.all(spread < 1e-4)
            changed |= bool(np.any(np.abs(ratio - 1) > 1e-4))
    assert changed or res["best_step"] == 0


def test_adapt_blind_spot_trains_without_clean_images():
    clean = _images(4, 32)
    noisy = clean + 0.1 * np.random.default_rng(0).standard_normal(clean.shape).astype(np.float32)
    model = tr.scratch_denoiser(3, 8, seed=0)
    tr.he_initialise(model, 0)
    mse = lambda: float(np.mean((ss.j_invariant_denoise(model, noisy, 0.1) - clean) ** 2))  # noqa: E731
    start = mse()
    res = ss.adapt_blind_spot(noisy, sigma_hint=0.1, model=model, max_steps=60, lr=3e-3, batch_size=8, patch=16,
                              eval_every=20, patience=5, seed=0, progress=False, monitor=mse)
    assert set(res["curve"]) >= {"step", "val_score", "monitor"} and res["n_train"] == 4
    assert res["best_val_score"] == max(res["curve"]["val_score"])
    assert mse() < start  # it denoises better than at the start, and never saw ``clean``


def test_adapt_noise2noise_runs_and_validates():
    clean = _images(4, 32)
    rng = np.random.default_rng(0)
    first, second = (clean + 0.1 * rng.standard_normal(clean.shape).astype(np.float32) for _ in range(2))
    res = ss.adapt_noise2noise(first, second, sigma_hint=0.1, model=tr.scratch_denoiser(2, 4), max_steps=10,
                               batch_size=4, patch=16, eval_every=5, progress=False)
    assert res["n_train"] == 3 and res["n_val"] == 1 and len(res["curve"]["val_score"]) == 3
    with pytest.raises(ValueError, match="same shape"):
        ss.adapt_noise2noise(first, second[:, :16], sigma_hint=0.1, model=tr.scratch_denoiser(2, 4))
    with pytest.raises(ValueError, match="at least 2 pairs"):
        ss.adapt_noise2noise(first[:1], second[:1], sigma_hint=0.1, model=tr.scratch_denoiser(2, 4))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"noisy_images": [[0.5]]}, TypeError, "noisy_images must be a numpy array"),
    ({"patch": 15}, ValueError, "patch must be even"),
    ({"patch": 64}, ValueError, "patch"),
    ({"sigma_hint": [0.1, 0.2]}, ValueError, "sigma_hint"),
    ({"sigma_hint": 3.0}, ValueError, "sigma_hint"),
    ({"trainable": "last"}, ValueError, "trainable must be"),
    ({"lr": 0}, ValueError, "lr must be"),
])
def test_adapt_blind_spot_validates(kwargs, error, match):
    args = {"noisy_images": _images(3, 32), "sigma_hint": 0.1, "model": tr.scratch_denoiser(2, 4), "patch": 16,
            "max_steps": 2, "progress": False, **kwargs}
    with pytest.raises(error, match=match):
        ss.adapt_blind_spot(args.pop("noisy_images"), **args)


def test_figures():
    import matplotlib.pyplot as plt

    from course_lib import self_supervised_viz as ssv

    fig = ssv.blind_spot_figure(np.random.default_rng(0).random((32, 32)).astype(np.float32))
    assert len(fig.axes) == 3
    plt.close(fig)
    rec = {"arm": "blind-spot", "n_target": 5, "seed": 0, "test_psnr": 25.0, "per_image": [25.0, 25.0]}
    results = {"settings": {"test": ["a: crop", "b: crop"]},
               "poisson": {"table": [{"arm": "blind-spot", "n_target": 5, "mean": 25.0, "se_seeds": None}],
                           "records": [rec, {"arm": "test-time (all)", "n_target": 1, "seed": 0,
                                             "per_image": [24.0, 26.0], "test_psnr": 25.0}],
                           "fixed": {"unadapted": {"test_psnr": 23.0, "per_image": [23.0, 23.0]}}}}
    for fig in (ssv.grid_figure(results), ssv.test_time_figure(results)):
        assert fig.axes
        plt.close(fig)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 6), st.integers(3, 24), st.integers(3, 24), st.integers(0, 2 ** 16))
def test_blind_spot_input_is_j_invariant_for_any_grid_and_size(spacing, h, w, seed):
    rng = np.random.default_rng(seed)
    noisy = rng.random((2, h, w)).astype(np.float32)
    mask = ss.blind_spot_mask(noisy.shape, rng, spacing)
    out = ss.blind_spot_input(noisy, mask)
    jolted = noisy + np.where(mask, rng.normal(0, 3, noisy.shape), 0).astype(np.float32)
    np.testing.assert_array_equal(ss.blind_spot_input(jolted, mask), out)
    assert np.array_equal(out[~mask], noisy[~mask])
