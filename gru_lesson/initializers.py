"""Starting weights, drawn the way Keras draws them, and the update gate's starting bias.

* :func:`glorot_uniform`  uniform in ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))``
* :func:`orthogonal`      orthonormal rows (or columns), Keras' ``Orthogonal`` initializer
* :func:`recurrent_weights`  a recurrent layer's ``W`` (Glorot-uniform) and ``R`` (orthogonal)
* :func:`set_update_gate_bias`  the update gate's bias of a NumPy GRU or a Keras ``GRU`` layer
* :func:`check_update_gate_bias`  such a bias, one number or one per unit, as ``(units,)``
"""

from __future__ import annotations

import numpy as np

from gru_lesson.validation import check_array, check_int, check_seed

__all__ = [
    "check_update_gate_bias",
    "glorot_uniform",
    "orthogonal",
    "recurrent_weights",
    "set_update_gate_bias",
]


def glorot_uniform(shape, seed=None):
    """A ``(fan_in, fan_out)`` Glorot-uniform array; ``seed``: an int, ``None`` or a Generator."""
    fan_in, fan_out = _check_shape(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return _rng(seed).uniform(-limit, limit, size=(fan_in, fan_out))


def orthogonal(shape, seed=None):
    """A ``(rows, cols)`` array with orthonormal rows (or columns, whichever are fewer).

    The QR decomposition of a Gaussian matrix, signs fixed so that the law is uniform.
    """
    rows, cols = _check_shape(shape)
    q, r = np.linalg.qr(_rng(seed).normal(size=(max(rows, cols), min(rows, cols))))
    q *= np.sign(np.diag(r))
    return q.T if rows < cols else q


def recurrent_weights(input_dim, units, *, blocks=1, seed=None):
    """Keras' starting weights of a recurrent layer with ``blocks`` gate blocks side by side.

    Returns ``(W, R)``: ``W`` ``(input_dim, blocks*units)`` Glorot-uniform and ``R``
    ``(units, blocks*units)`` orthogonal, drawn in that order from ``default_rng(seed)``.
    """
    input_dim = check_int("input_dim", input_dim, minimum=1)
    units = check_int("units", units, minimum=1)
    blocks = check_int("blocks", blocks, minimum=1)
    rng = _rng(seed)
    W = glorot_uniform((input_dim, blocks * units), rng)
    R = orthogonal((units, blocks * units), rng)
    return W, R


def _rng(seed):
    return np.random.default_rng(None if seed is None else check_seed(seed))


def _check_shape(shape):
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__") or len(shape) != 2:
        raise TypeError(f"shape must be a pair (rows, cols), got {shape!r}")
    return tuple(check_int(f"shape[{i}]", n, minimum=1) for i, n in enumerate(shape))


def set_update_gate_bias(gru, bias):
    """Write ``bias`` (a number or one value per unit) as the update gate's bias; returns ``gru``.

    ``gru`` is a NumPy :class:`~gru_lesson.gru.GRU` or a built ``keras.layers.GRU``. The
    input-side bias gets it (``bx_z``, Keras ``bias[0][:units]``); the recurrent-side bias of
    the update gate (``bh_z``, with ``reset_after=True``) is set to zero, so the gate's total
    bias is exactly ``bias``.
    """
    from gru_lesson.gru import GRU

    is_keras = not isinstance(gru, GRU)
    if is_keras:
        import keras

        if not isinstance(gru, keras.layers.GRU):
            raise TypeError(
                f"expected a gru_lesson GRU or a keras.layers.GRU, got {type(gru).__name__}"
            )
        if not gru.built:
            raise ValueError("the GRU layer is not built yet: build it (or its model) first")
    if not gru.use_bias:
        raise ValueError("the GRU has no bias (use_bias=False) to hold an update_gate_bias")
    b = check_update_gate_bias(bias, gru.units)
    if is_keras:  # Keras keeps both biases in one array, (2, 3*units) with reset_after
        weights = gru.get_weights()
        bx, bh = weights[2] if gru.reset_after else (weights[2], None)
    else:
        bx, bh = gru.bx, gru.bh
    bx[: gru.units] = b
    if bh is not None:
        bh[: gru.units] = 0.0
    if is_keras:
        gru.set_weights(weights)
    return gru


def check_update_gate_bias(bias, units, name="bias"):
    """``bias``, a number or one per unit, as a finite ``(units,)`` array."""
    b = check_array(name, bias, finite=True)
    if np.asarray(bias).dtype == bool:
        raise TypeError(f"{name} must be a number or one number per unit, got {bias!r}")
    if b.ndim == 0:
        return np.full(units, float(b))
    if b.shape != (units,):
        raise ValueError(
            f"{name} must be one number or one per unit, shape ({units},), got shape {b.shape}"
        )
    return b.astype(float)
