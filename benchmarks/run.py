"""How fast is the course's NumPy GRU next to Keras', and how fast does the course run?

    .venv/bin/python benchmarks/run.py            # everything (about 6 minutes on 2 cores)
    .venv/bin/python benchmarks/run.py --quick    # the three smaller sizes, fewer repeats, no notebooks
    .venv/bin/python benchmarks/run.py --suite    # also time the whole test suite

Prints the machine, then one Markdown table, measured side by side in one run:

* forward: the NumPy GRU (``gru_lesson.fast.fast_forward``, and the readable ``GRU.__call__``)
  against the Keras ``GRU`` layer's compiled forward (``tf.function``, float32, the same
  weights, ``return_sequences=True``), at four sizes (batch, time, features, units);
* training step: forward and backward, ``L = sum(G * outputs)`` and the gradient of every
  weight (``fast_loss_and_grads`` / ``bptt.gru_loss_and_grads`` against ``tf.GradientTape``
  over the layer's weights, inside ``tf.function``), and the same with the gradient of ``x``
  too (``inputs=True``; the tape also watches ``x``);
* busy machine: the forward and the training step again, while another process keeps one
  core busy (a pure-Python loop this run starts and stops), as ratios to Keras under the
  same load;
* GEMM share: the matrix-product FLOPs of a pass over the time it took, as a share of this
  machine's measured float32 GEMM throughput (``np.matmul``, 1024 x 1024, all cores);
* each notebook executed top to bottom (nbclient, a fresh kernel): wall time and the
  kernel's peak resident memory;
* the gate explorer's redraw time: ``benchmarks/redraw.py``'s ``redraw_for_benchmark()``
  builds the explorer off screen and returns a zero-argument function doing one full
  redraw (what moving a slider does).

Timings are medians of interleaved repeats (Keras, NumPy, NumPy, Keras, ..., each round
starting one later) after a warm-up, so a busy moment slows both sides alike. Both NumPy GRUs run as their users get
them: each step on one BLAS thread (``gru_lesson.fast.blas_threads``), and the fast one
splits a large batch over the cores (``workers``; the columns "fast, one thread" and
"fast, all BLAS threads" show the alternatives). Keras runs as its users get it
(TensorFlow's default thread pools).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(
    0, str(Path(__file__).resolve().parents[1])
)  # the course's package, run from anywhere
from gru_lesson.runtime import quiet_tensorflow  # noqa: E402

quiet_tensorflow()  # before anything imports TensorFlow: no C++ log lines

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gru_lesson import GRU  # noqa: E402
from gru_lesson.bptt import gru_loss_and_grads  # noqa: E402
from gru_lesson.fast import blas_threads, fast_forward, fast_loss_and_grads  # noqa: E402

SIZES = [(1, 10, 20, 32), (32, 100, 20, 64), (64, 200, 32, 128), (256, 500, 64, 256)]
FORWARD_GOAL = {SIZES[0]: 1.0, SIZES[1]: 1.0, SIZES[2]: 1.0, SIZES[3]: 1.25}
STEP_GOAL = {"step": 1.0, "step with x": 1.5}
KINDS = {  # what is timed: its label in the table
    "forward": "forward",
    "step": "training step, weights",
    "step with x": "training step, weights and x",
}
NOTEBOOK_SECONDS, NOTEBOOK_BYTES = 60.0, 1.5e9
SUITE_SECONDS = 600.0


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- the machine
def machine():
    """What the numbers were measured on, one line each."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        mem = f"{mem:.0f} GiB"
    except (ValueError, OSError, AttributeError):
        mem = "?"
    lines = [
        f"CPU: {cpu}, {usable} usable cores (of {os.cpu_count()}), {mem} RAM",
        f"Python {platform.python_version()}, NumPy {np.__version__}, BLAS: {blas_description()}",
        "OPENBLAS_CORETYPE="
        + os.environ.get("OPENBLAS_CORETYPE", "(unset)")
        + ", OPENBLAS_NUM_THREADS="
        + os.environ.get("OPENBLAS_NUM_THREADS", "(unset)"),
    ]
    return lines


def blas_description():
    """Which BLAS NumPy runs on, its kernel and thread count (from threadpoolctl)."""
    from threadpoolctl import threadpool_info

    for i in threadpool_info():
        if i.get("user_api") == "blas":
            return (
                f"{i.get('internal_api')} {i.get('version')}, kernel "
                f"{i.get('architecture')}, {i.get('num_threads')} threads"
            )
    return "no BLAS library found by threadpoolctl"


def load_average():
    try:
        return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    except OSError:
        return "?"


# ---------------------------------------------------------------------------- timing
def interleaved_medians(funcs, *, seconds, min_repeats=3, max_repeats=50, warmup=1):
    """Median time of each function, running them in turn so that load hits all alike."""
    for f in funcs.values():
        for _ in range(warmup):
            f()
    start = time.perf_counter()
    for f in funcs.values():
        f()
    one_round = time.perf_counter() - start
    repeats = int(min(max_repeats, max(min_repeats, seconds / max(one_round, 1e-9))))
    times = {name: [] for name in funcs}
    names = list(funcs)
    for i in range(repeats):
        # Each round starts one later, so that each runs as often right after each other:
        # what one leaves behind (threads still spinning, a cold cache) hits all alike.
        for name in names[i % len(names) :] + names[: i % len(names)]:
            t0 = time.perf_counter()
            funcs[name]()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}, repeats


def gemm_throughput(threads, n=1024, repeats=10):
    """The best float32 ``np.matmul`` rate (FLOP/s) of an n x n x n product."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    out = np.empty((n, n), np.float32)
    best = float("inf")
    with blas_threads(threads):
        np.matmul(a, b, out=out)
        for _ in range(repeats):
            t0 = time.perf_counter()
            np.matmul(a, b, out=out)
            best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best


def forward_flops(B, T, D, U):
    """Matrix-product FLOPs of a forward pass: x W (D x 3U) and h R (U x 3U) at every step."""
    return 2 * T * B * 3 * U * (D + U)


def step_flops(B, T, D, U, inputs=True):
    """Forward plus backward: the backward has twice the products (dx and dW, dh_prev and dR);
    without the gradient of x (``inputs=False``), no ``dx = da W^T``."""
    dx = 0 if inputs else 2 * T * B * 3 * U * D
    return 3 * forward_flops(B, T, D, U) - dx


# ---------------------------------------------------------------------------- a busy machine
BUSY_LOOP = "while True: pass"


@contextlib.contextmanager
def one_core_busy():
    """Inside this block another process keeps one core busy (a pure-Python loop)."""
    spinner = subprocess.Popen([sys.executable, "-c", BUSY_LOOP])
    try:
        time.sleep(0.2)  # until it runs
        yield spinner
    finally:
        spinner.kill()
        spinner.wait()


# ---------------------------------------------------------------------------- GRU vs Keras
def compare_layer(size, *, seconds, all_threads, busy=True):
    """Keras and the NumPy GRUs on one size: ``{kind: {column: median seconds}}`` for the
    kinds of :data:`KINDS`, and with ``busy`` the forward and the training step again,
    while another process keeps a core busy, under ``"busy " + kind``."""
    import keras
    import tensorflow as tf

    from gru_lesson.conventions import randomize_biases

    B, T, D, U = size
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    layer = keras.layers.GRU(U, return_sequences=True, dtype="float32")
    layer.build((B, T, D))
    randomize_biases(layer, seed=1)
    gru = GRU.from_keras(layer)  # float32, same weights, same options
    assert gru.dtype == np.float32 and gru.return_sequences
    x = rng.standard_normal((B, T, D), dtype=np.float32)
    G = rng.standard_normal((B, T, U), dtype=np.float32)
    x_tf, G_tf = tf.constant(x), tf.constant(G)

    @tf.function
    def keras_forward(x):
        return layer(x)

    @tf.function
    def keras_step(x):  # the gradient of the weights only
        with tf.GradientTape() as tape:
            L = tf.reduce_sum(G_tf * layer(x))
        return L, tape.gradient(L, layer.trainable_weights)

    @tf.function
    def keras_step_with_x(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            L = tf.reduce_sum(G_tf * layer(x))
        return L, tape.gradient(L, [x, *layer.trainable_weights])

    # The same numbers first: a benchmark of two different computations means nothing.
    y_keras = keras_forward(x_tf).numpy()
    y_fast = fast_forward(gru, x)
    assert np.abs(y_keras - y_fast).max() < 1e-4, np.abs(y_keras - y_fast).max()
    _, g_keras = keras_step_with_x(x_tf)
    _, g_fast = fast_loss_and_grads(gru, x, G, inputs=True)
    for name, g in zip(("x", "W"), g_keras, strict=False):
        g = g.numpy()
        assert np.abs(g - g_fast[name]).max() < 1e-3 * max(1, np.abs(g).max()), name

    def keras_gradients(step):
        return lambda: [g.numpy() for g in step(x_tf)[1]]

    runs = {
        "forward": {
            "keras": lambda: keras_forward(x_tf).numpy(),
            "fast": lambda: fast_forward(gru, x),
            "readable": lambda: gru(x),
        },
        "step": {
            "keras": keras_gradients(keras_step),
            "fast": lambda: fast_loss_and_grads(gru, x, G),
            "readable": lambda: gru_loss_and_grads(gru, x, G),
        },
        "step with x": {
            "keras": keras_gradients(keras_step_with_x),
            "fast": lambda: fast_loss_and_grads(gru, x, G, inputs=True),
            "readable": lambda: gru_loss_and_grads(gru, x, G, inputs=True),
        },
    }
    if all_threads:
        runs["forward"]["fast, one thread"] = lambda: fast_forward(gru, x, workers=1)
        runs["step"]["fast, one thread"] = lambda: fast_loss_and_grads(gru, x, G, workers=1)
        # Timed beside Keras alone: BLAS threads still spinning after a call would slow
        # whatever runs next.
        runs["forward, all BLAS threads"] = {
            "keras": runs["forward"]["keras"],
            "fast, all BLAS threads": lambda: fast_forward(gru, x, threads=None, workers=1),
        }
        runs["step, all BLAS threads"] = {
            "keras": runs["step"]["keras"],
            "fast, all BLAS threads": lambda: fast_loss_and_grads(
                gru, x, G, threads=None, workers=1
            ),
        }
    result, repeats = {}, {}
    for kind, funcs in runs.items():
        log(f"  {size}: {kind} ...")
        result[kind], repeats[kind] = interleaved_medians(funcs, seconds=seconds)
    if busy:
        with one_core_busy():
            for kind in ("forward", "step"):
                log(f"  {size}: {KINDS[kind]}, one core busy ...")
                funcs = {k: runs[kind][k] for k in ("keras", "fast", "readable")}
                result["busy " + kind], repeats["busy " + kind] = interleaved_medians(
                    funcs, seconds=seconds
                )
    result["repeats"] = repeats
    return result


# ---------------------------------------------------------------------------- notebooks
PEAK_CELL = """\
import resource, sys
try:  # the peak resident memory of this kernel's own process image (Linux)
    _peak = [int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
except OSError:  # elsewhere: ru_maxrss (bytes on macOS), which may include the parent's peak
    _peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _peak *= 1 if sys.platform == "darwin" else 1024
print("PEAK_RSS_BYTES", _peak)
"""


def run_notebook(path, timeout=600):
    """Execute a copy of a notebook in a fresh kernel: (seconds, peak kernel RSS in bytes)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_CELL))
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    peak = int(text.split("PEAK_RSS_BYTES")[1].split()[0])
    return seconds, peak


def time_notebooks():
    results = {}
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        log(f"  notebook {path.name} ...")
        try:
            results[path.stem] = run_notebook(path)
        except Exception as exc:  # a failing notebook is a result too
            results[path.stem] = f"failed: {type(exc).__name__}"
    return results


# ---------------------------------------------------------------------------- gate explorer hook
def find_redraw():
    """The widgets timed, and ``benchmarks/redraw.py``'s maker of one gate explorer redraw."""
    from benchmarks.redraw import redraw_for_benchmark

    return "gru_lesson.explorer", redraw_for_benchmark


def time_redraw():
    import matplotlib

    matplotlib.use("Agg")
    name, make = find_redraw()
    if make is None:
        return None, None
    redraw = make()
    times, _ = interleaved_medians({"redraw": redraw}, seconds=3, min_repeats=10, warmup=2)
    return name, times["redraw"]


# ---------------------------------------------------------------------------- test suite
def time_suite():
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rf"], cwd=ROOT, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    lines = done.stdout.strip().splitlines() or ["no output"]
    for line in lines:
        if line.startswith("FAILED"):
            log(f"  {line}")
    return seconds, lines[-1].strip("= ")


# ---------------------------------------------------------------------------- the table
def ms(seconds):
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.2f} s"


def met(ok):
    return "yes" if ok else "**no**"


def ratio(t, column):
    return f"{t[column] / t['keras']:.2f}"


def table(layers, gemm, notebooks, redraw, suite, all_threads):
    head = ["what", "size (B, T, D, U)", "Keras", "NumPy fast", "fast / Keras", "goal", "met"]
    head += ["NumPy readable", "readable / Keras"]
    head += ["one core busy: fast / Keras", "one core busy: readable / Keras"]
    if all_threads:
        head += ["fast, one thread", "fast, all BLAS threads"]
    rows = []

    def row(*cells):
        cells = list(cells) + [""] * (len(head) - len(cells))
        rows.append(cells)

    for kind, label in KINDS.items():
        for size, res in layers.items():
            t = res[kind]
            goal = FORWARD_GOAL[size] if kind == "forward" else STEP_GOAL[kind]
            cells = [label, str(size), ms(t["keras"]), ms(t["fast"]), ratio(t, "fast")]
            cells += [f"<= {goal:.2f}", met(t["fast"] / t["keras"] <= goal)]
            cells += [ms(t["readable"]), ratio(t, "readable")]
            busy = res.get("busy " + kind)
            cells += [ratio(busy, "fast"), ratio(busy, "readable")] if busy else ["", ""]
            if all_threads:
                one, blas = t, res.get(kind + ", all BLAS threads", {})
                cells += [
                    f"{ms(c[column])} ({ratio(c, column)})" if column in c else ""
                    for c, column in ((one, "fast, one thread"), (blas, "fast, all BLAS threads"))
                ]
            row(*cells)
    flops_of = {
        "forward": forward_flops,
        "step": lambda *size: step_flops(*size, inputs=False),
        "step with x": step_flops,
    }
    for kind, label in KINDS.items():
        for size, res in layers.items():
            t = res[kind]
            f = flops_of[kind](*size)

            def share(seconds, f=f):
                return f"{100 * f / seconds / gemm:.1f} %"

            cells = [f"GEMM share, {label}", str(size), share(t["keras"]), share(t["fast"])]
            cells += ["", "", "", share(t["readable"]), "", "", ""]
            if all_threads:
                one, blas = t, res.get(kind + ", all BLAS threads", {})
                cells += [
                    share(c[column]) if column in c else ""
                    for c, column in ((one, "fast, one thread"), (blas, "fast, all BLAS threads"))
                ]
            row(*cells)
    for name, res in notebooks.items():
        if isinstance(res, str):
            row(f"notebook {name}", "", "", res, "", "< 60 s, < 1.5 GB", met(False))
            continue
        seconds, peak = res
        ok = seconds < NOTEBOOK_SECONDS and peak < NOTEBOOK_BYTES
        row(
            f"notebook {name}",
            "",
            "",
            f"{seconds:.1f} s, {peak / 1e9:.2f} GB",
            "",
            "< 60 s, < 1.5 GB",
            met(ok),
        )
    if redraw is not None:
        name, seconds = redraw
        if seconds is None:
            row(
                "gate explorer redraw",
                "",
                "",
                "not measured: gru_lesson has no redraw_for_benchmark() yet",
            )
        else:
            row("gate explorer redraw", "", "", f"{ms(seconds)} ({name})")
    if suite is not None:
        seconds, last = suite
        row(
            "whole test suite",
            "",
            "",
            f"{seconds:.0f} s ({last})",
            "",
            "< 600 s",
            met(seconds < SUITE_SECONDS),
        )
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="the three smaller sizes, short runs, no notebooks"
    )
    parser.add_argument("--suite", action="store_true", help="also time the whole test suite")
    parser.add_argument("--no-notebooks", action="store_true", help="skip the notebook timings")
    parser.add_argument("--json", type=Path, help="also write the raw numbers to this file")
    args = parser.parse_args()

    sizes = SIZES[:3] if args.quick else SIZES
    seconds = 1.0 if args.quick else 8.0
    all_threads = not args.quick

    info = machine()
    load_before = load_average()
    log("GEMM throughput ...")
    gemm_all, gemm_1 = gemm_throughput(threads=None), gemm_throughput(threads=1)
    import keras
    import tensorflow as tf

    info.append(
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, TensorFlow threads: "
        f"intra-op {tf.config.threading.get_intra_op_parallelism_threads() or 'default'}, "
        f"inter-op {tf.config.threading.get_inter_op_parallelism_threads() or 'default'}"
    )
    log("Keras vs NumPy ...")
    layers = {s: compare_layer(s, seconds=seconds, all_threads=all_threads) for s in sizes}
    # Measured before and after the layers, best of all: a busy moment must not lower the limit.
    gemm_all = max(gemm_all, gemm_throughput(threads=None))
    gemm_1 = max(gemm_1, gemm_throughput(threads=1))
    gemm = max(gemm_all, gemm_1)
    info.append(
        f"float32 GEMM limit (np.matmul 1024^3, best of 20): {gemm_all / 1e9:.0f} GFLOP/s "
        f"with all BLAS threads, {gemm_1 / 1e9:.0f} GFLOP/s with one; "
        f"the GEMM shares below divide by {gemm / 1e9:.0f}"
    )
    notebooks = {} if (args.quick or args.no_notebooks) else time_notebooks()
    log("gate explorer ...")
    redraw = time_redraw()
    suite = None
    if args.suite:
        log("test suite ...")
        suite = time_suite()
    info.append(f"load average before / after: {load_before} / {load_average()}")

    print("Machine:")
    for line in info:
        print(f"- {line}")
    print()
    print(table(layers, gemm, notebooks, redraw, suite, all_threads))
    if args.json:
        raw = {
            "machine": info,
            "gemm_flops": gemm,
            "gemm_flops_one_thread": gemm_1,
            "layers": {str(k): v for k, v in layers.items()},
            "notebooks": notebooks,
            "redraw": redraw,
            "suite": suite,
        }
        args.json.write_text(json.dumps(raw, indent=2, default=str))


if __name__ == "__main__":
    main()
