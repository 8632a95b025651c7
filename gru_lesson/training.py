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
:func:`load_trained_classifier` reads it without TensorFlow.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from gru_lesson.gru import sigmoid
from gru_lesson.tasks import make_memory_task

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
    "accuracy",
    "build_classifier",
    "chrono_bias",
    "load_results",
    "load_trained_classifier",
    "memory_task_data",
    "run_experiment",
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

    @property
    def D(self):
        """The number of input features, ``2 + n_filler``."""
        return 2 + self.n_filler


CONFIG = TrainingConfig()

#: The models the length sweep compares, by name: the arguments of :func:`build_classifier`.
MODELS = {
    "simple_rnn": {"kind": "simple_rnn"},
    "gru": {"kind": "gru"},
    "gru_chrono": {"kind": "gru", "update_gate_bias": "chrono"},
}

#: The full sweep, computed once by ``scripts/sweep_lengths.py``.
FULL_SWEEP = {
    "lengths": (10, 20, 30, 50, 75, 100, 150, 200),
    "seeds": (0, 1, 2, 3, 4),
    "models": tuple(MODELS),
}
#: A quick subset the notebook (and the tests) run live.
QUICK_SWEEP = {"lengths": (SHOWCASE_T,), "seeds": (0,), "models": ("simple_rnn", "gru_chrono")}

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
    steps = np.asarray(steps)
    if np.any(steps < 0):
        raise ValueError("steps must be non-negative")
    return sigmoid(np.asarray(bias, dtype=float)) ** steps


def chrono_bias(units, T_max, *, seed):
    """Chrono initialization of the update gate's bias: ``log(u)``, ``u ~ U[1, T_max - 1]``.

    With ``z = sigmoid(log u) = u / (1 + u)`` a unit keeps ``1 - 1/(1 + u)`` of its
    state per step: a memory of about ``1 + u`` steps, spread between 2 and ``T_max``.
    """
    if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
        raise ValueError(f"units must be a positive integer, got {units!r}")
    if not (isinstance(T_max, (int, float, np.integer, np.floating)) and T_max > 2):
        raise ValueError(f"T_max must be a number above 2, got {T_max!r}")
    rng = np.random.default_rng(seed)
    return np.log(rng.uniform(1.0, T_max - 1.0, size=units))


def set_update_gate_bias(layer, bias):
    """Write ``bias`` (a number or one value per unit) into a built Keras GRU's update gate.

    The input-side bias row gets it (``bx_z``, Keras ``bias[0][:units]``); the
    recurrent-side row of the update gate is set to zero, so the gate's total bias
    is exactly ``bias``.
    """
    import keras

    if not isinstance(layer, keras.layers.GRU):
        raise TypeError(f"expected a keras.layers.GRU, got {type(layer).__name__}")
    if not layer.use_bias:
        raise ValueError("the GRU layer has no bias (use_bias=False)")
    U = layer.units
    b = np.broadcast_to(np.asarray(bias, dtype=float), (U,)) if np.ndim(bias) == 0 else bias
    b = np.asarray(b, dtype=float)
    if b.shape != (U,):
        raise ValueError(f"bias must be a number or have shape (units,) = ({U},), got {b.shape}")
    kernel, recurrent_kernel, full = layer.get_weights()
    if layer.reset_after:
        full[0, :U] = b
        full[1, :U] = 0.0
    else:
        full[:U] = b
    layer.set_weights([kernel, recurrent_kernel, full])
    return layer


# ----------------------------------------------------------------- the models
def _resolve_update_gate_bias(update_gate_bias, units, T, seed):
    if update_gate_bias is None:
        return None
    if isinstance(update_gate_bias, str):
        if update_gate_bias != "chrono":
            raise ValueError(
                f"update_gate_bias must be None, a number or 'chrono', got {update_gate_bias!r}"
            )
        if T is None:
            raise ValueError("update_gate_bias='chrono' needs the sequence length T")
        return chrono_bias(units, T, seed=seed)
    return update_gate_bias


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
    """A compiled Keras classifier ``[Masking] -> GRU or SimpleRNN -> Dense(1, sigmoid)``.

    ``kind`` is ``"gru"`` or ``"simple_rnn"``. ``T`` may be ``None`` for
    sequences of any length. ``update_gate_bias`` (GRU only): ``None`` for Keras'
    zeros, a number, one number per unit, or ``"chrono"`` (:func:`chrono_bias`
    with ``T_max = T``). ``mask=True`` puts ``Masking(0.0)`` first so all-zero
    steps (padding) are skipped. ``seed`` fixes the starting weights.
    """
    import keras

    if kind not in ("gru", "simple_rnn"):
        raise ValueError(f"kind must be 'gru' or 'simple_rnn', got {kind!r}")
    if kind == "simple_rnn" and update_gate_bias is not None:
        raise ValueError("a SimpleRNN has no update gate: update_gate_bias must be None")
    for name, value in (("D", D), ("units", units)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    keras.utils.set_random_seed(seed)
    rnn = (
        keras.layers.GRU(units, name="gru")
        if kind == "gru"
        else keras.layers.SimpleRNN(units, name="simple_rnn")
    )
    layers = [keras.Input((T, D))]
    if mask:
        layers.append(keras.layers.Masking(0.0, name="masking"))
    layers += [rnn, keras.layers.Dense(1, activation="sigmoid", name="output")]
    model = keras.Sequential(layers, name=f"{kind}_classifier")
    bias = _resolve_update_gate_bias(update_gate_bias, units, T, seed)
    if bias is not None:
        set_update_gate_bias(rnn, bias)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=clipnorm),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def accuracy(model, x, y, batch_size=1000):
    """The share of sequences a Keras model classifies right (probability > 0.5 means 1)."""
    y = np.asarray(y).reshape(-1)
    p = np.concatenate(
        [
            np.asarray(model(x[i : i + batch_size], training=False))
            for i in range(0, len(x), batch_size)
        ]
    ).reshape(-1)
    return float(np.mean((p > 0.5) == (y == 1)))


def train(model, x, y, x_val, y_val, *, epochs, batch_size=CONFIG.batch_size, seed=0, target=None):
    """Fit ``model`` with seeded shuffling; returns the history (a dict of per-epoch lists).

    Stops early once the validation accuracy reaches ``target`` (if given).
    ``history["seconds"]`` is the wall time of the whole fit. TensorFlow's op
    determinism is turned on, so the same call gives the same numbers.

    The data go through a ``tf.data`` pipeline built here (Keras' own pipeline
    for NumPy arrays makes TensorFlow print a spurious error line when op
    determinism is on).
    """
    import keras
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(seed)
    y = np.asarray(y, dtype="float32").reshape(-1, 1)
    y_val = np.asarray(y_val, dtype="float32").reshape(-1, 1)
    data = (
        tf.data.Dataset.from_tensor_slices((x, y))
        .shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
    )
    val = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(1000)

    class StopAtTarget(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if target is not None and logs and logs.get("val_accuracy", 0.0) >= target:
                self.model.stop_training = True

    start = time.perf_counter()
    fit = model.fit(
        data,
        validation_data=val,
        epochs=epochs,
        verbose=0,
        shuffle=False,
        callbacks=[StopAtTarget()],
    )
    history = {k: [float(v) for v in vals] for k, vals in fit.history.items()}
    history["seconds"] = time.perf_counter() - start
    return history


# ------------------------------------------------------------- experiments
def memory_task_data(T, seed, config=CONFIG, **task_options):
    """Training and validation sets of the memory task for one run: ``(x, y, x_val, y_val)``.

    The data depend only on ``(seed, T)`` (and the config), never on the model,
    so every model of a sweep sees the same sequences.
    """
    options = dict(
        n_filler=config.n_filler,
        distractor_rate=config.distractor_rate,
        cue_window=config.cue_window,
    )
    options.update(task_options)
    x, y = make_memory_task(config.n_train, T, seed=np.random.default_rng([seed, T, 0]), **options)
    x_val, y_val = make_memory_task(
        config.n_val, T, seed=np.random.default_rng([seed, T, 1]), **options
    )
    return x, y, x_val, y_val


def run_experiment(
    model, T, seed, *, config=CONFIG, update_gate_bias="default", return_model=False
):
    """Train one model (a name of :data:`MODELS`) at length ``T`` with ``seed``.

    ``update_gate_bias`` overrides the model's (for the update-gate bias experiment).
    Returns a row: ``{"model", "T", "seed", "update_gate_bias", "val_accuracy"`` (after
    the last epoch run), ``"epochs"`` (run), ``"seconds", "val_curve"}``; with
    ``return_model=True`` the pair ``(row, keras_model)``.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {list(MODELS)}, got {model!r}")
    options = dict(MODELS[model])
    if update_gate_bias != "default":
        if options["kind"] != "gru":
            raise ValueError(f"{model} has no update gate")
        options["update_gate_bias"] = update_gate_bias
    x, y, x_val, y_val = memory_task_data(T, seed, config)
    keras_model = build_classifier(
        T=T,
        D=config.D,
        units=config.units,
        seed=seed,
        learning_rate=config.learning_rate,
        clipnorm=config.clipnorm,
        **options,
    )
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
    )
    bias = options.get("update_gate_bias")
    row = {
        "model": model,
        "T": int(T),
        "seed": int(seed),
        "update_gate_bias": bias if (bias is None or isinstance(bias, str)) else float(bias),
        "val_accuracy": history["val_accuracy"][-1],
        "epochs": len(history["val_accuracy"]),
        "seconds": round(history["seconds"], 2),
        "val_curve": [round(a, 4) for a in history["val_accuracy"]],
    }
    return (row, keras_model) if return_model else row


def run_masking_experiment(
    *, T, min_length, padding="post", seed=0, model="gru", config=CONFIG, masks=(True, False)
):
    """Train the same classifier on padded sequences (lengths ``min_length .. T``),
    with a ``Masking`` layer and without one.

    Returns ``{True: (row, keras_model), False: (row, keras_model)}`` keyed by
    ``mask`` (rows as in :func:`run_experiment`, plus ``"mask"``), and the data
    under ``"data"``: ``(x, y, x_val, y_val, mask_val)``.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {list(MODELS)}, got {model!r}")
    x, y, x_val, y_val = memory_task_data(T, seed, config, min_length=min_length, padding=padding)
    results = {"data": (x, y, x_val, y_val, x_val.any(axis=-1))}
    for mask in masks:
        keras_model = build_classifier(
            T=T,
            D=config.D,
            units=config.units,
            seed=seed,
            mask=mask,
            learning_rate=config.learning_rate,
            clipnorm=config.clipnorm,
            **MODELS[model],
        )
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
        )
        row = {
            "model": model,
            "T": int(T),
            "min_length": int(min_length),
            "padding": padding,
            "seed": int(seed),
            "mask": bool(mask),
            "val_accuracy": history["val_accuracy"][-1],
            "epochs": len(history["val_accuracy"]),
            "seconds": round(history["seconds"], 2),
            "val_curve": [round(a, 4) for a in history["val_accuracy"]],
        }
        results[mask] = (row, keras_model)
    return results


def run_sweep(lengths, seeds, models=tuple(MODELS), *, config=CONFIG, log=print, done=()):
    """Train every model at every length with every seed; a list of rows (see :func:`run_experiment`).

    Rows in ``done`` (from an earlier run with the same config) are kept, not recomputed.
    """
    known = {(r["model"], r["T"], r["seed"]): r for r in done}
    rows = []
    for T in lengths:
        for seed in seeds:
            for model in models:
                if (model, T, seed) in known:
                    rows.append(known[(model, T, seed)])
                    continue
                row = run_experiment(model, T, seed, config=config)
                rows.append(row)
                if log:
                    log(
                        f"{model:<11s} T={T:<4d} seed={seed}  val_accuracy={row['val_accuracy']:.3f}"
                        f"  epochs={row['epochs']:<3d} {row['seconds']:.1f} s"
                    )
    return rows


def summarize(rows, key="model"):
    """``{name: {T: (mean, min, max) of val_accuracy}}`` over seeds, for rows of a sweep."""
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
    path.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    return path


def load_results(name, directory=None):
    """The shipped results ``name`` (``"length_sweep"`` or ``"update_gate_bias"``): the dict
    :func:`save_results` wrote, with ``"config"`` turned back into a :class:`TrainingConfig`."""
    directory = Path(directory) if directory is not None else DATA_DIR
    path = directory / f"{name}.json"
    if not path.exists():
        available = sorted(p.stem for p in directory.glob("*.json"))
        raise FileNotFoundError(f"no results named {name!r} in {directory}; found {available}")
    payload = json.loads(path.read_text(encoding="utf-8"))
    payload["config"] = replace(CONFIG, **payload["config"])
    return payload


def load_trained_classifier(path=None):
    """The trained GRU classifier the course ships, without TensorFlow.

    Returns ``(classifier, metadata)``: a :class:`gru_lesson.classifier.GRUClassifier`
    (``classifier.gru`` the NumPy GRU, ``classifier.V`` and ``classifier.c`` the
    dense output layer) and a dict saying how it was trained (task options,
    ``T``, ``units``, validation accuracy, Keras version).
    """
    from gru_lesson.classifier import GRUClassifier

    path = Path(path) if path is not None else DATA_DIR / "trained_gru_classifier.npz"
    classifier = GRUClassifier.load_npz(path)
    with np.load(path, allow_pickle=False) as f:
        if "metadata" not in f.files:
            raise ValueError(f"{path} holds no training metadata (a 'metadata' entry)")
        metadata = json.loads(str(f["metadata"]))
    return classifier, metadata
