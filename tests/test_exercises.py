"""The self-checking exercises of notebooks 01 to 05 (gru_lesson.exercises).

For every exercise: the reference solution is correct, nbgrader's stub is "not
attempted", and the classic wrong answers are wrong, with a message that names
the mistake and never contains the expected values.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gru_lesson.bptt import gru_backward
from gru_lesson.conventions import MISTAKES, pytorch_to_keras
from gru_lesson.exercises import (
    CORRECT,
    NOT_ATTEMPTED,
    WRONG,
    Exercise,
    Mistake,
    ex01,
    ex02,
    ex03,
    ex04,
    ex05,
)
from gru_lesson.gates import label_correlation as package_correlation
from gru_lesson.gru import GRU, sigmoid, split_gates
from gru_lesson.handset import handset_gru
from gru_lesson.tasks import A, B
from gru_lesson.training import update_gate_memory

ROOT = Path(__file__).resolve().parents[1]
MODULES = {"01": ex01, "02": ex02, "03": ex03, "04": ex04, "05": ex05}
EXERCISES = {f"{m.__name__[-4:]}.{q}": getattr(m, q) for m in MODULES.values() for q in m.__all__}
NAMES = list(EXERCISES)


def stub(*args, **kwargs):
    # YOUR CODE HERE
    raise NotImplementedError()


def digits(text):
    return len(re.sub(r"[^0-9]", "", text.lstrip("-0.")))


def revealed(message, values):
    """The first expected value that ``message`` spells out (3+ significant digits), else None."""
    for v in np.ravel(values):
        for shown in {f"{v:.3f}", f"{v:.4f}", f"{v:.3g}", f"{v:.4g}", f"{v:.6g}", repr(float(v))}:
            if digits(shown) >= 3 and shown in message:
                return shown
    return None


def assert_wrong(exercise, answer, *keywords, expected=()):
    status, message = exercise.diagnose(answer)
    assert status == WRONG, (status, message)
    for keyword in keywords:
        assert keyword in message, f"{keyword!r} not in {message!r}"
    shown = revealed(message, expected)
    assert shown is None, f"the message reveals the expected value {shown}: {message!r}"
    return message


# -------------------------------------------------------------- every exercise
@pytest.mark.parametrize("name", NAMES)
def test_reference_solution_is_correct(name, capsys):
    exercise = EXERCISES[name]
    assert exercise.diagnose(exercise.reference) == (CORRECT, "")
    exercise.check(exercise.reference)
    out = capsys.readouterr().out
    assert out.endswith("correct. Well done!\n") and out.count("\n") == 1
    assert exercise.status == CORRECT
    exercise.assert_correct(exercise.reference)


@pytest.mark.parametrize("name", NAMES)
def test_the_stub_is_not_attempted(name, capsys):
    exercise = EXERCISES[name]
    assert exercise.diagnose(stub)[0] == NOT_ATTEMPTED
    exercise.check(stub)
    out = capsys.readouterr().out
    assert "not attempted yet" in out and "correct" not in out and out.count("\n") == 1
    assert exercise.status == NOT_ATTEMPTED
    exercise.check()  # nothing passed at all
    assert "not attempted yet" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="not attempted"):
        exercise.assert_correct(stub)


@pytest.mark.parametrize("name", NAMES)
def test_answers_that_are_not_answers(name):
    exercise = EXERCISES[name]
    assert_wrong(exercise, 42, "pass the function itself")
    assert_wrong(exercise, lambda *args, **kwargs: 1 / 0, "ZeroDivisionError")
    assert_wrong(exercise, lambda *args, **kwargs: None, "None")


@pytest.mark.parametrize("name", NAMES)
def test_hints_get_more_specific_and_stop_at_the_last(name, capsys):
    exercise = Exercise(
        EXERCISES[name].title,
        EXERCISES[name]._checker,
        hints=EXERCISES[name]._hints,
        reference=EXERCISES[name].reference,
    )  # a fresh copy: the hint counter starts at 1
    n = len(exercise._hints)
    assert 2 <= n <= 3 and len(set(exercise._hints)) == n
    for _ in range(n + 1):
        exercise.hint()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == n + 1
    for i, line in zip([*range(1, n + 1), n], lines, strict=True):
        assert f"hint {i} of {n}" in line
    exercise.hint(1)
    assert "hint 1 of" in capsys.readouterr().out
    with pytest.raises(ValueError, match="hint number"):
        exercise.hint(n + 1)


@pytest.mark.parametrize("name", NAMES)
def test_solution_prints_the_reference(name, capsys):
    exercise = EXERCISES[name]
    exercise.solution()
    out = capsys.readouterr().out
    assert f"def {exercise.name}(" in out and "return" in out


def test_a_checker_bug_is_not_blamed_on_nothing():
    def checker(answer):
        raise Mistake("a message")

    exercise = Exercise("Exercise 0", checker, hints=["one", "two"], reference=stub)
    assert exercise.diagnose(stub) == (WRONG, "a message")
    assert exercise.name == "stub" and "Exercise 0" in repr(exercise)


# ----------------------------------------------------------- ex01.q1: candidate
def _candidate_cases():
    return list(ex01._reset_before_cases())


CANDIDATE_MISTAKES = [
    (lambda x_t, h_prev, r, W_h, R_h, bx_h: np.tanh(x_t @ W_h + bx_h + r * (h_prev @ R_h)), "after the product"),
    (lambda x_t, h_prev, r, W_h, R_h, bx_h: np.tanh(x_t @ W_h + bx_h + h_prev @ R_h), "does not use the reset gate"),
    (lambda x_t, h_prev, r, W_h, R_h, bx_h: np.tanh(x_t @ W_h + bx_h + ((1 - r) * h_prev) @ R_h), "(1 - r)"),
    (lambda x_t, h_prev, r, W_h, R_h, bx_h: np.tanh(x_t @ W_h + bx_h - (r * h_prev) @ R_h), "sign error"),
    (lambda x_t, h_prev, r, W_h, R_h, bx_h: np.tanh(x_t @ W_h + bx_h + (r * h_prev) @ R_h.T), "transposed"),
    (lambda x_t, h_prev, r, W_h, R_h, bx_h: np.tanh(x_t @ W_h + (r * h_prev) @ R_h), "bias bx_h is missing"),
    (lambda x_t, h_prev, r, W_h, R_h, bx_h: x_t @ W_h + bx_h + (r * h_prev) @ R_h, "tanh is missing"),
    (lambda x_t, h_prev, r, W_h, R_h, bx_h: sigmoid(x_t @ W_h + bx_h + (r * h_prev) @ R_h), "sigmoid"),
    (lambda x_t, h_prev, r, W_h, R_h, bx_h: np.tanh(x_t @ W_h + bx_h + (r * h_prev) @ R_h).T, "looks transposed"),
    (lambda x_t, h_prev, r, W_h, R_h, bx_h: np.tanh(x_t @ W_h + bx_h + (r * h_prev) @ R_h)[0], "shape"),
    (lambda x_t, h_prev, r, W_h, R_h, bx_h: 0.99 * np.tanh(x_t @ W_h + bx_h + (r * h_prev) @ R_h), "term by term"),
    (lambda x_t, h_prev, r, W_h, R_h, bx_h: -np.tanh(x_t @ W_h + bx_h + (r * h_prev) @ R_h), "wrong sign"),
    (lambda x_t, h_prev, r, W_h, R_h, bx_h: np.tanh(x_t[:1] @ W_h + bx_h + (r * h_prev) @ R_h), "row 0 is right, but row 1 is not"),
    (lambda x_t, h_prev, r, W_h, R_h, bx_h: np.tanh((W_h.T @ x_t.T).T + bx_h + (r * h_prev) @ R_h) + 1e-6, "float32's precision"),
    (lambda x_t, h_prev, r, W_h, R_h, bx_h: np.tanh(W_h @ x_t.T + bx_h + (r * h_prev) @ R_h), "vectors are rows"),
]  # fmt: skip


@pytest.mark.parametrize("answer, keyword", CANDIDATE_MISTAKES)
def test_candidate_mistakes_are_named(answer, keyword):
    expected = np.concatenate([h.ravel() for _, h in _candidate_cases()])
    assert_wrong(ex01.q1, answer, keyword, expected=expected)


def test_candidate_checker_can_tell_the_two_forms_apart():
    """The check's inputs make reset-before and reset-after differ (else it could not fail)."""
    for args, expected in _candidate_cases():
        after = np.tanh(
            args["x_t"] @ args["W_h"] + args["bx_h"] + args["r"] * (args["h_prev"] @ args["R_h"])
        )
        assert np.abs(after - expected).max() > 1e-3
        assert np.allclose(ex01.candidate_reset_before(**args), expected, rtol=0, atol=1e-12)


# ---------------------------------------------------------- ex01.q2: state_after
def _state_values():
    values = []
    for b_z, x_value, h_start in ex01._STATE_CASES:
        z, c = sigmoid(b_z), np.tanh(x_value)
        values += [c + z**k * (h_start - c) for k in ex01._STEPS]
    return values


STATE_MISTAKES = [
    (lambda k, h0, z, c: (1 - z) ** k * h0 + (1 - (1 - z) ** k) * c, "flipped convention"),
    (lambda k, h0, z, c: z ** (k - 1) * h0 + (1 - z ** (k - 1)) * c, "Off by one"),
    (lambda k, h0, z, c: z ** (k + 1) * h0 + (1 - z ** (k + 1)) * c, "Off by one"),
    (lambda k, h0, z, c: z**k * c + (1 - z**k) * h0, "swapped roles"),
    (lambda k, h0, z, c: z**k * h0 - (1 - z**k) * c, "sign error"),
    (lambda k, h0, z, c: z**k * h0, "candidate's share is missing"),
    (lambda k, h0, z, c: (1 - z**k) * c, "h0's share is missing"),
    (lambda k, h0, z, c: z**k * h0 + (1 - z) * c, "grow with k"),
    (
        lambda k, h0, z, c: z**k * h0 + (1 - z**k) * c + 1e-3 * k,
        "differs from the GRU's state at k = 1",
    ),
    (lambda k, h0, z, c: c if k == 0 else c + z**k * (h0 - c), "at k = 0, before any step"),
    (
        lambda k, h0, z, c: np.float32(z**k * h0 + (1 - z**k) * c + 1e-3),
        "differs from the GRU's state at k = 0",
    ),
    (lambda k, h0, z, c: np.array([z**k * h0, (1 - z**k) * c]), "one number"),
]


@pytest.mark.parametrize("answer, keyword", STATE_MISTAKES)
def test_state_after_mistakes_are_named(answer, keyword):
    assert_wrong(ex01.q2, answer, keyword, expected=_state_values())


def test_state_after_accepts_any_correct_form():
    def looped(k, h0, z, c):
        h = h0
        for _ in range(k):
            h = z * h + (1 - z) * c
        return h

    for answer in [
        lambda k, h0, z, c: z**k * h0 + (1 - z**k) * c,
        lambda k, h0, z, c: np.array([c + z**k * (h0 - c)]),
        lambda n, h_start, gate, cand: cand + gate**n * (h_start - cand),  # names of its own
        looped,
    ]:
        assert ex01.q2.diagnose(answer) == (CORRECT, "")


# ------------------------------------------------------------ ex01.q3: biases
def _bias_boundaries():
    """The biases where the two targets switch (2 z^20 = 0.5 and 2 z^20 = 0.001)."""
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    return [logit(0.25 ** (1 / 20)), logit(0.0005 ** (1 / 20))]


def test_the_bias_targets_switch_where_the_algebra_says():
    for b in _bias_boundaries():
        gap = ex01.final_gap(b)
        assert np.isclose(gap, 2 * sigmoid(b) ** 20, rtol=1e-9)
    remember, forget = _bias_boundaries()
    assert ex01.final_gap(remember + 0.01) > 0.5 > ex01.final_gap(remember - 0.01)
    assert ex01.final_gap(forget - 0.01) < 1e-3 < ex01.final_gap(forget + 0.01)


@pytest.mark.parametrize(
    "answer, keyword",
    [
        (lambda: (-2.0, 5.0), "swapped"),
        (lambda: (1.0, 1.0), "with b_remember = 1 the two final states differ by"),
        (lambda: (5.0, 5.0), "with b_forget = 5"),
        (lambda: (5.0, "-2"), "should be a number"),
        (lambda: (5.0, None), "is None"),
        (lambda: (5.0, float("nan")), "finite"),
        (lambda: (5.0, -2.0, 0.0), "two numbers"),
        (lambda: 5.0, "two numbers"),
        (lambda: {5.0, -2.0}, "two numbers"),
        (lambda: (np.array([5.0, 1.0]), -2.0), "b_remember should be a number"),
        (lambda: (True, -2.0), "b_remember should be a number"),
    ],
)
def test_bias_mistakes_are_named(answer, keyword):
    message = assert_wrong(ex01.q3, answer, keyword)
    for b in _bias_boundaries():
        assert f"{b:.2f}" not in message and f"{b:.1f}" not in message


def test_any_biases_on_the_right_sides_are_correct():
    for b_remember, b_forget in [
        (3.0, 0.0),
        (10, -10),
        (np.float64(4.0), np.int64(-1)),
        (np.float32(4.0), np.array(-1.0)),
    ]:
        assert ex01.q3.diagnose(lambda b_r=b_remember, b_f=b_forget: (b_r, b_f))[0] == CORRECT


# ------------------------------------------------------- ex02.q1: keras_weights
def _reorder(m):
    r, z, n = np.split(m, 3, axis=0)
    return np.concatenate([z, r, n], axis=0)


def _expected_weights():
    return np.concatenate(
        [np.concatenate([w.ravel() for w in pytorch_to_keras(s)]) for s in ex02._torch_states()]
    )


def _bias(s, reorder=True, rows=("bias_ih_l0", "bias_hh_l0")):
    f = _reorder if reorder else (lambda m: m)
    return np.stack([f(s[rows[0]]), f(s[rows[1]])])


WEIGHT_MISTAKES = [
    (lambda s: (_reorder(s["weight_ih_l0"]), _reorder(s["weight_hh_l0"]).T, _bias(s)), "kernel has PyTorch's shape"),
    (lambda s: (s["weight_ih_l0"].T, s["weight_hh_l0"].T, _bias(s, reorder=False)), "still in PyTorch's order"),
    (lambda s: (_reorder(s["weight_ih_l0"]).T, _reorder(s["weight_hh_l0"]).T, _bias(s, rows=("bias_hh_l0", "bias_ih_l0"))), "rows are swapped"),
    (lambda s: (_reorder(s["weight_ih_l0"]).T, _reorder(s["weight_hh_l0"]).T, _reorder(s["bias_ih_l0"] + s["bias_hh_l0"])), "added the two bias rows"),
    (lambda s: (_reorder(s["weight_ih_l0"]).T, _reorder(s["weight_hh_l0"]).T, _reorder(s["bias_ih_l0"])), "one row"),
    (lambda s: (_reorder(s["weight_ih_l0"]).T, _reorder(s["weight_hh_l0"]).T, _bias(s).T), "np.stack"),
    (lambda s: (_reorder(s["weight_ih_l0"]).reshape(s["weight_ih_l0"].shape[::-1]), _reorder(s["weight_hh_l0"]).T, _bias(s)), "not reshape"),
    (lambda s: (_reorder(s["weight_hh_l0"]).T, _reorder(s["weight_ih_l0"]).T, _bias(s)), "swapped order"),
    (lambda s: (_reorder(s["weight_ih_l0"]).T, _reorder(s["weight_hh_l0"]).T), "three arrays"),
    (lambda s: (s["weight_ih_l0"][::-1].T, _reorder(s["weight_hh_l0"]).T, _bias(s)), "kernel: right shape"),
    (lambda s: (np.concatenate(np.split(s["weight_ih_l0"], 3)[::-1]).T, _reorder(s["weight_hh_l0"]).T, _bias(s)), "in the order h, z, r"),
]  # fmt: skip


@pytest.mark.parametrize("answer, keyword", WEIGHT_MISTAKES)
def test_weight_mapping_mistakes_are_named(answer, keyword):
    assert_wrong(ex02.q1, answer, keyword, expected=_expected_weights())


def test_weight_checker_gives_the_student_a_copy():
    def mutating(state):
        kernel, recurrent_kernel, bias = ex02.keras_weights(state)
        state["weight_ih_l0"][:] = 0.0
        return kernel, recurrent_kernel, bias

    assert ex02.q1.diagnose(mutating)[0] == CORRECT
    assert all(s["weight_ih_l0"].any() for s in ex02._torch_states())


# -------------------------------------------------- ex02.q2 and q3: which mistake
HIDDEN = {"recurrent bias ignored", "both bias rows summed"}


def test_the_hidden_set_and_the_first_step_culprit_are_what_the_checks_compute():
    errors = ex02._errors(h0_is_zero=False)
    assert {n for n, e in errors.items() if e.max() < 1e-12} == HIDDEN
    first = ex02._errors(h0_is_zero=True)
    assert {n for n, e in first.items() if e[0] < 1e-12 and e[1:].max() > 1e-6} == {
        "reset before the product"
    }


@pytest.mark.parametrize(
    "answer, keyword",
    [
        (lambda: {"recurrent bias ignored"}, "not complete"),
        (lambda: set(), "not complete"),
        (lambda: HIDDEN | {"flipped z (Chung et al.)"}, "'flipped z (Chung et al.)' does not hide"),
        (lambda: HIDDEN | {"reset before the product"}, "does not hide"),
        (lambda: "recurrent bias ignored", "not a single string"),
        (lambda: {"bias forgotten"}, "not names from MISTAKES"),
        (lambda: 7, "set of names"),
    ],
)
def test_hidden_mistakes_answers(answer, keyword):
    message = assert_wrong(ex02.q2, answer, keyword)
    try:
        given = set(answer()) if not isinstance(answer(), str) else {answer()}
    except TypeError:
        given = set()
    for name in HIDDEN - given:
        assert name not in message, "the message names a mistake the student did not give"


@pytest.mark.parametrize("name", [n for n in MISTAKES if n != "reset before the product"])
def test_every_other_first_step_answer_is_wrong_without_naming_the_culprit(name):
    keyword = "every step" if name in HIDDEN else "already wrong at the first step"
    message = assert_wrong(ex02.q3, lambda: name, keyword)
    assert "reset before" not in message


@pytest.mark.parametrize(
    "answer, keyword",
    [
        (lambda: {"reset before the product"}, "not a set"),
        (lambda: "reset after the product", "not a name from MISTAKES"),
        (lambda: 3, "as a string"),
    ],
)
def test_first_step_answers_of_the_wrong_kind(answer, keyword):
    assert_wrong(ex02.q3, answer, keyword)


# ------------------------------------------------ ex03: one step backwards
def _truths(exercise):
    """The values a check compares with, over all its cases (never to be printed)."""
    return np.concatenate([np.ravel(expected) for _, expected in exercise._checker.cases()])


def test_the_step_gradients_are_the_backward_pass_of_the_step():
    """Each example's [da_z | da_r | da_h] and dh_prev, as the checks use them, make gru_backward's
    dW, dx and dh0 for the whole batch."""
    for reset_after in (True, False):
        for seed in (31, 32, 33):
            step, truth = ex03._one_step(reset_after, seed)
            gru = GRU(step["W"], step["R"], step["bx"], step["bh"], reset_after=reset_after)
            x = step["x_t"][:, None]
            trace = gru.trace(x, initial_state=step["h_prev"])
            for name in ("z", "r", "h_tilde"):
                assert np.array_equal(getattr(trace, name)[:, 0], step[name])
            grads = gru_backward(gru, x, trace, step["dh"][:, None])
            da = np.concatenate([truth["da_z"], truth["da_r"], truth["da_h"]], axis=1)
            assert np.allclose(step["x_t"].T @ da, grads["W"], rtol=0, atol=1e-13)
            assert np.allclose(da @ step["W"].T, grads["x"][:, 0], rtol=0, atol=1e-13)
            assert np.array_equal(truth["dh_prev"], grads["h0"])


UPDATE_GATE_MISTAKES = [
    (lambda dh, z, h_prev, h_tilde: dh * (h_prev - h_tilde), "sigmoid's derivative is missing"),
    (lambda dh, z, h_prev, h_tilde: dh * (h_tilde - h_prev) * z * (1 - z), "sign error"),
    (lambda dh, z, h_prev, h_tilde: dh * (h_prev - h_tilde) * (1 - z**2), "tanh's derivative"),
    (lambda dh, z, h_prev, h_tilde: dh * (h_prev - h_tilde) * sigmoid(z) * (1 - sigmoid(z)), "already sigmoid(a_z)"),
    (lambda dh, z, h_prev, h_tilde: dh * (h_prev - h_tilde) * z, "Half of the sigmoid's"),
    (lambda dh, z, h_prev, h_tilde: dh * h_prev * z * (1 - z), "only the first one"),
    (lambda dh, z, h_prev, h_tilde: dh * (1 - z) * z * (1 - z), "dh~ = dh * (1 - z)"),
    (lambda dh, z, h_prev, h_tilde: (h_prev - h_tilde) * z * (1 - z), "dh is missing"),
    (lambda dh, z, h_prev, h_tilde: (dh * (h_prev - h_tilde) * z * (1 - z)).T, "looks transposed"),
    (lambda dh, z, h_prev, h_tilde: (dh * (h_prev - h_tilde) * z * (1 - z)).sum(axis=0), "summed or averaged over the batch"),
    (lambda dh, z, h_prev, h_tilde: 1.01 * dh * (h_prev - h_tilde) * z * (1 - z), "Right shape, but not the update gate's"),
]  # fmt: skip


@pytest.mark.parametrize("answer, keyword", UPDATE_GATE_MISTAKES)
def test_update_gate_mistakes_are_named(answer, keyword):
    assert_wrong(ex03.q1, answer, keyword, expected=_truths(ex03.q1))


def _da_h(dh, z, h_tilde):
    return dh * (1 - z) * (1 - h_tilde**2)


RESET_GATE_MISTAKES = [
    (lambda dh, z, r, h_tilde, h_prev, R_h: (_da_h(dh, z, h_tilde) @ R_h) * h_prev * r * (1 - r), "untransposed"),
    (lambda dh, z, r, h_tilde, h_prev, R_h: _da_h(dh, z, h_tilde) * (h_prev @ R_h) * r * (1 - r), "reset_after=True formula"),
    (lambda dh, z, r, h_tilde, h_prev, R_h: _da_h(dh, z, h_tilde) * h_prev * r * (1 - r), "skips R_h"),
    (lambda dh, z, r, h_tilde, h_prev, R_h: ((dh * (1 - z)) @ R_h.T) * h_prev * r * (1 - r), "tanh's derivative is missing"),
    (lambda dh, z, r, h_tilde, h_prev, R_h: ((dh * (1 - z) * (1 - h_tilde)) @ R_h.T) * h_prev * r * (1 - r), "square h~"),
    (lambda dh, z, r, h_tilde, h_prev, R_h: ((dh * z * (1 - h_tilde**2)) @ R_h.T) * h_prev * r * (1 - r), "z where (1 - z) belongs"),
    (lambda dh, z, r, h_tilde, h_prev, R_h: ((dh * (1 - h_tilde**2)) @ R_h.T) * h_prev * r * (1 - r), "(1 - z) is missing"),
    (lambda dh, z, r, h_tilde, h_prev, R_h: (_da_h(dh, z, h_tilde) @ R_h.T) * h_prev, "sigmoid's derivative is missing"),
    (lambda dh, z, r, h_tilde, h_prev, R_h: (_da_h(dh, z, h_tilde) @ R_h.T) * r * r * (1 - r), "You multiplied by r"),
    (lambda dh, z, r, h_tilde, h_prev, R_h: (_da_h(dh, z, h_tilde) @ R_h.T) * r * (1 - r), "h_prev is missing"),
    (lambda dh, z, r, h_tilde, h_prev, R_h: (R_h @ _da_h(dh, z, h_tilde).T) * h_prev.T, "looks transposed"),
    (lambda dh, z, r, h_tilde, h_prev, R_h: np.ones((2, 2)), "shaped like the state"),
]  # fmt: skip


@pytest.mark.parametrize("answer, keyword", RESET_GATE_MISTAKES)
def test_reset_gate_mistakes_are_named(answer, keyword):
    assert_wrong(ex03.q2, answer, keyword, expected=_truths(ex03.q2))


def _paths(dh, z, r, h_tilde, h_prev, m, R):
    """The four terms of dh_prev: direct, through R_z, through R_r, through R_h."""
    R_z, R_r, R_h = split_gates(R)
    da_h = _da_h(dh, z, h_tilde)
    da_z = dh * (h_prev - h_tilde) * z * (1 - z)
    da_r = da_h * m * r * (1 - r)
    return dh * z, da_z @ R_z.T, da_r @ R_r.T, (da_h * r) @ R_h.T


def _without(*dropped):
    def answer(dh, z, r, h_tilde, h_prev, m, R):
        terms = _paths(dh, z, r, h_tilde, h_prev, m, R)
        return sum(term for i, term in enumerate(terms) if i not in dropped)

    return answer


PREVIOUS_STATE_MISTAKES = [
    (_without(0), "direct path is missing"),
    (lambda dh, z, r, h_tilde, h_prev, m, R: _without(0)(dh, z, r, h_tilde, h_prev, m, R) + dh * (1 - z), "not dh * (1 - z)"),
    (_without(1, 2, 3), "only the direct path"),
    (_without(3), "through the candidate"),
    (_without(1), "through the update gate"),
    (_without(2), "through the reset gate"),
    (_without(1, 2), "two gates"),
    (lambda dh, z, r, h_tilde, h_prev, m, R: dh * z + np.concatenate([dh * (h_prev - h_tilde) * z * (1 - z), _da_h(dh, z, h_tilde) * m * r * (1 - r), _da_h(dh, z, h_tilde)], axis=1) @ R.T, "dm = da_h * r"),
    (lambda dh, z, r, h_tilde, h_prev, m, R: dh * z + sum(d @ Rg for d, Rg in zip([dh * (h_prev - h_tilde) * z * (1 - z), _da_h(dh, z, h_tilde) * m * r * (1 - r), _da_h(dh, z, h_tilde) * r], split_gates(R), strict=True)), "untransposed"),
    (lambda dh, z, r, h_tilde, h_prev, m, R: dh * z + np.concatenate([dh * (h_prev - h_tilde), _da_h(dh, z, h_tilde) * m, _da_h(dh, z, h_tilde) * r], axis=1) @ R.T, "sigmoids' derivatives"),
    (lambda dh, z, r, h_tilde, h_prev, m, R: dh * z + np.concatenate([dh * (h_prev - h_tilde) * z * (1 - z), dh * (1 - z) * m * r * (1 - r), dh * (1 - z) * r], axis=1) @ R.T, "tanh's derivative is missing"),
    (lambda dh, z, r, h_tilde, h_prev, m, R: ex03.previous_state_gradient(dh, z, r, h_tilde, h_prev, m, R) + 1e-3, "Count the paths"),
    (lambda dh, z, r, h_tilde, h_prev, m, R: np.concatenate([dh, dh, dh], axis=1), "shaped like the state"),
]  # fmt: skip


@pytest.mark.parametrize("answer, keyword", PREVIOUS_STATE_MISTAKES)
def test_previous_state_mistakes_are_named(answer, keyword):
    assert_wrong(ex03.q3, answer, keyword, expected=_truths(ex03.q3))


def test_the_four_paths_make_the_previous_state_gradient():
    assert ex03.q3.diagnose(_without())[0] == CORRECT


# ------------------------------------------------ ex03.q4: dh0 through time
def _dh0_values():
    return _truths(ex03.q4)


def closed_form(G, z, shift=1):
    t = np.arange(G.shape[1])[None, :, None]
    return np.sum(G * z ** (t + shift), axis=1)


def overwriting_loop(G, z):
    dh_next = np.zeros_like(G[:, 0])
    for t in reversed(range(G.shape[1])):
        dh = G[:, t]  # overwrites what came back from step t+1
        dh_next = dh * z
    return dh_next


def forward_loop(G, z):
    dh_next = np.zeros_like(G[:, 0])
    for t in range(G.shape[1]):  # forwards in time
        dh_next = (G[:, t] + dh_next) * z
    return dh_next


INITIAL_STATE_MISTAKES = [
    (overwriting_loop, "do not overwrite"),
    (lambda G, z: G[:, -1] * z ** G.shape[1], "earlier steps were dropped"),
    (lambda G, z: closed_form(G, 1 - z), "not dh * (1 - z)"),
    (lambda G, z: closed_form(G, z, shift=0), "One factor z too few"),
    (lambda G, z: closed_form(G, z, shift=2), "One factor z too many"),
    (forward_loop, "run the wrong way"),
    (lambda G, z: G.sum(axis=1) * z, "not by a single z"),
    (lambda G, z: G.sum(axis=1), "multiplies by z again"),
    (lambda G, z: closed_form(G, z) / G.shape[1], "averaged over time"),
    (lambda G, z: closed_form(G, z).sum(axis=0), "summed or averaged over the batch"),
    (lambda G, z: closed_form(G, z).T, "looks transposed"),
    (lambda G, z: closed_form(G, z) + 1e-3, "on paper first"),
]


@pytest.mark.parametrize("answer, keyword", INITIAL_STATE_MISTAKES)
def test_initial_state_mistakes_are_named(answer, keyword):
    assert_wrong(ex03.q4, answer, keyword, expected=_dh0_values())


def test_the_closed_form_is_correct_too():
    """The notebook's claim: the loss at step t reaches h0 multiplied by z**(t + 1)."""
    assert ex03.q4.diagnose(closed_form)[0] == CORRECT


def test_the_constant_gate_cases_have_no_other_path_back():
    for (G, z), dh0 in ((case.values(), dh0) for case, dh0 in ex03._constant_gate_cases()):
        assert G.shape[1] >= 5 and np.ptp(z) > 0.2  # long enough, and z differs by unit
        assert np.abs(dh0).max() > 1e-2


# ---------------------------------------------------- ex04.q1: which came first
def test_the_label_cases_can_tell_first_from_last_and_see_padding():
    """The oracle agrees with the task's labels, and the cases make the classic shortcuts fail."""
    padded_at_start = 0
    for (x,), y, _ in ((case.values(), y, words) for case, y, words in ex04._label_cases()):
        assert np.array_equal(ex04.which_came_first(x), y)
        is_ab = (x[:, :, A] + x[:, :, B]) > 0
        t_last = x.shape[1] - 1 - is_ab[:, ::-1].argmax(axis=1)
        last = x[np.arange(len(x)), t_last, A] == 1
        assert 0.3 < np.mean(last == (y == 1)) < 0.7  # the last symbol is a coin toss
        padded_at_start += int(np.sum(~x[:, 0].any(axis=-1)))
    assert padded_at_start > 50


def _first_symbol_by_argmax(x):
    symbols = x.argmax(axis=-1)
    return symbols[np.arange(len(x)), (symbols <= 1).argmax(axis=1)] == A


def _last_ab(x):
    is_ab = (x[:, :, A] + x[:, :, B]) > 0
    return x[np.arange(len(x)), x.shape[1] - 1 - is_ab[:, ::-1].argmax(axis=1), A]


LABEL_MISTAKES = [
    (lambda x: 1 - ex04.which_came_first(x), "swapped"),
    (_last_ab, "last A or B"),
    (lambda x: x[:, :, A].sum(axis=1) > x[:, :, B].sum(axis=1), "how many A's and B's"),
    (lambda x: x[:, :, A].sum(axis=1) >= x[:, :, B].sum(axis=1), "Counting cannot work"),
    (lambda x: x[:, :, A].any(axis=1), "whether an A appears"),
    (lambda x: x[:, 0, A], "step 0 only"),
    (_first_symbol_by_argmax, "reads the padding as A"),
    (lambda x: ex04.which_came_first(x)[:, None], "shape (200, 1)"),
    (lambda x: x[:, :, A], "one per step"),
    (lambda x: ex04.which_came_first(x)[:10], "shape (n,)"),
    (lambda x: ex04.which_came_first(x) * 2.0, "other numbers"),
    (lambda x: np.where(np.arange(len(x)) < 3, 1 - ex04.which_came_first(x), ex04.which_came_first(x)), "3 of your 200"),
]  # fmt: skip


@pytest.mark.parametrize("answer, keyword", LABEL_MISTAKES)
def test_label_mistakes_are_named(answer, keyword):
    assert_wrong(ex04.q1, answer, keyword)


def test_labels_of_any_type_are_accepted():
    assert ex04.q1.diagnose(lambda x: ex04.which_came_first(x).astype(bool))[0] == CORRECT
    assert ex04.q1.diagnose(lambda x: list(ex04.which_came_first(x)))[0] == CORRECT

    def loop(x):  # a plain loop over steps, as a beginner writes it
        labels = []
        for sequence in x:
            for step in sequence:
                if step[A] == 1 or step[B] == 1:
                    labels.append(int(step[A] == 1))
                    break
        return labels

    assert ex04.q1.diagnose(loop)[0] == CORRECT


# ------------------------------------------------ ex04.q2: the half-life bias
def _half_life_biases():
    return [ex04.bias_for_half_life(T) for T in ex04._HALF_LIVES]


@pytest.mark.parametrize("T", [1, 7, 50, 400])
def test_a_gru_with_the_half_life_bias_keeps_half_of_h0(T):
    """Recomputed through a one-unit GRU: a zero candidate, z = sigmoid(b), h0 = 1."""
    gru = handset_gru(bx_z=ex04.bias_for_half_life(T))
    h_T = gru(np.zeros((1, T, 1)), initial_state=np.ones((1, 1)))[0, 0]
    assert np.isclose(h_T, 0.5, rtol=1e-9)
    assert np.isclose(update_gate_memory(ex04.bias_for_half_life(T), T), 0.5, rtol=1e-12)


def test_a_half_life_of_one_step_is_keras_start():
    """The notebook's question: T = 1 gives b = 0, the bias of a fresh Keras GRU."""
    assert abs(ex04.bias_for_half_life(1)) < 1e-12


HALF_LIFE_MISTAKES = [
    (lambda T: 0.5 ** (1 / T), "gate's value z"),
    (lambda T: np.log(0.5 ** (1 / T)), "log(z) is not"),
    (lambda T: -np.log(0.5 ** (1 / T) / (1 - 0.5 ** (1 / T))), "sign error"),
    (lambda T: np.log((1 - 0.5 ** (1 / T)) / 0.5 ** (1 / T)), "flipped convention"),
    (lambda T: np.log(0.5**T / (1 - 0.5**T)), "Off by a power"),
    (lambda T: np.log(0.5 ** (1 / (T + 1)) / (1 - 0.5 ** (1 / (T + 1)))), "Off by one step"),
    (lambda T: np.log(T), "chrono start"),
    (lambda T: np.log(np.exp(-1 / T) / (1 - np.exp(-1 / T))), "1/e"),
    (lambda T: np.log2(0.5 ** (1 / T) / (1 - 0.5 ** (1 / T))), "natural logarithm"),
    (lambda T: np.log10(0.5 ** (1 / T) / (1 - 0.5 ** (1 / T))), "natural logarithm"),
    (lambda T: np.log(T / np.log(2) - 1), "not one half (too little"),
    (lambda T: ex04.bias_for_half_life(T) + 0.1, "not one half (too much"),
    (lambda T: np.log(0.5 ** (1 // T) / (1 - 0.5 ** (1 // T))), "ZeroDivisionError"),
    (lambda T: np.inf, "integer division"),
    (lambda T: str(ex04.bias_for_half_life(T)), "should return numbers"),
    (lambda T: [0.0, 1.0], "returned 2 numbers"),
    (lambda T: -np.inf, "z = 0 exactly"),
    (lambda T: np.log(-1.0 * T), "NaN"),
    (lambda T: ex04.bias_for_half_life(T) + 1e-6 * (T > 1), "float32's precision"),
    (lambda T: ex04.bias_for_half_life(T) - 2e-4 * (T == 2), "not one half (too little"),
]


@pytest.mark.parametrize("answer, keyword", HALF_LIFE_MISTAKES)
def test_half_life_mistakes_are_named(answer, keyword):
    with np.errstate(divide="ignore", invalid="ignore"):
        assert_wrong(ex04.q2, answer, keyword, expected=_half_life_biases())


def test_any_correct_form_of_the_half_life_bias_is_accepted():
    import math

    for answer in [
        lambda T: -np.log(2 ** (1 / T) - 1),
        lambda T: math.log(1 / (2 ** (1 / T) - 1)),
        lambda T: np.array([ex04.bias_for_half_life(T)]),
    ]:
        assert ex04.q2.diagnose(answer)[0] == CORRECT


# ---------------------------------------------------- ex04.q3: the padding mask
def test_the_mask_cases_are_keras_masking(keras):
    """Each case's mask is what Keras' Masking(0.0) computes; the cases hold the traps."""
    cases = [(case["x"], mask) for case, mask, words in ex04._mask_cases() if words]
    assert len(cases) == 3  # each described, for the messages that name it
    for x, mask in cases:
        keras_mask = np.asarray(keras.layers.Masking(mask_value=0.0).compute_mask(x))
        assert keras_mask.dtype == bool and np.array_equal(keras_mask, mask)
    (post, post_mask), (pre, pre_mask), (real, real_mask) = cases
    assert (~post_mask[:, -1]).sum() > 2 and (~pre_mask[:, 0]).sum() > 2  # padding on both sides
    total = real.sum(axis=-1)
    assert np.any(real_mask & (total == 0)) and np.any(real_mask & (total < 0))
    assert np.any(real_mask & np.all(real <= 0, axis=-1))


MASK_MISTAKES = [
    (lambda x: ~np.any(x != 0, axis=-1), "inverted"),
    (lambda x: x.sum(axis=-1) != 0, "add up to 0 counts"),
    (lambda x: x.sum(axis=-1) > 0, "add up to 0 or less"),
    (lambda x: np.any(x > 0, axis=-1), "all negative"),
    (lambda x: x[..., 0] != 0, "first feature only"),
    (lambda x: np.all(x != 0, axis=-1), "all() asks"),
    (lambda x: np.arange(x.shape[1]) < np.any(x != 0, axis=-1).sum(axis=1, keepdims=True), "padding at the end only"),
    (lambda x: x.argmax(axis=-1) != 0, "argmax"),
    (lambda x: np.any(x != 0, axis=-1).astype(int), "as numbers (int64)"),
    (lambda x: np.any(x != 0, axis=-1).astype(np.float32), "as numbers (float32)"),
    (lambda x: np.any(x != 0, axis=1), "reduced over time"),
    (lambda x: np.any(x != 0, axis=0), "reduced over the batch"),
    (lambda x: np.any(x != 0, axis=-1).T, "transposed"),
    (lambda x: x != 0, "tested each feature"),
    (lambda x: np.abs(x).sum(axis=-1) > 1e-2, "wrong at 1 of"),
]  # fmt: skip


@pytest.mark.parametrize("answer, keyword", MASK_MISTAKES)
def test_mask_mistakes_are_named(answer, keyword):
    assert_wrong(ex04.q3, answer, keyword)


def test_any_correct_mask_is_accepted():
    for answer in [
        lambda x: x.any(axis=-1),  # the notebook's own line
        lambda x: np.abs(x).sum(axis=-1) > 0,
        lambda x: ~np.all(x == 0, axis=2),
        lambda x: [list(row) for row in np.any(x != 0, axis=-1)],
    ]:
        assert ex04.q3.diagnose(answer)[0] == CORRECT


# ------------------------------------------- ex04.q4: the loss of knowing nothing
def _mean_bce(y, p):
    y = np.asarray(y, dtype=float)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def test_the_chance_loss_is_the_best_constant_prediction(keras):
    grid = np.linspace(1e-4, 1 - 1e-4, 20_001)
    for y in ex04._chance_loss_labels():
        best = ex04.chance_loss(y)
        assert all(np.isclose(best, e, rtol=0, atol=1e-15) for e in _expected_chance_losses([y]))
        if np.ptp(y) == 0:  # all labels equal: the loss goes to 0 as p goes to that label
            assert best == 0 and _mean_bce(y, abs(y[0] - 1e-9)) < 1e-8
            continue
        scanned = min(_mean_bce(y, p) for p in grid)
        assert best <= scanned + 1e-12 and scanned - best < 1e-6
        p = np.full((len(y), 1), np.mean(y), dtype=np.float32)
        keras_loss = float(
            keras.losses.binary_crossentropy(y[:, None].astype("float32"), p).numpy().mean()
        )
        assert np.isclose(keras_loss, best, rtol=0, atol=1e-5)  # Keras' loss, natural log


def _expected_chance_losses(labels=None):
    return (
        [expected for _, expected in ex04._chance_loss_cases()]
        if labels is None
        else [ex04.chance_loss(y) for y in labels]
    )


def test_balanced_labels_give_log_2_and_the_cases_are_not_all_balanced():
    """Section 1's claim, and the reason the check can tell log 2 from the answer."""
    labels = ex04._chance_loss_labels()
    means = [np.mean(y) for y in labels]
    assert means[0] == 0.5 and np.isclose(ex04.chance_loss(labels[0]), np.log(2))
    assert sum(abs(m - 0.5) > 0.1 for m in means) >= 3  # log 2 is wrong on these
    assert any(0 < y.min() and y.max() < 1 for y in labels)  # soft labels
    assert {0.0, 1.0} <= set(means)  # all 0's, all 1's: 0 log 0 must count as 0


def _naive_entropy(p):
    return -p * np.log(p) - (1 - p) * np.log(1 - p)


def _entropy(p):
    """The same, with p log p taken as 0 at p = 0."""
    p = np.asarray(p, dtype=float)
    return sum(-np.where(q > 0, q * np.log(np.where(q > 0, q, 1.0)), 0.0) for q in (p, 1 - p))


CHANCE_LOSS_MISTAKES = [
    (lambda y: np.log(2), "balanced labels only"),
    (lambda y: _entropy(np.mean(y)) / np.log(2), "in bits"),
    (lambda y: -_entropy(np.mean(y)), "sign error"),
    (lambda y: max(np.mean(y), 1 - np.mean(y)), "chance accuracy"),
    (lambda y: min(np.mean(y), 1 - np.mean(y)), "error rate"),
    (lambda y: np.mean(y), "best constant prediction p itself"),
    (lambda y: np.mean(_entropy(np.clip(np.asarray(y, dtype=float), 1e-300, 1 - 1e-16))), "predicts every label exactly"),
    (lambda y: np.var(y), "squared"),
    (lambda y: _mean_bce(y, np.round(np.mean(y))), "strictly between 0 and 1"),
    (lambda y: _mean_bce(y, 0.4), "higher than the best constant"),
    (lambda y: 0.9 * _entropy(np.mean(y)), "lower than any constant"),
    (lambda y: np.full(len(y), _entropy(np.mean(y))), "it should return one number"),
    (lambda y: "0.69", "should return numbers"),
    (lambda y: _naive_entropy(np.mean(y)), "all the labels are equal"),
    (lambda y: _naive_entropy(np.clip(np.mean(y), 1e-7, 1 - 1e-7)), "float32's precision"),
]  # fmt: skip


@pytest.mark.parametrize("answer, keyword", CHANCE_LOSS_MISTAKES)
def test_chance_loss_mistakes_are_named(answer, keyword):
    expected = _expected_chance_losses()
    with np.errstate(divide="ignore", invalid="ignore"):
        assert_wrong(ex04.q4, answer, keyword, expected=expected)


def test_the_check_gives_each_answer_a_copy():
    def mutating(x):
        labels = ex04.which_came_first(x)
        x[:] = 0.0
        return labels

    assert ex04.q1.diagnose(mutating)[0] == CORRECT
    assert all(case["x"].any() for case, *_ in ex04._label_cases())


# ---------------------------------------------------------- ex05.q1: the puzzle
@pytest.mark.parametrize(
    "answer, words",
    [
        (lambda: handset_gru(W_h=1.0, bx_z=10.0), ["already keeps its state at step 0"]),
        (lambda: handset_gru(W_h=1.0), ["keeps writing after step 0"]),
        (lambda: handset_gru(W_h=1.0, bx_z=-10.0), ["keeps writing after step 0"]),
        (
            lambda: handset_gru(
                W_h=[[1.0, 0]], bx_h=[0, 10.0], bx_z=[-3.0, -10.0], R_z=[[0, 0], [6.0, 0]]
            ),
            ["keeps, but not firmly enough"],
        ),
        (lambda: handset_gru(W_h=np.ones((2, 1))), ["one number per step"]),
        (lambda: "handset_gru()", ["should return a GRU", "str"]),
        (lambda: None, ["forget the `return`"]),
        (handset_gru(W_h=1.0), ["pass the function itself"]),
    ],
)
def test_first_input_puzzle_mistakes_are_named(answer, words):
    assert_wrong(ex05.q1, answer, *words)


# ----------------------------------------------------- ex05.q2: label correlation
def center(h_T, y):
    return h_T - h_T.mean(axis=0), y - y.mean()


@pytest.mark.parametrize(
    "answer, words",
    [
        (lambda h, y: np.abs(package_correlation(h, y)), ["Keep the sign"]),
        (lambda h, y: center(h, y)[1] @ center(h, y)[0] / len(y), ["covariance"]),
        (
            lambda h, y: np.array(
                [np.cov(h[:, u], y)[0, 1] / (h[:, u].std() * y.std()) for u in range(h.shape[1])]
            ),
            ["n / (n - 1)"],
        ),
        (lambda h, y: (y @ h) / np.sqrt((h**2).sum(0) * (y**2).sum()), ["Centre first"]),
        (lambda h, y: package_correlation(h, y)[None, :], ["shape"]),
        (lambda h, y: np.corrcoef(h, y[:, None], rowvar=False), ["correlation matrix"]),
        (lambda h, y: h.mean(axis=1), ["one number per sequence"]),
        (lambda h, y: package_correlation(h, y) * 0.5, ["not the correlations"]),
    ],
)
def test_label_correlation_mistakes_are_named(answer, words):
    assert_wrong(ex05.q2, answer, *words)


def test_label_correlation_accepts_a_loop_over_np_corrcoef():
    def looped(h_T, y):
        return np.array([np.corrcoef(h_T[:, u], y)[0, 1] for u in range(h_T.shape[1])])

    assert ex05.q2.diagnose(looped) == (CORRECT, "")


# ----------------------------------------------------------- ex05.q3: saturation
@pytest.mark.parametrize(
    "answer, words",
    [
        (lambda g, lo, hi: ((g > hi).mean((0, 1)), (g < lo).mean((0, 1))), ["swapped"]),
        (lambda g, lo, hi: ((g < lo).sum((0, 1)), (g > hi).sum((0, 1))), ["counts"]),
        (lambda g, lo, hi: ((g < lo).mean(1), (g > hi).mean(1)), ["averaged over one"]),
        (
            lambda g, lo, hi: ((g < lo).any(1).mean(0), (g > hi).any(1).mean(0)),
            ["counted sequences"],
        ),
        (lambda g, lo, hi: ((g < lo).mean((0, 1)), 1 - (g < lo).mean((0, 1))), ["need not add up"]),
        (lambda g, lo, hi: ((g < lo).mean((0, 1)), (g > 1 - hi).mean((0, 1))), ["1 - high"]),
        (lambda g, lo, hi: (g < lo).mean((0, 1)), ["two arrays"]),
        (lambda g, lo, hi: ((g < lo).mean(), (g > hi).mean()), ["shape ()"]),
    ],
)
def test_saturation_share_mistakes_are_named(answer, words):
    assert_wrong(ex05.q3, answer, *words)


def test_saturation_shares_accept_less_or_equal():
    """Random gates never sit exactly on a threshold: <= and < are both right."""
    answer = lambda g, lo, hi: ((g <= lo).mean((0, 1)), (g >= hi).mean((0, 1)))  # noqa: E731
    assert ex05.q3.diagnose(answer) == (CORRECT, "")


def test_notebook_05s_exercises_import_no_widgets():
    """The checks of notebook 05 run where ipywidgets is missing: they never import the explorer."""
    code = (
        "import sys; import gru_lesson.exercises.ex05; "
        "print('ipywidgets' in sys.modules, "
        "any(m.startswith('gru_lesson.explorer') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# ------------------------------------------ the notebooks' solutions are these
def solution_cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            yield meta["grade_id"], "".join(cell["source"])


@pytest.mark.parametrize(
    "notebook",
    [
        "01_gru_from_scratch",
        "02_checking_against_keras",
        "03_backpropagation_through_time",
        "04_training_a_classifier",
        "05_gate_explorer",
    ],
)
def test_the_notebook_solutions_pass_their_checks(notebook):
    cells = dict(solution_cells(ROOT / "notebooks" / f"{notebook}.ipynb"))
    module = MODULES[notebook[:2]]
    assert sorted(cells) == [f"ex{notebook[:2]}_{q}" for q in module.__all__]
    for grade_id, source in cells.items():
        exercise = getattr(module, grade_id.split("_")[1])
        # what the notebooks import before their exercises
        namespace = {"np": np, "A": A, "B": B, "handset_gru": handset_gru}
        exec(source, namespace)
        answer = namespace[exercise.name]
        assert exercise.diagnose(answer) == (CORRECT, ""), grade_id


def test_a_nearly_right_half_life_is_told_apart_from_one_half():
    """A bias slightly off keeps slightly more or less than half: the message shows the digits."""
    for sign, word in ((1, "too much"), (-1, "too little")):
        message = assert_wrong(
            ex04.q2, lambda T, s=sign: ex04.bias_for_half_life(T) + s * 2e-4 * (T == 2), word
        )
        kept = re.search(r"keeps ([0-9.]+) of the state", message).group(1)
        assert float(kept) != 0.5, message
