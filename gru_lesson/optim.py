"""Adam, with gradient-norm clipping, in plain NumPy: what trains the NumPy GRU.

It is Keras' ``keras.optimizers.Adam`` step for step (same defaults, same placement of
``epsilon``), with Keras' name for clipping the gradient's global norm, ``global_clipnorm``
(Keras' ``clipnorm`` clips each weight array's gradient on its own)::

    g      <- g * min(1, global_clipnorm / ||all gradients||)  optional: the global norm
    m      <- m + (1 - beta_1) * (g - m)                     running mean of g
    v      <- v + (1 - beta_2) * (g**2 - v)                  running mean of g**2
    alpha  =  lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)     bias correction, t = 1, 2, ...
    param  <- param - alpha * m / (sqrt(v) + epsilon)

One difference in the last digits: Keras computes ``beta_1**t`` and ``beta_2**t``
from float32 copies of the betas (``0.999`` becomes ``0.99900001...``), which moves a
step by a few parts in a million; with betas float32 holds exactly (``0.875``) the
two agree to the last bit.

Parameters and gradients are dicts of NumPy arrays with the same keys (as
``gru.params``); the parameters are updated in place.
"""

from __future__ import annotations

import numpy as np

from gru_lesson.validation import check_array, check_number

__all__ = ["Adam", "global_norm", "clip_by_global_norm"]


def _check_grads(grads):
    """The gradients as a dict of finite float arrays, by name."""
    if not isinstance(grads, dict):
        raise TypeError(f"gradients must be a dict of arrays by name, got {type(grads).__name__}")
    return {k: check_array(f"the gradient of {k!r}", g, finite=True) for k, g in grads.items()}


def global_norm(grads):
    """sqrt(sum of every gradient entry squared): the size of the whole gradient."""
    return _norm(_check_grads(grads))


def _norm(grads):
    return float(np.sqrt(sum(float(np.sum(np.square(g))) for g in grads.values())))


def clip_by_global_norm(grads, clipnorm):
    """Scale every gradient by ``min(1, clipnorm / global_norm)``.

    Returns ``(clipped, norm)``: a new dict (the input is left alone) and the norm
    before clipping. The direction of the whole gradient never changes, only its length.
    """
    clipnorm = check_number("clipnorm", clipnorm, minimum=0, min_open=True)
    return _clip(_check_grads(grads), clipnorm)


def _clip(grads, clipnorm):
    norm = _norm(grads)
    scale = clipnorm / max(norm, clipnorm)
    return {k: g * scale for k, g in grads.items()}, norm


# Keras' clipnorm clips each weight array on its own; this Adam clips them together, as Keras'
# global_clipnorm does: a student used to Keras may pass clipnorm, and is told which is which.
CLIPNORM_IS_NOT_GLOBAL = (
    "this Adam clips all the gradients together (their global norm): pass global_clipnorm, "
    "Keras' name for that; Keras' clipnorm clips each weight array on its own, which it does not do"
)


class Adam:
    """Adam (Kingma and Ba, 2015) as Keras computes it, with optional global-norm clipping.

    ``opt.step(params, grads)`` updates the arrays of ``params`` in place and returns
    the gradient's global norm before clipping (handy to watch for exploding gradients).
    """

    def __init__(
        self,
        learning_rate=1e-3,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        global_clipnorm=None,
        *,
        clipnorm=None,
    ):
        if clipnorm is not None:
            raise TypeError(f"{CLIPNORM_IS_NOT_GLOBAL}, got clipnorm={clipnorm!r}")
        positive = dict(minimum=0, min_open=True)
        self.learning_rate = check_number("learning_rate", learning_rate, **positive)
        self.beta_1 = check_number("beta_1", beta_1, minimum=0, maximum=1, max_open=True)
        self.beta_2 = check_number("beta_2", beta_2, minimum=0, maximum=1, max_open=True)
        self.epsilon = check_number("epsilon", epsilon, **positive)
        self.global_clipnorm = None
        if global_clipnorm is not None:
            self.global_clipnorm = check_number("global_clipnorm", global_clipnorm, **positive)
        self.iterations = 0
        self.m = {}
        self.v = {}

    def __repr__(self):
        return (
            f"Adam(learning_rate={self.learning_rate}, beta_1={self.beta_1}, "
            f"beta_2={self.beta_2}, epsilon={self.epsilon}, global_clipnorm={self.global_clipnorm})"
        )

    def step(self, params, grads):
        """One update of every parameter that has a gradient; returns the gradient norm."""
        grads = _check_grads(grads)
        if not isinstance(params, dict):
            raise TypeError(f"params must be a dict of arrays by name, got {type(params).__name__}")
        missing = [k for k in grads if k not in params]
        if missing:
            raise ValueError(
                f"gradients for {missing} have no parameter of that name; params has {list(params)}"
            )
        for k, g in grads.items():
            param = params[k]
            if not (isinstance(param, np.ndarray) and np.issubdtype(param.dtype, np.floating)):
                raise TypeError(
                    f"the parameter {k!r} must be a float NumPy array (updated in place), "
                    f"got {type(param).__name__}"
                )
            if g.shape != param.shape:
                raise ValueError(
                    f"the gradient of {k!r} has shape {g.shape}, the parameter {param.shape}"
                )
        if self.global_clipnorm is None:  # the gradients are checked once, above
            norm = _norm(grads)
        else:
            grads, norm = _clip(grads, self.global_clipnorm)
        if not np.isfinite(norm):  # finite entries whose squares overflow
            raise ValueError(f"the gradient's global norm is {norm}: the loss has diverged")

        self.iterations += 1
        t = self.iterations
        alpha = self.learning_rate * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        for k, g in grads.items():
            param = params[k]
            if k not in self.m:
                self.m[k] = np.zeros_like(param)
                self.v[k] = np.zeros_like(param)
            m, v = self.m[k], self.v[k]
            m += (1 - self.beta_1) * (g - m)
            v += (1 - self.beta_2) * (np.square(g) - v)
            param -= alpha * m / (np.sqrt(v) + self.epsilon)
        return norm
