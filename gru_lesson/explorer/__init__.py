"""The gate explorer of notebook 05: a trained GRU's gates, step by step, with widgets.

Three widgets, each a small class that builds its ipywidgets controls and one
Matplotlib figure, drawn to a PNG inside an ``ipywidgets.Image`` (no plotting
extension needed, so the same code runs in JupyterLab, in Voila and on Binder):

* :class:`GateExplorer` (:mod:`.gate_explorer`): the classifier trained on "which
  came first, A or B?" reading one sequence. Heatmaps of ``z``, ``r``, ``h~`` and
  ``h`` over time and units, the input on the same time axis, and the prediction
  after each step; under them the GRU cell of notebook 01 lit by the followed
  unit's values at the current step. Pick a sequence, type or edit it (flip the
  cue, put a distractor anywhere), step through time.
* :class:`HandsetPlayground` (:mod:`.playground`): a two-unit GRU whose weights
  are sliders, on numbers you type; the puzzle "make the output depend on the
  first input only" (judged by :func:`gru_lesson.handset.first_input_verdict`).
* :class:`SaturationExplorer` (:mod:`.saturation`): per unit, the share of steps
  each gate is below a low threshold against the share above a high one
  (Karpathy, Johnson and Fei-Fei, 2015), thresholds as sliders.

What is drawn is computed by pure functions that return the numbers a widget
draws (:func:`gate_data`, :func:`handset_data`, :func:`saturation_data`), so
tests check the numbers without a browser; the widgets only wire controls to
them. Bad input (an unknown symbol, an empty sequence, thresholds the wrong way
round) is reported in the widget's message line, never as a traceback. Each
widget's ``measure_redraw`` times what moving a slider costs (new value set to
new PNG bytes).

ipywidgets is imported only when a widget is built, so the pure functions and
the static figures (:func:`plot_gates`, :func:`plot_cell`, :func:`plot_unit`,
:func:`plot_handset`, :func:`plot_saturation`) need NumPy and Matplotlib only.
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
