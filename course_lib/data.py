"""Offline data for the course: photos, textures, documents, digits, glyphs and faces.

Everything comes from files that ship inside installed packages (scikit-image,
scikit-learn, matplotlib); nothing is downloaded.  Every loader returns float32
arrays in [0, 1] and caches its result, so calling it twice is free.

Photos are split once and for all: :data:`TEST_PHOTOS` are for evaluation only
(never train on them), :data:`TRAIN_PHOTOS` are for training.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from .validate import check_choice, check_image, check_int

__all__ = [
    "as_float", "as_uint8", "to_gray", "load_photo", "train_photos", "test_photos", "textures", "documents",
    "digits", "glyphs", "faces", "random_patches", "TEST_PHOTOS", "TRAIN_PHOTOS", "TEXTURES", "DOCUMENTS",
    "GLYPH_FONTS", "DIGIT_SIZE", "GLYPHS_HELDOUT_SEED", "GLYPHS_OTHER_SEED",
]

#: Grayscale evaluation photos and their size: never used for training anything.
TEST_PHOTOS: dict[str, int] = {
    "camera": 512, "astronaut": 512, "coffee": 256, "chelsea": 256, "coins": 256, "clock": 256,
}
#: Training photos (full size, grayscale on request).
TRAIN_PHOTOS: tuple[str, ...] = (
    "rocket", "hubble_deep_field", "immunohistochemistry", "retina", "cell", "moon",
    "china", "flower", "motorcycle_left", "motorcycle_right", "grace_hopper",
)
TEXTURES: tuple[str, ...] = ("brick", "grass", "gravel")
DOCUMENTS: tuple[str, ...] = ("page", "text")
#: Side of the handwritten digits and of the glyphs (8x8, as in sklearn's digits).
DIGIT_SIZE = 8
#: Seed of the held-out real glyphs that generators and classifiers are evaluated against; no training set uses it.
GLYPHS_HELDOUT_SEED = 1001
#: Seed of a second, independent sample of real glyphs: the real-vs-real floor of KID and coverage.
GLYPHS_OTHER_SEED = 1002


def as_float(image: np.ndarray) -> np.ndarray:
    """Convert a uint8 (0-255), uint16 (0-65535), bool or float image to float32 in [0, 1].

    uint8 is divided by 255 and uint16 (16-bit PNG/TIFF) by 65535, so white stays 1.0.  Floats are checked to lie
    in [0, 1], never rescaled silently: values that look like 0-255 or 0-65535 raise a ``ValueError`` that says
    which division was forgotten.  Other integer dtypes raise a ``TypeError`` that says what to do.

    Parameters
    ----------
    image : ndarray, shape (H, W), (H, W, C) or (N, H, W, C)
        uint8 (0-255), uint16 (0-65535), bool (False → 0, True → 1) or float image in [0, 1].

    Returns
    -------
    ndarray, same shape, float32
        Values in [0, 1].

    Raises
    ------
    TypeError
        If ``image`` is not a numpy array, or its dtype is not uint8, uint16, bool or floating (the message for
        other integer dtypes names the conversion to make).
    ValueError
        If a float image has the wrong number of dimensions, holds NaN/inf or values outside [0, 1].

    Examples
    --------
    >>> as_float(np.array([[0, 51, 255]], dtype=np.uint8))
    array([[0. , 0.2, 1. ]], dtype=float32)
    >>> as_float(np.array([[65535]], dtype=np.uint16))
    array([[1.]], dtype=float32)
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f"image must be a numpy array; got {type(image).__name__}")
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    if image.dtype == np.uint16:
        return image.astype(np.float32) / 65535.0
    if image.dtype == bool:
        return image.astype(np.float32)
    if np.issubdtype(image.dtype, np.floating):
        return check_image(image, "image", ndim=(2, 3, 4))
    if np.issubdtype(image.dtype, np.integer):
        peak = int(image.max()) if image.size else 0
        todo = ("image.astype(np.uint8)" if 0 <= image.min() and peak <= 255 else
                "image.astype(np.uint16)" if 0 <= image.min() and peak <= 65535 else
                "image.astype(np.float32) scaled to [0, 1] by your data's own range")
        raise TypeError(f"image must be uint8, uint16, bool or float; got dtype {image.dtype} with values up to "
                        f"{peak} — convert it first, e.g. as_float({todo})")
    raise TypeError(f"image must be uint8, uint16, bool or float; got dtype {image.dtype}")


def as_uint8(image: np.ndarray) -> np.ndarray:
    """The 8-bit copy of a float image that OpenCV functions need: ``round(255 · clip(image, 0, 1))`` as uint8.

    The one conversion from the course's float32 [0, 1] images to 0-255 (the inverse of :func:`as_float` up to
    rounding); values outside [0, 1], such as unclipped noise, are clipped first.

    Parameters
    ----------
    image : ndarray, float
        Image of any shape on the 0-1 scale; finite values, possibly outside [0, 1].

    Returns
    -------
    ndarray, uint8
        Same shape, values 0-255.

    Raises
    ------
    TypeError
        If ``image`` is not a float numpy array.
    ValueError
        If ``image`` holds NaN or infinite values.

    Examples
    --------
    >>> as_uint8(np.array([-0.1, 0.5, 1.2], np.float32))
    array([  0, 128, 255], dtype=uint8)
    """
    if not isinstance(image, np.ndarray) or not np.issubdtype(image.dtype, np.floating):
        raise TypeError(f"image must be a float numpy array on the 0-1 scale; got "
                        f"{image.dtype if isinstance(image, np.ndarray) else type(image).__name__}")
    if not np.all(np.isfinite(image)):
        raise ValueError("image holds NaN or infinite values; uint8 cannot represent them")
    return np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)


def to_gray(image: np.ndarray) -> np.ndarray:
    """Grey level of an (H, W, 3) RGB float image with scikit-image's weights: 0.2125 R + 0.7154 G + 0.0721 B.

    These are the weights of ``skimage.color.rgb2gray`` (the same numbers, same result): the luminance
    coefficients of the ITU-R BT.709 / sRGB primaries, as given in Poynton's Color FAQ -- *not* ITU-R BT.601's
    0.299 R + 0.587 G + 0.114 B.  They are applied to the stored, gamma-encoded values, so the result is a luma
    (as ``rgb2gray`` computes it), not linear-light luminance.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3) or (H, W), float
        RGB image in [0, 1]; a grayscale image is returned as it is.

    Returns
    -------
    ndarray, shape (H, W), float32
        Values in [0, 1].

    Raises
    ------
    TypeError
        If ``image`` is not a float numpy array (uint8 included: use :func:`as_float`).
    ValueError
        If ``image`` is not (H, W) or (H, W, 3), or holds NaN/inf or values outside [0, 1].

    References
    ----------
    C. Poynton, "Frequently asked questions about color", 1997 (the reference of ``skimage.color.rgb2gray``);
    ITU-R Recommendation BT.709.

    Examples
    --------
    >>> import skimage.color
    >>> rgb = np.random.default_rng(0).random((4, 4, 3), dtype=np.float32)
    >>> bool(np.allclose(to_gray(rgb), skimage.color.rgb2gray(rgb)))
    True
    >>> to_gray(np.array([[[1.0, 0.0, 0.0]]], np.float32))   # pure red
    array([[0.2125]], dtype=float32)
    """
    image = check_image(image, "image", ndim=(2, 3))
    if image.ndim == 2:
        return image
    return (image @ np.array([0.2125, 0.7154, 0.0721], dtype=np.float32)).astype(np.float32)


def _center_crop(image: np.ndarray, size: int) -> np.ndarray:
    h, w = image.shape[:2]
    top, left = (h - size) // 2, (w - size) // 2
    return image[top : top + size, left : left + size]


@functools.cache
def _raw_photo(name: str) -> np.ndarray:
    import skimage.data

    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        return load_sample_image(f"{name}.jpg")
    if name == "grace_hopper":  # matplotlib's sample portrait, 600x512 JPEG
        import matplotlib.cbook
        import matplotlib.image

        return matplotlib.image.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    if name.startswith("motorcycle_"):
        left, right, _ = skimage.data.stereo_motorcycle()
        return left if name.endswith("left") else right
    return getattr(skimage.data, name)()


def load_photo(name: str, gray: bool = True) -> np.ndarray:
    """Load a photo, texture or document by name as float32 in [0, 1].

    Test photos are grayscale centre crops of the size in :data:`TEST_PHOTOS`.  The result is cached and
    read-only: copy it before editing.

    Parameters
    ----------
    name : str
        One of :data:`TEST_PHOTOS`, :data:`TRAIN_PHOTOS`, :data:`TEXTURES`, :data:`DOCUMENTS`.
    gray : bool
        Return the grey level ``(H, W)`` (:func:`to_gray`) instead of ``(H, W, 3)`` colour (an alpha channel
        is dropped).

    Returns
    -------
    ndarray, shape (H, W) or (H, W, 3), float32
        Values in [0, 1]; photos that are grayscale at the source stay (H, W) even with ``gray=False``.

    Raises
    ------
    ValueError
        If ``name`` is unknown.

    Examples
    --------
    >>> camera = load_photo("camera")
    >>> camera.shape, camera.dtype, camera.flags.writeable
    ((512, 512), dtype('float32'), False)
    """
    known = tuple(TEST_PHOTOS) + TRAIN_PHOTOS + TEXTURES + DOCUMENTS
    check_choice(name, "name", known)
    image = as_float(_raw_photo(name))
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[..., :3]
    if gray:
        image = to_gray(image)
    if name in TEST_PHOTOS:
        image = _center_crop(image, TEST_PHOTOS[name])
    image.setflags(write=False)  # cached arrays are shared: copy before editing
    return image


def test_photos(gray: bool = True) -> dict[str, np.ndarray]:
    """The held-out evaluation photos, ``{name: image}``: never train on them.

    Parameters
    ----------
    gray : bool
        Grayscale ``(H, W)`` (the default) or colour where the source has colour.

    Returns
    -------
    dict of str to ndarray
        One read-only float32 image in [0, 1] per name of :data:`TEST_PHOTOS`.
    """
    return {name: load_photo(name, gray) for name in TEST_PHOTOS}


def train_photos(gray: bool = True) -> dict[str, np.ndarray]:
    """The training photos, ``{name: image}``.

    Parameters
    ----------
    gray : bool
        Grayscale ``(H, W)`` (the default) or colour ``(H, W, 3)`` where the source has colour.

    Returns
    -------
    dict of str to ndarray
        One read-only float32 image in [0, 1] per name of :data:`TRAIN_PHOTOS`, at its full size.
    """
    return {name: load_photo(name, gray) for name in TRAIN_PHOTOS}


def textures() -> dict[str, np.ndarray]:
    """Grayscale textures (brick, grass, gravel), 512x512.

    Returns
    -------
    dict of str to ndarray, shape (512, 512), float32
        Read-only images in [0, 1].
    """
    return {name: load_photo(name) for name in TEXTURES}


def documents() -> dict[str, np.ndarray]:
    """Grayscale scanned documents (page, text).

    Returns
    -------
    dict of str to ndarray, shape (H, W), float32
        Read-only images in [0, 1].
    """
    return {name: load_photo(name) for name in DOCUMENTS}


@functools.cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)
    images.setflags(write=False)
    return images, bunch.target.astype(np.int64)


def digits(split: str = "all") -> tuple[np.ndarray, np.ndarray]:
    """sklearn's handwritten digits as ``(images (N, 8, 8) in [0, 1], labels (N,))``.

    The split is fixed so that every lesson evaluates on the same held-out digits.

    Parameters
    ----------
    split : {"all", "train", "test"}
        ``"all"`` (1797 images), ``"train"`` (the first 1297) or ``"test"`` (the last 500).

    Returns
    -------
    images : ndarray, shape (N, 8, 8), float32
        Ink counts of 4x4 blocks divided by 16: values in [0, 1]; read-only.
    labels : ndarray, shape (N,), int64
        Digits 0-9.

    Raises
    ------
    ValueError
        If ``split`` is unknown.

    References
    ----------
    E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten Digits", UCI Machine Learning Repository,
    1998 (``sklearn.datasets.load_digits``).

    Examples
    --------
    >>> images, labels = digits("test")
    >>> images.shape, labels[:5]
    ((500, 8, 8), array([0, 1, 2, 3, 4]))
    """
    check_choice(split, "split", ("all", "train", "test"))
    images, labels = _digits()
    cut = {"all": slice(None), "train": slice(0, 1297), "test": slice(1297, None)}[split]
    return images[cut], labels[cut]


#: matplotlib's bundled TrueType fonts that draw ordinary digits and letters.
GLYPH_FONTS: tuple[str, ...] = (
    "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique",
    "DejaVuSansMono", "DejaVuSansMono-Bold", "DejaVuSansMono-Oblique", "DejaVuSansMono-BoldOblique",
    "DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSerif-BoldItalic",
    "STIXGeneral", "STIXGeneralBol", "STIXGeneralItalic", "STIXGeneralBolIta",
    "cmr10", "cmb10", "cmss10", "cmtt10", "cmti10",
)
_GLYPH_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@functools.cache
def _font(name: str, size: int):
    import matplotlib
    from PIL import ImageFont

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / f"{name}.ttf"
    return ImageFont.truetype(str(path), size)


def _render_glyph(char: str, font: str, rng: np.random.Generator) -> np.ndarray:
    """Draw one glyph at 64 px with random stroke, rotation and shear; return a 32x32 binary bitmap.

    The 32x32 bitmap is the glyph's bounding box scaled to fit, as in the UCI digits preprocessing.
    """
    from PIL import Image, ImageDraw

    canvas = Image.new("L", (96, 96), 0)
    stroke = int(rng.integers(0, 3))
    ImageDraw.Draw(canvas).text((48, 48), char, fill=255, font=_font(font, 56), anchor="mm", stroke_width=stroke,
                                stroke_fill=255)
    shear, angle = rng.uniform(-0.25, 0.25), rng.uniform(-12, 12)
    canvas = canvas.rotate(angle, resample=Image.BILINEAR, center=(48, 48))
    canvas = canvas.transform(canvas.size, Image.AFFINE, (1, shear, -shear * 48, 0, 1, 0), resample=Image.BILINEAR)
    ink = np.asarray(canvas) > 127
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    box = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    # Fit the bounding box into 32x32 keeping the aspect ratio (a thin "1" stays thin), then centre it.
    scale = 32 / max(box.shape) * rng.uniform(0.8, 1.0)
    h, w = max(1, round(box.shape[0] * scale)), max(1, round(box.shape[1] * scale))
    small = np.asarray(Image.fromarray(box.astype(np.uint8) * 255).resize((w, h), Image.BILINEAR)) > 127
    out = np.zeros((32, 32), dtype=bool)
    top, left = (32 - h) // 2 + int(rng.integers(-1, 2)), (32 - w) // 2 + int(rng.integers(-1, 2))
    top, left = min(max(top, 0), 32 - h), min(max(left, 0), 32 - w)
    out[top : top + h, left : left + w] = small
    return out


@functools.lru_cache(maxsize=8)
def _glyphs(n: int, letters: bool, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_classes = 36 if letters else 10
    labels = np.arange(n) % n_classes
    rng.shuffle(labels)
    fonts = rng.integers(0, len(GLYPH_FONTS), size=n)
    bitmaps = np.stack([_render_glyph(_GLYPH_CHARS[c], GLYPH_FONTS[f], rng) for c, f in zip(labels, fonts)])
    # 4x4 blocks of the 32x32 bitmap counted on 0..16, exactly like sklearn's digits.
    counts = bitmaps.reshape(n, 8, 4, 8, 4).sum(axis=(2, 4))
    images = (counts / 16.0).astype(np.float32)
    images.setflags(write=False)
    return images, labels.astype(np.int64)


def glyphs(n: int = 2000, *, letters: bool = False, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Digits (and optionally letters) drawn with matplotlib's fonts, in sklearn-digits format.

    Each glyph gets a random font, stroke width, rotation (±12°), shear and position, is fitted
    into a 32x32 bitmap and reduced to 8x8 by counting ink in 4x4 blocks (values 0/16 ... 16/16),
    which is how the UCI handwritten digits were made.  This gives a large, cheap *source domain*
    that resembles, but is not, handwriting.

    Parameters
    ----------
    n : int
        Number of glyphs, in [1, 200000]; classes are balanced (``n // n_classes`` or one more each).
    letters : bool
        Also draw the letters A-Z (36 classes instead of 10).
    seed : int
        Seed (≥ 0) of the classes, fonts and distortions; the same seed gives the same glyphs (cached).

    Returns
    -------
    images : ndarray, shape (n, 8, 8), float32
        Values in [0, 1] (multiples of 1/16); read-only.
    labels : ndarray, shape (n,), int64
        0-9 for digits, 10-35 for letters A-Z.

    Raises
    ------
    TypeError
        If ``n`` or ``seed`` is not an integer.
    ValueError
        If ``n`` is outside [1, 200000] or ``seed`` < 0.

    Examples
    --------
    >>> images, labels = glyphs(20, seed=0)
    >>> images.shape, images.dtype, sorted(set(labels.tolist())) == list(range(10))
    ((20, 8, 8), dtype('float32'), True)
    """
    n = check_int(n, "n", 1, 200_000)
    seed = check_int(seed, "seed", 0)
    return _glyphs(n, bool(letters), seed)


@functools.cache
def faces() -> np.ndarray:
    """100 grayscale faces (25x25, float32 in [0, 1]) from skimage's LFW subset.

    The subset holds 200 images for face *detection*: the first 100 are faces, the last 100 are not,
    so only the first 100 are returned (scaled with the min/max of all 200).

    Returns
    -------
    ndarray, shape (100, 25, 25), float32
        Values in [0, 1]; read-only.

    References
    ----------
    G. B. Huang, M. Ramesh, T. Berg and E. Learned-Miller, "Labeled Faces in the Wild", University of
    Massachusetts, Amherst, Technical Report 07-49, 2007 (``skimage.data.lfw_subset``).
    """
    import skimage.data

    images = skimage.data.lfw_subset().astype(np.float32)
    images = ((images - images.min()) / (images.max() - images.min()))[:100].copy()
    images.setflags(write=False)
    return images


def random_patches(images, n: int, size: int, *, seed: int = 0) -> np.ndarray:
    """Cut ``n`` random ``size x size`` patches from a list of grayscale images.

    Images are drawn in proportion to their area, so every pixel is equally likely to be a patch corner's
    neighbour.

    Parameters
    ----------
    images : ndarray, sequence of ndarray, or dict of str to ndarray
        Grayscale float images ``(H, W)`` in [0, 1] (a dict's values are used), each at least ``size`` a side.
    n : int
        Number of patches (≥ 1).
    size : int
        Patch side in pixels (≥ 1).
    seed : int
        Seed of the choice of images and positions.

    Returns
    -------
    ndarray, shape (n, size, size), float32
        Values in [0, 1].

    Raises
    ------
    TypeError
        If an image is not a float numpy array, or ``n``/``size`` is not an integer.
    ValueError
        If an image is not 2-D or holds NaN/inf or values outside [0, 1], ``images`` is empty, ``n`` or ``size``
        < 1, or ``size`` exceeds an image.

    Examples
    --------
    >>> random_patches([np.zeros((16, 16), np.float32)], 3, 4).shape
    (3, 4, 4)
    """
    if isinstance(images, dict):
        images = list(images.values())
    if isinstance(images, np.ndarray):
        images = [images]
    images = [check_image(im, "images[i]", ndim=(2,), min_size=1) for im in images]
    if not images:
        raise ValueError("images must hold at least one image; got an empty list")
    n = check_int(n, "n", 1)
    size = check_int(size, "size", 1)
    small = [im.shape for im in images if min(im.shape) < size]
    if small:
        raise ValueError(f"size={size} is larger than some images (shapes {small[:3]}); use a smaller patch size")
    rng = np.random.default_rng(seed)
    areas = np.array([im.size for im in images], dtype=float)
    which = rng.choice(len(images), size=n, p=areas / areas.sum())
    out = np.empty((n, size, size), dtype=np.float32)
    for i, k in enumerate(which):
        h, w = images[k].shape
        top, left = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
        out[i] = images[k][top : top + size, left : left + size]
    return out
