"""Checks a student can trust: a right answer passes however it is typed, a wrong one never does.

Every question of every exercise module is found by itself (a new question is
covered as soon as it is listed in its module's ``__all__``), and:

* its reference solution, with its return value retyped (float32, nested lists,
  0-d and one-element arrays, Python numbers, a tuple for a list and back, one
  stacked array for a pair), must pass its check;
* every mistake in its catalogue, returned in float32, must be named by its own
  message and by no other;
* the classic wrong answers that used to pass must fail.
"""

import importlib
import pkgutil

import numpy as np
import pytest
from test_exercises import revealed

import gru_lesson.exercises as exercises
from gru_lesson.exercises import CORRECT, WRONG

MODULES = [
    importlib.import_module(f"gru_lesson.exercises.{info.name}")
    for info in pkgutil.iter_modules(exercises.__path__)
]
EXERCISES = {
    f"{m.__name__.rsplit('.', 1)[1]}.{q}": getattr(m, q) for m in MODULES for q in m.__all__
}


# ------------------------------------------------------- retyping an answer
def _numbers(value, convert):
    """``value`` with every real number and float array in it passed through ``convert``."""
    if isinstance(value, (tuple, list)):
        return type(value)(_numbers(v, convert) for v in value)
    if isinstance(value, (float, np.floating, np.ndarray)) and not isinstance(value, bool):
        if np.asarray(value).dtype.kind == "f":
            return convert(value)
    return value


def _float32(value):
    return _numbers(value, lambda v: np.float32(v) if np.ndim(v) == 0 else v.astype(np.float32))


def _lists(value):
    """Arrays as nested lists of Python numbers (whatever their dtype)."""
    if isinstance(value, (tuple, list)):
        return type(value)(_lists(v) for v in value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _zero_d(value):
    return _numbers(value, lambda v: np.asarray(v) if np.ndim(v) == 0 else v)


def _one_element(value):
    return _numbers(value, lambda v: np.asarray(v).reshape(1) if np.ndim(v) == 0 else v)


def _python(value):
    return _numbers(value, lambda v: float(v) if np.ndim(v) == 0 else v)


def _swapped(value):
    """A tuple as a list, a list or a set as a tuple."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, (list, set, frozenset)):
        return tuple(value)
    return value


def _stacked(value):
    """A pair (or more) of same-shaped arrays or numbers as one array, (2, ...)."""
    if isinstance(value, (tuple, list)) and len({np.shape(v) for v in value}) == 1:
        if all(np.asarray(v).dtype.kind in "biuf" for v in value):
            return np.stack([np.asarray(v) for v in value])
    return value


RETYPINGS = {
    "float32": _float32,
    "nested lists": _lists,
    "float32 lists of float32 numbers": lambda v: _numbers(
        _float32(v), lambda a: list(a) if np.ndim(a) == 1 else a
    ),
    "0-d arrays": _zero_d,
    "one-element arrays": _one_element,
    "float32 0-d arrays": lambda v: _zero_d(_float32(v)),
    "Python numbers": _python,
    "tuple and list swapped": _swapped,
    "one stacked array": _stacked,
    "float32, stacked": lambda v: _stacked(_float32(v)),
}


def retyped(function, retype):
    """``function`` with its return value passed through ``retype``; ``.changed`` says if it did."""

    def answer(*args, **kwargs):
        value = function(*args, **kwargs)
        new = retype(value)
        if not _same_types(new, value):
            answer.changed = True
        return new

    answer.changed = False
    answer.__name__ = function.__name__
    return answer


def _same_types(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same_types(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape
    return True


PAIRS = [(name, typing) for name in EXERCISES for typing in RETYPINGS]


@pytest.mark.parametrize("name, typing", PAIRS, ids=[f"{n}-{t}" for n, t in PAIRS])
def test_the_reference_passes_however_it_is_typed(name, typing):
    exercise = EXERCISES[name]
    answer = retyped(exercise.reference, RETYPINGS[typing])
    assert exercise.diagnose(answer) == (CORRECT, ""), exercise.diagnose(answer)


def _holds_numbers(value):
    if isinstance(value, (tuple, list, set)):
        return any(_holds_numbers(v) for v in value)
    return isinstance(value, (int, float, np.number, np.ndarray)) and not isinstance(value, bool)


def test_every_question_is_covered():
    """Each module lists its questions, and the retypings reach every answer that holds numbers."""
    from gru_lesson.exercises import Exercise

    assert len(MODULES) >= 5 and all(m.__all__ for m in MODULES)
    for name, exercise in EXERCISES.items():
        assert isinstance(exercise, Exercise), name
        answers = [retyped(exercise.reference, retype) for retype in RETYPINGS.values()]
        for answer in answers:
            exercise.diagnose(answer)
        if not any(answer.changed for answer in answers):
            value = exercise.reference(*_first_arguments(exercise))
            assert not _holds_numbers(value), f"no retyping reaches {name}'s answer"


def _first_arguments(exercise):
    cases = getattr(exercise._checker, "cases", None)
    return list(next(iter(cases()))[0].values()) if cases else []


# ------------------------------------------------ the catalogues of mistakes
CATALOGUED = [
    (name, i) for name, exercise in EXERCISES.items() for i in range(len(exercise.mistakes))
]


def _expected_values(exercise):
    """Every number a check compares with, over its cases (none may appear in a message)."""
    cases = getattr(exercise._checker, "cases", None)
    if cases is None:
        return np.array([])
    return np.concatenate([np.ravel(np.asarray(e, dtype=float)) for _, e, *_ in cases()])


@pytest.mark.parametrize("typing", ["float64", "float32"])
@pytest.mark.parametrize("name, i", CATALOGUED, ids=[f"{n}-{i}" for n, i in CATALOGUED])
def test_each_catalogued_mistake_is_named_by_its_own_message(name, i, typing):
    exercise = EXERCISES[name]
    message, wrong = exercise.mistakes[i]
    answer = retyped(wrong, _float32) if typing == "float32" else wrong
    status, said = exercise.diagnose(answer)
    assert status == WRONG, (status, said)
    assert said == message, f"mistake {i} of {name} was told {said!r}"
    assert revealed(said, _expected_values(exercise)) is None, said


#: Checks that name what is wrong array by array (ex02.q1) or compare names, not numbers
#: (ex02.q2, q3): they have no catalogue of whole wrong answers.
PART_BY_PART = {"ex02.q1", "ex02.q2", "ex02.q3"}


def test_the_catalogues_are_not_empty():
    """Every question that compares numbers with a reference has a catalogue of mistakes."""
    compared = [
        n for n, e in EXERCISES.items() if hasattr(e._checker, "cases") and n not in PART_BY_PART
    ]
    assert len(compared) >= 10
    assert all(EXERCISES[n].mistakes for n in compared), compared


# ------------------------------------------- wrong answers that used to pass
def _naive_chance_loss(y):
    p = np.mean(y)
    return -p * np.log(p) - (1 - p) * np.log(1 - p)


def _mean_bce_chance_loss(y):
    p = np.mean(y)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def _clipped_chance_loss(y):
    p = np.clip(np.mean(y), 1e-7, 1 - 1e-7)
    return -p * np.log(p) - (1 - p) * np.log(1 - p)


USED_TO_PASS = [
    ("ex01.q2", lambda k, h0, z, c: c if k == 0 else c + z**k * (h0 - c), "at k = 0"),
    ("ex04.q4", _naive_chance_loss, "all the labels are equal"),
    ("ex04.q4", _mean_bce_chance_loss, "all the labels are equal"),
    ("ex04.q4", _clipped_chance_loss, "float32's precision"),
]


@pytest.mark.parametrize("name, answer, words", USED_TO_PASS)
def test_wrong_answers_that_used_to_pass_fail(name, answer, words):
    with np.errstate(all="ignore"):
        status, message = EXERCISES[name].diagnose(answer)
    assert status == WRONG and words in message, message


def test_a_unit_writing_on_part_of_the_sequences_is_not_said_to_keep():
    """The puzzle's unit 0 keeps on positive first inputs and writes on negative ones."""
    from gru_lesson.handset import handset_gru

    gru = handset_gru(W_h=[[3.0]], bx_z=[-3.0], R_z=[[40.0]])
    x = np.random.default_rng(0).uniform(-2, 2, size=(64, 12))
    lowest = gru.trace(x[..., None]).z[:, 1:, 0].min(axis=1)  # per sequence, after step 0
    assert lowest.min() < 0.01 and lowest.max() > 0.99  # writes on some sequences, keeps on others
    status, message = EXERCISES["ex05.q1"].diagnose(lambda: gru)
    assert status == WRONG
    assert "not firmly enough" not in message and "first input is negative" in message, message


# ------------------------------------------ a student's typing mistakes, told plainly
@pytest.mark.parametrize(
    "value, words",
    [
        ("0.5", "returned a str"),
        (None, "forget the `return`"),
        ([[1.0, 2.0], [3.0]], "do not line up"),
        (np.float16(0.5), "float16"),
        (np.array([np.nan]), "NaN or infinity"),
        ({"a": 1.0}, "returned a dict"),
    ],
)
def test_what_is_not_numbers_is_told_plainly(value, words):
    from gru_lesson.exercises import Mistake, as_array

    with pytest.raises(Mistake, match=words.replace("`", ".")):
        as_array(value, "f")
