"""Backpropagation through time for the NumPy GRU: against central differences and
against TensorFlow's autodiff of the real Keras layer, in both conventions."""

import itertools

import numpy as np
import pytest

from gru_lesson import GRU
from gru_lesson.bptt import dh_seq_from_outputs, gru_backward, gru_loss_and_grads
from gru_lesson.gradcheck import (
    gradient_by_distance,
    gradient_check,
    keras_gru_gradients,
    numerical_gradient,
)

CONVENTIONS = list(itertools.product([True, False], [True, False]))  # reset_after, use_bias
IDS = [f"reset_after={ra}-use_bias={ub}" for ra, ub in CONVENTIONS]


def random_case(reset_after, use_bias, seed, B=3, T=5, D=3, U=4, **options):
    """A float64 GRU with random (non-zero) biases, random inputs, a non-zero h0."""
    rng = np.random.default_rng(seed)
    gru = GRU.initialize(D, U, seed=seed, reset_after=reset_after, use_bias=use_bias, **options)
    if use_bias:
        gru.bx[:] = rng.normal(scale=0.7, size=3 * U)
        if reset_after:
            gru.bh[:] = rng.normal(scale=0.7, size=3 * U)
    x = rng.normal(size=(B, T, D))
    h0 = rng.normal(scale=0.7, size=(B, U))
    out_shape = (B, T, U) if gru.return_sequences else (B, U)
    G = rng.normal(size=out_shape)
    return gru, x, h0, G, rng


# ---------------------------------------------------------------- finite differences
@pytest.mark.parametrize(("reset_after", "use_bias"), CONVENTIONS, ids=IDS)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_every_gradient_matches_central_differences(reset_after, use_bias, return_sequences):
    gru, x, h0, G, _ = random_case(reset_after, use_bias, seed=1, return_sequences=return_sequences)
    errors = gradient_check(gru, x, G, initial_state=h0, show=False)
    expected = {"W", "R", "x", "h0"} | ({"bx"} if use_bias else set())
    if use_bias and reset_after:
        expected.add("bh")
    assert set(errors) == expected
    for name, err in errors.items():
        assert err < 1e-7, f"{name}: relative error {err:.1e}"


@pytest.mark.parametrize(("reset_after", "use_bias"), CONVENTIONS, ids=IDS)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_masks_and_go_backwards_match_central_differences(reset_after, use_bias, go_backwards):
    gru, x, h0, G, rng = random_case(
        reset_after, use_bias, seed=2, T=6, return_sequences=True, go_backwards=go_backwards
    )
    mask = rng.random(x.shape[:2]) > 0.4
    mask[0, :2] = False  # masked at the start: output zeros, h0 carried
    mask[1, -1] = False  # masked at the end
    mask[2, :] = True
    errors = gradient_check(gru, x, G, initial_state=h0, mask=mask, show=False)
    for name, err in errors.items():
        assert err < 1e-7, f"{name}: relative error {err:.1e}"


def test_gradient_check_flags_a_broken_backward_pass(monkeypatch, capsys):
    import gru_lesson.bptt as bptt

    right = bptt._backward

    def forgets_the_direct_path(gru, x, trace, dh_seq, inputs):
        # A classic bug: the gradient reaching h_prev skips the "dh * z" term.
        grads = right(gru, x, trace, dh_seq, inputs)
        grads["h0"] = grads["h0"] - dh_seq[:, 0] * trace.z[:, 0]
        return grads

    gru, x, h0, G, _ = random_case(True, True, seed=10, T=1)
    monkeypatch.setattr(bptt, "_backward", forgets_the_direct_path)
    errors = gradient_check(gru, x, G, initial_state=h0)
    out = capsys.readouterr().out
    assert errors["h0"] > 1e-2 and errors["W"] < 1e-7
    assert "WRONG" in out and out.count(" ok") == len(errors) - 1


def test_numerical_gradient_of_a_known_function():
    a = np.array([[1.0, -2.0], [0.5, 3.0]])
    g = numerical_gradient(lambda: float(np.sum(a**3)), a)
    np.testing.assert_allclose(g, 3 * a**2, rtol=1e-8)
    assert np.array_equal(a, [[1.0, -2.0], [0.5, 3.0]]), "the array is restored"
    part = numerical_gradient(lambda: float(np.sum(a**3)), a, indices=[1])
    assert np.isnan(part[0, 0]) and part[0, 1] == pytest.approx(12.0)
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda: 0.0, a.astype(np.float32))


# ---------------------------------------------------------------- TensorFlow's autodiff
@pytest.mark.parametrize(("reset_after", "use_bias"), CONVENTIONS, ids=IDS)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_every_gradient_matches_tensorflow(keras, reset_after, use_bias, return_sequences):
    gru, x, h0, G, _ = random_case(
        reset_after, use_bias, seed=3, B=4, T=7, D=5, U=6, return_sequences=return_sequences
    )
    reference = keras_gru_gradients(gru, x, G, initial_state=h0)
    _, grads = gru_loss_and_grads(gru, x, G, initial_state=h0, inputs=True)
    assert set(reference) == set(grads) - {"h"}
    for name, ref in reference.items():
        diff = np.abs(grads[name] - ref).max()
        assert diff < 1e-10, f"{name}: max |diff| {diff:.1e}"


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_masked_gradients_match_tensorflow(keras, reset_after, go_backwards, zero_output_for_mask):
    gru, x, h0, G, rng = random_case(
        reset_after,
        True,
        seed=4,
        B=4,
        T=7,
        return_sequences=True,
        go_backwards=go_backwards,
        zero_output_for_mask=zero_output_for_mask,
    )
    mask = rng.random(x.shape[:2]) > 0.4
    mask[0, :3] = False
    mask[1] = True
    mask[2, -2:] = False
    reference = keras_gru_gradients(gru, x, G, initial_state=h0, mask=mask)
    # Keras returns the sequence with the zero_output_for_mask of the layer it built.
    layer = gru.to_keras(zero_output_for_mask=zero_output_for_mask)
    out = np.asarray(layer(x, initial_state=h0, mask=mask))
    np.testing.assert_allclose(gru(x, initial_state=h0, mask=mask), out, atol=1e-12)
    _, grads = gru_loss_and_grads(gru, x, G, initial_state=h0, mask=mask, inputs=True)
    for name, ref in reference.items():
        diff = np.abs(grads[name] - ref).max()
        assert diff < 1e-10, f"{name}: max |diff| {diff:.1e}"


# ---------------------------------------------------------------- the bookkeeping
def test_a_batch_gradient_is_the_sum_of_its_examples():
    gru, x, h0, G, _ = random_case(True, True, seed=5, B=3, T=4)
    _, whole = gru_loss_and_grads(gru, x, G, initial_state=h0, inputs=True)
    parts = [
        gru_loss_and_grads(
            gru, x[i : i + 1], G[i : i + 1], initial_state=h0[i : i + 1], inputs=True
        )[1]
        for i in range(3)
    ]
    for name in ("W", "R", "bx", "bh"):
        np.testing.assert_allclose(whole[name], sum(p[name] for p in parts), atol=1e-13)
    np.testing.assert_allclose(whole["x"], np.concatenate([p["x"] for p in parts]), atol=1e-13)


def test_a_loss_on_the_last_state_only_needs_dh_at_the_last_step():
    gru, x, h0, G, _ = random_case(False, True, seed=6, T=4)
    trace = gru.trace(x, initial_state=h0)
    dh_seq = np.zeros_like(trace.h)
    dh_seq[:, -1] = G
    grads = gru_backward(gru, x, trace, dh_seq)
    np.testing.assert_array_equal(grads["h"][:, -1], G)
    # Every earlier step still gets a gradient, through time.
    assert np.all(np.abs(grads["h"][:, 0]).sum(axis=1) > 0)
    np.testing.assert_array_equal(dh_seq_from_outputs(gru, trace, G), dh_seq)


def test_a_fully_masked_sequence_passes_its_state_gradient_to_h0():
    """Its output is zeros (no gradient), its final state is h0 (the state's gradient)."""
    gru, x, h0, G, rng = random_case(True, True, seed=7, B=2, T=4, return_state=True)
    G_state = rng.normal(size=G.shape)
    mask = np.ones((2, 4), bool)
    mask[0] = False
    _, grads = gru_loss_and_grads(gru, x, [G, G_state], initial_state=h0, mask=mask, inputs=True)
    np.testing.assert_array_equal(grads["h0"][0], G_state[0])  # the state is h0 there
    np.testing.assert_array_equal(grads["x"][0], 0.0)
    _, grads = gru_loss_and_grads(gru, x, G, initial_state=h0, mask=mask, inputs=True)
    np.testing.assert_array_equal(grads["h0"][0], 0.0)  # the output is zeros there


def test_return_state_gradient_adds_at_the_last_step():
    gru, x, h0, G, rng = random_case(True, True, seed=8, return_sequences=True)
    trace = gru.trace(x, initial_state=h0)
    d_state = rng.normal(size=G.shape[::2])
    dh_seq = dh_seq_from_outputs(gru, trace, G, d_final_state=d_state)
    np.testing.assert_allclose(dh_seq[:, -1], G[:, -1] + d_state)
    np.testing.assert_allclose(dh_seq[:, :-1], G[:, :-1])


def test_a_training_step_computes_the_weights_gradients_only_unless_asked(monkeypatch):
    """inputs=False (gru_loss_and_grads' default) skips dx = da W^T, and asking for "x" or
    "h0" then says how to get them."""
    gru, x, h0, G, _ = random_case(True, True, seed=11, return_sequences=True)
    loss, asked = gru_loss_and_grads(gru, x, G, initial_state=h0, inputs=True)
    assert set(asked) == {"W", "R", "bx", "bh", "x", "h0", "h"}
    products = []
    W_T = gru.W.T.copy()

    class SpyW(np.ndarray):
        @property
        def T(self):
            products.append("dx")
            return W_T

    monkeypatch.setattr(gru, "W", gru.W.view(SpyW))
    loss_weights, weights_only = gru_loss_and_grads(gru, x, G, initial_state=h0)
    assert loss_weights == loss
    assert set(weights_only) == {"W", "R", "bx", "bh", "h"} and products == []
    for name in ("W", "R", "bx", "bh", "h"):
        np.testing.assert_array_equal(weights_only[name], asked[name])
    for name in ("x", "h0"):
        with pytest.raises(KeyError, match="weights' gradients only; pass inputs=True"):
            weights_only[name]
    with pytest.raises(KeyError):
        weights_only["V"]


def test_the_readable_gru_runs_its_steps_on_one_blas_thread(monkeypatch):
    """Each step's products are small: on a busy machine, BLAS threads waiting for each
    other would cost more than they save."""
    from threadpoolctl import threadpool_info, threadpool_limits

    import gru_lesson.bptt as bptt
    import gru_lesson.gru as gru_module

    seen = []

    def blas_now():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    def spying_on(function):
        def spy(*args):
            seen.append(blas_now())
            return function(*args)

        return spy

    monkeypatch.setattr(bptt, "_backward", spying_on(bptt._backward))  # the backward pass
    monkeypatch.setattr(gru_module, "_sigmoid", spying_on(gru_module._sigmoid))  # a forward step
    gru, x, h0, G, _ = random_case(True, True, seed=12)
    with threadpool_limits(limits=2, user_api="blas"):  # as on a machine of 2 cores or more
        gru_loss_and_grads(gru, x, G, initial_state=h0)
    assert len(seen) == 1 + 2 * x.shape[1] and all(n == [1] * len(n) for n in seen)


def test_float32_gru_gives_float32_gradients():
    gru = GRU.initialize(2, 3, seed=0, dtype=np.float32)
    x = np.ones((2, 4, 2), np.float32)
    trace = gru.trace(x)
    grads = gru_backward(gru, x, trace, np.ones((2, 4, 3), np.float32))
    assert all(g.dtype == np.float32 for g in grads.values())


def test_bad_input_is_refused_clearly():
    gru, x, h0, G, _ = random_case(True, True, seed=9)
    trace = gru.trace(x, initial_state=h0)
    with pytest.raises(ValueError, match=r"dh_seq .* must have shape \(3, 5, 4\)"):
        gru_backward(gru, x, trace, np.zeros((3, 4)))
    with pytest.raises(ValueError, match="was the trace computed on this x"):
        gru_backward(gru, x[:, :3], trace, np.zeros((3, 3, 4)))
    with pytest.raises(TypeError, match="GRUTrace"):
        gru_backward(gru, x, trace.h, np.zeros((3, 5, 4)))
    with pytest.raises(TypeError, match="gru_lesson.GRU"):
        gru_backward("gru", x, trace, np.zeros((3, 5, 4)))
    with pytest.raises(TypeError, match="float64 GRU"):
        gradient_check(GRU.initialize(3, 4, dtype=np.float32), x, G)
    with pytest.raises(TypeError, match="inputs must be True or False"):
        gru_loss_and_grads(gru, x, G, inputs="yes")
    with pytest.raises(TypeError, match="inputs must be True or False"):
        gru_backward(gru, x, trace, np.zeros((3, 5, 4)), inputs=None)


# ---------------------------------------------------------------- vanishing gradients
def test_gradient_by_distance_claims_of_notebook_03():
    tanh = gradient_by_distance("simple_rnn")
    gru = {b: gradient_by_distance("gru", update_gate_bias=b) for b in (0, 1, 2, 3)}
    assert tanh[0] == gru[0][0] == 1.0
    for curve in (tanh, *gru.values()):
        assert np.all(np.diff(curve) < 0), "the gradient shrinks with every step back"
    # At initialization (zero biases, z near 1/2) the GRU loses its gradient faster
    # than a tanh RNN; every unit of update-gate bias keeps more of it.
    assert gru[0][30] < tanh[30]
    assert gru[0][30] < gru[1][30] < gru[2][30] < gru[3][30]
    assert gru[0][30] < 1e-6 and gru[3][30] > 0.2
    # Section 7's reading of it: 19 steps back, about a tenth with b_z = 2, ~1e-4 without.
    assert gru[2][19] > 0.05 and gru[0][19] < 1e-3
    assert gru[3][30] > 1000 * tanh[30]


def test_gradient_by_distance_refuses_nonsense():
    with pytest.raises(ValueError, match="kind"):
        gradient_by_distance("lstm")
    with pytest.raises(ValueError, match="no update gate"):
        gradient_by_distance("simple_rnn", update_gate_bias=2.0)
