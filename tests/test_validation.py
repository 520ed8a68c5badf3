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
