"""Input checks that fail loudly, naming what was expected and what came.

The course's public functions call these at their entry points only, so that
the bodies can read as the equations. Each check returns the value it
accepted, converted to the form the body uses (a float array, an ``int``, a
``float``, a boolean mask), or raises ``TypeError`` (the wrong kind of value)
or ``ValueError`` (the right kind, out of range or of the wrong shape), with
a message that names the argument, what it must be and what it was.

The vocabulary:

* :func:`check_array`   an array of real numbers, of a given rank or shape, optionally finite
* :func:`check_finite`  no NaN or infinity, saying where the first one is
* :func:`check_int`     an integer in a range (sizes, counts, steps, seeds)
* :func:`check_number`  a finite real number in a range (rates, biases, hyperparameters)
* :func:`check_choice`  one of a few named options
* :func:`check_flag`    ``True`` or ``False`` (NumPy's booleans too), nothing else
* :func:`check_list`    a list, a tuple or another collection (not text); optionally each value too
* :func:`check_dtype`   float32 or float64, the two precisions the course computes in
* :func:`check_seed`    a seed for ``numpy.random.default_rng``
* :func:`check_mask`    a boolean ``(batch, time)`` mask
* :func:`check_labels`  binary labels, 0 or 1
* :func:`check_gru`     a NumPy GRU, with weights that are finite
* :func:`check_trace`   a forward-pass trace that belongs to a GRU
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "check_array",
    "check_choice",
    "check_dtype",
    "check_finite",
    "check_flag",
    "check_gru",
    "check_int",
    "check_labels",
    "check_list",
    "check_mask",
    "check_number",
    "check_seed",
    "check_trace",
]


def _describe(value):
    """A short description of ``value`` for an error message."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def check_array(name, value, *, ndim=None, shape=None, names=None, finite=False):
    """``value`` as a floating NumPy array, or a ValueError/TypeError that says why not.

    Integers and booleans become float64; float32 stays float32. ``names``
    describes the axes in the message, e.g. ``"(batch, time, features)"``.
    A ``None`` in ``shape`` accepts any size on that axis. With ``finite=True``
    NaN and infinity are refused too.
    """
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got {_describe(value)}")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(
            f"{name} must be an array of numbers, got {type(value).__name__}: {exc}"
        ) from None
    if not any(np.issubdtype(arr.dtype, real) for real in (np.bool_, np.integer, np.floating)):
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.floating) or arr.dtype.itemsize < 4:
        arr = arr.astype(np.float64)
    axes = f" {names}" if names else ""
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D{axes}, got shape {arr.shape}")
    if shape is not None:
        shape = tuple(shape)
        fits = arr.ndim == len(shape) and all(
            want is None or got == want for got, want in zip(arr.shape, shape, strict=True)
        )
        if not fits:
            wanted = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            if len(shape) == 1:
                wanted = wanted[:-1] + ",)"
            raise ValueError(f"{name} must have shape {wanted}{axes}, got {arr.shape}")
    if finite:
        check_finite(name, arr)
    return arr


def check_finite(name, arr):
    """Raise if ``arr`` holds NaN or infinity, saying where the first one is."""
    arr = np.asarray(arr)
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} must be finite, but it holds {int(bad.sum())} NaN/inf value(s) "
            f"(the first at index {where})"
        )
    return arr


def _scalar(name, value, kind):
    """A Python scalar from ``value``: a number, a 0-d array or a one-element array."""
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be {kind}, got {_describe(value)}")
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise TypeError(f"{name} must be {kind}, got {_describe(value)}")
        value = value.reshape(()).item()
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {kind}, got {_describe(value)}")
    return value


def _range_text(minimum, maximum, min_open=False, max_open=False):
    if minimum is not None and maximum is not None:
        left = "(" if min_open else "["
        right = ")" if max_open else "]"
        return f"in {left}{minimum}, {maximum}{right}"
    if minimum is not None:
        return f"{'greater than' if min_open else 'at least'} {minimum}"
    return f"{'less than' if max_open else 'at most'} {maximum}"


def check_int(name, value, *, minimum=None, maximum=None):
    """``value`` as a Python ``int`` in ``[minimum, maximum]``.

    Accepts Python and NumPy integers and floats with an integral value
    (``3.0``); refuses booleans, text, ``3.5`` and NaN.
    """
    value = _scalar(name, value, "an integer")
    if not (isinstance(value, numbers.Integral) or float(value).is_integer()):
        raise TypeError(f"{name} must be an integer, got {_describe(value)}")
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an integer, {_range_text(minimum, maximum)}, got {value}")
    return value


def check_number(name, value, *, minimum=None, maximum=None, min_open=False, max_open=False):
    """``value`` as a finite Python ``float`` in the given range.

    ``min_open`` / ``max_open`` exclude the end itself: a learning rate is
    ``check_number("learning_rate", lr, minimum=0, min_open=True)``.
    """
    value = float(_scalar(name, value, "a number"))
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    low = minimum is not None and (value <= minimum if min_open else value < minimum)
    high = maximum is not None and (value >= maximum if max_open else value > maximum)
    if low or high:
        rng = _range_text(minimum, maximum, min_open, max_open)
        raise ValueError(f"{name} must be a number {rng}, got {value:g}")
    return value


def check_choice(name, value, choices):
    """``value`` if it is one of ``choices``, else a ValueError listing them."""
    if isinstance(value, np.generic):  # np.str_("post"), np.bool_(True), ...
        value = value.item()
    if isinstance(value, (str, bool, int, float, type(None))) and value in choices:
        return value
    listed = ", ".join(repr(c) for c in choices)
    raise ValueError(f"{name} must be one of {listed}; got {value!r}")


def check_flag(name, value):
    """``value`` as a Python ``bool``: only ``True`` and ``False`` (NumPy's too) are accepted.

    ``bool("no")`` is ``True``: a flag given as text or a number would be read wrongly.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {_describe(value)}")
    return bool(value)


def check_list(name, values, check=None, item=None, **options):
    """``values`` as a list, if it is a list, a tuple or another collection (not text).

    With ``check`` (another check of this module), each value is checked and converted by
    ``check(item, value, **options)``; ``item`` names one value (default ``"each of <name>"``):
    ``check_list("seeds", seeds, check_int, minimum=0)``.
    """
    if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a list or a tuple, got {type(values).__name__} {values!r}")
    item = item or f"each of {name}"
    return [value if check is None else check(item, value, **options) for value in values]


def check_dtype(dtype, name="dtype"):
    """``dtype`` as ``np.float32`` or ``np.float64``, the two precisions the course uses."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be float32 or float64, got {dtype!r}") from None
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"{name} must be float32 or float64, got {dtype.name}")
    return dtype.type


def check_seed(seed, name="seed"):
    """A seed for ``numpy.random.default_rng``: an integer from 0 on, or a ``Generator``."""
    if isinstance(seed, np.random.Generator):
        return seed
    return check_int(name, seed, minimum=0)


def check_mask(mask, shape, name="mask"):
    """A boolean ``(batch, time)`` mask of exactly ``shape`` (True = use this step).

    ``None`` means no mask and is returned as ``None``. Keras' masks are
    boolean; 0/1 integers would be ambiguous with weights, so any other dtype
    is refused.
    """
    if mask is None:
        return None
    arr = np.asarray(mask)
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape (batch, time) = {tuple(shape)}, got {arr.shape}")
    if arr.dtype != bool:
        raise TypeError(f"{name} must be boolean (True = use this step), got dtype {arr.dtype}")
    return arr


def check_labels(name, y, n=None):
    """Binary labels as an ``int`` array of 0s and 1s, ``(n,)``.

    Accepts booleans, integers and floats that are exactly 0.0 or 1.0, and a
    ``(n, 1)`` column (what a sigmoid output layer is trained against).
    """
    arr = check_array(name, y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per sequence), got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} must hold {n} labels (one per sequence), got {arr.shape[0]}")
    bad = ~((arr == 0) | (arr == 1))
    if bad.any():
        first = int(np.argwhere(bad)[0][0])
        raise ValueError(
            f"{name} must hold only the labels 0 and 1, but {int(bad.sum())} do not "
            f"(the first, at index {first}, is {arr[first]:g})"
        )
    return arr.astype(np.int64)


def check_gru(gru, name="gru"):
    """``gru`` if it is a NumPy :class:`~gru_lesson.gru.GRU` (finite weights are the GRU's own check)."""
    from gru_lesson.gru import GRU

    if not isinstance(gru, GRU):
        raise TypeError(f"{name} must be a gru_lesson GRU, got {_describe(gru)}")
    return gru


def check_trace(trace, gru=None, name="trace"):
    """``trace`` if it is a :class:`~gru_lesson.gru.GRUTrace` whose shapes fit ``gru``."""
    from gru_lesson.gru import GRUTrace

    if not isinstance(trace, GRUTrace):
        raise TypeError(f"{name} must be a GRUTrace (from gru.trace(x)), got {_describe(trace)}")
    shape = trace.h.shape
    for field in ("z", "r", "h_tilde"):
        if getattr(trace, field).shape != shape:
            raise ValueError(
                f"{name}.{field} has shape {getattr(trace, field).shape}, but {name}.h has {shape}"
            )
    if gru is not None and shape[-1] != gru.units:
        raise ValueError(
            f"{name} has {shape[-1]} units but the GRU has {gru.units}: "
            "was it traced with another GRU?"
        )
    return trace
