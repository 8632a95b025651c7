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

and the weights collect one term per step and per example (:func:`weight_gradients`)::

    dW  = sum_t x_t^T [da_z | da_r | da_h]          dbx = sum_t sum_batch [da_z | da_r | da_h]
    dR  = sum_t h_prev^T [da_z | da_r | dm]         dbh = sum_t sum_batch [da_z | da_r | dm]
    (reset before:  dR = sum_t [h_prev^T da_z | h_prev^T da_r | q^T da_h])

:func:`gru_backward` is that derivation, line by line, with the same names; the checks
that it is right are in :mod:`gru_lesson.gradcheck`.
"""

from __future__ import annotations

import numpy as np

from gru_lesson.validation import check_array, check_flag, check_gru, check_trace

__all__ = [
    "GRADIENT_NAMES",
    "dh_seq_from_outputs",
    "gru_backward",
    "gru_loss_and_grads",
]

# The arrays gru_backward returns a gradient for, in the order tables print them.
GRADIENT_NAMES = ("W", "R", "bx", "bh", "x", "h0")
# The layer's inputs among them: a training step needs only the others, the weights'.
INPUT_NAMES = ("x", "h0")


def check_backward_inputs(gru, x, trace, dh_seq, inputs):
    """The arguments of a backward pass, checked once at its entry.

    Returns ``x`` in *processing* order and ``dh_seq``, both in the GRU's dtype, and
    ``inputs`` as a ``bool``. (:func:`gru_lesson.fast.fast_backward` takes the same arguments.)
    """
    inputs = check_flag("inputs", inputs)
    x = check_gru(gru)._check_x(x)
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
    return x, dh_seq.astype(gru.dtype, copy=False), inputs


def gru_backward(gru, x, trace, dh_seq, *, inputs=True):
    """Backpropagate through a GRU forward pass: the gradient of every weight, of ``x`` and of ``h0``.

    ``x`` (batch, time, features) is what ``gru.trace`` read (in its original order, also
    with ``go_backwards``) and ``trace`` what it returned. ``dh_seq`` (batch, time, units)
    is dLoss/dh for every state ``trace.h``, in *processing* order: a loss on the last
    state only has its gradient at the last step and zeros elsewhere; a Keras-style
    output (masks, ``return_sequences``) converts with :func:`dh_seq_from_outputs`.

    Returns a :class:`Gradients` dict: ``"W"``, ``"R"``, ``"bx"``, ``"bh"`` (the keys of
    ``gru.params``), ``"x"`` (shaped like ``x``, original order), ``"h0"`` (batch, units),
    and ``"h"``, the whole gradient that reached each state (batch, time, units),
    processing order, to watch gradients vanish. A training step needs only the
    weights': ``inputs=False`` skips ``dx = da W^T`` and has no ``"x"`` nor ``"h0"``.

    At a masked step the state is carried over (``h = h_prev``), so its gradient passes
    straight through to ``h_prev`` and the gates of that step get none.
    """
    x, dh_seq, inputs = check_backward_inputs(gru, x, trace, dh_seq, inputs)
    from gru_lesson.fast import blas_threads  # (here: gru_lesson.fast imports this module)

    with blas_threads(1):  # each step's products are small: one BLAS thread (notebook 06, 2.6)
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

    # Every step's gradients, filled from the last step back: [da_z | da_r | da_h] (the
    # input side), reset after dm too (the recurrent side is [da_z | da_r | dm]).
    da_seq = np.empty((B, T, 3 * U), gru.dtype)
    dm_seq = np.empty((B, T, U), gru.dtype) if gru.reset_after else None
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
            dm_seq[:, t] = dm
        else:
            dq = da_h @ R_h.T
            dr = dq * h_prev
            da_r = dr * r * (1 - r)
            da_zr = np.concatenate([da_z, da_r], axis=1)
            dh_prev = dh * z + dq * r + da_zr @ R_zr.T
        da_seq[:, t] = np.concatenate([da_z, da_r, da_h], axis=1)  # gradient of x_t W + bx

        if any_masked:
            dh_prev += dh_skip
        dh_next = dh_prev

    def rows(a):  # time and batch flattened together: one row per step and example
        return a.reshape(B * T, a.shape[-1])

    da = rows(da_seq)
    da_zr, da_h = da[:, : 2 * U], da[:, 2 * U :]
    dm_or_q = rows(dm_seq) if gru.reset_after else rows(trace.r * h_prev_seq)
    grads = weight_gradients(gru, rows(x), rows(h_prev_seq), da_zr, da_h, dm_or_q)
    grads["h"] = dh_all
    return Gradients.of(
        gru, grads, lambda: input_gradient(gru, da_zr, da_h).reshape(B, T, D), dh_next, inputs
    )


def weight_gradients(gru, x, h_prev, da_zr, da_h, dm_or_q):
    """The weights' gradients, one product each over all steps and examples (the rows).

    ``x`` (rows, features) and ``h_prev`` (rows, units) are what each step read; ``da_zr =
    [da_z | da_r]`` and ``da_h`` the gradients of the pre-activations; ``dm_or_q`` is ``dm``
    (reset after) or ``q = r * h_prev`` (reset before). Used by both backward passes.
    """
    U = gru.units
    # What R_h multiplies, and the gradient of that product (reset after: h_prev R_h = m).
    q, dq_h = (h_prev, dm_or_q) if gru.reset_after else (dm_or_q, da_h)
    dW, dR = np.empty_like(gru.W), np.empty_like(gru.R)
    dW[:, : 2 * U] = x.T @ da_zr
    dW[:, 2 * U :] = x.T @ da_h
    dR[:, : 2 * U] = h_prev.T @ da_zr
    dR[:, 2 * U :] = q.T @ dq_h
    grads = {"W": dW, "R": dR}
    if gru.bx is not None:
        dzr = da_zr.sum(axis=0)
        grads["bx"] = np.concatenate([dzr, da_h.sum(axis=0)])
    if gru.bh is not None:
        grads["bh"] = np.concatenate([dzr, dq_h.sum(axis=0)])
    return grads


def input_gradient(gru, da_zr, da_h):
    """``dx = [da_z | da_r | da_h] W^T`` (rows, features), from the two blocks."""
    U = gru.units
    dx = da_zr @ gru.W[:, : 2 * U].T
    dx += da_h @ gru.W[:, 2 * U :].T
    return dx


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

    Without ``return_sequences`` the output is the last step's. With a mask, a masked
    step outputs the previous step's output (zeros before the first valid step), so its
    gradient flows to that earlier step; with ``zero_output_for_mask=True`` it outputs
    zeros, which depend on nothing, so its gradient is dropped.
    """
    check_trace(trace, check_gru(gru))
    B, T, U = trace.h.shape
    if gru.return_sequences:
        shape, names = (B, T, U), "(batch, time, units)"
    else:
        shape, names = (B, U), "(batch, units)"
    d_output = check_array("d_output", d_output, shape=shape, names=names, finite=True)
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
    valid = trace.mask[..., None]
    if trace.mask.all():
        dh_seq = d_out
    elif gru.zero_output_for_mask:
        dh_seq = np.where(valid, d_out, 0.0)
    else:  # a masked step's output gradient goes on to the step before, to a valid step
        dh_seq = np.zeros_like(d_out)
        d_repeated = np.zeros_like(d_out[:, 0])  # what later masked outputs send back
        for t in reversed(range(d_out.shape[1])):
            d = d_out[:, t] + d_repeated
            dh_seq[:, t] = np.where(valid[:, t], d, 0.0)
            d_repeated = np.where(valid[:, t], 0.0, d)
    if d_final_state is not None:
        dh_seq[:, -1] += d_final_state
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


def _projection_loss(returned, weights, reduce_sum=np.sum):
    """L = sum(G * outputs): a random projection, so every output gets its own weight.

    ``reduce_sum`` sums one array: ``np.sum``, or ``tf.reduce_sum`` for Keras' tensors.
    """
    return sum(
        reduce_sum(G * out) for out, G in zip(returned, weights, strict=True) if G is not None
    )


def loss_and_dh_seq(gru, trace, G):
    """``L = sum(G * what the layer returned)`` from a trace, and its ``dh_seq``: the start
    of :func:`gru_loss_and_grads` and :func:`gru_lesson.fast.fast_loss_and_grads`."""
    returned, weights = _returned_and_weights(gru, gru._layer_outputs(trace), G)
    return float(_projection_loss(returned, weights)), _dh_seq(gru, trace, *weights)


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
    loss, dh_seq = loss_and_dh_seq(gru, trace, G)
    return loss, gru_backward(gru, x, trace, dh_seq, inputs=inputs)
