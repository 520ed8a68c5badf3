"""course_lib.transfer: freezing really freezes, fine-tuning lowers the target loss, records, distillation, stats."""

import numpy as np
import pytest

from course_lib import transfer, transfer_viz
from course_lib.exercises import all_exercises, check


@pytest.fixture(scope="module")
def faces():
    return transfer.restoration_data("faces")


def tiny_denoiser(seed=0):
    from course_lib.restore import build_denoiser

    return build_denoiser(depth=4, width=8, seed=seed)


def batches_of(images, seed=0, experiment="faces"):
    rng = np.random.default_rng(seed)
    return lambda _i: transfer.restoration_batch(images, experiment, 8, 24, rng)


def test_freeze_first_freezes_exactly_the_first_weighted_layers():
    model = transfer.freeze_first(tiny_denoiser(), 2)
    flags = [layer.trainable for layer in transfer.weighted_layers(model)]
    assert flags == [False, False, True, True]
    assert 0 < transfer.trainable_share(model) < 1
    transfer.freeze_first(model, 0)
    assert all(layer.trainable for layer in transfer.weighted_layers(model))


def test_frozen_weights_do_not_change_after_training_steps(faces):
    model = transfer.freeze_first(tiny_denoiser(), 2)
    before = [layer.get_weights() for layer in transfer.weighted_layers(model)]
    transfer.fit(model, batches_of(faces["train"][:5]), steps=3, lr=1e-2)
    after = [layer.get_weights() for layer in transfer.weighted_layers(model)]
    for i, (w0, w1) in enumerate(zip(before, after)):
        same = all(np.array_equal(a, b) for a, b in zip(w0, w1))
        assert same == (i < 2), f"layer {i}: frozen={i < 2} but unchanged={same}"


def test_linear_probe_and_last_layers_train_only_the_end():
    model = transfer.freeze_all_but_last(tiny_denoiser(), 1)
    assert [layer.trainable for layer in transfer.weighted_layers(model)] == [False, False, False, True]


def test_discriminative_lr_moves_early_layers_less(faces):
    source = tiny_denoiser(seed=1)
    moved = {}
    for scale in (1.0, 1e-4):
        model = transfer.prepare(source, tiny_denoiser, "discriminative-lr")
        transfer.fit(model, batches_of(faces["train"][:5]), steps=5, lr=1e-2, early_lr_scale=scale, n_early=2)
        moved[scale] = transfer.relative_change(source, model)
    first = transfer.weighted_layers(source)[0].name
    last = transfer.weighted_layers(source)[-2].name
    assert moved[1e-4][first] < 0.05 * moved[1.0][first]
    assert moved[1e-4][last] > 0


def test_fine_tuning_a_few_steps_lowers_the_target_loss(faces):
    model = tiny_denoiser(seed=2)
    (noisy, sigma), clean = transfer.restoration_batch(faces["val"], "faces", 16, 24, np.random.default_rng(9))

    def loss():
        return float(np.mean((np.asarray(model([noisy, sigma])) - clean) ** 2))

    start = loss()
    history = transfer.fit(model, batches_of(faces["train"][:10]), steps=40, lr=3e-3)
    assert loss() < 0.9 * start
    assert len(history["loss"]) > 0 and history["seconds"] > 0


def test_prepare_copies_the_source_and_never_changes_it():
    source = tiny_denoiser(seed=3)
    weights = [w.copy() for w in source.get_weights()]
    tuned = transfer.prepare(source, tiny_denoiser, "fine-tune")
    assert all(np.array_equal(a, b) for a, b in zip(tuned.get_weights(), weights))
    scratch = transfer.prepare(source, tiny_denoiser, "scratch", seed=5)
    assert not all(np.array_equal(a, b) for a, b in zip(scratch.get_weights()[:2], weights[:2]))
    tuned.layers[-3].get_weights()  # touching the copy leaves the source alone
    assert all(np.array_equal(a, b) for a, b in zip(source.get_weights(), weights))
    with pytest.raises(ValueError, match="strategy must be one of"):
        transfer.prepare(source, tiny_denoiser, "finetune")


def test_target_splits_are_disjoint(faces):
    train, val, test = (faces[k].reshape(len(faces[k]), -1) for k in ("train", "val", "test"))
    for a, b in ((train, test), (val, test), (train, val)):
        assert not (a[:, None, :] == b[None, :, :]).all(-1).any()
    poisson = transfer.restoration_data("poisson")
    assert poisson["test"].shape[1:] == (64, 64) and len(poisson["train"]) == 60


def test_distillation_student_is_smaller_and_learns_the_teacher(faces):
    from course_lib.restore import build_denoiser

    teacher = build_denoiser(depth=4, width=16, seed=0)
    out = teacher.get_layer("out")  # starts at zero (identity); give the teacher something to teach
    out.set_weights([np.random.default_rng(0).normal(0, 0.05, w.shape).astype(np.float32) for w in out.get_weights()])
    student = transfer.student_of(teacher, seed=1)
    assert transfer.count_params(student) * 3 <= transfer.count_params(teacher)
    (noisy, sigma), _ = transfer.restoration_batch(faces["val"], "faces", 16, 24, np.random.default_rng(4))
    target = np.asarray(teacher([noisy, sigma]))

    def gap():
        return float(np.mean((np.asarray(student([noisy, sigma])) - target) ** 2))

    before = gap()
    transfer.distill(teacher, student, faces["train"], "faces", steps=30, lr=3e-3)
    assert gap() < before


def test_run_experiment_returns_a_tidy_record():
    record = transfer.run_experiment("vae", "fine-tune", 10, seed=1, steps=3)
    for key in ("experiment", "strategy", "n_target", "seed", "steps", "elbo", "iwae_100", "train_seconds",
                "parameters", "seconds", "source"):
        assert key in record, key
    assert record["iwae_100"] >= record["elbo"] - 1.0  # IWAE is the tighter bound (up to Monte-Carlo noise)
    assert "model" not in record and np.isfinite(record["elbo"])


def test_run_experiment_gan_freezed_returns_kid_and_coverage():
    record = transfer.run_experiment("gan", "freezed", 10, seed=0, steps=2, keep_model=True)
    assert {"kid", "fid", "classes_present", "confident_share"} <= set(record)
    assert record["model"].name == "generator"


def test_run_experiment_validates_its_arguments():
    with pytest.raises(ValueError, match="experiment must be one of"):
        transfer.run_experiment("photos", "scratch", 5)
    with pytest.raises(ValueError, match="strategy must be one of"):
        transfer.run_experiment("gan", "last-layers", 5)
    with pytest.raises(ValueError, match="n_target"):
        transfer.run_experiment("faces", "none", 0)
    with pytest.raises(TypeError, match="steps"):
        transfer.run_experiment("faces", "scratch", 5, steps=1.5)
    with pytest.raises(ValueError, match="k must be in"):
        transfer.freeze_first(tiny_denoiser(), 9)


def test_summarise_and_paired_effect_match_hand_computation():
    records = [{"strategy": s, "n_target": 5, "psnr": v} for s, v in
               (("a", 30.0), ("a", 31.0), ("a", 32.0), ("b", 28.0), ("b", 28.5), ("b", 29.5))]
    table = transfer.summarise(records, "psnr")
    a = next(r for r in table if r["strategy"] == "a")
    assert a["mean"] == pytest.approx(31.0) and a["se"] == pytest.approx(1 / np.sqrt(3)) and a["n"] == 3
    mean, se = transfer.paired_effect([30.0, 31.0, 32.0], [28.0, 28.5, 29.5])
    assert mean == pytest.approx(2.333333, abs=1e-5)
    assert se == pytest.approx(np.std([2.0, 2.5, 2.5], ddof=1) / np.sqrt(3))
    with pytest.raises(ValueError, match="one value per seed"):
        transfer.paired_effect([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="metric 'kid' is missing"):
        transfer.summarise(records, "kid")


def test_relative_change_is_zero_for_a_copy_and_rejects_other_architectures():
    from course_lib.restore import build_denoiser

    model = tiny_denoiser()
    assert max(transfer.relative_change(model, transfer.prepare(model, tiny_denoiser, "none")).values()) == 0
    with pytest.raises(ValueError, match="same architecture"):
        transfer.relative_change(model, build_denoiser(depth=5, width=8))


def test_curve_view_draws_every_strategy_and_marks_the_point():
    table = [{"strategy": s, "n_target": n, "mean": m, "se": 0.1} for s, n, m in
             (("scratch", 1, 20.0), ("scratch", 5, 25.0), ("fine-tune", 1, 30.0), ("fine-tune", 5, 31.0))]
    fig = transfer_viz.curve_view(table, strategy="fine-tune", n_target=5, title="t")
    assert "31" in fig.axes[0].get_title()
    assert len(fig.axes[0].get_legend().get_texts()) == 2


@pytest.mark.parametrize("ex", [e for e in all_exercises() if e.id.startswith("05.")], ids=lambda e: e.id)
def test_lesson_05_exercises_accept_the_solution_and_reject_the_wrong_answer(ex):
    check(ex.id, ex.solution)
    with pytest.raises(AssertionError, match="Hint"):
        check(ex.id, ex.wrong)
