"""Backpropagation through time for the NumPy GRU, written the way notebook 03 derives it.

One step of the GRU (row vectors, ``reset_after=True``, Keras' default)::

    a_z = x_t W_z + bx_z + h_prev R_z + bh_z        z  = sigmoid(a_z)
    a_r = x_t W_r + bx_r + h_prev R_r + bh_r        r  = sigmoid(a_r)
    m   = h_prev R_h + bh_h
    a_h = x_t W_h + bx_h + r * m                    h~ = tanh(a_h)
    h   = z * h_prev + (1 - z) * h~

``reset_after=False`` has one bias row and resets *before* the product::

    q   = r * h_prev
    a_h = x_t W_h + bx_h + q R_h

Going backwards through that step, with ``dh`` the whole gradient reaching
``h`` (from the loss at this step and from every later step)::

    dh~    = dh * (1 - z)
    dz     = dh * (h_prev - h~)
    da_h   = dh~ * (1 - h~**2)
    da_z   = dz * z * (1 - z)
    reset after:   dr = da_h * m         dm = da_h * r
                   dh_prev = dh * z + [da_z | da_r | dm] R^T
    reset before:  dq = da_h R_h^T       dr = dq * h_prev
                   dh_prev = dh * z + dq * r + [da_z | da_r] R_zr^T
    da_r   = dr * r * (1 - r)

and the weights collect one term per step and per example::

    dW  = sum_t x_t^T [da_z | da_r | da_h]          dbx = sum_t sum_batch [da_z | da_r | da_h]
    dR  = sum_t h_prev^T [da_z | da_r | dm]         dbh = sum_t sum_batch [da_z | da_r | dm]
    (reset before:  dR = sum_t [h_prev^T da_z | h_prev^T da_r | q^T da_h])

:func:`gru_backward` is that derivation, line by line, with the same names.
:func:`numerical_gradient` and :func:`gradient_check` check it by central
differences, :func:`keras_gru_gradients` against TensorFlow's autodiff of the
real Keras layer, and :func:`gradient_by_distance` measures how the gradient
fades with the distance to the loss (vanishing gradients).
"""

from __future__ import annotations

import numpy as np

from gru_lesson.gru import GRU
from gru_lesson.initializers import set_update_gate_bias
from gru_lesson.validation import (
    check_array,
    check_choice,
    check_flag,
    check_gru,
    check_int,
    check_number,
    check_trace,
)

__all__ = [
    "GRADIENT_NAMES",
    "dh_seq_from_outputs",
    "gru_backward",
    "gru_loss_and_grads",
    "numerical_gradient",
    "gradient_check",
    "keras_gru_gradients",
    "gradient_by_distance",
]

# The arrays gru_backward returns a gradient for, in the order tables print them.
GRADIENT_NAMES = ("W", "R", "bx", "bh", "x", "h0")
# The layer's inputs among them: a training step needs only the others, the weights'.
INPUT_NAMES = ("x", "h0")


# ---------------------------------------------------------------------------
# checks of the arguments
# ---------------------------------------------------------------------------
def check_backward_inputs(gru, x, trace, dh_seq):
    """The arguments of a backward pass, checked once at its entry.

    Returns ``x`` in *processing* order and ``dh_seq``, both in the GRU's dtype.
    (:func:`gru_lesson.fast.fast_backward` takes the same arguments and uses this too.)
    """
    check_gru(gru)
    x = check_array("x", x, ndim=3, names="(batch, time, features)", finite=True)
    if x.shape[2] != gru.input_dim:
        raise ValueError(
            f"x must have {gru.input_dim} features (the GRU's input_dim) on its last axis, "
            f"got shape {x.shape}"
        )
    check_trace(trace, gru)
    B, T, _ = x.shape
    if trace.h.shape != (B, T, gru.units):
        raise ValueError(
            f"the trace has shape {trace.h.shape}, but x of shape {x.shape} and a GRU with "
            f"{gru.units} units need {(B, T, gru.units)}: was the trace computed on this x?"
        )
    dh_seq = check_array(
        "dh_seq (dLoss/dh for every step)",
        dh_seq,
        shape=(B, T, gru.units),
        names="(batch, time, units)",
        finite=True,
    )
    x = x.astype(gru.dtype, copy=False)
    if gru.go_backwards:  # the trace is in processing order: read x in that order too
        x = x[:, ::-1]
    return x, dh_seq.astype(gru.dtype, copy=False)


# ---------------------------------------------------------------------------
# the backward pass
# ---------------------------------------------------------------------------
def gru_backward(gru, x, trace, dh_seq, *, inputs=True):
    """Backpropagate through a GRU forward pass: the gradient of every weight, of ``x`` and of ``h0``.

    Parameters
    ----------
    gru : GRU
        The layer that ran the forward pass.
    x : array (batch, time, features)
        The inputs given to ``gru.trace`` (in their original order, also with ``go_backwards``).
    trace : GRUTrace
        What ``gru.trace(x, initial_state, mask)`` returned.
    dh_seq : array (batch, time, units)
        dLoss/dh for every state ``trace.h``, in *processing* order. A loss on the last
        state only has its gradient at the last step and zeros elsewhere; a Keras-style
        output sequence (masks, ``return_sequences``) converts with :func:`dh_seq_from_outputs`.
    inputs : bool
        Also compute the gradients of the inputs, ``"x"`` and ``"h0"`` (the default here).
        A training step needs only the weights': ``inputs=False`` skips the product
        ``dx = da W^T``.

    Returns
    -------
    Gradients (a dict)
        ``"W"``, ``"R"``, ``"bx"``, ``"bh"`` (the keys of ``gru.params``), ``"x"`` (shaped
        like ``x``, original order), ``"h0"`` (batch, units), and ``"h"``: the whole gradient
        that reached each state (batch, time, units), processing order, useful to watch
        gradients vanish. (With ``inputs=False``, ``"x"`` and ``"h0"`` are computed only if
        read: see :class:`Gradients`.)

    At a masked step the state is carried over (``h = h_prev``), so its gradient passes
    straight through to ``h_prev`` and the gates of that step get none.
    """
    inputs = check_flag("inputs", inputs)
    x, dh_seq = check_backward_inputs(gru, x, trace, dh_seq)  # x in processing order
    from gru_lesson.fast import blas_threads  # (here: gru_lesson.fast imports this module)

    with blas_threads(1):  # each step's products are small: one BLAS thread (notebook 03, 9.6)
        return _backward(gru, x, trace, dh_seq, inputs)


def _backward(gru, x, trace, dh_seq, inputs):
    """:func:`gru_backward` on checked arguments (``x`` in processing order)."""
    B, T, D = x.shape
    U = gru.units
    mask = trace.mask
    any_masked = not mask.all()

    # The state each step read (h_prev at step t is h at step t-1, h0 at step 0), and
    # reset after, m = h_prev R_h + bh_h.
    h_prev_seq, m_seq = states_read(gru, trace)
    R_h = gru.R[:, 2 * U :]
    R_zr = gru.R[:, : 2 * U]
    if not gru.reset_after:
        q_seq = trace.r * h_prev_seq  # q = r * h_prev, what R_h multiplies

    # Gradients of the pre-activations at every step, filled from the last step back.
    da_seq = np.empty((B, T, 3 * U), gru.dtype)  # [da_z | da_r | da_h]: the input side
    if gru.reset_after:
        ds_seq = np.empty((B, T, 3 * U), gru.dtype)  # [da_z | da_r | dm]: the recurrent side
    dh_all = np.empty((B, T, U), gru.dtype)

    dh_next = np.zeros((B, U), gru.dtype)  # gradient flowing back from step t+1 into h_t
    for t in reversed(range(T)):
        dh = dh_seq[:, t] + dh_next  # everything that reaches h_t
        dh_all[:, t] = dh
        if any_masked:  # a masked step is h = h_prev: its gradient skips the step
            skipped = ~mask[:, t, None]
            dh_skip = np.where(skipped, dh, 0.0)
            dh = np.where(skipped, 0.0, dh)
        # This step's values, named as in the equations.
        z, r, h_tilde, h_prev = trace.z[:, t], trace.r[:, t], trace.h_tilde[:, t], h_prev_seq[:, t]

        dh_tilde = dh * (1 - z)
        dz = dh * (h_prev - h_tilde)
        da_h = dh_tilde * (1 - h_tilde**2)
        da_z = dz * z * (1 - z)
        if gru.reset_after:
            m = m_seq[:, t]
            dr = da_h * m
            dm = da_h * r
            da_r = dr * r * (1 - r)
            ds = np.concatenate([da_z, da_r, dm], axis=1)  # gradient of h_prev R + bh
            dh_prev = dh * z + ds @ gru.R.T
            ds_seq[:, t] = ds
        else:
            dq = da_h @ R_h.T
            dr = dq * h_prev
            da_r = dr * r * (1 - r)
            da_zr = np.concatenate([da_z, da_r], axis=1)
            dh_prev = dh * z + dq * r + da_zr @ R_zr.T
        da = np.concatenate([da_z, da_r, da_h], axis=1)  # gradient of x_t W + bx
        da_seq[:, t] = da

        if any_masked:
            dh_prev += dh_skip
        dh_next = dh_prev

    # The weights collect one term per step and per example: one product each,
    # with time and batch flattened together.
    da = da_seq.reshape(B * T, 3 * U)
    h_prev_flat = h_prev_seq.reshape(B * T, U)
    grads = {"W": x.reshape(B * T, D).T @ da}
    if gru.reset_after:
        ds = ds_seq.reshape(B * T, 3 * U)
        grads["R"] = h_prev_flat.T @ ds
    else:
        dR = np.empty_like(gru.R)
        dR[:, : 2 * U] = h_prev_flat.T @ da[:, : 2 * U]
        dR[:, 2 * U :] = q_seq.reshape(B * T, U).T @ da[:, 2 * U :]
        grads["R"] = dR
    if gru.bx is not None:
        grads["bx"] = da.sum(axis=0)
    if gru.bh is not None:
        grads["bh"] = ds.sum(axis=0)
    grads["h"] = dh_all

    def dx():
        return (da @ gru.W.T).reshape(B, T, D)

    return Gradients.of(gru, grads, dx, dh_next, inputs)


def states_read(gru, trace):
    """The state every step read, ``h_prev`` (``h0`` at step 0), and with ``reset_after``,
    ``m = h_prev R_h + bh_h`` (else ``None``); both (batch, time, units), processing order.

    A trace that kept them (:class:`gru_lesson.fast.FastTrace`) hands them over; from any
    other they are computed, ``m`` for every step in one product.
    """
    h_prev = getattr(trace, "h_prev", None)
    if h_prev is None:
        h_prev = np.concatenate([trace.h0[:, None], trace.h[:, :-1]], axis=1)
    if not gru.reset_after:
        return h_prev, None
    m = getattr(trace, "m", None)
    if m is None:
        U = gru.units
        m = h_prev @ gru.R[:, 2 * U :]
        if gru.bh is not None:
            m += gru.bh[2 * U :]
    return h_prev, m


class Gradients(dict):
    """What a backward pass returns: a dict of gradients by name.

    With ``inputs=False`` the gradients of the inputs (:data:`INPUT_NAMES`, ``"x"`` and
    ``"h0"``) were not computed and are not among its keys; asking for one says so.
    """

    @classmethod
    def of(cls, gru, grads, dx, dh0, inputs):
        """``grads``, with the inputs' gradients if ``inputs``: ``dx()`` gives ``dL/dx`` in
        processing order (batch, time, features), ``dh0`` is ``dL/dh0``."""
        if not inputs:
            return cls(grads)
        d = dx()
        return cls({**grads, "x": d[:, ::-1] if gru.go_backwards else d, "h0": dh0})

    def __missing__(self, name):
        if name in INPUT_NAMES:
            raise KeyError(
                f"{name!r}: this backward pass computed the weights' gradients only; "
                "pass inputs=True for the gradients of x and h0 as well"
            )
        raise KeyError(name)


def dh_seq_from_outputs(gru, trace, d_output, d_final_state=None):
    """Turn dLoss/d(what the layer returned) into dLoss/dh for every step (``dh_seq``).

    ``d_output`` is shaped like ``gru(x, ...)``'s output: ``(batch, units)``, or
    ``(batch, time, units)`` with ``return_sequences=True`` (processing order, as Keras
    returns it). ``d_final_state`` is the gradient of the extra state that
    ``return_state=True`` returns, if the loss uses it.

    Both the readable backward pass and the fast one start from here. Without
    ``return_sequences`` the output is the output of the last step. With a mask,
    the output of a masked step is the previous step's output (zeros before the
    first valid step), so its gradient flows to that earlier step; with
    ``zero_output_for_mask=True`` it is zeros, which depend on nothing, so its
    gradient is dropped.
    """
    check_gru(gru)
    check_trace(trace, gru)
    B, T, U = trace.h.shape
    if gru.return_sequences:
        d_output = check_array(
            "d_output", d_output, shape=(B, T, U), names="(batch, time, units)", finite=True
        )
    else:
        d_output = check_array(
            "d_output", d_output, shape=(B, U), names="(batch, units)", finite=True
        )
    if d_final_state is not None:
        d_final_state = check_array(
            "d_final_state", d_final_state, shape=(B, U), names="(batch, units)", finite=True
        )
    return _dh_seq(gru, trace, d_output, d_final_state)


def _dh_seq(gru, trace, d_output, d_final_state):
    """:func:`dh_seq_from_outputs` on checked arguments."""
    if gru.return_sequences:
        d_out = d_output.astype(gru.dtype)  # the gradient of every step's output (a copy)
    else:
        d_out = np.zeros(trace.h.shape, gru.dtype)
        d_out[:, -1] = d_output
    dh_seq = _through_masked_outputs(gru, trace.mask, d_out)
    if d_final_state is not None:
        dh_seq[:, -1] += d_final_state
    return dh_seq


def _through_masked_outputs(gru, mask, d_out):
    """Backwards through the outputs of masked steps: from each step's output to its ``h``.

    Forwards, a valid step outputs its ``h``; a masked step outputs zeros with
    ``zero_output_for_mask=True``, else the previous step's output (zeros before the
    first valid step). Backwards, a masked step's output gradient goes on to the step
    before, until it reaches a valid step.
    """
    if mask.all():
        return d_out
    valid = mask[..., None]
    if gru.zero_output_for_mask:
        return np.where(valid, d_out, 0.0)
    dh_seq = np.zeros_like(d_out)
    d_repeated = np.zeros_like(d_out[:, 0])  # what later masked outputs send back
    for t in reversed(range(d_out.shape[1])):
        d = d_out[:, t] + d_repeated
        dh_seq[:, t] = np.where(valid[:, t], d, 0.0)
        d_repeated = np.where(valid[:, t], 0.0, d)
    return dh_seq


def _as_pair(gru, returned):
    """What a GRU layer returned, as ``(output, final state)`` (the state ``None`` without return_state)."""
    return tuple(returned) if gru.return_state else (returned, None)


def _returned_and_weights(gru, returned, G):
    """What the layer returned and the loss weights, as pairs ``(output, state)``, ``(G, G_state)``.

    ``G`` is shaped like the output; with ``return_state=True`` it may also be a pair
    ``[G_output, G_state]``, so that the loss reads the final state too.
    """
    output, state = _as_pair(gru, returned)
    G_output, G_state = G, None
    if gru.return_state and isinstance(G, (list, tuple)) and len(G) == 2 and np.ndim(G[0]) > 1:
        G_output, G_state = G
    G_output = check_array("G (loss weights)", G_output, shape=output.shape, finite=True)
    if G_state is not None:
        G_state = check_array(
            "G_state (loss weights of the final state)", G_state, shape=state.shape, finite=True
        )
    return (output, state), (G_output, G_state)


def _projection_loss(returned, weights):
    """L = sum(G * outputs): a random projection, so every output gets its own weight."""
    return float(
        sum(np.sum(G * out) for out, G in zip(returned, weights, strict=True) if G is not None)
    )


def loss_and_dh_seq(gru, trace, G):
    """``L = sum(G * what the layer returned)`` from a trace, and its ``dh_seq``."""
    returned, weights = _returned_and_weights(gru, gru._layer_outputs(trace), G)
    return _projection_loss(returned, weights), _dh_seq(gru, trace, *weights)


def loss_and_grads(gru, trace, G, backward):
    """``L = sum(G * what the layer returned)`` from a trace, and its gradients:
    ``backward(dh_seq)``, a backward pass through that trace.

    Shared by :func:`gru_loss_and_grads` and :func:`gru_lesson.fast.fast_loss_and_grads`.
    """
    loss, dh_seq = loss_and_dh_seq(gru, trace, G)
    return loss, backward(dh_seq)


def gru_loss_and_grads(gru, x, G, initial_state=None, mask=None, *, inputs=False):
    """The loss ``L = sum(G * gru(x))`` and its gradients, by :func:`gru_backward`.

    ``G`` is shaped like the layer's output: ``(batch, units)``, or
    ``(batch, time, units)`` with ``return_sequences=True``; with ``return_state=True``
    it may be a pair ``[G_output, G_state]`` (the loss then reads the final state too).
    A training step needs the weights' gradients only; ``inputs=True`` also computes
    those of ``x`` and ``h0`` (:class:`Gradients` says what happens without).
    """
    check_gru(gru)
    inputs = check_flag("inputs", inputs)
    trace = gru.trace(x, initial_state=initial_state, mask=mask)
    return loss_and_grads(
        gru, trace, G, lambda dh_seq: gru_backward(gru, x, trace, dh_seq, inputs=inputs)
    )


# ---------------------------------------------------------------------------
# checking gradients
# ---------------------------------------------------------------------------
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


def gradient_check(gru, x, G, initial_state=None, mask=None, eps=1e-6, tolerance=1e-7, show=True):
    """Check :func:`gru_backward` by central differences on every entry of every array.

    The loss is ``L = sum(G * gru(x, initial_state, mask))`` (``G`` as in
    :func:`gru_loss_and_grads`). Returns ``{name: relative error}`` for the weights, ``x``
    and ``h0``, where the relative error is ``max |analytic - numerical| / max(|analytic|,
    |numerical|)``. With ``show``, prints a table: one line per array with its error and
    "ok" (below ``tolerance``) or "WRONG". Everything must be float64.
    """
    from gru_lesson.compare import relative_error

    check_gru(gru)
    if gru.dtype != np.float64:
        raise TypeError(f"a gradient check needs a float64 GRU, got {gru.dtype}")
    eps = check_number("eps", eps, minimum=0, min_open=True)
    tolerance = check_number("tolerance", tolerance, minimum=0, min_open=True)
    show = check_flag("show", show)
    trace = gru.trace(x, initial_state=initial_state, mask=mask)  # checks x, h0 and mask
    _, weights = _returned_and_weights(gru, gru._layer_outputs(trace), G)
    x = np.array(x, dtype=np.float64)  # private copies: they get nudged in place
    h0 = trace.h0.copy()
    _, grads = gru_loss_and_grads(gru, x, G, initial_state=h0, mask=mask, inputs=True)

    def loss():  # the forward pass alone, reading the arrays being nudged
        return _projection_loss(_as_pair(gru, gru(x, initial_state=h0, mask=mask)), weights)

    arrays = dict(gru.params, x=x, h0=h0)
    errors = {}
    if show:
        print(
            f"{'array':<6s} {'shape':<12s} {'relative error':>15s}  verdict (tolerance {tolerance:.0e})"
        )
    for name in GRADIENT_NAMES:
        if name not in arrays:
            continue
        numerical = numerical_gradient(loss, arrays[name], eps=eps)
        errors[name] = relative_error(grads[name], numerical)
        if show:
            verdict = "ok" if errors[name] < tolerance else "WRONG"
            print(f"{name:<6s} {str(arrays[name].shape):<12s} {errors[name]:>15.1e}  {verdict}")
    return errors


def keras_gru_gradients(gru, x, G, initial_state=None, mask=None):
    """The same gradients by TensorFlow's autodiff through the real ``keras.layers.GRU``.

    Builds the Keras twin of ``gru`` (same weights, same dtype, same options), computes
    ``L = sum(G * layer(x, initial_state, mask))`` under ``tf.GradientTape`` (``G`` as in
    :func:`gru_loss_and_grads`) and returns a dict keyed like :func:`gru_backward`'s
    (``"bx"``/``"bh"`` are the rows of Keras' bias).
    """
    check_gru(gru)
    trace = gru.trace(x, initial_state=initial_state, mask=mask)  # checks x, h0 and mask
    _, weights = _returned_and_weights(gru, gru._layer_outputs(trace), G)

    import tensorflow as tf

    layer = gru.to_keras()
    dtype = gru.dtype.name
    x = tf.constant(np.asarray(x, dtype=dtype))
    h0 = tf.constant(trace.h0)
    kwargs = {} if mask is None else {"mask": tf.constant(np.asarray(mask, dtype=bool))}
    with tf.GradientTape() as tape:
        tape.watch([x, h0])
        returned = _as_pair(gru, layer(x, initial_state=h0, **kwargs))
        L = sum(
            tf.reduce_sum(G * out)
            for out, G in zip(returned, weights, strict=True)
            if G is not None
        )
    kernel, recurrent_kernel, *bias = layer.weights
    dW, dR, dx, dh0, *dbias = tape.gradient(L, [kernel, recurrent_kernel, x, h0, *bias])
    grads = {"W": dW.numpy(), "R": dR.numpy()}
    if dbias:
        if gru.reset_after:
            grads["bx"], grads["bh"] = dbias[0].numpy()
        else:
            grads["bx"] = dbias[0].numpy()
    grads["x"] = dx.numpy()
    grads["h0"] = dh0.numpy()
    return grads


# ---------------------------------------------------------------------------
# vanishing gradients
# ---------------------------------------------------------------------------
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
    the plain tanh RNN, :class:`~gru_lesson.rnn.TanhRNN`, as Keras names its layer) reads ``steps`` random inputs; the loss is a random projection
    of the *last* state only. Returns an array ``ratio`` of length ``steps`` where
    ``ratio[k]`` is ``||dL/dh|| k steps before the end / ||dL/dh|| at the end``, averaged
    over the batch and over one fresh layer per seed. ``update_gate_bias`` sets the update gate's
    input bias ``bx_z`` (GRU only): the larger, the closer ``z`` is to 1 and the more of
    ``h_prev`` each step keeps.
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
