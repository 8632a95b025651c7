"""The GRU cell as a picture, drawn from the same description of the step that computes it.

:func:`cell_step` describes one step of the GRU as a small graph: a list of
:class:`Node`, each with the nodes it reads (``inputs``), the code it runs
(``compute``) and the text the picture writes beside it (``label``). Keras'
convention, as :class:`~gru_lesson.gru.GRU` computes it::

    z  = sigmoid(x_t @ W_z + h_prev @ R_z + b_z)
    r  = sigmoid(x_t @ W_r + h_prev @ R_r + b_r)
    h~ = tanh(x_t @ W_h + bx_h + r * (h_prev @ R_h + bh_h))     reset_after=True
    h~ = tanh(x_t @ W_h + bx_h + (r * h_prev) @ R_h)            reset_after=False
    h  = z * h_prev + (1 - z) * h~

``z`` multiplies ``h_prev``: with ``z`` near 1 the unit **keeps** its state,
with ``z`` near 0 it **writes** its candidate. The gates' bias ``b_z`` is
``bx_z + bh_z`` with ``reset_after=True`` and ``bx_z`` with ``False``.

Everything else reads that one description, so picture, equations and code cannot
disagree: :func:`run_step` computes a step by following its wiring, and :class:`CellFigure`
draws an arrow for every input of every node.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gru_lesson.gru import _sigmoid
from gru_lesson.handset import gate_params
from gru_lesson.validation import check_array, check_finite, check_flag, check_gru, check_int
from gru_lesson.validation import check_trace as _check_trace

__all__ = ["cell_step", "draw_cell", "draw_lit_cell", "lit_values", "run_step"]


# ================================================================ the description
@dataclass(frozen=True)
class Node:
    """One value of the step: its name, what it reads, how it is computed, how it is drawn.

    ``compute(p, *inputs)`` gets the per-gate weights ``p`` (``p["W_z"]``, ``p["b_z"]``, ...)
    and the values of ``inputs``. ``kind`` says how it is drawn: ``"input"``, ``"gate"``,
    ``"product"`` (with a bias), ``"tanh"``, ``"times"``, ``"one_minus"``, ``"plus"``, ``"output"``.
    """

    name: str
    kind: str
    label: str
    inputs: tuple = ()
    compute: object = field(default=None, repr=False, compare=False)
    title: str = ""  # the short name written inside the node


def cell_step(reset_after=True):
    """The GRU step in Keras' convention, as a tuple of :class:`Node` in computing order."""
    reset_after = check_flag("reset_after", reset_after)
    x_part = "x_t @ W_h + bx_h"
    if reset_after:
        # The reset gate scales the product with R_h: r enters *after* it.
        reset = (
            Node("h_prev R_h", "product", "h_prev @ R_h + bh_h", ("h_prev",),
                 lambda p, h_prev: h_prev @ p["R_h"] + p["bh_h"], title="R_h"),
            Node("past", "times", "r * (h_prev @ R_h + bh_h)", ("r", "h_prev R_h"),
                 lambda p, r, m: r * m, title="×"),
        )  # fmt: skip
        h_tilde_label = f"tanh({x_part} + r * (h_prev @ R_h + bh_h))"
    else:
        # The reset gate scales h_prev itself: r enters *before* the product with R_h.
        reset = (
            Node("r h_prev", "times", "r * h_prev", ("r", "h_prev"),
                 lambda p, r, h_prev: r * h_prev, title="×"),
            Node("past", "product", "(r * h_prev) @ R_h", ("r h_prev",),
                 lambda p, q: q @ p["R_h"], title="R_h"),
        )  # fmt: skip
        h_tilde_label = f"tanh({x_part} + (r * h_prev) @ R_h)"
    return (
        Node("x_t", "input", "x_t", title="x_t"),
        Node("h_prev", "input", "h_prev", title="h_prev"),
        Node("z", "gate", "sigmoid(x_t @ W_z + h_prev @ R_z + b_z)", ("x_t", "h_prev"),
             lambda p, x_t, h_prev: _sigmoid(x_t @ p["W_z"] + h_prev @ p["R_z"] + p["b_z"]),
             title="z"),
        Node("r", "gate", "sigmoid(x_t @ W_r + h_prev @ R_r + b_r)", ("x_t", "h_prev"),
             lambda p, x_t, h_prev: _sigmoid(x_t @ p["W_r"] + h_prev @ p["R_r"] + p["b_r"]),
             title="r"),
        Node("x W_h", "product", x_part, ("x_t",),
             lambda p, x_t: x_t @ p["W_h"] + p["bx_h"], title="W_h"),
        *reset,
        Node("h~", "tanh", h_tilde_label, ("x W_h", "past"),
             lambda p, a, b: np.tanh(a + b), title="h~"),
        Node("1 - z", "one_minus", "1 - z", ("z",), lambda p, z: 1 - z, title="1−"),
        Node("z h_prev", "times", "z * h_prev", ("z", "h_prev"),
             lambda p, z, h_prev: z * h_prev, title="×"),
        Node("(1 - z) h~", "times", "(1 - z) * h~", ("1 - z", "h~"),
             lambda p, keep, h_tilde: keep * h_tilde, title="×"),
        Node("h", "plus", "h = z * h_prev + (1 - z) * h~", ("z h_prev", "(1 - z) h~"),
             lambda p, a, b: a + b, title="+"),
    )  # fmt: skip


def _weights(gru):
    """The per-gate weights ``compute`` reads, with the gates' two biases summed (0 without bias)."""
    p = gate_params(gru)
    zero = np.zeros(gru.units, dtype=gru.dtype)
    for key in ("bx_z", "bx_r", "bx_h", "bh_z", "bh_r", "bh_h"):
        p.setdefault(key, zero)
    for g in "zr":
        p[f"b_{g}"] = p[f"bx_{g}"] + p[f"bh_{g}"]
    return p


def run_step(gru, x_t, h_prev):
    """One step of ``gru`` computed by following :func:`cell_step`'s wiring, from ``x_t``
    ``(batch, input_dim)`` and ``h_prev`` ``(batch, units)``: every node's value by name."""
    gru = check_gru(gru)
    x_t = check_array(
        "x_t", x_t, shape=(None, gru.input_dim), names="(batch, input_dim)", finite=True
    )
    h_prev = check_array(
        "h_prev", h_prev, shape=(x_t.shape[0], gru.units), names="(batch, units)", finite=True
    )
    return _run(cell_step(gru.reset_after), _weights(gru), x_t, h_prev)


def _run(step, p, x_t, h_prev):
    """Compute the nodes of ``step`` in order, each from the values its arrows bring."""
    values = {"x_t": x_t, "h_prev": h_prev}
    for node in step:
        if node.kind != "input":
            values[node.name] = node.compute(p, *(values[i] for i in node.inputs))
    return values


# ================================================================== lit by a trace
#: The nodes whose values are gates (0 to 1); the others are states and their parts (-1 to 1).
GATE_NODES = ("z", "r", "1 - z")


def lit_values(gru, x, trace, t, *, unit=0, sequence=0):
    """Every node's value at step ``t`` for one ``unit`` of one ``sequence``: ``{name: float}``.

    ``trace`` is ``gru.trace(x, ...)``; the step recomputed from ``x`` must give the trace's
    own ``z``, ``r``, ``h~`` and ``h`` (another GRU's trace is refused). ``t`` counts in
    processing order, as the trace does.
    """
    gru = check_gru(gru)
    trace = _check_trace(trace, gru)
    batch, steps, _ = trace.h.shape
    x = check_array(
        "x", x, shape=(batch, steps, gru.input_dim), names="(batch, time, features)", finite=True
    )
    for name in ("z", "r", "h_tilde", "h", "h0"):
        check_finite(f"trace.{name}", getattr(trace, name))
    t = check_int("t (step)", t, minimum=0, maximum=steps - 1)
    unit = check_int("unit", unit, minimum=0, maximum=gru.units - 1)
    sequence = check_int("sequence", sequence, minimum=0, maximum=batch - 1)
    if not trace.mask[sequence, t]:
        raise ValueError(
            f"step {t} of sequence {sequence} is masked: the GRU kept its state without "
            "computing a step there, so there is nothing to light"
        )
    if gru.go_backwards:
        x = x[:, ::-1]
    h_prev = trace.h0 if t == 0 else trace.h[:, t - 1]
    values = run_step(gru, x[sequence : sequence + 1, t], h_prev[sequence : sequence + 1])
    tolerance = 1e-5 if np.dtype(gru.dtype) == np.float32 else 1e-9
    for name, node in (("z", "z"), ("r", "r"), ("h_tilde", "h~"), ("h", "h")):
        traced = getattr(trace, name)[sequence, t]
        gap = float(np.max(np.abs(values[node][0] - traced)))
        if gap > tolerance:
            raise ValueError(
                f"the trace is not this GRU's on x: at step {t} of sequence {sequence} the "
                f"step recomputed from x gives a {name} {gap:.2g} away from trace.{name}; "
                "pass the GRU and the inputs the trace was made with"
            )
    return {name: float(v[0, unit]) for name, v in values.items() if name != "x_t"}


# ========================================================================= drawing
# Where each node sits (x, y) on a 14 x 8.2 canvas. The state runs along the top,
# from h_prev on the left to h on the right, x_t along the bottom, the gates between.
# Only the two nodes of the reset path move between the conventions.
_STATE_Y = 7.3
_PLACES = {
    "h_prev": (0.7, _STATE_Y), "x_t": (0.7, 0.8), "z": (4.0, 5.6), "r": (4.0, 3.95),
    "x W_h": (4.0, 0.8), "h~": (9.9, 2.3), "z h_prev": (9.6, _STATE_Y), "1 - z": (10.9, 5.6),
    "(1 - z) h~": (12.3, 5.6), "h": (12.3, _STATE_Y),
}  # fmt: skip
_RESET_PLACES = {
    True: {"h_prev R_h": (4.0, 2.4), "past": (6.9, 3.95)},
    False: {"r h_prev": (6.5, 3.95), "past": (8.0, 3.95)},
}
_LABEL_PLACES = {  # where a node's label is written, from its centre: (dx, dy, ha, va)
    "z": (0, -0.52, "center", "top"), "r": (0, -0.52, "center", "top"),
    "x W_h": (0, -0.45, "center", "top"), "h_prev R_h": (0, -0.45, "center", "top"),
    "h~": (0, -0.52, "center", "top"), "z h_prev": (-0.5, 0.2, "right", "bottom"),
    "1 - z": (0, -0.55, "center", "top"), "(1 - z) h~": (0.15, -0.55, "left", "top"),
    "h": (0, 0.55, "center", "bottom"),
    "past": {True: (-0.35, 0.55, "left", "bottom"), False: (0, 0.45, "center", "bottom")},
    "r h_prev": (0, -0.55, "center", "top"),
}  # fmt: skip
_ELBOWS = {("x W_h", "h~"): 7.4}  # arrows that turn twice: the x of their vertical part
_BUS_X = {"h_prev": 1.6, "x_t": 2.2}  # the vertical lines that carry h_prev down, x_t up
_BUS_OFFSET = {"h_prev": 0.17, "x_t": -0.17}  # where each enters a gate, from its middle
_OUTPUT_X = 13.4  # the box "h" the state leaves through
_SIZES = {"gate": (2.5, 0.85), "product": (2.5, 0.7), "tanh": (2.1, 0.85)}
_RADIUS, _LIT_RADIUS = 0.3, 0.45  # the circles of *, 1 -, + (larger when they hold a number)
_PILL, _LIT_PILL = (1.2, 0.66), (1.25, 0.9)  # h_prev, x_t and h (lit: room for a value)
_COLORS = {  # of the arrows, by what they carry
    "h_prev": "#3b4a6b", "x_t": "#8a8a8a", "z": "#d98200", "1 - z": "#d98200", "r": "#2e8b57",
}  # fmt: skip
_INK = "#333333"
_FILL = {"gate": "#fdf3e1", "product": "#f2f2f2", "tanh": "#e8eef8"}
_TITLE_TEXT = {"z": "z = σ", "r": "r = σ", "h~": "h~ = tanh", "R_h": "@ R_h", "W_h": "@ W_h"}
_TITLES = {
    True: "The GRU cell, Keras' default (reset_after=True): r scales h_prev @ R_h + bh_h, after the product",
    False: "The GRU cell with reset_after=False: r scales h_prev, before the product with R_h",
}


def _wrapped(label, width=30):
    """``label`` on lines of about ``width`` characters, broken only before a ``+`` of the
    outermost sum (never inside a parenthesis), each new line starting with it."""
    pieces, depth, start = [], 0, 0
    for i, ch in enumerate(label):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth <= 1 and label.startswith(" + ", i):
            pieces.append(label[start:i])
            start = i + 3
    pieces.append(label[start:])
    lines, line = [], pieces[0]
    for piece in pieces[1:]:
        if len(line) + 3 + len(piece) <= width:
            line += " + " + piece
        else:
            lines.append(line)
            line = "    + " + piece
    return "\n".join([*lines, line])


def _route(src, dst, places):
    """The corners an arrow from node ``src`` to node ``dst`` passes, start and end included.

    ``h_prev`` and ``x_t`` run along their line and turn into the nodes of the first column
    (``h_prev`` above a gate's middle, ``x_t`` below), or drop straight into a node further
    right; every other arrow leaves sideways and turns once (twice in ``_ELBOWS``).
    """
    (x0, y0), (x1, y1) = places[src], places[dst]
    if src in _BUS_X and abs(y1 - y0) > 1e-9:
        bus = _BUS_X[src]
        if x1 - bus > 3:
            return [(x1, y0), (x1, y1)]
        y1 += _BUS_OFFSET[src] if dst in ("z", "r") else 0.0
        return [(bus, y0), (bus, y1), (x1, y1)]
    if abs(y1 - y0) < 1e-9 or abs(x1 - x0) < 1e-9:
        return [(x0, y0), (x1, y1)]
    if (src, dst) in _ELBOWS:
        elbow = _ELBOWS[src, dst]
        return [(x0, y0), (elbow, y0), (elbow, y1), (x1, y1)]
    return [(x0, y0), (x1, y0), (x1, y1)]


class CellFigure:
    """The cell drawn on ``fig`` (one axes): every node of :func:`cell_step`, every arrow.

    Lit (``lit=True``), each node shows its value on a chip coloured by it (gates on a
    0-to-1 map, states on a -1-to-1 map, with colour bars); :meth:`update` takes new values
    from :func:`lit_values`; :meth:`lit_artists` are what the gate explorer redraws (blitting).
    """

    def __init__(self, fig, reset_after=True, *, lit=False):
        import matplotlib

        self.fig, self.lit = fig, lit
        self.reset_after = check_flag("reset_after", reset_after)
        self.step = cell_step(self.reset_after)
        self.places = {**_PLACES, **_RESET_PLACES[self.reset_after]}
        bottom = 0.15 if lit else 0.01
        self.ax = ax = fig.add_axes((0.01, bottom, 0.98, 0.92 - bottom))
        ax.set(xlim=(0, 14.05), ylim=(0, 8.2), aspect="equal")
        ax.axis("off")
        self.gate_cmap = matplotlib.colormaps["viridis"]  # as in the gate explorer's heatmaps
        self.value_cmap = matplotlib.colormaps["RdBu_r"]
        self.patches, self.titles, self.values, self.labels = {}, {}, {}, {}
        for node in self.step:
            for src in node.inputs:
                self._arrow(_route(src, node.name, self.places), _COLORS.get(src, _INK), node)
        out = Node("h", "output", "h", title="h")
        self._arrow([self.places["h"], (_OUTPUT_X, _STATE_Y)], _COLORS["h_prev"], out)
        for node in self.step:
            if node.kind == "input":
                self._pill(node, self.places[node.name], key=node.name)
                self._bus(node)
            else:
                self._node(node)
        self._pill(out, (_OUTPUT_X, _STATE_Y), key="h out")
        self._note()
        self.title = fig.suptitle(_TITLES[self.reset_after], fontsize=11, y=0.985)
        if lit:
            self._colorbars()

    def lit_artists(self):
        """What changes with the values: the chips, their numbers and the title."""
        return [self.title, *(a for k in self.values for a in (self.patches[k], self.values[k]))]

    # -------------------------------------------------------------- pieces
    def _node(self, node):
        from matplotlib.patches import Circle

        (x, y), size = self.places[node.name], _size(node, self.reset_after)
        if size is None:  # an operation: a circle, its symbol on top, (lit) a chip below
            radius = _LIT_RADIUS if self.lit else _RADIUS
            patch = Circle((x, y), radius, facecolor="white", edgecolor=_INK, lw=1.3, zorder=3)
            self.ax.add_patch(patch)
            lift = 0.17 if self.lit else 0.0
            self.titles[node.name] = self.ax.text(
                x, y + lift, node.title, ha="center", va="center", fontsize=11 if self.lit else 13,
                color=_INK, zorder=4, fontweight="bold",
            )  # fmt: skip
            if self.lit:
                self._chip(node.name, (x, y), (0.78, 0.74), 8)
        else:  # a box: its name on top, (lit) a chip below
            w, h = size
            fill = "white" if self.lit else _FILL[node.kind]
            self._box((x, y), size, 0.12, facecolor=fill, edgecolor=_INK, lw=1.3)
            self.titles[node.name] = self.ax.text(
                x, y + (h / 4 if self.lit else 0), _TITLE_TEXT.get(node.title, node.title),
                ha="center", va="center", fontsize=13 if node.kind in ("gate", "tanh") else 10,
                color=_INK, zorder=4, fontweight="normal" if node.kind == "product" else "bold",
            )  # fmt: skip
            if self.lit:
                self._chip(node.name, (x, y), size, 10)
        place = _LABEL_PLACES[node.name]
        dx, dy, ha, va = place[self.reset_after] if isinstance(place, dict) else place
        self.labels[node.name] = self.ax.text(
            x + dx, y + dy, _wrapped(node.label), ha=ha, va=va, fontsize=9,
            fontfamily="monospace", color=_INK, zorder=4, linespacing=1.15, multialignment="left",
        )  # fmt: skip

    def _chip(self, key, center, size, fontsize):
        """A chip that shows a node's value, in the lower half of the node of ``size`` at
        ``center``: only chips change with the values (blitting)."""
        (x, y), (w, h) = center, size
        chip = (x, y - h / 4 + 0.025)
        self.patches[key] = self._box(
            chip, (w - 0.14, h / 2 - 0.09), 0.08, facecolor="white", edgecolor="none", zorder=4
        )
        self.values[key] = self.ax.text(
            *chip, "", ha="center", va="center", fontsize=fontsize, fontfamily="monospace",
            zorder=5,
        )  # fmt: skip

    def _box(self, center, size, rounding, zorder=3, **style):
        """A rounded box of ``size`` at ``center``, added to the axes."""
        from matplotlib.patches import FancyBboxPatch

        (x, y), (w, h) = center, size
        box = FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h, boxstyle=f"round,pad=0,rounding_size={rounding}",
            zorder=zorder, **style,
        )  # fmt: skip
        self.ax.add_patch(box)
        return box

    def _pill(self, node, xy, key):
        """A rounded box for what comes in (h_prev, x_t) and what goes out (h)."""
        shows_value = self.lit and node.name != "x_t"
        w, h = _LIT_PILL if shows_value else _PILL
        edge = _COLORS.get(node.name, _COLORS["h_prev"])
        self._box(xy, (w, h), 0.25, facecolor="white", edgecolor=edge, lw=1.8)
        self.titles[key] = self.ax.text(
            xy[0], xy[1] + (h / 4 if shows_value else 0), node.title, ha="center",
            va="center", fontsize=10, fontfamily="monospace", fontweight="bold", zorder=4,
        )  # fmt: skip
        if shows_value:
            self._chip(key, xy, (w, h), 9)

    def _bus(self, node):
        """The line an input runs along, as far as the nodes of the first column it feeds."""
        bus, (_, y) = _BUS_X[node.name], self.places[node.name]
        ends = [
            self.places[n.name][1] + (_BUS_OFFSET[node.name] if n.kind == "gate" else 0)
            for n in self.step
            if node.name in n.inputs and 0 < self.places[n.name][0] - bus <= 3
        ]
        far = min(ends) if node.name == "h_prev" else max(ends)
        color = _COLORS[node.name]
        self.ax.plot([bus, bus], [y, far], color=color, lw=1.8, zorder=1)
        self.ax.plot([self.places[node.name][0], bus], [y, y], color=color, lw=1.8, zorder=1)

    def _arrow(self, corners, color, target):
        """An arrow along ``corners``, its head stopped at the edge of node ``target``."""
        from matplotlib import patheffects
        from matplotlib.patches import FancyArrowPatch
        from matplotlib.path import Path

        corners = [np.asarray(c, float) for c in corners]
        direction = corners[-1] - corners[-2]
        direction /= np.linalg.norm(direction)
        pill = _LIT_PILL if self.lit else _PILL
        size = pill if target.kind in ("input", "output") else _size(target, self.reset_after)
        if size is None:
            back = _LIT_RADIUS if self.lit else _RADIUS
        else:
            back = size[0] / 2 if abs(direction[0]) > 0.5 else size[1] / 2
        corners[-1] = corners[-1] - direction * (back + 0.03)
        arrow = FancyArrowPatch(
            path=Path(corners), arrowstyle="-|>,head_length=6,head_width=3.5",
            color=color, lw=1.8, zorder=2, shrinkA=0, shrinkB=0,
        )  # fmt: skip
        # A white halo under each arrow makes a crossing read as a bridge.
        arrow.set_path_effects(
            [patheffects.Stroke(linewidth=5, foreground="white"), patheffects.Normal()]
        )
        self.ax.add_patch(arrow)

    def _note(self):
        """The update gate's two ends, in words, where z meets the state."""
        self.ax.text(
            self.places["z h_prev"][0] - 0.2, (_STATE_Y + self.places["z"][1]) / 2,
            "z near 1: keeps the state\nz near 0: writes h~", ha="right", va="center",
            fontsize=9, color=_COLORS["z"], style="italic", linespacing=1.3,
        )  # fmt: skip

    def _colorbars(self):
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize

        for left, cmap, ticks, label, extend in (
            (0.07, self.gate_cmap, [0, 0.25, 0.5, 0.75, 1], "gates: z, r, 1 - z", "neither"),
            (0.57, self.value_cmap, [-1, -0.5, 0, 0.5, 1], "the state and its parts", "both"),
        ):
            cax = self.fig.add_axes((left, 0.075, 0.36, 0.028))
            bar = self.fig.colorbar(
                ScalarMappable(Normalize(ticks[0], ticks[-1]), cmap), cax=cax,
                orientation="horizontal", extend=extend, ticks=ticks,
            )  # fmt: skip
            bar.ax.tick_params(labelsize=8)
            bar.set_label(label, fontsize=9)

    # -------------------------------------------------------------- values
    def update(self, values, *, where=""):
        """Light the nodes with ``values`` (from :func:`lit_values`); ``where`` (such as
        ``"step t = 3, unit 0"``) starts the title, which says what the update gate does."""
        if not self.lit:
            raise ValueError("this cell was drawn unlit; draw it with lit=True to show values")
        for key, text in self.values.items():
            name = "h" if key == "h out" else key
            v = values[name]
            rgba = self.gate_cmap(v) if name in GATE_NODES else self.value_cmap((v + 1) / 2)
            self.patches[key].set_facecolor(rgba)
            v = 0.0 if round(v, 2) == 0 else v  # no "-0.00"
            text.set_text(f"{v:.2f}" if name in GATE_NODES else f"{v:+.2f}")
            r, g, b = rgba[:3]  # black or white, whichever reads better on the chip
            text.set_color("black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white")
        z = values["z"]
        verb = (
            "the unit keeps its state" if z >= 0.9
            else "the unit writes its candidate" if z <= 0.1
            else f"the unit keeps {z:.0%} of its state, writes {1 - z:.0%} of h~"
        )  # fmt: skip
        self.title.set_text(f"{where + ': ' if where else ''}z = {z:.2f}, {verb}")

    def shown(self):
        """The numbers the lit cell writes, by node name (read back from the picture)."""
        return {key: float(text.get_text()) for key, text in self.values.items()}


def _size(node, reset_after):
    if node.kind == "product" and node.name == "past" and not reset_after:
        return (1.0, 0.7)  # (r * h_prev) @ R_h, small between two nodes
    return _SIZES.get(node.kind)


def draw_cell(reset_after=True, *, figsize=(10, 6)):
    """The GRU cell of :func:`cell_step` as a Matplotlib figure (for ``plt.show()``)."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize)
    CellFigure(fig, reset_after)
    return fig


def draw_lit_cell(gru, x, trace, t, *, unit=0, sequence=0, figsize=(10, 6.8)):
    """The cell lit by ``trace``'s values at step ``t`` for one unit (see :func:`lit_values`)."""
    import matplotlib.pyplot as plt

    values = lit_values(gru, x, trace, t, unit=unit, sequence=sequence)
    fig = plt.figure(figsize=figsize)
    cell = CellFigure(fig, gru.reset_after, lit=True)
    cell.update(values, where=f"step t = {int(t)}, unit {int(unit)}")
    return fig
