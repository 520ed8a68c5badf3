"""Shipped model weights: save, verify and load Keras ``*.weights.h5`` files.

The architecture lives in code; a checkpoint holds only weights.  Every file is listed in
``data/checkpoints/manifest.json`` with its sha256, size, the command that made it, the
training time and its measured quality.  Loading checks the hash first, so a missing or
corrupt file fails with a message that names the file and the command that rebuilds it.
Every fault of the store raises one :class:`CheckpointError`; ``python -m course_lib doctor`` lists them.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from pathlib import Path

__all__ = ["CheckpointError", "checkpoint_dir", "manifest", "save_checkpoint", "load_checkpoint", "verify", "status"]


class CheckpointError(RuntimeError):
    """The checkpoint store is unusable: a missing folder, a missing or corrupt manifest, a missing, corrupt or
    mismatched weights file, or a Git-LFS pointer instead of the weights.

    The message names the path, ``$COURSE_CHECKPOINTS`` when it is set, and a command that fixes it when run
    from the repository root.
    """


_REPO = Path(__file__).resolve().parent.parent
_LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"


def checkpoint_dir() -> Path:
    """Folder of the shipped checkpoints (``$COURSE_CHECKPOINTS`` or ``<repo>/data/checkpoints``).

    Returns
    -------
    pathlib.Path
        The folder (it need not exist; :func:`manifest` says so if it does not).

    Examples
    --------
    >>> checkpoint_dir().name
    'checkpoints'
    """
    default = _REPO / "data" / "checkpoints"
    return Path(os.environ.get("COURSE_CHECKPOINTS", default))


def _manifest_path() -> Path:
    return checkpoint_dir() / "manifest.json"


def _env_note() -> str:
    value = os.environ.get("COURSE_CHECKPOINTS")
    return f" (the folder comes from COURSE_CHECKPOINTS={value})" if value else ""


def _restore_hint(path: Path) -> str:
    """A command that restores ``path`` from git, run from the repository root (or what to do if it is outside)."""
    try:
        relative = path.resolve().relative_to(_REPO)
    except ValueError:
        default = (_REPO / "data" / "checkpoints").relative_to(_REPO)
        if os.environ.get("COURSE_CHECKPOINTS"):
            folder = checkpoint_dir()
            return (f"copy the shipped files there with `mkdir -p {folder} && cp -r {default}/. {folder}` from the "
                    f"repository root {_REPO}, or `unset COURSE_CHECKPOINTS` to use {default}")
        return f"copy it from {default} in the repository {_REPO}"
    return f"restore it with `git checkout -- {relative}` from the repository root {_REPO}"


def _error(problem: str, path: Path, fix: str) -> CheckpointError:
    return CheckpointError(f"{problem}: {path}{_env_note()}; {fix}")


def _read_manifest(missing_ok: bool) -> dict:
    folder, path = checkpoint_dir(), _manifest_path()
    if not folder.is_dir():
        if missing_ok:
            return {}
        raise _error("checkpoint folder does not exist", folder, _restore_hint(folder))
    if not path.is_file():
        if missing_ok:
            return {}
        raise _error("checkpoint manifest is missing", path, _restore_hint(path))
    raw = path.read_bytes()
    if raw.startswith(_LFS_POINTER):
        raise _error("checkpoint manifest is a Git-LFS pointer, not the file", path, _lfs_hint(path))
    try:
        entries = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise _error(f"checkpoint manifest is corrupt ({error})", path, _restore_hint(path)) from None
    required = {"file", "sha256", "command"}
    if not isinstance(entries, dict) or not all(isinstance(e, dict) and required <= set(e) for e in entries.values()):
        raise _error(f"checkpoint manifest is corrupt (expected {{name: {{{', '.join(sorted(required))}, …}}}})",
                     path, _restore_hint(path))
    return entries


def _lfs_hint(path: Path) -> str:
    return (f"the weights were not downloaded: run `git lfs install && git lfs pull` from the repository root "
            f"{_REPO}, or {_restore_hint(path)}")


def manifest() -> dict:
    """The manifest as a dict ``{name: entry}``.

    Returns
    -------
    dict of str to dict
        Per checkpoint: ``file``, ``sha256``, ``bytes``, ``parameters``, ``command``, ``train_seconds``,
        ``quality`` and ``created`` (ISO date).

    Raises
    ------
    CheckpointError
        If the checkpoint folder or its ``manifest.json`` is missing, a Git-LFS pointer, not valid JSON or not
        ``{name: {file, sha256, command, ...}}``; the message names the path, ``$COURSE_CHECKPOINTS`` when set,
        and a command that fixes it from the repository root.
    """
    return _read_manifest(missing_ok=False)


def rebuild_command(name: str) -> str:
    """The command that (re)creates checkpoint ``name`` (run it from the repository root).

    Parameters
    ----------
    name : str
        Checkpoint name, e.g. ``"glyph-cnn"``.

    Returns
    -------
    str
        The manifest's ``command``, or ``python -m course_lib pretrain <name>`` for an unknown name (or when the
        manifest cannot be read).

    Examples
    --------
    >>> rebuild_command("no-such-model")
    'python -m course_lib pretrain no-such-model'
    """
    try:
        entry = manifest().get(name, {})
    except CheckpointError:
        entry = {}
    return entry.get("command", f"python -m course_lib pretrain {name}")


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
    entries = _read_manifest(missing_ok=True)
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
        If the store is unusable (see :func:`manifest`), ``name`` is not in the manifest, or the file is missing,
        a Git-LFS pointer or its sha256 differs from the manifest's; the message names the path,
        ``$COURSE_CHECKPOINTS`` when set, and the command that restores or rebuilds it.

    Examples
    --------
    >>> verify("no-such-model")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    course_lib.checkpoints.CheckpointError: checkpoint 'no-such-model' is not in the manifest: ...
    """
    entry = manifest().get(name)
    if entry is None:
        raise _error(f"checkpoint {name!r} is not in the manifest", _manifest_path(),
                     f"create it with: python -m course_lib pretrain {name}")
    path = checkpoint_dir() / entry["file"]
    rebuild = f"or rebuild it with: {entry['command']}"
    if not path.is_file():
        raise _error("checkpoint file is missing", path, f"{_restore_hint(path)} {rebuild}")
    with path.open("rb") as handle:
        head = handle.read(len(_LFS_POINTER))
    if head == _LFS_POINTER:
        raise _error("checkpoint file is a Git-LFS pointer, not the weights", path, _lfs_hint(path))
    digest = _sha256(path)
    if digest != entry["sha256"]:
        raise _error(f"checkpoint file is corrupt (sha256 {digest[:12]}… does not match the manifest's "
                     f"{entry['sha256'][:12]}…)", path, f"{_restore_hint(path)} {rebuild}")
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
    except (ValueError, KeyError, OSError) as error:
        raise _error(f"checkpoint file does not fit this model ({error}); was the architecture changed?", path,
                     f"rebuild it with: {rebuild_command(name)}") from error
    return manifest()[name]


def status() -> dict[str, str]:
    """``{name: "ok" | error message}`` for every checkpoint in the manifest.

    Returns
    -------
    dict of str to str
        ``"ok"`` or the :class:`CheckpointError` message, per checkpoint name; if the folder or the manifest
        itself is unusable, the one entry ``{"manifest.json": error message}``.
    """
    try:
        names = list(manifest())
    except CheckpointError as error:
        return {"manifest.json": str(error)}
    result = {}
    for name in names:
        try:
            verify(name)
            result[name] = "ok"
        except CheckpointError as error:
            result[name] = str(error)
    return result
