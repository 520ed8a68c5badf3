"""course_lib.restore: shapes of any size, blind vs non-blind, checkpoints, training, input errors."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from course_lib import baselines, checkpoints, data, degrade, metrics, restore


@pytest.fixture(scope="module")
def camera_crop() -> np.ndarray:
    return data.load_photo("camera")[200:296, 200:296]


@pytest.mark.parametrize("shape", [(17, 23), (32, 32), (9, 64), (50, 31)])
def test_any_size_keeps_shape(shape):
    rng = np.random.default_rng(0)
    image = rng.random(shape).astype(np.float32)
    assert restore.cnn_denoise(image, 0.1).shape == shape
    assert restore.cnn_denoise(image).shape == shape
    mask = degrade.box_mask(shape, 1, 4, seed=0)
    out = restore.cnn_inpaint(image, mask)
    assert out.shape == shape
    np.testing.assert_array_equal(out[~mask], image[~mask])  # known pixels untouched
    assert restore.cnn_upscale(image).shape == (2 * shape[0], 2 * shape[1])


@pytest.mark.parametrize("depth,width", [(3, 8), (5, 4)])
def test_builders_any_size(depth, width):
    model = restore.build_denoiser(depth, width)
    noisy = np.random.default_rng(1).random((2, 10, 14)).astype(np.float32)
    out = restore.denoise_batch(model, noisy, [0.1, 0.2])
    np.testing.assert_allclose(out, noisy, atol=1e-6)  # zero-initialised last layer: starts as the identity
    up = restore.build_upscaler(depth, width)
    assert restore.upscale_batch(up, noisy).shape == (2, 20, 28)


def test_denoiser_beats_noisy_input_given_and_blind(camera_crop):
    sigma = 25 / 255
    noisy = degrade.add_gaussian_noise(camera_crop, sigma, seed=0)
    given, blind = restore.cnn_denoise(noisy, sigma), restore.cnn_denoise(noisy)
    noisy_psnr = metrics.psnr(camera_crop, noisy)
    assert metrics.psnr(camera_crop, given) > noisy_psnr + 5
    assert metrics.psnr(camera_crop, blind) > noisy_psnr + 5
    assert not np.allclose(given, blind)  # the blind path really uses an estimated σ


def test_noise_level_input_matters(camera_crop):
    noisy = degrade.add_gaussian_noise(camera_crop, 25 / 255, seed=0)
    low, high = restore.cnn_denoise(noisy, 5 / 255), restore.cnn_denoise(noisy, 50 / 255)
    assert np.std(high - noisy) > 2 * np.std(low - noisy)  # a larger σ removes more


def test_inpaint_and_upscale_beat_baselines(camera_crop):
    mask = degrade.stroke_mask(camera_crop.shape, 3, 5, seed=2)
    observed = degrade.apply_mask(camera_crop, mask)
    err_cnn = np.mean((restore.cnn_inpaint(observed, mask) - camera_crop)[mask] ** 2)
    err_telea = np.mean((baselines.classical_fill(observed, mask, "telea") - camera_crop)[mask] ** 2)
    assert err_cnn < err_telea
    low = degrade.downsample(camera_crop, 2)
    assert metrics.psnr(camera_crop, restore.cnn_upscale(low)) > metrics.psnr(camera_crop, degrade.upsample(low, 2))


def test_classical_fills_are_the_three_baselines(camera_crop):
    import cv2
    from skimage.restoration import inpaint_biharmonic

    mask = degrade.box_mask(camera_crop.shape, 2, 12, seed=4)
    observed = degrade.apply_mask(camera_crop, mask)
    fills = baselines.classical_fills(observed, mask)
    assert fills.shape == (*camera_crop.shape, 3) and fills.dtype == np.float32
    np.testing.assert_array_equal(fills[~mask], np.repeat(camera_crop[~mask, None], 3, axis=1))
    np.testing.assert_allclose(fills[..., 0], baselines.classical_fill(observed, mask, "telea"), atol=1e-6)
    ns = cv2.inpaint(np.round(observed * 255).astype(np.uint8), mask.astype(np.uint8), 3, cv2.INPAINT_NS) / 255
    np.testing.assert_allclose(fills[mask, 1], ns[mask], atol=1e-6)
    np.testing.assert_allclose(fills[mask, 2], np.clip(inpaint_biharmonic(observed, mask), 0, 1)[mask], atol=1e-6)


def test_untrained_inpainter_mixes_the_fills_by_its_prior(camera_crop):
    mask = degrade.stroke_mask(camera_crop.shape, 2, 5, seed=1)
    observed = degrade.apply_mask(camera_crop, mask)
    fills = baselines.classical_fills(observed, mask)
    mean = restore.inpaint_batch(restore.build_inpainter(width=8, prior=0.0), observed[None], mask[None])[0]
    np.testing.assert_allclose(mean[mask], np.clip(fills[mask].mean(axis=1), 0, 1), atol=1e-5)
    favoured = restore.inpaint_batch(restore.build_inpainter(width=8, prior=2.0), observed[None], mask[None])[0]
    w = np.exp([0.0, 0.0, 2.0]) / np.exp([0.0, 0.0, 2.0]).sum()
    np.testing.assert_allclose(favoured[mask], np.clip(fills[mask] @ w, 0, 1), atol=1e-5)


def test_masked_log_mse_is_the_mean_log_error_inside_the_holes():
    rng = np.random.default_rng(0)
    clean, pred = rng.random((3, 8, 8, 1)).astype(np.float32), rng.random((3, 8, 8, 1)).astype(np.float32)
    mask = (rng.random((3, 8, 8, 1)) < 0.3).astype(np.float32)
    target = np.concatenate([clean, mask], axis=-1)
    expected = np.mean([np.log(np.sum(m * (p - c) ** 2) / np.sum(m) + 1e-5) for c, p, m in zip(clean, pred, mask)])
    assert float(restore.masked_log_mse(target, pred)) == pytest.approx(expected, rel=1e-4)
    pred_outside = np.where(mask > 0, clean, 0.0).astype(np.float32)  # errors only outside the holes: ignored
    assert float(restore.masked_log_mse(target, pred_outside)) == pytest.approx(np.log(1e-5), rel=1e-4)


def test_inpaint_weights_are_a_distribution(camera_crop):
    mask = degrade.box_mask(camera_crop.shape, 2, 16, seed=0)
    weights = restore.inpaint_weights(degrade.apply_mask(camera_crop, mask), mask)
    assert weights.shape == (*camera_crop.shape, 3)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-5)
    assert weights.min() >= 0


@pytest.mark.parametrize("name", sorted(restore.SHIPPED))
def test_checkpoint_integrity(name, tmp_path, monkeypatch):
    entry = checkpoints.manifest()[name]
    assert checkpoints.verify(name).stat().st_size == entry["bytes"] < 4_000_000
    assert entry["quality"]["curve"] and entry["train_seconds"] > 0
    shutil.copytree(checkpoints.checkpoint_dir(), tmp_path, dirs_exist_ok=True)
    monkeypatch.setenv("COURSE_CHECKPOINTS", str(tmp_path))
    path = tmp_path / entry["file"]
    path.write_bytes(path.read_bytes()[:-10] + b"corrupted!")
    with pytest.raises(checkpoints.CheckpointError, match="corrupt"):
        checkpoints.verify(name)


def test_wrong_architecture_is_reported():
    with pytest.raises(checkpoints.CheckpointError, match="does not fit"):
        checkpoints.load_checkpoint(restore.build_denoiser(3, 8), "denoiser")


@pytest.mark.parametrize("task", ["denoise", "inpaint"])
def test_short_training_lowers_validation_loss(task):
    # the inpainter starts from the plain mean of its three fills and must learn which to trust
    model = restore.build_inpainter(width=16, prior=0.0) if task == "inpaint" else restore.build_denoiser(4, 16)
    train, val = restore.split_photos()
    before = restore.validation_psnr(model, task, val, n=8, patch=32)
    history = restore.train_model(model, task, train, steps=40, batch_size=8, patch=32, lr=2e-3)
    assert len(history["loss"]) > 1
    assert restore.validation_psnr(model, task, val, n=8, patch=32) > before + 0.05


def test_split_keeps_validation_apart():
    train, val = restore.split_photos(val_rows=64)
    photos = list(data.train_photos().values()) + list(data.textures().values())
    for tr, va, full in zip(train, val, photos):
        assert tr.shape[0] + va.shape[0] == full.shape[0] and va.shape[0] == 64


def test_receptive_field():
    assert restore.receptive_field(17) == 35  # DnCNN-S: 17 layers of 3x3
    assert restore.receptive_field(12, downsample=2) == 50


def test_input_errors_name_the_argument():
    image = np.zeros((8, 8), np.float32)
    with pytest.raises(ValueError, match="sigma.*0-1 scale"):
        restore.cnn_denoise(image, 25)
    with pytest.raises(TypeError, match="image.*uint8"):
        restore.cnn_denoise(np.zeros((8, 8), np.uint8), 0.1)
    with pytest.raises(ValueError, match="image must have 2 dimensions"):
        restore.cnn_upscale(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(TypeError, match="mask must have dtype bool"):
        restore.cnn_inpaint(image, np.zeros((8, 8)))
    with pytest.raises(ValueError, match="task must be one of"):
        restore.train_model(restore.build_denoiser(2, 2), "deblur", [image], steps=1)


@pytest.mark.parametrize("name", sorted(restore.SHIPPED))
def test_shipped_quality_is_what_the_manifest_says(name):
    """The validation PSNR recorded at training time (possibly on another backend/device) is reproduced here."""
    task = {"denoiser": "denoise", "inpainter": "inpaint", "upscaler": "upscale"}[name]
    _, val = restore.split_photos()
    measured = restore.validation_psnr(restore.load_restorer(name), task, val)
    assert measured == pytest.approx(checkpoints.manifest()[name]["quality"]["val_psnr_db"], abs=0.02)


def test_ctrl_c_keeps_the_weights_of_the_last_completed_step():
    """Interrupting train_model (Ctrl-C) leaves the model exactly as after the last completed update."""
    images = [data.load_photo("brick")[:96, :96]]

    def interrupt_after(step):
        def on_log(i, _logs):
            if i == step:
                raise KeyboardInterrupt
        return on_log

    stopped = restore.build_denoiser(2, 4, seed=3)
    history = restore.train_model(stopped, "denoise", images, steps=10, batch_size=2, patch=16,
                                  on_log=interrupt_after(2))
    assert history["interrupted_at"] == [3] and history["completed"] == [3]
    reference, seen = restore.build_denoiser(2, 4, seed=3), {}

    def remember(i, _logs):
        if i == 2:
            seen["weights"] = [w.copy() for w in reference.get_weights()]

    restore.train_model(reference, "denoise", images, steps=10, batch_size=2, patch=16, on_log=remember)
    assert any(not np.allclose(a, b) for a, b in zip(seen["weights"], reference.get_weights()))  # it went on
    for a, b in zip(stopped.get_weights(), seen["weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
