"""Experiments with the course's Keras classifiers, and the results the course ships (notebook 04).

A run trains one model of :data:`MODELS` at one length with one seed
(:func:`run_experiment`), on data that depend only on the length and the seed
(:func:`train_val_sets`); :func:`run_sweep` runs many, :func:`summarize` tables
them, :func:`run_masking_experiment` trains on padded sequences with and without
a mask. The models and their training are :mod:`gru_lesson.training`'s.

Shipped results
---------------
``scripts/sweep_lengths.py`` runs :data:`FULL_SWEEP` and
:data:`UPDATE_BIAS_EXPERIMENT` once and writes ``gru_lesson/data/length_sweep.json``
and ``update_gate_bias.json``; ``scripts/long_memory_recipes.py`` writes
``long_memory_recipes.json``; :func:`load_results` reads them. ``scripts/train_reference_model.py``
writes ``gru_lesson/data/trained_gru_classifier.npz``;
:func:`gru_lesson.trained.load_trained_classifier` reads it without TensorFlow.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from gru_lesson.progress import MODES, ProgressLine
from gru_lesson.tasks import make_memory_task
from gru_lesson.training import (
    CONFIG,
    LONG_MEMORY,
    TrainingConfig,
    accuracy,
    build_classifier,
    chrono_bias,
    train,
)
from gru_lesson.validation import check_choice, check_flag, check_int, check_list, check_number

__all__ = [
    "DATA_DIR",
    "MODELS",
    "SHOWCASE_T",
    "FULL_SWEEP",
    "QUICK_SWEEP",
    "UPDATE_BIAS_EXPERIMENT",
    "MASKING_EXPERIMENT",
    "REFERENCE_MODEL",
    "build_model",
    "load_results",
    "train_val_sets",
    "run_experiment",
    "run_line",
    "run_masking_experiment",
    "run_sweep",
    "save_results",
    "summarize",
]

DATA_DIR = Path(__file__).resolve().parent / "data"

#: The length at which the course shows the GRU remembering and the SimpleRNN not.
SHOWCASE_T = 50


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


def _check_config(config):
    if not isinstance(config, TrainingConfig):
        raise TypeError(f"config must be a TrainingConfig, got {type(config).__name__} {config!r}")
    return config


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
    """Train one model (a name of :data:`MODELS`) at length ``T`` with ``seed``; returns a row.

    The row: ``{"model", "T", "seed", "update_gate_bias", "val_accuracy"`` (after the last
    epoch run), ``"epochs"`` (run), ``"seconds", "val_curve"}``, and with a staged config
    (:attr:`TrainingConfig.staged`, such as :data:`LONG_MEMORY`: see :func:`_train_in_stages`)
    ``"stage_curve"`` (the length trained on at each epoch) and ``"stage_accuracy"``.
    ``update_gate_bias`` overrides the model's (for the update-gate bias experiment);
    ``return_model=True`` returns ``(row, keras_model)``; ``progress``: see :func:`train`.
    """
    T = _check_run(model, T, config)
    check_choice("progress", progress, (*MODES, None))
    data = train_val_sets(T, seed, config)
    bias = _model_options(model, update_gate_bias).get("update_gate_bias")
    if not (bias is None or isinstance(bias, str)):  # numbers, as JSON writes them
        bias = np.asarray(bias, float).tolist()
    row = {"model": model, "T": T, "seed": int(seed), "update_gate_bias": bias}
    row, keras_model = _build_and_train(
        row, config, data, update_gate_bias=update_gate_bias, progress=progress
    )
    return (row, keras_model) if return_model else row


def build_model(model, T, seed, *, config=CONFIG, update_gate_bias="default", mask=False):
    """The compiled, untrained Keras classifier :func:`run_experiment` trains: ``model`` (a name
    of :data:`MODELS`) for length ``T`` (any length with a staged config), as big and compiled
    as ``config`` says, its starting weights fixed by ``seed``. ``update_gate_bias`` overrides
    the model's; ``mask=True`` puts ``Masking(0.0)`` first."""
    T = _check_run(model, T, config)
    options = _model_options(model, update_gate_bias)
    bias = options.get("update_gate_bias")
    if isinstance(bias, str) and bias == "chrono":  # spans up to chrono_T_max, else up to T
        options["update_gate_bias"] = chrono_bias(config.units, config.chrono_T_max or T, seed=seed)
    return build_classifier(
        T=None if config.staged else T,
        D=config.D,
        units=config.units,
        seed=seed,
        mask=mask,
        learning_rate=config.learning_rate,
        clipnorm=config.clipnorm,
        **options,
    )


def _check_run(model, T, config):
    check_choice("model", model, tuple(MODELS))
    _check_config(config)
    return check_int("T (sequence length)", T, minimum=2)


def _model_options(model, update_gate_bias="default"):
    """The arguments of :func:`build_classifier` for ``model``, with ``update_gate_bias``
    unless it is ``"default"``."""
    options = dict(MODELS[model])
    if not (isinstance(update_gate_bias, str) and update_gate_bias == "default"):
        if options["kind"] != "gru":
            raise ValueError(f"{model} has no update gate")
        options["update_gate_bias"] = update_gate_bias
    return options


def _build_and_train(row, config, data, *, update_gate_bias="default", mask=False, progress="auto"):
    """Build ``row["model"]`` (:func:`build_model`) and train it on ``data = (x, y, x_val, y_val)``
    as ``config`` says (see :func:`_train_in_stages`): ``(row with the curves, keras_model)``."""
    model, T, seed = row["model"], row["T"], row["seed"]
    keras_model = build_model(
        model, T, seed, config=config, update_gate_bias=update_gate_bias, mask=mask
    )
    x, y, x_val, y_val = data
    label = f"{model} T={T} seed {seed}" + (" with mask" if mask else "")
    if config.staged:
        history = _train_in_stages(keras_model, T, seed, config, x_val, y_val, progress, label)
    else:
        fit = dict(epochs=config.epochs, batch_size=config.batch_size, target=config.target)
        history = train(
            keras_model, x, y, x_val, y_val, seed=seed, progress=progress, label=label, **fit
        )
    curve = history["val_accuracy"]
    row = dict(row, val_accuracy=curve[-1], epochs=len(curve), seconds=round(history["seconds"], 2))
    row["val_curve"] = [round(a, 4) for a in curve]
    if config.staged:
        row["stage_curve"] = history["stage_T"]
        row["stage_accuracy"] = [round(a, 4) for a in history["stage_accuracy"]]
    return row, keras_model


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
    k, x, held_out = 0, None, {T: (x_val, y_val)}
    for epoch in range(config.epochs):
        T_k = stages[k]
        if config.fresh_data or x is None or x.shape[1] != T_k:
            key = [seed, T, T_k, 3] + ([epoch] if config.fresh_data else [])
            x, y = make_memory_task(config.n_train, T_k, seed=np.random.default_rng(key), **task)
        if T_k not in held_out:
            rng = np.random.default_rng([seed, T_k, 2])
            held_out[T_k] = make_memory_task(config.n_val // 2, T_k, seed=rng, **task)
        once = dict(epochs=1, batch_size=config.batch_size, seed=seed * 1000 + epoch, progress=None)
        fit = train(model, x, y, *held_out[T_k], **once)
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

    Returns ``{True: (row, keras_model), False: (row, keras_model)}`` keyed by ``mask`` (rows
    as in :func:`run_experiment`, plus ``"mask"``), and the data under ``"data"``:
    ``(x, y, x_val, y_val, mask_val)``. ``progress``: see :func:`train`.
    """
    check_choice("model", model, tuple(MODELS))
    masks = check_list("masks", masks, check_flag)
    check_choice("progress", progress, (*MODES, None))
    x, y, x_val, y_val = train_val_sets(T, seed, config, min_length=min_length, padding=padding)
    results = {"data": (x, y, x_val, y_val, x_val.any(axis=-1))}
    row = dict(model=model, T=int(T), min_length=int(min_length), padding=padding, seed=int(seed))
    for mask in masks:
        results[mask] = _build_and_train(
            {**row, "mask": bool(mask)}, config, (x, y, x_val, y_val), mask=mask, progress=progress
        )
    return results


def run_sweep(lengths, seeds, models=tuple(MODELS), *, config=CONFIG, log=print, done=()):
    """Train every model at every length with every seed; a list of rows (see :func:`run_experiment`).

    Rows in ``done`` (from an earlier run with the same config) are kept, not recomputed.
    """
    lengths = check_list("lengths", lengths, check_int, "each of lengths (T)", minimum=2)
    seeds = check_list("seeds", seeds, check_int, minimum=0)
    models = check_list("models", models, check_choice, choices=tuple(MODELS))
    _check_config(config)
    if log is not None and not callable(log):
        raise TypeError(f"log must be a function such as print, or None, got {log!r}")
    for i, row in enumerate(check_list("done", done)):
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
    for i, row in enumerate(check_list("rows", rows)):
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
    path = _results_path(name, directory)
    _check_config(config)
    try:  # NumPy numbers become plain ones; NaN and infinity are not JSON
        json.dumps({"rows": rows, **meta}, allow_nan=False, default=_plain)
    except ValueError as error:
        raise ValueError(f"rows and meta must hold finite numbers only: {error}") from None
    import keras

    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "experiment": experiment,
        "config": asdict(config),
        "keras_version": keras.__version__,
        **meta,
        "rows": rows,
    }
    path.write_text(json.dumps(payload, indent=1, default=_plain) + "\n", encoding="utf-8")
    return path


def load_results(name, directory=None):
    """The shipped results ``name`` (``"length_sweep"``, ``"update_gate_bias"`` or
    ``"long_memory_recipes"``): the dict :func:`save_results` wrote, with ``"config"`` turned
    back into a :class:`TrainingConfig`."""
    path = _results_path(name, directory)
    if not path.exists():
        available = sorted(p.stem for p in path.parent.glob("*.json"))
        raise FileNotFoundError(f"no results named {name!r} in {path.parent}; found {available}")
    payload = json.loads(path.read_text(encoding="utf-8"))
    payload["config"] = replace(CONFIG, **payload["config"])
    return payload


def _results_path(name, directory):
    """``<directory>/<name>.json`` (default :data:`DATA_DIR`), for a plain file name ``name``."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a string such as 'length_sweep', got {name!r}")
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        raise ValueError(f"name must be a plain file name such as 'length_sweep', got {name!r}")
    return Path(directory if directory is not None else DATA_DIR) / f"{name}.json"


def _plain(value):
    """A NumPy number or array as plain Python numbers (for JSON)."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} {value!r} cannot be written as JSON")
