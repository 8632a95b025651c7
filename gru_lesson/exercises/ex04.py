"""The exercises of notebook 04, training a classifier: ``q1`` to ``q4``.

``q1`` labels the memory task from its inputs, ``q2`` finds the update-gate bias
with a given half-life, ``q3`` computes a padding mask, and ``q4`` the loss a
model reaches without looking at its inputs. Each check runs your function on
data of its own, made by :mod:`gru_lesson.tasks` or at random, and compares with
the package (the task's own labels and masks, ``update_gate_memory``). No
training, no TensorFlow: every check takes a fraction of a second.
"""

from __future__ import annotations

import numpy as np

from gru_lesson.exercises import (
    Exercise,
    Mistake,
    as_array,
    matching_mistake,
    require_function,
    same,
)
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


_LABEL_CASES = [
    ("sequences of full length", dict(n=200, T=30, seed=401)),
    ("sequences with many distractors", dict(n=200, T=20, seed=402, distractor_rate=0.6)),
    (
        "sequences of five symbols (three fillers) whose cue starts as late as step 9",
        dict(n=200, T=40, seed=403, n_filler=3, cue_window=10),
    ),
    ("sequences padded at the end", dict(n=200, T=40, seed=404, min_length=10)),
    ("sequences padded at the start", dict(n=200, T=40, seed=405, min_length=10, padding="pre")),
]


def _label_cases():
    """(description, x, y): the task's own labels are the truth."""
    for description, options in _LABEL_CASES:
        x, y = make_memory_task(**options)
        yield description, x, y


def _label_mistakes(x, y):
    """Classic wrong labellings of the sequences x, as (message, labels) pairs."""
    rows = np.arange(len(x))
    is_ab = (x[:, :, A] + x[:, :, B]) > 0
    t_last = x.shape[1] - 1 - is_ab[:, ::-1].argmax(axis=1)
    n_a, n_b = x[:, :, A].sum(axis=1), x[:, :, B].sum(axis=1)
    symbols = x.argmax(axis=-1)  # an all-zero step (padding) gets 0, which is A
    t_first_symbol = (symbols <= 1).argmax(axis=1)
    counts = (
        "You compared how many A's and B's each sequence holds. Counting cannot work on this "
        "task: the cue always brings one A and one B, and the distractors are drawn whatever "
        "the label. What matters is the order."
    )
    return [
        (
            "Your labels are swapped: y = 1 means that A came first (the cue is A then B), "
            "y = 0 that B did.",
            1 - y,
        ),
        (
            "You labelled each sequence by its last A or B. After the cue come distractors, "
            "A's and B's that say nothing about the label: what counts is the first one.",
            (x[rows, t_last, A] == 1).astype(int),
        ),
        (counts, (n_a > n_b).astype(int)),
        (counts, (n_a >= n_b).astype(int)),
        (counts, (n_a < n_b).astype(int)),
        (
            "You checked whether an A appears at all. Every sequence has one (the cue brings "
            "it), and later A's are distractors: look for the first A or B.",
            (n_a > 0).astype(int),
        ),
        (
            "You looked at step 0 only. The cue starts at a random step, with filler before "
            "it (and padding, when a sequence is padded at the start): look for the first step "
            "that holds an A or a B.",
            (x[:, 0, A] == 1).astype(int),
        ),
        (
            "Right on sequences without padding at the start, but there your function reads the "
            "padding as A: an all-zero step's argmax is 0, the index of A. Test the features "
            "themselves (x[:, :, A] == 1) instead of the argmax.",
            (symbols[rows, t_first_symbol] == A).astype(int),
        ),
    ]


def _check_labels(answer):
    require_function(answer, "which_came_first")
    for description, x, y in _label_cases():
        mine = as_array(answer(x.copy()), "which_came_first")
        n, T, _ = x.shape
        if mine.shape != y.shape:
            if mine.shape == (n, 1):
                raise Mistake(
                    f"your labels have shape {mine.shape}; return a flat array of shape "
                    f"(n,) = {y.shape}, one label per sequence, like the y of make_memory_task."
                )
            if mine.shape[:2] == (n, T):
                raise Mistake(
                    f"your labels have shape {mine.shape}, one per step; the task has one label "
                    f"per sequence, shape (n,) = {y.shape}."
                )
            raise Mistake(
                f"your labels have shape {mine.shape}; they should have shape (n,) = {y.shape}, "
                "one label per sequence."
            )
        if not np.all((mine == 0) | (mine == 1)):
            raise Mistake("the labels are 0 or 1; your function returned other numbers too.")
        if not same(mine, y):
            raise Mistake(
                matching_mistake(mine, _label_mistakes(x, y))
                or f"on {description}, {int(np.sum(mine != y))} of your {n} labels are wrong. "
                "Print a few of them with to_text(x[i]) next to your label, and read them."
            )


q1 = Exercise(
    "Exercise 1 (which came first?)",
    _check_labels,
    hints=[
        "The label is decided by the first step that holds an A or a B. x[:, :, A] == 1 is "
        "True where a step is an A, x[:, :, B] == 1 where it is a B.",
        "Combine the two with | into one (n, T) array of booleans; argmax along time gives the "
        "index of its first True. Then look up which of A and B sits at that step.",
        "With t_first the (n,) indices of the first A or B: x[np.arange(n), t_first, A] == 1 "
        "is True exactly when that step is an A. Turn it into 0's and 1's with .astype(int).",
    ],
    solution=which_came_first,
)


# ------------------------------------------- q2: the update gate's half-life
def bias_for_half_life(T):
    """The update-gate bias b whose gate z = sigmoid(b) keeps half of the state after T steps."""
    z = 0.5 ** (1 / T)  # z**T = 1/2
    return np.log(z / (1 - z))  # the inverse of the sigmoid: b = log(z / (1 - z))


_HALF_LIVES = [1, 2, 3, 10, 50, 100, 1000]


def _logit(z):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(z / (1 - z))


def _half_life_mistakes():
    """Classic wrong formulas for the bias, as (message, function of the array of T's)."""
    return [
        (
            "You returned the gate's value z, not its bias. z = sigmoid(b): the bias is "
            "what goes *into* the sigmoid, so invert it.",
            lambda T: 0.5 ** (1 / T),
        ),
        (
            "log(z) is not the sigmoid's inverse. From z = 1 / (1 + exp(-b)), solve for b.",
            lambda T: np.log(0.5 ** (1 / T)),
        ),
        (
            "A sign error, or the flipped convention: with your bias, 1 - z is the share "
            "that survives half. In this course (and in Keras) z is the share of the state "
            "that is kept, h = z * h_prev + (1 - z) * h~.",
            lambda T: -_logit(0.5 ** (1 / T)),
        ),
        (
            "Off by a power: z**T = 1/2 needs z = 0.5 ** (1 / T). You raised 0.5 to the "
            "power T, which makes z smaller as T grows: a shorter memory.",
            lambda T: _logit(0.5**T),
        ),
        (
            "Off by one step: after T steps the state has been multiplied by z exactly "
            "T times, so z**T = 1/2.",
            lambda T: _logit(0.5 ** (1 / (T + 1))),
        ),
        (
            "Off by one step: after T steps the state has been multiplied by z exactly "
            "T times, so z**T = 1/2.",
            lambda T: _logit(0.5 ** (1 / (T - 1))),
        ),
        (
            "b = log(T) is section 4's chrono start for a span of about 1 + T steps: "
            "z = T / (1 + T), which keeps about 1/e of the state after T steps, not a half.",
            lambda T: np.log(T),
        ),
        (
            "Your gate keeps 1/e of the state after T steps, not a half: the equation is "
            "z**T = 1/2, so z = 0.5 ** (1 / T), not exp(-1 / T).",
            lambda T: _logit(np.exp(-1 / T)),
        ),
        (
            "The sigmoid uses the natural logarithm: 1 / (1 + exp(-b)). Invert it with "
            "np.log, not np.log2 or np.log10.",
            lambda T: np.log2(0.5 ** (1 / T) / (1 - 0.5 ** (1 / T))),
        ),
        (
            "The sigmoid uses the natural logarithm: 1 / (1 + exp(-b)). Invert it with "
            "np.log, not np.log2 or np.log10.",
            lambda T: np.log10(0.5 ** (1 / T) / (1 - 0.5 ** (1 / T))),
        ),
    ]


def _check_half_life(answer):
    require_function(answer, "bias_for_half_life")
    biases = []
    for T in _HALF_LIVES:
        array = as_array(answer(T), "bias_for_half_life", finite=False)
        if array.size != 1:
            raise Mistake(
                f"bias_for_half_life({T}) returned {array.size} numbers; it should return one, "
                "the bias b."
            )
        b = float(array.reshape(()))
        if not np.isfinite(b):
            raise Mistake(
                f"bias_for_half_life({T}) is not a finite number: a bias of +infinity means "
                "z = 1 exactly, a gate that never lets anything in. Look for an integer "
                "division (1 // T instead of 1 / T) or a division by zero."
            )
        biases.append(b)
    biases, T = np.array(biases), np.array(_HALF_LIVES, dtype=float)
    kept = update_gate_memory(biases, T)  # what a state keeps after T steps with z = sigmoid(b)
    if np.allclose(kept, 0.5, rtol=1e-9, atol=0):
        return
    for message, formula in _half_life_mistakes():
        with np.errstate(divide="ignore", invalid="ignore"):
            wrong = formula(T)
        if same(biases, wrong, atol=1e-9):
            raise Mistake(message)
    i = int(np.argmax(~np.isclose(kept, 0.5, rtol=1e-9, atol=0)))
    steps = f"{_HALF_LIVES[i]} step" + "s" * (_HALF_LIVES[i] > 1)
    fix = (
        "too much: a smaller bias keeps less"
        if kept[i] > 0.5
        else "too little: a larger bias keeps more"
    )
    raise Mistake(
        f"for T = {_HALF_LIVES[i]}, your bias gives z = sigmoid(b) = {sigmoid(biases[i]):.4g}, "
        f"which keeps {kept[i]:.4g} of the state after {steps}, not one half ({fix}). "
        "Solve z**T = 1/2 exactly, then invert the sigmoid."
    )


q2 = Exercise(
    "Exercise 2 (the update gate's half-life)",
    _check_half_life,
    hints=[
        "Two steps: first the gate value z that keeps half after T steps, then the bias b "
        "with sigmoid(b) = z.",
        "A constant gate keeps z**T of the state after T steps (section 4). Solve z**T = 1/2 "
        "for z: z = 0.5 ** (1 / T).",
        "z = 1 / (1 + exp(-b)) gives exp(-b) = (1 - z) / z, so b = log(z / (1 - z)): the "
        "logit, the sigmoid's inverse. Use np.log, the natural logarithm.",
    ],
    solution=bias_for_half_life,
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
    """(description, x, mask): the task's own masks, then real-valued features."""
    for description, padding, seed in [
        ("one-hot sequences padded at the end", "post", 407),
        ("one-hot sequences padded at the start", "pre", 408),
    ]:
        x, _, info = make_memory_task(
            8, 20, seed=seed, min_length=6, padding=padding, return_info=True
        )
        yield description, x, info.mask
    x, mask = _real_valued_case()
    yield "real-valued sequences (such as the blog post's random inputs) padded with zeros", x, mask


def _mask_mistakes(x, mask):
    T = x.shape[1]
    lengths = mask.sum(axis=1)
    total = x.sum(axis=-1)
    return [
        (
            "Your mask is inverted: True must mark the real steps, the ones to read, as in "
            "Keras and in GRU.trace's mask=.",
            ~mask,
        ),
        (
            "Summing the features is not enough: a real step whose features add up to 0 "
            "counts as padding in your mask. Test each feature (x != 0) or sum absolute values.",
            total != 0,
        ),
        (
            "A real step whose features add up to 0 or less counts as padding in your mask: "
            "features can be negative. Test each feature (x != 0) or sum absolute values.",
            total > 0,
        ),
        (
            "A real step whose features are all negative counts as padding in your mask. "
            "Padding means every feature is exactly 0: test x != 0, not x > 0.",
            np.any(x > 0, axis=-1),
        ),
        (
            "Your mask looks at the first feature only. A step is padding when all of its "
            "features are 0.",
            x[..., 0] != 0,
        ),
        (
            "all() asks every feature to be non-zero, and a one-hot step has a single 1. A step "
            "is padding when all of its features are 0, that is, when none is non-zero: any().",
            np.all(x != 0, axis=-1),
        ),
        (
            "Your mask puts the real steps first, which is right for padding at the end only. "
            "With padding at the start the real steps come last: test the steps themselves.",
            np.arange(T)[None, :] < lengths[:, None],
        ),
        (
            "You used the argmax of each step. An all-zero step's argmax is 0, but so is an A's "
            "(feature 0): test whether any feature is non-zero.",
            x.argmax(axis=-1) != 0,
        ),
    ]


def _check_mask(answer):
    require_function(answer, "padding_mask")
    for description, x, mask in _mask_cases():
        value = answer(x.copy())
        if value is None:
            raise Mistake("padding_mask returned None: did you forget the `return`?")
        raw = np.asarray(value)
        mine = as_array(raw, "padding_mask")
        n, T, D = x.shape
        if mine.shape != mask.shape:
            if mine.shape == (n, D):
                problem = "you reduced over time (axis=1); reduce over the features, the last axis"
            elif mine.shape == (T, D):
                problem = (
                    "you reduced over the batch (axis=0); reduce over the features, the last axis"
                )
            elif mine.shape == (T, n):
                problem = "it looks transposed"
            elif mine.shape == x.shape:
                problem = "you tested each feature: combine a step's features into one answer"
            else:
                problem = "one value per step of each sequence"
            raise Mistake(
                f"your mask has shape {mine.shape}, it should be (batch, time) = {mask.shape}: "
                f"{problem}."
            )
        if same(mine, mask) and raw.dtype != bool:
            raise Mistake(
                f"right values, but as numbers ({raw.dtype}): return booleans. GRU.trace "
                "refuses a mask of numbers, and NumPy indexing with an array of 0's and 1's "
                "picks rows 0 and 1 instead of masking: x[mask] needs True and False."
            )
        if not same(mine, mask):
            raise Mistake(
                matching_mistake(mine, _mask_mistakes(x, mask))
                or f"on {description}, your mask is wrong at {int(np.sum(mine != mask))} of "
                f"{mask.size} steps. A step is padding exactly when all of its features are 0."
            )


q3 = Exercise(
    "Exercise 3 (the padding mask)",
    _check_mask,
    hints=[
        "A step is padding when all of its D features are exactly 0, and real otherwise. "
        "The mask is True on real steps.",
        "x != 0 is a (batch, time, D) array of booleans. Reduce it over the last axis: a step "
        "is real if *any* of its features is non-zero.",
        "np.any(..., axis=-1) gives (batch, time). Do not sum the features instead: real "
        "features can be negative and cancel out.",
    ],
    solution=padding_mask,
)


# ------------------------------------------- q4: the loss of knowing nothing
def chance_loss(y):
    """The lowest mean binary cross-entropy of a model that predicts the same p for every sequence."""
    p = np.mean(y)  # the best constant prediction: the mean label
    return -p * np.log(p) - (1 - p) * np.log(1 - p)  # its mean loss


def _xlogx(v):
    v = np.asarray(v, dtype=float)
    return np.where(v > 0, v * np.log(np.where(v > 0, v, 1.0)), 0.0)


def _chance_loss_cases():
    """Label arrays: balanced, unbalanced, and soft labels like the blog post's."""
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
    ]


def _chance_loss_mistakes(ys):
    """Classic wrong answers, each a vector with one value per label array in ys."""

    def each(f):
        return np.array([f(np.asarray(y, dtype=float)) for y in ys])

    def entropy(p):
        return -_xlogx(p) - _xlogx(1 - p)

    return [
        (
            "Right for balanced labels only. log 2 is the loss of p = 0.5; when the labels "
            "are not half 0 and half 1, another constant p does better.",
            each(lambda y: np.log(2)),
        ),
        (
            "You measured in bits (log base 2). Binary cross-entropy, in Keras as in this "
            "notebook, uses the natural logarithm.",
            each(lambda y: entropy(y.mean()) / np.log(2)),
        ),
        (
            "A sign error: a cross-entropy is never negative, L = -y log p - (1 - y) log(1 - p).",
            each(lambda y: -entropy(y.mean())),
        ),
        (
            "That is the chance accuracy (the share of the most common label), not a loss.",
            each(lambda y: max(y.mean(), 1 - y.mean())),
        ),
        (
            "That is the error rate of always answering the most common label, not the "
            "cross-entropy of the best constant probability.",
            each(lambda y: min(y.mean(), 1 - y.mean())),
        ),
        (
            "That is the best constant prediction p itself (the mean label). The question asks "
            "for the mean loss that this p reaches.",
            each(lambda y: y.mean()),
        ),
        (
            "That is the loss of a model that predicts every label exactly, p_i = y_i: it would "
            "have to tell the sequences apart, and a model that ignores x cannot. It gives all "
            "of them the same p.",
            each(lambda y: entropy(y).mean()),
        ),
        (
            "That is the lowest mean *squared* error of a constant prediction (the variance of "
            "y). The question asks for the binary cross-entropy.",
            each(lambda y: y.var()),
        ),
    ]


def _check_chance_loss(answer):
    require_function(answer, "chance_loss")
    ys = _chance_loss_cases()
    mine = []
    for y in ys:
        array = as_array(answer(y.copy()), "chance_loss", finite=False)
        if array.size != 1:
            raise Mistake(
                f"chance_loss returned {array.size} numbers; it should return one, the mean "
                "loss over all the labels."
            )
        loss = float(array.reshape(()))
        if not np.isfinite(loss):
            raise Mistake(
                "chance_loss returned infinity or NaN. A constant p of exactly 0 or 1 costs "
                "log 0 = -infinity on every label of the other class: the best p lies strictly "
                "between 0 and 1."
            )
        mine.append(loss)
    mine = np.array(mine)
    expected = np.array([chance_loss(y) for y in ys])
    if same(mine, expected, atol=1e-9):
        return
    message = matching_mistake(mine, _chance_loss_mistakes(ys), atol=1e-9)
    if message:
        raise Mistake(message)
    if np.any(mine < expected - 1e-9):
        raise Mistake(
            "on some labels your loss is lower than any constant p can reach. Write the mean "
            "loss as a function of p and find its minimum."
        )
    raise Mistake(
        "on some labels your loss is higher than the best constant p reaches: that p is not "
        "the best one. Write the mean loss as a function of p and find its minimum."
    )


q4 = Exercise(
    "Exercise 4 (the loss of knowing nothing)",
    _check_chance_loss,
    hints=[
        "A model that ignores x predicts one p for all n sequences. Its mean loss is "
        "-mean(y) log p - (1 - mean(y)) log(1 - p): it depends on the labels only through "
        "their mean.",
        "Find the p that minimizes it: set the derivative with respect to p to zero. "
        "-mean(y) / p + (1 - mean(y)) / (1 - p) = 0.",
        "The best constant is p = mean(y). Put it back into the mean loss, with np.log "
        "(the natural logarithm).",
    ],
    solution=chance_loss,
)
