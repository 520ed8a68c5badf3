"""Interactive views in a few lines.

A view is a plain function ``view(**settings) -> matplotlib Figure``; tests call it
directly, without a browser.  :func:`explore` wires it to ipywidgets controls.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["explore", "degradation_view", "degradation_explorer"]


def explore(view: Callable, *, continuous_update: bool = False, **controls):
    """Show ``view(**values)`` under ipywidgets ``controls`` and redraw when one changes.

    Parameters
    ----------
    view : callable
        ``view(**settings) -> matplotlib Figure``; called once right away and again after each change.
    continuous_update : bool
        ``False`` redraws when a slider is released, which keeps slow views usable.
    **controls
        Each keyword of ``view`` mapped to an ipywidgets control (its value is passed) or a fixed value.

    Returns
    -------
    ipywidgets.VBox
        The controls above the output (displayed automatically as the last expression of a cell); its
        ``last_settings`` holds the values of the last redraw.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    output = widgets.Output()
    live = {key: control for key, control in controls.items() if isinstance(control, widgets.ValueWidget)}
    fixed = {key: value for key, value in controls.items() if key not in live}
    for control in live.values():
        if hasattr(control, "continuous_update"):
            control.continuous_update = continuous_update

    box = widgets.VBox([widgets.HBox(list(live.values())), output])

    def redraw(_change=None) -> None:
        box.last_settings = {key: control.value for key, control in live.items()}  # lets tests see the wiring
        with output:
            output.clear_output(wait=True)
            view(**fixed, **box.last_settings)
            plt.show()

    for control in live.values():
        control.observe(redraw, names="value")
    redraw()
    return box


def degradation_view(image: np.ndarray, kind: str = "gaussian noise", strength: float | None = None, seed: int = 0):
    """Degrade ``image`` with ``kind`` at ``strength``; draw clean vs degraded with PSNR and SSIM.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3), float
        Clean image in [0, 1].
    kind : str
        A key of :data:`course_lib.degrade.DEGRADATIONS`.
    strength : float, optional
        Strength in the unit :data:`~course_lib.degrade.DEGRADATIONS` names (default: its slider default).
    seed : int
        Seed of random degradations.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    KeyError
        If ``kind`` is unknown.
    TypeError, ValueError
        As :func:`course_lib.degrade.apply_degradation`, for a bad ``image`` or ``strength``.
    """
    from .degrade import DEGRADATIONS, apply_degradation
    from .viz import compare

    if strength is None:
        strength = DEGRADATIONS[kind][1][2] if kind in DEGRADATIONS else 0.0
    degraded = apply_degradation(image, kind, strength, seed=seed)
    return compare(image, {f"{kind} ({DEGRADATIONS[kind][0]} = {strength:.3g})": degraded}, size=4.0)


def degradation_explorer(image: np.ndarray):
    """Dropdown of degradations + strength slider → :func:`degradation_view`, live.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3), float
        Clean image in [0, 1].

    Returns
    -------
    ipywidgets.VBox
        The dropdown and slider above the figure (see :func:`explore`).

    Raises
    ------
    TypeError, ValueError
        As :func:`degradation_view`, for a bad ``image``.
    """
    import ipywidgets as widgets

    from .degrade import DEGRADATIONS

    wide = {"description_width": "initial"}  # the whole label, units included: no truncation
    kind = widgets.Dropdown(options=list(DEGRADATIONS), value="gaussian noise", description="degradation", style=wide)
    strength = widgets.FloatSlider(description="strength", readout_format=".3g", style=wide,
                                   layout=widgets.Layout(width="420px"))

    def set_range(_change=None) -> None:
        lo, hi, default = DEGRADATIONS[kind.value][1]
        strength.min, strength.max = -1e9, 1e9  # avoid transient min > max while changing both
        strength.min, strength.max, strength.step, strength.value = lo, hi, (hi - lo) / 100, default
        strength.description = DEGRADATIONS[kind.value][0]
        strength.tooltip = DEGRADATIONS[kind.value][0]

    set_range()
    kind.observe(set_range, names="value")
    return explore(degradation_view, image=image, kind=kind, strength=strength)
