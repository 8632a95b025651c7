"""Adam and global-norm clipping in NumPy, against Keras' own optimizer."""

import numpy as np
import pytest

from gru_lesson.optim import Adam, clip_by_global_norm, global_norm


def run_both(keras, steps, seed=0, **options):
    """The same gradients through our Adam and keras.optimizers.Adam (float64 variables)."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    start = {"W": rng.normal(size=(4, 3)), "b": rng.normal(size=3)}
    params = {k: v.copy() for k, v in start.items()}
    variables = {k: keras.Variable(v.copy(), dtype="float64") for k, v in start.items()}
    ours = Adam(**options)
    theirs = keras.optimizers.Adam(**options)  # the same names, global_clipnorm too
    for t in range(steps):
        grads = {k: rng.normal(size=v.shape) * (1 + t % 4) for k, v in start.items()}
        ours.step(params, grads)
        theirs.apply_gradients([(tf.constant(grads[k]), variables[k]) for k in start])
    return params, {k: v.numpy() for k, v in variables.items()}, start


@pytest.mark.parametrize("global_clipnorm", [None, 0.5])
def test_adam_is_keras_adam_step_for_step(keras, global_clipnorm):
    # Keras computes beta**t from float32 copies of the betas; with betas that
    # float32 holds exactly, the two optimizers agree to the last bits.
    options = dict(
        learning_rate=2.0**-5, beta_1=0.875, beta_2=1 - 2.0**-9, global_clipnorm=global_clipnorm
    )
    ours, theirs, start = run_both(keras, steps=25, **options)
    for k in ours:
        assert np.abs(ours[k] - start[k]).max() > 0.1, "the parameters moved"
        np.testing.assert_allclose(ours[k], theirs[k], rtol=0, atol=1e-13)


def test_adam_defaults_are_keras_defaults(keras):
    ours, theirs, _ = run_both(keras, steps=25)
    opt = Adam()
    assert (opt.learning_rate, opt.beta_1, opt.beta_2, opt.epsilon) == (1e-3, 0.9, 0.999, 1e-7)
    for k in ours:  # the float32 betas of Keras: a few parts in a million of a step
        np.testing.assert_allclose(ours[k], theirs[k], rtol=0, atol=1e-6)


def test_adam_minimizes_an_ill_conditioned_quadratic():
    target = np.array([3.0, -2.0, 0.5])
    scale = np.array([100.0, 1.0, 0.01])
    params = {"w": np.zeros(3)}
    opt = Adam(learning_rate=0.05)
    for _ in range(2000):
        opt.step(params, {"w": 2 * scale * (params["w"] - target)})
    # Adam's per-coordinate scaling copes with curvatures 10^4 apart.
    np.testing.assert_allclose(params["w"], target, atol=1e-2)
    assert opt.iterations == 2000


def test_clip_by_global_norm_keeps_the_direction():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    assert global_norm(grads) == pytest.approx(5.0)
    clipped, norm = clip_by_global_norm(grads, 1.0)
    assert norm == pytest.approx(5.0)
    assert global_norm(clipped) == pytest.approx(1.0)
    np.testing.assert_allclose(clipped["a"], [0.6, 0.0])
    np.testing.assert_allclose(clipped["b"], [[0.8]])
    assert grads["a"][0] == 3.0, "the input is left alone"
    same, _ = clip_by_global_norm(grads, 10.0)
    np.testing.assert_array_equal(same["a"], grads["a"])


def test_clipping_bounds_every_step():
    params = {"w": np.zeros(2)}
    opt = Adam(learning_rate=0.1, global_clipnorm=1.0)
    norm = opt.step(params, {"w": np.array([1e6, -1e6])})
    assert norm == pytest.approx(np.sqrt(2) * 1e6)
    # Adam's first step moves each coordinate by about the learning rate, whatever the scale.
    np.testing.assert_allclose(np.abs(params["w"]), 0.1, rtol=1e-5)


def test_adam_updates_in_place_and_checks_its_input():
    w = np.ones(3)
    params = {"w": w}
    opt = Adam()
    opt.step(params, {"w": np.ones(3)})
    assert params["w"] is w and np.all(w < 1)
    with pytest.raises(ValueError, match="no parameter"):
        opt.step(params, {"v": np.ones(3)})
    with pytest.raises(ValueError, match="shape"):
        opt.step(params, {"w": np.ones(4)})
    with pytest.raises(ValueError, match="must be finite"):
        opt.step(params, {"w": np.array([np.nan, 0, 0])})
    with pytest.raises(ValueError, match="learning_rate"):
        Adam(learning_rate=-1)
    with pytest.raises(ValueError, match="beta_2"):
        Adam(beta_2=1.0)
    with pytest.raises(ValueError, match="global_clipnorm"):
        Adam(global_clipnorm=0)
    with pytest.raises(TypeError, match="pass global_clipnorm.*got clipnorm=1.0"):
        Adam(clipnorm=1.0)  # Keras' other clipping, each array on its own: not this Adam's
    with pytest.raises(TypeError, match="dict"):
        opt.step(params, [np.ones(3)])
