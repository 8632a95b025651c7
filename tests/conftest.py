"""Shared test fixtures.

TensorFlow's C++ log lines are silenced for the whole run (and for the
notebook kernels nbval starts, which inherit this environment).
"""

import os

import numpy as np
import pytest

from gru_lesson.runtime import quiet_tensorflow

quiet_tensorflow()


# Slow tests marked here rather than in their own files (the rest carry @pytest.mark.slow).
SLOW = (
    "tests/test_benchmarks.py",  # the benchmark command, on small sizes
    "tests/test_bptt.py::test_gradient_by_distance_claims_of_notebook_03",
    "tests/test_explorer.py::test_measure_redraw_and_the_benchmark_hook",
)


def pytest_collection_modifyitems(items):
    """Every notebook nbval runs, and the tests of SLOW, are slow tests."""
    for item in items:
        if item.path.suffix == ".ipynb" or item.nodeid.startswith(SLOW):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def keras():
    """Keras 3 on the TensorFlow backend, imported once."""
    import keras as _keras

    return _keras


@pytest.fixture
def rng():
    return np.random.default_rng(20261125)


def randomize_biases(layer, rng):
    """Random biases for a built Keras GRU (if it has any): zeros would hide bias bugs."""
    from gru_lesson.conventions import randomize_biases as randomize

    if layer.use_bias:
        randomize(layer, seed=int(rng.integers(2**32)))
    return layer


def require(missing, where="CI installs it"):
    """Skip the calling test module when ``missing`` (a reason, or None when nothing is
    missing); in CI fail instead: CI installs everything the tests need, so a skip there
    would hide a broken install step."""
    if not missing:
        return
    if os.environ.get("CI"):
        raise RuntimeError(f"CI runs every test, but {missing} ({where})")
    pytest.skip(missing, allow_module_level=True)
