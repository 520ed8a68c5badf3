"""Bad input to the lesson libraries' batch and view functions (GAN, VAE, classifier, transfer, BM3D views).

The same contract as ``test_validation.py``: a wrong dtype, rank or size, an empty batch, NaN/inf, values
outside [0, 1] (where the function needs a clean image) or something that is not an array gives a
``ValueError`` or ``TypeError`` that names the argument, never a crash deep inside numpy, OpenCV or TensorFlow.
"""

import matplotlib
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib import (
    baselines,
    bm3d,
    bm3d_viz,
    classifier,
    gan,
    gan_viz,
    restore,
    restore_viz,
    transfer,
    vae,
    vae_viz,
    viz,
    widgets,
)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(scope="module")
def models():
    generator, discriminator = gan.load_gan_glyphs()
    return {"vae": vae.load_vae("vae-digits"), "vae2d": vae.load_vae("vae-2d"),
            "classifier": classifier.load_digit_classifier(), "discriminator": discriminator,
            "upscaler": restore.load_restorer("upscaler"), "fresh_vae": vae.build_vae(2, seed=0),
            "fresh_classifier": classifier.build_classifier(n_classes=10, seed=0)}


BATCH = np.full((4, 8, 8), 0.5, np.float32)   # on the digits' 17-level grid
REFERENCE = np.round(16 * np.random.default_rng(0).random((40, 8, 8))).astype(np.float32) / 16
IMAGE = np.clip(0.5 + 0.2 * np.random.default_rng(1).standard_normal((48, 48)), 0, 1).astype(np.float32)

BATCH_FUNCTIONS = {  # batches (N, 8, 8) of clean images in [0, 1]
    "vae.encode": lambda m, x: vae.encode(m["vae"], x),
    "vae.reconstruct": lambda m, x: vae.reconstruct(m["vae"], x),
    "vae.elbo": lambda m, x: vae.elbo(m["vae"], x),
    "vae.iwae_bound": lambda m, x: vae.iwae_bound(m["vae"], x, k=2),
    "vae.active_units": lambda m, x: vae.active_units(m["vae"], x),
    "vae.reconstruction_at_mean": lambda m, x: vae.reconstruction_at_mean(m["vae"], x),
    "vae.score_samples": lambda m, x: vae.score_samples(x, REFERENCE, classifier=m["classifier"], n_subsets=2,
                                                         subset_size=3),
    "gan.evaluate_samples": lambda m, x: gan.evaluate_samples(x, REFERENCE, classifier=m["classifier"], n_subsets=2,
                                                              subset_size=3),
    "gan.nearest_neighbours": lambda m, x: gan.nearest_neighbours(x, REFERENCE),
    "gan.mean_d": lambda m, x: gan.mean_d(m["discriminator"], x),
    "classifier.features": lambda m, x: classifier.features(m["classifier"], x),
    "classifier.accuracy": lambda m, x: classifier.accuracy(m["classifier"], x, np.zeros(4, int)),
    "transfer.degrade_batch": lambda m, x: transfer.degrade_batch(x, "faces", np.random.default_rng(0)),
    "restore.upscale_batch": lambda m, x: restore.upscale_batch(m["upscaler"], x),
    "transfer.restoration_batch": lambda m, x: transfer.restoration_batch(x, "faces", 2, 4, np.random.default_rng(0)),
    "gan_viz.samples_view": lambda m, x: gan_viz.samples_view(x, classifier=m["classifier"]),
    "vae_viz.latent_map_view": lambda m, x: vae_viz.latent_map_view(m["vae2d"], x, np.zeros(4, int)),
    "vae.gaussian_fit_codes": lambda m, x: vae.gaussian_fit_codes(m["vae"], x, 4),
    "vae.train_vae": lambda m, x: vae.train_vae(m["fresh_vae"], x, steps=1),
    "classifier.train_classifier": lambda m, x: classifier.train_classifier(m["fresh_classifier"], x, np.zeros(4, int),
                                                                            steps=1),
}
ANY_SIZE = ("transfer.degrade_batch", "restore.upscale_batch", "transfer.restoration_batch")
NOISY_FUNCTIONS = {  # single noisy images: any finite value
    "baselines.nlm_opencv": lambda x: baselines.nlm_opencv(x, 0.1),
    "baselines.nlm_skimage": lambda x: baselines.nlm_skimage(x, 0.1),
    "baselines.gaussian_blur": lambda x: baselines.gaussian_blur(x, 0.1),
    "bm3d_viz.step1_variant": lambda x: bm3d_viz.step1_variant(x, 0.1),
    "bm3d.match_blocks": bm3d.match_blocks,
    "bm3d.bm3d_step2(noisy)": lambda x: bm3d.bm3d_step2(x, IMAGE, 0.1),
    "bm3d.bm3d_step2(basic)": lambda x: bm3d.bm3d_step2(IMAGE, x, 0.1),
    "viz.show_images": lambda x: viz.show_images([IMAGE, x]),   # shows error images too: any finite value
}
VIEW_FUNCTIONS = {  # single clean images in [0, 1]
    "bm3d_viz.patch_recurrence": bm3d_viz.patch_recurrence,
    "bm3d_viz.group_sparsity": bm3d_viz.group_sparsity,
    "bm3d_viz.denoise_view": bm3d_viz.denoise_view,
    "widgets.degradation_view": widgets.degradation_view,
    "restore_viz.denoise_view": restore_viz.denoise_view,
    "restore_viz.inpaint_view": restore_viz.inpaint_view,
    "bm3d_viz.match_view": lambda x: bm3d_viz.match_view(x, 20, 20),
    "bm3d_viz.match_agreement": lambda x: bm3d_viz.match_agreement(x, (25,)),
    "bm3d_viz.recurrence_figure": bm3d_viz.recurrence_figure,
    "bm3d_viz.sparsity_figure": bm3d_viz.sparsity_figure,
    "bm3d_viz.compare_methods": lambda x: bm3d_viz.compare_methods(x, 25),
    "viz.compare": lambda x: viz.compare(x, {"estimate": IMAGE}),
}

not_arrays = st.sampled_from([None, 0.5, "images", [[0.1, 0.2]]])
bad_dtypes = st.sampled_from([np.uint8, np.int32, bool, np.complex64])


def _one_pixel(shape, value):
    """A valid array of ``shape`` with ``value`` at one drawn position."""
    return st.integers(0, int(np.prod(shape)) - 1).map(
        lambda i: np.where(np.arange(np.prod(shape)).reshape(shape) == i, value, 0.5).astype(np.float32))


def bad_arrays(shape, *, clean: bool):
    """Arrays that must be rejected where a valid one has ``shape``; ``clean`` adds values outside [0, 1]."""
    colour = len(shape) == 2  # an (H, W, 3) array is a valid colour image where an (H, W) one is expected
    wrong_rank = hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=3).filter(
        lambda s: len(s) != len(shape) and not (colour and len(s) == 3 and s[-1] == 3)).map(
        lambda s: np.zeros(s, np.float32))
    empty = st.sampled_from([0, 1]).map(lambda axis: np.zeros(tuple(0 if i == axis else n for i, n in
                                                                   enumerate(shape)), np.float32))
    strategies = [not_arrays, bad_dtypes.map(lambda d: np.zeros(shape, d)), wrong_rank, empty,
                  st.sampled_from([np.nan, np.inf, -np.inf]).flatmap(lambda v: _one_pixel(shape, v))]
    if clean:
        strategies.append(st.sampled_from([-0.5, 1.5, 255.0]).flatmap(lambda v: _one_pixel(shape, v)))
    return st.one_of(*strategies)


def _assert_clear(call):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    plt.close("all")
    words = ("image", "noisy", "basic", "clean", "low", "queries", "reference", "finite")
    assert any(w in str(info.value) for w in words), info.value


@pytest.mark.parametrize("name", list(BATCH_FUNCTIONS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(batch=st.one_of(bad_arrays((4, 8, 8), clean=True),
                       st.sampled_from([(4, 8), (4, 8, 9), (4, 16, 8)]).map(lambda s: np.zeros(s, np.float32))))
def test_batch_functions_reject_bad_batches(models, name, batch):
    if name in ANY_SIZE and np.ndim(batch) == 3 and 0 not in batch.shape:
        if batch.dtype == np.float32 and np.all(np.isfinite(batch)) and batch.min() >= 0 and batch.max() <= 1:
            return  # these two take images of any size
    _assert_clear(lambda: BATCH_FUNCTIONS[name](models, batch))


@pytest.mark.parametrize("name", list(BATCH_FUNCTIONS))
def test_batch_functions_accept_a_good_batch(models, name):
    BATCH_FUNCTIONS[name](models, BATCH)


@pytest.mark.parametrize("name", list(NOISY_FUNCTIONS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(image=bad_arrays((48, 48), clean=False))
def test_noisy_image_functions_reject_bad_images(name, image):
    _assert_clear(lambda: NOISY_FUNCTIONS[name](image))


@pytest.mark.parametrize("name", list(VIEW_FUNCTIONS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(image=bad_arrays((48, 48), clean=True))
def test_view_functions_reject_bad_images(name, image):
    _assert_clear(lambda: VIEW_FUNCTIONS[name](image))


@pytest.mark.parametrize("name", list(NOISY_FUNCTIONS) + list(VIEW_FUNCTIONS))
def test_image_functions_accept_a_good_image(name):
    out = {**NOISY_FUNCTIONS, **VIEW_FUNCTIONS}[name](IMAGE)
    plt.close("all")
    if isinstance(out, np.ndarray):
        assert out.shape == IMAGE.shape and np.all(np.isfinite(out))


def test_noisy_functions_accept_values_outside_the_unit_range():
    noisy = IMAGE + 0.3 * np.random.default_rng(0).standard_normal(IMAGE.shape).astype(np.float32)
    assert noisy.min() < 0 < 1 < noisy.max()
    for name, fn in NOISY_FUNCTIONS.items():
        out = fn(noisy)
        plt.close("all")
        assert not isinstance(out, np.ndarray) or np.all(np.isfinite(out)), name


@pytest.mark.parametrize("sigma", [np.nan, -0.1, 0.0, 25, "0.1", None])
def test_baseline_sigma_is_checked(sigma):
    with pytest.raises((ValueError, TypeError), match="sigma"):
        baselines.nlm_opencv(IMAGE, sigma)


def test_denoise_batch_checks_sigma_per_image():
    model = restore.load_restorer("denoiser")
    with pytest.raises(ValueError, match="sigma"):
        restore.denoise_batch(model, np.zeros((3, 16, 16), np.float32), [0.1, 0.2])
    out = restore.denoise_batch(model, np.zeros((3, 15, 17), np.float32), [0.1, 0.2, 0.0])
    assert out.shape == (3, 15, 17)
