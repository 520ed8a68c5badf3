"""Exercises of lesson 03 (BM3D): block matching, the hard-threshold step, the aggregation weight, the Wiener
shrinkage and why step 2 helps."""

from __future__ import annotations

import numpy as np

from . import check_statements, close, exercise

# --- 03.threshold: the hard-thresholding step of step 1 -----------------------------------------------------


def hard_threshold_by_hand(spectra, threshold):
    """Zero every 3-D coefficient with |c| <= threshold, but keep each group's DC term spectra[g, 0, 0, 0].

    Parameters
    ----------
    spectra : ndarray, shape (n_groups, k, b, b), float
        3-D spectra of the groups.
    threshold : float
        λ3D·σ, ≥ 0 (0-1 image scale).

    Returns
    -------
    thresholded : ndarray, same shape as ``spectra``
    n_kept : ndarray, shape (n_groups,), int
        Number of kept coefficients per group (≥ 1).
    """
    keep = np.abs(spectra) > threshold
    keep[:, 0, 0, 0] = True
    return np.where(keep, spectra, 0), keep.sum(axis=(1, 2, 3))


def _threshold_wrong(spectra, threshold):
    keep = np.abs(spectra) > threshold
    keep[:, :, 0, 0] = True  # keeps the 2-D DC of every slice, not only the group's 3-D DC
    return np.where(keep, spectra, 0), keep.sum(axis=(1, 2, 3))


@exercise("03.threshold", "the hard-threshold step", solution=hard_threshold_by_hand, wrong=_threshold_wrong)
def _check_threshold(fn) -> str:
    from ..bm3d import hard_threshold

    rng = np.random.default_rng(3)
    spectra = rng.standard_normal((6, 4, 8, 8)).astype(np.float32)
    spectra[:3, 0, 0, 0] = 0.05  # small DC terms: must survive
    result = fn(spectra.copy(), 1.5)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise AssertionError(
            "return two things: the thresholded spectra and the number of kept coefficients per group.")
    got, n_kept = np.asarray(result[0]), np.asarray(result[1])
    expected, expected_n = hard_threshold(spectra, 1.5)
    if not (got.shape == spectra.shape):
        raise AssertionError(f"the thresholded spectra must keep the shape {spectra.shape}; got {got.shape}")
    if not np.allclose(got[:3, 0, 0, 0], 0.05):
        raise AssertionError(
            "the DC term spectra[g, 0, 0, 0] was zeroed. Hint: the course keeps it whatever its size (its choice; the "
            "paper thresholds it like any coefficient) — force it to True in your mask.")
    wrong = int(np.sum(~np.isclose(got, expected)))
    if not (wrong == 0):
        raise AssertionError(
            f"{wrong} coefficients differ. Hint: keep c where |c| > threshold (use np.abs), set the "
            "others to 0 — do not shrink the survivors; the one exemption is the group's 3-D DC "
            "spectra[g, 0, 0, 0], not the first coefficient of every block.")
    if not (n_kept.shape == (6,) and np.array_equal(n_kept, expected_n)):
        raise AssertionError(
            f"kept counts {n_kept.tolist()} should be {expected_n.tolist()}: count the kept coefficients of each group "
            "over axes (1, 2, 3), the DC included.")
    return "It matches course_lib.bm3d.hard_threshold."


# --- 03.weight: the aggregation weight of a step-1 group ------------------------------------------------------


def step1_weight(sigma, n_kept):
    """Aggregation weight of a group in step 1: 1 / (sigma² · N_har), N_har = number of kept coefficients.

    Parameters
    ----------
    sigma : float
        Noise standard deviation (> 0, 0-1 scale).
    n_kept : int or ndarray of int
        N_har per group (≥ 1).

    Returns
    -------
    float or ndarray
        The weight(s), > 0.
    """
    return 1.0 / (sigma**2 * n_kept)


def _weight_wrong(sigma, n_kept):
    return n_kept / sigma**2  # more surviving coefficients should mean *less* trust, not more


@exercise("03.weight", "predict the aggregation weight", solution=step1_weight, wrong=_weight_wrong)
def _check_weight(fn) -> str:
    for sigma, n_kept in ((25 / 255, 1), (25 / 255, 40), (50 / 255, 40), (15 / 255, 300)):
        expected = 1.0 / (sigma**2 * n_kept)
        close(fn(sigma, n_kept), expected, tol=1e-6 * expected, what=f"weight(σ={sigma:.3f}, N_har={n_kept})",
              hint="the estimate of a group is a sum of N_har coefficients, each with noise variance σ²: weight it "
                   "by the inverse of that total variance.")
    return "A group that kept 40 coefficients weighs 40x less than one that kept only its DC."


# --- 03.wiener: the empirical Wiener shrinkage of step 2 -------------------------------------------------------


def wiener_shrinkage(pilot_spectra, sigma):
    """Wiener coefficients W = |P|² / (|P|² + σ²) from the basic estimate's group spectra P.

    Parameters
    ----------
    pilot_spectra : array_like, float
        3-D spectra of the basic estimate's groups, any shape.
    sigma : float
        Noise standard deviation (> 0, 0-1 scale).

    Returns
    -------
    ndarray, same shape, float64
        W in [0, 1).
    """
    energy = np.asarray(pilot_spectra, dtype=np.float64) ** 2
    return energy / (energy + sigma**2)


def _wiener_wrong(pilot_spectra, sigma):
    magnitude = np.abs(pilot_spectra)
    return magnitude / (magnitude + sigma)  # amplitudes instead of energies


@exercise("03.wiener", "the empirical Wiener shrinkage", solution=wiener_shrinkage, wrong=_wiener_wrong)
def _check_wiener(fn) -> str:
    from ..bm3d import wiener

    rng = np.random.default_rng(4)
    pilot = (0.3 * rng.standard_normal((2, 4, 8, 8))).astype(np.float32)
    noisy = rng.standard_normal(pilot.shape).astype(np.float32)
    sigma = 25 / 255
    got = np.asarray(fn(pilot, sigma), dtype=np.float64)
    if not (got.shape == pilot.shape):
        raise AssertionError(f"W must have the shape of the spectra {pilot.shape}; got {got.shape}")
    if not (got.min() >= 0 and got.max() <= 1):
        raise AssertionError("Wiener coefficients lie in [0, 1]: they only ever shrink.")
    _, expected = wiener(noisy, pilot, sigma)
    err = float(np.max(np.abs(got - expected)))
    if not (err < 1e-5):
        raise AssertionError(
            f"W differs from the expected value by up to {err:.3g}. Hint: use energies (squares): "
            "W = P² / (P² + σ²); a coefficient with P = σ gets W = 1/2.")
    return "A pilot coefficient as large as σ is halved, a much larger one is kept, a much smaller one removed."


# --- 03.why: why step 2 helps ----------------------------------------------------------------------------------

WHY_STEP2 = {
    "A": "Step 2 matches blocks on the basic estimate, which is far less noisy, so its groups hold blocks that "
         "are really alike.",
    "B": "Its Wiener filter shrinks every coefficient by how much signal the basic estimate says it holds, "
         "instead of keeping or killing it at a fixed threshold.",
    "C": "Step 2 filters the basic estimate a second time, removing the noise that step 1 left behind.",
    "D": "Step 2 is needed because hard thresholding deletes the DC term of every group.",
    "E": "Step 2 trains the 3-D transform on the basic estimate, so it needs no parameters from the paper.",
}


def why_step2():
    """Return the set of letters of WHY_STEP2 that are true.

    Returns
    -------
    set of str
    """
    return {"A", "B"}


def _why_wrong():
    return {"A", "C"}


@exercise("03.why", "why step 2 helps", solution=why_step2, wrong=_why_wrong)
def _check_why(fn) -> str:
    hints = {
        "C": "C is false: step 2 filters the *noisy* image; the basic estimate only guides matching and shrinkage.",
        "D": "D is false: the DC is kept in step 1 (see exercise 1).",
        "E": "E is false: nothing is trained; the transforms are fixed (DCT, Haar) and the parameters come from the "
             "paper.",
    }
    check_statements(fn(), WHY_STEP2, {"A", "B"}, hints, where="the next cell")
    return "The next cell measures both effects."


# --- 03.match: block matching for one reference block, written and run ----------------------------------------


def match_one(image, y, x, n_blocks=16, block=8, window=39):
    """The ``n_blocks`` blocks closest to the reference block with top-left corner (y, x).

    The search covers the ``window`` x ``window`` square of top-left corners centred on (y, x), blocks that fit
    inside the image only; the distance is the mean squared difference per pixel (Dabov et al. 2007, eq. 4).

    Parameters
    ----------
    image : ndarray, shape (H, W), float
        The image to match on (the noisy image in step 1).
    y, x : int
        Top-left corner of the reference block.
    n_blocks : int
        How many blocks to return (N2).
    block : int
        Block side N1, pixels.
    window : int
        Side of the search window N_S (odd), pixels.

    Returns
    -------
    positions : ndarray, shape (n_blocks, 2), int
        Top-left corners, closest first; the reference block first.
    distances : ndarray, shape (n_blocks,), float
        Their distances to the reference block (image units squared).
    """
    h, w = image.shape
    ref = image[y:y + block, x:x + block]
    r = window // 2
    candidates = []
    for yy in range(max(0, y - r), min(h - block, y + r) + 1):          # only blocks that fit inside the image
        for xx in range(max(0, x - r), min(w - block, x + r) + 1):
            d = np.mean((image[yy:yy + block, xx:xx + block] - ref) ** 2)
            candidates.append((0.0 if (yy, xx) == (y, x) else d, (yy, xx) != (y, x), yy, xx))
    candidates.sort()                                                    # by distance; the reference wins ties
    best = candidates[:n_blocks]
    return np.array([(yy, xx) for _, _, yy, xx in best]), np.array([d for d, *_ in best])


def _match_wrong(image, y, x, n_blocks=16, block=8, window=39):
    h, w = image.shape
    ref = image[y:y + block, x:x + block]
    candidates = []
    for yy in range(y, min(h - block, y + window - 1) + 1):             # the window starts at the block, not around it
        for xx in range(x, min(w - block, x + window - 1) + 1):
            d = np.mean((image[yy:yy + block, xx:xx + block] - ref) ** 2)
            candidates.append((d, yy, xx))
    candidates.sort()
    best = candidates[:n_blocks]
    return np.array([(yy, xx) for _, yy, xx in best]), np.array([d for d, *_ in best])


@exercise("03.match", "block matching for one reference block", solution=match_one, wrong=_match_wrong)
def _check_match(fn) -> str:
    from ..bm3d import match_blocks
    from ..data import load_photo
    from ..degrade import add_gaussian_noise

    crop = np.ascontiguousarray(load_photo("camera")[200:296, 200:296])
    noisy = add_gaussian_noise(crop, 25 / 255, seed=0)
    for y, x in ((40, 44), (2, 85), (88, 0)):                            # inside, near the top-right, bottom-left
        result = fn(noisy, y, x)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise AssertionError("return (positions, distances)")
        positions, distances = np.asarray(result[0]), np.asarray(result[1], dtype=np.float64)
        if not (positions.shape == (16, 2) and distances.shape == (16,)):
            raise AssertionError(
                f"return the 16 closest blocks: positions of shape (16, 2) and distances of shape (16,); got "
                f"{positions.shape} and {distances.shape}")
        if not (tuple(positions[0]) == (y, x)):
            raise AssertionError(f"the reference block ({y}, {x}) must come first; got {positions[0]}")
        groups = match_blocks(noisy, at=(y, x), max_blocks=16, tau=np.inf)
        expected = groups.distances[0]
        worst = float(np.max(np.abs(np.sort(distances) - expected)))
        if not (worst < 1e-6):
            raise AssertionError(
                f"at reference block ({y}, {x}) your 16 distances differ from course_lib.bm3d.match_blocks' by up to "
                f"{worst:.3g} (yours {np.round(np.sort(distances)[1:4], 5)}…, expected {np.round(expected[1:4], 5)}…). "
                "Hint: search the window x window square *centred* on the block (y - 19 … y + 19), keep only blocks "
                "that fit inside the image, and use the mean squared difference per pixel.")
        got = {tuple(p) for p in positions}
        same = len(got & {tuple(p) for p in groups.positions[0]})
        if not (same >= 15):
            raise AssertionError(f"only {same} of your 16 blocks are among match_blocks' 16 at ({y}, {x})")
    return "Your matches equal course_lib.bm3d.match_blocks' (which does all reference blocks at once, vectorised)."
