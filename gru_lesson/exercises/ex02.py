"""The exercises of notebook 02, checking against Keras: ``q1``, ``q2``, ``q3``.

The checks use NumPy only (the package's GRU and ``gru_lesson.conventions``),
so they run in a second, without TensorFlow.
"""

from __future__ import annotations

import itertools
import operator

import numpy as np

from gru_lesson.conventions import MISTAKES, keras_equations, pytorch_to_keras, reorder_gates
from gru_lesson.exercises import Exercise, Mistake, agrees
from gru_lesson.gru import GRU

__all__ = ["q1", "q2", "q3"]


# ------------------------------------------- q1: a PyTorch GRU, mapped by hand
def keras_weights(torch_state):
    """Keras' kernel (D, 3H), recurrent_kernel (H, 3H) and bias (2, 3H) from a PyTorch state_dict."""

    def zrh(m):  # PyTorch's gate blocks r, z, n (along axis 0) in Keras' order z, r, h
        r, z, n = np.split(m, 3, axis=0)
        return np.concatenate([z, r, n], axis=0)

    kernel = zrh(torch_state["weight_ih_l0"]).T
    recurrent_kernel = zrh(torch_state["weight_hh_l0"]).T
    bias = np.stack([zrh(torch_state["bias_ih_l0"]), zrh(torch_state["bias_hh_l0"])])
    return kernel, recurrent_kernel, bias


TORCH_ORDER = "rzh"  # PyTorch's gate blocks, in its order (its n is our h)


def _torch_states():
    """Random PyTorch nn.GRU state_dicts; D and H differ, so transposes show."""
    rng = np.random.default_rng(202)
    for D, H in [(3, 2), (5, 4)]:
        yield {
            "weight_ih_l0": rng.normal(size=(3 * H, D)),
            "weight_hh_l0": rng.normal(size=(3 * H, H)),
            "bias_ih_l0": rng.normal(size=3 * H),
            "bias_hh_l0": rng.normal(size=3 * H),
        }


def _order_problem(name, value, torch_matrix):
    """Why a right-shaped weight or bias row is wrong: a classic mistake, else misplaced numbers.

    ``torch_matrix`` is PyTorch's array, its gate blocks along axis 0; a bias row is its own
    transpose, so ``torch_matrix.T`` holds the blocks along the last axis in both cases.
    """
    named = {TORCH_ORDER: "still in PyTorch's order r, z, n"}
    for order in ("".join(p) for p in itertools.permutations(TORCH_ORDER)):
        candidate = reorder_gates(torch_matrix.T, TORCH_ORDER, order)
        if order != "zrh" and agrees(value, candidate):
            where = named.get(order, f"in the order {', '.join(order)}")
            return f"{name}: the gate blocks are {where}; Keras' order is z, r, h."
    in_rows = reorder_gates(torch_matrix.T, TORCH_ORDER, "zrh").T  # Keras' order, PyTorch's rows
    if any(agrees(value, m.reshape(torch_matrix.shape[::-1])) for m in (in_rows, torch_matrix)):
        return (
            f"{name}: right shape, but the numbers are not PyTorch's rows turned into "
            "columns: use a transpose (.T), not reshape."
        )
    return f"{name}: right shape, but some numbers are in the wrong place."


def _weight_problem(name, layout, value, expected, torch_matrix):
    if value.shape != expected.shape:
        pytorch = value.shape == torch_matrix.shape  # not transposed
        whose, fix = ("PyTorch's ", ": transpose it") if pytorch else ("", "")
        return (
            f"{name} has {whose}shape {value.shape}; Keras' {name} is {layout} = "
            f"{expected.shape}{fix}."
        )
    if not agrees(value, expected):
        return _order_problem(name, value, torch_matrix)
    return None


def _bias_problem(value, expected, b_ih, b_hh):
    rows = f"(2, 3H) = {expected.shape}: row 0 from bias_ih_l0, row 1 from bias_hh_l0"
    if value.shape == expected.shape[::-1]:
        return f"bias has shape {value.shape}: stack the two rows (np.stack), not side by side."
    if value.ndim == 1 and value.shape[0] == expected.shape[1]:
        if any(
            agrees(value, reorder_gates(b_ih + b_hh, TORCH_ORDER, o)) for o in ("zrh", TORCH_ORDER)
        ):
            return (
                "bias: you added the two bias rows into one. Keras' default GRU "
                f"(reset_after=True) keeps them apart, {rows}."
            )
        return f"bias has one row; Keras' default GRU (reset_after=True) needs two, {rows}."
    if value.shape != expected.shape:
        return f"bias has shape {value.shape}; Keras' bias is {rows}."
    if agrees(value, expected):
        return None
    problems, (first, second) = [], value
    if agrees(first, expected[1]) or agrees(second, expected[0]):
        problems.append(
            "bias: the two rows are swapped. Row 0 is the input side (bias_ih_l0), "
            "row 1 the recurrent side (bias_hh_l0)."
        )
        first, second = second, first
    for row, torch_row in ((first, b_ih), (second, b_hh)):
        if not agrees(row, reorder_gates(torch_row, TORCH_ORDER, "zrh")):
            problems.append(_order_problem("bias", row, torch_row))
            break
    return " ".join(problems)


def _torch_cases():
    """({"torch_state": state}, Keras' kernel, recurrent_kernel and bias for it)."""
    for state in _torch_states():
        yield {"torch_state": state}, pytorch_to_keras(state)


def _keras_weights_problem(mine, expected, torch_state):
    """What is wrong with each of the three arrays, in words, or None if they are right."""
    (kernel, recurrent_kernel, bias), state = mine, torch_state
    if (kernel.shape, recurrent_kernel.shape) == (expected[1].shape, expected[0].shape):
        return (
            "kernel and recurrent_kernel come back in swapped order: Keras' get_weights() "
            "is kernel, recurrent_kernel, bias."
        )
    problems = [
        _weight_problem("kernel", "(D, 3H)", kernel, expected[0], state["weight_ih_l0"]),
        _weight_problem(
            "recurrent_kernel", "(H, 3H)", recurrent_kernel, expected[1], state["weight_hh_l0"]
        ),
        _bias_problem(bias, expected[2], state["bias_ih_l0"], state["bias_hh_l0"]),
    ]
    return " ".join(p for p in problems if p) or None


q1 = Exercise(
    "Exercise 1 (PyTorch weights into Keras)",
    cases=_torch_cases,
    parts=("kernel", "recurrent_kernel", "bias"),  # the order of Keras' get_weights()
    problem=_keras_weights_problem,
    otherwise="some numbers are in the wrong place.",
    hints=[
        "One array at a time. PyTorch stacks the gates as row blocks in the order r, z, n; "
        "Keras puts them side by side as column blocks in the order z, r, h.",
        "Split each PyTorch array into its three gate blocks along axis 0 "
        "(np.split(m, 3, axis=0)), join them again in Keras' order (np.concatenate), and "
        "transpose the two weight matrices with .T.",
        "The biases are not transposed: reorder bias_ih_l0 and bias_hh_l0 the same way, then "
        "np.stack them into two rows, input side first.",
    ],
    reference=keras_weights,
)


# ---------------------------------------------------- q2: mistakes that hide
def hidden_on_a_fresh_layer():
    """The names, from MISTAKES, of the mistakes a fresh layer cannot catch, as a set."""
    # Both only move biases around: with every bias zero, they change nothing.
    return {"recurrent bias ignored", "both bias rows summed"}


def _errors(h0_is_zero):
    """Each mistake's |error| per step on fresh GRUs (zero biases, as Keras makes them), largest
    over the cases: {name: (time,)}."""
    errors = {name: 0.0 for name in MISTAKES}
    for seed in (6, 16):
        rng = np.random.default_rng(seed)
        fresh = GRU.initialize(20, 32, seed=seed)
        x = rng.normal(size=(2, 10, 20))
        h0 = np.zeros((2, 32)) if h0_is_zero else rng.uniform(-1, 1, size=(2, 32))
        right = keras_equations(fresh, x, h0)
        for name, forward in MISTAKES.items():
            step_errors = np.abs(forward(fresh, x, h0) - right).max(axis=(0, 2))
            errors[name] = np.maximum(errors[name], step_errors)
    return errors


def _names(value, what):
    """The set of names in ``value``, checked against MISTAKES."""
    if isinstance(value, str):
        raise Mistake(
            f"{what} should return a set of names, such as {{'name one', 'name two'}}, "
            "not a single string."
        )
    try:
        names = set(value)
    except TypeError:
        raise Mistake(f"{what} should return a set of names from MISTAKES.") from None
    unknown = sorted(repr(n) for n in names if n not in MISTAKES)
    if unknown:
        raise Mistake(
            f"not names from MISTAKES: {', '.join(unknown)}. Copy them from the printed list."
        )
    return names


def _hidden_cases():
    """No arguments, and the mistakes that give exactly Keras' answer on a fresh layer."""
    errors = _errors(h0_is_zero=False)
    yield {}, {name for name, e in errors.items() if e.max() < 1e-12}


def _hidden_differs(mine, expected):
    problems = [
        f"{name!r} does not hide: on a fresh layer its outputs still differ from Keras'."
        for name in sorted(mine - expected)
    ]
    incomplete = "Your set is not complete: some other mistake in MISTAKES also gives exactly "
    return " ".join(
        problems + [incomplete + "Keras' answer on a fresh layer."] * bool(expected - mine)
    )


q2 = Exercise(
    "Exercise 2 (mistakes that hide)",
    cases=_hidden_cases,
    convert=_names,
    same=operator.eq,
    otherwise=_hidden_differs,
    hints=[
        "On a fresh layer every bias is zero. Which mistakes change nothing when all the "
        "biases are zero?",
        "Try them: the cell before the exercise gives you fresh (zero biases), x_f, h0_f and "
        "Keras' answer right. For each name, compare MISTAKES[name](fresh, x_f, h0_f) with "
        "right using max_abs_diff.",
        "A mistake hides when everything it changes is multiplied by zero or adds zero. "
        "Read the table of section 5 again: which rows only move biases around?",
    ],
    reference=hidden_on_a_fresh_layer,
)


# ------------------------------------------------ q3: right once, then wrong
def right_only_at_the_first_step():
    """The one name, from MISTAKES, that explains a match at the first step only."""
    # At the first step h_prev = 0 and every bias is zero, so h_prev R_h + b_h is zero and it
    # does not matter whether r scales it before or after the product. Later it does.
    return "reset before the product"


def _one_name(value, what):
    """The name in ``value``, checked against MISTAKES."""
    if isinstance(value, (set, list, tuple)):
        raise Mistake(f"return one name, a string, not a {type(value).__name__}.")
    if not isinstance(value, str):
        raise Mistake("return one name from MISTAKES, as a string.")
    if value not in MISTAKES:
        raise Mistake(f"{value!r} is not a name from MISTAKES: copy it from the printed list.")
    return value


def _first_step_cases():
    """No arguments, and the mistakes that match Keras' at the first step of a fresh layer only."""
    errors = _errors(h0_is_zero=True)
    yield {}, {name for name, e in errors.items() if e[0] <= 1e-12 and e[1:].max() >= 1e-12}


def _first_step_differs(mine):
    if _errors(h0_is_zero=True)[mine][0] > 1e-12:
        return (
            f"{mine!r} is already wrong at the first step. What is h_prev at the first "
            "step, and which terms of the equations vanish with it?"
        )
    return (
        f"{mine!r} gives exactly Keras' answer at every step of a fresh layer, "
        "not only at the first."
    )


q3 = Exercise(
    "Exercise 3 (right once, then wrong)",
    cases=_first_step_cases,
    convert=_one_name,
    same=lambda name, right: name in right,
    otherwise=_first_step_differs,
    hints=[
        "Without initial_state the first step starts from h_prev = 0. Which terms of the "
        "equations vanish when h_prev is zero and every bias is zero?",
        "With h_prev = 0 and zero biases, h_prev R_h + b_h is zero, and so is r times it, "
        "wherever r is applied. From the second step on, h_prev is no longer zero.",
        "Check with code: with h0 = np.zeros((2, 32)), look at "
        "np.abs(MISTAKES[name](fresh, x_f, h0) - keras_equations(fresh, x_f, h0)) at the "
        "first step ([:, 0]) and at the later ones ([:, 1:]) separately.",
    ],
    reference=right_only_at_the_first_step,
)
