import numpy as np

from course_lib import classifier, data


def test_short_training_lowers_the_loss_and_features_shape():
    x, y = data.glyphs(512, seed=2)
    model = classifier.build_classifier(10, width=8, seed=0)
    history = classifier.train_classifier(model, x, y, steps=60, batch_size=64, seed=0)
    assert np.mean(history["loss"][-5:]) < 0.6 * history["loss"][0]
    assert classifier.features(model, x[:7]).shape == (7, 64)
    assert classifier.accuracy(model, x, y) > 0.5


def test_probe_accuracy_uses_per_class_subsets():
    (x, y), (tx, ty) = data.digits("train"), data.digits("test")
    few = classifier.probe_accuracy(x, y, tx, ty, per_class=1, seed=0)
    many = classifier.probe_accuracy(x, y, tx, ty, per_class=None)
    assert 0.3 < few < many and many > 0.9


def test_probe_curve_fits_the_full_budget_once():
    (x, y), (tx, ty) = data.digits("train"), data.digits("test")
    mean, se = classifier.probe_curve(x, y, tx, ty, [2, None], seeds=3)
    assert mean.shape == se.shape == (2,) and se[1] == 0.0 and se[0] > 0
    assert mean[1] == classifier.probe_accuracy(x, y, tx, ty, per_class=None)
