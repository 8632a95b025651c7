"""The NumPy GRU classifier: its gradients, its Keras twin, its files, and that it learns."""

import itertools
import json

import numpy as np
import pytest

from gru_lesson.classifier import GRUClassifier, binary_cross_entropy
from gru_lesson.compare import relative_error
from gru_lesson.gradcheck import numerical_gradient
from gru_lesson.progress import ProgressLine, bar


def first_sign_task(n, T, seed):
    """Notebook 03's small task: the label is the sign of the first of T noisy inputs."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, T, 1))
    y = (x[:, 0, 0] > 0).astype(int)
    return x, y


def random_model(reset_after=True, use_bias=True, seed=0, D=3, U=4):
    rng = np.random.default_rng(seed)
    model = GRUClassifier.initialize(D, U, seed=seed, reset_after=reset_after, use_bias=use_bias)
    for name, p in model.params.items():
        if name in ("bx", "bh", "c"):
            p[:] = rng.normal(scale=0.5, size=p.shape)
    return model, rng


def test_binary_cross_entropy_is_stable_and_right():
    o = np.array([-800.0, -2.0, 0.0, 3.0, 800.0])
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    p = 1 / (1 + np.exp(-o[1:4]))
    naive = -(y[1:4] * np.log(p) + (1 - y[1:4]) * np.log(1 - p))
    assert binary_cross_entropy(o, y) == pytest.approx(naive.sum() / 5)
    assert np.isfinite(binary_cross_entropy(np.array([-1e4]), np.array([1.0])))


@pytest.mark.parametrize(("reset_after", "use_bias"), [(True, True), (False, True), (True, False)])
def test_classifier_gradients_match_central_differences(reset_after, use_bias):
    model, rng = random_model(reset_after, use_bias)
    x = rng.normal(size=(5, 4, 3))
    y = (rng.random(5) > 0.5).astype(int)
    mask = np.ones((5, 4), bool)
    mask[1, -1] = mask[3, 0] = False
    _, grads, _ = model.loss_and_grads(x, y, mask=mask)
    assert set(grads) == set(model.params)
    for name, p in model.params.items():
        numerical = numerical_gradient(lambda: model.evaluate(x, y, mask=mask)["loss"], p)
        err = relative_error(grads[name], numerical)
        assert err < 1e-7, f"{name}: relative error {err:.1e}"


@pytest.mark.parametrize("reset_after", [True, False])
def test_classifier_is_its_keras_twin(keras, reset_after):
    import tensorflow as tf

    model, rng = random_model(reset_after, seed=1)
    x = rng.normal(size=(6, 5, 3))
    y = np.array([0, 1, 1, 0, 1, 0])
    twin = model.to_keras()
    assert [type(layer).__name__ for layer in twin.layers] == ["GRU", "Dense"]
    assert twin.count_params() == model.count_params()
    p_keras = np.asarray(twin(x))[:, 0]
    assert np.abs(model.predict_proba(x) - p_keras).max() < 1e-12
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.binary_crossentropy(y[:, None], twin(x)))
    reference = tape.gradient(loss, twin.trainable_weights)
    ours_loss, grads, _ = model.loss_and_grads(x, y)
    assert ours_loss == pytest.approx(float(loss), abs=1e-12)
    names = ["W", "R", "bias", "V", "c"]
    ours = [
        grads["W"],
        grads["R"],
        np.stack([grads["bx"], grads["bh"]]) if reset_after else grads["bx"],
        grads["V"],
        grads["c"],
    ]
    for name, a, b in zip(names, ours, reference, strict=True):
        assert np.abs(a - np.asarray(b)).max() < 1e-12, name
    back = GRUClassifier.from_keras(twin)
    for name, p in model.params.items():
        np.testing.assert_array_equal(back.params[name], p)


def test_masked_classifier_is_keras_with_masking(keras):
    model, rng = random_model(seed=2)
    x = rng.normal(size=(4, 6, 3))
    x[0, 4:] = 0.0  # padding at the end
    x[2, :2] = 0.0  # padding at the start
    twin = model.to_keras(mask_zeros=True)
    mask = np.any(x != 0, axis=-1)
    assert np.abs(model.predict_proba(x, mask=mask) - np.asarray(twin(x))[:, 0]).max() < 1e-12
    back = GRUClassifier.from_keras(twin)
    np.testing.assert_array_equal(
        back.predict_proba(x, mask=mask), model.predict_proba(x, mask=mask)
    )


def test_from_keras_refuses_other_models(keras):
    model = keras.Sequential([keras.Input((None, 2)), keras.layers.GRU(3), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="Dense\\(1, activation='sigmoid'\\)"):
        GRUClassifier.from_keras(model)
    model = keras.Sequential([keras.Input((None, 2)), keras.layers.LSTM(3), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="GRU then Dense"):
        GRUClassifier.from_keras(model)


def test_save_and_load_npz(tmp_path):
    for reset_after, use_bias in [(True, True), (False, True), (True, False)]:
        model, rng = random_model(reset_after, use_bias, seed=3)
        path = tmp_path / f"model_{reset_after}_{use_bias}.npz"
        model.save_npz(path)
        loaded = GRUClassifier.load_npz(path)
        assert set(loaded.params) == set(model.params)
        for name, p in model.params.items():
            np.testing.assert_array_equal(loaded.params[name], p)
        x = rng.normal(size=(2, 3, 3))
        np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))
        with np.load(path, allow_pickle=False) as f:  # plain arrays only
            assert all(f[k].dtype != object for k in f.files)
    model.save_npz(tmp_path / "with_metadata.npz", metadata={"T": 20, "accuracy": 0.98})
    with np.load(tmp_path / "with_metadata.npz", allow_pickle=False) as f:
        assert json.loads(str(f["metadata"])) == {"T": 20, "accuracy": 0.98}
    GRUClassifier.load_npz(tmp_path / "with_metadata.npz")
    with pytest.raises(TypeError, match="metadata must be a dict"):
        model.save_npz(tmp_path / "bad.npz", metadata="T=20")
    np.savez(tmp_path / "other.npz", a=np.ones(2))
    with pytest.raises(ValueError, match="not a GRUClassifier file"):
        GRUClassifier.load_npz(tmp_path / "other.npz")


def test_a_tiny_problem_is_learned(capsys):
    x, y = first_sign_task(512, 10, seed=0)
    x_val, y_val = first_sign_task(256, 10, seed=1)
    model = GRUClassifier.initialize(1, 8, seed=0)
    before = model.evaluate(x_val, y_val)
    history = model.fit(
        x, y, epochs=20, batch_size=32, validation_data=(x_val, y_val), progress="lines"
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert 5 <= len(lines) <= 21 and lines[-1].startswith("epoch 20/20 [####################]")
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy", "grad_norm", "seconds"}
    assert all(len(v) == 20 for v in history.values())
    assert before["accuracy"] < 0.7
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_accuracy"][-1] >= 0.95
    assert model.evaluate(x_val, y_val)["accuracy"] == history["val_accuracy"][-1]
    assert np.mean(model.predict(x_val) == y_val) == history["val_accuracy"][-1]


def test_notebook_03_training_claims():
    """Twenty steps back: the default GRU stays at chance, an update-gate bias of 2 learns."""
    x, y = first_sign_task(512, 20, seed=0)
    x_val, y_val = first_sign_task(256, 20, seed=1)
    final = {}
    for update_gate_bias in (0.0, 2.0):
        model = GRUClassifier.initialize(1, 8, seed=0, update_gate_bias=update_gate_bias)
        history = model.fit(
            x, y, epochs=30, batch_size=32, validation_data=(x_val, y_val), progress="off"
        )
        final[update_gate_bias] = history["val_accuracy"][-1]
    assert final[0.0] < 0.65
    assert final[2.0] >= 0.95


def test_fit_is_reproducible_and_can_continue():
    x, y = first_sign_task(64, 5, seed=0)
    runs = []
    for _ in range(2):
        model = GRUClassifier.initialize(1, 4, seed=1)
        runs.append(model.fit(x, y, epochs=3, batch_size=16, seed=7, progress="off")["loss"])
    assert runs[0] == runs[1]
    steps = model.optimizer.iterations
    model.fit(x, y, epochs=1, batch_size=16, optimizer=model.optimizer, progress=None)
    assert model.optimizer.iterations == steps + 4


def test_fit_checks_its_input():
    model = GRUClassifier.initialize(2, 3, seed=0)
    x = np.zeros((4, 5, 2))
    with pytest.raises(ValueError, match="one per sequence"):
        model.fit(x, np.zeros(3), progress="off")
    with pytest.raises(ValueError, match="only the labels 0 and 1"):
        model.fit(x, np.array([0, 1, 2, 1]), progress="off")
    with pytest.raises(ValueError, match="epochs"):
        model.fit(x, np.zeros(4), epochs=0, progress="off")
    with pytest.raises(ValueError, match="validation_data"):
        model.fit(x, np.zeros(4), validation_data=x, progress="off")
    with pytest.raises(ValueError, match="progress"):
        model.fit(x, np.zeros(4), progress="bar")
    with pytest.raises(ValueError, match="features"):
        model.predict_proba(np.zeros((4, 5, 3)))
    with pytest.raises(ValueError, match="update_gate_bias"):
        GRUClassifier.initialize(2, 3, use_bias=False, update_gate_bias=1.0)


def test_progress_line_modes(capsys):
    line = ProgressLine(100, mode="lines")
    for epoch in range(1, 101):
        line.update(epoch, 0.5, "loss 1")
        line.end_epoch(epoch, "loss 1")
    line.close()
    out = capsys.readouterr().out.splitlines()
    assert (
        len(out) == 21
        and out[0].startswith("epoch   1/100")
        and out[-1].startswith("epoch 100/100")
    )
    silent = ProgressLine(5, mode="off")
    silent.end_epoch(1, "x")
    silent.close()
    assert capsys.readouterr().out == ""
    terminal = ProgressLine(2, mode="terminal", min_interval=0)
    terminal.end_epoch(1, "a")
    terminal.end_epoch(2, "b")
    terminal.close()
    out = capsys.readouterr().out
    assert out.count("\r") >= 2 and out.endswith("\n") and out.count("\n") == 1
    assert bar(0.5, width=4) == "[##..]"


def test_progress_line_in_a_notebook_updates_one_output(monkeypatch):
    import IPython.display

    shown = []

    class Handle:
        def update(self, obj, raw):
            shown.append(("update", obj["text/plain"]))

    def display(obj, raw, display_id):
        shown.append(("display", obj["text/plain"]))
        return Handle()

    monkeypatch.setattr(IPython.display, "display", display)
    line = ProgressLine(3, mode="notebook", min_interval=0)
    for epoch in (1, 2, 3):
        line.update(epoch, 0.5, "loss 0.5")
        line.end_epoch(epoch, f"loss {1 / epoch:.2f}")
    line.close()
    assert [kind for kind, _ in shown].count("display") == 1  # one output, updated in place
    assert shown[-1][1].startswith("epoch 3/3 [####################] loss 0.33")


def test_update_gate_bias_one_per_unit():
    """Chrono initialization: one update-gate bias per unit, as notebook 04 sets it."""
    biases = np.log(np.arange(1.0, 5.0))
    model = GRUClassifier.initialize(2, 4, seed=0, update_gate_bias=biases)
    np.testing.assert_array_equal(model.gru.bx[:4], biases)
    np.testing.assert_array_equal(model.gru.bx[4:], 0.0)
    same = GRUClassifier.initialize(2, 4, seed=0, update_gate_bias=2.0)
    np.testing.assert_array_equal(same.gru.bx[:4], 2.0)
    with pytest.raises(ValueError, match=r"one per unit, shape \(4,\)"):
        GRUClassifier.initialize(2, 4, update_gate_bias=np.ones(3))
    with pytest.raises(ValueError, match="update_gate_bias must be finite"):
        GRUClassifier.initialize(2, 4, update_gate_bias=[1.0, np.nan, 1.0, 1.0])


OPTION_GRID = [
    dict(reset_after=ra, use_bias=ub, go_backwards=gb, zero_output_for_mask=zo)
    for ra, ub, gb, zo in itertools.product([True, False], repeat=4)
]


@pytest.mark.parametrize(
    "options", OPTION_GRID, ids=lambda o: "-".join(k for k, v in o.items() if v)
)
def test_every_option_survives_keras_and_files(keras, tmp_path, options):
    seed = OPTION_GRID.index(options)
    model = GRUClassifier.initialize(3, 4, seed=seed, **options)
    rng = np.random.default_rng(seed)
    for p in model.params.values():
        p[:] = rng.normal(scale=0.7, size=p.shape)
    x = rng.normal(size=(5, 6, 3))
    mask = rng.random((5, 6)) < 0.6
    mask[0] = False  # a fully masked row
    mask[1, [0, -1]] = False  # both ends masked: the last step processed either way
    x[~mask] = 0.0  # what Masking(0.0) skips
    y = rng.integers(0, 2, size=5)
    model.save_npz(tmp_path / "model.npz")
    copies = {
        "npz": GRUClassifier.load_npz(tmp_path / "model.npz"),
        "Keras": GRUClassifier.from_keras(model.to_keras(mask_zeros=True)),
    }
    expected = model.predict_proba(x, mask=mask)
    keras_p = np.asarray(model.to_keras(mask_zeros=True)(x))[:, 0]
    assert np.abs(keras_p - expected).max() < 1e-13
    for how, copy in copies.items():
        for option, value in options.items():
            assert getattr(copy.gru, option) == value, f"{how}: {option}"
        np.testing.assert_array_equal(copy.predict_proba(x, mask=mask), expected)
    loss, grads, _ = model.loss_and_grads(x, y, mask=mask)
    for name, p in model.params.items():
        numerical = numerical_gradient(lambda: model.evaluate(x, y, mask=mask)["loss"], p)
        assert relative_error(grads[name], numerical) < 1e-7, name
