"""Exercises that check themselves: ``check()``, ``hint()`` and ``solution()``.

Each notebook's exercises live in a module of this package named after it
(``gru_lesson.exercises.ex01`` for notebook 01, and so on)::

    from gru_lesson.exercises import ex01

    ex01.q2.check(state_after)  # "not attempted yet", what is wrong, or "correct"
    ex01.q2.hint()              # a nudge; call again for a more specific one
    ex01.q2.solution()          # a reference solution, when you want it

Every answer is a function. The exercise cell defines it, and its starter body
(``# YOUR CODE HERE`` / ``raise NotImplementedError()``, as nbgrader writes it)
raises only when the check calls it: that is how a check knows the exercise
has not been attempted yet. An answer that is a value (a number, a set of
names) is a function without arguments that returns the value.

A check never prints the expected answer. It runs your function on its own
inputs (its *cases*), compares with the right answers, and when they differ it
compares with the classic wrong answers (its *catalogue of mistakes*: a flipped
convention, a sign error, a transposed matrix) to say in words what went
wrong. When no classic mistake fits, it says plainly what differs. The fix is
still yours to make.

Numbers are compared at the precision of your answer: float64 to about 13
significant digits, float32 to about 4 (a float32 computation rounds at every
step). Arrays, lists, tuples, NumPy scalars and Python numbers are all fine.

A question module holds, for each exercise, its reference solution, its cases,
its catalogue of mistakes and its hints; :class:`Exercise` and
:class:`CheckOnCases` do the rest.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from functools import partial

import numpy as np

__all__ = [
    "CORRECT",
    "CheckOnCases",
    "Exercise",
    "Mistake",
    "NOT_ATTEMPTED",
    "Shape",
    "WRONG",
    "agrees",
    "answer_of",
    "as_array",
    "as_number",
    "as_parts",
]

NOT_ATTEMPTED = "not attempted"
WRONG = "wrong"
CORRECT = "correct"


class Mistake(Exception):
    """Raised by a checker with a message a student can act on.

    The message names the kind of mistake, never the expected values.
    """


class Exercise:
    """One exercise: a check, hints that get more specific, and a reference solution.

    The check is a :class:`CheckOnCases` named after ``reference``, made of the
    keyword arguments ``on_cases``, unless a ``checker(answer)`` is given: one that
    returns quietly when ``answer`` is right and raises :class:`Mistake` when it is
    not. ``reference``, a right answer, must pass (the tests make sure of that);
    :meth:`solution` prints its source. ``mistakes`` holds the check's catalogue
    of classic wrong answers, ``(message, wrong_function)`` pairs.
    """

    def __init__(self, title, checker=None, *, hints, reference, **on_cases):
        self.title = title
        self.name = reference.__name__
        self.reference = reference
        self._checker = checker or CheckOnCases(self.name, **on_cases)
        on = isinstance(self._checker, CheckOnCases)
        self.mistakes = self._checker.wrong_answers() if on else ()
        self._hints = list(hints)
        self._hints_shown = 0
        self.status = NOT_ATTEMPTED

    def __repr__(self):
        return f"<{self.title}: status {self.status!r}>"

    def diagnose(self, answer):
        """``(status, message)`` for ``answer``, without printing anything."""
        if answer is None:
            return NOT_ATTEMPTED, f"Pass your function to the check: .check({self.name})."
        try:
            self._checker(answer)
        except NotImplementedError:
            return NOT_ATTEMPTED, (
                f"Write `{self.name}` in the exercise cell (replace its "
                "`raise NotImplementedError()`), run that cell, then this one."
            )
        except Mistake as mistake:
            return WRONG, str(mistake)
        except Exception as exc:  # the answer itself failed: say how, in one line
            return WRONG, _failure(exc)
        return CORRECT, ""

    def check(self, answer=None):
        """Check ``answer`` and print one verdict. Returns nothing."""
        self.status, message = self.diagnose(answer)
        verdict = {NOT_ATTEMPTED: "not attempted yet.", CORRECT: "correct. Well done!"}
        print(f"{self.title}: {verdict.get(self.status, 'not yet.')} {message}".rstrip())

    def assert_correct(self, answer):
        """Raise ``AssertionError`` unless ``answer`` is right (for autograded test cells)."""
        status, message = self.diagnose(answer)
        assert status == CORRECT, f"{self.title}: {status}. {message}".strip()

    def hint(self, number=None):
        """Print the next hint, or hint ``number`` (1, 2, ...). Later hints say more."""
        if number is None:
            number = min(self._hints_shown, len(self._hints) - 1) + 1
            self._hints_shown += 1
        if not 1 <= number <= len(self._hints):
            raise ValueError(f"hint number must be 1 to {len(self._hints)}, got {number}")
        print(f"{self.title}, hint {number} of {len(self._hints)}: {self._hints[number - 1]}")

    def solution(self):
        """Print a reference solution."""
        code = textwrap.dedent(inspect.getsource(self.reference)).strip()
        print(f"{self.title}, a solution:\n\n{code}")


def _failure(exc):
    """One line on an error the answer raised; a matrix product that does not fit gets advice."""
    text = f"your code raised {type(exc).__name__}: {exc}"
    if isinstance(exc, ValueError) and ("matmul" in str(exc) or "not aligned" in str(exc)):
        text += (
            ". A matrix product's shapes do not fit. In this course vectors are rows, one per "
            "example: x_t is (B, D) and multiplies a (D, U) matrix from the left, x_t @ W "
            "(a paper's W x, with column vectors, is x @ W here). Print the shapes of both sides."
        )
    return text


# ------------------------------------------------- what a student returns
def answer_of(answer, name, *args):
    """What the student's function ``answer`` (named ``name``) returns for ``args``.

    A :class:`Mistake` when ``answer`` is not a function, or when it returns None.
    """
    if not callable(answer):
        raise Mistake(
            f"pass the function itself, without calling it: .check({name}), "
            f"not .check({name}(...)). You passed a {type(answer).__name__}."
        )
    if (value := answer(*args)) is None:
        raise Mistake(f"{name} returned None: did you forget the `return`?")
    return value


def as_array(value, what, *, finite=True):
    """``value`` as a NumPy array of real numbers, or a :class:`Mistake` saying what came back.

    Anything NumPy reads as real numbers is fine: arrays of any float, integer or
    boolean dtype, nested lists and tuples, NumPy scalars, Python numbers. The
    dtype is kept, so that the answer is compared at its own precision (float32
    stays float32). Text is refused even when it looks like a number (``"0.5"``).
    With ``finite=False`` NaN and infinity pass, for checkers that explain them
    in their own words.
    """
    if value is None:
        raise Mistake(f"{what} returned None: did you forget the `return`?")
    kind = type(value).__name__
    try:
        if isinstance(value, (str, bytes)):
            raise TypeError
        array = np.asarray(value)
    except (TypeError, ValueError):  # ragged lists, among others
        array = np.asarray(None)
    if array.dtype.kind not in "biuf":
        if isinstance(value, (list, tuple)) and array.dtype == object:
            raise Mistake(
                f"{what} should return numbers, but it returned a {kind} whose items do not "
                "line up into an array (different lengths, or not all numbers)"
            )
        raise Mistake(f"{what} should return numbers, but it returned a {kind}")
    if array.dtype == np.float16:
        raise Mistake(
            f"{what} returned float16 numbers, which keep only about 3 significant digits: "
            "compute in float32 or float64"
        )
    if finite and array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise Mistake(f"{what} returned NaN or infinity: look for a division or an overflow")
    return array


def as_number(value, what, *, finite=True):
    """One number, as a 0-d array at its own precision: a Python or NumPy number, or an array of one."""
    array = as_array(value, what, finite=finite)
    if array.size != 1:
        raise Mistake(f"{what} returned {array.size} numbers; it should return one number.")
    return array.reshape(())


def as_parts(value, what, names, kind="arrays"):
    """The parts of an answer that returns several ``kind`` (``names``): a tuple, a list or an array."""
    count = {2: "two", 3: "three"}.get(len(names), len(names))
    wanted = f"{what} should return {count} {kind}: {', '.join(names)}."
    if isinstance(value, (str, bytes, dict, set)) or not hasattr(value, "__len__"):
        raise Mistake(wanted)
    if len(value) != len(names):
        raise Mistake(f"{wanted} It returned {len(value)}.")
    return tuple(value)


# ---------------------------------------------------- comparing numbers
ROUNDING = 1000
"""How many rounding errors (``np.finfo(dtype).eps``) a right answer may be off by,
relative to the size of the numbers (at least 1): about 2e-13 for float64, 1e-4 for float32."""


def agrees(mine, expected, *, precision=None):
    """Same shape and the same numbers, to the precision of ``mine`` (or ``precision``).

    Tuples and lists of arrays agree part by part. Numbers agree when they differ
    by at most :data:`ROUNDING` rounding errors of ``mine``'s dtype, relative to
    the largest expected number or 1, whichever is larger.
    """
    if isinstance(expected, (tuple, list)):
        return len(mine) == len(expected) and all(
            agrees(m, e, precision=precision) for m, e in zip(mine, expected, strict=True)
        )
    mine, expected = np.asarray(mine), np.asarray(expected, dtype=float)
    if mine.shape != expected.shape:
        return False
    if precision is None:  # the rounding error of mine's numbers (float64's for integers)
        precision = np.finfo(mine.dtype if mine.dtype.kind == "f" else np.float64).eps
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.all(np.abs(mine.astype(float) - expected) <= ROUNDING * precision * scale))


FLOAT32_ONLY = (
    "Your numbers are close: they agree to float32's precision, but they are float64 numbers "
    "and do not agree to float64's. Did part of your computation run in float32, or use an "
    "approximation? Return float32 numbers if you meant float32 (the check then compares at "
    "float32's precision); otherwise compute exactly, in float64."
)


def _copy(value):
    """``value`` with its arrays copied, those in a dict too: an answer may change its own."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {key: _copy(v) for key, v in value.items()}
    return value


def what_differs(answers, expected):
    """A plain sentence on how the answers differ from the expected ones (same shapes), or None.

    ``answers`` and ``expected`` hold one array per case. The sentence names the
    signs, or the rows (one per example) that are right and wrong, and never
    the expected numbers.
    """
    pairs = [(m, np.asarray(e, dtype=float)) for m, e in zip(answers, expected, strict=True)]
    differ = [(m, e) for m, e in pairs if not agrees(m, e)]
    if all(np.any(np.abs(e) > 1e-6) and agrees(m, -e) for m, e in differ):
        return "Right shape, but every number has the wrong sign."
    mine, right = differ[0]
    if right.ndim == 2 and len(right) > 1:
        good = [i for i in range(len(right)) if agrees(mine[i], right[i])]
        if good:
            bad = [i for i in range(len(right)) if i not in good]
            return (
                f"Right shape, and on one of the check's batches {_rows(good)} right, but "
                f"{_rows(bad)} not. Each row is one example: does every row use its own inputs?"
            )
    return None


def _rows(numbers):
    """Rows, as words: "row 0 is", "rows 1 and 2 are"."""
    if len(numbers) == 1:
        return f"row {numbers[0]} is"
    return f"rows {', '.join(map(str, numbers[:-1]))} and {numbers[-1]} are"


# ------------------------------------------------------- checking on cases
def _given(function, names):
    """``function`` called with the values in the dict ``names`` that it names as parameters."""
    return function(**{name: names[name] for name in inspect.signature(function).parameters})


class Shape:
    """What a check says of an answer of the wrong shape (``shape=`` of :class:`CheckOnCases`).

    The message reads "``what`` has shape (4, 3); it should have shape ``layout``:
    why.", where ``{}`` stands in ``layout`` for the case's right shape and in
    ``what`` for the part's name (``parts`` of :class:`CheckOnCases`). ``known``, a
    function of the case, maps the shapes of classic slips to their why (the
    right shape reversed is "it looks transposed", unless ``known`` says otherwise);
    ``otherwise`` is the why of any other shape.
    """

    def __init__(self, what, layout, known=lambda: {}, otherwise=""):
        self.what, self.layout, self.known, self.otherwise = what, layout, known, otherwise

    def __call__(self, case, parts=()):
        """The message for ``case["mine"]``, or one of its ``parts``, of a wrong shape, or None."""
        mine, expected = case["mine"], case["expected"]
        pairs = zip(parts, mine, expected, strict=True) if parts else [("", mine, expected)]
        for part, mine, expected in pairs:
            if mine.shape != np.shape(expected):
                slips = {np.shape(expected)[::-1]: "it looks transposed"} | _given(self.known, case)
                why = slips.get(mine.shape, self.otherwise)
                text = f"{self.what.format(part)} has shape {mine.shape}; it should have shape "
                text += self.layout.format(np.shape(expected)) + (f": {why}" if why else "")
                return text if text.endswith(("?", ".")) else f"{text}."
        return None


@dataclass
class CheckOnCases:
    """A check that runs the answer on cases and compares with the right answers.

    ``cases()`` yields ``(inputs, expected)`` or ``(inputs, expected, description)``:
    the answer's arguments as a dict, in order (the answer gets copies, and may
    name them as it likes), the right return value, and words for the case.
    The functions a question gives name what they need, as parameters: the case's
    arguments; for the wrong answers of ``mistakes``, what ``pieces`` (a function
    of the arguments) returns as a dict for them to share; for ``problem`` and
    ``otherwise``, ``mine`` (what the answer returned), ``expected`` and ``case``
    (its description, else its number from 0).

    ``convert(value, what)`` reads what the answer returned, part by part for the
    ``parts`` named. A wrong ``shape`` (a :class:`Shape`) or a ``problem`` is told
    at once. ``same(mine, expected)`` compares. When the answers differ, the
    message is the first of: :data:`FLOAT32_ONLY`; the first mistake of the
    catalogue ``{message: wrong}`` (a tuple of wrong answers may share one
    message) that gives the same answers on every case; ``otherwise``, a function
    of the first case that differs, or a sentence, which :func:`what_differs`
    precedes for an answer that is one array.
    """

    name: str
    cases: Callable
    _: KW_ONLY
    otherwise: str | Callable
    mistakes: dict = field(default_factory=dict)
    pieces: Callable | None = None
    parts: tuple = ()
    convert: Callable = as_array
    shape: Shape | None = None
    problem: Callable | None = None
    same: Callable = agrees

    def __post_init__(self):
        self._mistakes = [
            (message, wrong)
            for message, wrongs in self.mistakes.items()
            for wrong in (wrongs if isinstance(wrongs, tuple) else (wrongs,))
        ]

    def wrong_answers(self):
        """The catalogue as ``(message, wrong answer)`` pairs, each answer called as a student's."""

        def as_answer(wrong):
            def answer(*values):
                names = next(iter(self.cases()))[0]
                return self._wrong(wrong, dict(zip(names, values, strict=True)))

            return answer

        return tuple((message, as_answer(wrong)) for message, wrong in self._mistakes)

    def _wrong(self, wrong, args):
        """What the wrong answer ``wrong`` gives for the arguments ``args`` (copied)."""
        args = {name: _copy(value) for name, value in args.items()}
        with np.errstate(all="ignore"):
            return _given(wrong, {**args, **(_given(self.pieces, args) if self.pieces else {})})

    def _read(self, value):
        """What the answer returned, read by ``convert`` (each of its parts, for ``parts``)."""
        if not self.parts:
            return self.convert(value, self.name)
        owner = self.name + ("'" if self.name.endswith("s") else "'s")
        values = as_parts(value, self.name, self.parts)
        return tuple(map(self.convert, values, [f"{owner} {part}" for part in self.parts]))

    def __call__(self, answer):
        inputs, cases = [], []
        for number, (args, expected, *words) in enumerate(self.cases()):
            mine = self._read(answer_of(answer, self.name, *map(_copy, args.values())))
            case = {**args, "mine": mine, "expected": expected, "case": [*words, number][0]}
            shape = self.shape and self.shape(case, self.parts)
            if message := shape or (self.problem and _given(self.problem, case)):
                raise Mistake(message)
            inputs.append(args)
            cases.append(case)
        answers, expected = [c["mine"] for c in cases], [c["expected"] for c in cases]
        if all(map(self.same, answers, expected)):
            return
        float32 = np.finfo(np.float32).eps
        if self.same is agrees and all(map(partial(agrees, precision=float32), answers, expected)):
            raise Mistake(FLOAT32_ONLY)
        for message, wrong in self._mistakes:
            try:
                values = [self._wrong(wrong, args) for args in inputs]
            except ArithmeticError:  # a wrong formula that divides by zero on some case
                continue
            if all(map(agrees, answers, values)):
                raise Mistake(message)
        if callable(self.otherwise):
            first = next(c for c in cases if not self.same(c["mine"], c["expected"]))
            raise Mistake(_given(self.otherwise, first))
        arrays = all(isinstance(mine, np.ndarray) for mine in answers)
        raise Mistake(arrays and what_differs(answers, expected) or self.otherwise)
