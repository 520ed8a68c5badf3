"""Shipped model weights: save, verify and load Keras ``*.weights.h5`` files.

The architecture lives in code; a checkpoint holds only weights.  Every file is listed in
``data/checkpoints/manifest.json`` with its sha256, size, the command that made it, the
training time and its measured quality.  Loading checks the hash first, so a missing or
corrupt file fails with a message that names the file and the command that rebuilds it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from pathlib import Path

__all__ = ["CheckpointError", "checkpoint_dir", "manifest", "save_checkpoint", "load_checkpoint", "verify", "status"]


class CheckpointError(RuntimeError):
    """A checkpoint is missing, corrupt or does not fit the model."""


def checkpoint_dir() -> Path:
    """Folder of the shipped checkpoints (``$COURSE_CHECKPOINTS`` or ``<repo>/data/checkpoints``).

    Returns
    -------
    pathlib.Path
        The folder (it need not exist yet).

    Examples
    --------
    >>> checkpoint_dir().name
    'checkpoints'
    """
    default = Path(__file__).resolve().parent.parent / "data" / "checkpoints"
    return Path(os.environ.get("COURSE_CHECKPOINTS", default))


def _manifest_path() -> Path:
    return checkpoint_dir() / "manifest.json"


def manifest() -> dict:
    """The manifest as a dict ``{name: entry}`` (empty if there is none yet).

    Returns
    -------
    dict of str to dict
        Per checkpoint: ``file``, ``sha256``, ``bytes``, ``parameters``, ``command``, ``train_seconds``,
        ``quality`` and ``created`` (ISO date).

    Raises
    ------
    json.JSONDecodeError
        If ``manifest.json`` exists but is not valid JSON (a ``ValueError``).
    """
    path = _manifest_path()
    return json.loads(path.read_text()) if path.exists() else {}


def rebuild_command(name: str) -> str:
    """The command that (re)creates checkpoint ``name``.

    Parameters
    ----------
    name : str
        Checkpoint name, e.g. ``"glyph-cnn"``.

    Returns
    -------
    str
        The manifest's ``command``, or ``python -m course_lib pretrain <name>`` for an unknown name.

    Examples
    --------
    >>> rebuild_command("no-such-model")
    'python -m course_lib pretrain no-such-model'
    """
    return manifest().get(name, {}).get("command", f"python -m course_lib pretrain {name}")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_checkpoint(model, name: str, *, train_seconds: float, quality: dict, command: str | None = None) -> dict:
    """Save ``model``'s weights as ``<name>.weights.h5`` and record it in the manifest.

    Parameters
    ----------
    model : keras.Model
        A built model.
    name : str
        Checkpoint name, e.g. ``"glyph-cnn"``.
    train_seconds : float
        Wall time of the training run that produced the weights, in seconds (stored rounded to 0.1 s).
    quality : dict
        Measured quality, e.g. ``{"test_accuracy": 0.97}``; numbers computed by the caller.
    command : str, optional
        The command that rebuilds it (default ``python -m course_lib pretrain <name>``).

    Returns
    -------
    dict
        The new manifest entry (``file``, ``sha256``, ``bytes``, ``parameters``, ``command``,
        ``train_seconds``, ``quality``, ``created``).

    Raises
    ------
    OSError
        If the checkpoint folder or files cannot be written.
    """
    folder = checkpoint_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.weights.h5"
    model.save_weights(path)
    entry = {
        "file": path.name,
        "sha256": _sha256(path),
        "bytes": path.stat().st_size,
        "parameters": int(model.count_params()),
        "command": command or f"python -m course_lib pretrain {name}",
        "train_seconds": round(float(train_seconds), 1),
        "quality": quality,
        "created": datetime.date.today().isoformat(),
    }
    entries = manifest()
    entries[name] = entry
    _manifest_path().write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n")
    return entry


def verify(name: str) -> Path:
    """Return the path of checkpoint ``name`` after checking it exists and its sha256 matches.

    Parameters
    ----------
    name : str
        Checkpoint name, a key of :func:`manifest`.

    Returns
    -------
    pathlib.Path
        The weights file.

    Raises
    ------
    CheckpointError
        If ``name`` is not in the manifest, the file is missing, or its sha256 differs from the manifest's
        (the message names the command that rebuilds it).

    Examples
    --------
    >>> verify("no-such-model")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    course_lib.checkpoints.CheckpointError: checkpoint 'no-such-model' is not in ...
    """
    entry = manifest().get(name)
    if entry is None:
        raise CheckpointError(
            f"checkpoint {name!r} is not in {_manifest_path()}; create it with: python -m course_lib pretrain {name}"
        )
    path = checkpoint_dir() / entry["file"]
    if not path.exists():
        raise CheckpointError(f"checkpoint file {path} is missing; rebuild it with: {entry['command']}")
    digest = _sha256(path)
    if digest != entry["sha256"]:
        raise CheckpointError(
            f"checkpoint file {path} is corrupt (sha256 {digest[:12]}… does not match the manifest's "
            f"{entry['sha256'][:12]}…); restore it with `git checkout -- {path.name}` or rebuild it with: "
            f"{entry['command']}"
        )
    return path


def load_checkpoint(model, name: str) -> dict:
    """Load verified weights of checkpoint ``name`` into ``model``; return its manifest entry.

    Parameters
    ----------
    model : keras.Model
        A model with the architecture the checkpoint was saved from.
    name : str
        Checkpoint name, a key of :func:`manifest`.

    Returns
    -------
    dict
        The manifest entry (see :func:`manifest`).

    Raises
    ------
    CheckpointError
        If the checkpoint is missing or corrupt (:func:`verify`), or its weights do not fit ``model``.
    """
    path = verify(name)
    try:
        model.load_weights(path)
    except (ValueError, KeyError) as error:
        raise CheckpointError(
            f"checkpoint {path.name} does not fit this model ({error}); was the architecture changed? "
            f"Rebuild it with: {rebuild_command(name)}"
        ) from error
    return manifest()[name]


def status() -> dict[str, str]:
    """``{name: "ok" | error message}`` for every checkpoint in the manifest.

    Returns
    -------
    dict of str to str
        ``"ok"`` or the :class:`CheckpointError` message, per checkpoint name.
    """
    result = {}
    for name in manifest():
        try:
            verify(name)
            result[name] = "ok"
        except CheckpointError as error:
            result[name] = str(error)
    return result
