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
# # Lesson 04 — CNN repair: denoising, inpainting and super-resolution, measured against the classics
#
# *Transfer Learning for Image Generation and Restoration* · lesson 4 of 5
#
# **You will learn to**
# - explain why a denoiser that predicts the *noise* (residual learning) trains faster — and measure it;
# - compute the receptive field of a conv stack and say why FFDNet works on half-resolution sub-images;
# - train a small CNN denoiser live, then compare the shipped one with BM3D and NL-means: PSNR, images, time;
# - use CNNs for inpainting and ×2 super-resolution and compare them with OpenCV, biharmonic and bicubic;
# - find where a CNN *loses*: a noise level outside its training range, an image unlike its training data.
#
# **Prerequisites:** lesson 00 (PSNR, $y = A(x) + n$), lesson 03 (BM3D) helps; basic Keras.
# **Run time (2-core laptop):** the first cell prints it for quick mode (`COURSE_QUICK=1`) and full mode (which
# trains two small models for comparison and one for 3 minutes, and evaluates BM3D on the full test photos), as
# measured by `benchmarks/lesson_timings.py`.
# The shipped networks were trained once with `python -m course_lib pretrain denoiser` (and `inpainter`,
# `upscaler`) on the course's *training* photos; every number below is measured on the held-out *test* photos.

# %% tags=["rerun"]
import time

import ipywidgets as ipw
import matplotlib.pyplot as plt
import numpy as np

from course_lib import baselines, data, degrade, metrics, restore, restore_viz, viz, widgets
from course_lib.checkpoints import manifest
from course_lib.config import is_quick, lesson_run_time, limit_threads, load_benchmark, quick, seed_everything
from course_lib.exercises import check, reveal  # noqa: F401 (reveal: see the commented lines)

limit_threads()
seed_everything(0)
train_images, val_images = restore.split_photos()   # training photos + textures; bottom 64 rows for validation
test = data.test_photos()                          # held out: never used for training or tuning
print("quick mode" if is_quick() else "full mode", "|", len(train_images), "training images (photos and textures,",
      "grayscale) |", len(test), "test photos |", lesson_run_time("04_cnn_repair"))

# %% [markdown]
# ## 1. The model: FFDNet-style residual denoising
#
# A denoiser sees $y = x + n$ with $n \sim \mathcal N(0, \sigma^2 I)$ and must return $\hat x \approx x$. The
# course's network (after FFDNet, Zhang, Zuo & Zhang, IEEE TIP 2018, with DnCNN's residual output, Zhang et al.,
# IEEE TIP 2017) does four things:
#
# 1. **pixel-unshuffle** $y$ ($H \times W$) into 4 sub-images of size $H/2 \times W/2$ (a reshape and transpose written with `keras.ops`, so any Keras backend runs it);
# 2. append a **noise-level map**: a fifth channel filled with σ, so one network serves every σ in $[0, 55/255]$;
# 3. run $D$ 3×3 convolutions ($D-1$ with ReLU, width $W$; the last one linear, 4 channels; the shipped model has
#    $D = 15$, $W = 80$, like FFDNet's grey model with 15 layers);
# 4. **pixel-shuffle** back to $H \times W$: that is the predicted noise $\hat n$, and $\hat x = y - \hat n$.
#
# Working at half resolution makes every layer 4× cheaper *and* doubles the receptive field — that is how
# it gets fast enough to beat BM3D on speed on a CPU.
#
# $$\hat x = y - \mathrm{shuffle}\big(f_\theta(\mathrm{unshuffle}(y) \oplus \sigma\mathbf 1)\big), \qquad
# \mathcal L(\theta) = \frac1N\sum_i \big(\hat x_i - x_i\big)^2 = \frac1N\sum_i \big(\hat n_i - (y_i - x_i)\big)^2 .$$

# %%
import inspect

print(inspect.getsource(restore.build_denoiser))
shipped = restore.load_restorer("denoiser")
entry = manifest()["denoiser"]
print(f"shipped denoiser: {shipped.count_params():,} parameters, {entry['bytes'] / 1e6:.2f} MB, "
      f"trained {entry['train_seconds'] / 60:.0f} min, {entry['quality']['steps']:,} steps of "
      f"{entry['quality']['batch_size']} patches {entry['quality']['patch']}² px, with {entry['quality']['hardware']}")
print("rebuild it with:", entry["command"])

# %% [markdown]
# ### Why residual learning: two short runs
# Same architecture, same data, same seed, same number of steps; the only difference: one network outputs the
# clean image $\hat x = f_\theta(\cdot)$, the other outputs the noise and subtracts it, $\hat x = y - f_\theta(\cdot)$.
# Both minimise the same MSE to the clean image. A fresh network outputs ≈ 0 (its last layer starts at zero):
# the residual one starts as the *identity* (PSNR of the noisy input) and only has to learn the noise, a
# small, nearly image-independent signal; the direct one starts from a black image and must learn to copy.

# %%
runs = {}
for residual in (True, False):
    model = restore.build_denoiser(depth=6, width=32, seed=0, residual=residual)
    start = time.perf_counter()
    history = restore.train_model(model, "denoise", train_images, steps=quick(400, 15), batch_size=16, patch=40, seed=0)
    runs["residual (predict noise)" if residual else "direct (predict clean)"] = (
        history, restore.validation_psnr(model, "denoise", val_images), time.perf_counter() - start)
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, (history, val_psnr, seconds) in runs.items():
    ax.plot(history["step"], history["loss"], label=f"{name}: val PSNR {val_psnr:.2f} dB")
    print(f"{name:<26} validation PSNR after {history['completed'][0]} steps: {val_psnr:.2f} dB ({seconds:.0f} s)")
ax.set_yscale("log")
ax.set_xlabel("step")
ax.set_ylabel("training MSE (to the clean patch)")
ax.legend()
fig.tight_layout()


# %% [markdown]
# ## 2. Receptive field, batch norm, the loss, patches and augmentation
#
# **Receptive field.** One 3×3 convolution sees 3×3 pixels; each further stride-1 3×3 layer adds 2 pixels. $D$
# layers see $2D + 1$ pixels. On the half-resolution grid every cell covers 2 pixels, so the receptive field
# doubles: $2(2D + 1)$. Denoising needs context — a pixel is only recognisably "noise" relative to its
# neighbourhood, and at σ = 50/255 the neighbourhood must be large.
#
# ### Exercise 1 — receptive field
# Write `receptive_field(n_convs, kernel=3, downsample=1)`: the side, in image pixels, of the receptive field of
# `n_convs` stride-1 `kernel×kernel` convolutions applied on a grid `downsample` times coarser than the image.

# %% exercise="04.receptive" tags=["exercise"]
def receptive_field(n_convs, kernel=3, downsample=1):
    ...  # your code here


# %%
receptive_field = check("04.receptive", receptive_field)
# reveal("04.receptive")
depth = restore.SHIPPED["denoiser"]["depth"]
print(f"DnCNN (17 layers, full resolution): {receptive_field(17)} px; "
      f"shipped model ({depth} layers at half resolution): {receptive_field(depth, downsample=2)} px")

# %% [markdown]
# **Batch normalisation.** DnCNN (Zhang et al., IEEE TIP 2017) and FFDNet (Zhang, Zuo & Zhang, IEEE TIP 2018)
# both put batch norm (Ioffe & Szegedy, ICML 2015) between the convolutions of their middle layers
# (Conv + BN + ReLU), to train deep stacks quickly. **Leaving it out is this course's choice:** the last layer
# starts at zero, so a fresh network is the identity, and inference on any image size and batch has no batch
# statistics to get wrong. Whether our 15-layer model trains as fast as it would with batch norm is not measured
# here; its training curve (section 3) shows that it does train.
#
# **The loss.** Training minimises the MSE, and $\mathrm{PSNR} = 10\log_{10}(1/\mathrm{MSE})$ is a monotone
# function of it: minimising the MSE *is* maximising the PSNR (on average over patches). The loss is stated —
# not `...` as in the popular article.
#
# **Patches and augmentation.** We train on random 48×48 patches (many per second, all of them different)
# instead of whole photos, with random σ per patch and one of the 8 symmetries of the square (flips and 90°
# rotations): noise statistics do not care about orientation, and the few training images (the first cell
# printed how many) become far more.

# %%
patch = data.random_patches(train_images, 1, 48, seed=3)
rng = np.random.default_rng(0)
views = restore._augment(np.repeat(patch, 8, axis=0), rng)
viz.show_images(list(views), [f"augmented {i}" for i in range(8)], ncols=8, size=1.2,
                suptitle="one training patch, 8 random symmetries");


# %% [markdown]
# ### Exercise 2 — the residual training step, written and run
# Write `residual_train_step(model, optimizer, noisy, sigma, clean)`: one step of DnCNN's residual learning. The
# `model` is a conv stack whose output you read as the **predicted noise** $\hat n$ = `model([noisy, sigma])`
# (batches shaped `(B, h, w, 1)` and `(B, 1)`, as `restore.make_batch` cuts them). Inside a `tf.GradientTape`,
# compute the loss $\frac1N\sum_i (\hat n_i - (y_i - x_i))^2$ — the MSE of the estimate $y - \hat n$ to the clean
# image — then apply its gradient with `optimizer.apply_gradients`, and return the loss. The check compares one
# step with the reference update and then trains a small network for 50 steps with yours: the validation PSNR of
# $y - \hat n$ must rise. The cell after it trains a larger one live with your step.

# %% exercise="04.trainstep" tags=["exercise"]
def residual_train_step(model, optimizer, noisy, sigma, clean):
    ...  # your code here: one tape, the noise as target, apply the gradients, return the loss


# %%
import keras  # noqa: E402

residual_train_step = check("04.trainstep", residual_train_step)
# reveal("04.trainstep")
noise_net = restore.build_denoiser(depth=6, width=32, seed=2, residual=False)   # its output: the predicted noise
optimizer = keras.optimizers.Adam(1e-3)
(val_noisy, val_sigma), val_clean = restore.make_batch("denoise", val_images, 24, 64, np.random.default_rng(123))


def val_psnr(net):
    out = val_noisy - np.asarray(net([val_noisy, val_sigma]))
    return float(np.mean([metrics.psnr(clean[..., 0], estimate[..., 0]) for clean, estimate in zip(val_clean, out)]))


rng = np.random.default_rng(0)
print(f"your residual step, validation PSNR of y - n̂: {val_psnr(noise_net):.2f} dB at step 0", end="")
for step in range(1, quick(300, 20) + 1):
    (noisy_batch, sigma_batch), clean_batch = restore.make_batch("denoise", train_images, 16, 40, rng)
    loss = residual_train_step(noise_net, optimizer, noisy_batch, sigma_batch, clean_batch)
    if step % quick(100, 10) == 0:
        print(f", {val_psnr(noise_net):.2f} dB at step {step}", end="")
print()

# %% [markdown]
# ## 3. Denoising: train a small model live, then the shipped one vs BM3D and NL-means
#
# A small FFDNet (6 layers, 32 channels) trains for 3 minutes in full mode (10 steps in quick mode, so the tests
# stay fast). Watch the validation PSNR (patches from the held-out bottom rows of the training photos) rise.

# %% tags=["rerun"]
small = restore.build_denoiser(depth=6, width=32, seed=1)
before = restore.validation_psnr(small, "denoise", val_images)
history = restore.train_model(small, "denoise", train_images, steps=quick(None, 10), minutes=quick(3.0, None))
after = restore.validation_psnr(small, "denoise", val_images)
print(f"validation PSNR: {before:.2f} dB before, {after:.2f} dB after {history['completed'][0]} steps; "
      f"shipped model: {restore.validation_psnr(shipped, 'denoise', val_images):.2f} dB")
viz.plot_history(history, logy=True, title="live training of a small denoiser (MSE)");

# %% [markdown]
# The shipped model is the same idea, bigger (15 layers × 80 channels) and trained much longer, on a GPU (the
# second cell of section 1 printed the time, steps and hardware from the manifest); on two CPU cores the same
# number of steps would take days (the same command runs on either; Keras picks the device). Its PSNR on the
# validation patches against training time is recorded in the manifest:

# %%
curve = entry["quality"]["curve"]
fig, ax = plt.subplots(figsize=(5.5, 3.2))
ax.plot([c["seconds"] / 60 for c in curve], [c["val_psnr"] for c in curve], marker="o")
ax.set_xlabel(f"training time (minutes, {entry['quality']['hardware'].split(' on ')[-1]})")
ax.set_ylabel("validation PSNR (dB)")
ax.set_title("shipped denoiser: PSNR vs training time")
fig.tight_layout()

# %% [markdown]
# Now the comparison on the **test photos**, noise seeded and not clipped, BM3D (the reference `bm3d` package,
# Dabov et al., IEEE TIP 2007) given the true σ, OpenCV's non-local means (Buades, Coll & Morel, CVPR 2005)
# with $h = \sigma$. The CNN runs twice: given σ, and *blind* (σ estimated from the image with
# `skimage.restoration.estimate_sigma`, a wavelet median-absolute-deviation estimate, Donoho & Johnstone 1994).
# σ = 75/255 lies **outside** the training range $[0, 55]/255$. Quick mode uses 96×96 centre crops of two photos
# (each call of the `bm3d` package costs about a second, whatever the size) so that the tests stay fast; full
# mode uses all six whole photos (`benchmarks/restoration.py` does the same, with timings).

# %% tags=["rerun"]
from tqdm.auto import tqdm

crop = quick(None, 96)


def centre(image, size):
    if size is None:
        return image
    top, left = (image.shape[0] - size) // 2, (image.shape[1] - size) // 2
    return image[top:top + size, left:left + size]


photos = {name: centre(test[name], crop) for name in quick(list(test), ["camera", "coins"])}
methods = {
    "cnn (σ given)": lambda y, s: restore.cnn_denoise(y, s),
    "cnn (blind)": lambda y, s: restore.cnn_denoise(y),
    "bm3d": lambda y, s: baselines.classical_denoise(y, s, "bm3d"),
    "nl-means": lambda y, s: baselines.classical_denoise(y, s, "nl-means"),
}
sigmas = (15, 25, 50, 75)
psnrs = {m: {} for m in methods}
seconds = {m: 0.0 for m in methods}
for s255, clean in tqdm([(s, clean) for s in sigmas for clean in photos.values()], desc="σ × photo"):
    noisy = degrade.add_gaussian_noise(clean, s255 / 255, seed=s255)
    for method, fn in methods.items():
        start = time.perf_counter()
        out = fn(noisy, s255 / 255)
        seconds[method] += time.perf_counter() - start
        psnrs[method].setdefault(s255, []).append(metrics.psnr(clean, out))
print(f"{'mean PSNR (dB)':<16}" + "".join(f"σ={s:<7}" for s in sigmas) + "total time")
for method in methods:
    print(f"{method:<16}" + "".join(f"{np.mean(psnrs[method][s]):<9.2f}" for s in sigmas) + f"{seconds[method]:.1f} s")


# %% [markdown]
# ### Exercise 3 — where does the CNN stop beating BM3D?
# Write `first_sigma_not_won(table)`: given `{sigma: (cnn_psnr, bm3d_psnr)}`, return the smallest σ at which the
# CNN is **not** better than BM3D (a tie is not a win), or `None` if it wins everywhere. Then apply it to the
# measured table and explain the answer in a markdown cell of your own.

# %% exercise="04.crossover" tags=["exercise"]
def first_sigma_not_won(table):
    ...  # your code here


# %%
first_sigma_not_won = check("04.crossover", first_sigma_not_won)
measured = {s: (float(np.mean(psnrs["cnn (σ given)"][s])), float(np.mean(psnrs["bm3d"][s]))) for s in sigmas}
print("measured (cnn, bm3d):", {s: tuple(round(v, 2) for v in pair) for s, pair in measured.items()})
print("first σ where the CNN does not beat BM3D:", first_sigma_not_won(measured))

# %% [markdown]
# Read your result honestly, on the whole test photos too: `benchmarks/restoration.py` stores the same comparison
# on all six photos (`benchmarks/results/restoration.json`, the README's table). The next cell prints the CNN − BM3D
# gap per σ with its standard error over the photos (the same noise for both methods, so the differences are
# paired), and the speed ratio on a 512×512 photo.

# %%
bench = load_benchmark("restoration")
rows = {**bench["denoising"], **bench["failure_cases"]["sigma=75 (outside training range 0-55)"]}
print(f"{'σ':>4} {'cnn (σ given)':>14} {'bm3d':>7} {'cnn − bm3d (± se over photos)':>31}")
for key, row in rows.items():
    cnn, ref = row["cnn (σ given)"]["psnr"], row["bm3d (reference package)"]["psnr"]
    gap = np.array([cnn[p] - ref[p] for p in cnn])
    print(f"{key.split('=')[1]:>4} {np.mean(list(cnn.values())):>14.2f} {np.mean(list(ref.values())):>7.2f} "
          f"{gap.mean():>+22.2f} ± {gap.std(ddof=1) / np.sqrt(len(gap)):.2f}")
print(f"BM3D / CNN time on a 512×512 photo: {bench['speed_ratio_bm3d_over_cnn_512']:.1f}×")

# %% [markdown]
# What explains a gap below BM3D inside the training range? Two **hypotheses**, neither tested here. *Data*: the
# published DnCNN and FFDNet models, which beat BM3D (Zhang et al., IEEE TIP 2017; Zhang, Zuo & Zhang, IEEE TIP
# 2018), were trained on hundreds of natural photos for far longer; ours saw a dozen training images (section 1
# prints the count and the training time). *The loss*: the training σ is drawn uniformly in $[0, 55/255]$ and the
# MSE of a low-σ patch is small, so the loss averaged over σ weighs the low-noise patches least — and the table
# shows where the gap is largest. Telling them apart needs an experiment: e.g. retrain with the loss of each patch
# divided by its σ², or with more photos, and compare the gap per σ with its error bar (a good project).
#
# σ = 75/255 lies outside the training range: the network is asked to remove more noise than it ever saw. Compare
# its gap at σ = 75 with the gaps inside the range before calling it a failure — the next section measures where
# this network really breaks.
#
# ### Speed and pictures
# The same 512×512 photo, timed in this process (first call excluded: model loading). Then the results side
# by side and the **difference images** $\hat x - x$: the CNN's errors sit on edges and texture; BM3D's too,
# with more ringing near edges; NL-means removes texture.

# %%
big = centre(test["camera"], quick(None, 128))
noisy = degrade.add_gaussian_noise(big, 25 / 255, seed=25)
timings = {}
for method in ("cnn (σ given)", "bm3d", "nl-means"):
    start = time.perf_counter()
    methods[method](noisy, 25 / 255)
    timings[method] = time.perf_counter() - start
print(f"camera {big.shape[0]}×{big.shape[1]}: " + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
print(f"CNN is {timings['bm3d'] / timings['cnn (σ given)']:.1f}× faster than BM3D here")

# %%
clean = centre(test["camera"], 192)[40:168, 40:168]
noisy = degrade.add_gaussian_noise(clean, 25 / 255, seed=25)
outs = {m: methods[m](noisy, 25 / 255) for m in ("cnn (σ given)", "bm3d", "nl-means")}
viz.compare(clean, {"noisy σ=25/255": noisy, **outs}, size=2.6);
viz.show_images([o - clean for o in outs.values()], [f"{m}: error" for m in outs], ncols=3, size=2.6,
                vmin=-0.2, vmax=0.2, suptitle="difference images (±0.2)");


# %% [markdown]
# ## 4. Interactive: choose image, noise level and method
# `restore_viz.denoise_view` is a plain function (the static figure is its default setting). Try σ above 55: the
# **blind** denoiser estimates σ itself; watch where it still works and where it leaves noise behind.

# %%
def denoise_by_name(photo="coins", sigma_255=25, method="cnn (σ given)"):
    return restore_viz.denoise_view(test[photo], sigma_255, method)


denoise_by_name();

# %% tags=["widget", "nbval-ignore-output"]
widgets.explore(
    denoise_by_name,
    photo=ipw.Dropdown(options=list(test), value="coins", description="photo"),
    sigma_255=ipw.IntSlider(value=25, min=5, max=100, step=5, description="σ (×1/255)"),
    method=ipw.Dropdown(options=["cnn (σ given)", "cnn (blind)", "bm3d", "nl-means"], description="method"),
)

# %% [markdown]
# ### Where does it really fail?
# Three candidates for a failure, against BM3D and NL-means (the noisy input's PSNR for scale): white noise far
# outside the training range (σ = 75 and 150), a scanned text page (an image type it never saw: binary strokes),
# and **correlated** noise — white Gaussian noise blurred by a 1-pixel Gaussian, then scaled to σ = 25/255, a noise
# *type* neither the CNN nor BM3D models (both assume independent pixels; sensor noise after demosaicing and JPEG is
# correlated like this). Full mode uses 256×256 centre crops of three photos; quick mode one 96×96 crop.

# %% tags=["rerun"]
from scipy.ndimage import gaussian_filter  # noqa: E402

page = centre(data.load_photo("text"), quick(256, 96))
failure_photos = {name: centre(test[name], quick(256, 96)) for name in quick(["camera", "coins", "astronaut"],
                                                                           ["camera"])}


def correlated_noise(clean, sigma, seed):
    noise = gaussian_filter(np.random.default_rng(seed).standard_normal(clean.shape), 1.0)
    return (clean + sigma * noise / noise.std()).astype(np.float32)


cases = {
    "white σ=75": [(c, degrade.add_gaussian_noise(c, 75 / 255, seed=75), 75 / 255) for c in failure_photos.values()],
    "white σ=150": [(c, degrade.add_gaussian_noise(c, 150 / 255, seed=150), 150 / 255)
                    for c in failure_photos.values()],
    "text page σ=25": [(page, degrade.add_gaussian_noise(page, 25 / 255, seed=25), 25 / 255)],
    "correlated σ=25": [(c, correlated_noise(c, 25 / 255, seed=1), 25 / 255) for c in failure_photos.values()],
}
print(f"{'mean PSNR (dB)':<17}{'noisy':>7}" + "".join(f"{m:>15}" for m in methods) + f"{'cnn − bm3d':>12}")
for case, triples in cases.items():
    row = {m: np.mean([metrics.psnr(c, fn(y, s)) for c, y, s in triples]) for m, fn in methods.items()}
    noisy_psnr = np.mean([metrics.psnr(c, y) for c, y, _ in triples])
    print(f"{case:<17}{noisy_psnr:>7.2f}" + "".join(f"{v:>15.2f}" for v in row.values())
          + f"{row['cnn (σ given)'] - row['bm3d']:>+12.2f}")

# %% [markdown]
# Read the rows. Far outside its training range the CNN need not collapse: compare its gap to BM3D at σ = 75 and
# 150 with the gaps inside the range (previous table). What a network never saw is more than a number: compare the
# correlated-noise row with the white-noise rows. Both white-noise denoisers keep a much smaller part of their
# usual gain over the noisy input; the *blind* CNN is misled by its σ estimate (a wavelet estimate of the finest
# scale, which sees little of a noise whose energy sits at coarser scales), so it removes too little; and NL-means,
# whose smoothing is set by $h$ rather than by a model of the noise, can come out ahead. A model is only as good as the assumptions it was trained or designed
# under; FFDNet's paper trains up to σ = 75 and lesson 05 adapts the denoiser to new data.

# %% [markdown]
# ## 5. Inpainting
# Three classical methods fill holes from their borders: OpenCV's Telea (fast marching, Telea, J. Graphics Tools
# 2004) and Navier–Stokes (Bertalmío, Bertozzi & Sapiro, CVPR 2001), and scikit-image's biharmonic
# interpolation (Damelin & Hoang, Int. J. Math. Math. Sci. 2018; smooth, but it can overshoot next to strong edges). Each wins somewhere. Our inpainter
# (`restore.build_inpainter`) does not paint pixels from nothing: it gets the three fills $f_1, f_2, f_3$ and the
# mask $m$, and a dilated conv stack (Yu & Koltun, ICLR 2016) at half resolution, with a 94-pixel receptive field,
# outputs three logits $z_k$ per pixel. The result is a per-pixel weighted mix:
#
# $$\hat x = \sum_{k=1}^{3} w_k\, f_k, \qquad w = \operatorname{softmax}(z).$$
#
# Outside the holes all fills equal the known pixels, so $\hat x$ keeps them. It starts from $z = (0, 0, 2)$,
# i.e. 79 % biharmonic. The loss is the batch mean of $\log \mathrm{MSE}$ *inside the holes*
# (`restore.masked_log_mse`); since $\mathrm{PSNR} = -10\log_{10}\mathrm{MSE}$, minimising it maximises the
# mean PSNR inside the holes, and an easy patch counts as much as a hard one. It was trained on the 11 training
# photos and 3 textures (grayscale, with each colour channel and two smaller scales of them as extra images) for
# minutes of CPU: learning *which fill to trust where* is what a small network can do; painting texture into
# 16×16 holes takes far more data (and is what large generative inpainters do).
#
# We score PSNR **inside the mask** (outside, every method returns the known pixels), with **several mask seeds**
# per photo: one mask per photo is an anecdote. The CNN's margin over each fill is a *paired* difference (same
# photo, same mask), averaged over the seeds of a photo; its standard error is taken over the photos, the
# independent units. We call a margin a win or a loss only beyond 2 standard errors, a **tie** otherwise. Full mode
# uses the whole test photos with 2 seeds; quick mode 128×128 crops (one box each) with 1 seed, where the ranking
# can differ; the cell after it prints the stored benchmark (`benchmarks/inpaint_seeds.py`: whole photos, more seeds).

# %% tags=["rerun"]
inpainters = {"cnn": restore.cnn_inpaint,
              **{m: lambda im, mask, m=m: baselines.classical_fill(im, mask, m) for m in baselines.FILLS}}
inpaint_photos = {name: centre(image, quick(None, 128)) for name, image in test.items()}
n_seeds = quick(2, 1)


def verdict(mean, se):
    return "tie" if not abs(mean) > 2 * se else ("win" if mean > 0 else "loss")


for kind in ("strokes", "boxes 16×16"):
    scores = {m: np.zeros((len(inpaint_photos), n_seeds)) for m in inpainters}   # PSNR inside the mask
    for i, clean in enumerate(inpaint_photos.values()):
        for s in range(n_seeds):
            seed = i + 10 * s            # s = 0: the masks of benchmarks/restoration.py
            mask = (degrade.stroke_mask(clean.shape, 6, 5, seed=seed) if kind == "strokes"
                    else degrade.box_mask(clean.shape, max(1, clean.size // 16384), 16, seed=seed))
            observed = degrade.apply_mask(clean, mask)
            for m, fill in inpainters.items():
                scores[m][i, s] = metrics.psnr(clean, fill(observed, mask), mask=mask)
    print(f"{kind}, {len(inpaint_photos)} photos × {n_seeds} mask seed(s), mean PSNR inside the mask: "
          + "  ".join(f"{m} {v.mean():.2f} dB" for m, v in scores.items()))
    for m in inpainters:
        if m != "cnn":
            per_photo = (scores["cnn"] - scores[m]).mean(axis=1)
            se = per_photo.std(ddof=1) / np.sqrt(len(per_photo))
            print(f"   cnn − {m:<14} {per_photo.mean():+.2f} ± {se:.2f} dB → {verdict(per_photo.mean(), se)}")

# %%
stored = load_benchmark("inpaint_seeds")
print(f"{stored['command']}: {len(stored['photos'])} whole test photos × {stored['seeds']} mask seeds, paired, "
      "± standard error over photos")
for kind in ("strokes", "boxes"):
    for fill in ("telea", "navier-stokes", "biharmonic"):
        d = stored[kind][f"cnn_minus_{fill}"]
        print(f"{kind:<8} cnn − {fill:<14} {d['mean']:+.2f} ± {d['se']:.2f} dB → {d['verdict']}")

# %% [markdown]
# Which fill does the network trust where? Below, each hole pixel is coloured by its three weights
# (red = Telea, green = Navier–Stokes, blue = biharmonic) for strokes and boxes on the same crop. Look where
# the colour changes: inside smooth regions, and next to strong edges, where biharmonic interpolation can
# overshoot.

# %%
crop = test["camera"][180:308, 180:308]
masks = {"strokes": degrade.stroke_mask(crop.shape, 3, 5, seed=3), "boxes": degrade.box_mask(crop.shape, 4, 16, seed=3)}
fig, axes = plt.subplots(1, 4, figsize=(8.2, 2.6))
for j, (kind, mask) in enumerate(masks.items()):
    observed = degrade.apply_mask(crop, mask)
    weights = restore.inpaint_weights(observed, mask)
    shown = np.where(mask[..., None], weights, 0.15 * crop[..., None])
    axes[2 * j].imshow(restore.cnn_inpaint(observed, mask), cmap="gray", vmin=0, vmax=1)
    axes[2 * j].set_title(f"{kind}: cnn result", fontsize=9)
    axes[2 * j + 1].imshow(shown)
    mean_w = weights[mask].mean(axis=0)
    axes[2 * j + 1].set_title("mean weights T/NS/B: " + " / ".join(f"{w:.2f}" for w in mean_w), fontsize=9)
for ax in axes:
    ax.axis("off")
fig.tight_layout()

# %%
restore_viz.inpaint_view(test["astronaut"][100:356, 100:356], "strokes", seed=0);

# %% tags=["widget", "nbval-ignore-output"]
widgets.explore(
    lambda photo, mask_kind, seed, method: restore_viz.inpaint_view(test[photo], mask_kind, seed, method),
    photo=ipw.Dropdown(options=list(test), value="coffee", description="photo"),
    mask_kind=ipw.Dropdown(options=["strokes", "boxes"], description="mask"),
    seed=ipw.IntSlider(value=0, min=0, max=20, description="mask seed"),
    method=ipw.Dropdown(options=["cnn", "telea", "biharmonic"], description="method"),
)

# %% [markdown]
# ## 6. ×2 super-resolution
# ESPCN (Shi et al., CVPR 2016) works on the *low-resolution* image and ends with a sub-pixel (pixel-shuffle)
# layer; SRCNN (Dong, Loy, He & Tang, ECCV 2014) learned at full resolution from the bicubic enlargement. Ours
# adds the ESPCN output to the bicubic enlargement, so it learns only the missing detail. The low-resolution
# image is the 2×2 area average (`degrade.downsample`).

# %% tags=["rerun"]
sr = {"cnn": [], "bicubic": []}
for clean in test.values():
    low = degrade.downsample(clean, 2)
    sr["cnn"].append(metrics.psnr(clean, restore.cnn_upscale(low)))
    sr["bicubic"].append(metrics.psnr(clean, degrade.upsample(low, 2)))
print("×2 SR, mean PSNR on the test photos: " + "  ".join(f"{m} {np.mean(v):.2f} dB" for m, v in sr.items()))
clean = test["chelsea"][60:188, 60:188]
low = degrade.downsample(clean, 2)
viz.compare(clean, {"bicubic": degrade.upsample(low, 2), "cnn (ESPCN-style)": restore.cnn_upscale(low)}, size=3);

# %% [markdown]
# ## 7. Misconceptions (from the popular article)
#
# | claim you will meet | what is true | where this lesson shows it |
# |---|---|---|
# | "convolution then pooling" is *how a CNN is trained* | that is an *architecture*; training is gradient descent (Adam here) on a stated loss. Restoration networks avoid *max*-pooling, which throws away where each value came from: they must return every pixel. Those that work at several scales (U-Nets such as DRUNet, Zhang et al., TPAMI 2022) downsample with strided convolutions or pixel-unshuffle and upsample back | §1, §3 |
# | an encoder–decoder whose decoder output has a different shape from the input (e.g. 3 poolings, 2 upsamplings) | the output must have the input's shape; count every down- and up-sampling, or use none (DnCNN) or an exact pixel (un)shuffle pair (FFDNet, ESPCN) — the builders here work for any image size | §1, `tests/test_restore.py` |
# | the loss is `...` | MSE to the clean image (or, equivalently, to the noise): the quantity PSNR measures | §2, exercise 2 |
# | a CNN beats BM3D, full stop | the published ones do, trained on hundreds of photos (Zhang et al., IEEE TIP 2017); this course's small model, trained on a dozen images, is *below* BM3D at low σ inside its training range, level with it at high σ, and much faster (all measured in §3, with standard errors), and a noise type it never saw breaks it (§4) | §3, §4 |
#
# ## 8. Glossary · 术语表
#
# | English | 中文 | meaning in this course |
# |---|---|---|
# | residual learning | 残差学习 | predict the noise, subtract it |
# | receptive field | 感受野 | input pixels that can influence one output pixel |
# | pixel (un)shuffle | 像素重排（亚像素卷积） | rearrange 2×2 pixels into 4 channels and back |
# | noise-level map | 噪声水平图 | a channel filled with σ: one model for all σ |
# | blind denoising | 盲去噪 | σ unknown, estimated from the image |
# | batch normalisation | 批归一化 | normalise activations with batch statistics |
# | patch | 图像块 | small crop used as a training sample |
# | data augmentation | 数据增强 | flips/rotations to multiply training data |
# | inpainting | 图像修补 | filling missing pixels |
# | super-resolution | 超分辨率 | recovering detail lost by downsampling |
#
# ## 9. Recap
# - Predicting the noise (residual learning) versus predicting the image, same steps: compare the two validation
#   PSNRs printed in §1; exercise 2 had you write the residual step and train with it.
# - FFDNet's half-resolution sub-images make the network fast on a CPU and double its receptive field.
# - The shipped CNN vs BM3D: much faster; below BM3D at low σ, level with it (within the standard errors) at high σ
#   (§3). Why the gap is largest at low σ is a hypothesis (too little data, or a loss that weighs low σ least), not a
#   finding.
# - ×2 super-resolution: compare the CNN with bicubic in §6. Inpainting: a small network that learns, per pixel,
#   how much to trust Telea, Navier–Stokes and biharmonic; whether it beats each of them is decided by the paired
#   differences over several masks and their error bars (§5), not by one mask per photo. It does not invent texture.
# - A σ far outside the training range did not break the denoiser here; a noise *type* it never saw (correlated
#   noise) did — and BM3D with it (§4).
#
# ## References
# - K. Zhang, W. Zuo, Y. Chen, D. Meng, L. Zhang. Beyond a Gaussian denoiser: residual learning of deep CNN for image denoising. *IEEE Transactions on Image Processing* 26(7):3142–3155, 2017.
# - K. Zhang, W. Zuo, L. Zhang. FFDNet: toward a fast and flexible solution for CNN-based image denoising. *IEEE Transactions on Image Processing* 27(9):4608–4622, 2018.
# - K. Dabov, A. Foi, V. Katkovnik, K. Egiazarian. Image denoising by sparse 3-D transform-domain collaborative filtering. *IEEE Transactions on Image Processing* 16(8):2080–2095, 2007.
# - A. Buades, B. Coll, J.-M. Morel. A non-local algorithm for image denoising. *CVPR* 2005.
# - D. L. Donoho, I. M. Johnstone. Ideal spatial adaptation by wavelet shrinkage. *Biometrika* 81(3):425–455, 1994.
# - C. Dong, C. C. Loy, K. He, X. Tang. Learning a deep convolutional network for image super-resolution. *ECCV* 2014.
# - W. Shi, J. Caballero, F. Huszár, J. Totz, A. P. Aitken, R. Bishop, D. Rueckert, Z. Wang. Real-time single image and video super-resolution using an efficient sub-pixel convolutional neural network. *CVPR* 2016.
# - A. Telea. An image inpainting technique based on the fast marching method. *Journal of Graphics Tools* 9(1):23–34, 2004.
# - M. Bertalmío, A. L. Bertozzi, G. Sapiro. Navier–Stokes, fluid dynamics, and image and video inpainting. *CVPR* 2001.
# - S. B. Damelin, N. S. Hoang. On surface completion and image inpainting by biharmonic functions: numerical aspects. *International Journal of Mathematics and Mathematical Sciences* 2018:3950312, 2018.
# - K. Zhang, Y. Li, W. Zuo, L. Zhang, L. Van Gool, R. Timofte. Plug-and-play image restoration with deep denoiser prior. *IEEE TPAMI* 44(10):6360–6376, 2022 (DRUNet).
# - F. Yu, V. Koltun. Multi-scale context aggregation by dilated convolutions. *ICLR* 2016.
# - S. Ioffe, C. Szegedy. Batch normalization: accelerating deep network training by reducing internal covariate shift. *ICML* 2015.
# - D. P. Kingma, J. Ba. Adam: a method for stochastic optimization. *ICLR* 2015.
