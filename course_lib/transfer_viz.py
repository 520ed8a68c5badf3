"""Figures and widget views of lesson 05 (transfer learning): metric-against-N curves and the results grid.

:func:`grid_view` is the plain function behind the lesson's widget (tests call it without a browser). The
experiments live in :mod:`course_lib.transfer`, which imports no plotting.
"""

from __future__ import annotations

import numpy as np
from skimage.util import montage

__all__ = ["curve_view", "grid_view"]


def curve_view(table: list[dict], *, strategy: str | None = None, n_target: int | None = None,
               metric: str = "PSNR (dB)", title: str = "", ax=None, logx: bool = True):
    """Plot ``mean ± se`` against N per strategy of a :func:`~course_lib.transfer.summarise` table; circle one point.

    Parameters
    ----------
    table : list of dict
        Rows with ``strategy``, ``n_target``, ``mean`` and ``se`` (None or NaN: no error bar).
    strategy : str, optional
        With ``n_target``, the point to circle.
    n_target : int, optional
        See ``strategy``.
    metric : str
        y-axis label (with its unit).
    title : str
        Axes title.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes (default: a new figure).
    logx : bool
        Logarithmic N axis.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.6))
    for name in dict.fromkeys(row["strategy"] for row in table):
        rows = sorted((r for r in table if r["strategy"] == name), key=lambda r: r["n_target"])
        se = [np.nan if r["se"] is None else r["se"] for r in rows]  # None: a single seed, no error bar
        ax.errorbar([r["n_target"] for r in rows], [r["mean"] for r in rows], yerr=se,
                    marker="o", capsize=3, label=name)
    chosen = [r for r in table if r["strategy"] == strategy and r["n_target"] == n_target]
    for r in chosen:
        ax.plot(r["n_target"], r["mean"], "o", ms=14, mfc="none", mec="red", mew=2)
        ax.set_title(f"{title}\n{strategy}, N={n_target}: {r['mean']:.4g} ± {r['se'] or float('nan'):.2g}", fontsize=9)
    if not chosen:
        ax.set_title(title, fontsize=9)
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel("number of target training images N")
    ax.set_ylabel(metric)
    ax.legend()
    return ax.figure


def grid_view(results: dict, experiment: str = "faces", strategy: str = "fine-tune", n_target: int = 5):
    """Left: the experiment's metric against N (mean ± se over seeds), the chosen point circled; right: an example.

    The example is the output of that cell (seed 0): a denoised test image (noisy | output | clean) or 16
    generated samples.

    Parameters
    ----------
    results : dict
        :func:`~course_lib.transfer.load_results`'s dict.
    experiment : str
        A key of ``results["experiments"]``.
    strategy : str
        The strategy to circle and show.
    n_target : int
        The N to circle and show.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    KeyError
        If ``experiment`` is not in the results.
    """
    import matplotlib.pyplot as plt

    exp = results["experiments"][experiment]
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.2, 3.6), gridspec_kw={"width_ratios": [1.4, 1]})
    label = {"psnr": "PSNR on held-out target images (dB)", "kid": "KID ×10³ (lower is better)",
             "iwae_100": "held-out IWAE bound (nats/image)"}[exp["metric"]]
    curve_view(exp["table"], strategy=strategy, n_target=n_target, metric=label, ax=left, title=experiment)
    if exp["metric"] == "kid":
        left.set_yscale("log")  # as in the lesson's grid: KIDs differ by orders of magnitude
    example = exp.get("examples", {}).get(f"{strategy}|{n_target}")
    right.axis("off")
    if example is None:
        right.set_title(f"no example stored for {strategy}, N={n_target}", fontsize=9)
        return fig
    image = np.asarray(example, np.float32)
    if image.ndim == 2:  # restoration: noisy | output | clean
        test = exp["examples"]["test_image"]
        image = np.concatenate([np.clip(test["noisy"], 0, 1), image, np.asarray(test["clean"])], axis=1)
        right.set_title(f"noisy | {strategy}, N={n_target} | clean (test image)", fontsize=9)
    else:
        image = montage(image, padding_width=1, fill=1)  # white lines between the samples
        right.set_title(f"16 samples: {strategy}, N={n_target} (seed 0)", fontsize=9)
    right.imshow(image, cmap="gray", vmin=0, vmax=1)
    fig.tight_layout()
    return fig
