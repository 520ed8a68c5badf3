"""Checkpoints: sha256 manifest, missing and corrupt files, shipped files verify."""

import re
import shutil

import numpy as np
import pytest

from course_lib import checkpoints
from course_lib.classifier import build_classifier
from course_lib.pretrain import RECIPES


@pytest.fixture
def tmp_checkpoints(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CHECKPOINTS", str(tmp_path))
    return tmp_path


def test_save_load_roundtrip(tmp_checkpoints):
    model = build_classifier(10, width=4, seed=1)
    entry = checkpoints.save_checkpoint(model, "tiny", train_seconds=1.5, quality={"acc": 0.5})
    assert entry["command"] == "python -m course_lib pretrain tiny" and len(entry["sha256"]) == 64
    other = build_classifier(10, width=4, seed=2)
    checkpoints.load_checkpoint(other, "tiny")
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert checkpoints.status() == {"tiny": "ok"}


def test_corrupt_missing_and_unknown_checkpoints(tmp_checkpoints):
    model = build_classifier(10, width=4)
    checkpoints.save_checkpoint(model, "tiny", train_seconds=1, quality={})
    path = tmp_checkpoints / "tiny.weights.h5"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(checkpoints.CheckpointError, match="corrupt.*python -m course_lib pretrain tiny"):
        checkpoints.load_checkpoint(model, "tiny")
    path.unlink()
    with pytest.raises(checkpoints.CheckpointError, match="missing.*python -m course_lib pretrain tiny"):
        checkpoints.load_checkpoint(model, "tiny")
    with pytest.raises(checkpoints.CheckpointError, match="not in"):
        checkpoints.load_checkpoint(model, "nope")


@pytest.mark.filterwarnings("ignore:Skipping nested container")
def test_wrong_architecture_is_reported(tmp_checkpoints):
    checkpoints.save_checkpoint(build_classifier(10, width=4), "tiny", train_seconds=1, quality={})
    with pytest.raises(checkpoints.CheckpointError, match="does not fit"):
        checkpoints.load_checkpoint(build_classifier(10, width=8), "tiny")


def test_shipped_checkpoints_verify_and_have_provenance():
    entries = checkpoints.manifest()
    assert "glyph-cnn" in entries
    for name, entry in entries.items():
        checkpoints.verify(name)
        # the command may start with environment settings (COURSE_PRETRAIN_MINUTES=19 ...); one recipe may
        # make several files (gan-glyphs → gan-glyphs-generator, ...)
        made_by = re.match(r"^([A-Z_]+=\S+ )*python -m course_lib pretrain (\S+)", entry["command"])
        assert made_by and made_by.group(2) in RECIPES and name.startswith(made_by.group(2)), (name, entry["command"])
        assert entry["quality"] and entry["train_seconds"] > 0, name
    total = sum(p.stat().st_size for p in checkpoints.checkpoint_dir().iterdir())
    assert total < 20e6


def test_shipped_glyph_cnn_quality_is_what_the_manifest_says(tmp_path):
    from course_lib.classifier import accuracy, build_classifier
    from course_lib.data import glyphs

    model = build_classifier(36)
    entry = checkpoints.load_checkpoint(model, "glyph-cnn")
    x, y = glyphs(2000, letters=True, seed=1000)
    assert accuracy(model, x, y) == pytest.approx(entry["quality"]["glyph_test_accuracy"], abs=0.002)
    shutil.rmtree(tmp_path)


# --------------------------------------------------------------------------- every fault of the store (issue 17)
def _store(folder, monkeypatch):
    """A copy of a tiny store in ``folder``, selected with COURSE_CHECKPOINTS."""
    monkeypatch.setenv("COURSE_CHECKPOINTS", str(folder))
    checkpoints.save_checkpoint(build_classifier(10, width=4, seed=1), "tiny", train_seconds=1, quality={})
    return folder / "manifest.json", folder / "tiny.weights.h5"


def _fault(kind, manifest_path, weights_path):
    if kind == "missing folder":
        shutil.rmtree(manifest_path.parent)
    elif kind == "missing manifest":
        manifest_path.unlink()
    elif kind == "truncated manifest":
        manifest_path.write_text(manifest_path.read_text()[:300])
    elif kind == "manifest not a dict of entries":
        manifest_path.write_text('{"tiny": 3}')
    elif kind == "LFS manifest":
        manifest_path.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 1\n")
    elif kind == "missing file":
        weights_path.unlink()
    elif kind == "corrupt file":
        weights_path.write_bytes(b"not a checkpoint")
    elif kind == "LFS file":
        weights_path.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 1\n")


FAULTS = ["missing folder", "missing manifest", "truncated manifest", "manifest not a dict of entries",
          "LFS manifest", "missing file", "corrupt file", "LFS file"]


@pytest.mark.parametrize("kind", FAULTS)
def test_every_store_fault_is_one_checkpoint_error(tmp_path, monkeypatch, kind):
    manifest_path, weights_path = _store(tmp_path / "store", monkeypatch)
    _fault(kind, manifest_path, weights_path)
    with pytest.raises(checkpoints.CheckpointError) as info:
        checkpoints.load_checkpoint(build_classifier(10, width=4), "tiny")
    message = str(info.value)
    assert str(tmp_path / "store") in message  # the path
    assert f"COURSE_CHECKPOINTS={tmp_path / 'store'}" in message  # the environment variable that chose it
    assert "`" in message or "python -m course_lib pretrain tiny" in message  # a command to run
    if "LFS" in kind:
        assert "git lfs pull" in message
    status = checkpoints.status()
    assert status and all(state != "ok" for state in status.values())


def test_restore_commands_work_from_the_repository_root(monkeypatch):
    """For the shipped folder the hint is `git checkout -- data/checkpoints/<file>`, a path relative to the root."""
    monkeypatch.delenv("COURSE_CHECKPOINTS", raising=False)
    hint = checkpoints._restore_hint(checkpoints.checkpoint_dir() / "denoiser.weights.h5")
    assert "`git checkout -- data/checkpoints/denoiser.weights.h5`" in hint
    root = checkpoints._REPO
    assert (root / "data" / "checkpoints" / "denoiser.weights.h5").exists() and (root / ".git").exists()
    monkeypatch.setenv("COURSE_CHECKPOINTS", "/no/such/folder")
    with pytest.raises(checkpoints.CheckpointError, match="COURSE_CHECKPOINTS=/no/such/folder") as info:
        checkpoints.manifest()
    assert "unset COURSE_CHECKPOINTS" in str(info.value)  # outside the repository: copy, or go back to the default
    assert "cp -r data/checkpoints/. /no/such/folder" in str(info.value)
