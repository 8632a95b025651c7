"""The exercises of notebook 01, a GRU from scratch: ``q1``, ``q2``, ``q3``.

Each check runs your function against the package's GRU, on inputs of its own.
"""

from __future__ import annotations

import numpy as np

from gru_lesson.exercises import Exercise, Mistake, Shape, answer_of, as_number, as_parts
from gru_lesson.gru import sigmoid
from gru_lesson.handset import gate_params, handset_gru

__all__ = ["q1", "q2", "q3"]


# ------------------------------------------------- q1: the reset-before candidate
def candidate_reset_before(x_t, h_prev, r, W_h, R_h, bx_h):
    """The candidate h~ of the reset_after=False form, (B, U)."""
    return np.tanh(x_t @ W_h + bx_h + (r * h_prev) @ R_h)


def _reset_before_cases():
    """One step of random reset_after=False GRUs: the arguments and the true candidate."""
    rng = np.random.default_rng(101)
    for B, D, U in [(2, 3, 4), (3, 5, 2)]:  # B, D and U all differ: transposes show
        gru = handset_gru(
            **{f"W_{g}": rng.normal(size=(D, U)) for g in "zrh"},
            **{f"R_{g}": rng.normal(size=(U, U)) for g in "zrh"},
            **{f"bx_{g}": rng.normal(size=U) for g in "zrh"},
            reset_after=False,
        )
        x, h0 = rng.normal(size=(B, 1, D)), rng.uniform(-1, 1, size=(B, U))
        trace = gru.trace(x, initial_state=h0)
        p = gate_params(gru)
        args = dict(x_t=x[:, 0], h_prev=h0, r=trace.r[:, 0], W_h=p["W_h"], R_h=p["R_h"])
        yield dict(args, bx_h=p["bx_h"]), trace.h_tilde[:, 0]


_CANDIDATE_MISTAKES = {  # message: wrong answer, of the step and its two terms, xW and rec
    "You applied r after the product with R_h, as in the reset_after=True form. "
    "In the reset_after=False form the reset gate scales h_prev first, and the "
    "product with R_h comes after.": lambda xW, r, h_prev, R_h: np.tanh(xW + r * (h_prev @ R_h)),
    "Your candidate does not use the reset gate r: it is the one that decides how "
    "much of h_prev the candidate may see.": lambda xW, h_prev, R_h: np.tanh(xW + h_prev @ R_h),
    "You used (1 - r) where the equation has r: with r = 0 the past must drop "
    "out.": lambda xW, r, h_prev, R_h: np.tanh(xW + ((1 - r) * h_prev) @ R_h),
    "A sign error: the recurrent term is added to x_t W_h + b_h, not subtracted.": lambda xW, rec: (
        np.tanh(xW - rec)
    ),
    "R_h enters transposed. With row vectors the product reads (r * h_prev) @ R_h: "
    "(B, U) @ (U, U).": lambda xW, r, h_prev, R_h: np.tanh(xW + (r * h_prev) @ R_h.T),
    "The input-side bias bx_h is missing.": lambda x_t, W_h, rec: np.tanh(x_t @ W_h + rec),
    "The tanh is missing: your numbers are what goes into it. The candidate lies "
    "between -1 and 1.": lambda xW, rec: xW + rec,
    "You squashed with the sigmoid. The candidate uses tanh, so that it can be "
    "negative (gates use the sigmoid, the candidate does not).": lambda xW, rec: sigmoid(xW + rec),
}


q1 = Exercise(
    "Exercise 1 (the reset-before candidate)",
    cases=_reset_before_cases,
    mistakes=_CANDIDATE_MISTAKES,
    pieces=lambda x_t, h_prev, r, W_h, R_h, bx_h: dict(xW=x_t @ W_h + bx_h, rec=(r * h_prev) @ R_h),
    shape=Shape(
        "your candidate",
        "(B, U) = {}, one row per sequence",
        otherwise="check which side each matrix is multiplied on",
    ),
    otherwise="Right shape, but the values differ from the reset_after=False GRU's "
    "candidate. Compare your line with the equation, term by term: the input's product, "
    "the bias, the reset gate and the recurrent product, the tanh.",
    hints=[
        "Start from the candidate of section 2 (reset_after=True) and move r: in the "
        "reset_after=False form it multiplies h_prev *before* the product with R_h.",
        "r * h_prev is elementwise and has shape (B, U); times R_h, (U, U), it stays (B, U). "
        "Add x_t @ W_h, which is (B, D) @ (D, U), and the bias.",
        "This form has one bias per gate, bx_h, and no recurrent-side bias. "
        "The whole sum goes through np.tanh.",
    ],
    reference=candidate_reset_before,
)


# ------------------------------------------- q2: the state after k steps, no loop
def state_after(k, h0, z, c):
    """The state h_k after k steps from h0, with a constant update gate z and candidate c."""
    return c + z**k * (h0 - c)  # the gap h - c shrinks by the factor z at every step


_STATE_CASES = [(2.0, 0.7, -0.9), (-0.5, -1.2, 0.3), (4.0, 0.1, 1.0)]  # (b_z, x, h0)
_STEPS = range(13)  # from k = 0, no step yet


def _state_cases():
    """(k, h0, z, c) and the state of a one-unit GRU run k steps from h0 (h0 itself at k = 0)."""
    for b_z, x_value, h_start in _STATE_CASES:
        gru = handset_gru(W_h=1.0, bx_z=b_z, return_sequences=True)
        x = np.full((1, len(_STEPS) - 1, 1), x_value)
        h_run = gru(x, initial_state=np.array([[h_start]]))[0, :, 0]
        z, c = float(sigmoid(b_z)), float(np.tanh(x_value))
        for k in _STEPS:
            yield dict(k=k, h0=h_start, z=z, c=c), h_run[k - 1] if k else h_start


_STATE_MISTAKES = {  # classic wrong formulas for h_k; zk is z**k
    "Your formula uses the flipped convention, h = (1 - z) h_prev + z h~ (Chung et al.'s). "
    "In this course, as in Keras, z is the share of the old state that is "
    "kept.": lambda k, h0, z, c: (1 - z) ** k * h0 + (1 - (1 - z) ** k) * c,
    "Off by one step. At k = 1 your formula must give exactly one application of "
    "h = z h_prev + (1 - z) c, starting from h0.": (
        lambda k, h0, z, c: z ** (k - 1) * h0 + (1 - z ** (k - 1)) * c,
        lambda k, h0, z, c: z ** (k + 1) * h0 + (1 - z ** (k + 1)) * c,
    ),
    "h0 and c have swapped roles. Check k = 0 (no step yet): the state must still be "
    "h0.": lambda zk, h0, c: zk * c + (1 - zk) * h0,
    "A sign error in the candidate's term: every step *adds* the share (1 - z) of "
    "c.": lambda zk, h0, c: zk * h0 - (1 - zk) * c,
    "The candidate's share is missing: each step also writes (1 - z) c into the "
    "state.": lambda zk, h0: zk * h0,
    "h0's share is missing: what is left of h0 after k steps still counts.": lambda zk, c: (
        (1 - zk) * c
    ),
    "In your formula the candidate's share does not grow with k. After many steps "
    "the state should get as close to c as you like.": lambda zk, h0, z, c: zk * h0 + (1 - z) * c,
}


def _state_differs(k, h0, z, c):
    where = f"at k = {k}. Try k = 1 and k = 2 on paper first" if k else "at k = 0, before any step"
    return (
        f"with z = {z:.4f}, c = {c:.4f} and h0 = {h0}, your h_k differs from the GRU's state "
        f"{where}."
    )


q2 = Exercise(
    "Exercise 2 (the state after k steps)",
    cases=_state_cases,
    mistakes=_STATE_MISTAKES,
    pieces=lambda k, z: {"zk": z**k},
    convert=as_number,
    otherwise=_state_differs,
    hints=[
        "Write h_1 = z h0 + (1 - z) c, then substitute it into h_2 = z h_1 + (1 - z) c "
        "and tidy up. Do you see a pattern?",
        "Look at the gap between the state and the candidate, h_k - c. Subtract c from both "
        "sides of h_k = z h_(k-1) + (1 - z) c: what happens to the gap at each step?",
        "The gap h_k - c is (h0 - c) times a power of z. Which power, after k steps? "
        "Then solve for h_k.",
    ],
    reference=state_after,
)


# ------------------------------------------------ q3: make h0 matter, or not
def update_gate_biases():
    """The two update-gate biases of exercise 3, b_remember and b_forget."""
    b_remember = 5.0  # z = sigmoid(5) = 0.993: the gap 2 z^20 is still 1.75
    b_forget = -2.0  # z = sigmoid(-2) = 0.12: the gap 2 z^20 is below 1e-18
    return b_remember, b_forget


def final_gap(b):
    """|h_T(h0 = +1) - h_T(h0 = -1)| for handset_gru(W_h=1.0, bx_z=b) on exercise 3's 20 inputs."""
    x = np.random.default_rng(303).normal(size=(1, 20, 1))
    gru = handset_gru(W_h=1.0, bx_z=b)
    h_plus = gru(x, initial_state=np.array([[1.0]]))[0, 0]
    h_minus = gru(x, initial_state=np.array([[-1.0]]))[0, 0]
    return abs(float(h_plus - h_minus))


def _number(value, name):
    if value is None:
        raise Mistake(f"{name} is None: put a number there.")
    try:
        number = float(as_number(value, name, finite=False))
    except Mistake:
        number = None
    if number is None or isinstance(value, (bool, np.bool_)):
        raise Mistake(f"{name} should be a number, such as 1.5; it is a {type(value).__name__}.")
    if not np.isfinite(number):
        raise Mistake(f"{name} should be a finite number, not {number}.")
    return number


def _check_biases(answer):
    names, name = ("b_remember", "b_forget"), "update_gate_biases"
    parts = as_parts(answer_of(answer, name), name, names, kind="numbers")
    biases = [_number(value, part) for value, part in zip(parts, names, strict=True)]
    gaps = [final_gap(b) for b in biases]
    if gaps[1] > 0.5 and gaps[0] < 1e-3:
        raise Mistake(
            "your two biases look swapped: b_forget makes the GRU remember its start and "
            "b_remember makes it forget. Which way does a large z push the state?"
        )
    targets = [("more than 0.5", gaps[0] > 0.5), ("less than 0.001", gaps[1] < 1e-3)]
    problems = [
        f"with {part} = {b:g} the two final states differ by {gap:.2g}, not by {target}."
        for part, b, gap, (target, met) in zip(names, biases, gaps, targets, strict=True)
        if not met
    ]
    if problems:
        raise Mistake(" And ".join(problems) + " Remember: z is the share of the old state kept.")


q3 = Exercise(
    "Exercise 3 (make h0 matter, or not)",
    _check_biases,
    hints=[
        "Call the two runs' states h+ and h-. The candidate here does not depend on the "
        "state, so at every step it is the same in both runs.",
        "Subtract the two state equations: h+_t - h-_t = z (h+_(t-1) - h-_(t-1)). The gap "
        "starts at 2 and is multiplied by z = sigmoid(b) at each of the 20 steps.",
        "You need 2 z^20 > 0.5 for b_remember and 2 z^20 < 0.001 for b_forget. Solve each "
        "for z, then find a b with sigmoid(b) on the right side (sigmoid is increasing).",
    ],
    reference=update_gate_biases,
)
