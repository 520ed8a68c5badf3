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
# # Lesson 02 — Variational autoencoders: the ELBO, stated and implemented exactly
#
# *Transfer Learning for Image Generation and Restoration* · lesson 2 of 5
#
# **You will learn to**
# - explain why the latent space of a plain autoencoder is a poor place to sample from — and measure it;
# - derive the evidence lower bound (ELBO) in five lines and match every term to one line of code;
# - choose a decoder likelihood that is a real probability for the data (here: 17 grey levels), so the ELBO is a
#   bound in nats you can compare between models;
# - check the closed-form KL against Monte Carlo, and compare models with the importance-weighted bound (IWAE);
# - see what β does to reconstructions, samples and the latent code — posterior collapse included, measured.
#
# **Prerequisites:** lesson 00 (images in $[0, 1]$, the digit data); lesson 01 helps (the course classifier used as
# a metric); basic probability (Gaussians, expectations, the KL divergence); basic Keras.
# **Run time (2-core laptop):** the first cell prints it for quick mode (`COURSE_QUICK=1`) and full mode (which
# trains a 2-D VAE from scratch for 3 000 steps with a progress bar and computes IWAE bounds with k = 1000), as
# measured by `benchmarks/lesson_timings.py`.
# The other models were trained once with `python -m course_lib pretrain vae-digits` (and `vae-2d`, `ae-digits`,
# `vae-glyphs`, `vae-beta0.1`, `vae-beta2`, `vae-beta4`, `vae-beta64`) on the 1 297 training digits; every number
# below is measured on the 500 held-out test digits.
#
# The VAE is D. P. Kingma and M. Welling, *Auto-Encoding Variational Bayes*, ICLR 2014, and (independently)
# D. J. Rezende, S. Mohamed and D. Wierstra, *Stochastic Backpropagation and Approximate Inference in Deep Generative
# Models*, ICML 2014. Everything below runs `course_lib.vae`, a few hundred lines you can read.

# %% tags=["rerun"]
import course_lib  # noqa: F401, I001 (first: it keeps TensorFlow's C++ log lines out of the lesson)
import inspect

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from course_lib import checkpoints, data, vae, vae_viz, viz
from course_lib.classifier import load_digit_classifier
from course_lib.config import is_quick, lesson_run_time, limit_threads, load_benchmark, quick, seed_everything
from course_lib.exercises import check, reveal  # noqa: F401 (reveal: see the commented lines)
from course_lib.exercises.l02_vae import BETA_TO_ZERO
from course_lib.metrics import softmax

limit_threads()
seed_everything(0)
(train, train_labels), (test, test_labels) = data.digits("train"), data.digits("test")
classifier = load_digit_classifier()          # lesson 01's measuring instrument: a CNN trained on glyphs


def classify(images):
    # predicted digit and confidence of the course classifier for each image
    p = softmax(np.asarray(classifier(images[..., None], training=False)))
    return p.argmax(1), p.max(1)


print("quick mode" if is_quick() else "full mode", f"| {len(train)} training digits, {len(test)} test digits,",
      f"8x8, grey levels {np.unique(train)[:4]} … (17 levels k/16)")
print(lesson_run_time("02_vae"))

# %% [markdown]
# ## 1. From autoencoder to VAE: why an autoencoder is not a generator
#
# An **autoencoder** (AE) maps an image to a code and back: $z = \mu_\phi(x)$, $\hat x = \text{decoder}_\theta(z)$,
# trained only to reconstruct. Its decoder turns codes into images — so why not draw random codes and decode them?
# Because nothing tells us *which* codes the decoder knows. The training codes may sit anywhere, in any shape.
#
# The shipped `ae-digits` and `vae-digits` are the **same network** (an MLP 64 → 128 → 16 and back, the same
# decoder likelihood, the same 3 000 steps). The only differences: the VAE adds noise to the code and the KL term
# of section 2; the AE uses $z = \mu(x)$ and no KL. First, both reconstruct:

# %% tags=["rerun"]
ae, vae16 = vae.load_vae("ae-digits"), vae.load_vae("vae-digits")
shown = test[:8]
rows = list(shown) + list(vae.reconstruct(ae, shown)) + list(vae.reconstruct(vae16, shown))
viz.show_images(rows, ncols=8, size=1.25, row_labels=["test digit", "AE", "VAE"], suptitle=(
    f"log p(x | z = μ(x)) on the test digits: AE {vae.reconstruction_at_mean(ae, test):.1f}, "
    f"VAE {vae.reconstruction_at_mean(vae16, test):.1f} nats/image (higher is better); "
    "rows: the digit, its reconstructions"));

# %% [markdown]
# The AE reconstructs better: it spends all its capacity on it. Now decode **random** codes $z \sim \mathcal N(0, I)$
# with both decoders and let the course classifier (lesson 01's digit CNN) judge them: the share of samples it
# recognises with confidence ≥ 0.9, and how many of the 10 digits appear in ≥ 5 % of the samples. The third row gives
# the AE a fair chance: codes drawn from a Gaussian *fitted* to its training codes (mean and full covariance); the
# fourth does the same for the VAE. Same decoder calls, same seed, 2 000 samples each (one batched decoder call
# per set).

# %% tags=["rerun"]
n_samples = quick(2000, 1000)
codes = {
    "AE, z ~ N(0, I)": (ae, vae.prior_codes(n_samples, 16, seed=0)),
    "AE, z ~ Gaussian fitted to its codes": (ae, vae.gaussian_fit_codes(ae, train, n_samples, seed=0)),
    "VAE, z ~ N(0, I)": (vae16, vae.prior_codes(n_samples, 16, seed=0)),
    "VAE, z ~ Gaussian fitted to its codes": (vae16, vae.gaussian_fit_codes(vae16, train, n_samples, seed=0)),
}
random_decodes = {name: vae.decode(model, z) for name, (model, z) in codes.items()}
random_decodes["real test digits"] = test
scores = {name: vae.score_samples(images, train, classifier=classifier, n_subsets=quick(50, 10))
          for name, images in random_decodes.items()}
print(f"{'':<38} {'confident (≥0.9)':>17} {'digits present':>15} {'KID×10³ ↓':>10}")
for name, s in scores.items():
    print(f"{name:<38} {s['confident_share']:>17.0%} {s['classes_present']:>12}/10 {s['kid']:>10.1f}")
mu_ae = vae.encode(ae, train)[0]
print(f"\nAE training codes: per-dimension means in [{mu_ae.mean(0).min():.2f}, {mu_ae.mean(0).max():.2f}], "
      f"stds in [{mu_ae.std(0).min():.2f}, {mu_ae.std(0).max():.2f}] — not N(0, 1)")
mu_v, logvar_v = vae.encode(vae16, train)
aggregate_var = mu_v.var(0) + np.exp(logvar_v).mean(0)    # variance of the aggregate posterior, per dimension
print(f"VAE: the aggregate posterior q(z) = mean over x of q(z|x) has per-dimension means in "
      f"[{mu_v.mean(0).min():.2f}, {mu_v.mean(0).max():.2f}] and variances in [{aggregate_var.min():.2f}, "
      f"{aggregate_var.max():.2f}] (the prior: 0 and 1)")
print("benchmarks/vae.py (2 000 samples each, KID ± its spread over 50 subsets):")
for name, row in load_benchmark("vae")["random_decodes"].items():
    print(f"   {name:<30} KID {row['kid']:>6.0f} ± {row['kid_std']:<4.0f} confident {row['confident_share']:.0%}")

# %%
rows, titles = [], []
for name in ("AE, z ~ N(0, I)", "AE, z ~ Gaussian fitted to its codes", "VAE, z ~ N(0, I)"):
    images = random_decodes[name][:8]
    label, confidence = classify(images)
    rows += list(images)
    titles += [f"{d} ({c:.2f})" for d, c in zip(label, confidence)]
viz.show_images(rows, titles, ncols=8, size=1.3, row_labels=["AE", "AE, fitted", "VAE"], suptitle=(
    "random codes, decoded: AE with N(0, I) codes (top), AE with fitted-Gaussian codes (middle), VAE (bottom); "
    "titles: classifier's digit (confidence)"));

# %% [markdown]
# Read the table: with codes from $\mathcal N(0, I)$ the AE's decoder produces fewer recognisable digits and
# fewer distinct digits than the VAE's (and a larger KID: the Kernel Inception Distance of lesson 01, here in the
# classifier's feature space; lower is closer to real digits). The printed statistics say why: the AE's codes are
# not centred on 0 and not spread like $\mathcal N(0, I)$, so most random codes land where the decoder never
# trained. Fitting a Gaussian to the AE's codes repairs much of it (Ghosh et al., ICLR 2020, build a generator this
# way) — the AE's decoder is not bad, its code distribution is unknown. **The VAE makes the code distribution
# part of the model:** a prior $p(z) = \mathcal N(0, I)$ and a training objective that keeps the codes of real
# images where the prior puts its mass. That objective is the ELBO.
#
# Compare the two VAE rows, though: a Gaussian fitted to the VAE's own codes can also score a lower KID than the
# prior (`benchmarks/vae.py` measures it with 50 KID subsets; `benchmarks/results/vae.json`, `random_decodes`).
# The ELBO pulls each $q(z \mid x)$ towards $p(z)$ *and* rewards reconstruction, so the **aggregate posterior**
# $q(z) = \frac1N\sum_n q(z \mid x_n)$ — where the decoder was trained — need not match the prior (Hoffman &
# Johnson, NIPS workshop 2016, "ELBO surgery"). Compare the printed per-dimension means and variances with the
# prior's 0 and 1: a mismatch that remains is in the correlations and the shape of $q(z)$, which a full-covariance
# Gaussian partly captures. Prior samples that fall where $q(z)$ has little mass decode to poorer digits. The prior
# makes sampling possible; it does not make it perfect.
#
# ## 2. The ELBO in five lines
#
# **The model.** Prior $p(z) = \mathcal N(0, I_d)$; decoder $p_\theta(x \mid z)$; so $p_\theta(x) = \int
# p_\theta(x \mid z)\, p(z)\, dz$ — an integral we cannot compute. **The encoder** $q_\phi(z \mid x) = \mathcal
# N(\mu_\phi(x), \operatorname{diag} \sigma^2_\phi(x))$ proposes the codes that explain $x$. For any $q$:
#
# $$
# \begin{aligned}
# \log p_\theta(x) &= \log \mathbb E_{q_\phi(z\mid x)}\!\left[\frac{p_\theta(x \mid z)\, p(z)}{q_\phi(z \mid x)}\right]
#  \;\ge\; \mathbb E_{q_\phi(z\mid x)}\!\left[\log \frac{p_\theta(x \mid z)\, p(z)}{q_\phi(z \mid x)}\right]
#  \quad\text{(Jensen)}\\
# &= \underbrace{\mathbb E_{q_\phi(z\mid x)}[\log p_\theta(x \mid z)]}_{\text{reconstruction}}
#  \;-\; \underbrace{\mathrm{KL}\big(q_\phi(z \mid x)\,\|\,p(z)\big)}_{\text{KL}} \;=\; \mathrm{ELBO}(x),
# \end{aligned}
# $$
#
# and the gap is exactly $\log p_\theta(x) - \mathrm{ELBO}(x) = \mathrm{KL}(q_\phi(z \mid x)\,\|\,p_\theta(z \mid x))
# \ge 0$. Both terms are **per image**: the log-likelihood sums over the 64 pixels, the KL over the $d$ latent
# dimensions. For two diagonal Gaussians the KL has a closed form,
#
# $$\mathrm{KL}\big(\mathcal N(\mu, \operatorname{diag}\sigma^2)\,\|\,\mathcal N(0, I)\big)
#  = \tfrac12 \textstyle\sum_{j=1}^{d} \big(\mu_j^2 + \sigma_j^2 - \log \sigma_j^2 - 1\big),$$
#
# and the expectation is estimated with one sample, written so that gradients reach $\mu$ and $\sigma$ (the
# **reparameterisation trick**): $z = \mu + \sigma \odot \varepsilon$, $\varepsilon \sim \mathcal N(0, I)$, with
# $\sigma = \exp(\tfrac12 \log \sigma^2)$ (the encoder outputs $\log\sigma^2$, which can be any real number).
# Training **minimises** the loss, averaged over a minibatch of $B$ images:
#
# $$\mathcal L(\theta, \phi) = -\frac1B \sum_{b=1}^{B} \Big[\log p_\theta(x_b \mid z_b) - \beta\,
# \mathrm{KL}\big(q_\phi(z \mid x_b)\,\|\,p(z)\big)\Big],\qquad z_b = \mu_\phi(x_b) + \sigma_\phi(x_b) \odot \varepsilon_b,$$
#
# with $\beta = 1$ for the VAE (section 5 varies it).
#
# **Which likelihood, and why.** sklearn's digits take exactly **17 grey levels** $k/16$, $k = 0 \dots 16$ (they
# count ink in 4×4 blocks). So $p_\theta(x \mid z)$ must be a distribution over those 17 values for each pixel;
# then it sums to 1, the ELBO is a true lower bound on $\log p(x)$, and its value in nats per image compares
# across models (uniform guessing scores $-64 \ln 17 \approx -181.3$). We use the **discretised logistic**
# (Kingma et al., NeurIPS 2016; Salimans et al., ICLR 2017, PixelCNN++): the decoder outputs a centre $m_i$ and a
# scale $s_i$ per pixel, and level $k$ gets the mass of a logistic distribution on its bin
# $[\tfrac{k}{16} - \tfrac1{32}, \tfrac{k}{16} + \tfrac1{32}]$ (the end bins reach $\pm\infty$):
# $P(k \mid z) = \mathrm{sigmoid}\big(\tfrac{e_k - m}{s}\big) - \mathrm{sigmoid}\big(\tfrac{e_{k-1} - m}{s}\big)$.
# Neighbouring levels get similar probabilities — it knows that 7/16 is close to 8/16.
#
# What we do **not** do: the popular Keras VAE example (keras.io, on MNIST) applies *binary cross-entropy* to grey
# images and trains on its sum with the KL (`total_loss`), without a word on what, if anything, that sum bounds. For a grey value $x \in (0, 1)$, $\exp(-\mathrm{BCE})$
# is not a probability of anything — it does not sum to 1 over the values a pixel can take — so that "ELBO" bounds
# nothing and cannot be compared between models (measured in section 7). A Gaussian decoder (MSE) is a density on
# discrete data — its likelihood can grow without bound as its variance shrinks, so its "nats" do not compare — and
# its fixed variance $s^2$ silently sets the weight of the KL: $-\log \mathcal N(x; \hat x, s^2 I) =
# \lVert x - \hat x\rVert^2 / (2s^2) + \text{const}$, so minimising "MSE + KL" is the Gaussian ELBO with
# $s^2 = \tfrac12$, and any other weighting is a β ≠ 1 in disguise (Loaiza-Ganem & Cunningham, NeurIPS 2019, discuss
# the analogous error for the Bernoulli).

# %% [markdown]
# **The code, line by line.** Each function is one term of the equations above; the training step of
# `vae.train_vae` computes `loss = -tf.reduce_mean(rec - beta * kl)` from `elbo_terms` — exactly $\mathcal L$.
#
# | equation | code |
# |---|---|
# | $\mathrm{KL} = \tfrac12 \sum_j (\mu_j^2 + \sigma_j^2 - \log\sigma_j^2 - 1)$ | `vae.kl_divergence(mu, logvar)` (sum over `axis=-1`) |
# | $z = \mu + \exp(\tfrac12 \log\sigma^2) \odot \varepsilon$ | `vae.reparameterize(mu, logvar, eps)` |
# | $\log p_\theta(x \mid z) = \sum_{i=1}^{64} \log P(k_i \mid z)$ | `vae.log_likelihood(params, images)` (sum over both pixel axes) |
# | $P(k \mid z)$ for the 17 levels | `vae.discretised_logistic_log_probs(params)` |
# | one-sample $(\log p(x \mid z), \mathrm{KL})$ per image | `vae.elbo_terms(model, images, eps)` |
# | $\mathcal L = -\frac1B \sum_b [\dots - \beta\,\mathrm{KL}_b]$ | `loss = -tf.reduce_mean(pixel_weight * rec - beta * kl)` in `vae.train_vae` (`pixel_weight = 1`) |

# %%
for fn in (vae.kl_divergence, vae.reparameterize, vae.log_likelihood, vae.elbo_terms):
    print(inspect.getsource(fn))
loss_lines = [line for line in inspect.getsource(vae.train_vae).splitlines() if "loss =" in line or "rec, kl" in line]
print("\n".join(loss_lines))

# %% [markdown]
# Check the pieces on real numbers: the 17 level probabilities of every pixel sum to 1, and the terms that
# `vae.elbo_terms` returns are the reconstruction term and the KL, computed here from the equations by hand (with the
# same noise $\varepsilon$).

# %%
x = test[:100]
mu, logvar = vae.encode(vae16, x)
eps = np.random.default_rng(0).standard_normal(mu.shape).astype(np.float32)
z = mu + np.exp(0.5 * logvar) * eps                                              # reparameterisation
log_probs = np.asarray(vae.level_log_probs(vae.decoder_of(vae16)(z)))           # (100, 8, 8, 17)
print("level probabilities sum to 1: max |Σ_k P(k|z) - 1| =", f"{np.abs(np.exp(log_probs).sum(-1) - 1).max():.1e}")
levels = np.rint(16 * x).astype(int)
rec_by_hand = np.take_along_axis(log_probs, levels[..., None], -1).sum(axis=(1, 2, 3))  # sum over the 64 pixels
kl_by_hand = 0.5 * np.sum(mu**2 + np.exp(logvar) - logvar - 1, axis=1)           # sum over the 16 latent dims
rec, kl = (np.asarray(t) for t in vae.elbo_terms(vae16, x, eps))
print(f"by hand: E[log p(x|z)] ≈ {rec_by_hand.mean():.3f}, KL = {kl_by_hand.mean():.3f}, "
      f"ELBO ≈ {np.mean(rec_by_hand - kl_by_hand):.3f} nats/image")
print(f"course_lib.vae.elbo_terms: {rec.mean():.3f}, {kl.mean():.3f}, {np.mean(rec - kl):.3f}")

# %% [markdown]
# ### The closed-form KL against Monte Carlo
#
# $\mathrm{KL}(q\,\|\,p) = \mathbb E_{z \sim q}[\log q(z) - \log p(z)]$, so averaging $\log q(z) - \log p(z)$ over
# many draws of $z$ estimates it, with a standard error that shrinks like $1/\sqrt{n}$. The closed form must agree
# within a few standard errors — on the posteriors the trained encoder gives the 500 test digits:

# %% tags=["rerun"]
mu, logvar = vae.encode(vae16, test)
closed = float(np.mean(vae.kl_divergence(mu, logvar)))
estimate, se = vae.kl_monte_carlo(mu, logvar, n_samples=quick(10_000, 2000), seed=0)
print(f"closed form {closed:.4f} nats | Monte Carlo {estimate:.4f} ± {se:.4f} (standard error) | "
      f"difference {(estimate - closed) / se:+.2f} standard errors")
forgot_minus_one = float(np.mean(0.5 * np.sum(mu**2 + np.exp(logvar) - logvar, axis=1)))
print(f"a classic slip, forgetting the '- 1': {forgot_minus_one:.2f} nats — {(forgot_minus_one - estimate) / se:.0f} "
      "standard errors away")


# %% [markdown]
# ### Exercise 1 — the KL term
# Write `kl_diag_gaussian(mu, logvar)` in numpy: one KL per row (shape `(N,)`), for
# $q = \mathcal N(\mu, \operatorname{diag} e^{\text{logvar}})$ and $p = \mathcal N(0, I)$.

# %% exercise="02.kl" tags=["exercise"]
def kl_diag_gaussian(mu, logvar):
    ...  # your code here: one number per row


# %%
kl_diag_gaussian = check("02.kl", kl_diag_gaussian)
# reveal("02.kl")   # uncomment to see a solution

# %% [markdown]
# ### Exercise 2 — reparameterisation, with gradients
# Write `reparameterize_by_hand(mu, logvar, eps)` with TensorFlow operations. The check draws 20 000 samples, tests
# their mean and standard deviation, and asks `tf.GradientTape` whether gradients reach `mu` and `logvar`
# (building $z$ with TensorFlow operations is what keeps the gradient; the same samples computed *outside* the
# graph — in numpy, or after a `.numpy()` — would reach the loss as constants, with no gradient to $\mu$ or
# $\log\sigma^2$. `tf.random.normal(shape, mean=mu, stddev=sigma)` computes `rnd * stddev + mean` and does pass
# the gradient to `mu`.)

# %% exercise="02.reparam" tags=["exercise"]
def reparameterize_by_hand(mu, logvar, eps):
    ...  # your code here (tf.exp is differentiable)


# %%
reparameterize_by_hand = check("02.reparam", reparameterize_by_hand)
# reveal("02.reparam")

# %% [markdown]
# ### Exercise 3 — the reconstruction term, summed
# Given the decoder's log-probabilities of the 17 levels, `log_probs` of shape `(N, 8, 8, 17)`, and the images,
# write `log_likelihood_by_hand(log_probs, images)` returning $\log p(x \mid z)$ per image (shape `(N,)`).
# Sum or mean over the pixels? The check tells you what the wrong one does to β.

# %% exercise="02.loglik" tags=["exercise"]
def log_likelihood_by_hand(log_probs, images):
    ...  # your code here: levels k = 16 x, pick log_probs[..., k], then reduce over the pixels


# %%
log_likelihood_by_hand = check("02.loglik", log_likelihood_by_hand)
# reveal("02.loglik")

# %% [markdown]
# ## 3. Training a VAE
#
# `vae.train_vae` draws a minibatch of 128 training digits and fresh noise $\varepsilon$ at every step, computes
# $\mathcal L$ with `elbo_terms` and takes an Adam step (learning rate $10^{-3}$); a tqdm progress bar shows the
# running terms, and the stop button (Ctrl-C) ends training after the last completed step, keeping its weights.
# Every 250 steps it records the ELBO of **validation** digits: the last 200 of the 1 297 training digits, held
# back from training here. The 500 test digits stay untouched until the models are compared (the test set is for
# the final numbers, never for watching training).
#
# **Full mode** trains a VAE with a **2-D** latent space from scratch for 3 000 steps on the other 1 097 training
# digits (the recipe of the shipped `vae-2d`, which saw all 1 297). **Quick mode** loads the shipped `vae-2d` and
# trains it 20 more steps through the same code — that model has seen the validation digits, so in quick mode the
# validation curve is not held out.

# %% tags=["rerun"]
spec = vae.LESSON_TRAINING
seed_everything(spec["seed"])
model2d = vae.load_vae("vae-2d") if is_quick() else vae.build_vae(spec["latent_dim"], seed=spec["seed"])
fit_digits, val_digits = train[:-200], train[-200:]   # a validation split of the training digits
history = vae.train_vae(model2d, fit_digits, steps=quick(spec["steps"], spec["quick_steps"]), validation=val_digits,
                        validate_every=quick(spec["validate_every"], 10), seed=spec["seed"])
print(f"{history['completed'][0]} steps in {history['seconds']:.1f} s")

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(8.2, 3.2))
ax0.plot(history["step"], history["reconstruction"], label="E[log p(x|z)] (training batches)")
ax0.plot(history["step"], history["elbo"], label="ELBO (training batches)")
ax0.plot(history["val_step"], history["val_elbo"], "o-", label="ELBO (validation digits)")
ax0.axhline(-vae.uniform_nats(), color="gray", ls=":", label="uniform guessing")
ax0.set(xlabel="training step", ylabel="nats per image", title="the ELBO and its reconstruction term")
ax0.legend()
ax1.plot(history["step"], history["kl"], color="C3")
ax1.set(xlabel="training step", ylabel="nats per image", title="KL(q(z|x) || p(z)), training batches")
fig.tight_layout()

# %% [markdown]
# ### Comparing models with a number: the importance-weighted bound
#
# The ELBO is a bound; how loose? Burda, Grosse and Salakhutdinov (ICLR 2016) average $k$ importance weights
# inside the log:
#
# $$\mathcal L_k(x) = \log \frac1k \sum_{i=1}^{k} \frac{p_\theta(x \mid z_i)\, p(z_i)}{q_\phi(z_i \mid x)},\quad
# z_i \sim q_\phi(z \mid x);\qquad \mathrm{ELBO} = \mathbb E[\mathcal L_1] \le \mathbb E[\mathcal L_k] \le
# \mathbb E[\mathcal L_{k+1}] \le \log p_\theta(x).$$
#
# With $k = 1000$ it is a close estimate of $\log p(x)$ — the number to compare models with (higher is better).
# Your 2-D model next to the shipped 16-D one, and two baselines:

# %% tags=["rerun"]
k_values = quick((1, 10, 100, 1000), (1, 10, 100))
scored = test[: quick(len(test), 200)]            # quick mode: the first 200 test digits, k up to 100
print(f"{len(scored)} test digits | {'model':<26} {'ELBO':>8} " + " ".join(f"{f'IWAE k={k}':>12}" for k in k_values))
for name, model in (("your 2-D VAE", model2d), ("shipped vae-digits (16-D)", vae16)):
    bounds = [vae.iwae_bound(model, scored, k=k, seed=1).mean() for k in k_values]
    print(f"{'':>15} {name:<26} {vae.elbo(model, scored, n_samples=10)['elbo']:>8.2f} "
          + " ".join(f"{b:>12.2f}" for b in bounds))
for name in ("vae-2d", "vae-digits"):
    quality = checkpoints.manifest()[name]["quality"]
    print(f"manifest, all 500 test digits: {name:<11} ELBO {quality['test_elbo']:.2f}, "
          f"IWAE k=1000 {quality['test_iwae_1000']:.2f}")
print(f"baselines: independent pixel histograms {vae.pixel_histogram_nats(train, test):.2f}, "
      f"uniform over the 17 levels {-vae.uniform_nats():.2f} nats/image")


# %% [markdown]
# ### Exercise 4 — the IWAE bound, written and run
# Write `iwae_by_hand(model, images, k, seed=0)` returning $\mathcal L_k(x)$ for every image (shape `(N,)`, nats):
#
# 1. `mu, logvar = vae.encode(model, images)`; draw `eps` of shape `(N, k, d)` with
#    `np.random.default_rng(seed)` and form $z_i = \mu + \sigma \odot \varepsilon_i$ (shape `(N, k, d)`);
# 2. decode all $N k$ codes in one call, `params = vae.decoder_of(model)(z.reshape(N * k, d))`, and get
#    $\log p(x \mid z_i)$ with `vae.log_likelihood(params, np.repeat(images, k, axis=0))`, reshaped to `(N, k)`;
# 3. add $\log p(z_i)$ (a standard normal) and subtract $\log q(z_i \mid x)$ (a normal with mean μ and variance
#    $e^{\text{logvar}}$), both summed over the $d$ dimensions: these are the log weights $\log w_i$;
# 4. average the *weights* (not their logs) in log space: `scipy.special.logsumexp(log_w, axis=1) - np.log(k)`.
#
# The check runs your function on 200 test digits at $k = 1$ (the ELBO) and $k = 50$ and compares it with
# `vae.iwae_bound` within the sampling error of the two estimates; the cell after it prints your bound as $k$ grows.

# %% exercise="02.iwae" tags=["exercise"]
def iwae_by_hand(model, images, k, seed=0):
    ...  # your code here: encode, k reparameterised draws, log weights, log-mean-exp


# %%
iwae_by_hand = check("02.iwae", iwae_by_hand)
# reveal("02.iwae")
for k in quick((1, 10, 100, 1000), (1, 10, 100)):
    bound = iwae_by_hand(vae16, test[:200], k, seed=3)
    print(f"your IWAE bound, vae-digits, 200 test digits, k = {k:>4}: {bound.mean():8.2f} ± "
          f"{bound.std(ddof=1) / np.sqrt(len(bound)):.2f} nats/image (± standard error over the digits)")

# %% [markdown]
# ## 4. Inside the latent space
#
# With two latent dimensions we can draw the whole code space. Left: the posterior means $\mu(x)$ of the test digits,
# coloured by their label (which the VAE never saw). Right: the decoder's mean image $\mathbb E[x \mid z]$ on a grid of
# codes. The middle panel decodes one point, the black/red cross. Point and grid are decoded in one batched call.

# %%
vae_viz.latent_map_view(model2d, test, test_labels, z1=0.0, z2=0.0);

# %% [markdown]
# Move through the latent space with the two sliders (ipywidgets, wired by `course_lib.widgets.explore`; the figure
# redraws when you release a slider, and each redraw is a single decoder call). The callback is
# `vae_viz.latent_map_view`, a plain function. Where do digits blend into each other? Where does the decoder produce
# something that is no digit at all?

# %% tags=["widget", "nbval-ignore-output"]
vae_viz.latent_explorer(model2d, test, test_labels)

# %% [markdown]
# **Interpolation.** Walk the straight line between the codes $\mu(a)$ and $\mu(b)$ of two test digits and decode
# every point (top), against blending the pixels (bottom): the latent path passes through digit-like images, the
# pixel blend is a double exposure.

# %%
first = {d: int(np.flatnonzero(test_labels == d)[0]) for d in range(10)}
t = np.linspace(0, 1, 9)[:, None]
for a, b in quick(((1, 7), (3, 8)), ((1, 7),)):
    pair = test[[first[a], first[b]]]
    vae_viz.interpolation_view(vae16, pair[0], pair[1], n_steps=9)
    mu_pair = vae.encode(vae16, pair)[0]
    label, confidence = classify(vae.decode(vae16, (1 - t) * mu_pair[:1] + t * mu_pair[1:]))
    print(f"{a} → {b}, classifier along the latent path:", " ".join(f"{d}({c:.2f})" for d, c in zip(label, confidence)))

# %% [markdown]
# ## 5. β: what the KL weight does
#
# Higgins et al. (ICLR 2017) weigh the KL by $\beta$: $\mathcal L_\beta = -\mathbb E_q[\log p(x \mid z)] + \beta\,
# \mathrm{KL}$. $\beta > 1$ pushes the codes harder towards the prior (in their experiments, towards more
# disentangled factors); $\beta < 1$ lets them carry more information. What happens to the bound? Since
# $\mathrm{KL} \ge 0$, for $\beta > 1$ the β-objective $\mathbb E_q[\log p(x \mid z)] - \beta\,\mathrm{KL}$ is
# *below* the ELBO, so it is still a lower bound on $\log p(x)$ — a looser one. For $\beta < 1$ it is above the ELBO
# and is no longer a bound at all. And only $\beta = 1$ maximises the ELBO itself: a model trained with any other β
# has a worse ELBO than it could have (Higgins et al. 2017; Alemi et al., ICML 2018, read β as a rate–distortion
# trade-off). So below every model is scored with the true ELBO ($\beta = 1$) on the test digits.
# The shipped models differ only in β: 0.1, 1 (`vae-digits`), 2, 4 and 64.
#
# ### Exercise 5 — predict what β → 0 gives
# Before you look at the table: which statements are true? Return the set of letters from `beta_to_zero()`.

# %%
for letter, statement in BETA_TO_ZERO.items():
    print(f"{letter}. {statement}")


# %% exercise="02.beta" tags=["exercise"]
def beta_to_zero():
    return {...}  # your letters here, e.g. {"A", "C"}


# %%
beta_to_zero = check("02.beta", beta_to_zero)
# reveal("02.beta")

# %%
beta_models = {0.1: vae.load_vae("vae-beta0.1"), 1.0: vae16, 2.0: vae.load_vae("vae-beta2"),
               4.0: vae.load_vae("vae-beta4"), 64.0: vae.load_vae("vae-beta64")}
table = vae.beta_table(beta_models, test, classifier=classifier, n_generated=quick(2000, 1000))
print(f"{'β':>5} {'ELBO (β=1)':>11} {'E log p(x|z)':>13} {'KL':>7} {'active units':>13} "
      f"{'samples: confident':>19} {'digits present':>15}")
for beta, row in table.items():
    print(f"{beta:>5g} {row['elbo']:>11.2f} {row['reconstruction']:>13.2f} {row['kl']:>7.2f} "
          f"{row['active_units']:>10}/{row['latent_dim']} {row['samples_confident_share']:>19.0%} "
          f"{row['samples_classes_present']:>12}/10")

# %% [markdown]
# **Active units** (Burda et al. 2016) count the latent dimensions whose posterior mean actually varies with the
# input, $\operatorname{Var}_x(\mathbb E_q[z_u]) > 0.01$. An **inactive** unit is not necessarily a **collapsed** one.
# Collapsed means $q(z_u \mid x) = p(z_u) = \mathcal N(0, 1)$ for every $x$: mean 0 *and* variance 1, so its KL is 0
# and it carries nothing. A unit whose mean is constant but whose variance is not 1 is inactive yet has a KL above 0
# ($\tfrac12(\mu^2 + \sigma^2 - \log\sigma^2 - 1) > 0$ for $\sigma^2 \ne 1$): it pays KL for nothing the decoder
# can use. The per-unit KL tells the two apart; the cell after the figure counts both. The KL of every unit, per β:

# %%
fig, ax = plt.subplots(figsize=(8.2, 3.2))
width = 0.16
for i, (beta, row) in enumerate(table.items()):
    ax.bar(np.arange(16) + (i - 2) * width, np.sort(row["kl_per_dim"])[::-1], width, label=f"β = {beta:g}")
ax.set(xlabel="latent unit (sorted by its KL)", ylabel="mean KL (nats, symlog)",
       title="posterior collapse, measured: the KL each latent unit carries")
ax.set_yscale("symlog", linthresh=1e-3)  # linear below 0.001 nats (0 is a collapsed unit), a tick per decade above
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))  # outside the bars
fig.tight_layout()
print("β = 64: largest KL of any unit", f"{table[64.0]['kl_per_dim'].max():.4f} nats;",
      "variance of its posterior means over the test digits", f"{table[64.0]['mean_variances'].max():.2e}")
print(f"{'β':>5} {'inactive units':>15} {'of which collapsed (KL < 0.01 nats)':>37} {'KL of the inactive units':>26}")
for beta, row in table.items():
    inactive = row["mean_variances"] <= 0.01
    collapsed = inactive & (row["kl_per_dim"] < 0.01)
    print(f"{beta:>5g} {inactive.sum():>15} {collapsed.sum():>37} {row['kl_per_dim'][inactive].sum():>21.3f} nats")

# %% [markdown]
# Read the last table: an inactive unit whose KL is not ≈ 0 is paying for a posterior variance different from 1.
# At β = 64 **every** unit has collapsed: the code carries no information about $x$, every reconstruction is the same
# average digit, and all the prior samples look alike. Note what the classifier metric says: 100 % "confident"
# but a single digit present — confidence alone would call this a perfect generator; coverage exposes it.
# Reconstructions and samples for each β (static figure: β = 64; then the slider):

# %%
vae_viz.beta_view(beta_models, test, 64.0, table=table);

# %% tags=["widget", "nbval-ignore-output"]
vae_viz.beta_explorer(beta_models, test, table)

# %% [markdown]
# **β = 64 is also a famous bug.** Keras' built-in losses *average* over pixels. Put the mean reconstruction loss
# next to a KL summed over latent dimensions (as many tutorials do) and the gradient is that of β = 64 (the number of
# pixels), divided by 64 — which Adam barely notices. Measured on one batch:

# %%
xb = tf.constant(test[:64])
eps = tf.constant(np.random.default_rng(0).standard_normal((64, 16)), tf.float32)
fresh = vae.build_vae(16, seed=3)
with tf.GradientTape(persistent=True) as tape:
    buggy = vae.mean_reduced_loss(fresh, xb, eps)              # mean over pixels + summed KL
    rec_b, kl_b = vae.elbo_terms(fresh, xb, eps)
    beta64 = -tf.reduce_mean(rec_b - 64.0 * kl_b)
    beta1 = -tf.reduce_mean(rec_b - kl_b)
grads = [tape.gradient(loss, fresh.trainable_variables) for loss in (buggy, beta64, beta1)]
gap = lambda a, b: max(float(np.max(np.abs(64 * np.asarray(u) - np.asarray(v)))) for u, v in zip(a, b))  # noqa: E731
print(f"max |64·∇(mean-reduced loss) − ∇(β = 64 loss)| = {gap(grads[0], grads[1]):.1e}")
print(f"max |64·∇(mean-reduced loss) − ∇(β = 1 loss)|  = {gap(grads[0], grads[2]):.1e}")

# %% [markdown]
# ## 6. VAE vs GAN samples, same data, same metric
#
# Lesson 01 trains a DCGAN on the glyphs (digits rendered from the fonts that ship with matplotlib). `vae-glyphs` is
# the 16-D VAE of this lesson trained on 20 000 of the same glyphs. Both are scored against 2 000 held-out glyphs
# (`data.glyphs(2000, seed=data.GLYPHS_HELDOUT_SEED)`, a seed no training set uses; 500 of them in quick mode) with the course classifier: confident share,
# digits present, KID in its feature space. Real glyphs with another seed give the floor.

# %%
n_gen = quick(2000, 500)
heldout = data.glyphs(quick(2000, 500), seed=data.GLYPHS_HELDOUT_SEED)[0]
generated = {"real glyphs (another seed)": data.glyphs(n_gen, seed=data.GLYPHS_OTHER_SEED)[0],
             "VAE (vae-glyphs)": vae.sample(vae.load_vae("vae-glyphs"), n_gen, seed=1)}

# %%
# --- The GAN of lesson 01: used only if its checkpoint is in the manifest (python -m course_lib pretrain gan-glyphs).
GAN_CHECKPOINT = "gan-glyphs-generator"
if GAN_CHECKPOINT in checkpoints.manifest():
    from course_lib import gan

    generator, _ = gan.load_gan_glyphs()
    generated["GAN (gan-glyphs)"] = gan.sample(generator, n_gen, seed=1)
else:
    print(f"{GAN_CHECKPOINT} is not in data/checkpoints/manifest.json yet: comparing the VAE with real glyphs only. "
          "Run `python -m course_lib pretrain gan-glyphs`, then this cell again.")

# %%
print(f"{'':<26} {'confident (≥0.9)':>17} {'digits present':>15} {'KID×10³ ↓':>10}")
for name, images in generated.items():
    s = vae.score_samples(images, heldout, classifier=classifier, n_subsets=quick(50, 10))
    print(f"{name:<26} {s['confident_share']:>17.0%} {s['classes_present']:>12}/10 {s['kid']:>10.1f}")
rows, titles = [], []
for images in generated.values():
    label, confidence = classify(images[:8])
    rows += list(images[:8])
    titles += [f"{d} ({c:.2f})" for d, c in zip(label, confidence)]
viz.show_images(rows, titles, ncols=8, size=1.3, row_labels=[name.split(" (")[0] for name in generated],
                suptitle="samples side by side (titles: the classifier's digit and its confidence)");

# %% [markdown]
# The VAE's samples are the decoder's *mean* images $\mathbb E[x \mid z]$: smooth and a little blurry. The KID sees
# it — in the classifier's feature space they sit further from real glyphs than real glyphs of another seed do —
# even where the classifier still recognises most of them. A GAN (when its row is there) draws sharp images and
# usually scores a lower KID; but it has no encoder and no likelihood, while the VAE's bound says in nats how well
# it models the data (section 3). Sharp samples and a good likelihood are different goals; compare the rows above
# before believing either "VAEs are blurry GANs" or "GANs are worse because they have no bound".
#
# ## 7. Common misconceptions and errata (measured)
#
# **"A VAE is a conditional random field."** A popular article describes VAEs this way. It is not one. A CRF
# (Lafferty, McCallum & Pereira, ICML 2001) is a *discriminative*, undirected model of labels given an input,
# $p(y \mid x)$, normalised by a partition function. A VAE is a *directed latent-variable generative model* of the
# images themselves, $p_\theta(x) = \int p_\theta(x \mid z) p(z) dz$, trained **without labels** by maximising the
# ELBO, with an amortised Gaussian posterior $q_\phi(z \mid x)$. What that means, measured: `train_vae` takes images
# only, yet the model assigns a log-likelihood to any image — high for digits, low for scrambled ones — and draws
# new images.

# %%
print("vae.train_vae" + str(inspect.signature(vae.train_vae)).split(", *")[0] + ", ...)   — images, no labels")
rng = np.random.default_rng(0)
scrambled = np.stack([rng.permutation(img.ravel()).reshape(8, 8) for img in test])  # same pixels, no digit
flipped = test[:, ::-1, :].copy()                                                   # digits upside down
for name, images in (("test digits", test), ("digits upside down", flipped), ("pixels scrambled", scrambled)):
    log_px = vae.iwae_bound(vae16, images[: quick(500, 200)], k=100, seed=0).mean()
    print(f"{name:<20} IWAE (k=100) log p(x) ≈ {log_px:8.2f} nats/image")

# %% [markdown]
# **"`reconstruction_loss = ...`, `kl_loss = ...`".** The same article leaves both losses as `...`. They are the two
# terms of section 2, per image: $-\sum_{i=1}^{64} \log P(k_i \mid z)$ and $\tfrac12 \sum_j (\mu_j^2 + \sigma_j^2 -
# \log\sigma_j^2 - 1)$, summed, then averaged over the batch. Three popular ways of filling them in, and what each
# does, measured in this lesson:
# - *mean instead of sum over pixels* → β = 64 → every latent unit collapses (section 5, 0 active units);
# - *drop the KL* → an autoencoder, whose random codes decode to fewer recognisable digits (section 1);
# - *binary cross-entropy on grey levels* → not a likelihood: over the 17 values a pixel can take, $\exp(-\text{BCE})$
#   sums to far more than 1, so the "ELBO" bounds nothing:

# %%
levels = np.arange(17) / 16
for p in (0.1, 0.5, 0.9):
    bernoulli_mass = np.exp(levels * np.log(p) + (1 - levels) * np.log(1 - p))       # exp(-BCE(x, p))
    print(f"decoder output p = {p}: Σ over the 17 grey levels of exp(-BCE) = {bernoulli_mass.sum():.2f} (a "
          "distribution must give 1)")
params = vae.decoder_of(vae16)(vae.prior_codes(4, 16))
total = np.exp(np.asarray(vae.level_log_probs(params))).sum(-1).mean()
print("discretised logistic: Σ_k P(k | z) =", np.round(total, 6))

# %% [markdown]
# **"β-VAE with any β still maximises a bound on the likelihood."** Only in part: for β > 1 the objective is a
# looser lower bound (the KL it over-weights is ≥ 0), for β < 1 it is no bound at all, and only β = 1 maximises
# the ELBO itself. The β table reports the true ELBO (β = 1) of every model: read which β reconstructs best and
# which has the best ELBO — they are not the same model.
#
# ## 8. Recap
# - An autoencoder's decoder is a generator only if you know where its codes live; the VAE fixes that with a prior
#   $p(z) = \mathcal N(0, I)$ and an objective that keeps the codes there.
# - ELBO = $\mathbb E_q[\log p(x \mid z)] - \mathrm{KL}(q(z \mid x)\,\|\,p(z)) \le \log p(x)$: both terms per image,
#   summed over pixels and latent dimensions, averaged over the batch; the gap is the KL to the true posterior.
# - The decoder likelihood must be a distribution over the data's values (here the discretised logistic over 17
#   levels) for the ELBO to be a bound you can compare in nats; IWAE with large $k$ tightens it.
# - The closed-form KL agrees with Monte Carlo; the reparameterisation trick lets gradients reach μ and σ.
# - β trades reconstruction against the KL; β > 1 optimises a looser bound, β < 1 no bound; large β (or a
#   pixel-mean loss, which is β = 64 here) collapses the posterior — measured as zero active units and a KL of 0 per
#   unit (an inactive unit is collapsed only when its KL is 0 too).
# - The IWAE bound you wrote (exercise 4) tightens as $k$ grows, towards $\log p(x)$.
#
# ## References
# - D. P. Kingma, M. Welling. Auto-Encoding Variational Bayes. *ICLR* 2014.
# - D. J. Rezende, S. Mohamed, D. Wierstra. Stochastic Backpropagation and Approximate Inference in Deep Generative Models. *ICML* 2014.
# - I. Higgins, L. Matthey, A. Pal, C. Burgess, X. Glorot, M. Botvinick, S. Mohamed, A. Lerchner. β-VAE: Learning Basic Visual Concepts with a Constrained Variational Framework. *ICLR* 2017.
# - Y. Burda, R. Grosse, R. Salakhutdinov. Importance Weighted Autoencoders. *ICLR* 2016 (IWAE bound, active units).
# - T. Salimans, A. Karpathy, X. Chen, D. P. Kingma. PixelCNN++: Improving the PixelCNN with Discretized Logistic Mixture Likelihood and Other Modifications. *ICLR* 2017.
# - D. P. Kingma, T. Salimans, R. Jozefowicz, X. Chen, I. Sutskever, M. Welling. Improved Variational Inference with Inverse Autoregressive Flow. *NeurIPS* 2016 (the discretised logistic likelihood).
# - S. R. Bowman, L. Vilnis, O. Vinyals, A. M. Dai, R. Jozefowicz, S. Bengio. Generating Sentences from a Continuous Space. *CoNLL* 2016 (posterior collapse, KL annealing).
# - C. P. Burgess, I. Higgins, A. Pal, L. Matthey, N. Watters, G. Desjardins, A. Lerchner. Understanding disentangling in β-VAE. arXiv:1804.03599, 2018.
# - G. Loaiza-Ganem, J. P. Cunningham. The continuous Bernoulli: fixing a pervasive error in variational autoencoders. *NeurIPS* 2019.
# - A. A. Alemi, B. Poole, I. Fischer, J. V. Dillon, R. A. Saurous, K. Murphy. Fixing a Broken ELBO. *ICML* 2018.
# - M. D. Hoffman, M. J. Johnson. ELBO surgery: yet another way to carve up the variational evidence lower bound. *NIPS Workshop in Advances in Approximate Bayesian Inference* 2016.
# - P. Ghosh, M. S. M. Sajjadi, A. Vergari, M. Black, B. Schölkopf. From Variational to Deterministic Autoencoders. *ICLR* 2020.
# - J. Lafferty, A. McCallum, F. Pereira. Conditional Random Fields: Probabilistic Models for Segmenting and Labeling Sequence Data. *ICML* 2001.
# - M. Bińkowski, D. J. Sutherland, M. Arbel, A. Gretton. Demystifying MMD GANs. *ICLR* 2018 (KID).
# - E. Alpaydin, C. Kaynak. Optical Recognition of Handwritten Digits. UCI Machine Learning Repository, 1998 (sklearn's digits).
