"""The tanh RNN baseline: Keras' SimpleRNN forward, gradients by central differences."""

import numpy as np
import pytest

from gru_lesson.compare import relative_error
from gru_lesson.gradcheck import numerical_gradient
from gru_lesson.rnn import TanhRNN, rnn_backward


def case(seed=0, B=3, T=5, D=2, U=4):
    rng = np.random.default_rng(seed)
    rnn = TanhRNN.initialize(D, U, seed=seed)
    rnn.b[:] = rng.normal(scale=0.5, size=U)
    return (
        rnn,
        rng.normal(size=(B, T, D)),
        rng.normal(scale=0.5, size=(B, U)),
        rng.normal(size=(B, T, U)),
    )


def test_rnn_gradients_match_central_differences():
    rnn, x, h0, G = case()

    def loss():
        return float(np.sum(G * rnn.trace(x, h0).h))

    grads = rnn_backward(rnn, x, rnn.trace(x, h0), G)
    for name, a in dict(rnn.params, x=x, h0=h0).items():
        err = relative_error(grads[name], numerical_gradient(loss, a))
        assert err < 1e-7, f"{name}: {err:.1e}"


def test_rnn_matches_keras_simple_rnn(keras):
    rnn, x, h0, _ = case(1)
    layer = keras.layers.SimpleRNN(rnn.units, dtype="float64")
    layer.build((None, None, rnn.input_dim))
    layer.set_weights([rnn.W, rnn.R, rnn.b])
    expected = np.asarray(layer(x, initial_state=h0))
    assert np.abs(rnn(x, h0) - expected).max() < 1e-12


def test_rnn_initialization_is_orthogonal_and_checked():
    rnn = TanhRNN.initialize(3, 5, seed=0)
    np.testing.assert_allclose(rnn.R @ rnn.R.T, np.eye(5), atol=1e-12)
    with pytest.raises(ValueError, match="features"):
        rnn.trace(np.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match="dh_seq"):
        rnn_backward(rnn, np.zeros((1, 2, 3)), rnn.trace(np.zeros((1, 2, 3))), np.zeros((1, 2)))
