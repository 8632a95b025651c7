"""The fast GRU (gru_lesson.fast) computes what the readable one computes.

Speed is measured by benchmarks/run.py, never here: these tests only check that
every fast function returns the readable version's numbers, for every layer
option, with and without masks, in float64 (to 1e-12) and float32 (to 1e-5).
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest

from gru_lesson import GRU
from gru_lesson.bptt import gru_backward, gru_loss_and_grads
from gru_lesson.fast import (
    FastTrace,
    blas_threads,
    fast_backward,
    fast_forward,
    fast_loss_and_grads,
    fast_trace,
)

B, T, D, U = 3, 7, 4, 5


def random_gru(rng, *, reset_after=True, use_bias=True, dtype=np.float64, **options):
    W = rng.normal(scale=0.7, size=(D, 3 * U))
    R = rng.normal(scale=0.7, size=(U, 3 * U))
    bx = rng.normal(scale=0.5, size=3 * U) if use_bias else None
    bh = rng.normal(scale=0.5, size=3 * U) if (use_bias and reset_after) else None

    def cast(a):
        return None if a is None else a.astype(dtype)

    return GRU(cast(W), cast(R), cast(bx), cast(bh), reset_after=reset_after, **options)


def random_mask(rng, kind):
    if kind == "none":
        return None
    mask = rng.random((B, T)) > 0.35
    if kind == "padded":  # right padding, as a padded batch has it
        lengths = rng.integers(1, T + 1, size=B)
        mask = np.arange(T)[None, :] < lengths[:, None]
    if kind == "one row fully masked":
        mask[1] = False
    return mask


def assert_close(name, fast, readable, tol):
    fast, readable = np.asarray(fast), np.asarray(readable)
    assert fast.shape == readable.shape, f"{name}: shape {fast.shape} != {readable.shape}"
    assert fast.dtype == readable.dtype, f"{name}: dtype {fast.dtype} != {readable.dtype}"
    np.testing.assert_allclose(fast, readable, rtol=tol, atol=tol, err_msg=name)


OPTIONS = [
    dict(reset_after=ra, use_bias=ub, go_backwards=gb)
    for ra in (True, False)
    for ub in (True, False)
    for gb in (False, True)
]
MASKS = ["none", "random", "padded", "one row fully masked"]
TOLERANCE = {np.float64: 1e-12, np.float32: 1e-5}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("mask_kind", MASKS)
@pytest.mark.parametrize(
    "options", OPTIONS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items())
)
def test_fast_trace_and_gradients_equal_the_readable_ones(rng, options, mask_kind, dtype):
    tol = TOLERANCE[dtype]
    gru = random_gru(rng, dtype=dtype, return_sequences=True, **options)
    x = rng.normal(size=(B, T, D)).astype(dtype)
    h0 = rng.uniform(-0.9, 0.9, size=(B, U)).astype(dtype)
    mask = random_mask(rng, mask_kind)

    readable = gru.trace(x, initial_state=h0, mask=mask)
    fast = fast_trace(gru, x, initial_state=h0, mask=mask)
    assert isinstance(fast, FastTrace)
    for name in ("z", "r", "h_tilde", "h", "h0"):
        assert_close(f"trace.{name}", getattr(fast, name), getattr(readable, name), tol)
    np.testing.assert_array_equal(fast.mask, readable.mask)

    dh_seq = rng.normal(size=(B, T, U))
    expected = gru_backward(gru, x, readable, dh_seq)
    for trace in (fast, readable):  # the fast backward also takes a readable trace
        grads = fast_backward(gru, x, trace, dh_seq)
        assert set(grads) == set(expected)
        for name in expected:
            assert_close(f"d{name}", grads[name], expected[name], tol)


@pytest.mark.parametrize("steps_per_block", [1, 2, 3, T])
@pytest.mark.parametrize("mask_kind", ["none", "random"])
@pytest.mark.parametrize("reset_after", [True, False])
def test_blocks_of_steps_change_nothing(rng, monkeypatch, reset_after, mask_kind, steps_per_block):
    """Both passes work through blocks of steps; the blocks' edges must not show."""
    from gru_lesson import fast

    monkeypatch.setattr(fast, "_BLOCK_ELEMENTS", steps_per_block * B * U)
    monkeypatch.setattr(fast, "_BLOCK_ELEMENTS_FORWARD", steps_per_block * B * 3 * U)
    gru = random_gru(rng, reset_after=reset_after, return_sequences=True)
    x = rng.normal(size=(B, T, D))
    h0 = rng.normal(size=(B, U))
    mask = random_mask(rng, mask_kind)
    dh_seq = rng.normal(size=(B, T, U))
    readable = gru.trace(x, initial_state=h0, mask=mask)
    fast = fast_trace(gru, x, initial_state=h0, mask=mask)
    for name in ("z", "r", "h_tilde", "h"):
        assert_close(f"trace.{name}", getattr(fast, name), getattr(readable, name), 1e-12)
    output = fast_forward(gru, x, initial_state=h0, mask=mask)
    assert_close("output", output, gru(x, initial_state=h0, mask=mask), 1e-12)
    expected = gru_backward(gru, x, readable, dh_seq)
    grads = fast_backward(gru, x, fast, dh_seq)
    for name in expected:
        assert_close(f"d{name}", grads[name], expected[name], 1e-12)


@pytest.mark.parametrize("mask_kind", MASKS)
@pytest.mark.parametrize("return_state", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
@pytest.mark.parametrize("reset_after", [True, False])
def test_fast_forward_returns_what_the_layer_returns(
    rng, reset_after, zero_output_for_mask, return_sequences, return_state, mask_kind
):
    gru = random_gru(
        rng,
        reset_after=reset_after,
        return_sequences=return_sequences,
        return_state=return_state,
        zero_output_for_mask=zero_output_for_mask,
    )
    x = rng.normal(size=(B, T, D))
    h0 = rng.normal(size=(B, U))
    mask = random_mask(rng, mask_kind)
    expected = gru(x, initial_state=h0, mask=mask)
    got = fast_forward(gru, x, initial_state=h0, mask=mask)
    if return_state:
        assert isinstance(got, list) and len(got) == 2
        for name, a, b in zip(("output", "state"), got, expected, strict=True):
            assert_close(name, a, b, 1e-12)
    else:
        assert_close("output", got, expected, 1e-12)


def test_fast_forward_without_initial_state_float32(rng):
    gru = random_gru(rng, dtype=np.float32)
    x = rng.normal(size=(B, T, D)).astype(np.float32)
    assert_close("output", fast_forward(gru, x), gru(x), 1e-5)


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("reset_after", [True, False])
def test_fast_loss_and_grads_equal_the_readable_ones(rng, reset_after, return_sequences):
    gru = random_gru(rng, reset_after=reset_after, return_sequences=return_sequences)
    x = rng.normal(size=(B, T, D))
    h0 = rng.normal(size=(B, U))
    mask = random_mask(rng, "random")
    G = rng.normal(size=(B, T, U) if return_sequences else (B, U))
    L_fast, g_fast = fast_loss_and_grads(gru, x, G, initial_state=h0, mask=mask)
    L, g = gru_loss_and_grads(gru, x, G, initial_state=h0, mask=mask)
    assert L_fast == pytest.approx(L, rel=1e-12, abs=1e-12)
    for name in g:
        assert_close(f"d{name}", g_fast[name], g[name], 1e-12)


def test_a_long_float32_sequence_stays_close(rng):
    """Rounding does not build up differently over many steps."""
    gru = random_gru(rng, dtype=np.float32, return_sequences=True)
    x = rng.normal(size=(2, 300, D)).astype(np.float32)
    readable, fast = gru.trace(x), fast_trace(gru, x)
    assert_close("h", fast.h, readable.h, 1e-5)
    dh_seq = rng.normal(size=(2, 300, U)).astype(np.float32)
    g_readable = gru_backward(gru, x, readable, dh_seq)
    g_fast = fast_backward(gru, x, fast, dh_seq)
    for name in ("W", "R", "bx", "bh", "h0"):
        scale = max(1.0, float(np.abs(g_readable[name]).max()))
        assert_close(f"d{name} / {scale:.0f}", g_fast[name] / scale, g_readable[name] / scale, 1e-5)


@pytest.mark.parametrize("reset_after", [True, False])
def test_a_fast_trace_is_views_of_time_major_buffers(rng, reset_after):
    """Notebook 06, section 2.4: step t of the states is one contiguous block, and
    h_prev is the states' own buffer one step behind (h0 first), not a copy."""
    gru = random_gru(rng, reset_after=reset_after, return_sequences=True)
    x = rng.normal(size=(B, T, D))
    h0 = rng.normal(size=(B, U))
    fast = fast_trace(gru, x, initial_state=h0)
    for t in range(T):
        assert fast.h[:, t].flags.c_contiguous and fast.h_tilde[:, t].flags.c_contiguous
    assert np.shares_memory(fast.h, fast.h_prev)
    np.testing.assert_array_equal(fast.h_prev[:, 0], h0)
    np.testing.assert_array_equal(fast.h_prev[:, 1:], fast.h[:, :-1])


def test_the_minus_sign_folded_into_the_weights_changes_no_bit(rng):
    """Notebook 06, section 2.2: the fast loop computes sigmoid(a) = 1 / (1 + exp(-a)) with the
    minus sign folded into the z and r columns, which changes not one bit of a product; an
    exp that overflows gives the sigmoid's limit, 0, and no warning."""
    X = rng.normal(size=(60, D))
    W = rng.normal(size=(D, 3 * U))
    for dtype in (np.float64, np.float32):
        X_d, W_d = X.astype(dtype), W.astype(dtype)
        np.testing.assert_array_equal(X_d @ (-W_d), -(X_d @ W_d))
        gru = random_gru(rng, dtype=dtype)
        x = (1e4 * rng.normal(size=(3, 6, D))).astype(dtype)  # gates saturated both ways
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fast = fast_trace(gru, x)
        assert (fast.z == 0).any() and (fast.z == 1).any()
        np.testing.assert_allclose(fast.z, gru.trace(x).z, rtol=0, atol=1e-6)


def test_the_fast_trace_changes_nothing_it_was_given(rng):
    gru = random_gru(rng)
    params = {k: v.copy() for k, v in gru.params.items()}
    x = rng.normal(size=(B, T, D))
    x_copy = x.copy()
    trace = fast_trace(gru, x)
    fast_backward(gru, x, trace, np.ones((B, T, U)))
    np.testing.assert_array_equal(x, x_copy)
    for name, value in params.items():
        np.testing.assert_array_equal(gru.params[name], value)


@pytest.mark.parametrize("threads", [None, 1, 2])
def test_any_thread_count_gives_the_same_numbers(rng, threads):
    gru = random_gru(rng, return_sequences=True)
    x = rng.normal(size=(B, T, D))
    assert_close("output", fast_forward(gru, x, threads=threads), gru(x), 1e-12)


def test_blas_threads_limits_and_restores_the_setting():
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads_now():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    with threadpool_limits(limits=2, user_api="blas"):
        assert blas_threads_now() and all(n == 2 for n in blas_threads_now())
        with blas_threads(1):
            assert all(n == 1 for n in blas_threads_now())
        assert all(n == 2 for n in blas_threads_now())


@pytest.mark.parametrize(
    ("bad", "error"),
    [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError), ("1", TypeError)],
)
def test_blas_threads_refuses_nonsense(bad, error):
    with pytest.raises(error, match="threads must be an integer"):
        with blas_threads(bad):
            pass


def test_bad_input_is_refused_clearly(rng):
    gru = random_gru(rng)
    x = rng.normal(size=(B, T, D))
    with pytest.raises(TypeError, match="gru_lesson.GRU"):
        fast_trace("not a GRU", x)
    with pytest.raises(ValueError, match="features"):
        fast_forward(gru, rng.normal(size=(B, T, D + 1)))
    trace = fast_trace(gru, x)
    with pytest.raises(TypeError, match="trace must be"):
        fast_backward(gru, x, "not a trace", np.zeros((B, T, U)))
    with pytest.raises(ValueError, match="was the trace computed on this x"):
        fast_backward(gru, x[:, :-1], trace, np.zeros((B, T - 1, U)))
    with pytest.raises(ValueError, match="dh_seq"):
        fast_backward(gru, x, trace, np.zeros((B, T, U + 1)))


def test_importing_the_fast_path_does_not_load_tensorflow():
    code = "import gru_lesson.fast, sys; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- the batch on threads
@pytest.mark.parametrize("batch", [0, 1, 2, 5, 7])
@pytest.mark.parametrize("mask_kind", ["none", "random", "one row fully masked"])
@pytest.mark.parametrize(
    "options",
    [dict(reset_after=True), dict(reset_after=False, go_backwards=True), dict(use_bias=False)],
    ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()),
)
def test_the_batch_split_over_threads_gives_the_same_numbers(rng, options, mask_kind, batch):
    """workers=n computes n parts of the batch at once; the weights' gradients are then
    sums over the parts, equal to one thread's to rounding."""
    gru = random_gru(rng, return_sequences=True, **options)
    x = rng.normal(size=(batch, T, D))
    h0 = rng.normal(size=(batch, U))
    G = rng.normal(size=(batch, T, U))
    mask = random_mask(rng, mask_kind)
    mask = None if mask is None else np.resize(mask, (batch, T))
    if mask_kind == "one row fully masked" and batch:
        mask[batch // 2] = False
    one = fast_trace(gru, x, initial_state=h0, mask=mask, workers=1)
    output_one = fast_forward(gru, x, initial_state=h0, mask=mask, workers=1)
    backward_one = fast_backward(gru, x, one, G, workers=1)
    L1, g1 = fast_loss_and_grads(gru, x, G, initial_state=h0, mask=mask, inputs=True, workers=1)
    for workers in (2, 3):
        split = fast_trace(gru, x, initial_state=h0, mask=mask, workers=workers)
        for name in ("z", "r", "h_tilde", "h", "h_prev", "m"):
            if getattr(one, name) is not None:
                assert_close(f"trace.{name}", getattr(split, name), getattr(one, name), 1e-14)
        output = fast_forward(gru, x, initial_state=h0, mask=mask, workers=workers)
        assert_close("output", output, output_one, 1e-14)
        L, g = fast_loss_and_grads(
            gru, x, G, initial_state=h0, mask=mask, inputs=True, workers=workers
        )
        assert L == pytest.approx(L1, rel=1e-12, abs=1e-12)
        assert set(g) == set(g1)
        for name in g1:
            assert_close(f"d{name}", g[name], g1[name], 1e-12)
        from_trace = fast_backward(gru, x, split, G, workers=workers)
        for name in backward_one:
            assert_close(f"d{name}, backward", from_trace[name], backward_one[name], 1e-12)


def test_the_parts_of_the_batch_cover_it_once():
    from gru_lesson.fast import _parts

    assert _parts(0, 2) == [slice(0, 0)]
    assert _parts(1, 2) == [slice(0, 1)]
    assert _parts(7, 2) == [slice(0, 3), slice(3, 7)]
    for batch in range(1, 12):
        for workers in (1, 2, 3, 16):
            parts = _parts(batch, workers)
            rows = [i for s in parts for i in range(s.start, s.stop)]
            assert rows == list(range(batch)) and all(s.stop > s.start for s in parts)


def test_workers_by_default_only_when_they_pay(monkeypatch):
    from gru_lesson import fast

    monkeypatch.setattr(fast, "_usable_cores", lambda: 2)
    assert fast._check_workers(None, 3, 5) == 1  # a small batch: one thread
    assert fast._check_workers(None, 256, 256) == 2  # one part per core
    monkeypatch.setattr(fast, "_usable_cores", lambda: 1)
    assert fast._check_workers(None, 256, 256) == 1
    assert fast._check_workers(4, 3, 5) == 4  # as asked (parts are never empty)


@pytest.mark.parametrize(
    ("keyword", "bad", "error"),
    [("workers", 0, ValueError), ("workers", 1.5, TypeError), ("inputs", "yes", TypeError)],
)
def test_bad_keywords_are_refused_clearly(rng, keyword, bad, error):
    gru = random_gru(rng)
    x = rng.normal(size=(B, T, D))
    with pytest.raises(error, match=keyword):
        fast_loss_and_grads(gru, x, np.ones((B, U)), **{keyword: bad})


def test_a_training_step_skips_the_inputs_gradients_unless_asked(rng):
    """inputs=False (the default of fast_loss_and_grads, as of gru_loss_and_grads): the
    weights' gradients only, and asking for "x" or "h0" then says how to get them."""
    gru = random_gru(rng, return_sequences=True)
    x = rng.normal(size=(B, T, D))
    G = rng.normal(size=(B, T, U))
    _, asked = fast_loss_and_grads(gru, x, G, inputs=True)
    _, weights_only = fast_loss_and_grads(gru, x, G)
    _, readable = gru_loss_and_grads(gru, x, G)
    assert set(weights_only) == set(readable) == {"W", "R", "bx", "bh", "h"}
    assert set(asked) == set(weights_only) | {"x", "h0"}
    for name in ("x", "h0"):
        with pytest.raises(KeyError, match="pass inputs=True"):
            weights_only[name]


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("workers", [1, 2])
def test_a_training_step_reuses_no_memory_it_hands_back(rng, reset_after, workers):
    """The fast step writes its gradients over its own forward pass's gates: nothing it
    returns may share memory with another result, and a second call must leave the first
    call's results as they were."""
    gru = random_gru(rng, reset_after=reset_after, return_sequences=True)
    mask = random_mask(rng, "padded")

    def step(seed):
        r = np.random.default_rng(seed)
        x, G = r.normal(size=(B, T, D)), r.normal(size=(B, T, U))
        return fast_loss_and_grads(gru, x, G, mask=mask, inputs=True, workers=workers)

    _, first = step(1)
    arrays = {name: first[name] for name in (*gru.params, "x", "h0", "h")}
    kept = {name: a.copy() for name, a in arrays.items()}
    names = list(arrays)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not np.shares_memory(arrays[a], arrays[b]), f"{a} and {b} share memory"
    step(2)
    for name, a in arrays.items():
        np.testing.assert_array_equal(a, kept[name], err_msg=f"{name} changed by a later call")


def _code_part(line):
    """A line of code without its comment and indentation: what a quote must keep."""
    return line.split("  # ")[0].strip()


def test_the_appendix_quotes_the_fast_path_as_it_is():
    """Every Python block in notebook 06's text is lines of gru_lesson/fast.py, as written there
    (a quote may annotate a line with a comment of its own)."""
    import json
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    code = {_code_part(line) for line in (root / "gru_lesson" / "fast.py").read_text().splitlines()}
    notebook = json.loads(
        (root / "notebooks" / "06_appendix_speed_and_precision.ipynb").read_text()
    )
    quoted = [
        block
        for cell in notebook["cells"]
        if cell["cell_type"] == "markdown"
        for block in re.findall(r"```python\n(.*?)```", "".join(cell["source"]), re.S)
    ]
    assert len(quoted) >= 5  # sections 2.1 to 2.5 each quote the fast path
    stale = [
        line
        for block in quoted
        for line in block.splitlines()
        if _code_part(line) and not line.strip().startswith("#") and _code_part(line) not in code
    ]
    assert not stale, f"notebook 06 quotes lines that gru_lesson/fast.py no longer has: {stale}"
