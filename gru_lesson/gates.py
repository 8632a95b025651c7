"""What a trained GRU's gates do: which units hold the memory, and how saturated each gate is.

Everything here reads a :class:`~gru_lesson.gru.GRUTrace` of the classifier trained on
the memory task ("which came first, A or B?", :mod:`gru_lesson.tasks`). NumPy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gru_lesson.tasks import make_memory_task
from gru_lesson.validation import check_array, check_int, check_labels, check_mask, check_number

__all__ = [
    "MemoryUnits",
    "cue_flip_batch",
    "cue_response",
    "gate_saturation",
    "hold_statistics",
    "label_correlation",
    "memory_units",
]

CUE_WINDOW = 5  # the memory task's cue starts in the first CUE_WINDOW steps


def label_correlation(h_T, y):
    """Pearson's correlation of each unit's last state with the label, shape ``(units,)``.

    ``h_T`` is ``(n, units)``, one row per sequence; ``y`` is ``(n,)`` of 0 and 1, both present.
    A unit whose state is constant over the sequences gets 0 (it says nothing).
    """
    h_T = check_array("h_T (last states)", h_T, ndim=2, names="(n, units)", finite=True)
    y = check_labels("y (labels)", y, h_T.shape[0])  # one per row of h_T
    if h_T.shape[0] < 2:
        raise ValueError(f"a correlation needs at least 2 sequences, got {h_T.shape[0]}")
    if y.min() == y.max():
        raise ValueError(f"y (labels) must hold both labels, 0 and 1, to correlate; all are {y[0]}")
    hc = h_T - h_T.mean(axis=0)
    yc = y - y.mean()
    num = yc @ hc
    den = np.sqrt((hc**2).sum(axis=0) * (yc**2).sum())
    return np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den > 0)


def cue_flip_batch(n=500, T=50, *, seed=0, n_filler=2, distractor_rate=0.2, cue_window=CUE_WINDOW):
    """Sequences of the memory task and the same sequences with the cue flipped.

    Returns ``(x, y, x_flipped, cue_start)``, with ``x`` and ``x_flipped``
    float64 ``(n, T, 2 + n_filler)``: everything but the cue is identical
    (``make_memory_task(..., labels=1 - y)``), and ``x_flipped``'s label is ``1 - y``.
    """
    options = dict(n_filler=n_filler, distractor_rate=distractor_rate, cue_window=cue_window)
    x, y, info = make_memory_task(n, T, seed=seed, return_info=True, **options)
    x_flipped, _ = make_memory_task(n, T, seed=seed, labels=1 - y, **options)
    return x.astype(np.float64), y, x_flipped.astype(np.float64), info.cue_start


def _check_classifier(classifier):
    from gru_lesson.classifier import GRUClassifier

    if not isinstance(classifier, GRUClassifier):
        raise TypeError(
            f"expected a gru_lesson.classifier.GRUClassifier, got {type(classifier).__name__}"
        )
    if classifier.gru.input_dim < 3:
        raise ValueError(
            "the memory task has at least 3 input features (A, B and a filler), but the "
            f"classifier's GRU reads {classifier.gru.input_dim}"
        )


@dataclass
class MemoryUnits:
    """Which units of a classifier carry the memory task's answer (see :func:`memory_units`).

    Arrays are ``(units,)``:

    * ``correlation``: of the unit's last state with the label;
    * ``share``: the unit's part of the gap between the two classes' mean logits,
      ``V_u * (mean h_T,u when A came first - mean h_T,u when B came first)``,
      divided by the whole gap (the shares add up to 1);
    * ``flip_rate``: the share of sequences whose last state changes sign when
      only the cue is flipped (``A B`` becomes ``B A``);

    ``ranking`` lists the units by ``share``, largest first; ``carriers`` are the
    units with ``|correlation| > 0.99`` and ``flip_rate > 0.99``, in ranking order;
    ``top`` is the first of them (the unit that carries most of the decision).
    ``prediction_flip_rate`` is the share of sequences whose predicted class
    changes with the cue, and ``accuracy`` the classifier's accuracy on them.
    """

    correlation: np.ndarray
    share: np.ndarray
    flip_rate: np.ndarray
    ranking: np.ndarray
    carriers: list
    top: int
    prediction_flip_rate: float
    accuracy: float
    n: int
    T: int


def memory_units(classifier, *, n=500, T=50, seed=0):
    """Find the units that carry the memory (a :class:`MemoryUnits`), measured on ``n`` fresh
    sequences of length ``T``, each run as drawn and with its cue flipped (all else identical)."""
    _check_classifier(classifier)
    n = check_int("n (number of sequences)", n, minimum=2)  # one of each label at least
    x, y, x_flipped, _ = cue_flip_batch(n, T, seed=seed, n_filler=classifier.gru.input_dim - 2)
    gru = classifier.gru
    h_T = gru.trace(x).h[:, -1]
    h_T_flipped = gru.trace(x_flipped).h[:, -1]
    correlation = label_correlation(h_T, y)
    V = classifier.V[:, 0].astype(float)
    gap = V * (h_T[y == 1].mean(axis=0) - h_T[y == 0].mean(axis=0))
    if gap.sum() == 0:
        raise ValueError(
            "the classifier's mean logit is the same for both labels, so no unit has a share "
            "of the decision (are its output weights V all zero?)"
        )
    share = gap / gap.sum()
    flip_rate = np.mean(np.sign(h_T) != np.sign(h_T_flipped), axis=0)
    ranking = np.argsort(-share, kind="stable")
    carriers = [int(u) for u in ranking if abs(correlation[u]) > 0.99 and flip_rate[u] > 0.99]
    top = carriers[0] if carriers else int(ranking[0])
    logits = h_T @ V + classifier.c[0]
    logits_flipped = h_T_flipped @ V + classifier.c[0]
    prediction_flip_rate = float(np.mean((logits > 0) != (logits_flipped > 0)))
    accuracy = float(np.mean((logits > 0) == (y == 1)))
    return MemoryUnits(
        correlation, share, flip_rate, ranking, carriers, top, prediction_flip_rate, accuracy,
        n, x.shape[1],
    )  # fmt: skip


def _unit_run(classifier, unit, n, T, seed, delay):
    """The checked arguments of one unit's study, and the classifier's run on fresh sequences:
    ``(unit, delay, y, cue_start, trace)``. ``n`` holds both labels; ``delay`` leaves a step
    after every cue."""
    _check_classifier(classifier)
    unit = check_int("unit", unit, minimum=0, maximum=classifier.gru.units - 1)
    n = check_int("n (number of sequences)", n, minimum=2)
    T = check_int("T (sequence length)", T, minimum=CUE_WINDOW + 2)
    # The cue ends by step CUE_WINDOW; holding starts `delay` steps later, before step T - 1.
    delay = check_int("delay (steps after the cue)", delay, minimum=0, maximum=T - 2 - CUE_WINDOW)
    x, y, _, cue_start = cue_flip_batch(n, T, seed=seed, n_filler=classifier.gru.input_dim - 2)
    return unit, delay, y, cue_start, classifier.gru.trace(x)


def cue_response(classifier, unit, *, n=500, T=50, seed=0, settle=0.9, delay=4):
    """How unit ``unit`` reacts to the cue, separately for each label.

    Returns ``{"A first": {...}, "B first": {...}}``, each a dict of medians over
    that label's sequences among ``n``:

    * ``z_min_at_cue``: the smallest update gate over the cue's two steps and the
      step after (a low value: the unit wrote its candidate);
    * ``h_after_cue``: the state right after the cue's last step;
    * ``steps_to_settle``: steps from the cue's last step until ``|h|`` first
      exceeds ``settle`` (``T`` when it never does);
    * ``z_after``: the update gate over the steps more than ``delay`` steps after the cue;
    * ``h_final``: the last state.
    """
    settle = check_number("settle", settle, minimum=0, maximum=1, min_open=True, max_open=True)
    unit, delay, y, cue_start, trace = _unit_run(classifier, unit, n, T, seed, delay)
    n, T = trace.h.shape[:2]
    z, h = trace.z[..., unit], trace.h[..., unit]
    rows = np.arange(n)
    cue_end = cue_start + 1  # the cue's last step
    window = np.minimum(cue_start[:, None] + np.arange(3)[None, :], T - 1)
    z_min = z[rows[:, None], window].min(axis=1)
    steps = np.arange(T)[None, :]
    settled = (np.abs(h) > settle) & (steps >= cue_end[:, None])
    first = np.where(settled.any(axis=1), settled.argmax(axis=1), T) - cue_end
    after = steps > (cue_end + delay)[:, None]
    out = {}
    for label, name in ((1, "A first"), (0, "B first")):
        s = y == label
        out[name] = {
            "z_min_at_cue": float(np.median(z_min[s])),
            "h_after_cue": float(np.median(h[rows[s], cue_end[s]])),
            "steps_to_settle": float(np.median(first[s])),
            "z_after": float(np.median(z[s][after[s]])),
            "h_final": float(np.median(h[s, -1])),
        }
    return out


def hold_statistics(classifier, unit, *, n=500, T=50, seed=0, delay=4):
    """What unit ``unit`` does in the steps after the cue, while it holds what it read.

    The unit is given ``delay`` steps after the cue's last step to write what it
    read (some units take a few steps); from then on it *holds*. Returns a dict,
    every number measured over the holding steps of ``n`` sequences:

    * ``z_quantiles``: the update gate's 10th, 50th and 90th percentiles;
    * ``z_product_median``: the median over sequences of the product of ``z``
      over those steps, the share of the state that the gate alone would keep
      (``h = z h_prev + (1 - z) h~``: with a candidate of 0 the state would be
      multiplied by that product);
    * ``candidate_agrees``: the share of steps whose candidate ``h~`` has the
      sign of the state being held, so that writing it keeps the memory;
    * ``sign_kept``: the share of sequences whose last state has the sign the
      unit had when it started holding (what it held, it kept);
    * ``abs_h_final_median``: the median of ``|h_T|`` for that unit.
    """
    unit, delay, _, cue_start, trace = _unit_run(classifier, unit, n, T, seed, delay)
    n, T = trace.h.shape[:2]
    z, h_tilde, h = trace.z[..., unit], trace.h_tilde[..., unit], trace.h[..., unit]
    rows = np.arange(n)
    held_at = np.minimum(cue_start + 1 + delay, T - 1)  # the step it starts holding
    after = np.arange(T)[None, :] > held_at[:, None]
    held = np.sign(h[rows, held_at])
    z_product = np.prod(np.where(after, z, 1.0), axis=1)
    agrees = np.sign(h_tilde) == held[:, None]
    return {
        "z_quantiles": tuple(float(q) for q in np.percentile(z[after], [10, 50, 90])),
        "z_product_median": float(np.median(z_product)),
        "candidate_agrees": float(agrees[after].mean()),
        "sign_kept": float(np.mean(np.sign(h[:, -1]) == held)),
        "abs_h_final_median": float(np.median(np.abs(h[:, -1]))),
    }


def gate_saturation(gate, mask=None, *, low=0.1, high=0.9):
    """Per unit, the share of steps a gate is below ``low`` and the share above ``high``: the plot
    of Karpathy, Johnson and Fei-Fei, "Visualizing and understanding recurrent networks" (2015).

    ``gate`` is a gate's values ``(n, T, units)`` (``trace.z`` or ``trace.r``);
    ``mask`` ``(n, T)``, optional, is True on the steps to count (padding left out).
    Returns ``(below, above)``, two ``(units,)`` arrays of shares in ``[0, 1]``.
    For the update gate ``z``: a unit near ``(0, 1)`` mostly keeps its state (z above
    ``high``, right-saturated), near ``(1, 0)`` mostly writes its candidate (z below
    ``low``, left-saturated), near ``(0, 0)`` keeps a share and writes a share.
    """
    gate = check_array("gate", gate, ndim=3, names="(n, T, units)", finite=True)
    if gate.size and not 0 <= gate.min() <= gate.max() <= 1:
        raise ValueError(
            f"gate must hold a gate's values, in [0, 1], got values from {gate.min():g} to "
            f"{gate.max():g} (a state or a candidate, not trace.z or trace.r?)"
        )
    low = check_number("low", low, minimum=0, maximum=1, min_open=True, max_open=True)
    high = check_number("high", high, minimum=0, maximum=1, min_open=True, max_open=True)
    if not low < high:
        raise ValueError(f"low must be below high, got low={low:g} and high={high:g}")
    mask = check_mask(mask, gate.shape[:2])
    if mask is None:
        mask = np.ones(gate.shape[:2], dtype=bool)
    if not mask.any():
        raise ValueError(f"there is no step to count: gate has shape {gate.shape}, mask keeps none")
    values = gate[mask]  # (steps, units)
    return (values < low).mean(axis=0), (values > high).mean(axis=0)
