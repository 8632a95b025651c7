"""The claims of notebook 01 (a GRU from scratch), recomputed through the package.

The hand-set gate claims (keep/write, latch, reset) are in test_handset.py.
"""

import numpy as np
import pytest

from gru_lesson import GRU, sigmoid
from gru_lesson.handset import gate_params, handset_gru


def per_gate_loop(x, h0, p, reset_after=True):
    """The notebook's step-by-step loop, one gate at a time, written independently here."""
    h, hs, zs, rs, cs = h0, [], [], [], []
    for t in range(x.shape[1]):
        x_t, h_prev = x[:, t], h
        if reset_after:
            z = sigmoid(x_t @ p["W_z"] + p["bx_z"] + h_prev @ p["R_z"] + p["bh_z"])
            r = sigmoid(x_t @ p["W_r"] + p["bx_r"] + h_prev @ p["R_r"] + p["bh_r"])
            h_tilde = np.tanh(x_t @ p["W_h"] + p["bx_h"] + r * (h_prev @ p["R_h"] + p["bh_h"]))
        else:
            z = sigmoid(x_t @ p["W_z"] + p["bx_z"] + h_prev @ p["R_z"])
            r = sigmoid(x_t @ p["W_r"] + p["bx_r"] + h_prev @ p["R_r"])
            h_tilde = np.tanh(x_t @ p["W_h"] + p["bx_h"] + (r * h_prev) @ p["R_h"])
        h = z * h_prev + (1 - z) * h_tilde
        zs.append(z), rs.append(r), cs.append(h_tilde), hs.append(h)
    return [np.stack(v, axis=1) for v in (zs, rs, cs, hs)]


def random_pieces(rng, D, U, reset_after=True):
    p = {}
    for g in "zrh":
        p[f"W_{g}"] = rng.normal(scale=0.5, size=(D, U))
        p[f"R_{g}"] = rng.normal(scale=0.5, size=(U, U))
        p[f"bx_{g}"] = rng.normal(scale=0.5, size=U)
        if reset_after:
            p[f"bh_{g}"] = rng.normal(scale=0.5, size=U)
    return p


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("shape", [(2, 6, 3, 4), (1, 1, 1, 1), (3, 9, 5, 2)])
def test_step_by_step_loop_equals_fused_gru(rng, reset_after, shape):
    B, T, D, U = shape
    p = random_pieces(rng, D, U, reset_after)
    x, h0 = rng.normal(size=(B, T, D)), rng.uniform(-1, 1, size=(B, U))
    W = np.concatenate([p["W_z"], p["W_r"], p["W_h"]], axis=1)
    R = np.concatenate([p["R_z"], p["R_r"], p["R_h"]], axis=1)
    bx = np.concatenate([p["bx_z"], p["bx_r"], p["bx_h"]])
    bh = np.concatenate([p["bh_z"], p["bh_r"], p["bh_h"]]) if reset_after else None
    gru = GRU(W, R, bx, bh, reset_after=reset_after, return_sequences=True)
    z, r, h_tilde, h = per_gate_loop(x, h0, p, reset_after)
    tr = gru.trace(x, initial_state=h0)
    for mine, theirs in [
        (h, gru(x, initial_state=h0)),
        (z, tr.z),
        (r, tr.r),
        (h_tilde, tr.h_tilde),
        (h, tr.h),
    ]:
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-12)
    # handset_gru fuses the same way, and gate_params splits back.
    fused = handset_gru(**p, reset_after=reset_after, return_sequences=True)
    np.testing.assert_array_equal(fused.W, W)
    np.testing.assert_array_equal(fused.R, R)
    np.testing.assert_array_equal(fused.bx, bx)
    if reset_after:
        np.testing.assert_array_equal(fused.bh, bh)
    np.testing.assert_allclose(fused(x, initial_state=h0), h, rtol=0, atol=1e-12)
    assert all(np.array_equal(gate_params(gru)[k], v) for k, v in p.items())


def test_new_state_lies_between_previous_state_and_candidate(rng):
    gru = handset_gru(**random_pieces(rng, 3, 4), return_sequences=True)
    tr = gru.trace(rng.normal(size=(5, 20, 3)), initial_state=rng.uniform(-1, 1, size=(5, 4)))
    h_prev = np.concatenate([tr.h0[:, None], tr.h[:, :-1]], axis=1)
    assert np.all((0 < tr.z) & (tr.z < 1) & (0 < tr.r) & (tr.r < 1)) and np.all(
        np.abs(tr.h_tilde) < 1
    )
    lo, hi = np.minimum(h_prev, tr.h_tilde), np.maximum(h_prev, tr.h_tilde)
    assert np.all((lo <= tr.h) & (tr.h <= hi))
    np.testing.assert_allclose(
        tr.h - h_prev, (1 - tr.z) * (tr.h_tilde - h_prev), rtol=0, atol=1e-15
    )


def test_trace_figure_unit_0_keeps_and_unit_1_follows():
    # Section 5's GRU and input, rebuilt from the same seeds.
    D, U, T = 2, 3, 40
    rng_small = np.random.default_rng(3)
    init = GRU.initialize(D, U, seed=1)
    bx, bh = rng_small.normal(scale=0.5, size=(2, 3 * U))
    small = GRU(init.W, init.R, bx, bh, return_sequences=True)
    t = np.arange(T)
    x = np.stack([np.sin(t / 4), np.cos(t / 7) + 0.3 * rng_small.normal(size=T)], axis=-1)[None]
    tr = small.trace(x, initial_state=np.full((1, U), 0.5))
    assert np.all(tr.z[0, :, 0] > 0.8) and np.all(tr.z[0, :, 1] < 0.5)
    z_mean = tr.z[0].mean(axis=0)
    assert z_mean[1] < z_mean[2] < z_mean[0]
    # "follows its candidate closely" vs "a slow, smoothed copy"
    gap = np.abs(tr.h - tr.h_tilde)[0].mean(axis=0)
    assert gap[1] < gap[0]


def param_count(D, U, reset_after=True):
    return 3 * (D * U + U * U + (2 * U if reset_after else U))


@pytest.mark.parametrize("D, U", [(5, 8), (1, 1), (3, 4), (32, 64), (7, 2)])
def test_parameter_count_formula(D, U):
    for reset_after in (True, False):
        assert GRU.initialize(D, U, reset_after=reset_after, seed=0).count_params() == param_count(
            D, U, reset_after
        )
    assert param_count(5, 8, True) == 360 and param_count(5, 8, False) == 336


def test_parameter_count_matches_keras(keras):
    for D, U in [(5, 8), (3, 4)]:
        for reset_after in (True, False):
            layer = keras.layers.GRU(U, reset_after=reset_after)
            layer.build((None, None, D))
            assert layer.count_params() == param_count(D, U, reset_after)
        rnn = keras.layers.SimpleRNN(U)
        rnn.build((None, None, D))
        assert rnn.count_params() == D * U + U * U + U  # "a GRU costs about three times as much"


# ------------------------------------------------ the exercises can be solved


def test_exercise_1_reset_before_candidate_is_solvable():
    rng = np.random.default_rng(101)
    pieces = {}
    for prefix, shape in (("W", (3, 4)), ("R", (4, 4)), ("bx", (4,))):
        for g in "zrh":
            pieces[f"{prefix}_{g}"] = rng.normal(size=shape)
    gru = handset_gru(**pieces, reset_after=False)
    x, h0 = rng.normal(size=(2, 1, 3)), rng.uniform(-1, 1, size=(2, 4))
    tr = gru.trace(x, initial_state=h0)
    p = gate_params(gru)
    solution = np.tanh(x[:, 0] @ p["W_h"] + p["bx_h"] + (tr.r[:, 0] * h0) @ p["R_h"])
    np.testing.assert_allclose(solution, tr.h_tilde[:, 0], rtol=0, atol=1e-12)
    # and the reset-after line is a wrong answer there (the check must be able to fail)
    wrong = np.tanh(x[:, 0] @ p["W_h"] + p["bx_h"] + tr.r[:, 0] * (h0 @ p["R_h"]))
    assert not np.allclose(wrong, tr.h_tilde[:, 0], rtol=0, atol=1e-12)


def test_exercise_2_closed_form_is_solvable():
    for b_z, x_value, h_start in [(2.0, 0.7, -0.9), (-0.5, -1.2, 0.3), (4.0, 0.1, 1.0)]:
        gru = handset_gru(W_h=1.0, bx_z=b_z, return_sequences=True)
        h = gru(np.full((1, 12, 1), x_value), initial_state=np.array([[h_start]]))[0, :, 0]
        z, c = sigmoid(b_z), np.tanh(x_value)
        for k in range(1, 13):
            assert np.isclose(z**k * h_start + (1 - z**k) * c, h[k - 1], rtol=0, atol=1e-12)
            # the flipped convention is a wrong answer
            assert not np.isclose(
                (1 - z) ** k * h_start + (1 - (1 - z) ** k) * c, h[k - 1], rtol=0, atol=1e-12
            )


def test_exercise_3_both_targets_are_reachable():
    x = np.random.default_rng(303).normal(size=(1, 20, 1))

    def final_gap(b):
        gru = handset_gru(W_h=1.0, bx_z=b)
        return abs(
            float(
                gru(x, initial_state=np.array([[1.0]]))[0, 0]
                - gru(x, initial_state=np.array([[-1.0]]))[0, 0]
            )
        )

    # The candidate ignores h, so the gap shrinks by z each step: gap = 2 z^20.
    for b in (-2.0, 0.0, 3.0, 5.0):
        assert np.isclose(final_gap(b), 2 * sigmoid(b) ** 20, rtol=1e-9)
    assert final_gap(3.0) > 0.5 and final_gap(0.0) < 1e-3
    assert not final_gap(2.0) > 0.5 and not final_gap(1.0) < 1e-3  # the targets are not trivial
