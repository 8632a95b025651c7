"""Bad and unusual calls to every public name of the core modules, in one table.

Each row calls one public name (or a public method) with an argument that is
wrong (wrong rank, wrong size, text, NaN, out-of-range numbers, booleans where an
integer is asked, ...) or unusual but valid (float32, lists, 0-d arrays, an empty
batch). A wrong call must raise ``TypeError`` or ``ValueError`` (or, for what the
NumPy GRU cannot reproduce, ``NotImplementedError``) with a message that names the
argument; a valid call must give the right answer. A test checks that every name
in each module's ``__all__`` has rows here, so a new public name needs them too.
"""

from __future__ import annotations

import importlib
import inspect
import re
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from gru_lesson import (
    bptt,
    classifier,
    conventions,
    fast,
    gradcheck,
    gru,
    initializers,
    keras_twin,
    optim,
    rnn,
)

compare = importlib.import_module("gru_lesson.compare")

MODULES = [
    gru,
    initializers,
    keras_twin,
    bptt,
    gradcheck,
    fast,
    rnn,
    optim,
    classifier,
    compare,
    conventions,
]
B, T, D, U = 2, 4, 3, 5


# --------------------------------------------------------------------------- the cases
def a_gru(**options):
    """A float64 GRU with random biases (zeros would hide bias bugs)."""
    g = gru.GRU.initialize(D, U, seed=0, **options)
    rng = np.random.default_rng(1)
    for name in ("bx", "bh"):
        if getattr(g, name) is not None:
            getattr(g, name)[:] = rng.normal(size=3 * U)
    return g


def x_(batch=B, steps=T, features=D, dtype=np.float64):
    return np.random.default_rng(2).normal(size=(batch, steps, features)).astype(dtype)


def with_nan(a, index=(0,)):
    a = np.array(a, dtype=float)
    a[index] = np.nan
    return a


def with_inf(a, index=(0,)):
    a = np.array(a, dtype=float)
    a[index] = np.inf
    return a


def a_trace(g=None, x=None):
    g = g or a_gru()
    return g.trace(x_() if x is None else x)


def dh(batch=B, steps=T):
    return np.random.default_rng(3).normal(size=(batch, steps, U))


def G_last(batch=B):
    return np.random.default_rng(4).normal(size=(batch, U))


def a_layer(**options):
    import keras

    layer = keras.layers.GRU(U, dtype="float64", **options)
    layer.build((None, None, D))
    return layer


def a_model():
    return classifier.GRUClassifier.initialize(D, U, seed=0)


def an_rnn():
    return rnn.TanhRNN.initialize(D, U, seed=0)


def params_and_grads(grad=1.0):
    return {"w": np.zeros(3)}, {"w": np.full(3, grad)}


def close(reference):
    """A check: the result equals ``reference()`` (a dict of arrays, a list or an array)."""

    def check(result):
        expected = reference()
        if isinstance(expected, dict):
            return all(np.allclose(result[k], v, atol=1e-5, rtol=1e-5) for k, v in expected.items())
        if isinstance(expected, (list, tuple)):
            return all(np.allclose(r, e, atol=1e-5) for r, e in zip(result, expected, strict=True))
        return np.shape(result) == np.shape(expected) and np.allclose(result, expected, atol=1e-5)

    return check


def shaped(*shape):
    return lambda result: np.shape(result) == shape and np.all(np.isfinite(result))


def all_zero_grads(result):
    grads = result[1] if isinstance(result, tuple) else result
    return all(np.all(np.asarray(v) == 0) for v in grads.values())


@dataclass
class Case:
    name: str  # the public name, as module.name or module.Class.method
    what: str  # the unusual argument
    call: Callable[[], Any]
    expect: Any  # an exception class, or a function of the result that must hold
    match: str = ""  # what the error message must say (the argument's name)
    keras: bool = False


def bad(name, what, call, error, match, **kw):
    return Case(name, what, call, error, match, **kw)


def good(name, what, call, check, **kw):
    return Case(name, what, call, check, **kw)


G = "gru.GRU"
# fmt: off
CASES = [
    # ----------------------------------------------------------------- gru.GRU
    bad(G, "W 1-D", lambda: gru.GRU(np.ones(9), np.ones((3, 9))), ValueError, "W"),
    bad(G, "W of text", lambda: gru.GRU("W", np.ones((3, 9))), TypeError, "W"),
    bad(G, "W ragged", lambda: gru.GRU([[1, 2], [1]], np.ones((3, 9))), TypeError, "W"),
    bad(G, "W with NaN", lambda: gru.GRU(with_nan(np.ones((2, 9))), np.ones((3, 9))), ValueError, "W"),
    bad(G, "R with inf", lambda: gru.GRU(np.ones((2, 9)), with_inf(np.ones((3, 9)))), ValueError, "R"),
    bad(G, "bx with NaN", lambda: gru.GRU(np.ones((2, 9)), np.ones((3, 9)), with_nan(np.ones(9)), np.ones(9)), ValueError, "bx"),
    bad(G, "bh with inf", lambda: gru.GRU(np.ones((2, 9)), np.ones((3, 9)), np.ones(9), with_inf(np.ones(9))), ValueError, "bh"),
    bad(G, "0 units", lambda: gru.GRU(np.ones((2, 0)), np.ones((0, 0))), ValueError, "W"),
    bad(G, "0 features", lambda: gru.GRU(np.ones((0, 9)), np.ones((3, 9))), ValueError, "W"),
    bad(G, "8 columns", lambda: gru.GRU(np.ones((2, 8)), np.ones((3, 9))), ValueError, "3\\*units"),
    bad(G, "dropout=-1", lambda: a_gru(dropout=-1), ValueError, "dropout"),
    bad(G, "dropout=2", lambda: a_gru(dropout=2.0), ValueError, "dropout"),
    bad(G, "recurrent_dropout text", lambda: a_gru(recurrent_dropout="0.1"), TypeError, "recurrent_dropout"),
    bad(G, "dropout NaN", lambda: a_gru(dropout=np.nan), ValueError, "dropout"),
    bad(G, "reset_after text", lambda: gru.GRU(np.ones((2, 9)), np.ones((3, 9)), reset_after="no"), TypeError, "reset_after"),
    bad(G, "return_sequences=1", lambda: a_gru(return_sequences=1), TypeError, "return_sequences"),
    bad(G, "go_backwards=None", lambda: a_gru(go_backwards=None), TypeError, "go_backwards"),
    good(G, "lists", lambda: gru.GRU(np.ones((2, 9)).tolist(), np.ones((3, 9)).tolist())(x_(features=2)), shaped(B, 3)),
    good(G, "integer weights", lambda: gru.GRU(np.ones((2, 9), int), np.ones((3, 9), int)).dtype, lambda d: d == np.float64),
    good(G, "numpy bools", lambda: a_gru(return_sequences=np.bool_(True))(x_()), shaped(B, T, U)),
    # ------------------------------------------------------------ GRU.initialize
    bad("gru.GRU.initialize", "units=-1", lambda: gru.GRU.initialize(3, -1), ValueError, "units"),
    bad("gru.GRU.initialize", "units=0", lambda: gru.GRU.initialize(3, 0), ValueError, "units"),
    bad("gru.GRU.initialize", "input_dim=0", lambda: gru.GRU.initialize(0, 3), ValueError, "input_dim"),
    bad("gru.GRU.initialize", "units=2.5", lambda: gru.GRU.initialize(3, 2.5), TypeError, "units"),
    bad("gru.GRU.initialize", "units=True", lambda: gru.GRU.initialize(3, True), TypeError, "units"),
    bad("gru.GRU.initialize", "units text", lambda: gru.GRU.initialize(3, "4"), TypeError, "units"),
    bad("gru.GRU.initialize", "dtype int", lambda: gru.GRU.initialize(3, 4, dtype=int), ValueError, "dtype"),
    bad("gru.GRU.initialize", "dtype text", lambda: gru.GRU.initialize(3, 4, dtype="half a float"), TypeError, "dtype"),
    bad("gru.GRU.initialize", "use_bias text", lambda: gru.GRU.initialize(3, 4, use_bias="yes"), TypeError, "use_bias"),
    good("gru.GRU.initialize", "units numpy int", lambda: gru.GRU.initialize(np.int64(3), np.int32(4)).units, lambda u: u == 4),
    good("gru.GRU.initialize", "float32", lambda: gru.GRU.initialize(3, 4, dtype="float32").dtype, lambda d: d == np.float32),
    # ------------------------------------------------------- GRU.trace / __call__
    bad("gru.GRU.trace", "x 2-D", lambda: a_gru().trace(np.ones((T, D))), ValueError, "x must be 3-D"),
    bad("gru.GRU.trace", "x wrong features", lambda: a_gru().trace(x_(features=4)), ValueError, "x must have 3 features"),
    bad("gru.GRU.trace", "x text", lambda: a_gru().trace("x"), TypeError, "x"),
    bad("gru.GRU.trace", "x objects", lambda: a_gru().trace(np.array([[[None] * D]])), TypeError, "x"),
    bad("gru.GRU.trace", "x ragged", lambda: a_gru().trace([[[1, 2, 3]], [[1, 2]]]), TypeError, "x"),
    bad("gru.GRU.trace", "x NaN", lambda: a_gru().trace(with_nan(x_(), (0, 1, 2))), ValueError, "x must be finite"),
    bad("gru.GRU.trace", "x inf", lambda: a_gru().trace(with_inf(x_(), (1, 1, 1))), ValueError, "x must be finite"),
    bad("gru.GRU.trace", "no step", lambda: a_gru().trace(x_(steps=0)), ValueError, "time step"),
    bad("gru.GRU.trace", "h0 NaN", lambda: a_gru().trace(x_(), initial_state=with_nan(G_last())), ValueError, "initial_state"),
    bad("gru.GRU.trace", "h0 wrong shape", lambda: a_gru().trace(x_(), initial_state=np.ones(U)), ValueError, "initial_state"),
    bad("gru.GRU.trace", "two states", lambda: a_gru().trace(x_(), initial_state=[G_last(), G_last()]), ValueError, "one state"),
    bad("gru.GRU.trace", "mask 0/1", lambda: a_gru().trace(x_(), mask=np.ones((B, T), int)), TypeError, "mask"),
    bad("gru.GRU.trace", "mask wrong shape", lambda: a_gru().trace(x_(), mask=np.ones((B, T + 1), bool)), ValueError, "mask"),
    bad(G + ".__call__", "training with dropout", lambda: a_gru(dropout=0.5)(x_(), training=True), NotImplementedError, "dropout"),
    good("gru.GRU.trace", "empty batch", lambda: a_gru().trace(x_(batch=0)).h, shaped(0, T, U)),
    good(G + ".__call__", "empty batch", lambda: a_gru()(x_(batch=0)), shaped(0, U)),
    good(G + ".__call__", "x float32", lambda: a_gru()(x_(dtype=np.float32)), close(lambda: a_gru()(x_()))),
    good(G + ".__call__", "x lists", lambda: a_gru()(x_().tolist()), close(lambda: a_gru()(x_()))),
    good(G + ".__call__", "integer x", lambda: a_gru()(np.ones((B, T, D), int)), close(lambda: a_gru()(np.ones((B, T, D))))),
    good(G + ".__call__", "h0 as [h0]", lambda: a_gru()(x_(), initial_state=[G_last()]), close(lambda: a_gru()(x_(), initial_state=G_last()))),
    good(G + ".__call__", "h0 as lists", lambda: a_gru()(x_(), initial_state=G_last().tolist()), close(lambda: a_gru()(x_(), initial_state=G_last()))),
    good(G + ".__call__", "mask as lists", lambda: a_gru()(x_(), mask=np.ones((B, T), bool).tolist()), close(lambda: a_gru()(x_()))),
    good(G + ".count_params", "reset_after=False", lambda: a_gru(reset_after=False).count_params(), lambda n: n == 3 * U * (D + U + 1)),
    # -------------------------------------------------------- sigmoid, split_gates
    bad("gru.sigmoid", "text", lambda: gru.sigmoid("a"), TypeError, "a"),
    bad("gru.sigmoid", "NaN", lambda: gru.sigmoid(np.array([0.0, np.nan])), ValueError, "a must be finite"),
    bad("gru.sigmoid", "objects", lambda: gru.sigmoid(np.array([None])), TypeError, "a"),
    good("gru.sigmoid", "infinities", lambda: gru.sigmoid(np.array([-np.inf, np.inf])), lambda r: list(r) == [0, 1]),
    good("gru.sigmoid", "a list", lambda: gru.sigmoid([0.0, 0.0]), lambda r: list(r) == [0.5, 0.5]),
    good("gru.sigmoid", "a number", lambda: float(gru.sigmoid(0)), lambda r: r == 0.5),
    good("gru.sigmoid", "float32", lambda: gru.sigmoid(np.zeros(2, np.float32)).dtype, lambda d: d == np.float32),
    bad("gru.split_gates", "length 8", lambda: gru.split_gates(np.ones(8)), ValueError, "3 equal gate blocks"),
    bad("gru.split_gates", "a number", lambda: gru.split_gates(3.0), ValueError, "3 equal gate blocks"),
    bad("gru.split_gates", "text", lambda: gru.split_gates("zrh"), TypeError, "m"),
    good("gru.split_gates", "a list", lambda: gru.split_gates([1, 2, 3, 4, 5, 6]), lambda r: [list(b) for b in r] == [[1, 2], [3, 4], [5, 6]]),
    bad("gru.GRUTrace", "a trace of other shapes", lambda: bptt.gru_backward(a_gru(), x_(), gru.GRUTrace(z=np.ones((B, T, 1)), r=np.ones((B, T, U)), h_tilde=np.ones((B, T, U)), h=np.ones((B, T, U)), h0=np.ones((B, U)), mask=np.ones((B, T), bool)), dh()), ValueError, "trace.z"),
    bad("gru.GRUTrace", "not a trace", lambda: bptt.gru_backward(a_gru(), x_(), {"h": 1}, dh()), TypeError, "trace"),
    # ----------------------------------------------------------------- keras_twin
    bad("keras_twin.gru_from_keras", "an LSTM", lambda: keras_twin.gru_from_keras(__import__("keras").layers.LSTM(3)), TypeError, "GRU", keras=True),
    bad("keras_twin.gru_from_keras", "unbuilt", lambda: keras_twin.gru_from_keras(__import__("keras").layers.GRU(3)), ValueError, "not built", keras=True),
    bad("keras_twin.gru_from_keras", "relu", lambda: keras_twin.gru_from_keras(a_layer(activation="relu")), NotImplementedError, "activation", keras=True),
    good("keras_twin.gru_from_keras", "every option", lambda: (keras_twin.gru_from_keras(a_layer(zero_output_for_mask=True, go_backwards=True)).zero_output_for_mask), lambda v: v is True, keras=True),
    bad("keras_twin.gru_to_keras", "activation relu", lambda: keras_twin.gru_to_keras(a_gru(), activation="relu"), ValueError, "activation", keras=True),
    bad("gru.GRU.to_keras", "another go_backwards", lambda: a_gru().to_keras(go_backwards=True), ValueError, "go_backwards", keras=True),
    bad("gru.GRU.to_keras", "another zero_output_for_mask", lambda: a_gru().to_keras(zero_output_for_mask=True), ValueError, "zero_output_for_mask", keras=True),
    good("gru.GRU.to_keras", "keeps zero_output_for_mask", lambda: a_gru(zero_output_for_mask=True).to_keras().zero_output_for_mask, lambda v: v is True, keras=True),
    bad("gru.GRU.from_keras", "a Dense layer", lambda: gru.GRU.from_keras(__import__("keras").layers.Dense(3)), TypeError, "GRU", keras=True),
    good("gru.GRU.from_keras", "round trip under a mask", lambda: gru.GRU.from_keras(a_gru(zero_output_for_mask=True).to_keras())(x_(), mask=np.array([[True] * (T - 1) + [False]] * B)), lambda out: np.all(out == 0), keras=True),
    good("keras_twin.gru_to_keras", "float32", lambda: np.asarray(a_gru().to_keras(dtype="float32")(x_(dtype=np.float32))), close(lambda: a_gru()(x_())), keras=True),
    good("keras_twin.gru_to_keras", "empty batch", lambda: np.asarray(a_gru().to_keras()(x_(batch=0))), shaped(0, U), keras=True),
    bad("keras_twin.keras_layer_options", "not a GRU", lambda: keras_twin.keras_layer_options("gru"), TypeError, "gru"),
    good("keras_twin.keras_layer_options", "every option", lambda: keras_twin.keras_layer_options(a_gru(zero_output_for_mask=True)), lambda o: o["zero_output_for_mask"] is True),
    bad("keras_twin.set_keras_weights", "unbuilt layer", lambda: keras_twin.set_keras_weights(__import__("keras").layers.GRU(U), a_gru()), ValueError, "not built", keras=True),
    bad("keras_twin.set_keras_weights", "layer without bias", lambda: keras_twin.set_keras_weights(a_layer(use_bias=False), a_gru()), ValueError, "use_bias", keras=True),
    bad("keras_twin.set_keras_weights", "other units", lambda: keras_twin.set_keras_weights(a_layer(), gru.GRU.initialize(D, U + 1)), ValueError, "kernel", keras=True),
    bad("keras_twin.set_keras_weights", "not a GRU", lambda: keras_twin.set_keras_weights(a_layer(), "gru"), TypeError, "gru", keras=True),
    good("keras_twin.set_keras_weights", "reset_after=False", lambda: np.asarray(keras_twin.set_keras_weights(a_layer(reset_after=False), a_gru(reset_after=False))(x_())), close(lambda: a_gru(reset_after=False)(x_())), keras=True),
    # --------------------------------------------------------------------- bptt
    bad("bptt.gru_backward", "x wrong features", lambda: bptt.gru_backward(a_gru(), x_(features=4), a_trace(), dh()), ValueError, "x must have 3 features"),
    bad("bptt.gru_backward", "x of another batch", lambda: bptt.gru_backward(a_gru(), x_(batch=3), a_trace(), dh(batch=3)), ValueError, "trace"),
    bad("bptt.gru_backward", "dh_seq NaN", lambda: bptt.gru_backward(a_gru(), x_(), a_trace(), with_nan(dh(), (0, 0, 0))), ValueError, "dh_seq"),
    bad("bptt.gru_backward", "dh_seq wrong shape", lambda: bptt.gru_backward(a_gru(), x_(), a_trace(), dh()[:, 0]), ValueError, "dh_seq"),
    bad("bptt.gru_backward", "x NaN", lambda: bptt.gru_backward(a_gru(), with_nan(x_(), (0, 0, 0)), a_trace(), dh()), ValueError, "x must be finite"),
    bad("bptt.gru_backward", "dh_seq text", lambda: bptt.gru_backward(a_gru(), x_(), a_trace(), "dh"), TypeError, "dh_seq"),
    bad("bptt.gru_backward", "trace of another GRU", lambda: bptt.gru_backward(a_gru(), x_(), gru.GRU.initialize(D, U + 1).trace(x_()), dh()), ValueError, "units"),
    bad("bptt.gru_backward", "not a GRU", lambda: bptt.gru_backward("gru", x_(), a_trace(), dh()), TypeError, "gru"),
    good("bptt.gru_backward", "empty batch", lambda: bptt.gru_backward(a_gru(), x_(batch=0), a_trace(x=x_(batch=0)), dh(batch=0)), lambda g: (all_zero_grads({k: g[k] for k in ("W", "R", "bx", "bh")}) and g["x"].shape == (0, T, D))),
    good("bptt.gru_backward", "dh_seq lists", lambda: bptt.gru_backward(a_gru(), x_(), a_trace(), dh().tolist()), close(lambda: bptt.gru_backward(a_gru(), x_(), a_trace(), dh()))),
    bad("bptt.gru_loss_and_grads", "G wrong shape", lambda: bptt.gru_loss_and_grads(a_gru(), x_(), np.ones((B, T, U))), ValueError, "G"),
    bad("bptt.gru_loss_and_grads", "G NaN", lambda: bptt.gru_loss_and_grads(a_gru(), x_(), with_nan(G_last(), (0, 0))), ValueError, "G"),
    bad("bptt.gru_loss_and_grads", "G text", lambda: bptt.gru_loss_and_grads(a_gru(), x_(), "G"), TypeError, "G"),
    bad("bptt.gru_loss_and_grads", "x NaN", lambda: bptt.gru_loss_and_grads(a_gru(), with_nan(x_(), (0, 0, 0)), G_last()), ValueError, "x must be finite"),
    bad("bptt.gru_loss_and_grads", "G_state wrong shape", lambda: bptt.gru_loss_and_grads(a_gru(return_state=True), x_(), [G_last(), np.ones((B, U + 1))]), ValueError, "G_state"),
    good("bptt.gru_loss_and_grads", "empty batch", lambda: bptt.gru_loss_and_grads(a_gru(), x_(batch=0), G_last(batch=0)), lambda r: r[0] == 0.0 and all_zero_grads({k: r[1][k] for k in ("W", "R", "bx", "bh")})),
    good("bptt.gru_loss_and_grads", "zero output under a mask", lambda: bptt.gru_loss_and_grads(a_gru(zero_output_for_mask=True), x_(), G_last(), mask=np.array([[True] * (T - 1) + [False]] * B), inputs=True), lambda r: (r[0] == 0.0 and all_zero_grads({k: r[1][k] for k in ("W", "R", "bx", "bh", "x", "h0")}))),
    good("bptt.gru_loss_and_grads", "float32", lambda: bptt.gru_loss_and_grads(gru.GRU(*[p.astype(np.float32) for p in a_gru().params.values()]), x_(), G_last())[1]["W"], close(lambda: bptt.gru_loss_and_grads(a_gru(), x_(), G_last())[1]["W"])),
    bad("bptt.dh_seq_from_outputs", "d_output wrong shape", lambda: bptt.dh_seq_from_outputs(a_gru(), a_trace(), dh()), ValueError, "d_output"),
    bad("bptt.dh_seq_from_outputs", "d_output NaN", lambda: bptt.dh_seq_from_outputs(a_gru(), a_trace(), with_nan(G_last(), (0, 0))), ValueError, "d_output"),
    bad("bptt.dh_seq_from_outputs", "d_final_state wrong shape", lambda: bptt.dh_seq_from_outputs(a_gru(), a_trace(), G_last(), np.ones(U)), ValueError, "d_final_state"),
    bad("bptt.dh_seq_from_outputs", "not a trace", lambda: bptt.dh_seq_from_outputs(a_gru(), "trace", G_last()), TypeError, "trace"),
    good("bptt.dh_seq_from_outputs", "repeated output under a mask", lambda: bptt.dh_seq_from_outputs(a_gru(return_sequences=True), a_gru().trace(x_(), mask=np.array([[True, False, False, False]] * B)), np.ones((B, T, U)))[:, 0], lambda d: np.all(d == T)),
    bad("gradcheck.numerical_gradient", "a list", lambda: gradcheck.numerical_gradient(lambda: 0.0, [1.0, 2.0]), TypeError, "array"),
    bad("gradcheck.numerical_gradient", "float32", lambda: gradcheck.numerical_gradient(lambda: 0.0, np.ones(2, np.float32)), TypeError, "float64"),
    bad("gradcheck.numerical_gradient", "eps=0", lambda: gradcheck.numerical_gradient(lambda: 0.0, np.ones(2), eps=0), ValueError, "eps"),
    bad("gradcheck.numerical_gradient", "f not callable", lambda: gradcheck.numerical_gradient(3.0, np.ones(2)), TypeError, "f must be a function"),
    bad("gradcheck.numerical_gradient", "index out of range", lambda: gradcheck.numerical_gradient(lambda: 0.0, np.ones(2), indices=[5]), ValueError, "indices"),
    good("gradcheck.numerical_gradient", "a square", lambda: (lambda a: gradcheck.numerical_gradient(lambda: float(np.sum(a**2)), a))(np.array([1.0, -2.0])), lambda g: np.allclose(g, [2.0, -4.0])),
    bad("gradcheck.gradient_check", "float32 GRU", lambda: gradcheck.gradient_check(gru.GRU.initialize(D, U, dtype="float32"), x_(), G_last(), show=False), TypeError, "float64"),
    bad("gradcheck.gradient_check", "x text", lambda: gradcheck.gradient_check(a_gru(), "x", G_last(), show=False), TypeError, "x"),
    bad("gradcheck.gradient_check", "eps=-1", lambda: gradcheck.gradient_check(a_gru(), x_(), G_last(), eps=-1, show=False), ValueError, "eps"),
    bad("gradcheck.gradient_check", "G NaN", lambda: gradcheck.gradient_check(a_gru(), x_(), with_nan(G_last(), (0, 0)), show=False), ValueError, "G"),
    good("gradcheck.gradient_check", "zero output under a mask", lambda: gradcheck.gradient_check(a_gru(zero_output_for_mask=True), x_(batch=1), G_last(batch=1), mask=[[True] * (T - 1) + [False]], show=False), lambda e: max(e.values()) < 1e-6),
    bad("gradcheck.keras_gru_gradients", "x wrong features", lambda: gradcheck.keras_gru_gradients(a_gru(), x_(features=4), G_last()), ValueError, "x must have 3 features", keras=True),
    bad("gradcheck.keras_gru_gradients", "G wrong shape", lambda: gradcheck.keras_gru_gradients(a_gru(), x_(), np.ones((B, T, U))), ValueError, "G", keras=True),
    bad("gradcheck.keras_gru_gradients", "h0 wrong shape", lambda: gradcheck.keras_gru_gradients(a_gru(), x_(), G_last(), initial_state=np.ones(U)), ValueError, "initial_state", keras=True),
    bad("gradcheck.keras_gru_gradients", "mask 0/1", lambda: gradcheck.keras_gru_gradients(a_gru(), x_(), G_last(), mask=np.ones((B, T))), TypeError, "mask", keras=True),
    good("gradcheck.keras_gru_gradients", "return_state", lambda: gradcheck.keras_gru_gradients(a_gru(return_state=True), x_(), [G_last(), G_last()]), close(lambda: { k: v for k, v in bptt.gru_loss_and_grads(a_gru(return_state=True), x_(), [G_last(), G_last()])[1].items() if k != "h" }), keras=True),
    good("gradcheck.keras_gru_gradients", "float32 x", lambda: gradcheck.keras_gru_gradients(a_gru(), x_(dtype=np.float32), G_last())["W"], close(lambda: bptt.gru_loss_and_grads(a_gru(), x_(), G_last())[1]["W"]), keras=True),
    good("gradcheck.keras_gru_gradients", "empty batch", lambda: gradcheck.keras_gru_gradients(a_gru(), x_(batch=0), G_last(batch=0)), lambda g: all_zero_grads({k: g[k] for k in ("W", "R", "bx", "bh")}) and g["x"].shape == (0, T, D), keras=True),
    bad("gradcheck.gradient_by_distance", "kind", lambda: gradcheck.gradient_by_distance("lstm"), ValueError, "kind"),
    bad("gradcheck.gradient_by_distance", "units=True", lambda: gradcheck.gradient_by_distance(units=True), TypeError, "units"),
    bad("gradcheck.gradient_by_distance", "steps=1", lambda: gradcheck.gradient_by_distance(steps=1), ValueError, "steps"),
    bad("gradcheck.gradient_by_distance", "seeds=3", lambda: gradcheck.gradient_by_distance(seeds=3), TypeError, "seeds"),
    bad("gradcheck.gradient_by_distance", "seeds empty", lambda: gradcheck.gradient_by_distance(seeds=[]), ValueError, "seeds"),
    bad("gradcheck.gradient_by_distance", "update_gate_bias NaN", lambda: gradcheck.gradient_by_distance(update_gate_bias=np.nan), ValueError, "update_gate_bias"),
    bad("gradcheck.gradient_by_distance", "update_gate_bias text", lambda: gradcheck.gradient_by_distance(update_gate_bias="2"), TypeError, "update_gate_bias"),
    good("gradcheck.gradient_by_distance", "numpy ints", lambda: gradcheck.gradient_by_distance(units=np.int64(3), steps=np.int64(5), batch=2, seeds=[np.int64(0)]), shaped(5)),
    good("bptt.GRADIENT_NAMES", "a tuple, so a notebook cannot change it", lambda: bptt.GRADIENT_NAMES, lambda v: isinstance(v, tuple)),
    # --------------------------------------------------------------------- fast
    good("fast.fast_forward", "empty batch", lambda: fast.fast_forward(a_gru(), x_(batch=0)), shaped(0, U)),
    good("fast.fast_forward", "empty batch, sequences and state", lambda: fast.fast_forward(a_gru(return_sequences=True, return_state=True), x_(batch=0)), lambda r: r[0].shape == (0, T, U) and r[1].shape == (0, U)),
    good("fast.fast_forward", "x float32", lambda: fast.fast_forward(a_gru(), x_(dtype=np.float32)), close(lambda: a_gru()(x_()))),
    good("fast.fast_forward", "x lists", lambda: fast.fast_forward(a_gru(), x_().tolist()), close(lambda: a_gru()(x_()))),
    bad("fast.fast_forward", "x NaN", lambda: fast.fast_forward(a_gru(), with_nan(x_(), (0, 0, 0))), ValueError, "x must be finite"),
    bad("fast.fast_forward", "x wrong features", lambda: fast.fast_forward(a_gru(), x_(features=4)), ValueError, "x must have 3 features"),
    bad("fast.fast_forward", "threads=0", lambda: fast.fast_forward(a_gru(), x_(), threads=0), ValueError, "threads"),
    bad("fast.fast_forward", "not a GRU", lambda: fast.fast_forward("gru", x_()), TypeError, "gru"),
    good("fast.fast_trace", "empty batch", lambda: fast.fast_trace(a_gru(), x_(batch=0)).z, shaped(0, T, U)),
    bad("fast.fast_trace", "mask 0/1", lambda: fast.fast_trace(a_gru(), x_(), mask=np.ones((B, T), int)), TypeError, "mask"),
    bad("fast.fast_trace", "h0 inf", lambda: fast.fast_trace(a_gru(), x_(), initial_state=with_inf(G_last(), (0, 0))), ValueError, "initial_state"),
    good("fast.FastTrace", "a FastTrace is a GRUTrace the readable backward takes", lambda: bptt.gru_backward(a_gru(), x_(), fast.fast_trace(a_gru(), x_()), dh()), close(lambda: bptt.gru_backward(a_gru(), x_(), a_trace(), dh()))),
    good("fast.fast_backward", "empty batch", lambda: fast.fast_backward(a_gru(), x_(batch=0), fast.fast_trace(a_gru(), x_(batch=0)), dh(batch=0)), lambda g: all_zero_grads({k: g[k] for k in ("W", "R", "bx", "bh")})),
    good("fast.fast_backward", "a readable trace", lambda: fast.fast_backward(a_gru(), x_(), a_trace(), dh()), close(lambda: bptt.gru_backward(a_gru(), x_(), a_trace(), dh()))),
    bad("fast.fast_backward", "dh_seq NaN", lambda: fast.fast_backward(a_gru(), x_(), a_trace(), with_nan(dh(), (0, 0, 0))), ValueError, "dh_seq"),
    bad("fast.fast_backward", "x wrong features", lambda: fast.fast_backward(a_gru(), x_(features=4), a_trace(), dh()), ValueError, "x must have 3 features"),
    bad("fast.fast_backward", "not a trace", lambda: fast.fast_backward(a_gru(), x_(), None, dh()), TypeError, "trace"),
    good("fast.fast_loss_and_grads", "empty batch", lambda: fast.fast_loss_and_grads(a_gru(), x_(batch=0), G_last(batch=0)), lambda r: r[0] == 0.0 and all_zero_grads({k: r[1][k] for k in ("W", "R", "bx", "bh")})),
    good("fast.fast_loss_and_grads", "zero output under a mask", lambda: fast.fast_loss_and_grads(a_gru(zero_output_for_mask=True), x_(), G_last(), mask=np.array([[True] * (T - 1) + [False]] * B), inputs=True), lambda r: (r[0] == 0.0 and all_zero_grads({k: r[1][k] for k in ("W", "R", "bx", "bh", "x", "h0")}))),
    bad("fast.fast_loss_and_grads", "G NaN", lambda: fast.fast_loss_and_grads(a_gru(), x_(), with_nan(G_last(), (0, 0))), ValueError, "G"),
    bad("fast.fast_loss_and_grads", "G wrong shape", lambda: fast.fast_loss_and_grads(a_gru(), x_(), np.ones(U)), ValueError, "G"),
    bad("fast.blas_threads", "threads=1.5", lambda: _enter(fast.blas_threads(1.5)), TypeError, "threads"),
    bad("fast.blas_threads", "threads=-1", lambda: _enter(fast.blas_threads(-1)), ValueError, "threads"),
    good("fast.blas_threads", "threads=np.int64(1)", lambda: _enter(fast.blas_threads(np.int64(1))), lambda r: r == "entered"),
    # ------------------------------------------------------------- initializers
    good("initializers.glorot_uniform", "np.int64 shape, a Generator", lambda: initializers.glorot_uniform((np.int64(D), U), np.random.default_rng(0)), lambda w: w.shape == (D, U) and np.abs(w).max() <= np.sqrt(6 / (D + U))),
    bad("initializers.glorot_uniform", "one number", lambda: initializers.glorot_uniform(3), TypeError, "shape"),
    bad("initializers.glorot_uniform", "0 columns", lambda: initializers.glorot_uniform((3, 0)), ValueError, "shape"),
    bad("initializers.glorot_uniform", "seed=-1", lambda: initializers.glorot_uniform((3, 2), seed=-1), ValueError, "seed"),
    good("initializers.orthogonal", "(U, 3U): orthonormal rows", lambda: initializers.orthogonal((U, 3 * U), seed=0), lambda q: np.allclose(q @ q.T, np.eye(U))),
    good("initializers.orthogonal", "(3U, U): orthonormal columns", lambda: initializers.orthogonal((3 * U, U), seed=0), lambda q: np.allclose(q.T @ q, np.eye(U))),
    bad("initializers.orthogonal", "text", lambda: initializers.orthogonal("UU"), TypeError, "shape"),
    bad("initializers.orthogonal", "2.5 rows", lambda: initializers.orthogonal((2.5, 3)), TypeError, "shape"),
    good("initializers.recurrent_weights", "3 blocks, as GRU.initialize", lambda: initializers.recurrent_weights(D, U, blocks=3, seed=0), lambda r: np.array_equal(r[0], gru.GRU.initialize(D, U, seed=0).W) and np.array_equal(r[1], gru.GRU.initialize(D, U, seed=0).R)),
    bad("initializers.recurrent_weights", "units=0", lambda: initializers.recurrent_weights(D, 0), ValueError, "units"),
    bad("initializers.recurrent_weights", "blocks=True", lambda: initializers.recurrent_weights(D, U, blocks=True), TypeError, "blocks"),
    good("initializers.set_update_gate_bias", "one per unit, bh_z zeroed", lambda: initializers.set_update_gate_bias(a_gru(), np.arange(U)), lambda g: np.array_equal(g.bx[:U], np.arange(U)) and np.all(g.bh[:U] == 0) and np.array_equal(g.bx[U:], a_gru().bx[U:])),
    good("initializers.set_update_gate_bias", "reset_after=False", lambda: initializers.set_update_gate_bias(gru.GRU.initialize(D, U, reset_after=False), 2.0), lambda g: np.all(g.bx[:U] == 2.0) and g.bh is None),
    bad("initializers.set_update_gate_bias", "no bias", lambda: initializers.set_update_gate_bias(gru.GRU.initialize(D, U, use_bias=False), 1.0), ValueError, "use_bias"),
    bad("initializers.set_update_gate_bias", "bias NaN", lambda: initializers.set_update_gate_bias(a_gru(), np.nan), ValueError, "bias"),
    bad("initializers.set_update_gate_bias", "not a GRU", lambda: initializers.set_update_gate_bias("gru", 1.0), TypeError, "GRU", keras=True),
    good("initializers.check_update_gate_bias", "a 0-d array", lambda: initializers.check_update_gate_bias(np.array(1.5), U), lambda b: b.shape == (U,) and np.all(b == 1.5)),
    bad("initializers.check_update_gate_bias", "True", lambda: initializers.check_update_gate_bias(True, U), TypeError, "bias"),
    bad("initializers.check_update_gate_bias", "wrong size", lambda: initializers.check_update_gate_bias(np.ones(U + 1), U, name="b_z"), ValueError, "b_z"),
    # ---------------------------------------------------------------------- rnn
    bad("rnn.TanhRNN", "W NaN", lambda: rnn.TanhRNN(with_nan(np.ones((D, U))), np.eye(U), np.zeros(U)), ValueError, "W"),
    bad("rnn.TanhRNN", "R inf", lambda: rnn.TanhRNN(np.ones((D, U)), with_inf(np.eye(U)), np.zeros(U)), ValueError, "R"),
    bad("rnn.TanhRNN", "b NaN", lambda: rnn.TanhRNN(np.ones((D, U)), np.eye(U), with_nan(np.zeros(U))), ValueError, "b"),
    bad("rnn.TanhRNN", "0 units", lambda: rnn.TanhRNN(np.ones((D, 0)), np.ones((0, 0)), np.zeros(0)), ValueError, "W"),
    bad("rnn.TanhRNN", "W text", lambda: rnn.TanhRNN("W", np.eye(U), np.zeros(U)), TypeError, "W"),
    bad("rnn.TanhRNN.initialize", "units=-1", lambda: rnn.TanhRNN.initialize(3, -1), ValueError, "units"),
    bad("rnn.TanhRNN.initialize", "units=True", lambda: rnn.TanhRNN.initialize(3, True), TypeError, "units"),
    bad("rnn.TanhRNN.trace", "x wrong features", lambda: an_rnn().trace(x_(features=4)), ValueError, "x must have 3 features"),
    bad("rnn.TanhRNN.trace", "x NaN", lambda: an_rnn().trace(with_nan(x_(), (0, 0, 0))), ValueError, "x must be finite"),
    bad("rnn.TanhRNN.trace", "h0 NaN", lambda: an_rnn().trace(x_(), initial_state=with_nan(G_last(), (0, 0))), ValueError, "initial_state"),
    bad("rnn.TanhRNN.trace", "no step", lambda: an_rnn()(x_(steps=0)), ValueError, "time step"),
    good("rnn.TanhRNN.trace", "empty batch", lambda: an_rnn()(x_(batch=0)), shaped(0, U)),
    good("rnn.TanhRNN.trace", "x lists", lambda: an_rnn()(x_().tolist()), close(lambda: an_rnn()(x_()))),
    bad("rnn.rnn_backward", "x wrong features", lambda: rnn.rnn_backward(an_rnn(), x_(features=4), an_rnn().trace(x_()), dh()), ValueError, "x must have 3 features"),
    bad("rnn.rnn_backward", "dh_seq NaN", lambda: rnn.rnn_backward(an_rnn(), x_(), an_rnn().trace(x_()), with_nan(dh(), (0, 0, 0))), ValueError, "dh_seq"),
    bad("rnn.rnn_backward", "not a trace", lambda: rnn.rnn_backward(an_rnn(), x_(), "trace", dh()), TypeError, "trace"),
    bad("rnn.RNNTrace", "a trace of another batch", lambda: rnn.rnn_backward(an_rnn(), x_(), rnn.RNNTrace(h=np.ones((B + 1, T, U)), h0=np.ones((B + 1, U))), dh()), ValueError, "trace"),
    good("rnn.rnn_backward", "empty batch", lambda: rnn.rnn_backward(an_rnn(), x_(batch=0), an_rnn().trace(x_(batch=0)), dh(batch=0)), lambda g: all_zero_grads({k: g[k] for k in ("W", "R", "b")})),
    # -------------------------------------------------------------------- optim
    bad("optim.Adam", "learning_rate=-1", lambda: optim.Adam(-1), ValueError, "learning_rate"),
    bad("optim.Adam", "learning_rate text", lambda: optim.Adam("0.1"), TypeError, "learning_rate"),
    bad("optim.Adam", "learning_rate NaN", lambda: optim.Adam(np.nan), ValueError, "learning_rate"),
    bad("optim.Adam", "learning_rate=True", lambda: optim.Adam(True), TypeError, "learning_rate"),
    bad("optim.Adam", "beta_1=1", lambda: optim.Adam(beta_1=1.0), ValueError, "beta_1"),
    bad("optim.Adam", "global_clipnorm=0", lambda: optim.Adam(global_clipnorm=0), ValueError, "global_clipnorm"),
    bad("optim.Adam", "clipnorm=1 (Keras' per-array clipping)", lambda: optim.Adam(clipnorm=1.0), TypeError, "pass global_clipnorm.*got clipnorm=1.0"),
    bad("optim.Adam", "global_clipnorm inf", lambda: optim.Adam(global_clipnorm=np.inf), ValueError, "global_clipnorm"),
    good("optim.Adam", "0-d array learning rate", lambda: optim.Adam(np.array(0.5)).learning_rate, lambda r: r == 0.5),
    bad("optim.Adam.step", "gradient NaN", lambda: optim.Adam().step(*params_and_grads(np.nan)), ValueError, "gradient"),
    bad("optim.Adam.step", "gradient text", lambda: optim.Adam().step({"w": np.zeros(3)}, {"w": "g"}), TypeError, "w"),
    bad("optim.Adam.step", "unknown name", lambda: optim.Adam().step({"w": np.zeros(3)}, {"v": np.zeros(3)}), ValueError, "'v'"),
    bad("optim.Adam.step", "params a list", lambda: optim.Adam().step([np.zeros(3)], {"w": np.zeros(3)}), TypeError, "params"),
    bad("optim.Adam.step", "a parameter that is a list", lambda: optim.Adam().step({"w": [0.0, 0.0]}, {"w": np.zeros(2)}), TypeError, "w"),
    good("optim.Adam.step", "float32 parameters", lambda: (lambda p: (optim.Adam(0.5).step(p, {"w": np.ones(2, np.float32)}), p["w"].dtype))({"w": np.zeros(2, np.float32)})[1], lambda d: d == np.float32),
    good("optim.Adam.step", "gradients as lists", lambda: (lambda p: (optim.Adam(0.5).step(p, {"w": [1.0, -1.0]}), p["w"]))({"w": np.zeros(2)})[1], lambda w: np.allclose(w, [-0.5, 0.5])),
    bad("optim.global_norm", "gradient text", lambda: optim.global_norm({"w": "g"}), TypeError, "w"),
    bad("optim.global_norm", "a list", lambda: optim.global_norm([np.ones(2)]), TypeError, "gradients"),
    good("optim.global_norm", "lists", lambda: optim.global_norm({"a": [3.0], "b": [[4.0]]}), lambda n: n == 5.0),
    good("optim.global_norm", "no gradient", lambda: optim.global_norm({}), lambda n: n == 0.0),
    bad("optim.clip_by_global_norm", "clipnorm=0", lambda: optim.clip_by_global_norm({"w": np.ones(2)}, 0), ValueError, "clipnorm"),
    bad("optim.clip_by_global_norm", "clipnorm text", lambda: optim.clip_by_global_norm({"w": np.ones(2)}, "1"), TypeError, "clipnorm"),
    bad("optim.clip_by_global_norm", "clipnorm NaN", lambda: optim.clip_by_global_norm({"w": np.ones(2)}, np.nan), ValueError, "clipnorm"),
    bad("optim.clip_by_global_norm", "gradient NaN", lambda: optim.clip_by_global_norm({"w": with_nan(np.ones(2))}, 1.0), ValueError, "gradient"),
    good("optim.clip_by_global_norm", "0-d clipnorm", lambda: optim.clip_by_global_norm({"w": np.array([3.0, 4.0])}, np.array(1.0))[0]["w"], lambda w: np.allclose(w, [0.6, 0.8])),
    # --------------------------------------------------------------- classifier
    bad("classifier.GRUClassifier", "V NaN", lambda: classifier.GRUClassifier(a_gru(), with_nan(np.ones((U, 1))), np.zeros(1)), ValueError, "V"),
    bad("classifier.GRUClassifier", "c inf", lambda: classifier.GRUClassifier(a_gru(), np.ones((U, 1)), with_inf(np.zeros(1))), ValueError, "c"),
    bad("classifier.GRUClassifier", "a sequence GRU", lambda: classifier.GRUClassifier(a_gru(return_sequences=True), np.ones((U, 1)), np.zeros(1)), ValueError, "return_sequences"),
    bad("classifier.GRUClassifier", "not a GRU", lambda: classifier.GRUClassifier("gru", np.ones((U, 1)), np.zeros(1)), TypeError, "gru"),
    bad("classifier.GRUClassifier.initialize", "units=0", lambda: classifier.GRUClassifier.initialize(3, 0), ValueError, "units"),
    bad("classifier.GRUClassifier.initialize", "units=True", lambda: classifier.GRUClassifier.initialize(3, True), TypeError, "units"),
    bad("classifier.GRUClassifier.initialize", "update_gate_bias NaN", lambda: classifier.GRUClassifier.initialize(3, 4, update_gate_bias=np.nan), ValueError, "update_gate_bias"),
    bad("classifier.GRUClassifier.initialize", "update_gate_bias text", lambda: classifier.GRUClassifier.initialize(3, 4, update_gate_bias="2"), TypeError, "update_gate_bias"),
    bad("classifier.GRUClassifier.initialize", "update_gate_bias of 3 for 4 units", lambda: classifier.GRUClassifier.initialize(3, 4, update_gate_bias=np.ones(3)), ValueError, "update_gate_bias"),
    good("classifier.GRUClassifier.initialize", "update_gate_bias per unit", lambda: classifier.GRUClassifier.initialize(3, 4, update_gate_bias=np.arange(4.0)).gru.bx[:4], lambda b: list(b) == [0, 1, 2, 3]),
    good("classifier.GRUClassifier.initialize", "update_gate_bias 0-d", lambda: classifier.GRUClassifier.initialize(3, 4, update_gate_bias=np.array(2.0)).gru.bx[:4], lambda b: list(b) == [2] * 4),
    bad("classifier.GRUClassifier.logits", "x wrong features", lambda: a_model().logits(x_(features=4)), ValueError, "x must have 3 features"),
    bad("classifier.GRUClassifier.predict_proba", "x NaN", lambda: a_model().predict_proba(with_nan(x_(), (0, 0, 0))), ValueError, "x must be finite"),
    good("classifier.GRUClassifier.predict", "empty batch", lambda: a_model().predict(x_(batch=0)), lambda p: p.shape == (0,)),
    good("classifier.GRUClassifier.predict_proba", "x lists", lambda: a_model().predict_proba(x_().tolist()), close(lambda: a_model().predict_proba(x_()))),
    bad("classifier.GRUClassifier.evaluate", "labels of 2", lambda: a_model().evaluate(x_(), [0, 2]), ValueError, "y"),
    bad("classifier.GRUClassifier.evaluate", "empty batch", lambda: a_model().evaluate(x_(batch=0), []), ValueError, "no sequence"),
    bad("classifier.GRUClassifier.loss_and_grads", "labels NaN", lambda: a_model().loss_and_grads(x_(), [0.0, np.nan]), ValueError, "y"),
    bad("classifier.GRUClassifier.loss_and_grads", "labels text", lambda: a_model().loss_and_grads(x_(), ["0", "1"]), TypeError, "y"),
    good("classifier.GRUClassifier.loss_and_grads", "labels as booleans in a column", lambda: a_model().loss_and_grads(x_(), np.array([[True], [False]]))[0], close(lambda: a_model().loss_and_grads(x_(), [1, 0])[0])),
    bad("classifier.GRUClassifier.fit", "x NaN", lambda: a_model().fit(with_nan(x_(), (0, 0, 0)), [0, 1], progress="off"), ValueError, "x must be finite"),
    bad("classifier.GRUClassifier.fit", "empty batch", lambda: a_model().fit(x_(batch=0), [], progress="off"), ValueError, "no sequence"),
    bad("classifier.GRUClassifier.fit", "labels of 2", lambda: a_model().fit(x_(), [0, 2], progress="off"), ValueError, "y"),
    bad("classifier.GRUClassifier.fit", "learning_rate=-1", lambda: a_model().fit(x_(), [0, 1], learning_rate=-1, progress="off"), ValueError, "learning_rate"),
    bad("classifier.GRUClassifier.fit", "global_clipnorm=0", lambda: a_model().fit(x_(), [0, 1], global_clipnorm=0, progress="off"), ValueError, "global_clipnorm"),
    bad("classifier.GRUClassifier.fit", "clipnorm=1 (Keras' per-array clipping)", lambda: a_model().fit(x_(), [0, 1], clipnorm=1.0, progress="off"), TypeError, "pass global_clipnorm.*got clipnorm=1.0"),
    bad("classifier.GRUClassifier.fit", "epochs=True", lambda: a_model().fit(x_(), [0, 1], epochs=True, progress="off"), TypeError, "epochs"),
    bad("classifier.GRUClassifier.fit", "batch_size=0", lambda: a_model().fit(x_(), [0, 1], batch_size=0, progress="off"), ValueError, "batch_size"),
    bad("classifier.GRUClassifier.fit", "mask 0/1", lambda: a_model().fit(x_(), [0, 1], mask=np.ones((B, T)), progress="off"), TypeError, "mask"),
    bad("classifier.GRUClassifier.fit", "validation x NaN", lambda: a_model().fit(x_(), [0, 1], validation_data=(with_nan(x_(), (0, 0, 0)), [0, 1]), progress="off"), ValueError, "x must be finite"),
    bad("classifier.GRUClassifier.fit", "validation mask of another shape", lambda: a_model().fit(x_(), [0, 1], validation_data=(x_(), [0, 1], np.ones((B, 1), bool)), progress="off"), ValueError, "mask_val"),
    bad("classifier.GRUClassifier.fit", "a GRU with dropout", lambda: classifier.GRUClassifier(a_gru(dropout=0.2), np.ones((U, 1)), np.zeros(1)).fit(x_(), [0, 1], progress="off"), NotImplementedError, "dropout"),
    good("classifier.GRUClassifier.fit", "float32 x, list labels", lambda: a_model().fit(x_(dtype=np.float32), [0, 1], epochs=1, progress="off")["loss"], lambda h: len(h) == 1 and np.isfinite(h[0])),
    bad("classifier.GRUClassifier.to_keras", "mask_zeros text", lambda: a_model().to_keras(mask_zeros="yes"), TypeError, "mask_zeros", keras=True),
    good("classifier.GRUClassifier.to_keras", "keeps zero_output_for_mask", lambda: (classifier.GRUClassifier.initialize(D, U, zero_output_for_mask=True) .to_keras() .get_layer("gru") .zero_output_for_mask), lambda v: v is True, keras=True),
    bad("classifier.GRUClassifier.from_keras", "a GRU alone", lambda: classifier.GRUClassifier.from_keras(a_layer()), ValueError, "GRU then Dense", keras=True),
    bad("classifier.GRUClassifier.save_npz", "metadata a list", lambda: a_model().save_npz("/dev/null", metadata=[1]), TypeError, "metadata"),
    bad("classifier.GRUClassifier.load_npz", "not a model file", lambda: classifier.GRUClassifier.load_npz(_npz_file()), ValueError, "not a GRUClassifier file"),
    bad("classifier.binary_cross_entropy", "labels of 2", lambda: classifier.binary_cross_entropy(np.zeros(2), np.array([0, 2])), ValueError, "y"),
    bad("classifier.binary_cross_entropy", "logits NaN", lambda: classifier.binary_cross_entropy(with_nan(np.zeros(2)), np.array([0, 1])), ValueError, "o"),
    bad("classifier.binary_cross_entropy", "shapes differ", lambda: classifier.binary_cross_entropy(np.zeros(3), np.array([0, 1])), ValueError, "y"),
    bad("classifier.binary_cross_entropy", "empty", lambda: classifier.binary_cross_entropy(np.zeros(0), np.zeros(0)), ValueError, "empty"),
    good("classifier.binary_cross_entropy", "lists", lambda: classifier.binary_cross_entropy([0.0, 0.0], [0, 1]), lambda v: np.isclose(v, np.log(2))),
    # ------------------------------------------------------------------ compare
    bad("compare.max_abs_diff", "shapes differ", lambda: compare.max_abs_diff(np.ones(2), np.ones(3)), ValueError, "shapes"),
    bad("compare.max_abs_diff", "text", lambda: compare.max_abs_diff("a", "b"), TypeError, "a"),
    bad("compare.max_abs_diff", "NaN", lambda: compare.max_abs_diff(np.zeros(1), np.array([np.nan])), ValueError, "b holds NaN"),
    good("compare.max_abs_diff", "lists", lambda: compare.max_abs_diff([1, 2], [1, 4]), lambda d: d == 2.0),
    good("compare.max_abs_diff", "same infinities", lambda: compare.max_abs_diff([np.inf], [np.inf]), lambda d: d == 0.0),
    bad("compare.relative_error", "NaN", lambda: compare.relative_error(np.array([np.nan]), np.zeros(1)), ValueError, "a holds NaN"),
    bad("compare.relative_error", "shapes differ", lambda: compare.relative_error(np.ones(2), np.ones((2, 1))), ValueError, "shapes"),
    good("compare.relative_error", "both zero", lambda: compare.relative_error(np.zeros(2), np.zeros(2)), lambda e: e == 0.0),
    bad("compare.compare", "NaN", lambda: compare.compare("x", np.array([np.nan]), np.zeros(1), show=False), ValueError, "mine holds NaN"),
    bad("compare.compare", "atol=-1", lambda: compare.compare("x", 1.0, 1.0, atol=-1, show=False), ValueError, "atol"),
    bad("compare.compare", "name not text", lambda: compare.compare(3, 1.0, 1.0, show=False), TypeError, "name"),
    good("compare.compare", "float32 against float64", lambda: bool(compare.compare("x", np.float32(0.1), 0.1, atol=1e-6, show=False)), lambda v: v is True),
    good("compare.Comparison", "a verdict", lambda: str(compare.compare("x", [1.0], [1.5], show=False)), lambda s: "DIFFERENT" in s),
    # -------------------------------------------------------------- conventions
    bad("conventions.reorder_gates", "length 8", lambda: conventions.reorder_gates(np.ones(8)), ValueError, "3 gate blocks"),
    bad("conventions.reorder_gates", "order text", lambda: conventions.reorder_gates(np.ones(9), "zrx"), ValueError, "source"),
    bad("conventions.reorder_gates", "text", lambda: conventions.reorder_gates("zrh"), TypeError, "m"),
    good("conventions.reorder_gates", "a list", lambda: conventions.reorder_gates([1, 2, 3]), lambda r: list(r) == [2, 1, 3]),
    bad("conventions.keras_to_pytorch", "kernel NaN", lambda: conventions.keras_to_pytorch(with_nan(np.ones((2, 9))), np.ones((3, 9))), ValueError, "kernel"),
    bad("conventions.keras_to_pytorch", "bias text", lambda: conventions.keras_to_pytorch(np.ones((2, 9)), np.ones((3, 9)), "b"), TypeError, "bias"),
    bad("conventions.keras_to_pytorch", "0 units", lambda: conventions.keras_to_pytorch(np.ones((2, 0)), np.ones((0, 0))), ValueError, "kernel"),
    bad("conventions.pytorch_to_keras", "weight_hh NaN", lambda: conventions.pytorch_to_keras({"weight_ih_l0": np.ones((9, 2)), "weight_hh_l0": with_nan(np.ones((9, 3)))}), ValueError, "weight_hh_l0"),
    bad("conventions.pytorch_to_keras", "missing key", lambda: conventions.pytorch_to_keras({"weight_ih_l0": np.ones((9, 2))}), ValueError, "weight_hh_l0"),
    bad("conventions.pytorch_gru_forward", "x wrong features", lambda: conventions.pytorch_gru_forward(conventions.keras_to_pytorch(*_keras_weights()), x_(features=4)), ValueError, r"x must have shape \(any, any, 3\)"),
    bad("conventions.pytorch_gru_forward", "x NaN", lambda: conventions.pytorch_gru_forward(conventions.keras_to_pytorch(*_keras_weights()), with_nan(x_(), (0, 0, 0))), ValueError, "x must be finite"),
    bad("conventions.pytorch_gru_forward", "h0 NaN", lambda: conventions.pytorch_gru_forward(conventions.keras_to_pytorch(*_keras_weights()), x_(), with_nan(G_last(), (0, 0))), ValueError, "h0"),
    good("conventions.pytorch_gru_forward", "empty batch", lambda: conventions.pytorch_gru_forward(conventions.keras_to_pytorch(*_keras_weights()), x_(batch=0)), shaped(0, T, U)),
    good("conventions.pytorch_gru_forward", "the Keras GRU", lambda: conventions.pytorch_gru_forward(conventions.keras_to_pytorch(*_keras_weights()), x_()), close(lambda: a_gru(return_sequences=True)(x_()))),
    bad("conventions.hard_sigmoid", "text", lambda: conventions.hard_sigmoid("a"), TypeError, "a"),
    bad("conventions.hard_sigmoid", "NaN", lambda: conventions.hard_sigmoid(np.array([np.nan])), ValueError, "a"),
    good("conventions.hard_sigmoid", "a list", lambda: conventions.hard_sigmoid([0.0, 10.0]), lambda r: list(r) == [0.5, 1.0]),
    *[
        case
        for name in (
            "keras_equations",
            "flipped_update_gate",
            "hard_sigmoid_gates",
            "gate_order_rzh",
            "reset_before_product",
            "recurrent_bias_ignored",
            "both_biases_summed",
        )
        for case in (
            bad(
                f"conventions.{name}",
                "x NaN",
                lambda name=name: getattr(conventions, name)(
                    a_gru(), with_nan(x_(), (0, 0, 0)), G_last()
                ),
                ValueError,
                "x must be finite",
            ),
            bad(
                f"conventions.{name}",
                "h0 inf",
                lambda name=name: getattr(conventions, name)(
                    a_gru(), x_(), with_inf(G_last(), (0, 0))
                ),
                ValueError,
                "h0",
            ),
            bad(
                f"conventions.{name}",
                "reset_after=False",
                lambda name=name: getattr(conventions, name)(
                    a_gru(reset_after=False), x_(), G_last()
                ),
                ValueError,
                "reset_after",
            ),
            good(
                f"conventions.{name}",
                "empty batch",
                lambda name=name: getattr(conventions, name)(a_gru(), x_(batch=0), G_last(batch=0)),
                shaped(0, T, U),
            ),
        )
    ],
    good("conventions.MISTAKES", "every mistake differs from the faithful path", lambda: [conventions.MISTAKES[k](a_gru(), x_(), G_last()) for k in conventions.MISTAKES], lambda outs: all(np.abs(o - conventions.keras_equations(a_gru(), x_(), G_last())).max() > 1e-3 for o in outs)),
    bad("conventions.randomize_biases", "no bias", lambda: conventions.randomize_biases(a_layer(use_bias=False)), ValueError, "use_bias", keras=True),
    bad("conventions.randomize_biases", "scale=-1", lambda: conventions.randomize_biases(a_layer(), scale=-1), ValueError, "scale", keras=True),
    bad("conventions.randomize_biases", "scale NaN", lambda: conventions.randomize_biases(a_layer(), scale=np.nan), ValueError, "scale", keras=True),
    bad("conventions.random_keras_case", "units=True", lambda: conventions.random_keras_case(units=True), TypeError, "units", keras=True),
    bad("conventions.random_keras_case", "units=0", lambda: conventions.random_keras_case(units=0), ValueError, "units", keras=True),
    bad("conventions.random_keras_case", "dtype int", lambda: conventions.random_keras_case(dtype="int32"), ValueError, "dtype", keras=True),
    bad("conventions.mistake_costs", "x NaN", lambda: conventions.mistake_costs(a_gru(return_sequences=True).to_keras(), with_nan(x_(), (0, 0, 0)), G_last()), ValueError, "x must be finite", keras=True),
    bad("conventions.mistake_costs", "h0 wrong shape", lambda: conventions.mistake_costs(a_gru(return_sequences=True).to_keras(), x_(), np.ones(U)), ValueError, "h0", keras=True),
    good("conventions.MistakeCost", "one row per mistake and the control", lambda: conventions.mistake_costs(a_gru(return_sequences=True).to_keras(), x_(), G_last()), lambda rows: len(rows) == len(conventions.MISTAKES) + 1 and rows[0].max_abs_diff < 1e-12, keras=True),
]
# fmt: on


def _enter(context):
    with context:
        return "entered"


def _keras_weights():
    g = a_gru()
    return g.W, g.R, np.stack([g.bx, g.bh])


def _npz_file():
    import tempfile

    path = tempfile.mkstemp(suffix=".npz")[1]
    np.savez(path, a=np.ones(2))
    return path


# --------------------------------------------------------------------------- running them
def outcome(case):
    """``"ok"`` or what went wrong: an obscure error, a silent NaN/inf or wrong result, a crash."""
    valid = not (isinstance(case.expect, type) and issubclass(case.expect, Exception))
    try:
        result = case.call()
    except Exception as exc:  # noqa: BLE001 -- the point is to see every kind of failure
        if valid:
            return f"crash on valid input: {type(exc).__name__}: {exc}"
        if isinstance(exc, case.expect) and re.search(case.match, str(exc)):
            return "ok"
        return f"obscure error: {type(exc).__name__}: {exc}"
    if valid:
        try:
            right = bool(case.expect(result))
        except Exception as exc:  # noqa: BLE001
            right, result = False, f"{type(exc).__name__}: {exc}"
        return "ok" if right else f"silent wrong result: returned a {type(result).__name__}"
    if _holds_nan(result):
        return "silent NaN/inf"
    return f"silent wrong result: accepted, returned a {type(result).__name__}"


def _holds_nan(result):
    items = result.values() if isinstance(result, dict) else [result]
    if isinstance(result, tuple):
        items = [
            r for part in result for r in (part.values() if isinstance(part, dict) else [part])
        ]
    for item in items:
        try:
            if not np.all(np.isfinite(np.asarray(item, dtype=float))):
                return True
        except (TypeError, ValueError):
            pass
    return False


def case_id(case):
    return f"{case.name}: {case.what}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_fails_clearly_and_valid_input_works(case, request):
    if case.keras:
        request.getfixturevalue("keras")
    assert outcome(case) == "ok"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_public_name_has_rows(module):
    short = module.__name__.rsplit(".", 1)[1]
    tested = {case.name.split(".")[1] for case in CASES if case.name.startswith(short + ".")}
    missing = sorted(set(module.__all__) - tested)
    assert not missing, f"{module.__name__}: no bad-input rows for {missing}"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_public_method_has_rows(module):
    short = module.__name__.rsplit(".", 1)[1]
    tested = {case.name for case in CASES}
    missing = [
        f"{name}.{method}"
        for name in module.__all__
        if inspect.isclass(cls := getattr(module, name)) and cls.__module__ == module.__name__
        for method, value in vars(cls).items()
        if not method.startswith("_")
        and (inspect.isfunction(value) or isinstance(value, (classmethod, staticmethod)))
        and method not in NO_ARGUMENTS
        and f"{short}.{name}.{method}" not in tested
    ]
    assert not missing, f"{module.__name__}: no bad-input rows for {missing}"


NO_ARGUMENTS = {"count_params"}  # methods with nothing to get wrong


def test_compare_module_is_the_module():
    """``import gru_lesson.compare`` gives the module (the package does not shadow it with
    the function of the same name); the function is ``gru_lesson.compare.compare``."""
    import gru_lesson
    import gru_lesson.compare as module

    assert isinstance(module, types.ModuleType)
    assert gru_lesson.compare is module
    assert module.compare("same", np.ones(2), np.ones(2), show=False)
    assert not module.compare("different", np.ones(2), np.zeros(2), show=False)
