"""Bad input to every public image function raises a clear ValueError/TypeError naming the argument."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib import data, degrade, metrics, viz

GOOD = np.full((16, 16), 0.5, dtype=np.float32)

# name -> callable taking the image under test (other arguments valid)
IMAGE_FUNCTIONS = {
    "degrade.add_gaussian_noise": lambda im: degrade.add_gaussian_noise(im, 0.1),
    "degrade.add_poisson_noise": lambda im: degrade.add_poisson_noise(im, 30),
    "degrade.salt_and_pepper": lambda im: degrade.salt_and_pepper(im, 0.1),
    "degrade.gaussian_blur": lambda im: degrade.gaussian_blur(im, 1.0),
    "degrade.downsample": lambda im: degrade.downsample(im, 2),
    "degrade.jpeg": lambda im: degrade.jpeg(im, 50),
    "degrade.apply_mask": lambda im: degrade.apply_mask(im, np.zeros((16, 16), bool)),
    "degrade.apply_degradation": lambda im: degrade.apply_degradation(im, "blur", 1.0),
    "degrade.strength_for_psnr": lambda im: degrade.strength_for_psnr(im, "blur", 30.0),
    "metrics.mse(reference)": lambda im: metrics.mse(im, GOOD),
    "metrics.psnr(reference)": lambda im: metrics.psnr(im, GOOD),
    "metrics.ssim(reference)": lambda im: metrics.ssim(im, GOOD),
    "data.to_gray": data.to_gray,
    "data.random_patches": lambda im: data.random_patches([im], 2, 4),
}

bad_values = st.sampled_from([np.nan, np.inf, -np.inf, -0.5, 1.5, 255.0])
bad_images = st.one_of(
    # values outside [0, 1] or not finite, at a random pixel
    st.tuples(bad_values, st.integers(0, 15), st.integers(0, 15)).map(
        lambda t: np.where(np.arange(256).reshape(16, 16) == t[1] * 16 + t[2], t[0], 0.5).astype(np.float32)),
    # wrong dtype
    st.sampled_from([np.uint8, np.int32, np.int64, bool, np.complex64]).map(lambda d: np.zeros((16, 16), dtype=d)),
    # wrong rank or empty
    hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=4).filter(lambda s: len(s) not in (2, 3)).map(
        lambda s: np.zeros(s, dtype=np.float32)),
    st.sampled_from([(0, 0), (0, 5), (4, 4, 2), (4, 4, 5)]).map(lambda s: np.zeros(s, dtype=np.float32)),
    # not an array at all
    st.sampled_from([None, 0.5, "image", [[0.1, 0.2]]]),
)


@pytest.mark.parametrize("name", list(IMAGE_FUNCTIONS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(image=bad_images)
def test_bad_images_raise_clear_errors(name, image):
    with pytest.raises((ValueError, TypeError)) as info:
        IMAGE_FUNCTIONS[name](image)
    message = str(info.value)
    assert any(word in message for word in ("image", "reference", "images[i]", "size")), message


@pytest.mark.parametrize("name", list(IMAGE_FUNCTIONS))
def test_good_images_work(name):
    IMAGE_FUNCTIONS[name](GOOD)


SCALAR_CALLS = {
    "sigma": lambda v: degrade.add_gaussian_noise(GOOD, v),
    "peak": lambda v: degrade.add_poisson_noise(GOOD, v),
    "amount": lambda v: degrade.salt_and_pepper(GOOD, v),
    "sigma_px": lambda v: degrade.gaussian_blur(GOOD, v),
    "factor": lambda v: degrade.downsample(GOOD, v),
    "quality": lambda v: degrade.jpeg(GOOD, v),
    "target_db": lambda v: degrade.strength_for_psnr(GOOD, "blur", v),
}


@pytest.mark.parametrize("argument", list(SCALAR_CALLS))
@settings(max_examples=40, deadline=None)
@given(value=st.one_of(st.sampled_from([np.nan, np.inf, -1.0, -1, 1e9, 1e300, "0.1", None, True, 2.5j]),
                       st.floats(min_value=1e7, max_value=1e12)))
def test_bad_scalars_name_the_argument(argument, value):
    with pytest.raises((ValueError, TypeError), match=argument):
        SCALAR_CALLS[argument](value)


def test_mask_errors():
    with pytest.raises(TypeError, match="mask"):
        degrade.apply_mask(GOOD, np.zeros((16, 16)))
    with pytest.raises(ValueError, match="mask"):
        degrade.apply_mask(GOOD, np.zeros((8, 8), bool))


def test_unknown_names():
    with pytest.raises(ValueError, match="name"):
        data.load_photo("lena")
    with pytest.raises(ValueError, match="kind"):
        degrade.apply_degradation(GOOD, "fog", 1.0)
    with pytest.raises(ValueError, match="split"):
        data.digits("validation")
    with pytest.raises(ValueError, match="titles"):
        viz.show_images([GOOD], ["a", "b"])


# --------------------------------------------------------------------------- issue 17: scales, sizes, stores, Ctrl-C
SCALES = (1, 16, 255, 65535)


@pytest.mark.parametrize("name", list(IMAGE_FUNCTIONS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scale=st.sampled_from(SCALES), seed=st.integers(0, 2**16))
def test_value_scales_get_the_right_hint(name, scale, seed):
    """An image on the 0-16, 0-255 or 0-65535 scale is refused; "divide by 255" only for values in (1, 255]."""
    image = np.random.default_rng(seed).random((16, 16)).astype(np.float32)
    image.flat[0] = 1.0  # the maximum is exactly `scale` after scaling
    image *= scale
    if scale == 1:
        IMAGE_FUNCTIONS[name](image)
        return
    with pytest.raises(ValueError) as info:
        IMAGE_FUNCTIONS[name](image)
    message = str(info.value)
    assert ("divide by 255" in message) == (scale <= 255), message
    assert ("65535" in message) == (scale == 65535), message


@settings(max_examples=200, deadline=None)
@given(vmin=st.floats(-1e5, 1e5), span=st.floats(0, 1e5))
def test_scale_hint_property(vmin, span):
    from course_lib.validate import scale_hint

    vmax = vmin + span
    hint = scale_hint(vmin, vmax)
    assert ("divide by 255" in hint) == (-1e-6 <= vmin and 1 < vmax <= 255)  # -1e-6: float rounding
    if vmin >= 0 and 257.01 < vmax <= 65535:
        assert "divide by 65535" in hint


ANY_SIZE_FUNCTIONS = {
    "data.as_float": data.as_float, "data.to_gray": data.to_gray,
    "degrade.add_gaussian_noise": lambda im: degrade.add_gaussian_noise(im, 0.1),
    "degrade.jpeg": lambda im: degrade.jpeg(im, 50), "degrade.gaussian_blur": lambda im: degrade.gaussian_blur(im, 1),
    "degrade.upsample": lambda im: degrade.upsample(im, 2), "degrade.downsample": lambda im: degrade.downsample(im, 2),
    "metrics.psnr": lambda im: metrics.psnr(im, 0.9 * im), "metrics.ssim": lambda im: metrics.ssim(im, 0.9 * im),
}


@pytest.mark.parametrize("name", list(ANY_SIZE_FUNCTIONS))
@settings(max_examples=30, deadline=None)
@given(shape=st.tuples(st.integers(1, 24), st.integers(1, 24)))
def test_small_sizes_work_or_say_the_minimum(name, shape):
    image = np.full(shape, 0.5, np.float32)
    try:
        out = ANY_SIZE_FUNCTIONS[name](image)
    except ValueError as error:
        assert any(w in str(error) for w in ("at least", "smaller than", "size")), error
        return
    assert np.all(np.isfinite(out))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 400), flip=st.integers(0, 10**6), which=st.sampled_from(["manifest", "weights"]))
def test_a_damaged_store_always_gives_a_checkpoint_error(tmp_path_factory, cut, flip, which):
    """Any truncation of the manifest or any flipped byte in a weights file: one CheckpointError naming the path."""
    import os

    from course_lib import checkpoints
    from course_lib.classifier import build_classifier

    folder = tmp_path_factory.mktemp("store")
    old = os.environ.get("COURSE_CHECKPOINTS")
    os.environ["COURSE_CHECKPOINTS"] = str(folder)
    try:
        checkpoints.save_checkpoint(build_classifier(10, width=2, seed=0), "tiny", train_seconds=1, quality={})
        path = folder / ("manifest.json" if which == "manifest" else "tiny.weights.h5")
        raw = bytearray(path.read_bytes())
        if which == "manifest":
            if cut >= len(raw) - 2:  # still the whole JSON object
                return
            raw = raw[:cut]
        else:
            raw[flip % len(raw)] ^= 0xFF
        path.write_bytes(bytes(raw))
        with pytest.raises(checkpoints.CheckpointError, match=str(folder)):
            checkpoints.verify("tiny")
    finally:
        if old is None:
            os.environ.pop("COURSE_CHECKPOINTS")
        else:
            os.environ["COURSE_CHECKPOINTS"] = old


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 12), at=st.integers(0, 11), where=st.sampled_from(["signal in step", "between steps"]))
def test_ctrl_c_message_names_the_weights_the_model_holds(n, at, where):
    """Wherever Ctrl-C lands, "keeps the weights of step k" is the number of updates applied."""
    import contextlib
    import io
    import os
    import signal

    from course_lib import train

    applied = []

    def step(i):
        applied.append(i)
        if where == "signal in step" and i == at:
            os.kill(os.getpid(), signal.SIGINT)
        return {"loss": 0.0}

    def on_log(i, _logs):
        if where == "between steps" and i == at:
            raise KeyboardInterrupt

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        history = train.run_steps(step, n, on_log=on_log)
    assert history["completed"] == [len(applied)]
    if at < n:
        assert f"keeps the weights of step {len(applied)}." in out.getvalue()
    else:
        assert "interrupted_at" not in history and len(applied) == n
