"""Notebook 04's claims, recomputed through the package: training, the update gate's bias,
masks, weights between NumPy and Keras, and the results and model the course ships."""

import numpy as np
import pytest

from gru_lesson.classifier import GRUClassifier
from gru_lesson.tasks import make_memory_task
from gru_lesson.training import (
    CONFIG,
    FULL_SWEEP,
    MASKING_EXPERIMENT,
    QUICK_SWEEP,
    SHOWCASE_T,
    UPDATE_BIAS_EXPERIMENT,
    accuracy,
    build_classifier,
    chrono_bias,
    load_results,
    load_trained_classifier,
    memory_task_data,
    run_experiment,
    run_masking_experiment,
    set_update_gate_bias,
    summarize,
    update_gate_memory,
)

GRU_CLAIM = 0.95  # the GRU reaches at least this at the showcase length ...
CHANCE_CLAIM = 0.60  # ... where the SimpleRNN stays at or below this


# ------------------------------------------------------------- no TensorFlow
def test_update_gate_memory_halves_every_step_at_zero_bias():
    assert update_gate_memory(0.0, 1) == pytest.approx(0.5)
    assert update_gate_memory(0.0, 10) == pytest.approx(0.5**10)
    b = np.log(9.0)  # z = 0.9
    assert update_gate_memory(b, 20) == pytest.approx(0.9**20)
    with pytest.raises(ValueError):
        update_gate_memory(0.0, -1)


def test_chrono_bias_spreads_memory_spans_between_2_and_T_max():
    b = chrono_bias(1000, 50, seed=0)
    z = 1 / (1 + np.exp(-b))
    span = 1 / (1 - z)  # = 1 + u, u ~ U[1, 49]
    assert span.min() >= 2 - 1e-9 and span.max() <= 50 + 1e-9
    assert np.mean(span) == pytest.approx(26, abs=1.5)
    assert np.array_equal(b, chrono_bias(1000, 50, seed=0))
    assert not np.array_equal(b, chrono_bias(1000, 50, seed=1))
    with pytest.raises(ValueError, match="T_max"):
        chrono_bias(4, 2, seed=0)
    with pytest.raises(ValueError, match="units"):
        chrono_bias(0, 10, seed=0)


def test_data_depend_on_seed_and_length_only():
    a = memory_task_data(20, 3)
    b = memory_task_data(20, 3)
    c = memory_task_data(20, 4)
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])
    assert a[0].shape == (CONFIG.n_train, 20, CONFIG.D)
    assert a[2].shape == (CONFIG.n_val, 20, CONFIG.D)
    assert not np.array_equal(a[0][:10], a[2][:10])  # validation is not training


# ----------------------------------------------------------- shipped results
def test_shipped_length_sweep_supports_the_notebooks_claims():
    results = load_results("length_sweep")
    assert results["config"] == CONFIG
    rows = results["rows"]
    assert {r["T"] for r in rows} == set(FULL_SWEEP["lengths"])
    assert {r["seed"] for r in rows} == set(FULL_SWEEP["seeds"])
    assert len(rows) == len(FULL_SWEEP["lengths"]) * len(FULL_SWEEP["seeds"]) * 3
    at = {(r["model"], r["T"], r["seed"]): r["val_accuracy"] for r in rows}
    for seed in FULL_SWEEP["seeds"]:
        assert at[("gru_chrono", SHOWCASE_T, seed)] >= GRU_CLAIM
        assert at[("simple_rnn", SHOWCASE_T, seed)] <= CHANCE_CLAIM
        assert at[("gru", SHOWCASE_T, seed)] <= CHANCE_CLAIM  # Keras' default start
    table = summarize(rows)
    assert table["simple_rnn"][10][0] >= GRU_CLAIM  # short lengths: every model learns
    assert table["gru"][10][0] >= GRU_CLAIM


def test_shipped_update_gate_bias_results():
    results = load_results("update_gate_bias")
    rows = results["rows"]
    assert {r["T"] for r in rows} == set(UPDATE_BIAS_EXPERIMENT["lengths"])
    by = {}
    for r in rows:
        by.setdefault((r["T"], str(r["update_gate_bias"])), []).append(r["val_accuracy"])
    T = SHOWCASE_T
    assert max(by[(T, "0.0")]) <= CHANCE_CLAIM  # Keras' zero bias: nothing learned
    assert min(by[(T, "chrono")]) >= GRU_CLAIM


# ------------------------------------------------------------------- Keras
def test_set_update_gate_bias_writes_the_update_gate_only(keras):
    model = build_classifier("gru", T=7, D=4, units=5, seed=0)
    layer = model.get_layer("gru")
    before = layer.get_weights()[2].copy()
    set_update_gate_bias(layer, np.arange(5.0))
    after = layer.get_weights()[2]
    assert np.array_equal(after[0, :5], np.arange(5.0))
    assert np.array_equal(after[1, :5], np.zeros(5))
    assert np.array_equal(after[:, 5:], before[:, 5:])
    with pytest.raises(ValueError, match="shape"):
        set_update_gate_bias(layer, np.zeros(3))
    model = build_classifier("gru", T=30, D=4, units=5, seed=2, update_gate_bias="chrono")
    assert np.allclose(model.get_layer("gru").get_weights()[2][0, :5], chrono_bias(5, 30, seed=2))
    with pytest.raises(ValueError, match="no update gate"):
        build_classifier("simple_rnn", T=5, D=4, update_gate_bias=1.0)
    with pytest.raises(ValueError, match="kind"):
        build_classifier("transformer", T=5, D=4)


def test_blog_post_example_reports_an_accuracy_of_continuous_labels(keras):
    """The blog post's labels are uniform numbers in [0, 1): no two classes, so
    'accuracy' only counts how often round(p) equals y, which is (almost) never."""
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    x = tf.random.normal((100, 10, 20))
    y = tf.random.uniform((100, 1))
    labels = np.asarray(y)
    assert len(np.unique(labels)) == 100 and labels.min() >= 0 and labels.max() < 1
    model = keras.Sequential(
        [keras.Input((10, 20)), keras.layers.GRU(32), keras.layers.Dense(1, activation="sigmoid")]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(
        tf.data.Dataset.from_tensor_slices((x, y)).batch(32), epochs=3, verbose=0, shuffle=False
    )
    assert history.history["accuracy"][-1] <= 0.02


def test_quick_sweep_reaches_the_claimed_accuracy(keras):
    """The live part of notebook 04: at the showcase length the GRU (chrono start)
    remembers and the SimpleRNN does not, and both agree with the shipped seed-0 rows."""
    assert QUICK_SWEEP["lengths"] == (SHOWCASE_T,)
    shipped = {(r["model"], r["T"], r["seed"]): r for r in load_results("length_sweep")["rows"]}
    for model in QUICK_SWEEP["models"]:
        row = run_experiment(model, SHOWCASE_T, 0)
        if model == "gru_chrono":
            assert row["val_accuracy"] >= GRU_CLAIM
        else:
            assert row["val_accuracy"] <= CHANCE_CLAIM
        ref = shipped[(model, SHOWCASE_T, 0)]
        assert (row["val_accuracy"] >= GRU_CLAIM) == (ref["val_accuracy"] >= GRU_CLAIM)


def test_masking_experiment_and_the_numpy_twin_of_the_masked_layer(keras):
    results = run_masking_experiment(**MASKING_EXPERIMENT)
    x, y, x_val, y_val, mask_val = results["data"]
    masked_row, masked_model = results[True]
    plain_row, plain_model = results[False]
    assert not mask_val.all() and mask_val.any(axis=1).all()
    assert masked_row["val_accuracy"] >= GRU_CLAIM
    assert plain_row["val_accuracy"] <= CHANCE_CLAIM
    # the NumPy twin, given the mask, computes what the masked Keras model computes
    twin = GRUClassifier.from_keras(masked_model)
    p_numpy = twin.predict_proba(x_val, mask=mask_val)
    p_keras = np.asarray(masked_model(x_val))[:, 0]
    assert np.abs(p_numpy - p_keras).max() < 1e-5
    # what the GRU learned on short sequences carries over to long ones
    long = mask_val.sum(axis=1) >= 40
    assert np.mean((p_keras[long] > 0.5) == (y_val[long] == 1)) >= GRU_CLAIM
    # and with the mask, padding changes nothing: each sequence cut to its length
    for i in range(0, 200, 23):
        n = int(mask_val[i].sum())
        alone = np.asarray(masked_model(x_val[i : i + 1, :n]))[0, 0]
        assert abs(alone - p_keras[i]) < 1e-5


def test_numpy_twin_of_a_masked_layer_with_random_weights(keras, rng):
    """Harder than a trained model: random biases, pre- and post-padding, float64."""
    for padding in ("post", "pre"):
        model = GRUClassifier.initialize(4, 6, seed=int(rng.integers(1000)))
        for p in model.params.values():
            p[...] = rng.normal(scale=0.7, size=p.shape)
        twin = model.to_keras(mask_zeros=True)
        x, _, info = make_memory_task(
            40, 25, seed=1, min_length=6, padding=padding, return_info=True
        )
        x = x.astype(np.float64)
        p_keras = np.asarray(twin(x))[:, 0]
        assert np.abs(model.predict_proba(x, mask=info.mask) - p_keras).max() < 1e-12
        # without the mask the NumPy GRU reads the padding, and the answers move
        assert np.abs(model.predict_proba(x) - p_keras).max() > 1e-3


def test_weights_round_trip_between_keras_and_numpy(keras):
    model = build_classifier("gru", T=None, D=4, units=8, seed=3, update_gate_bias=1.5)
    x, _ = make_memory_task(30, 20, seed=2)
    numpy_model = GRUClassifier.from_keras(model)
    p_keras = np.asarray(model(x))[:, 0]
    assert np.abs(numpy_model.predict_proba(x) - p_keras).max() < 1e-5
    back = numpy_model.to_keras()
    assert np.abs(np.asarray(back(x))[:, 0] - p_keras).max() < 1e-6
    for a, b in zip(model.get_weights(), back.get_weights(), strict=True):
        assert np.array_equal(a, b)


def test_numpy_classifier_learns_the_task_and_its_keras_twin_agrees(keras):
    """Notebook 04's NumPy section: same task, same budget, and the trained weights
    in a Keras layer give the same predictions."""
    T = SHOWCASE_T
    x, y, x_val, y_val = memory_task_data(T, 0)
    model = GRUClassifier.initialize(CONFIG.D, CONFIG.units, seed=0)
    model.gru.bx[: CONFIG.units] = chrono_bias(CONFIG.units, T, seed=0)
    history = model.fit(
        x, y, epochs=12, batch_size=64, seed=0, validation_data=(x_val, y_val), progress="off"
    )
    assert history["val_accuracy"][-1] >= GRU_CLAIM
    assert history["val_accuracy"][0] <= CHANCE_CLAIM
    twin = model.to_keras(dtype="float32")
    p_keras = np.asarray(twin(x_val))[:, 0]
    assert np.abs(model.predict_proba(x_val) - p_keras).max() < 1e-5
    assert accuracy(twin, x_val, y_val) == pytest.approx(history["val_accuracy"][-1], abs=2e-3)


# ------------------------------------------------------------ shipped model
def test_shipped_model_reproduces_its_recorded_accuracy():
    classifier, meta = load_trained_classifier()
    assert meta["T"] == 50 and meta["units"] == classifier.gru.units == 16
    assert classifier.gru.input_dim == meta["input_dim"] == CONFIG.D
    config = load_results("length_sweep")["config"].__class__(**meta["config"])
    _, _, x_val, y_val = memory_task_data(meta["T"], meta["seed"], config)
    acc = classifier.evaluate(x_val, y_val)["accuracy"]
    assert acc == meta["val_accuracy_numpy"]
    assert acc >= GRU_CLAIM
    assert abs(acc - meta["val_accuracy_keras"]) <= 2e-3


def test_shipped_model_file_is_small_and_plain():
    from gru_lesson.training import DATA_DIR

    path = DATA_DIR / "trained_gru_classifier.npz"
    assert path.stat().st_size < 200_000
    with np.load(path, allow_pickle=False) as f:  # no pickles inside
        assert {"W", "R", "bx", "bh", "V", "c", "metadata"} <= set(f.files)
        assert all(f[k].dtype != object for k in f.files)
