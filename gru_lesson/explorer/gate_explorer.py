"""The gate explorer: the trained classifier reading one sequence, step by step.

Heatmaps of ``z``, ``r``, ``h~`` and ``h`` over time and units, the input on the same time
axis and the prediction after each step; under them the GRU cell of notebook 01 lit by the
followed unit's values at the current step (:mod:`gru_lesson.cell_diagram`).
"""

from __future__ import annotations

import html

import numpy as np

from gru_lesson.cell_diagram import CellFigure
from gru_lesson.explorer._widgets import MAX_STEPS, BlitCanvas, BlitFigure, Widget, new_figure
from gru_lesson.explorer.gate_data import (
    _glyphs,
    _known_symbol,
    flip_cue,
    gate_data,
    parse_sequence,
    set_symbol,
)
from gru_lesson.gates import memory_units
from gru_lesson.tasks import make_memory_task, to_text
from gru_lesson.trained import load_trained_classifier
from gru_lesson.validation import check_int

CELL_FIGSIZE = (10, 6.8)  # the lit cell, in the explorer and as a static figure
_GRAY = "#eeeeee"  # steps the GRU has not read yet


def _readout_html(data):
    d = data.readout()
    answer = {1: "A came first", 0: "B came first", None: "no A or B: nothing to remember"}
    verdict = ""
    if data.truth is not None:
        right = (data.p_final > 0.5) == (data.truth == 1)
        verdict = " ✓ right" if right else " ✗ wrong"
    return (
        "<div style='font-family:monospace;line-height:1.5'>"
        f"step t = {d['step']}: input <b>{html.escape(d['symbol'])}</b> ({d['kind']})<br>"
        f"unit {d['unit']}: z = {d['z']:.3f} &nbsp; r = {d['r']:.3f} &nbsp; "
        f"h~ = {d['h_tilde']:+.3f} &nbsp; h = {d['h']:+.3f}<br>"
        f"after step {d['step']}: P(A came first) = {d['p_step']:.3f}<br>"
        f"after the whole sequence: P(A came first) = {d['p_final']:.3f}, the GRU says "
        f"<b>{answer[int(d['p_final'] > 0.5)]}</b>; the truth: {answer[data.truth]}{verdict}"
        "</div>"
    )


class GateFigure(BlitFigure):
    """The explorer's figure: input, z, r, h~, h over time, and P(A first) after each step."""

    PANELS = (
        ("z", "z (update)", "viridis", 0.0, 1.0),
        ("r", "r (reset)", "viridis", 0.0, 1.0),
        ("h_tilde", "h~ (candidate)", "RdBu_r", -1.0, 1.0),
        ("h", "h (state)", "RdBu_r", -1.0, 1.0),
    )

    def __init__(self, fig, data, *, blit=False, mark=True):
        self.mark = mark
        super().__init__(fig, data, blit=blit)

    def _draw(self, data):
        import matplotlib

        fig = self.fig
        D, U = data.x.shape[1], data.h.shape[1]
        grid = fig.add_gridspec(
            6, 2, width_ratios=[50, 1], height_ratios=[0.9, 2, 2, 2, 2, 1.3],
            hspace=0.12, wspace=0.05, left=0.1, right=0.93, top=0.93, bottom=0.08,
        )  # fmt: skip
        first = fig.add_subplot(grid[0, 0])
        self.axes = {"x": first}
        for row, name in enumerate(("z", "r", "h_tilde", "h", "p"), start=1):
            self.axes[name] = fig.add_subplot(grid[row, 0], sharex=first)
        self.images, self.markers = {}, {}
        self.images["x"] = first.imshow(
            data.shown("x"), aspect="auto", cmap="Greys", vmin=0, vmax=1.3,
            interpolation="nearest",
        )  # fmt: skip
        first.set_yticks(range(D), list(_glyphs(D)), fontsize=8)
        first.set_ylabel("input", fontsize=9)
        for name, label, cmap, vmin, vmax in self.PANELS:
            ax = self.axes[name]
            self.images[name] = ax.imshow(
                data.shown(name), aspect="auto", cmap=matplotlib.colormaps[cmap].with_extremes(bad=_GRAY), vmin=vmin, vmax=vmax,
                interpolation="nearest",
            )  # fmt: skip
            ax.set_yticks(range(0, U, 5))
            ax.set_ylabel(f"{label}\nunit", fontsize=9)
            (self.markers[name],) = ax.plot(
                [1.006], [data.unit], marker="<", color="black", ms=7, clip_on=False,
                transform=ax.get_yaxis_transform(), visible=self.mark,
            )  # fmt: skip
        for name, rows in (("z", slice(1, 3)), ("h", slice(3, 5))):
            bar = fig.colorbar(self.images[name], cax=fig.add_subplot(grid[rows, 1]))
            bar.ax.tick_params(labelsize=8)
        ax = self.axes["p"]
        ax.axhline(0.5, color="gray", lw=0.8, ls="--")
        (self.p_line,) = ax.plot(np.arange(data.T), data.p_shown(), color="C3", lw=1.5)
        ax.set_ylim(-0.05, 1.05)
        ax.set_yticks([0, 0.5, 1])
        ax.set_ylabel("P(A first)\nafter step t", fontsize=9)
        ax.set_xlabel("step t", fontsize=9)
        self.cursors = []
        for name, ax in self.axes.items():
            self.cursors.append(ax.axvline(data.step, color="C1", lw=1.2))
            ax.tick_params(labelsize=8, labelbottom=name == "p")
        self.title = fig.suptitle("", fontsize=10)
        return [
            *self.images.values(),
            self.p_line,
            *self.cursors,
            *self.markers.values(),
            self.title,
        ]

    def update(self, data):
        T = data.T
        if self._new_limits(T):
            self.axes["x"].set_xlim(-0.5, T - 0.5)
        for name, im in self.images.items():
            values = data.shown(name)
            im.set_data(values)
            im.set_extent((-0.5, T - 0.5, values.shape[0] - 0.5, -0.5))
        self.p_line.set_data(np.arange(T), data.p_shown())
        for line in self.cursors:
            line.set_xdata([data.step, data.step])
        for marker in self.markers.values():
            marker.set_ydata([data.unit])
        marked = f"◀ unit {data.unit}; " if self.mark else ""
        self.title.set_text(
            f"{data.text[:60]}{'…' if T > 60 else ''}   ({marked}"
            f"after step {data.step}: P(A first) = {data.p_steps[data.step]:.2f})"
        )

    def data(self):
        """The arrays the figure currently draws, by panel (copies)."""
        out = {name: np.array(im.get_array(), dtype=float) for name, im in self.images.items()}
        out["p"] = np.array(self.p_line.get_ydata(), dtype=float)
        out["step"] = float(self.cursors[0].get_xdata()[0])
        out["unit"] = float(self.markers["z"].get_ydata()[0])
        return out


def plot_gates(classifier, sequence, *, step=None, unit=None, figsize=(10, 7)):
    """The explorer's figure as a plain Matplotlib figure (for ``plt.show()``).

    ``unit``: the unit to mark with a triangle (``None``: no mark).
    """
    data = gate_data(classifier, sequence, step=step, unit=0 if unit is None else unit)
    return GateFigure.new(data, figsize, mark=unit is not None).fig


def _light(cell, data):
    """Light ``cell`` with ``data``'s followed unit at its step."""
    t = data.step
    where = f"t = {t} (input {data.text[t]}), unit {data.unit}"
    cell.update(data.cell_values(), where=where)


def plot_cell(classifier, sequence, *, step=None, unit=0, figsize=CELL_FIGSIZE):
    """The GRU cell lit as in the explorer: the values of ``unit`` at ``step``
    (default: the last) as ``classifier`` reads ``sequence`` (for ``plt.show()``)."""
    data = gate_data(classifier, sequence, step=step, unit=unit)
    fig = new_figure(figsize, pyplot=True)
    _light(CellFigure(fig, classifier.gru.reset_after, lit=True), data)
    return fig


def plot_unit(classifier, sequences, unit, *, figsize=(10, 4)):
    """One unit's state ``h`` and update gate ``z`` over time, for several sequences.

    ``sequences`` maps a legend label to a typed sequence (the same length or not).
    """
    import matplotlib.pyplot as plt

    if not isinstance(sequences, dict):
        raise TypeError(f"sequences must be a dict {{label: typed sequence}}, got {sequences!r}")
    if not sequences:
        raise ValueError("sequences is empty: give at least one {label: typed sequence}")
    runs = {label: gate_data(classifier, text, unit=unit) for label, text in sequences.items()}
    fig, (ax_h, ax_z) = plt.subplots(2, 1, figsize=figsize, sharex=True)
    for i, (label, data) in enumerate(runs.items()):
        steps = np.arange(data.T)
        ax_h.plot(steps, data.h[:, data.unit], color=f"C{i}", label=label)
        ax_z.plot(steps, data.z[:, data.unit], color=f"C{i}")
        for t in data.cue:
            ax_h.axvline(t, color=f"C{i}", lw=0.6, ls=":")
    ax_h.set_ylabel(f"h, unit {unit}")
    ax_h.set_ylim(-1.05, 1.05)
    ax_h.axhline(0, color="gray", lw=0.6)
    ax_h.legend(fontsize=8, loc="center right")
    ax_z.set_ylabel(f"z, unit {unit}")
    ax_z.set_ylim(0, 1.02)
    ax_z.set_xlabel("step t (dotted lines: the cue)")
    fig.tight_layout()
    return fig


# ============================================================== GateExplorer
class GateExplorer(Widget):
    """The trained classifier on one sequence, with controls (see the module doc).

    ``explorer.widget`` is the whole app; displaying ``explorer`` shows it. The
    controls are attributes, so code (and tests) can drive it:
    ``explorer.sequence.value = 3``, ``explorer.text.value = "AB..-"``,
    ``explorer.step.value = 10``, ``explorer.unit.value = 5``,
    :meth:`flip_cue`, :meth:`put`. ``explorer.data`` is the :class:`GateData`
    on screen, ``explorer.figure.data()`` the arrays drawn.
    """

    title = "Gate explorer"
    plain = "sliders and text boxes to pick, type and edit the sequence, the step and the unit (the static figures above show the same view)."

    def __init__(self, classifier=None, *, n_sequences=20, T=50, seed=2025, unit=None):
        import ipywidgets as w

        if classifier is None:
            classifier, _ = load_trained_classifier()
        self.classifier = classifier
        D = classifier.gru.input_dim
        n_sequences = check_int("n_sequences", n_sequences, minimum=1)
        T = check_int("T (sequence length)", T, minimum=2, maximum=MAX_STEPS)
        x, _ = make_memory_task(n_sequences, T, seed=seed, n_filler=D - 2)
        self.bank = [to_text(s) for s in x]
        self.memory = memory_units(classifier, T=T)
        unit = self.memory.top if unit is None else unit
        self.data = gate_data(classifier, self.bank[0], unit=unit)
        self.figure = GateFigure.new(self.data, (9.6, 7.2), live=True)
        self.cell = CellFigure(
            new_figure(CELL_FIGSIZE, pyplot=False), classifier.gru.reset_after, lit=True
        )
        self.cell_canvas = BlitCanvas(self.cell.fig, self.cell.lit_artists())
        self.cell_image = self._image(w)

        carriers = set(self.memory.carriers)
        last = self.data.T - 1
        self.sequence = w.IntSlider(
            value=0, min=0, max=len(self.bank) - 1, description="sequence",
            continuous_update=False,
        )  # fmt: skip
        self.text = self._text_box(w, self.bank[0], "inputs")
        self.step = w.IntSlider(
            value=last, min=0, max=last, description="step t", continuous_update=False
        )
        self.play = w.Play(value=last, min=0, max=last, interval=250, description="play")
        w.link((self.play, "value"), (self.step, "value"))
        w.link((self.play, "max"), (self.step, "max"))
        options = [
            (f"unit {u}" + (" (memory)" if u in carriers else ""), u)
            for u in range(classifier.gru.units)
        ]
        self.unit = w.Dropdown(options=options, value=unit, description="follow")
        self.flip_button = self._button(w, "flip the cue", self.flip_cue, tooltip="AB <-> BA")
        self.put_buttons = {
            s: self._button(
                w, f"{s} at step t", lambda s=s: self.put(s), layout=w.Layout(width="auto")
            )
            for s in _glyphs(D)
        }
        self.reset_button = self._button(w, "reset", self.reset, tooltip="the sequence as drawn")
        self.readout = w.HTML("")
        self.sequence.observe(self._on_sequence, names="value")
        self._lay_out(
            w,
            "<b>Gate explorer.</b> Edit the inputs (A, B, fillers "
            f"{', '.join(repr(g) for g in _glyphs(D)[2:])}) and press Enter, "
            "or use the buttons; move <i>step t</i> to watch the GRU read.",
            rows=[
                w.HBox([self.sequence, self.unit]),
                self.text,
                w.HBox([self.step, self.play]),
                w.HBox([self.flip_button, *self.put_buttons.values(), self.reset_button]),
            ],
            below=[self.readout, self.cell_image],
            watched=[self.text, self.step, self.unit],
        )

    # ----------------------------------------------------------- callbacks
    def _on_sequence(self, change):
        self._safely(lambda: setattr(self.text, "value", self.bank[change["new"]]))

    def _new_data(self):
        x = parse_sequence(self.text.value, self.classifier.gru.input_dim)  # raises on bad text
        self._busy = True
        try:  # fit the step slider (its value too) to the new length without a redraw
            self.step.max = x.shape[0] - 1
        finally:
            self._busy = False
        return gate_data(self.classifier, x, step=self.step.value, unit=self.unit.value)

    def _show(self):
        """The drawn figure, the cell lit at the current step, and the readout, on screen."""
        super()._show()
        _light(self.cell, self.data)
        self.cell_image.value = self.cell_canvas.png()
        self.readout.value = _readout_html(self.data)

    # ------------------------------------------------------------- actions
    def flip_cue(self):
        """Flip the current sequence's cue (``AB`` becomes ``BA``, or back)."""
        self.text.value = flip_cue(self.text.value)

    def put(self, symbol, step=None):
        """Put ``symbol`` at ``step`` (default: the step slider's value)."""
        step = self.step.value if step is None else step
        symbol = _known_symbol(symbol, _glyphs(self.classifier.gru.input_dim))
        self.text.value = set_symbol(self.text.value, step, symbol)

    def reset(self):
        """Back to the chosen sequence as drawn."""
        self.text.value = self.bank[self.sequence.value]
        self._redraw()

    def _benchmark_slider(self):
        T = self.data.T
        return self.step, [T - 1, T - 1 - T // 2]
