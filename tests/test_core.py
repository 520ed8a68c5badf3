"""config, train loop, exercises, widgets and viz."""

import matplotlib
import numpy as np
import pytest

from course_lib import config, exercises, train, viz, widgets

matplotlib.use("Agg")


def test_quick_switch(monkeypatch):
    monkeypatch.setenv("COURSE_QUICK", "1")
    assert config.is_quick() and config.quick(100, 2) == 2
    monkeypatch.setenv("COURSE_QUICK", "0")
    assert not config.is_quick() and config.quick(100, 2) == 100


def test_seed_everything_is_reproducible():
    a = config.seed_everything(3).random(3)
    b = config.seed_everything(3).random(3)
    np.testing.assert_array_equal(a, b)


def test_run_steps_records_history():
    history = train.run_steps(lambda i: {"loss": 1.0 / (i + 1)}, 10, log_every=3)
    assert history["step"] == [0, 3, 6, 9] and history["loss"][-1] == pytest.approx(0.1)


def test_run_steps_stops_cleanly_on_ctrl_c(capsys):
    done = []

    def step(i):
        if i == 4:
            raise KeyboardInterrupt
        done.append(i)
        return {"loss": float(i)}

    history = train.run_steps(step, 100)
    assert done == [0, 1, 2, 3] and history["interrupted_at"] == [4] and history["step"][-1] == 3
    assert "Interrupted after 4 of 100 steps" in capsys.readouterr().out


def test_time_budgeted_run_ends_normally_and_counts_every_step(capsys):
    import time

    calls = []

    def step(i):
        calls.append(i)
        time.sleep(0.01)
        return {"loss": 1.0}

    history = train.run_steps(step, None, minutes=0.5 / 60, log_every=7)
    assert "interrupted_at" not in history and "Interrupted" not in capsys.readouterr().out
    assert history["completed"] == [len(calls)] and 10 <= len(calls) <= 60  # 0.5 s of 10 ms steps
    assert history["step"][-1] < len(calls)  # the logged steps are a subset; "completed" is the count


def test_run_until_stop_iteration_reports_the_steps_done():
    def step(i):
        if i == 5:
            raise StopIteration
        return {"loss": float(i)}

    history = train.run_steps(step, None, log_every=4)
    assert history["completed"] == [5] and history["step"] == [0, 4] and "interrupted_at" not in history


@pytest.mark.parametrize("ex", exercises.all_exercises(), ids=lambda e: e.id)
def test_every_exercise_accepts_its_solution_and_rejects_a_wrong_answer(ex, capsys):
    assert exercises.check(ex.id, ex.solution) is ex.solution  # a right answer is returned unchanged
    assert "correct" in capsys.readouterr().out
    with pytest.raises(AssertionError):
        exercises.check(ex.id, ex.wrong)
    with pytest.raises(exercises.ExerciseError):
        exercises.check(ex.id, ex.wrong)
    assert f"def {ex.answer}" in exercises.solution_source(ex.id) or ex.answer in exercises.solution_source(ex.id)


def _stub_plain(sigma_255):
    ...  # your code here


def _stub_docstring(sigma_255):
    """Convert."""
    pass


def _stub_raises(sigma_255):
    raise NotImplementedError("your code here")


def _stub_returns_set():
    return {...}  # your letters here


_stub_made_by_exec = {}
exec("def stub(sigma_255):\n    return ...\n", _stub_made_by_exec)  # no source for inspect: detected when run


@pytest.mark.parametrize("stub", [..., None, _stub_plain, _stub_docstring, _stub_raises, _stub_made_by_exec["stub"]],
                         ids=["ellipsis", "none", "body ...", "docstring+pass", "NotImplementedError", "returns ..."])
def test_unattempted_exercise_prints_a_note_and_returns_the_reference_solution(stub, capsys):
    ex = exercises.get("00.sigma")
    used = exercises.check("00.sigma", stub)  # must not raise
    out = capsys.readouterr().out
    assert used is ex.solution and used(25) == pytest.approx(25 / 255)
    assert "not attempted yet" in out and 'reveal("00.sigma")' in out and "reference solution" in out


def test_unattempted_choice_exercise_is_not_an_error(capsys):
    ex = exercises.get("03.why")
    assert exercises.check("03.why", _stub_returns_set) is ex.solution
    assert "not attempted yet" in capsys.readouterr().out


def test_wrong_answer_raises_a_hint_without_library_frames():
    def broken(sigma_255):
        return sigma_255 / 256

    with pytest.raises(exercises.ExerciseError, match="Hint") as info:
        exercises.check("00.sigma", broken)
    shown = info.value._render_traceback_()  # what IPython prints instead of a traceback
    assert "Exercise 00.sigma" in shown[0] and not any("File " in line or ".py" in line for line in shown)


def test_a_function_that_returns_nothing_is_wrong_not_unattempted():
    def forgot_return(sigma_255):
        sigma_255 / 255

    with pytest.raises(exercises.ExerciseError, match="return nothing"):
        exercises.check("00.sigma", forgot_return)
    with pytest.raises(KeyError):
        exercises.get("99.nothing")


def test_reveal_prints_solution(capsys):
    exercises.reveal("00.psnr")
    assert "def psnr_by_hand" in capsys.readouterr().out


def test_degradation_view_and_explorer_work_without_a_browser():
    image = np.full((32, 32), 0.5, dtype=np.float32)
    fig = widgets.degradation_view(image, "blur", 1.0)
    assert "dB" in fig.axes[1].get_title()
    box = widgets.degradation_explorer(image)
    kind, strength = box.children[0].children
    kind.value = "jpeg"  # the slider follows the degradation's range
    assert (strength.min, strength.max) == (1.0, 100.0)
    strength.value = 10.0
    assert box.last_settings == {"kind": "jpeg", "strength": 10.0}
    from course_lib.degrade import DEGRADATIONS

    for name in DEGRADATIONS:  # the whole label, units included, not cut at 16 characters
        kind.value = name
        assert strength.description == DEGRADATIONS[name][0] and strength.style.description_width == "initial"
    import matplotlib.pyplot as plt

    plt.close("all")


def test_course_style_and_grids_fit_the_column():
    import matplotlib as mpl

    for key, value in viz.STYLE.items():
        assert mpl.rcParams[key] == value or tuple(mpl.rcParams[key]) == value, key
    sizes = [mpl.rcParams[k] for k in ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize",
                                         "ytick.labelsize", "legend.fontsize", "figure.titlesize")]
    assert min(float(size) for size in sizes) >= viz.MIN_FONT_PT
    image = np.zeros((8, 8), np.float32)
    for n, ncols in ((20, 10), (36, 12), (6, None)):
        fig = viz.show_images([image] * n, [f"{k}" for k in range(n)], ncols=ncols, size=2.0)
        assert fig.get_size_inches()[0] <= viz.FIGURE_INCHES + 1e-9
    fig = viz.compare(image + 0.5, {f"estimate {k}": image + 0.4 for k in range(5)})
    assert len(fig.axes) == 6 and fig.get_size_inches()[0] <= viz.FIGURE_INCHES + 1e-9  # 2 rows of 3, not 6 in a row
    fig = viz.show_images([image] * 6, ncols=3, row_labels=["top", "bottom"])
    assert [t.get_text() for t in fig.axes[0].texts] == ["top"]
    with pytest.raises(ValueError, match="row_labels"):
        viz.show_images([image] * 6, ncols=3, row_labels=["only one"])


def test_viz_functions():
    image = np.zeros((8, 8), dtype=np.float32)
    assert len(viz.show_images([image] * 3, ["a", "b", "c"], ncols=2).axes) == 4
    assert "SSIM" in viz.compare(np.full((8, 8), 0.5, np.float32), {"x": image + 0.1}).axes[1].get_title()
    ax = viz.plot_history({"step": [0, 1], "loss": [1.0, 0.5]})
    assert ax.get_xlabel() == "training step"


def test_ctrl_c_inside_a_tensorflow_step_counts_the_update_that_was_applied(capsys):
    """Issue 17: Ctrl-C (SIGINT, as Jupyter's stop button sends) arriving inside a TF step used to print
    "kept the weights of step 3" while 4 updates were applied. The step now finishes and is counted."""
    import os
    import signal

    import tensorflow as tf

    weights = tf.Variable(0.0)

    @tf.function
    def update():
        weights.assign_add(1.0)
        return weights.read_value()

    def step(i):
        value = update()  # the update is applied ...
        if i == 3:
            os.kill(os.getpid(), signal.SIGINT)  # ... and the interrupt arrives before the step returns
        return {"loss": value}

    history = train.run_steps(step, 10)
    out = capsys.readouterr().out
    applied = int(weights.numpy())
    assert applied == 4 and history["completed"] == [4] and history["interrupted_at"] == [4]
    assert f"keeps the weights of step {applied}." in out and "Interrupted after 4 of 10 steps" in out
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is put back


def test_an_interrupt_raised_inside_a_step_says_the_update_may_be_applied(capsys):
    """Where the interrupt cannot be held (raised by the step itself, a second Ctrl-C), the message is still true."""
    applied = []

    def step(i):
        applied.append(i)  # update applied, then interrupted before the step returns
        if i == 2:
            raise KeyboardInterrupt
        return {"loss": 0.0}

    history = train.run_steps(step, 10)
    out = capsys.readouterr().out
    assert len(applied) == 3 and history["completed"] == [2]
    assert "keeps the weights of step 2, or of step 3 if its update had already been applied" in out
