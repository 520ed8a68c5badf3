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


def test_kid_is_the_unbiased_mmd_of_standardised_subsets_times_1000():
    x, y = RNG.standard_normal((60, 4)) * 5 + 2, RNG.standard_normal((50, 4)) * 5 + 2.5
    mean, std = metrics.kid(x, y, n_subsets=3, subset_size=40, seed=4)
    mu, sd = y.mean(0), y.std(0)
    rng = np.random.default_rng(4)
    values = [1e3 * metrics.mmd2_unbiased((x[rng.choice(60, 40, replace=False)] - mu) / sd,
                                          (y[rng.choice(50, 40, replace=False)] - mu) / sd) for _ in range(3)]
    assert mean == pytest.approx(np.mean(values), rel=1e-10) and std == pytest.approx(np.std(values), rel=1e-10)
    assert std > 0  # subsets smaller than both sets: a real spread


def test_kid_does_not_depend_on_the_feature_scale():
    x, y = RNG.standard_normal((300, 6)), RNG.standard_normal((300, 6)) + 0.3
    assert metrics.kid(100 * x, 100 * y)[0] == pytest.approx(metrics.kid(x, y)[0], rel=1e-9)


def test_kid_floor_is_zero_and_a_shift_is_clearly_positive():
    rng = np.random.default_rng(3)
    real = rng.standard_normal((1000, 8))
    floor, floor_se = metrics.kid(real[:500], real[500:], stats=metrics.reference_stats(real))
    assert abs(floor) < 2 * floor_se
    shifted, shifted_se = metrics.kid(rng.standard_normal((1000, 8)) + 0.5, real[500:])
    assert shifted > 4 * shifted_se and shifted > 4 * floor_se


def test_kid_refuses_subsets_as_large_as_a_set():
    with pytest.raises(ValueError, match="subset_size must be smaller than both sets"):
        metrics.kid(np.zeros((500, 3)), np.ones((500, 3)), subset_size=500)


def _brute_force_prdc(fake, real, k):
    """Precision, recall, density and coverage with explicit loops (Kynkäänniemi et al. 2019; Naeem et al. 2020)."""
    def kth(points, i):
        return sorted(np.linalg.norm(points[i] - points[j]) for j in range(len(points)) if j != i)[k - 1]

    r_real = [kth(real, i) for i in range(len(real))]
    r_fake = [kth(fake, j) for j in range(len(fake))]
    inside = [[np.linalg.norm(f - r) <= r_real[i] for i, r in enumerate(real)] for f in fake]
    precision = np.mean([any(row) for row in inside])
    recall = np.mean([any(np.linalg.norm(fake[j] - r) <= r_fake[j] for j in range(len(fake))) for r in real])
    density = sum(map(sum, inside)) / (k * len(fake))
    coverage = np.mean([any(inside[j][i] for j in range(len(fake))) for i in range(len(real))])
    return {"precision": precision, "recall": recall, "density": density, "coverage": coverage}


def test_precision_recall_match_a_brute_force_computation():
    rng = np.random.default_rng(5)
    real = rng.standard_normal((40, 3)) * [1, 2, 3]
    fake = rng.standard_normal((30, 3)) * [1, 2, 3] * 0.6 + 0.8
    mean, std = real.mean(0), real.std(0)
    expected = _brute_force_prdc((fake - mean) / std, (real - mean) / std, k=5)
    got = metrics.precision_recall(fake, real, k=5)
    for key in expected:
        assert got[key] == pytest.approx(expected[key], abs=1e-12), key
    assert 0 < got["precision"] < 1 and 0 < got["recall"] < 1


def test_precision_recall_see_a_memoriser_and_a_collapse():
    rng = np.random.default_rng(6)
    real = rng.standard_normal((400, 4))
    copies = metrics.precision_recall(real[rng.integers(0, 10, 400)], real)  # 10 training images, repeated
    assert copies["precision"] == 1.0 and copies["recall"] < 0.05 and copies["coverage"] < 0.25
    fair = metrics.precision_recall(rng.standard_normal((400, 4)), real)
    assert fair["precision"] > 0.8 and fair["recall"] > 0.8 and 0.7 < fair["density"] < 1.3


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
    mean, std = metrics.kid(other, heldout)
    assert abs(mean) < 2 * std
    far, far_std = metrics.kid(digit_features["handwritten"], heldout)
    assert far > 5 * far_std  # handwriting is a different distribution, and KID sees it


def test_kid_grows_monotonically_with_added_noise(digit_features):
    values = [metrics.kid(digit_features[f"noisy_{s}"], digit_features["glyphs_b"], n_subsets=20)[0]
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
