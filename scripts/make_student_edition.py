"""Write the student edition of the course: every notebook, without its solutions.

The notebooks in notebooks/ are the course's one source. Each exercise cell holds
a reference solution between nbgrader's two marker comments, ``### BEGIN SOLUTION``
and ``### END SOLUTION``, and is marked as a solution cell in its metadata
(``"nbgrader": {"solution": true, ...}``). This script writes a copy of every
notebook in which each solution region becomes nbgrader's stub, indented like
the markers,

    # YOUR CODE HERE
    raise NotImplementedError()

and every output and execution count is cleared:

    .venv/bin/python scripts/make_student_edition.py             # all -> student/notebooks/
    .venv/bin/python scripts/make_student_edition.py 01 02       # notebooks whose name starts so
    .venv/bin/python scripts/make_student_edition.py --out DIR   # all -> DIR/notebooks/

The rules are those of nbgrader's ClearSolutions step, so a teacher who grades
with nbgrader can use notebooks/ as nbgrader source notebooks and get the same
student version from ``nbgrader generate_assignment``. A solution cell without
markers is replaced whole, as nbgrader does (a Markdown one by "YOUR ANSWER HERE").

Nothing is written when a notebook breaks a rule: a marker in a cell that is not
a solution cell, a BEGIN without its END, an END without a BEGIN, or a BEGIN
inside another solution region. The error names the notebook, the cell and the
line. Existing student notebooks are not overwritten (a student may have worked
in them) unless --force is given.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
TEXT_STUB = ["YOUR ANSWER HERE"]


class EditionError(ValueError):
    """A notebook whose solution markers break nbgrader's rules."""


def is_solution_cell(cell):
    return bool(cell.metadata.get("nbgrader", {}).get("solution", False))


def clear_solutions(source, stub, where):
    """``(source with each solution region replaced by stub, whether any region was found)``."""
    lines, begin_line, found = [], None, False
    for number, line in enumerate(source.split("\n"), start=1):
        if BEGIN in line:
            if begin_line is not None:
                raise EditionError(
                    f"{where}, line {number}: a second {BEGIN} before the {END} "
                    f"of the one on line {begin_line}"
                )
            begin_line = number
            indent = line[: len(line) - len(line.lstrip())]
            lines.extend(indent + stub_line for stub_line in stub)
            found = True
        elif END in line:
            if begin_line is None:
                raise EditionError(f"{where}, line {number}: {END} without a {BEGIN} before it")
            begin_line = None
        elif begin_line is None:
            lines.append(line)
    if begin_line is not None:
        raise EditionError(f"{where}, line {begin_line}: {BEGIN} without an {END} after it")
    return "\n".join(lines), found


def student_notebook(nb, name="notebook"):
    """The student edition of ``nb`` (a new notebook; ``nb`` is left unchanged)."""
    nb = nbformat.from_dict(nb)  # a deep copy
    for index, cell in enumerate(nb.cells, start=1):
        where = f"{name}, cell {index} of {len(nb.cells)}"
        has_markers = BEGIN in cell.source or END in cell.source
        if is_solution_cell(cell):
            stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
            source, found = clear_solutions(cell.source, stub, where)
            cell.source = source if found else "\n".join(stub)
        elif has_markers:
            raise EditionError(
                f"{where}: solution markers in a cell that is not a solution cell. Give the cell "
                'nbgrader metadata with "solution": true, or reword the text.'
            )
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    return nb


def select(prefixes, source=NOTEBOOKS):
    paths = sorted(Path(source).glob("[0-9][0-9]_*.ipynb"))
    if prefixes:
        paths = [p for p in paths if any(p.name.startswith(x) for x in prefixes)]
    if not paths:
        raise EditionError(f"no course notebook in {source} matches {' or '.join(prefixes) or '*'}")
    return paths


def make_student_edition(out, prefixes=(), *, source=NOTEBOOKS, force=False):
    """Write the student edition of the selected notebooks to ``out/notebooks/``; return the paths.

    Every notebook is converted before anything is written, so an error leaves no
    half-made edition behind.
    """
    target = Path(out) / "notebooks"
    editions = {}
    for path in select(prefixes, source):
        nb = nbformat.read(path, as_version=4)
        editions[target / path.name] = student_notebook(nb, path.name)
    existing = [p for p in editions if p.exists()]
    if existing and not force:
        raise EditionError(
            f"{existing[0]} already exists (a student may have worked in it); "
            "pass --force to overwrite the student edition"
        )
    target.mkdir(parents=True, exist_ok=True)
    for path, nb in editions.items():
        nbformat.write(nb, path)
    return list(editions)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "prefixes", nargs="*", help="only notebooks whose file name starts with one of these"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "student",
        help="folder to write to; the notebooks go to OUT/notebooks/ (default: student/)",
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite student notebooks that already exist"
    )
    args = parser.parse_args()
    try:
        written = make_student_edition(args.out, args.prefixes, force=args.force)
    except EditionError as error:
        sys.exit(f"make_student_edition: {error}")
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
