"""The NumPy GRU on its own: equations, shapes, conventions, masks and bad input."""

import subprocess
import sys

import numpy as np
import pytest

from gru_lesson import GRU, sigmoid, split_gates


def random_gru(rng, D=4, U=3, reset_after=True, use_bias=True, **options):
    W = rng.normal(size=(D, 3 * U))
    R = rng.normal(size=(U, 3 * U))
    bx = rng.normal(size=3 * U) if use_bias else None
    bh = rng.normal(size=3 * U) if (use_bias and reset_after) else None
    return GRU(W, R, bx, bh, reset_after=reset_after, **options)


def reference_step(gru, x_t, h_prev):
    """The equations written out gate by gate, with separate matrices."""
    W_z, W_r, W_h = split_gates(gru.W)
    R_z, R_r, R_h = split_gates(gru.R)
    zero = np.zeros(3 * gru.units)
    bx_z, bx_r, bx_h = split_gates(gru.bx if gru.bx is not None else zero)
    bh_z, bh_r, bh_h = split_gates(gru.bh if gru.bh is not None else zero)
    z = sigmoid(x_t @ W_z + bx_z + h_prev @ R_z + bh_z)
    r = sigmoid(x_t @ W_r + bx_r + h_prev @ R_r + bh_r)
    if gru.reset_after:
        h_tilde = np.tanh(x_t @ W_h + bx_h + r * (h_prev @ R_h + bh_h))
    else:
        h_tilde = np.tanh(x_t @ W_h + bx_h + (r * h_prev) @ R_h)
    return z, r, h_tilde, z * h_prev + (1 - z) * h_tilde


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("use_bias", [True, False])
def test_trace_follows_the_equations(rng, reset_after, use_bias):
    gru = random_gru(rng, reset_after=reset_after, use_bias=use_bias)
    x = rng.normal(size=(2, 5, 4))
    h0 = rng.normal(size=(2, 3))
    tr = gru.trace(x, initial_state=h0)
    h = h0
    for t in range(5):
        z, r, h_tilde, h = reference_step(gru, x[:, t], h)
        np.testing.assert_allclose(tr.z[:, t], z, atol=1e-13)
        np.testing.assert_allclose(tr.r[:, t], r, atol=1e-13)
        np.testing.assert_allclose(tr.h_tilde[:, t], h_tilde, atol=1e-13)
        np.testing.assert_allclose(tr.h[:, t], h, atol=1e-13)
    np.testing.assert_allclose(gru(x, initial_state=h0), h, atol=1e-13)


def test_reset_conventions_really_differ(rng):
    """Same weights, reset before or after the product: different numbers."""
    a = random_gru(rng, reset_after=True)
    b = GRU(a.W, a.R, a.bx, reset_after=False)
    x = rng.normal(size=(2, 5, 4))
    h0 = rng.normal(size=(2, 3))
    assert np.abs(a(x, initial_state=h0) - b(x, initial_state=h0)).max() > 1e-3


def test_output_structure(rng):
    x = rng.normal(size=(2, 5, 4))
    assert random_gru(rng)(x).shape == (2, 3)
    seq = random_gru(rng, return_sequences=True)
    assert seq(x).shape == (2, 5, 3)
    out, state = random_gru(rng, return_sequences=True, return_state=True)(x)
    assert out.shape == (2, 5, 3) and state.shape == (2, 3)
    np.testing.assert_array_equal(out[:, -1], state)


def test_go_backwards_reads_the_sequence_reversed(rng):
    fwd = random_gru(rng, return_sequences=True)
    bwd = GRU(fwd.W, fwd.R, fwd.bx, fwd.bh, go_backwards=True, return_sequences=True)
    x = rng.normal(size=(2, 5, 4))
    np.testing.assert_allclose(bwd(x), fwd(x[:, ::-1]), atol=1e-14)


def test_masked_steps_carry_the_state(rng):
    gru = random_gru(rng, return_sequences=True, return_state=True)
    x = rng.normal(size=(1, 4, 4))
    mask = np.array([[True, False, True, False]])
    out, state = gru(x, mask=mask)
    # Skipping masked steps is the same as deleting them.
    _, state_short = gru(x[:, [0, 2]])
    np.testing.assert_allclose(state, state_short, atol=1e-14)
    np.testing.assert_array_equal(out[:, 1], out[:, 0])  # previous output repeated
    np.testing.assert_array_equal(out[:, 3], out[:, 2])


def test_zero_output_for_mask(rng):
    gru = random_gru(rng, return_sequences=True, zero_output_for_mask=True)
    x = rng.normal(size=(1, 3, 4))
    out = gru(x, mask=np.array([[True, False, True]]))
    assert np.all(out[:, 1] == 0) and np.all(out[:, 0] != 0)


def test_weights_dtype_decides_compute_dtype(rng):
    gru = random_gru(rng)
    g32 = GRU(
        *(None if p is None else p.astype(np.float32) for p in (gru.W, gru.R, gru.bx, gru.bh))
    )
    x = rng.normal(size=(2, 5, 4))
    assert g32(x).dtype == np.float32
    assert gru(x.astype(np.float32)).dtype == np.float64
    np.testing.assert_allclose(g32(x), gru(x), atol=1e-5)


def test_sigmoid_is_stable_and_exact():
    a = np.array([-1000.0, -5.0, 0.0, 5.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = sigmoid(a)
    np.testing.assert_allclose(
        s, [0.0, 1 / (1 + np.exp(5)), 0.5, 1 / (1 + np.exp(-5)), 1.0], rtol=1e-15
    )


@pytest.mark.parametrize("reset_after", [True, False])
def test_initialize_matches_keras_conventions(reset_after):
    gru = GRU.initialize(5, 8, reset_after=reset_after, seed=0)
    # The parameter counts Keras reports for GRU(8) on 5 features.
    assert gru.count_params() == (360 if reset_after else 336)
    # The recurrent kernel is orthogonal: its rows are orthonormal.
    np.testing.assert_allclose(gru.R @ gru.R.T, np.eye(8), atol=1e-12)
    limit = np.sqrt(6 / (5 + 24))
    assert np.abs(gru.W).max() <= limit and np.all(gru.bx == 0)


def test_import_does_not_load_tensorflow():
    code = "import sys, gru_lesson; print('tensorflow' in sys.modules or 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------- bad input
def test_rejects_wrong_rank(rng):
    gru = random_gru(rng)
    with pytest.raises(
        ValueError, match=r"x must be 3-D \(batch, time, features\), got shape \(5, 4\)"
    ):
        gru(rng.normal(size=(5, 4)))


def test_rejects_wrong_feature_size(rng):
    with pytest.raises(ValueError, match=r"x must have 4 features .* got shape \(2, 5, 7\)"):
        random_gru(rng)(rng.normal(size=(2, 5, 7)))


def test_rejects_empty_sequence(rng):
    with pytest.raises(ValueError, match="at least one time step"):
        random_gru(rng)(np.zeros((2, 0, 4)))


def test_rejects_nan_input(rng):
    x = rng.normal(size=(2, 5, 4))
    x[1, 3, 2] = np.nan
    with pytest.raises(ValueError, match=r"x must be finite.*1 NaN/inf.*\(1, 3, 2\)"):
        random_gru(rng)(x)


def test_rejects_non_numeric_input(rng):
    with pytest.raises(TypeError, match="x must hold real numbers, got dtype <U1"):
        random_gru(rng)(np.full((1, 2, 4), "a"))


def test_rejects_bad_initial_state(rng):
    gru = random_gru(rng)
    x = rng.normal(size=(2, 5, 4))
    with pytest.raises(ValueError, match=r"initial_state must have shape \(2, 3\), got \(3,\)"):
        gru(x, initial_state=np.zeros(3))
    with pytest.raises(ValueError, match="one state"):
        gru(x, initial_state=[np.zeros((2, 3)), np.zeros((2, 3))])


def test_rejects_bad_mask(rng):
    gru = random_gru(rng)
    x = rng.normal(size=(2, 5, 4))
    with pytest.raises(
        ValueError, match=r"mask must have shape \(batch, time\) = \(2, 5\), got \(2, 4\)"
    ):
        gru(x, mask=np.ones((2, 4), bool))
    with pytest.raises(TypeError, match="mask must be boolean.*float64"):
        gru(x, mask=np.ones((2, 5)))


def test_rejects_mismatched_weights(rng):
    with pytest.raises(ValueError, match=r"3\*units columns.*\(4, 10\)"):
        GRU(rng.normal(size=(4, 10)), rng.normal(size=(3, 9)))
    with pytest.raises(
        ValueError, match=r"R \(recurrent weights\) must have shape .* \(3, 9\) .* got \(4, 9\)"
    ):
        GRU(rng.normal(size=(4, 9)), rng.normal(size=(4, 9)))
    with pytest.raises(ValueError, match=r"bx \(input bias\) must have shape \(9,\), got \(2, 9\)"):
        GRU(rng.normal(size=(4, 9)), rng.normal(size=(3, 9)), np.zeros((2, 9)), np.zeros(9))
    with pytest.raises(ValueError, match="two bias rows or none"):
        GRU(rng.normal(size=(4, 9)), rng.normal(size=(3, 9)), np.zeros(9))
    with pytest.raises(ValueError, match="single bias row"):
        GRU(
            rng.normal(size=(4, 9)),
            rng.normal(size=(3, 9)),
            np.zeros(9),
            np.zeros(9),
            reset_after=False,
        )


def test_training_mode_with_dropout_is_refused(rng):
    gru = random_gru(rng, dropout=0.2)
    x = rng.normal(size=(2, 5, 4))
    with pytest.raises(NotImplementedError, match="dropout=0.2"):
        gru(x, training=True)
    np.testing.assert_array_equal(gru(x, training=False), gru(x))
