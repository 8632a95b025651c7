"""The same GRU, written the way deep-learning libraries make it fast.

:meth:`gru_lesson.GRU.trace` and :func:`gru_lesson.bptt.gru_backward` are the
readable versions: one line per equation. This module computes the very same
numbers (to rounding) with the tricks libraries use (notebook 06, section 2):

1. **Input projections out of the recurrence.** ``x_t W`` does not depend on the
   state, so a block of steps is projected in one product, ``(steps*B, D) @ (D, 3U)``
   (a block that stays in the cache, rather than all ``T`` steps at once);
   only ``h_prev R`` has to wait for the previous step.
2. **Fused gate products.** ``h_prev @ R`` computes ``[h R_z | h R_r | h R_h]``
   in one call, and the z and r gates go through one sigmoid on a ``(B, 2U)`` block.
3. **Time-major buffers.** Arrays are stored ``(time, batch, units)`` so that step
   ``t`` is one contiguous block; the trace hands them back as ``(batch, time, units)``
   views, so nothing is copied.
4. **In-place work.** Every step writes into preallocated arrays (``np.tanh(a, out=a)``,
   ``np.matmul(h, R, out=buf)``): no new arrays in the loop. A training step
   (:func:`fast_loss_and_grads`) goes further: its backward pass writes its gradients
   over the gates of its own forward pass, which nothing reads again, so the step
   asks the system for half the fresh memory.
5. **Biases folded in** before the loop (``bx`` and the z, r part of ``bh`` are added to
   the input projections once), and so is the minus sign of ``sigmoid(a) = 1 / (1 +
   exp(-a))``, into the z and r columns of the weights (exact: a sign flip).
6. **The backward pass precomputes** what does not depend on the gradient flowing back:
   every pre-activation gradient is ``dh`` times a coefficient the forward pass fixed
   (``da_z = dh * (h_prev - h~) * z * (1 - z)`` and so on), computed a block of steps at
   a time just before the loop reaches the block (still in the cache). The loop does only
   what truly is sequential, ``dh_prev = dh * z + [da_z | da_r | dm] R^T``; the weights'
   gradients are then one product each, over time and batch together.
7. **float32** when the weights are float32 (:meth:`GRU.from_keras` gives float32):
   half the memory traffic, twice the numbers per vector instruction.
8. **One BLAS thread.** A step's product is small; waking a second thread for it at every
   step costs more than it saves, and far more on a busy machine. :func:`blas_threads`
   limits NumPy's BLAS for the whole pass (TensorFlow, instead, sizes its work per op).
9. **The batch split over threads.** The examples of a batch do not interact until the
   weights' gradients are summed, so a large batch is cut into parts, one per core
   (``workers``), each on a thread of its own writing its rows of the shared buffers
   (NumPy releases Python's lock inside its products and element-wise loops); the
   weights' products after the loop are split the same way, by steps. Small batches
   stay on one thread.
10. **Only what training needs.** ``dx = da W^T``, as large a product as ``dW``, is
    computed only on request (``inputs=True``).

Keras' GRU on a CPU (``implementation=2``) does 2 and 7 in a TensorFlow ``while_loop``,
the input product at every step, its operations spread over all cores. A masked step
zeroes its coefficients (no ``np.where`` in the loop). The results equal the readable
versions to about 1e-15 in float64, within 1e-5 in float32 (tests/test_fast_path.py).
"""

from __future__ import annotations

import contextlib
import functools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from gru_lesson.bptt import (
    Gradients,
    check_backward_inputs,
    input_gradient,
    loss_and_dh_seq,
    states_read,
    weight_gradients,
)
from gru_lesson.gru import GRUTrace
from gru_lesson.validation import check_flag, check_gru, check_int

__all__ = [
    "FastTrace",
    "blas_threads",
    "fast_backward",
    "fast_forward",
    "fast_loss_and_grads",
    "fast_trace",
]


@dataclass
class FastTrace(GRUTrace):
    """A :class:`GRUTrace` that also keeps what the backward pass needs again: ``h_prev``,
    the state each step read (``h0`` at step 0), and ``m = h_prev R_h + bh_h`` (``None``
    with ``reset_after=False``). All arrays are views of time-major buffers."""

    h_prev: np.ndarray | None = None
    m: np.ndarray | None = None


@functools.cache
def _controller():
    """threadpoolctl's view of the loaded BLAS, made once, on first use."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextlib.contextmanager
def blas_threads(n=1):
    """Inside this block, NumPy's matrix products use at most ``n`` threads.

    Uses ``threadpoolctl`` (one controller, made once: a limit then costs about
    10 microseconds). ``n=None`` changes nothing.
    """
    if n is None:
        yield
        return
    n = check_int("threads", n, minimum=1)
    with _controller().limit(limits=n, user_api="blas"):
        yield


# The backward pass computes its coefficients for blocks of about this many numbers
# per array (a (steps, batch, units) block): small enough for a core's cache.
_BLOCK_ELEMENTS = 1 << 15
_BLOCK_ELEMENTS_FORWARD = 1 << 17  # the forward pass's input projections, (steps, batch, 3U)


def _time_major(a):
    """(batch, time, ...) -> (time, batch, ...), a view."""
    return a.swapaxes(0, 1)


# A part of the batch is worth a thread of its own from about this many numbers per
# (rows, units) block of a step: below, the threads' turns at Python's lock cost more than
# the second core gives, above all when another program keeps a core busy.
_ELEMENTS_PER_WORKER = 1 << 14


def _usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _check_workers(workers, batch, units):
    """How many parts of the batch to compute at once: ``workers``, or if ``None`` as
    many as pay (one per usable core, each with enough rows)."""
    if workers is None:
        return max(1, min(_usable_cores(), batch * units // _ELEMENTS_PER_WORKER))
    return check_int("workers", workers, minimum=1)


def _parts(size, workers):
    """``range(size)`` as ``workers`` slices of (nearly) equal size, none empty (one,
    empty, for size 0): the rows of a batch, or the steps of a sequence."""
    n = max(1, min(workers, size))
    bounds = [size * k // n for k in range(n + 1)]
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _on_threads(run, parts):
    """``[run(rows) for rows in parts]``, each part on a thread of its own.

    NumPy lets go of Python's lock inside matrix products and element-wise operations on
    large arrays, so the parts really run at the same time, one per core.
    """
    if len(parts) == 1:
        return [run(parts[0])]
    with ThreadPoolExecutor(max_workers=len(parts) - 1) as pool:
        later = [pool.submit(run, rows) for rows in parts[1:]]
        first = run(parts[0])
        return [first] + [f.result() for f in later]


# ---------------------------------------------------------------------------
# forward
# ---------------------------------------------------------------------------
def _forward(gru, x, h0, mask, keep, workers=1):
    """The fast forward pass on checked inputs (``x``, ``mask`` in processing order), the
    batch's rows split into ``workers`` parts computed at once.

    Returns time-major buffers: ``h_ext`` (T + 1, B, U), ``h_ext[0]`` is h0 and
    ``h_ext[t + 1]`` the state after step t; with ``keep``, also ``gates`` (T, B, 3U) =
    ``[z | r | m]`` of every step (reset before, ``[z | r | q]``, ``q = r * h_prev``) and
    ``h_tilde`` (T, B, U), else ``None`` for both (a step's gates are overwritten by the next).
    """
    B, T, D = x.shape
    U = gru.units
    dtype = gru.dtype
    any_masked = not mask.all()
    carried = ~_time_major(mask)[..., None] if any_masked else None  # (T, B, 1)

    # sigmoid(a) = 1 / (1 + exp(-a)): the minus sign is folded into the z, r columns of
    # the weights and biases (exact: a sign flip rounds nothing).
    sign = np.ones(3 * U, dtype)
    sign[: 2 * U] = -1
    # 5. Biases folded in: bx everywhere, and bh on the z and r columns.
    b = np.zeros(3 * U, dtype)
    if gru.bx is not None:
        b += gru.bx
    if gru.bh is not None:
        b[: 2 * U] += gru.bh[: 2 * U]
    W_s, b_s = gru.W * sign, b * sign
    if gru.reset_after:
        R_s = gru.R * sign  # [-R_z | -R_r | R_h]: one product for all three gates
        bh_h = None if gru.bh is None else gru.bh[2 * U :]
    else:
        R_s = -gru.R[:, : 2 * U]
        R_h = np.ascontiguousarray(gru.R[:, 2 * U :])

    # 3. Time-major buffers. A part of the batch writes its rows: at each step, one block.
    h_ext = np.empty((T + 1, B, U), dtype)
    h_ext[0] = h0
    gates = np.empty((T, B, 3 * U), dtype) if keep else None
    h_tilde_all = np.empty((T, B, U), dtype) if keep else None

    @np.errstate(over="ignore")  # exp(-a) may overflow to inf: 1 / (1 + inf) = 0
    def run(rows):
        """Every step, for the batch rows ``rows``."""
        n = rows.stop - rows.start
        # 1. The input projections of a block of steps in one product, time-major: xp[k]
        # is the (n, 3U) block of step start + k.
        x_tm = np.ascontiguousarray(_time_major(x[rows])).reshape(T * n, D)
        block = max(1, _BLOCK_ELEMENTS_FORWARD // max(1, n * 3 * U))
        xp_buf = np.empty((min(block, T) * n, 3 * U), dtype)
        if not keep:  # one step's gates, reused at every step (contiguous: faster)
            zr_buf, m_or_q_buf = np.empty((n, 2 * U), dtype), np.empty((n, U), dtype)
            h_tilde_buf = np.empty((n, U), dtype)
        hR = np.empty((n, R_s.shape[1]), dtype)

        for t in range(T):
            if t % block == 0:  # the next block's input projections, in one product
                stop = min(T, t + block)
                xp = np.matmul(x_tm[t * n : stop * n], W_s, out=xp_buf[: (stop - t) * n])
                xp += b_s
                xp = xp.reshape(stop - t, n, 3 * U)
            h_prev, h = h_ext[t, rows], h_ext[t + 1, rows]
            if keep:
                zr, m_or_q = gates[t, rows, : 2 * U], gates[t, rows, 2 * U :]
            else:
                zr, m_or_q = zr_buf, m_or_q_buf
            h_tilde = h_tilde_all[t, rows] if keep else h_tilde_buf
            xp_t = xp[t % block]
            # 2. One product for the gates (reset after, R_s = [-R_z | -R_r | R_h]),
            # one sigmoid for z and r, on the (n, 2U) block.
            np.matmul(h_prev, R_s, out=hR)
            np.add(xp_t[:, : 2 * U], hR[:, : 2 * U], out=zr)  # -[a_z | a_r]
            np.exp(zr, out=zr)  # inf where a is very negative: then 1 / (1 + inf) = 0
            zr += 1
            np.reciprocal(zr, out=zr)  # now zr = [z | r], one (B, 2U) block
            r = zr[:, U:]
            # The candidate h~, in place.
            if gru.reset_after:
                m = m_or_q  # m = h_prev R_h + bh_h
                if bh_h is None:
                    m[...] = hR[:, 2 * U :]
                else:
                    np.add(hR[:, 2 * U :], bh_h, out=m)
                np.multiply(r, m, out=h_tilde)
            else:
                q = m_or_q
                np.multiply(r, h_prev, out=q)  # q = r * h_prev, then q R_h
                np.matmul(q, R_h, out=h_tilde)
            h_tilde += xp_t[:, 2 * U :]
            np.tanh(h_tilde, out=h_tilde)
            # h = z * h_prev + (1 - z) * h~  =  h~ + z * (h_prev - h~)
            np.subtract(h_prev, h_tilde, out=h)
            h *= zr[:, :U]
            h += h_tilde
            if any_masked:  # masked steps carry the state over
                np.copyto(h, h_prev, where=carried[t, rows])

    _on_threads(run, _parts(B, workers))
    return h_ext, gates, h_tilde_all


def _as_trace(gru, h_ext, gates, h_tilde, h0, mask):
    """The (batch, time, units) trace the buffers of :func:`_forward` hold (views)."""
    U = gru.units
    h = _time_major(h_ext[1:])
    if gates is None:
        return GRUTrace(z=None, r=None, h_tilde=None, h=h, h0=h0, mask=mask)
    g = _time_major(gates)
    return FastTrace(
        z=g[..., :U],
        r=g[..., U : 2 * U],
        h_tilde=_time_major(h_tilde),
        h=h,
        h0=h0,
        mask=mask,
        h_prev=_time_major(h_ext[:-1]),
        m=g[..., 2 * U :] if gru.reset_after else None,
    )


def _run_forward(gru, x, initial_state, mask, threads, workers, keep):
    """Check the arguments, run :func:`_forward`: ``(x, h0, mask, workers, buffers)``."""
    check_gru(gru)
    x, h0, mask = gru._check_inputs(x, initial_state, mask)
    workers = _check_workers(workers, x.shape[0], gru.units)
    with blas_threads(threads):
        return x, h0, mask, workers, _forward(gru, x, h0, mask, keep, workers)


def fast_trace(gru, x, initial_state=None, mask=None, *, threads=1, workers=None):
    """What ``gru.trace(x, initial_state, mask)`` returns, computed the fast way: a
    :class:`FastTrace`, which also keeps what :func:`fast_backward` needs again.

    ``threads`` is the number of BLAS threads each part uses (``None``: as NumPy is set
    up); ``workers`` the number of parts of the batch computed at once, on threads of
    their own (``None``: as many as pay, from the usable cores and the batch's size).
    """
    _, h0, mask, _, buffers = _run_forward(gru, x, initial_state, mask, threads, workers, True)
    return _as_trace(gru, *buffers, h0, mask)


def fast_forward(gru, x, initial_state=None, mask=None, *, threads=1, workers=None):
    """What ``gru(x, initial_state, mask)`` returns, computed the fast way, keeping only
    the states, as a library's inference pass does. ``threads``, ``workers``: as in
    :func:`fast_trace`."""
    _, h0, mask, _, buffers = _run_forward(gru, x, initial_state, mask, threads, workers, False)
    return gru._layer_outputs(_as_trace(gru, *buffers, h0, mask))


# ---------------------------------------------------------------------------
# backward
# ---------------------------------------------------------------------------
def fast_backward(gru, x, trace, dh_seq, *, inputs=True, threads=1, workers=None):
    """What :func:`gru_lesson.bptt.gru_backward` returns, computed the fast way.

    Takes the same arguments (a trace from :func:`fast_trace` is fastest; one from
    ``gru.trace`` works too) and returns the same :class:`~gru_lesson.bptt.Gradients`
    (some of them views of time-major arrays). ``threads``, ``workers``: as in
    :func:`fast_trace`.
    """
    x, dh_seq, inputs = check_backward_inputs(gru, x, trace, dh_seq, inputs)
    workers = _check_workers(workers, x.shape[0], gru.units)
    with blas_threads(threads):
        return _backward(gru, x, trace, dh_seq, inputs, workers)


def _backward(gru, x, trace, dh_seq, inputs, workers=1, reuse=None):
    """The fast backward pass on checked arguments, ``x`` in processing order.

    ``reuse``: the buffers ``(gates, h_tilde)`` of :func:`_forward` that made ``trace``,
    which the pass may overwrite with its gradients (nothing reads them afterwards), or
    ``None`` to leave the trace as it is and make new ones.
    """
    B, T, D = x.shape
    U = gru.units
    h_prev, m = states_read(gru, trace)
    # Everything time-major: step t is z[t], a (B, U) block.
    steps = dict(z=trace.z, r=trace.r, h_tilde=trace.h_tilde, h_prev=h_prev, m=m, dh_seq=dh_seq)
    steps = {k: None if a is None else _time_major(a) for k, a in steps.items()}
    steps["mask"] = _time_major(trace.mask)[..., None]
    # The gradients: ds = [da_z | da_r | dm] (reset before, [da_z | da_r | q]) and da_h,
    # in the trace's own buffers when they may be overwritten.
    ds, da_h = reuse or (np.empty((T, B, 3 * U), gru.dtype), np.empty((T, B, U), gru.dtype))
    dh_all = np.empty((T, B, U), gru.dtype)  # the whole gradient reaching each h_t

    def run(rows):
        rows_of = {k: None if a is None else a[:, rows] for k, a in steps.items()}
        return _backward_rows(
            gru, **rows_of, ds=ds[:, rows], da_h=da_h[:, rows], dh_all=dh_all[:, rows]
        )

    dh0 = np.concatenate(_on_threads(run, _parts(B, workers)))

    # The weights: one product each over time and batch (rows t*B to t*B + B - 1 are
    # step t), the steps split over the workers, the parts' sums added.
    N = T * B
    X = np.ascontiguousarray(_time_major(x)).reshape(N, D)
    Hp = np.ascontiguousarray(steps["h_prev"]).reshape(N, U)
    ds = ds.reshape(N, 3 * U)
    da_zr, da_h = ds[:, : 2 * U], da_h.reshape(N, U)
    parts = [slice(p.start * B, p.stop * B) for p in _parts(T, workers)]

    def products(p):
        return weight_gradients(gru, X[p], Hp[p], da_zr[p], da_h[p], ds[p, 2 * U :])

    sums = _on_threads(products, parts)
    grads = {name: sum(part[name] for part in sums) for name in sums[0]}
    grads["h"] = _time_major(dh_all)

    def dx():
        d = np.empty((N, D), gru.dtype)

        def rows(p):
            d[p] = input_gradient(gru, da_zr[p], da_h[p])

        _on_threads(rows, parts)
        return _time_major(d.reshape(T, B, D))

    return Gradients.of(gru, grads, dx, dh0, inputs)


def _backward_rows(gru, *, z, r, h_tilde, h_prev, m, dh_seq, mask, ds, da_h, dh_all):
    """The backward pass through some rows of the batch, every array time-major.

    Fills ``ds``, ``da_h`` and ``dh_all`` (the gradient reaching each state) for these rows,
    and returns their ``dL/dh0``. ``ds`` and ``da_h`` may be the buffers that ``z``, ``r``,
    ``m`` and ``h_tilde`` are views of: each block of steps is read before it is overwritten.
    """
    T, B, U = h_prev.shape
    dtype = gru.dtype
    any_masked = not mask.all()
    ds3 = ds.reshape(T, B, 3, U)
    C, E, F = ds3[:, :, 0], ds3[:, :, 1], ds3[:, :, 2]  # F: dm, or reset before q
    A = da_h

    # 6. Each pre-activation gradient is dh times a coefficient the forward pass fixed:
    #    da_h = dh * A,  A = (1 - z) * (1 - h~**2)
    #    da_z = dh * C,  C = (h_prev - h~) * z * (1 - z)
    #    reset after:  dm = dh * F, F = A * r;   da_r = dh * E, E = F * m * (1 - r)
    #    reset before: da_r = dq * E,  E = h_prev * r * (1 - r)
    # They are computed a block of steps at a time, right before the loop reaches the
    # block (so that it is still in the cache), straight into the arrays of gradients,
    # which the loop then multiplies by dh in place.
    block = max(1, _BLOCK_ELEMENTS // max(1, B * U))
    zr_block = np.empty((min(block, T), B, 2, U), dtype)  # z and r, kept for the loop
    tmp_block = np.empty((2, min(block, T), B, U), dtype)

    def coefficients(s):
        """Fill A, C, E, F for the steps of slice ``s``; return z and r of those steps,
        z set to 1 where dh goes straight on (masked steps)."""
        k = s.stop - s.start
        zr = zr_block[:k]
        np.copyto(zr[:, :, 0], z[s])
        np.copyto(zr[:, :, 1], r[s])
        z_s, r_s = zr[:, :, 0], zr[:, :, 1]
        one_minus, t2 = tmp_block[0, :k], tmp_block[1, :k]
        if not gru.reset_after:
            np.multiply(r_s, h_prev[s], out=F[s])  # q = r * h_prev, for dR
        np.subtract(1, z_s, out=one_minus)
        np.subtract(h_prev[s], h_tilde[s], out=C[s])
        C[s] *= z_s
        C[s] *= one_minus
        np.multiply(h_tilde[s], h_tilde[s], out=A[s])
        np.subtract(1, A[s], out=A[s])
        A[s] *= one_minus
        np.subtract(1, r_s, out=one_minus)
        if gru.reset_after:
            np.multiply(A[s], r_s, out=t2)  # F = A * r
            np.multiply(t2, m[s], out=E[s])
            E[s] *= one_minus
            np.copyto(F[s], t2)  # over m, read just before
        else:
            np.multiply(h_prev[s], r_s, out=E[s])
            E[s] *= one_minus
        if any_masked:  # a masked step is h = h_prev: dh goes straight on, no gate gets any
            for coefficient in (A, C, E) + ((F,) if gru.reset_after else ()):
                coefficient[s] *= mask[s]
            np.copyto(z_s, 1, where=~mask[s])
        return z_s, r_s

    if gru.reset_after:
        RT = np.ascontiguousarray(gru.R.T)  # (3U, U)
    else:
        R_hT = np.ascontiguousarray(gru.R[:, 2 * U :].T)
        R_zrT = np.ascontiguousarray(gru.R[:, : 2 * U].T)
        dq = np.empty((B, U), dtype)
    dh_next = np.zeros((B, U), dtype)  # what flows back from step t + 1
    tmp = np.empty((B, U), dtype)
    for stop in range(T, 0, -block):
        start = max(0, stop - block)
        z_eff, r_block = coefficients(slice(start, stop))
        for t in reversed(range(start, stop)):
            dh = dh_all[t]
            np.add(dh_seq[t], dh_next, out=dh)  # everything that reaches h_t
            k = t - start
            if gru.reset_after:
                ds_t = ds3[t]
                ds_t *= dh[:, None, :]  # [da_z | da_r | dm] = dh * [C | E | F]
                np.matmul(ds_t.reshape(B, 3 * U), RT, out=dh_next)  # [da_z|da_r|dm] R^T
            else:
                C[t] *= dh  # da_z
                A[t] *= dh  # da_h
                np.matmul(A[t], R_hT, out=dq)  # dq = da_h R_h^T
                E[t] *= dq  # da_r
                np.matmul(ds3[t, :, :2].reshape(B, 2 * U), R_zrT, out=dh_next)
                np.multiply(dq, r_block[k], out=tmp)  # dq * r
                dh_next += tmp
            np.multiply(dh, z_eff[k], out=tmp)  # the direct path, dh * z
            dh_next += tmp
        if gru.reset_after:
            A[start:stop] *= dh_all[start:stop]  # da_h = dh * A, while the block is in cache
    return dh_next


def fast_loss_and_grads(
    gru, x, G, initial_state=None, mask=None, *, inputs=False, threads=1, workers=None
):
    """:func:`gru_lesson.bptt.gru_loss_and_grads`, the fast way: ``L = sum(G * gru(x))``
    and the gradient of every weight (and with ``inputs=True``, of ``x`` and ``h0``).
    ``threads``, ``workers``: as in :func:`fast_trace`.

    The trace of its forward pass is its own: the backward pass writes over its gates.
    """
    inputs = check_flag("inputs", inputs)
    x, h0, mask, workers, buffers = _run_forward(
        gru, x, initial_state, mask, threads, workers, True
    )
    trace = _as_trace(gru, *buffers, h0, mask)
    loss, dh_seq = loss_and_dh_seq(gru, trace, G)
    with blas_threads(threads):
        return loss, _backward(gru, x, trace, dh_seq, inputs, workers, reuse=buffers[1:])
