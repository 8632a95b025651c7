"""Small GRUs with weights set by hand, one gate at a time.

The math names each gate's weights separately; :class:`~gru_lesson.gru.GRU`
stores them fused, ``W = [W_z | W_r | W_h]``. :func:`handset_gru` builds a
GRU from the separate pieces, with the names of the equations::

    z  = sigmoid(x_t W_z + bx_z + h_prev R_z + bh_z)
    r  = sigmoid(x_t W_r + bx_r + h_prev R_r + bh_r)
    h~ = tanh(x_t W_h + bx_h + r * (h_prev R_h + bh_h))
    h  = z * h_prev + (1 - z) * h~

Every piece defaults to zero, and a plain number fills its whole block, so a
one-unit GRU needs only the numbers that matter for the idea at hand::

    keeper = handset_gru(W_h=1.0, bx_z=10.0)   # z close to 1: keeps its state

:func:`gate_params` goes the other way, and :func:`first_input_verdict` judges
notebook 05's puzzle: a hand-set GRU whose output depends on the first input only.
"""

from __future__ import annotations

import numpy as np

from gru_lesson.gru import GRU, split_gates
from gru_lesson.validation import check_array, check_flag, check_gru, check_int

__all__ = ["handset_gru", "gate_params", "first_input_verdict"]

GATES = ("z", "r", "h")


def _as_piece(name, value):
    arr = check_array(name, value, finite=True)
    if np.asarray(value).dtype == bool:
        raise TypeError(f"{name} must be a number or an array of numbers, got booleans {value!r}")
    return arr.astype(np.float64)


#: What a piece that is not a number must be, and what its axes say, by its first letters.
_PIECE_SHAPES = {
    "W": ("a 2-D (input_dim, units) array", ("input_dim", "units")),
    "R": ("a square (units, units) array", ("units", "units")),
    "b": ("a 1-D (units,) array", ("units",)),
}


def _infer(pieces, input_dim, units):
    """Input size and units implied by the non-scalar pieces, checked for agreement."""
    given = {"input_dim": input_dim, "units": units}
    found = {what: [] if n is None else [(n, f"{what} was given")] for what, n in given.items()}
    for name, arr in pieces.items():  # found: lists of (size, reason)
        if arr.ndim == 0:
            continue
        wanted, axes = _PIECE_SHAPES.get(name.split("_")[0], _PIECE_SHAPES["b"])
        if arr.ndim != len(axes) or (name[0] == "R" and arr.shape[0] != arr.shape[1]):
            raise ValueError(f"{name} must be a number or {wanted}, got shape {arr.shape}")
        for what, size in dict(zip(axes, arr.shape, strict=True)).items():
            found[what].append((size, f"{name} has shape {arr.shape}"))
    sizes = {}
    for what, claims in found.items():
        (first, first_reason), *others = claims or [(1, "")]
        for size, reason in others:
            if size != first:
                raise ValueError(
                    f"the pieces disagree on {what}: {first_reason}, so {what}={first}, "
                    f"but {reason}, so {what}={size}"
                )
        if first < 1:
            raise ValueError(f"a GRU needs {what} of at least 1, but {first_reason}")
        sizes[what] = first
    return sizes["input_dim"], sizes["units"]


def _check_size(name, value):
    return None if value is None else check_int(name, value, minimum=1)


def handset_gru(
    *,
    W_z=0.0, W_r=0.0, W_h=0.0,
    R_z=0.0, R_r=0.0, R_h=0.0,
    bx_z=0.0, bx_r=0.0, bx_h=0.0,
    bh_z=None, bh_r=None, bh_h=None,
    input_dim=None, units=None,
    reset_after=True, return_sequences=False, return_state=False, go_backwards=False,
):  # fmt: skip
    """A float64 :class:`GRU` from per-gate weights named as in the equations.

    Each piece is a number (filling its whole block) or an array of its exact shape:
    ``W_*``: ``(input_dim, units)``; ``R_*``: ``(units, units)``; ``bx_*``, ``bh_*``:
    ``(units,)``. ``input_dim`` and ``units`` are read from the arrays; give them only
    to build a larger GRU from numbers alone (they default to 1).

    ``bh_*`` are the recurrent-side biases of the ``reset_after=True`` form;
    with ``reset_after=False`` there is one bias per gate (``bx_*``) and
    passing any ``bh_*`` is an error.

    >>> gru = handset_gru(W_h=1.0, bx_z=10.0)
    >>> gru.input_dim, gru.units
    (1, 1)
    """
    reset_after = check_flag("reset_after", reset_after)
    recurrent_biases = {"bh_z": bh_z, "bh_r": bh_r, "bh_h": bh_h}
    given = [name for name, v in recurrent_biases.items() if v is not None]
    if given and not reset_after:
        raise ValueError(
            "reset_after=False has one bias per gate (bx_z, bx_r, bx_h) and no "
            f"recurrent-side bias, but got {', '.join(given)}"
        )
    raw = {
        "W_z": W_z, "W_r": W_r, "W_h": W_h,
        "R_z": R_z, "R_r": R_r, "R_h": R_h,
        "bx_z": bx_z, "bx_r": bx_r, "bx_h": bx_h,
    }  # fmt: skip
    if reset_after:
        raw.update({k: (0.0 if v is None else v) for k, v in recurrent_biases.items()})
    pieces = {name: _as_piece(name, v) for name, v in raw.items()}
    D, U = _infer(pieces, _check_size("input_dim", input_dim), _check_size("units", units))

    def fused(prefix, shape):  # [_z | _r | _h] side by side, each piece filling its block
        blocks = [np.broadcast_to(pieces[f"{prefix}_{g}"], shape) for g in GATES]
        return np.concatenate(blocks, axis=-1)

    W = fused("W", (D, U))
    R = fused("R", (U, U))
    bx = fused("bx", (U,))
    bh = fused("bh", (U,)) if reset_after else None
    layer = dict(return_sequences=return_sequences, return_state=return_state)
    return GRU(W, R, bx, bh, reset_after=reset_after, go_backwards=go_backwards, **layer)


def gate_params(gru):
    """The per-gate pieces of a GRU, named as in the equations (copies).

    Returns ``{"W_z", "W_r", "W_h", "R_z", "R_r", "R_h"}`` plus ``bx_*`` when
    the GRU has biases and ``bh_*`` when it also has the recurrent-side row,
    so that ``handset_gru(**gate_params(gru), reset_after=gru.reset_after)``
    computes what ``gru`` computes.
    """
    check_gru(gru)
    out = {}
    for prefix, fused in gru.params.items():
        for g, part in zip(GATES, split_gates(fused), strict=True):
            out[f"{prefix}_{g}"] = part.copy()
    return out


# ================================================= notebook 05's puzzle
def input_influence(gru, x, *, seed=0, tries=8):
    """How much each input moves the output (unit 0's last state), shape ``(T,)``.

    ``x`` is ``(n, T)``. For step ``t`` the inputs at ``t`` are replaced by fresh
    random numbers in ``[-2, 2]``, ``tries`` times; the largest change of the
    output over sequences and tries is the influence of step ``t``.
    """
    x = np.asarray(x, dtype=float)
    n, T = x.shape
    rng = np.random.default_rng(seed)
    base = gru.trace(x[..., None]).h[:, -1, 0]
    influence = np.zeros(T)
    for t in range(T):
        for _ in range(tries):
            other = x.copy()
            other[:, t] = rng.uniform(-2, 2, size=n)
            out = gru.trace(other[..., None]).h[:, -1, 0]
            influence[t] = max(influence[t], float(np.max(np.abs(out - base))))
    return influence


PUZZLE = {"T": 12, "n": 32, "seed": 505, "first_at_least": 0.5, "later_at_most": 0.01}


def first_input_verdict(gru):
    """The puzzle: does unit 0's last state depend on the first input, and on nothing else?

    Returns ``(solved, message)``. On ``PUZZLE["n"]`` random sequences of
    ``PUZZLE["T"]`` inputs in ``[-2, 2]``, changing the first input must move the
    output by at least ``first_at_least`` (somewhere), and changing any later
    input by at most ``later_at_most`` (everywhere).
    """
    if not isinstance(gru, GRU):
        raise TypeError(
            f"the puzzle needs a gru_lesson.GRU (e.g. handset_gru(...)), got {type(gru).__name__}"
        )
    if gru.input_dim != 1:
        raise ValueError(
            f"the puzzle's GRU reads one input feature, this one reads {gru.input_dim}"
        )
    if gru.go_backwards:
        raise ValueError("the puzzle's GRU reads forwards: use go_backwards=False")
    p = PUZZLE
    x = np.random.default_rng(p["seed"]).uniform(-2, 2, size=(p["n"], p["T"]))
    influence = input_influence(gru, x, seed=p["seed"])
    first, later = influence[0], influence[1:]
    worst = int(np.argmax(later)) + 1
    z0 = gru.trace(x[..., None]).z[:, :, 0]
    if first >= p["first_at_least"] and later.max() <= p["later_at_most"]:
        return True, (
            f"Solved: the first input moves the output by up to {first:.2f}, every later "
            f"input by at most {later.max():.1e}."
        )
    z_later = float(np.median(z0[:, 1:]))
    if first < p["first_at_least"]:
        if np.median(z0[:, 0]) > 0.5:
            hint = (
                "unit 0 already keeps its state at step 0 (z near 1), so the first input is "
                "never written: z must be near 0 at step 0 (the unit writes) and near 1 after "
                "it (the unit keeps)."
            )
        elif z_later < 0.8:
            hint = (
                f"unit 0 keeps writing after step 0 (its update gate is about {z_later:.2f}), "
                "so the later inputs are written over the first. What could make it keep once "
                "step 0 is over?"
            )
        else:
            hint = (
                "unit 0 must write the first input into its state, and keep it: "
                "the candidate must depend on the input (W_h) and survive the later steps."
            )
        return False, f"Not yet: the first input moves the output by only {first:.2f}; {hint}"
    if z_later < 0.8:
        hint = (
            f"After step 0 unit 0's update gate is about {z_later:.2f}: the unit still writes "
            "part of every new input into its state. What could make it keep once step 0 is "
            "over?"
        )
    else:
        hint = (
            f"After step 0 unit 0's update gate is about {z_later:.3f}: the unit keeps, but "
            "not firmly enough over the later steps."
        )
    return False, (
        f"Not yet: later inputs still move the output, by up to {later.max():.3f} "
        f"(input {worst}); allowed: {p['later_at_most']}. {hint}"
    )
