"""GRU conventions side by side, and what each classic mistake costs (notebook 02).

**Weight layouts.** Keras stores a GRU as ``kernel (D, 3U)``, ``recurrent_kernel (U, 3U)``
and ``bias (2, 3U)``, gate blocks ordered z, r, h. PyTorch's ``nn.GRU`` computes the same
function as Keras' default ``reset_after=True`` but stores ``weight_ih_l0 (3H, D)``,
``weight_hh_l0 (3H, H)``, ``bias_ih_l0`` and ``bias_hh_l0 (3H,)``, transposed and ordered
r, z, n. :func:`keras_to_pytorch` and :func:`pytorch_to_keras` convert with NumPy
alone; :func:`pytorch_gru_forward` transcribes PyTorch's equations to check them.

**Classic mistakes.** Each function of :data:`MISTAKES` is a GRU forward pass with exactly
one classic re-implementation mistake, on the weights of a Keras-convention
:class:`~gru_lesson.gru.GRU`; :func:`keras_equations` is the same code without it, and
:func:`mistake_costs` measures how far each one lands from a Keras layer. Every forward
function takes ``(gru, x, h0)``, ``x`` ``(batch, time, features)`` and ``h0``
``(batch, units)``, and returns every state, ``(batch, time, units)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gru_lesson.compare import max_abs_diff
from gru_lesson.gru import GRU, sigmoid, split_gates
from gru_lesson.keras_twin import check_keras_gru
from gru_lesson.validation import (
    check_array,
    check_dtype,
    check_finite,
    check_gru,
    check_int,
    check_number,
)

__all__ = [
    "MISTAKES",
    "MistakeCost",
    "both_biases_summed",
    "flipped_update_gate",
    "gate_order_rzh",
    "hard_sigmoid",
    "hard_sigmoid_gates",
    "keras_equations",
    "keras_to_pytorch",
    "mistake_costs",
    "pytorch_gru_forward",
    "pytorch_to_keras",
    "random_keras_case",
    "randomize_biases",
    "recurrent_bias_ignored",
    "reorder_gates",
    "reset_before_product",
]

PYTORCH_KEYS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


# ------------------------------------------------------------------ gate order
def reorder_gates(m, source="zrh", target="rzh"):
    """Reorder the three gate blocks along the last axis of ``m``.

    ``source`` and ``target`` spell the block order with the letters z, r, h:
    ``reorder_gates(kernel, "zrh", "rzh")`` turns Keras' order into PyTorch's.
    """
    m = check_array("m", m)
    for name, order in (("source", source), ("target", target)):
        if not isinstance(order, str) or sorted(order) != ["h", "r", "z"]:
            raise ValueError(
                f"{name} must be an ordering of the letters 'z', 'r', 'h', got {order!r}"
            )
    if m.ndim == 0 or m.shape[-1] % 3:
        raise ValueError(f"the last axis must hold 3 gate blocks (3*units), got shape {m.shape}")
    blocks = dict(zip(source, split_gates(m), strict=True))
    return np.concatenate([blocks[g] for g in target], axis=-1)


# ------------------------------------------------------------- Keras <-> PyTorch
def _three_blocks(name, a, axis, what):
    """The size of one gate block of ``a``, whose ``axis`` holds three (``what`` names them)."""
    if a.shape[axis] % 3 or 0 in a.shape:
        raise ValueError(
            f"{name} must have {what}, at least one unit and one input, got shape {a.shape}"
        )
    return a.shape[axis] // 3


def keras_to_pytorch(kernel, recurrent_kernel, bias=None):
    """PyTorch ``nn.GRU`` weights (layer 0) from Keras ``GRU`` weights.

    Pass what ``layer.get_weights()`` returns, e.g.
    ``keras_to_pytorch(*layer.get_weights())``. The layer must use
    ``reset_after=True`` (Keras' default), the only form PyTorch has.
    Returns a dict of NumPy arrays keyed like a PyTorch ``state_dict``.
    """
    W = check_array("kernel", kernel, ndim=2, names="(input_dim, 3*units)", finite=True)
    U = _three_blocks("kernel", W, 1, "3*units columns (blocks z, r, h)")
    R = check_array("recurrent_kernel", recurrent_kernel, shape=(U, 3 * U), finite=True)
    out = {"weight_ih_l0": reorder_gates(W).T.copy(), "weight_hh_l0": reorder_gates(R).T.copy()}
    if bias is not None:
        b = check_array("bias", bias, finite=True)
        if b.shape == (3 * U,):
            raise ValueError(
                "this Keras GRU has one bias row, shape (3*units,), so it uses reset_after=False; "
                "PyTorch's nn.GRU has no such form (it always applies the reset gate after the product)"
            )
        b = check_array("bias", b, shape=(2, 3 * U))
        out["bias_ih_l0"] = reorder_gates(b[0])
        out["bias_hh_l0"] = reorder_gates(b[1])
    return out


def pytorch_to_keras(state_dict):
    """Keras ``GRU`` weights ``[kernel, recurrent_kernel(, bias)]`` from a PyTorch ``nn.GRU``.

    ``state_dict`` maps ``weight_ih_l0``, ``weight_hh_l0`` and, if the GRU has
    biases, ``bias_ih_l0`` and ``bias_hh_l0`` to arrays (PyTorch tensors work
    once moved to the CPU). The result goes straight into
    ``layer.set_weights(...)`` of a Keras ``GRU(H)`` with ``reset_after=True``.
    """
    if not hasattr(state_dict, "keys"):
        raise TypeError(
            f"state_dict must be a mapping of names to arrays, got {type(state_dict).__name__}"
        )
    missing = [k for k in PYTORCH_KEYS[:2] if k not in state_dict]
    has_ih, has_hh = "bias_ih_l0" in state_dict, "bias_hh_l0" in state_dict
    if has_ih != has_hh:
        missing.append("bias_hh_l0" if has_ih else "bias_ih_l0")
    if missing:
        raise ValueError(
            f"state_dict lacks {missing}: expected {list(PYTORCH_KEYS)} (the biases may be "
            f"absent together), got keys {sorted(state_dict.keys())}"
        )
    w_ih = state_dict["weight_ih_l0"]
    w_ih = check_array("weight_ih_l0", w_ih, ndim=2, names="(3*hidden, input)", finite=True)
    H = _three_blocks("weight_ih_l0", w_ih, 0, "3*hidden rows (blocks r, z, n)")
    w_hh = check_array("weight_hh_l0", state_dict["weight_hh_l0"], shape=(3 * H, H), finite=True)
    weights = [reorder_gates(w_ih.T, "rzh", "zrh"), reorder_gates(w_hh.T, "rzh", "zrh")]
    if has_ih:
        b_ih = check_array("bias_ih_l0", state_dict["bias_ih_l0"], shape=(3 * H,), finite=True)
        b_hh = check_array("bias_hh_l0", state_dict["bias_hh_l0"], shape=(3 * H,), finite=True)
        weights.append(
            np.stack([reorder_gates(b_ih, "rzh", "zrh"), reorder_gates(b_hh, "rzh", "zrh")])
        )
    return weights


def pytorch_gru_forward(state_dict, x, h0=None):
    """PyTorch's documented ``nn.GRU`` equations in NumPy (one layer, ``batch_first=True``).

    Written the way the PyTorch documentation writes them, gate by gate::

        r  = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
        z  = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    Returns every state, ``(batch, time, hidden)``.
    """
    kernel, recurrent_kernel, *bias = pytorch_to_keras(state_dict)  # validates shapes
    H = recurrent_kernel.shape[0]
    D = kernel.shape[0]
    x = check_array("x", x, shape=(None, None, D), names="(batch, time, features)", finite=True)
    h = np.zeros((x.shape[0], H))
    if h0 is not None:
        h = check_array("h0", h0, shape=(x.shape[0], H), finite=True)
    W_ir, W_iz, W_in = np.split(np.asarray(state_dict["weight_ih_l0"], dtype=float), 3)
    W_hr, W_hz, W_hn = np.split(np.asarray(state_dict["weight_hh_l0"], dtype=float), 3)
    zeros = np.zeros(3 * H)
    b_ir, b_iz, b_in = np.split(np.asarray(state_dict.get("bias_ih_l0", zeros), dtype=float), 3)
    b_hr, b_hz, b_hn = np.split(np.asarray(state_dict.get("bias_hh_l0", zeros), dtype=float), 3)
    hs = []
    for t in range(x.shape[1]):
        x_t = x[:, t]
        r = sigmoid(x_t @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
        z = sigmoid(x_t @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
        n = np.tanh(x_t @ W_in.T + b_in + r * (h @ W_hn.T + b_hn))
        h = (1 - z) * n + z * h
        hs.append(h)
    return np.stack(hs, axis=1)


# -------------------------------------------------------------- the mistakes
def hard_sigmoid(a):
    """Keras 2.2's ``hard_sigmoid``: ``clip(0.2 a + 0.5, 0, 1)``, a piecewise-linear sigmoid.

    (Keras 3's ``keras.activations.hard_sigmoid`` has slope 1/6 instead of 0.2.)
    """
    a = check_array("a", a)
    if np.isnan(a).any():
        check_finite("a", a)  # says where the first NaN is
    return np.clip(0.2 * a + 0.5, 0.0, 1.0)


def _checked(gru, x, h0):
    check_gru(gru)
    if not gru.reset_after or gru.bh is None:
        raise ValueError(
            "the mistakes are measured on Keras' default form: a GRU with reset_after=True and "
            f"both bias rows, got reset_after={gru.reset_after}, use_bias={gru.use_bias}"
        )
    if gru.go_backwards:
        raise ValueError(
            "these forward functions read x forwards; got a GRU with go_backwards=True"
        )
    D = gru.input_dim
    x = check_array("x", x, shape=(None, None, D), names="(batch, time, features)", finite=True)
    h0 = check_array("h0", h0, shape=(x.shape[0], gru.units), finite=True)
    return x, h0


def _gates(gru, x_t, h_prev, gate=sigmoid):
    """z, r and h~ of one Keras step (reset_after=True), written out from the equations."""
    xz, xr, xh = split_gates(x_t @ gru.W + gru.bx)
    hz, hr, m = split_gates(h_prev @ gru.R + gru.bh)
    z = gate(xz + hz)
    r = gate(xr + hr)
    h_tilde = np.tanh(xh + r * m)  # m = h_prev R_h + bh_h: the reset gate acts after the product
    return z, r, h_tilde


def _states(gru, x, h0):
    """Every state of the (unchanged) GRU code, for mistakes that live in the weights."""
    return gru.trace(x, initial_state=h0).h


def keras_equations(gru, x, h0, gate=sigmoid):
    """The faithful path: Keras' equations, written out step by step (no mistake)."""
    x, h = _checked(gru, x, h0)
    hs = []
    for t in range(x.shape[1]):
        z, r, h_tilde = _gates(gru, x[:, t], h, gate=gate)
        h = z * h + (1 - z) * h_tilde
        hs.append(h)
    return np.stack(hs, axis=1)


def flipped_update_gate(gru, x, h0):
    """Chung et al. 2014's update ``h = (1 - z) h_prev + z h~`` on Keras weights.

    The paper's z means "how much new", Keras' z means "how much old".
    """
    x, h = _checked(gru, x, h0)
    hs = []
    for t in range(x.shape[1]):
        z, r, h_tilde = _gates(gru, x[:, t], h)
        h = (1 - z) * h + z * h_tilde  # the mistake: z and (1 - z) swapped
        hs.append(h)
    return np.stack(hs, axis=1)


def hard_sigmoid_gates(gru, x, h0):
    """Gates through Keras 2.2's ``hard_sigmoid``, the default before Keras 2.3."""
    return keras_equations(gru, x, h0, gate=hard_sigmoid)  # the mistake


def gate_order_rzh(gru, x, h0):
    """Keras' ``[z | r | h]`` blocks read as ``[r | z | h]`` (PyTorch's order)."""
    x, h0 = _checked(gru, x, h0)
    swap = {k: reorder_gates(v, "zrh", "rzh") for k, v in gru.params.items()}  # the mistake
    return _states(GRU(**swap), x, h0)


def reset_before_product(gru, x, h0):
    """Reset-after weights run through the reset-before equation ``(r * h_prev) R_h``.

    The recurrent candidate bias then sits outside the reset gate too, as it
    must in a formula with one bias row.
    """
    x, h0 = _checked(gru, x, h0)
    wrong = GRU(gru.W, gru.R, gru.bx + gru.bh, reset_after=False)  # the mistake
    return _states(wrong, x, h0)


def recurrent_bias_ignored(gru, x, h0):
    """Only Keras' ``bias[0]`` used: the recurrent-side row ``bias[1]`` dropped."""
    x, h0 = _checked(gru, x, h0)
    wrong = GRU(gru.W, gru.R, gru.bx, np.zeros_like(gru.bh))  # the mistake
    return _states(wrong, x, h0)


def both_biases_summed(gru, x, h0):
    """``bias[0] + bias[1]`` added once, outside the reset gate.

    Harmless for z and r, where the two rows simply add; wrong for the
    candidate, where ``bh_h`` belongs inside ``r * (h_prev R_h + bh_h)``.
    """
    x, h0 = _checked(gru, x, h0)
    wrong = GRU(gru.W, gru.R, gru.bx + gru.bh, np.zeros_like(gru.bh))  # the mistake
    return _states(wrong, x, h0)


#: Each classic mistake, by name, as a forward function ``(gru, x, h0) -> states``.
MISTAKES = {
    "flipped z (Chung et al.)": flipped_update_gate,
    "gate order [r, z, h]": gate_order_rzh,
    "reset before the product": reset_before_product,
    "recurrent bias ignored": recurrent_bias_ignored,
    "both bias rows summed": both_biases_summed,
    "hard_sigmoid (Keras 2.2)": hard_sigmoid_gates,
}


# ------------------------------------------------------------- measuring them
def randomize_biases(layer, seed=None, scale=0.5):
    """Give a built Keras ``GRU`` biases drawn from N(0, scale^2); returns the layer.

    Keras initializes biases to zero, and zeros hide every bias mistake, so
    a check against Keras should always start from random biases.
    """
    check_keras_gru(layer)
    if not layer.use_bias:
        raise ValueError(
            f"layer {layer.name!r} has use_bias=False: there are no biases to randomize"
        )
    scale = check_number("scale", scale, minimum=0)
    kernel, recurrent_kernel, bias = layer.get_weights()
    bias = np.random.default_rng(seed).normal(0.0, scale, size=bias.shape).astype(bias.dtype)
    layer.set_weights([kernel, recurrent_kernel, bias])
    return layer


def random_keras_case(seed=0, *, batch=2, time=10, features=20, units=32, dtype="float64"):
    """A Keras ``GRU`` layer with random biases, an input ``x`` and a non-zero ``h0``.

    Kernels are drawn the way Keras draws them (:meth:`GRU.initialize`), the
    biases from N(0, 0.5^2) instead of Keras' zeros, ``x`` from N(0, 1) and
    ``h0`` uniformly in (-1, 1), all from NumPy's generator seeded with
    ``seed`` so the case is the same on every machine. The layer returns
    sequences. Returns ``(layer, x, h0)``.
    """
    batch = check_int("batch", batch, minimum=1)
    time = check_int("time", time, minimum=1)
    features = check_int("features", features, minimum=1)
    units = check_int("units", units, minimum=1)
    dtype = np.dtype(check_dtype(dtype)).name
    rng = np.random.default_rng(seed)
    fresh = GRU.initialize(features, units, seed=rng)
    bx, bh = rng.normal(0.0, 0.5, size=(2, 3 * units))
    gru = GRU(fresh.W, fresh.R, bx, bh)
    x = rng.normal(size=(batch, time, features)).astype(dtype)
    h0 = rng.uniform(-1.0, 1.0, size=(batch, units)).astype(dtype)
    layer = gru.to_keras(return_sequences=True, dtype=dtype)
    return layer, x, h0


@dataclass
class MistakeCost:
    """One row of the table: a mistake and the largest error it causes."""

    name: str
    description: str
    max_abs_diff: float

    def __str__(self):
        return f"{self.name:<28s} {self.max_abs_diff:9.2e}"


def mistake_costs(layer, x, h0):
    """How far each mistake lands from a Keras ``GRU`` layer, as a list of :class:`MistakeCost`.

    ``layer`` must be a built ``keras.layers.GRU`` with ``reset_after=True``,
    biases, and ``return_sequences=True``; ``x`` is ``(batch, time, features)``
    and ``h0`` ``(batch, units)``. The first row is the faithful path
    (:func:`keras_equations`), the control: it should be about 1e-16 in float64.
    """
    check_keras_gru(layer)
    if not layer.return_sequences or layer.return_state or layer.go_backwards:
        raise ValueError(
            "layer must return every state and read forwards (return_sequences=True, "
            f"return_state=False, go_backwards=False), got return_sequences={layer.return_sequences}, "
            f"return_state={layer.return_state}, go_backwards={layer.go_backwards}"
        )
    gru = GRU.from_keras(layer)
    x, h0 = _checked(gru, x, h0)
    reference = np.asarray(layer(x, initial_state=h0))
    rows = [("faithful (Keras' equations)", keras_equations)] + list(MISTAKES.items())
    costs = []
    for name, forward in rows:
        doc = (forward.__doc__ or "").strip().splitlines()[0]
        costs.append(MistakeCost(name, doc, max_abs_diff(forward(gru, x, h0), reference)))
    return costs
