"""What the explorer's three widgets share: figures drawn off screen to PNG, by blitting,
and a widget base with a message line, an image, and no tracebacks.
"""

from __future__ import annotations

import html
import io
import re
import statistics
import time

import numpy as np

from gru_lesson.saved_outputs import MARK
from gru_lesson.validation import check_int

MAX_STEPS = 200  # longest sequence a widget accepts (keeps every redraw fast)
DPI = 80
ERROR_STYLE = "color:#b00020"


def new_figure(figsize, *, pyplot):
    """A figure of ``figsize``: pyplot's (for ``plt.show()``), or off screen on an Agg canvas."""
    if pyplot:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=figsize)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


class BlitCanvas:
    """Redraw only what changes: Matplotlib's *blitting*, on an off-screen Agg canvas.

    The still parts of the figure (axes, ticks, labels, colour bars) are drawn
    once and kept as a picture; each :meth:`png` pastes that picture back, draws
    the changing ``artists`` on top, and encodes the pixels as PNG. Set ``background``
    to ``None`` when a still part changes (new limits, new ticks).
    Only for figures that are never shown by pyplot: the changing artists are
    marked *animated*, which a normal draw skips.
    """

    def __init__(self, fig, artists):
        self.fig = fig
        self.artists = list(artists)
        for artist in self.artists:
            artist.set_animated(True)
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


class BlitFigure:
    """What the widgets' figures share: drawn once, then :meth:`update` with new data.

    A subclass's ``_draw(data)`` draws the still parts and returns the artists that change
    with the data; made with ``blit=True``, its ``blitter.png()`` redraws only those
    (see :class:`BlitCanvas`).
    """

    def __init__(self, fig, data, *, blit=False):
        self.fig = fig
        self._limits = None
        changing = self._draw(data)
        self.blitter = BlitCanvas(fig, changing) if blit else None
        self.update(data)

    @classmethod
    def new(cls, data, figsize, *, live=False, **options):
        """A figure of ``figsize`` that draws ``data``: for ``plt.show()``, or ``live``, for a widget."""
        return cls(new_figure(figsize, pyplot=not live), data, blit=live, **options)

    def _new_limits(self, limits):
        """Whether the axes' ``limits`` change: then the still parts are drawn again."""
        if limits == self._limits:
            return False
        self._limits = limits
        if self.blitter:
            self.blitter.background = None
        return True


RUN_TO_GET_CONTROLS = (
    "Its controls appear when this cell runs: run the notebook's cells in order "
    "(Run > Run All Cells) in JupyterLab, or open it with Voila."
)


class Widget:
    """What the three widgets share: a message line, an image, and no tracebacks.

    A control that changes calls :meth:`_on_change`, which redraws: the subclass's
    :meth:`_new_data` gives the numbers, its figure draws them, :meth:`_show` puts
    them on screen. While ``_busy`` (several controls being set at once), a change draws nothing.
    """

    title = ""
    plain = ""
    _busy = False

    @staticmethod
    def _image(w):
        """An image for a figure's PNG."""
        return w.Image(format="png", layout=w.Layout(width="100%", max_width="800px"))

    @staticmethod
    def _text_box(w, value, description):
        """A text box as wide as the view, read when Enter is pressed."""
        return w.Text(
            value=value, description=description, continuous_update=False,
            layout=w.Layout(width="98%"),
        )  # fmt: skip

    def _button(self, w, description, action, **options):
        """A button that runs ``action()`` when clicked (a bad value becomes the message)."""
        button = w.Button(description=description, **options)
        button.on_click(lambda _button: self._safely(action))
        return button

    def _lay_out(self, w, intro, rows, below, watched):
        """The whole view: ``intro``, the controls' ``rows``, the message, the image, ``below``;
        a change of a ``watched`` control redraws."""
        self.image, self.message = self._image(w), w.HTML("")
        for control in watched:
            control.observe(self._on_change, names="value")
        self._show()
        self.widget = w.VBox([w.HTML(intro), *rows, self.message, self.image, *below])

    def _on_change(self, change):
        if not self._busy:
            self._safely(self._redraw)

    def _redraw(self):
        self.data = self._new_data()
        self.figure.update(self.data)
        self._show()
        self.message.value = ""

    def _show(self):
        self.image.value = self.figure.blitter.png()

    def _show_error(self, error):
        self.message.value = f"<span style='{ERROR_STYLE}'>⚠ {html.escape(str(error))}</span>"

    def _safely(self, work):
        """Run ``work()``; a bad value becomes a message in the widget, never a traceback."""
        try:
            work()
        except (ValueError, TypeError) as error:
            self._show_error(error)
        except Exception as error:  # noqa: BLE001 - a widget must never show a traceback
            self._show_error(f"{type(error).__name__}: {error}")

    @property
    def message_text(self):
        """The message line as plain text (empty when all is well)."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.message.value)).removeprefix("⚠ ")

    def _repr_mimebundle_(self, **kwargs):
        """The live widget, and words that say how to get it back: a saved notebook keeps only the
        words (``gru_lesson.saved_outputs``), since the widget lives in the kernel that ran it."""
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        bundle["text/plain"] = f"[{self.title}: {self.plain} {RUN_TO_GET_CONTROLS}]"
        return bundle, {MARK: True}

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
            slider.value = original  # leave the widget as the reader left it
        times.sort()
        return {
            "median_ms": statistics.median(times),
            "p90_ms": times[int(np.ceil(0.9 * len(times))) - 1],
            "min_ms": times[0],
            "max_ms": times[-1],
            "n": int(n),
            "png_bytes": len(self.image.value),
        }
