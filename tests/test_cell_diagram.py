"""The GRU cell diagram (gru_lesson.cell_diagram): its wiring is the package's GRU, its
labels are Keras' convention, and the lit cell writes a trace's own numbers."""

import dataclasses

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from gru_lesson import GRU, cell_diagram  # noqa: E402
from gru_lesson.cell_diagram import CellFigure, cell_step, lit_values, run_step  # noqa: E402
from gru_lesson.handset import handset_gru  # noqa: E402

TRACED = {"z": "z", "r": "r", "h~": "h_tilde", "h": "h"}  # node name -> GRUTrace field


def random_gru(reset_after, use_bias=True, seed=0, **options):
    """Random weights with random biases (Keras' zero biases would hide a bias bug)."""
    rng = np.random.default_rng(seed)
    gru = GRU.initialize(3, 4, reset_after=reset_after, use_bias=use_bias, seed=seed, **options)
    bx = rng.normal(size=12) if use_bias else None
    bh = rng.normal(size=12) if use_bias and reset_after else None
    return GRU(gru.W, gru.R * 1.5, bx, bh, reset_after=reset_after, **options)


def traced(gru, seed=1, T=6, batch=2):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, T, gru.input_dim))
    h0 = rng.uniform(-1, 1, size=(batch, gru.units))
    return x, gru.trace(x, initial_state=h0)


def steps_by_the_wiring(step, gru, x, trace):
    """Every step of ``trace`` recomputed by following ``step``'s nodes: {node: (B, T, U)}."""
    p = cell_diagram._weights(gru)
    h_prev, out = trace.h0, {name: [] for name in TRACED}
    for t in range(x.shape[1]):
        values = cell_diagram._run(step, p, x[:, t], h_prev)
        for name in TRACED:
            out[name].append(values[name])
        h_prev = values["h"]
    return {name: np.stack(v, axis=1) for name, v in out.items()}


# ------------------------------------------------------------- the wiring is the GRU
@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("use_bias", [True, False])
def test_the_description_computes_what_gru_trace_computes(reset_after, use_bias):
    gru = random_gru(reset_after, use_bias)
    x, trace = traced(gru)
    recomputed = steps_by_the_wiring(cell_step(reset_after), gru, x, trace)
    for name, field in TRACED.items():
        np.testing.assert_allclose(recomputed[name], getattr(trace, field), rtol=0, atol=1e-12)


@pytest.mark.parametrize("reset_after", [True, False])
def test_run_step_is_one_step_of_the_trace(reset_after):
    gru = random_gru(reset_after, seed=3)
    x, trace = traced(gru, seed=4)
    values = run_step(gru, x[:, 2], trace.h[:, 1])
    for name, field in TRACED.items():
        np.testing.assert_allclose(values[name], getattr(trace, field)[:, 2], rtol=0, atol=1e-12)


def rewired(step, name, **changes):
    return tuple(dataclasses.replace(n, **changes) if n.name == name else n for n in step)


@pytest.mark.parametrize(
    "mistake",
    ["z on the candidate", "reset before the product on reset-after weights", "1 - z on h_prev"],
)
def test_a_miswired_description_would_be_caught(mistake):
    """The comparison above has teeth: each classic mistake, wired in, disagrees with the GRU."""
    gru = random_gru(True, seed=5)
    x, trace = traced(gru, seed=6)
    step = cell_step(True)
    if mistake == "z on the candidate":  # Chung et al.'s convention
        step = rewired(step, "z h_prev", inputs=("1 - z", "h_prev"))
        step = rewired(step, "(1 - z) h~", inputs=("z", "h~"))
    elif mistake == "reset before the product on reset-after weights":
        before = {n.name: n for n in cell_step(False)}
        step = tuple(before.get(n.name, n) if n.name == "past" else n for n in step)
        step = step[:5] + (before["r h_prev"],) + step[5:]
    else:
        step = rewired(step, "z h_prev", inputs=("1 - z", "h_prev"))
    recomputed = steps_by_the_wiring(step, gru, x, trace)
    assert np.max(np.abs(recomputed["h"] - trace.h)) > 1e-3


@pytest.mark.parametrize("reset_after", [True, False])
def test_the_wiring_reads_like_keras_equations(reset_after):
    nodes = {n.name: n for n in cell_step(reset_after)}
    assert nodes["z h_prev"].inputs == ("z", "h_prev")  # z multiplies h_prev
    assert nodes["1 - z"].inputs == ("z",)
    assert nodes["(1 - z) h~"].inputs == ("1 - z", "h~")  # (1 - z) multiplies the candidate
    assert nodes["h"].inputs == ("z h_prev", "(1 - z) h~")
    assert nodes["h~"].inputs == ("x W_h", "past")
    if reset_after:  # r scales the product h_prev @ R_h + bh_h
        assert nodes["h_prev R_h"].inputs == ("h_prev",)
        assert nodes["past"].inputs == ("r", "h_prev R_h")
    else:  # r scales h_prev, which is then multiplied by R_h
        assert nodes["r h_prev"].inputs == ("r", "h_prev")
        assert nodes["past"].inputs == ("r h_prev",)
    names = list(nodes)
    for node in nodes.values():  # computing order: every input is computed first
        assert all(names.index(i) < names.index(node.name) for i in node.inputs)


# ------------------------------------------------------------- the labels on the picture
def figure_text(fig):
    """Every text on the figure, each with its whitespace (line breaks) made single spaces."""
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    texts += [fig._suptitle.get_text()] if fig._suptitle else []
    return [" ".join(t.split()) for t in texts]


@pytest.mark.parametrize("reset_after", [True, False])
def test_the_figure_labels_are_the_package_convention(reset_after):
    fig = cell_diagram.draw_cell(reset_after)
    texts = figure_text(fig)
    plt.close(fig)
    assert "z * h_prev" in texts
    assert "(1 - z) * h~" in texts
    assert "h = z * h_prev + (1 - z) * h~" in texts
    assert not any("(1 - z) * h_prev" in t or "z * h~" in t.replace("(1 - z) * h~", "")
                   for t in texts)  # fmt: skip
    after = "r * (h_prev @ R_h + bh_h)"  # r applied to the product
    before = "(r * h_prev) @ R_h"  # r applied to h_prev, then the product
    mine, other = (after, before) if reset_after else (before, after)
    assert sum(mine in t for t in texts) >= 2  # its own node, and inside the candidate
    assert not any(other in t for t in texts)
    assert any(f"tanh(x_t @ W_h + bx_h + {mine})" == t for t in texts)
    assert any(f"reset_after={reset_after}" in t for t in texts)


@pytest.mark.parametrize("reset_after", [True, False])
def test_every_input_of_every_node_is_an_arrow(reset_after):
    fig = plt.figure()
    cell = CellFigure(fig, reset_after)
    arrows = [p for p in cell.ax.patches if type(p).__name__ == "FancyArrowPatch"]
    edges = sum(len(n.inputs) for n in cell.step)
    assert len(arrows) == edges + 1  # and the arrow out of h
    labels = [" ".join(t.get_text().split()) for t in cell.labels.values()]
    assert labels == [n.label for n in cell.step if n.kind != "input"]
    plt.close(fig)


# ------------------------------------------------------------- lit by real values
@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("t, unit, sequence", [(0, 0, 0), (3, 2, 1), (5, 3, 0)])
def test_lit_values_are_the_trace_at_t_and_unit(reset_after, t, unit, sequence):
    gru = random_gru(reset_after, seed=7)
    x, trace = traced(gru, seed=8)
    values = lit_values(gru, x, trace, t, unit=unit, sequence=sequence)
    at = (sequence, t, unit)
    for name, field in TRACED.items():
        assert values[name] == pytest.approx(getattr(trace, field)[at], abs=1e-12)
    h_prev = trace.h0[sequence, unit] if t == 0 else trace.h[sequence, t - 1, unit]
    assert values["h_prev"] == pytest.approx(h_prev, abs=1e-12)
    W_h, bx_h = gru.W[:, 2 * gru.units :], gru.bx[2 * gru.units :]
    assert values["x W_h"] == pytest.approx((x[sequence, t] @ W_h + bx_h)[unit], abs=1e-12)
    assert values["1 - z"] == pytest.approx(1 - trace.z[at], abs=1e-12)
    assert values["z h_prev"] == pytest.approx(trace.z[at] * h_prev, abs=1e-12)


def test_the_lit_figure_writes_and_colours_the_values():
    gru = random_gru(True, seed=9)
    x, trace = traced(gru, seed=10)
    values = lit_values(gru, x, trace, 4, unit=1)
    fig = plt.figure()
    cell = CellFigure(fig, True, lit=True)
    cell.update(values, where="step t = 4, unit 1")
    shown = cell.shown()
    assert set(shown) >= {"z", "r", "h~", "h", "h_prev", "x W_h", "1 - z", "h out"}
    for key, number in shown.items():
        assert number == pytest.approx(values["h" if key == "h out" else key], abs=0.005)
    viridis, rdbu = matplotlib.colormaps["viridis"], matplotlib.colormaps["RdBu_r"]
    np.testing.assert_allclose(cell.patches["z"].get_facecolor(), viridis(values["z"]))
    np.testing.assert_allclose(cell.patches["h"].get_facecolor(), rdbu((values["h"] + 1) / 2))
    assert f"step t = 4, unit 1: z = {values['z']:.2f}" in cell.title.get_text()
    plt.close(fig)


def test_draw_lit_cell_says_keeps_or_writes_on_a_hand_set_latch():
    latch = handset_gru(W_z=[[0.0], [-20.0]], bx_z=10.0, W_h=[[1.0], [0.0]], return_sequences=True)
    x = np.array([[[0.5, 0.0], [0.9, 1.0], [-0.3, 0.0]]])
    trace = latch.trace(x)
    keep, write = int(np.argmax(trace.z[0, :, 0])), int(np.argmin(trace.z[0, :, 0]))
    assert (keep, write) != (1, 1) and write == 1
    for t, word in ((keep, "keeps"), (write, "writes")):
        fig = cell_diagram.draw_lit_cell(latch, x, trace, t)
        assert f"the unit {word}" in fig._suptitle.get_text()
        plt.close(fig)


def test_lit_values_follow_go_backwards_and_float32():
    gru = random_gru(True, seed=11, go_backwards=True)
    x, trace = traced(gru, seed=12)
    values = lit_values(gru, x, trace, 1)
    assert values["h"] == pytest.approx(trace.h[0, 1, 0], abs=1e-12)
    g32 = GRU(gru.W.astype(np.float32), gru.R.astype(np.float32), gru.bx.astype(np.float32),
              gru.bh.astype(np.float32))  # fmt: skip
    x32, t32 = traced(g32, seed=13)
    assert lit_values(g32, x32, t32, 2, unit=3)["z"] == pytest.approx(t32.z[0, 2, 3], abs=1e-6)


# ------------------------------------------------------------- bad input, said plainly
@pytest.fixture(scope="module")
def case():
    gru = random_gru(True, seed=14)
    x, trace = traced(gru, seed=15)
    return gru, x, trace


@pytest.mark.parametrize(
    "change, error, match",
    [
        (dict(t=6), ValueError, r"t \(step\) must be an integer, in \[0, 5\], got 6"),
        (dict(t=-1), ValueError, r"t \(step\) must be an integer, in \[0, 5\]"),
        (dict(t=1.5), TypeError, r"t \(step\) must be an integer"),
        (dict(unit=4), ValueError, r"unit must be an integer, in \[0, 3\], got 4"),
        (dict(sequence=2), ValueError, r"sequence must be an integer, in \[0, 1\]"),
        (dict(gru="gru"), TypeError, r"gru must be a gru_lesson GRU"),
        (dict(trace="trace"), TypeError, r"trace must be a GRUTrace"),
        (dict(x="x"), TypeError, r"x must be an array"),
    ],
)
def test_bad_arguments_are_named(case, change, error, match):
    gru, x, trace = case
    args = dict(gru=gru, x=x, trace=trace, t=2, unit=0, sequence=0) | change
    with pytest.raises(error, match=match):
        lit_values(args.pop("gru"), args.pop("x"), args.pop("trace"), args.pop("t"), **args)


def test_a_trace_of_another_gru_is_refused(case):
    gru, x, trace = case
    other = random_gru(True, seed=16)  # same sizes, other weights
    with pytest.raises(ValueError, match=r"the trace is not this GRU's on x: at step 2"):
        lit_values(other, x, trace, 2)
    bigger = GRU.initialize(3, 5, seed=0)
    with pytest.raises(ValueError, match=r"was it traced with another GRU"):
        lit_values(bigger, x, trace, 2)
    with pytest.raises(ValueError, match=r"the trace is not this GRU's on x"):
        lit_values(gru, x + 1.0, trace, 2)  # other inputs
    with pytest.raises(ValueError, match=r"x must have shape \(2, 6, 3\)"):
        lit_values(gru, x[:, :4], trace, 2)


def test_nan_is_refused(case):
    gru, x, trace = case
    x_nan = x.copy()
    x_nan[1, 3, 2] = np.nan
    with pytest.raises(ValueError, match=r"x must be finite.*\(1, 3, 2\)"):
        lit_values(gru, x_nan, trace, 2)
    bad = dataclasses.replace(trace, z=trace.z.copy())
    bad.z[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"trace.z must be finite"):
        lit_values(gru, x, bad, 2)
    with pytest.raises(ValueError, match=r"h_prev must be finite"):
        run_step(gru, x[:, 0], np.full((2, 4), np.nan))


def test_a_masked_step_has_nothing_to_light(case):
    gru, x, _ = case
    mask = np.ones(x.shape[:2], bool)
    mask[0, 3] = False
    trace = gru.trace(x, mask=mask)
    with pytest.raises(ValueError, match=r"step 3 of sequence 0 is masked"):
        lit_values(gru, x, trace, 3)
    assert lit_values(gru, x, trace, 3, sequence=1)["h"] == pytest.approx(trace.h[1, 3, 0])


def test_other_bad_calls(case):
    gru, x, _ = case
    with pytest.raises(TypeError, match=r"reset_after must be True or False"):
        cell_step("yes")
    with pytest.raises(TypeError, match=r"reset_after must be True or False"):
        cell_diagram.draw_cell(1)
    with pytest.raises(ValueError, match=r"x_t must have shape \(any, 3\)"):
        run_step(gru, x[:, 0, :2], np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"h_prev must have shape \(2, 4\)"):
        run_step(gru, x[:, 0], np.zeros((3, 4)))
    fig = plt.figure()
    with pytest.raises(ValueError, match=r"drawn unlit"):
        CellFigure(fig, True).update({})
    plt.close(fig)


def test_the_cell_diagram_imports_no_explorer():
    """The explorer's cell panel uses the diagram, never the other way round."""
    import subprocess
    import sys

    code = (
        "import sys; import gru_lesson.cell_diagram; "
        "print(any(m.startswith('gru_lesson.explorer') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]


def test_the_lit_artists_are_the_chips_their_numbers_and_the_title():
    fig = plt.figure()
    try:
        cell = CellFigure(fig, True, lit=True)
        changing = cell.lit_artists()
        assert changing[0] is cell.title
        assert set(map(id, changing[1:])) == {
            id(a) for key in cell.values for a in (cell.patches[key], cell.values[key])
        }
    finally:
        plt.close(fig)
