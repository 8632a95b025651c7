"""gru_lesson: the helper package of a course on Gated Recurrent Units.

Each module follows one notebook idea:

* :mod:`gru_lesson.gru`        the NumPy GRU and its per-step gate trace (notebook 01)
* :mod:`gru_lesson.keras_twin` weights between Keras' ``GRU`` layer and the NumPy GRU (notebook 02)

Importing this package never imports TensorFlow; only the functions that
talk to Keras do, when they are called.
"""

from gru_lesson.gru import GRU, GRUTrace, sigmoid, split_gates

__all__ = ["GRU", "GRUTrace", "sigmoid", "split_gates"]
__version__ = "0.1.0"
