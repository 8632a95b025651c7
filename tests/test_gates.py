"""gru_lesson.gates, and the claims notebook 05 makes about the trained classifier's gates.

Every number the notebook states about which units remember, how unit 5 writes and
holds the cue, the latch of unit 14 and the saturation plot is recomputed here
through the package, on the shipped model (gru_lesson/data/trained_gru_classifier.npz).
"""

import numpy as np
import pytest

from gru_lesson.classifier import GRUClassifier
from gru_lesson.gates import (
    cue_flip_batch,
    cue_response,
    gate_saturation,
    hold_statistics,
    label_correlation,
    memory_units,
)
from gru_lesson.tasks import to_text
from gru_lesson.trained import load_trained_classifier


@pytest.fixture(scope="module")
def classifier():
    return load_trained_classifier()[0]


@pytest.fixture(scope="module")
def memory(classifier):
    return memory_units(classifier, n=500, T=50, seed=0)


@pytest.fixture(scope="module")
def trace(classifier):
    x, _, _, _ = cue_flip_batch(500, 50, seed=0)
    return classifier.gru.trace(x)


# ------------------------------------------------------------ label_correlation
def test_label_correlation_is_pearson_per_unit(rng):
    y = rng.integers(0, 2, size=40).astype(float)
    h_T = rng.normal(size=(40, 6)) + np.outer(y, rng.normal(size=6))
    expected = [np.corrcoef(h_T[:, u], y)[0, 1] for u in range(6)]
    np.testing.assert_allclose(label_correlation(h_T, y), expected, atol=1e-12)


def test_label_correlation_of_a_constant_unit_is_zero(rng):
    h_T = np.column_stack([rng.normal(size=10), np.full(10, 0.3)])
    y = np.array([0, 1] * 5, dtype=float)
    assert label_correlation(h_T, y)[1] == 0.0


@pytest.mark.parametrize(
    "h_T, y, message",
    [
        (
            np.zeros((5, 2)),
            np.zeros(4),
            r"y \(labels\) must hold 5 labels \(one per sequence\), got 4",
        ),
        (np.zeros(5), np.zeros(5), "h_T"),
        (np.zeros((1, 2)), np.zeros(1), "at least 2 sequences"),
    ],
)
def test_label_correlation_refuses_bad_shapes(h_T, y, message):
    with pytest.raises(ValueError, match=message):
        label_correlation(h_T, y)


# --------------------------------------------------------------- gate_saturation
def test_gate_saturation_counts_steps_per_unit():
    gate = np.array([[[0.05, 0.95], [0.5, 0.99]], [[0.2, 0.05], [0.01, 0.5]]])  # (2, 2, 2)
    below, above = gate_saturation(gate, low=0.1, high=0.9)
    np.testing.assert_array_equal(below, [0.5, 0.25])
    np.testing.assert_array_equal(above, [0.0, 0.5])


def test_gate_saturation_leaves_out_masked_steps():
    gate = np.array([[[0.05], [0.95], [0.5]]])
    below, above = gate_saturation(gate, np.array([[True, True, False]]))
    assert below[0] == 0.5 and above[0] == 0.5


# ------------------------------------------------------------ the memory task
def test_flipped_batch_differs_only_at_the_cue():
    x, y, x_flipped, cue_start = cue_flip_batch(50, 30, seed=3)
    for i in range(50):
        a, b = to_text(x[i]), to_text(x_flipped[i])
        p = cue_start[i]
        assert a[p : p + 2] == ("AB" if y[i] == 1 else "BA")
        assert b[p : p + 2] == a[p : p + 2][::-1]
        assert a[:p] + a[p + 2 :] == b[:p] + b[p + 2 :]


# ----------------------------------------------- notebook 05: which units remember
def test_memory_units_of_the_trained_model(memory, classifier):
    assert memory.top == 5
    assert len(memory.carriers) >= 10 and memory.carriers[0] == 5
    assert memory.prediction_flip_rate == 1.0 and memory.accuracy == 1.0
    assert memory.correlation[5] < -0.99 and classifier.V[5, 0] < 0
    assert memory.flip_rate[5] == 1.0
    assert np.isclose(memory.share.sum(), 1.0)
    assert list(memory.ranking[:3]) == [5, 10, 12]


def test_memory_units_finds_none_in_an_untrained_model():
    """The measure can fail: a freshly initialized classifier carries no memory."""
    fresh = GRUClassifier.initialize(4, 16, seed=0)
    found = memory_units(fresh, n=300, T=50, seed=0)
    assert found.carriers == []
    assert 0.3 < found.accuracy < 0.7 and found.prediction_flip_rate < 0.2


def test_memory_units_refuses_what_is_not_a_classifier(classifier):
    with pytest.raises(TypeError, match="GRUClassifier"):
        memory_units(classifier.gru)


# -------------------------------------- notebook 05: writing and holding (unit 5)
def test_unit_5_writes_b_with_an_open_gate_and_slides_to_a(classifier):
    response = cue_response(classifier, 5, n=500, T=50, seed=0)
    a_first, b_first = response["A first"], response["B first"]
    assert b_first["z_min_at_cue"] < 0.4 and b_first["h_after_cue"] > 0.5
    assert a_first["z_min_at_cue"] > 0.8 and abs(a_first["h_after_cue"]) < 0.1
    assert a_first["steps_to_settle"] > 2 * b_first["steps_to_settle"]
    assert a_first["h_final"] < -0.95 and b_first["h_final"] > 0.95


def test_unit_5_holds_with_a_high_gate_and_a_candidate_that_agrees(classifier):
    hold = hold_statistics(classifier, 5, n=500, T=50, seed=0)
    z10, z50, z90 = hold["z_quantiles"]
    assert z10 < z50 < z90 and 0.85 < z50 < 0.97
    assert hold["z_product_median"] < 0.05
    assert hold["candidate_agrees"] > 0.95 and hold["sign_kept"] > 0.95
    assert hold["abs_h_final_median"] > 0.95


def test_hold_statistics_can_fail(classifier):
    """A unit that carries nothing does not pass the notebook's holding test."""
    hold = hold_statistics(classifier, 13, n=300, T=50, seed=0)
    assert hold["candidate_agrees"] < 0.95 or hold["z_quantiles"][1] < 0.85


def test_unit_14_is_a_latch(classifier):
    latch = cue_response(classifier, 14, n=500, T=50, seed=0)
    assert latch["B first"]["z_after"] > 0.999 and abs(latch["B first"]["h_final"]) < 0.1
    assert latch["A first"]["z_after"] < 0.1 and latch["A first"]["h_final"] > 0.99


# ------------------------------------------------ notebook 05: the saturation plot
def test_the_saturation_claims(memory, trace):
    below_z, above_z = gate_saturation(trace.z, low=0.1, high=0.9)
    below_r, above_r = gate_saturation(trace.r, low=0.1, high=0.9)
    strongest = memory.ranking[:6]
    assert below_z[strongest].max() < 0.01
    assert above_z[strongest].min() > 0.1 and above_z[strongest].max() < 0.8
    for u in (2, 11):
        assert below_z[u] > 1 / 3 and above_z[u] < 0.01
    for u in (3, 14):
        assert below_z[u] + above_z[u] > 0.8
    assert (above_r > 0.9).sum() == 0 and (below_r > 0.9).sum() == 0


def test_raising_a_threshold_moves_every_dot_one_way(trace):
    below_1, above_9 = gate_saturation(trace.z, low=0.1, high=0.9)
    below_3, above_8 = gate_saturation(trace.z, low=0.3, high=0.8)
    assert np.all(below_3 >= below_1) and np.all(above_8 >= above_9)
    assert np.any(below_3 > below_1) and np.any(above_8 > above_9)
