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
# # Lesson 00 — Concepts: images, degradations, metrics and transfer
#
# *Transfer Learning for Image Generation and Restoration* · lesson 0 of 5
#
# **You will learn to**
# - treat an image as a float array in $[0, 1]$ and say what σ = 25 means on that scale;
# - write restoration problems as $y = A(x) + n$ and name $A$ for denoising, deblurring, inpainting and super-resolution;
# - compute PSNR and SSIM, and show with a measurement where PSNR misleads;
# - tell *generation* from *restoration*, and *pretraining* from *fine-tuning* and *transfer*;
# - measure what a pretrained feature extractor buys when labels are scarce.
#
# **Prerequisites:** Python and numpy; no deep-learning background needed.
# **Run time (2-core laptop):** the first cell prints it, as measured by `benchmarks/lesson_timings.py` in quick
# mode (`COURSE_QUICK=1`, which loads a shipped checkpoint) and in full mode (which pretrains a small CNN).
# Everything runs offline: all images ship with scikit-image, scikit-learn and matplotlib.

# %% tags=["rerun"]
import time

import matplotlib.pyplot as plt
import numpy as np

from course_lib import data, degrade, metrics, viz, widgets
from course_lib.config import is_quick, lesson_run_time, quick, seed_everything
from course_lib.exercises import check, reveal  # noqa: F401 (reveal: see the commented lines)

seed_everything(0)
print("quick mode" if is_quick() else "full mode", "| course_lib loaded |", lesson_run_time("00_concepts"))

# %% [markdown]
# ## 1. An image is an array
#
# A grayscale image is a 2-D array of intensities, a colour image a 3-D array `(H, W, 3)`. Files store
# 8-bit integers 0–255; the course works with **float32 in [0, 1]** (0 = black, 1 = white), so that every
# noise level, threshold and metric has the same meaning in every lesson. `data.as_float` is the only
# place where uint8 becomes float.

# %% tags=["rerun"]
camera = data.load_photo("camera")          # a held-out *test* photo: never used for training
print(type(camera).__name__, camera.shape, camera.dtype, f"range [{camera.min():.3f}, {camera.max():.3f}]")
print("top-left 4x4 pixels:\n", np.round(camera[:4, :4], 3))

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(8.2, 3.4))
ax0.imshow(camera, cmap="gray", vmin=0, vmax=1)
ax0.set_title("camera, 512x512, float32 in [0, 1]")
ax0.axis("off")
ax1.hist(camera.ravel(), bins=64, color="gray")
ax1.set_xlabel("intensity")
ax1.set_ylabel("pixels")
ax1.set_title("histogram of intensities")
fig.tight_layout()

# %% [markdown]
# **Noise units.** A noise level quoted as "σ = 25" in papers refers to the 0–255 scale. On our scale it is
# $\sigma = 25/255 \approx 0.098$. Adding noise with σ = 25 to an image in $[0, 1]$ destroys it — a mistake
# that the course's functions catch for you:

# %%
try:
    degrade.add_gaussian_noise(camera, 25)
except ValueError as error:
    print("ValueError:", error)


# %% [markdown]
# ### Exercise 1 — noise levels on the 0–1 scale
# Write `sigma_01(sigma_255)` that converts a noise level from the 0–255 scale to ours. Replace the `...`.

# %% exercise="00.sigma" tags=["exercise"]
def sigma_01(sigma_255):
    ...  # your code here


# %%
sigma_01 = check("00.sigma", sigma_01)
# reveal("00.sigma")   # uncomment to see a solution

# %% [markdown]
# ## 2. The degradation model $y = A(x) + n$
#
# Restoration starts from a model of how the observed image $y$ was made from the clean image $x$:
#
# $$y = A(x) + n, \qquad n \sim \mathcal N(0, \sigma^2 I)\ \text{(or another noise model)}.$$
#
# The *operator* $A$ decides which problem we solve:
#
# | problem | $A(x)$ | in `course_lib.degrade` |
# |---|---|---|
# | denoising | $x$ (identity) | `add_gaussian_noise`, `add_poisson_noise` |
# | deblurring | $k * x$ (convolution with a blur kernel $k$) | `gaussian_blur` |
# | inpainting | $m \odot x$, with $m_i = 0$ where pixel $i$ is missing | `apply_mask` with `stroke_mask` / `box_mask` |
# | super-resolution ×s | $S_s(h * x)$: anti-alias filter $h$, keep one pixel in $s \times s$ | `downsample` (area average) |
# | JPEG artefacts | quantisation of 8×8 DCT coefficients (not linear) | `jpeg` |
#
# Gaussian noise is **not clipped**: $y$ can leave $[0, 1]$, exactly as the model says. (The popular article
# prints "$x = A\varphi + n$" twice without saying what $A$, $\varphi$ or $n$ are.)

# %%
x = data.load_photo("coffee")               # 256x256 test photo
mask = degrade.stroke_mask(x.shape, n_strokes=6, width=5, seed=1)
observed = {
    "denoising: x + n, σ=25/255": degrade.add_gaussian_noise(x, 25 / 255, seed=1),
    "deblurring: k * x (σ_k = 2 px)": degrade.gaussian_blur(x, 2.0),
    "inpainting: m ⊙ x": degrade.apply_mask(x, mask),
    "SR ×2: S(h * x), shown bicubic-enlarged": degrade.upsample(degrade.downsample(x, 2), 2),
}
noisy = observed["denoising: x + n, σ=25/255"]
print(f"noisy image range: [{noisy.min():.3f}, {noisy.max():.3f}]  (not clipped)")
viz.compare(x, observed, size=2.8);

# %% [markdown]
# ## 3. Generation vs restoration
#
# *Restoration* estimates one clean image from one observation: it wants $p(x \mid y)$, or a single good
# point of it. *Generation* draws **new** images from a model of $p(x)$ itself: there is no observation to
# match, and quality means "looks like a sample of the training data" (lesson 01: GANs, lesson 02: VAEs).
# The two meet: a good model of $p(x)$ is a prior for restoration, and restoration networks are trained on
# pairs $(x, y)$ made with the degradations above.
#
# The generation lessons work with 8×8 digits. The course has two kinds: **handwritten digits** (scikit-learn,
# 1 797 images) and **glyphs** — digits and letters drawn with matplotlib's 21 bundled fonts, with random
# stroke, slant and position, made in exactly the same 8×8, 17-grey-level format. Glyphs are cheap and
# unlimited; handwriting is scarce. That gap is what transfer learning is for.

# %%
glyph_images, glyph_labels = data.glyphs(20, seed=3)
digit_images, digit_labels = data.digits("train")
viz.show_images(list(glyph_images[:10]) + list(digit_images[:10]),
                [str(c) for c in glyph_labels[:10]] + [str(c) for c in digit_labels[:10]], ncols=10, size=1.1,
                suptitle="source domain: glyphs (top) vs target domain: handwriting (bottom); titles: the class");


# %% [markdown]
# ## 4. Measuring quality: MSE, PSNR, SSIM
#
# For a clean image $x$ and an estimate $\hat x$ with $N$ pixels in $[0, 1]$:
#
# $$\mathrm{MSE} = \frac1N \sum_i (x_i - \hat x_i)^2, \qquad \mathrm{PSNR} = 10 \log_{10} \frac{1^2}{\mathrm{MSE}}\ \text{dB}.$$
#
# The peak is 1 on our scale (255 on the 8-bit scale). Higher is better; +1 dB means the MSE fell by 21 %.
# `metrics.psnr` clips $\hat x$ to $[0, 1]$ first — a displayed pixel cannot leave that range.
#
# SSIM (Wang, Bovik, Sheikh & Simoncelli, IEEE TIP 2004) compares local means $\mu$, variances $\sigma^2$ and
# the covariance $\sigma_{x\hat x}$ in a sliding window and averages over windows:
#
# $$\mathrm{SSIM}(x, \hat x) = \frac{(2\mu_x\mu_{\hat x} + C_1)(2\sigma_{x\hat x} + C_2)}{(\mu_x^2 + \mu_{\hat x}^2 + C_1)(\sigma_x^2 + \sigma_{\hat x}^2 + C_2)},\qquad C_1 = (0.01)^2,\ C_2 = (0.03)^2.$$
#
# It is 1 for identical images and is more sensitive to lost structure (edges, texture) than to a shift in
# brightness. **Which SSIM the course computes.** Wang et al. (2004) average over an 11×11 *Gaussian* window
# (σ = 1.5 px); `metrics.ssim` calls `skimage.metrics.structural_similarity` with its defaults: a 7×7 *uniform*
# window, sample (co)variances ($N - 1$ in the denominator), `data_range = 1`, and the mean over the windows that
# fit inside the image (a 3-pixel border is left out). The two give slightly different numbers; papers that
# report SSIM usually mean the Gaussian one (`gaussian_weights=True, sigma=1.5, use_sample_covariance=False`).
# Exercise 5 (after the interactive section) has you write the course's version yourself.

# %% [markdown]
# ### Exercise 2 — PSNR by hand
# Implement `psnr_by_hand(clean, estimate)` from the formula (clip the estimate to $[0, 1]$ first). The check
# compares it with `course_lib.metrics.psnr`, a thin wrapper of `skimage.metrics.peak_signal_noise_ratio`.

# %% exercise="00.psnr" tags=["exercise"]
def psnr_by_hand(clean, estimate):
    ...  # your code here: clip, MSE, then 10*log10(1/MSE)


# %%
psnr_by_hand = check("00.psnr", psnr_by_hand)
# reveal("00.psnr")

# %% [markdown]
# ### Exercise 3 — predict the PSNR of a noisy image
# Before measuring: for $y = x + n$ with $n \sim \mathcal N(0, \sigma^2)$, the expected MSE is $\sigma^2$.
# Write `predicted_noisy_psnr(sigma)` (ignore clipping). The cell after it compares your prediction with the
# measurement — and shows what clipping does.

# %% exercise="00.predict" tags=["exercise"]
def predicted_noisy_psnr(sigma):
    ...  # your code here


# %% tags=["rerun"]
predicted_noisy_psnr = check("00.predict", predicted_noisy_psnr)
print(f"{'σ (0-255)':>10} {'predicted':>10} {'measured':>10} {'measured, unclipped':>20}")
for s255 in (5, 15, 25, 50, 100):
    sigma = s255 / 255
    y = degrade.add_gaussian_noise(camera, sigma, seed=0)
    unclipped = 10 * np.log10(1 / np.mean((camera - y) ** 2))
    print(f"{s255:>10} {predicted_noisy_psnr(sigma):>10.2f} {metrics.psnr(camera, y):>10.2f} {unclipped:>20.2f}")

# %% [markdown]
# The unclipped measurement matches the prediction; the clipped PSNR is higher, and more so at large σ,
# because clipping pulls the worst outliers back into range. Always say which one you report — and never
# compare PSNRs computed on different scales or with different clipping.
#
# ### Where PSNR misleads
# PSNR only sees the *size* of the error, not its *kind*. Below, four versions of the same photo have the
# **same PSNR** (we search the strength of each degradation by bisection with `degrade.strength_for_psnr`),
# yet look very different. SSIM tells them apart.

# %% tags=["rerun"]
x = data.load_photo("astronaut")
target = 22.0  # dB
same_psnr = {}
for kind in ("brightness", "gaussian noise", "blur", "salt & pepper"):
    strength = degrade.strength_for_psnr(x, kind, target, seed=0)
    y = np.clip(x + strength, 0, 1) if kind == "brightness" else degrade.apply_degradation(x, kind, strength, seed=0)
    same_psnr[f"{kind} ({strength:.3g})"] = y
for name, y in same_psnr.items():
    print(f"{name:<28} PSNR {metrics.psnr(x, y):6.2f} dB   SSIM {metrics.ssim(x, y):.3f}")
viz.compare(x, same_psnr, size=2.8, suptitle=f"equal PSNR ({target:.0f} dB), very different images");

# %% [markdown]
# A brightness shift that any viewer forgives scores the same PSNR as noise that ruins the photo. That is
# why the course always shows the images next to the numbers, reports SSIM too, and in the generation lessons
# uses metrics built for *distributions* (KID/FID), not pixels.
#
# ## 5. Interactive: the degradation explorer
# Pick a degradation and its strength; the image, PSNR and SSIM update when you release the slider. The
# callback is `widgets.degradation_view`, a plain function you can also call yourself (the static figure below
# is its default setting, for readers without a running kernel).

# %%
x = data.load_photo("chelsea")
widgets.degradation_view(x, "gaussian noise", 25 / 255);

# %% tags=["widget", "nbval-ignore-output"]
widgets.degradation_explorer(x)


# %% [markdown]
# Things to try: find the JPEG quality at which SSIM drops below 0.9; compare blur σ = 2 px with ×2
# downsampling; note how salt-and-pepper at 5 % has a low PSNR but is easy to remove (a median filter does it —
# lesson 04 shows why the *noise model* matters).
#
# ### Exercise 4 — the inpainting operator
# Inpainting has $A(x) = m \odot x$. Write `inpainting_operator(image, mask)` where `mask` is a boolean array,
# `True` where a pixel is missing (the course's convention), returning the observed image with missing pixels
# set to 0.

# %% exercise="00.inpaint" tags=["exercise"]
def inpainting_operator(image, mask):
    ...  # your code here


# %%
inpainting_operator = check("00.inpaint", inpainting_operator)
# reveal("00.inpaint")

# %% [markdown]
# ### Exercise 5 — SSIM, written and run
# Write `ssim_by_hand(clean, estimate)` from the formula of section 4, computing what `metrics.ssim` computes:
# local means $\mu$, variances $\sigma^2$ and the covariance over every 7×7 window (`scipy.ndimage.uniform_filter`
# with `size=7` gives a local mean), the sample versions of the variances (multiply by $49/48$), $C_1 = 0.01^2$,
# $C_2 = 0.03^2$, the SSIM map from the formula, and the mean of that map without its 3-pixel border. The check
# runs your function on a noisy, a blurred and a brightened crop of `camera` and compares it with `metrics.ssim`;
# the cell after it re-scores the equal-PSNR images of section 4 with your SSIM.

# %% exercise="00.ssim" tags=["exercise"]
def ssim_by_hand(clean, estimate):
    ...  # your code here: uniform_filter for the local statistics, the SSIM map, its mean inside the border


# %%
ssim_by_hand = check("00.ssim", ssim_by_hand)
# reveal("00.ssim")
astronaut = data.load_photo("astronaut")
for name, y in same_psnr.items():
    print(f"{name:<28} your SSIM {ssim_by_hand(astronaut, y):.3f}   metrics.ssim {metrics.ssim(astronaut, y):.3f}")

# %% [markdown]
# ## 6. Pretraining, fine-tuning, transfer — measured
#
# - **Pretraining**: train a model on a large *source* task (here: recognise 36 glyph classes, 0–9 and A–Z,
#   from fonts).
# - **Transfer**: reuse what it learned on a different *target* task (here: recognise *handwritten* digits,
#   which it never saw).
# - **Fine-tuning**: one way to transfer — keep training some or all of the pretrained weights on target data.
#   The simplest other way is a **linear probe**: freeze the network, take its 64-d `features` layer and fit only
#   a linear classifier (logistic regression) on the target labels.
#
# Claim to test: *with few labels, pretrained features beat raw pixels.* Control: features of the **same
# network with random weights** — if those did as well, the gain would come from the architecture, not from
# pretraining. First, pretrain (full mode: from scratch, the cell prints how long; quick mode: load the shipped
# checkpoint, made by `python -m course_lib pretrain glyph-cnn`, and train a few steps).

# %% tags=["rerun"]
from course_lib.checkpoints import load_checkpoint
from course_lib.classifier import accuracy, build_classifier, features, probe_curve, train_classifier

source_x, source_y = data.glyphs(quick(20_000, 2_000), letters=True, seed=0)
cnn = build_classifier(n_classes=36, seed=0)
if is_quick():
    load_checkpoint(cnn, "glyph-cnn")
start = time.perf_counter()
history = train_classifier(cnn, source_x, source_y, steps=quick(2000, 10), seed=0)
held_x, held_y = data.glyphs(2000, letters=True, seed=1000)
print(f"trained in {time.perf_counter() - start:.0f} s; accuracy on new glyphs: {accuracy(cnn, held_x, held_y):.3f}")
viz.plot_history(history, logy=True, title="pretraining on glyphs (cross-entropy)");

# %% [markdown]
# Now the target task. The test set is 500 held-out handwritten digits. For each budget of labels per class
# (1, 3, 10, 30, all ≈ 130) we draw 5 random labelled subsets (`classifier.probe_curve`) and report the mean test accuracy ± its standard
# error for three feature sets: raw pixels (64 values), the random-weight CNN, the glyph-pretrained CNN.

# %% tags=["rerun"]
(train_x, train_y), (test_x, test_y) = data.digits("train"), data.digits("test")
random_cnn = build_classifier(n_classes=36, seed=1)
feature_sets = {
    "raw pixels": (train_x, test_x),
    "random-weight CNN": (features(random_cnn, train_x), features(random_cnn, test_x)),
    "glyph-pretrained CNN": (features(cnn, train_x), features(cnn, test_x)),
}
budgets = [1, 3, 10, 30, None]   # labelled digits per class; None = all of them
results = {name: probe_curve(ftrain, train_y, ftest, test_y, budgets, seeds=5)
           for name, (ftrain, ftest) in feature_sets.items()}
for name, (mean, se) in results.items():
    print(f"{name:<22}", "  ".join(f"{m:.3f}±{e:.3f}" for m, e in zip(mean, se)))

# %%
labels_per_class = [1, 3, 10, 30, len(train_y) / 10]
fig, ax = plt.subplots(figsize=(6, 3.8))
for name, (mean, se) in results.items():
    ax.errorbar(labels_per_class, mean, yerr=se, marker="o", capsize=3, label=name)
ax.set_xscale("log")
ax.set_xlabel("labelled handwritten digits per class")
ax.set_ylabel("test accuracy (500 digits)")
ax.set_title("linear probe: what pretraining on glyphs buys")
ax.legend()
fig.tight_layout()
(m_pre, se_pre), (m_raw, se_raw), (m_rand, se_rand) = (results[k] for k in
                                                     ("glyph-pretrained CNN", "raw pixels", "random-weight CNN"))
gain, gain_se = m_pre - m_raw, np.hypot(se_pre, se_raw)   # √(se₁² + se₂²): conservative, the curves share subsets
print("labels per class:          ", "  ".join(f"{b!s:>11}" for b in ["1", "3", "10", "30", "all"]))
print("pretrained − raw pixels:   ", "  ".join(f"{100 * g:+5.1f} ± {100 * e:3.1f}" for g, e in zip(gain, gain_se)),
      "(accuracy points, ± standard error)")
print("random-weight − raw pixels:", "  ".join(f"{100 * g:+5.1f} ± {100 * np.hypot(e1, e2):3.1f}"
                                                for g, e1, e2 in zip(m_rand - m_raw, se_rand, se_raw)))
largest = int(np.argmax(gain))
print(f"largest gain at {['1', '3', '10', '30', 'all'][largest]} label(s) per class; gain with all labels "
      f"{100 * gain[-1]:+.1f} ± {100 * gain_se[-1]:.1f} points")

# %% [markdown]
# Read the printed rows, don't assume them. The gain of pretrained features over raw pixels is measured here at
# five label budgets, with its standard error over 5 random labelled subsets: read where it is largest and whether
# it still exceeds its error bar with all the labels. The random-weight row is the control: if random features did
# as well as pretrained ones, the gain would come from the architecture, not from pretraining. What this section
# does **not** show is a law of transfer: lesson 05 measures fine-tuning against training from scratch on other
# tasks (a denoiser, a GAN, a VAE) at several target-set sizes, and its grids show a gap that does *not* simply
# shrink as the target set grows; a shrinking benefit of pretraining was reported with full training budgets
# (Wang et al., ECCV 2018, for GANs), and it depends on the training budget. And note that the final classifier here is
# plain logistic regression: transfer learning is not tied to deep networks.
#
# ## 7. Common misconceptions (and the popular article's errata)
#
# | claim you will meet | what is true | where the course shows it |
# |---|---|---|
# | "σ = 25 noise" on a [0, 1] image | σ is quoted on the 0–255 scale: use 25/255 | §1, exercise 1 |
# | higher PSNR = better-looking image | equal PSNR, very different images (measured above) | §4 |
# | "BM3D = 3-D wave elimination"; NL-means code labelled BM3D | BM3D is block matching + 3-D collaborative filtering (Dabov et al. 2007); `cv2.fastNlMeansDenoising*` is non-local means (Buades et al. 2005) | lesson 03 |
# | GAN code whose generator loss is the raw discriminator output and whose discriminator never sees fakes | the minimax / non-saturating losses, D trained on real *and* generated images | lesson 01 |
# | VAEs are "conditional random field" models, losses left as `...` | a VAE maximises the ELBO: reconstruction log-likelihood − KL, reparameterised | lesson 02 |
# | "convolution then pooling" is how a CNN is trained; loss `...` | a CNN is trained by gradient descent on a stated loss (e.g. MSE ↔ PSNR) | lesson 04 |
# | transfer learning is "deep", classical ML is "shallow" and needs more data | transfer is older than deep learning; §6 transfers into a logistic regression | §6, lesson 05 |
# | references [3], [4] of the article | they do not exist as cited; [2] Kingma & Welling is ICLR 2014, not ICML | references below |
#
# ## 8. Map of the course
#
# | lesson | topic | you build / measure |
# |---|---|---|
# | 00 concepts | arrays, $y = A(x) + n$, PSNR/SSIM, transfer | this notebook |
# | 01 GAN | adversarial training, mode collapse, KID/FID | a DCGAN on glyphs, scored by a classifier |
# | 02 VAE | the ELBO, reparameterisation, β | VAEs with honest likelihoods and IWAE |
# | 03 BM3D | block matching + collaborative filtering | BM3D from scratch vs the reference package |
# | 04 CNN repair | residual denoising, inpainting, super-resolution | CNNs vs BM3D and classical baselines |
# | 05 transfer | pretrain, fine-tune, freeze, distil | effect sizes with error bars |
#
# ## 9. Glossary · 术语表
#
# | English | 中文 | meaning in this course |
# |---|---|---|
# | degradation operator $A$ | 退化算子 | maps the clean image to the observed one |
# | additive white Gaussian noise | 加性高斯白噪声 | $n \sim \mathcal N(0, \sigma^2 I)$, independent per pixel |
# | denoising / deblurring | 去噪 / 去模糊 | $A = I$ / $A$ = convolution |
# | inpainting | 图像修补（补全） | recovering missing pixels |
# | super-resolution | 超分辨率 | recovering detail lost by downsampling |
# | PSNR | 峰值信噪比 | $10\log_{10}(1/\mathrm{MSE})$ in dB |
# | SSIM | 结构相似性 | local structure comparison, 1 = identical |
# | generative model | 生成模型 | a model of $p(x)$ one can sample from |
# | GAN | 生成对抗网络 | generator vs discriminator game |
# | VAE | 变分自编码器 | latent-variable model trained with the ELBO |
# | ELBO | 证据下界 | lower bound on $\log p(x)$ |
# | BM3D | 块匹配三维协同滤波 | block matching and 3-D collaborative filtering |
# | non-local means | 非局部均值 | weighted average of similar patches |
# | pretraining | 预训练 | training on a large source task first |
# | fine-tuning | 微调 | continuing training on the target task |
# | transfer learning | 迁移学习 | reusing source knowledge for a target task |
# | linear probe | 线性探测 | a linear classifier on frozen features |
# | source / target domain | 源域 / 目标域 | where the model learned / where it is used |
# | knowledge distillation | 知识蒸馏 | a small model learns from a large one's outputs |
#
# ## 10. Recap
# - Images are float arrays in $[0, 1]$; σ is on that scale (25/255 for "σ = 25").
# - Restoration problems are choices of $A$ in $y = A(x) + n$.
# - PSNR measures error size, not kind: equal PSNR can look very different; report SSIM and show images.
# - Pretrained features helped most when labels were scarce — measured, with a random-weights control.
#
# ## References
# - K. Dabov, A. Foi, V. Katkovnik, K. Egiazarian. Image denoising by sparse 3-D transform-domain collaborative filtering. *IEEE Transactions on Image Processing* 16(8):2080–2095, 2007.
# - A. Buades, B. Coll, J.-M. Morel. A non-local algorithm for image denoising. *CVPR* 2005.
# - Z. Wang, A. C. Bovik, H. R. Sheikh, E. P. Simoncelli. Image quality assessment: from error visibility to structural similarity. *IEEE Transactions on Image Processing* 13(4):600–612, 2004.
# - I. Goodfellow et al. Generative adversarial nets. *NeurIPS* 2014.
# - D. P. Kingma, M. Welling. Auto-encoding variational Bayes. *ICLR* 2014.
# - K. Zhang, W. Zuo, Y. Chen, D. Meng, L. Zhang. Beyond a Gaussian denoiser: residual learning of deep CNN for image denoising. *IEEE Transactions on Image Processing* 26(7):3142–3155, 2017.
# - J. Yosinski, J. Clune, Y. Bengio, H. Lipson. How transferable are features in deep neural networks? *NeurIPS* 2014.
# - Y. Wang, C. Wu, L. Herranz, J. van de Weijer, A. Gonzalez-Garcia, B. Raducanu. Transferring GANs: generating images from limited data. *ECCV* 2018.
# - S. J. Pan, Q. Yang. A survey on transfer learning. *IEEE Transactions on Knowledge and Data Engineering* 22(10):1345–1359, 2010.
# - E. Alpaydin, C. Kaynak. Optical recognition of handwritten digits (the UCI data behind `sklearn.datasets.load_digits`), 1998.
