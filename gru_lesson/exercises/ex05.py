"""The exercises of notebook 05, the gate explorer: ``q1``, ``q2``, ``q3``.

``q1`` is the hand-set puzzle of the playground, ``q2`` the measure that finds
the memory units, ``q3`` the gate saturation shares. Each check runs your
function on inputs of its own and compares with the package.
"""

from __future__ import annotations

import numpy as np

from gru_lesson.exercises import Exercise, Mistake, Shape, answer_of
from gru_lesson.gates import cue_flip_batch, gate_saturation
from gru_lesson.gates import label_correlation as _label_correlation
from gru_lesson.gru import GRU
from gru_lesson.handset import PUZZLE, first_input_verdict, handset_gru, input_influence
from gru_lesson.trained import load_trained_classifier

__all__ = ["q1", "q2", "q3"]


# ------------------------------------------------- q1: the first input only
def first_input_gru():
    """A GRU whose output (unit 0's last state) depends on the first input only."""
    return handset_gru(
        W_h=[[1.0, 0.0]],  # unit 0 writes the input; unit 1 ignores it
        bx_h=[0.0, 10.0],  # unit 1's candidate is tanh(10), about 1: a flag
        bx_z=[-10.0, -10.0],  # z near 0 at step 0: both units write
        R_z=[[0.0, 0.0], [20.0, 0.0]],  # once the flag is up, unit 0 keeps (z near 1)
    )


def _check_first_input(answer):
    if isinstance(answer, GRU):
        raise Mistake(
            "pass the function itself, not the GRU it builds: "
            ".check(first_input_gru), not .check(first_input_gru())."
        )
    gru = answer_of(answer, "first_input_gru")
    if not isinstance(gru, GRU):
        raise Mistake(
            "first_input_gru should return a GRU, such as handset_gru(...), "
            f"but it returned a {type(gru).__name__}."
        )
    if gru.input_dim != 1:
        raise Mistake(
            f"the puzzle's GRU reads one number per step (input_dim 1); yours reads "
            f"{gru.input_dim}. Give W_z, W_r and W_h one row."
        )
    if gru.return_state or gru.go_backwards:
        raise Mistake("build the GRU with the defaults: no return_state, no go_backwards.")
    solved, message = first_input_verdict(gru)
    if not solved:
        message = _writes_on_some_sequences(gru) or message.removeprefix("Not yet: ")
        raise Mistake(message[0].upper() + message[1:])


def _writes_on_some_sequences(gru):
    """When later inputs leak in on some of the puzzle's sequences only, say on which, or None.

    A gate summed up by one typical value can look as if the unit keeps while it
    writes on part of the sequences: this names both groups, and what sets them apart.
    """
    x = np.random.default_rng(PUZZLE["seed"]).uniform(-2, 2, size=(PUZZLE["n"], PUZZLE["T"]))
    first, *later = input_influence(gru, x, seed=PUZZLE["seed"])
    if first < PUZZLE["first_at_least"] or max(later) <= PUZZLE["later_at_most"]:
        return None
    lowest = gru.trace(x[..., None]).z[:, 1:, 0].min(axis=1)  # per sequence, after step 0
    leaky = lowest < 0.99
    if leaky.all() or not leaky.any():
        return None
    which = ""
    for sign, word in ((-1, "negative"), (1, "positive")):
        if np.array_equal(leaky, sign * x[:, 0] > 0):
            which = f", exactly those whose first input is {word}"
    return (
        f"later inputs still move the output on some sequences. After step 0 unit 0 keeps "
        f"(z near 1) on {int((~leaky).sum())} of the {len(x)} sequences, but its update gate "
        f"drops on the other {int(leaky.sum())} (down to {lowest[leaky].min():.2f}){which}: "
        "there the unit writes new inputs into its state. What sets the gate after step 0, "
        "and why does it differ from one sequence to another?"
    )


q1 = Exercise(
    "Exercise 1 (the first input only)",
    _check_first_input,
    hints=[
        "Unit 0 must write at step 0 (z near 0), so that the first input goes into its "
        "state, and keep at every later step (z near 1), so that nothing else does. The "
        "gate sees only the input and the previous state. What is different at step 0?",
        "At step 0 the previous state is h0 = 0, at every later step it is whatever step 0 "
        "wrote. A second unit can be a flag: 0 before step 0, about 1 after it, whatever "
        "the input. Its candidate bias bx_h makes it so.",
        "Give the flag unit (unit 1) a large candidate bias and a negative update bias (it "
        "writes). Give unit 0 a negative update bias (it writes at step 0) and a large "
        "positive R_z from unit 1 (it keeps once the flag is up): R_z[1, 0]. The playground "
        "has all these sliders.",
    ],
    reference=first_input_gru,
)


# -------------------------------------------- q2: which units remember?
def label_correlation(h_T, y):
    """Per unit, the correlation of its last state with the label, shape (U,)."""
    hc = h_T - h_T.mean(axis=0)  # centre each unit over the sequences
    yc = y - y.mean()
    return (yc @ hc) / np.sqrt((hc**2).sum(axis=0) * (yc**2).sum())


def _correlation_cases():
    """({"h_T": h_T, "y": y}, the correlations): the trained classifier's last states, and
    random numbers of other sizes."""
    classifier, _ = load_trained_classifier()
    x, y, _, _ = cue_flip_batch(120, 30, seed=55)
    h_T, y = classifier.gru.trace(x).h[:, -1].astype(float), y.astype(float)
    yield {"h_T": h_T, "y": y}, _label_correlation(h_T, y)
    rng = np.random.default_rng(505)
    for n, U in [(37, 5), (9, 3)]:
        y = rng.integers(0, 2, size=n).astype(float)
        y[:2] = [0.0, 1.0]
        h_T = rng.normal(size=(n, U)) + np.outer(y, rng.normal(size=U))
        yield {"h_T": h_T, "y": y}, _label_correlation(h_T, y)


_CORRELATION_MISTAKES = {  # message: wrong answer, of h_T, y and the pieces of _correlation
    "You returned the covariance of each unit with the label, not the correlation: "
    "divide by both standard deviations (the unit's and the "
    "label's).": (lambda cov, n: cov / n, lambda cov, n: cov / (n - 1)),
    "Off by the factor n / (n - 1): the covariance and the two standard deviations "
    "must use the same divisor (n, or n - 1, but the same in all "
    "three).": (lambda corr, n: corr * n / (n - 1), lambda corr, n: corr * (n - 1) / n),
    "Centre first: subtract each unit's mean over the sequences, and the label's mean, "
    "before multiplying.": lambda h_T, y: (y @ h_T) / np.sqrt((h_T**2).sum(axis=0) * (y**2).sum()),
    "Keep the sign: a negative correlation says the unit goes negative when A came "
    "first, which is as useful as positive. Drop the abs().": lambda corr: np.abs(corr),
}


def _correlation(h_T, y):
    """n, n times each unit's covariance with the label, and the right correlations."""
    cov = (y - y.mean()) @ (h_T - h_T.mean(axis=0))
    return {"n": len(y), "cov": cov, "corr": _label_correlation(h_T, y)}


def _correlation_slips(h_T):
    n, U = h_T.shape
    per_sequence = "one number per sequence. Which axis of h_T runs over the sequences?"
    matrix = (
        "that looks like a whole correlation matrix (np.corrcoef). Keep only the row of the "
        "label against the units, (U,)."
    )
    return {(n,): per_sequence, (U + 1, U + 1): matrix, (n + 1, n + 1): matrix}


q2 = Exercise(
    "Exercise 2 (which units remember?)",
    cases=_correlation_cases,
    mistakes=_CORRELATION_MISTAKES,
    pieces=_correlation,
    shape=Shape("your result", "(U,) = {}", _correlation_slips),
    otherwise="Right shape, but the numbers are not the correlations. A correlation lies "
    "between -1 and 1: mean of the products of the centred values, divided by "
    "the two standard deviations.",
    hints=[
        "h_T has one row per sequence and one column per unit. For each column, you want "
        "Pearson's correlation between that column and y.",
        "Centre: hc = h_T - h_T.mean(axis=0) and yc = y - y.mean(). The covariance of every "
        "unit with the label, all at once, is yc @ hc (up to a divisor).",
        "Divide yc @ hc by the square root of (hc**2).sum(axis=0) * (yc**2).sum(): the "
        "divisors n cancel out.",
    ],
    reference=label_correlation,
)


# ------------------------------------------------ q3: saturated gates
def saturation_shares(gate, low, high):
    """Per unit, the share of steps with the gate below low, and the share above high."""
    steps = gate.reshape(-1, gate.shape[-1])  # every (sequence, step) is one row
    return (steps < low).mean(axis=0), (steps > high).mean(axis=0)


def _saturation_cases():
    """({"gate": gate, "low": low, "high": high}, the two shares): the trained classifier's
    update and reset gates, and random gates."""
    classifier, _ = load_trained_classifier()
    x, _, _, _ = cue_flip_batch(40, 25, seed=77)
    trace = classifier.gru.trace(x)
    rng = np.random.default_rng(77)
    for gate, low, high in [
        (trace.r.astype(float), 0.25, 0.6),  # asymmetric thresholds first: 1 - high != low
        (trace.z.astype(float), 0.1, 0.9),
        (rng.beta(0.4, 0.4, size=(7, 11, 3)), 0.2, 0.7),  # n, T and U all differ
    ]:
        yield {"gate": gate, "low": low, "high": high}, gate_saturation(gate, low=low, high=high)


_SATURATION_MISTAKES = {  # message: wrong answer, of the arguments and the right shares
    "Your two shares are swapped: below first, then above.": lambda below, above: (above, below),
    "Those are counts of steps; the exercise asks for shares (divide by the number "
    "of steps counted, n * "
    "T).": lambda gate, low, high: ((gate < low).sum((0, 1)), (gate > high).sum((0, 1))),
    "You counted sequences in which the gate is ever below (or above) the threshold, "
    "not steps. Every step of every sequence counts "
    "once.": lambda gate, low, high: ((gate < low).any(1).mean(0), (gate > high).any(1).mean(0)),
    "The two shares need not add up to 1: a gate can also be in between. Compute "
    "the share above high on its own.": lambda below: (below, 1 - below),
    "Above high means gate > high, not gate > 1 - high (the thresholds need not be "
    "symmetric).": lambda gate, high, below: (below, (gate > 1 - high).mean(axis=(0, 1))),
    "Below low means gate < low, not gate < 1 - low.": lambda gate, low, above: (
        (gate < 1 - low).mean(axis=(0, 1)),
        above,
    ),
}


q3 = Exercise(
    "Exercise 3 (saturated gates)",
    cases=_saturation_cases,
    mistakes=_SATURATION_MISTAKES,
    pieces=lambda gate, low, high: dict(
        zip(("below", "above"), saturation_shares(gate, low, high), strict=True)
    ),
    parts=("below", "above"),
    shape=Shape(
        "your share {}",
        "(U,) = {}, one number per unit",
        lambda gate: dict.fromkeys(
            [gate.shape[::2], gate.shape[1:]],
            "you averaged over one of the two axes (sequences, steps) only; average over both",
        ),
    ),
    otherwise="Right shapes, but not the shares of steps below low and above high. Each "
    "is a number between 0 and 1, for one unit, over every step of every sequence.",
    hints=[
        "gate < low is a boolean array of the gate's shape (n, T, U): True where the gate is "
        "below the threshold. The mean of booleans is the share of True.",
        "Average over the sequences and the steps together, one result per unit: "
        ".mean(axis=(0, 1)), or reshape to (n * T, U) first.",
        "Return a pair: (gate < low).mean(axis=(0, 1)), (gate > high).mean(axis=(0, 1)).",
    ],
    reference=saturation_shares,
)
