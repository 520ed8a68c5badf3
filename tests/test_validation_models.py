"""Bad input to the model-backed image functions (BM3D, the CNN restorers) raises a clear error.

Noisy images may leave [0, 1] (Gaussian noise is not clipped), so for denoisers only non-finite values,
wrong dtypes, wrong ranks, empty arrays and non-arrays are errors; clean images must be in [0, 1].
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib import baselines, bm3d, restore

GOOD = np.full((16, 16), 0.5, dtype=np.float32)
MASK = np.zeros((16, 16), bool)
MASK[4:8, 4:8] = True

NOISY_FUNCTIONS = {  # accept any finite values
    "bm3d.bm3d": lambda im: bm3d.bm3d(im, 0.1),
    "bm3d.bm3d_step1": lambda im: bm3d.bm3d_step1(im, 0.1),
    "restore.cnn_denoise": lambda im: restore.cnn_denoise(im, 0.1),
    "restore.cnn_denoise(blind)": lambda im: restore.cnn_denoise(im),
    "baselines.classical_denoise": lambda im: baselines.classical_denoise(im, 0.1, "nl-means"),
}
CLEAN_FUNCTIONS = {  # need values in [0, 1]
    "restore.cnn_inpaint": lambda im: restore.cnn_inpaint(im, MASK),
    "restore.cnn_upscale": restore.cnn_upscale,
    "baselines.classical_fill": lambda im: baselines.classical_fill(im, MASK),
}

shape_errors = st.one_of(
    st.sampled_from([np.uint8, np.int32, bool, np.complex64]).map(lambda d: np.zeros((16, 16), dtype=d)),
    hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=4).filter(lambda s: len(s) != 2).map(
        lambda s: np.zeros(s, dtype=np.float32)),
    st.sampled_from([(0, 0), (0, 5), (1, 0)]).map(lambda s: np.zeros(s, dtype=np.float32)),
    st.sampled_from([None, 0.5, "image", [[0.1, 0.2]]]),
)


def _at_pixel(value):
    return st.tuples(st.integers(0, 15), st.integers(0, 15)).map(
        lambda t: np.where(np.arange(256).reshape(16, 16) == t[0] * 16 + t[1], value, 0.5).astype(np.float32))


non_finite = st.sampled_from([np.nan, np.inf, -np.inf]).flatmap(_at_pixel)
out_of_range = st.sampled_from([-0.5, 1.5, 255.0]).flatmap(_at_pixel)


def _assert_clear(call, image):
    with pytest.raises((ValueError, TypeError)) as info:
        call(image)
    assert any(word in str(info.value) for word in ("image", "noisy", "size", "finite")), str(info.value)


@pytest.mark.parametrize("name", list(NOISY_FUNCTIONS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(image=st.one_of(shape_errors, non_finite))
def test_denoisers_reject_bad_images(name, image):
    _assert_clear(NOISY_FUNCTIONS[name], image)


@pytest.mark.parametrize("name", list(CLEAN_FUNCTIONS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(image=st.one_of(shape_errors, non_finite, out_of_range))
def test_clean_image_functions_reject_bad_images(name, image):
    _assert_clear(CLEAN_FUNCTIONS[name], image)


@pytest.mark.parametrize("name", list(NOISY_FUNCTIONS) + list(CLEAN_FUNCTIONS))
def test_good_images_work(name):
    out = {**NOISY_FUNCTIONS, **CLEAN_FUNCTIONS}[name](GOOD)
    assert np.all(np.isfinite(out)) and out.shape[0] >= 16


def test_denoisers_accept_noise_outside_the_unit_range():
    noisy = GOOD + 0.3 * np.random.default_rng(0).standard_normal(GOOD.shape).astype(np.float32)
    assert noisy.min() < 0 < 1 < noisy.max()
    for name in ("bm3d.bm3d", "restore.cnn_denoise"):
        assert np.isfinite(NOISY_FUNCTIONS[name](noisy)).all()


SIGMA_CALLS = {
    "bm3d.bm3d": lambda v: bm3d.bm3d(GOOD, v),
    "restore.cnn_denoise": lambda v: restore.cnn_denoise(GOOD, v),
}


@pytest.mark.parametrize("name", list(SIGMA_CALLS))
@settings(max_examples=40, deadline=None)
@given(value=st.one_of(st.sampled_from([np.nan, np.inf, -0.1, 25, 255, 1e300, "0.1", True, 2.5j]),
                       st.floats(min_value=1.01, max_value=1e12)))
def test_bad_sigma_names_the_argument(name, value):
    with pytest.raises((ValueError, TypeError), match="sigma"):
        SIGMA_CALLS[name](value)


def test_mask_must_match_the_image():
    with pytest.raises(ValueError, match="mask"):
        restore.cnn_inpaint(GOOD, np.zeros((8, 8), bool))
    with pytest.raises(TypeError, match="mask"):
        restore.cnn_inpaint(GOOD, np.zeros((16, 16)))


# --------------------------------------------------------------------------- issue 17: sizes, scales, masks, tiles
SIZED_FUNCTIONS = {  # name -> (call, smallest side it accepts)
    "bm3d.bm3d": (lambda im: bm3d.bm3d(im, 0.1), 8),
    "bm3d.reference_bm3d": (lambda im: bm3d.reference_bm3d(im, 0.1), 8),  # 8x8 would segfault unguarded
    "baselines.classical_denoise(bm3d)": (lambda im: baselines.classical_denoise(im, 0.1, "bm3d"), 8),
    "baselines.classical_denoise(nl-means)": (lambda im: baselines.classical_denoise(im, 0.1, "nl-means"), 1),
    "restore.cnn_denoise": (lambda im: restore.cnn_denoise(im, 0.1), 1),
    "restore.cnn_denoise(blind)": (restore.cnn_denoise, 1),
    "restore.cnn_upscale": (restore.cnn_upscale, 1),
    "restore.cnn_inpaint": (lambda im: restore.cnn_inpaint(im, im > 0.6), 2),
    "baselines.classical_fill(telea)": (lambda im: baselines.classical_fill(im, im > 0.6, "telea"), 1),
}


@pytest.mark.parametrize("name", list(SIZED_FUNCTIONS))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=st.tuples(st.integers(1, 20), st.integers(1, 20)), seed=st.integers(0, 100))
def test_any_size_works_or_is_refused_before_compiled_code(name, shape, seed):
    """From 1x1 up: the right output, or a ValueError that states the minimum (never a crash inside C/TF code)."""
    call, smallest = SIZED_FUNCTIONS[name]
    image = np.random.default_rng(seed).uniform(0.2, 0.8, shape).astype(np.float32)
    if min(shape) < smallest:
        with pytest.raises(ValueError, match=f"at least {smallest}x{smallest}"):
            call(image)
        return
    out = call(image)
    assert out.shape[0] in (shape[0], 2 * shape[0]) and np.all(np.isfinite(out))


@pytest.mark.parametrize("name", [n for n in SIZED_FUNCTIONS if "classical_fill(" not in n])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scale=st.sampled_from([16, 255, 65535]), seed=st.integers(0, 100))
def test_images_on_another_scale_are_refused_with_the_right_hint(name, scale, seed):
    image = np.random.default_rng(seed).uniform(0.2, 1.0, (16, 16)).astype(np.float32) * scale
    with pytest.raises(ValueError) as info:
        SIZED_FUNCTIONS[name][0](image)
    message = str(info.value)
    assert ("divide by 255" in message) == (scale <= 255) and ("65535" in message) == (scale == 65535), message


@pytest.mark.parametrize("name", ["restore.cnn_inpaint", "baselines.classical_fill", "baselines.classical_fills"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mask=hnp.arrays(bool, st.tuples(st.integers(2, 24), st.integers(2, 24))), seed=st.integers(0, 100))
def test_any_mask_keeps_the_known_pixels(name, mask, seed):
    """Empty, full, scattered or solid masks: known pixels unchanged, filled pixels finite and in [0, 1]."""
    image = np.random.default_rng(seed).random(mask.shape).astype(np.float32)
    fill = {"restore.cnn_inpaint": restore.cnn_inpaint,
            "baselines.classical_fill": lambda im, m: baselines.classical_fill(im, m, "telea"),
            "baselines.classical_fills": lambda im, m: baselines.classical_fills(im, m)[..., 2]}[name]
    if mask.all():  # nothing known to fill from
        with pytest.raises(ValueError, match="mask is True .* at every pixel"):
            fill(image, mask)
        return
    out = fill(image, mask)
    assert out.shape == image.shape and np.all(np.isfinite(out)) and 0 <= out.min() and out.max() <= 1
    np.testing.assert_array_equal(out[~mask], image[~mask])


def _random_weights(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([0.3 * rng.standard_normal(w.shape).astype(np.float32) for w in model.get_weights()])
    return model


TINY = {
    "denoise": lambda: _random_weights(restore.build_denoiser(4, 4, seed=0), 1),
    "inpaint": lambda: _random_weights(restore.build_inpainter(width=4, seed=0), 2),
    "upscale": lambda: _random_weights(restore.build_upscaler(3, 4, seed=0), 3),
}
_tiny_models = {}


@pytest.mark.parametrize("task", list(TINY))
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=st.tuples(st.integers(1, 2), st.integers(1, 48), st.integers(1, 48)), tile=st.integers(1, 24),
       seed=st.integers(0, 100))
def test_tiling_never_changes_the_result(task, shape, tile, seed):
    """Any batch, image size and tile size: tiled output == untiled output (random, non-trivial weights)."""
    model = _tiny_models.setdefault(task, TINY[task]())
    rng = np.random.default_rng(seed)
    images = rng.random(shape).astype(np.float32)
    if task == "denoise":
        run = lambda t: restore.denoise_batch(model, images, rng.random(shape[0]) * 0 + 0.1, tile=t)  # noqa: E731
    elif task == "inpaint":
        if min(shape[1:]) < 2:
            return
        masks = rng.random(shape) < 0.2
        run = lambda t: restore.inpaint_batch(model, images, masks, tile=t)  # noqa: E731
    else:
        run = lambda t: restore.upscale_batch(model, images, tile=t)  # noqa: E731
    np.testing.assert_allclose(run(tile), run(10**6), atol=1e-4, rtol=1e-4)
