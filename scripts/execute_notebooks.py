"""Execute the course notebooks top to bottom, in place, in the current environment.

The committed notebooks keep their outputs so that they read well on GitHub;
those outputs come from this script, one clean run per notebook:

    .venv/bin/python scripts/execute_notebooks.py            # every notebook
    .venv/bin/python scripts/execute_notebooks.py 01 02      # notebooks whose name starts so

It prints the wall time of each notebook.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from gru_lesson.runtime import quiet_tensorflow
from gru_lesson.saved_outputs import drop_widget_views

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

quiet_tensorflow()  # the kernels inherit it: no TensorFlow C++ start-up lines in the outputs


def select(prefixes):
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if prefixes:
        paths = [p for p in paths if any(p.name.startswith(x) for x in prefixes)]
        if not paths:
            sys.exit(f"no notebook in {NOTEBOOKS} starts with {' or '.join(prefixes)}")
    return paths


def execute(path, timeout):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,
        record_timing=False,
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    drop_widget_views(nb)  # the course's widgets are saved as the words that say how to get them
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    nbformat.write(nb, path)
    return seconds


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "prefixes", nargs="*", help="run only notebooks whose file name starts with one of these"
    )
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    args = parser.parse_args()
    for path in select(args.prefixes):
        seconds = execute(path, args.timeout)
        print(f"{path.name:<45s} {seconds:6.1f} s")


if __name__ == "__main__":
    main()
