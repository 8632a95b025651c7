"""Input checks that fail loudly, naming what was expected and what came."""

from __future__ import annotations

import numpy as np


def check_array(name, value, *, ndim=None, shape=None, names=None):
    """``value`` as a floating NumPy array, or a ValueError/TypeError that says why not.

    ``names`` describes the axes in the message, e.g. ``"(batch, time, features)"``.
    """
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(
            f"{name} must be an array of numbers, got {type(value).__name__}: {exc}"
        ) from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating)
        or np.issubdtype(arr.dtype, np.integer)
        or arr.dtype == bool
    ):
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if ndim is not None and arr.ndim != ndim:
        axes = f" {names}" if names else ""
        raise ValueError(f"{name} must be {ndim}-D{axes}, got shape {arr.shape}")
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {arr.shape}")
    return arr


def check_finite(name, arr):
    """Raise if ``arr`` holds NaN or infinity, saying where the first one is."""
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} must be finite, but it holds {int(bad.sum())} NaN/inf value(s) "
            f"(the first at index {where})"
        )
