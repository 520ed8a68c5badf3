"""Shared by benchmarks/transfer_restoration.py and transfer_generation.py: run a grid, summarise, write JSON."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_lib import transfer  # noqa: E402


def environment() -> dict:
    import keras

    return {"python": platform.python_version(), "keras": keras.__version__, "backend": keras.backend.backend(),
            "cpu_count": os.cpu_count(), "load_average_at_start": list(np.round(os.getloadavg(), 2)),
            "machine": platform.machine()}


def run_grid(name: str, cells: list[tuple], out: list[dict], examples: dict | None = None, example=None, **kwargs):
    """Run ``(strategy, n_target, seed)`` cells of experiment ``name``; append records (without models) to ``out``.

    For seed 0, ``example(model)`` (if given) is stored in ``examples["strategy|N"]``.
    """
    for strategy, n, seed in cells:
        record = transfer.run_experiment(name, strategy, n, seed, keep_model=example is not None, **kwargs)
        model = record.pop("model", None)
        if example is not None and seed == 0:
            examples[f"{strategy}|{n}"] = example(model)
        out.append({k: round(v, 5) if isinstance(v, float) else v for k, v in record.items()})
        shown = {k: out[-1][k] for k in ("strategy", "n_target", "seed") + tuple(k for k in ("psnr", "kid", "elbo")
                                                                                 if k in out[-1])}
        print(name, shown, f"{record['seconds']:.0f} s", flush=True)
    return out


def table(records: list[dict], metric: str) -> list[dict]:
    rows = transfer.summarise(records, metric)
    return [{**r, "mean": round(r["mean"], 4), "se": round(r["se"], 4) if np.isfinite(r["se"]) else None}
            for r in rows]


def effect(records: list[dict], metric: str, a: str, b: str, n: int, relative: bool = False) -> dict:
    """Paired (by seed) effect of strategy ``a`` over ``b`` at ``n`` targets; ``relative``: 1 - a/b per seed."""
    get = {(r["strategy"], r["seed"]): r[metric] for r in records if r["n_target"] == n}
    if not any(st == a for st, _ in get) or not any(st == b for st, _ in get):
        return None
    seeds = sorted(s for (st, s) in get if st == a and (b, s) in get)
    va, vb = np.array([get[a, s] for s in seeds]), np.array([get[b, s] for s in seeds])
    diff = 1 - va / vb if relative else va - vb
    mean, se = transfer.paired_effect(diff, np.zeros(len(seeds))) if len(seeds) > 1 else (float(diff[0]), None)
    return {"a": a, "b": b, "n_target": n, "metric": metric, "relative": relative, "effect": round(mean, 4),
            "se": None if se is None else round(se, 4), "seeds": seeds}


def write(path: Path, payload: dict, targets=None) -> dict:
    """Merge ``payload``'s experiments into the JSON at ``path`` (parts may run in parallel processes, ``--only``);
    ``targets(experiments)`` recomputes the headline effects from whatever experiments the file now holds."""
    import fcntl

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    import tempfile

    with open(Path(tempfile.gettempdir()) / f"{path.stem}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        merged = json.loads(path.read_text()) if path.exists() else {}
        if merged.get("settings") != payload["settings"]:
            merged = {}  # other settings: start afresh
        experiments = {**merged.get("experiments", {}), **payload["experiments"]}
        merged.update({k: v for k, v in payload.items() if k != "experiments"}, experiments=experiments)
        parts = [e["timing"] for e in experiments.values() if "timing" in e]
        merged["timing"] = {"cpu_seconds": round(sum(t["cpu_seconds"] for t in parts), 1),
                            "wall_seconds_if_sequential": round(sum(t["wall_seconds"] for t in parts), 1),
                            "note": "per-experiment wall and CPU seconds are in experiments[...]['timing']; the "
                                    "machine's 2 cores were shared with other jobs (see load averages)"}
        if targets is not None:
            merged["targets"] = targets(experiments)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(merged, separators=(",", ":")))  # compact: the examples hold image arrays
        os.replace(tmp, path)
    print("wrote", path, flush=True)
    return merged


class Clock:
    """Wall and CPU time of this process (CPU time does not grow when other programs share the cores)."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self) -> dict:
        return {"wall_seconds": round(time.perf_counter() - self.wall, 1),
                "cpu_seconds": round(time.process_time() - self.cpu, 1)}
