"""The gate explorer of notebook 05: a trained GRU's gates, step by step, with widgets.

Three widgets, each a small class that builds its ipywidgets controls and one Matplotlib
figure, drawn to a PNG inside an ``ipywidgets.Image`` (no plotting extension needed, so the
same code runs in JupyterLab, in Voila and on Binder): :class:`GateExplorer` (the classifier
reading a sequence you edit), :class:`HandsetPlayground` (a two-unit GRU whose weights are
sliders) and :class:`SaturationExplorer` (how often each gate sits at one end).

What is drawn is computed by pure functions that return the numbers a widget draws
(:func:`gate_data`, :func:`handset_data`, :func:`saturation_data`), so tests check the
numbers without a browser; bad input is reported in the widget's message line, never as a
traceback. ipywidgets is imported only when a widget is built, so the pure functions and the
static figures (``plot_*``) need NumPy and Matplotlib only.
"""

from gru_lesson.explorer.gate_data import GateData, flip_cue, gate_data, parse_sequence, set_symbol
from gru_lesson.explorer.gate_explorer import GateExplorer, plot_cell, plot_gates, plot_unit
from gru_lesson.explorer.playground import (
    PLAYGROUND_SLIDERS,
    HandsetData,
    HandsetPlayground,
    handset_data,
    parse_numbers,
    playground_gru,
    playground_pieces,
    plot_handset,
)
from gru_lesson.explorer.saturation import (
    SaturationData,
    SaturationExplorer,
    plot_saturation,
    saturation_data,
)

__all__ = [
    "GateData",
    "GateExplorer",
    "HandsetData",
    "HandsetPlayground",
    "PLAYGROUND_SLIDERS",
    "SaturationData",
    "SaturationExplorer",
    "flip_cue",
    "gate_data",
    "handset_data",
    "parse_numbers",
    "parse_sequence",
    "plot_cell",
    "plot_gates",
    "plot_handset",
    "plot_saturation",
    "plot_unit",
    "playground_gru",
    "playground_pieces",
    "saturation_data",
    "set_symbol",
]
