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

Keras' GRU on a CPU (its default ``implementation=2``) does 2 and 7: at every step
one product for the three input blocks and one for the three recurrent blocks,
inside a TensorFlow ``while_loop``. It does not do 1 (the input product runs once
per step; cuDNN does 1 on a GPU), and it can spread its element-wise operations
and products over all cores. Masks cost nothing here when there are none: a masked step
is handled by zeroing its coefficients, never with ``np.where`` in the loop.

The results equal the readable versions to about 1e-15 in float64 and within 1e-5
in float32 (tests/test_fast_path.py checks every layer option, with and without masks).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from gru_lesson.bptt import check_backward_inputs, loss_and_dh_seq
from gru_lesson.gru import GRUTrace
from gru_lesson.validation import check_gru, check_int

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


def _check_inputs(gru, x, initial_state, mask):
    """What the forward pass needs, checked once: ``x`` and the mask in processing order."""
    check_gru(gru)
    return gru._check_inputs(x, initial_state, mask)


def _forward(gru, x, h0, mask, keep):
    """The fast forward pass on checked inputs; ``keep`` stores every gate (for a backward pass)."""
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
    # 1. The input projections of a block of steps in one product, time-major: xp[k] is
    # the (B, 3U) block of step start + k. (All steps at once would need a (T, B, 3U)
    # array; a block that stays in the cache is faster when T * B is large.)
    x_tm = np.ascontiguousarray(_time_major(x)).reshape(T * B, D)
    W_s, b_s = gru.W * half, b * half
    block = max(1, _BLOCK_ELEMENTS_FORWARD // max(1, B * 3 * U))
    xp_buf = np.empty((min(block, T) * B, 3 * U), dtype)
    if gru.reset_after:
        R_s = gru.R * half  # [R_z/2 | R_r/2 | R_h]: one product for all three gates
        bh_h = None if gru.bh is None else gru.bh[2 * U :]
    else:
        R_zr_s = 0.5 * gru.R[:, : 2 * U]
        R_h = np.ascontiguousarray(gru.R[:, 2 * U :])

    # 3. Time-major buffers; h_ext[0] is h0, h_ext[t + 1] the state after step t.
    h_ext = np.empty((T + 1, B, U), dtype)
    h_ext[0] = h0
    if keep:
        zr_all = np.empty((T, B, 2 * U), dtype)
        h_tilde_all = np.empty((T, B, U), dtype)
        m_all = np.empty((T, B, U), dtype) if gru.reset_after else None
    else:  # one step's scratch space, reused at every step
        zr_buf = np.empty((B, 2 * U), dtype)
        h_tilde_buf = np.empty((B, U), dtype)
        m_buf = np.empty((B, U), dtype)
    hR = np.empty((B, 3 * U if gru.reset_after else 2 * U), dtype)
    q = None if gru.reset_after else np.empty((B, U), dtype)

    for t in range(T):
        if t % block == 0:  # the next block's input projections, in one product
            stop = min(T, t + block)
            xp = np.matmul(x_tm[t * B : stop * B], W_s, out=xp_buf[: (stop - t) * B])
            xp += b_s
            xp = xp.reshape(stop - t, B, 3 * U)
        h_prev, h = h_ext[t], h_ext[t + 1]
        zr = zr_all[t] if keep else zr_buf
        h_tilde = h_tilde_all[t] if keep else h_tilde_buf
        xp_t = xp[t % block]
        # 2. z and r: one product, one tanh on the (B, 2U) block.
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
                    m_all[t] = m
            else:
                m = m_all[t] if keep else m_buf
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
            np.copyto(h, h_prev, where=carried[t])

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


def fast_trace(gru, x, initial_state=None, mask=None, *, threads=1):
    """What ``gru.trace(x, initial_state, mask)`` returns, computed the fast way.

    Returns a :class:`FastTrace`: the gates of every step, as ``(batch, time, units)``
    views of time-major buffers, plus what :func:`fast_backward` needs again.
    ``threads`` is the number of BLAS threads to use (``None``: as NumPy is set up).
    """
    x, h0, mask = _check_inputs(gru, x, initial_state, mask)
    with blas_threads(threads):
        return _forward(gru, x, h0, mask, keep=True)


def fast_forward(gru, x, initial_state=None, mask=None, *, threads=1):
    """What ``gru(x, initial_state, mask)`` returns, computed the fast way.

    Keeps only the states (the gates of a step are overwritten by the next), the
    way a library's inference forward pass does. ``threads``: as in :func:`fast_trace`.
    """
    x, h0, mask = _check_inputs(gru, x, initial_state, mask)
    with blas_threads(threads):
        trace = _forward(gru, x, h0, mask, keep=False)
    return gru._layer_outputs(trace)


def fast_backward(gru, x, trace, dh_seq, *, threads=1):
    """What :func:`gru_lesson.bptt.gru_backward` returns, computed the fast way.

    Takes the same arguments (a trace from :func:`fast_trace` is fastest; one from
    ``gru.trace`` works too) and returns the same dict: ``"W"``, ``"R"``, ``"bx"``,
    ``"bh"`` (as in ``gru.params``), ``"x"``, ``"h0"`` and ``"h"`` (the whole
    gradient reaching each state, processing order). Some are views of time-major
    arrays. ``threads``: as in :func:`fast_trace`.
    """
    x, dh_seq = check_backward_inputs(gru, x, trace, dh_seq)  # x in processing order
    with blas_threads(threads):
        return _backward(gru, x, trace, dh_seq)


def _backward(gru, x, trace, dh_seq):
    """The fast backward pass on checked arguments, ``x`` in processing order."""
    B, T, D = x.shape
    U = gru.units
    dtype = gru.dtype
    dh_seq = _time_major(dh_seq)

    # Everything time-major: step t is z[t], a (B, U) block.
    z, r, h_tilde = _time_major(trace.z), _time_major(trace.r), _time_major(trace.h_tilde)
    h_prev = getattr(trace, "h_prev", None)
    if h_prev is None:
        h_prev = np.concatenate([trace.h0[:, None], trace.h[:, :-1]], axis=1)
    h_prev = _time_major(h_prev)
    mask = _time_major(trace.mask)[..., None]  # (T, B, 1)
    any_masked = not mask.all()

    if gru.reset_after:
        m = getattr(trace, "m", None)
        if m is None:
            m = h_prev @ gru.R[:, 2 * U :]
            if gru.bh is not None:
                m += gru.bh[2 * U :]
        else:
            m = _time_major(m)

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

    dh_all = np.empty((T, B, U), dtype)  # the whole gradient reaching each h_t
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
    X = np.ascontiguousarray(_time_major(x)).reshape(T * B, D)
    Hp = h_prev.reshape(T * B, U)
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
    if gru.bx is not None:
        grads["bx"] = np.concatenate([da_zr.sum(axis=0), da_h.sum(axis=0)])
    if gru.bh is not None:
        grads["bh"] = ds.sum(axis=0)
    dx = da_zr @ gru.W[:, : 2 * U].T
    dx += da_h @ gru.W[:, 2 * U :].T
    dx = _time_major(dx.reshape(T, B, D))
    grads["x"] = dx[:, ::-1] if gru.go_backwards else dx
    grads["h0"] = dh_next
    grads["h"] = _time_major(dh_all)
    return grads


def fast_loss_and_grads(gru, x, G, initial_state=None, mask=None, *, threads=1):
    """:func:`gru_lesson.bptt.gru_loss_and_grads`, the fast way: ``L = sum(G * gru(x))``
    and the gradient of every weight, of ``x`` and of ``h0``. ``threads``: as in
    :func:`fast_trace`."""
    x, h0, mask = _check_inputs(gru, x, initial_state, mask)
    with blas_threads(threads):
        trace = _forward(gru, x, h0, mask, keep=True)
        loss, dh_seq = loss_and_dh_seq(gru, trace, G)
        return loss, _backward(gru, x, trace, dh_seq)
