"""A synthetic sequence-classification task that can only be solved with memory.

**"Which came first, A or B?"** Each sequence is a stream of one-hot symbols.
Two of the symbols, ``A`` and ``B``, matter; the others are *filler*.

* The **cue** is a pair of adjacent steps early in the sequence, at a random
  start ``p`` in ``0 .. cue_window - 1``: either ``A B`` (label 1) or
  ``B A`` (label 0). Before the cue there is only filler, so the cue holds
  the first ``A``/``B`` of the sequence, and the label says which came first.
* After the cue come **distractors**: every later step is ``A`` with
  probability ``distractor_rate / 2``, ``B`` with the same probability, and
  filler otherwise, drawn independently of the label.

Why this is a fair test of memory:

* Everything after the cue is independent of the label, so a model that only
  sees the last ``K`` steps, with ``K`` smaller than the distance back to the
  cue, is exactly at chance.
* The cue always contributes one ``A`` and one ``B``, so counting symbols
  (summing the inputs over time, which a plain RNN can do without any gating)
  tells nothing either: both labels have the same distribution of counts.
* Distractors are the same ``A`` and ``B`` as the cue, channel for channel:
  detecting that ``A`` *appeared* is useless; the model has to store which one
  it saw *first* and keep it, unchanged, through ``T - p - 2`` later steps,
  many of which are ``A``'s and ``B``'s trying to overwrite it.

Labels are balanced exactly (``n // 2`` zeros), so chance accuracy is 50%.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gru_lesson.validation import (
    check_array,
    check_choice,
    check_int,
    check_labels,
    check_number,
    check_seed,
)

__all__ = ["A", "B", "MemoryTaskInfo", "make_memory_task", "chance_accuracy", "to_text"]

A = 0  # the feature index of symbol A
B = 1  # the feature index of symbol B
_FILLER_GLYPHS = ".-~:=+*^"  # how to_text draws filler symbols 0, 1, 2, ...
_PAD_GLYPH = "_"


@dataclass
class MemoryTaskInfo:
    """What :func:`make_memory_task` did, per sequence.

    ``cue_start`` ``(n,)``: the time index of the cue's first step, in the
    returned (padded) array. ``lengths`` ``(n,)``: the number of real steps.
    ``mask`` ``(n, T)`` boolean: ``True`` on real steps, ``False`` on padding.
    """

    cue_start: np.ndarray
    lengths: np.ndarray
    mask: np.ndarray


def chance_accuracy(y):
    """The accuracy of always answering the most common label in ``y`` (labels 0 and 1)."""
    y = check_labels("y (labels)", y)
    if y.size == 0:
        raise ValueError("y (labels) is empty: there is no label to count")
    p = float(np.mean(y == 1))
    return max(p, 1.0 - p)


def make_memory_task(
    n, T, *, seed, n_filler=2, distractor_rate=0.2, cue_window=5, min_length=None,
    padding="post", labels=None, return_info=False,
):  # fmt: skip
    """``n`` sequences of the "which came first, A or B?" task (see the module doc).

    Parameters
    ----------
    n : number of sequences (0 gives empty arrays of the right shape).
    T : number of time steps (at least ``cue_window + 1``, so every cue fits).
    seed : an int (or a ``numpy.random.Generator``); the same seed gives the same data.
    n_filler : number of filler symbols (at least 1); ``D = 2 + n_filler`` features.
    distractor_rate : probability in ``[0, 1]`` that a step after the cue is an
        ``A`` or a ``B`` (half each).
    cue_window : the cue starts at a random step ``p`` in ``0 .. cue_window - 1``
        (counted from the first real step).
    min_length : ``None`` for sequences of exactly ``T`` steps. An int in
        ``cue_window + 1 .. T`` draws each sequence's length uniformly in
        ``min_length .. T`` and pads it to ``T`` with zero vectors.
    padding : ``"post"`` puts the padding after the sequence, ``"pre"`` before it.
    labels : optional ``(n,)`` array of 0/1 to use instead of random balanced
        labels. With the same ``seed``, everything but the cue is the same
        whatever the labels (the two random streams are separate), so
        ``labels=1 - y`` gives the same sequences with the cue reversed.
    return_info : also return a :class:`MemoryTaskInfo`.

    Returns
    -------
    x : float32 ``(n, T, D)`` one-hot inputs: feature 0 is ``A``, 1 is ``B``, ``2 ..`` the
        fillers. A real step is never all zeros, so all-zero rows are padding.
    y : int32 ``(n,)`` labels, 1 when ``A`` came first.
    info : a :class:`MemoryTaskInfo`, only with ``return_info=True``.
    """
    n = check_int("n (number of sequences)", n, minimum=0)
    T = check_int("T (sequence length)", T, minimum=2)
    n_filler = check_int("n_filler", n_filler, minimum=1)
    cue_window = check_int("cue_window", cue_window, minimum=1)
    if T < cue_window + 1:
        raise ValueError(
            f"T (sequence length) must be at least cue_window + 1 = {cue_window + 1} so that "
            f"a two-step cue starting in the first {cue_window} steps fits, got T={T}"
        )
    distractor_rate = check_number("distractor_rate", distractor_rate, minimum=0, maximum=1)
    check_choice("padding", padding, ("post", "pre"))
    if min_length is not None:
        min_length = check_int("min_length", min_length, minimum=cue_window + 1)
        if min_length > T:
            raise ValueError(f"min_length must be at most T={T}, got {min_length}")
    seed = check_seed(seed)
    # Separate streams, so the labels never change the rest of a sequence.
    rng_labels, rng_cue, rng_body, rng_len = np.random.default_rng(seed).spawn(4)

    if labels is None:
        y = np.zeros(n, dtype=np.int32)
        y[: n - n // 2] = 1
        rng_labels.shuffle(y)
    else:
        y = check_labels("labels", labels, n).astype(np.int32)

    D = 2 + n_filler
    if min_length is None:
        lengths = np.full(n, T, dtype=np.int64)
    else:
        lengths = rng_len.integers(min_length, T + 1, size=n)
    cue = rng_cue.integers(0, cue_window, size=n)  # counted from the first real step

    # The body: filler everywhere, A or B at distractor_rate after the cue.
    symbols = 2 + rng_body.integers(0, n_filler, size=(n, T))
    u = rng_body.random((n, T))
    distractor = np.where(u < distractor_rate / 2, A, B)
    after_cue = np.arange(T)[None, :] >= (cue + 2)[:, None]
    symbols = np.where(after_cue & (u < distractor_rate), distractor, symbols)
    rows = np.arange(n)
    symbols[rows, cue] = np.where(y == 1, A, B)
    symbols[rows, cue + 1] = np.where(y == 1, B, A)

    x = np.zeros((n, T, D), dtype=np.float32)
    x[rows[:, None], np.arange(T)[None, :], symbols] = 1.0
    mask = np.arange(T)[None, :] < lengths[:, None]
    x[~mask] = 0.0
    cue_start = cue.copy()
    if padding == "pre":
        for i in np.flatnonzero(lengths < T):
            shift = T - lengths[i]
            x[i] = np.roll(x[i], shift, axis=0)
            mask[i] = np.roll(mask[i], shift)
        cue_start = cue + (T - lengths)
    if return_info:
        return x, y, MemoryTaskInfo(cue_start=cue_start, lengths=lengths, mask=mask)
    return x, y


def to_text(x, name="x"):
    """One sequence ``(T, D)`` as a string: ``A``, ``B``, filler ``. - ~ ...``, padding ``_``.

    Every step must be one-hot (one symbol) or all zeros (padding).
    """
    x = check_array(name, x, ndim=2, names="(T, D): one sequence", finite=True)
    D = x.shape[1]
    if not 3 <= D <= 2 + len(_FILLER_GLYPHS):
        raise ValueError(
            f"{name} must have D >= 3 features (A, B and at least one filler) and at most "
            f"{2 + len(_FILLER_GLYPHS)} ({len(_FILLER_GLYPHS)} filler symbols), got shape {x.shape}"
        )
    ones = (x == 1).sum(axis=1)
    not_one_hot = ((x != 0) & (x != 1)).any(axis=1) | (ones > 1)
    if not_one_hot.any():
        t = int(np.argmax(not_one_hot))
        raise ValueError(
            f"each step of {name} must be one-hot (one symbol) or all zeros (padding), "
            f"but step {t} is {x[t].tolist()}"
        )
    glyphs = np.array(list("AB" + _FILLER_GLYPHS[: D - 2] + _PAD_GLYPH))
    symbol = np.where(ones == 1, np.argmax(x, axis=1), D)  # D: the padding glyph
    return "".join(glyphs[symbol])
