"""The same GRU, written the way deep-learning libraries make it fast.

:meth:`gru_lesson.GRU.trace` and :func:`gru_lesson.bptt.gru_backward` are the
readable versions: one line per equation. This module computes the very same
numbers (to rounding) with the tricks libraries use, so that a NumPy GRU runs
about as fast as Keras' own layer:

1. **One matrix product for every input projection.** ``x_t W`` does not depend
   on the state, so all time steps are projected at once, ``(T*B, D) @ (D, 3U)``,
   before the loop. Only ``h_prev R`` has to wait for the previous step.
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
6. **The backward pass precomputes** everything that does not depend on the
   gradient flowing back: with ``dh`` the gradient reaching ``h_t``, every
   pre-activation gradient is ``dh`` times a coefficient known from the forward
   pass (``da_z = dh * (h_prev - h~) * z * (1 - z)`` and so on). Those
   coefficients are computed for all steps at once; the loop only does what
   truly is sequential: ``dh_prev = dh * z + [da_z | da_r | dm] R^T``. The weight
   gradients are then one matrix product each, over time and batch together.
7. **float32** when the weights are float32 (:meth:`GRU.from_keras` gives float32):
   half the memory traffic, twice the numbers per vector instruction.
8. **One BLAS thread for the loop.** A step's product is small; waking a second
   thread for it at every step costs more than it saves, and far more when the
   other cores are busy (a shared machine, Binder). :func:`blas_threads` limits
   the BLAS library NumPy uses, as TensorFlow sizes its own thread pool per op.

Keras does 2, 4 (inside TensorFlow) and 7, but projects the inputs step by step
(1 is what cuDNN does on a GPU). Masks cost nothing when there are none: a masked
step is handled by zeroing its coefficients, never with ``np.where`` in the loop.

The results equal the readable versions to about 1e-15 in float64 and 1e-6 in
float32 (tests/test_fast_path.py checks every layer option and masks).
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
from dataclasses import dataclass

import numpy as np

from gru_lesson.gru import GRU, GRUTrace
from gru_lesson.validation import check_array

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


def _openblas():
    """NumPy's bundled OpenBLAS (its thread-count setters), or None where there is none."""
    here = os.path.dirname(np.__file__)  # the wheels keep it in numpy.libs or numpy/.dylibs
    found = glob.glob(os.path.join(os.path.dirname(here), "numpy.libs", "libscipy_openblas*"))
    found += glob.glob(os.path.join(here, ".dylibs", "libscipy_openblas*"))
    for path in sorted(found):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_", "64_"), ("scipy_", ""), ("", "")):
            try:
                get = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}")
                set_ = getattr(lib, f"{prefix}openblas_set_num_threads{suffix}")
            except AttributeError:
                continue
            get.restype, set_.argtypes = ctypes.c_int, [ctypes.c_int]
            return get, set_
    return None


_OPENBLAS = "not looked up yet"


@contextlib.contextmanager
def blas_threads(n=1):
    """Inside this block, NumPy's matrix products use at most ``n`` threads.

    Uses ``threadpoolctl`` when it is installed, otherwise the thread setters of
    the OpenBLAS that NumPy's wheels bundle; does nothing where neither is found
    (for example NumPy built on Apple's Accelerate). ``n=None`` changes nothing.
    """
    global _OPENBLAS
    if n is None:
        yield
        return
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"blas_threads needs a whole number of threads >= 1 (or None), got {n!r}")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    if threadpool_limits is not None:
        with threadpool_limits(limits=n, user_api="blas"):
            yield
        return
    if _OPENBLAS == "not looked up yet":
        _OPENBLAS = _openblas()
    if _OPENBLAS is None:
        yield
        return
    get, set_ = _OPENBLAS
    before = get()
    set_(n)
    try:
        yield
    finally:
        set_(before)


def _check_gru(gru):
    if not isinstance(gru, GRU):
        raise TypeError(f"gru must be a gru_lesson.GRU, got {type(gru).__name__}")


def _time_major(a):
    """(batch, time, ...) -> (time, batch, ...), a view."""
    return a.swapaxes(0, 1)


def _forward(gru, x, initial_state, mask, keep):
    """The fast forward pass; ``keep`` stores every gate (for a backward pass)."""
    _check_gru(gru)
    x, h0, mask = gru._check_inputs(x, initial_state, mask)  # processing order, gru.dtype
    B, T, D = x.shape
    U = gru.units
    dtype = gru.dtype
    any_masked = not mask.all()
    keep_out = ~_time_major(mask)[..., None] if any_masked else None  # (T, B, 1)

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
    # 1. Every input projection in one product, time-major: xp[t] is step t's (B, 3U) block.
    x_tm = np.ascontiguousarray(_time_major(x)).reshape(T * B, D)
    xp = (x_tm @ (gru.W * half)).reshape(T, B, 3 * U)
    xp += b * half
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
        h_prev, h = h_ext[t], h_ext[t + 1]
        zr = zr_all[t] if keep else zr_buf
        h_tilde = h_tilde_all[t] if keep else h_tilde_buf
        xp_t = xp[t]
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
            np.copyto(h, h_prev, where=keep_out[t])

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
    with blas_threads(threads):
        return _forward(gru, x, initial_state, mask, keep=True)


def fast_forward(gru, x, initial_state=None, mask=None, *, threads=1):
    """What ``gru(x, initial_state, mask)`` returns, computed the fast way.

    Keeps only the states (the gates of a step are overwritten by the next), the
    way a library's inference forward pass does. ``threads``: as in :func:`fast_trace`.
    """
    with blas_threads(threads):
        return gru._layer_outputs(_forward(gru, x, initial_state, mask, keep=False))


def _check_trace(gru, x, trace):
    if not isinstance(trace, GRUTrace) or trace.z is None:
        raise TypeError(
            "trace must be what gru.trace(x, ...) or fast_trace(gru, x, ...) returned, "
            f"got {type(trace).__name__}"
        )
    expected = (x.shape[0], x.shape[1], gru.units)
    for name in ("z", "r", "h_tilde", "h"):
        got = getattr(trace, name).shape
        if got != expected:
            raise ValueError(
                f"trace.{name} has shape {got}, but x of shape {x.shape} and a GRU with "
                f"{gru.units} units need {expected}: was the trace computed on this x with this GRU?"
            )


def fast_backward(gru, x, trace, dh_seq, *, threads=1):
    """What :func:`gru_lesson.bptt.gru_backward` returns, computed the fast way.

    Takes the same arguments (a trace from :func:`fast_trace` is fastest; one from
    ``gru.trace`` works too) and returns the same dict: ``"W"``, ``"R"``, ``"bx"``,
    ``"bh"`` (as in ``gru.params``), ``"x"``, ``"h0"`` and ``"h"`` (the whole
    gradient reaching each state, processing order). Some are views of time-major
    arrays. ``threads``: as in :func:`fast_trace`.
    """
    with blas_threads(threads):
        return _backward(gru, x, trace, dh_seq)


def _backward(gru, x, trace, dh_seq):
    _check_gru(gru)
    x = check_array("x", x, ndim=3, names="(batch, time, features)").astype(gru.dtype, copy=False)
    _check_trace(gru, x, trace)
    B, T, D = x.shape
    U = gru.units
    dtype = gru.dtype
    dh_seq = check_array("dh_seq (dLoss/dh for every step)", dh_seq, shape=(B, T, U))
    dh_seq = _time_major(dh_seq.astype(dtype, copy=False))
    if gru.go_backwards:  # the trace is in processing order: read x in that order too
        x = x[:, ::-1]

    # Everything time-major: step t is z[t], a (B, U) block.
    z, r, h_tilde = _time_major(trace.z), _time_major(trace.r), _time_major(trace.h_tilde)
    h_prev = getattr(trace, "h_prev", None)
    if h_prev is None:
        h_prev = np.concatenate([trace.h0[:, None], trace.h[:, :-1]], axis=1)
    h_prev = _time_major(h_prev)
    mask = _time_major(trace.mask)[..., None]  # (T, B, 1)
    any_masked = not mask.all()

    # 6. The coefficients: each pre-activation gradient is dh times one of these.
    one_minus_z = 1 - z
    A = h_tilde * h_tilde  # da_h = dh * A, A = (1 - z) * (1 - h~**2)
    np.subtract(1, A, out=A)
    A *= one_minus_z
    if any_masked:  # a masked step passes dh straight to h_prev: no gate gets any
        A *= mask
        z_eff = np.where(mask, z, 1)
    else:
        z_eff = z

    # The loop's outputs: dh at every step, and the recurrent-side gradients.
    dh_all = np.empty((T, B, U), dtype)
    dh_next = np.zeros((B, U), dtype)
    tmp = np.empty((B, U), dtype)
    if gru.reset_after:
        m = getattr(trace, "m", None)
        if m is None:
            m = h_prev @ gru.R[:, 2 * U :]
            if gru.bh is not None:
                m += gru.bh[2 * U :]
        else:
            m = _time_major(m)
        # ds[t] = [da_z | da_r | dm] = dh * [C | E | F]; filled in place by the loop.
        ds = np.empty((T, B, 3, U), dtype)
        C = ds[:, :, 0]  # da_z = dh * C, C = (h_prev - h~) * z * (1 - z)
        np.subtract(h_prev, h_tilde, out=C)
        C *= z
        C *= one_minus_z
        if any_masked:
            C *= mask
        np.multiply(A, r, out=ds[:, :, 2])  # dm = da_h * r
        np.multiply(ds[:, :, 2], m, out=ds[:, :, 1])  # dr = da_h * m ...
        ds[:, :, 1] *= 1 - r  # ... da_r = dr * r * (1 - r)
        RT = np.ascontiguousarray(gru.R.T)  # (3U, U)
        for t in reversed(range(T)):
            dh = dh_all[t]
            np.add(dh_seq[t], dh_next, out=dh)  # everything that reaches h_t
            ds_t = ds[t]
            np.multiply(ds_t, dh[:, None, :], out=ds_t)
            dh_next = np.matmul(ds_t.reshape(B, 3 * U), RT, out=dh_next)
            np.multiply(dh, z_eff[t], out=tmp)  # dh_prev = dh * z + ds R^T
            dh_next += tmp
        ds = ds.reshape(T * B, 3 * U)
        da_zr = ds[:, : 2 * U]
    else:
        # reset before: q = r * h_prev, dq = da_h R_h^T, da_r = dq * h_prev * r * (1 - r)
        C = (h_prev - h_tilde) * z * one_minus_z  # da_z = dh * C
        if any_masked:
            C *= mask
        E = h_prev * r * (1 - r)  # da_r = dq * E
        da = np.empty((T, B, 3 * U), dtype)  # [da_z | da_r | da_h]
        R_hT = np.ascontiguousarray(gru.R[:, 2 * U :].T)
        R_zrT = np.ascontiguousarray(gru.R[:, : 2 * U].T)
        dq = np.empty((B, U), dtype)
        for t in reversed(range(T)):
            dh = dh_all[t]
            np.add(dh_seq[t], dh_next, out=dh)
            da_t = da[t]
            np.multiply(dh, A[t], out=da_t[:, 2 * U :])  # da_h
            np.matmul(da_t[:, 2 * U :], R_hT, out=dq)
            np.multiply(dh, C[t], out=da_t[:, :U])  # da_z
            np.multiply(dq, E[t], out=da_t[:, U : 2 * U])  # da_r
            dh_next = np.matmul(da_t[:, : 2 * U], R_zrT, out=dh_next)
            np.multiply(dh, z_eff[t], out=tmp)
            dh_next += tmp
            np.multiply(dq, r[t], out=tmp)
            dh_next += tmp
        da = da.reshape(T * B, 3 * U)
        da_zr = da[:, : 2 * U]

    # The weights: one product each, time and batch flattened together.
    dh_flat = dh_all.reshape(T * B, U)
    da_h = (dh_flat * A.reshape(T * B, U)) if gru.reset_after else da[:, 2 * U :]
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
    from gru_lesson.bptt import dh_seq_from_outputs

    _check_gru(gru)
    with blas_threads(threads):
        trace = _forward(gru, x, initial_state, mask, keep=True)
        output = gru._masked_outputs(trace) if gru.return_sequences else trace.h[:, -1]
        G = check_array("G (loss weights)", G, shape=output.shape)
        dh_seq = dh_seq_from_outputs(gru, trace, G)
        return float(np.sum(G * output)), _backward(gru, x, trace, dh_seq)
