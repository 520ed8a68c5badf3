"""Registry of the recipes that make the shipped checkpoints (``python -m course_lib pretrain NAME``).

Each entry maps a checkpoint name to ``"module:function"``; the function trains the model,
measures it and saves it with :func:`course_lib.checkpoints.save_checkpoint`.  Every recipe
runs on a plain CPU machine.
"""

from __future__ import annotations

import importlib

__all__ = ["RECIPES", "run_recipe"]

RECIPES: dict[str, str] = {
    "glyph-cnn": "course_lib.classifier:pretrain_glyph_cnn",
    "digit-classifier": "course_lib.classifier:pretrain_digit_classifier",
    "gan-glyphs": "course_lib.gan:pretrain_gan_glyphs",
    "denoiser": "course_lib.restore:pretrain_denoiser",
    "inpainter": "course_lib.restore:pretrain_inpainter",
    "upscaler": "course_lib.restore:pretrain_upscaler",
    "vae-2d": "course_lib.vae:pretrain_vae_2d",
    "vae-digits": "course_lib.vae:pretrain_vae_digits",
    "ae-digits": "course_lib.vae:pretrain_ae_digits",
    "vae-glyphs": "course_lib.vae:pretrain_vae_glyphs",
    "vae-beta0.1": "course_lib.vae:pretrain_vae_beta01",
    "vae-beta2": "course_lib.vae:pretrain_vae_beta2",
    "vae-beta4": "course_lib.vae:pretrain_vae_beta4",
    "vae-beta64": "course_lib.vae:pretrain_vae_beta64",
}


def run_recipe(name: str) -> dict:
    """Run the recipe ``name`` with its default settings; return the measured quality.

    Parameters
    ----------
    name : str
        A checkpoint name, a key of :data:`RECIPES` (e.g. ``"glyph-cnn"``).

    Returns
    -------
    dict
        The quality the recipe measured and stored in the checkpoint manifest (metric name → value).

    Raises
    ------
    ValueError
        If ``name`` is not a key of :data:`RECIPES`.

    Examples
    --------
    >>> run_recipe("no-such-model")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown checkpoint 'no-such-model'; known: ae-digits, denoiser, ...
    """
    if name not in RECIPES:
        raise ValueError(f"unknown checkpoint {name!r}; known: {', '.join(sorted(RECIPES))}")
    module, function = RECIPES[name].split(":")
    result = getattr(importlib.import_module(module), function)()
    return result[-1] if isinstance(result, tuple) else result
