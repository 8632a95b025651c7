"""Tests of gru_lesson.conventions: PyTorch layout, the mistake table, bad input."""

import numpy as np
import pytest

from gru_lesson import GRU
from gru_lesson.conventions import (
    MISTAKES,
    hard_sigmoid,
    keras_equations,
    keras_to_pytorch,
    mistake_costs,
    pytorch_gru_forward,
    pytorch_to_keras,
    random_keras_case,
    randomize_biases,
    reorder_gates,
)


@pytest.fixture(scope="module")
def case(keras):
    """One float64 Keras layer with random biases, an input and a non-zero h0."""
    layer, x, h0 = random_keras_case(seed=3, batch=3, time=7, features=5, units=4)
    assert np.abs(layer.get_weights()[2]).min() > 0  # biases really are random
    assert np.abs(h0).min() > 0
    return layer, x, h0


def numpy_case(seed=0, batch=2, time=6, features=3, units=4):
    rng = np.random.default_rng(seed)
    fresh = GRU.initialize(features, units, seed=rng)
    gru = GRU(fresh.W, fresh.R, rng.normal(size=3 * units), rng.normal(size=3 * units))
    x = rng.normal(size=(batch, time, features))
    h0 = rng.uniform(-1, 1, size=(batch, units))
    return gru, x, h0


# ------------------------------------------------------------------ layouts
def test_reorder_gates_moves_blocks():
    m = np.array([1.0, 1.0, 2.0, 2.0, 3.0, 3.0])  # z z r r h h
    np.testing.assert_array_equal(reorder_gates(m, "zrh", "rzh"), [2, 2, 1, 1, 3, 3])
    np.testing.assert_array_equal(reorder_gates(reorder_gates(m), "rzh", "zrh"), m)


def test_known_mapping_on_a_hand_built_example():
    # D = 2 inputs, U = H = 1 unit. Keras columns are z, r, h.
    kernel = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])  # row per input feature
    recurrent_kernel = np.array([[7.0, 8.0, 9.0]])
    bias = np.array([[10.0, 11.0, 12.0], [13.0, 14.0, 15.0]])
    sd = keras_to_pytorch(kernel, recurrent_kernel, bias)
    assert sorted(sd) == ["bias_hh_l0", "bias_ih_l0", "weight_hh_l0", "weight_ih_l0"]
    # PyTorch rows are r, z, n; a row holds one gate's weights for every input.
    np.testing.assert_array_equal(sd["weight_ih_l0"], [[2.0, 5.0], [1.0, 4.0], [3.0, 6.0]])
    np.testing.assert_array_equal(sd["weight_hh_l0"], [[8.0], [7.0], [9.0]])
    np.testing.assert_array_equal(sd["bias_ih_l0"], [11.0, 10.0, 12.0])
    np.testing.assert_array_equal(sd["bias_hh_l0"], [14.0, 13.0, 15.0])


def test_pytorch_round_trip_is_exact():
    gru, _, _ = numpy_case(features=5, units=3)
    weights = [gru.W, gru.R, np.stack([gru.bx, gru.bh])]
    sd = keras_to_pytorch(*weights)
    assert sd["weight_ih_l0"].shape == (9, 5) and sd["weight_hh_l0"].shape == (9, 3)
    back = pytorch_to_keras(sd)
    assert len(back) == 3
    for a, b in zip(back, weights, strict=True):
        np.testing.assert_array_equal(a, b)
    sd_again = keras_to_pytorch(*back)
    for k in sd:
        np.testing.assert_array_equal(sd_again[k], sd[k])


def test_round_trip_without_biases():
    gru, _, _ = numpy_case()
    sd = keras_to_pytorch(gru.W, gru.R)
    assert sorted(sd) == ["weight_hh_l0", "weight_ih_l0"]
    back = pytorch_to_keras(sd)
    assert len(back) == 2
    np.testing.assert_array_equal(back[0], gru.W)


def test_pytorch_equations_match_the_numpy_gru():
    gru, x, h0 = numpy_case(seed=1)
    sd = keras_to_pytorch(gru.W, gru.R, np.stack([gru.bx, gru.bh]))
    mine = pytorch_gru_forward(sd, x, h0)
    assert np.abs(mine - gru.trace(x, initial_state=h0).h).max() < 1e-12


def test_pytorch_equations_match_keras(case):
    layer, x, h0 = case
    sd = keras_to_pytorch(*layer.get_weights())
    assert (
        np.abs(pytorch_gru_forward(sd, x, h0) - np.asarray(layer(x, initial_state=h0))).max()
        < 1e-12
    )


def test_unconverted_weights_do_not_match():
    """The test above can fail: Keras weights fed to PyTorch's equations untransposed/unordered do not match."""
    gru, x, h0 = numpy_case(seed=2, features=4, units=4)
    wrong = {
        "weight_ih_l0": reorder_gates(gru.W).T,  # right layout ...
        "weight_hh_l0": gru.R.T,  # ... but Keras' z, r, h order kept here
        "bias_ih_l0": reorder_gates(gru.bx),
        "bias_hh_l0": reorder_gates(gru.bh),
    }
    assert np.abs(pytorch_gru_forward(wrong, x, h0) - gru.trace(x, initial_state=h0).h).max() > 0.01


# ---------------------------------------------------------------- mistakes
def test_faithful_path_matches_keras_and_every_mistake_is_clearly_wrong(case):
    layer, x, h0 = case
    costs = mistake_costs(layer, x, h0)
    assert [c.name for c in costs[1:]] == list(MISTAKES)
    assert costs[0].max_abs_diff < 1e-12, costs[0]
    for cost in costs[1:]:
        assert cost.max_abs_diff > 0.01, cost
        assert cost.description


def test_notebook_table_case(keras):
    """The case notebook 02 tabulates: seed 0, batch 2, T 10, D 20, U 32."""
    costs = mistake_costs(*random_keras_case(seed=0))
    assert costs[0].max_abs_diff < 1e-12
    assert min(c.max_abs_diff for c in costs[1:]) > 0.01


def test_bias_mistakes_hide_on_a_fresh_layer():
    """With Keras' zero biases the two bias mistakes vanish: why tests need random biases."""
    fresh = GRU.initialize(3, 4, seed=0)
    x = np.random.default_rng(0).normal(size=(2, 5, 3))
    h0 = np.zeros((2, 4))
    reference = keras_equations(fresh, x, h0)
    assert np.abs(reference - fresh.trace(x, initial_state=h0).h).max() < 1e-12
    hidden = {n for n, f in MISTAKES.items() if np.abs(f(fresh, x, h0) - reference).max() < 1e-12}
    assert hidden == {"recurrent bias ignored", "both bias rows summed"}


def test_reset_before_is_right_only_at_the_first_step_of_a_fresh_layer():
    fresh = GRU.initialize(3, 4, seed=1)
    x = np.random.default_rng(1).normal(size=(2, 5, 3))
    h0 = np.zeros((2, 4))
    reference = keras_equations(fresh, x, h0)
    errors = {n: np.abs(f(fresh, x, h0) - reference) for n, f in MISTAKES.items()}
    only_first = {n for n, e in errors.items() if e[:, 0].max() < 1e-12 and e[:, 1:].max() > 1e-6}
    assert only_first == {"reset before the product"}


def test_hard_sigmoid_is_keras_2_2s():
    np.testing.assert_allclose(
        hard_sigmoid(np.array([-3.0, -2.5, 0.0, 1.0, 2.5, 9.0])), [0, 0, 0.5, 0.7, 1, 1]
    )


# --------------------------------------------------------------- bad input
def test_bad_input_errors():
    gru, x, h0 = numpy_case()
    with pytest.raises(ValueError, match="ordering of the letters"):
        reorder_gates(gru.W, "zrx", "rzh")
    with pytest.raises(ValueError, match="3 gate blocks"):
        reorder_gates(np.ones(4))
    with pytest.raises(ValueError, match="reset_after=False"):
        keras_to_pytorch(gru.W, gru.R, gru.bx)
    with pytest.raises(ValueError, match="recurrent_kernel must have shape"):
        keras_to_pytorch(gru.W, gru.R[:, :6])
    with pytest.raises(ValueError, match="3\\*units columns"):
        keras_to_pytorch(np.ones((3, 4)), np.ones((1, 3)))
    with pytest.raises(ValueError, match="lacks \\['weight_hh_l0'\\]"):
        pytorch_to_keras({"weight_ih_l0": np.ones((6, 3))})
    with pytest.raises(ValueError, match="lacks \\['bias_hh_l0'\\]"):
        pytorch_to_keras(
            {
                "weight_ih_l0": np.ones((6, 3)),
                "weight_hh_l0": np.ones((6, 2)),
                "bias_ih_l0": np.ones(6),
            }
        )
    with pytest.raises(ValueError, match="weight_hh_l0 must have shape \\(6, 2\\)"):
        pytorch_to_keras({"weight_ih_l0": np.ones((6, 3)), "weight_hh_l0": np.ones((2, 6))})
    with pytest.raises(TypeError, match="mapping"):
        pytorch_to_keras([np.ones((6, 3))])
    with pytest.raises(TypeError, match="gru must be a gru_lesson GRU, got str"):
        keras_equations("not a gru", x, h0)
    with pytest.raises(ValueError, match="reset_after=True"):
        keras_equations(GRU(gru.W, gru.R, gru.bx, reset_after=False), x, h0)
    with pytest.raises(ValueError, match="features"):
        MISTAKES["gate order [r, z, h]"](gru, x[..., :2], h0)
    with pytest.raises(ValueError, match="h0 must have shape"):
        MISTAKES["flipped z (Chung et al.)"](gru, x, h0[:1])
    with pytest.raises(ValueError, match="units must be an integer, at least 1"):
        random_keras_case(units=0)


def test_mistake_costs_needs_a_sequence_layer(keras, case):
    layer, x, h0 = case
    with pytest.raises(TypeError, match="keras.layers.GRU"):
        mistake_costs(GRU.from_keras(layer), x, h0)
    last_only = keras.layers.GRU(4, dtype="float64")
    last_only.build((None, None, 5))
    with pytest.raises(ValueError, match="return_sequences=True"):
        mistake_costs(last_only, x, h0)


# ------------------------------------------- the notebook's claims about Keras
def test_the_blog_example_shapes_and_parameter_counts(keras):
    D, U = 20, 32
    inputs = keras.Input(shape=(10, D))
    model = keras.Model(inputs, keras.layers.GRU(U, return_sequences=True)(inputs))
    x = np.random.default_rng(0).normal(size=(1, 10, D)).astype("float32")
    assert tuple(model(x).shape) == (1, 10, U)
    assert model.count_params() == 3 * (D * U + U * U + 2 * U) == 5184
    kernel, recurrent_kernel, bias = model.layers[-1].get_weights()
    assert (kernel.shape, recurrent_kernel.shape, bias.shape) == (
        (D, 3 * U),
        (U, 3 * U),
        (2, 3 * U),
    )
    assert not bias.any()  # Keras' default: zero biases

    last = keras.layers.GRU(U)
    assert tuple(last(x).shape) == (1, U)
    seq, state = keras.layers.GRU(U, return_sequences=True, return_state=True)(x)
    assert tuple(seq.shape) == (1, 10, U) and tuple(state.shape) == (1, U)
    np.testing.assert_array_equal(np.asarray(seq)[:, -1], np.asarray(state))

    before = keras.layers.GRU(U, reset_after=False)
    before.build((None, 10, D))
    assert before.get_weights()[2].shape == (3 * U,)
    assert before.count_params() == 3 * (D * U + U * U + U) == 5088 == 5184 - 3 * U


def test_set_floatx_is_ignored_once_a_layer_was_built(keras):
    built = keras.layers.GRU(2)
    built.build((None, 3, 4))
    try:
        keras.config.set_floatx("float64")
        late = keras.layers.GRU(2)
        late.build((None, 3, 4))
        assert late.get_weights()[0].dtype == np.float32
    finally:
        keras.config.set_floatx("float32")
    explicit = keras.layers.GRU(2, dtype="float64")
    explicit.build((None, 3, 4))
    assert explicit.get_weights()[0].dtype == np.float64


def test_z_and_r_recurrent_biases_merge_but_the_candidates_does_not():
    gru, x, h0 = numpy_case(seed=4)
    U = gru.units
    zr = np.r_[np.ones(2 * U), np.zeros(U)]  # 1 on the z and r blocks, 0 on the candidate's
    merged = GRU(gru.W, gru.R, gru.bx + zr * gru.bh, (1 - zr) * gru.bh)  # bh_z, bh_r moved into bx
    reference = gru.trace(x, initial_state=h0).h
    assert np.abs(merged.trace(x, initial_state=h0).h - reference).max() < 1e-12
    all_merged = GRU(gru.W, gru.R, gru.bx + gru.bh, np.zeros(3 * U))
    assert np.abs(all_merged.trace(x, initial_state=h0).h - reference).max() > 0.01


def test_randomize_biases(keras):
    layer = keras.layers.GRU(3, dtype="float64")
    layer.build((None, None, 2))
    randomize_biases(layer, seed=0)
    bias = layer.get_weights()[2]
    assert bias.shape == (2, 9) and np.abs(bias).min() > 0
    with pytest.raises(ValueError, match="not built"):
        randomize_biases(keras.layers.GRU(3))
    no_bias = keras.layers.GRU(3, use_bias=False)
    no_bias.build((None, None, 2))
    with pytest.raises(ValueError, match="use_bias=False"):
        randomize_biases(no_bias)
    with pytest.raises(TypeError, match="keras.layers.GRU"):
        randomize_biases(np.ones(3))
