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
# # Lesson 01 — Generative adversarial networks that train on a laptop, fail visibly, and are measured
#
# *Transfer Learning for Image Generation and Restoration* · lesson 1 of 5
#
# **You will learn to**
# - write the GAN minimax objective, derive the optimal discriminator $D^*$, and compute every loss from logits;
# - explain with a gradient plot why practitioners train the generator with the *non-saturating* loss;
# - train a GAN on a 2-D ring of 8 Gaussians in seconds and *count* the modes it covers (mode collapse, measured);
# - train a DCGAN on 8×8 digit glyphs on a 2-core CPU, and scrub through its training and its latent space;
# - evaluate generated images with a number — KID, FID and class coverage in the course classifier's feature space,
#   plus a nearest-neighbour memorisation check — and diagnose failed runs from those numbers.
#
# **Prerequisites:** lesson 00 (images as arrays, the digit/glyph data, the course classifier); Keras basics
# (a model, a `GradientTape`).
# **Run time (2-core laptop):** the first cell prints it for quick mode (`COURSE_QUICK=1`: loads the shipped
# checkpoints, trains a few steps) and full mode (the glyph DCGAN trains from scratch; a busy shared CPU takes
# several times longer; a progress bar shows it and Ctrl-C / the stop button keeps the last weights), as measured
# by `benchmarks/lesson_timings.py`. Everything runs offline; the evaluation network is trained by the course, not
# downloaded.

# %% tags=["rerun"]
import time

import matplotlib.pyplot as plt
import numpy as np

import course_lib.viz  # noqa: F401 (applies the course's figure style)
from course_lib import data, gan, gan_viz, metrics
from course_lib.classifier import features, load_digit_classifier
from course_lib.config import is_quick, lesson_run_time, load_benchmark, quick, seed_everything
from course_lib.exercises import check, reveal  # noqa: F401 (reveal: see the commented lines)

seed_everything(0)
START = time.perf_counter()
print("quick mode" if is_quick() else "full mode", "| course_lib loaded |", lesson_run_time("01_gan"))

# %% [markdown]
# ## 1. The game and its optimal discriminator
#
# A generator $G$ maps noise $z \sim p_z = \mathcal N(0, I)$ to an image $G(z)$; a discriminator $D(x) \in (0, 1)$ is the
# probability that $x$ is real. Goodfellow et al. (2014) set up the two-player minimax game
#
# $$\min_G \max_D \; V(D, G) = \mathbb E_{x \sim p_\text{data}}\big[\log D(x)\big] + \mathbb E_{z \sim p_z}\big[\log\big(1 - D(G(z))\big)\big].$$
#
# For a fixed $G$ whose samples have density $p_g$, $V = \int p_\text{data}(x) \log D(x) + p_g(x) \log(1 - D(x))\,dx$;
# maximising the integrand point by point ($a \log y + b \log(1-y)$ peaks at $y = a/(a+b)$) gives the **optimal
# discriminator**
#
# $$D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)}, \qquad
# V(D^*, G) = -\log 4 + 2\,\mathrm{JSD}(p_\text{data} \,\|\, p_g),$$
#
# so with a perfect discriminator the generator minimises the Jensen–Shannon divergence, which is 0 exactly when
# $p_g = p_\text{data}$ (and then $D^* \equiv \tfrac12$).
#
# **In code, everything is written from logits.** Our discriminator outputs a logit $\ell$ and $D = \sigma(\ell)$. Since
# $-\log \sigma(\ell) = \mathrm{softplus}(-\ell)$ and $-\log(1 - \sigma(\ell)) = \mathrm{softplus}(\ell)$, the discriminator
# *minimises*
#
# $$L_D = \mathbb E_x\big[\mathrm{softplus}(-\ell_\text{real})\big] + \mathbb E_z\big[\mathrm{softplus}(\ell_\text{fake})\big]
# \qquad (= -V,\ \text{``gan.d\_loss\_bce''}),$$
#
# which never evaluates $\log 0$ even when $D$ is certain. The cell checks the library's losses against the
# textbook formulas on a few logits.

# %%
real_logits, fake_logits = np.array([2.0, -1.0, 0.5]), np.array([-3.0, 0.0, 1.5])
sig = lambda l: 1 / (1 + np.exp(-l))  # noqa: E731
by_hand = -np.mean(np.log(sig(real_logits))) - np.mean(np.log(1 - sig(fake_logits)))
print(f"L_D from logits (gan.d_loss_bce): {float(gan.d_loss_bce(real_logits, fake_logits)):.6f}")
print(f"L_D by the textbook formula:      {by_hand:.6f}")
print(f"with extreme logits ±80 the stable form stays finite: "
      f"{float(gan.d_loss_bce(np.array([80.0, -80.0]), np.array([-80.0, 80.0]))):.1f}")


# %% [markdown]
# ### Exercise 1 — the optimal discriminator
# Write `optimal_discriminator(p_data, p_g)` that returns $D^*$ at points where both densities are given (numpy arrays
# of the same shape). Replace the `...`.

# %% exercise="01.dstar" tags=["exercise"]
def optimal_discriminator(p_data, p_g):
    ...  # your code here


# %%
optimal_discriminator = check("01.dstar", optimal_discriminator)
# reveal("01.dstar")   # uncomment to see a solution

x = np.linspace(-5, 5, 401)
p_data = np.exp(-0.5 * (x - 1) ** 2) / np.sqrt(2 * np.pi)              # N(1, 1)
p_g = np.exp(-0.5 * ((x + 1) / 1.5) ** 2) / (1.5 * np.sqrt(2 * np.pi))  # N(-1, 1.5²)
fig, ax = plt.subplots(figsize=(7, 3.2))
ax.plot(x, p_data, label="$p_{data}$ = N(1, 1)")
ax.plot(x, p_g, label="$p_g$ = N(-1, 1.5²)")
ax.plot(x, optimal_discriminator(p_data, p_g), "k--", label="$D^*(x)$")
ax.axhline(0.5, color="gray", lw=0.8)
ax.set(xlabel="x", ylabel="density / probability", title="The optimal discriminator is 1/2 where the densities cross")
ax.legend()
fig.tight_layout()

# %% [markdown]
# ## 2. Why nobody trains $G$ with the minimax loss
#
# The generator's part of the game is to minimise $\mathbb E_z[\log(1 - D(G(z)))]$ (`gan.g_loss_minimax`). Early in
# training the fakes are poor, $D$ rejects them confidently, $D(G(z)) \approx 0$ — and there this loss is flat. With
# $D = \sigma(\ell)$ the gradients with respect to the logit are
#
# $$\frac{\partial}{\partial \ell} \log\big(1 - \sigma(\ell)\big) = -\sigma(\ell) = -D \;\xrightarrow{D \to 0}\; 0,
# \qquad
# \frac{\partial}{\partial \ell} \big[-\log \sigma(\ell)\big] = -(1 - \sigma(\ell)) = -(1 - D) \;\xrightarrow{D \to 0}\; -1.$$
#
# The **non-saturating** loss $L_G = -\mathbb E_z[\log D(G(z))] = \mathbb E_z[\mathrm{softplus}(-\ell_\text{fake})]$
# (`gan.g_loss_nonsaturating`, proposed in the same 2014 paper) has the same fixed point but a strong gradient exactly
# when the generator is losing. `gan.logit_gradient` differentiates each loss with TensorFlow, and the plot shows it.

# %%
d_fake = np.logspace(-4, np.log10(0.999), 200)
grad_minimax = gan.logit_gradient(gan.g_loss_minimax, d_fake)
grad_ns = gan.logit_gradient(gan.g_loss_nonsaturating, d_fake)
fig, ax = plt.subplots(figsize=(7, 3.4))
ax.loglog(d_fake, np.abs(grad_minimax), label=r"minimax $\log(1 - D)$: $|\partial/\partial\ell| = D$")
ax.loglog(d_fake, np.abs(grad_ns), label=r"non-saturating $-\log D$: $|\partial/\partial\ell| = 1 - D$")
ax.set(xlabel="D(G(z))  (discriminator's belief that a fake is real)", ylabel="|gradient w.r.t. the logit|",
       title="Generator gradient where D rejects the fakes")
ax.legend()
fig.tight_layout()
for d in (1e-3, 1e-2, 0.5):
    i = np.argmin(np.abs(d_fake - d))
    print(f"D(G(z)) = {d:<6}: minimax gradient {abs(grad_minimax[i]):.4f}, non-saturating {abs(grad_ns[i]):.4f}")


# %% [markdown]
# ### Exercise 2 — the non-saturating loss
# Write `g_loss_ns_by_hand(fake_logits)` in numpy: the mean of $-\log \sigma(\ell)$ over a batch of logits. It must
# stay finite for logits like −800 or +800, where `np.exp(800)` overflows to `inf` and the textbook formula
# `-np.log(1 / (1 + np.exp(-l)))` returns `inf` (hint: `np.logaddexp(0, x)` is $\log(1 + e^x)$ without overflow).

# %% exercise="01.nonsat" tags=["exercise"]
def g_loss_ns_by_hand(fake_logits):
    ...  # your code here


# %%
g_loss_ns_by_hand = check("01.nonsat", g_loss_ns_by_hand)
# reveal("01.nonsat")

# %% [markdown]
# The course also ships the **hinge** loss (used by SAGAN/BigGAN): $L_D = \mathbb E[\max(0, 1 - \ell_\text{real})] +
# \mathbb E[\max(0, 1 + \ell_\text{fake})]$, $L_G = -\mathbb E[\ell_\text{fake}]$ (`gan.d_loss_hinge`, `gan.g_loss_hinge`).
#
# ## 3. A GAN in two dimensions: the ring of 8 Gaussians
#
# The classic test bed (Metz et al., 2017): real data are points from 8 Gaussians (σ = 0.05) on a circle of radius 2.
# Two small MLPs play the game. Because we *know* the modes we can count them: a generated point is *high quality*
# within 3σ of a centre; a mode is *covered* if it holds at least a quarter of its fair share of the samples
# (`gan.modes_covered`). `gan.train_toy_gan` uses the same `train_step` as the image GAN below; one run takes seconds.

# %% tags=["rerun"]
toy_steps = quick(2000, 150)
toy_runs = {}
toy_settings = {"non-saturating": {"loss": "non-saturating"}, "minimax": {"loss": "minimax"},
                "hinge": {"loss": "hinge"}, "non-sat., G lr ×10": {"loss": "non-saturating", "g_lr": 1e-2}}
for name, settings in toy_settings.items():
    toy_runs[name] = gan.train_toy_gan(steps=toy_steps, seed=0, **settings)
    cover = toy_runs[name]["coverage"]
    print(f"{name:<20} modes covered {cover['modes']}/8, high-quality share {cover['high_quality']:.0%}")
gan_viz.toy_view({"real data": gan.ring_data(2000, seed=1), **toy_runs});

# %% [markdown]
# **Reading the result.** One run is an anecdote, so `benchmarks/gan.py` trains every setting for 2000 steps with
# 3 seeds and stores the modes each seed covers (`benchmarks/results/gan.json`); the next cell prints them. Read
# them: with equal learning rates ($10^{-3}$), do all three losses cover the 8 modes? Make the generator learn 10×
# faster than the discriminator and it chases whatever $D$ currently believes, hopping between modes: does it keep
# all 8? And what does a discriminator 10× *slower* teach? Collapsed samples can each look perfect — coverage, not
# sample quality, reveals the failure. In quick mode the runs above are short, so they have not learned the ring
# yet; run the notebook in full mode to see the trained picture.

# %%
gan_results = load_benchmark("gan")
print(f"{'benchmarks/gan.py, 2000 steps':<32} {'modes per seed':>15} {'mean ± se':>12} {'high-quality share':>19}")
for name, entry in gan_results["toy_ring"].items():
    per_seed = ", ".join(str(run["modes"]) for run in entry["runs"])
    print(f"{name:<32} {per_seed:>15} {entry['modes']['mean']:>6.1f} ± {entry['modes']['se']:.1f} "
          f"{entry['high_quality']['mean']:>12.2f} ± {entry['high_quality']['se']:.2f}")
#
# The loss curves are not a progress meter: in a two-player game $L_D$ and $L_G$ oscillate around an equilibrium
# (for the BCE losses: $L_D \to 2\log 2 \approx 1.39$ when $D \equiv \frac12$) while the samples keep changing.

# %%
fig, axes = plt.subplots(1, 2, figsize=(8.2, 3.4))
for name, run in toy_runs.items():
    axes[0].plot(run["history"]["step"], run["history"]["d_loss"], label=name, lw=0.8)
    axes[1].plot(run["history"]["step"], run["history"]["g_loss"], label=name, lw=0.8)
axes[0].axhline(2 * np.log(2), color="k", ls="--", lw=0.8, label="2 log 2 (D = 1/2 everywhere)")
axes[0].set(xlabel="step", ylabel="discriminator loss", title="toy GAN: discriminator loss")
axes[1].set(xlabel="step", ylabel="generator loss", title="toy GAN: generator loss (each in its own units)")
axes[0].legend()
fig.tight_layout()

# %% [markdown]
# ### Exercise 3 — write the training step, then train with it
# Everything above ran `gan.make_train_step`. Now write one step yourself:
# `gan_train_step(generator, discriminator, g_opt, d_opt, real, z)` takes the two Keras models, their Adam
# optimisers, a batch of real points and a batch of noise, and
#
# 1. inside a `tf.GradientTape`, generates `fake = generator(z, training=True)` and computes
#    $L_D = \mathrm{mean}(\mathrm{softplus}(-\ell_\text{real})) + \mathrm{mean}(\mathrm{softplus}(\ell_\text{fake}))$ from the
#    discriminator's logits (`tf.nn.softplus`), then applies its gradient with `d_opt`;
# 2. inside a second tape, computes the non-saturating $L_G = \mathrm{mean}(\mathrm{softplus}(-\ell_\text{fake}))$ through the
#    *updated* discriminator and applies its gradient with `g_opt`;
# 3. returns `{"d_loss": ..., "g_loss": ...}`.
#
# The check compares one of your steps with the reference update from the same weights, then runs 30 of your
# steps with $G$ held still (D's loss on a fixed batch must fall) and 30 with $D$ held still (G's must fall). The
# cell after it trains the ring GAN with **your** step and counts the modes it covers.

# %% exercise="01.trainstep" tags=["exercise"]
def gan_train_step(generator, discriminator, g_opt, d_opt, real, z):
    ...  # your code here: two GradientTapes, D first (real and fake), then G through D


# %%
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

gan_train_step = check("01.trainstep", gan_train_step)
# reveal("01.trainstep")
my_g, my_d = gan.build_toy_generator(seed=0), gan.build_toy_discriminator(seed=1)
my_g_opt, my_d_opt = keras.optimizers.Adam(1e-3, beta_1=0.5), keras.optimizers.Adam(1e-3, beta_1=0.5)
my_step = tf.function(lambda real, z: gan_train_step(my_g, my_d, my_g_opt, my_d_opt, real, z))
ring = gan.ring_data(50_000, seed=0)
rng = np.random.default_rng(0)
for _ in range(toy_steps):
    my_step(ring[rng.integers(0, len(ring), 256)], rng.standard_normal((256, 2)).astype(np.float32))
mine = gan.modes_covered(gan.sample(my_g, 2000, seed=1))
print(f"your train step, {toy_steps} steps: modes covered {mine['modes']}/8, high-quality share "
      f"{mine['high_quality']:.0%} (the library's non-saturating run above: "
      f"{toy_runs['non-saturating']['coverage']['modes']}/8)")

# %% [markdown]
# ## 4. DCGAN on glyphs
#
# Now images: 8×8 digit glyphs rendered from matplotlib's fonts (lesson 00), values in $[0, 1]$. The DCGAN recipe
# (Radford et al., 2016), scaled to 8×8:
#
# | generator (`gan.build_generator`) | discriminator (`gan.build_discriminator`) |
# |---|---|
# | $z \in \mathbb R^{32}$ → Dense → 2×2×128, BN, ReLU | 8×8×1 image |
# | ConvTranspose 3×3 stride 2 → 4×4×64, BN, ReLU | Conv 3×3 stride 2 → 4×4×64, LeakyReLU(0.2) |
# | ConvTranspose 3×3 stride 2 → 8×8×32, BN, ReLU | Conv 3×3 stride 2 → 2×2×128, LeakyReLU(0.2) |
# | Conv 3×3 → 8×8×1, **sigmoid** (images in $[0, 1]$) | Dense → one **logit** |
#
# One `train_step` (see `gan.make_train_step`) first updates $D$ on a batch of real images **and** a batch of generated
# images, $\theta_D \leftarrow \theta_D - \eta_D \nabla L_D$, then updates $G$ *through* $D$:
# $\theta_G \leftarrow \theta_G - \eta_G \nabla_{\theta_G} \mathbb E_z[\mathrm{softplus}(-D_\text{logit}(G(z)))]$.
# Adam with $\beta_1 = 0.5$ (DCGAN); $D$ learns 5× faster than $G$ ($\eta_D = 2\cdot10^{-3}$, $\eta_G = 4\cdot10^{-4}$,
# the two-time-scale rule of Heusel et al., 2017), both decayed linearly to 0 over the second half of training.
#
# **Full mode** trains from scratch for 10 000 steps (see the run time above). **Quick mode** loads the shipped checkpoint
# (`python -m course_lib pretrain gan-glyphs` made it, with these settings and seeds) and runs the *same* loop for 30
# steps on 1000 glyphs.

# %% tags=["rerun"]
train_images, train_labels = data.glyphs(quick(10_000, 1_000), seed=0)   # seed 0: the shipped GAN's training set
heldout, heldout_labels = data.glyphs(quick(gan.HELDOUT_N, 1_000), seed=gan.HELDOUT_SEED)   # never trained on
if is_quick():
    generator, discriminator = gan.load_gan_glyphs()
else:
    generator, discriminator = gan.build_generator(seed=0), gan.build_discriminator(seed=1)
history = gan.train_gan(generator, discriminator, train_images, steps=quick(gan.GLYPH_STEPS, 30), seed=0,
                        snapshot_every=quick(500, 10), desc="glyph DCGAN")
print(f"trained {history['completed'][0]} steps in {history['seconds']:.1f} s")

fig, ax = plt.subplots(figsize=(8, 3))
ax.plot(history["step"], history["d_loss"], label="$L_D$ (BCE)", lw=0.8)
ax.plot(history["step"], history["g_loss"], label="$L_G$ (non-saturating)", lw=0.8)
ax.axhline(2 * np.log(2), color="k", ls="--", lw=0.8, label="2 log 2")
ax.set(xlabel="step", ylabel="loss", title="glyph DCGAN losses (they oscillate; they do not measure quality)")
ax.legend()
fig.tight_layout()

# %% tags=["rerun"]
classifier = load_digit_classifier()
samples = gan.sample(generator, len(heldout), seed=1)
gan_viz.samples_view(samples, classifier=classifier, n=36, title="36 generated glyphs: predicted digit (confidence)");

# %% [markdown]
# ### Training over time and the latent space
#
# A run of the shipped recipe stored 36 samples from a *fixed* $z$ every 250 steps, with the KID ×10³ and confident
# share of 500 samples (section 5 defines both). TensorFlow's training on a CPU is not bit-reproducible, so this run
# ends close to, not exactly at, the shipped generator (the manifest records both). The static figure shows the
# last snapshot; the slider scrubs through training (callback: `gan_viz.snapshot_view`, a plain function). The second
# widget walks the straight line $z = (1-t)\,z_A + t\,z_B$ between two noise vectors (`gan_viz.latent_view`): a smooth
# walk means $G$ learned a continuous
# map, not a lookup table.

# %%
snapshots = gan.load_snapshots()
gan_viz.snapshot_view(snapshots, -1)
gan_viz.latent_view(generator, 0, 1);

# %% tags=["widget", "nbval-ignore-output"]
import ipywidgets as widgets  # noqa: E402

widgets.VBox([gan_viz.snapshot_explorer(snapshots), gan_viz.latent_explorer(generator)])

# %% [markdown]
# ## 5. Evaluation with a number: KID, FID, class coverage
#
# Looking at 36 samples is not a measurement. Following Heusel et al. (2017) and Bińkowski et al. (2018) we compare
# *distributions of features*: the 64-d `features` layer of the course's digit classifier (trained on glyphs and
# handwritten digits by `python -m course_lib pretrain digit-classifier`; no downloaded Inception network).
#
# - **KID** is the squared maximum mean discrepancy with the cubic kernel $k(a, b) = (a^\top b / d + 1)^3$, estimated
#   *without bias*:
#   $$\widehat{\mathrm{MMD}}^2 = \frac{1}{m(m-1)}\sum_{i \ne j} k(x_i, x_j) + \frac{1}{n(n-1)}\sum_{i \ne j} k(y_i, y_j)
#   - \frac{2}{mn}\sum_{i,j} k(x_i, y_j),$$
#   averaged over random subsets (`metrics.kid` returns mean and spread over subsets). Two samples of the same
#   distribution give 0 on average. Two choices make the number readable: the features are first **standardised**
#   with the real reference set's per-feature mean and std, $\tilde f = (f - \mu_{ref}) / \sigma_{ref}$ (so the
#   kernel sees values of order 1, whatever the layer's scale), and KID is reported **×10³**. Subsets (here 20 of 200)
#   must be smaller than both sets, or every subset is the whole set and the spread is 0 by construction.
# - **FID** $= \lVert\mu_a - \mu_b\rVert^2 + \mathrm{tr}\big(\Sigma_a + \Sigma_b - 2(\Sigma_a\Sigma_b)^{1/2}\big)$ between Gaussians
#   fitted to the two feature sets (`metrics.fid`) — biased: positive for two samples of one distribution, and it
#   shrinks as $N$ grows, so compare FIDs only at equal $N$.
# - **Class coverage**: the share of samples the classifier labels with confidence ≥ 0.9, and the share of each digit
#   (a collapsed generator can be confident and still produce only three digits).
#
# Every generation table in this course carries two reference rows. The **floor**: 1000 *real* glyphs of another seed
# against the 2000 held-out glyphs — what a perfect generator would score. The **memoriser**: the generator that
# returns its own training glyphs — what copying would score. Then 2000 generated glyphs (quick mode: 500, 1000 and
# 1000). KID ×10³ ± the spread over 20 subsets of 200; precision and recall (Kynkäänniemi et al., 2019; k = 5)
# separate "do the samples look real" from "is every kind of real glyph generated".

# %% tags=["rerun"]
real_other = data.glyphs(quick(1000, 500), seed=data.GLYPHS_OTHER_SEED)[0]   # more real glyphs, another seed
reference_scores = gan.evaluate_samples(real_other, heldout, classifier=classifier, n_subsets=20)
copies = train_images[np.random.default_rng(0).integers(0, len(train_images), len(samples))]   # the memoriser
memoriser_scores = gan.evaluate_samples(copies, heldout, classifier=classifier, n_subsets=20)
gan_scores = gan.evaluate_samples(samples, heldout, classifier=classifier, n_subsets=20)
print(f"{'':<24}{'KID ×10³ (± subset std)':>24}{'FID':>8}{'precision':>10}{'recall':>8}{'confident':>10}"
      f"{'min class':>10}{'classes':>8}")
for name, s in {"real glyphs (floor)": reference_scores, "memoriser (train set)": memoriser_scores,
                "glyph DCGAN": gan_scores}.items():
    print(f"{name:<24}{s['kid']:>14.1f} ± {s['kid_std']:<7.1f}{s['fid']:>8.2f}{s['precision']:>10.2f}"
          f"{s['recall']:>8.2f}{s['confident_share']:>10.1%}{s['class_shares'].min():>10.1%}{s['classes_present']:>8}")

fig, ax = plt.subplots(figsize=(8.2, 3))
ax.bar(np.arange(10) - 0.2, reference_scores["class_shares"], 0.4, label="real glyphs")
ax.bar(np.arange(10) + 0.2, gan_scores["class_shares"], 0.4, label="glyph DCGAN")
ax.axhline(0.05, color="k", ls="--", lw=0.8, label="5 % (target minimum)")
ax.set(xlabel="predicted digit", ylabel="share of samples", xticks=range(10),
       title=f"Class coverage of {len(samples)} samples")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))  # outside the bars
fig.tight_layout()

# %% [markdown]
# **Does KID behave as claimed?** Add Gaussian noise of growing σ to real glyphs: KID must grow monotonically, and
# real-vs-real must be 0 within its spread. (The unit tests in `tests/test_gan_metrics.py` assert both.)

# %%
rng = np.random.default_rng(0)
f_heldout = features(classifier, heldout)
sigmas = [0.0, 0.1, 0.2, 0.3]
kids = []
for s in sigmas:
    noisy = np.clip(real_other + s * rng.standard_normal(real_other.shape), 0, 1).astype(np.float32)
    kids.append(metrics.kid(features(classifier, noisy), f_heldout, n_subsets=20))
fig, ax = plt.subplots(figsize=(6, 3))
ax.errorbar(sigmas, [k[0] for k in kids], yerr=[k[1] for k in kids], marker="o", capsize=3)
ax.set(xlabel="σ of added noise", ylabel="KID ×10³ to held-out glyphs",
       title="KID grows with the damage to real images")
fig.tight_layout()
print("KID:", [f"{k[0]:.1f} ± {k[1]:.1f}" for k in kids])


# %% [markdown]
# ### Exercise 4 — KID by hand
# Write `kid_by_hand(x, y)`: the unbiased MMD² above with the cubic kernel, for feature arrays `x` of shape `(m, d)` and
# `y` of shape `(n, d)`. The check compares with `metrics.mmd2_unbiased` and tests that two samples of one
# distribution average to 0.

# %% exercise="01.kid" tags=["exercise"]
def kid_by_hand(x, y):
    ...  # your code here


# %%
kid_by_hand = check("01.kid", kid_by_hand)
# reveal("01.kid")

# %% [markdown]
# ### Is it memorising? The nearest-neighbour check
#
# A generator that copies its training set would score perfectly on every metric above. For each generated glyph we
# find the nearest *training* glyph in pixel space (`gan.nearest_neighbours`) and compare the distances with those of
# *held-out real* glyphs to the same training set: a memorising GAN would sit much closer to the training set than
# fresh real data does.

# %% tags=["rerun"]
_, d_gen = gan.nearest_neighbours(samples[:1000], train_images)
_, d_real = gan.nearest_neighbours(heldout[:1000], train_images)
index, _ = gan.nearest_neighbours(samples[:8], train_images)
print(f"median distance to the nearest training glyph: generated {np.median(d_gen):.3f}, "
      f"held-out real {np.median(d_real):.3f}; exact copies (distance < 0.01): {np.mean(d_gen < 0.01):.1%}")
fig, axes = plt.subplots(2, 8, figsize=(8.2, 2.9))
for j in range(8):
    axes[0, j].imshow(samples[j], cmap="gray", vmin=0, vmax=1)
    axes[1, j].imshow(train_images[index[j]], cmap="gray", vmin=0, vmax=1)
    axes[0, j].set_title(f"d={np.linalg.norm(samples[j] - train_images[index[j]]):.2f}", fontsize=9)
for ax in axes.flat:
    ax.set(xticks=[], yticks=[])
axes[0, 0].set_ylabel("generated")
axes[1, 0].set_ylabel("nearest\ntraining")
fig.suptitle("Generated glyphs (top) and their nearest training glyphs (bottom)")
fig.tight_layout()

# %% [markdown]
# ## 6. Failure modes, measured
#
# **(a) The popular article's pattern.** A widely copied tutorial trains the discriminator only on real images
# (`d_loss = -mean(D(real))`: it never sees a fake) and uses the raw discriminator output as the generator's loss
# (`g_loss = mean(D(G(z)))`). `gan.LOSSES["article"]` reproduces it. With no fakes in its loss, $D$ simply learns to
# say "real" to everything, its output saturates, and the generator gets no useful signal. Measured on the same
# glyph DCGAN and seeds, against the shipped recipe's run (correct losses) at the same step:

# %%
article_steps = quick(1500, 20)
g_article, d_article = gan.build_generator(seed=0), gan.build_discriminator(seed=1)   # the shipped run's seeds
gan.train_gan(g_article, d_article, train_images, steps=article_steps, loss="article", seed=0, desc="article")
article_samples = gan.sample(g_article, 1000, seed=2)
prob_real = lambda model, x: float(np.mean(1 / (1 + np.exp(-np.asarray(model(x[..., None]))))))  # noqa: E731
article = gan.evaluate_samples(article_samples, heldout, classifier=classifier, n_subsets=20)
print(f"article pattern after {article_steps} steps: D(real) = {prob_real(d_article, heldout[:1000]):.3f}, "
      f"D(fake) = {prob_real(d_article, article_samples):.3f}, confident share {article['confident_share']:.0%}, "
      f"classes ≥ 5 %: {article['classes_present']}, KID ×10³ {article['kid']:.1f}")
k = int(np.searchsorted(snapshots["step"], article_steps))   # the shipped recipe's (correct) run at the same step
print(f"correct losses, the recipe's run at step {snapshots['step'][k]}: confident share "
      f"{snapshots['confident_share'][k]:.0%}; KID ×10³ of the trained DCGAN (section 5): {gan_scores['kid']:.1f}, "
      f"floor {reference_scores['kid']:.1f}")
fig, axes = plt.subplots(1, 2, figsize=(8.2, 2.2))
axes[0].imshow(np.hstack(article_samples[:10]), cmap="gray", vmin=0, vmax=1)
axes[0].set_title(f"article pattern, step {article_steps}: confident {article['confident_share']:.0%}", fontsize=9)
axes[1].imshow(np.hstack(snapshots["images"][k][:10]), cmap="gray", vmin=0, vmax=1)
axes[1].set_title(f"correct losses, step {snapshots['step'][k]}: confident {snapshots['confident_share'][k]:.0%}",
                  fontsize=9)
for ax in axes:
    ax.axis("off")
fig.tight_layout()

# %% [markdown]
# Read the two printed lines. In full mode (1500 steps) the article's discriminator, never shown a fake, ends up
# saying "real" to real *and* generated images alike: both $D$ values are close to 1, hardly any sample is
# classified with confidence, and its KID is far above the trained DCGAN's and the floor. (Quick
# mode runs the article pattern for only 20 steps; the comparison row is that run's first snapshot.)
#
# **(b) The discriminator overpowering the generator.** What is left of the generator's learning signal when $D$ is
# far ahead? Pit an *untrained* generator (the start of every run) against the shipped, trained discriminator, then
# train **only** $D$ for a few more steps ($\eta_G \approx 0$), and measure the mean $D(G(z))$ and the norm of the
# generator's gradient $\lVert \nabla_{\theta_G} L_G \rVert$ under both generator losses (`gan.generator_gradient_norm`).

# %%
g_fresh = gan.build_generator(seed=0)   # untrained
_, d_strong = gan.load_gan_glyphs()     # trained: it knows what digits look like
z_probe = gan.latent(512, seed=3)
def signal(label):
    minimax = gan.generator_gradient_norm(g_fresh, d_strong, gan.g_loss_minimax, z_probe)
    nonsat = gan.generator_gradient_norm(g_fresh, d_strong, gan.g_loss_nonsaturating, z_probe)
    print(f"{label:<32} mean D(G(z)) = {gan.mean_d(d_strong, gan.sample(g_fresh, z=z_probe)):.4f}   "
          f"|∇G| minimax {minimax:.2e}   non-saturating {nonsat:.2e}   ratio {nonsat / minimax:,.0f}x")
signal("untrained G vs trained D")
d_steps = quick(300, 100)
g_weights = g_fresh.get_weights()  # train_gan also updates G's batch-norm statistics: restore them afterwards
gan.train_gan(g_fresh, d_strong, train_images, steps=d_steps, g_lr=1e-12, lr_decay=0, seed=0, desc="D alone")
g_fresh.set_weights(g_weights)
signal(f"after {d_steps} more steps of D alone")


# %% [markdown]
# The stronger $D$ gets, the closer $D(G(z))$ falls to 0, and the minimax gradient shrinks with it (it is proportional
# to $D$, section 2). After the extra steps of $D$ alone (300 in full mode, 100 in quick mode) the non-saturating
# loss gives the generator orders of magnitude more gradient than the minimax loss; the cell prints the ratio.
# Between two equally matched networks, such as the shipped $G$ against the shipped $D$, $D(G(z))$ stays well away
# from 0 and the two losses give gradients of the same order. The non-saturating loss, a learning-rate ratio chosen on purpose, and
# gradient penalties on $D$ (Mescheder et al., 2018) all keep the generator learning.

# %% [markdown]
# **(c) Mode collapse, diagnosed from metrics.** A collapsed glyph GAN can be *more* confident than a healthy one —
# it draws the few digits it found very clearly. So a diagnosis must look at confidence **and** coverage.
#
# ### Exercise 5 — diagnose a run from its metrics
# Write `diagnose(confident_share, class_shares)` that returns `"low quality"` when fewer than half of the samples are
# confidently classified, otherwise `"mode collapse"` when some digit gets less than 2 % of the samples, otherwise
# `"healthy"`.

# %% exercise="01.diagnose" tags=["exercise"]
def diagnose(confident_share, class_shares):
    ...  # your code here


# %%
diagnose = check("01.diagnose", diagnose)
# reveal("01.diagnose")
for name, s in {"glyph DCGAN": gan_scores, "article pattern": article}.items():
    print(f"{name:<22} → {diagnose(s['confident_share'], s['class_shares'])}")

# %% [markdown]
# ## 7. Common misconceptions and errata
#
# - **"The generator minimises $\log(1 - D(G(z)))$."** That is the game's definition, and Algorithm 1 of the 2014
#   paper is written with it; the same paper (Goodfellow et al. 2014, §3) *recommends* training $G$ to maximise
#   $\log D(G(z))$ instead, because the former saturates (section 2's plot: at $D(G(z)) = 10^{-3}$ its gradient is
#   1000× smaller). Practice followed the recommendation.
# - **"Generator loss = raw discriminator output; train $D$ on real images."** The article pattern of section 6(a): a
#   discriminator that never sees fakes cannot teach anything. $D$ must be trained on real **and** generated images.
# - **"The losses going down means training works."** GAN losses oscillate around the equilibrium; progress is
#   measured on samples (the snapshot curve's KID and confident share), not on $L_D$ or $L_G$.
# - **"$D(G(z)) = 0.5$ means the generator is perfect."** $D^* = \frac12$ *if* $p_g = p_\text{data}$, but a weak or
#   undertrained $D$ outputs ½ for bad samples too. Measure with a separate network.
# - **"FID is unbiased, and FIDs from different sample sizes compare."** Two samples of the *same* distribution
#   (real vs real, below): FID is positive and grows as $N$ shrinks; KID is unbiased — its mean stays at 0 within its
#   spread at every $N$, only the spread grows. At $N = 50$ FID is not just biased but ill-posed: the sample
#   covariance of $N$ points has rank at most $N - 1 = 49$, fewer than the 64 feature dimensions, so $\Sigma$ is
#   singular: at least 15 of its 64 eigenvalues are 0 (numerically, tiny negative ones, which `metrics.fid` clips to
#   0 before the square root), and the trace term $\mathrm{tr}(\Sigma_a\Sigma_b)^{1/2}$ is dominated by estimation
#   noise. Use $N \gg d$ for FID, or KID, which needs no covariance matrix.
# - **"A confident classifier means a good generator."** Not without coverage: see exercise 5.

# %%
f_other = features(classifier, real_other)
for n in (50, 100, 400):   # random subsets of n real glyphs from each set
    kid_mean, kid_spread = metrics.kid(f_other, f_heldout, n_subsets=20, subset_size=n)
    print(f"real vs real, N = {n:>4}: FID {metrics.fid(f_other[:n], f_heldout[:n]):7.2f}   "
          f"KID {kid_mean:8.1f} ± {kid_spread:.1f}")

# %% [markdown]
# ## 8. Recap
#
# - The GAN game: $D$ separates real from generated, $G$ fools $D$; for a fixed $G$, $D^* = p_\text{data}/(p_\text{data} + p_g)$
#   and the game minimises the Jensen–Shannon divergence. Write every loss from logits with `softplus`.
# - Train $G$ with the non-saturating loss $-\log D(G(z))$; its gradient is large exactly when $G$ is losing.
# - One `train_step` updates $D$ on real **and** fake images, then $G$ through $D$. The same code trains a 2-D toy in
#   seconds and a DCGAN on glyphs in minutes on a CPU.
# - Judge a GAN by measurements in a feature space you trust: KID (unbiased, with its spread), FID (at equal $N$),
#   class coverage, and a nearest-neighbour check for memorisation. Mode collapse shows up as missing classes/modes,
#   not as low confidence.
# - Lesson 05 reuses `gan.build_generator`, `gan.build_discriminator` and this checkpoint to transfer the glyph GAN
#   to handwritten digits.
#
# How good is the recipe, not just this run? `python benchmarks/gan.py` trains the glyph DCGAN with 3 seeds and
# scores each against 2000 held-out glyphs, next to real glyphs of another seed (`benchmarks/results/gan.json`);
# the cell below prints it. Compare the GAN's rows with the real-glyph row: the numbers, not the pictures, say how
# far the generator is from indistinguishable.

# %%
dcgan = gan_results["glyph_dcgan"]
print(f"{'glyph DCGAN, ' + str(len(dcgan['runs'])) + ' seeds':<24} {'confident':>10} {'min class':>10} {'KID':>7} "
      f"{'FID':>7} {'train s':>8}")
for run in dcgan["runs"]:
    print(f"{'  seed ' + str(run['seed']):<24} {run['confident_share']:>10.3f} {run['min_class_share']:>10.3f} "
          f"{run['kid']:>7.0f} {run['fid']:>7.1f} {run['train_seconds']:>8.0f}")
m = dcgan["summary"]
print(f"{'  mean ± se':<24} {m['confident_share']['mean']:>5.3f}±{m['confident_share']['se']:.3f} "
      f"{m['min_class_share']['mean']:>5.3f}±{m['min_class_share']['se']:.3f} "
      f"{m['kid']['mean']:>4.0f}±{m['kid']['se']:.0f} {m['fid']['mean']:>4.1f}±{m['fid']['se']:.1f}")
ref = dcgan["real_glyphs_reference"]
print(f"{'real glyphs (reference)':<24} {ref['confident_share']:>10.3f} {ref['min_class_share']:>10.3f} "
      f"{ref['kid']:>7.0f} {ref['fid']:>7.1f}")
print(dcgan["evaluation"])

# %%
print(f"notebook time: {time.perf_counter() - START:.0f} s ({'quick' if is_quick() else 'full'} mode)")

# %% [markdown]
# ## References
# - I. Goodfellow, J. Pouget-Abadie, M. Mirza, B. Xu, D. Warde-Farley, S. Ozair, A. Courville, Y. Bengio. Generative adversarial nets. *NeurIPS* 2014.
# - A. Radford, L. Metz, S. Chintala. Unsupervised representation learning with deep convolutional generative adversarial networks. *ICLR* 2016 (DCGAN).
# - M. Heusel, H. Ramsauer, T. Unterthiner, B. Nessler, S. Hochreiter. GANs trained by a two time-scale update rule converge to a local Nash equilibrium. *NeurIPS* 2017 (TTUR, FID).
# - M. Bińkowski, D. J. Sutherland, M. Arbel, A. Gretton. Demystifying MMD GANs. *ICLR* 2018 (KID).
# - L. Mescheder, A. Geiger, S. Nowozin. Which training methods for GANs do actually converge? *ICML* 2018.
# - L. Metz, B. Poole, D. Pfau, J. Sohl-Dickstein. Unrolled generative adversarial networks. *ICLR* 2017 (the ring of Gaussians, mode counting).
# - A. Srivastava, L. Valkov, C. Russell, M. U. Gutmann, C. Sutton. VEEGAN: reducing mode collapse in GANs using implicit variational learning. *NeurIPS* 2017.
# - J. H. Lim, J. C. Ye. Geometric GAN. arXiv:1705.02894, 2017 (hinge loss); T. Miyato, T. Kataoka, M. Koyama, Y. Yoshida. Spectral normalization for generative adversarial networks. *ICLR* 2018.
# - T. Salimans, I. Goodfellow, W. Zaremba, V. Cheung, A. Radford, X. Chen. Improved techniques for training GANs. *NeurIPS* 2016.
# - A. Gretton, K. M. Borgwardt, M. J. Rasch, B. Schölkopf, A. Smola. A kernel two-sample test. *JMLR* 13:723–773, 2012 (MMD).
