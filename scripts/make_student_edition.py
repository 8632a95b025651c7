"""Write the student edition of the course: nbgrader's release of every notebook.

    python3 scripts/make_student_edition.py             # all -> student/notebooks/
    python3 scripts/make_student_edition.py 01 02       # notebooks whose name starts so
    python3 scripts/make_student_edition.py --out DIR   # all -> DIR/notebooks/

A thin wrapper around ``scripts/classroom.py release``: nbgrader's ``generate_assignment``
runs in a temporary course directory, and the released notebooks are copied out. In them
every solution is nbgrader's stub (``# YOUR CODE HERE`` / ``raise NotImplementedError()``),
the hidden autograder tests are gone, outputs are cleared, and the exercise statements and
tests are locked. A teacher who grades uses ``scripts/classroom.py`` itself.

Existing student notebooks are not overwritten (a student may have worked in them) unless
--force is given. Any Python may start this script: it hands over to the course's .venv/.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import classroom  # noqa: E402  (scripts/classroom.py, beside this file)

ROOT = classroom.ROOT
EditionError = classroom.ClassroomError


def make_student_edition(out, prefixes=(), *, source=classroom.NOTEBOOKS, force=False):
    """Write the student edition of the selected notebooks to ``out/notebooks/``; return the paths.

    Nothing is written when nbgrader refuses a notebook, or when a student notebook
    already exists and ``force`` is false.
    """
    target = Path(out) / "notebooks"
    names = [path.name for path in classroom.select(prefixes, source)]
    existing = [target / name for name in names if (target / name).exists()]
    if existing and not force:
        raise EditionError(
            f"{existing[0]} already exists (a student may have worked in it); "
            "pass --force to overwrite the student edition"
        )
    with tempfile.TemporaryDirectory() as course:
        released = classroom.release(course, prefixes, source=source)
        target.mkdir(parents=True, exist_ok=True)
        return [Path(shutil.copy(path, target / path.name)) for path in released]


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
        classroom.use_course_python()
        written = make_student_edition(args.out, args.prefixes, force=args.force)
    except EditionError as error:
        sys.exit(f"make_student_edition: {error}")
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
