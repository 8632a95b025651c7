"""The numbers the gate explorer draws (:func:`gate_data`), and the sequences a student types,
such as ``"..AB.-A.."``. NumPy only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from gru_lesson.cell_diagram import lit_values
from gru_lesson.explorer._widgets import MAX_STEPS
from gru_lesson.gru import GRU, GRUTrace, sigmoid
from gru_lesson.tasks import to_text
from gru_lesson.validation import check_array, check_choice, check_int

MAX_FEATURES = 10  # A, B and the eight filler symbols to_text draws


# ============================================================ sequences as text
def _glyphs(n_features):
    """The symbols of a sequence with ``n_features`` one-hot features: ``"AB.-"`` for 4."""
    return to_text(np.eye(n_features))


def _listed(glyphs):
    return ", ".join(repr(g) for g in glyphs)


def _cleaned(text, glyphs=None):
    """Typed ``text`` without spaces, ``a``/``b`` read as ``A``/``B``, every symbol one of ``glyphs``."""
    if not isinstance(text, str):
        raise TypeError(f"a sequence is text such as 'AB..-.A', got {type(text).__name__}")
    glyphs = glyphs or _glyphs(MAX_FEATURES)
    cleaned = re.sub(r"\s+", "", text).replace("a", "A").replace("b", "B")
    for t, ch in enumerate(cleaned):
        if ch not in glyphs:
            raise ValueError(f"unknown symbol {ch!r} at step {t}: use only {_listed(glyphs)}")
    return cleaned


def parse_sequence(text, n_features=4):
    """A typed sequence of the memory task as one-hot inputs ``(T, n_features)``, float64.

    ``text`` uses ``A``, ``B`` and the filler symbols of :func:`gru_lesson.tasks.to_text`
    (``.`` and ``-`` for two fillers); spaces are ignored and ``a``/``b`` count as
    ``A``/``B``. Raises ``ValueError`` saying what is wrong and where.
    """
    n_features = check_int("n_features", n_features, minimum=3, maximum=MAX_FEATURES)
    glyphs = _glyphs(n_features)
    cleaned = _cleaned(text, glyphs)
    if not cleaned:
        raise ValueError(f"the sequence is empty: type some symbols, each one of {_listed(glyphs)}")
    if len(cleaned) > MAX_STEPS:
        raise ValueError(
            f"the sequence has {len(cleaned)} steps; the explorer takes at most {MAX_STEPS}"
        )
    return np.eye(n_features)[[glyphs.index(ch) for ch in cleaned]]


def _cue_span(text):
    """The cue's steps ``range(p, end)``: the first ``A``/``B`` of ``text``, and the step after it
    when that is the other letter; ``None`` when ``text`` has neither."""
    p = next((t for t, ch in enumerate(text) if ch in "AB"), None)
    if p is None:
        return None
    partner = p + 1 < len(text) and text[p + 1] in "AB" and text[p + 1] != text[p]
    return range(p, p + 2 if partner else p + 1)


def flip_cue(text):
    """``text`` with its cue flipped: the first ``A``/``B`` and, if it is the other
    letter, the step right after it, swap (``..AB..`` becomes ``..BA..``).

    Everything after the cue stays as it is, so the label flips and nothing
    else changes, as with ``make_memory_task(..., labels=1 - y)``.
    """
    cleaned = _cleaned(text)
    cue = _cue_span(cleaned)
    if cue is None:
        raise ValueError("the sequence has no A or B, so it has no cue to flip")
    swapped = "".join({"A": "B", "B": "A"}[cleaned[t]] for t in cue)
    return cleaned[: cue.start] + swapped + cleaned[cue.stop :]


def set_symbol(text, step, symbol):
    """``text`` with the symbol at ``step`` (0 = the first) replaced by ``symbol``."""
    cleaned = _cleaned(text)
    step = check_int("step", step, minimum=0, maximum=len(cleaned) - 1)
    if not isinstance(symbol, str):
        raise TypeError(f"symbol must be one character such as 'A', got {symbol!r}")
    symbol = _known_symbol(symbol.replace("a", "A").replace("b", "B"), _glyphs(MAX_FEATURES))
    return cleaned[:step] + symbol + cleaned[step + 1 :]


def _known_symbol(symbol, glyphs):
    """``symbol`` if it is one of ``glyphs``, else a ``ValueError`` that lists them."""
    if symbol not in glyphs or len(symbol) != 1:
        raise ValueError(f"symbol must be one of {_listed(glyphs)}, got {symbol!r}")
    return symbol


# ============================================================= the gate data
@dataclass
class GateData:
    """What the gate explorer draws for one sequence (see :func:`gate_data`).

    ``x`` is ``(T, D)``; ``z``, ``r``, ``h_tilde`` and ``h`` are ``(T, units)``;
    ``p_steps[t]`` is the classifier's probability that A came first if the
    sequence ended after step ``t`` (its dense layer read on ``h_t``);
    ``gru`` and ``trace`` are the GRU and its trace on ``x[None]``, which the lit
    cell reads.
    """

    text: str
    x: np.ndarray
    z: np.ndarray
    r: np.ndarray
    h_tilde: np.ndarray
    h: np.ndarray
    p_steps: np.ndarray
    step: int
    unit: int
    truth: int | None
    gru: GRU | None = None
    trace: GRUTrace | None = None

    @property
    def T(self):
        return self.x.shape[0]

    @property
    def p_final(self):
        return float(self.p_steps[-1])

    @property
    def cue(self):
        """The steps of the cue (the first ``A``/``B`` and its partner), or ``()``."""
        return tuple(_cue_span(self.text) or ())

    def shown(self, name):
        """The heatmap of ``name`` as drawn: ``(rows, T)``, NaN on the steps after ``step``
        (not read yet). ``"x"`` is the input, always shown whole."""
        check_choice("name", name, ("x", "z", "r", "h_tilde", "h"))
        return self.x.T if name == "x" else self._read_so_far(getattr(self, name).T)

    def p_shown(self):
        return self._read_so_far(self.p_steps)

    def _read_so_far(self, values):
        """A copy of ``values``, time on the last axis, with NaN after ``step``."""
        values = np.array(values, dtype=float)
        values[..., self.step + 1 :] = np.nan
        return values

    def kind_of_step(self, t):
        """``"the cue"``, ``"a distractor"`` or ``"filler"``: what step ``t`` holds."""
        ch = self.text[check_int("t (step)", t, minimum=0, maximum=self.T - 1)]
        if ch not in "AB":
            return "filler"
        return "the cue" if t in self.cue else "a distractor"

    def cell_values(self):
        """Every value of the GRU cell at ``step`` for ``unit``: see :func:`gru_lesson.cell_diagram.lit_values`."""
        if self.trace is None:
            raise ValueError(
                "this data keeps no trace: make it with gate_data(classifier, sequence)"
            )
        return lit_values(self.gru, self.x[None], self.trace, self.step, unit=self.unit)

    def readout(self):
        """The numbers at ``step`` for ``unit``, as a dict."""
        t, u = self.step, self.unit
        values = {name: float(getattr(self, name)[t, u]) for name in ("z", "r", "h_tilde", "h")}
        return {
            "step": t,
            "symbol": self.text[t],
            "kind": self.kind_of_step(t),
            "unit": u,
            **values,
            "p_step": float(self.p_steps[t]),
            "p_final": self.p_final,
            "truth": self.truth,
        }


def gate_data(classifier, sequence, *, step=None, unit=0):
    """Run ``classifier`` on one sequence and keep what the explorer draws: a :class:`GateData`.

    ``sequence`` is text (see :func:`parse_sequence`) or a ``(T, D)`` one-hot array;
    ``step`` (default: the last) is how far the GRU has read; ``unit`` the unit
    the readout follows. Pure: same arguments, same numbers.
    """
    gru = classifier.gru
    D = gru.input_dim
    if isinstance(sequence, str):
        x = parse_sequence(sequence, D)
    else:
        x = check_array("sequence", sequence, shape=(None, D), names="(T, D)", finite=True)
        if len(x) == 0:
            raise ValueError(f"the sequence is empty: it has no steps (shape {x.shape})")
    text = to_text(x, name="sequence")
    cue = _cue_span(text)
    T = x.shape[0]
    step = T - 1 if step is None else check_int("step", step, minimum=0, maximum=T - 1)
    unit = check_int("unit", unit, minimum=0, maximum=gru.units - 1)
    trace = gru.trace(x[None])
    z, r, h_tilde, h = (getattr(trace, k)[0].astype(float) for k in ("z", "r", "h_tilde", "h"))
    p_steps = sigmoid(h @ classifier.V[:, 0].astype(float) + float(classifier.c[0]))
    truth = None if cue is None else int(text[cue.start] == "A")  # A came first: 1
    return GateData(text, x, z, r, h_tilde, h, p_steps, step, unit, truth, gru, trace)
