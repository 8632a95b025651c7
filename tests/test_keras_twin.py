"""The NumPy GRU against keras.layers.GRU, output for output."""

import itertools

import numpy as np
import pytest
from conftest import randomize_biases

from gru_lesson import GRU

TOLERANCE = {"float32": 1e-5, "float64": 1e-12}

# Every combination of the options that change the computation, each with its
# own sizes, initial state and mask drawn at random (seeded).
OPTIONS = list(
    itertools.product(
        [True, False],  # reset_after
        [True, False],  # use_bias
        [False, True],  # go_backwards
        [False, True],  # return_sequences
        [False, True],  # return_state
    )
)


def as_list(out):
    return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else [np.asarray(out)]


@pytest.mark.parametrize("zero_output_for_mask", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_twin_matches_keras_masks(keras, rng, zero_output_for_mask, return_sequences):
    layer = keras.layers.GRU(
        3,
        return_sequences=return_sequences,
        return_state=True,
        zero_output_for_mask=zero_output_for_mask,
        dtype="float64",
    )
    layer.build((None, None, 2))
    randomize_biases(layer, rng)
    x = rng.normal(size=(4, 6, 2))
    h0 = rng.normal(size=(4, 3))
    mask = rng.random((4, 6)) > 0.5
    mask[0], mask[1, -1] = False, False
    expected = as_list(layer(x, initial_state=h0, mask=mask))
    got = GRU.from_keras(layer)(x, initial_state=h0, mask=mask)
    for g, e in zip(got, expected, strict=True):
        assert np.abs(g - e).max() < 1e-12


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("case", "reset_after", "use_bias", "go_backwards", "return_sequences", "return_state"),
    [(i, *o) for i, o in enumerate(OPTIONS)],
)
def test_twin_matches_keras(
    keras, dtype, case, reset_after, use_bias, go_backwards, return_sequences, return_state
):
    rng = np.random.default_rng([case, dtype == "float64"])
    B, T, D, U = (int(v) for v in rng.integers([1, 1, 1, 1], [5, 13, 9, 9]))
    layer = keras.layers.GRU(
        U,
        reset_after=reset_after,
        use_bias=use_bias,
        go_backwards=go_backwards,
        return_sequences=return_sequences,
        return_state=return_state,
        dtype=dtype,
    )
    layer.build((None, None, D))
    randomize_biases(layer, rng)
    x = rng.normal(size=(B, T, D)).astype(dtype)
    h0 = rng.normal(size=(B, U)).astype(dtype)
    mask = rng.random((B, T)) > 0.3
    mask[0] = False  # a fully masked sequence: zero output, state kept
    twin = GRU.from_keras(layer)
    assert twin.dtype == np.dtype(dtype)
    for kwargs in ({}, {"initial_state": h0}, {"initial_state": h0, "mask": mask}):
        expected = as_list(layer(x, **kwargs))
        got = as_list(twin(x, **kwargs))
        assert [g.shape for g in got] == [e.shape for e in expected]
        for g, e in zip(got, expected, strict=True):
            assert np.abs(g - e).max() <= TOLERANCE[dtype], kwargs


def test_default_layer_in_float64_agrees_to_rounding(keras, rng):
    layer = keras.layers.GRU(32, return_sequences=True, dtype="float64")
    x = rng.normal(size=(1, 10, 20))
    out = np.asarray(layer(x))
    randomize_biases(layer, rng)
    out = np.asarray(layer(x))
    assert np.abs(GRU.from_keras(layer)(x) - out).max() < 1e-14


def test_long_sequence_float32(keras, rng):
    layer = keras.layers.GRU(16, dtype="float32")
    layer.build((None, None, 8))
    randomize_biases(layer, rng)
    x = rng.normal(size=(2, 500, 8)).astype("float32")
    assert np.abs(GRU.from_keras(layer)(x) - np.asarray(layer(x))).max() < 1e-5


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("use_bias", [True, False])
def test_numpy_weights_into_keras(keras, rng, reset_after, use_bias):
    gru = GRU.initialize(
        6, 4, reset_after=reset_after, use_bias=use_bias, seed=3, return_sequences=True
    )
    if use_bias:
        gru.bx[:] = rng.normal(size=12)
        if reset_after:
            gru.bh[:] = rng.normal(size=12)
    layer = gru.to_keras()
    assert layer.dtype == "float64" and layer.return_sequences
    x = rng.normal(size=(3, 7, 6))
    h0 = rng.normal(size=(3, 4))
    assert np.abs(np.asarray(layer(x, initial_state=h0)) - gru(x, initial_state=h0)).max() < 1e-12
    back = GRU.from_keras(layer)
    for name, value in gru.params.items():
        np.testing.assert_array_equal(back.params[name], value)


def test_masked_sequence_output_repeats_previous(keras, rng):
    layer = keras.layers.GRU(3, return_sequences=True, dtype="float64")
    layer.build((None, None, 2))
    randomize_biases(layer, rng)
    x = rng.normal(size=(2, 5, 2))
    mask = np.array([[False, True, False, True, True], [True, True, False, False, False]])
    h0 = rng.normal(size=(2, 3))
    expected = np.asarray(layer(x, initial_state=h0, mask=mask))
    got = GRU.from_keras(layer)(x, initial_state=h0, mask=mask)
    assert np.all(got[0, 0] == 0)  # nothing valid read yet: zeros, as Keras does
    assert np.abs(got - expected).max() < 1e-12


# ------------------------------------------------------------- bad layers
def test_refuses_a_layer_that_is_not_a_gru(keras):
    layer = keras.layers.LSTM(4)
    layer.build((None, None, 3))
    with pytest.raises(TypeError, match="expected a keras.layers.GRU layer, got .*LSTM"):
        GRU.from_keras(layer)


def test_refuses_an_unbuilt_layer(keras):
    with pytest.raises(ValueError, match="not built yet"):
        GRU.from_keras(keras.layers.GRU(4))


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("activation", "relu", "activation='tanh' only; layer .* has activation='relu'"),
        (
            "recurrent_activation",
            "hard_sigmoid",
            "recurrent_activation='sigmoid' only; .*'hard_sigmoid'",
        ),
        ("stateful", True, "stateful=False only; .* has stateful=True"),
    ],
)
def test_refuses_options_it_cannot_reproduce(keras, option, value, message):
    layer = keras.layers.GRU(4, **{option: value})
    layer.build((2, 5, 3))
    with pytest.raises(NotImplementedError, match=message):
        GRU.from_keras(layer)


def test_refuses_dropout_in_training_mode(keras, rng):
    layer = keras.layers.GRU(4, dropout=0.3, dtype="float64")
    x = rng.normal(size=(2, 5, 3))
    layer.build(x.shape)
    twin = GRU.from_keras(layer)
    np.testing.assert_allclose(twin(x), np.asarray(layer(x)), atol=1e-12)  # inference: no dropout
    with pytest.raises(NotImplementedError, match="dropout=0.3"):
        twin(x, training=True)


def test_weights_into_a_layer_of_another_shape(keras):
    from gru_lesson.keras_twin import set_keras_weights

    layer = keras.layers.GRU(5)
    layer.build((None, None, 3))
    with pytest.raises(
        ValueError, match=r"kernel has shape \(3, 15\), the NumPy GRU's has \(6, 12\)"
    ):
        set_keras_weights(layer, GRU.initialize(6, 4, seed=0))
    other = keras.layers.GRU(4, reset_after=False)
    other.build((None, None, 6))
    with pytest.raises(ValueError, match="differ in convention"):
        set_keras_weights(other, GRU.initialize(6, 4, seed=0))
