"""Gate saturation: per unit, the share of steps each gate is below a low threshold against
the share above a high one (Karpathy, Johnson and Fei-Fei, 2015), thresholds as sliders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gru_lesson.explorer._widgets import BlitFigure, Widget
from gru_lesson.gates import gate_saturation, memory_units
from gru_lesson.tasks import make_memory_task
from gru_lesson.trained import load_trained_classifier
from gru_lesson.validation import check_int, check_list, check_trace


@dataclass
class SaturationData:
    """Per gate (``"z"``, ``"r"``): ``(below, above)``, two ``(units,)`` arrays of shares."""

    shares: dict
    low: float
    high: float
    carriers: list
    n: int


def saturation_data(trace, *, low=0.1, high=0.9, carriers=()):
    """The saturation plot's numbers for a :class:`~gru_lesson.gru.GRUTrace` of many sequences."""
    U = check_trace(trace).z.shape[-1]
    carriers = [
        check_int("each of carriers", u, minimum=0, maximum=U - 1)
        for u in check_list("carriers", carriers)
    ]
    shares = {
        name: gate_saturation(getattr(trace, name), trace.mask, low=low, high=high)
        for name in ("z", "r")
    }
    return SaturationData(shares, float(low), float(high), carriers, trace.z.shape[0])


def _saturation_summary(data):
    parts = []
    for name, (below, above) in data.shares.items():
        n_above = int(np.sum(above > 0.5))
        n_below = int(np.sum(below > 0.5))
        between = int(np.sum((below < 0.1) & (above < 0.1)))
        parts.append(
            f"<b>{name}</b>: {n_above} {'unit' if n_above == 1 else 'units'} above {data.high:g} "
            f"most of the time, {n_below} below {data.low:g} most of the time, {between} rarely "
            "at either end"
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
    to_points = 72.0 / ax.figure.dpi
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
        for spot_x, dy in _LABEL_SPOTS:
            dx = spot_x - width if spot_x < 0 else spot_x  # left of the dot: the label ends there
            x0, y0 = xy[u, 0] + dx, xy[u, 1] + dy
            box = (x0 - pad, y0 - descent - pad, x0 + width + pad, y0 + ascent + pad)
            outside = (
                box[0] < frame[0] or box[2] > frame[2] or box[1] < frame[1] or box[3] > frame[3]
            )
            cost = sum(overlap(box, other) for other in placed + dots) + (1e3 if outside else 0)
            if best is None or cost < best[0]:
                best = (cost, (dx, dy), box)
            if cost == 0:
                break
        offsets[u] = best[1]
        placed.append(best[2])
    return offsets


class SaturationFigure(BlitFigure):
    """Two scatter plots (z and r): per unit, share of steps below ``low`` against above ``high``."""

    def _draw(self, data):
        fig = self.fig
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
        return [*self.points.values(), *(t for ts in self.labels.values() for t in ts), self.title]

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
    data = saturation_data(
        _saturation_trace(classifier, n, T, seed), low=low, high=high, carriers=carriers
    )
    return SaturationFigure.new(data, figsize).fig


class SaturationExplorer(Widget):
    """The saturation plot with its thresholds and the number of sequences as sliders."""

    title = "Gate saturation"
    plain = "sliders for the two thresholds (the static figure above shows the same plot)."

    def __init__(self, classifier=None, *, T=50, seed=0):
        import ipywidgets as w

        if classifier is None:
            classifier, _ = load_trained_classifier()
        self.classifier = classifier
        self.T, self.seed = T, seed
        self.carriers = memory_units(classifier, T=T).carriers
        self._traces = {}
        common = dict(min=0.01, max=0.99, step=0.01, continuous_update=False, readout_format=".2f")
        self.low = w.FloatSlider(value=0.1, description="low", **common)
        self.high = w.FloatSlider(value=0.9, description="high", **common)
        self.n = w.IntSlider(
            value=500, min=50, max=1000, step=50, description="sequences", continuous_update=False
        )
        self.data = saturation_data(self._trace(500), carriers=self.carriers)
        self.figure = SaturationFigure.new(self.data, (9, 4.2), live=True)
        self.summary = w.HTML()
        self._lay_out(
            w,
            "<b>Gate saturation.</b> Each dot is a unit: how often its gate is below "
            "<i>low</i> (left-saturated) against above <i>high</i> (right-saturated).",
            rows=[w.HBox([self.low, self.high, self.n])],
            below=[self.summary],
            watched=[self.low, self.high, self.n],
        )

    def _trace(self, n):
        if n not in self._traces:
            self._traces[n] = _saturation_trace(self.classifier, n, self.T, self.seed)
        return self._traces[n]

    def _new_data(self):
        return saturation_data(
            self._trace(self.n.value), low=self.low.value, high=self.high.value,
            carriers=self.carriers,
        )  # fmt: skip

    def _show(self):
        super()._show()
        self.summary.value = _saturation_summary(self.data)

    def _benchmark_slider(self):
        return self.low, [0.2, 0.1]
