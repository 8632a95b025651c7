"""How long moving a slider of the gate explorer's widgets takes, off screen.

:func:`measure_redraw` builds one of notebook 05's widgets and times ``n`` slider
moves (from the new value to the new PNG bytes in the widget's image);
:func:`redraw_for_benchmark` gives ``benchmarks/run.py`` one full redraw of the
gate explorer to time.
"""

from __future__ import annotations

from gru_lesson.explorer import GateExplorer, HandsetPlayground, SaturationExplorer
from gru_lesson.validation import check_choice, check_int

WIDGETS = {
    "gate explorer": GateExplorer,
    "playground": HandsetPlayground,
    "saturation": SaturationExplorer,
}


def measure_redraw(n=50, view="gate explorer"):
    """Build a widget off screen and time ``n`` slider moves: ``dict(median_ms, p90_ms, ...)``.

    ``view`` is ``"gate explorer"`` (the step slider), ``"playground"`` (a weight
    slider) or ``"saturation"`` (the low threshold). Each time runs from setting
    the slider's value to the new PNG bytes in the widget's image.
    """
    check_choice("view", view, tuple(WIDGETS))
    check_int("n (redraws)", n, minimum=1)
    result = WIDGETS[view]().measure_redraw(n)
    result["view"] = view
    return result


def redraw_for_benchmark():
    """A function doing one full redraw of the gate explorer (the step slider moved, the
    figure redrawn to new PNG bytes)."""
    explorer = GateExplorer()
    slider, values = explorer._benchmark_slider()
    state = {"i": 0}

    def redraw():
        state["i"] += 1
        slider.value = values[state["i"] % len(values)]

    return redraw
