"""The "which came first, A or B?" task: shapes, seeds, and that only the cue carries the label."""

import numpy as np
import pytest

from gru_lesson.tasks import A, B, chance_accuracy, make_memory_task, to_text


def symbols_of(x):
    """(n, T) symbol indices, -1 on padding."""
    return np.where(x.any(axis=-1), x.argmax(axis=-1), -1)


def fit_logistic(F_train, y_train, F_test, y_test, steps=500, lr=0.5):
    """Plain logistic regression by gradient descent; held-out accuracy."""
    mu, sd = F_train.mean(0), F_train.std(0) + 1e-9
    F_train, F_test = (F_train - mu) / sd, (F_test - mu) / sd
    X = np.hstack([F_train, np.ones((len(F_train), 1))])
    Xt = np.hstack([F_test, np.ones((len(F_test), 1))])
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-X @ w))
        w -= lr * X.T @ (p - y_train) / len(y_train)
    return float(np.mean(((Xt @ w) > 0) == (y_test == 1)))


def counts_and_bigrams(s, D):
    """Bag-of-symbols and bag-of-bigrams features of symbol sequences (n, T)."""
    n = len(s)
    counts = np.stack([(s == k).sum(1) for k in range(D)], 1)
    pairs = s[:, :-1] * D + s[:, 1:]
    bigrams = np.stack([(pairs == k).sum(1) for k in range(D * D)], 1)
    return np.hstack([counts, bigrams]).reshape(n, -1).astype(float)


def test_shapes_dtypes_one_hot_and_balance():
    x, y = make_memory_task(101, 30, seed=0, n_filler=3)
    assert x.shape == (101, 30, 5) and x.dtype == np.float32
    assert y.shape == (101,) and y.dtype == np.int32
    assert np.all(x.sum(-1) == 1)  # one symbol per step
    assert set(np.unique(x)) == {0.0, 1.0}
    assert y.sum() == 51  # balanced: n - n // 2 ones
    assert chance_accuracy(y) == pytest.approx(51 / 101)


def test_same_seed_same_data_other_seed_other_data():
    x1, y1 = make_memory_task(50, 40, seed=7)
    x2, y2 = make_memory_task(50, 40, seed=7)
    x3, y3 = make_memory_task(50, 40, seed=8)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert not np.array_equal(x1, x3)
    g1 = make_memory_task(50, 40, seed=np.random.default_rng(3))
    g2 = make_memory_task(50, 40, seed=np.random.default_rng(3))
    assert np.array_equal(g1[0], g2[0])


def test_label_is_which_of_A_and_B_came_first():
    x, y, info = make_memory_task(500, 60, seed=1, cue_window=7, return_info=True)
    s = symbols_of(x)
    for i in range(len(s)):
        events = np.flatnonzero((s[i] == A) | (s[i] == B))
        first = events[0]
        assert first == info.cue_start[i] < 7  # nothing but filler before the cue
        assert s[i, first] == (A if y[i] == 1 else B)
        assert s[i, first + 1] == (B if y[i] == 1 else A)


def test_flipping_the_cue_flips_the_label_and_nothing_else():
    x, y, info = make_memory_task(300, 50, seed=2, return_info=True)
    xf, yf = make_memory_task(300, 50, seed=2, labels=1 - y)
    assert np.array_equal(yf, 1 - y)
    rows = np.arange(300)
    changed = np.zeros((300, 50), bool)
    changed[rows, info.cue_start] = changed[rows, info.cue_start + 1] = True
    # the two cue steps swap A and B ...
    assert np.array_equal(x[changed][:, [B, A, 2, 3]], xf[changed])
    # ... and every other step is untouched
    assert np.array_equal(x[~changed], xf[~changed])


def test_distractors_carry_no_information():
    """A logistic regression on counts and bigram counts of everything after
    the cue is at chance; on the whole sequence's symbol counts too. The same
    regression given the first A/B symbol is perfect (the test can fail)."""
    n, T, D = 4000, 40, 4
    x, y, info = make_memory_task(2 * n, T, seed=3, n_filler=2, return_info=True)
    s = symbols_of(x)
    post = s.copy()
    for i in range(len(s)):  # hide the cue and what came before it
        post[i, : info.cue_start[i] + 2] = 2
    F_post = counts_and_bigrams(post, D)
    acc = fit_logistic(F_post[:n], y[:n], F_post[n:], y[n:])
    assert abs(acc - 0.5) < 0.03, acc
    F_counts = np.stack([(s == k).sum(1) for k in range(D)], 1).astype(float)
    acc = fit_logistic(F_counts[:n], y[:n], F_counts[n:], y[n:])
    assert abs(acc - 0.5) < 0.03, acc
    # the cue contributes exactly one A and one B whatever the label
    assert np.all((s == A).sum(1) - (post == A).sum(1) == 1)
    assert np.all((s == B).sum(1) - (post == B).sum(1) == 1)
    first = s[np.arange(2 * n), info.cue_start]
    F_cue = np.hstack([F_post, (first == A)[:, None].astype(float)])
    assert fit_logistic(F_cue[:n], y[:n], F_cue[n:], y[n:]) > 0.99


def test_distractor_rate():
    x, y, info = make_memory_task(400, 200, seed=4, distractor_rate=0.3, return_info=True)
    s = symbols_of(x)
    after = np.arange(200)[None, :] >= (info.cue_start + 2)[:, None]
    rate = np.mean((s[after] == A) | (s[after] == B))
    assert abs(rate - 0.3) < 0.01
    assert abs(np.mean(s[after] == A) - 0.15) < 0.01
    x0, _ = make_memory_task(50, 30, seed=4, distractor_rate=0.0)
    assert np.all(symbols_of(x0).__ge__(0))
    assert np.all(((symbols_of(x0) == A) | (symbols_of(x0) == B)).sum(1) == 2)


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_variable_lengths_are_zero_padded(padding):
    T = 50
    x, y, info = make_memory_task(300, T, seed=5, min_length=12, padding=padding, return_info=True)
    assert info.lengths.min() >= 12 and info.lengths.max() <= T
    assert len(np.unique(info.lengths)) > 10
    assert np.array_equal(info.mask, x.any(-1))  # real steps are never all zeros
    assert np.array_equal(info.mask.sum(1), info.lengths)
    if padding == "post":
        assert np.all(info.mask[:, 0])
    else:
        assert np.all(info.mask[:, -1])
    s = symbols_of(x)
    rows = np.arange(300)
    assert np.all(s[rows, info.cue_start] == np.where(y == 1, A, B))
    assert np.all(info.mask[rows, info.cue_start + 1])
    # the real part is the same sequence as without padding, cut to its length
    full, yfull = make_memory_task(300, T, seed=5)
    assert np.array_equal(y, yfull)
    for i in range(0, 300, 37):
        assert np.array_equal(x[i][info.mask[i]], full[i, : info.lengths[i]])


def test_to_text():
    x, y, info = make_memory_task(3, 12, seed=6, min_length=8, return_info=True)
    for i in range(3):
        text = to_text(x[i])
        assert len(text) == 12
        assert text.count("_") == 12 - info.lengths[i]
        p = info.cue_start[i]
        assert text[p : p + 2] == ("AB" if y[i] == 1 else "BA")
    with pytest.raises(ValueError, match="shape"):
        to_text(x)


def test_seed_is_required_and_checked():
    with pytest.raises(TypeError):
        make_memory_task(4, 10)  # keyword-only seed, no default
    with pytest.raises(TypeError, match="seed"):
        make_memory_task(4, 10, seed="zero")
