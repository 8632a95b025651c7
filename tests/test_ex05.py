"""The self-checking exercises of notebook 05 (gru_lesson.exercises.ex05).

The reference solutions are correct, nbgrader's stub is "not attempted", and
the classic wrong answers are wrong, with a message that names the mistake.
"""

import numpy as np
import pytest

from gru_lesson.exercises import CORRECT, NOT_ATTEMPTED, WRONG, ex05
from gru_lesson.gates import label_correlation as package_correlation
from gru_lesson.handset import handset_gru

EXERCISES = {name: getattr(ex05, name) for name in ex05.__all__}


def stub(*args, **kwargs):
    # YOUR CODE HERE
    raise NotImplementedError()


def wrong(exercise, answer, *words):
    status, message = exercise.diagnose(answer)
    assert status == WRONG, (status, message)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    return message


@pytest.mark.parametrize("name", list(EXERCISES))
def test_reference_is_correct_and_stub_not_attempted(name, capsys):
    exercise = EXERCISES[name]
    assert exercise.diagnose(exercise.reference) == (CORRECT, "")
    assert exercise.diagnose(stub)[0] == NOT_ATTEMPTED
    exercise.check(stub)
    assert "not attempted yet" in capsys.readouterr().out
    exercise.hint()
    exercise.solution()
    out = capsys.readouterr().out
    assert "hint 1 of 3" in out and "a solution" in out


# ------------------------------------------------------------- q1: the puzzle
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
def test_q1_names_what_is_wrong(answer, words):
    wrong(ex05.q1, answer, *words)


# -------------------------------------------------------- q2: label correlation
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
def test_q2_names_what_is_wrong(answer, words):
    wrong(ex05.q2, answer, *words)


def test_q2_accepts_a_loop_over_np_corrcoef():
    def looped(h_T, y):
        return np.array([np.corrcoef(h_T[:, u], y)[0, 1] for u in range(h_T.shape[1])])

    assert ex05.q2.diagnose(looped) == (CORRECT, "")


# -------------------------------------------------------------- q3: saturation
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
def test_q3_names_what_is_wrong(answer, words):
    wrong(ex05.q3, answer, *words)


def test_q3_accepts_less_or_equal():
    """Random gates never sit exactly on a threshold: <= and < are both right."""
    answer = lambda g, lo, hi: ((g <= lo).mean((0, 1)), (g >= hi).mean((0, 1)))  # noqa: E731
    assert ex05.q3.diagnose(answer) == (CORRECT, "")
