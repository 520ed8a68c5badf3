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


_MEMORY_PROBE = """
import json, resource, sys
import numpy as np
from course_lib import restore
size = int(sys.argv[1])
restore.cnn_denoise(np.zeros((64, 64), np.float32), 0.1)  # TensorFlow, the model and its weights
loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
image = np.random.default_rng(0).random((size, size), dtype=np.float32)
restore.cnn_denoise(image, 25 / 255)
print(json.dumps({"loaded_mb": loaded / 1024, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def denoise_memory(size: int = 1024, timeout: float = 600) -> dict[str, float]:
    """Peak resident memory (MB) of a fresh Python process that denoises one ``size x size`` image with
    :func:`course_lib.restore.cnn_denoise`: ``{"loaded_mb": after loading TensorFlow and the model,
    "peak_mb": after the denoise}`` (Linux ``ru_maxrss``; counts TensorFlow's C++ allocations too)."""
    import json
    import subprocess

    result = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, str(size)], capture_output=True, text=True,
                            timeout=timeout, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def doctor(memory: bool = True) -> int:
    """Print versions, hardware, quick mode, checkpoint status, whether each lesson's data loads and (``memory``)
    the peak memory of a 1024x1024 denoise; return 0 if everything is usable, else 1."""
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
    env = os.environ.get("COURSE_CHECKPOINTS")
    print(f"checkpoints in {checkpoints.checkpoint_dir()}" + (f" (from COURSE_CHECKPOINTS={env})" if env else "") + ":")
    entries = checkpoints.status()
    for name, state in entries.items():
        problems += state != "ok"
        print(f"  {name:<20} {'ok' if state == 'ok' else 'PROBLEM: ' + state}")
    if not entries:
        problems += 1
        print("  PROBLEM: the manifest lists no checkpoint; the lessons need the shipped ones")
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
    if memory and entries.get("denoiser") != "ok":
        print("memory: not measured (it needs the denoiser checkpoint, which is not usable)")
    elif memory:
        try:
            peak = denoise_memory(1024)
            print(f"memory: denoising a 1024x1024 image peaks at {peak['peak_mb']:.0f} MB resident "
                  f"({peak['loaded_mb']:.0f} MB of it is Python, TensorFlow and the model; larger images run in "
                  "tiles, so only their pixel arrays add to this)")
        except Exception as error:  # noqa: BLE001
            problems += 1
            detail = (getattr(error, "stderr", "") or str(error)).strip().splitlines()[-1:]
            print(f"memory: FAILED to measure a 1024x1024 denoise: {type(error).__name__}: {' '.join(detail)}")
    print("all good" if problems == 0 else f"{problems} problem(s) found")
    return 0 if problems == 0 else 1


def main(argv: list[str] | None = None) -> int:
    from .pretrain import RECIPES, run_recipe

    parser = argparse.ArgumentParser(prog="python -m course_lib", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    doc = sub.add_parser("doctor", help="check the installation, checkpoints, data and memory")
    doc.add_argument("--no-memory", action="store_true", help="skip the memory measurement (a 1024x1024 denoise)")
    pre = sub.add_parser("pretrain", help="train and save a shipped checkpoint")
    pre.add_argument("name", choices=sorted(RECIPES), help="checkpoint to (re)build")
    args = parser.parse_args(argv)
    if args.command == "doctor":
        return doctor(memory=not args.no_memory)
    start = time.perf_counter()
    quality = run_recipe(args.name)
    print(f"{args.name}: done in {time.perf_counter() - start:.0f} s; quality {quality}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
