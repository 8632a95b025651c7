"""Exercises that check themselves: ``check()``, ``hint()`` and ``solution()``.

Each notebook's exercises live in a module of this package named after it
(``gru_lesson.exercises.ex01`` for notebook 01, and so on)::

    from gru_lesson.exercises import ex01

    ex01.q1.check(state_after)  # "not attempted yet", what is wrong, or "correct"
    ex01.q1.hint()              # a nudge; call again for a more specific one
    ex01.q1.solution()          # a reference solution, when you want it

Every answer is a function. The exercise cell defines it, and its starter body
(``# YOUR CODE HERE`` / ``raise NotImplementedError()``, as nbgrader writes it)
raises only when the check calls it: that is how a check knows the exercise
has not been attempted yet. An answer that is a value (a number, a set of
names) is a function without arguments that returns the value.

A check never prints the expected answer. It runs your function on its own
inputs, compares with the reference, and when they differ it compares with
the classic wrong answers (a flipped convention, a sign error, a transposed
matrix) to say in words what went wrong. The fix is still yours to make.
"""

from __future__ import annotations

import inspect
import textwrap

import numpy as np

__all__ = [
    "CORRECT",
    "Exercise",
    "Mistake",
    "NOT_ATTEMPTED",
    "WRONG",
    "as_array",
    "matching_mistake",
    "require_function",
    "same",
]

NOT_ATTEMPTED = "not attempted"
WRONG = "wrong"
CORRECT = "correct"


class Mistake(Exception):
    """Raised by a checker with a message a student can act on.

    The message names the kind of mistake, never the expected values.
    """


class Exercise:
    """One exercise: a checker, hints that get more specific, and a reference solution.

    ``checker(answer)`` returns quietly when ``answer`` is right and raises
    :class:`Mistake` when it is not. ``solution`` is the reference answer, a
    function: the checker must accept it (the tests make sure of that), and
    :meth:`solution` prints its source.
    """

    def __init__(self, title, checker, *, hints, solution):
        self.title = title
        self.name = solution.__name__
        self.reference = solution
        self._checker = checker
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
            return WRONG, f"your code raised {type(exc).__name__}: {exc}"
        return CORRECT, ""

    def check(self, answer=None):
        """Check ``answer`` and print one verdict. Returns nothing."""
        self.status, message = self.diagnose(answer)
        if self.status == NOT_ATTEMPTED:
            print(f"{self.title}: not attempted yet. {message}")
        elif self.status == CORRECT:
            print(f"{self.title}: correct. Well done!")
        else:
            print(f"{self.title}: not yet. {message}")

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


# --------------------------------------------------------- tools for checkers
def require_function(answer, name):
    """Raise :class:`Mistake` unless ``answer`` can be called."""
    if not callable(answer):
        raise Mistake(
            f"pass the function itself, without calling it: .check({name}), "
            f"not .check({name}(...)). You passed a {type(answer).__name__}."
        )


def as_array(value, what, *, finite=True):
    """``value`` as a float array, or a :class:`Mistake` saying what came back instead.

    Text is refused even when it looks like a number (``"0.5"``). With ``finite=False``
    NaN and infinity pass, for checkers that explain them in their own words.
    """
    if value is None:
        raise Mistake(f"{what} returned None: did you forget the `return`?")
    try:
        if isinstance(value, (str, bytes)):
            raise TypeError
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise Mistake(
            f"{what} should return numbers, but it returned a {type(value).__name__}"
        ) from None
    if finite and not np.all(np.isfinite(array)):
        raise Mistake(f"{what} returned NaN or infinity: look for a division or an overflow")
    return array


def same(a, b, atol=1e-10):
    """Same shape and the same numbers to ``atol``."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=0, atol=atol))


def matching_mistake(value, wrong_answers, atol=1e-10):
    """The message of the first ``(message, wrong_value)`` pair that ``value`` equals, else None."""
    for message, wrong in wrong_answers:
        if same(value, wrong, atol):
            return message
    return None
