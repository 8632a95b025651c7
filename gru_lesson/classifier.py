"""A GRU sequence classifier in NumPy, trained end to end without TensorFlow.

The model reads a sequence, keeps the GRU's last output and turns it into a probability::

    h_T = GRU(x)                 (batch, units)     the last output (the last state, unless masked)
    o   = h_T V + c              (batch,)           a logit
    p   = sigmoid(o)                                probability of class 1
    L   = mean over the batch of  -y log p - (1 - y) log(1 - p)     binary cross-entropy

Backwards, the cross-entropy and the sigmoid together give the famously simple::

    do   = (p - y) / batch
    dV   = h_T^T do      dc = sum(do)      dh_T = do V^T

and ``dh_T`` enters :func:`gru_lesson.bptt.gru_backward` at the last step (through
:func:`~gru_lesson.bptt.dh_seq_from_outputs`, which follows masked steps).
:class:`~gru_lesson.optim.Adam` does the updates. The same model in Keras is
``Sequential([GRU(units), Dense(1, activation="sigmoid")])``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from gru_lesson.bptt import dh_seq_from_outputs, gru_backward
from gru_lesson.gru import GRU, sigmoid
from gru_lesson.initializers import check_update_gate_bias, glorot_uniform, set_update_gate_bias
from gru_lesson.optim import CLIPNORM_IS_NOT_GLOBAL, Adam
from gru_lesson.progress import ProgressLine, scores_text
from gru_lesson.validation import (
    check_array,
    check_flag,
    check_gru,
    check_int,
    check_labels,
    check_mask,
)

__all__ = ["GRUClassifier", "binary_cross_entropy"]

_NPZ_FORMAT = "gru_lesson.GRUClassifier/1"
# The GRU's options a classifier file keeps (its weights give units, dtype and use_bias).
_GRU_OPTIONS = (
    "reset_after",
    "go_backwards",
    "zero_output_for_mask",
    "dropout",
    "recurrent_dropout",
)


def binary_cross_entropy(o, y):
    """Mean of ``-y log p - (1-y) log(1-p)`` with ``p = sigmoid(o)``, computed from the logit ``o``.

    Written as ``max(o, 0) - o*y + log(1 + exp(-|o|))``, which never takes the log of 0.
    ``o`` and ``y`` are ``(n,)``; ``y`` holds 0s and 1s.
    """
    o = check_array("o (logits)", o, ndim=1, finite=True)
    y = check_labels("y (labels)", y, n=o.shape[0])
    if o.shape[0] == 0:
        raise ValueError("the mean cross-entropy of no example is undefined: o and y are empty")
    return float(np.mean(np.maximum(o, 0) - o * y + np.log1p(np.exp(-np.abs(o)))))


def _accuracy(o, y):
    """The share of logits ``o`` on the side of their label ``y`` (a positive logit means 1)."""
    return float(np.mean((o > 0) == (y == 1)))


class GRUClassifier:
    """GRU, then its last output, then a dense sigmoid output: a binary sequence classifier.

    ``V`` (units, 1) and ``c`` (1,) are the output layer's weights. :attr:`params` are the
    arrays the model uses, so an optimizer updating them in place trains the model.
    """

    def __init__(self, gru, V, c):
        check_gru(gru)
        if gru.return_sequences or gru.return_state:
            raise ValueError(
                "the classifier reads the GRU's last output: give it a GRU with "
                "return_sequences=False and return_state=False"
            )
        self.gru = gru
        V = check_array("V (output weights)", V, shape=(gru.units, 1), finite=True)
        self.V = V.astype(gru.dtype)
        self.c = check_array("c (output bias)", c, shape=(1,), finite=True).astype(gru.dtype)
        self.optimizer = None

    # ------------------------------------------------------------------ build
    @classmethod
    def initialize(cls, input_dim, units, *, seed=None, update_gate_bias=0.0, **gru_options):
        """Fresh weights drawn the way Keras draws them: the GRU's by :meth:`GRU.initialize`
        (which takes ``gru_options``: ``reset_after``, ``use_bias``, ``dtype``, ...), the
        output layer's ``V`` Glorot-uniform and ``c`` zero.

        ``update_gate_bias`` sets the update gate's input bias ``bx_z`` (Keras' default is 0): a
        positive value makes ``z`` start close to 1, so that the state, and the gradient,
        survive more steps (notebook 03 shows what it does). One number for every unit,
        or an array of ``units`` numbers, one per unit (chrono initialization).
        """
        gru = GRU.initialize(input_dim, units, seed=seed, **gru_options)
        bias = check_update_gate_bias(update_gate_bias, gru.units, name="update_gate_bias")
        if np.any(bias != 0):
            set_update_gate_bias(gru, bias)
        V = glorot_uniform((gru.units, 1), seed=None if seed is None else seed + 1)
        return cls(gru, V, np.zeros(1))

    @property
    def params(self):
        """Every weight by name: ``{"W", "R"[, "bx"[, "bh"]], "V", "c"}`` (the arrays themselves)."""
        return dict(self.gru.params, V=self.V, c=self.c)

    @property
    def dtype(self):
        return self.gru.dtype

    def count_params(self):
        return self.gru.count_params() + self.V.size + self.c.size

    def __repr__(self):  # the GRU's sizes and options, under the classifier's name
        return "GRUClassifier" + repr(self.gru).removeprefix("GRU")

    # ---------------------------------------------------------------- forward
    def _check_xy(self, x, y):
        x = check_array("x", x, ndim=3, names="(batch, time, features)", finite=True)
        y = check_labels("y (labels)", y, n=x.shape[0])
        if x.shape[0] == 0:
            raise ValueError(
                f"x and y hold no sequence (x has shape {x.shape}): a mean loss needs at least one"
            )
        return x, y.astype(self.dtype)

    def logits(self, x, mask=None):
        """``o = h_T V + c`` for every sequence, shape (batch,)."""
        h_T = self.gru(x, mask=mask)  # the GRU's last output
        return (h_T @ self.V + self.c)[:, 0]

    def predict_proba(self, x, mask=None):
        """The probability of class 1 for every sequence, shape (batch,)."""
        return sigmoid(self.logits(x, mask=mask))

    def predict(self, x, mask=None):
        """Class 0 or 1 for every sequence (probability above 0.5 means 1)."""
        return (self.predict_proba(x, mask=mask) > 0.5).astype(int)

    def evaluate(self, x, y, mask=None):
        """``{"loss", "accuracy"}`` on a data set."""
        x, y = self._check_xy(x, y)
        o = self.logits(x, mask=mask)
        return {"loss": binary_cross_entropy(o, y), "accuracy": _accuracy(o, y)}

    # --------------------------------------------------------------- backward
    def loss_and_grads(self, x, y, mask=None):
        """The mean binary cross-entropy on ``(x, y)`` and its gradient for every parameter.

        Returns ``(loss, grads, accuracy)``; ``grads`` has the keys of :attr:`params`.
        """
        x, y = self._check_xy(x, y)
        B = x.shape[0]
        gru = self.gru
        trace = gru.trace(x, mask=mask)
        h_T = gru._layer_outputs(trace)  # the GRU's last output
        o = (h_T @ self.V + self.c)[:, 0]
        p = sigmoid(o)
        loss = binary_cross_entropy(o, y)

        do = ((p - y) / B)[:, None]  # (batch, 1)
        dh_seq = dh_seq_from_outputs(gru, trace, do @ self.V.T)  # dh_T, at the last step
        grads = gru_backward(gru, x, trace, dh_seq, inputs=False)  # the weights' only
        grads = {k: grads[k] for k in gru.params}
        grads["V"] = h_T.T @ do
        grads["c"] = do.sum(axis=0)
        return loss, grads, _accuracy(o, y)

    # ---------------------------------------------------------------- training
    def fit(
        self,
        x,
        y,
        epochs=10,
        batch_size=32,
        seed=0,
        validation_data=None,
        *,
        mask=None,
        learning_rate=1e-2,
        global_clipnorm=1.0,
        optimizer=None,
        shuffle=True,
        progress="auto",
        clipnorm=None,
    ):
        """Train with mini-batch Adam; returns the history, a dict of per-epoch lists.

        ``"loss"`` and ``"accuracy"``: the means over the epoch's batches (as Keras reports
        them); ``"val_loss"`` and ``"val_accuracy"``: measured after each epoch when
        ``validation_data=(x_val, y_val[, mask_val])`` is given; ``"grad_norm"``: the epoch's
        largest gradient norm (before clipping); ``"seconds"``: the epoch's time.

        Each call starts a fresh ``Adam(learning_rate, global_clipnorm=global_clipnorm)`` unless an
        ``optimizer`` is passed (to continue training, pass ``model.optimizer``); Keras'
        ``clipnorm``, which clips each weight array on its own, is refused with a message.
        ``mask`` (n, time), True on real steps, skips padding (see :meth:`GRU.trace`).
        ``seed`` fixes the order of the batches. ``progress``: one of
        :data:`~gru_lesson.progress.MODES` or None (see :class:`~gru_lesson.progress.ProgressLine`).
        """
        if clipnorm is not None:
            raise TypeError(
                f"fit trains with gru_lesson's Adam: {CLIPNORM_IS_NOT_GLOBAL}, got clipnorm={clipnorm!r}"
            )
        x, y = self._check_xy(x, y)
        epochs = check_int("epochs", epochs, minimum=1)
        batch_size = check_int("batch_size", batch_size, minimum=1)
        seed = check_int("seed", seed, minimum=0)
        shuffle = check_flag("shuffle", shuffle)
        mask = check_mask(mask, x.shape[:2])
        if self.gru.dropout or self.gru.recurrent_dropout:
            raise NotImplementedError(
                "fit trains without dropout, but the GRU has "
                f"dropout={self.gru.dropout}, recurrent_dropout={self.gru.recurrent_dropout}"
            )
        if validation_data is not None:
            if not (isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3)):
                raise ValueError(
                    "validation_data must be (x_val, y_val) or (x_val, y_val, mask_val)"
                )
            x_val, y_val = self._check_xy(*validation_data[:2])
            mask_val = validation_data[2] if len(validation_data) == 3 else None
            mask_val = check_mask(mask_val, x_val.shape[:2], name="mask_val")
        if optimizer is None:
            optimizer = Adam(learning_rate, global_clipnorm=global_clipnorm)
        elif not isinstance(optimizer, Adam):
            raise TypeError(
                f"optimizer must be a gru_lesson.optim.Adam, got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer

        N = x.shape[0]
        rng = np.random.default_rng(seed)
        params = self.params
        history = {"loss": [], "accuracy": [], "grad_norm": [], "seconds": []}
        if validation_data is not None:
            history["val_loss"], history["val_accuracy"] = [], []
        line = ProgressLine(epochs, mode=progress)
        n_batches = -(-N // batch_size)
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            order = rng.permutation(N) if shuffle else np.arange(N)
            loss_sum = correct = worst_norm = 0.0
            for k in range(n_batches):
                batch = order[k * batch_size : (k + 1) * batch_size]
                loss, grads, accuracy = self.loss_and_grads(
                    x[batch], y[batch], mask=None if mask is None else mask[batch]
                )
                worst_norm = max(worst_norm, optimizer.step(params, grads))
                loss_sum += loss * len(batch)
                correct += accuracy * len(batch)
                seen = min((k + 1) * batch_size, N)
                line.update(epoch, (k + 1) / n_batches, scores_text({"loss": loss_sum / seen}))
            scores = {"loss": loss_sum / N, "accuracy": correct / N, "grad_norm": worst_norm}
            if validation_data is not None:
                val = self.evaluate(x_val, y_val, mask=mask_val)
                scores.update(val_loss=val["loss"], val_accuracy=val["accuracy"])
            scores["seconds"] = time.perf_counter() - start
            for name, value in scores.items():
                history[name].append(value)
            line.end_epoch(epoch, scores_text(scores))
        line.close()
        return history

    # ------------------------------------------------------------------ Keras
    def to_keras(self, dtype=None, mask_zeros=False):
        """The same model in Keras: ``Sequential([Input, GRU(units), Dense(1, "sigmoid")])``.

        With ``mask_zeros=True`` a ``Masking(0.0)`` layer comes first, so that all-zero
        steps (padding) are skipped, as ``mask=np.any(x != 0, axis=-1)`` does here.
        """
        from gru_lesson.keras_twin import keras_layer_options, set_keras_weights
        from gru_lesson.training import keras_classifier

        gru = self.gru
        model = keras_classifier(
            "gru",
            gru.units,
            T=None,
            D=gru.input_dim,
            mask=check_flag("mask_zeros", mask_zeros),
            dtype=dtype or self.dtype.name,
            **keras_layer_options(gru),
        )
        set_keras_weights(model.get_layer("gru"), gru)
        model.get_layer("output").set_weights([self.V, self.c])
        return model

    @classmethod
    def from_keras(cls, model):
        """The NumPy twin of a Keras model made of a ``GRU`` and a ``Dense(1, "sigmoid")``.

        A leading ``Masking(0.0)`` layer is accepted (pass the mask to the NumPy model's
        methods yourself: ``mask=np.any(x != 0, axis=-1)``).
        """
        import keras

        from gru_lesson.keras_twin import gru_from_keras

        layers = getattr(model, "layers", None)
        if layers and isinstance(layers[0], keras.layers.Masking):
            if float(layers[0].mask_value) != 0.0:
                raise ValueError(
                    f"only Masking(mask_value=0.0) is supported, got {layers[0].mask_value!r}"
                )
            layers = layers[1:]
        wanted = (keras.layers.GRU, keras.layers.Dense)
        if layers is None or len(layers) != 2 or not all(map(isinstance, layers, wanted)):
            kinds = None if layers is None else [type(layer).__name__ for layer in layers]
            raise ValueError(
                "expected a Keras model with two layers, GRU then Dense "
                f"(optionally after a Masking layer), got {kinds}"
            )
        gru_layer, dense = layers
        activation = getattr(dense.activation, "__name__", str(dense.activation))
        if dense.units != 1 or activation != "sigmoid" or not dense.use_bias:
            raise ValueError(
                "the output layer must be Dense(1, activation='sigmoid') with a bias, got "
                f"Dense({dense.units}, activation={activation!r}, use_bias={dense.use_bias})"
            )
        V, c = dense.get_weights()
        return cls(gru_from_keras(gru_layer), V, c)  # which refuses return_sequences=True

    # ------------------------------------------------------------------- files
    def save_npz(self, path, metadata=None):
        """Store the weights and the options in a plain ``.npz`` file (no pickles).

        ``metadata``, a JSON-serializable dict (how the model was trained, say), is
        stored as a JSON string under the name ``"metadata"``:
        ``json.loads(str(np.load(path)["metadata"]))`` reads it back.
        """
        arrays = {k: np.asarray(v) for k, v in self.params.items()}
        if metadata is not None:
            if not isinstance(metadata, dict):
                raise TypeError(f"metadata must be a dict, got {type(metadata).__name__}")
            arrays["metadata"] = np.array(json.dumps(metadata))
        options = {name: np.array(getattr(self.gru, name)) for name in _GRU_OPTIONS}
        np.savez(Path(path), format=np.array(_NPZ_FORMAT), **options, **arrays)

    @classmethod
    def load_npz(cls, path):
        """A classifier from a file written by :meth:`save_npz`."""
        with np.load(Path(path), allow_pickle=False) as f:
            if "format" not in f.files or str(f["format"]) != _NPZ_FORMAT:
                raise ValueError(
                    f"{path} is not a GRUClassifier file (expected format {_NPZ_FORMAT!r}, "
                    f"found {str(f['format']) if 'format' in f.files else 'none'})"
                )
            # Files from before an option was stored hold its default.
            options = {name: f[name].item() for name in _GRU_OPTIONS if name in f.files}
            biases = [f[name] if name in f.files else None for name in ("bx", "bh")]
            return cls(GRU(f["W"], f["R"], *biases, **options), f["V"], f["c"])
