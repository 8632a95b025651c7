"""The gate explorer of notebook 05 (gru_lesson.explorer), without a browser.

Setting a widget's value from code runs its callbacks as a click or a key press
in the browser would: these tests move the controls and check that the drawn
arrays (not only the picture) change, that bad values end up as a message in
the widget and never as an exception, and that a redraw is fast.
"""

import html
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from gru_lesson import explorer  # noqa: E402
from gru_lesson.explorer.saturation import _label_offsets, _saturation_summary  # noqa: E402
from gru_lesson.gates import gate_saturation  # noqa: E402
from gru_lesson.handset import first_input_verdict, handset_gru  # noqa: E402
from gru_lesson.saved_outputs import MARK, WIDGET_VIEW  # noqa: E402
from gru_lesson.tasks import make_memory_task, to_text  # noqa: E402
from gru_lesson.trained import load_trained_classifier  # noqa: E402


@pytest.fixture(scope="module")
def classifier():
    return load_trained_classifier()[0]


@pytest.fixture
def gate_explorer(classifier):
    return explorer.GateExplorer(classifier)


@pytest.fixture
def playground():
    return explorer.HandsetPlayground()


@pytest.fixture(scope="module")
def saturation(classifier):
    return explorer.SaturationExplorer(classifier)


SOLUTION = {"W_h_0": 1.0, "bx_z_0": -10.0, "R_z_10": 20.0, "bx_h_1": 10.0, "bx_z_1": -10.0}


def test_importing_the_explorer_needs_neither_widgets_nor_tensorflow():
    code = (
        "import sys; import gru_lesson.explorer, gru_lesson.gates; "
        "print('ipywidgets' in sys.modules, 'tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


# ------------------------------------------------------------------ sequences as text
def test_parse_sequence_reads_what_to_text_writes():
    x, _ = make_memory_task(5, 30, seed=1)
    for seq in x:
        np.testing.assert_array_equal(explorer.parse_sequence(to_text(seq)), seq)
    np.testing.assert_array_equal(
        explorer.parse_sequence(" ab .- "), explorer.parse_sequence("AB.-")
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "the sequence is empty"),
        ("   ", "the sequence is empty"),
        ("AB.x-", "unknown symbol 'x' at step 3: use only 'A', 'B', '.', '-'"),
        ("AB_", "unknown symbol '_' at step 2"),
        ("A" * 201, "201 steps; the explorer takes at most 200"),
    ],
)
def test_parse_sequence_says_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message.replace(".", r"\.").replace("(", r"\(")):
        explorer.parse_sequence(text)


def test_parse_sequence_wants_text():
    with pytest.raises(TypeError, match="text"):
        explorer.parse_sequence(["A", "B"])


def test_flip_cue_is_make_memory_task_with_the_labels_flipped():
    x, y = make_memory_task(40, 50, seed=9)
    x_flipped, _ = make_memory_task(40, 50, seed=9, labels=1 - y)
    for a, b in zip(x, x_flipped, strict=True):
        assert explorer.flip_cue(to_text(a)) == to_text(b)
        assert explorer.flip_cue(explorer.flip_cue(to_text(a))) == to_text(a)


def test_flip_cue_and_set_symbol_on_typed_text():
    assert explorer.flip_cue("..A.B") == "..B.B"  # a lone first symbol flips alone
    assert explorer.flip_cue("-ba--") == "-AB--"
    with pytest.raises(ValueError, match="no A or B"):
        explorer.flip_cue("..--")
    assert explorer.set_symbol("AB...", 3, "A") == "AB.A."
    with pytest.raises(ValueError, match=r"step must be an integer, in \[0, 4\]"):
        explorer.set_symbol("AB...", 5, "A")
    with pytest.raises(TypeError, match="integer"):
        explorer.set_symbol("AB...", 1.5, "A")


# --------------------------------------------------------------------- gate_data
def test_gate_data_is_the_classifier_step_by_step(classifier):
    x, _ = make_memory_task(1, 50, seed=4)
    data = explorer.gate_data(classifier, to_text(x[0]), step=20, unit=5)
    trace = classifier.gru.trace(x)
    np.testing.assert_allclose(data.h, trace.h[0], atol=1e-6)
    np.testing.assert_allclose(data.z, trace.z[0], atol=1e-6)
    assert data.p_final == pytest.approx(float(classifier.predict_proba(x)[0]), abs=1e-6)
    shown = data.shown("z")
    assert shown.shape == (16, 50)
    assert np.isnan(shown[:, 21:]).all() and not np.isnan(shown[:, :21]).any()
    assert not np.isnan(data.shown("x")).any()
    readout = data.readout()
    assert readout["step"] == 20 and readout["unit"] == 5
    assert readout["z"] == pytest.approx(float(trace.z[0, 20, 5]), abs=1e-6)


def test_gate_data_names_steps_and_truth(classifier):
    data = explorer.gate_data(classifier, "..BA.A..")
    assert data.cue == (2, 3) and data.truth == 0
    assert [data.kind_of_step(t) for t in (0, 2, 3, 5)] == [
        "filler",
        "the cue",
        "the cue",
        "a distractor",
    ]
    assert explorer.gate_data(classifier, "....").truth is None


@pytest.mark.parametrize(
    "kwargs, message",
    [({"step": 8}, r"step must be an integer, in \[0, 7\]"), ({"unit": 16}, r"in \[0, 15\]")],
)
def test_gate_data_refuses_bad_step_and_unit(classifier, kwargs, message):
    with pytest.raises(ValueError, match=message):
        explorer.gate_data(classifier, "AB......", **kwargs)


# ------------------------------------------------------------------ GateExplorer
def test_moving_the_step_slider_redraws(gate_explorer):
    before = gate_explorer.figure.data()
    image = gate_explorer.image.value
    gate_explorer.step.value = 10
    after = gate_explorer.figure.data()
    assert gate_explorer.image.value != image
    assert after["step"] == 10 and before["step"] == 49
    assert np.isnan(after["h"][:, 11:]).all() and not np.isnan(before["h"]).any()
    assert np.isnan(after["p"][11:]).all()
    assert "step t = 10" in gate_explorer.readout.value


def test_the_lit_cell_follows_the_step_slider_and_the_unit(gate_explorer, classifier):
    """The cell under the heatmaps writes the followed unit's values at the current step."""
    image = gate_explorer.cell_image.value
    gate_explorer.step.value = 3
    gate_explorer.unit.value = 10
    assert gate_explorer.cell_image.value != image
    trace = classifier.gru.trace(gate_explorer.data.x[None])
    shown = gate_explorer.cell.shown()
    for name, field in (("z", "z"), ("r", "r"), ("h~", "h_tilde"), ("h", "h")):
        assert shown[name] == pytest.approx(float(getattr(trace, field)[0, 3, 10]), abs=0.005)
    assert shown["h_prev"] == pytest.approx(float(trace.h[0, 2, 10]), abs=0.005)
    title = gate_explorer.cell.title.get_text()
    assert title.startswith(f"t = 3 (input {gate_explorer.data.text[3]}), unit 10: z = ")
    assert any(word in title for word in ("keeps", "writes"))
    before = gate_explorer.cell_image.value
    gate_explorer.step.value = 4
    assert gate_explorer.cell_image.value != before
    assert gate_explorer.cell.shown()["h_prev"] == pytest.approx(shown["h"], abs=0.005)


def test_the_lit_cell_and_the_static_one_agree(gate_explorer, classifier):
    import matplotlib.pyplot as plt

    gate_explorer.step.value = 7
    text = gate_explorer.text.value
    fig = explorer.plot_cell(classifier, text, step=7, unit=gate_explorer.unit.value)
    written = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert {f"{v:.2f}" for k, v in gate_explorer.cell.shown().items() if k == "z"} <= written
    assert fig._suptitle.get_text() == gate_explorer.cell.title.get_text()
    plt.close(fig)


def test_flipping_the_cue_flips_the_prediction_and_the_memory_unit(gate_explorer):
    unit = gate_explorer.unit.value
    assert unit == 5
    p, h = gate_explorer.data.p_final, gate_explorer.data.h[-1, unit]
    z_drawn = gate_explorer.figure.data()["z"]
    gate_explorer.flip_button.click()
    assert (gate_explorer.data.p_final > 0.5) != (p > 0.5)
    assert np.sign(gate_explorer.data.h[-1, unit]) != np.sign(h)
    assert not np.array_equal(gate_explorer.figure.data()["z"], z_drawn, equal_nan=True)
    gate_explorer.reset_button.click()
    assert gate_explorer.text.value == gate_explorer.bank[0]


def test_the_other_controls_redraw(gate_explorer):
    gate_explorer.sequence.value = 3
    assert gate_explorer.text.value == gate_explorer.bank[3] == gate_explorer.data.text
    gate_explorer.unit.value = 10
    assert gate_explorer.figure.data()["unit"] == 10 and "unit 10" in gate_explorer.readout.value
    gate_explorer.step.value = 30
    gate_explorer.put_buttons["B"].click()
    assert gate_explorer.text.value[30] == "B" and gate_explorer.data.text[30] == "B"
    gate_explorer.play.value = 12  # the play button drives the step slider
    assert gate_explorer.step.value == 12 and gate_explorer.figure.data()["step"] == 12


def test_a_shorter_sequence_shrinks_the_step_slider(gate_explorer):
    gate_explorer.step.value = 40
    gate_explorer.text.value = "BA" + "." * 8
    assert gate_explorer.step.max == 9 and gate_explorer.step.value == 9
    assert gate_explorer.figure.data()["z"].shape == (16, 10)
    assert gate_explorer.data.p_final < 0.5
    gate_explorer.text.value = "AB" + "." * 98
    assert gate_explorer.step.max == 99 and gate_explorer.figure.data()["z"].shape == (16, 100)


@pytest.mark.parametrize(
    "text, message",
    [
        ("AB..Z", "unknown symbol 'Z' at step 4"),
        ("", "the sequence is empty"),
        ("A" * 300, "the sequence has 300 steps; the explorer takes at most 200"),
    ],
)
def test_bad_text_is_a_message_in_the_explorer(gate_explorer, text, message):
    image, data = gate_explorer.image.value, gate_explorer.figure.data()
    gate_explorer.text.value = text  # no exception
    assert gate_explorer.message_text.startswith(message)
    assert "color:#b00020" in gate_explorer.message.value
    assert gate_explorer.image.value == image  # the last good picture stays
    np.testing.assert_array_equal(gate_explorer.figure.data()["z"], data["z"])
    gate_explorer.text.value = gate_explorer.bank[0]
    assert gate_explorer.message.value == ""


def test_buttons_on_bad_text_give_messages(gate_explorer):
    gate_explorer.text.value = "...."
    gate_explorer.flip_button.click()
    assert gate_explorer.message_text == "the sequence has no A or B, so it has no cue to flip"
    with pytest.raises(ValueError, match="symbol must be one of"):
        gate_explorer.put("C")


def test_an_unexpected_error_is_shown_not_raised(gate_explorer, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the figure broke")

    monkeypatch.setattr(gate_explorer.figure, "update", broken)
    gate_explorer.step.value = 5
    assert gate_explorer.message_text == "RuntimeError: the figure broke"


def test_each_view_shows_as_a_widget_marked_to_be_saved_as_words(
    gate_explorer, playground, saturation
):
    for view in (gate_explorer, playground, saturation):
        bundle, metadata = view._repr_mimebundle_()
        assert WIDGET_VIEW in bundle and metadata == {MARK: True}
        assert bundle["text/plain"].startswith(f"[{view.title}: ")
        assert "Run All Cells" in bundle["text/plain"]  # what to do, in a reopened notebook


# ------------------------------------------------------------------ the playground
def test_moving_a_weight_slider_redraws(playground):
    data, image = playground.figure.data(), playground.image.value
    playground.sliders["bx_z_0"].value = 3.0
    assert playground.image.value != image
    assert not np.allclose(playground.figure.data()["h0"], data["h0"])
    assert not np.allclose(playground.figure.data()["z0"], data["z0"])
    np.testing.assert_allclose(playground.figure.data()["z0"], 1 / (1 + np.exp(-3.0)))


def test_the_puzzle_in_the_playground(playground):
    solved, message = playground.check()
    assert not solved and message.startswith("Not yet")
    for key, value in SOLUTION.items():
        playground.sliders[key].value = value
    solved, message = playground.check()
    assert solved and message.startswith("Solved")
    assert "Solved" in playground.verdict.value
    # the code it shows builds the same GRU
    built = eval(playground.code(), {"handset_gru": handset_gru})  # noqa: S307
    x = np.random.default_rng(0).normal(size=(3, 7, 1))
    np.testing.assert_allclose(built(x), playground.gru()(x)[:, -1])
    playground.reset()
    assert playground.values() == {k: s for k, *_, s in explorer.PLAYGROUND_SLIDERS}
    assert playground.code() == "handset_gru(W_h=[[1.0, 0.0]])"


@pytest.mark.parametrize(
    "text, message",
    [
        ("1, two, 3", "could not read 'two' (input 1) as a number"),
        ("", "no inputs: type numbers separated by commas, such as 1, -0.5, 2"),
        ("1, nan", "input 1 is 'nan': inputs must be finite numbers"),
    ],
)
def test_bad_inputs_are_a_message_in_the_playground(playground, text, message):
    image = playground.image.value
    playground.text.value = text
    assert playground.message_text == message
    assert playground.image.value == image


def test_parse_numbers_reads_commas_spaces_and_semicolons():
    np.testing.assert_array_equal(explorer.parse_numbers("1, -0.5 2;3e-1"), [1, -0.5, 2, 0.3])


def test_playground_pieces_refuse_unknown_sliders_and_non_numbers():
    with pytest.raises(ValueError, match="unknown slider"):
        explorer.playground_pieces({"W_x": 1.0})
    with pytest.raises(TypeError, match="must be a number"):
        explorer.playground_pieces({"W_h_0": "1"})


# --------------------------------------------------------------------- the puzzle
def test_first_input_verdict_accepts_a_solution_and_refuses_other_gru():
    assert first_input_verdict(explorer.playground_gru(SOLUTION))[0]
    with pytest.raises(ValueError, match="one input feature"):
        first_input_verdict(handset_gru(W_h=np.ones((2, 1))))
    with pytest.raises(TypeError, match="gru_lesson.GRU"):
        first_input_verdict("a GRU")


# ----------------------------------------------------------------- saturation
def test_the_saturation_explorer_draws_gate_saturation(saturation, classifier):
    x, _ = make_memory_task(500, 50, seed=0)
    below, above = gate_saturation(classifier.gru.trace(x).z, low=0.1, high=0.9)
    np.testing.assert_allclose(saturation.figure.data()["z"], np.column_stack([below, above]))


def test_moving_a_threshold_redraws_and_a_bad_pair_is_a_message(saturation):
    points, image = saturation.figure.data()["z"], saturation.image.value
    saturation.high.value = 0.8
    moved = saturation.figure.data()["z"]
    assert saturation.image.value != image
    assert np.all(moved[:, 1] >= points[:, 1]) and np.any(moved[:, 1] > points[:, 1])
    saturation.low.value = 0.85
    assert saturation.message_text.startswith("low must be below high, got low=0.85")
    np.testing.assert_array_equal(saturation.figure.data()["z"], moved)
    saturation.low.value = 0.1
    assert saturation.message.value == ""
    saturation.n.value = 100
    assert not np.allclose(saturation.figure.data()["z"], moved)
    saturation.n.value, saturation.high.value = 500, 0.9


# --------------------------------------------------------------- static figures
def test_static_figures(classifier):
    import matplotlib.pyplot as plt

    fig = explorer.plot_gates(classifier, "AB" + "." * 20, unit=5)
    assert len(fig.axes) == 8 and any(line.get_visible() for line in fig.axes[1].lines)
    fig = explorer.plot_unit(classifier, {"a": "AB....", "b": "BA...."}, 5)
    assert [len(ax.lines) for ax in fig.axes][1] == 2
    fig = explorer.plot_handset(handset_gru(W_h=1.0), np.arange(5.0))
    assert len(fig.axes) == 3
    fig = explorer.plot_saturation(classifier, n=50)
    assert len(fig.axes) == 2
    fig = explorer.plot_cell(classifier, "BA" + "." * 10, step=1, unit=5)
    assert len(fig.axes) == 3  # the cell and its two colour bars
    plt.close("all")


# ------------------------------------------------------------------------- speed
def test_the_cell_panel_is_a_png_of_its_figure(gate_explorer):
    import io

    from PIL import Image

    shown = Image.open(io.BytesIO(gate_explorer.cell_image.value))
    assert shown.format == "PNG" and shown.size == (800, 544)


# How fast a redraw is, is measured by the benchmark (benchmarks/run.py), not asserted here:
# these tests check that the measurement works and leaves the explorer as it found it.
def test_measuring_redraws_puts_the_slider_back(gate_explorer):
    gate_explorer.step.value = 17
    timing = gate_explorer.measure_redraw(n=5)
    assert gate_explorer.step.value == 17 and gate_explorer.figure.data()["step"] == 17
    assert timing["n"] == 5 and timing["min_ms"] <= timing["median_ms"] <= timing["p90_ms"]


def test_measure_redraw_refuses_a_bad_count(gate_explorer):
    with pytest.raises(ValueError, match="at least 1"):
        gate_explorer.measure_redraw(n=0)


def test_messages_are_escaped(gate_explorer):
    gate_explorer.text.value = "AB<b>"
    assert "<b>" not in gate_explorer.message.value
    assert html.unescape(gate_explorer.message.value).count("'<'") == 1


def test_the_saturation_plot_labels_never_overlap(classifier):
    """Every unit's label is drawn apart from every other label and from every dot."""
    import matplotlib.pyplot as plt

    fig = explorer.plot_saturation(classifier, n=200, T=50, seed=0)
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        for ax in fig.axes:
            labels = [t for t in ax.texts if t.get_text().isdigit()]
            assert len(labels) == classifier.gru.units
            boxes = [t.get_window_extent(renderer) for t in labels]
            for i, a in enumerate(boxes):
                for b in boxes[i + 1 :]:
                    assert not a.overlaps(b), (ax.get_title(), a, b)
            dots = ax.transData.transform(ax.collections[0].get_offsets())
            for box in boxes:
                inside = [
                    box.x0 < x < box.x1 and box.y0 < y < box.y1 for x, y in dots
                ]  # a dot's centre under a label
                assert not any(inside), ax.get_title()
    finally:
        plt.close(fig)


def test_label_offsets_spread_labels_of_dots_on_top_of_one_another():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    try:
        ax.set(xlim=(0, 1), ylim=(0, 1))
        offsets = _label_offsets(ax, np.full(4, 0.5), np.full(4, 0.5))
        assert len(set(offsets)) == 4
    finally:
        plt.close(fig)


def test_all_four_gate_curves_of_the_hand_set_figure_look_different():
    """With the starting sliders all four gates sit at 0.5: each needs its own look."""
    import matplotlib.pyplot as plt

    gru = explorer.playground_gru({})
    fig = explorer.plot_handset(gru, np.linspace(-1, 1, 10))
    try:
        gates_ax = fig.axes[1]
        lines = [line for line in gates_ax.get_lines() if line.get_label()[:1] in "zr"]
        assert len(lines) == 4
        assert all(np.allclose(line.get_ydata(), 0.5) for line in lines)  # they coincide
        looks = {
            (line.get_linestyle(), line.get_marker(), line.get_linewidth(), line.get_color())
            for line in lines
        }
        assert len(looks) == 4
    finally:
        plt.close(fig)


@pytest.mark.parametrize("count, words", [(1, "1 unit above"), (3, "3 units above")])
def test_the_saturation_summary_counts_units_in_good_english(count, words):
    above = np.r_[np.ones(count), np.zeros(5)]
    data = explorer.SaturationData(
        {"z": (np.zeros(count + 5), above), "r": (np.zeros(count + 5), above)}, 0.1, 0.9, (), 10
    )
    summary = _saturation_summary(data)
    assert words in summary and "1 units" not in summary
