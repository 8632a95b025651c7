"""Moving weights between ``keras.layers.GRU`` and the NumPy :class:`~gru_lesson.gru.GRU`.

Keras is imported only inside these functions, so ``import gru_lesson``
stays free of TensorFlow.
"""

from __future__ import annotations

import numpy as np

from gru_lesson.gru import GRU

__all__ = ["gru_from_keras", "gru_to_keras", "set_keras_weights"]

# Options of keras.layers.GRU that change what the layer computes, and the
# value the NumPy twin reproduces. Anything else raises a clear error.
_SUPPORTED = {
    "activation": "tanh",
    "recurrent_activation": "sigmoid",
    "stateful": False,
}


def _option_value(value):
    """A layer option as a plain value: activations by their name."""
    if isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):  # a serialized object
        return value.get("config", {}).get("name", value.get("class_name", str(value)))
    return getattr(value, "__name__", str(value))


def gru_from_keras(layer):
    """A NumPy :class:`GRU` with the weights and options of a built Keras ``GRU`` layer."""
    import keras

    if not isinstance(layer, keras.layers.GRU):
        raise TypeError(
            f"expected a keras.layers.GRU layer, got {type(layer).__module__}.{type(layer).__name__}"
        )
    if not layer.built:
        raise ValueError(
            f"the Keras layer {layer.name!r} is not built yet, so it has no weights: "
            "call it on an input (or build it) first"
        )
    config = layer.get_config()
    for option, supported in _SUPPORTED.items():
        got = _option_value(config[option])
        if got != supported:
            raise NotImplementedError(
                f"the NumPy GRU reproduces {option}={supported!r} only; "
                f"layer {layer.name!r} has {option}={got!r}"
            )
    weights = layer.get_weights()
    W, R = weights[0], weights[1]
    bx = bh = None
    if layer.use_bias:
        bias = weights[2]
        if layer.reset_after:
            bx, bh = bias[0], bias[1]
        else:
            bx = bias
    gru = GRU(
        W,
        R,
        bx,
        bh,
        reset_after=layer.reset_after,
        go_backwards=layer.go_backwards,
        return_sequences=layer.return_sequences,
        return_state=layer.return_state,
        zero_output_for_mask=config.get("zero_output_for_mask", False),
        dropout=config.get("dropout", 0.0),
        recurrent_dropout=config.get("recurrent_dropout", 0.0),
    )
    return gru


def _keras_bias(gru):
    if gru.bx is None:
        return []
    if gru.reset_after:
        return [np.stack([gru.bx, gru.bh])]
    return [gru.bx]


def set_keras_weights(layer, gru):
    """Copy the NumPy GRU's weights into a built Keras ``GRU`` layer, checking they fit."""
    import keras

    if not isinstance(layer, keras.layers.GRU):
        raise TypeError(
            f"expected a keras.layers.GRU layer, got {type(layer).__module__}.{type(layer).__name__}"
        )
    if layer.reset_after != gru.reset_after or layer.use_bias != gru.use_bias:
        raise ValueError(
            "the Keras layer and the NumPy GRU differ in convention: layer has "
            f"reset_after={layer.reset_after}, use_bias={layer.use_bias}; NumPy GRU has "
            f"reset_after={gru.reset_after}, use_bias={gru.use_bias}"
        )
    new = [gru.W, gru.R, *_keras_bias(gru)]
    old = layer.get_weights()
    for name, a, b in zip(
        ("kernel", "recurrent_kernel", "bias")[: len(new)], old, new, strict=True
    ):
        if a.shape != b.shape:
            raise ValueError(
                f"the Keras layer's {name} has shape {a.shape}, the NumPy GRU's has {b.shape}"
            )
    layer.set_weights(new)
    return layer


def gru_to_keras(gru, dtype=None, **layer_options):
    """A built ``keras.layers.GRU`` holding the NumPy GRU's weights.

    ``layer_options`` go to the layer (``return_sequences`` and friends default
    to the NumPy GRU's own). ``dtype`` defaults to the NumPy GRU's dtype.
    """
    import keras

    options = dict(
        reset_after=gru.reset_after,
        use_bias=gru.use_bias,
        go_backwards=gru.go_backwards,
        return_sequences=gru.return_sequences,
        return_state=gru.return_state,
        dtype=dtype or gru.dtype.name,
    )
    options.update(layer_options)
    layer = keras.layers.GRU(gru.units, **options)
    layer.build((None, None, gru.input_dim))
    return set_keras_weights(layer, gru)
