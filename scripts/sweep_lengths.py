"""Compute the results notebook 04 plots: SimpleRNN, GRU and LSTM across lengths, and the update gate's bias.

    .venv/bin/python scripts/sweep_lengths.py            # both experiments, full (about 95 min on a shared 2-core machine)
    .venv/bin/python scripts/sweep_lengths.py --quick    # a quick subset, to try the script (about 20 s)
    .venv/bin/python scripts/sweep_lengths.py --only bias                 # about 6 min
    .venv/bin/python scripts/sweep_lengths.py --only sweep --resume       # add seeds, lengths or models
    .venv/bin/python scripts/sweep_lengths.py --only sweep --lengths 10 20 --resume

The length sweep trains every model with the long-memory recipe (training.LONG_MEMORY: a
curriculum over lengths, fresh sequences every epoch); the bias experiment with the plain
budget (training.CONFIG). Each finished run prints a line with its result, its time and the
time elapsed. The full run writes gru_lesson/data/length_sweep.json and
gru_lesson/data/update_gate_bias.json (a quick run writes to a temporary folder unless --out
is given). Every run is seeded and deterministic, so running this again on the same machine
rewrites the same numbers.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from gru_lesson.experiments import (
    DATA_DIR,
    FULL_SWEEP,
    MODELS,
    QUICK_SWEEP,
    UPDATE_BIAS_EXPERIMENT,
    load_results,
    run_experiment,
    run_line,
    run_sweep,
    save_results,
    summarize,
)
from gru_lesson.runtime import quiet_tensorflow

quiet_tensorflow()  # before Keras imports TensorFlow (in the functions below)


def length_sweep(spec, out, resume):
    config = spec["config"]
    print(f"length sweep, config: {config}", flush=True)
    done = []
    if resume and (Path(out) / "length_sweep.json").exists():
        earlier = load_results("length_sweep", directory=out)
        if earlier["config"] == config:
            done = earlier["rows"]
            print(f"keeping {len(done)} rows computed earlier with the same config")
    rows = list(done)
    for T in spec[
        "lengths"
    ]:  # the file is rewritten after each length: --resume goes on from there
        print(f"T = {T}", flush=True)
        new = run_sweep(
            [T],
            spec["seeds"],
            spec["models"],
            config=config,
            done=rows,
            log=lambda line: print(line, flush=True),
        )
        ran = {(r["model"], r["T"], r["seed"]) for r in new}
        rows = new + [r for r in rows if (r["model"], r["T"], r["seed"]) not in ran]
        path = save_results(
            "length_sweep",
            sorted(rows, key=lambda r: (r["T"], r["seed"], list(MODELS).index(r["model"]))),
            experiment="Validation accuracy of each model with the long-memory recipe, by length",
            config=config,
            directory=out,
            lengths=sorted({r["T"] for r in rows}),
            seeds=list(spec["seeds"]),
            models=list(spec["models"]),
        )
    print(f"wrote {path}")
    for model, by_T in summarize(rows).items():
        print(f"{model:<11s}", "  ".join(f"T={T}: {m:.3f}" for T, (m, _, _) in by_T.items()))


def update_gate_bias(spec, out):
    rows, start = [], time.perf_counter()
    for T in spec["lengths"]:
        for bias in spec["update_gate_biases"]:
            for seed in spec["seeds"]:
                row = run_experiment("gru", T, seed, update_gate_bias=bias)
                rows.append(row)
                what = f"T={T:<4d} update_gate_bias={bias!s:<7s} seed={seed}"
                print(run_line(what, row, start), flush=True)
    path = save_results(
        "update_gate_bias",
        rows,
        experiment="A GRU at one length, trained from different update-gate biases",
        directory=out,
        lengths=list(spec["lengths"]),
        update_gate_biases=[
            b if isinstance(b, str) else float(b) for b in spec["update_gate_biases"]
        ],
        seeds=list(spec["seeds"]),
    )
    print(f"wrote {path}")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="a quick subset (one length, one seed)"
    )
    parser.add_argument("--only", choices=["sweep", "bias"], help="run one experiment only")
    parser.add_argument("--out", type=Path, help="output folder (default gru_lesson/data)")
    parser.add_argument(
        "--lengths", type=int, nargs="+", help="the sweep's lengths (default: all of FULL_SWEEP)"
    )
    parser.add_argument("--models", nargs="+", help="the sweep's models (default: all)")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the rows of an earlier sweep with the same config",
    )
    args = parser.parse_args()
    out = args.out
    if out is None:
        out = Path(tempfile.mkdtemp(prefix="gru_sweep_")) if args.quick else DATA_DIR
    sweep_spec = dict(QUICK_SWEEP if args.quick else FULL_SWEEP)
    if args.lengths:
        sweep_spec["lengths"] = tuple(args.lengths)
    if args.models:
        sweep_spec["models"] = tuple(args.models)
    bias_spec = dict(UPDATE_BIAS_EXPERIMENT)
    if args.quick:
        bias_spec.update(
            lengths=(bias_spec["lengths"][0],), update_gate_biases=(0.0, "chrono"), seeds=(0,)
        )
    start = time.perf_counter()
    if args.only in (None, "sweep"):
        length_sweep(sweep_spec, out, args.resume)
    if args.only in (None, "bias"):
        update_gate_bias(bias_spec, out)
    print(f"done in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
