"""Figures of lesson 05's "no clean images?" section: which pixels the blind-spot loss sees, the benchmark grid, and
the per-crop gains of test-time adaptation. Plain functions returning matplotlib figures."""

from __future__ import annotations

import numpy as np

from .self_supervised import blind_spot_input, blind_spot_mask
from .viz import FIGURE_INCHES, MIN_FONT_PT

__all__ = ["blind_spot_figure", "grid_figure", "test_time_figure"]


def blind_spot_figure(noisy: np.ndarray, seed: int = 0, spacing: int = 4, zoom: int = 16):
    """Three panels on a ``zoom``² corner of one noisy image: the noisy pixels, the network's input (the hidden
    pixels replaced by their neighbours' mean), and the pixels the loss sees (the hidden ones, against their own
    noisy values).

    Parameters
    ----------
    noisy : numpy.ndarray, shape (H, W)
        One noisy image, H, W ≥ ``zoom``.
    seed : int
        Seed of the mask's phase.
    spacing : int
        Blind-spot grid spacing.
    zoom : int
        Side of the corner shown, in pixels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    crop = np.asarray(noisy, np.float32)[:zoom, :zoom]
    mask = blind_spot_mask(crop.shape, np.random.default_rng(seed), spacing)
    shown = blind_spot_input(crop, mask)
    fig, axes = plt.subplots(1, 3, figsize=(FIGURE_INCHES, FIGURE_INCHES / 3 * 1.05))
    lo, hi = float(np.percentile(crop, 1)), float(np.percentile(crop, 99))
    rows, cols = np.nonzero(mask)
    for ax, image, title in zip(axes, (crop, shown, np.where(mask, crop, np.nan)),
                                ("noisy y", "input ỹ: hidden pixels = mean of 4 neighbours",
                                 "the loss sees only y at the hidden pixels")):
        ax.imshow(image, cmap="gray", vmin=lo, vmax=hi, interpolation="nearest")
        ax.scatter(cols, rows, s=30, facecolors="none", edgecolors="tab:red", linewidths=1.2)
        ax.set_title(title, fontsize=MIN_FONT_PT)
        ax.axis("off")
    fig.suptitle(f"blind spot: 1 pixel in {spacing}² hidden (red circles), {zoom}×{zoom} corner", fontsize=10)
    fig.tight_layout()
    return fig


def grid_figure(results: dict, part: str = "poisson"):
    """Test PSNR of every arm (mean ± SE over seeds; dots: seeds), with the unadapted model and Anscombe + BM3D as
    lines, from ``benchmarks/results/self_supervised.json``.

    Parameters
    ----------
    results : dict
        The benchmark's JSON.
    part : {"poisson", "correlated"}
        Which noise.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    p = results[part]
    rows = sorted(p["table"], key=lambda r: (r["arm"], r["n_target"]))
    fig, ax = plt.subplots(figsize=(FIGURE_INCHES, 0.42 * len(rows) + 1.4))
    labels = []
    for y, row in enumerate(rows):
        seeds = [r["test_psnr"] for r in p["records"] if r["arm"] == row["arm"] and r["n_target"] == row["n_target"]]
        ax.errorbar(row["mean"], y, xerr=row["se_seeds"] or 0, fmt="o", color="tab:blue", capsize=3)
        ax.plot(seeds, [y] * len(seeds), ".", color="tab:blue", alpha=0.4)
        labels.append(f"{row['arm']}, N = {row['n_target']}")
    for name, style in (("unadapted", "--"), ("Anscombe + BM3D", ":")):
        if name in p["fixed"]:
            ax.axvline(p["fixed"][name]["test_psnr"], color="0.3", ls=style, label=f"{name}: "
                       f"{p['fixed'][name]['test_psnr']:.2f} dB")
    ax.set_yticks(range(len(rows)), labels, fontsize=MIN_FONT_PT)
    ax.set_xlabel("test PSNR (dB), mean ± SE over seeds")
    ax.set_title(f"{part}: every arm on the held-out test crops", fontsize=10)
    ax.legend(fontsize=MIN_FONT_PT, loc="lower right")
    fig.tight_layout()
    return fig


def test_time_figure(results: dict):
    """Per-crop gain of test-time adaptation over the unadapted model (mean over seeds), all weights vs gains only.

    Parameters
    ----------
    results : dict
        The benchmark's JSON.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    p = results["poisson"]
    base = np.asarray(p["fixed"]["unadapted"]["per_image"])
    names = results["settings"]["test"]
    fig, ax = plt.subplots(figsize=(FIGURE_INCHES, 3.0))
    width = 0.38
    for k, variant in enumerate(("all", "gains")):
        recs = [r for r in p["records"] if r["arm"] == f"test-time ({variant})"]
        if not recs:
            continue
        gains = np.mean([r["per_image"] for r in recs], axis=0) - base
        ax.bar(np.arange(len(gains)) + (k - 0.5) * width, gains, width, label=f"{variant} weights" if variant ==
               "all" else "gains only")
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_xticks(range(len(base)), [n.split(":")[0] for n in names], fontsize=MIN_FONT_PT)
    ax.set_ylabel("PSNR gain (dB)")
    ax.set_title("test-time adaptation on each noisy test crop alone (no clean image)", fontsize=10)
    ax.legend(fontsize=MIN_FONT_PT)
    fig.tight_layout()
    return fig
