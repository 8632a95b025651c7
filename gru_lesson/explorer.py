"""The gate explorer of notebook 05: a trained GRU's gates, step by step, with widgets.

Three views, each a small class that builds its ipywidgets controls and one
Matplotlib figure, drawn to a PNG inside an ``ipywidgets.Image`` (no plotting
extension needed, so the same code runs in JupyterLab, in Voila and on Binder):

* :class:`GateExplorer`: the classifier trained on "which came first, A or B?"
  reading one sequence. Heatmaps of ``z``, ``r``, ``h~`` and ``h`` over time and
  units, the input on the same time axis, and the prediction after each step;
  under them the GRU cell of notebook 01 lit by the followed unit's values at
  the current step (:mod:`gru_lesson.cell_diagram`). Pick a sequence, type or
  edit it (flip the cue, put a distractor anywhere), step through time.
* :class:`HandsetPlayground`: a two-unit GRU whose weights are sliders, on
  numbers you type; the puzzle "make the output depend on the first input only".
* :class:`SaturationView`: per unit, the share of steps each gate is below a
  low threshold against the share above a high one (Karpathy, Johnson and
  Fei-Fei, 2015), thresholds as sliders.

What is drawn is computed by pure functions (:func:`gate_view`,
:func:`handset_view`, :func:`saturation_view`), so tests check the numbers
without a browser; the classes only wire widgets to them. Bad input (an unknown
symbol, an empty sequence, thresholds the wrong way round) is reported in the
view's message line, never as a traceback.

:func:`measure_redraw` times what moving a slider costs (new value set to new
PNG bytes); :func:`redraw_for_benchmark` is the hook ``benchmarks/run.py`` calls.

ipywidgets is imported only when a view is built, so the pure functions and the
static figures (:func:`plot_gates`, :func:`plot_cell`, :func:`plot_unit`,
:func:`plot_handset`, :func:`plot_saturation`) need NumPy and Matplotlib only.
"""

from __future__ import annotations

import html
import io
import re
import statistics
import time
from dataclasses import dataclass

import numpy as np

from gru_lesson.cell_diagram import CellFigure, lit_values
from gru_lesson.gates import gate_saturation, memory_units
from gru_lesson.gru import GRU, GRUTrace, sigmoid
from gru_lesson.handset import handset_gru
from gru_lesson.tasks import make_memory_task, to_text
from gru_lesson.validation import check_array, check_choice, check_int, check_number, check_trace

__all__ = [
    "GateExplorer",
    "GateView",
    "HandsetPlayground",
    "PLAYGROUND_SLIDERS",
    "SaturationView",
    "first_input_verdict",
    "flip_cue",
    "gate_view",
    "handset_view",
    "measure_redraw",
    "parse_numbers",
    "parse_sequence",
    "plot_cell",
    "plot_gates",
    "plot_handset",
    "plot_saturation",
    "plot_unit",
    "playground_gru",
    "redraw_for_benchmark",
    "saturation_view",
    "set_symbol",
]

MAX_STEPS = 200  # longest sequence a view accepts (keeps every redraw fast)
MAX_FEATURES = 10  # A, B and the eight filler symbols to_text draws
DPI = 80
CELL_FIGSIZE = (10, 6.8)  # the lit cell, in the explorer and as a static figure
_GRAY = "#eeeeee"  # steps the GRU has not read yet
_ERROR_STYLE = "color:#b00020"


# ============================================================ sequences as text
def _glyphs(n_features):
    """The symbols of a sequence with ``n_features`` one-hot features: ``"AB.-"`` for 4."""
    return to_text(np.eye(n_features))


def _cleaned(text, glyphs=None):
    """Typed ``text`` without spaces, ``a``/``b`` read as ``A``/``B``, every symbol one of ``glyphs``."""
    if not isinstance(text, str):
        raise TypeError(f"a sequence is text such as 'AB..-.A', got {type(text).__name__}")
    glyphs = glyphs or _glyphs(MAX_FEATURES)
    cleaned = re.sub(r"\s+", "", text).replace("a", "A").replace("b", "B")
    for t, ch in enumerate(cleaned):
        if ch not in glyphs:
            allowed = ", ".join(repr(g) for g in glyphs)
            raise ValueError(f"unknown symbol {ch!r} at step {t}: use only {allowed}")
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
        allowed = ", ".join(repr(g) for g in glyphs)
        raise ValueError(f"the sequence is empty: type some symbols, each one of {allowed}")
    if len(cleaned) > MAX_STEPS:
        raise ValueError(
            f"the sequence has {len(cleaned)} steps; the explorer takes at most {MAX_STEPS}"
        )
    x = np.zeros((len(cleaned), n_features))
    x[np.arange(len(cleaned)), [glyphs.index(ch) for ch in cleaned]] = 1.0
    return x


def first_symbol(text):
    """``1`` if the first ``A``/``B`` of ``text`` is ``A``, ``0`` if it is ``B``, ``None`` if neither occurs."""
    for ch in text.upper():
        if ch in "AB":
            return 1 if ch == "A" else 0
    return None


def flip_cue(text):
    """``text`` with its cue flipped: the first ``A``/``B`` and, if it is the other
    letter, the step right after it, swap (``..AB..`` becomes ``..BA..``).

    Everything after the cue stays as it is, so the label flips and nothing
    else changes, as with ``make_memory_task(..., labels=1 - y)``.
    """
    cleaned = _cleaned(text)
    other = {"A": "B", "B": "A"}
    for p, ch in enumerate(cleaned):
        if ch in other:
            end = p + 2 if p + 1 < len(cleaned) and cleaned[p + 1] == other[ch] else p + 1
            swapped = "".join(other[c] for c in cleaned[p:end])
            return cleaned[:p] + swapped + cleaned[end:]
    raise ValueError("the sequence has no A or B, so it has no cue to flip")


def set_symbol(text, step, symbol):
    """``text`` with the symbol at ``step`` (0 = the first) replaced by ``symbol``."""
    cleaned = _cleaned(text)
    step = check_int("step", step, minimum=0, maximum=len(cleaned) - 1)
    if not isinstance(symbol, str):
        raise TypeError(f"symbol must be one character such as 'A', got {symbol!r}")
    symbol = symbol.replace("a", "A").replace("b", "B")
    if len(symbol) != 1 or symbol not in _glyphs(MAX_FEATURES):
        allowed = ", ".join(repr(g) for g in _glyphs(MAX_FEATURES))
        raise ValueError(f"symbol must be one of {allowed}, got {symbol!r}")
    return cleaned[:step] + symbol + cleaned[step + 1 :]


# ============================================================== the gate view
@dataclass
class GateView:
    """What the gate explorer draws for one sequence (see :func:`gate_view`).

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
        p = next((t for t, ch in enumerate(self.text) if ch in "AB"), None)
        if p is None:
            return ()
        if p + 1 < self.T and self.text[p + 1] in "AB" and self.text[p + 1] != self.text[p]:
            return (p, p + 1)
        return (p,)

    def shown(self, name):
        """The heatmap of ``name`` as drawn: ``(rows, T)``, NaN on the steps after ``step``
        (not read yet). ``"x"`` is the input, always shown whole."""
        check_choice("name", name, ("x", "z", "r", "h_tilde", "h"))
        if name == "x":
            return self.x.T
        values = np.array(getattr(self, name).T, dtype=float)
        values[:, self.step + 1 :] = np.nan
        return values

    def p_shown(self):
        p = np.array(self.p_steps, dtype=float)
        p[self.step + 1 :] = np.nan
        return p

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
                "this view keeps no trace: make it with gate_view(classifier, sequence)"
            )
        return lit_values(self.gru, self.x[None], self.trace, self.step, unit=self.unit)

    def readout(self):
        """The numbers at ``step`` for ``unit``, as a dict."""
        t, u = self.step, self.unit
        return {
            "step": t,
            "symbol": self.text[t],
            "kind": self.kind_of_step(t),
            "unit": u,
            "z": float(self.z[t, u]),
            "r": float(self.r[t, u]),
            "h_tilde": float(self.h_tilde[t, u]),
            "h": float(self.h[t, u]),
            "p_step": float(self.p_steps[t]),
            "p_final": self.p_final,
            "truth": self.truth,
        }


def gate_view(classifier, sequence, *, step=None, unit=0):
    """Run ``classifier`` on one sequence and keep what the explorer draws: a :class:`GateView`.

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
    T = x.shape[0]
    step = T - 1 if step is None else check_int("step", step, minimum=0, maximum=T - 1)
    unit = check_int("unit", unit, minimum=0, maximum=gru.units - 1)
    trace = gru.trace(x[None])
    h = trace.h[0].astype(float)
    p_steps = sigmoid(h @ classifier.V[:, 0].astype(float) + float(classifier.c[0]))
    return GateView(
        text=text,
        x=x,
        z=trace.z[0].astype(float),
        r=trace.r[0].astype(float),
        h_tilde=trace.h_tilde[0].astype(float),
        h=h,
        p_steps=p_steps,
        step=step,
        unit=unit,
        truth=first_symbol(text),
        gru=gru,
        trace=trace,
    )


def _answer(p):
    return "A came first" if p > 0.5 else "B came first"


def _readout_html(view):
    d = view.readout()
    truth = {1: "A came first", 0: "B came first", None: "no A or B: nothing to remember"}
    verdict = ""
    if view.truth is not None:
        right = (view.p_final > 0.5) == (view.truth == 1)
        verdict = " ✓ right" if right else " ✗ wrong"
    return (
        "<div style='font-family:monospace;line-height:1.5'>"
        f"step t = {d['step']}: input <b>{html.escape(d['symbol'])}</b> ({d['kind']})<br>"
        f"unit {d['unit']}: z = {d['z']:.3f} &nbsp; r = {d['r']:.3f} &nbsp; "
        f"h~ = {d['h_tilde']:+.3f} &nbsp; h = {d['h']:+.3f}<br>"
        f"after step {d['step']}: P(A came first) = {d['p_step']:.3f}<br>"
        f"after the whole sequence: P(A came first) = {d['p_final']:.3f}, the GRU says "
        f"<b>{_answer(d['p_final'])}</b>; the truth: {truth[view.truth]}{verdict}"
        "</div>"
    )


# ------------------------------------------------------------ drawing helpers
def _new_figure(figsize, pyplot):
    if pyplot:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=figsize)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def render_png(fig):
    """The whole figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return buf.getvalue()


class FastCanvas:
    """Redraw only what changes: Matplotlib's *blitting*, on an off-screen Agg canvas.

    The still parts of the figure (axes, ticks, labels, colour bars) are drawn
    once and kept as a picture; each :meth:`png` pastes that picture back, draws
    the changing ``artists`` on top, and encodes the pixels as PNG. Call
    :meth:`invalidate` when a still part changes (new limits, new ticks).
    Only for figures that are never shown by pyplot: the changing artists are
    marked *animated*, which a normal draw skips.
    """

    def __init__(self, fig, artists):
        self.fig = fig
        self.artists = list(artists)
        for artist in self.artists:
            artist.set_animated(True)
        self.background = None

    def invalidate(self):
        self.background = None

    def png(self):
        from PIL import Image

        canvas = self.fig.canvas
        if self.background is None:
            canvas.draw()
            self.background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self.background)
        renderer = canvas.get_renderer()
        for artist in self.artists:
            artist.draw(renderer)
        pixels = np.asarray(canvas.buffer_rgba())[..., :3]
        buf = io.BytesIO()
        # zlib's fastest level: most of a redraw's time is spent encoding the PNG
        Image.fromarray(pixels).save(buf, format="png", compress_level=1)
        return buf.getvalue()


def _cmap(name):
    import matplotlib

    return matplotlib.colormaps[name].with_extremes(bad=_GRAY)


class GateFigure:
    """The explorer's figure: input, z, r, h~, h over time, and P(A first) after each step."""

    PANELS = (
        ("z", "z (update)", "viridis", 0.0, 1.0),
        ("r", "r (reset)", "viridis", 0.0, 1.0),
        ("h_tilde", "h~ (candidate)", "RdBu_r", -1.0, 1.0),
        ("h", "h (state)", "RdBu_r", -1.0, 1.0),
    )

    def __init__(self, fig, view, *, fast=False, mark=True):
        self.fig = fig
        self.mark = mark
        D, U = view.x.shape[1], view.h.shape[1]
        grid = fig.add_gridspec(
            6, 2, width_ratios=[50, 1], height_ratios=[0.9, 2, 2, 2, 2, 1.3],
            hspace=0.12, wspace=0.05, left=0.1, right=0.93, top=0.93, bottom=0.08,
        )  # fmt: skip
        self.axes = {}
        first = fig.add_subplot(grid[0, 0])
        self.axes["x"] = first
        for i, (name, *_rest) in enumerate(self.PANELS):
            self.axes[name] = fig.add_subplot(grid[i + 1, 0], sharex=first)
        self.axes["p"] = fig.add_subplot(grid[5, 0], sharex=first)
        self.images, self.cursors, self.markers = {}, [], {}
        ax = self.axes["x"]
        self.images["x"] = ax.imshow(
            view.shown("x"), aspect="auto", cmap="Greys", vmin=0, vmax=1.3,
            interpolation="nearest",
        )  # fmt: skip
        ax.set_yticks(range(D), list(_glyphs(D)), fontsize=8)
        ax.set_ylabel("input", fontsize=9)
        for name, label, cmap, vmin, vmax in self.PANELS:
            ax = self.axes[name]
            self.images[name] = ax.imshow(
                view.shown(name), aspect="auto", cmap=_cmap(cmap), vmin=vmin, vmax=vmax,
                interpolation="nearest",
            )  # fmt: skip
            ax.set_yticks(range(0, U, 5))
            ax.tick_params(labelsize=8)
            ax.set_ylabel(f"{label}\nunit", fontsize=9)
            (marker,) = ax.plot(
                [1.006], [view.unit], marker="<", color="black", ms=7, clip_on=False,
                transform=ax.get_yaxis_transform(), visible=mark,
            )  # fmt: skip
            self.markers[name] = marker
        fig.colorbar(self.images["z"], cax=fig.add_subplot(grid[1:3, 1])).ax.tick_params(
            labelsize=8
        )
        fig.colorbar(self.images["h"], cax=fig.add_subplot(grid[3:5, 1])).ax.tick_params(
            labelsize=8
        )
        ax = self.axes["p"]
        ax.axhline(0.5, color="gray", lw=0.8, ls="--")
        (self.p_line,) = ax.plot(np.arange(view.T), view.p_shown(), color="C3", lw=1.5)
        ax.set_ylim(-0.05, 1.05)
        ax.set_yticks([0, 0.5, 1])
        ax.tick_params(labelsize=8)
        ax.set_ylabel("P(A first)\nafter step t", fontsize=9)
        ax.set_xlabel("step t", fontsize=9)
        for name, ax in self.axes.items():
            self.cursors.append(ax.axvline(view.step, color="C1", lw=1.2))
            if name != "p":
                ax.tick_params(labelbottom=False)
        self.title = fig.suptitle("", fontsize=10)
        dynamic = [*self.images.values(), self.p_line, *self.cursors, *self.markers.values()]
        self.fast = FastCanvas(fig, [*dynamic, self.title]) if fast else None
        self._T = None
        self.update(view)

    def png(self):
        """The figure as PNG bytes (only the changing parts redrawn, when ``fast``)."""
        return self.fast.png() if self.fast else render_png(self.fig)

    def update(self, view):
        T = view.T
        if T != self._T:
            self.axes["x"].set_xlim(-0.5, T - 0.5)
            self._T = T
            if self.fast:
                self.fast.invalidate()
        for name, im in self.images.items():
            data = view.shown(name)
            im.set_data(data)
            im.set_extent((-0.5, T - 0.5, data.shape[0] - 0.5, -0.5))
        self.p_line.set_data(np.arange(T), view.p_shown())
        for line in self.cursors:
            line.set_xdata([view.step, view.step])
        for marker in self.markers.values():
            marker.set_ydata([view.unit])
        marked = f"◀ unit {view.unit}; " if self.mark else ""
        self.title.set_text(
            f"{view.text[:60]}{'…' if T > 60 else ''}   ({marked}"
            f"after step {view.step}: P(A first) = {view.p_steps[view.step]:.2f})"
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
    view = gate_view(classifier, sequence, step=step, unit=0 if unit is None else unit)
    fig = _new_figure(figsize, pyplot=True)
    GateFigure(fig, view, mark=unit is not None)
    return fig


def _light(cell, view):
    """Light ``cell`` with ``view``'s followed unit at its step."""
    t = view.step
    where = f"t = {t} (input {view.text[t]}), unit {view.unit}"
    cell.update(view.cell_values(), where=where)


def plot_cell(classifier, sequence, *, step=None, unit=0, figsize=CELL_FIGSIZE):
    """The GRU cell lit by the explorer's view: the values of ``unit`` at ``step``
    (default: the last) as ``classifier`` reads ``sequence`` (for ``plt.show()``)."""
    view = gate_view(classifier, sequence, step=step, unit=unit)
    fig = _new_figure(figsize, pyplot=True)
    _light(CellFigure(fig, classifier.gru.reset_after, lit=True), view)
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
    views = {label: gate_view(classifier, text, unit=unit) for label, text in sequences.items()}
    fig, (ax_h, ax_z) = plt.subplots(2, 1, figsize=figsize, sharex=True)
    for i, (label, view) in enumerate(views.items()):
        steps = np.arange(view.T)
        ax_h.plot(steps, view.h[:, view.unit], color=f"C{i}", label=label)
        ax_z.plot(steps, view.z[:, view.unit], color=f"C{i}")
        for t in view.cue:
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


# ============================================================ widget plumbing
class _View:
    """What the three views share: a message line, an image, and no tracebacks."""

    title = ""
    plain = ""

    def _build_common(self, w):
        self.image = w.Image(format="png", layout=w.Layout(width="100%", max_width="800px"))
        self.message = w.HTML("")
        self._busy = False

    def _show_error(self, error):
        self.message.value = f"<span style='{_ERROR_STYLE}'>⚠ {html.escape(str(error))}</span>"

    def _safely(self, work):
        """Run ``work()``; a bad value becomes a message in the widget, never a traceback."""
        try:
            work()
        except (ValueError, TypeError) as error:
            self._show_error(error)
        except Exception as error:  # noqa: BLE001 - a view must never show a traceback
            self._show_error(f"{type(error).__name__}: {error}")

    @property
    def message_text(self):
        """The message line as plain text (empty when all is well)."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.message.value)).removeprefix("⚠ ")

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = self.plain
        return bundle

    def measure_redraw(self, n=50, warmup=3):
        """Time ``n`` redraws caused by setting a slider: ``dict(median_ms, p90_ms, ...)``.

        Each time runs from the slider's new value to the new PNG bytes in the image.
        The slider is put back where it was afterwards.
        """
        n = check_int("n (redraws)", n, minimum=1)
        warmup = check_int("warmup (redraws)", warmup, minimum=0)
        slider, values = self._benchmark_slider()
        if slider.value == values[0]:  # every set must change the value
            values = values[1:] + values[:1]
        original = slider.value
        times = []
        try:
            for i in range(warmup + n):
                before = self.image.value
                start = time.perf_counter()
                slider.value = values[i % len(values)]
                seconds = time.perf_counter() - start
                if self.image.value == before:
                    raise RuntimeError(
                        f"setting the slider did not redraw the image ({self.message_text})"
                    )
                if i >= warmup:
                    times.append(seconds * 1e3)
        finally:
            slider.value = original  # leave the view as the reader left it
        times.sort()
        return {
            "median_ms": statistics.median(times),
            "p90_ms": times[min(len(times) - 1, int(np.ceil(0.9 * len(times))) - 1)],
            "min_ms": times[0],
            "max_ms": times[-1],
            "n": int(n),
            "png_bytes": len(self.image.value),
        }


# ============================================================== GateExplorer
class GateExplorer(_View):
    """The trained classifier on one sequence, with controls (see the module doc).

    ``explorer.widget`` is the whole app; displaying ``explorer`` shows it. The
    controls are attributes, so code (and tests) can drive it:
    ``explorer.sequence.value = 3``, ``explorer.text.value = "AB..-"``,
    ``explorer.step.value = 10``, ``explorer.unit.value = 5``,
    :meth:`flip_cue`, :meth:`put`. ``explorer.view`` is the :class:`GateView`
    on screen, ``explorer.figure.data()`` the arrays drawn.
    """

    title = "Gate explorer"
    plain = (
        "[Gate explorer: interactive controls. They work when the notebook runs in "
        "JupyterLab or Voila; the static figures above show the same view.]"
    )

    def __init__(self, classifier=None, *, n_sequences=20, T=50, seed=2025, unit=None):
        import ipywidgets as w

        if classifier is None:
            from gru_lesson.training import load_trained_classifier

            classifier, _ = load_trained_classifier()
        self.classifier = classifier
        D = classifier.gru.input_dim
        n_sequences = check_int("n_sequences", n_sequences, minimum=1)
        T = check_int("T (sequence length)", T, minimum=2, maximum=MAX_STEPS)
        x, _ = make_memory_task(n_sequences, T, seed=seed, n_filler=D - 2)
        self.bank = [to_text(s) for s in x]
        self.memory = memory_units(classifier, T=T)
        unit = self.memory.top if unit is None else unit
        self._build_common(w)
        self.view = gate_view(classifier, self.bank[0], unit=unit)
        self.figure = GateFigure(_new_figure((9.6, 7.2), pyplot=False), self.view, fast=True)
        self.cell = CellFigure(
            _new_figure(CELL_FIGSIZE, pyplot=False), classifier.gru.reset_after, lit=True, fast=True
        )
        self.cell_image = w.Image(format="png", layout=w.Layout(width="100%", max_width="800px"))

        carriers = set(self.memory.carriers)
        self.sequence = w.IntSlider(
            value=0, min=0, max=len(self.bank) - 1, description="sequence",
            continuous_update=False,
        )  # fmt: skip
        self.text = w.Text(
            value=self.bank[0], description="inputs", continuous_update=False,
            layout=w.Layout(width="98%"),
        )  # fmt: skip
        self.step = w.IntSlider(
            value=self.view.T - 1, min=0, max=self.view.T - 1, description="step t",
            continuous_update=False,
        )  # fmt: skip
        self.play = w.Play(
            value=self.view.T - 1, min=0, max=self.view.T - 1, interval=250, description="play"
        )
        w.link((self.play, "value"), (self.step, "value"))
        w.link((self.play, "max"), (self.step, "max"))
        self.unit = w.Dropdown(
            options=[
                (f"unit {u}" + (" (memory)" if u in carriers else ""), u)
                for u in range(classifier.gru.units)
            ],
            value=unit,
            description="follow",
        )
        self.flip_button = w.Button(description="flip the cue", tooltip="AB <-> BA")
        self.put_buttons = {
            s: w.Button(description=f"{s} at step t", layout=w.Layout(width="auto"))
            for s in _glyphs(D)
        }
        self.reset_button = w.Button(description="reset", tooltip="the sequence as drawn")
        self.readout = w.HTML(_readout_html(self.view))
        self.image.value = self.figure.png()
        _light(self.cell, self.view)
        self.cell_image.value = self.cell.png()

        self.sequence.observe(self._on_sequence, names="value")
        self.text.observe(self._on_text, names="value")
        self.step.observe(self._on_redraw, names="value")
        self.unit.observe(self._on_redraw, names="value")
        self.flip_button.on_click(lambda _b: self._safely(self.flip_cue))
        for s, button in self.put_buttons.items():
            button.on_click(lambda _b, s=s: self._safely(lambda: self.put(s)))
        self.reset_button.on_click(lambda _b: self._safely(self.reset))

        help_text = w.HTML(
            "<b>Gate explorer.</b> Edit the inputs (A, B, fillers "
            f"{', '.join(repr(g) for g in _glyphs(D)[2:])}) and press Enter, "
            "or use the buttons; move <i>step t</i> to watch the GRU read."
        )
        self.widget = w.VBox(
            [
                help_text,
                w.HBox([self.sequence, self.unit]),
                self.text,
                w.HBox([self.step, self.play]),
                w.HBox([self.flip_button, *self.put_buttons.values(), self.reset_button]),
                self.message,
                self.image,
                self.readout,
                self.cell_image,
            ]
        )

    # ----------------------------------------------------------- callbacks
    def _on_sequence(self, change):
        self._safely(lambda: setattr(self.text, "value", self.bank[change["new"]]))

    def _on_text(self, change):
        self._safely(self._redraw)

    def _on_redraw(self, change):
        if not self._busy:
            self._safely(self._redraw)

    def _redraw(self):
        text = self.text.value
        x = parse_sequence(text, self.classifier.gru.input_dim)  # raises on bad text
        T = x.shape[0]
        self._busy = True
        try:  # fit the step slider to the new length without a redraw per change
            if self.step.max != T - 1:
                if self.step.value > T - 1:
                    self.step.value = T - 1
                self.step.max = T - 1
        finally:
            self._busy = False
        self.view = gate_view(self.classifier, x, step=self.step.value, unit=self.unit.value)
        self.figure.update(self.view)
        self.image.value = self.figure.png()
        _light(self.cell, self.view)
        self.cell_image.value = self.cell.png()
        self.readout.value = _readout_html(self.view)
        self.message.value = ""

    # ------------------------------------------------------------- actions
    def flip_cue(self):
        """Flip the current sequence's cue (``AB`` becomes ``BA``, or back)."""
        self.text.value = flip_cue(self.text.value)

    def put(self, symbol, step=None):
        """Put ``symbol`` at ``step`` (default: the step slider's value)."""
        step = self.step.value if step is None else step
        glyphs = _glyphs(self.classifier.gru.input_dim)
        if symbol not in glyphs:
            raise ValueError(
                f"symbol must be one of {', '.join(map(repr, glyphs))}, got {symbol!r}"
            )
        self.text.value = set_symbol(self.text.value, step, symbol)

    def reset(self):
        """Back to the chosen sequence as drawn."""
        self.text.value = self.bank[self.sequence.value]
        self._redraw()

    def _benchmark_slider(self):
        T = self.view.T
        return self.step, [T - 1 - (i % 2) * (T // 2) for i in range(2)]


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
SLIDER_RANGE = (-20.0, 20.0, 0.5)  # min, max, step


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
        value = check_number(f"slider {key}", values.get(key, start))
        arr = pieces.setdefault(piece, np.zeros(_PIECE_SHAPES[piece[0]]))
        arr[index] = value
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
class HandsetViewData:
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


def handset_view(gru, x):
    """Run a one-input GRU on the inputs ``x`` ``(T,)``: a :class:`HandsetViewData`."""
    if not isinstance(gru, GRU):
        raise TypeError(f"expected a gru_lesson.GRU, got {type(gru).__name__}")
    if gru.input_dim != 1:
        raise ValueError(
            f"handset_view runs a GRU of one input feature, this one reads {gru.input_dim}"
        )
    x = check_array("x (inputs)", x, ndim=1, names="(T,)", finite=True)
    if len(x) == 0:
        raise ValueError("x (inputs) must have at least one step, got none")
    trace = gru.trace(x[None, :, None])
    return HandsetViewData(x, trace.z[0], trace.r[0], trace.h_tilde[0], trace.h[0])


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


def _handset_code(values):
    pieces = playground_pieces(values)
    args = []
    for name, arr in pieces.items():
        if np.any(arr):
            args.append(f"{name}={np.round(arr, 3).tolist()}")
    return "handset_gru(" + ", ".join(args) + ")"


_GATE_STYLES = (  # per unit: (z's style, r's style)
    (
        dict(ls="-", lw=3.0, alpha=0.5),
        dict(ls="--", lw=1.2, marker="s", ms=8, mfc="none", mew=1.2),
    ),
    (
        dict(ls="-", lw=1.2, marker="o", ms=5, mfc="none", mew=1.2),
        dict(ls=":", lw=1.5, marker="x", ms=6, mew=1.2),
    ),
)


class HandsetFigure:
    """Inputs, gates and states of a one-input GRU (the playground's has two units) over time."""

    def __init__(self, fig, data, *, fast=False):
        self.fig = fig
        axes = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1.3, 1.3]})
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
            self.lines[("z", u)] = self.ax_g.plot(
                [], [], color=color, label=f"z, unit {u}", **z_style
            )[0]
            self.lines[("r", u)] = self.ax_g.plot(
                [], [], color=color, label=f"r, unit {u}", **r_style
            )[0]
            self.lines[("h", u)] = self.ax_h.plot(
                [], [], "o-", color=color, ms=3, label=f"h, unit {u}"
            )[0]
        self.ax_g.set_ylim(-0.03, 1.03)
        self.ax_g.set_ylabel("gates", fontsize=9)
        self.ax_g.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
        self.ax_h.set_ylim(-1.05, 1.05)
        self.ax_h.axhline(0, color="gray", lw=0.6)
        self.ax_h.set_ylabel("state h", fontsize=9)
        self.ax_h.set_xlabel("step t", fontsize=9)
        self.ax_h.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
        for ax in axes:
            ax.tick_params(labelsize=8)
        self.title = self.ax_x.set_title("", fontsize=10)
        fig.subplots_adjust(left=0.09, right=0.83, top=0.9, bottom=0.1, hspace=0.15)
        dynamic = [self.x_line, *self.lines.values(), self.title]
        self.fast = FastCanvas(fig, dynamic) if fast else None
        self._limits = None
        self.update(data)

    def png(self):
        return self.fast.png() if self.fast else render_png(self.fig)

    def update(self, data):
        T = len(data.x)
        steps = np.arange(T)
        self.x_line.set_data(steps, data.x)
        top = max(2.0, float(np.abs(data.x).max()) * 1.1)
        if (T, top) != self._limits:
            self.ax_x.set_ylim(-top, top)
            self.ax_x.set_xlim(-0.5, T - 0.5)
            self._limits = (T, top)
            if self.fast:
                self.fast.invalidate()
        for (name, u), line in self.lines.items():
            line.set_data(steps, getattr(data, name)[:, u])
        self.title.set_text(f"output (unit 0's last state): h = {data.output:+.4f}")

    def data(self):
        return {
            "x": np.array(self.x_line.get_ydata(), dtype=float),
            **{
                f"{n}{u}": np.array(line.get_ydata(), dtype=float)
                for (n, u), line in self.lines.items()
            },
        }


def plot_handset(gru, x, *, figsize=(9, 5)):
    """The playground's figure as a plain Matplotlib figure (for ``plt.show()``)."""
    fig = _new_figure(figsize, pyplot=True)
    HandsetFigure(fig, handset_view(gru, x))
    return fig


class HandsetPlayground(_View):
    """A two-unit GRU whose weights are sliders, on inputs you type (see :data:`PLAYGROUND_SLIDERS`).

    ``playground.sliders[key]`` are the sliders, ``playground.text`` the inputs;
    :meth:`gru` is the GRU they make, :meth:`code` the ``handset_gru`` call that
    builds it, :meth:`check` the puzzle's verdict.
    """

    title = "Hand-set GRU"
    plain = (
        "[Hand-set GRU playground: interactive sliders. They work when the notebook runs "
        "in JupyterLab or Voila.]"
    )

    def __init__(self, inputs="0.8, -1.5, 0.3, 1.2, -0.7, 0.5, -1.1, 0.9, 0.2, -0.4"):
        import ipywidgets as w

        self._build_common(w)
        lo, hi, step = SLIDER_RANGE
        style = {"description_width": "190px"}
        self.sliders = {
            key: w.FloatSlider(
                value=start,
                min=lo,
                max=hi,
                step=step,
                description=label,
                continuous_update=False,
                readout_format=".1f",
                style=style,
                layout=w.Layout(width="460px"),
            )  # fmt: skip
            for key, _piece, _index, label, start in PLAYGROUND_SLIDERS
        }
        self.text = w.Text(
            value=inputs, description="inputs x_t", continuous_update=False,
            layout=w.Layout(width="98%"),
        )  # fmt: skip
        self.check_button = w.Button(description="check the puzzle", button_style="info")
        self.reset_button = w.Button(description="reset the sliders")
        self.verdict = w.HTML("")
        self.code_box = w.HTML("")
        self.data = handset_view(self.gru(), parse_numbers(inputs))
        self.figure = HandsetFigure(_new_figure((9, 5), pyplot=False), self.data, fast=True)
        self.image.value = self.figure.png()
        self.code_box.value = self._code_html()
        for slider in self.sliders.values():
            slider.observe(self._on_change, names="value")
        self.text.observe(self._on_change, names="value")
        self.check_button.on_click(lambda _b: self._safely(self.check))
        self.reset_button.on_click(lambda _b: self._safely(self.reset))
        self.widget = w.VBox(
            [
                w.HTML(
                    "<b>Hand-set GRU.</b> Two units, one input. The output is unit 0's last "
                    "state. Type inputs and press Enter; move the sliders."
                ),
                self.text,
                w.HBox(
                    [
                        w.VBox(list(self.sliders.values())[:5]),
                        w.VBox(
                            [*list(self.sliders.values())[5:], self.check_button, self.reset_button]
                        ),
                    ]
                ),
                self.message,
                self.image,
                self.verdict,
                self.code_box,
            ]
        )

    def values(self):
        return {key: slider.value for key, slider in self.sliders.items()}

    def gru(self):
        """The GRU the sliders make."""
        return playground_gru(self.values())

    def code(self):
        """The ``handset_gru(...)`` call that builds :meth:`gru` (only the non-zero pieces)."""
        return _handset_code(self.values())

    def _code_html(self):
        return (
            f"<span style='font-size:90%'>in code: <code>{html.escape(self.code())}</code></span>"
        )

    def _on_change(self, change):
        if not self._busy:
            self._safely(self._redraw)

    def _redraw(self):
        x = parse_numbers(self.text.value)
        self.data = handset_view(self.gru(), x)
        self.figure.update(self.data)
        self.image.value = self.figure.png()
        self.code_box.value = self._code_html()
        self.verdict.value = ""
        self.message.value = ""

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


# =============================================================== saturation
@dataclass
class SaturationData:
    """Per gate (``"z"``, ``"r"``): ``(below, above)``, two ``(units,)`` arrays of shares."""

    shares: dict
    low: float
    high: float
    carriers: list
    n: int


def saturation_view(trace, *, low=0.1, high=0.9, carriers=()):
    """The saturation plot's numbers for a :class:`~gru_lesson.gru.GRUTrace` of many sequences."""
    check_trace(trace)
    if isinstance(carriers, (str, bytes)):
        raise TypeError(f"carriers must be a list of unit indices, got {carriers!r}")
    U = trace.z.shape[-1]
    carriers = [check_int("each of carriers", u, minimum=0, maximum=U - 1) for u in carriers]
    shares = {
        name: gate_saturation(getattr(trace, name), trace.mask, low=low, high=high)
        for name in ("z", "r")
    }
    return SaturationData(shares, float(low), float(high), carriers, trace.z.shape[0])


def _units(n):
    """``"1 unit"``, ``"3 units"``."""
    return f"{n} unit" if n == 1 else f"{n} units"


def _saturation_summary(data):
    parts = []
    for name, (below, above) in data.shares.items():
        n_above = int(np.sum(above > 0.5))
        n_below = int(np.sum(below > 0.5))
        between = int(np.sum((below < 0.1) & (above < 0.1)))
        parts.append(
            f"<b>{name}</b>: {_units(n_above)} above {data.high:g} most of the time, "
            f"{n_below} below {data.low:g} most of the time, {between} rarely at either end"
        )
    return "<br>".join(parts)


# Where a dot's label may go, in points from the dot: right, above, below, left, then farther.
_LABEL_SPOTS = [
    (4, -3), (3, 3), (3, -10), (-4, 3), (-4, -10), (4, 8), (4, -15), (10, -3), (-4, 9),
    (-4, -16), (4, 14), (4, -21), (16, -3), (-4, 15), (-4, -22), (4, 20), (4, -27),
]  # fmt: skip


def _label_offsets(ax, x, y, *, fontsize=7, dot=3.0):
    """Offsets (in points) that keep the labels ``0, 1, ...`` of the dots ``(x, y)`` apart.

    Greedy: labels are placed one by one, each at the first spot of ``_LABEL_SPOTS`` whose
    box overlaps no label placed before and no dot, and stays inside the axes; the spot
    with the least overlap when none is free. Returns a list of ``(dx, dy)``.
    """
    fig = ax.figure
    to_points = 72.0 / fig.dpi
    xy = ax.transData.transform(np.column_stack([x, y])) * to_points  # dots, in points
    frame = ax.bbox.extents * to_points  # x0, y0, x1, y1 of the axes, in points
    descent, ascent, pad = 0.25 * fontsize, 0.95 * fontsize, 1.0  # a digit's box, in points
    placed = []
    offsets = [None] * len(xy)

    def overlap(a, b):
        w = min(a[2], b[2]) - max(a[0], b[0])
        h = min(a[3], b[3]) - max(a[1], b[1])
        return max(w, 0.0) * max(h, 0.0)

    dots = [(px - dot, py - dot, px + dot, py + dot) for px, py in xy]
    for u in np.lexsort((xy[:, 0], -xy[:, 1])):  # top to bottom, then left to right
        width = 0.65 * fontsize * len(str(u))
        best = None
        for dx, dy in _LABEL_SPOTS:
            x0, y0 = xy[u, 0] + dx - pad, xy[u, 1] + dy - descent - pad
            box = (x0, y0, x0 + width + 2 * pad, xy[u, 1] + dy + ascent + pad)
            if dx < 0:  # left of the dot: the label ends there
                box = (box[0] - width, box[1], box[2] - width, box[3])
            outside = (
                box[0] < frame[0] or box[2] > frame[2] or box[1] < frame[1] or box[3] > frame[3]
            )
            cost = sum(overlap(box, other) for other in placed + dots) + (1e3 if outside else 0)
            if best is None or cost < best[0]:
                best = (cost, (dx - width if dx < 0 else dx, dy), box)
            if cost == 0:
                break
        offsets[u] = best[1]
        placed.append(best[2])
    return offsets


class SaturationFigure:
    """Two scatter plots (z and r): per unit, share of steps below ``low`` against above ``high``."""

    def __init__(self, fig, data, *, fast=False):
        self.fig = fig
        self.axes = dict(zip(("z", "r"), fig.subplots(1, 2, sharey=True), strict=True))
        self.points, self.labels = {}, {}
        U = len(data.shares["z"][0])
        carriers = set(data.carriers)
        colors = ["C3" if u in carriers else "C0" for u in range(U)]
        for name, ax in self.axes.items():
            ax.plot([0, 1], [1, 0], color="gray", lw=0.8, ls="--")
            self.points[name] = ax.scatter(np.zeros(U), np.zeros(U), c=colors, s=30, zorder=3)
            self.labels[name] = [
                ax.annotate(str(u), (0, 0), xytext=(3, 3), textcoords="offset points", fontsize=7)
                for u in range(U)
            ]
            ax.set_xlim(-0.1, 1.03)  # room for labels left of the dots at 0
            ax.set_ylim(-0.05, 1.03)
            ax.set_aspect("equal")
            ax.tick_params(labelsize=8)
            ax.set_title(f"{'update' if name == 'z' else 'reset'} gate {name}", fontsize=10)
            ax.set_xlabel(f"share of steps with {name} below low", fontsize=9)
        self.axes["z"].set_ylabel("share of steps with the gate above high", fontsize=9)
        self.title = fig.suptitle("", fontsize=10)
        fig.subplots_adjust(left=0.08, right=0.98, top=0.84, bottom=0.15, wspace=0.15)
        dynamic = [*self.points.values(), *(t for ts in self.labels.values() for t in ts)]
        self.fast = FastCanvas(fig, [*dynamic, self.title]) if fast else None
        self.update(data)

    def png(self):
        return self.fast.png() if self.fast else render_png(self.fig)

    def update(self, data):
        for name in self.axes:
            below, above = data.shares[name]
            self.points[name].set_offsets(np.column_stack([below, above]))
            offsets = _label_offsets(self.axes[name], below, above)
            for u, label in enumerate(self.labels[name]):
                label.xy = (below[u], above[u])
                label.set_position(offsets[u])
        self.title.set_text(
            f"low = {data.low:g}, high = {data.high:g}, {data.n} sequences; "
            "red: the units that carry the memory"
        )

    def data(self):
        return {name: np.array(p.get_offsets(), dtype=float) for name, p in self.points.items()}


def _saturation_trace(classifier, n, T, seed):
    x, _ = make_memory_task(n, T, seed=seed, n_filler=classifier.gru.input_dim - 2)
    return classifier.gru.trace(x.astype(np.float64))


def plot_saturation(classifier, *, n=500, T=50, seed=0, low=0.1, high=0.9, figsize=(9, 4.2)):
    """The saturation plot as a plain Matplotlib figure (for ``plt.show()``)."""
    n = check_int("n (number of sequences)", n, minimum=1)
    carriers = memory_units(classifier, T=T).carriers
    data = saturation_view(
        _saturation_trace(classifier, n, T, seed), low=low, high=high, carriers=carriers
    )
    fig = _new_figure(figsize, pyplot=True)
    SaturationFigure(fig, data)
    return fig


class SaturationView(_View):
    """The saturation plot with its thresholds and the number of sequences as sliders."""

    title = "Gate saturation"
    plain = (
        "[Gate saturation: interactive thresholds. They work when the notebook runs in "
        "JupyterLab or Voila; the static figure above shows the same plot.]"
    )

    def __init__(self, classifier=None, *, T=50, seed=0):
        import ipywidgets as w

        if classifier is None:
            from gru_lesson.training import load_trained_classifier

            classifier, _ = load_trained_classifier()
        self.classifier = classifier
        self.T, self.seed = T, seed
        self.carriers = memory_units(classifier, T=T).carriers
        self._traces = {}
        self._build_common(w)
        common = dict(min=0.01, max=0.99, step=0.01, continuous_update=False, readout_format=".2f")
        self.low = w.FloatSlider(value=0.1, description="low", **common)
        self.high = w.FloatSlider(value=0.9, description="high", **common)
        self.n = w.IntSlider(
            value=500, min=50, max=1000, step=50, description="sequences", continuous_update=False
        )
        self.data = saturation_view(self._trace(500), carriers=self.carriers)
        self.figure = SaturationFigure(_new_figure((9, 4.2), pyplot=False), self.data, fast=True)
        self.image.value = self.figure.png()
        self.summary = w.HTML(_saturation_summary(self.data))
        for slider in (self.low, self.high, self.n):
            slider.observe(self._on_change, names="value")
        self.widget = w.VBox(
            [
                w.HTML(
                    "<b>Gate saturation.</b> Each dot is a unit: how often its gate is below "
                    "<i>low</i> (left-saturated) against above <i>high</i> (right-saturated)."
                ),
                w.HBox([self.low, self.high, self.n]),
                self.message,
                self.image,
                self.summary,
            ]
        )

    def _trace(self, n):
        if n not in self._traces:
            self._traces[n] = _saturation_trace(self.classifier, n, self.T, self.seed)
        return self._traces[n]

    def _on_change(self, change):
        self._safely(self._redraw)

    def _redraw(self):
        data = saturation_view(
            self._trace(self.n.value), low=self.low.value, high=self.high.value,
            carriers=self.carriers,
        )  # fmt: skip
        self.data = data
        self.figure.update(data)
        self.image.value = self.figure.png()
        self.summary.value = _saturation_summary(data)
        self.message.value = ""

    def _benchmark_slider(self):
        return self.low, [0.2, 0.1]


# ================================================================ timing
def measure_redraw(n=50, view="gate explorer"):
    """Build a view off screen and time ``n`` slider moves: ``dict(median_ms, p90_ms, ...)``.

    ``view`` is ``"gate explorer"`` (the step slider), ``"playground"`` (a weight
    slider) or ``"saturation"`` (the low threshold). Each time runs from setting
    the slider's value to the new PNG bytes in the view's image.
    """
    views = {
        "gate explorer": GateExplorer,
        "playground": HandsetPlayground,
        "saturation": SaturationView,
    }
    check_choice("view", view, tuple(views))
    check_int("n (redraws)", n, minimum=1)
    result = views[view]().measure_redraw(n)
    result["view"] = view
    return result


def redraw_for_benchmark():
    """For ``benchmarks/run.py``: a function doing one full redraw of the gate explorer
    (the step slider moved, the figure redrawn to new PNG bytes)."""
    explorer = GateExplorer()
    slider, values = explorer._benchmark_slider()
    state = {"i": 0}

    def redraw():
        state["i"] += 1
        slider.value = values[state["i"] % len(values)]

    return redraw
