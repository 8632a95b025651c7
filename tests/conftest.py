"""Shared test fixtures.

TensorFlow's C++ log lines are silenced for the whole run (and for the
notebook kernels nbval starts, which inherit this environment).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def keras():
    """Keras 3 on the TensorFlow backend, imported once."""
    import keras as _keras

    return _keras


@pytest.fixture
def rng():
    return np.random.default_rng(20261125)


def randomize_biases(layer, rng, scale=0.5):
    """Give a built Keras GRU random biases: default zeros would hide bias bugs."""
    weights = layer.get_weights()
    if layer.use_bias:
        weights[2] = (scale * rng.normal(size=weights[2].shape)).astype(weights[2].dtype)
    layer.set_weights(weights)
    return layer
