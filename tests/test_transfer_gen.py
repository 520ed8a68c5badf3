"""course_lib.transfer_gen: splits, reference rows, adapt_gan / adapt_vae (validation, snapshots, Ctrl-C, freezing)."""

import numpy as np
import pytest

from course_lib import transfer_gen as tg


@pytest.fixture(scope="module")
def splits():
    return tg.digit_splits()


def test_splits_are_disjoint_and_target_sets_come_from_the_pool(splits):
    assert [len(splits[k]) for k in ("pool", "validation", "test")] == [1000, 297, 500]
    pool = {im.tobytes() for im in splits["pool"]}
    assert all(im.tobytes() in pool for im in tg.target_set(100, seed=3))
    np.testing.assert_array_equal(tg.target_set(10, seed=1), tg.target_set(10, seed=1))
    assert not np.array_equal(tg.target_set(10, seed=1), tg.target_set(10, seed=2))


def test_memoriser_returns_only_training_images():
    train = tg.target_set(10, seed=0)
    copies = tg.memoriser(train, 300, seed=1)
    assert copies.shape == (300, 8, 8)
    known = {im.tobytes() for im in train}
    assert all(im.tobytes() in known for im in copies)


def test_floor_is_zero_within_two_se_and_the_memoriser_of_ten_images_is_far(splits):
    rows = tg.reference_rows(splits["test"], {10: tg.target_set(10, seed=0)}, n_splits=20)
    floor, memo = rows["floor"], rows["memoriser N=10"]
    assert abs(floor["kid"]) < 2 * floor["kid_std"]
    assert memo["kid"] > floor["kid"] + 5 * floor["kid_std"]
    assert memo["recall"] < floor["recall"] and memo["coverage"] < floor["coverage"]


@pytest.mark.parametrize("bad, error, match", [
    (np.zeros((20, 8, 9), np.float32), ValueError, r"\(N, 8, 8\)"),
    (np.zeros((20, 8, 8), np.uint8), TypeError, "float"),
    (np.full((20, 8, 8), 2.0, np.float32), ValueError, "images"),
    (np.zeros((4, 8, 8), np.float32), ValueError, "validation"),
])
def test_adapt_gan_validates_its_images(bad, error, match):
    with pytest.raises(error, match=match):
        tg.adapt_gan(bad, max_steps=1)


def test_adapt_gan_validates_strategy_and_steps(splits):
    with pytest.raises(ValueError, match="strategy"):
        tg.adapt_gan(splits["pool"][:20], strategy="distill", max_steps=1)
    with pytest.raises(ValueError, match="max_steps"):
        tg.adapt_gan(splits["pool"][:20], max_steps=-1)


def test_adapt_gan_keeps_the_snapshot_with_the_best_validation_kid(splits):
    out = tg.adapt_gan(splits["pool"][:30], strategy="fine-tune", max_steps=3, eval_every=1, n_eval=60,
                       validation=splits["validation"][:60], augment=True)
    curve = out["curve"]
    assert curve["step"] == [0, 1, 2, 3] and out["steps_done"] == 3 and not out["interrupted"]
    assert out["best_val_kid"] == pytest.approx(min(curve["val_kid"]), abs=1e-3)
    assert out["best_step"] == curve["step"][int(np.argmin(curve["val_kid"]))]
    assert out["n_train"] == 30 and out["n_val"] == 60 and out["augment"]


def test_ctrl_c_keeps_the_best_snapshot(splits, monkeypatch):
    from course_lib import gan, metrics

    calls, real_kid = {"n": 0}, metrics.kid

    def interrupting_kid(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # the evaluation after step 2
            raise KeyboardInterrupt
        return real_kid(*args, **kwargs)

    monkeypatch.setattr(metrics, "kid", interrupting_kid)
    out = tg.adapt_gan(splits["pool"][:30], strategy="scratch", max_steps=10, eval_every=1, n_eval=60,
                       validation=splits["validation"][:60])
    assert out["interrupted"] and out["steps_done"] < 10 and out["curve"]["step"] == [0, 1]
    monkeypatch.setattr(metrics, "kid", real_kid)
    assert out["best_step"] in (0, 1)
    assert gan.sample(out["generator"], 4).shape == (4, 8, 8)


def test_freezed_freezes_a_real_share_and_keeps_those_weights(splits, capsys):
    from course_lib import gan

    _, d = gan.load_gan_glyphs()
    assert tg.freeze_discriminator(d, 1) < 0.01 and tg.freeze_discriminator(d, 2) > 0.99
    out = tg.adapt_gan(splits["pool"][:30], strategy="freezed", max_steps=2, eval_every=2, n_eval=60,
                       validation=splits["validation"][:60])
    assert "99.3% of its 75009 parameters" in capsys.readouterr().out
    _, source_d = gan.load_gan_glyphs()
    for name in ("d_conv1", "d_conv2"):
        for a, b in zip(out["discriminator"].get_layer(name).get_weights(), source_d.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(out["discriminator"].get_layer("d_logit").get_weights()[0],
                              source_d.get_layer("d_logit").get_weights()[0])
    assert out["d_frozen_share"] > 0.99


def test_adapt_vae_arms_freeze_and_rehead_as_stated(splits):
    from course_lib import vae

    source = tg.source_vae("glyphs")
    train, val = splits["pool"][:40], splits["validation"][:50]
    frozen = tg.adapt_vae(train, strategy="frozen-encoder", max_steps=5, eval_every=1, validation=val, lr=1e-2)
    for a, b in zip(vae.encoder_of(frozen["model"]).get_weights(), vae.encoder_of(source).get_weights()):
        np.testing.assert_array_equal(a, b)
    rehead = tg.adapt_vae(train, strategy="re-head", max_steps=0, validation=val)
    head = vae.decoder_of(rehead["model"]).layers[-2].get_weights()[0]
    assert not np.allclose(head, vae.decoder_of(source).layers[-2].get_weights()[0])
    np.testing.assert_array_equal(vae.encoder_of(rehead["model"]).get_weights()[0],
                                  vae.encoder_of(source).get_weights()[0])


def test_adapt_vae_stops_early_and_restores_the_best_weights(splits):
    from course_lib import vae

    val = splits["validation"][:50]
    out = tg.adapt_vae(splits["pool"][:40], strategy="fine-tune", max_steps=300, eval_every=2, patience=2,
                       validation=val, lr=0.05)  # a rate far too large: the validation ELBO soon gets worse
    assert out["steps_done"] < 300
    assert out["best_val_elbo"] == pytest.approx(max(out["curve"]["val_elbo"]), abs=1e-3)
    assert vae.elbo(out["model"], val, seed=1)["elbo"] == pytest.approx(out["best_val_elbo"], abs=1e-2)
    with pytest.raises(ValueError, match="17 grey levels"):
        tg.adapt_vae(np.full((20, 8, 8), 0.01, np.float32), max_steps=1)


def test_benchmark_targets_are_computed_from_the_records_and_can_fail():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import transfer_generation as bench

    def rec(arm, n, seed, kid, classes=10):
        return {"strategy": arm, "n_target": n, "seed": seed, "kid": kid, "classes_present": classes,
                "d_frozen_share": 0.993}

    records = [rec(arm, n, s, kid + s, classes) for n in (100, 500) for s in range(3) for arm, kid, classes in (
        ("scratch", 100.0, 9), ("scratch + DiffAugment", 80.0, 10), ("fine-tune", 40.0, 10),
        ("fine-tune + DiffAugment", 50.0, 10), ("FreezeD", 60.0, 10))]
    gan = {"records": records, "tables": {"kid": bench.summary(records, "kid")},
           "references": {"floor": {"kid": 1.0, "kid_std": 5.0, "n_splits": 50}}}
    vae = {"uniform_nats": -181.3, "tables": {"iwae_100": [
        {"strategy": "scratch", "n_target": 10, "mean": -150.0}, {"strategy": "fine-tune from glyphs",
                                                                   "n_target": 10, "mean": -190.0}]}}
    met = {t["target"].split(" (")[0].split(":")[0]: t["met"] for t in bench.targets({"gan": gan, "vae": vae})}
    assert met["real-vs-real floor"] and met["best scratch arm covers all 10 classes at N = 500"]
    assert met["N = 100"]  # 1 - 40/80 = 50 % >= 30 %
    assert not met["no VAE arm below the uniform-guess line"]  # -190 < -181.3: the target can fail
    effect = bench._paired(records, "kid", "scratch + DiffAugment", "scratch", 100)
    assert effect[0] == pytest.approx(-20.0) and effect[1] == pytest.approx(0.0)
