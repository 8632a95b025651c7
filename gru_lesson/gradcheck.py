"""Checks of the backward pass (notebook 03): is :func:`gru_lesson.bptt.gru_backward` right?

:func:`numerical_gradient` and :func:`gradient_check` compare it with central differences,
:func:`keras_gru_gradients` with TensorFlow's autodiff of the real Keras layer, and
:func:`gradient_by_distance` measures how the gradient fades with the distance to the loss
(vanishing gradients).
"""

from __future__ import annotations

import numpy as np

from gru_lesson.bptt import (
    _as_pair,
    _projection_loss,
    _returned_and_weights,
    gru_backward,
    gru_loss_and_grads,
)
from gru_lesson.gru import GRU
from gru_lesson.initializers import set_update_gate_bias
from gru_lesson.validation import (
    check_choice,
    check_flag,
    check_gru,
    check_int,
    check_number,
)

__all__ = ["numerical_gradient", "gradient_check", "keras_gru_gradients", "gradient_by_distance"]


def numerical_gradient(f, a, eps=1e-6, indices=None):
    """Central differences: dL/da[i] ~ (f() with a[i]+eps  -  f() with a[i]-eps) / (2 eps).

    ``f`` takes no argument and reads ``a``, which is changed in place during the
    computation and restored afterwards. ``indices`` (flat positions) limits the work
    to a subset; the other entries of the result are NaN.
    """
    if not isinstance(a, np.ndarray) or not np.issubdtype(a.dtype, np.floating):
        raise TypeError(
            "numerical_gradient needs the floating NumPy array f reads (changed in place), "
            f"got {type(a).__name__}"
        )
    if a.dtype != np.float64:
        raise TypeError(
            f"central differences need float64 to be meaningful, got an array of {a.dtype}"
        )
    if not callable(f):
        raise TypeError(f"f must be a function of no argument that returns the loss, got {f!r}")
    eps = check_number("eps", eps, minimum=0, min_open=True)
    if indices is not None:
        indices = [check_int("indices[]", i, minimum=0, maximum=a.size - 1) for i in indices]
    grad = np.full(a.shape, np.nan)
    for i in range(a.size) if indices is None else indices:
        i = np.unravel_index(i, a.shape)
        old = a[i]
        a[i] = old + eps
        f_plus = f()
        a[i] = old - eps
        f_minus = f()
        a[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def _loss_weights(gru, x, G, initial_state, mask):
    """The trace of ``gru(x, initial_state, mask)`` (checking all three) and ``G`` as the
    pair of loss weights ``(G_output, G_state)``."""
    check_gru(gru)
    trace = gru.trace(x, initial_state=initial_state, mask=mask)
    return trace, _returned_and_weights(gru, gru._layer_outputs(trace), G)[1]


def gradient_check(gru, x, G, initial_state=None, mask=None, eps=1e-6, tolerance=1e-7, show=True):
    """Check :func:`gru_backward` by central differences on every entry of every array.

    The loss is ``L = sum(G * gru(x, initial_state, mask))`` (``G`` as in
    :func:`~gru_lesson.bptt.gru_loss_and_grads`). Returns ``{name: relative error}`` for the
    weights, ``x`` and ``h0``: ``max |analytic - numerical| / max(|analytic|, |numerical|)``.
    With ``show``, prints one line per array with its error and "ok" (below ``tolerance``)
    or "WRONG". Everything must be float64.
    """
    from gru_lesson.compare import relative_error

    check_gru(gru)
    if gru.dtype != np.float64:
        raise TypeError(f"a gradient check needs a float64 GRU, got {gru.dtype}")
    eps = check_number("eps", eps, minimum=0, min_open=True)
    tolerance = check_number("tolerance", tolerance, minimum=0, min_open=True)
    show = check_flag("show", show)
    trace, weights = _loss_weights(gru, x, G, initial_state, mask)
    x = np.array(x, dtype=np.float64)  # private copies: they get nudged in place
    h0 = trace.h0.copy()
    _, grads = gru_loss_and_grads(gru, x, G, initial_state=h0, mask=mask, inputs=True)

    def loss():  # the forward pass alone, reading the arrays being nudged
        return float(_projection_loss(_as_pair(gru, gru(x, initial_state=h0, mask=mask)), weights))

    arrays = dict(gru.params, x=x, h0=h0)
    errors = {}
    if show:
        print(
            f"{'array':<6s} {'shape':<12s} {'relative error':>15s}  verdict (tolerance {tolerance:.0e})"
        )
    for name, array in arrays.items():  # in the order of GRADIENT_NAMES
        numerical = numerical_gradient(loss, array, eps=eps)
        errors[name] = relative_error(grads[name], numerical)
        if show:
            verdict = "ok" if errors[name] < tolerance else "WRONG"
            print(f"{name:<6s} {str(array.shape):<12s} {errors[name]:>15.1e}  {verdict}")
    return errors


def keras_gru_gradients(gru, x, G, initial_state=None, mask=None):
    """The same gradients by TensorFlow's autodiff through the real ``keras.layers.GRU``.

    Builds the Keras twin of ``gru`` (same weights, dtype and options), computes
    ``L = sum(G * layer(x, initial_state, mask))`` under ``tf.GradientTape`` and returns a
    dict keyed like :func:`gru_backward`'s (``"bx"``/``"bh"`` are the rows of Keras' bias).
    """
    trace, weights = _loss_weights(gru, x, G, initial_state, mask)

    import tensorflow as tf

    layer = gru.to_keras()
    x = tf.constant(np.asarray(x, dtype=gru.dtype.name))
    h0 = tf.constant(trace.h0)
    kwargs = {} if mask is None else {"mask": tf.constant(np.asarray(mask, dtype=bool))}
    with tf.GradientTape() as tape:
        tape.watch([x, h0])
        returned = _as_pair(gru, layer(x, initial_state=h0, **kwargs))
        L = _projection_loss(returned, weights, tf.reduce_sum)
    kernel, recurrent_kernel, *bias = layer.weights
    dW, dR, dx, dh0, *dbias = tape.gradient(L, [kernel, recurrent_kernel, x, h0, *bias])
    grads = {"W": dW.numpy(), "R": dR.numpy()}
    if dbias:
        if gru.reset_after:
            grads["bx"], grads["bh"] = dbias[0].numpy()
        else:
            grads["bx"] = dbias[0].numpy()
    return {**grads, "x": dx.numpy(), "h0": dh0.numpy()}


def gradient_by_distance(
    kind="gru",
    *,
    units=16,
    input_dim=4,
    steps=60,
    batch=32,
    seeds=(0, 1, 2, 3, 4),
    update_gate_bias=0.0,
    reset_after=True,
):
    """How much of the gradient reaches step t, by its distance to the loss, at initialization.

    A fresh layer (Keras' default initialization; ``kind`` is ``"gru"`` or ``"simple_rnn"``,
    the plain tanh RNN, :class:`~gru_lesson.rnn.TanhRNN`, as Keras names its layer) reads
    ``steps`` random inputs; the loss is a random projection of the *last* state only.
    Returns ``ratio`` of length ``steps``: ``ratio[k]`` is ``||dL/dh|| k steps before the end /
    ||dL/dh|| at the end``, averaged over the batch and over one fresh layer per seed.
    ``update_gate_bias`` sets the update gate's input bias ``bx_z`` (GRU only): the larger,
    the closer ``z`` is to 1 and the more of ``h_prev`` each step keeps.
    """
    from gru_lesson.rnn import TanhRNN, rnn_backward

    kind = check_choice("kind", kind, ("gru", "simple_rnn"))
    units = check_int("units", units, minimum=1)
    input_dim = check_int("input_dim", input_dim, minimum=1)
    steps = check_int("steps", steps, minimum=2)
    batch = check_int("batch", batch, minimum=1)
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__len__"):
        raise TypeError(f"seeds must be a list of seeds, got {seeds!r}")
    if len(seeds) == 0:
        raise ValueError("seeds must name at least one seed")
    seeds = [check_int("seeds[]", seed, minimum=0) for seed in seeds]
    update_gate_bias = check_number("update_gate_bias", update_gate_bias)
    reset_after = check_flag("reset_after", reset_after)
    if kind == "simple_rnn" and update_gate_bias:
        raise ValueError(
            "update_gate_bias is the GRU's update-gate bias; a tanh RNN has no update gate"
        )
    ratios = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(batch, steps, input_dim))
        dh_seq = np.zeros((batch, steps, units))
        dh_seq[:, -1] = rng.normal(size=(batch, units))  # L = sum(G * h_T)
        if kind == "gru":
            model = GRU.initialize(input_dim, units, seed=seed, reset_after=reset_after)
            set_update_gate_bias(model, update_gate_bias)
            dh = gru_backward(model, x, model.trace(x), dh_seq)["h"]
        else:
            model = TanhRNN.initialize(input_dim, units, seed=seed)
            dh = rnn_backward(model, x, model.trace(x), dh_seq)["h"]
        norms = np.linalg.norm(dh, axis=2)  # (batch, steps)
        ratios.append((norms / norms[:, -1:]).mean(axis=0)[::-1])  # by distance 0, 1, 2, ...
    return np.mean(ratios, axis=0)
