"""Command line: ``python -m course_lib doctor`` and ``python -m course_lib pretrain NAME``."""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time

LESSON_DATA = {
    "00_concepts": ("course_lib.data:test_photos", "course_lib.data:digits", "course_lib.data:glyphs"),
    "01_gan": ("course_lib.data:digits", "course_lib.data:glyphs"),
    "02_vae": ("course_lib.data:digits", "course_lib.data:glyphs"),
    "03_bm3d": ("course_lib.data:test_photos",),
    "04_cnn_repair": ("course_lib.data:train_photos", "course_lib.data:test_photos"),
    "05_transfer": ("course_lib.data:documents", "course_lib.data:faces", "course_lib.data:digits"),
}


def _call(path: str):
    module, function = path.split(":")
    return getattr(importlib.import_module(module), function)()


def doctor() -> int:
    """Print versions, hardware, quick mode, checkpoint status and whether each lesson's data loads."""
    from . import __version__, checkpoints, config

    problems = 0
    print(f"course_lib {__version__} | Python {platform.python_version()} | {platform.platform()}")
    for package in ("numpy", "scipy", "skimage", "sklearn", "matplotlib", "cv2", "ipywidgets", "tqdm",
                    "tensorflow", "keras", "bm3d", "nbval"):
        try:
            version = getattr(importlib.import_module(package), "__version__", "?")
            print(f"  {package:<11} {version}")
        except Exception as error:  # noqa: BLE001 - report every failure, whatever its kind
            problems += 1
            print(f"  {package:<11} MISSING ({type(error).__name__}: {error})")
    print(f"CPU cores: {os.cpu_count()}")
    try:
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        print(f"GPU: {', '.join(g.name for g in gpus) if gpus else 'none (the course runs on the CPU)'}")
    except Exception:  # noqa: BLE001
        print("GPU: unknown (TensorFlow did not import)")
    print(f"quick mode (COURSE_QUICK=1): {'on' if config.is_quick() else 'off'}")
    print(f"checkpoints in {checkpoints.checkpoint_dir()}:")
    entries = checkpoints.status()
    for name, state in entries.items():
        problems += state != "ok"
        print(f"  {name:<20} {state}")
    if not entries:
        print("  (none listed in the manifest)")
    print("lesson data:")
    for lesson, loaders in LESSON_DATA.items():
        start = time.perf_counter()
        try:
            for loader in loaders:
                _call(loader)
            print(f"  {lesson:<15} ok ({time.perf_counter() - start:.1f} s)")
        except Exception as error:  # noqa: BLE001
            problems += 1
            print(f"  {lesson:<15} FAILED: {type(error).__name__}: {error}")
    print("all good" if problems == 0 else f"{problems} problem(s) found")
    return 0 if problems == 0 else 1


def main(argv: list[str] | None = None) -> int:
    from .pretrain import RECIPES, run_recipe

    parser = argparse.ArgumentParser(prog="python -m course_lib", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help="check the installation, checkpoints and data")
    pre = sub.add_parser("pretrain", help="train and save a shipped checkpoint")
    pre.add_argument("name", choices=sorted(RECIPES), help="checkpoint to (re)build")
    args = parser.parse_args(argv)
    if args.command == "doctor":
        return doctor()
    start = time.perf_counter()
    quality = run_recipe(args.name)
    print(f"{args.name}: done in {time.perf_counter() - start:.0f} s; quality {quality}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
