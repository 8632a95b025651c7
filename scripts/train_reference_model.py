"""Train the course's reference GRU classifier and store it in gru_lesson/data/.

    .venv/bin/python scripts/train_reference_model.py

Trains the Keras classifier GRU(16) -> Dense(1, sigmoid), update gate started by chrono
initialization, on the "which came first, A or B?" task (seeded, about 15 s on 2 cores),
and writes gru_lesson/data/trained_gru_classifier.npz: the weights in the NumPy
classifier's format (W, R, bx, bh, V, c; plain arrays, no pickles) and a 'metadata'
entry, a JSON string saying how it was trained. Load it without TensorFlow with
gru_lesson.trained.load_trained_classifier().
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from gru_lesson.classifier import GRUClassifier
from gru_lesson.experiments import DATA_DIR, MODELS, REFERENCE_MODEL, run_experiment, train_val_sets
from gru_lesson.runtime import quiet_tensorflow
from gru_lesson.training import CONFIG, accuracy

quiet_tensorflow()  # before Keras imports TensorFlow (in the functions below)

# The reference model trains for the whole budget (no early stop), so its gates are crisp.
REFERENCE_CONFIG = replace(CONFIG, target=None)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=DATA_DIR / "trained_gru_classifier.npz")
    args = parser.parse_args()

    import keras

    T, seed, model = REFERENCE_MODEL["T"], REFERENCE_MODEL["seed"], REFERENCE_MODEL["model"]
    row, keras_model = run_experiment(model, T, seed, config=REFERENCE_CONFIG, return_model=True)
    classifier = GRUClassifier.from_keras(keras_model)
    _, _, x_val, y_val = train_val_sets(T, seed, REFERENCE_CONFIG)
    keras_accuracy = accuracy(keras_model, x_val, y_val)
    numpy_accuracy = classifier.evaluate(x_val, y_val)["accuracy"]
    metadata = {
        "description": "GRU classifier trained on the 'which came first, A or B?' memory task",
        "model": model,
        "model_options": MODELS[model],
        "T": T,
        "seed": seed,
        "units": REFERENCE_CONFIG.units,
        "input_dim": REFERENCE_CONFIG.D,
        "task": REFERENCE_CONFIG.task_options,
        "data": f"gru_lesson.experiments.train_val_sets(T={T}, seed={seed}, config)",
        "config": asdict(REFERENCE_CONFIG),
        "epochs": row["epochs"],
        "val_accuracy_keras": keras_accuracy,
        "val_accuracy_numpy": numpy_accuracy,
        "keras_version": keras.__version__,
        "numpy_version": np.__version__,
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "weights.npz"
        classifier.save_npz(path)
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    arrays["metadata"] = np.array(json.dumps(metadata))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(json.dumps(metadata, indent=1))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.1f} KB)")


if __name__ == "__main__":
    main()
