"""course_lib.restore: shapes of any size, blind vs non-blind, checkpoints, training, input errors."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from course_lib import baselines, checkpoints, data, degrade, metrics, restore, restore_viz


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


# --------------------------------------------------------------------------- robustness (issue 17)
def test_reference_bm3d_on_8x8_no_longer_kills_the_process():
    """bm3d 4.0 segfaults on exactly 8x8; the course pads it (and rejects < 8x8) before the compiled code runs.

    Run in a child process: if the guard ever regresses, the segfault fails this test instead of killing pytest.
    """
    import subprocess
    import sys

    code = ("import numpy as np\nfrom course_lib import baselines, bm3d_viz\n"
            "out = baselines.classical_denoise(np.zeros((8, 8), np.float32), 25 / 255, 'bm3d')\n"
            "r = bm3d_viz.compare_methods(np.full((8, 8), 0.5, np.float32), 25, include=('reference',))\n"
            "print('shape', out.shape, r['reference']['estimate'].shape, float(abs(out).max()))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "shape (8, 8) (8, 8)" in result.stdout
    assert float(result.stdout.split()[-1]) < 0.05  # a flat black image stays (nearly) black
    for size in [(7, 7), (1, 1), (7, 30)]:
        with pytest.raises(ValueError, match="noisy must be at least 8x8"):
            baselines.classical_denoise(np.zeros(size, np.float32), 25 / 255, "bm3d")


def test_image_on_the_0_255_scale_is_rejected_with_the_hint():
    image = np.full((16, 16), 128.0, np.float32)
    for call in (lambda: restore.cnn_denoise(image, 0.1), lambda: restore.cnn_denoise(image),
                 lambda: baselines.classical_denoise(image, 0.1, "nl-means"),
                 lambda: baselines.classical_denoise(image, 0.1, "bm3d"),
                 lambda: restore.denoise_batch(restore.load_restorer("denoiser"), image[None], 0.1),
                 lambda: restore.cnn_upscale(image), lambda: restore.cnn_inpaint(image, np.eye(16, dtype=bool))):
        with pytest.raises(ValueError, match="divide by 255") as info:
            call()
        assert "sigma=" not in str(info.value) or "noise of std sigma=0.1" in str(info.value)
    with pytest.raises(ValueError, match=r"image must be a \[0, 1\] image plus noise of std up to"):
        restore.cnn_denoise(image)  # blind mode blames the image, not a sigma nobody passed
    photo = data.load_photo("camera")[:64, :64]
    noisy = degrade.add_gaussian_noise(photo, 25 / 255, seed=0)
    with pytest.raises(ValueError, match="divide by 255"):
        restore.cnn_denoise(noisy * 255, 25 / 255)
    assert metrics.psnr(photo, restore.cnn_denoise(noisy, 25 / 255)) > metrics.psnr(photo, noisy) + 3


def test_tiny_images_are_handled_before_the_networks_run():
    one = np.full((1, 1), 0.5, np.float32)
    assert restore.cnn_denoise(one, 0.1).shape == (1, 1)
    assert restore.cnn_denoise(np.full((1, 9), 0.5, np.float32)).shape == (1, 9)
    assert restore.cnn_upscale(one).shape == (2, 2)
    with pytest.raises(ValueError, match="at least 2x2"):
        restore.cnn_inpaint(one, np.ones((1, 1), bool))
    with pytest.raises(ValueError, match="at least 32x32"):
        restore_viz.inpaint_view(np.full((31, 31), 0.5, np.float32))


@pytest.fixture(scope="module")
def tile_case():
    image = np.ascontiguousarray(data.load_photo("coffee")[40:141, 60:157])  # 101 x 97: odd sides on purpose
    return image, degrade.add_gaussian_noise(image, 0.1, seed=3), degrade.stroke_mask(image.shape, 3, 4, seed=1)


@pytest.mark.parametrize("task", ["denoise", "inpaint", "weights", "upscale"])
def test_tiled_equals_untiled(tile_case, task):
    """Tiles overlap by the receptive-field radius, so tiling changes nothing (beyond float rounding)."""
    image, noisy, mask = tile_case
    run = {"denoise": lambda t: restore.cnn_denoise(noisy, 0.1, tile=t),
           "inpaint": lambda t: restore.cnn_inpaint(image, mask, tile=t),
           "weights": lambda t: restore.inpaint_weights(image, mask, tile=t),
           "upscale": lambda t: restore.cnn_upscale(image, tile=t)}[task]
    whole, tiled = run(10**6), run(24)
    assert whole.shape == tiled.shape
    np.testing.assert_allclose(tiled, whole, atol=2e-5)


def test_tiles_need_the_full_margin(tile_case, monkeypatch):
    """The equality above is not trivial: with half the receptive-field margin the tile seams show."""
    _, noisy, _ = tile_case
    whole = restore.cnn_denoise(noisy, 0.1, tile=10**6)
    reach = restore.model_reach
    monkeypatch.setattr(restore, "model_reach", lambda model: reach(model) // 2)
    assert np.abs(restore.cnn_denoise(noisy, 0.1, tile=24) - whole).max() > 1e-3


def test_model_reach_is_the_receptive_field_radius():
    assert restore.model_reach(restore.load_restorer("denoiser")) == (restore.receptive_field(15, downsample=2)) // 2
    assert restore.model_reach(restore.load_restorer("inpainter")) == 2 * (1 + 2 + 4 + 8 + 4 + 2 + 1 + 1) + 1
    assert restore.model_reach(restore.load_restorer("upscaler")) == 6


def test_batches_split_and_keep_each_sigma():
    model = restore.build_denoiser(3, 4, seed=1, residual=False)
    noisy = np.random.default_rng(2).random((5, 12, 10)).astype(np.float32)
    sigmas = np.array([0.0, 0.05, 0.1, 0.15, 0.2], np.float32)
    np.testing.assert_allclose(restore.denoise_batch(model, noisy, sigmas, tile=16),
                               restore.denoise_batch(model, noisy, sigmas, tile=10**6), atol=1e-6)


def test_train_model_checks_its_images_first():
    with pytest.raises(ValueError, match="divide by 255"):
        restore.train_model(restore.build_denoiser(2, 2), "denoise", [np.full((64, 64), 200.0, np.float32)], steps=1)
