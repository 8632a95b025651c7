"""The exercises of notebook 03, backpropagation through time: ``q1`` to ``q4``.

Each check runs your formula on random GRU steps of its own and compares it with
the gradient that ``gru_lesson.bptt.gru_backward`` computes for the same step
(itself checked against central differences and TensorFlow). NumPy only.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from gru_lesson.bptt import gru_backward
from gru_lesson.exercises import Exercise, Shape
from gru_lesson.gru import GRU, sigmoid, split_gates

__all__ = ["q1", "q2", "q3", "q4"]


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
    step = dict(x_t=x[:, 0], W=gru.W, bx=gru.bx, bh=gru.bh, dh=dh, h_prev=h_prev, R=gru.R)
    step |= {name: getattr(trace, name)[:, 0] for name in ("z", "r", "h_tilde")}
    step |= dict(zip(("R_z", "R_r", "R_h"), split_gates(gru.R), strict=True))
    if reset_after:
        step["m"] = h_prev @ step["R_h"] + split_gates(gru.bh)[2]
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


def _step_cases(reset_after, args, target):
    """The cases of a one-step exercise: the arguments ``args`` of each random step, and its truth."""
    for seed in (31, 32, 33):
        step, truth = _one_step(reset_after, seed)
        yield {a: step[a] for a in args}, truth[target]


def _like_the_state(what):
    """What is said of a gradient ``what`` of the state, (B, U), that has another shape."""
    summed = "you summed or averaged over the batch; only weight gradients sum over the batch"
    return Shape(
        f"your {what}",
        "(B, U) = {}, one row per example",
        lambda expected: dict.fromkeys([expected.shape[1:], (1, *expected.shape[1:])], summed),
        f"{what}, a gradient of the state, is shaped like the state. Elementwise products "
        "keep that shape; check each matrix product's two sides",
    )


def _da_h(dh, z, h_tilde):
    """The gradient reaching the candidate's pre-activation a_h."""
    return dh * (1 - z) * (1 - h_tilde**2)


# ------------------------------------------------------ q1: the update gate
def update_gate_gradient(dh, z, h_prev, h_tilde):
    """da_z, the gradient of the update gate's pre-activation a_z, (B, U)."""
    dz = dh * (h_prev - h_tilde)  # h = z h_prev + (1 - z) h~ grows with z by h_prev - h~
    return dz * z * (1 - z)  # through the sigmoid: sigma'(a_z) = z (1 - z)


_UPDATE_GATE_MISTAKES = {  # message: wrong answer, of the step and dz = dh * (h_prev - h~)
    "The sigmoid's derivative is missing: that is dz, the gradient of the gate z itself. "
    "da_z is the gradient of the pre-activation a_z, one step further back, through "
    "z = sigmoid(a_z).": lambda dz: dz,
    "A sign error: you have h~ - h_prev where the derivative of "
    "h = z * h_prev + (1 - z) * h~ with respect to z is h_prev - h~. (The flipped "
    "convention, h = (1 - z) h_prev + z h~, gives exactly your "
    "sign.)": lambda dz, z: -dz * z * (1 - z),
    "You used tanh's derivative, 1 - z**2. z comes out of a sigmoid, whose "
    "derivative, written with its output, is z * (1 - z).": lambda dz, z: dz * (1 - z**2),
    "You applied the sigmoid's derivative to z as if z were the pre-activation. z is "
    "already sigmoid(a_z), so the derivative is simply z * (1 - "
    "z).": lambda dz, z: dz * sigmoid(z) * (1 - sigmoid(z)),
    "Half of the sigmoid's derivative: sigma'(a) = sigma(a) (1 - sigma(a)), that is "
    "z * (1 - z), two factors.": (lambda dz, z: dz * z, lambda dz, z: dz * (1 - z)),
    "z appears in both terms of h = z * h_prev + (1 - z) * h~. You differentiated only "
    "the first one.": lambda dh, z, h_prev: dh * h_prev * z * (1 - z),
    "z appears in both terms of h = z * h_prev + (1 - z) * h~. You differentiated only "
    "the second one.": lambda dh, z, h_tilde: -dh * h_tilde * z * (1 - z),
    "(1 - z) is what the candidate's gradient gets, dh~ = dh * (1 - z). The update "
    "gate gets dz = dh * (h_prev - h~).": lambda dh, z: dh * (1 - z) * z * (1 - z),
    "dh is missing: the chain rule starts from the gradient that reaches "
    "h.": lambda z, h_prev, h_tilde: (h_prev - h_tilde) * z * (1 - z),
}


q1 = Exercise(
    "Exercise 1 (the update gate's gradient)",
    cases=partial(_step_cases, True, ("dh", "z", "h_prev", "h_tilde"), "da_z"),
    mistakes=_UPDATE_GATE_MISTAKES,
    pieces=lambda dh, h_prev, h_tilde: {"dz": dh * (h_prev - h_tilde)},
    shape=_like_the_state("da_z"),
    otherwise="Right shape, but not the update gate's gradient. Two factors make it: what h "
    "gains when z grows (differentiate the state mix), and the sigmoid's derivative.",
    hints=[
        "Two links of the chain: first dz, from h = z * h_prev + (1 - z) * h~, then da_z, "
        "through z = sigmoid(a_z).",
        "Differentiate the mix with respect to z, holding h_prev and h~ fixed: "
        "z * h_prev + (1 - z) * h~ = h~ + z * (h_prev - h~).",
        "The sigmoid's derivative can be written with its output: sigma'(a_z) = z * (1 - z). "
        "Multiply everything elementwise.",
    ],
    reference=update_gate_gradient,
)


# -------------------------------------- q2: the reset gate, reset before the product
def reset_gate_gradient(dh, z, r, h_tilde, h_prev, R_h):
    """da_r for the reset_after=False form, where a_h = x_t W_h + bx_h + (r * h_prev) R_h, (B, U)."""
    da_h = dh * (1 - z) * (1 - h_tilde**2)  # into the candidate, then through its tanh
    dq = da_h @ R_h.T  # q = r * h_prev is multiplied by R_h: its gradient is da_h R_h^T
    dr = dq * h_prev  # the product rule: r's partner in q is h_prev
    return dr * r * (1 - r)  # through the sigmoid


_RESET_GATE_MISTAKES = {  # message: wrong answer, of the step and the pieces of _reset_path
    "R_h enters untransposed. q = r * h_prev is multiplied by R_h, and the gradient "
    "of a product y = q R_h with respect to q is dy "
    "R_h^T.": lambda da_h, R_h, h_prev, r: (da_h @ R_h) * h_prev * r * (1 - r),
    "This is the reset_after=True formula, dr = da_h * m with m = h_prev R_h. Here r "
    "acts before the product: the gradient must first go back through R_h to "
    "q = r * h_prev.": (
        lambda da_h, h_prev, R_h, r: da_h * (h_prev @ R_h) * r * (1 - r),
        lambda da_h, h_prev, R_h, r: da_h * (h_prev @ R_h.T) * r * (1 - r),
    ),
    "The gradient skips R_h: q = r * h_prev is multiplied by R_h before it reaches "
    "a_h, so dq is da_h times R_h transposed, not da_h "
    "itself.": lambda da_h, h_prev, r: da_h * h_prev * r * (1 - r),
    "tanh's derivative is missing: the gradient reaching a_h is dh~ * (1 - "
    "h~**2).": lambda dh, z, back: back(dh * (1 - z)),
    "tanh's derivative is 1 - tanh(a)**2: square h~.": lambda dh, z, h_tilde, back: back(
        dh * (1 - z) * (1 - h_tilde)
    ),
    "z where (1 - z) belongs: the candidate enters h = z * h_prev + (1 - z) * h~ "
    "with the weight (1 - z), so dh~ = dh * (1 - "
    "z).": lambda dh, z, h_tilde, back: back(dh * z * (1 - h_tilde**2)),
    "The factor (1 - z) is missing: the candidate enters the new state with the "
    "weight (1 - z), so dh~ = dh * (1 - z).": lambda dh, h_tilde, back: back(dh * (1 - h_tilde**2)),
    "The sigmoid's derivative is missing: that is dr. da_r goes one step further, "
    "through r = sigmoid(a_r), whose derivative is r * (1 - "
    "r).": lambda dq, h_prev: dq * h_prev,
    "In q = r * h_prev the product rule gives r the factor h_prev (and h_prev the "
    "factor r). You multiplied by r.": lambda dq, r: dq * r * r * (1 - r),
    "h_prev is missing: in q = r * h_prev the product rule gives r the factor "
    "h_prev.": lambda dq, r: dq * r * (1 - r),
}


def _reset_path(dh, z, r, h_tilde, h_prev, R_h):
    """da_h, dq = da_h R_h^T, and back(g): the rest of the path from a gradient g reaching a_h."""
    da_h = _da_h(dh, z, h_tilde)
    return {"da_h": da_h, "dq": da_h @ R_h.T, "back": lambda g: (g @ R_h.T) * h_prev * r * (1 - r)}


q2 = Exercise(
    "Exercise 2 (the reset gate, reset before the product)",
    cases=partial(_step_cases, False, ("dh", "z", "r", "h_tilde", "h_prev", "R_h"), "da_r"),
    mistakes=_RESET_GATE_MISTAKES,
    pieces=_reset_path,
    shape=_like_the_state("da_r"),
    otherwise="Right shape, but not the reset gate's gradient. Follow the path backwards "
    "one link at a time: h, h~, a_h, q = r * h_prev, r, a_r.",
    hints=[
        "Walk the path from h back to a_r: h -> h~ -> a_h -> q = r * h_prev -> r -> a_r. "
        "The first three links are as in section 2, the last one is a sigmoid.",
        "a_h contains q R_h: for y = q R_h the gradient with respect to q is dy R_h^T, a "
        "matrix product (B, U) @ (U, U). Then q = r * h_prev is elementwise.",
        "da_h = dh * (1 - z) * (1 - h~**2); dq = da_h @ R_h.T; dr = dq * h_prev; and "
        "da_r = dr times the sigmoid's derivative, written with r.",
    ],
    reference=reset_gate_gradient,
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


def _paths(dh, z, r, h_tilde, h_prev, m, R):
    """R's blocks, the step's gradients da_h, da_z, da_r and dm, and the four paths' terms."""
    R_z, R_r, R_h = split_gates(R)
    da_h = _da_h(dh, z, h_tilde)
    da_z, da_r, dm = dh * (h_prev - h_tilde) * z * (1 - z), da_h * m * r * (1 - r), da_h * r
    blocks = dict(R_z=R_z, R_r=R_r, R_h=R_h, da_h=da_h, da_z=da_z, da_r=da_r, dm=dm)
    return blocks | dict(direct=dh * z, via_z=da_z @ R_z.T, via_r=da_r @ R_r.T, via_h=dm @ R_h.T)


_PREVIOUS_STATE_MISTAKES = {  # message: wrong answer, of the step and the pieces of _paths
    "The direct path is missing. h = z * h_prev + (1 - z) * h~ hands dh * z straight "
    "to h_prev, besides the three products with R: the GRU's gradient highway, and "
    "the most common bug in a hand-written backward "
    "pass.": lambda via_z, via_r, via_h: via_z + via_r + via_h,
    "The direct path carries dh * z, not dh * (1 - z): in "
    "h = z * h_prev + (1 - z) * h~ the old state's weight is "
    "z.": lambda dh, z, via_z, via_r, via_h: dh * (1 - z) + via_z + via_r + via_h,
    "You have only the direct path. h_prev also feeds the update gate, the reset gate "
    "and the candidate, through h_prev R_z, h_prev R_r and h_prev R_h.": lambda direct: direct,
    "The matrices enter untransposed. For y = h_prev R_z the gradient with respect "
    "to h_prev is dy R_z^T, and the same for R_r and "
    "R_h.": lambda direct, da_z, R_z, da_r, R_r, dm, R_h: (
        direct + da_z @ R_z + da_r @ R_r + dm @ R_h
    ),
    "On the candidate's path, h_prev R_h + bh_h is scaled by r before it reaches "
    "a_h: its gradient is dm = da_h * r, not "
    "da_h.": lambda direct, via_z, via_r, da_h, R_h: direct + via_z + via_r + da_h @ R_h.T,
    "The path through the candidate (h_prev R_h, inside m) is "
    "missing.": lambda direct, via_z, via_r: direct + via_z + via_r,
    "The path through the update gate (h_prev R_z) is missing.": lambda direct, via_r, via_h: (
        direct + via_r + via_h
    ),
    "The path through the reset gate (h_prev R_r) is missing.": lambda direct, via_z, via_h: (
        direct + via_z + via_h
    ),
    "The paths through the two gates (h_prev R_z and h_prev R_r) are "
    "missing.": lambda direct, via_h: direct + via_h,
    "The sigmoids' derivatives are missing: the gradients that go back through R_z and "
    "R_r are those of the pre-activations, da_z = dz * z * (1 - z) and "
    "da_r = dr * r * (1 - r).": lambda dh, h_prev, h_tilde, m, direct, da_h, R_z, R_r, via_h: (
        direct + (dh * (h_prev - h_tilde)) @ R_z.T + (da_h * m) @ R_r.T + via_h
    ),
    "tanh's derivative is missing: the gradient reaching a_h is "
    "da_h = dh * (1 - z) * (1 - h~**2).": lambda dh, z, r, m, direct, via_z, R_r, R_h: (
        direct + via_z + (dh * (1 - z) * m * r * (1 - r)) @ R_r.T + (dh * (1 - z) * r) @ R_h.T
    ),
}


q3 = Exercise(
    "Exercise 3 (every path into the previous state)",
    cases=partial(_step_cases, True, ("dh", "z", "r", "h_tilde", "h_prev", "m", "R"), "dh_prev"),
    mistakes=_PREVIOUS_STATE_MISTAKES,
    pieces=_paths,
    shape=_like_the_state("dh_prev"),
    otherwise="Right shape, but not dh_prev. Count the paths from h_prev to h: one direct, "
    "and one through each of R_z, R_r and R_h. Check each term on its own.",
    hints=[
        "h_prev reaches h by four paths: directly through the mix h = z * h_prev + ..., and "
        "through the three products h_prev R_z, h_prev R_r, h_prev R_h. Add the four.",
        "The direct path gives dh * z. The three products have the gradients da_z, da_r and "
        "dm = da_h * r; compute those first, as in section 2.",
        "Put the three side by side, ds = np.concatenate([da_z, da_r, dm], axis=1), (B, 3U): "
        "then the three products are one, and their share is ds @ R.T.",
    ],
    reference=previous_state_gradient,
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
        yield {"G": G, "z": z}, gru_backward(gru, x, trace, G)["h0"]


def _powers(power, base=lambda z: z):
    """A wrong initial_state_gradient: the sum over t of G_t * base(z) ** power(t, T)."""

    def answer(G, z):
        t = np.arange(G.shape[1])[None, :, None]  # broadcast over (B, T, U)
        return np.sum(G * base(z) ** power(t, G.shape[1]), axis=1)

    return answer


_INITIAL_STATE_MISTAKES = {  # message: wrong answer, with the arguments of initial_state_gradient
    "Only the loss at step 0 reaches h0 in your answer. The gradient reaching h_t is "
    "G_t plus what step t+1 hands back: add it, do not overwrite it.": lambda G, z: G[:, 0] * z,
    "Only the loss at the last step reaches h0 in your answer: the losses at the "
    "earlier steps were dropped. The gradient reaching h_t is G_t plus what step t+1 "
    "hands back.": lambda G, z: G[:, -1] * z ** G.shape[1],
    "The direct path carries dh * z, not dh * (1 - z): in h = z * h_prev + (1 - z) * h~ "
    "the old state's weight is z.": _powers(lambda t, T: t + 1, base=lambda z: 1 - z),
    "One factor z too few: h0 comes before step 0, so even G_0 passes through one "
    "step (its z) on its way back to h0.": _powers(lambda t, T: t),
    "One factor z too many: G_0 passes through exactly one step on its way back to h0.": _powers(
        lambda t, T: t + 2
    ),
    "The powers of z run the wrong way: the loss at step t is t + 1 steps away from "
    "h0, so the later the step, the more factors "
    "z.": (_powers(lambda t, T: T - t), _powers(lambda t, T: T - 1 - t)),
    "Each step back multiplies by z again: the loss at step t crosses t + 1 steps, so "
    "it reaches h0 multiplied by z to the power t + 1, not by a single "
    "z.": lambda G, z: G.sum(axis=1) * z,
    "Each step back multiplies by z again: the loss at step t crosses t + 1 steps, so "
    "it reaches h0 multiplied by z to the power t + 1.": lambda G: G.sum(axis=1),
    "You averaged over time. Every step's loss adds its own share: sum over t.": lambda G, z: (
        _powers(lambda t, T: t + 1)(G, z) / G.shape[1]
    ),
}


q4 = Exercise(
    "Exercise 4 (the gradient of h0, through time)",
    cases=_constant_gate_cases,
    mistakes=_INITIAL_STATE_MISTAKES,
    shape=_like_the_state("dh0"),
    otherwise="Right shape, but not dh0. Try it with T = 1 and T = 2 on paper first: "
    "how many times does G_0, and then G_1, meet z on its way back to h0?",
    hints=[
        "With R = 0, the state h_prev reaches h only through the mix, so one step back is "
        "dh_prev = dh * z. Start at the last step and walk back to h0.",
        "The gradient reaching h_t has two parts: the loss's own G_t, and what step t+1 "
        "hands back. In a loop over reversed(range(T)): dh = G[:, t] + dh_next, then "
        "dh_next = dh * z.",
        "Without a loop: the loss at step t crosses t + 1 steps, each multiplying by z, so "
        "dh0 is the sum over t of G[:, t] * z**(t + 1).",
    ],
    reference=initial_state_gradient,
)
