"""The exercises of notebook 04, training a classifier: ``q1`` to ``q4``.

``q1`` labels the memory task, ``q2`` finds the update-gate bias with a given half-life,
``q3`` computes a padding mask, ``q4`` the loss of a model that ignores its inputs. The
checks compare with the task's own labels and masks, in NumPy: no training, no TensorFlow.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from gru_lesson.exercises import Exercise, Shape, agrees, as_number
from gru_lesson.gru import sigmoid
from gru_lesson.tasks import A, B, make_memory_task
from gru_lesson.training import update_gate_memory

__all__ = ["q1", "q2", "q3", "q4"]


# --------------------------------------------------- q1: which came first?
def which_came_first(x):
    """The label of each sequence, (n,): 1 if its first A or B is an A, 0 if it is a B."""
    is_ab = (x[:, :, A] == 1) | (x[:, :, B] == 1)  # (n, T): the steps that hold an A or a B
    t_first = is_ab.argmax(axis=1)  # argmax of booleans: the first True
    return (x[np.arange(len(x)), t_first, A] == 1).astype(int)


_LABEL_CASES = {  # description: options of make_memory_task
    "sequences of full length": dict(n=200, T=30, seed=401),
    "sequences with many distractors": dict(n=200, T=20, seed=402, distractor_rate=0.6),
    "sequences of five symbols (three fillers) whose cue starts as late as step 9": dict(
        n=200, T=40, seed=403, n_filler=3, cue_window=10
    ),
    "sequences padded at the end": dict(n=200, T=40, seed=404, min_length=10),
    "sequences padded at the start": dict(n=200, T=40, seed=405, min_length=10, padding="pre"),
}


def _label_cases():
    """({"x": x}, y, description): the task's own labels are the truth."""
    for description, options in _LABEL_CASES.items():
        x, y = make_memory_task(**options)
        yield {"x": x}, y, description


def _last_ab(x):
    """Each sequence's last step that holds an A or a B."""
    is_ab = (x[:, :, A] + x[:, :, B]) > 0
    return x.shape[1] - 1 - is_ab[:, ::-1].argmax(axis=1)


def _first_symbol_by_argmax(x):
    """Each sequence's first A or B, found with argmax, which reads a padding step as A."""
    symbols = x.argmax(axis=-1)  # an all-zero step (padding) gets 0, which is A
    return symbols[np.arange(len(x)), (symbols <= 1).argmax(axis=1)]


_LABEL_MISTAKES = {  # message: wrong answer, of x and the counts of A's and B's, n_A and n_B
    "Your labels are swapped: y = 1 means that A came first (the cue is A then B), "
    "y = 0 that B did.": lambda x: 1 - which_came_first(x),
    "You labelled each sequence by its last A or B. After the cue come distractors, "
    "A's and B's that say nothing about the label: what counts is the first "
    "one.": lambda x: (x[np.arange(len(x)), _last_ab(x), A] == 1).astype(int),
    "You compared how many A's and B's each sequence holds. Counting cannot work on this "
    "task: the cue always brings one A and one B, and the distractors are drawn whatever "
    "the label. What matters is the order.": (
        lambda n_A, n_B: (n_A > n_B).astype(int),
        lambda n_A, n_B: (n_A >= n_B).astype(int),
        lambda n_A, n_B: (n_A < n_B).astype(int),
    ),
    "You checked whether an A appears at all. Every sequence has one (the cue brings "
    "it), and later A's are distractors: look for the first A or "
    "B.": lambda n_A: (n_A > 0).astype(int),
    "You looked at step 0 only. The cue starts at a random step, with filler before "
    "it (and padding, when a sequence is padded at the start): look for the first step "
    "that holds an A or a B.": lambda x: (x[:, 0, A] == 1).astype(int),
    "Right on sequences without padding at the start, but there your function reads the "
    "padding as A: an all-zero step's argmax is 0, the index of A. Test the features "
    "themselves (x[:, :, A] == 1) instead of the "
    "argmax.": lambda x: (_first_symbol_by_argmax(x) == A).astype(int),
}


def _label_slips(x):
    per_step = "that is one per step; the task has one per sequence"
    flat = "return a flat array, like the y of make_memory_task"
    return {(len(x), 1): flat, x.shape[:2]: per_step, x.shape: per_step}


def _not_labels(mine):
    if not np.all((mine == 0) | (mine == 1)):
        return "the labels are 0 or 1; your function returned other numbers too."


def _labels_differ(case, mine, expected):
    return (
        f"on {case}, {int(np.sum(mine != expected))} of your {len(expected)} labels are "
        "wrong. Print a few of them with to_text(x[i]) next to your label, and read them."
    )


q1 = Exercise(
    "Exercise 1 (which came first?)",
    cases=_label_cases,
    mistakes=_LABEL_MISTAKES,
    pieces=lambda x: {"n_A": x[:, :, A].sum(axis=1), "n_B": x[:, :, B].sum(axis=1)},
    shape=Shape("your array of labels", "(n,) = {}, one label per sequence", _label_slips),
    problem=_not_labels,
    otherwise=_labels_differ,
    hints=[
        "The label is decided by the first step that holds an A or a B. x[:, :, A] == 1 is "
        "True where a step is an A, x[:, :, B] == 1 where it is a B.",
        "Combine the two with | into one (n, T) array of booleans; argmax along time gives the "
        "index of its first True. Then look up which of A and B sits at that step.",
        "With t_first the (n,) indices of the first A or B: x[np.arange(n), t_first, A] == 1 "
        "is True exactly when that step is an A. Turn it into 0's and 1's with .astype(int).",
    ],
    reference=which_came_first,
)


# ------------------------------------------- q2: the update gate's half-life
def bias_for_half_life(T):
    """The update-gate bias b whose gate z = sigmoid(b) keeps half of the state after T steps."""
    z = 0.5 ** (1 / T)  # z**T = 1/2
    return np.log(z / (1 - z))  # the inverse of the sigmoid: b = log(z / (1 - z))


_HALF_LIVES = [1, 2, 3, 10, 50, 100, 1000]


def _half_life_cases():
    """({"T": T}, the bias): checked against a GRU in the tests, and against update_gate_memory."""
    for T in _HALF_LIVES:
        yield {"T": T}, bias_for_half_life(T)


def _logit(z):  # for the wrong answers, which CheckOnCases runs with NumPy's warnings off
    return np.log(z / (1 - z))


_HALF_LIFE_MISTAKES = {  # message: wrong answer, of T and the right gate z = 0.5 ** (1 / T)
    "You returned the gate's value z, not its bias. z = sigmoid(b): the bias is "
    "what goes *into* the sigmoid, so invert it.": lambda z: z,
    "log(z) is not the sigmoid's inverse. From z = 1 / (1 + exp(-b)), solve for b.": lambda z: (
        np.log(z)
    ),
    "A sign error, or the flipped convention: with your bias, 1 - z is the share "
    "that survives half. In this course (and in Keras) z is the share of the state "
    "that is kept, h = z * h_prev + (1 - z) * h~.": lambda z: -_logit(z),
    "Off by a power: z**T = 1/2 needs z = 0.5 ** (1 / T). You raised 0.5 to the "
    "power T, which makes z smaller as T grows: a shorter memory.": lambda T: _logit(0.5**T),
    "Off by one step: after T steps the state has been multiplied by z exactly "
    "T times, so z**T = 1/2.": lambda T: _logit(0.5 ** (1 / (T + 1))),
    "b = log(T) is section 4's chrono start for a span of about 1 + T steps: "
    "z = T / (1 + T), which keeps about 1/e of the state after T steps, not a "
    "half.": lambda T: np.log(T),
    "Your gate keeps 1/e of the state after T steps, not a half: the equation is "
    "z**T = 1/2, so z = 0.5 ** (1 / T), not exp(-1 / T).": lambda T: _logit(np.exp(-1 / T)),
    "The sigmoid uses the natural logarithm: 1 / (1 + exp(-b)). Invert it with "
    "np.log, not np.log2 or np.log10.": (
        lambda z: np.log2(z / (1 - z)),
        lambda z: np.log10(z / (1 - z)),
    ),
}


_NOT_FINITE = {  # what a bias of NaN or infinity means
    "nan": "NaN: look for 0 / 0, or the log of a negative number.",
    "inf": "+infinity, which means z = 1 exactly, a gate that never lets anything in. Look for "
    "an integer division (1 // T instead of 1 / T) or a division by zero.",
    "-inf": "-infinity, which means z = 0 exactly, a gate that keeps nothing. Look for the log "
    "of 0, or a division by zero.",
}


def _half_life_problem(mine, T):
    if not np.isfinite(mine):
        return f"bias_for_half_life({T}) is {_NOT_FINITE[str(float(mine))]}"


def _apart(value, target):
    """``value`` with just enough digits to tell it from ``target``."""
    for digits in range(4, 17):
        if f"{value:.{digits}g}" != f"{target:.{digits}g}":
            break
    return f"{value:.{digits}g}"


def _half_life_differs(T, mine):
    kept = float(update_gate_memory(float(mine), T))  # what a state keeps after T steps
    more, less = "too much: a smaller bias keeps less", "too little: a larger bias keeps more"
    fix = more if kept > 0.5 else less
    steps = f"{T} step" + "s" * (T > 1)
    return (
        f"for T = {T}, your bias gives z = sigmoid(b) = {sigmoid(float(mine)):.4g}, which keeps "
        f"{_apart(kept, 0.5)} of the state after {steps}, not one half ({fix}). "
        "Solve z**T = 1/2 exactly, then invert the sigmoid."
    )


_ANY_NUMBER = partial(as_number, finite=False)  # NaN and infinity are explained in words

q2 = Exercise(
    "Exercise 2 (the update gate's half-life)",
    cases=_half_life_cases,
    mistakes=_HALF_LIFE_MISTAKES,
    pieces=lambda T: {"z": 0.5 ** (1 / T)},
    convert=_ANY_NUMBER,
    problem=_half_life_problem,
    otherwise=_half_life_differs,
    hints=[
        "Two steps: first the gate value z that keeps half after T steps, then the bias b "
        "with sigmoid(b) = z.",
        "A constant gate keeps z**T of the state after T steps (section 4). Solve z**T = 1/2 "
        "for z: z = 0.5 ** (1 / T).",
        "z = 1 / (1 + exp(-b)) gives exp(-b) = (1 - z) / z, so b = log(z / (1 - z)): the "
        "logit, the sigmoid's inverse. Use np.log, the natural logarithm.",
    ],
    reference=bias_for_half_life,
)


# ------------------------------------------------------ q3: the padding mask
def padding_mask(x):
    """(batch, time) booleans: True on real steps, False on padding (steps whose features are all 0)."""
    return np.any(x != 0, axis=-1)  # a step is padding only if every feature is exactly 0


def _real_valued_case():
    """Zero-padded real-valued sequences, with steps that trip the shortcuts."""
    rng = np.random.default_rng(406)
    n, T, D = 6, 12, 3
    x = rng.normal(size=(n, T, D))
    lengths = np.array([12, 9, 5, 7, 3, 10])
    x[np.arange(T)[None, :] >= lengths[:, None]] = 0.0  # padding at the end
    x[0, 2] = [0.5, -0.5, 0.0]  # features that add up to 0
    x[1, 4] = [-0.2, -1.0, -0.3]  # all negative
    x[2, 1] = [0.0, 0.0, 1e-3]  # one small feature
    x[3, 0] = [0.0, -2.0, 0.0]  # one negative feature
    return x, np.any(x != 0, axis=-1)


def _mask_cases():
    """({"x": x}, mask, description): the task's own masks, then real-valued features."""
    for padding, seed, where in [("post", 407, "end"), ("pre", 408, "start")]:
        x, _, info = make_memory_task(
            8, 20, seed=seed, min_length=6, padding=padding, return_info=True
        )
        yield {"x": x}, info.mask, f"one-hot sequences padded at the {where}"
    x, mask = _real_valued_case()
    real = "real-valued sequences (such as the blog post's random inputs) padded with zeros"
    yield {"x": x}, mask, real


_MASK_MISTAKES = {  # message: wrong answer, of x, its steps' sums and the right mask
    "Your mask is inverted: True must mark the real steps, the ones to read, as in "
    "Keras and in GRU.trace's mask=.": lambda real: ~real,
    "Summing the features is not enough: a real step whose features add up to 0 "
    "counts as padding in your mask. Test each feature (x != 0) or sum absolute "
    "values.": lambda total: total != 0,
    "A real step whose features add up to 0 or less counts as padding in your mask: "
    "features can be negative. Test each feature (x != 0) or sum absolute "
    "values.": lambda total: total > 0,
    "A real step whose features are all negative counts as padding in your mask. "
    "Padding means every feature is exactly 0: test x != 0, not x > "
    "0.": lambda x: np.any(x > 0, axis=-1),
    "Your mask looks at the first feature only. A step is padding when all of its "
    "features are 0.": lambda x: x[..., 0] != 0,
    "all() asks every feature to be non-zero, and a one-hot step has a single 1. A step "
    "is padding when all of its features are 0, that is, when none is non-zero: "
    "any().": lambda x: np.all(x != 0, axis=-1),
    "Your mask puts the real steps first, which is right for padding at the end only. "
    "With padding at the start the real steps come last: test the steps "
    "themselves.": lambda x, real: np.arange(x.shape[1]) < real.sum(axis=1, keepdims=True),
    "You used the argmax of each step. An all-zero step's argmax is 0, but so is an A's "
    "(feature 0): test whether any feature is non-zero.": lambda x: x.argmax(axis=-1) != 0,
}


def _mask_of_numbers(mine, expected):
    if mine.dtype != bool and agrees(mine, expected):
        return (
            f"right values, but as numbers ({mine.dtype}): return booleans. GRU.trace "
            "refuses a mask of numbers, and NumPy indexing with an array of 0's and 1's "
            "picks rows 0 and 1 instead of masking: x[mask] needs True and False."
        )


def _mask_differs(case, mine, expected):
    return (
        f"on {case}, your mask is wrong at {int(np.sum(mine != expected))} of "
        f"{expected.size} steps. A step is padding exactly when all of its features are 0."
    )


def _mask_slips(x):
    n, T, D = x.shape
    return {
        (n, D): "you reduced over time (axis=1); reduce over the features, the last axis",
        (T, D): "you reduced over the batch (axis=0); reduce over the features, the last axis",
        (n, T, D): "you tested each feature: combine a step's features into one answer",
    }


q3 = Exercise(
    "Exercise 3 (the padding mask)",
    cases=_mask_cases,
    mistakes=_MASK_MISTAKES,
    pieces=lambda x: {"total": x.sum(axis=-1), "real": np.any(x != 0, axis=-1)},
    shape=Shape(
        "your mask", "(batch, time) = {}", _mask_slips, "one value per step of each sequence"
    ),
    problem=_mask_of_numbers,
    otherwise=_mask_differs,
    hints=[
        "A step is padding when all of its D features are exactly 0, and real otherwise. "
        "The mask is True on real steps.",
        "x != 0 is a (batch, time, D) array of booleans. Reduce it over the last axis: a step "
        "is real if *any* of its features is non-zero.",
        "np.any(..., axis=-1) gives (batch, time). Do not sum the features instead: real "
        "features can be negative and cancel out.",
    ],
    reference=padding_mask,
)


# ------------------------------------------- q4: the loss of knowing nothing
def chance_loss(y):
    """The lowest mean binary cross-entropy of a model that predicts the same p for every sequence."""
    p = np.mean(y)  # the best constant prediction: the mean label
    if p == 0 or p == 1:  # all the labels are equal: predict them exactly, at no cost
        return 0.0
    return -p * np.log(p) - (1 - p) * np.log(1 - p)  # its mean loss


def _xlogx(v):
    """v log v, with its limit 0 at v = 0 (NumPy's 0 * log(0) is NaN)."""
    v = np.asarray(v, dtype=float)
    return np.where(v > 0, v * np.log(np.where(v > 0, v, 1.0)), 0.0)


def _entropy(p):
    return -_xlogx(p) - _xlogx(1 - p)


def _chance_loss_labels():
    """Label arrays: balanced, unbalanced, soft labels like the blog post's, and all equal."""
    rng = np.random.default_rng(409)
    _, y_task = make_memory_task(100, 10, seed=409)
    unbalanced = np.zeros(200, dtype=np.int32)
    unbalanced[:40] = 1
    rng.shuffle(unbalanced)
    mostly_ones = (rng.random(300) < 0.9).astype(np.int32)
    return [
        y_task,  # 0's and 1's, half each
        unbalanced,  # 20% ones
        mostly_ones,  # about 90% ones
        rng.random(100),  # the blog post's labels: uniform in [0, 1)
        rng.beta(2.0, 5.0, size=150),  # soft labels, mostly small
        np.zeros(50, dtype=np.int32),  # all 0's
        np.ones(30),  # all 1's
    ]


def _chance_loss_cases():
    """({"y": y}, the mean loss of the best constant p, the mean label)."""
    for y in _chance_loss_labels():
        yield {"y": y}, float(_entropy(np.mean(y)))


_CHANCE_LOSS_MISTAKES = {  # message: wrong answer, of the labels y and their mean p
    "Right for balanced labels only. log 2 is the loss of p = 0.5; when the labels "
    "are not half 0 and half 1, another constant p does better.": lambda: np.log(2),
    "You measured in bits (log base 2). Binary cross-entropy, in Keras as in this "
    "notebook, uses the natural logarithm.": lambda p: _entropy(p) / np.log(2),
    "A sign error: a cross-entropy is never negative, L = -y log p - (1 - y) log(1 - "
    "p).": lambda p: -_entropy(p),
    "That is the chance accuracy (the share of the most common label), not a loss.": lambda p: max(
        p, 1 - p
    ),
    "That is the error rate of always answering the most common label, not the "
    "cross-entropy of the best constant probability.": lambda p: min(p, 1 - p),
    "That is the best constant prediction p itself (the mean label). The question asks "
    "for the mean loss that this p reaches.": lambda p: p,
    "That is the loss of a model that predicts every label exactly, p_i = y_i: it would "
    "have to tell the sequences apart, and a model that ignores x cannot. It gives all "
    "of them the same p.": lambda y: np.mean(_entropy(np.asarray(y, dtype=float))),
    "That is the lowest mean *squared* error of a constant prediction (the variance of "
    "y). The question asks for the binary cross-entropy.": lambda y: np.var(y),
}


def _chance_loss_problem(mine, y):
    """A loss that is not a finite number, in words."""
    if np.isfinite(mine):
        return None
    if np.ptp(y) == 0:
        return (
            "chance_loss returned NaN or infinity when all the labels are equal (all 0's, or "
            "all 1's). There the best p is that label itself, and NumPy computes 0 * log(0) as "
            "NaN, while p log p goes to 0 as p goes to 0: handle that case on its own."
        )
    return (
        "chance_loss returned infinity or NaN. A constant p of exactly 0 or 1 costs "
        "log 0 = -infinity on every label of the other class: the best p lies strictly "
        "between 0 and 1."
    )


def _chance_loss_differs(mine, expected):
    lower, higher = "lower than any constant p can reach", "higher than the best constant p "
    side = lower if mine < expected else higher + "reaches: that p is not the best one"
    return (
        f"on some labels your loss is {side}. Write the mean loss as a function of p and find "
        "its minimum."
    )


q4 = Exercise(
    "Exercise 4 (the loss of knowing nothing)",
    cases=_chance_loss_cases,
    mistakes=_CHANCE_LOSS_MISTAKES,
    pieces=lambda y: {"p": np.mean(np.asarray(y, dtype=float))},
    convert=_ANY_NUMBER,
    problem=_chance_loss_problem,
    otherwise=_chance_loss_differs,
    hints=[
        "A model that ignores x predicts one p for all n sequences. Its mean loss is "
        "-mean(y) log p - (1 - mean(y)) log(1 - p): it depends on the labels only through "
        "their mean.",
        "Find the p that minimizes it: set the derivative with respect to p to zero. "
        "-mean(y) / p + (1 - mean(y)) / (1 - p) = 0.",
        "The best constant is p = mean(y). Put it back into the mean loss, with np.log "
        "(the natural logarithm).",
    ],
    reference=chance_loss,
)
