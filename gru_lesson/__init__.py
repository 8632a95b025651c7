"""gru_lesson: the helper package of a course on Gated Recurrent Units.

Each module follows one idea of the notebooks:

* :mod:`gru_lesson.gru`          the NumPy GRU and its per-step gate trace (notebook 01)
* :mod:`gru_lesson.cell_diagram` the GRU cell drawn from the step it computes, and lit by a trace (01, 05)
* :mod:`gru_lesson.initializers` Keras' starting weights (Glorot, orthogonal) and the update gate's bias
* :mod:`gru_lesson.handset`      GRUs with per-gate weights set by hand (notebooks 01 and 05)
* :mod:`gru_lesson.keras_twin`   weights between Keras' ``GRU`` layer and the NumPy GRU (notebook 02)
* :mod:`gru_lesson.conventions`  other conventions (PyTorch's layout) and what classic mistakes cost (notebook 02)
* :mod:`gru_lesson.bptt`         backpropagation through time (notebook 03)
* :mod:`gru_lesson.gradcheck`    its checks: central differences, Keras' autodiff, vanishing gradients (03)
* :mod:`gru_lesson.fast`         the same GRU and its backward pass, written the way libraries make them fast (03)
* :mod:`gru_lesson.rnn`          a plain tanh RNN, the baseline the gates are measured against (notebook 03)
* :mod:`gru_lesson.optim`        Adam with gradient-norm clipping, in NumPy (notebook 03)
* :mod:`gru_lesson.classifier`   a GRU sequence classifier trained in NumPy, and its Keras twin (notebooks 03 and 04)
* :mod:`gru_lesson.tasks`        the "which came first, A or B?" memory task (notebook 04)
* :mod:`gru_lesson.training`     Keras classifiers on it, their training, the update gate's bias (notebook 04)
* :mod:`gru_lesson.experiments`  runs, sweeps and the masking experiment with them, shipped results (04)
* :mod:`gru_lesson.trained`      the trained model the course ships, read with NumPy alone (04, 05)
* :mod:`gru_lesson.gates`        which units carry the memory, how they hold it, gate saturation (notebook 05)
* :mod:`gru_lesson.explorer`     the gate explorer's widgets and their static figures (notebook 05)
* :mod:`gru_lesson.progress`     a one-line training progress display that also behaves headless
* :mod:`gru_lesson.exercises`    the self-checking exercises, one module per notebook (ex01, ex02, ...)
* :mod:`gru_lesson.compare`      ``compare(name, mine, reference)``: readable exact / close / different
* :mod:`gru_lesson.env_check`    is this environment the course's? (notebook 00)
* :mod:`gru_lesson.runtime`      the supported Pythons and a quiet TensorFlow (standard library only)

Importing this package never imports TensorFlow; only the functions that
talk to Keras do, when they are called.
"""

from gru_lesson.bptt import gru_backward
from gru_lesson.classifier import GRUClassifier
from gru_lesson.gru import GRU, GRUTrace, sigmoid, split_gates
from gru_lesson.handset import gate_params, handset_gru
from gru_lesson.optim import Adam

__all__ = [
    "GRU",
    "Adam",
    "GRUClassifier",
    "GRUTrace",
    "gate_params",
    "gru_backward",
    "handset_gru",
    "sigmoid",
    "split_gates",
]
__version__ = "0.1.0"
