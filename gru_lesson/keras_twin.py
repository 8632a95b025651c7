"""Moving weights between ``keras.layers.GRU`` and the NumPy :class:`~gru_lesson.gru.GRU`.

Keras is imported only inside these functions, so ``import gru_lesson``
stays free of TensorFlow.
"""

from __future__ import annotations

import numpy as np

from gru_lesson.gru import GRU
from gru_lesson.validation import check_gru

__all__ = ["gru_from_keras", "gru_to_keras", "keras_layer_options", "set_keras_weights"]

# Options of keras.layers.GRU that change what the layer computes, and the
# value the NumPy twin reproduces. Anything else raises a clear error.
_SUPPORTED = {
    "activation": "tanh",
    "recurrent_activation": "sigmoid",
    "stateful": False,
}
# Options the NumPy GRU and the Keras layer both have, by the same names.
_TWIN_OPTIONS = (
    "reset_after", "go_backwards", "return_sequences", "return_state", "zero_output_for_mask",
    "dropout", "recurrent_dropout",
)  # fmt: skip


def _option_value(value):
    """A layer option as a plain value: activations by their name."""
    if isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):  # a serialized object
        return value.get("config", {}).get("name", value.get("class_name", str(value)))
    return getattr(value, "__name__", str(value))


def gru_from_keras(layer):
    """A NumPy :class:`GRU` with the weights and options of a built Keras ``GRU`` layer."""
    check_keras_gru(layer)
    config = layer.get_config()
    for option, supported in _SUPPORTED.items():
        got = _option_value(config[option])
        if got != supported:
            raise NotImplementedError(
                f"the NumPy GRU reproduces {option}={supported!r} only; "
                f"layer {layer.name!r} has {option}={got!r}"
            )
    W, R, *bias = layer.get_weights()
    bx = bh = None
    if bias:  # reset_after=True keeps its two bias rows in one (2, 3*units) array
        bx, bh = bias[0] if layer.reset_after else (bias[0], None)
    return GRU(W, R, bx, bh, **{option: config[option] for option in _TWIN_OPTIONS})


def check_keras_gru(layer, name="layer"):
    """Refuse anything but a built ``keras.layers.GRU``, saying what was given."""
    import keras

    if not isinstance(layer, keras.layers.GRU):
        raise TypeError(
            f"{name}: expected a keras.layers.GRU layer, got "
            f"{type(layer).__module__}.{type(layer).__name__}"
        )
    if not layer.built:
        raise ValueError(
            f"the Keras layer {layer.name!r} is not built yet, so it has no weights: "
            "call it on an input (or build it) first"
        )


def set_keras_weights(layer, gru):
    """Copy the NumPy GRU's weights into a built Keras ``GRU`` layer, checking they fit."""
    check_keras_gru(layer)
    check_gru(gru)
    if layer.reset_after != gru.reset_after or layer.use_bias != gru.use_bias:
        raise ValueError(
            "the Keras layer and the NumPy GRU differ in convention: layer has "
            f"reset_after={layer.reset_after}, use_bias={layer.use_bias}; NumPy GRU has "
            f"reset_after={gru.reset_after}, use_bias={gru.use_bias}"
        )
    bias = [] if gru.bx is None else [np.stack([gru.bx, gru.bh]) if gru.reset_after else gru.bx]
    new = [gru.W, gru.R, *bias]
    names = ("kernel", "recurrent_kernel", "bias")[: len(new)]
    for name, a, b in zip(names, layer.get_weights(), new, strict=True):
        if a.shape != b.shape:
            raise ValueError(
                f"the Keras layer's {name} has shape {a.shape}, the NumPy GRU's has {b.shape}"
            )
    layer.set_weights(new)
    return layer


def keras_layer_options(gru):
    """The options of ``keras.layers.GRU`` that make it compute what ``gru`` computes."""
    check_gru(gru)
    options = {option: getattr(gru, option) for option in _TWIN_OPTIONS}
    return dict(_SUPPORTED, use_bias=gru.use_bias, **options)


# What gru_to_keras may be asked on top of the GRU's own options. Each keeps the
# layer a twin: these change only how Keras stores or names the layer, what it
# returns (not the numbers it computes), or what it does in training mode, where the
# NumPy GRU refuses to run with dropout.
_FREE_OPTIONS = ("dtype", "name", "trainable", "return_sequences", "return_state")
_TRAINING_ONLY = ("dropout", "recurrent_dropout")


def gru_to_keras(gru, dtype=None, **layer_options):
    """A built ``keras.layers.GRU`` holding the NumPy GRU's weights and options.

    The layer gets every option of :func:`keras_layer_options`, so that it computes what
    the GRU computes; ``dtype`` defaults to the GRU's. ``layer_options`` may set ``name``
    and ``trainable``, choose what the layer returns (``return_sequences``,
    ``return_state``: the numbers stay the twin's) and set ``dropout``/``recurrent_dropout``
    (they act only in training mode). Anything else that would make the layer compute
    something else (``activation="relu"``, another ``go_backwards``, ...) raises a
    ``ValueError`` that names it; an option that equals the GRU's own is accepted.
    """
    import keras

    options = keras_layer_options(gru) | {"dtype": gru.dtype.name if dtype is None else dtype}
    refused = sorted(
        option
        for option, value in layer_options.items()
        if option not in _FREE_OPTIONS + _TRAINING_ONLY
        and not (option in options and _option_value(value) == options[option])
    )
    if refused:
        given = ", ".join(f"{option}={layer_options[option]!r}" for option in refused)
        raise ValueError(
            f"to_keras cannot set {given}: the layer would no longer compute what the NumPy "
            f"GRU computes (it may set {', '.join(_FREE_OPTIONS + _TRAINING_ONLY)}; the "
            "others come from the GRU itself)"
        )
    options.update(layer_options)
    layer = keras.layers.GRU(gru.units, **options)
    layer.build((None, None, gru.input_dim))
    return set_keras_weights(layer, gru)
