"""Figures of lesson 05's restoration half: outputs and residuals, learning curves, the benchmark grids,
Yosinski's freezing curve, distillation, and a live σ-hint view. Plain functions returning matplotlib figures."""

from __future__ import annotations

import numpy as np

from .validate import check_range
from .viz import FIGURE_INCHES, MIN_FONT_PT

__all__ = ["restoration_panel", "init_figure", "curves_figure", "grid_figure", "yosinski_figure", "distill_figure",
           "hint_view", "gap_rows"]


def restoration_panel(clean: np.ndarray, noisy: np.ndarray, outputs: dict, title: str = ""):
    """Top row: the noisy image and each output with its PSNR; bottom row: the residuals (output − clean).

    Parameters
    ----------
    clean, noisy : numpy.ndarray, shape (H, W)
        The clean image and its degraded version (values in [0, 1] for ``clean``).
    outputs : dict
        ``{name: (H, W) output}``.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from .metrics import psnr

    panels = {"noisy input": noisy, **outputs}
    ncols = min(3, len(panels))
    groups = -(-len(panels) // ncols)
    fig, axes = plt.subplots(2 * groups, ncols, figsize=(FIGURE_INCHES, 2 * groups * FIGURE_INCHES / ncols * 1.08),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for k, (name, image) in enumerate(panels.items()):
        image = np.asarray(image, np.float32)
        top, bottom = axes[2 * (k // ncols), k % ncols], axes[2 * (k // ncols) + 1, k % ncols]
        top.imshow(np.clip(image, 0, 1), cmap="gray", vmin=0, vmax=1)
        top.set_title(f"{name}: {psnr(clean, np.clip(image, 0, 1)):.2f} dB", fontsize=MIN_FONT_PT)
        bottom.imshow(image - clean, cmap="gray", vmin=-0.25, vmax=0.25)
        bottom.set_title("its residual (output − clean)", fontsize=MIN_FONT_PT)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def init_figure(stds: dict):
    """Std of each hidden activation at initialisation, one line per initialisation (log scale).

    Parameters
    ----------
    stds : dict
        ``{init: {layer: std}}``, e.g. ``results["init_check"]`` or :func:`transfer_restore.activation_std` output.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    for name, per_layer in stds.items():
        ax.semilogy(range(1, len(per_layer) + 1), list(per_layer.values()), "o-", label=name)
    ax.set_xlabel("hidden layer")
    ax.set_ylabel("std of its output")
    ax.set_title("activations at initialisation, 15 × 80 ReLU stack", fontsize=10)
    ax.legend()
    fig.tight_layout()
    return fig


def curves_figure(part: dict, n_target: int = 5, arms=("fine-tune", "last layers", "small scratch", "fair scratch")):
    """Validation PSNR against steps (left) and CPU-seconds (right) for each arm at ``n_target``, every seed.

    Parameters
    ----------
    part : dict
        One experiment of ``transfer_restoration.json`` (``records`` with ``curve``, ``unadapted_val_psnr``).
    n_target : int
        Number of target images.
    arms : tuple of str
        Arms to draw.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(FIGURE_INCHES, 3.6))
    colours = dict(zip(arms, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    for r in part["records"]:
        if r["arm"] in arms and r["n_target"] == n_target and r.get("curve"):
            c = r["curve"]
            label = r["arm"] if r["seed"] == 0 else None
            left.plot(c["step"], c["val_psnr"], color=colours[r["arm"]], alpha=0.8, label=label)
            right.plot(c["cpu_seconds"], c["val_psnr"], color=colours[r["arm"]], alpha=0.8, label=label)
    for ax in (left, right):
        ax.axhline(part["unadapted_val_psnr"], color="k", ls="--", lw=1, label="unadapted source")
        ax.set_ylabel("validation PSNR (dB)")
    left.set_xlabel("training step")
    right.set_xlabel("CPU-seconds")
    right.set_xscale("symlog", linthresh=1)
    left.set_title(f"N = {n_target}: learning curves (all seeds)", fontsize=10)
    right.set_title("the same against CPU time", fontsize=10)
    fig.legend(*left.get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=MIN_FONT_PT)
    fig.tight_layout(rect=(0, 0.2, 1, 1))
    return fig


def grid_figure(part: dict, title: str, arms=None, fixed=None, ax=None):
    """Test PSNR against N (mean ± SE over seeds) for the trained arms; the untrained ones as horizontal lines.

    Parameters
    ----------
    part : dict
        One experiment of ``transfer_restoration.json`` (its ``table``).
    title : str
        Axes title.
    arms, fixed : sequence of str, optional
        Trained arms (curves) and untrained arms (lines) to draw; default all.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(FIGURE_INCHES, 4.2))
    rows = part["table"]
    fixed = [r for r in rows if r["n_target"] == 0 and (fixed is None or r["arm"] in fixed)]
    trained = [a for a in dict.fromkeys(r["arm"] for r in rows if r["n_target"] > 0) if arms is None or a in arms]
    for name in trained:
        pts = sorted((r for r in rows if r["arm"] == name), key=lambda r: r["n_target"])
        ax.errorbar([r["n_target"] for r in pts], [r["mean"] for r in pts], yerr=[r["se_seeds"] or 0 for r in pts],
                    marker="o", capsize=3, label=name)
    for i, r in enumerate(fixed):
        ax.axhline(r["mean"], ls=(0, (4, 2 + i)), lw=1, color=f"C{(i + len(trained)) % 10}", label=r["arm"])
    ax.set_xscale("log")
    ax.set_xlabel("number of target training images N")
    ax.set_ylabel("test PSNR (dB)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=MIN_FONT_PT, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.figure.tight_layout()
    return ax.figure


def yosinski_figure(results: dict, seeds=None):
    """Test PSNR at N = 5 against the number k of frozen first layers (mean ± SE over seeds), Yosinski et al. 2014.

    Parameters
    ----------
    results : dict
        ``transfer_restoration.json`` with ``correlated`` and ``yosinski`` experiments.
    seeds : sequence of int, optional
        Seeds to use (default: those of the ``yosinski`` records).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    points = yosinski_points(results, seeds)
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ks = sorted(points)
    means = [np.mean(points[k]) for k in ks]
    ses = [np.std(points[k], ddof=1) / np.sqrt(len(points[k])) if len(points[k]) > 1 else 0 for k in ks]
    ax.errorbar(ks, means, yerr=ses, marker="o", capsize=3)
    ax.set_xlabel("k = number of frozen first layers (15 = nothing trains)")
    ax.set_ylabel("test PSNR (dB)")
    ax.set_title("correlated noise, N = 5: what must change?", fontsize=10)
    fig.tight_layout()
    return fig


def yosinski_points(results: dict, seeds=None) -> dict[int, list[float]]:
    """``{k: [test PSNR per seed]}`` from the ``yosinski`` records plus k = 0 (fine-tune), 12 (last layers) and 15
    (the unadapted source) from the ``correlated`` experiment.

    Parameters
    ----------
    results : dict
        ``transfer_restoration.json``.
    seeds : sequence of int, optional
        Seeds to keep (default: those of the ``yosinski`` records).

    Returns
    -------
    dict
    """
    cor, yos = results["experiments"]["correlated"], results["experiments"]["yosinski"]
    seeds = sorted({r["seed"] for r in yos["records"]}) if seeds is None else list(seeds)
    points: dict[int, list[float]] = {}
    for r in yos["records"]:
        if r["seed"] in seeds:
            points.setdefault(r["n_frozen"], []).append(r["test_psnr"])
    for r in cor["records"]:
        if r["n_target"] == 5 and r["seed"] in seeds and r["arm"] in ("fine-tune", "last layers"):
            points.setdefault(r["n_frozen"], []).append(r["test_psnr"])
    points[yos["n_weighted_layers"]] = [cor["fixed"]["unadapted (σ true)"]["test_psnr"]]
    return points


def distill_figure(results: dict):
    """Test PSNR of the student arms and the teacher (mean ± SE over seeds), and the 512² inference times.

    Parameters
    ----------
    results : dict
        ``transfer_restoration.json`` with ``correlated`` and ``distill`` experiments.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    cor, dist = results["experiments"]["correlated"], results["experiments"]["distill"]
    groups = {"student,\n5 clean pairs": [r["test_psnr"] for r in cor["records"]
                                          if r["arm"] == "small scratch" and r["n_target"] == 5]}
    names = {"distilled": "student,\ndistilled", "both": "student,\nboth", "student pool": "student,\n80 clean pairs"}
    for r in dist["records"]:
        groups.setdefault(names[r["arm"]], []).append(r["test_psnr"])
    groups["teacher\n(fine-tuned)"] = [r["test_psnr"] for r in cor["records"]
                                        if r["arm"] == "fine-tune" and r["n_target"] == 5]
    fig, ax = plt.subplots(figsize=(FIGURE_INCHES, 3.8))
    means = [np.mean(v) for v in groups.values()]
    ses = [np.std(v, ddof=1) / np.sqrt(len(v)) if len(v) > 1 else 0 for v in groups.values()]
    ax.bar(range(len(groups)), means, yerr=ses, capsize=4)
    ax.set_xticks(range(len(groups)), list(groups), fontsize=MIN_FONT_PT)
    ax.set_ylim(min(means) - 1.5, max(means) + 0.8)
    ax.axhline(cor["fixed"]["unadapted (σ true)"]["test_psnr"], color="k", ls="--", lw=1, label="unadapted source")
    t = dist.get("timing_512") or {}
    if t:
        ax.set_title(f"distillation, correlated noise, N = 5: student {t['student_parameters']:,} vs teacher "
                     f"{t['teacher_parameters']:,} parameters;\none 512² image in {t['student_seconds']:.2f} vs "
                     f"{t['teacher_seconds']:.2f} s", fontsize=10)
    ax.set_ylabel("test PSNR (dB)")
    ax.legend(fontsize=MIN_FONT_PT)
    fig.tight_layout()
    return fig


def gap_rows(part: dict, upper: str = "upper bound") -> list[dict]:
    """Share of the gap closed, (arm − unadapted) / (upper bound − unadapted), for every row of ``part['table']``.

    Parameters
    ----------
    part : dict
        The ``correlated`` experiment of ``transfer_restoration.json``.
    upper : str
        The arm that defines the top of the gap.

    Returns
    -------
    list of dict
        ``{arm, n_target, mean, se_seeds, share}`` sorted by share.
    """
    rows = part["table"]
    base = part["fixed"]["unadapted (σ true)"]["test_psnr"]
    top = max(r["mean"] for r in rows if r["arm"] == upper)
    out = [{"arm": r["arm"], "n_target": r["n_target"], "mean": r["mean"], "se_seeds": r.get("se_seeds"),
            "share": (r["mean"] - base) / (top - base)} for r in rows]
    return sorted(out, key=lambda r: r["share"])


def hint_view(kernel_px: float = 1.0, hint: float = 1.0, seed: int = 0):
    """The shipped denoiser on a test crop with correlated noise (per-pixel std 25/255) told σ × ``hint``.

    Parameters
    ----------
    kernel_px : float
        Correlation length of the noise (std of the Gaussian kernel, pixels); small values approach white noise.
    hint : float
        Factor on the true σ given to the network's σ input.
    seed : int
        Noise seed.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from . import transfer_restore as tr
    from .data import load_photo
    from .restore import denoise_batch, load_restorer

    kernel_px = check_range(kernel_px, "kernel_px", 0.05, 3.0)
    hint = check_range(hint, "hint", 0.0, 5.0)
    clean = np.asarray(load_photo("camera"))[160:288, 180:308]
    noisy = clean + tr.correlated_noise(clean.shape, np.random.default_rng(seed), tr.SIGMA, kernel_px)
    out = denoise_batch(load_restorer("denoiser"), noisy[None], tr.SIGMA * hint)[0]
    return restoration_panel(clean, noisy, {f"source told σ × {hint:g}": out},
                             f"correlated noise, kernel {kernel_px:g} px, per-pixel std 25/255")
