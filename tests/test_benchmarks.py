"""The benchmark command keeps working (its numbers are measured by running it, not here)."""

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("benchmarks_run", ROOT / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_flop_counts_are_the_products_of_a_pass(bench):
    B, T, D, U = 3, 5, 4, 2
    per_step = 2 * B * D * 3 * U + 2 * B * U * 3 * U  # x_t W and h_prev R
    assert bench.forward_flops(B, T, D, U) == T * per_step
    assert bench.step_flops(B, T, D, U) == 3 * T * per_step
    dx = 2 * B * D * 3 * U  # da W^T, left out of a step that needs the weights' gradients only
    assert bench.step_flops(B, T, D, U, inputs=False) == 3 * T * per_step - T * dx


def test_interleaved_medians_runs_each_function(bench):
    calls = {"a": 0, "b": 0}

    def count(name):
        def f():
            calls[name] += 1

        return f

    medians, repeats = bench.interleaved_medians(
        {"a": count("a"), "b": count("b")}, seconds=0.0, min_repeats=4
    )
    assert repeats == 4
    assert calls == {"a": 1 + 1 + 4, "b": 1 + 1 + 4}  # warm-up, sizing round, repeats
    assert set(medians) == {"a", "b"} and all(m >= 0 for m in medians.values())


def test_the_keras_comparison_runs_on_a_small_size(bench, keras):
    result = bench.compare_layer((2, 5, 3, 4), seconds=0.0, all_threads=True)
    both = {"keras", "fast", "readable"}
    columns = {
        "forward": both | {"fast, one thread"},
        "step": both | {"fast, one thread"},
        "step with x": both,
        "forward, all BLAS threads": {"keras", "fast, all BLAS threads"},
        "step, all BLAS threads": {"keras", "fast, all BLAS threads"},
        "busy forward": both,
        "busy step": both,
    }
    assert set(result) == set(columns) | {"repeats"}
    for kind, names in columns.items():
        assert set(result[kind]) == names, kind
        assert all(np.isfinite(t) and t > 0 for t in result[kind].values())


def test_a_busy_core_is_busy_inside_the_block_only(bench):
    with bench.one_core_busy() as spinner:
        assert spinner.poll() is None  # still running
        start = time.process_time()
    assert spinner.poll() is not None  # stopped
    assert time.process_time() - start < 1  # the loop ran in another process


def test_a_notebook_is_timed_with_its_kernel_peak_memory(bench, tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("import numpy as np\nbig = np.ones(50_000_000)"))
    path = tmp_path / "99_test.ipynb"
    nbformat.write(nb, path)
    seconds, peak = bench.run_notebook(path)
    assert seconds > 0
    assert 0.4e9 < peak < 3e9  # the 400 MB array, not the benchmark process's memory


def test_the_table_states_goals_and_verdicts(bench):
    t = {"keras": 1.0, "fast": 0.5, "readable": 2.0}
    kinds = {"forward": dict(t), "step": dict(t, fast=2.0), "step with x": dict(t, fast=1.2)}
    layers = {bench.SIZES[0]: dict(kinds, **{"busy forward": dict(t, fast=0.75)})}
    notebooks = {"00_x": (12.0, 0.2e9), "01_y": (70.0, 0.2e9)}
    text = bench.table(layers, 1e11, notebooks, ("gru_lesson.x", 0.02), None, False)
    lines = text.splitlines()
    assert lines[0].startswith("| what |") and all(line.endswith("|") for line in lines)
    forward = next(line for line in lines if line.startswith("| forward"))
    step = next(line for line in lines if line.startswith("| training step, weights |"))
    step_x = next(line for line in lines if line.startswith("| training step, weights and x"))
    assert "| 0.50 |" in forward and "| yes |" in forward
    assert "| 0.75 | 2.00 |" in forward  # one core busy: fast and readable / Keras
    assert "| 2.00 |" in step and "**no**" in step
    assert "| 1.20 | <= 1.50 | yes |" in step_x
    assert "**no**" in next(line for line in lines if "01_y" in line)
    assert "20 ms" in text


def test_the_thread_alternatives_are_ratios_to_their_own_keras_time(bench):
    t = {"keras": 1.0, "fast": 0.5, "readable": 2.0, "fast, one thread": 0.6}
    res = {kind: dict(t) for kind in ("forward", "step", "step with x")}
    res["forward, all BLAS threads"] = {"keras": 2.0, "fast, all BLAS threads": 0.8}
    text = bench.table({bench.SIZES[0]: res}, 1e11, {}, None, None, True)
    forward = next(line for line in text.splitlines() if line.startswith("| forward"))
    assert forward.endswith("| 600 ms (0.60) | 800 ms (0.40) |")


def test_the_command_explains_itself():
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--quick" in out.stdout and "Keras" in out.stdout


def test_the_redraw_hook_times_the_widgets(bench):
    import matplotlib

    matplotlib.use("Agg")
    from benchmarks.redraw import measure_redraw

    name, make = bench.find_redraw()
    assert name == "gru_lesson.explorer"
    redraw = make()
    redraw()  # one full redraw, and again: each call changes the picture
    redraw()
    timing = measure_redraw(n=3, view="playground")
    assert timing["view"] == "playground" and timing["png_bytes"] > 1000
    with pytest.raises(ValueError, match="view must be one of"):
        measure_redraw(view="plot")


# ------------------------------------------- the recorded run, as the docs quote it
def _table_rows(text, first):
    """The cells of each markdown table row of ``text`` whose first cell starts with ``first``."""
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in text.splitlines()]
    return [r for r in rows if r and r[0].startswith(first)]


def _recorded():
    """{(what, size): (readable / Keras, fast / Keras)} from benchmarks/README.md's recorded run."""
    text = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    rows = _table_rows(text, "forward") + _table_rows(text, "training step, weights")
    return {
        (r[0].replace(", weights", ""), r[1]): (float(r[8]), float(r[4]))
        for r in rows
        if r[0] in ("forward", "training step, weights") and len(r) == 13  # the recorded table
    }


def test_the_appendix_and_the_readme_quote_the_recorded_run():
    import json

    recorded = _recorded()
    assert len(recorded) == 8
    nb = json.loads((ROOT / "notebooks" / "06_appendix_speed_and_precision.ipynb").read_text())
    cells = ["".join(c["source"]) for c in nb["cells"]]
    text = next(c for c in cells if "Where Keras is still faster" in c)
    quoted = {
        (r[0], r[1].strip("$")): (float(r[2]), float(r[3]))
        for r in _table_rows(text, "forward") + _table_rows(text, "training step")
    }
    assert quoted == recorded
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sizes = {size for _, size in recorded}
    rows = [r for r in _table_rows(readme, "(") if r[0].removesuffix(", the blog post's") in sizes]
    assert len(rows) == 4
    for r in rows:
        size = r[0].removesuffix(", the blog post's")
        fast_step = float(r[2].split()[0])  # "0.71 (0.66 to 0.86 over three runs)"
        readable = tuple(float(v) for v in r[3].split(" / "))
        assert (float(r[1]), fast_step) == (
            recorded["forward", size][1],
            recorded["training step", size][1],
        )
        assert readable == (recorded["forward", size][0], recorded["training step", size][0])


def test_what_the_docs_say_of_the_recorded_run():
    recorded = _recorded()
    speedup = [readable / fast for readable, fast in recorded.values()]
    assert (round(min(speedup), 1), round(max(speedup), 1)) == (1.3, 2.8)  # "1.3 to 2.8 times"
    assert all(fast < 1 for _, fast in recorded.values())  # the fast path beats Keras everywhere
    slower = {key: readable for key, (readable, _) in recorded.items() if readable > 1}
    largest = "(256, 500, 64, 256)"
    middle = {key: r for key, r in slower.items() if key[1] != largest}
    assert len({size for _, size in middle}) == 2  # "at two middle sizes"
    assert (min(middle.values()), max(middle.values())) == (1.05, 1.09)  # "by 5 to 9%"
    assert {("forward", largest), ("training step", largest)} <= set(slower)  # clearly there
