"""Hand-set GRUs: the builder's shapes and errors, and what the hand-picked gates do."""

import numpy as np
import pytest

from gru_lesson import GRU, sigmoid
from gru_lesson.handset import first_input_verdict, gate_params, handset_gru, input_influence

PIECES = ["W_z", "W_r", "W_h", "R_z", "R_r", "R_h", "bx_z", "bx_r", "bx_h", "bh_z", "bh_r", "bh_h"]


def random_pieces(rng, D, U, reset_after=True):
    pieces = {}
    for g in "zrh":
        pieces[f"W_{g}"] = rng.normal(size=(D, U))
        pieces[f"R_{g}"] = rng.normal(size=(U, U))
        pieces[f"bx_{g}"] = rng.normal(size=U)
        if reset_after:
            pieces[f"bh_{g}"] = rng.normal(size=U)
    return pieces


# ------------------------------------------------------------------ building


def test_defaults_are_a_one_unit_gru_of_zeros():
    gru = handset_gru()
    assert isinstance(gru, GRU)
    assert (gru.input_dim, gru.units, gru.reset_after) == (1, 1, True)
    assert gru.W.shape == (1, 3) and gru.R.shape == (1, 3)
    assert gru.bx.shape == (3,) and gru.bh.shape == (3,)
    for p in gru.params.values():
        assert p.dtype == np.float64 and not p.any()
    assert gru.count_params() == 12


def test_each_piece_lands_in_its_block():
    rng = np.random.default_rng(0)
    D, U = 3, 2
    pieces = random_pieces(rng, D, U)
    gru = handset_gru(**pieces)
    assert (gru.input_dim, gru.units) == (D, U)
    for k, g in enumerate("zrh"):
        cols = slice(k * U, (k + 1) * U)
        np.testing.assert_array_equal(gru.W[:, cols], pieces[f"W_{g}"])
        np.testing.assert_array_equal(gru.R[:, cols], pieces[f"R_{g}"])
        np.testing.assert_array_equal(gru.bx[cols], pieces[f"bx_{g}"])
        np.testing.assert_array_equal(gru.bh[cols], pieces[f"bh_{g}"])


def test_numbers_fill_their_blocks_and_shapes_come_from_arrays():
    gru = handset_gru(W_z=np.ones((2, 3)), R_h=0.5, bx_r=-1.0)
    assert (gru.input_dim, gru.units) == (2, 3)
    np.testing.assert_array_equal(gru.R[:, 6:], np.full((3, 3), 0.5))
    np.testing.assert_array_equal(gru.bx, np.r_[np.zeros(3), -np.ones(3), np.zeros(3)])
    assert not gru.W[:, 3:].any()


def test_sizes_from_numbers_alone():
    gru = handset_gru(bx_z=2.0, input_dim=4, units=3)
    assert (gru.input_dim, gru.units) == (4, 3)
    np.testing.assert_array_equal(gru.bx[:3], [2.0, 2.0, 2.0])


def test_reset_before_form_has_one_bias_row():
    gru = handset_gru(W_h=1.0, bx_h=0.3, reset_after=False)
    assert gru.reset_after is False and gru.bh is None
    assert gru.count_params() == 9


def test_options_reach_the_gru():
    gru = handset_gru(return_sequences=True, return_state=True, go_backwards=True)
    assert gru.return_sequences and gru.return_state and gru.go_backwards
    out, state = gru(np.ones((2, 5, 1)))
    assert out.shape == (2, 5, 1) and state.shape == (2, 1)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gate_params_round_trip(reset_after):
    rng = np.random.default_rng(1)
    original = handset_gru(**random_pieces(rng, 3, 4, reset_after), reset_after=reset_after)
    pieces = gate_params(original)
    expected = [p for p in PIECES if reset_after or not p.startswith("bh")]
    assert sorted(pieces) == sorted(expected)
    rebuilt = handset_gru(**pieces, reset_after=reset_after)
    x, h0 = rng.normal(size=(2, 5, 3)), rng.uniform(-1, 1, size=(2, 4))
    np.testing.assert_array_equal(rebuilt(x, initial_state=h0), original(x, initial_state=h0))
    # copies, not views
    pieces["W_z"][:] = 99.0
    assert not (original.W == 99.0).any()


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            {"W_z": [1.0, 2.0]},
            ValueError,
            r"W_z must be a number or a 2-D \(input_dim, units\) array, got shape \(2,\)",
        ),
        (
            {"R_r": np.ones((2, 3))},
            ValueError,
            r"R_r must be a number or a square \(units, units\) array, got shape \(2, 3\)",
        ),
        (
            {"bx_h": np.ones((1, 2))},
            ValueError,
            r"bx_h must be a number or a 1-D \(units,\) array, got shape \(1, 2\)",
        ),
        (
            {"W_z": np.ones((2, 3)), "R_z": np.ones((2, 2))},
            ValueError,
            r"disagree on units: W_z has shape \(2, 3\), so units=3, but R_z has shape \(2, 2\), so units=2",
        ),
        (
            {"W_h": np.ones((2, 1)), "input_dim": 3},
            ValueError,
            r"input_dim was given, so input_dim=3, but W_h has shape \(2, 1\)",
        ),
        (
            {"bh_z": 1.0, "reset_after": False},
            ValueError,
            r"reset_after=False has one bias per gate .* but got bh_z",
        ),
        ({"bx_z": np.inf}, ValueError, r"bx_z must be finite"),
        ({"R_h": np.array([[np.nan]])}, ValueError, r"R_h must be finite"),
        ({"W_h": "1"}, TypeError, r"W_h must be an array of numbers"),
        ({"units": 0}, ValueError, r"units must be an integer, at least 1, got 0"),
        ({"input_dim": 1.5}, TypeError, r"input_dim must be an integer, got float 1.5"),
    ],
)
def test_bad_input_is_explained(kwargs, error, message):
    with pytest.raises(error, match=message):
        handset_gru(**kwargs)


def test_positional_and_unknown_arguments_are_refused():
    with pytest.raises(TypeError):
        handset_gru(1.0)
    with pytest.raises(TypeError, match="b_z"):
        handset_gru(b_z=1.0)


def test_gate_params_wants_a_gru():
    with pytest.raises(TypeError, match="gru must be a gru_lesson GRU, got dict"):
        gate_params({"W": np.ones((1, 3))})


# ------------------------------------------------ what the hand-set gates do


def one_unit_states(gru, x, h0):
    return gru(x[None, :, None], initial_state=np.array([[h0]]))[0, :, 0]


@pytest.mark.parametrize("seed", range(5))
def test_update_gate_bias_is_a_keep_or_write_dial(seed):
    rng = np.random.default_rng(seed)
    T = 50
    x = rng.uniform(-3, 3, size=T)
    h0 = rng.uniform(-1, 1)
    candidate = np.tanh(x)
    for b in (-10.0, -1.0, 0.0, 2.0, 10.0):
        h = one_unit_states(handset_gru(W_h=1.0, bx_z=b, return_sequences=True), x, h0)
        # The state equation with a constant gate, recomputed by hand.
        z, expected, prev = sigmoid(b), [], h0
        for c in candidate:
            prev = z * prev + (1 - z) * c
            expected.append(prev)
        np.testing.assert_allclose(h, expected, rtol=0, atol=1e-14)
    keep = one_unit_states(handset_gru(W_h=1.0, bx_z=10.0, return_sequences=True), x, h0)
    bound = (1 - sigmoid(10.0) ** T) * (1 + abs(h0))
    assert abs(keep[-1] - h0) <= bound < 5e-3
    writes = one_unit_states(handset_gru(W_h=1.0, bx_z=-10.0, return_sequences=True), x, h0)
    assert np.max(np.abs(writes - candidate)) < 1e-4


def test_notebook_keep_example_stays_within_the_bound():
    x = np.repeat([1.5, -1.0, 0.4, -1.8, 0.9], 10)
    h = one_unit_states(handset_gru(W_h=1.0, bx_z=10.0, return_sequences=True), x, 0.8)
    assert abs(h[-1] - 0.8) <= (1 - sigmoid(10.0) ** 50) * 1.8 < 5e-3
    assert abs(h[-1] - 0.8) > 1e-4  # it does move, a little: the gate is never exactly 1


@pytest.mark.parametrize("seed", range(3))
def test_input_driven_update_gate_latches_the_written_value(seed):
    rng = np.random.default_rng(seed)
    T = 40
    value = rng.uniform(-1.5, 1.5, size=T)
    flag = np.zeros(T)
    writes = np.sort(rng.choice(np.arange(1, T), size=3, replace=False))
    flag[writes] = 1.0
    latch = handset_gru(
        W_z=np.array([[0.0], [-20.0]]),
        bx_z=10.0,
        W_h=np.array([[1.0], [0.0]]),
        return_sequences=True,
    )
    h = latch(np.stack([value, flag], axis=-1)[None], initial_state=np.zeros((1, 1)))[0, :, 0]
    assert np.all(np.abs(h[: writes[0]]) < 5e-3)  # nothing written yet: h0 = 0 is held
    for start, stop in zip(writes, [*writes[1:], T], strict=True):
        assert np.all(np.abs(h[start:stop] - np.tanh(value[start])) < 5e-3)


def candidate_spread(b_r, reset_after=True, R_h=3.0):
    h_prev = np.linspace(-1, 1, 41)[:, None]
    extra = {"bh_h": 0.7} if reset_after else {}
    gru = handset_gru(W_h=1.0, R_h=R_h, bx_r=b_r, reset_after=reset_after, **extra)
    h_tilde = gru.trace(np.full((41, 1, 1), 0.5), initial_state=h_prev).h_tilde[:, 0, 0]
    return np.ptp(h_tilde)


@pytest.mark.parametrize("reset_after", [True, False])
def test_reset_gate_closed_means_the_candidate_ignores_h_prev(reset_after):
    # sigmoid(-800) underflows to exactly 0: the reset gate is shut, and h~ is
    # exactly the same whatever h_prev was (the recurrent bias bh_h included).
    assert sigmoid(-800.0) == 0.0
    assert candidate_spread(-800.0, reset_after) == 0.0
    # With a finite bias the dependence is bounded by r * |R_h| * range(h_prev).
    assert 0 < candidate_spread(-10.0, reset_after) <= sigmoid(-10.0) * 3.0 * 2.0
    # Open, the candidate depends strongly on h_prev.
    assert candidate_spread(10.0, reset_after) > 1.0


def test_reset_gate_decides_whether_the_state_remembers_its_sign():
    for h_start in (0.9, -0.9, 0.2):
        x = np.zeros(15)
        opened = one_unit_states(
            handset_gru(W_h=1.0, R_h=3.0, bx_r=10.0, return_sequences=True), x, h_start
        )
        closed = one_unit_states(
            handset_gru(W_h=1.0, R_h=3.0, bx_r=-10.0, return_sequences=True), x, h_start
        )
        assert np.sign(opened[-1]) == np.sign(h_start) and abs(opened[-1]) > 0.9
        assert abs(closed[-1]) < 1e-3


# -------------------------------------------------------- notebook 05's puzzle
def test_input_influence_finds_the_input_a_gru_listens_to():
    x = np.random.default_rng(1).uniform(-2, 2, size=(8, 6))
    last_only = handset_gru(W_h=1.0, bx_z=-12.0)  # z near 0: the state is tanh(x_t)
    influence = input_influence(last_only, x)
    assert influence[-1] > 0.5 and influence[:-1].max() < 1e-3


@pytest.mark.parametrize(
    "pieces, words",
    [
        ({"W_h": 1.0, "bx_z": 10.0}, "already keeps its state at step 0"),
        ({"W_h": 1.0, "bx_z": 3.0}, "already keeps its state at step 0"),
        ({"W_h": 1.0, "bx_z": -10.0}, "keeps writing after step 0"),
        ({"W_h": 1.0, "R_h": 20.0}, "still writes"),
        (
            {"W_h": [[1.0, 0]], "bx_h": [0, 10.0], "bx_z": [-3.0, -10], "R_z": [[0, 0], [6.0, 0]]},
            "keeps, but not firmly enough",
        ),
    ],
)
def test_first_input_verdict_says_what_is_wrong(pieces, words):
    solved, message = first_input_verdict(handset_gru(**pieces))
    assert not solved and words in message
