"""Building and training the course's Keras classifiers on the memory task (notebook 04).

The models are the smallest that can hold a memory::

    Input((T, D)) -> [Masking(0.0)] -> GRU(U), LSTM(U) or SimpleRNN(U) -> Dense(1, sigmoid)

trained with binary cross-entropy and Adam (gradients clipped to norm 1), on
:func:`gru_lesson.tasks.make_memory_task`. Every run is seeded and TensorFlow's
op determinism is on, so the same call gives the same numbers, run after run.
The experiments run with them (sweeps, shipped results) are in
:mod:`gru_lesson.experiments`.

The update gate's bias
----------------------
Keras starts every GRU bias at zero, so the update gate starts at ``z = sigmoid(0) = 0.5``:
with ``h = z * h_prev + (1 - z) * h~``, what the GRU saw ``k`` steps ago weighs ``0.5**k``
(:func:`update_gate_memory`); a bias ``b`` on the update gate makes that ``sigmoid(b)**k``.
*Chrono initialization* (Tallec and Ollivier, 2018) draws one bias per unit, so that the
units start with memory spans spread from about 2 to ``T_max`` steps (:func:`chrono_bias`).
The LSTM has Keras' ``unit_forget_bias=True`` for the same reason; the GRU has no such
switch, so :func:`set_update_gate_bias` writes the bias into the layer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from gru_lesson.gru import sigmoid
from gru_lesson.initializers import check_update_gate_bias, set_update_gate_bias
from gru_lesson.progress import ProgressLine, scores_text
from gru_lesson.validation import (
    check_array,
    check_choice,
    check_flag,
    check_int,
    check_labels,
    check_list,
    check_number,
    check_seed,
)

__all__ = [
    "TrainingConfig",
    "CONFIG",
    "LONG_MEMORY",
    "accuracy",
    "build_classifier",
    "keras_classifier",
    "chrono_bias",
    "set_update_gate_bias",
    "train",
    "update_gate_memory",
]


_POSITIVE = dict(minimum=0, min_open=True)  # rates, norms
_SHARE = dict(minimum=0, maximum=1, min_open=True)  # an accuracy to reach
_TARGET = "target (validation accuracy)"
_KERAS_SEED = dict(minimum=0, maximum=2**32 - 1)


def _optional(check, name, value, **bounds):
    """``None`` (not used), or ``check(name, value, **bounds)``."""
    return None if value is None else check(name, value, **bounds)


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that defines a training run, apart from the model, the length and the seed.

    Every model gets the same budget: at most ``epochs`` passes over ``n_train``
    sequences in batches of ``batch_size``, stopping early once the validation
    accuracy reaches ``target`` (``None``: never stop early).
    """

    units: int = 16
    n_train: int = 2000
    n_val: int = 1000
    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 1e-2
    clipnorm: float = 1.0
    target: float | None = 0.99
    distractor_rate: float = 0.2
    n_filler: int = 2
    cue_window: int = 5
    curriculum: tuple = ()
    fresh_data: bool = False
    advance_at: float = 0.95
    chrono_T_max: int | None = None

    def __post_init__(self):
        ints = "units n_train n_val epochs batch_size n_filler cue_window".split()
        checked = {name: check_int(name, getattr(self, name), minimum=1) for name in ints}
        checked.update(
            learning_rate=check_number("learning_rate", self.learning_rate, **_POSITIVE),
            clipnorm=_optional(check_number, "clipnorm", self.clipnorm, **_POSITIVE),
            target=_optional(check_number, _TARGET, self.target, **_SHARE),
            distractor_rate=check_number(
                "distractor_rate", self.distractor_rate, minimum=0, maximum=1
            ),
            curriculum=_check_curriculum(self.curriculum, self.cue_window),
            fresh_data=check_flag("fresh_data", self.fresh_data),
            advance_at=check_number("advance_at (stage accuracy)", self.advance_at, **_SHARE),
            chrono_T_max=_optional(check_int, "chrono_T_max", self.chrono_T_max, minimum=3),
        )
        for name, value in checked.items():
            object.__setattr__(self, name, value)  # frozen: store the plain Python numbers

    @property
    def D(self):
        """The number of input features, ``2 + n_filler``."""
        return 2 + self.n_filler

    @property
    def task_options(self):
        """The memory task's options, as :func:`~gru_lesson.tasks.make_memory_task` takes them."""
        return dict(
            n_filler=self.n_filler, distractor_rate=self.distractor_rate, cue_window=self.cue_window
        )

    @property
    def staged(self):
        """Whether training goes epoch by epoch through stages (a curriculum or fresh data)."""
        return bool(self.curriculum) or self.fresh_data

    def stages(self, T):
        """The sequence lengths training goes through for length ``T``: the curriculum's
        lengths below ``T``, then ``T``."""
        T = check_int("T (sequence length)", T, minimum=2)
        return [t for t in self.curriculum if t < T] + [T]


def _check_curriculum(curriculum, cue_window):
    """Stage lengths, increasing, each long enough to hold a cue (``cue_window + 1``)."""
    item = "each of curriculum (a stage length)"
    lengths = tuple(check_list("curriculum", curriculum, check_int, item, minimum=cue_window + 1))
    if any(b <= a for a, b in zip(lengths, lengths[1:], strict=False)):
        raise ValueError(f"curriculum must be increasing lengths, got {lengths}")
    return lengths


CONFIG = TrainingConfig()

#: The recipe that trains a long memory (notebook 04, section 5): a curriculum over
#: lengths, moving on once the current length is learned, fresh sequences every epoch.
LONG_MEMORY = replace(
    CONFIG, curriculum=(20, 40, 80, 160), fresh_data=True, advance_at=0.95, epochs=30
)


# --------------------------------------------------------------------- gates
def update_gate_memory(bias, steps):
    """``sigmoid(bias) ** steps``: how much of a state survives ``steps`` steps of a
    GRU whose update gate stays at its starting value ``z = sigmoid(bias)``."""
    bias = check_array("bias", bias, finite=True)
    steps = check_array("steps", steps, finite=True)
    if np.any(steps < 0):
        raise ValueError(f"steps must be non-negative, got {steps.min():g}")
    return (sigmoid(bias) ** steps)[()]  # [()]: a number, not a 0-d array, for numbers


def chrono_bias(units, T_max, *, seed):
    """Chrono initialization of the update gate's bias: ``log(u)``, ``u ~ U[1, T_max - 1]``.

    With ``z = sigmoid(log u) = u / (1 + u)`` a unit keeps ``1 - 1/(1 + u)`` of its
    state per step: a memory of about ``1 + u`` steps, spread between 2 and ``T_max``.
    """
    units = check_int("units", units, minimum=1)
    T_max = check_number("T_max", T_max, minimum=2, min_open=True)
    rng = np.random.default_rng(check_seed(seed))
    return np.log(rng.uniform(1.0, T_max - 1.0, size=units))


# ----------------------------------------------------------------- the models
def _resolve_update_gate_bias(update_gate_bias, units, T, seed):
    if update_gate_bias is None:
        return None
    if isinstance(update_gate_bias, str):
        if update_gate_bias != "chrono":
            raise ValueError(
                f"update_gate_bias must be None, a number or 'chrono', got {update_gate_bias!r}"
            )
        if T is None or T <= 2:
            raise ValueError(
                f"update_gate_bias='chrono' needs the sequence length T, above 2, got T={T}"
            )
        return chrono_bias(units, T, seed=seed)
    return check_update_gate_bias(update_gate_bias, units, name="update_gate_bias")


def build_classifier(
    kind="gru",
    *,
    T,
    D,
    units=CONFIG.units,
    update_gate_bias=None,
    mask=False,
    seed=0,
    learning_rate=CONFIG.learning_rate,
    clipnorm=CONFIG.clipnorm,
):
    """:func:`keras_classifier` compiled (binary cross-entropy, Adam), its weights fixed by ``seed``.

    ``kind``: ``"gru"``, ``"lstm"`` (Keras' defaults, ``unit_forget_bias=True``) or
    ``"simple_rnn"``; ``T=None`` reads any length; ``mask=True`` skips all-zero steps
    (padding). ``update_gate_bias`` (GRU only): ``None`` for Keras' zeros, a number, one
    number per unit, or ``"chrono"`` (:func:`chrono_bias` with ``T_max = T``).
    """
    kind, units, T, D, mask = _check_layers(kind, units, T, D, mask)
    if kind != "gru" and update_gate_bias is not None:
        raise ValueError(f"a {kind} layer has no update gate: update_gate_bias must be None")
    seed = check_int("seed", seed, **_KERAS_SEED)
    learning_rate = check_number("learning_rate", learning_rate, **_POSITIVE)
    clipnorm = _optional(check_number, "clipnorm", clipnorm, **_POSITIVE)
    bias = _resolve_update_gate_bias(update_gate_bias, units, T, seed)

    import keras

    keras.utils.set_random_seed(seed)
    model = keras_classifier(kind, units, T=T, D=D, mask=mask, name=f"{kind}_classifier")
    if bias is not None:
        set_update_gate_bias(model.get_layer(kind), bias)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=clipnorm),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def keras_classifier(kind, units, *, T, D, mask=False, dtype=None, name=None, **layer_options):
    """The layers of the course's Keras classifier, not compiled: ``Input((T, D))``, then
    ``Masking(0.0)`` if ``mask``, then the recurrent layer ``kind`` (``"gru"``, ``"lstm"`` or
    ``"simple_rnn"``, named so) of ``units`` units with ``layer_options``, then
    ``Dense(1, "sigmoid")`` named ``"output"``; every layer in ``dtype`` (Keras' default: None).
    """
    kind, units, T, D, mask = _check_layers(kind, units, T, D, mask)
    import keras

    layer = getattr(keras.layers, {"gru": "GRU", "lstm": "LSTM", "simple_rnn": "SimpleRNN"}[kind])
    masking = [keras.layers.Masking(0.0, dtype=dtype, name="masking")] if mask else []
    return keras.Sequential(
        [
            keras.Input((T, D), dtype=dtype),
            *masking,
            layer(units, **layer_options, dtype=dtype, name=kind),
            keras.layers.Dense(1, activation="sigmoid", dtype=dtype, name="output"),
        ],
        name=name,
    )


def _check_layers(kind, units, T, D, mask):
    return (
        check_choice("kind", kind, ("gru", "lstm", "simple_rnn")),
        check_int("units", units, minimum=1),
        None if T is None else check_int("T (sequence length)", T, minimum=1),
        check_int("D (input features)", D, minimum=1),
        check_flag("mask", mask),
    )


def _check_sequences(name, x, model):
    """``x`` as a finite ``(n, T, D)`` array of at least one sequence that fits ``model``'s input."""
    x = check_array(name, x, ndim=3, names="(n, T, D)", finite=True)
    if len(x) == 0:
        raise ValueError(f"{name} holds no sequences (shape {x.shape})")
    wanted = getattr(model, "input_shape", None)
    if isinstance(wanted, tuple) and len(wanted) == 3:
        if any(w is not None and w != got for w, got in zip(wanted[1:], x.shape[1:], strict=True)):
            T, D = ("any" if w is None else w for w in wanted[1:])
            raise ValueError(f"{name} must have shape (n, {T}, {D}) for this model, got {x.shape}")
    return x


def accuracy(model, x, y, batch_size=1000):
    """The share of sequences a Keras model classifies right (probability > 0.5 means 1)."""
    x = _check_sequences("x", x, model)
    y = check_labels("y (labels)", y, n=len(x))
    batch_size = check_int("batch_size", batch_size, minimum=1)
    starts = range(0, len(x), batch_size)
    p = np.concatenate([np.asarray(model(x[i : i + batch_size], training=False)) for i in starts])
    return float(np.mean((p.reshape(-1) > 0.5) == (y == 1)))


def train(
    model,
    x,
    y,
    x_val,
    y_val,
    *,
    epochs,
    batch_size=CONFIG.batch_size,
    seed=0,
    target=None,
    progress="auto",
    label="",
):
    """Fit ``model`` with seeded shuffling; returns the history (a dict of per-epoch lists).

    Stops early once the validation accuracy reaches ``target`` (if given). ``progress``
    (a mode of :class:`~gru_lesson.progress.ProgressLine`, or None) shows the epoch, the
    loss and the accuracies after ``label`` (which run) as training goes.
    ``history["seconds"]`` is the wall time of the whole fit.

    The data go through a ``tf.data`` pipeline built here (Keras' own pipeline
    for NumPy arrays makes TensorFlow print a spurious error line when op
    determinism is on).
    """
    x = _check_sequences("x", x, model)
    y = check_labels("y (labels)", y, n=len(x)).astype("float32").reshape(-1, 1)
    x_val = _check_sequences("x_val", x_val, model)
    y_val = check_labels("y_val (labels)", y_val, n=len(x_val)).astype("float32").reshape(-1, 1)
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    seed = check_int("seed", seed, **_KERAS_SEED)
    target = _optional(check_number, _TARGET, target, **_SHARE)
    line = ProgressLine(epochs, mode=progress)
    if not isinstance(label, str):
        raise TypeError(f"label must be a string (which run), got {type(label).__name__} {label!r}")
    label = f"{label}: " if label else ""

    import keras
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(seed)
    data = (
        tf.data.Dataset.from_tensor_slices((x, y))
        .shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
    )
    val = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(1000)
    n_batches = -(-len(x) // batch_size)

    def text(logs):  # as the NumPy classifier's line writes them, but for val_loss
        return label + scores_text(logs or {}, skip=("val_loss",))

    class ShowProgressAndStopAtTarget(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch + 1

        def on_train_batch_end(self, batch, logs=None):
            line.update(self.epoch, (batch + 1) / n_batches, text(logs))

        def on_epoch_end(self, epoch, logs=None):
            line.end_epoch(epoch + 1, text(logs))
            if target is not None and logs and logs.get("val_accuracy", 0.0) >= target:
                self.model.stop_training = True

    start = time.perf_counter()
    callbacks = [ShowProgressAndStopAtTarget()]
    fit = model.fit(
        data, validation_data=val, epochs=epochs, verbose=0, shuffle=False, callbacks=callbacks
    )
    line.close()
    history = {k: [float(v) for v in vals] for k, vals in fit.history.items()}
    history["seconds"] = time.perf_counter() - start
    return history
