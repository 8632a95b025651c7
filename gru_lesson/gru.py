"""A Gated Recurrent Unit in NumPy, written the way Keras computes it.

Shapes are batch-first, as in Keras: ``x`` is ``(batch, time, features)``.
Vectors are rows, so a product reads ``x_t @ W`` as in the notebooks.

The three gate blocks sit side by side along the last axis in the order
**z, r, h** (update gate, reset gate, candidate), exactly as in Keras'
``kernel``, ``recurrent_kernel`` and ``bias``:

* ``W``  input weights,      ``(input_dim, 3*units)`` = ``[W_z | W_r | W_h]``
* ``R``  recurrent weights,  ``(units, 3*units)``     = ``[R_z | R_r | R_h]``
* ``bx`` input-side bias,    ``(3*units,)``           = Keras ``bias[0]``
* ``bh`` recurrent-side bias ``(3*units,)``           = Keras ``bias[1]``
  (only when ``reset_after=True``; the reset-before form has one bias row)

One step, ``reset_after=True`` (Keras' default, also cuDNN's and PyTorch's)::

    z  = sigmoid(x_t W_z + bx_z + h_prev R_z + bh_z)
    r  = sigmoid(x_t W_r + bx_r + h_prev R_r + bh_r)
    h~ = tanh(x_t W_h + bx_h + r * (h_prev R_h + bh_h))
    h  = z * h_prev + (1 - z) * h~

``reset_after=False`` (Cho et al. 2014) applies ``r`` before the product::

    h~ = tanh(x_t W_h + bx_h + (r * h_prev) R_h)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gru_lesson.initializers import recurrent_weights
from gru_lesson.validation import (
    check_array,
    check_dtype,
    check_finite,
    check_flag,
    check_int,
    check_mask,
    check_number,
)

__all__ = ["GRU", "GRUTrace", "sigmoid", "split_gates"]


def sigmoid(a):
    """The logistic function 1 / (1 + exp(-a)), without overflow warnings.

    ``a`` is a number or an array of them; infinities give 0 or 1, NaN is refused.
    """
    a = check_array("a", a)
    if np.isnan(a).any():
        check_finite("a", a)  # says where the first NaN is
    return np.asarray(_sigmoid(a))


def _sigmoid(a):
    """:func:`sigmoid` without the check of its argument (the GRU's loop calls it)."""
    # For a very negative a, exp(-a) overflows to inf and 1 / (1 + inf) is 0, the sigmoid's
    # limit there: only the warning is silenced, never the answer.
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-a))


def split_gates(m):
    """Split the last axis of a fused ``3*units`` array into its z, r, h blocks."""
    m = check_array("m", m)
    if m.ndim == 0 or m.shape[-1] % 3:
        raise ValueError(
            f"m must have 3 equal gate blocks (z, r, h) on its last axis, got shape {m.shape}"
        )
    units = m.shape[-1] // 3
    return m[..., :units], m[..., units : 2 * units], m[..., 2 * units :]


@dataclass
class GRUTrace:
    """Every intermediate value of a forward pass, each ``(batch, time, units)``.

    The time axis is in *processing* order: with ``go_backwards=True``,
    ``trace.h[:, 0]`` is the state after reading the *last* input.
    ``h0`` is the initial state ``(batch, units)`` and ``mask`` the
    ``(batch, time)`` boolean mask in processing order (all ``True`` without one).
    At a masked step ``z``, ``r`` and ``h_tilde`` are what the gates would
    have been; ``h`` is the carried-over state.
    """

    z: np.ndarray
    r: np.ndarray
    h_tilde: np.ndarray
    h: np.ndarray
    h0: np.ndarray
    mask: np.ndarray


class RecurrentLayer:
    """What the NumPy GRU and the tanh RNN share: sizes read off ``W`` (input_dim, ...)
    and ``R`` (units, ...), and the check of an input sequence."""

    @property
    def units(self):
        return self.R.shape[0]

    @property
    def input_dim(self):
        return self.W.shape[0]

    def _check_x(self, x):
        """``x`` as a finite (batch, time, input_dim) array."""
        x = check_array("x", x, ndim=3, names="(batch, time, features)")
        if x.shape[2] != self.input_dim:
            raise ValueError(
                f"x must have {self.input_dim} features (the {type(self).__name__}'s "
                f"input_dim) on its last axis, got shape {x.shape}"
            )
        return check_finite("x", x)


class GRU(RecurrentLayer):
    """A GRU layer in NumPy that computes what ``keras.layers.GRU`` computes.

    Call it like the Keras layer: ``gru(x, initial_state=None, mask=None)``
    returns the last state ``(batch, units)``, or with ``return_sequences=True``
    every state ``(batch, time, units)``, and with ``return_state=True`` the
    list ``[output, final_state]``.

    Build one from a Keras layer with :meth:`GRU.from_keras`, or with fresh
    Keras-style random weights with :meth:`GRU.initialize`.
    """

    def __init__(
        self,
        W,
        R,
        bx=None,
        bh=None,
        *,
        reset_after=True,
        go_backwards=False,
        return_sequences=False,
        return_state=False,
        zero_output_for_mask=False,
        dropout=0.0,
        recurrent_dropout=0.0,
    ):
        W = check_array("W (input weights)", W, ndim=2, finite=True)
        R = check_array("R (recurrent weights)", R, ndim=2, finite=True)
        if W.shape[0] == 0 or W.shape[1] == 0 or W.shape[1] % 3:
            raise ValueError(
                "W (input weights) must have 3*units columns (blocks z, r, h), at least one "
                f"unit and at least one input feature, got shape {W.shape}"
            )
        units = W.shape[1] // 3
        if R.shape != (units, 3 * units):
            raise ValueError(
                f"R (recurrent weights) must have shape (units, 3*units) = "
                f"{(units, 3 * units)} to match W of shape {W.shape}, got {R.shape}"
            )
        reset_after = check_flag("reset_after", reset_after)
        if reset_after and (bx is None) != (bh is None):
            raise ValueError(
                "with reset_after=True a GRU has two bias rows or none: got "
                f"bx={'an array' if bx is not None else None}, "
                f"bh={'an array' if bh is not None else None}"
            )
        if not reset_after and bh is not None:
            raise ValueError(
                "reset_after=False has a single bias row (bx); got a recurrent bias bh too"
            )
        dtype = np.result_type(W, R)
        if bx is not None:
            bx = check_array("bx (input bias)", bx, shape=(3 * units,), finite=True)
        if bh is not None:
            bh = check_array("bh (recurrent bias)", bh, shape=(3 * units,), finite=True)
        self.W = W.astype(dtype, copy=False)
        self.R = R.astype(dtype, copy=False)
        self.bx = None if bx is None else bx.astype(dtype, copy=False)
        self.bh = None if bh is None else bh.astype(dtype, copy=False)
        self.reset_after = reset_after
        self.go_backwards = check_flag("go_backwards", go_backwards)
        self.return_sequences = check_flag("return_sequences", return_sequences)
        self.return_state = check_flag("return_state", return_state)
        self.zero_output_for_mask = check_flag("zero_output_for_mask", zero_output_for_mask)
        # Kept only so that a training-mode call can refuse: the twin has no dropout.
        self.dropout = check_number("dropout", dropout, minimum=0, maximum=1)
        self.recurrent_dropout = check_number(
            "recurrent_dropout", recurrent_dropout, minimum=0, maximum=1
        )

    # ------------------------------------------------------------------ shape
    @property
    def use_bias(self):
        return self.bx is not None

    @property
    def dtype(self):
        return self.W.dtype

    @property
    def params(self):
        """The weights by name, in Keras' order: ``{"W", "R"[, "bx"[, "bh"]]}``."""
        p = {"W": self.W, "R": self.R, "bx": self.bx, "bh": self.bh}
        return {name: a for name, a in p.items() if a is not None}

    def count_params(self):
        return sum(p.size for p in self.params.values())

    def __repr__(self):
        return (
            f"GRU(input_dim={self.input_dim}, units={self.units}, "
            f"reset_after={self.reset_after}, use_bias={self.use_bias}, "
            f"dtype={self.dtype.name})"
        )

    # ------------------------------------------------------------ construction
    @classmethod
    def initialize(
        cls,
        input_dim,
        units,
        *,
        reset_after=True,
        use_bias=True,
        seed=None,
        dtype=np.float64,
        **options,
    ):
        """Fresh weights drawn the way Keras draws them by default.

        ``W`` is Glorot-uniform; ``R`` is one ``(units, 3*units)`` matrix with
        orthonormal rows (Keras' orthogonal initializer); the biases are zero.
        """
        input_dim = check_int("input_dim", input_dim, minimum=1)
        units = check_int("units", units, minimum=1)
        use_bias = check_flag("use_bias", use_bias)
        reset_after = check_flag("reset_after", reset_after)
        dtype = check_dtype(dtype)
        W, R = recurrent_weights(input_dim, units, blocks=3, seed=seed)
        bx = np.zeros(3 * units, dtype) if use_bias else None
        bh = np.zeros(3 * units, dtype) if (use_bias and reset_after) else None
        return cls(W.astype(dtype), R.astype(dtype), bx, bh, reset_after=reset_after, **options)

    @classmethod
    def from_keras(cls, layer):
        """The NumPy twin of a built ``keras.layers.GRU`` (same weights and options)."""
        from gru_lesson.keras_twin import gru_from_keras

        return gru_from_keras(layer)

    def to_keras(self, **layer_options):
        """A new, built ``keras.layers.GRU`` holding these weights, with every option of this GRU.

        ``layer_options`` may set what keeps the layer a twin (``dtype``, ``name``,
        ``trainable``, ``return_sequences``, ``return_state``, dropout); anything that
        would change what it computes is refused by name (see
        :func:`gru_lesson.keras_twin.gru_to_keras`).
        """
        from gru_lesson.keras_twin import gru_to_keras

        return gru_to_keras(self, **layer_options)

    # ---------------------------------------------------------------- forward
    def _check_inputs(self, x, initial_state, mask):
        x = self._check_x(x)
        if x.shape[1] == 0:
            raise ValueError(f"x must have at least one time step, got shape {x.shape}")
        x = x.astype(self.dtype, copy=False)
        batch = x.shape[0]
        if initial_state is None:
            h0 = np.zeros((batch, self.units), dtype=self.dtype)
        else:
            # Keras' form: a list of states, of which a GRU has one.
            states = isinstance(initial_state, (list, tuple))
            if states and any(np.ndim(s) == 2 for s in initial_state):
                if len(initial_state) != 1:
                    raise ValueError(
                        "a GRU has one state; initial_state must be one array, "
                        f"got {len(initial_state)}"
                    )
                initial_state = initial_state[0]
            h0 = check_array("initial_state", initial_state, shape=(batch, self.units))
            check_finite("initial_state", h0)
            h0 = h0.astype(self.dtype, copy=False)
        m = check_mask(mask, x.shape[:2])
        if m is None:
            m = np.ones(x.shape[:2], dtype=bool)
        if self.go_backwards:
            x, m = x[:, ::-1], m[:, ::-1]
        return x, h0, m

    def trace(self, x, initial_state=None, mask=None):
        """Run the GRU over ``x`` and keep every gate at every step (a :class:`GRUTrace`)."""
        x, h0, mask = self._check_inputs(x, initial_state, mask)
        from gru_lesson.fast import blas_threads  # (here: gru_lesson.fast imports this module)

        with blas_threads(1):  # small products, one after the other: one BLAS thread each
            return self._trace(x, h0, mask)

    def _trace(self, x, h0, mask):
        """:meth:`trace` on checked inputs (``x`` and ``mask`` in processing order)."""
        batch, steps, _ = x.shape
        U = self.units
        # The input half of every gate at every step, in one matrix product.
        x_proj = x @ self.W  # (batch, time, 3U): [x W_z | x W_r | x W_h]
        if self.bx is not None:
            x_proj += self.bx
        x_z, x_r, x_h = split_gates(x_proj)
        R_h = self.R[:, 2 * U :]
        R_zr = self.R[:, : 2 * U]  # z and r blocks, multiplied together
        bh_zr = None if self.bh is None else self.bh[: 2 * U]
        bh_h = None if self.bh is None else self.bh[2 * U :]

        shape = (batch, steps, U)
        z_all, r_all, h_tilde_all, h_all = (np.empty(shape, self.dtype) for _ in range(4))
        h = h0
        for t in range(steps):
            xz, xr, xh = x_z[:, t], x_r[:, t], x_h[:, t]
            h_prev = h
            hR_zr = h_prev @ R_zr
            if bh_zr is not None:
                hR_zr += bh_zr
            z = _sigmoid(xz + hR_zr[:, :U])
            r = _sigmoid(xr + hR_zr[:, U:])
            if self.reset_after:
                m = h_prev @ R_h  # reset applied *after* the product
                if bh_h is not None:
                    m += bh_h
                h_tilde = np.tanh(xh + r * m)
            else:
                h_tilde = np.tanh(xh + (r * h_prev) @ R_h)  # reset *before* the product
            h = z * h_prev + (1 - z) * h_tilde
            keep = ~mask[:, t, None]
            if keep.any():
                h = np.where(keep, h_prev, h)
            z_all[:, t], r_all[:, t], h_tilde_all[:, t], h_all[:, t] = z, r, h_tilde, h
        return GRUTrace(z=z_all, r=r_all, h_tilde=h_tilde_all, h=h_all, h0=h0, mask=mask)

    def __call__(self, x, initial_state=None, mask=None, training=False):
        if training and (self.dropout or self.recurrent_dropout):
            raise NotImplementedError(
                "the NumPy GRU does not reproduce dropout in training mode "
                f"(dropout={self.dropout}, recurrent_dropout={self.recurrent_dropout}); "
                "call it with training=False"
            )
        return self._layer_outputs(self.trace(x, initial_state=initial_state, mask=mask))

    def _layer_outputs(self, tr):
        """What the Keras layer returns, from a trace (only ``tr.h`` and ``tr.mask`` are read).

        At a masked step the previous output is repeated (zeros before the first valid
        step), or zeros with ``zero_output_for_mask=True``. The state itself is carried
        either way, so a fully masked sequence outputs zeros but keeps its initial state.
        """
        outputs = tr.h
        if not tr.mask.all():
            outputs = np.where(tr.mask[..., None], tr.h, 0.0).astype(self.dtype)
            if not self.zero_output_for_mask:
                for t in range(1, outputs.shape[1]):
                    masked = ~tr.mask[:, t]
                    outputs[masked, t] = outputs[masked, t - 1]
        output = outputs if self.return_sequences else outputs[:, -1]
        if self.return_state:
            return [output, tr.h[:, -1]]
        return output
