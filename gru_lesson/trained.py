"""The trained GRU classifier the course ships, read with NumPy only (no TensorFlow, no widgets).

Notebook 04 trains it (``scripts/train_reference_model.py`` writes
``gru_lesson/data/trained_gru_classifier.npz``); notebook 05, its exercises and
the gate explorer open it with :func:`load_trained_classifier`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gru_lesson.classifier import GRUClassifier

__all__ = ["load_trained_classifier"]

#: Where the shipped model is stored.
TRAINED_MODEL = Path(__file__).resolve().parent / "data" / "trained_gru_classifier.npz"


def load_trained_classifier(path=None):
    """``(classifier, metadata)``: the :class:`~gru_lesson.classifier.GRUClassifier`
    (``classifier.gru`` the NumPy GRU, ``classifier.V`` and ``classifier.c`` the dense
    output layer) and a dict saying how it was trained (task options, ``T``, ``units``,
    validation accuracy, Keras version)."""
    path = Path(path) if path is not None else TRAINED_MODEL
    classifier = GRUClassifier.load_npz(path)
    with np.load(path, allow_pickle=False) as f:
        if "metadata" not in f.files:
            raise ValueError(f"{path} holds no training metadata (a 'metadata' entry)")
        return classifier, json.loads(str(f["metadata"]))
