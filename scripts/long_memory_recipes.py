"""What it takes for the chrono GRU to learn the memory task at T = 100 and T = 200: one
training recipe after another, five seeds each, and what the winning one changes inside.

    .venv/bin/python scripts/long_memory_recipes.py            # everything (its runs took 75 min on a shared 2-core machine)
    .venv/bin/python scripts/long_memory_recipes.py --resume   # keep the runs already written
    .venv/bin/python scripts/long_memory_recipes.py --settings recipe plain --lengths 100
    .venv/bin/python scripts/long_memory_recipes.py --timing --resume   # GRU and LSTM s/epoch (1 min)
    .venv/bin/python scripts/long_memory_recipes.py --mechanism --resume   # why it works again (5 min)

Every setting trains the same GRU (16 units, update gate started by chrono initialization)
through ``gru_lesson.experiments.run_experiment``, with at most 30 epochs of 2000 sequences; the
settings differ from the recipe (training.LONG_MEMORY) in one ingredient each, or from the plain
budget of notebook 04's section 3. Each finished run prints a line with its result, its time and
the time elapsed, and the file is rewritten after every run, so an interrupted run can resume.

It also measures why the recipe works (``"mechanism"`` in the file): how strongly the cue step
can move the classifier's answer (the norm of d logit / d x at the cue, the gradient that
teaches the GRU to keep the cue) at each stage's length, at the start of training and once
trained; and the update gate of the unit that carries the memory, after the cue, at 20 and at
200 steps.

Writes gru_lesson/data/long_memory_recipes.json.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from gru_lesson.experiments import (
    DATA_DIR,
    build_model,
    load_results,
    run_experiment,
    run_line,
    save_results,
)
from gru_lesson.runtime import quiet_tensorflow
from gru_lesson.training import CONFIG, LONG_MEMORY

quiet_tensorflow()  # before Keras imports TensorFlow (in the functions below)

PLAIN = replace(
    CONFIG, epochs=LONG_MEMORY.epochs
)  # section 3's budget, as many epochs as the recipe

#: name: (what differs, config). Each differs from the recipe (or from the plain budget) in one thing.
SETTINGS = {
    "recipe": ("curriculum 20, 40, 80, 160, T; fresh sequences every epoch", LONG_MEMORY),
    "plain": ("one fixed set of 2000 sequences of length T, no curriculum", PLAIN),
    "fresh": ("fresh sequences of length T every epoch, no curriculum", replace(PLAIN, fresh_data=True)),
    "fixed_stages": ("curriculum, one fixed set per stage", replace(LONG_MEMORY, fresh_data=False)),
    "no_clipping": ("curriculum, gradients not clipped", replace(LONG_MEMORY, clipnorm=None)),
    "batch_32": ("curriculum, batches of 32", replace(LONG_MEMORY, batch_size=32)),
    "batch_128": ("curriculum, batches of 128", replace(LONG_MEMORY, batch_size=128)),
    "lr_0.003": ("curriculum, learning rate 0.003", replace(LONG_MEMORY, learning_rate=3e-3)),
    "lr_0.03": ("curriculum, learning rate 0.03", replace(LONG_MEMORY, learning_rate=3e-2)),
    "units_32": ("curriculum, 32 units", replace(LONG_MEMORY, units=32)),
    "chrono_20": ("curriculum, chrono T_max = 20 instead of T", replace(LONG_MEMORY, chrono_T_max=20)),
    "advance_0.75": ("curriculum, next stage at 75% instead of 95%", replace(LONG_MEMORY, advance_at=0.75)),
}  # fmt: skip
#: (setting, T) pairs in the order they run: the deciding ones first.
PLAN = [("recipe", 200), ("recipe", 100), ("plain", 200), ("plain", 100), ("fresh", 200)] + [
    (name, 200) for name in SETTINGS if name not in ("recipe", "plain", "fresh")
]
SEEDS = (0, 1, 2, 3, 4)
MODEL = "gru_chrono"
MECHANISM_LENGTHS = (20, 40, 80, 160, 200)
TARGET = 0.95


def cue_gradient(model, T, seed, config, n=256):
    """At length ``T``, on ``n`` sequences: the median of ``|d logit / d x_cue|``, how much
    the cue step can move the answer (and so how much gradient reaches it); and the largest
    correlation of a unit's last state with the label, how visible the cue is at the end."""
    import tensorflow as tf

    from gru_lesson.gates import label_correlation
    from gru_lesson.tasks import make_memory_task

    x, y, info = make_memory_task(
        n,
        T,
        seed=np.random.default_rng([seed, T, 5]),
        return_info=True,
        **config.task_options,
    )
    x = tf.constant(x)
    rnn, dense = model.layers[-2], model.layers[-1]
    with tf.GradientTape() as tape:
        tape.watch(x)
        h_T = rnn(x)
        logit = tf.reduce_sum(h_T @ dense.kernel + dense.bias)
    g = tape.gradient(logit, x).numpy()
    gradient = float(np.median(np.linalg.norm(g[np.arange(n), info.cue_start], axis=-1)))
    visible = float(np.max(np.abs(label_correlation(h_T.numpy().astype(float), y))))
    return gradient, visible


def memory_unit(model, seed):
    """What the unit that carries the memory (notebook 05's measure, at 200 steps) does after
    the cue, at 20 and at 200 steps: its update gate (median over the holding steps of 500
    sequences), the share of steps whose candidate has the sign it holds, and the share of
    sequences whose last state keeps the sign it took after the cue."""
    from gru_lesson.classifier import GRUClassifier
    from gru_lesson.gates import hold_statistics, memory_units

    classifier = GRUClassifier.from_keras(model)
    unit = memory_units(classifier, T=200, seed=seed).top
    holds = {str(T): hold_statistics(classifier, unit, T=T, seed=seed) for T in (20, 200)}
    return {
        "memory_unit": unit,
        "memory_unit_z_after_cue": {T: h["z_quantiles"][1] for T, h in holds.items()},
        "memory_unit_candidate_agrees": {T: h["candidate_agrees"] for T, h in holds.items()},
        "memory_unit_sign_kept": {T: h["sign_kept"] for T, h in holds.items()},
    }


def mechanism(row, model, seed, config):
    """The cue gradient at every stage's length, before training and after, and what the
    memory unit does at 20 and 200 steps after training."""
    start = build_model(MODEL, row["T"], seed, config=config)  # as run_experiment starts it
    before = [cue_gradient(start, T, seed, config, n=1000) for T in MECHANISM_LENGTHS]
    after = [cue_gradient(model, T, seed, config, n=1000) for T in MECHANISM_LENGTHS]
    return {
        "lengths": list(MECHANISM_LENGTHS),
        "cue_gradient_start": [g for g, _ in before],
        "cue_gradient_trained": [g for g, _ in after],
        "label_correlation_start": [c for _, c in before],
        "label_correlation_trained": [c for _, c in after],
        **memory_unit(model, seed),
    }


def epoch_seconds(lengths=(100, 200), models=("gru_chrono", "lstm"), repeats=3):
    """Seconds per training epoch (2000 sequences, batches of 64) of each model at each length:
    the median of ``repeats`` epochs after one to warm up, models interleaved so that a busy
    machine slows both alike."""
    from gru_lesson.experiments import train_val_sets
    from gru_lesson.training import train

    times = {m: {} for m in models}
    for T in lengths:
        x, y, x_val, y_val = train_val_sets(T, 0, CONFIG)
        built = {m: build_model(m, T, 0, config=CONFIG) for m in models}
        laps = {m: [] for m in models}
        for _ in range(repeats + 1):
            for m in models:
                laps[m].append(train(built[m], x, y, x_val[:10], y_val[:10], epochs=1)["seconds"])
        for m in models:
            times[m][str(T)] = float(np.median(laps[m][1:]))
            print(f"{m:<11s} T={T:<4d} {times[m][str(T)]:.2f} s per epoch", flush=True)
    return times


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--settings", nargs="+", choices=list(SETTINGS), help="default: all")
    parser.add_argument("--lengths", type=int, nargs="+", help="default: the plan's")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="default gru_lesson/data")
    parser.add_argument("--resume", action="store_true", help="keep the runs already written")
    parser.add_argument(
        "--timing", action="store_true", help="only measure GRU and LSTM seconds per epoch"
    )
    parser.add_argument(
        "--mechanism",
        action="store_true",
        help="only retrain the recipe's runs at T = 200 and measure why it works again",
    )
    args = parser.parse_args()

    rows, timing = [], None
    if args.resume and (args.out / "long_memory_recipes.json").exists():
        earlier = load_results("long_memory_recipes", directory=args.out)
        rows, timing = earlier["rows"], earlier.get("epoch_seconds")
        print(f"keeping {len(rows)} runs written earlier")
    if args.timing:
        timing = epoch_seconds()
        save(rows, args.out, timing)
        return
    if args.mechanism:
        for row in rows:
            if row["setting"] == "recipe" and row["T"] == max(MECHANISM_LENGTHS):
                again, model = run_experiment(
                    MODEL, row["T"], row["seed"], config=SETTINGS["recipe"][1], return_model=True
                )
                assert again["val_curve"] == row["val_curve"], "the run did not repeat exactly"
                row["mechanism"] = mechanism(row, model, row["seed"], SETTINGS["recipe"][1])
                print(f"seed {row['seed']}: {row['mechanism']}", flush=True)
        save(rows, args.out, timing)
        return
    done = {(r["setting"], r["T"], r["seed"]) for r in rows}
    plan = [
        (name, T, seed)
        for name, T in PLAN
        if (not args.settings or name in args.settings) and (not args.lengths or T in args.lengths)
        for seed in SEEDS
        if (name, T, seed) not in done
    ]
    start = time.perf_counter()
    for i, (name, T, seed) in enumerate(plan, 1):
        config = SETTINGS[name][1]
        row, model = run_experiment(MODEL, T, seed, config=config, return_model=True)
        row = {"setting": name, **row}
        if name == "recipe" and T == max(MECHANISM_LENGTHS):
            row["mechanism"] = mechanism(row, model, seed, config)
        rows.append(row)
        print(
            run_line(f"[{i}/{len(plan)}] {name:<13s} T={T:<4d} seed={seed}", row, start), flush=True
        )
        save(rows, args.out, timing)
    summary = {}
    for r in rows:
        summary.setdefault((r["setting"], r["T"]), []).append(r)
    for (name, T), rs in summary.items():
        wins = sum(r["val_accuracy"] >= TARGET for r in rs)
        secs = [r["seconds"] for r in rs]
        print(
            f"{name:<13s} T={T:<4d} {wins}/{len(rs)} seeds reach {TARGET:.0%}"
            f"  {min(secs):.0f} to {max(secs):.0f} s per run"
        )
    print(f"done in {(time.perf_counter() - start) / 60:.1f} min")


def save(rows, out, timing):
    save_results(
        "long_memory_recipes",
        rows,
        experiment="The chrono GRU at T = 100 and 200 under one training recipe after another",
        config=LONG_MEMORY,
        directory=out,
        model=MODEL,
        target=TARGET,
        settings={k: {"what": what, "config": _differs(c)} for k, (what, c) in SETTINGS.items()},
        epoch_seconds=timing,
    )


def _differs(config):
    """The fields of ``config`` that differ from the recipe's, as JSON."""
    return json.loads(
        json.dumps({k: v for k, v in vars(config).items() if getattr(LONG_MEMORY, k) != v})
    )


if __name__ == "__main__":
    main()
