"""The teacher's command: release the course with nbgrader, then grade what students hand in.

    python3 scripts/classroom.py release            # classroom/release/gru-lesson/*.ipynb
    python3 scripts/classroom.py release 01 02      # only the notebooks whose name starts so
    python3 scripts/classroom.py grade              # autograde classroom/submitted/*/gru-lesson/
    python3 scripts/classroom.py ... --course DIR   # another nbgrader course directory

``release`` copies notebooks/ into the course directory's ``source/<assignment>/`` and runs
``nbgrader generate_assignment``: every solution becomes nbgrader's ``# YOUR CODE HERE`` stub,
outputs are cleared, the hidden autograder tests are taken out, and the exercise statements
and tests are locked. ``grade`` runs ``nbgrader autograde`` on every submission in
``submitted/<student>/<assignment>/``, then ``nbgrader generate_feedback`` (an HTML page per
notebook in ``feedback/<student>/<assignment>/``), and prints each student's points.

The course directory is ``classroom/`` by default; its ``nbgrader_config.py`` is the course's
nbgrader configuration, and is copied into any other course directory that has none. nbgrader
is a teacher's extra: ``.venv/bin/python -m pip install -r requirements-teacher.txt``. Any
Python may start this script: it hands over to the course's ``.venv/`` when nbgrader is missing.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CLASSROOM = ROOT / "classroom"
CONFIG = CLASSROOM / "nbgrader_config.py"
ASSIGNMENT = "gru-lesson"
VENV_PYTHON = ROOT / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
# Keeps TensorFlow's C++ log lines out of notebook outputs (read without importing the package).
quiet_tensorflow = runpy.run_path(str(ROOT / "gru_lesson" / "runtime.py"))["quiet_tensorflow"]
HANDED_OVER = "GRU_LESSON_CLASSROOM_IN_VENV"  # set once this script has handed over to .venv


class ClassroomError(RuntimeError):
    """Something a teacher can fix: the message says what."""


def use_course_python():
    """Run this script again with .venv's Python when this one has no nbgrader."""
    if importlib.util.find_spec("nbgrader") is not None:
        return
    if VENV_PYTHON.exists() and HANDED_OVER not in os.environ:
        args = [str(VENV_PYTHON), *sys.argv]
        env = {**os.environ, HANDED_OVER: "1"}
        if os.name == "posix":
            os.execve(args[0], args, env)
        sys.exit(subprocess.call(args, env=env))
    raise ClassroomError(
        "nbgrader is not installed in this Python. Install the teacher's extra into the "
        "course's environment: .venv/bin/python -m pip install -r requirements-teacher.txt"
    )


def nbgrader(course, *args):
    """Run one nbgrader command in the course directory; fail with its output if it fails."""
    env = quiet_tensorflow(dict(os.environ))
    # nbgrader runs `alembic` (its database migrations) from PATH: the one beside this Python.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    cmd = [sys.executable, "-m", "nbgrader", *args]
    run = subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True)
    if run.returncode != 0:
        raise ClassroomError(f"`nbgrader {' '.join(args)}` failed:\n{run.stdout}{run.stderr}")
    return run


def select(prefixes=(), source=NOTEBOOKS):
    paths = sorted(Path(source).glob("[0-9][0-9]_*.ipynb"))
    if prefixes:
        paths = [p for p in paths if any(p.name.startswith(x) for x in prefixes)]
    if not paths:
        raise ClassroomError(
            f"no course notebook in {source} matches {' or '.join(prefixes) or '*'}"
        )
    return paths


def prepare(course):
    """The course directory, with the course's nbgrader config in it."""
    course = Path(course).resolve()
    course.mkdir(parents=True, exist_ok=True)
    if not (course / "nbgrader_config.py").exists():
        shutil.copy(CONFIG, course / "nbgrader_config.py")
    return course


def release(course=CLASSROOM, prefixes=(), assignment=ASSIGNMENT, *, source=NOTEBOOKS):
    """Generate the students' version of the selected notebooks; return their paths."""
    paths = select(prefixes, source)
    course = prepare(course)
    folder = course / "source" / assignment
    if folder.exists():  # always made afresh from notebooks/, the one source
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for path in paths:
        shutil.copy(path, folder / path.name)
    nbgrader(course, "generate_assignment", assignment, "--force")
    return [course / "release" / assignment / path.name for path in paths]


def grade(course=CLASSROOM, assignment=ASSIGNMENT):
    """Autograde every submission of ``assignment``, write the feedback; return the scores."""
    course = prepare(course)
    students = sorted(p.parent.name for p in course.glob(f"submitted/*/{assignment}"))
    if not students:
        raise ClassroomError(
            f"nothing to grade: no {course}/submitted/<student>/{assignment}/ folder. Put each "
            f"student's notebooks there (or let nbgrader's exchange collect them)."
        )
    nbgrader(course, "autograde", assignment, "--force")
    nbgrader(course, "generate_feedback", assignment, "--force")
    return scores(course, assignment)


def scores(course, assignment=ASSIGNMENT):
    """``{student: {notebook: (points, out of)}}`` from the course's gradebook."""
    from nbgrader.api import Gradebook

    table = {}
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gradebook:
        for notebook in gradebook.find_assignment(assignment).notebooks:
            for submission in notebook.submissions:
                student = submission.student.id
                table.setdefault(student, {})[notebook.name] = (
                    submission.score,
                    notebook.max_score,
                )
    return table


def print_scores(table):
    for student, notebooks in sorted(table.items()):
        got = sum(points for points, _ in notebooks.values())
        total = sum(out_of for _, out_of in notebooks.values())
        each = ", ".join(
            f"{name[:2]} {points:g}/{out_of:g}"
            for name, (points, out_of) in sorted(notebooks.items())
            if out_of
        )
        print(f"{student}: {got:g} of {total:g} points ({each})")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in [
        ("release", "generate the students' version with nbgrader"),
        ("grade", "autograde the submissions and write their feedback"),
    ]:
        command = commands.add_parser(name, help=text)
        command.add_argument(
            "--course",
            type=Path,
            default=CLASSROOM,
            help="nbgrader course directory (default: classroom/)",
        )
        command.add_argument("--assignment", default=ASSIGNMENT, help=f"default: {ASSIGNMENT}")
        if name == "release":
            command.add_argument(
                "prefixes",
                nargs="*",
                help="only notebooks whose file name starts with one of these",
            )
    args = parser.parse_args(argv)
    try:
        use_course_python()
        if args.command == "release":
            for path in release(args.course, args.prefixes, args.assignment):
                print(path)
        else:
            print_scores(grade(args.course, args.assignment))
            print(f"feedback: {Path(args.course).resolve() / 'feedback'}")
    except ClassroomError as error:
        sys.exit(f"classroom: {error}")


if __name__ == "__main__":
    main()
