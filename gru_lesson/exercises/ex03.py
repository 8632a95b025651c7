"""The exercises of notebook 03, backpropagation through time: ``q1`` to ``q4``.

Each check runs your formula on random GRU steps of its own and compares it with
the gradient that ``gru_lesson.bptt.gru_backward`` computes for the same step
(itself checked against central differences and TensorFlow). NumPy only.
"""

from __future__ import annotations

import numpy as np

from gru_lesson.bptt import gru_backward
from gru_lesson.exercises import (
    Exercise,
    Mistake,
    as_array,
    matching_mistake,
    require_function,
    same,
)
from gru_lesson.gru import GRU, sigmoid, split_gates

__all__ = ["q1", "q2", "q3", "q4"]

ATOL = 1e-12


# ------------------------------------------------------------ one random step
def _one_step(reset_after, seed):
    """One step of a random float64 GRU: every named value, and the true gradients.

    Random biases and a non-zero h_prev, so that no term hides behind a zero;
    B, D and U all differ, so that a transpose shows as a wrong shape or value.
    """
    rng = np.random.default_rng(seed)
    B, D, U = 3, 2, 4
    gru = GRU.initialize(D, U, seed=seed, reset_after=reset_after)
    gru.bx[:] = rng.normal(scale=0.5, size=3 * U)
    if gru.bh is not None:
        gru.bh[:] = rng.normal(scale=0.5, size=3 * U)
    x = rng.normal(size=(B, 1, D))
    h_prev = rng.uniform(-0.9, 0.9, size=(B, U))
    dh = rng.normal(size=(B, U))
    trace = gru.trace(x, initial_state=h_prev)
    R_z, R_r, R_h = split_gates(gru.R)
    step = {
        "x_t": x[:, 0],
        "W": gru.W,
        "bx": gru.bx,
        "bh": gru.bh,
        "dh": dh,
        "z": trace.z[:, 0],
        "r": trace.r[:, 0],
        "h_tilde": trace.h_tilde[:, 0],
        "h_prev": h_prev,
        "R": gru.R,
        "R_z": R_z,
        "R_r": R_r,
        "R_h": R_h,
    }
    if reset_after:
        step["m"] = h_prev @ R_h + split_gates(gru.bh)[2]
    # With one example and one step, the input-side bias's gradient is exactly that
    # step's [da_z | da_r | da_h]: run the backward pass example by example.
    da = []
    for b in range(B):
        one = slice(b, b + 1)
        trace_b = gru.trace(x[one], initial_state=h_prev[one])
        da.append(gru_backward(gru, x[one], trace_b, dh[one, None])["bx"])
    da_z, da_r, da_h = split_gates(np.stack(da))
    dh_prev = gru_backward(gru, x, trace, dh[:, None])["h0"]
    return step, {"da_z": da_z, "da_r": da_r, "da_h": da_h, "dh_prev": dh_prev}


def _steps(reset_after):
    return [_one_step(reset_after, seed) for seed in (31, 32, 33)]


def _shape_problem(mine, expected, name, what):
    """A message when ``mine`` is not shaped like ``expected`` (B, U), else None."""
    B, U = expected.shape
    if mine.shape == expected.shape:
        return None
    if mine.shape == (U, B):
        return (
            f"{name} returned shape {mine.shape}, it looks transposed: {what} is (B, U) = "
            f"{(B, U)}, one row per example, like the state."
        )
    if mine.shape in {(U,), (1, U)}:
        return (
            f"{name} returned shape {mine.shape}: you summed or averaged over the batch. {what} "
            f"has one row per example, (B, U) = {(B, U)}; only weight gradients sum over the batch."
        )
    return (
        f"{name} returned shape {mine.shape}; {what} is shaped like the state, (B, U) = {(B, U)}. "
        "Elementwise products keep that shape; check each matrix product's two sides."
    )


def _check_step(answer, name, what, *, reset_after, args, target, mistakes, otherwise):
    """Run ``answer`` on the random steps; raise a :class:`Mistake` naming what is wrong."""
    require_function(answer, name)
    for step, truth in _steps(reset_after):
        mine = as_array(answer(**{a: step[a].copy() for a in args}), name)
        expected = truth[target]
        problem = _shape_problem(mine, expected, name, what)
        if problem:
            raise Mistake(problem)
        if not same(mine, expected, atol=ATOL):
            raise Mistake(matching_mistake(mine, mistakes(step, truth), atol=ATOL) or otherwise)


# ------------------------------------------------------ q1: the update gate
def update_gate_gradient(dh, z, h_prev, h_tilde):
    """da_z, the gradient of the update gate's pre-activation a_z, (B, U)."""
    dz = dh * (h_prev - h_tilde)  # h = z h_prev + (1 - z) h~ grows with z by h_prev - h~
    return dz * z * (1 - z)  # through the sigmoid: sigma'(a_z) = z (1 - z)


_NO_SIGMOID = (
    "The sigmoid's derivative is missing: that is dz, the gradient of the gate z itself. "
    "da_z is the gradient of the pre-activation a_z, one step further back, through z = sigmoid(a_z)."
)


def _update_gate_mistakes(step, truth):
    dh, z, h_prev, h_tilde = (step[k] for k in ("dh", "z", "h_prev", "h_tilde"))
    gap = h_prev - h_tilde
    return [
        (_NO_SIGMOID, dh * gap),
        (
            "A sign error: you have h~ - h_prev where the derivative of "
            "h = z * h_prev + (1 - z) * h~ with respect to z is h_prev - h~. (The flipped "
            "convention, h = (1 - z) h_prev + z h~, gives exactly your sign.)",
            -dh * gap * z * (1 - z),
        ),
        (
            "You used tanh's derivative, 1 - z**2. z comes out of a sigmoid, whose "
            "derivative, written with its output, is z * (1 - z).",
            dh * gap * (1 - z**2),
        ),
        (
            "You applied the sigmoid's derivative to z as if z were the pre-activation. z is "
            "already sigmoid(a_z), so the derivative is simply z * (1 - z).",
            dh * gap * sigmoid(z) * (1 - sigmoid(z)),
        ),
        (
            "Half of the sigmoid's derivative: sigma'(a) = sigma(a) (1 - sigma(a)), that is "
            "z * (1 - z), two factors.",
            dh * gap * z,
        ),
        (
            "Half of the sigmoid's derivative: sigma'(a) = sigma(a) (1 - sigma(a)), that is "
            "z * (1 - z), two factors.",
            dh * gap * (1 - z),
        ),
        (
            "z appears in both terms of h = z * h_prev + (1 - z) * h~. You differentiated only "
            "the first one.",
            dh * h_prev * z * (1 - z),
        ),
        (
            "z appears in both terms of h = z * h_prev + (1 - z) * h~. You differentiated only "
            "the second one.",
            -dh * h_tilde * z * (1 - z),
        ),
        (
            "(1 - z) is what the candidate's gradient gets, dh~ = dh * (1 - z). The update "
            "gate gets dz = dh * (h_prev - h~).",
            dh * (1 - z) * z * (1 - z),
        ),
        (
            "dh is missing: the chain rule starts from the gradient that reaches h.",
            gap * z * (1 - z),
        ),
    ]


q1 = Exercise(
    "Exercise 1 (the update gate's gradient)",
    lambda answer: _check_step(
        answer,
        "update_gate_gradient",
        "da_z",
        reset_after=True,
        args=("dh", "z", "h_prev", "h_tilde"),
        target="da_z",
        mistakes=_update_gate_mistakes,
        otherwise="Right shape, but not the update gate's gradient. Two factors make it: what h "
        "gains when z grows (differentiate the state mix), and the sigmoid's derivative.",
    ),
    hints=[
        "Two links of the chain: first dz, from h = z * h_prev + (1 - z) * h~, then da_z, "
        "through z = sigmoid(a_z).",
        "Differentiate the mix with respect to z, holding h_prev and h~ fixed: "
        "z * h_prev + (1 - z) * h~ = h~ + z * (h_prev - h~).",
        "The sigmoid's derivative can be written with its output: sigma'(a_z) = z * (1 - z). "
        "Multiply everything elementwise.",
    ],
    solution=update_gate_gradient,
)


# -------------------------------------- q2: the reset gate, reset before the product
def reset_gate_gradient(dh, z, r, h_tilde, h_prev, R_h):
    """da_r for the reset_after=False form, where a_h = x_t W_h + b_h + (r * h_prev) R_h, (B, U)."""
    da_h = dh * (1 - z) * (1 - h_tilde**2)  # into the candidate, then through its tanh
    dq = da_h @ R_h.T  # q = r * h_prev is multiplied by R_h: its gradient is da_h R_h^T
    dr = dq * h_prev  # the product rule: r's partner in q is h_prev
    return dr * r * (1 - r)  # through the sigmoid


def _reset_gate_mistakes(step, truth):
    dh, z, r, h_tilde, h_prev, R_h = (step[k] for k in ("dh", "z", "r", "h_tilde", "h_prev", "R_h"))
    sig_r = r * (1 - r)
    da_h = dh * (1 - z) * (1 - h_tilde**2)
    dq = da_h @ R_h.T
    return [
        (
            "R_h enters untransposed. q = r * h_prev is multiplied by R_h, and the gradient "
            "of a product y = q R_h with respect to q is dy R_h^T.",
            (da_h @ R_h) * h_prev * sig_r,
        ),
        (
            "This is the reset_after=True formula, dr = da_h * m with m = h_prev R_h. Here r "
            "acts before the product: the gradient must first go back through R_h to "
            "q = r * h_prev.",
            da_h * (h_prev @ R_h) * sig_r,
        ),
        (
            "This is the reset_after=True formula, dr = da_h * m with m = h_prev R_h. Here r "
            "acts before the product: the gradient must first go back through R_h to "
            "q = r * h_prev.",
            da_h * (h_prev @ R_h.T) * sig_r,
        ),
        (
            "The gradient skips R_h: q = r * h_prev is multiplied by R_h before it reaches "
            "a_h, so dq is da_h times R_h transposed, not da_h itself.",
            da_h * h_prev * sig_r,
        ),
        (
            "tanh's derivative is missing: the gradient reaching a_h is dh~ * (1 - h~**2).",
            ((dh * (1 - z)) @ R_h.T) * h_prev * sig_r,
        ),
        (
            "tanh's derivative is 1 - tanh(a)**2: square h~.",
            ((dh * (1 - z) * (1 - h_tilde)) @ R_h.T) * h_prev * sig_r,
        ),
        (
            "z where (1 - z) belongs: the candidate enters h = z * h_prev + (1 - z) * h~ "
            "with the weight (1 - z), so dh~ = dh * (1 - z).",
            ((dh * z * (1 - h_tilde**2)) @ R_h.T) * h_prev * sig_r,
        ),
        (
            "The factor (1 - z) is missing: the candidate enters the new state with the "
            "weight (1 - z), so dh~ = dh * (1 - z).",
            ((dh * (1 - h_tilde**2)) @ R_h.T) * h_prev * sig_r,
        ),
        (
            "The sigmoid's derivative is missing: that is dr. da_r goes one step further, "
            "through r = sigmoid(a_r), whose derivative is r * (1 - r).",
            dq * h_prev,
        ),
        (
            "In q = r * h_prev the product rule gives r the factor h_prev (and h_prev the "
            "factor r). You multiplied by r.",
            dq * r * sig_r,
        ),
        (
            "h_prev is missing: in q = r * h_prev the product rule gives r the factor h_prev.",
            dq * sig_r,
        ),
    ]


q2 = Exercise(
    "Exercise 2 (the reset gate, reset before the product)",
    lambda answer: _check_step(
        answer,
        "reset_gate_gradient",
        "da_r",
        reset_after=False,
        args=("dh", "z", "r", "h_tilde", "h_prev", "R_h"),
        target="da_r",
        mistakes=_reset_gate_mistakes,
        otherwise="Right shape, but not the reset gate's gradient. Follow the path backwards "
        "one link at a time: h, h~, a_h, q = r * h_prev, r, a_r.",
    ),
    hints=[
        "Walk the path from h back to a_r: h -> h~ -> a_h -> q = r * h_prev -> r -> a_r. "
        "The first three links are as in section 2, the last one is a sigmoid.",
        "a_h contains q R_h: for y = q R_h the gradient with respect to q is dy R_h^T, a "
        "matrix product (B, U) @ (U, U). Then q = r * h_prev is elementwise.",
        "da_h = dh * (1 - z) * (1 - h~**2); dq = da_h @ R_h.T; dr = dq * h_prev; and "
        "da_r = dr times the sigmoid's derivative, written with r.",
    ],
    solution=reset_gate_gradient,
)


# --------------------------------------------- q3: every path into h_prev
def previous_state_gradient(dh, z, r, h_tilde, h_prev, m, R):
    """dh_prev of one reset_after=True step, every path, (B, U); m = h_prev R_h + bh_h."""
    da_h = dh * (1 - z) * (1 - h_tilde**2)
    da_z = dh * (h_prev - h_tilde) * z * (1 - z)
    da_r = da_h * m * r * (1 - r)
    dm = da_h * r
    ds = np.concatenate([da_z, da_r, dm], axis=1)  # gradient of h_prev R + bh, (B, 3U)
    return dh * z + ds @ R.T  # the direct path, plus the three products in one


def _previous_state_mistakes(step, truth):
    dh, z, r, h_tilde, h_prev, m, R = (
        step[k] for k in ("dh", "z", "r", "h_tilde", "h_prev", "m", "R")
    )
    R_z, R_r, R_h = split_gates(R)
    da_z, da_r, da_h = truth["da_z"], truth["da_r"], truth["da_h"]
    dm = da_h * r
    direct = dh * z
    return [
        (
            "The direct path is missing. h = z * h_prev + (1 - z) * h~ hands dh * z straight "
            "to h_prev, besides the three products with R: the GRU's gradient highway, and "
            "the most common bug in a hand-written backward pass.",
            da_z @ R_z.T + da_r @ R_r.T + dm @ R_h.T,
        ),
        (
            "The direct path carries dh * z, not dh * (1 - z): in h = z * h_prev + (1 - z) * h~ "
            "the old state's weight is z.",
            dh * (1 - z) + da_z @ R_z.T + da_r @ R_r.T + dm @ R_h.T,
        ),
        (
            "You have only the direct path. h_prev also feeds the update gate, the reset gate "
            "and the candidate, through h_prev R_z, h_prev R_r and h_prev R_h.",
            direct,
        ),
        (
            "The matrices enter untransposed. For y = h_prev R_z the gradient with respect "
            "to h_prev is dy R_z^T, and the same for R_r and R_h.",
            direct + da_z @ R_z + da_r @ R_r + dm @ R_h,
        ),
        (
            "On the candidate's path, h_prev R_h + bh_h is scaled by r before it reaches a_h: "
            "its gradient is dm = da_h * r, not da_h.",
            direct + da_z @ R_z.T + da_r @ R_r.T + da_h @ R_h.T,
        ),
        (
            "The path through the candidate (h_prev R_h, inside m) is missing.",
            direct + da_z @ R_z.T + da_r @ R_r.T,
        ),
        (
            "The path through the update gate (h_prev R_z) is missing.",
            direct + da_r @ R_r.T + dm @ R_h.T,
        ),
        (
            "The path through the reset gate (h_prev R_r) is missing.",
            direct + da_z @ R_z.T + dm @ R_h.T,
        ),
        (
            "The paths through the two gates (h_prev R_z and h_prev R_r) are missing.",
            direct + dm @ R_h.T,
        ),
        (
            "The sigmoids' derivatives are missing: the gradients that go back through R_z and "
            "R_r are those of the pre-activations, da_z = dz * z * (1 - z) and "
            "da_r = dr * r * (1 - r).",
            direct + (dh * (h_prev - h_tilde)) @ R_z.T + (da_h * m) @ R_r.T + dm @ R_h.T,
        ),
        (
            "tanh's derivative is missing: the gradient reaching a_h is "
            "da_h = dh * (1 - z) * (1 - h~**2).",
            direct
            + da_z @ R_z.T
            + (dh * (1 - z) * m * r * (1 - r)) @ R_r.T
            + (dh * (1 - z) * r) @ R_h.T,
        ),
    ]


q3 = Exercise(
    "Exercise 3 (every path into the previous state)",
    lambda answer: _check_step(
        answer,
        "previous_state_gradient",
        "dh_prev",
        reset_after=True,
        args=("dh", "z", "r", "h_tilde", "h_prev", "m", "R"),
        target="dh_prev",
        mistakes=_previous_state_mistakes,
        otherwise="Right shape, but not dh_prev. Count the paths from h_prev to h: one direct, "
        "and one through each of R_z, R_r and R_h. Check each term on its own.",
    ),
    hints=[
        "h_prev reaches h by four paths: directly through the mix h = z * h_prev + ..., and "
        "through the three products h_prev R_z, h_prev R_r, h_prev R_h. Add the four.",
        "The direct path gives dh * z. The three products have the gradients da_z, da_r and "
        "dm = da_h * r; compute those first, as in section 2.",
        "Put the three side by side, ds = np.concatenate([da_z, da_r, dm], axis=1), (B, 3U): "
        "then the three products are one, and their share is ds @ R.T.",
    ],
    solution=previous_state_gradient,
)


# -------------------------------------- q4: the gradient of h0, through time
def initial_state_gradient(G, z):
    """dL/dh0 for L = sum(G * h) when R = 0 and the update gate is the constant z, (B, U)."""
    dh_next = np.zeros_like(G[:, 0])  # what step t+1 hands back to h_t
    for t in reversed(range(G.shape[1])):
        dh = G[:, t] + dh_next  # the loss's own share at step t, plus what comes back
        dh_next = dh * z  # with R = 0 only the direct path reaches h_prev
    return dh_next  # what step 0 hands back is the gradient of h0


def _constant_gate_cases():
    """GRUs whose recurrent weights are zero and whose update gate is a constant per unit."""
    rng = np.random.default_rng(34)
    for B, T, D, U in [(2, 5, 3, 4), (3, 8, 2, 5)]:
        W = rng.normal(size=(D, 3 * U))
        W[:, :U] = 0.0  # the update gate does not read the input
        R = np.zeros((U, 3 * U))  # nor the state: z = sigmoid(bx_z + bh_z)
        bx, bh = rng.normal(size=(2, 3 * U))
        bx[:U] = rng.uniform(-1.0, 2.5, size=U)  # z between 0.27 and 0.92, unit by unit
        gru = GRU(W, R, bx, bh, return_sequences=True)
        x = rng.normal(size=(B, T, D))
        h0 = rng.uniform(-0.9, 0.9, size=(B, U))
        G = rng.normal(size=(B, T, U))
        trace = gru.trace(x, initial_state=h0)
        z = trace.z[0, 0]
        assert np.allclose(trace.z, z, rtol=0, atol=1e-15)  # constant, as the exercise says
        yield G, z, gru_backward(gru, x, trace, G)["h0"]


def _initial_state_mistakes(G, z):
    T = G.shape[1]
    t = np.arange(T)[None, :, None]  # broadcast over (B, T, U)

    def weighted(powers, base=z):
        return np.sum(G * base**powers, axis=1)

    return [
        (
            "Only the loss at step 0 reaches h0 in your answer. The gradient reaching h_t is "
            "G_t plus what step t+1 hands back: add it, do not overwrite it.",
            G[:, 0] * z,
        ),
        (
            "Only the loss at the last step reaches h0 in your answer: the losses at the "
            "earlier steps were dropped. The gradient reaching h_t is G_t plus what step t+1 "
            "hands back.",
            G[:, -1] * z**T,
        ),
        (
            "The direct path carries dh * z, not dh * (1 - z): in h = z * h_prev + (1 - z) * h~ "
            "the old state's weight is z.",
            weighted(t + 1, 1 - z),
        ),
        (
            "One factor z too few: h0 comes before step 0, so even G_0 passes through one "
            "step (its z) on its way back to h0.",
            weighted(t),
        ),
        (
            "One factor z too many: G_0 passes through exactly one step on its way back to h0.",
            weighted(t + 2),
        ),
        (
            "The powers of z run the wrong way: the loss at step t is t + 1 steps away from "
            "h0, so the later the step, the more factors z.",
            weighted(T - t),
        ),
        (
            "The powers of z run the wrong way: the loss at step t is t + 1 steps away from "
            "h0, so the later the step, the more factors z.",
            weighted(T - 1 - t),
        ),
        (
            "Each step back multiplies by z again: the loss at step t crosses t + 1 steps, so "
            "it reaches h0 multiplied by z to the power t + 1, not by a single z.",
            G.sum(axis=1) * z,
        ),
        (
            "Each step back multiplies by z again: the loss at step t crosses t + 1 steps, so "
            "it reaches h0 multiplied by z to the power t + 1.",
            G.sum(axis=1),
        ),
        (
            "You averaged over time. Every step's loss adds its own share: sum over t.",
            np.mean(G * z ** (t + 1), axis=1),
        ),
    ]


def _check_initial_state(answer):
    require_function(answer, "initial_state_gradient")
    for G, z, expected in _constant_gate_cases():
        mine = as_array(answer(G.copy(), z.copy()), "initial_state_gradient")
        problem = _shape_problem(mine, expected, "initial_state_gradient", "dh0")
        if problem:
            raise Mistake(problem)
        if not same(mine, expected, atol=ATOL):
            raise Mistake(
                matching_mistake(mine, _initial_state_mistakes(G, z), atol=ATOL)
                or "Right shape, but not dh0. Try it with T = 1 and T = 2 on paper first: "
                "how many times does G_0, and then G_1, meet z on its way back to h0?"
            )


q4 = Exercise(
    "Exercise 4 (the gradient of h0, through time)",
    _check_initial_state,
    hints=[
        "With R = 0, the state h_prev reaches h only through the mix, so one step back is "
        "dh_prev = dh * z. Start at the last step and walk back to h0.",
        "The gradient reaching h_t has two parts: the loss's own G_t, and what step t+1 "
        "hands back. In a loop over reversed(range(T)): dh = G[:, t] + dh_next, then "
        "dh_next = dh * z.",
        "Without a loop: the loss at step t crosses t + 1 steps, each multiplying by z, so "
        "dh0 is the sum over t of G[:, t] * z**(t + 1).",
    ],
    solution=initial_state_gradient,
)
