# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,exercise,-all
#     formats: lessons///ipynb,lessons///py:percent
#     notebook_metadata_filter: kernelspec,jupytext,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 03 — BM3D: block matching and 3-D collaborative filtering
#
# *Transfer Learning for Image Generation and Restoration* · lesson 3 of 5
#
# **You will learn to**
# - show that natural images repeat themselves, and find the repeats with vectorised *block matching*;
# - explain why a *group* of similar blocks is sparser in a 3-D transform than one block in a 2-D transform — and measure it;
# - write both steps of BM3D (hard thresholding, then empirical Wiener filtering) as equations that match the code line by line;
# - explain the aggregation weights and what each ingredient of BM3D is worth, measured by removing it;
# - compare BM3D with NL-means, Gaussian blur and the authors' reference package — and recognise NL-means sold as "BM3D".
#
# **Prerequisites:** lesson 00 (images in $[0, 1]$, σ on that scale, PSNR); numpy; what a 2-D DCT is helps.
# **Run time (2-core laptop):** the first cell prints it for quick mode (`COURSE_QUICK=1`) and full mode (larger
# images, three noise levels, the reference package on 512×512 photos), as measured by `benchmarks/lesson_timings.py`.
# Nothing is trained and nothing is downloaded.
#
# BM3D is K. Dabov, A. Foi, V. Katkovnik and K. Egiazarian, *Image denoising by sparse 3-D transform-domain
# collaborative filtering*, IEEE TIP 16(8), 2007. Everything below runs `course_lib.bm3d`, a from-scratch
# implementation in a few hundred lines of commented numpy that you can read; we check it against the authors' own compiled
# implementation (the `bm3d` package) throughout.

# %% tags=["rerun"]
import inspect
import time

import matplotlib.pyplot as plt
import numpy as np

from course_lib import baselines, bm3d, bm3d_viz, data, degrade, metrics, viz
from course_lib.config import is_quick, lesson_run_time, load_benchmark, quick, seed_everything
from course_lib.exercises import check, reveal  # noqa: F401 (reveal: see the commented lines)
from course_lib.exercises.l03_bm3d import WHY_STEP2

seed_everything(0)
size = quick(256, 128)                                  # side of the working crop
camera = data.load_photo("camera")                      # 512x512 test photo (never used for tuning)
crop = np.ascontiguousarray(camera[256 - size // 2 : 256 + size // 2, 256 - size // 2 : 256 + size // 2])
print("quick mode" if is_quick() else "full mode", f"| working crop {crop.shape} |", lesson_run_time("03_bm3d"))

# %% [markdown]
# ## 1. The idea in four equations
#
# Let $Z = Y + \eta$ be the noisy image, $\eta \sim \mathcal N(0, \sigma^2)$ per pixel, and $Z_x$ the
# $N_1 \times N_1$ block with top-left corner $x$. BM3D repeats three moves, twice:
#
# 1. **Grouping by block matching.** For a reference block $Z_{x_R}$, collect the blocks that look like it,
#    $$S_{x_R} = \{x : d(Z_{x_R}, Z_x) \le \tau_{match}\},\qquad d(Z_{x_R}, Z_x) = \frac{\|Z_{x_R} - Z_x\|_2^2}{N_1^2},$$
#    keep the $N_2$ closest (a power of two) and stack them into a 3-D array $\mathbf Z_{S_{x_R}}$ (`match_blocks`).
# 2. **Collaborative filtering.** Transform the group with a separable 3-D transform — a 2-D transform of every
#    block, then a 1-D Haar transform across the stack (`transform_3d`) — shrink, and invert:
#    $$\hat{\mathbf Y}_{S_{x_R}} = \mathcal T_{3D}^{-1}\big(\text{shrink}(\mathcal T_{3D}(\mathbf Z_{S_{x_R}}))\big).$$
# 3. **Aggregation.** Every block of every group is an estimate of its pixels; average them with weights
#    $w_{x_R}$ and a Kaiser window $K$ (`aggregate`):
#    $$\hat y(x) = \frac{\sum_{x_R} \sum_{x_m \in S_{x_R}} w_{x_R}\, K(x - x_m)\, \hat Y^{x_R}_{x_m}(x)}{\sum_{x_R} \sum_{x_m \in S_{x_R}} w_{x_R}\, K(x - x_m)}.$$
#
# **Step 1** shrinks by hard thresholding and gives the *basic estimate*; **step 2** matches again *on the basic
# estimate* and shrinks the noisy groups with an empirical Wiener filter that uses the basic estimate as an oracle.
#
# | parameter | meaning | step 1 | step 2 | where it comes from |
# |---|---|---|---|---|
# | $N_1$ | block side | 8 | 8 | Dabov et al. 2007, parameters for σ ≤ 40 |
# | $N_{step}$ | distance between reference blocks | 3 | 3 | same |
# | $N_S$ | search window side | 39 | 39 | same |
# | $N_2$ | most blocks per group | 16 | 32 | same |
# | $\tau_{match}$ | largest block distance (0–255 units) | 2500 | 400 | same (the authors' `bm3d` package: 3000 / 400) |
# | $\lambda_{3D}$ | hard threshold, in units of σ | 2.7 | — | same (the package uses 3.0 for white noise) |
# | $\beta$ | Kaiser window | 2.0 | 2.0 | same |
# | $\mathcal T_{2D}$, $\mathcal T_{1D}$ | transforms | bior1.5, Haar | DCT, Haar | same |
#
# For σ > 40 the paper switches profile ($N_1$ = 12 / 11, $N_{step}$ = 4 / 6, $\lambda_{2D}$ = 2.0 pre-filter in
# matching, $\lambda_{3D}$ = 2.8, $\tau_{match}$ = 5000 / 3500, DCT in step 1): `bm3d.bm3d(..., profile="paper")`.
# The same values are in the authors' package (`bm3d/profiles.py`: `BM3DProfile`, and `BM3DProfileVNOld` for the
# paper's σ > 40 setting). Section 10 measures that profile; the default keeps the σ ≤ 40 values at every σ.

# %%
print(bm3d.NORMAL.hard)
print(bm3d.NORMAL.wiener)
print("lambda_3d =", bm3d.NORMAL.lambda_3d, "| sigma > 40 profile:", bm3d.HIGH_NOISE.hard)

# %% [markdown]
# ## 2. Why patches repeat
#
# Block matching only helps if an image contains blocks that look alike. Natural images do: edges continue,
# textures repeat, flat areas are everywhere. Below, for every 8×8 block of the crop we measure the distance to
# its **16th** closest block in its 39×39 window, on the photo and on the same pixels shuffled at random (same
# histogram, no structure). If photos were "random", both histograms would coincide.

# %% tags=["rerun"]
recurrence = bm3d_viz.patch_recurrence(crop)
for name, dist in recurrence.items():
    print(f"{name:<16} median RMS distance to the 16th closest block: {np.median(dist):6.1f} (0-255 units)")
print(f"two noisy copies of one block at σ = 25 differ by about √2·σ = {np.sqrt(2) * 25:.1f} (RMS)")
bm3d_viz.recurrence_figure(crop);

# %% [markdown]
# For comparison, two noisy copies of the *same* block differ by about $\sqrt 2\,\sigma$ in RMS (last line
# above): compare it with the photo's median. Many blocks have a dozen look-alikes closer than the noise that we
# want to remove; that redundancy is what BM3D exploits.
#
# ## 3. Block matching, vectorised
#
# A direct loop over reference blocks × displacements × pixels is $\approx 7000 \times 39^2 \times 64$ operations
# for a 256×256 image — far too slow in Python. `block_distances` turns it around: for one vertical displacement
# $d_y$, the squared differences between the image and its shifted copy are computed for *all* horizontal
# displacements at once (a `sliding_window_view`), and box sums over the 8 rows and 8 columns of each block give
# the distances of every reference block in one go. One Python loop of 39 iterations remains.

# %%
print(inspect.getsource(bm3d.block_distances))

# %% [markdown]
# `match_blocks` then keeps, for each reference block, the $N_2$ closest blocks (`np.argpartition`), sorts them,
# and cuts the group at $\tau_{match}$, rounded down to a power of two (the Haar transform needs it). The
# reference block is always first. Here is one group, found on a noisy image (σ = 25): the yellow boxes are its
# members, the strip shows them noisy and clean, with their distances. An edge repeats along its length, so the
# group runs along the tripod's leg.

# %%
bm3d_viz.match_view(crop, y=quick(150, 86), x=quick(156, 92), sigma255=25);   # a block on the tripod's leg

# %% [markdown]
# ### Exercise 1 — block matching, written and run
# Write `match_one(image, y, x, n_blocks=16, block=8, window=39)` for **one** reference block, the plain way: loop
# over the top-left corners $(y', x')$ of the `window`×`window` square *centred* on $(y, x)$ (keep only blocks that
# fit inside the image), compute $d = \frac{1}{N_1^2}\lVert Z_{(y, x)} - Z_{(y', x')}\rVert_2^2$ (`np.mean` of the
# squared difference), and return the `n_blocks` closest as `(positions, distances)`: arrays of shape `(n, 2)` and
# `(n,)`, closest first, the reference block itself first. The check compares your matches with `match_blocks` at
# three reference blocks of a noisy crop (one near a border); the cell after it times both.

# %% exercise="03.match" tags=["exercise"]
def match_one(image, y, x, n_blocks=16, block=8, window=39):
    ...  # your code here: two loops over the window, a distance per block, sort, keep the n_blocks closest


# %%
match_one = check("03.match", match_one)
# reveal("03.match")
noisy25 = degrade.add_gaussian_noise(crop, 25 / 255, seed=0)
start = time.perf_counter()
positions, distances = match_one(noisy25, 40, 44)
yours = time.perf_counter() - start
start = time.perf_counter()
everything = bm3d.match_blocks(noisy25, tau=np.inf)
library = time.perf_counter() - start
print(f"your loop: one reference block in {yours * 1000:.1f} ms; match_blocks: all {len(everything.sizes)} "
      f"reference blocks in {library * 1000:.0f} ms ({yours * len(everything.sizes) / library:.0f}× faster per "
      f"block). Your group's distances: {np.round(distances[:5] * 255**2, 0)}… (0-255 units)")

# %% [markdown]
# **How σ changes the matches.** Noise adds $2\sigma^2$ to every distance on average, so at high σ the noise, not
# the image, decides which blocks look closest. We measure, for every reference block, which fraction of its 16
# matches on the noisy image are also among its 16 matches on the clean image — and the same when matching on
# BM3D's basic estimate (what step 2 does).

# %% tags=["rerun"]
agreement = bm3d_viz.match_agreement(crop, quick((5, 15, 25, 50, 75), (15, 50)))
print(f"{'σ':>5} {'noisy ∩ clean':>14} {'basic ∩ clean':>14} {'mean step-1 group size':>24}")
for s, a, b, g in zip(agreement["sigma255"], agreement["noisy"], agreement["basic"], agreement["group_size"]):
    print(f"{s:>5.0f} {a:>14.0%} {b:>14.0%} {g:>24.1f}")
fig, ax = plt.subplots(figsize=(5.5, 3.2))
ax.plot(agreement["sigma255"], agreement["noisy"], "o-", label="matched on the noisy image (step 1)")
ax.plot(agreement["sigma255"], agreement["basic"], "s-", label="matched on the basic estimate (step 2)")
ax.set_xlabel("σ (0-255 units)")
ax.set_ylabel("matches shared with the clean image")
ax.set_title("noise corrupts block matching")
ax.legend()
fig.tight_layout()

# %% [markdown]
# Move the reference block and σ yourself with the sliders below (ipywidgets, wired by `course_lib.widgets.explore`;
# the figure redraws when you release a slider). The callback is `bm3d_viz.match_view`, a plain function.

# %% tags=["widget", "nbval-ignore-output"]
bm3d_viz.match_explorer(crop)

# %% [markdown]
# ## 4. Sparsity in the 3-D transform domain
#
# The transforms are matrices: a 2-D transform of a block $B$ is $T B T^\top$, and a 1-D transform along a group of
# $k$ blocks is a $k \times k$ matrix $H_k$ applied across the stack. Thresholds of the form $\lambda\sigma$ only
# mean something if every coefficient of white noise has variance $\sigma^2$: the DCT and the Haar matrices are
# **orthonormal**; the bior1.5 wavelet is *biorthogonal* (its rows are not perpendicular), so `course_lib` scales
# its rows to unit norm and inverts it with `np.linalg.inv`. Checked numerically:

# %%
D, H, W = bm3d.dct_matrix(8), bm3d.haar_matrix(16), bm3d.bior15_matrix(8)
print(f"DCT:     max |D Dᵀ - I|  = {np.abs(D @ D.T - np.eye(8)).max():.1e}")
print(f"Haar-16: max |H Hᵀ - I|  = {np.abs(H @ H.T - np.eye(16)).max():.1e}")
print(f"bior1.5: row norms {np.round(np.linalg.norm(W, axis=1), 6)}, "
      f"max |W Wᵀ - I| = {np.abs(W @ W.T - np.eye(8)).max():.2f} (not orthogonal)")
noise = np.random.default_rng(0).standard_normal((2000, 16, 8, 8)).astype(np.float32)
print("std of the 3-D coefficients of unit white noise:", np.round(bm3d.transform_3d(noise, "bior1.5").std(), 3))

# %% [markdown]
# Why group at all? Similar blocks stacked together differ little, so the 1-D Haar transform across the stack puts
# their common part into the first slice and leaves small differences elsewhere: the group is **sparser** than
# its blocks one by one. We measure it on clean groups: the fraction of the non-DC energy held by the largest
# coefficients, counted per block.

# %%
sparsity = bm3d_viz.group_sparsity(crop)
for m in (1, 2, 4, 8):
    print(f"{m} largest coefficient(s) per block hold {sparsity['block'][m - 1]:.0%} of the energy of a single block, "
          f"{sparsity['group'][m - 1]:.0%} of a group of 16")
bm3d_viz.sparsity_figure(crop);

# %% [markdown]
# Noise, on the other hand, stays spread evenly over all coefficients with variance $\sigma^2$ (previous cell).
# Keeping only coefficients well above $\sigma$ therefore keeps more signal and less noise in a group than in a
# block — the whole idea of *collaborative* filtering.
#
# ## 5. Step 1: hard thresholding
#
# For each group of the noisy image (matched on the noisy image):
# $$\hat{\mathbf Y}^{ht}_{S_{x_R}} = \mathcal T^{-1}_{3D}\Big(\Upsilon\big(\mathcal T_{3D}(\mathbf Z_{S_{x_R}})\big)\Big),\qquad
# \Upsilon(c) = \begin{cases} c & |c| > \lambda_{3D}\,\sigma \ \text{or } c \text{ is the DC} \\ 0 & \text{otherwise}\end{cases},\qquad
# w^{ht}_{x_R} = \frac{1}{\sigma^2 N^{x_R}_{har}},$$
# where $N_{har}$ counts the coefficients that survive. Then aggregation (section 1) gives the basic estimate.
#
# **The DC exemption is this course's choice, not the paper's.** Dabov et al. (2007) hard-threshold *every*
# coefficient, the group's DC (its mean brightness) included, and so does Lebrun's IPOL implementation (Lebrun,
# 2012). `course_lib` always keeps the DC (`bm3d.hard_threshold(..., keep_dc=True)`), because zeroing it where a
# whole group is dark pulls the estimate towards black. On a photo the DC of a group of $k$ blocks of 8×8 is
# about $N_1\sqrt{k}$ times its mean brightness, far above $\lambda_{3D}\sigma$ except in nearly black regions, so the two
# rules rarely differ; section 10 measures it on the test photos and on a nearly black image.
# The code, line by line:

# %%
print(inspect.getsource(bm3d.bm3d_step1))
print(inspect.getsource(bm3d.hard_threshold))

# %% tags=["rerun"]
sigma = 25 / 255
noisy = degrade.add_gaussian_noise(crop, sigma, seed=1)
start = time.perf_counter()
basic = bm3d.bm3d(noisy, sigma, stage="hard")
seconds = time.perf_counter() - start
print(f"step 1 in {seconds:.2f} s: {metrics.psnr(crop, noisy):.2f} dB -> {metrics.psnr(crop, basic):.2f} dB")
groups = bm3d.match_blocks(noisy, tau=bm3d.matching_threshold(2500, np.ptp(noisy)))
sizes, counts = np.unique(groups.sizes, return_counts=True)
print(f"{len(groups.sizes)} reference blocks; group sizes:",
      ", ".join(f"{size} blocks × {count}" for size, count in zip(sizes.tolist(), counts.tolist())))


# %% [markdown]
# ### Exercise 2 — the hard-threshold step
# Write `hard_threshold_by_hand(spectra, threshold)` for spectra of shape `(n_groups, k, 8, 8)`: zero every
# coefficient with $|c| \le$ `threshold`, keep each group's DC `spectra[g, 0, 0, 0]` whatever its size (the course's
# rule), and return the thresholded spectra **and** the number of kept coefficients per group ($N_{har}$).

# %% exercise="03.threshold" tags=["exercise"]
def hard_threshold_by_hand(spectra, threshold):
    ...  # your code here: a boolean mask, the DC forced to True, np.where, and a count per group


# %%
hard_threshold_by_hand = check("03.threshold", hard_threshold_by_hand)
# reveal("03.threshold")   # uncomment to see a solution

# %% [markdown]
# ## 6. Aggregation weights, explained
#
# Each group's estimate is a sum of $N_{har}$ kept coefficients, each carrying noise of variance $\sigma^2$; after
# the orthonormal inverse transform the total noise variance of the group estimate is about $\sigma^2 N_{har}$.
# Weighting by the inverse variance, $w = 1/(\sigma^2 N_{har})$, lets sparse (confident) groups dominate and
# lets noisy-looking groups — many survivors, usually texture or noise — count little. The Kaiser window $K$
# ($\beta = 2$) then trusts the centre of each block more than its border, which reduces blocking artefacts.
#
# ### Exercise 3 — predict the aggregation weight
# Write `step1_weight(sigma, n_kept)`. Before running the check, predict: at σ = 25/255, how much more does a
# group that kept only its DC weigh than one that kept 40 coefficients?

# %% exercise="03.weight" tags=["exercise"]
def step1_weight(sigma, n_kept):
    ...  # your code here


# %%
step1_weight = check("03.weight", step1_weight)
# reveal("03.weight")

# %% [markdown]
# How much does each ingredient buy? `bm3d_viz.step1_variant` rebuilds step 1 from the public building blocks
# (it equals `bm3d_step1` with its defaults) and removes one ingredient at a time, at σ = 50 where the differences
# are largest:

# %% tags=["rerun"]
noisy50 = degrade.add_gaussian_noise(crop, 50 / 255, seed=2)
variants = {
    "full step 1": {},
    "no weights (w = 1)": {"weights": False},
    "no Kaiser window": {"kaiser": False},
    "neither": {"weights": False, "kaiser": False},
    "no collaboration (groups of 1 block)": {"max_blocks": 1},
}
ablation = {name: metrics.psnr(crop, bm3d_viz.step1_variant(noisy50, 50 / 255, **kw)) for name, kw in variants.items()}
for name, value in ablation.items():
    print(f"{name:<38} {value:6.2f} dB  ({value - ablation['full step 1']:+.2f})")
print("step1_variant == bm3d_step1:", np.array_equal(bm3d_viz.step1_variant(noisy50, 50 / 255),
                                                      bm3d.bm3d(noisy50, 50 / 255, stage="hard")))

# %% [markdown]
# The weights and the window are worth a little each; grouping is worth much more — without it BM3D is a
# sliding-window wavelet thresholding.
#
# ## 7. Step 2: empirical Wiener filtering
#
# Match again, but on the basic estimate $\hat y^{basic}$ (less noisy, so better matches). For each group, form two
# stacks at the same positions — from the basic estimate and from the **noisy** image — and shrink the noisy one:
# $$\mathbf W_{S_{x_R}} = \frac{|\mathcal T^{wie}_{3D}(\hat{\mathbf Y}^{basic}_{S_{x_R}})|^2}{|\mathcal T^{wie}_{3D}(\hat{\mathbf Y}^{basic}_{S_{x_R}})|^2 + \sigma^2},\qquad
# \hat{\mathbf Y}^{wie}_{S_{x_R}} = \mathcal T^{wie\,-1}_{3D}\big(\mathbf W_{S_{x_R}} \cdot \mathcal T^{wie}_{3D}(\mathbf Z_{S_{x_R}})\big),\qquad
# w^{wie}_{x_R} = \frac{1}{\sigma^2 \|\mathbf W_{S_{x_R}}\|_2^2},$$
# with $\mathcal T^{wie}_{3D}$ = 2-D DCT + Haar, then the same aggregation. The code:

# %%
print(inspect.getsource(bm3d.bm3d_step2))
print(inspect.getsource(bm3d.wiener))


# %% [markdown]
# ### Exercise 4 — the Wiener shrinkage
# Write `wiener_shrinkage(pilot_spectra, sigma)` returning $\mathbf W$ from the basic estimate's group spectra.

# %% exercise="03.wiener" tags=["exercise"]
def wiener_shrinkage(pilot_spectra, sigma):
    ...  # your code here


# %%
wiener_shrinkage = check("03.wiener", wiener_shrinkage)
# reveal("03.wiener")

# %% [markdown]
# ### Exercise 5 — why does step 2 help?
# Which statements are true? Return the set of their letters from `why_step2()`; the cell after the check
# measures the claims.

# %%
for letter, statement in WHY_STEP2.items():
    print(f"{letter}. {statement}")


# %% exercise="03.why" tags=["exercise"]
def why_step2():
    return {...}  # your letters here, e.g. {"A", "C"}


# %%
why_step2 = check("03.why", why_step2)
# reveal("03.why")
final = bm3d.bm3d_step2(noisy, basic, sigma)
residual = float(np.std(basic - crop))   # claim C, given every advantage: the true std of step 1's error
again = bm3d.bm3d(basic, residual, stage="hard")
print(f"noisy {metrics.psnr(crop, noisy):.2f} dB | step 1 {metrics.psnr(crop, basic):.2f} dB | "
      f"step 2 {metrics.psnr(crop, final):.2f} dB | step 1 again on the basic estimate "
      f"{metrics.psnr(crop, again):.2f} dB")
for s, a, b in zip(agreement["sigma255"], agreement["noisy"], agreement["basic"]):
    print(f"σ = {s:>2.0f}: matches shared with the clean image — matched on the noisy image {a:.0%}, "
          f"on the basic estimate {b:.0%}")

# %% [markdown]
# Step 2 gains over step 1 by filtering the *noisy* data better (claims A and B); filtering the basic estimate a
# second time (claim C, even told the true size of its error) does not do as well: the basic estimate has already
# lost detail that only the noisy image still holds.
#
# ## 8. Interactive: σ and λ₃D
#
# A small crop so that both steps run in a fraction of a second. Lower λ₃D keeps more noise, higher λ₃D erases
# detail; the best value moves with σ and with the image. The static figure is the default setting (callback
# `bm3d_viz.denoise_view`).

# %%
small = np.ascontiguousarray(crop[:96, :96])
bm3d_viz.denoise_view(small, sigma255=25, lambda_3d=2.7);

# %% tags=["widget", "nbval-ignore-output"]
bm3d_viz.denoise_explorer(small)

# %% [markdown]
# ## 9. BM3D vs NL-means vs Gaussian blur vs the reference package
#
# Protocol: test photos only, noise seeded and not clipped, PSNR on the output clipped to $[0, 1]$, time of one
# call on this machine. NL-means (OpenCV and scikit-image) and the Gaussian blur each have one free parameter,
# tuned per σ on two *training* photos (`baselines.tune_baselines`) and then frozen. "reference" is the authors'
# `bm3d` package 4.x (compiled, multi-threaded). The full benchmark (6 photos, 3 noise levels, memory too) is
# `python benchmarks/bm3d_vs_reference.py`; this cell runs a smaller version of it.

# %%
from tqdm.auto import tqdm

names = quick(["camera", "coffee", "coins"], ["coffee"])
sigmas = quick([15, 25, 50], [25])
rows, tuned = [], {}
for s, name in tqdm([(s, name) for s in sigmas for name in names], desc="σ × photo"):
    if s not in tuned:  # tune the baselines' parameter once per σ, on training photos
        tuned[s] = baselines.tune_baselines(s, size=quick(256, 96))
    image = data.load_photo(name)
    image = image if not is_quick() else np.ascontiguousarray(image[64:192, 64:192])
    results = bm3d_viz.compare_methods(image, s, seed=s, tuned=tuned[s])
    rows.append((name, s, results))
methods = list(rows[0][2])
print(f"{'image':<8} {'σ':>3} " + " ".join(f"{m:>14}" for m in methods))
for name, s, results in rows:
    print(f"{name:<8} {s:>3} " + " ".join(f"{results[m]['psnr']:>8.2f} dB   " for m in methods))
print("mean seconds per image:", ", ".join(f"{m} {np.mean([r[m]['seconds'] for *_, r in rows]):.2f}" for m in methods))

# %%
name, s, results = rows[-1]
image = data.load_photo(name) if not is_quick() else np.ascontiguousarray(data.load_photo(name)[64:192, 64:192])
shown = {f"{m} ({results[m]['seconds']:.2f} s)": results[m]["estimate"] for m in
         ("gaussian", "nlm_opencv", "nlm_skimage", "bm3d", "reference")}
viz.compare(image, shown, size=2.4, suptitle=f"{name}, σ = {s}: PSNR / SSIM in the titles");

# %% [markdown]
# Read the table: where do NL-means and BM3D differ most — flat areas or texture? Both average similar patches;
# BM3D additionally transforms the group and shrinks it, and the second step refines it.
#
# ## 10. Common misconceptions (measured)
#
# **"BM3D = 3-D wave elimination."** The "3-D" is the *group*: a stack of 2-D blocks, transformed along its third
# axis. No 3-D waves, no 3-D data. The group of the first reference block, and what the third dimension is worth:

# %%
g = bm3d.match_blocks(noisy, tau=bm3d.matching_threshold(2500, np.ptp(noisy)))
stack = bm3d.extract_blocks(noisy, g.positions[:1, : g.sizes[0]], 8)
print("one group: shape", stack.shape, "= (groups, blocks in the group, 8, 8)")
alone = bm3d_viz.step1_variant(noisy, sigma, max_blocks=1)
print(f"blocks filtered alone (2-D): {metrics.psnr(crop, alone):.2f} dB | "
      f"grouped (3-D): {metrics.psnr(crop, basic):.2f} dB")

# %% [markdown]
# **NL-means labelled as BM3D.** A popular article demonstrates "BM3D" with `cv2.fastNlMeansDenoisingColored`.
# OpenCV's own documentation says what that function is:

# %%
import bm3d as reference_bm3d
import cv2

print(cv2.fastNlMeansDenoising.__doc__.splitlines()[1].strip())
print(cv2.fastNlMeansDenoisingColored.__doc__.splitlines()[1].strip())
side = quick(192, 96)
colour = np.ascontiguousarray(data.load_photo("astronaut", gray=False)[40 : 40 + side, 180 : 180 + side])
noisy_rgb = degrade.add_gaussian_noise(colour, 25 / 255, seed=3)
as_uint8 = data.as_uint8(noisy_rgb)   # OpenCV's NL-means takes 8-bit images
candidates = {
    'cv2.fastNlMeansDenoisingColored (the article\'s "BM3D")':
        cv2.fastNlMeansDenoisingColored(as_uint8, None, 10, 10, 7, 21) / 255.0,
    "course_lib.bm3d (CBM3D, opponent colours)": bm3d.bm3d(noisy_rgb, 25 / 255),
    "reference bm3d.bm3d_rgb": reference_bm3d.bm3d_rgb(noisy_rgb.astype(np.float64), 25 / 255),
}
for label, estimate in candidates.items():
    print(f"{label:<58} {metrics.psnr(colour, estimate.astype(np.float32)):.2f} dB")

# %% [markdown]
# They are different algorithms (Buades, Coll & Morel 2005 vs Dabov et al. 2007) with different results. Calling
# one by the other's name makes every comparison built on it meaningless.
#
# **"BM3D needs training."** Nothing in BM3D is learned: the transforms are fixed (DCT, bior1.5, Haar) and its
# parameters are a dozen constants from the paper (section 1). It denoises images unlike any photo just as well —
# a scanned text page and a synthetic pattern:

# %%
text = np.ascontiguousarray(data.load_photo("text")[: quick(160, 96), : quick(256, 96)])
yy, xx = np.mgrid[: quick(160, 96), : quick(160, 96)]
pattern = (0.5 + 0.4 * np.sign(np.sin(xx / 3.0) * np.sin(yy / 5.0))).astype(np.float32)
for label, image in (("text page", text), ("synthetic pattern", pattern)):
    z = degrade.add_gaussian_noise(image, 25 / 255, seed=4)
    denoised = bm3d.bm3d(z, 25 / 255)
    print(f"{label:<18} noisy {metrics.psnr(image, z):.2f} dB -> BM3D {metrics.psnr(image, denoised):.2f} dB "
          "(no training data, no learned weights)")

# %% [markdown]
# **Implementation choices and pitfalls** (each measured):
# - *the DC rule* (section 5): the paper thresholds the group's DC like any coefficient; the course keeps it. On a
#   nearly black, flat image the paper's rule pulls the mean towards black (first lines below); on the test
#   photos, `benchmarks/bm3d_dc.py` measures both rules with the same noise (the table after this cell);
# - *σ on the wrong scale*: 25 instead of 25/255 (`course_lib` refuses it);
# - *a fixed matching threshold at high noise*: at σ = 50 two noisy copies of the same block are $2\sigma^2 = 5000$
#   apart (0–255 units) — more than $\tau_{match} = 2500$ — so groups collapse to one block. The paper switches to
#   its σ > 40 profile; the authors' later code scales $\tau$ by the noisy image's value range instead (what
#   `course_lib` does in step 1, see `matching_threshold`).

# %%
dark = np.full((128, 128), 0.004, np.float32)          # a nearly black, flat image
z = degrade.add_gaussian_noise(dark, 25 / 255, seed=5)
print(f"true mean {dark.mean():.4f}, noisy mean {z.mean():.4f}")
for keep_dc in (True, False):
    out = bm3d_viz.step1_variant(z, 25 / 255, keep_dc=keep_dc)
    print(f"keep the DC = {keep_dc!s:<5}: mean of the result {out.mean():.4f}")
try:
    bm3d.bm3d(noisy, 25)
except ValueError as error:
    print("ValueError:", error)
z50 = degrade.add_gaussian_noise(crop, 50 / 255, seed=6)
fixed = bm3d.match_blocks(z50, tau=2500 / 255**2).sizes.mean()
scaled = bm3d.match_blocks(z50, tau=bm3d.matching_threshold(2500, np.ptp(z50))).sizes.mean()
print(f"σ = 50: mean step-1 group size with the fixed τ: {fixed:.1f}; with τ scaled by the value range: "
      f"{scaled:.1f}")
for profile in ("normal", "paper"):
    print(f"profile={profile!r:<9} σ = 50: {metrics.psnr(crop, bm3d.bm3d(z50, 50 / 255, profile=profile)):.2f} dB")

# %%
dc = load_benchmark("bm3d_dc")
print(f"{dc['command']}: both BM3D steps, DC kept (the course) vs DC thresholded (Dabov et al. 2007), same noise")
print(f"{'σ':>3} {'DC kept':>9} {'DC thresholded':>15} {'kept − thresholded (± paired se)':>34} {'photos':>7}")
for s, entry in dc["summary"].items():
    f = entry["final"]
    print(f"{s:>3} {f['dc_kept']:>9.3f} {f['dc_thresholded']:>15.3f} {f['kept_minus_thresholded']:>+24.4f} ± "
          f"{f['se']:.4f} {f['n']:>7}")
largest = max(abs(r["dc_kept"]["psnr"] - r["dc_thresholded"]["psnr"]) for r in dc["records"])
print(f"largest difference on any photo and σ: {largest:.4f} dB")

# %% [markdown]
# ## 11. Recap and closing note
# - Natural images repeat; block matching finds the repeats (vectorised per displacement, not per pixel).
# - A group of similar blocks is sparser in a 3-D transform than a block in 2-D: thresholding it keeps more signal
#   and less noise. That collaboration is worth far more than the aggregation details.
# - Step 1 hard-thresholds noisy groups; step 2 matches on the basic estimate and Wiener-filters the *noisy*
#   groups with it as an oracle; aggregation weights each group by the inverse of its noise variance.
# - BM3D needs no training; NL-means is a different, weaker method, whatever an article calls it.
#
# How close is this from-scratch implementation to the authors' package, in this run?

# %%
print(f"{'σ':>3} {'ours (dB)':>10} {'reference (dB)':>15} {'gap (dB)':>9} {'time ours/ref':>14}")
for s in sigmas:
    sel = [r for _, t, r in rows if t == s]
    ours = np.mean([r["bm3d"]["psnr"] for r in sel])
    ref = np.mean([r["reference"]["psnr"] for r in sel])
    ratio = np.mean([r["bm3d"]["seconds"] for r in sel]) / np.mean([r["reference"]["seconds"] for r in sel])
    print(f"{s:>3} {ours:>10.2f} {ref:>15.2f} {ours - ref:>+9.3f} {ratio:>13.2f}x")

# %% [markdown]
# The README's table comes from `python benchmarks/bm3d_vs_reference.py` (6 test photos, σ = 15, 25, 50, memory
# included, results in `benchmarks/results/bm3d.json`).
#
# ## References
# - K. Dabov, A. Foi, V. Katkovnik, K. Egiazarian. Image denoising by sparse 3-D transform-domain collaborative filtering. *IEEE Transactions on Image Processing* 16(8):2080–2095, 2007.
# - K. Dabov, A. Foi, V. Katkovnik, K. Egiazarian. Color image denoising via sparse 3D collaborative filtering with grouping constraint in luminance-chrominance space. *IEEE ICIP* 2007 (CBM3D).
# - Y. Hou, C. Zhao, D. Yang, Y. Cheng. Comment on "Image denoising by sparse 3-D transform-domain collaborative filtering". *IEEE Transactions on Image Processing* 20(1):268–270, 2011.
# - Y. Mäkinen, L. Azzari, A. Foi. Collaborative filtering of correlated noise: exact transform-domain variance for improved shrinkage and patch matching. *IEEE Transactions on Image Processing* 29:8339–8354, 2020 (the reference `bm3d` package).
# - M. Lebrun. An analysis and implementation of the BM3D image denoising method. *Image Processing On Line* 2:175–213, 2012.
# - A. Buades, B. Coll, J.-M. Morel. A non-local algorithm for image denoising. *CVPR* 2005.
# - A. Cohen, I. Daubechies, J.-C. Feauveau. Biorthogonal bases of compactly supported wavelets. *Communications on Pure and Applied Mathematics* 45(5):485–560, 1992 (the bior wavelets).
