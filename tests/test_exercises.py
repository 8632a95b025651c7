"""The self-checking exercises of notebooks 01 to 03 (gru_lesson.exercises).

For every exercise: the reference solution is correct, nbgrader's stub is "not
attempted", and the classic wrong answers are wrong, with a message that names
the mistake and never contains the expected values.
"""

import json
import re
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
)
from gru_lesson.gru import GRU, sigmoid, split_gates

ROOT = Path(__file__).resolve().parents[1]
MODULES = {"01": ex01, "02": ex02, "03": ex03}
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
        solution=EXERCISES[name].reference,
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

    exercise = Exercise("Exercise 0", checker, hints=["one", "two"], solution=stub)
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
    (lambda x_t, h_prev, r, W_h, R_h, bx_h: 0.999 * np.tanh(x_t @ W_h + bx_h + (r * h_prev) @ R_h), "Where does r act"),
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
    (lambda k, h0, z, c: z**k * h0 + (1 - z**k) * c + 1e-6 * k, "differs from the GRU's state"),
    (lambda k, h0, z, c: np.array([z**k * h0, (1 - z**k) * c]), "one number"),
]


@pytest.mark.parametrize("answer, keyword", STATE_MISTAKES)
def test_state_after_mistakes_are_named(answer, keyword):
    assert_wrong(ex01.q2, answer, keyword, expected=_state_values())


def test_state_after_accepts_any_correct_form():
    assert ex01.q2.diagnose(lambda k, h0, z, c: z**k * h0 + (1 - z**k) * c)[0] == CORRECT
    assert ex01.q2.diagnose(lambda k, h0, z, c: np.array([c + z**k * (h0 - c)]))[0] == CORRECT


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
    ],
)
def test_bias_mistakes_are_named(answer, keyword):
    message = assert_wrong(ex01.q3, answer, keyword)
    for b in _bias_boundaries():
        assert f"{b:.2f}" not in message and f"{b:.1f}" not in message


def test_any_biases_on_the_right_sides_are_correct():
    for b_remember, b_forget in [(3.0, 0.0), (10, -10), (np.float64(4.0), np.int64(-1))]:
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
def _truths(reset_after, target):
    """The gradient each check compares with, over all its random steps (never to be printed)."""
    return np.concatenate([truth[target].ravel() for _, truth in ex03._steps(reset_after)])


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
    (lambda dh, z, h_prev, h_tilde: 1.001 * dh * (h_prev - h_tilde) * z * (1 - z), "Right shape, but not the update gate's"),
]  # fmt: skip


@pytest.mark.parametrize("answer, keyword", UPDATE_GATE_MISTAKES)
def test_update_gate_mistakes_are_named(answer, keyword):
    assert_wrong(ex03.q1, answer, keyword, expected=_truths(True, "da_z"))


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
    assert_wrong(ex03.q2, answer, keyword, expected=_truths(False, "da_r"))


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
    (lambda dh, z, r, h_tilde, h_prev, m, R: ex03.previous_state_gradient(dh, z, r, h_tilde, h_prev, m, R) + 1e-6, "Count the paths"),
    (lambda dh, z, r, h_tilde, h_prev, m, R: np.concatenate([dh, dh, dh], axis=1), "shaped like the state"),
]  # fmt: skip


@pytest.mark.parametrize("answer, keyword", PREVIOUS_STATE_MISTAKES)
def test_previous_state_mistakes_are_named(answer, keyword):
    assert_wrong(ex03.q3, answer, keyword, expected=_truths(True, "dh_prev"))


def test_the_four_paths_make_the_previous_state_gradient():
    assert ex03.q3.diagnose(_without())[0] == CORRECT


# ------------------------------------------------ ex03.q4: dh0 through time
def _dh0_values():
    return np.concatenate([dh0.ravel() for _, _, dh0 in ex03._constant_gate_cases()])


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
    (lambda G, z: closed_form(G, z) + 1e-6, "on paper first"),
]


@pytest.mark.parametrize("answer, keyword", INITIAL_STATE_MISTAKES)
def test_initial_state_mistakes_are_named(answer, keyword):
    assert_wrong(ex03.q4, answer, keyword, expected=_dh0_values())


def test_the_closed_form_is_correct_too():
    """The notebook's claim: the loss at step t reaches h0 multiplied by z**(t + 1)."""
    assert ex03.q4.diagnose(closed_form)[0] == CORRECT


def test_the_constant_gate_cases_have_no_other_path_back():
    for G, z, dh0 in ex03._constant_gate_cases():
        assert G.shape[1] >= 5 and np.ptp(z) > 0.2  # long enough, and z differs by unit
        assert np.abs(dh0).max() > 1e-2


# ------------------------------------------ the notebooks' solutions are these
def solution_cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            yield meta["grade_id"], "".join(cell["source"])


@pytest.mark.parametrize(
    "notebook",
    ["01_gru_from_scratch", "02_checking_against_keras", "03_backpropagation_through_time"],
)
def test_the_notebook_solutions_pass_their_checks(notebook):
    cells = dict(solution_cells(ROOT / "notebooks" / f"{notebook}.ipynb"))
    module = MODULES[notebook[:2]]
    assert sorted(cells) == [f"ex{notebook[:2]}_{q}" for q in module.__all__]
    for grade_id, source in cells.items():
        exercise = getattr(module, grade_id.split("_")[1])
        namespace = {"np": np}
        exec(source, namespace)
        assert exercise.diagnose(namespace[exercise.name]) == (CORRECT, ""), grade_id
