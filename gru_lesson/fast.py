"""The same GRU, written the way deep-learning libraries make it fast.

:meth:`gru_lesson.GRU.trace` and :func:`gru_lesson.bptt.gru_backward` are the
readable versions: one line per equation. This module computes the very same
numbers (to rounding) with the tricks libraries use, so that a NumPy GRU runs
about as fast as Keras' own layer:

1. **Input projections out of the recurrence.** ``x_t W`` does not depend on the
   state, so many steps are projected in one product, ``(steps*B, D) @ (D, 3U)``;
   only ``h_prev R`` has to wait for the previous step. (All ``T`` steps at once
   is the textbook form; a block of steps that stays in the cache is faster once
   ``T*B`` is large.)
2. **Fused gate products.** ``h_prev @ R`` computes ``[h R_z | h R_r | h R_h]``
   in one call, and the z and r gates go through one sigmoid on a ``(B, 2U)``
   block.
3. **Time-major buffers.** Arrays are stored ``(time, batch, units)`` so that
   step ``t`` is one contiguous block; the trace hands them back as
   ``(batch, time, units)`` views, so nothing is copied.
4. **In-place work.** Every step writes into preallocated arrays
   (``np.tanh(a, out=a)``, ``np.matmul(h, R, out=buf)``): no new arrays in the loop.
5. **Biases folded in** before the loop (``bx`` and the z, r part of ``bh`` are
   added to the input projections once), and ``sigmoid(a) = (1 + tanh(a/2)) / 2``,
   with the ``1/2`` folded into the z and r columns of the weights (an exact
   scaling by a power of two).
6. **The backward pass precomputes** what does not depend on the gradient
   flowing back: with ``dh`` the gradient reaching ``h_t``, every pre-activation
   gradient is ``dh`` times a coefficient the forward pass fixed
   (``da_z = dh * (h_prev - h~) * z * (1 - z)`` and so on). The coefficients of a
   block of steps are computed at once, just before the loop reaches the block
   (so the block is still in the cache), and the loop only does what truly is
   sequential: ``dh_prev = dh * z + [da_z | da_r | dm] R^T``. The weight gradients
   are then one matrix product each, over time and batch together.
7. **float32** when the weights are float32 (:meth:`GRU.from_keras` gives float32):
   half the memory traffic, twice the numbers per vector instruction.
8. **One BLAS thread.** A step's product is small; waking a second thread for it
   at every step costs more than it saves, and far more when the other cores are
   busy (a shared machine, Binder). :func:`blas_threads` limits the BLAS library
   NumPy uses for the whole pass (TensorFlow, instead, sizes its work per op).
9. **The batch split over threads.** The examples of a batch do not interact until
   the weights' gradients are summed, so a large batch is cut into parts, one per
   core (``workers``), each computed on a thread of its own with one BLAS thread.
   NumPy releases Python's lock inside its products and its element-wise loops on
   large arrays, so the parts really run at once; each part writes its rows of the
   shared time-major buffers (at each step, one contiguous block), and the weights'
   gradients are the sums of the parts'. Small batches stay on one thread: there,
   starting threads and taking turns at the lock cost more than they save.
10. **Only what training needs.** A training step needs the weights' gradients;
    ``dx = da W^T``, as large a product as ``dW``, is computed only on request
    (``inputs=True``).

Keras' GRU on a CPU (its default ``implementation=2``) does 2 and 7: at every step
one product for the three input blocks and one for the three recurrent blocks,
inside a TensorFlow ``while_loop``. It does not do 1 (the input product runs once
per step; cuDNN does 1 on a GPU), and it can spread its element-wise operations
and products over all cores. Masks cost nothing here when there are none: a masked step
is handled by zeroing its coefficients, never with ``np.where`` in the loop.

The results equal the readable versions to about 1e-15 in float64 and within 1e-5
in float32 (tests/test_fast_path.py checks every layer option, with and without masks,
on one thread and on several).
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from gru_lesson.bptt import Gradients, check_backward_inputs, loss_and_grads, states_read
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
    """A :class:`GRUTrace` that also keeps what the backward pass needs again.

    ``h_prev`` is the state each step read (``h0`` at step 0), and ``m`` the
    reset-after recurrent candidate ``h_prev R_h + bh_h`` (``None`` with
    ``reset_after=False``); both ``(batch, time, units)``, processing order.
    All arrays are views of time-major buffers.
    """

    h_prev: np.ndarray | None = None
    m: np.ndarray | None = None


_CONTROLLER = None  # threadpoolctl's view of the loaded BLAS, made once on first use


def _controller():
    global _CONTROLLER
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


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


# ---------------------------------------------------------------------------
# the batch, split over threads
# ---------------------------------------------------------------------------
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


def _batch_parts(batch, workers):
    """The rows of the batch as ``workers`` slices of (nearly) equal size, none empty
    (one, empty, for an empty batch)."""
    n = max(1, min(workers, batch))
    bounds = [batch * k // n for k in range(n + 1)]
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
def _check_inputs(gru, x, initial_state, mask):
    """What the forward pass needs, checked once: ``x`` and the mask in processing order."""
    check_gru(gru)
    return gru._check_inputs(x, initial_state, mask)


def _forward(gru, x, h0, mask, keep, workers=1):
    """The fast forward pass on checked inputs; ``keep`` stores every gate (for a backward
    pass). The rows of the batch are split into ``workers`` parts, computed at once."""
    B, T, D = x.shape
    U = gru.units
    dtype = gru.dtype
    any_masked = not mask.all()
    carried = ~_time_major(mask)[..., None] if any_masked else None  # (T, B, 1)

    # sigmoid(a) = (1 + tanh(a / 2)) / 2: the halving is folded into the z, r columns
    # of the weights and biases (exact: a power of two).
    half = np.ones(3 * U, dtype)
    half[: 2 * U] = 0.5
    # 5. Biases folded in: bx everywhere, and bh on the z and r columns.
    b = np.zeros(3 * U, dtype)
    if gru.bx is not None:
        b += gru.bx
    if gru.bh is not None:
        b[: 2 * U] += gru.bh[: 2 * U]
    W_s, b_s = gru.W * half, b * half
    if gru.reset_after:
        R_s = gru.R * half  # [R_z/2 | R_r/2 | R_h]: one product for all three gates
        bh_h = None if gru.bh is None else gru.bh[2 * U :]
    else:
        R_zr_s = 0.5 * gru.R[:, : 2 * U]
        R_h = np.ascontiguousarray(gru.R[:, 2 * U :])

    # 3. Time-major buffers; h_ext[0] is h0, h_ext[t + 1] the state after step t. A part
    # of the batch writes its rows: at each step, one contiguous block.
    h_ext = np.empty((T + 1, B, U), dtype)
    h_ext[0] = h0
    if keep:
        zr_all = np.empty((T, B, 2 * U), dtype)
        h_tilde_all = np.empty((T, B, U), dtype)
        m_all = np.empty((T, B, U), dtype) if gru.reset_after else None

    def run(rows):
        """Every step, for the batch rows ``rows``."""
        n = rows.stop - rows.start
        # 1. The input projections of a block of steps in one product, time-major: xp[k]
        # is the (n, 3U) block of step start + k. (All steps at once would need a
        # (T, n, 3U) array; a block that stays in the cache is faster when T * n is large.)
        x_tm = np.ascontiguousarray(_time_major(x[rows])).reshape(T * n, D)
        block = max(1, _BLOCK_ELEMENTS_FORWARD // max(1, n * 3 * U))
        xp_buf = np.empty((min(block, T) * n, 3 * U), dtype)
        if not keep:  # one step's scratch space, reused at every step
            zr_buf = np.empty((n, 2 * U), dtype)
            h_tilde_buf = np.empty((n, U), dtype)
            m_buf = np.empty((n, U), dtype)
        hR = np.empty((n, 3 * U if gru.reset_after else 2 * U), dtype)
        q = None if gru.reset_after else np.empty((n, U), dtype)

        for t in range(T):
            if t % block == 0:  # the next block's input projections, in one product
                stop = min(T, t + block)
                xp = np.matmul(x_tm[t * n : stop * n], W_s, out=xp_buf[: (stop - t) * n])
                xp += b_s
                xp = xp.reshape(stop - t, n, 3 * U)
            h_prev, h = h_ext[t, rows], h_ext[t + 1, rows]
            zr = zr_all[t, rows] if keep else zr_buf
            h_tilde = h_tilde_all[t, rows] if keep else h_tilde_buf
            xp_t = xp[t % block]
            # 2. z and r: one product, one tanh on the (n, 2U) block.
            if gru.reset_after:
                np.matmul(h_prev, R_s, out=hR)
            else:
                np.matmul(h_prev, R_zr_s, out=hR)
            np.add(xp_t[:, : 2 * U], hR[:, : 2 * U], out=zr)
            np.tanh(zr, out=zr)
            zr *= 0.5
            zr += 0.5
            z, r = zr[:, :U], zr[:, U:]
            # The candidate h~, in place.
            if gru.reset_after:
                if bh_h is None:
                    m = hR[:, 2 * U :]
                    if keep:
                        m_all[t, rows] = m
                else:
                    m = m_all[t, rows] if keep else m_buf
                    np.add(hR[:, 2 * U :], bh_h, out=m)
                np.multiply(r, m, out=h_tilde)  # r * (h_prev R_h + bh_h)
            else:
                np.multiply(r, h_prev, out=q)  # q = r * h_prev, then q R_h
                np.matmul(q, R_h, out=h_tilde)
            h_tilde += xp_t[:, 2 * U :]
            np.tanh(h_tilde, out=h_tilde)
            # h = z * h_prev + (1 - z) * h~  =  h~ + z * (h_prev - h~)
            np.subtract(h_prev, h_tilde, out=h)
            h *= z
            h += h_tilde
            if any_masked:  # masked steps carry the state over
                np.copyto(h, h_prev, where=carried[t, rows])

    _on_threads(run, _batch_parts(B, workers))
    h_seq = _time_major(h_ext[1:])
    if not keep:
        return GRUTrace(z=None, r=None, h_tilde=None, h=h_seq, h0=h0, mask=mask)
    zr_seq = _time_major(zr_all)
    return FastTrace(
        z=zr_seq[..., :U],
        r=zr_seq[..., U:],
        h_tilde=_time_major(h_tilde_all),
        h=h_seq,
        h0=h0,
        mask=mask,
        h_prev=_time_major(h_ext[:-1]),
        m=None if m_all is None else _time_major(m_all),
    )


def fast_trace(gru, x, initial_state=None, mask=None, *, threads=1, workers=None):
    """What ``gru.trace(x, initial_state, mask)`` returns, computed the fast way.

    Returns a :class:`FastTrace`: the gates of every step, as ``(batch, time, units)``
    views of time-major buffers, plus what :func:`fast_backward` needs again.
    ``threads`` is the number of BLAS threads each part uses (``None``: as NumPy is set
    up); ``workers`` the number of parts of the batch computed at once, on threads of
    their own (``None``: as many as pay, from the usable cores and the batch's size).
    """
    x, h0, mask = _check_inputs(gru, x, initial_state, mask)
    workers = _check_workers(workers, x.shape[0], gru.units)
    with blas_threads(threads):
        return _forward(gru, x, h0, mask, keep=True, workers=workers)


def fast_forward(gru, x, initial_state=None, mask=None, *, threads=1, workers=None):
    """What ``gru(x, initial_state, mask)`` returns, computed the fast way.

    Keeps only the states (the gates of a step are overwritten by the next), the
    way a library's inference forward pass does. ``threads``, ``workers``: as in
    :func:`fast_trace`.
    """
    x, h0, mask = _check_inputs(gru, x, initial_state, mask)
    workers = _check_workers(workers, x.shape[0], gru.units)
    with blas_threads(threads):
        trace = _forward(gru, x, h0, mask, keep=False, workers=workers)
    return gru._layer_outputs(trace)


# ---------------------------------------------------------------------------
# backward
# ---------------------------------------------------------------------------
def fast_backward(gru, x, trace, dh_seq, *, inputs=True, threads=1, workers=None):
    """What :func:`gru_lesson.bptt.gru_backward` returns, computed the fast way.

    Takes the same arguments (a trace from :func:`fast_trace` is fastest; one from
    ``gru.trace`` works too) and returns the same :class:`~gru_lesson.bptt.Gradients`:
    ``"W"``, ``"R"``, ``"bx"``, ``"bh"`` (as in ``gru.params``), ``"x"`` and ``"h0"``
    (computed now with ``inputs=True``, else only if read) and ``"h"`` (the whole
    gradient reaching each state, processing order). Some are views of time-major
    arrays. ``threads``, ``workers``: as in :func:`fast_trace`.
    """
    inputs = check_flag("inputs", inputs)
    x, dh_seq = check_backward_inputs(gru, x, trace, dh_seq)  # x in processing order
    workers = _check_workers(workers, x.shape[0], gru.units)
    with blas_threads(threads):
        return _backward(gru, x, trace, dh_seq, inputs, workers)


def _backward(gru, x, trace, dh_seq, inputs, workers=1):
    """The fast backward pass on checked arguments, ``x`` in processing order; the rows
    of the batch split into ``workers`` parts, computed at once."""
    B, T, D = x.shape
    U = gru.units
    h_prev, m = states_read(gru, trace)
    # Everything time-major: step t is z[t], a (B, U) block.
    steps = {
        "z": trace.z,
        "r": trace.r,
        "h_tilde": trace.h_tilde,
        "h_prev": h_prev,
        "m": m,
        "dh_seq": dh_seq,
        "x": x,
        "mask": trace.mask[..., None],
    }
    steps = {k: None if a is None else _time_major(a) for k, a in steps.items()}
    dh_all = np.empty((T, B, U), gru.dtype)  # the whole gradient reaching each h_t

    def run(rows):
        rows_of = {k: None if a is None else a[:, rows] for k, a in steps.items()}
        return _backward_rows(gru, **rows_of, dh_all=dh_all[:, rows], inputs=inputs)

    parts = _on_threads(run, _batch_parts(B, workers))
    grads = {name: sum(part[0][name] for part in parts) for name in gru.params}
    grads["h"] = _time_major(dh_all)
    dh0 = parts[0][1] if len(parts) == 1 else np.concatenate([part[1] for part in parts])

    def dx():
        dx_parts = [d if isinstance(d, np.ndarray) else d() for _, _, d in parts]
        if len(dx_parts) == 1:
            return _time_major(dx_parts[0])
        return np.concatenate([_time_major(d) for d in dx_parts])

    return Gradients.of(gru, grads, dx, dh0, inputs)


def _backward_rows(gru, *, z, r, h_tilde, h_prev, m, dh_seq, x, mask, dh_all, inputs):
    """The backward pass through some rows of the batch, every array time-major.

    Writes the gradient reaching each state into ``dh_all``; returns the weights'
    gradients over these rows, ``dL/dh0`` of these rows and ``dL/dx`` of these rows
    (time-major; with ``inputs=False``, a function that computes it).
    """
    T, B, D = x.shape
    U = gru.units
    dtype = gru.dtype
    any_masked = not mask.all()

    # 6. Each pre-activation gradient is dh times a coefficient the forward pass fixed:
    #    da_h = dh * A,  A = (1 - z) * (1 - h~**2)
    #    da_z = dh * C,  C = (h_prev - h~) * z * (1 - z)
    #    reset after:  dm = dh * F, F = A * r;   da_r = dh * E, E = F * m * (1 - r)
    #    reset before: da_r = dq * E,  E = h_prev * r * (1 - r)
    # The coefficients go straight into the arrays of gradients, which the loop then
    # multiplies by dh in place. They are computed a block of steps at a time, right
    # before the loop reaches the block, so that the block is still in the cache.
    if gru.reset_after:
        ds = np.empty((T, B, 3, U), dtype)  # [da_z | da_r | dm], the recurrent side
        A = np.empty((T, B, U), dtype)  # becomes da_h
        C, E, F = ds[:, :, 0], ds[:, :, 1], ds[:, :, 2]
        RT = np.ascontiguousarray(gru.R.T)  # (3U, U)
    else:
        da4 = np.empty((T, B, 3, U), dtype)  # [da_z | da_r | da_h]
        C, E, A = da4[:, :, 0], da4[:, :, 1], da4[:, :, 2]
        R_hT = np.ascontiguousarray(gru.R[:, 2 * U :].T)
        R_zrT = np.ascontiguousarray(gru.R[:, : 2 * U].T)
        dq = np.empty((B, U), dtype)

    def coefficients(s):
        """Fill A, C, E (and F) for the steps of slice ``s``; return z where dh goes on."""
        one_minus_z = 1 - z[s]
        np.multiply(h_tilde[s], h_tilde[s], out=A[s])
        np.subtract(1, A[s], out=A[s])
        A[s] *= one_minus_z
        np.subtract(h_prev[s], h_tilde[s], out=C[s])
        C[s] *= z[s]
        C[s] *= one_minus_z
        one_minus_r = np.subtract(1, r[s], out=one_minus_z)
        if gru.reset_after:
            np.multiply(A[s], r[s], out=F[s])
            np.multiply(F[s], m[s], out=E[s])
            E[s] *= one_minus_r
        else:
            np.multiply(h_prev[s], r[s], out=E[s])
            E[s] *= one_minus_r
        if not any_masked:
            return z[s]
        # A masked step is h = h_prev: dh goes straight to h_prev, no gate gets any.
        A[s] *= mask[s]
        C[s] *= mask[s]
        E[s] *= mask[s]
        if gru.reset_after:
            F[s] *= mask[s]
        return np.where(mask[s], z[s], 1)

    dh_next = np.zeros((B, U), dtype)  # what flows back from step t + 1
    tmp = np.empty((B, U), dtype)
    block = max(1, _BLOCK_ELEMENTS // max(1, B * U))
    for stop in range(T, 0, -block):
        start = max(0, stop - block)
        z_eff = coefficients(slice(start, stop))
        for t in reversed(range(start, stop)):
            dh = dh_all[t]
            np.add(dh_seq[t], dh_next, out=dh)  # everything that reaches h_t
            k = t - start
            if gru.reset_after:
                ds_t = ds[t]
                ds_t *= dh[:, None, :]  # [da_z | da_r | dm] = dh * [C | E | F]
                np.matmul(ds_t.reshape(B, 3 * U), RT, out=dh_next)  # [da_z|da_r|dm] R^T
            else:
                da_t = da4[t]
                da_t[:, 0] *= dh  # da_z
                da_t[:, 2] *= dh  # da_h
                np.matmul(da_t[:, 2], R_hT, out=dq)  # dq = da_h R_h^T
                da_t[:, 1] *= dq  # da_r
                np.matmul(da_t[:, :2].reshape(B, 2 * U), R_zrT, out=dh_next)
                np.multiply(dq, r[t], out=tmp)  # dq * r
                dh_next += tmp
            np.multiply(dh, z_eff[k], out=tmp)  # the direct path, dh * z
            dh_next += tmp
        if gru.reset_after:
            A[start:stop] *= dh_all[start:stop]  # da_h = dh * A, while the block is in cache
    if gru.reset_after:
        ds = ds.reshape(T * B, 3 * U)
        da_zr = ds[:, : 2 * U]
        da_h = A.reshape(T * B, U)
    else:
        da = da4.reshape(T * B, 3 * U)
        da_zr, da_h = da[:, : 2 * U], da[:, 2 * U :]

    # The weights: one product each, time and batch flattened together.
    X = np.ascontiguousarray(x).reshape(T * B, D)
    Hp = np.ascontiguousarray(h_prev).reshape(T * B, U)
    dW = np.empty_like(gru.W)
    dW[:, : 2 * U] = X.T @ da_zr
    dW[:, 2 * U :] = X.T @ da_h
    grads = {"W": dW}
    if gru.reset_after:
        grads["R"] = Hp.T @ ds
    else:
        dR = np.empty_like(gru.R)
        dR[:, : 2 * U] = Hp.T @ da_zr
        q = (r * h_prev).reshape(T * B, U)
        dR[:, 2 * U :] = q.T @ da_h
        grads["R"] = dR
    if gru.bx is not None and gru.reset_after:  # bh's sums hold bx's z and r columns
        dbh = ds.sum(axis=0)  # [da_z | da_r | dm]
        grads["bx"] = np.concatenate([dbh[: 2 * U], da_h.sum(axis=0)])
        grads["bh"] = dbh
    elif gru.bx is not None:
        grads["bx"] = da.sum(axis=0)  # [da_z | da_r | da_h]

    def dx():
        d = da_zr @ gru.W[:, : 2 * U].T
        d += da_h @ gru.W[:, 2 * U :].T
        return d.reshape(T, B, D)

    return grads, dh_next, dx() if inputs else dx


def fast_loss_and_grads(
    gru, x, G, initial_state=None, mask=None, *, inputs=False, threads=1, workers=None
):
    """:func:`gru_lesson.bptt.gru_loss_and_grads`, the fast way: ``L = sum(G * gru(x))``
    and the gradient of every weight (and with ``inputs=True``, of ``x`` and ``h0``).
    ``threads``, ``workers``: as in :func:`fast_trace`."""
    inputs = check_flag("inputs", inputs)
    x, h0, mask = _check_inputs(gru, x, initial_state, mask)
    workers = _check_workers(workers, x.shape[0], gru.units)
    with blas_threads(threads):
        trace = _forward(gru, x, h0, mask, keep=True, workers=workers)
        return loss_and_grads(
            gru, trace, G, lambda dh_seq: _backward(gru, x, trace, dh_seq, inputs, workers)
        )
