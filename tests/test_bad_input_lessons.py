"""Bad and unusual calls to the lesson modules, one table: each either works or says why not.

Every public name of :mod:`gru_lesson.tasks`, ``training``, ``experiments``, ``trained``, ``gates``,
``explorer``, ``handset``, ``progress``, ``env_check`` and ``cell_diagram`` (and every public method of their
classes, and every control a student can set in the widgets) has rows here. A
row is a call and what it must give:

* ``raises(Error, "pattern")``: that exception, whose message matches the
  pattern (it names the argument, what it must be, or what came);
* ``works(check)``: a result for which ``check(result)`` is true (float32,
  lists, 0-d arrays, empty batches: valid input must work);
* ``message("pattern")``: for a widget, a message in the view's message line
  (never a traceback), matching the pattern.

:func:`outcome` names what a call did instead (an obscure traceback, a silent
NaN/inf, a silent wrong result, a crash on valid input), so a failing row says
which. Training functions are checked without training: their rows run with
model building and fitting replaced by a failure, so the check must fire first.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import re
import shutil
import tempfile
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from unittest import mock

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from gru_lesson import (  # noqa: E402
    cell_diagram,
    env_check,
    experiments,
    explorer,
    gates,
    handset,
    progress,
    runtime,
    tasks,
    trained,
    training,
)
from gru_lesson.explorer._widgets import Widget  # noqa: E402
from gru_lesson.gru import GRU  # noqa: E402

MODULES = {
    "tasks": tasks,
    "training": training,
    "experiments": experiments,
    "trained": trained,
    "gates": gates,
    "explorer": explorer,
    "handset": handset,
    "progress": progress,
    "env_check": env_check,
    "runtime": runtime,
    "cell_diagram": cell_diagram,
}

#: Public names that are data, not calls.
CONSTANTS = {
    "runtime.QUIET_TENSORFLOW",
    "runtime.SUPPORTED_PYTHON",
    "tasks.A",
    "tasks.B",
    "experiments.DATA_DIR",
    "experiments.MODELS",
    "experiments.SHOWCASE_T",
    "experiments.FULL_SWEEP",
    "experiments.QUICK_SWEEP",
    "experiments.UPDATE_BIAS_EXPERIMENT",
    "experiments.MASKING_EXPERIMENT",
    "experiments.REFERENCE_MODEL",
    "training.CONFIG",
    "training.LONG_MEMORY",
    "explorer.PLAYGROUND_SLIDERS",
    "progress.MODES",
}

NAN, INF = float("nan"), float("inf")


# ===================================================================== expectations
@dataclasses.dataclass
class Expect:
    error: type | tuple | None = None
    match: str = ""
    check: object = None
    message: str | None = None

    def __repr__(self):
        if self.error is not None:
            return f"raises {getattr(self.error, '__name__', self.error)} /{self.match}/"
        return "message" if self.message is not None else "works"


def raises(error, match):
    return Expect(error=error, match=match)


def works(check=lambda result: True):
    return Expect(check=check)


def message(match):
    return Expect(message=match)


def _numbers(value, depth=0):
    """Every float in ``value`` (arrays, scalars, containers, dataclasses), for the NaN scan."""
    if depth > 4:
        return
    if isinstance(value, np.ndarray) and value.dtype.kind in "fc":
        yield from value.ravel()[:100_000]
    elif isinstance(value, (float, np.floating)):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v, depth + 1)
    elif isinstance(value, (list, tuple)):
        for v in value[:1000]:
            yield from _numbers(v, depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _numbers(getattr(value, field.name), depth + 1)
    elif hasattr(value, "figure"):  # a widget view: the numbers on screen
        yield from _numbers(getattr(value, "view", getattr(value, "data", None)), depth + 1)


def has_nonfinite(value):
    return any(not np.isfinite(v) for v in _numbers(value))


def outcome(lesson, call, expect):
    """``("right", detail)`` or what went wrong: ``"obscure traceback"``,
    ``"silent NaN/inf"``, ``"silent wrong result"`` or ``"crash on valid input"``."""
    try:
        result = call(lesson)
    except Exception as error:  # noqa: BLE001 - every exception is judged here
        said = f"{type(error).__name__}: {error}"
        if expect.error is None:
            return ("crash on valid input" if expect.message is None else "obscure traceback"), said
        if isinstance(error, expect.error) and re.search(expect.match, str(error)):
            return "right", said
        return "obscure traceback", said
    silent = "silent NaN/inf" if has_nonfinite(result) else "silent wrong result"
    if expect.error is not None:
        return silent, repr(result)[:300]
    if expect.message is not None:
        text = result.message_text
        if text and re.search(expect.message, text):
            return "right", text
        return ("obscure traceback", text) if text else (silent, "no message")
    try:
        ok = bool(expect.check(result))
    except Exception as error:  # noqa: BLE001
        ok, result = False, f"the check failed: {type(error).__name__}: {error}"
    return ("right", "") if ok else (silent, repr(result)[:300])


# ======================================================================= the lesson
def _forbidden(*args, **kwargs):
    raise AssertionError("a model was built or trained before the arguments were checked")


@contextmanager
def no_training():
    """Building or fitting a Keras model fails: the argument checks must come first."""
    import keras

    with (
        mock.patch.object(keras, "Sequential", _forbidden),
        mock.patch.object(keras.Model, "fit", _forbidden),
    ):
        yield


class Lesson:
    """What the calls need, each built once, on first use."""

    @cached_property
    def classifier(self):
        return trained.load_trained_classifier()[0]

    @cached_property
    def batch(self):
        """``(x, y, x_flipped, cue_start)``: 40 sequences of 20 steps."""
        return gates.cue_flip_batch(40, 20, seed=1)

    @cached_property
    def trace(self):
        return self.classifier.gru.trace(self.batch[0])

    @cached_property
    def gate_data(self):
        return explorer.gate_data(self.classifier, "..AB.-A..B", step=4)

    @cached_property
    def explorer(self):
        return explorer.GateExplorer(self.classifier, n_sequences=3, T=20)

    @cached_property
    def playground(self):
        return explorer.HandsetPlayground()

    @cached_property
    def saturation(self):
        return explorer.SaturationExplorer(self.classifier, T=20)

    @cached_property
    def cell(self):
        """``(gru, x, trace)``: a GRU of 3 units on 2 features, random biases, 2 sequences of 5 steps."""
        rng = np.random.default_rng(0)
        plain = GRU.initialize(2, 3, seed=0)
        gru = GRU(plain.W, plain.R, rng.normal(size=9), rng.normal(size=9))
        x = rng.normal(size=(2, 5, 2))
        return gru, x, gru.trace(x, initial_state=rng.uniform(-1, 1, size=(2, 3)))

    @cached_property
    def keras_model(self):
        import keras

        keras.utils.set_random_seed(0)
        return keras.Sequential(
            [
                keras.Input((8, 4)),
                keras.layers.GRU(3, name="gru"),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )

    @cached_property
    def keras_model_for_training(self):
        """A compiled copy of ``keras_model``, for the calls that train."""
        import keras

        model = keras.models.clone_model(self.keras_model)
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        return model

    @cached_property
    def keras_gru(self):
        return self.keras_model.get_layer("gru")

    @cached_property
    def data(self):
        """A tiny training set that fits ``keras_model``: ``(x, y, x_val, y_val)``."""
        x, y = tasks.make_memory_task(8, 8, seed=0)
        x_val, y_val = tasks.make_memory_task(4, 8, seed=1)
        return x, y, x_val, y_val

    @cached_property
    def tmp(self):
        return Path(tempfile.mkdtemp(prefix="gru-lesson-"))

    @cached_property
    def tiny(self):
        return dataclasses.replace(
            training.CONFIG, units=2, n_train=16, n_val=8, epochs=1, batch_size=8, target=None
        )

    def fresh_explorer(self):
        view = self.explorer
        view.sequence.value = 0
        view.text.value = view.bank[0]
        view.message.value = ""
        return view


def rows(seq):
    """A typed sequence as the one-hot array the task makes."""
    return explorer.parse_sequence(seq, 4)


def one_hot(*symbols, D=4):
    return np.eye(D)[list(symbols)]


def is_shape(*shape):
    return lambda r: np.shape(r) == shape


def redrawn(view):
    """A widget view after a valid change: no message, and finite numbers on screen."""
    shown = view.data
    return view.message_text == "" and not has_nonfinite(shown)


def untrained(call):
    """``call(lesson)`` with Keras model building and fitting forbidden."""

    def run(lesson):
        _ = lesson.keras_model_for_training  # built here, where building is allowed
        with no_training():
            return call(lesson)

    return run


def set_value(view_name, control, value):
    """Set a widget control as a student would; returns the view."""

    def run(lesson):
        view = getattr(lesson, view_name)
        widget = getattr(view, control) if isinstance(control, str) else control(view)
        widget.value = value
        return view

    return run


def then_reset(view_name, control, value, valid):
    """Set a control, then put a valid value back (so the next row starts clean)."""

    def run(lesson):
        view = set_value(view_name, control, value)(lesson)
        text = view.message_text
        set_value(view_name, control, valid)(lesson)
        return _Shown(text, view)

    return run


@dataclasses.dataclass
class _Shown:
    """The message a view showed right after a bad value (before it was put back)."""

    message_text: str
    view: object

    @property
    def figure(self):
        return self.view.figure


# ============================================================================ table
def c(where, call, expect, label=""):
    return (where, label, call, expect)


def _cases():
    mmt = tasks.make_memory_task
    cases = []
    add = cases.append
    # ------------------------------------------------------------------- tasks
    for label, kwargs, expect in [
        ("n=0 is an empty batch", dict(n=0), works(lambda r: r[0].shape == (0, 10, 4))),
        ("n=-1", dict(n=-1), raises(ValueError, r"n .*at least 0.*-1")),
        ("n=True", dict(n=True), raises(TypeError, r"n .*integer.*True")),
        ("n=2.5", dict(n=2.5), raises(TypeError, r"n .*integer")),
        ("n='5'", dict(n="5"), raises(TypeError, r"n .*integer")),
        ("n=4.0", dict(n=4.0), works(lambda r: r[0].shape == (4, 10, 4))),
        ("n=np.int64", dict(n=np.int64(3)), works(lambda r: r[0].shape == (3, 10, 4))),
        ("n=0-d array", dict(n=np.array(3)), works(lambda r: r[0].shape == (3, 10, 4))),
        ("T=0", dict(T=0), raises(ValueError, r"T .*at least")),
        ("T=5 (< cue_window+1)", dict(T=5), raises(ValueError, r"T .*cue_window")),
        ("T=nan", dict(T=NAN), raises((TypeError, ValueError), r"T .*integer")),
        ("T=True", dict(T=True), raises(TypeError, r"T .*integer")),
        ("seed=None", dict(seed=None), raises(TypeError, r"seed")),
        ("seed='a'", dict(seed="a"), raises(TypeError, r"seed")),
        ("seed=-1", dict(seed=-1), raises(ValueError, r"seed.*-1")),
        ("seed=1.5", dict(seed=1.5), raises(TypeError, r"seed")),
        ("n_filler=0", dict(n_filler=0), raises(ValueError, r"n_filler")),
        ("n_filler=True", dict(n_filler=True), raises(TypeError, r"n_filler")),
        ("distractor_rate=nan", dict(distractor_rate=NAN), raises(ValueError, r"distractor_rate")),
        ("distractor_rate=1.5", dict(distractor_rate=1.5), raises(ValueError, r"distractor_rate")),
        ("distractor_rate=-0.1", dict(distractor_rate=-0.1), raises(ValueError, "distractor_rate")),
        (
            "distractor_rate='0.2'",
            dict(distractor_rate="0.2"),
            raises(TypeError, "distractor_rate"),
        ),
        ("distractor_rate=True", dict(distractor_rate=True), raises(TypeError, "distractor_rate")),
        (
            "distractor_rate=0-d array",
            dict(distractor_rate=np.array(0.0)),
            works(lambda r: (r[0][:, 7:, :2].sum(-1) == 0).all()),
        ),
        ("cue_window=0", dict(cue_window=0), raises(ValueError, r"cue_window")),
        ("min_length=0", dict(min_length=0), raises(ValueError, r"min_length")),
        ("min_length=11 > T", dict(min_length=11), raises(ValueError, r"min_length.*T")),
        ("min_length=7.5", dict(min_length=7.5), raises(TypeError, r"min_length")),
        ("padding='left'", dict(padding="left"), raises(ValueError, r"padding.*'post'")),
        ("padding=None", dict(padding=None), raises(ValueError, r"padding")),
        ("labels of 2", dict(labels=[0, 1, 2, 1]), raises(ValueError, r"labels.*0 and 1")),
        ("labels NaN", dict(labels=[0, 1, NAN, 1]), raises(ValueError, r"labels")),
        ("labels too few", dict(labels=[0, 1]), raises(ValueError, r"labels.*4")),
        ("labels text", dict(labels="0101"), raises((TypeError, ValueError), r"labels")),
        ("labels ragged", dict(labels=[[0], [1, 0]]), raises((TypeError, ValueError), r"labels")),
        ("labels 0.5", dict(labels=[0.5, 1, 0, 1]), raises(ValueError, r"labels.*0 and 1")),
        (
            "labels booleans",
            dict(labels=np.array([True, False, True, True])),
            works(lambda r: list(r[1]) == [1, 0, 1, 1]),
        ),
        (
            "labels float32 column",
            dict(labels=np.array([[1], [0], [0], [1]], np.float32)),
            works(lambda r: list(r[1]) == [1, 0, 0, 1]),
        ),
    ]:
        args = dict(n=4, T=10, seed=0)
        args.update(kwargs)
        add(c("tasks.make_memory_task", lambda L, a=args: mmt(**a), expect, label))
    add(
        c(
            "tasks.MemoryTaskInfo",
            lambda L: mmt(3, 12, seed=0, min_length=8, return_info=True)[2],
            works(lambda i: i.mask.shape == (3, 12) and (i.mask.sum(1) == i.lengths).all()),
            "made by make_memory_task",
        )
    )
    ca = tasks.chance_accuracy
    for label, y, expect in [
        ("None", None, raises(TypeError, r"y")),
        ("empty", [], raises(ValueError, r"y.*empty|no label")),
        ("labels of 2", [0, 2, 2, 2], raises(ValueError, r"y.*0 and 1")),
        ("NaN", [0, 1, NAN], raises(ValueError, r"y")),
        ("text", "0011", raises(TypeError, r"y")),
        ("2-D", np.zeros((2, 3)), raises(ValueError, r"y.*1-D")),
        ("list", [0, 1, 1], works(lambda r: r == pytest.approx(2 / 3))),
        ("float32 column", np.array([[1], [1], [1], [0]], np.float32), works(lambda r: r == 0.75)),
        ("booleans", np.array([True, False]), works(lambda r: r == 0.5)),
    ]:
        add(c("tasks.chance_accuracy", lambda L, y=y: ca(y), expect, label))
    tt = tasks.to_text
    for label, x, expect in [
        ("NaN step", np.array([[1, 0, 0], [NAN, 0, 0]]), raises(ValueError, r"finite")),
        ("inf step", np.array([[1, 0, 0], [0, INF, 0]]), raises(ValueError, r"finite")),
        ("two symbols at once", np.array([[1, 1, 0]]), raises(ValueError, r"one-hot")),
        ("a half", np.array([[0.5, 0, 0]]), raises(ValueError, r"one-hot")),
        ("negative", np.array([[-1.0, 0, 0]]), raises(ValueError, r"one-hot")),
        ("3-D", np.zeros((1, 3, 4)), raises(ValueError, r"\(T, D\)")),
        ("D=2", np.eye(2), raises(ValueError, r"D >= 3|at least 3")),
        ("D=11", np.eye(11), raises(ValueError, r"filler")),
        ("text", "AB", raises(TypeError, r"array|numbers")),
        ("None", None, raises(TypeError, r"array|numbers")),
        ("ragged", [[1, 0, 0], [1, 0]], raises(TypeError, r"array|numbers")),
        ("float32", one_hot(0, 1, 2, 3).astype(np.float32), works(lambda r: r == "AB.-")),
        ("list", one_hot(1, 0, 3).tolist(), works(lambda r: r == "BA-")),
        ("booleans", one_hot(0, 2).astype(bool), works(lambda r: r == "A.")),
        ("padding", np.array([[0, 1, 0, 0], [0, 0, 0, 0]]), works(lambda r: r == "B_")),
        ("no steps", np.zeros((0, 4)), works(lambda r: r == "")),
    ]:
        add(c("tasks.to_text", lambda L, x=x: tt(x), expect, label))

    # ------------------------------------------------------------------- gates
    lc = gates.label_correlation
    h4 = np.array([[0.1, 0.5], [0.2, -0.5], [0.3, 0.4], [0.1, -0.2]])
    y4 = [0, 1, 0, 1]
    for label, h, y, expect in [
        ("NaN state", np.where(np.eye(4, 2) > 0, NAN, h4), y4, raises(ValueError, r"h_T.*finite")),
        ("inf state", h4 + [[INF, 0], [0, 0], [0, 0], [0, 0]], y4, raises(ValueError, r"finite")),
        ("labels of 2", h4, [0, 2, 0, 2], raises(ValueError, r"y.*0 and 1")),
        ("NaN label", h4, [0, NAN, 0, 1], raises(ValueError, r"y")),
        ("one label only", h4, [1, 1, 1, 1], raises(ValueError, r"y.*both")),
        ("1 sequence", h4[:1], [1], raises(ValueError, r"at least 2")),
        ("too few labels", h4, [0, 1], raises(ValueError, r"4.*2|2.*4")),
        ("1-D h_T", h4[:, 0], y4, raises(ValueError, r"h_T.*2-D")),
        ("text", "h", y4, raises(TypeError, r"h_T")),
        ("ragged", [[1, 2], [3]], [0, 1], raises(TypeError, r"h_T")),
        (
            "float32 and a (n, 1) column",
            h4.astype(np.float32),
            np.array(y4)[:, None],
            works(lambda r: np.allclose(r, [np.corrcoef(h4[:, u], y4)[0, 1] for u in range(2)])),
        ),
        (
            "a constant unit",
            np.column_stack([h4[:, 0], np.ones(4)]),
            y4,
            works(lambda r: r[1] == 0 and abs(r[0]) > 0),
        ),
        ("no units", np.zeros((4, 0)), y4, works(is_shape(0))),
    ]:
        add(c("gates.label_correlation", lambda L, h=h, y=y: lc(h, y), expect, label))
    mtb = gates.cue_flip_batch
    for label, kwargs, expect in [
        ("n=0", dict(n=0), works(lambda r: r[0].shape == (0, 20, 4) == r[2].shape)),
        ("n=-3", dict(n=-3), raises(ValueError, r"n ")),
        ("T=1", dict(T=1), raises(ValueError, r"T ")),
        ("T=True", dict(T=True), raises(TypeError, r"T ")),
        ("seed='x'", dict(seed="x"), raises(TypeError, r"seed")),
        ("distractor_rate=2", dict(distractor_rate=2), raises(ValueError, r"distractor_rate")),
        ("n_filler=0", dict(n_filler=0), raises(ValueError, r"n_filler")),
        (
            "n=np.int64",
            dict(n=np.int64(6)),
            works(lambda r: (r[0] != r[2]).any(axis=(1, 2)).all() and r[0].dtype == np.float64),
        ),
    ]:
        args = dict(n=6, T=20, seed=0)
        args.update(kwargs)
        add(c("gates.cue_flip_batch", lambda L, a=args: mtb(**a), expect, label))
    mu = gates.memory_units
    for label, call, expect in [
        ("None", lambda L: mu(None), raises(TypeError, r"GRUClassifier")),
        ("a GRU", lambda L: mu(L.classifier.gru), raises(TypeError, r"GRUClassifier")),
        ("n=1", lambda L: mu(L.classifier, n=1), raises(ValueError, r"n .*at least 2")),
        ("n=0", lambda L: mu(L.classifier, n=0), raises(ValueError, r"n ")),
        ("n=True", lambda L: mu(L.classifier, n=True), raises(TypeError, r"n ")),
        ("T=3", lambda L: mu(L.classifier, T=3), raises(ValueError, r"T ")),
        ("seed=-1", lambda L: mu(L.classifier, seed=-1), raises(ValueError, r"seed")),
        (
            "output weights of zero",
            lambda L: mu(_with_output(L.classifier, V=0.0), n=20, T=20),
            raises(ValueError, r"logit|decision"),
        ),
        (
            "n=np.int64, T=20.0",
            lambda L: mu(L.classifier, n=np.int64(50), T=20.0),
            works(lambda r: r.n == 50 and np.isclose(r.share.sum(), 1) and r.T == 20),
        ),
    ]:
        add(c("gates.memory_units", call, expect, label))
    add(
        c(
            "gates.MemoryUnits",
            lambda L: mu(L.classifier, n=40, T=20),
            works(lambda r: len(r.ranking) == _units(r) and r.top in r.ranking),
            "made by memory_units",
        )
    )
    for name, fn in (("gates.cue_response", gates.cue_response), ("gates.hold_statistics", gates.hold_statistics)):  # fmt: skip
        for label, call, expect in [
            ("unit=16 (too big)", lambda L, f=fn: f(L.classifier, 16), raises(ValueError, r"unit")),
            ("unit=-1", lambda L, f=fn: f(L.classifier, -1), raises(ValueError, r"unit")),
            ("unit=1.5", lambda L, f=fn: f(L.classifier, 1.5), raises(TypeError, r"unit")),
            ("unit=True", lambda L, f=fn: f(L.classifier, True), raises(TypeError, r"unit")),
            ("unit='5'", lambda L, f=fn: f(L.classifier, "5"), raises(TypeError, r"unit")),
            ("None", lambda L, f=fn: f(None, 0), raises(TypeError, r"GRUClassifier")),
            ("n=1", lambda L, f=fn: f(L.classifier, 5, n=1), raises(ValueError, r"n .*2")),
            ("n=0", lambda L, f=fn: f(L.classifier, 5, n=0), raises(ValueError, r"n ")),
            ("T=2", lambda L, f=fn: f(L.classifier, 5, T=2), raises(ValueError, r"T ")),
            (
                "delay=-1",
                lambda L, f=fn: f(L.classifier, 5, delay=-1),
                raises(ValueError, r"delay"),
            ),
            (
                "delay past the end",
                lambda L, f=fn: f(L.classifier, 5, T=20, delay=30),
                raises(ValueError, r"delay"),
            ),
            (
                "delay=2.5",
                lambda L, f=fn: f(L.classifier, 5, delay=2.5),
                raises(TypeError, r"delay"),
            ),
            (
                "unit=np.int64, n=10",
                lambda L, f=fn: f(L.classifier, np.int64(5), n=10, T=20),
                works(lambda r: not has_nonfinite(r)),
            ),
        ]:
            add(c(name, call, expect, label))
    for label, settle, expect in [
        ("settle=nan", NAN, raises(ValueError, r"settle")),
        ("settle=1.5 (|h| < 1 always)", 1.5, raises(ValueError, r"settle")),
        ("settle=0", 0.0, raises(ValueError, r"settle")),
        ("settle='0.9'", "0.9", raises(TypeError, r"settle")),
        ("settle=0-d array", np.array(0.5), works(lambda r: not has_nonfinite(r))),
    ]:
        add(
            c(
                "gates.cue_response",
                lambda L, s=settle: gates.cue_response(L.classifier, 5, n=10, T=20, settle=s),
                expect,
                label,
            )
        )
    gs = gates.gate_saturation
    z = np.random.default_rng(0).uniform(size=(3, 5, 2))
    for label, call, expect in [
        ("NaN gate", lambda L: gs(np.where(z > 0.9, NAN, z)), raises(ValueError, r"gate.*finite")),
        ("a state, not a gate", lambda L: gs(2 * z - 1), raises(ValueError, r"gate.*\[0, 1\]")),
        ("2-D gate", lambda L: gs(z[0]), raises(ValueError, r"gate.*3-D")),
        ("text", lambda L: gs("z"), raises(TypeError, r"gate")),
        ("low=nan", lambda L: gs(z, low=NAN), raises(ValueError, r"low")),
        ("high=1", lambda L: gs(z, high=1.0), raises(ValueError, r"high")),
        ("low=True", lambda L: gs(z, low=True), raises(TypeError, r"low")),
        ("low above high", lambda L: gs(z, low=0.8, high=0.2), raises(ValueError, r"low.*high")),
        ("mask of ints", lambda L: gs(z, np.ones((3, 5), int)), raises(TypeError, r"mask")),
        ("mask shape", lambda L: gs(z, np.ones((5, 3), bool)), raises(ValueError, r"mask")),
        ("all masked", lambda L: gs(z, np.zeros((3, 5), bool)), raises(ValueError, r"mask")),
        ("no sequences", lambda L: gs(np.zeros((0, 5, 2))), raises(ValueError, r"no step")),
        (
            "low, high as 0-d arrays, float32 gate",
            lambda L: gs(z.astype(np.float32), low=np.array(0.3), high=np.float32(0.7)),
            works(
                lambda r: (
                    np.allclose(r[0], (z < 0.3).mean((0, 1)))
                    and np.allclose(r[1], (z > 0.7).mean((0, 1)))
                )
            ),
        ),
        (
            "a list",
            lambda L: gs(z.tolist()),
            works(lambda r: np.allclose(r[1], (z > 0.9).mean((0, 1)))),
        ),
    ]:
        add(c("gates.gate_saturation", call, expect, label))

    # ----------------------------------------------------------------- handset
    hg = handset.handset_gru
    for label, kwargs, expect in [
        ("W_z=nan", dict(W_z=NAN), raises(ValueError, r"W_z.*finite")),
        ("bx_z=inf", dict(bx_z=INF), raises(ValueError, r"bx_z.*finite")),
        ("bh_h NaN array", dict(bh_h=[NAN]), raises(ValueError, r"bh_h.*finite")),
        ("W_h=True", dict(W_h=True), raises(TypeError, r"W_h")),
        ("W_h='1'", dict(W_h="1"), raises(TypeError, r"W_h")),
        ("R_h ragged", dict(R_h=[[1, 2], [3]]), raises(TypeError, r"R_h")),
        ("R_z 3-D", dict(R_z=np.ones((1, 1, 1))), raises(ValueError, r"R_z")),
        ("W_z of 0 rows", dict(W_z=np.zeros((0, 2))), raises(ValueError, r"input_dim")),
        ("bx_r of 0 units", dict(bx_r=np.zeros(0)), raises(ValueError, r"units")),
        ("units=0", dict(units=0), raises(ValueError, r"units")),
        ("units=True", dict(units=True), raises(TypeError, r"units")),
        ("input_dim=-2", dict(input_dim=-2), raises(ValueError, r"input_dim")),
        ("input_dim=1.5", dict(input_dim=1.5), raises(TypeError, r"input_dim")),
        (
            "reset_after='no'",
            dict(reset_after="no"),
            raises((TypeError, ValueError), r"reset_after"),
        ),
        (
            "reset_after=None",
            dict(reset_after=None),
            raises((TypeError, ValueError), r"reset_after"),
        ),
        (
            "units=2.0, input_dim=np.int64(3)",
            dict(units=2.0, input_dim=np.int64(3)),
            works(lambda g: (g.input_dim, g.units) == (3, 2)),
        ),
        (
            "float32 and 0-d arrays",
            dict(W_h=np.float32(1.5), bx_z=np.array(2.0), R_h=np.ones((1, 1), np.float32)),
            works(lambda g: g.W[0, 2] == 1.5 and g.bx[0] == 2 and g.dtype == np.float64),
        ),
        ("lists", dict(W_z=[[1.0, 2.0]]), works(lambda g: list(g.W[0, :2]) == [1, 2])),
        (
            "reset_after=np.False_",
            dict(reset_after=np.False_),
            works(lambda g: g.reset_after is False and g.bh is None),
        ),
    ]:
        add(c("handset.handset_gru", lambda L, k=kwargs: hg(**k), expect, label))
    gp = handset.gate_params
    for label, call, expect in [
        ("None", lambda L: gp(None), raises(TypeError, r"GRU")),
        ("a dict", lambda L: gp({"W": np.ones((1, 3))}), raises(TypeError, r"GRU")),
        (
            "a GRU without bias",
            lambda L: gp(GRU(np.ones((2, 3)), np.ones((1, 3)))),
            works(lambda p: set(p) == {"W_z", "W_r", "W_h", "R_z", "R_r", "R_h"}),
        ),
        (
            "round trip",
            lambda L: hg(**gp(L.classifier.gru)),
            works(lambda g: np.array_equal(g.W, _shipped_W())),
        ),
    ]:
        add(c("handset.gate_params", call, expect, label))

    # ---------------------------------------------------------------- progress
    PL = progress.ProgressLine
    for label, call, expect in [
        ("total=-1", lambda L: PL(-1, mode="off"), raises(ValueError, r"total")),
        ("total='5'", lambda L: PL("5", mode="off"), raises(TypeError, r"total")),
        ("total=2.5", lambda L: PL(2.5, mode="off"), raises(TypeError, r"total")),
        ("total=nan", lambda L: PL(NAN, mode="off"), raises((TypeError, ValueError), r"total")),
        ("total=True", lambda L: PL(True, mode="off"), raises(TypeError, r"total")),
        ("mode='fancy'", lambda L: PL(3, mode="fancy"), raises(ValueError, r"mode")),
        ("mode=['off']", lambda L: PL(3, mode=["off"]), raises(ValueError, r"mode")),
        ("min_interval=-1", lambda L: PL(3, min_interval=-1), raises(ValueError, r"min_interval")),
        (
            "min_interval=nan",
            lambda L: PL(3, min_interval=NAN),
            raises(ValueError, r"min_interval"),
        ),
        ("max_lines=0", lambda L: PL(3, max_lines=0), raises(ValueError, r"max_lines")),
        ("total=0", lambda L: PL(0, mode="off"), works(lambda p: p.total == 0)),
        ("total=np.int64", lambda L: PL(np.int64(4), mode=None), works(lambda p: p.mode == "off")),
    ]:
        add(c("progress.ProgressLine", call, expect, label))
    for label, call, expect in [
        (
            "fraction=nan",
            lambda L: PL(3, mode="terminal").update(1, NAN),
            raises(ValueError, r"fraction"),
        ),
        (
            "fraction=2",
            lambda L: PL(3, mode="terminal").update(1, 2.0),
            raises(ValueError, r"fraction"),
        ),
        (
            "epoch='1'",
            lambda L: PL(3, mode="terminal").update("1", 0.5),
            raises(TypeError, r"epoch"),
        ),
        (
            "epoch=0",
            lambda L: PL(3, mode="terminal").update(0, 0.5),
            raises(ValueError, r"epoch"),
        ),
        (
            "text=None",
            lambda L: PL(3, mode="terminal").update(1, 0.5, None),
            raises(TypeError, r"text"),
        ),
        (
            "epoch=np.int64, fraction=0-d",
            lambda L: _progress_text(lambda p: p.update(np.int64(2), np.array(0.5), "ok")),
            works(lambda r: "epoch 2/3" in r),
        ),
    ]:
        add(c("progress.ProgressLine.update", call, expect, label))
    for label, call, expect in [
        ("epoch=4 of 3", lambda L: PL(3, mode="lines").end_epoch(4), raises(ValueError, r"epoch")),
        ("epoch=1.5", lambda L: PL(3, mode="lines").end_epoch(1.5), raises(TypeError, r"epoch")),
        ("text=3", lambda L: PL(3, mode="lines").end_epoch(1, 3), raises(TypeError, r"text")),
        (
            "lines",
            lambda L: _progress_text(lambda p: p.end_epoch(3, "done"), "lines"),
            works(lambda r: "epoch 3/3" in r and "done" in r),
        ),
    ]:
        add(c("progress.ProgressLine.end_epoch", call, expect, label))
    add(c("progress.ProgressLine.close", lambda L: _progress_text(lambda p: (p.update(1, 0.5, "a"), p.close())), works(lambda r: r.endswith("\n")), "terminal"))  # fmt: skip
    add(c("progress.detect_mode", lambda L: progress.detect_mode(), works(lambda m: m in progress.MODES)))  # fmt: skip

    # ----------------------------------------------------------------- runtime
    KEY = next(iter(runtime.QUIET_TENSORFLOW))
    for label, call, expect in [
        ("an empty dict", lambda L: runtime.quiet_tensorflow({}), works(lambda e: e == runtime.QUIET_TENSORFLOW)),
        ("a value set before is kept", lambda L: runtime.quiet_tensorflow({KEY: "0"}), works(lambda e: e[KEY] == "0" and len(e) == 2)),
        ("text", lambda L: runtime.quiet_tensorflow("env"), raises(TypeError, r"env")),
    ]:  # fmt: skip
        add(c("runtime.quiet_tensorflow", call, expect, label))
    add(c("runtime.supported_range", lambda L: runtime.supported_range("-"), works(lambda t: t == "3.10-3.13")))  # fmt: skip

    # --------------------------------------------------------------- env_check
    def pins(text):
        def run(L):
            path = L.tmp / "requirements.txt"
            path.write_text(text)
            return env_check.read_pins(path)

        return run

    for label, call, expect in [
        ("a range", pins("numpy>=1,<3\n"), raises(ValueError, r"numpy.*exact|pin")),
        ("no version", pins("numpy\n"), raises(ValueError, r"numpy.*exact|pin")),
        ("not a requirement", pins("???\n"), raises(ValueError, r"\?\?\?")),
        (
            "missing file",
            lambda L: env_check.read_pins(L.tmp / "nope.txt"),
            raises(FileNotFoundError, r"nope"),
        ),
        (
            "a marker that does not apply",
            pins('numpy==1.0; sys_platform == "nonesuch"\nscipy==1.2 # c\n'),
            works(lambda p: p == {"scipy": "1.2"}),
        ),
    ]:
        add(c("env_check.read_pins", call, expect, label))
    for label, call, expect in [
        (
            "missing file",
            lambda L: env_check.check_environment(L.tmp / "nope.txt"),
            raises(FileNotFoundError, r"requirements"),
        ),
        (
            "show='no'",
            lambda L: env_check.check_environment(show="no"),
            raises((TypeError, ValueError), r"show"),
        ),
        (
            "quiet",
            lambda L: env_check.check_environment(show=False),
            works(lambda r: len(r) > 3 and any(ch.ok for ch in r)),
        ),
    ]:
        add(c("env_check.check_environment", call, expect, label))
    PC = env_check.PackageCheck
    for label, call, expect in [
        ("name=None", lambda L: str(PC(None, "1.0", "1.0")), raises(TypeError, r"name")),
        (
            "wanted=1.0 (a number)",
            lambda L: str(PC("numpy", 1.0, "1.0")),
            raises(TypeError, r"wanted"),
        ),
        (
            "not installed",
            lambda L: str(PC("numpy", "1.0", None)),
            works(lambda s: s.startswith("FAIL") and "not installed" in s),
        ),
    ]:
        add(c("env_check.PackageCheck", call, expect, label))
    add(c("env_check.PackageCheck.ok", lambda L: (PC("x", "1.0", "1.0").ok, PC("x", "1.0", "1.0.1").ok), works(lambda r: r == (True, False))))  # fmt: skip

    # ---------------------------------------------------------------- training
    ugm = training.update_gate_memory
    for label, call, expect in [
        ("bias=nan", lambda L: ugm(NAN, 3), raises(ValueError, r"bias.*finite")),
        ("steps=nan", lambda L: ugm(0.0, NAN), raises(ValueError, r"steps.*finite")),
        ("steps=-1", lambda L: ugm(0.0, -1), raises(ValueError, r"steps")),
        ("steps='3'", lambda L: ugm(0.0, "3"), raises(TypeError, r"steps")),
        ("bias=None", lambda L: ugm(None, 3), raises(TypeError, r"bias")),
        ("bias=inf", lambda L: ugm(INF, 3), raises(ValueError, r"bias")),
        (
            "lists",
            lambda L: ugm([0.0, 1.0], [[1], [2]]),
            works(lambda r: r.shape == (2, 2) and r[1, 0] == 0.25),
        ),
        (
            "float32",
            lambda L: ugm(np.float32(0), np.arange(3, dtype=np.float32)),
            works(lambda r: np.allclose(r, [1, 0.5, 0.25])),
        ),
    ]:
        add(c("training.update_gate_memory", call, expect, label))
    cb = training.chrono_bias
    for label, call, expect in [
        ("units=0", lambda L: cb(0, 50, seed=0), raises(ValueError, r"units")),
        ("units=True", lambda L: cb(True, 50, seed=0), raises(TypeError, r"units")),
        ("units=2.5", lambda L: cb(2.5, 50, seed=0), raises(TypeError, r"units")),
        ("T_max=2", lambda L: cb(4, 2, seed=0), raises(ValueError, r"T_max")),
        ("T_max=inf", lambda L: cb(4, INF, seed=0), raises(ValueError, r"T_max")),
        ("T_max=nan", lambda L: cb(4, NAN, seed=0), raises(ValueError, r"T_max")),
        ("T_max='50'", lambda L: cb(4, "50", seed=0), raises(TypeError, r"T_max")),
        ("seed='x'", lambda L: cb(4, 50, seed="x"), raises(TypeError, r"seed")),
        ("seed=-1", lambda L: cb(4, 50, seed=-1), raises(ValueError, r"seed")),
        (
            "units=4.0, T_max=0-d",
            lambda L: cb(4.0, np.array(50), seed=0),
            works(lambda r: r.shape == (4,) and (r >= 0).all() and (r <= np.log(49)).all()),
        ),
    ]:
        add(c("training.chrono_bias", call, expect, label))
    sugb = training.set_update_gate_bias
    for label, call, expect in [
        ("bias=nan", lambda L: sugb(L.keras_gru, NAN), raises(ValueError, r"bias.*finite")),
        (
            "bias with inf",
            lambda L: sugb(L.keras_gru, [0, INF, 1]),
            raises(ValueError, r"bias.*finite"),
        ),
        ("bias='chrono'", lambda L: sugb(L.keras_gru, "chrono"), raises(TypeError, r"bias")),
        ("bias=True", lambda L: sugb(L.keras_gru, True), raises(TypeError, r"bias")),
        (
            "bias shape",
            lambda L: sugb(L.keras_gru, [1.0, 2.0]),
            raises(ValueError, r"bias.*\(3,\)"),
        ),
        ("not a layer", lambda L: sugb("gru", 1.0), raises(TypeError, r"keras.layers.GRU")),
        ("a layer not built", lambda L: sugb(_unbuilt_gru(), 1.0), raises(ValueError, r"built")),
        (
            "a 0-d array",
            lambda L: sugb(L.keras_gru, np.array(1.5)),
            works(lambda g: np.allclose(g.get_weights()[2][0, :3], 1.5)),
        ),
        (
            "a float32 list",
            lambda L: sugb(L.keras_gru, np.float32([1, 2, 3]).tolist()),
            works(lambda g: np.allclose(g.get_weights()[2][0, :3], [1, 2, 3])),
        ),
    ]:
        add(c("training.set_update_gate_bias", call, expect, label))
    bc = training.build_classifier
    for label, kwargs, expect in [
        ("T=0", dict(T=0), raises(ValueError, r"T ")),
        ("T=-5", dict(T=-5), raises(ValueError, r"T ")),
        ("T=2.5", dict(T=2.5), raises(TypeError, r"T ")),
        ("D=0", dict(D=0), raises(ValueError, r"D ")),
        ("D=True", dict(D=True), raises(TypeError, r"D ")),
        ("units=0", dict(units=0), raises(ValueError, r"units")),
        ("units='16'", dict(units="16"), raises(TypeError, r"units")),
        ("kind='transformer'", dict(kind="transformer"), raises(ValueError, r"kind")),
        ("learning_rate=-1", dict(learning_rate=-1), raises(ValueError, r"learning_rate")),
        ("learning_rate=0", dict(learning_rate=0), raises(ValueError, r"learning_rate")),
        ("learning_rate=nan", dict(learning_rate=NAN), raises(ValueError, r"learning_rate")),
        ("learning_rate='fast'", dict(learning_rate="fast"), raises(TypeError, r"learning_rate")),
        ("clipnorm=0", dict(clipnorm=0), raises(ValueError, r"clipnorm")),
        ("clipnorm=-1", dict(clipnorm=-1.0), raises(ValueError, r"clipnorm")),
        ("clipnorm=inf", dict(clipnorm=INF), raises(ValueError, r"clipnorm")),
        (
            "update_gate_bias=nan",
            dict(update_gate_bias=NAN),
            raises(ValueError, r"update_gate_bias.*finite"),
        ),
        (
            "update_gate_bias=inf",
            dict(update_gate_bias=INF),
            raises(ValueError, r"update_gate_bias.*finite"),
        ),
        (
            "update_gate_bias per unit, wrong size",
            dict(units=3, update_gate_bias=[1.0, 2.0]),
            raises(ValueError, r"update_gate_bias.*\(3,\)"),
        ),
        (
            "update_gate_bias='chronos'",
            dict(update_gate_bias="chronos"),
            raises(ValueError, r"update_gate_bias"),
        ),
        (
            "update_gate_bias=True",
            dict(update_gate_bias=True),
            raises(TypeError, r"update_gate_bias"),
        ),
        (
            "chrono with T=None",
            dict(T=None, update_gate_bias="chrono"),
            raises(ValueError, r"chrono.*T"),
        ),
        (
            "chrono with T=2",
            dict(T=2, update_gate_bias="chrono"),
            raises(ValueError, r"chrono.*T|T_max"),
        ),
        (
            "simple_rnn with a bias",
            dict(kind="simple_rnn", update_gate_bias=1.0),
            raises(ValueError, r"no update gate"),
        ),
        (
            "lstm with a bias",
            dict(kind="lstm", update_gate_bias="chrono"),
            raises(ValueError, r"no update gate"),
        ),
        ("mask='yes'", dict(mask="yes"), raises((TypeError, ValueError), r"mask")),
        ("seed=-1", dict(seed=-1), raises(ValueError, r"seed")),
        ("seed=1.5", dict(seed=1.5), raises(TypeError, r"seed")),
    ]:
        args = dict(T=8, D=4)
        args.update(kwargs)
        add(c("training.build_classifier", untrained(lambda L, a=args: bc(**a)), expect, label))
    add(
        c(
            "training.build_classifier",
            lambda L: bc(
                "gru",
                T=np.int64(6),
                D=4.0,
                units=np.int64(2),
                update_gate_bias=np.float32([0.5, 1.5]),
                learning_rate=np.float32(0.01),
                clipnorm=None,
            ),
            works(lambda m: np.allclose(m.get_layer("gru").get_weights()[2][0, :2], [0.5, 1.5])),
            "NumPy numbers, float32 biases, no clipping",
        )
    )
    add(c("training.build_classifier", lambda L: bc("lstm", T=None, D=4, units=2), works(lambda m: m.get_layer("lstm").unit_forget_bias and m.count_params() == 4 * (4 + 2 + 1) * 2 + 3), "an LSTM, any length"))  # fmt: skip
    bm = experiments.build_model
    for label, call, expect in [
        ("model='rnn'", lambda L: bm("rnn", 20, 0), raises(ValueError, r"model")),
        ("T=1", lambda L: bm("gru", 1, 0), raises(ValueError, r"T ")),
        ("config=dict", lambda L: bm("gru", 20, 0, config={}), raises(TypeError, r"config")),
        ("a bias for an LSTM", lambda L: bm("lstm", 20, 0, update_gate_bias=1.0), raises(ValueError, r"update gate")),
        (
            "chrono, staged: T_max is T",
            lambda L: bm("gru_chrono", np.int64(30), 2, config=training.LONG_MEMORY, mask=True),
            works(
                lambda m: m.input_shape == (None, None, 4)
                and m.layers[0].name == "masking"
                and np.allclose(m.get_layer("gru").get_weights()[2][0, :16], training.chrono_bias(16, 30, seed=2))
            ),
        ),
    ]:  # fmt: skip
        add(c("experiments.build_model", call, expect, label))
    finished = {"val_accuracy": 0.5, "epochs": 3, "seconds": 1.25}
    add(c("experiments.run_line", lambda L: experiments.run_line("gru T=20", finished, 0.0), works(lambda t: t.startswith("gru T=20  val_accuracy=0.500  epochs=3     1.2 s  (elapsed "))))  # fmt: skip
    kc = training.keras_classifier
    for label, call, expect in [
        ("kind='rnn'", lambda L: kc("rnn", 2, T=None, D=4), raises(ValueError, r"kind")),
        ("units=0", lambda L: kc("gru", 0, T=None, D=4), raises(ValueError, r"units")),
        ("D=2.5", lambda L: kc("gru", 2, T=None, D=2.5), raises(TypeError, r"D ")),
        ("mask='yes'", lambda L: kc("gru", 2, T=5, D=4, mask="yes"), raises(TypeError, r"mask")),
        (
            "float64, masked, a GRU option, not compiled",
            lambda L: kc(
                "gru", np.int64(2), T=None, D=4, mask=True, dtype="float64", reset_after=False
            ),
            works(
                lambda m: (
                    [layer.name for layer in m.layers] == ["masking", "gru", "output"]
                    and m.get_layer("gru").dtype == "float64"
                    and not m.get_layer("gru").reset_after
                    and not m.compiled
                )
            ),
        ),
    ]:
        add(c("training.keras_classifier", call, expect, label))
    acc = training.accuracy
    for label, call, expect in [
        (
            "x with NaN",
            lambda L: acc(L.keras_model, _nan_at(L.data[0]), L.data[1]),
            raises(ValueError, r"x.*finite"),
        ),
        (
            "labels of 2",
            lambda L: acc(L.keras_model, L.data[0], 2 * L.data[1]),
            raises(ValueError, r"y.*0 and 1"),
        ),
        (
            "labels too few",
            lambda L: acc(L.keras_model, L.data[0], L.data[1][:3]),
            raises(ValueError, r"y.*8"),
        ),
        (
            "x 2-D",
            lambda L: acc(L.keras_model, L.data[0][0], L.data[1]),
            raises(ValueError, r"x.*3-D"),
        ),
        (
            "x of other features",
            lambda L: acc(L.keras_model, L.data[0][..., :3], L.data[1]),
            raises(ValueError, r"x.*features|shape"),
        ),
        (
            "no sequences",
            lambda L: acc(L.keras_model, L.data[0][:0], L.data[1][:0]),
            raises(ValueError, r"x.*no sequence|empty"),
        ),
        (
            "batch_size=0",
            lambda L: acc(L.keras_model, *L.data[:2], batch_size=0),
            raises(ValueError, r"batch_size"),
        ),
        (
            "batch_size=True",
            lambda L: acc(L.keras_model, *L.data[:2], batch_size=True),
            raises(TypeError, r"batch_size"),
        ),
        (
            "lists, float labels",
            lambda L: acc(
                L.keras_model, L.data[0].tolist(), L.data[1].astype(float).tolist(), batch_size=3
            ),
            works(lambda r: 0 <= r <= 1 and r * 8 == int(r * 8)),
        ),
    ]:
        add(c("training.accuracy", call, expect, label))
    for label, kw, expect in [
        ("x with NaN", dict(x=_nan_at), raises(ValueError, r"x.*finite")),
        ("x_val with inf", dict(x_val=lambda x: x + INF), raises(ValueError, r"x_val.*finite")),
        ("labels of 2", dict(y=lambda y: 2 * y), raises(ValueError, r"y.*0 and 1")),
        (
            "y_val too long",
            dict(y_val=lambda y: np.concatenate([y, y])),
            raises(ValueError, r"y_val"),
        ),
        ("x of other length", dict(x=lambda x: x[:, :5]), raises(ValueError, r"x.*shape|steps")),
        (
            "no sequences",
            dict(x=lambda x: x[:0], y=lambda y: y[:0]),
            raises(ValueError, r"x.*no sequence|empty"),
        ),
        ("epochs=0", dict(epochs=0), raises(ValueError, r"epochs")),
        ("epochs=1.5", dict(epochs=1.5), raises(TypeError, r"epochs")),
        ("batch_size=0", dict(batch_size=0), raises(ValueError, r"batch_size")),
        ("seed='a'", dict(seed="a"), raises(TypeError, r"seed")),
        ("target=1.5", dict(target=1.5), raises(ValueError, r"target")),
        ("target=nan", dict(target=NAN), raises(ValueError, r"target")),
        ("progress='loud'", dict(progress="loud"), raises(ValueError, r"progress")),
        ("label=3", dict(label=3), raises(TypeError, r"label")),
    ]:
        add(c("training.train", untrained(lambda L, kw=kw: _train(L, **kw)), expect, label))
    add(c("training.train", lambda L: _train(L, x=lambda x: x.astype(np.float64).tolist(), epochs=np.int64(1)), works(lambda h: len(h["val_accuracy"]) == 1 and h["seconds"] > 0), "lists, one epoch"))  # fmt: skip
    mtd = experiments.train_val_sets
    for label, call, expect in [
        ("config=None", lambda L: mtd(20, 0, None), raises(TypeError, r"config")),
        ("seed=-1", lambda L: mtd(20, -1), raises(ValueError, r"seed")),
        ("seed='0'", lambda L: mtd(20, "0"), raises(TypeError, r"seed")),
        ("T=0", lambda L: mtd(0, 0), raises(ValueError, r"T ")),
        (
            "unknown option",
            lambda L: mtd(20, 0, L.tiny, padding="middle"),
            raises(ValueError, r"padding"),
        ),
        (
            "np.int64 T and seed",
            lambda L: mtd(np.int64(12), np.int64(1), L.tiny),
            works(lambda r: r[0].shape == (16, 12, 4) and r[2].shape == (8, 12, 4)),
        ),
    ]:
        add(c("experiments.train_val_sets", call, expect, label))
    TC = training.TrainingConfig
    for label, kwargs, expect in [
        ("units=0", dict(units=0), raises(ValueError, r"units")),
        ("n_train=0", dict(n_train=0), raises(ValueError, r"n_train")),
        ("n_val=-1", dict(n_val=-1), raises(ValueError, r"n_val")),
        ("epochs=0", dict(epochs=0), raises(ValueError, r"epochs")),
        ("batch_size=True", dict(batch_size=True), raises(TypeError, r"batch_size")),
        ("learning_rate=-1", dict(learning_rate=-1), raises(ValueError, r"learning_rate")),
        ("clipnorm=0", dict(clipnorm=0), raises(ValueError, r"clipnorm")),
        ("target=2", dict(target=2), raises(ValueError, r"target")),
        ("distractor_rate=nan", dict(distractor_rate=NAN), raises(ValueError, r"distractor_rate")),
        ("n_filler=0", dict(n_filler=0), raises(ValueError, r"n_filler")),
        ("cue_window='5'", dict(cue_window="5"), raises(TypeError, r"cue_window")),
        ("curriculum=20", dict(curriculum=20), raises(TypeError, r"curriculum")),
        ("curriculum decreasing", dict(curriculum=(40, 20)), raises(ValueError, r"increasing")),
        ("curriculum too short", dict(curriculum=(5, 20)), raises(ValueError, r"curriculum")),
        ("curriculum of 2.5", dict(curriculum=(2.5,)), raises(TypeError, r"curriculum")),
        (
            "fresh_data='yes'",
            dict(fresh_data="yes"),
            raises((TypeError, ValueError), r"fresh_data"),
        ),
        ("advance_at=0", dict(advance_at=0), raises(ValueError, r"advance_at")),
        ("advance_at=nan", dict(advance_at=NAN), raises(ValueError, r"advance_at")),
        ("chrono_T_max=2", dict(chrono_T_max=2), raises(ValueError, r"chrono_T_max")),
        (
            "a curriculum as a list (as JSON gives it back)",
            dict(curriculum=[np.int64(20), 40], fresh_data=np.bool_(True)),
            works(lambda c_: c_.curriculum == (20, 40) and c_.staged and c_.fresh_data is True),
        ),
        (
            "NumPy numbers, no target",
            dict(units=np.int64(4), learning_rate=np.float32(0.1), target=None),
            works(lambda c_: c_.units == 4 and c_.D == 4),
        ),
    ]:
        add(c("training.TrainingConfig", lambda L, k=kwargs: TC(**k), expect, label))
    add(c("training.TrainingConfig.D", lambda L: TC(n_filler=np.int64(5)).D, works(lambda D: D == 7 and type(D) is int)))  # fmt: skip
    add(c("training.TrainingConfig.task_options", lambda L: TC(n_filler=np.int64(3)).task_options, works(lambda o: o == {"n_filler": 3, "distractor_rate": 0.2, "cue_window": 5} and type(o["n_filler"]) is int)))  # fmt: skip
    add(c("training.TrainingConfig.staged", lambda L: (TC().staged, TC(fresh_data=True).staged, TC(curriculum=(20,)).staged), works(lambda r: r == (False, True, True))))  # fmt: skip
    add(c("training.TrainingConfig.stages", lambda L: TC(curriculum=(20, 40, 80)).stages(50), works(lambda r: r == [20, 40, 50]), "lengths beyond T dropped"))  # fmt: skip
    add(c("training.TrainingConfig.stages", lambda L: TC(curriculum=(20, 40)).stages(0), raises(ValueError, r"T "), "T=0"))  # fmt: skip
    re_ = experiments.run_experiment
    for label, call, expect in [
        ("model='transformer'", lambda L: re_("transformer", 20, 0), raises(ValueError, r"model")),
        ("T=0", lambda L: re_("gru", 0, 0), raises(ValueError, r"T ")),
        ("seed=-1", lambda L: re_("gru", 20, -1), raises(ValueError, r"seed")),
        ("config=dict", lambda L: re_("gru", 20, 0, config={}), raises(TypeError, r"config")),
        (
            "progress='loud'",
            lambda L: re_("gru", 20, 0, progress="loud"),
            raises(ValueError, r"progress"),
        ),
        (
            "update_gate_bias=nan",
            lambda L: re_("gru", 20, 0, update_gate_bias=NAN),
            raises(ValueError, r"update_gate_bias"),
        ),
        (
            "update_gate_bias on a SimpleRNN",
            lambda L: re_("simple_rnn", 20, 0, update_gate_bias=1.0),
            raises(ValueError, r"update gate"),
        ),
        (
            "update_gate_bias on an LSTM",
            lambda L: re_("lstm", 20, 0, update_gate_bias=1.0),
            raises(ValueError, r"update gate"),
        ),
    ]:
        add(c("experiments.run_experiment", untrained(call), expect, label))
    for bias, expected in ((np.array([1.0, 2.0]), [1.0, 2.0]), (1.5, 1.5)):
        add(c("experiments.run_experiment", lambda L, bias=bias, expected=expected: re_("gru", 8, 0, config=L.tiny, update_gate_bias=bias), works(lambda r, expected=expected: r["update_gate_bias"] == expected and json.dumps(r)), f"update_gate_bias={bias!r}, tiny"))  # fmt: skip
    add(c("experiments.run_experiment", lambda L: re_("gru_chrono", np.int64(10), 0, config=dataclasses.replace(L.tiny, curriculum=(7,), fresh_data=True, epochs=2, advance_at=0.01)), works(lambda r: r["stage_curve"] == [7, 10] and len(r["stage_accuracy"]) == 2 and r["update_gate_bias"] == "chrono" and json.dumps(r)), "a curriculum, tiny"))  # fmt: skip
    rme = experiments.run_masking_experiment
    for label, kwargs, expect in [
        ("masks='yes'", dict(masks="yes"), raises((TypeError, ValueError), r"masks")),
        ("min_length > T", dict(min_length=30), raises(ValueError, r"min_length")),
        ("padding='mid'", dict(padding="mid"), raises(ValueError, r"padding")),
        ("model='transformer'", dict(model="transformer"), raises(ValueError, r"model")),
        ("config=None", dict(config=None), raises(TypeError, r"config")),
    ]:
        args = dict(T=20, min_length=10)
        args.update(kwargs)
        add(c("experiments.run_masking_experiment", untrained(lambda L, a=args: rme(**a)), expect, label))  # fmt: skip
    add(c("experiments.run_masking_experiment", lambda L: rme(T=8, min_length=7, config=L.tiny, masks=(True,)), works(lambda r: set(r) == {"data", True} and r[True][0]["mask"] is True), "tiny, one mask"))  # fmt: skip
    rs = experiments.run_sweep
    for label, call, expect in [
        (
            "a model unknown",
            lambda L: rs((20,), (0,), ("gru", "transformer")),
            raises(ValueError, r"transformer"),
        ),
        ("lengths=20", lambda L: rs(20, (0,)), raises(TypeError, r"lengths")),
        ("a length of 0", lambda L: rs((20, 0), (0,)), raises(ValueError, r"T|length")),
        ("a seed of -1", lambda L: rs((20,), (-1,)), raises(ValueError, r"seed")),
        ("log='print'", lambda L: rs((20,), (0,), log="print"), raises(TypeError, r"log")),
        (
            "done rows without keys",
            lambda L: rs((20,), (0,), done=[{"model": "gru"}]),
            raises(ValueError, r"done"),
        ),
        ("nothing to run", lambda L: rs((), (0,)), works(lambda r: r == [])),
    ]:
        add(c("experiments.run_sweep", untrained(call), expect, label))
    add(c("experiments.run_sweep", lambda L: rs((8,), (0,), ("gru",), config=L.tiny, log=None), works(lambda r: len(r) == 1 and r[0]["T"] == 8), "tiny"))  # fmt: skip
    sm = experiments.summarize
    row = {"model": "gru", "T": 20, "seed": 0, "update_gate_bias": None, "val_accuracy": 0.5}
    for label, call, expect in [
        (
            "a NaN accuracy",
            lambda L: sm([dict(row, val_accuracy=NAN)]),
            raises(ValueError, r"val_accuracy"),
        ),
        ("key='colour'", lambda L: sm([row], key="colour"), raises(ValueError, r"key.*colour")),
        ("rows=None", lambda L: sm(None), raises(TypeError, r"rows")),
        (
            "a row without T",
            lambda L: sm([{"model": "gru", "val_accuracy": 0.5}]),
            raises(ValueError, r"T"),
        ),
        ("no rows", lambda L: sm([]), works(lambda r: r == {})),
        (
            "by bias",
            lambda L: sm([row, dict(row, seed=1, val_accuracy=1.0)], key="update_gate_bias"),
            works(lambda r: r == {"None": {20: (0.75, 0.5, 1.0)}}),
        ),
    ]:
        add(c("experiments.summarize", call, expect, label))
    sr = experiments.save_results
    for label, call, expect in [
        (
            "a NaN in a row",
            lambda L: sr("x", [dict(row, val_accuracy=NAN)], experiment="e", directory=L.tmp),
            raises(ValueError, r"finite|NaN"),
        ),
        (
            "a name with a slash",
            lambda L: sr("../x", [row], experiment="e", directory=L.tmp),
            raises(ValueError, r"name"),
        ),
        (
            "an empty name",
            lambda L: sr("", [row], experiment="e", directory=L.tmp),
            raises(ValueError, r"name"),
        ),
        (
            "config=None",
            lambda L: sr("x", [row], experiment="e", config=None, directory=L.tmp),
            raises(TypeError, r"config"),
        ),
        (
            "NumPy numbers in a row",
            lambda L: experiments.load_results(
                sr(
                    "np",
                    [dict(row, T=np.int64(20), val_accuracy=np.float32(0.5))],
                    experiment="e",
                    directory=L.tmp,
                ).stem,
                L.tmp,
            ),
            works(lambda p: p["rows"][0]["T"] == 20),
        ),
    ]:
        add(c("experiments.save_results", call, expect, label))
    lr = experiments.load_results
    for label, call, expect in [
        ("unknown name", lambda L: lr("nope"), raises(FileNotFoundError, r"nope.*length_sweep")),
        ("name=None", lambda L: lr(None), raises(TypeError, r"name")),
        (
            "shipped",
            lambda L: lr("length_sweep"),
            works(lambda p: isinstance(p["config"], training.TrainingConfig) and p["rows"]),
        ),
    ]:
        add(c("experiments.load_results", call, expect, label))
    ltc = trained.load_trained_classifier
    for label, call, expect in [
        ("missing file", lambda L: ltc(L.tmp / "nope.npz"), raises(FileNotFoundError, r"nope")),
        ("no metadata", lambda L: ltc(_saved(L, metadata=None)), raises(ValueError, r"metadata")),
        (
            "a path as text",
            lambda L: ltc(str(experiments.DATA_DIR / "trained_gru_classifier.npz")),
            works(lambda r: r[0].gru.units == 16 and "T" in r[1]),
        ),
    ]:
        add(c("trained.load_trained_classifier", call, expect, label))

    # ---------------------------------------------------------------- explorer
    ps = explorer.parse_sequence
    for label, call, expect in [
        ("unknown symbol", lambda L: ps("AB?."), raises(ValueError, r"'\?'.*step 2")),
        ("padding symbol", lambda L: ps("AB_."), raises(ValueError, r"'_'")),
        ("a letter C", lambda L: ps("ABC"), raises(ValueError, r"'C'")),
        ("empty", lambda L: ps("  "), raises(ValueError, r"empty")),
        ("too long", lambda L: ps("A" * 201), raises(ValueError, r"at most 200")),
        ("None", lambda L: ps(None), raises(TypeError, r"text")),
        ("n_features=2", lambda L: ps("AB", 2), raises(ValueError, r"n_features")),
        ("n_features=True", lambda L: ps("AB", True), raises(TypeError, r"n_features")),
        ("n_features='4'", lambda L: ps("AB", "4"), raises(TypeError, r"n_features")),
        ("n_features=11", lambda L: ps("AB", 11), raises(ValueError, r"n_features")),
        (
            "lower case, spaces, n_features=np.int64",
            lambda L: ps(" ab .-\n", np.int64(4)),
            works(lambda x: np.array_equal(x, one_hot(0, 1, 2, 3))),
        ),
    ]:
        add(c("explorer.parse_sequence", call, expect, label))
    fc = explorer.flip_cue
    for label, call, expect in [
        ("no cue", lambda L: fc("...."), raises(ValueError, r"no A or B")),
        ("None", lambda L: fc(None), raises(TypeError, r"text")),
        ("unknown symbol", lambda L: fc("AB?"), raises(ValueError, r"'\?'")),
        ("lower case", lambda L: fc("..ab.B"), works(lambda t: t == "..BA.B")),
        ("a lone A", lambda L: fc("A..B"), works(lambda t: t == "B..B")),
    ]:
        add(c("explorer.flip_cue", call, expect, label))
    ss = explorer.set_symbol
    for label, call, expect in [
        ("unknown symbol", lambda L: ss("AB..", 1, "X"), raises(ValueError, r"symbol.*'X'")),
        ("two characters", lambda L: ss("AB..", 1, "AB"), raises(ValueError, r"symbol")),
        ("symbol=5", lambda L: ss("AB..", 1, 5), raises(TypeError, r"symbol")),
        ("step=-1", lambda L: ss("AB..", -1, "A"), raises(ValueError, r"step")),
        ("step=4", lambda L: ss("AB..", 4, "A"), raises(ValueError, r"step")),
        ("step=True", lambda L: ss("AB..", True, "A"), raises(TypeError, r"step")),
        ("text=None", lambda L: ss(None, 0, "A"), raises(TypeError, r"text")),
        ("text with an unknown symbol", lambda L: ss("A?..", 0, "B"), raises(ValueError, r"'\?'")),
        ("step=2.0, lower case", lambda L: ss("AB..", 2.0, "b"), works(lambda t: t == "ABB.")),
    ]:
        add(c("explorer.set_symbol", call, expect, label))
    gv = explorer.gate_data
    for label, call, expect in [
        (
            "a NaN step",
            lambda L: gv(L.classifier, _nan_at(rows("AB..-"))),
            raises(ValueError, r"sequence.*finite"),
        ),
        (
            "not one-hot",
            lambda L: gv(L.classifier, 0.5 * rows("AB..-")),
            raises(ValueError, r"one-hot"),
        ),
        (
            "empty array",
            lambda L: gv(L.classifier, np.zeros((0, 4))),
            raises(ValueError, r"sequence.*empty|no step"),
        ),
        (
            "3 features",
            lambda L: gv(L.classifier, rows("AB..")[:, :3]),
            raises(ValueError, r"sequence.*4"),
        ),
        (
            "3-D",
            lambda L: gv(L.classifier, rows("AB..")[None]),
            raises(ValueError, r"sequence.*\(any, 4\)"),
        ),
        (
            "ragged",
            lambda L: gv(L.classifier, [[1, 0, 0, 0], [1]]),
            raises(TypeError, r"sequence"),
        ),
        ("step=-1", lambda L: gv(L.classifier, "AB..", step=-1), raises(ValueError, r"step")),
        ("step=4", lambda L: gv(L.classifier, "AB..", step=4), raises(ValueError, r"step")),
        ("step=1.5", lambda L: gv(L.classifier, "AB..", step=1.5), raises(TypeError, r"step")),
        ("unit=16", lambda L: gv(L.classifier, "AB..", unit=16), raises(ValueError, r"unit")),
        ("unit=True", lambda L: gv(L.classifier, "AB..", unit=True), raises(TypeError, r"unit")),
        ("None classifier", lambda L: gv(None, "AB.."), raises((TypeError, AttributeError), r"")),
        (
            "float32 list, step=np.int64",
            lambda L: gv(
                L.classifier, rows("AB..").astype(np.float32).tolist(), step=np.int64(2), unit=2.0
            ),
            works(lambda v: v.text == "AB.." and v.step == 2 and v.unit == 2),
        ),
        (
            "padding steps",
            lambda L: gv(L.classifier, np.vstack([rows("AB."), np.zeros((2, 4))])),
            works(lambda v: v.text == "AB.__" and v.truth == 1),
        ),
    ]:
        add(c("explorer.gate_data", call, expect, label))
    for label, call, expect in [
        ("shown('q')", lambda L: L.gate_data.shown("q"), raises(ValueError, r"'q'")),
        ("shown(3)", lambda L: L.gate_data.shown(3), raises(ValueError, r"3")),
        (
            "shown('h')",
            lambda L: L.gate_data.shown("h"),
            works(
                lambda a: (
                    a.shape == (16, 10) and np.isnan(a[:, 5:]).all() and np.isfinite(a[:, :5]).all()
                )
            ),
        ),
    ]:
        add(c("explorer.GateData.shown", call, expect, label))
    for label, call, expect in [
        ("t=10 (past the end)", lambda L: L.gate_data.kind_of_step(10), raises(ValueError, r"t ")),
        ("t=-1", lambda L: L.gate_data.kind_of_step(-1), raises(ValueError, r"t ")),
        ("t='2'", lambda L: L.gate_data.kind_of_step("2"), raises(TypeError, r"t ")),
        (
            "t=np.int64(2)",
            lambda L: L.gate_data.kind_of_step(np.int64(2)),
            works(lambda k: k == "the cue"),
        ),
        (
            "a distractor",
            lambda L: L.gate_data.kind_of_step(6),
            works(lambda k: k == "a distractor"),
        ),
    ]:
        add(c("explorer.GateData.kind_of_step", call, expect, label))
    add(c("explorer.GateData.p_shown", lambda L: L.gate_data.p_shown(), works(lambda p: np.isnan(p[5:]).all() and np.isfinite(p[:5]).all())))  # fmt: skip
    add(c("explorer.GateData.readout", lambda L: L.gate_data.readout(), works(lambda d: d["step"] == 4 and d["symbol"] == "." and d["truth"] == 1)))  # fmt: skip
    add(c("explorer.GateData.cue", lambda L: L.gate_data.cue, works(lambda cue: cue == (2, 3))))
    add(c("explorer.GateData.T", lambda L: L.gate_data.T, works(lambda T: T == 10)))
    add(c("explorer.GateData.p_final", lambda L: L.gate_data.p_final, works(lambda p: 0 < p < 1)))
    add(c("explorer.GateData", lambda L: L.gate_data, works(lambda v: v.z.shape == (10, 16)), "made by gate_data"))  # fmt: skip
    add(c("explorer.GateData.cell_values", lambda L: (L.gate_data.cell_values(), L.gate_data), works(lambda r: abs(r[0]["z"] - r[1].z[4, 0]) < 1e-6 and abs(r[0]["h"] - r[1].h[4, 0]) < 1e-6), "the data's step and unit"))  # fmt: skip
    add(c("explorer.GateData.cell_values", lambda L: dataclasses.replace(L.gate_data, trace=None).cell_values(), raises(ValueError, r"keeps no trace"), "data without a trace"))  # fmt: skip
    hv = explorer.handset_data
    g1 = handset.handset_gru(W_h=1.0, units=2)
    for label, call, expect in [
        ("x (T, 2)", lambda L: hv(g1, np.ones((5, 2))), raises(ValueError, r"x.*1-D")),
        ("x with NaN", lambda L: hv(g1, [1.0, NAN]), raises(ValueError, r"x.*finite")),
        ("x empty", lambda L: hv(g1, []), raises(ValueError, r"x.*step")),
        ("x text", lambda L: hv(g1, "1, 2"), raises(TypeError, r"x")),
        (
            "a GRU of 2 inputs",
            lambda L: hv(handset.handset_gru(input_dim=2), [1.0]),
            raises(ValueError, r"one input"),
        ),
        ("a dict", lambda L: hv({}, [1.0]), raises(TypeError, r"GRU")),
        (
            "float32 list",
            lambda L: hv(g1, np.float32([1, 2]).tolist()),
            works(lambda d: d.h.shape == (2, 2) and d.x.tolist() == [1, 2]),
        ),
    ]:
        add(c("explorer.handset_data", call, expect, label))
    pn = explorer.parse_numbers
    for label, call, expect in [
        ("nan", lambda L: pn("1, nan"), raises(ValueError, r"finite")),
        ("1e400", lambda L: pn("1e400"), raises(ValueError, r"finite")),
        ("a word", lambda L: pn("1, two"), raises(ValueError, r"'two'")),
        ("empty", lambda L: pn(" , "), raises(ValueError, r"no inputs")),
        ("too many", lambda L: pn("1 " * 201), raises(ValueError, r"at most 200")),
        ("a list", lambda L: pn([1, 2]), raises(TypeError, r"text")),
        (
            "semicolons and exponents",
            lambda L: pn("1;-2.5e-1  3,"),
            works(lambda a: a.tolist() == [1, -0.25, 3]),
        ),
    ]:
        add(c("explorer.parse_numbers", call, expect, label))
    pg = explorer.playground_gru
    for label, call, expect in [
        ("NaN slider", lambda L: pg({"W_h_0": NAN}), raises(ValueError, r"W_h_0.*finite")),
        ("unknown slider", lambda L: pg({"W_q": 1.0}), raises(ValueError, r"W_q")),
        ("text value", lambda L: pg({"W_h_0": "1"}), raises(TypeError, r"W_h_0")),
        ("boolean value", lambda L: pg({"W_h_0": True}), raises(TypeError, r"W_h_0")),
        ("a list of keys", lambda L: pg(["W_h_0"]), raises(TypeError, r"values.*dict")),
        (
            "0-d array and float32",
            lambda L: pg({"W_h_0": np.array(2.0), "bx_z_0": np.float32(-3)}),
            works(lambda g: g.W[0, 4] == 2 and g.bx[0] == -3),
        ),
    ]:
        add(c("explorer.playground_gru", call, expect, label))
    pp = explorer.playground_pieces
    for label, call, expect in [
        ("unknown slider", lambda L: pp({"W_x": 1.0}), raises(ValueError, r"unknown slider.*W_x")),
        ("text value", lambda L: pp({"W_h_0": "1"}), raises(TypeError, r"W_h_0")),
        ("a list of keys", lambda L: pp(["W_h_0"]), raises(TypeError, r"values.*dict")),
        ("np.float32 value", lambda L: pp({"R_z_10": np.float32(20)}), works(lambda p: p["R_z"][1, 0] == 20 and p["W_h"][0, 0] == 1)),
    ]:  # fmt: skip
        add(c("explorer.playground_pieces", call, expect, label))
    hd = explorer.HandsetData
    add(c("explorer.HandsetData", lambda L: explorer.handset_data(handset.handset_gru(W_h=1.0), [0.5]), works(lambda d: isinstance(d, hd) and d.h.shape == (1, 1)), "made by handset_data"))  # fmt: skip
    add(c("explorer.HandsetData.output", lambda L: explorer.handset_data(handset.handset_gru(W_h=1.0), [0.5, -2]).output, works(lambda h: h == pytest.approx(np.tanh(-2.0) * 0.5 + np.tanh(0.5) * 0.25))))  # fmt: skip
    fiv = handset.first_input_verdict
    for label, call, expect in [
        ("None", lambda L: fiv(None), raises(TypeError, r"GRU")),
        (
            "2 inputs",
            lambda L: fiv(handset.handset_gru(input_dim=2)),
            raises(ValueError, r"one input"),
        ),
        (
            "backwards",
            lambda L: fiv(handset.handset_gru(go_backwards=True)),
            raises(ValueError, r"forwards"),
        ),
        (
            "one unit, reset before",
            lambda L: fiv(handset.handset_gru(W_h=1.0, reset_after=False)),
            works(lambda r: r[0] is False and "Not yet" in r[1]),
        ),
    ]:
        add(c("handset.first_input_verdict", call, expect, label))
    sv = explorer.saturation_data
    for label, call, expect in [
        ("not a trace", lambda L: sv(L.trace.z), raises(TypeError, r"trace")),
        (
            "low above high",
            lambda L: sv(L.trace, low=0.9, high=0.1),
            raises(ValueError, r"low.*high"),
        ),
        (
            "a carrier out of range",
            lambda L: sv(L.trace, carriers=[99]),
            raises(ValueError, r"carriers.*99"),
        ),
        ("carriers as text", lambda L: sv(L.trace, carriers="5"), raises(TypeError, r"carriers")),
        (
            "np.int64 carriers, 0-d low",
            lambda L: sv(L.trace, low=np.array(0.2), carriers=np.array([5, 14])),
            works(lambda d: d.carriers == [5, 14] and d.low == 0.2 and d.n == 40),
        ),
    ]:
        add(c("explorer.saturation_data", call, expect, label))
    add(c("explorer.SaturationData", lambda L: explorer.saturation_data(L.trace, carriers=[5]), works(lambda d: isinstance(d, explorer.SaturationData) and d.carriers == [5] and set(d.shares) == {"z", "r"}), "made by saturation_data"))  # fmt: skip
    plt_close = _closing
    for label, call, expect in [
        (
            "unit=16",
            lambda L: explorer.plot_gates(L.classifier, "AB..", unit=16),
            raises(ValueError, r"unit"),
        ),
        (
            "bad text",
            lambda L: explorer.plot_gates(L.classifier, "AB?"),
            raises(ValueError, r"'\?'"),
        ),
        (
            "figsize negative",
            lambda L: explorer.plot_gates(L.classifier, "AB..", figsize=(-1, 3)),
            raises(ValueError, r"figure size|figsize"),
        ),
        (
            "array, step",
            lambda L: plt_close(explorer.plot_gates(L.classifier, rows("AB..-"), step=np.int64(2))),
            works(),
        ),
    ]:
        add(c("explorer.plot_gates", call, expect, label))
    for label, call, expect in [
        ("unit=16", lambda L: explorer.plot_cell(L.classifier, "AB..", unit=16), raises(ValueError, r"unit")),
        ("step=4 of 4", lambda L: explorer.plot_cell(L.classifier, "AB..", step=4), raises(ValueError, r"step .*\[0, 3\]")),
        ("bad text", lambda L: explorer.plot_cell(L.classifier, "AB?"), raises(ValueError, r"'\?'")),
        ("array, np.int64 step and unit", lambda L: plt_close(explorer.plot_cell(L.classifier, rows("AB..-"), step=np.int64(2), unit=np.int64(5))), works()),
    ]:  # fmt: skip
        add(c("explorer.plot_cell", call, expect, label))
    for label, call, expect in [
        (
            "a list, not a dict",
            lambda L: explorer.plot_unit(L.classifier, ["AB.."], 5),
            raises(TypeError, r"sequences"),
        ),
        (
            "no sequences",
            lambda L: explorer.plot_unit(L.classifier, {}, 5),
            raises(ValueError, r"sequences"),
        ),
        (
            "unit=99",
            lambda L: explorer.plot_unit(L.classifier, {"a": "AB.."}, 99),
            raises(ValueError, r"unit"),
        ),
        (
            "bad text",
            lambda L: explorer.plot_unit(L.classifier, {"a": "AB?"}, 5),
            raises(ValueError, r"'\?'"),
        ),
        (
            "two lengths, unit=5.0",
            lambda L: plt_close(explorer.plot_unit(L.classifier, {"a": "AB..", "b": "BA"}, 5.0)),
            works(),
        ),
    ]:
        add(c("explorer.plot_unit", call, expect, label))
    for label, call, expect in [
        ("x with NaN", lambda L: explorer.plot_handset(g1, [NAN]), raises(ValueError, r"finite")),
        ("float32", lambda L: plt_close(explorer.plot_handset(g1, np.float32([1, -1]))), works()),
    ]:
        add(c("explorer.plot_handset", call, expect, label))
    for label, call, expect in [
        (
            "n=0",
            lambda L: explorer.plot_saturation(L.classifier, n=0, T=20),
            raises(ValueError, r"n "),
        ),
        (
            "low=1",
            lambda L: explorer.plot_saturation(L.classifier, n=20, T=20, low=1.0),
            raises(ValueError, r"low"),
        ),
        (
            "T=2",
            lambda L: explorer.plot_saturation(L.classifier, n=20, T=2),
            raises(ValueError, r"T "),
        ),
        (
            "small",
            lambda L: plt_close(
                explorer.plot_saturation(L.classifier, n=np.int64(20), T=20, low=np.float32(0.2))
            ),
            works(),
        ),
    ]:
        add(c("explorer.plot_saturation", call, expect, label))

    # ------------------------------------------------------------- the widgets
    GE = explorer.GateExplorer
    for label, call, expect in [
        (
            "n_sequences=0",
            lambda L: GE(L.classifier, n_sequences=0, T=20),
            raises(ValueError, r"n_sequences"),
        ),
        (
            "T=500 (more than a view shows)",
            lambda L: GE(L.classifier, T=500),
            raises(ValueError, r"T .*200"),
        ),
        ("T=3", lambda L: GE(L.classifier, T=3), raises(ValueError, r"T ")),
        (
            "unit=16",
            lambda L: GE(L.classifier, n_sequences=2, T=20, unit=16),
            raises(ValueError, r"unit"),
        ),
        ("seed='x'", lambda L: GE(L.classifier, T=20, seed="x"), raises(TypeError, r"seed")),
        (
            "np.int64 sizes",
            lambda L: GE(L.classifier, n_sequences=np.int64(2), T=np.int64(20), unit=np.int64(5)),
            works(lambda v: len(v.bank) == 2 and v.data.unit == 5 and v.data.T == 20),
        ),
    ]:
        add(c("explorer.GateExplorer", call, expect, label))
    for label, value, expect in [
        ("unknown symbol", "AB?..", message(r"'\?'.*step 2")),
        ("empty", "   ", message(r"empty")),
        ("too long", "A" * 201, message(r"at most 200")),
        ("padding", "AB_.", message(r"'_'")),
        ("lower case and spaces", " ab .-.A ", works(redrawn)),
    ]:
        add(c("explorer.GateExplorer.text", set_value("explorer", "text", value), expect, label))
    for label, value, expect in [
        ("past the end", 99, works(lambda v: v.step.value == v.data.T - 1 and redrawn(v))),
        ("negative", -5, works(lambda v: v.step.value == 0 == v.data.step and redrawn(v))),
    ]:
        add(c("explorer.GateExplorer.step", _fresh_then(set_value("explorer", "step", value)), expect, label))  # fmt: skip
    add(c("explorer.GateExplorer.play", _fresh_then(set_value("explorer", "play", 3)), works(lambda v: v.data.step == 3 and redrawn(v)), "linked to step"))  # fmt: skip
    add(c("explorer.GateExplorer.sequence", _fresh_then(set_value("explorer", "sequence", 99)), works(lambda v: v.sequence.value == 2 and v.text.value == v.bank[2] and redrawn(v)), "past the end"))  # fmt: skip
    add(c("explorer.GateExplorer.unit", _fresh_then(set_value("explorer", "unit", 99)), raises(Exception, r"99|[Ii]nvalid"), "not an option (the menu cannot offer it)"))  # fmt: skip
    add(c("explorer.GateExplorer.unit", _fresh_then(set_value("explorer", "unit", 3)), works(lambda v: v.data.unit == 3 and redrawn(v)), "another unit"))  # fmt: skip
    for label, call, expect in [
        ("unknown symbol", lambda L: _fresh(L).put("X"), raises(ValueError, r"symbol.*'X'")),
        ("step past the end", lambda L: _fresh(L).put("A", 99), raises(ValueError, r"step")),
        ("step=True", lambda L: _fresh(L).put("A", True), raises(TypeError, r"step")),
        (
            "the button on bad text",
            lambda L: _click(L, "put_buttons", "A", text="AB?"),
            message(r"'\?'"),
        ),
        (
            "a filler at step 0",
            lambda L: _put(L, ".", 0),
            works(lambda v: v.text.value[0] == "." and redrawn(v)),
        ),
    ]:
        add(c("explorer.GateExplorer.put", call, expect, label))
    for label, call, expect in [
        ("no cue", lambda L: _with_text(L, "....").flip_cue(), raises(ValueError, r"no A or B")),
        (
            "the button, no cue",
            lambda L: _click(L, "flip_button", text="...."),
            message(r"no A or B"),
        ),
        ("flips the prediction", lambda L: _flipped(L), works(lambda r: r[0] != r[1])),
    ]:
        add(c("explorer.GateExplorer.flip_cue", call, expect, label))
    add(c("explorer.GateExplorer.reset", lambda L: (_with_text(L, "AB?"), L.explorer.reset(), L.explorer)[-1], works(lambda v: v.text.value == v.bank[v.sequence.value] and redrawn(v)), "after bad text"))  # fmt: skip
    for label, call, expect in [
        ("n=0", lambda L: L.explorer.measure_redraw(0), raises(ValueError, r"n ")),
        ("n=2.5", lambda L: L.explorer.measure_redraw(2.5), raises(TypeError, r"n ")),
        (
            "warmup=-1",
            lambda L: L.explorer.measure_redraw(2, warmup=-1),
            raises(ValueError, r"warmup"),
        ),
        (
            "n=np.int64, slider put back",
            lambda L: _measured(L, "explorer"),
            works(lambda r: r[0]["n"] == 2 and r[1]),
        ),
    ]:
        add(c("explorer.GateExplorer.measure_redraw", call, expect, label))
    add(c("explorer.GateExplorer.message_text", lambda L: _fresh(L).message_text, works(lambda t: t == "")))  # fmt: skip

    HP = explorer.HandsetPlayground
    for label, call, expect in [
        ("inputs='abc'", lambda L: HP("abc"), raises(ValueError, r"'abc'")),
        ("inputs=None", lambda L: HP(None), raises(TypeError, r"text")),
        ("inputs='1e400'", lambda L: HP("1e400"), raises(ValueError, r"finite")),
        ("one input", lambda L: HP("0.5"), works(lambda p: p.data.x.tolist() == [0.5])),
    ]:
        add(c("explorer.HandsetPlayground", call, expect, label))
    valid_inputs = "1, 2, 3"
    for label, value, expect in [
        ("nan", "1, nan", message(r"finite")),
        ("a word", "1, x", message(r"'x'")),
        ("empty", "", message(r"no inputs")),
        ("too many", "1 " * 201, message(r"at most 200")),
    ]:
        add(c("explorer.HandsetPlayground.text", then_reset("playground", "text", value, valid_inputs), expect, label))  # fmt: skip
    add(c("explorer.HandsetPlayground.text", set_value("playground", "text", "1; -2  0.5"), works(lambda p: p.data.x.tolist() == [1, -2, 0.5] and redrawn(p)), "semicolons"))  # fmt: skip
    add(c("explorer.HandsetPlayground.sliders", then_reset("playground", lambda p: p.sliders["W_h_0"], NAN, 1.0), message(r"W_h_0.*finite"), "a NaN weight"))  # fmt: skip
    add(c("explorer.HandsetPlayground.sliders", set_value("playground", lambda p: p.sliders["bx_z_0"], 99.0), works(lambda p: p.sliders["bx_z_0"].value == 20 and p.gru().bx[0] == 20 and redrawn(p)), "past the end"))  # fmt: skip
    add(c("explorer.HandsetPlayground.check", lambda L: L.playground.check(), works(lambda r: isinstance(r[0], bool) and r[1])))  # fmt: skip
    add(c("explorer.HandsetPlayground.reset", lambda L: (L.playground.reset(), L.playground)[-1], works(lambda p: p.values() == {k: s for k, *_, s in explorer.PLAYGROUND_SLIDERS} and redrawn(p))))  # fmt: skip
    add(c("explorer.HandsetPlayground.gru", lambda L: L.playground.gru(), works(lambda g: (g.input_dim, g.units) == (1, 2))))  # fmt: skip
    add(c("explorer.HandsetPlayground.code", lambda L: L.playground.code(), works(lambda s: s.startswith("handset_gru("))))  # fmt: skip
    add(c("explorer.HandsetPlayground.values", lambda L: L.playground.values(), works(lambda d: set(d) == {k for k, *_ in explorer.PLAYGROUND_SLIDERS})))  # fmt: skip
    add(c("explorer.HandsetPlayground.measure_redraw", lambda L: _measured(L, "playground"), works(lambda r: r[0]["n"] == 2 and r[1])))  # fmt: skip
    add(c("explorer.HandsetPlayground.message_text", lambda L: L.playground.message_text, works(lambda t: isinstance(t, str))))  # fmt: skip

    SV = explorer.SaturationExplorer
    for label, call, expect in [
        ("T=0", lambda L: SV(L.classifier, T=0), raises(ValueError, r"T ")),
        ("seed=-1", lambda L: SV(L.classifier, T=20, seed=-1), raises(ValueError, r"seed")),
        ("a GRU", lambda L: SV(L.classifier.gru, T=20), raises(TypeError, r"GRUClassifier")),
    ]:
        add(c("explorer.SaturationExplorer", call, expect, label))
    add(c("explorer.SaturationExplorer.low", then_reset("saturation", "low", 0.95, 0.1), message(r"low.*high"), "above high"))  # fmt: skip
    add(c("explorer.SaturationExplorer.high", then_reset("saturation", "high", 0.05, 0.9), message(r"low.*high"), "below low"))  # fmt: skip
    add(c("explorer.SaturationExplorer.n", set_value("saturation", "n", 0), works(lambda v: v.n.value == 50 and v.data.n == 50 and redrawn(v)), "below the minimum"))  # fmt: skip
    add(c("explorer.SaturationExplorer.measure_redraw", lambda L: _measured(L, "saturation"), works(lambda r: r[0]["n"] == 2 and r[1])))  # fmt: skip
    add(c("explorer.SaturationExplorer.message_text", lambda L: L.saturation.message_text, works(lambda t: isinstance(t, str))))  # fmt: skip

    # ------------------------------------------------------------ cell_diagram
    for label, call, expect in [
        ("reset_after='yes'", lambda L: cell_diagram.cell_step("yes"), raises(TypeError, r"reset_after must be True or False")),
        ("reset_after=1", lambda L: cell_diagram.cell_step(1), raises(TypeError, r"reset_after")),
        ("reset_after=np.bool_(False)", lambda L: cell_diagram.cell_step(np.bool_(False)), works(lambda step: step[-1].label == "h = z * h_prev + (1 - z) * h~" and any(n.label == "(r * h_prev) @ R_h" for n in step))),
    ]:  # fmt: skip
        add(c("cell_diagram.cell_step", call, expect, label))
    one_step = cell_diagram.run_step
    for label, call, expect in [
        ("gru=None", lambda L: one_step(None, np.zeros((1, 2)), np.zeros((1, 3))), raises(TypeError, r"gru must be a gru_lesson GRU")),
        ("x_t with 3 features", lambda L: one_step(L.cell[0], np.zeros((1, 3)), np.zeros((1, 3))), raises(ValueError, r"x_t must have shape \(any, 2\)")),
        ("h_prev of another batch", lambda L: one_step(L.cell[0], np.zeros((2, 2)), np.zeros((1, 3))), raises(ValueError, r"h_prev must have shape \(2, 3\)")),
        ("x_t 1-D", lambda L: one_step(L.cell[0], np.zeros(2), np.zeros((1, 3))), raises(ValueError, r"x_t")),
        ("NaN in x_t", lambda L: one_step(L.cell[0], _nan_at(np.zeros((1, 2))), np.zeros((1, 3))), raises(ValueError, r"x_t must be finite")),
        ("inf in h_prev", lambda L: one_step(L.cell[0], np.zeros((1, 2)), np.full((1, 3), np.inf)), raises(ValueError, r"h_prev must be finite")),
        ("text", lambda L: one_step(L.cell[0], "x", np.zeros((1, 3))), raises(TypeError, r"x_t")),
        ("an empty batch", lambda L: one_step(L.cell[0], np.zeros((0, 2)), np.zeros((0, 3))), works(lambda v: v["h"].shape == (0, 3))),
        ("lists, float32", lambda L: one_step(L.cell[0], [[0.5, -1.0]], np.float32([[0.1, 0.2, 0.3]])), works(lambda v: v["h"].shape == (1, 3) and np.all(np.abs(v["h"]) < 1))),
        ("the trace's step 2", lambda L: (one_step(L.cell[0], L.cell[1][:, 2], L.cell[2].h[:, 1]), L.cell[2]), works(lambda r: np.allclose(r[0]["h"], r[1].h[:, 2]) and np.allclose(r[0]["z"], r[1].z[:, 2]))),
    ]:  # fmt: skip
        add(c("cell_diagram.run_step", call, expect, label))
    lv = cell_diagram.lit_values

    def lit(L, **change):
        args = dict(zip(("gru", "x", "trace"), L.cell, strict=True), t=2) | change
        return lv(args.pop("gru"), args.pop("x"), args.pop("trace"), args.pop("t"), **args)

    for label, call, expect in [
        ("t=5 of 5 steps", lambda L: lit(L, t=5), raises(ValueError, r"t \(step\) must be an integer, in \[0, 4\], got 5")),
        ("t=-1", lambda L: lit(L, t=-1), raises(ValueError, r"t \(step\).*\[0, 4\]")),
        ("t=True", lambda L: lit(L, t=True), raises(TypeError, r"t \(step\) must be an integer")),
        ("t=nan", lambda L: lit(L, t=NAN), raises((TypeError, ValueError), r"t \(step\)")),
        ("unit=3 of 3", lambda L: lit(L, unit=3), raises(ValueError, r"unit must be an integer, in \[0, 2\], got 3")),
        ("sequence=2 of 2", lambda L: lit(L, sequence=2), raises(ValueError, r"sequence must be an integer, in \[0, 1\]")),
        ("a trace of another GRU", lambda L: lit(L, gru=GRU.initialize(2, 3, seed=1)), raises(ValueError, r"the trace is not this GRU's on x")),
        ("a trace of a GRU with 4 units", lambda L: lit(L, gru=GRU.initialize(2, 4, seed=1)), raises(ValueError, r"another GRU")),
        ("a trace of other inputs", lambda L: lit(L, x=L.cell[1] * 2), raises(ValueError, r"the trace is not this GRU's on x")),
        ("x of 4 steps", lambda L: lit(L, x=L.cell[1][:, :4]), raises(ValueError, r"x must have shape \(2, 5, 2\)")),
        ("NaN in x", lambda L: lit(L, x=_nan_at(L.cell[1])), raises(ValueError, r"x must be finite")),
        ("NaN in the trace", lambda L: lit(L, trace=dataclasses.replace(L.cell[2], h=_nan_at(L.cell[2].h))), raises(ValueError, r"trace.h must be finite")),
        ("not a trace", lambda L: lit(L, trace=L.cell[2].h), raises(TypeError, r"trace must be a GRUTrace")),
        ("t=np.int64(4), unit=2.0, sequence=1", lambda L: (lit(L, t=np.int64(4), unit=2.0, sequence=1), L.cell[2]), works(lambda r: abs(r[0]["h"] - r[1].h[1, 4, 2]) < 1e-12 and abs(r[0]["h_prev"] - r[1].h[1, 3, 2]) < 1e-12)),
    ]:  # fmt: skip
        add(c("cell_diagram.lit_values", call, expect, label))
    for label, call, expect in [
        ("reset_after='no'", lambda L: cell_diagram.draw_cell("no"), raises(TypeError, r"reset_after")),
        ("figsize negative", lambda L: cell_diagram.draw_cell(True, figsize=(-1, 3)), raises(ValueError, r"figure size|figsize")),
        ("reset_after=np.bool_(True)", lambda L: _closing(cell_diagram.draw_cell(np.bool_(True))), works()),
    ]:  # fmt: skip
        add(c("cell_diagram.draw_cell", call, expect, label))
    dl = cell_diagram.draw_lit_cell
    for label, call, expect in [
        ("t=5 of 5 steps", lambda L: dl(*L.cell, 5), raises(ValueError, r"t \(step\).*\[0, 4\]")),
        ("unit=-1", lambda L: dl(*L.cell, 1, unit=-1), raises(ValueError, r"unit")),
        ("a trace of another GRU", lambda L: dl(GRU.initialize(2, 3, seed=1), *L.cell[1:], 1), raises(ValueError, r"not this GRU's")),
        ("t=np.int64(0)", lambda L: _closing(dl(*L.cell, np.int64(0), unit=np.int64(2))), works()),
    ]:  # fmt: skip
        add(c("cell_diagram.draw_lit_cell", call, expect, label))
    return cases


# ---------------------------------------------------------------- table helpers
def _nan_at(x):
    x = np.array(x, dtype=float)
    x[(0,) * x.ndim] = NAN
    return x


def _with_output(classifier, V):
    from gru_lesson.classifier import GRUClassifier

    return GRUClassifier(classifier.gru, np.full_like(classifier.V, V), classifier.c)


def _units(memory):
    return len(memory.correlation)


def _shipped_W():
    return trained.load_trained_classifier()[0].gru.W


def _unbuilt_gru():
    import keras

    return keras.layers.GRU(3)


def _progress_text(action, mode="terminal"):
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        line = progress.ProgressLine(3, mode=mode, min_interval=0.0)
        action(line)
    return out.getvalue()


def _train(L, *, x=None, y=None, x_val=None, y_val=None, **options):
    data = dict(zip(("x", "y", "x_val", "y_val"), L.data, strict=True))
    for name, change in (("x", x), ("y", y), ("x_val", x_val), ("y_val", y_val)):
        if change is not None:
            data[name] = change(data[name])
    options.setdefault("epochs", 1)
    return training.train(L.keras_model_for_training, **data, **options)


def _saved(L, metadata):
    path = L.tmp / "no_metadata.npz"
    L.classifier.save_npz(path, metadata=metadata)
    return path


def _closing(fig):
    import matplotlib.pyplot as plt

    ok = fig is not None and len(fig.axes) > 0
    plt.close(fig)
    return ok


def _fresh(L):
    return L.fresh_explorer()


def _fresh_then(call):
    def run(L):
        _fresh(L)
        return call(L)

    return run


def _with_text(L, text):
    view = _fresh(L)
    view.text.value = text
    return view


def _click(L, button, key=None, *, text):
    view = _with_text(L, text)
    widget = getattr(view, button)
    (widget[key] if key is not None else widget).click()
    return view


def _put(L, symbol, step):
    view = _fresh(L)
    view.put(symbol, step)
    return view


def _flipped(L):
    view = _fresh(L)
    before = view.data.p_final > 0.5
    view.flip_cue()
    return before, view.data.p_final > 0.5


def _measured(L, name):
    view = getattr(L, name)
    slider, _ = view._benchmark_slider()
    before = slider.value
    result = view.measure_redraw(np.int64(2), warmup=0)
    return result, slider.value == before


CASES = _cases()


# ============================================================================ tests
@pytest.fixture(scope="module")
def lesson():
    lesson = Lesson()
    yield lesson
    if "tmp" in vars(lesson):
        shutil.rmtree(lesson.tmp)


def _public_methods(cls):
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if inspect.isfunction(member) or isinstance(member, (property, classmethod, staticmethod)):
            yield name


def _controls(view):
    """The controls a student sets in a widget view: sliders, text boxes, menus."""
    import ipywidgets as w

    kinds = (w.Text, w.IntSlider, w.FloatSlider, w.Dropdown, w.Play)
    for name, value in vars(view).items():
        if isinstance(value, kinds) or (
            isinstance(value, dict) and value and all(isinstance(v, kinds) for v in value.values())
        ):
            yield name


def test_every_public_name_method_and_control_has_rows(lesson):
    covered = {where for where, *_ in CASES}
    missing = []
    for module_name, module in MODULES.items():
        for name in module.__all__:
            where = f"{module_name}.{name}"
            obj = getattr(module, name)
            if not callable(obj) or isinstance(obj, dict):
                if where not in CONSTANTS:
                    missing.append(f"{where} (a constant: add it to CONSTANTS)")
                continue
            if where not in covered:
                missing.append(where)
            if inspect.isclass(obj):
                missing += [
                    f"{where}.{m}" for m in _public_methods(obj) if f"{where}.{m}" not in covered
                ]
    views = {"GateExplorer": lesson.explorer, "HandsetPlayground": lesson.playground}
    views["SaturationExplorer"] = lesson.saturation
    for cls_name, view in views.items():
        missing += [
            f"explorer.{cls_name}.{name} (a control)"
            for name in _controls(view)
            if f"explorer.{cls_name}.{name}" not in covered
        ]
        missing += [
            f"explorer.{cls_name}.{m}"
            for m in _public_methods(Widget)
            if f"explorer.{cls_name}.{m}" not in covered
        ]
    assert not missing, f"public names without bad-input rows: {missing}"
    assert not CONSTANTS - {f"{m}.{n}" for m, mod in MODULES.items() for n in mod.__all__}


def test_the_table_can_tell_what_went_wrong(lesson):
    """outcome() names each way a call can fail, so the table's verdicts mean something."""

    def boom(L):
        raise IndexError("list index out of range")

    assert outcome(lesson, boom, raises(ValueError, "x"))[0] == "obscure traceback"
    assert outcome(lesson, boom, works())[0] == "crash on valid input"
    assert outcome(lesson, lambda L: np.array([NAN]), raises(ValueError, ""))[0] == "silent NaN/inf"
    assert outcome(lesson, lambda L: 1.0, raises(ValueError, ""))[0] == "silent wrong result"
    assert outcome(lesson, lambda L: 1.0, works(lambda r: r == 2))[0] == "silent wrong result"
    assert outcome(lesson, lambda L: math.pi, works(lambda r: r > 3))[0] == "right"


# The calls that train Keras models when they work: slow tests (`course.py test --quick` skips them).
TRAINS = {
    "experiments.run_experiment",
    "experiments.run_masking_experiment",
    "experiments.run_sweep",
    "training.train",
}


@pytest.mark.parametrize(
    "where, label, call, expect",
    [
        pytest.param(*case, marks=pytest.mark.slow)
        if case[0] in TRAINS and case[3].error is None
        else case
        for case in CASES
    ],
    ids=[f"{where}: {label or expect}" for where, label, call, expect in CASES],
)
def test_bad_or_unusual_call(lesson, where, label, call, expect):
    verdict, detail = outcome(lesson, call, expect)
    assert verdict == "right", f"{where}({label}): {verdict}, expected {expect!r}; got {detail}"


@pytest.mark.parametrize("seed", range(6))
def test_a_nan_or_infinity_anywhere_is_refused(lesson, seed):
    """A valid input works; the same input with NaN or infinity at a random place is refused."""
    rng = np.random.default_rng(seed)
    one_unit = handset.handset_gru(W_h=1.0, units=2)
    calls = {
        "to_text": (one_hot(*rng.integers(0, 4, 12)), tasks.to_text),
        "label_correlation": (
            rng.normal(size=(10, 3)),
            lambda h: gates.label_correlation(h, [0, 1] * 5),
        ),
        "gate_saturation": (rng.uniform(size=(4, 6, 3)), gates.gate_saturation),
        "handset_gru": (rng.normal(size=(2, 3)), lambda W: handset.handset_gru(W_z=W)),
        "update_gate_memory": (rng.normal(size=5), lambda b: training.update_gate_memory(b, 3)),
        "gate_data": (
            one_hot(*rng.integers(0, 4, 8)),
            lambda x: explorer.gate_data(lesson.classifier, x),
        ),
        "handset_data": (rng.normal(size=7), lambda x: explorer.handset_data(one_unit, x)),
        "run_step": (
            rng.normal(size=(3, 1)),
            lambda x: cell_diagram.run_step(one_unit, x, np.zeros((3, 2))),
        ),
    }
    for name, (valid, call) in calls.items():
        assert not has_nonfinite(call(valid)), name
        bad = np.array(valid, dtype=float)
        bad[tuple(rng.integers(0, size) for size in bad.shape)] = rng.choice([NAN, INF, -INF])
        with pytest.raises(ValueError, match="finite"):
            call(bad)
