"""The hand-set playground: a two-unit GRU whose weights are sliders, on numbers you type,
and the puzzle "make the output depend on the first input only"
(judged by :func:`gru_lesson.handset.first_input_verdict`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import numpy as np

from gru_lesson.explorer._widgets import MAX_STEPS, BlitFigure, Widget
from gru_lesson.handset import first_input_verdict, handset_gru
from gru_lesson.validation import check_array, check_gru, check_number

# ======================================================= the hand-set GRU
#: The playground's sliders: (key, handset_gru piece, index, label, starting value).
#: A two-unit GRU on one input feature; every other weight is zero.
PLAYGROUND_SLIDERS = (
    ("W_h_0", "W_h", (0, 0), "unit 0, h~: input W_h", 1.0),
    ("R_h_00", "R_h", (0, 0), "unit 0, h~: own state R_h", 0.0),
    ("W_z_0", "W_z", (0, 0), "unit 0, z: input W_z", 0.0),
    ("bx_z_0", "bx_z", (0,), "unit 0, z: bias bx_z", 0.0),
    ("R_z_10", "R_z", (1, 0), "unit 0, z: from unit 1 R_z", 0.0),
    ("bx_h_1", "bx_h", (1,), "unit 1, h~: bias bx_h", 0.0),
    ("bx_z_1", "bx_z", (1,), "unit 1, z: bias bx_z", 0.0),
)
_PIECE_SHAPES = {"W": (1, 2), "R": (2, 2), "b": (2,)}
SLIDER_OPTIONS = dict(
    min=-20.0, max=20.0, step=0.5, continuous_update=False, readout_format=".1f",
    style={"description_width": "190px"},
)  # fmt: skip


def playground_pieces(values):
    """The ``handset_gru`` keyword arguments for slider ``values`` (a dict by key)."""
    if not isinstance(values, dict):
        raise TypeError(f"values must be a dict of slider values by key, got {values!r}")
    known = {key for key, *_ in PLAYGROUND_SLIDERS}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown slider(s) {sorted(unknown)}; the sliders are {sorted(known)}")
    pieces = {}
    for key, piece, index, _label, start in PLAYGROUND_SLIDERS:
        arr = pieces.setdefault(piece, np.zeros(_PIECE_SHAPES[piece[0]]))
        arr[index] = check_number(f"slider {key}", values.get(key, start))
    return pieces


def playground_gru(values):
    """The playground's two-unit GRU for slider ``values`` (missing keys: starting values)."""
    return handset_gru(**playground_pieces(values), input_dim=1, units=2, return_sequences=True)


def parse_numbers(text):
    """Typed inputs such as ``"1, -0.5  2"`` as a ``(T,)`` float array; ``ValueError`` if not."""
    if not isinstance(text, str):
        raise TypeError(f"inputs are text such as '1, -0.5, 2', got {type(text).__name__}")
    items = [s for s in re.split(r"[,;\s]+", text.strip()) if s]
    if not items:
        raise ValueError("no inputs: type numbers separated by commas, such as 1, -0.5, 2")
    if len(items) > MAX_STEPS:
        raise ValueError(f"{len(items)} inputs; the playground takes at most {MAX_STEPS}")
    out = []
    for i, item in enumerate(items):
        try:
            value = float(item)
        except ValueError:
            raise ValueError(f"could not read {item!r} (input {i}) as a number") from None
        if not np.isfinite(value):
            raise ValueError(f"input {i} is {item!r}: inputs must be finite numbers")
        out.append(value)
    return np.array(out)


@dataclass
class HandsetData:
    """What the playground draws: inputs ``(T,)``, gates and states ``(T, units)``."""

    x: np.ndarray
    z: np.ndarray
    r: np.ndarray
    h_tilde: np.ndarray
    h: np.ndarray

    @property
    def output(self):
        """The output the puzzle is about: unit 0's last state."""
        return float(self.h[-1, 0])


def handset_data(gru, x):
    """Run a one-input GRU on the inputs ``x`` ``(T,)``: a :class:`HandsetData`."""
    check_gru(gru)
    if gru.input_dim != 1:
        raise ValueError(
            f"handset_data runs a GRU of one input feature, this one reads {gru.input_dim}"
        )
    x = check_array("x (inputs)", x, ndim=1, names="(T,)", finite=True)
    if len(x) == 0:
        raise ValueError("x (inputs) must have at least one step, got none")
    trace = gru.trace(x[None, :, None])
    return HandsetData(x, trace.z[0], trace.r[0], trace.h_tilde[0], trace.h[0])


_GATE_STYLES = (  # per unit: (z's style, r's style)
    (dict(ls="-", lw=3.0, alpha=0.5),
     dict(ls="--", lw=1.2, marker="s", ms=8, mfc="none", mew=1.2)),
    (dict(ls="-", lw=1.2, marker="o", ms=5, mfc="none", mew=1.2),
     dict(ls=":", lw=1.5, marker="x", ms=6, mew=1.2)),
)  # fmt: skip


class HandsetFigure(BlitFigure):
    """Inputs, gates and states of a one-input GRU (the playground's has two units) over time."""

    def _draw(self, data):
        axes = self.fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1.3, 1.3]})
        self.ax_x, self.ax_g, self.ax_h = axes
        (self.x_line,) = self.ax_x.plot([], [], "o-", color="gray", ms=4)
        self.ax_x.axhline(0, color="gray", lw=0.6)
        self.ax_x.set_ylabel("input x_t", fontsize=9)
        self.lines = {}
        for u in range(data.h.shape[1]):
            color = ("C0", "C2", "C1", "C4", "C5", "C6")[u % 6]
            # Gates often sit on top of one another (all four at 0.5 with the starting
            # sliders): each curve gets its own line width, dash and marker, so that every
            # one stays visible when they coincide.
            z_style, r_style = _GATE_STYLES[u % len(_GATE_STYLES)]
            h_style = dict(marker="o", ls="-", ms=3)
            for name, ax, style in (("z", self.ax_g, z_style), ("r", self.ax_g, r_style),
                                    ("h", self.ax_h, h_style)):  # fmt: skip
                (self.lines[name, u],) = ax.plot(
                    [], [], color=color, label=f"{name}, unit {u}", **style
                )
        self.ax_g.set_ylim(-0.03, 1.03)
        self.ax_g.set_ylabel("gates", fontsize=9)
        self.ax_h.set_ylim(-1.05, 1.05)
        self.ax_h.axhline(0, color="gray", lw=0.6)
        self.ax_h.set_ylabel("state h", fontsize=9)
        self.ax_h.set_xlabel("step t", fontsize=9)
        for ax in axes:
            ax.tick_params(labelsize=8)
            if ax is not self.ax_x:
                ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
        self.title = self.ax_x.set_title("", fontsize=10)
        self.fig.subplots_adjust(left=0.09, right=0.83, top=0.9, bottom=0.1, hspace=0.15)
        return [self.x_line, *self.lines.values(), self.title]

    def update(self, data):
        T = len(data.x)
        steps = np.arange(T)
        self.x_line.set_data(steps, data.x)
        top = max(2.0, float(np.abs(data.x).max()) * 1.1)
        if self._new_limits((T, top)):
            self.ax_x.set_ylim(-top, top)
            self.ax_x.set_xlim(-0.5, T - 0.5)
        for (name, u), line in self.lines.items():
            line.set_data(steps, getattr(data, name)[:, u])
        self.title.set_text(f"output (unit 0's last state): h = {data.output:+.4f}")

    def data(self):
        lines = {"x": self.x_line, **{f"{n}{u}": line for (n, u), line in self.lines.items()}}
        return {key: np.array(line.get_ydata(), dtype=float) for key, line in lines.items()}


def plot_handset(gru, x, *, figsize=(9, 5)):
    """The playground's figure as a plain Matplotlib figure (for ``plt.show()``)."""
    return HandsetFigure.new(handset_data(gru, x), figsize).fig


class HandsetPlayground(Widget):
    """A two-unit GRU whose weights are sliders, on inputs you type (see :data:`PLAYGROUND_SLIDERS`).

    ``playground.sliders[key]`` are the sliders, ``playground.text`` the inputs;
    :meth:`gru` is the GRU they make, :meth:`code` the ``handset_gru`` call that
    builds it, :meth:`check` the puzzle's verdict.
    """

    title = "Hand-set GRU"
    plain = "sliders for every weight of a two-unit GRU."

    def __init__(self, inputs="0.8, -1.5, 0.3, 1.2, -0.7, 0.5, -1.1, 0.9, 0.2, -0.4"):
        import ipywidgets as w

        self.sliders = {
            key: w.FloatSlider(
                value=start, description=label, layout=w.Layout(width="460px"), **SLIDER_OPTIONS
            )
            for key, _piece, _index, label, start in PLAYGROUND_SLIDERS
        }
        self.text = self._text_box(w, inputs, "inputs x_t")
        self.check_button = self._button(w, "check the puzzle", self.check, button_style="info")
        self.reset_button = self._button(w, "reset the sliders", self.reset)
        self.verdict = w.HTML("")
        self.code_box = w.HTML("")
        self.data = handset_data(self.gru(), parse_numbers(inputs))
        self.figure = HandsetFigure.new(self.data, (9, 5), live=True)
        sliders = list(self.sliders.values())
        right = w.VBox([*sliders[5:], self.check_button, self.reset_button])
        self._lay_out(
            w,
            "<b>Hand-set GRU.</b> Two units, one input. The output is unit 0's last "
            "state. Type inputs and press Enter; move the sliders.",
            rows=[self.text, w.HBox([w.VBox(sliders[:5]), right])],
            below=[self.verdict, self.code_box],
            watched=[*sliders, self.text],
        )

    def values(self):
        return {key: slider.value for key, slider in self.sliders.items()}

    def gru(self):
        """The GRU the sliders make."""
        return playground_gru(self.values())

    def code(self):
        """The ``handset_gru(...)`` call that builds :meth:`gru` (only the non-zero pieces)."""
        pieces = playground_pieces(self.values()).items()
        args = [f"{name}={np.round(arr, 3).tolist()}" for name, arr in pieces if np.any(arr)]
        return "handset_gru(" + ", ".join(args) + ")"

    def _new_data(self):
        return handset_data(self.gru(), parse_numbers(self.text.value))

    def _show(self):
        super()._show()
        code = html.escape(self.code())
        self.code_box.value = f"<span style='font-size:90%'>in code: <code>{code}</code></span>"
        self.verdict.value = ""

    def check(self):
        """Judge the sliders' GRU on the puzzle; shows and returns ``(solved, message)``."""
        solved, message = first_input_verdict(self.gru())
        color = "#1b7f3b" if solved else "#8a5a00"
        self.verdict.value = f"<span style='color:{color}'>{html.escape(message)}</span>"
        return solved, message

    def reset(self):
        """Every slider back to its starting value (one redraw)."""
        self._busy = True
        try:
            for key, _piece, _index, _label, start in PLAYGROUND_SLIDERS:
                self.sliders[key].value = start
        finally:
            self._busy = False
        self._redraw()

    def _benchmark_slider(self):
        return self.sliders["W_h_0"], [1.5, 0.5]
