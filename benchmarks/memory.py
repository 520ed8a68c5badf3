"""Peak memory of the model-backed restoration functions on large images → benchmarks/results/memory.json.

Run from the repo root: ``nice python benchmarks/memory.py`` (about 10 minutes on 2 shared cores).

Protocol
--------
* Each row runs in a **fresh Python process** (``subprocess``), which first loads TensorFlow and the shipped
  model and runs the function once on a 64×64 image (``loaded_mb``), then calls it once on the large input
  (``peak_mb``).  Memory is the process's peak resident set size, Linux ``ru_maxrss`` of that child process, so
  TensorFlow's C++ allocations count too (``tracemalloc`` sees only Python's).  ``extra_mb = peak_mb - loaded_mb``
  is what the large image costs.
* Inputs: a 2048×2048 float32 image of a smooth random texture (noise σ = 25/255 added for the denoiser;
  random strokes as the inpainting mask).  ``cnn_upscale`` gets a 2048×2048 input and returns 4096×4096.
  The batch functions get 2 images of 1024×1024 (they run the same tiles image by image; 2048² batches would
  take many minutes on the shared 2-core machine).  ``inpaint_weights`` runs the inpainter's code path.
* ``tile``: the default (:data:`course_lib.restore.TILE`) or ``"untiled"`` (``tile`` set larger than the image,
  the behaviour before tiling), measured for the denoiser (the largest of the three networks) at 1024².
* Seconds are wall time of the large call on a shared 2-core machine: a rough guide, not a timing benchmark.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, resource, sys, time
import numpy as np
from course_lib import degrade, restore

name, size, tile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tile = None if tile == "default" else int(tile)
rng = np.random.default_rng(0)

def image(n):
    from scipy.ndimage import gaussian_filter
    x = gaussian_filter(rng.random((n, n)), 3)
    return ((x - x.min()) / (x.max() - x.min())).astype(np.float32)

def inputs(n):
    clean = image(n)
    noisy = degrade.add_gaussian_noise(clean, 25 / 255, seed=1)
    mask = degrade.stroke_mask((n, n), max(1, n // 256), 5, seed=2)
    return clean, noisy, mask

CALLS = {
    "cnn_denoise": lambda c, z, m: restore.cnn_denoise(z, 25 / 255, tile=tile),
    "cnn_denoise (blind)": lambda c, z, m: restore.cnn_denoise(z, tile=tile),
    "denoise_batch (2 images)": lambda c, z, m: restore.denoise_batch(
        restore.load_restorer("denoiser"), np.stack([z, z]), 25 / 255, tile=tile),
    "cnn_inpaint": lambda c, z, m: restore.cnn_inpaint(np.where(m, 0, c).astype(np.float32), m, tile=tile),
    "inpaint_weights": lambda c, z, m: restore.inpaint_weights(np.where(m, 0, c).astype(np.float32), m, tile=tile),
    "inpaint_batch (2 images)": lambda c, z, m: restore.inpaint_batch(
        restore.load_restorer("inpainter"), np.stack([c, c]), np.stack([m, m]), tile=tile),
    "cnn_upscale": lambda c, z, m: restore.cnn_upscale(c, tile=tile),
    "upscale_batch (2 images)": lambda c, z, m: restore.upscale_batch(
        restore.load_restorer("upscaler"), np.stack([c, c]), tile=tile),
}
CALLS[name](*inputs(64))
loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
args = inputs(size)
start = time.perf_counter()
out = CALLS[name](*args)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"loaded_mb": round(loaded), "peak_mb": round(peak), "extra_mb": round(peak - loaded),
                  "seconds": round(seconds, 1), "output_shape": list(np.shape(out))}))
"""

ROWS = [  # (function, size, tile): one 2048² row per single-image function; batches of 2 at 1024² (same code
    # path image by image; kept small because each row runs for minutes on 2 shared cores); the untiled denoiser
    # (the behaviour before tiling) at 1024², where it fits comfortably
    ("cnn_denoise", 2048, "default"),
    ("cnn_inpaint", 2048, "default"),
    ("cnn_upscale", 2048, "default"),
    ("cnn_denoise", 1024, "untiled"),
    ("cnn_denoise", 1024, "default"),
    ("denoise_batch (2 images)", 1024, "default"),
    ("inpaint_batch (2 images)", 1024, "default"),
    ("upscale_batch (2 images)", 1024, "default"),
]


def measure(name: str, size: int, tile: str) -> dict:
    arg = str(10**6) if tile == "untiled" else "default"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", CHILD, name, str(size), arg], capture_output=True, text=True,
                            env=env, cwd=ROOT)
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1] if result.stderr.strip() else str(result.returncode)}
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    from course_lib.restore import TILE

    start = time.perf_counter()
    rows = []
    for name, size, tile in ROWS:
        record = {"function": name, "size": size, "tile": TILE if tile == "default" else tile, **measure(name, size,
                                                                                                        tile)}
        print(record, flush=True)
        rows.append(record)
        (ROOT / "benchmarks" / "results" / "memory.partial.json").write_text(json.dumps(rows, indent=2) + "\n")
    tiled = {r["function"]: r for r in rows if r["size"] == 2048 and r["tile"] != "untiled" and "peak_mb" in r}
    untiled = next((r for r in rows if r["tile"] == "untiled" and "peak_mb" in r), None)
    bound = 1024  # MB above the loaded model: what a classroom machine should spare for one large image
    targets = [{"target": f"every model-backed function at 2048² stays within {bound} MB above the loaded model",
                "measured": f"largest extra {max(r['extra_mb'] for r in tiled.values())} MB "
                            f"({max(tiled.values(), key=lambda r: r['extra_mb'])['function']})",
                "met": all(r["extra_mb"] <= bound for r in tiled.values())}]
    if untiled is not None and "cnn_denoise" in tiled:
        targets.append({"target": "the tiled 2048² denoise needs less extra memory than the untiled 1024² one",
                        "measured": f"{tiled['cnn_denoise']['extra_mb']} MB tiled at 2048² vs "
                                    f"{untiled['extra_mb']} MB untiled at 1024²",
                        "met": tiled["cnn_denoise"]["extra_mb"] < untiled["extra_mb"]})
    results = {"protocol": __doc__, "rows": rows, "targets": targets,
               "seconds": round(time.perf_counter() - start),
               "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "load_average": round(os.getloadavg()[0], 1), "command": "python benchmarks/memory.py"}
    out = ROOT / "benchmarks" / "results" / "memory.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    (ROOT / "benchmarks" / "results" / "memory.partial.json").unlink(missing_ok=True)
    print(f"wrote {out.relative_to(ROOT)} in {results['seconds']} s")


if __name__ == "__main__":
    main()
