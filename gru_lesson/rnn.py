"""A plain tanh RNN in NumPy, forward and backward: the baseline a GRU improves on.

It computes what ``keras.layers.SimpleRNN`` computes (``activation="tanh"``; the Keras
models of :mod:`gru_lesson.training` name that layer ``"simple_rnn"``, after its class)::

    h = tanh(x_t W + h_prev R + b)

and its backward pass, with ``dh`` the whole gradient reaching ``h``::

    da      = dh * (1 - h**2)
    dh_prev = da R^T
    dW = sum_t x_t^T da     dR = sum_t h_prev^T da     db = sum_t sum_batch da

Every step multiplies the gradient by ``(1 - h**2)`` and ``R^T``: unless those
keep its size, it shrinks (or grows) geometrically with the distance to the loss.
Notebook 03 measures that against the GRU, whose ``dh * z`` path can carry a
gradient across many steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gru_lesson.gru import RecurrentLayer
from gru_lesson.initializers import recurrent_weights
from gru_lesson.validation import check_array

__all__ = ["TanhRNN", "RNNTrace", "rnn_backward"]


@dataclass
class RNNTrace:
    """The states of a forward pass: ``h`` (batch, time, units) and ``h0`` (batch, units)."""

    h: np.ndarray
    h0: np.ndarray


class TanhRNN(RecurrentLayer):
    """``h = tanh(x_t W + h_prev R + b)``: weights shaped like Keras' ``SimpleRNN``."""

    def __init__(self, W, R, b):
        self.W = check_array("W (input weights)", W, ndim=2, finite=True)
        if 0 in self.W.shape:
            raise ValueError(
                "W (input weights) must have shape (input_dim, units) with at least one feature "
                f"and one unit, got {self.W.shape}"
            )
        units = self.W.shape[1]
        self.R = check_array("R (recurrent weights)", R, shape=(units, units), finite=True)
        self.b = check_array("b (bias)", b, shape=(units,), finite=True)

    @property
    def params(self):
        return {"W": self.W, "R": self.R, "b": self.b}

    def __repr__(self):
        return f"TanhRNN(input_dim={self.input_dim}, units={self.units})"

    @classmethod
    def initialize(cls, input_dim, units, *, seed=None):
        """Keras' defaults: ``W`` Glorot-uniform, ``R`` orthogonal, ``b`` zeros."""
        W, R = recurrent_weights(input_dim, units, seed=seed)
        return cls(W, R, np.zeros(R.shape[0]))

    def trace(self, x, initial_state=None):
        """Run over ``x`` (batch, time, features) and keep every state (an :class:`RNNTrace`)."""
        x = self._check_x(x)
        batch, steps, _ = x.shape
        if steps == 0:
            raise ValueError(f"x must have at least one time step, got shape {x.shape}")
        if initial_state is None:
            h0 = np.zeros((batch, self.units))
        else:
            h0 = check_array("initial_state", initial_state, shape=(batch, self.units), finite=True)
        x_proj = x @ self.W + self.b  # every step's input part in one product
        h_all = np.empty((batch, steps, self.units))
        h = h0
        for t in range(steps):
            h = np.tanh(x_proj[:, t] + h @ self.R)
            h_all[:, t] = h
        return RNNTrace(h=h_all, h0=h0)

    def __call__(self, x, initial_state=None):
        """The last state, as ``SimpleRNN`` returns it."""
        return self.trace(x, initial_state).h[:, -1]


def rnn_backward(rnn, x, trace, dh_seq):
    """Gradients of ``W``, ``R``, ``b``, ``x``, ``h0``, and ``"h"`` (what reached each state).

    ``dh_seq`` (batch, time, units) is dLoss/dh for every state.
    """
    if not isinstance(rnn, TanhRNN):
        raise TypeError(f"rnn must be a TanhRNN, got {type(rnn).__name__}")
    x = rnn._check_x(x)
    B, T, D = x.shape
    U = rnn.units
    if not isinstance(trace, RNNTrace):
        raise TypeError(f"trace must be the RNNTrace rnn.trace(x) returned, got {trace!r:.60}")
    if trace.h.shape != (B, T, U):
        raise ValueError(f"trace.h has shape {trace.h.shape}, x and the RNN need {(B, T, U)}")
    dh_seq = check_array("dh_seq", dh_seq, shape=(B, T, U), finite=True)
    h_prev_seq = np.concatenate([trace.h0[:, None], trace.h[:, :-1]], axis=1)
    da_seq = np.empty((B, T, U))
    dh_all = np.empty((B, T, U))
    dh_next = np.zeros((B, U))
    for t in reversed(range(T)):
        dh = dh_seq[:, t] + dh_next
        dh_all[:, t] = dh
        da = dh * (1 - trace.h[:, t] ** 2)
        da_seq[:, t] = da
        dh_next = da @ rnn.R.T  # dh_prev
    da = da_seq.reshape(B * T, U)
    return {
        "W": x.reshape(B * T, D).T @ da,
        "R": h_prev_seq.reshape(B * T, U).T @ da,
        "b": da.sum(axis=0),
        "x": (da @ rnn.W.T).reshape(B, T, D),
        "h0": dh_next,
        "h": dh_all,
    }
