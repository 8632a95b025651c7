"""Readable comparisons of two arrays: exact, close, or how far apart.

After Karpathy's ``cmp``: one line per check, so a student sees at a glance
which weight's gradient (or which output) agrees and by how much.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gru_lesson.validation import check_array, check_number

__all__ = ["Comparison", "compare", "max_abs_diff", "relative_error"]


def _pair(a, b, names=("a", "b")):
    """``a`` and ``b`` as float64 arrays of one shape, without NaN (it would compare as nothing)."""
    a, b = (check_array(name, v).astype(np.float64) for name, v in zip(names, (a, b), strict=True))
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    for name, arr in zip(names, (a, b), strict=True):
        if np.isnan(arr).any():
            first = tuple(int(i) for i in np.argwhere(np.isnan(arr))[0])
            raise ValueError(
                f"{name} holds NaN (the first at index {first}): NaN is neither close to "
                "nor far from anything"
            )
    return a, b


def max_abs_diff(a, b):
    """The largest absolute difference between two arrays of the same shape.

    Equal entries differ by 0, infinities included; NaN is refused.
    """
    a, b = _pair(a, b)
    if a.size == 0:
        return 0.0
    diff = np.subtract(a, b, out=np.zeros_like(a), where=a != b)  # inf - inf never computed
    return float(np.max(np.abs(diff)))


def relative_error(a, b, eps=1e-300):
    """max |a - b| / max(|a|, |b|): scale-free, used for gradient checks."""
    a, b = _pair(a, b)
    eps = check_number("eps", eps, minimum=0, min_open=True)
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)), eps)
    return max_abs_diff(a, b) / scale


@dataclass
class Comparison:
    name: str
    exact: bool
    close: bool
    max_diff: float
    tolerance: float

    def __str__(self):
        verdict = "exact" if self.exact else ("close" if self.close else "DIFFERENT")
        return (
            f"{self.name:<24s} {verdict:<9s} max |diff| = {self.max_diff:.1e}"
            f"  (tolerance {self.tolerance:.0e})"
        )

    def __bool__(self):
        return self.close


def compare(name, mine, reference, *, atol=1e-12, show=True):
    """Compare ``mine`` with ``reference`` and print one line about it.

    Returns a :class:`Comparison`, which is truthy when the two agree within
    ``atol``, so a notebook can ``assert compare(...)``.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be text (what is compared), got {name!r}")
    atol = check_number("atol", atol, minimum=0)
    diff = max_abs_diff(*_pair(mine, reference, names=("mine", "reference")))
    exact = bool(np.array_equal(np.asarray(mine), np.asarray(reference)))
    result = Comparison(name, exact, close=diff <= atol, max_diff=diff, tolerance=atol)
    if show:
        print(result)
    return result
