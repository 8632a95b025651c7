"""Every gradient helper against TensorFlow's autodiff of the real Keras layer, for every
layer option, and every ``to_keras`` round trip under masks.

The reference is computed here, independently of the package: a float64
``keras.layers.GRU`` built with the options, random biases, a non-zero initial state,
``L = sum(G * output) [+ sum(G_state * state)]`` under ``tf.GradientTape``.
"""

import itertools

import numpy as np
import pytest
from conftest import randomize_biases

from gru_lesson import GRU
from gru_lesson.bptt import gru_loss_and_grads
from gru_lesson.fast import fast_loss_and_grads
from gru_lesson.gradcheck import keras_gru_gradients

OPTIONS = ("reset_after", "use_bias", "go_backwards", "return_sequences", "return_state")
GRID = [
    dict(zip(OPTIONS + ("zero_output_for_mask",), values, strict=True))
    for values in itertools.product([True, False], repeat=len(OPTIONS) + 1)
]
MASKS = ["none", "random", "last processed step masked"]
B, T, D, U = 4, 5, 3, 4


def grid_id(options):
    return "-".join(name for name, on in options.items() if on) or "defaults"


def random_mask(rng, kind, go_backwards):
    """A (B, T) mask; with masks, row 0 is fully masked and row 1 fully valid."""
    if kind == "none":
        return None
    mask = rng.random((B, T)) < 0.6
    if kind == "last processed step masked":
        mask[:, 0 if go_backwards else -1] = False
    mask[0] = False
    mask[1] = kind != "last processed step masked"
    return mask


def keras_case(keras, seed, options, mask_kind):
    """A float64 Keras GRU with random biases, its inputs, and the loss weights."""
    rng = np.random.default_rng(seed)
    layer = keras.layers.GRU(U, dtype="float64", **options)
    layer.build((None, None, D))
    randomize_biases(layer, rng)
    x = rng.normal(size=(B, T, D))
    h0 = rng.uniform(-1, 1, size=(B, U))
    mask = random_mask(rng, mask_kind, options["go_backwards"])
    out_shape = (B, T, U) if options["return_sequences"] else (B, U)
    G = rng.normal(size=out_shape)
    if options["return_state"]:
        G = [G, rng.normal(size=(B, U))]
    return layer, x, h0, mask, G


def tape_gradients(layer, x, h0, mask, G):
    """L and dL/d(weights, x, h0) by tf.GradientTape through the Keras layer itself."""
    import tensorflow as tf

    x, h0 = tf.constant(x), tf.constant(h0)
    kwargs = {} if mask is None else {"mask": tf.constant(mask)}
    weights = G if isinstance(G, list) else [G]
    with tf.GradientTape() as tape:
        tape.watch([x, h0])
        returned = layer(x, initial_state=h0, **kwargs)
        returned = returned if isinstance(returned, (list, tuple)) else [returned]
        L = sum(tf.reduce_sum(g * out) for g, out in zip(weights, returned, strict=True))
    variables = [*layer.weights, x, h0]
    dW, dR, *dbias, dx, dh0 = (g.numpy() for g in tape.gradient(L, variables))
    grads = {"W": dW, "R": dR, "x": dx, "h0": dh0}
    if dbias:
        if layer.reset_after:
            grads["bx"], grads["bh"] = dbias[0]
        else:
            grads["bx"] = dbias[0]
    return float(L), grads


@pytest.mark.parametrize("mask_kind", MASKS)
@pytest.mark.parametrize("options", GRID, ids=grid_id)
def test_every_gradient_helper_matches_the_tape(keras, options, mask_kind):
    seed = 1000 + GRID.index(options) * len(MASKS) + MASKS.index(mask_kind)
    layer, x, h0, mask, G = keras_case(keras, seed, options, mask_kind)
    loss, reference = tape_gradients(layer, x, h0, mask, G)
    gru = GRU.from_keras(layer)
    results = {
        "gru_loss_and_grads": gru_loss_and_grads(
            gru, x, G, initial_state=h0, mask=mask, inputs=True
        ),
        "fast_loss_and_grads": fast_loss_and_grads(
            gru, x, G, initial_state=h0, mask=mask, inputs=True
        ),
        "fast_loss_and_grads on 2 threads": fast_loss_and_grads(
            gru, x, G, initial_state=h0, mask=mask, inputs=True, workers=2
        ),
        "keras_gru_gradients": (loss, keras_gru_gradients(gru, x, G, initial_state=h0, mask=mask)),
    }
    for helper, (L, grads) in results.items():
        assert abs(L - loss) < 1e-12, f"{helper}: loss {L} against Keras' {loss}"
        assert set(reference) <= set(grads), helper
        for name, expected in reference.items():
            worst = np.abs(np.asarray(grads[name]) - expected).max()
            assert worst < 1e-13, f"{helper}: d{name} off by {worst:.1e}"


def test_the_case_of_the_bug_report_is_in_the_grid():
    """return_sequences=False, zero_output_for_mask=True, the last processed step masked:
    the output is zeros there, and so is every gradient reaching it."""
    options = dict.fromkeys(OPTIONS, False) | {"reset_after": True, "use_bias": True}
    assert options | {"zero_output_for_mask": True} in GRID
    assert "last processed step masked" in MASKS


def test_a_zero_output_has_no_gradient():
    rng = np.random.default_rng(3)
    gru = GRU.initialize(D, U, seed=3, zero_output_for_mask=True)
    x, G = rng.normal(size=(B, T, D)), rng.normal(size=(B, U))
    mask = np.ones((B, T), bool)
    mask[:, -1] = False
    loss, grads = gru_loss_and_grads(gru, x, G, mask=mask)
    assert loss == 0.0
    for name in gru.params:
        np.testing.assert_array_equal(grads[name], 0.0)


# ------------------------------------------------------------------ round trips
@pytest.mark.parametrize("options", GRID, ids=grid_id)
def test_to_keras_round_trips_under_masks(keras, options):
    seed = 5000 + GRID.index(options)
    layer, x, h0, _, _ = keras_case(keras, seed, options, "none")
    mask = random_mask(np.random.default_rng(seed), "last processed step masked", False)
    mask[2, 1:] = True  # one row masked at the start only, so repeated outputs show
    gru = GRU.from_keras(layer)
    assert gru.zero_output_for_mask == options["zero_output_for_mask"]
    expected = layer(x, initial_state=h0, mask=mask)
    mine = gru(x, initial_state=h0, mask=mask)
    numpy_to_keras = gru.to_keras()
    keras_to_numpy_to_keras = GRU.from_keras(numpy_to_keras).to_keras()
    for name, out in [
        ("NumPy", mine),
        ("NumPy -> Keras", numpy_to_keras(x, initial_state=h0, mask=mask)),
        ("Keras -> NumPy -> Keras", keras_to_numpy_to_keras(x, initial_state=h0, mask=mask)),
    ]:
        pairs = zip(as_list(out), as_list(expected), strict=True)
        worst = max(np.abs(np.asarray(a) - np.asarray(b)).max() for a, b in pairs)
        assert worst < 1e-13, f"{name}: off by {worst:.1e}"
    for option, value in options.items():
        if option != "zero_output_for_mask":
            assert getattr(keras_to_numpy_to_keras, option) == value, option
    config = keras_to_numpy_to_keras.get_config()
    assert config["zero_output_for_mask"] == options["zero_output_for_mask"]


def as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


@pytest.mark.parametrize(
    "option",
    [
        {"activation": "relu"},
        {"recurrent_activation": "hard_sigmoid"},
        {"stateful": True},
        {"go_backwards": True},
        {"zero_output_for_mask": True},
        {"reset_after": False},
        {"use_bias": False},
        {"units": 3},
        {"unknown_option": 1},
    ],
    ids=lambda option: next(iter(option)),
)
def test_to_keras_refuses_what_breaks_the_twin(keras, option):
    gru = GRU.initialize(D, U, seed=0)
    (name,) = option
    with pytest.raises(ValueError, match=f"cannot set {name}="):
        gru.to_keras(**option)


def test_to_keras_accepts_what_keeps_the_twin(keras):
    gru = GRU.initialize(D, U, seed=0, go_backwards=True)
    layer = gru.to_keras(
        dtype="float32",
        name="mine",
        trainable=False,
        go_backwards=True,  # the GRU's own value
        activation="tanh",  # the only activation the twin has
        return_sequences=True,
        dropout=0.5,
    )
    assert (layer.name, layer.trainable, layer.go_backwards) == ("mine", False, True)
    assert layer.return_sequences and layer.dropout == 0.5
    x = np.random.default_rng(0).normal(size=(2, 3, D)).astype("float32")
    np.testing.assert_allclose(layer(x)[:, -1], gru(x), atol=1e-6)
