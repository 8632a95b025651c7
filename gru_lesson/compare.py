"""Readable comparisons of two arrays: exact, close, or how far apart.

After Karpathy's ``cmp``: one line per check, so a student sees at a glance
which weight's gradient (or which output) agrees and by how much.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Comparison", "compare", "max_abs_diff", "relative_error"]


def max_abs_diff(a, b):
    """The largest absolute difference between two arrays of the same shape."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))


def relative_error(a, b, eps=1e-300):
    """max |a - b| / max(|a|, |b|): scale-free, used for gradient checks."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
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
    diff = max_abs_diff(mine, reference)
    result = Comparison(
        name=name,
        exact=bool(np.array_equal(np.asarray(mine), np.asarray(reference))),
        close=diff <= atol,
        max_diff=diff,
        tolerance=atol,
    )
    if show:
        print(result)
    return result
