"""KID, FID and class coverage (course_lib.metrics): hand computations, references and the stated behaviour."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import linalg

from course_lib import metrics

RNG = np.random.default_rng(7)


@pytest.fixture(scope="module")
def digit_features():
    """Features of the shipped digit classifier for real glyphs (two disjoint sets), handwriting and noisy glyphs."""
    from course_lib.classifier import features, load_digit_classifier
    from course_lib.data import GLYPHS_HELDOUT_SEED, GLYPHS_OTHER_SEED, digits, glyphs

    model = load_digit_classifier()
    heldout, _ = glyphs(1000, seed=GLYPHS_HELDOUT_SEED)
    other, _ = glyphs(1000, seed=GLYPHS_OTHER_SEED)
    out = {"glyphs_a": features(model, heldout), "glyphs_b": features(model, other),
           "handwritten": features(model, digits("test")[0])}
    rng = np.random.default_rng(0)
    for sigma in (0.0, 0.1, 0.2, 0.3, 0.4):
        noisy = np.clip(heldout + sigma * rng.standard_normal(heldout.shape), 0, 1).astype(np.float32)
        out[f"noisy_{sigma}"] = features(model, noisy)
    return out


def _cubic(a, b):
    return (a @ b / len(a) + 1) ** 3


def test_mmd2_unbiased_matches_a_loop_over_pairs():
    x, y = RNG.standard_normal((6, 3)), RNG.standard_normal((5, 3)) + 0.5
    within_x = np.mean([_cubic(x[i], x[j]) for i, j in itertools.permutations(range(6), 2)])
    within_y = np.mean([_cubic(y[i], y[j]) for i, j in itertools.permutations(range(5), 2)])
    across = np.mean([_cubic(a, b) for a in x for b in y])
    assert metrics.mmd2_unbiased(x, y) == pytest.approx(within_x + within_y - 2 * across, rel=1e-10)


def test_kid_with_one_full_subset_is_the_unbiased_mmd():
    x, y = RNG.standard_normal((40, 4)), RNG.standard_normal((40, 4))
    mean, std = metrics.kid(x, y, n_subsets=1, subset_size=40)
    assert mean == pytest.approx(metrics.mmd2_unbiased(x, y)) and std == 0.0


def test_kid_is_unbiased_where_fid_is_not():
    """Same distribution: KID averages to ~0 (and is sometimes negative); FID is positive and shrinks with N."""
    kids, fids = [], {50: [], 400: []}
    for seed in range(20):
        rng = np.random.default_rng(seed)
        a, b = rng.standard_normal((400, 8)), rng.standard_normal((400, 8))
        kids.append(metrics.mmd2_unbiased(a[:50], b[:50]))
        for n in fids:
            fids[n].append(metrics.fid(a[:n], b[:n]))
    kids = np.array(kids)
    assert abs(kids.mean()) < 3 * kids.std(ddof=1) / np.sqrt(len(kids)) and kids.min() < 0
    assert min(fids[50]) > 0 and np.mean(fids[400]) < 0.3 * np.mean(fids[50])


def test_kid_of_real_vs_held_out_real_features_is_zero_within_its_error_bar(digit_features):
    heldout, other = digit_features["glyphs_a"], digit_features["glyphs_b"]
    mean, std = metrics.kid(heldout, other, n_subsets=50, subset_size=500)
    assert abs(mean) < 2 * std
    far, far_std = metrics.kid(heldout, digit_features["handwritten"], n_subsets=50, subset_size=500)
    assert far > 5 * far_std  # handwriting is a different distribution, and KID sees it


def test_kid_grows_monotonically_with_added_noise(digit_features):
    values = [metrics.kid(digit_features[f"noisy_{s}"], digit_features["glyphs_b"], n_subsets=20, subset_size=500)[0]
              for s in (0.0, 0.1, 0.2, 0.3, 0.4)]
    assert np.all(np.diff(values) > 0), values


def test_fid_matches_scipy_sqrtm_and_is_zero_for_identical_sets():
    a = RNG.standard_normal((300, 6))
    b = RNG.standard_normal((250, 6)) @ RNG.standard_normal((6, 6)) + 0.3
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    expected = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(ca + cb - 2 * linalg.sqrtm(ca @ cb).real)
    assert metrics.fid(a, b) == pytest.approx(expected, rel=1e-6)
    assert metrics.fid(a, a) == pytest.approx(0.0, abs=1e-6)


def test_fid_is_finite_with_singular_covariances():
    a = np.concatenate([RNG.standard_normal((100, 3)), np.zeros((100, 2))], axis=1)  # two dead "ReLU units"
    assert np.isfinite(metrics.fid(a, a + 0.1)) and metrics.fid(a, a + 0.1) == pytest.approx(0.05, rel=1e-6)


def test_class_coverage_by_hand():
    p = np.array([[0.95, 0.05, 0.0], [0.6, 0.4, 0.0], [0.0, 0.05, 0.95], [0.1, 0.0, 0.9]])
    result = metrics.class_coverage(p, threshold=0.9, min_share=0.3)
    assert result["confident_share"] == 0.75
    np.testing.assert_allclose(result["class_shares"], [0.5, 0.0, 0.5])
    assert result["classes_present"] == 2


def test_softmax_is_stable_and_normalised():
    p = metrics.softmax(np.array([[1000.0, 0.0], [0.0, 0.0]]))
    np.testing.assert_allclose(p, [[1.0, 0.0], [0.5, 0.5]])


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 3), st.integers(1, 5))
def test_feature_arrays_are_validated(ndim, width):
    bad = np.zeros((3,) * ndim)
    good = np.zeros((4, width))
    if ndim != 2 or bad.shape[1] != width:
        with pytest.raises(ValueError, match="features_a"):
            metrics.kid(bad, good)
    with pytest.raises(ValueError, match="same dimension"):
        metrics.fid(good, np.zeros((4, width + 1)))


def test_metric_errors_name_the_argument():
    with pytest.raises(TypeError, match="features_b must be a numpy array"):
        metrics.kid(np.zeros((4, 2)), [[0, 0]] * 4)
    with pytest.raises(ValueError, match="NaN"):
        metrics.fid(np.full((4, 2), np.nan), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="rows sum to 1"):
        metrics.class_coverage(np.ones((3, 4)))
    with pytest.raises(ValueError, match="threshold"):
        metrics.class_coverage(np.full((2, 2), 0.5), threshold=1.5)
