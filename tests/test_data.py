import numpy as np
import pytest

from course_lib import data


def test_test_and_train_photos_are_disjoint_and_camera_astronaut_are_test_only():
    assert not set(data.TEST_PHOTOS) & set(data.TRAIN_PHOTOS)
    assert {"camera", "astronaut"} <= set(data.TEST_PHOTOS)
    assert len(data.TEST_PHOTOS) >= 6


@pytest.mark.parametrize("name", list(data.TEST_PHOTOS))
def test_test_photos_are_gray_float_crops(name):
    image = data.load_photo(name)
    assert image.dtype == np.float32 and image.shape == (data.TEST_PHOTOS[name],) * 2
    assert 0 <= image.min() and image.max() <= 1 and image.std() > 0.02


def test_every_photo_loads_offline_in_range():
    for group in (data.train_photos(), data.textures(), data.documents()):
        for name, image in group.items():
            assert image.ndim == 2 and image.dtype == np.float32, name
            assert 0 <= image.min() <= image.max() <= 1, name


def test_colour_photo_and_cache_is_read_only():
    image = data.load_photo("rocket", gray=False)
    assert image.shape[2] == 3
    with pytest.raises(ValueError):
        image[0, 0, 0] = 1.0


def test_digits_split_is_fixed_and_disjoint():
    (a, _), (b, _) = data.digits("train"), data.digits("test")
    all_x, _ = data.digits()
    assert len(a) + len(b) == len(all_x) == 1797
    np.testing.assert_array_equal(np.concatenate([a, b]), all_x)
    assert set(np.unique(np.round(all_x * 16, 6))) <= set(range(17))


def test_glyphs_match_digit_format_and_are_seeded():
    x, y = data.glyphs(300, seed=5)
    assert x.shape == (300, 8, 8) and x.dtype == np.float32
    assert set(np.unique(np.round(x * 16, 6))) <= set(range(17))  # 17 grey levels like sklearn's digits
    assert set(y) == set(range(10)) and np.bincount(y).min() == 30
    x2, _ = data.glyphs(300, seed=5)
    np.testing.assert_array_equal(x, x2)
    assert not np.array_equal(x, data.glyphs(300, seed=6)[0])
    letters = data.glyphs(72, letters=True)[1]
    assert letters.max() == 35


def test_faces():
    faces = data.faces()
    assert faces.shape == (100, 25, 25) and 0 <= faces.min() < 0.1 and 0.9 < faces.max() <= 1


def test_random_patches_are_seeded_crops():
    image = np.arange(100, dtype=np.float32).reshape(10, 10) / 100
    patches = data.random_patches([image], 5, 4, seed=1)
    assert patches.shape == (5, 4, 4)
    for p in patches:  # each patch is a contiguous crop: rows step by 10/100, columns by 1/100
        np.testing.assert_allclose(np.diff(p, axis=1), 0.01, atol=1e-6)
        np.testing.assert_allclose(np.diff(p, axis=0), 0.10, atol=1e-6)
    np.testing.assert_array_equal(patches, data.random_patches([image], 5, 4, seed=1))


def test_as_float():
    assert data.as_float(np.array([[0, 255]], dtype=np.uint8)).tolist() == [[0.0, 1.0]]
    with pytest.raises(ValueError, match="divide by 255"):
        data.as_float(np.array([[0.0, 200.0]]))
    with pytest.raises(TypeError):
        data.as_float(np.array([[1, 2]], dtype=np.int64))


def test_as_float_accepts_16_bit_images():
    """16-bit PNG/TIFF arrays (uint16) are divided by 65535, so white stays 1.0."""
    out = data.as_float(np.array([[0, 32768, 65535]], dtype=np.uint16))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.0, 32768 / 65535, 1.0]], rtol=1e-6)
    with pytest.raises(TypeError, match=r"as_float\(image.astype\(np.uint16\)\)"):
        data.as_float(np.array([[0, 4000]], dtype=np.int32))


def test_the_divide_by_255_hint_only_for_values_up_to_255():
    sixteen_bit = np.array([[0, 1000, 65535]], dtype=np.uint16)
    with pytest.raises(ValueError) as info:
        data.as_float(sixteen_bit / 255)  # the usual 8-bit habit on a 16-bit image
    assert "255?" not in str(info.value) and "65535" in str(info.value)
    with pytest.raises(ValueError) as info:
        data.as_float(sixteen_bit.astype(np.float32))
    assert "255?" not in str(info.value) and "divide by 65535" in str(info.value)
    with pytest.raises(ValueError, match="divide by 255"):
        data.as_float(np.array([[0.0, 200.0]], np.float32))
    with pytest.raises(ValueError, match=r"\(x \+ 1\) / 2"):
        data.as_float(np.array([[-1.0, 1.0]], np.float32))
    with pytest.raises(ValueError, match="by 16"):
        data.as_float(np.array([[0.0, 16.0]], np.float32))


@pytest.mark.parametrize("vmin, vmax, expected", [
    (0, 1.2, "divide by 255"), (0, 16, "by 16"), (0, 255, "divide by 255"), (0, 256, "65535 instead"),
    (0, 4095, "divide by 65535"), (0, 65535, "divide by 65535"), (-1, 1, "(x + 1) / 2"), (0, 1e6, ""),
    (-300, 255, ""), (-0.5, 1.5, ""),
])
def test_scale_hint(vmin, vmax, expected):
    from course_lib.validate import scale_hint

    hint = scale_hint(vmin, vmax)
    assert (expected in hint) if expected else hint == ""
    assert ("255?" in hint) == (0 <= vmin and 1 < vmax <= 255)
