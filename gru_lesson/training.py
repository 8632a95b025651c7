"""Training Keras classifiers on the memory task, and the results the course ships (notebook 04).

The models are the smallest that can hold a memory::

    Input((T, D)) -> [Masking(0.0)] -> GRU(U) or SimpleRNN(U) -> Dense(1, sigmoid)

trained with binary cross-entropy and Adam (gradients clipped to norm 1), on
:func:`gru_lesson.tasks.make_memory_task`. Every run is seeded and TensorFlow's
op determinism is on, so the same call gives the same numbers, run after run.

The update gate's bias
----------------------
Keras starts every GRU bias at zero, so the update gate starts at
``z = sigmoid(0) = 0.5``: with ``h = z * h_prev + (1 - z) * h~``, half of the
state is replaced at every step, and what the GRU saw ``k`` steps ago weighs
``0.5**k`` (see :func:`update_gate_memory`). A bias ``b`` on the update gate
makes that ``sigmoid(b)**k``. *Chrono initialization* (Tallec and Ollivier,
2018) draws one bias per unit, ``b = log(u)`` with ``u`` uniform in
``[1, T_max - 1]``, so the units start with memory spans spread from about
2 to ``T_max`` steps (:func:`chrono_bias`). The LSTM has Keras'
``unit_forget_bias=True`` for the same reason; the GRU has no such switch,
so :func:`set_update_gate_bias` writes the bias into the layer.

Shipped results
---------------
``scripts/sweep_lengths.py`` runs :data:`FULL_SWEEP` and
:data:`UPDATE_BIAS_EXPERIMENT` once and writes ``gru_lesson/data/*.json``;
:func:`load_results` reads them. ``scripts/train_reference_model.py``
writes ``gru_lesson/data/trained_gru_classifier.npz``;
:func:`gru_lesson.trained.load_trained_classifier` reads it without TensorFlow.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from gru_lesson.gru import sigmoid
from gru_lesson.initializers import check_update_gate_bias, set_update_gate_bias
from gru_lesson.progress import MODES, ProgressLine
from gru_lesson.tasks import make_memory_task
from gru_lesson.validation import (
    check_array,
    check_choice,
    check_flag,
    check_int,
    check_labels,
    check_number,
    check_seed,
)

__all__ = [
    "DATA_DIR",
    "MODELS",
    "SHOWCASE_T",
    "FULL_SWEEP",
    "QUICK_SWEEP",
    "UPDATE_BIAS_EXPERIMENT",
    "MASKING_EXPERIMENT",
    "REFERENCE_MODEL",
    "TrainingConfig",
    "CONFIG",
    "LONG_MEMORY",
    "accuracy",
    "build_classifier",
    "build_model",
    "keras_classifier",
    "chrono_bias",
    "load_results",
    "train_val_sets",
    "run_experiment",
    "run_line",
    "run_masking_experiment",
    "run_sweep",
    "save_results",
    "set_update_gate_bias",
    "summarize",
    "train",
    "update_gate_memory",
]

DATA_DIR = Path(__file__).resolve().parent / "data"

#: The length at which the course shows the GRU remembering and the SimpleRNN not.
SHOWCASE_T = 50


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
        checked = {
            **{
                name: check_int(name, getattr(self, name), minimum=1)
                for name in ("units", "n_train", "n_val", "epochs", "batch_size", "n_filler")
            },
            "cue_window": check_int("cue_window", self.cue_window, minimum=1),
            "learning_rate": _check_rate("learning_rate", self.learning_rate),
            "clipnorm": _check_clipnorm(self.clipnorm),
            "target": _check_target(self.target),
            "distractor_rate": check_number(
                "distractor_rate", self.distractor_rate, minimum=0, maximum=1
            ),
            "curriculum": _check_curriculum(self.curriculum, self.cue_window),
            "fresh_data": check_flag("fresh_data", self.fresh_data),
            "advance_at": check_number(
                "advance_at (stage accuracy)", self.advance_at, minimum=0, maximum=1, min_open=True
            ),
            "chrono_T_max": (
                None
                if self.chrono_T_max is None
                else check_int("chrono_T_max", self.chrono_T_max, minimum=3)
            ),
        }
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


def _sequence(name, values):
    """``values`` as a list, if it is a list, a tuple or another collection (not text)."""
    if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a list or a tuple, got {type(values).__name__} {values!r}")
    return list(values)


def _check_curriculum(curriculum, cue_window):
    """Stage lengths, increasing, each long enough to hold a cue (``cue_window + 1``)."""
    lengths = tuple(
        check_int("each of curriculum (a stage length)", t, minimum=cue_window + 1)
        for t in _sequence("curriculum", curriculum)
    )
    if any(b <= a for a, b in zip(lengths, lengths[1:], strict=False)):
        raise ValueError(f"curriculum must be increasing lengths, got {lengths}")
    return lengths


def _check_rate(name, value):
    return check_number(name, value, minimum=0, min_open=True)


def _check_clipnorm(clipnorm):
    return None if clipnorm is None else _check_rate("clipnorm", clipnorm)


def _check_target(target):
    """``None`` (never stop early) or a validation accuracy in ``(0, 1]``."""
    if target is None:
        return None
    return check_number("target (validation accuracy)", target, minimum=0, maximum=1, min_open=True)


def _check_keras_seed(seed):
    return check_int("seed", seed, minimum=0, maximum=2**32 - 1)


def _check_config(config):
    if not isinstance(config, TrainingConfig):
        raise TypeError(f"config must be a TrainingConfig, got {type(config).__name__} {config!r}")
    return config


CONFIG = TrainingConfig()

#: The recipe that trains a long memory (notebook 04, section 5): a curriculum over
#: lengths, moving on once the current length is learned, fresh sequences every epoch.
LONG_MEMORY = replace(
    CONFIG, curriculum=(20, 40, 80, 160), fresh_data=True, advance_at=0.95, epochs=30
)

#: The models the length sweep compares, by name: the arguments of :func:`build_classifier`.
MODELS = {
    "simple_rnn": {"kind": "simple_rnn"},
    "gru": {"kind": "gru"},
    "gru_chrono": {"kind": "gru", "update_gate_bias": "chrono"},
    "lstm": {"kind": "lstm"},
}

#: The full sweep, computed once by ``scripts/sweep_lengths.py`` with the long-memory recipe.
FULL_SWEEP = {
    "lengths": (10, 20, 50, 100, 200),
    "seeds": (0, 1, 2, 3, 4),
    "models": tuple(MODELS),
    "config": LONG_MEMORY,
}
#: A quick subset the notebook (and the tests) run live: the recipe at 100 steps, seed 0.
QUICK_SWEEP = {"lengths": (100,), "seeds": (0,), "models": ("gru_chrono",), "config": LONG_MEMORY}

#: The update-gate bias experiment: one GRU, several starting biases, at two lengths.
UPDATE_BIAS_EXPERIMENT = {
    "lengths": (SHOWCASE_T, 100),
    "update_gate_biases": (0.0, 1.0, 2.0, 3.0, 4.0, "chrono"),
    "seeds": (0, 1, 2),
}

#: Padded sequences of lengths ``min_length .. T``: a GRU with and without ``Masking``.
MASKING_EXPERIMENT = {"T": 60, "min_length": 10, "padding": "post", "seed": 0, "model": "gru"}

#: The model stored in ``gru_lesson/data/trained_gru_classifier.npz``.
REFERENCE_MODEL = {"T": 50, "seed": 0, "model": "gru_chrono"}


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
    """A compiled Keras classifier ``[Masking] -> GRU, LSTM or SimpleRNN -> Dense(1, sigmoid)``.

    ``kind`` is ``"gru"``, ``"lstm"`` (Keras' defaults, ``unit_forget_bias=True``) or
    ``"simple_rnn"``. ``T`` may be ``None`` for
    sequences of any length. ``update_gate_bias`` (GRU only): ``None`` for Keras'
    zeros, a number, one number per unit, or ``"chrono"`` (:func:`chrono_bias`
    with ``T_max = T``). ``mask=True`` puts ``Masking(0.0)`` first so all-zero
    steps (padding) are skipped. ``seed`` fixes the starting weights.
    """
    kind, units, T, D, mask = _check_layers(kind, units, T, D, mask)
    if kind != "gru" and update_gate_bias is not None:
        raise ValueError(f"a {kind} layer has no update gate: update_gate_bias must be None")
    seed = _check_keras_seed(seed)
    learning_rate = _check_rate("learning_rate", learning_rate)
    clipnorm = _check_clipnorm(clipnorm)
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

    layer = {
        "gru": keras.layers.GRU,
        "lstm": keras.layers.LSTM,
        "simple_rnn": keras.layers.SimpleRNN,
    }
    masking = [keras.layers.Masking(0.0, dtype=dtype, name="masking")] if mask else []
    return keras.Sequential(
        [
            keras.Input((T, D), dtype=dtype),
            *masking,
            layer[kind](units, **layer_options, dtype=dtype, name=kind),
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
    p = np.concatenate(
        [
            np.asarray(model(x[i : i + batch_size], training=False))
            for i in range(0, len(x), batch_size)
        ]
    ).reshape(-1)
    return float(np.mean((p > 0.5) == (y == 1)))


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
    shows the epoch, the loss and the accuracies as training goes, on one line updated in
    place (:class:`~gru_lesson.progress.ProgressLine`: ``"auto"``, ``"notebook"``,
    ``"terminal"``, ``"lines"``, or ``None`` / ``"off"``), after ``label`` (which run).
    ``history["seconds"]`` is the wall time of the whole fit. TensorFlow's op
    determinism is turned on, so the same call gives the same numbers.

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
    seed = _check_keras_seed(seed)
    target = _check_target(target)
    line = ProgressLine(epochs, mode=progress)
    label = _check_label(label)

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

    class ShowProgressAndStopAtTarget(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch + 1

        def on_train_batch_end(self, batch, logs=None):
            line.update(self.epoch, (batch + 1) / n_batches, label + _scores(logs))

        def on_epoch_end(self, epoch, logs=None):
            line.end_epoch(epoch + 1, label + _scores(logs))
            if target is not None and logs and logs.get("val_accuracy", 0.0) >= target:
                self.model.stop_training = True

    start = time.perf_counter()
    fit = model.fit(
        data,
        validation_data=val,
        epochs=epochs,
        verbose=0,
        shuffle=False,
        callbacks=[ShowProgressAndStopAtTarget()],
    )
    line.close()
    history = {k: [float(v) for v in vals] for k, vals in fit.history.items()}
    history["seconds"] = time.perf_counter() - start
    return history


# ------------------------------------------------------------- experiments
def train_val_sets(T, seed, config=CONFIG, **task_options):
    """Training and validation sets of the memory task for one run: ``(x, y, x_val, y_val)``.

    The data depend only on ``(seed, T)`` (and the config), never on the model,
    so every model of a sweep sees the same sequences.
    """
    _check_config(config)
    T = check_int("T (sequence length)", T, minimum=2)
    seed = check_int("seed", seed, minimum=0)
    options = {**config.task_options, **task_options}
    x, y = make_memory_task(config.n_train, T, seed=np.random.default_rng([seed, T, 0]), **options)
    x_val, y_val = make_memory_task(
        config.n_val, T, seed=np.random.default_rng([seed, T, 1]), **options
    )
    return x, y, x_val, y_val


def run_experiment(
    model,
    T,
    seed,
    *,
    config=CONFIG,
    update_gate_bias="default",
    return_model=False,
    progress="auto",
):
    """Train one model (a name of :data:`MODELS`) at length ``T`` with ``seed``.

    ``update_gate_bias`` overrides the model's (for the update-gate bias experiment).
    Returns a row: ``{"model", "T", "seed", "update_gate_bias", "val_accuracy"`` (after
    the last epoch run), ``"epochs"`` (run), ``"seconds", "val_curve"}``; with
    ``return_model=True`` the pair ``(row, keras_model)``. ``progress`` shows the training as it
    goes (see :func:`train`).

    A config with a curriculum or fresh data (:attr:`TrainingConfig.staged`, such as
    :data:`LONG_MEMORY`) trains epoch by epoch, each epoch on sequences of the current
    stage's length, and moves to the next stage once the accuracy on held-out sequences of
    that length reaches ``config.advance_at``; its row adds ``"stage_curve"`` (the length
    trained on at each epoch) and ``"stage_accuracy"`` (the accuracy at that length).
    """
    T = _check_run(model, T, config)
    check_choice("progress", progress, (*MODES, None))
    x, y, x_val, y_val = train_val_sets(T, seed, config)
    keras_model, history, bias = _build_and_train(
        model,
        T,
        seed,
        config,
        (x, y, x_val, y_val),
        update_gate_bias=update_gate_bias,
        progress=progress,
    )
    row = {
        "model": model,
        "T": int(T),
        "seed": int(seed),
        "update_gate_bias": (
            bias if (bias is None or isinstance(bias, str)) else np.asarray(bias, float).tolist()
        ),
        **_curves(history),
    }
    return (row, keras_model) if return_model else row


def build_model(model, T, seed, *, config=CONFIG, update_gate_bias="default", mask=False):
    """The compiled, untrained Keras classifier :func:`run_experiment` trains: ``model`` (a name
    of :data:`MODELS`) for length ``T`` (any length with a staged config), as big and compiled
    as ``config`` says, its starting weights fixed by ``seed``. ``update_gate_bias`` overrides
    the model's; ``mask=True`` puts ``Masking(0.0)`` first."""
    T = _check_run(model, T, config)
    return _build(model, T, seed, config, update_gate_bias, mask)[0]


def _check_run(model, T, config):
    check_choice("model", model, tuple(MODELS))
    _check_config(config)
    return check_int("T (sequence length)", T, minimum=2)


def _build(model, T, seed, config, update_gate_bias="default", mask=False):
    """:func:`build_model` and the update gate's bias as a row shows it (a name, or numbers)."""
    options = dict(MODELS[model])
    if not (isinstance(update_gate_bias, str) and update_gate_bias == "default"):
        if options["kind"] != "gru":
            raise ValueError(f"{model} has no update gate")
        options["update_gate_bias"] = update_gate_bias
    named_bias = options.get("update_gate_bias")
    is_chrono = isinstance(named_bias, str) and named_bias == "chrono"
    if is_chrono and (config.staged or config.chrono_T_max is not None):
        # a model that reads any length has no T of its own: chrono's T_max is given here
        options["update_gate_bias"] = chrono_bias(config.units, config.chrono_T_max or T, seed=seed)
    keras_model = build_classifier(
        T=None if config.staged else T,
        D=config.D,
        units=config.units,
        seed=seed,
        mask=mask,
        learning_rate=config.learning_rate,
        clipnorm=config.clipnorm,
        **options,
    )
    shown = named_bias if isinstance(named_bias, str) else options.get("update_gate_bias")
    return keras_model, shown


def _scores(logs):
    """``loss 0.6931  acc 0.512  val_acc 0.498``: what Keras' logs hold of these, written as the
    NumPy classifier's progress line writes them."""
    names = (("loss", "loss", 4), ("accuracy", "acc", 3), ("val_accuracy", "val_acc", 3))
    logs = logs or {}
    return "  ".join(
        f"{short} {logs[key]:.{digits}f}" for key, short, digits in names if key in logs
    )


def _check_label(label):
    if not isinstance(label, str):
        raise TypeError(f"label must be a string (which run), got {type(label).__name__} {label!r}")
    return f"{label}: " if label else ""


def _build_and_train(
    model, T, seed, config, data, *, update_gate_bias="default", mask=False, progress="auto"
):
    """Build ``model`` (see :func:`build_model`) and train it on ``data = (x, y, x_val, y_val)``
    as ``config`` says: ``(keras_model, history, update_gate_bias as a row shows it)``.

    A staged config (a curriculum or fresh data) makes its own training sequences, stage by
    stage, and validates on ``x_val``; the model then reads sequences of any length."""
    keras_model, bias = _build(model, T, seed, config, update_gate_bias, mask)
    x, y, x_val, y_val = data
    label = f"{model} T={T} seed {seed}" + (" with mask" if mask else "")
    if config.staged:
        history = _train_in_stages(keras_model, T, seed, config, x_val, y_val, progress, label)
    else:
        history = train(
            keras_model,
            x,
            y,
            x_val,
            y_val,
            epochs=config.epochs,
            batch_size=config.batch_size,
            seed=seed,
            target=config.target,
            progress=progress,
            label=label,
        )
    return keras_model, history, bias


def _curves(history):
    """A row's share of a training history: the last validation accuracy, the epochs run,
    the time, the accuracy after each epoch (and, for staged training, the stages)."""
    row = {
        "val_accuracy": history["val_accuracy"][-1],
        "epochs": len(history["val_accuracy"]),
        "seconds": round(history["seconds"], 2),
        "val_curve": [round(a, 4) for a in history["val_accuracy"]],
    }
    if "stage_T" in history:
        row["stage_curve"] = history["stage_T"]
        row["stage_accuracy"] = [round(a, 4) for a in history["stage_accuracy"]]
    return row


def _train_in_stages(model, T, seed, config, x_val, y_val, progress="auto", label=""):
    """Train epoch by epoch through ``config.stages(T)``; the history of :func:`train`
    with ``"stage_T"`` and ``"stage_accuracy"`` per epoch, ``"val_accuracy"`` at length ``T``.

    An epoch trains on ``config.n_train`` sequences of the current stage's length (new ones
    every epoch with ``fresh_data``, else one set per stage), then measures the accuracy on
    held-out sequences of that length (``x_val`` itself at length ``T``) and on ``x_val``;
    training moves to the next stage once the former reaches ``config.advance_at``, and stops
    once the latter reaches ``config.target``.
    """
    stages = config.stages(T)
    task = config.task_options
    history = {"val_accuracy": [], "stage_T": [], "stage_accuracy": []}
    line = ProgressLine(config.epochs, mode=progress)
    start = time.perf_counter()
    k, x, held_out = 0, None, {}
    for epoch in range(config.epochs):
        T_k = stages[k]
        if config.fresh_data or x is None or x.shape[1] != T_k:
            key = [seed, T, T_k, 3] + ([epoch] if config.fresh_data else [])
            x, y = make_memory_task(config.n_train, T_k, seed=np.random.default_rng(key), **task)
        if T_k not in held_out:
            held_out[T_k] = (
                (x_val, y_val)
                if T_k == T
                else make_memory_task(
                    config.n_val // 2, T_k, seed=np.random.default_rng([seed, T_k, 2]), **task
                )
            )
        fit = train(
            model,
            x,
            y,
            *held_out[T_k],
            epochs=1,
            batch_size=config.batch_size,
            seed=seed * 1000 + epoch,
            progress=None,
        )
        stage_accuracy = fit["val_accuracy"][-1]
        val_accuracy = stage_accuracy if T_k == T else accuracy(model, x_val, y_val)
        history["stage_T"].append(int(T_k))
        history["stage_accuracy"].append(stage_accuracy)
        history["val_accuracy"].append(val_accuracy)
        line.end_epoch(
            epoch + 1,
            f"{label}: training at T={T_k} (acc {stage_accuracy:.3f} there), "
            f"val_acc {val_accuracy:.3f} at T={T}",
        )
        if config.target is not None and val_accuracy >= config.target:
            break
        if stage_accuracy >= config.advance_at and k < len(stages) - 1:
            k += 1
    history["seconds"] = time.perf_counter() - start
    line.close()
    return history


def run_masking_experiment(
    *,
    T,
    min_length,
    padding="post",
    seed=0,
    model="gru",
    config=CONFIG,
    masks=(True, False),
    progress="auto",
):
    """Train the same classifier on padded sequences (lengths ``min_length .. T``),
    with a ``Masking`` layer and without one.

    Returns ``{True: (row, keras_model), False: (row, keras_model)}`` keyed by
    ``mask`` (rows as in :func:`run_experiment`, plus ``"mask"``), and the data
    under ``"data"``: ``(x, y, x_val, y_val, mask_val)``. ``progress`` shows each training as
    it goes (see :func:`train`).
    """
    check_choice("model", model, tuple(MODELS))
    masks = [check_flag("each of masks", mask) for mask in _sequence("masks", masks)]
    check_choice("progress", progress, (*MODES, None))
    x, y, x_val, y_val = train_val_sets(T, seed, config, min_length=min_length, padding=padding)
    results = {"data": (x, y, x_val, y_val, x_val.any(axis=-1))}
    for mask in masks:
        keras_model, history, _ = _build_and_train(
            model, T, seed, config, (x, y, x_val, y_val), mask=mask, progress=progress
        )
        row = {
            "model": model,
            "T": int(T),
            "min_length": int(min_length),
            "padding": padding,
            "seed": int(seed),
            "mask": bool(mask),
            **_curves(history),
        }
        results[mask] = (row, keras_model)
    return results


def run_sweep(lengths, seeds, models=tuple(MODELS), *, config=CONFIG, log=print, done=()):
    """Train every model at every length with every seed; a list of rows (see :func:`run_experiment`).

    Rows in ``done`` (from an earlier run with the same config) are kept, not recomputed.
    """
    lengths = [
        check_int("each of lengths (T)", T, minimum=2) for T in _sequence("lengths", lengths)
    ]
    seeds = [check_int("each of seeds", seed, minimum=0) for seed in _sequence("seeds", seeds)]
    models = [check_choice("each of models", m, tuple(MODELS)) for m in _sequence("models", models)]
    _check_config(config)
    if log is not None and not callable(log):
        raise TypeError(f"log must be a function such as print, or None, got {log!r}")
    for i, row in enumerate(_sequence("done", done)):
        if not isinstance(row, dict) or {"model", "T", "seed"} - set(row):
            raise ValueError(
                f"done must hold rows of a sweep (model, T, seed, ...), done[{i}] is {row!r}"
            )
    known = {(r["model"], r["T"], r["seed"]): r for r in done}
    runs = [(T, seed, model) for T in lengths for seed in seeds for model in models]
    to_do = sum((model, T, seed) not in known for T, seed, model in runs)
    if log and known:
        log(f"{len(runs) - to_do} of {len(runs)} runs done earlier, {to_do} to do")
    rows, start, n = [], time.perf_counter(), 0
    for T, seed, model in runs:
        if (model, T, seed) in known:
            rows.append(known[(model, T, seed)])
            continue
        row = run_experiment(model, T, seed, config=config, progress=None)  # a line per run
        rows.append(row)
        n += 1
        if log:
            log(run_line(f"[{n}/{to_do}] {model:<11s} T={T:<4d} seed={seed}", row, start))
    return rows


def run_line(what, row, start):
    """The line a finished run prints: ``what`` (which run), then the row's validation accuracy,
    epochs and seconds, and the minutes elapsed since ``start`` (a ``time.perf_counter()``)."""
    return (
        f"{what}  val_accuracy={row['val_accuracy']:.3f}  epochs={row['epochs']:<3d}"
        f" {row['seconds']:5.1f} s  (elapsed {(time.perf_counter() - start) / 60:.1f} min)"
    )


def summarize(rows, key="model"):
    """``{name: {T: (mean, min, max) of val_accuracy}}`` over seeds, for rows of a sweep."""
    for i, row in enumerate(_sequence("rows", rows)):
        missing = {key, "T", "val_accuracy"} - set(row)
        if missing:
            raise ValueError(f"rows[{i}] has no {sorted(missing)} (key={key!r}): {row!r}")
        check_number(f"rows[{i}]['val_accuracy']", row["val_accuracy"], minimum=0, maximum=1)
    table = {}
    for row in rows:
        name = row[key] if key != "update_gate_bias" else str(row["update_gate_bias"])
        table.setdefault(name, {}).setdefault(row["T"], []).append(row["val_accuracy"])
    return {
        name: {
            T: (float(np.mean(a)), float(np.min(a)), float(np.max(a)))
            for T, a in sorted(by_T.items())
        }
        for name, by_T in table.items()
    }


# ------------------------------------------------------------------- files
def save_results(name, rows, *, experiment, config=CONFIG, directory=None, **meta):
    """Write rows and what produced them to ``<directory>/<name>.json`` (default :data:`DATA_DIR`)."""
    _check_name(name)
    _check_config(config)
    try:  # NumPy numbers become plain ones; NaN and infinity are not JSON
        json.dumps({"rows": rows, **meta}, allow_nan=False, default=_plain)
    except ValueError as error:
        raise ValueError(f"rows and meta must hold finite numbers only: {error}") from None
    import keras

    directory = Path(directory) if directory is not None else DATA_DIR
    directory.mkdir(parents=True, exist_ok=True)
    payload = {
        "experiment": experiment,
        "config": asdict(config),
        "keras_version": keras.__version__,
        **meta,
        "rows": rows,
    }
    path = directory / f"{name}.json"
    path.write_text(json.dumps(payload, indent=1, default=_plain) + "\n", encoding="utf-8")
    return path


def load_results(name, directory=None):
    """The shipped results ``name`` (``"length_sweep"`` or ``"update_gate_bias"``): the dict
    :func:`save_results` wrote, with ``"config"`` turned back into a :class:`TrainingConfig`."""
    _check_name(name)
    directory = Path(directory) if directory is not None else DATA_DIR
    path = directory / f"{name}.json"
    if not path.exists():
        available = sorted(p.stem for p in directory.glob("*.json"))
        raise FileNotFoundError(f"no results named {name!r} in {directory}; found {available}")
    payload = json.loads(path.read_text(encoding="utf-8"))
    payload["config"] = replace(CONFIG, **payload["config"])
    return payload


def _check_name(name):
    if not isinstance(name, str):
        raise TypeError(f"name must be a string such as 'length_sweep', got {name!r}")
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        raise ValueError(f"name must be a plain file name such as 'length_sweep', got {name!r}")


def _plain(value):
    """A NumPy number or array as plain Python numbers (for JSON)."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} {value!r} cannot be written as JSON")
