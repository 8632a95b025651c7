"""nbgrader's whole round trip on the course, in a temporary course directory.

`scripts/classroom.py release` generates the students' version with nbgrader, and nbgrader's
exchange (release_assignment, fetch_assignment, submit, collect) carries it to three students
and back: one with the reference solutions, one untouched, one with a catalogued mistake in
one exercise of each notebook. `scripts/classroom.py grade` autogrades them and writes their
feedback. The hidden test cells reuse the checks students run, so the points follow the checks:
full marks, zero, and one point lost per notebook with the check's message in the feedback.
"""

import html
import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from conftest import require

pytestmark = pytest.mark.slow  # nbgrader's whole round trip

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "classroom.py"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ASSIGNMENT = "gru-lesson"

require(
    importlib.util.find_spec("nbgrader") is None and "nbgrader is not installed",
    "the teacher's extra, requirements-teacher.txt, which requirements-dev.txt installs",
)

spec = importlib.util.spec_from_file_location("classroom", SCRIPT)
classroom = importlib.util.module_from_spec(spec)
spec.loader.exec_module(classroom)

# One catalogued mistake per notebook: (exercise, text of the reference solution, the mistake).
MISTAKES = {
    "01": ("ex01_q1", "(r * h_prev) @ R_h", "r * (h_prev @ R_h)"),  # reset after the product
    "02": ("ex02_q3", '"reset before the product"', '"recurrent bias ignored"'),
    "03": ("ex03_q1", "return dz * z * (1 - z)", "return dz"),  # the sigmoid's derivative
    "04": ("ex04_q2", "np.log(z / (1 - z))", "np.log((1 - z) / z)"),  # the flipped convention
    "05": (
        "ex05_q3",
        "(steps < low).mean(axis=0), (steps > high).mean(axis=0)",
        "(steps > high).mean(axis=0), (steps < low).mean(axis=0)",
    ),  # the two shares swapped
}


def grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def solution_cells(nb):
    return {grade_id(c): c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def reference_answer(cell):
    """An exercise cell's reference solution as a student would write it: no markers."""
    return "\n".join(line for line in cell.source.split("\n") if "### " not in line)


def nbgrader(folder, exchange, *args):
    """One of nbgrader's own commands, run in ``folder`` with the exchange at ``exchange``."""
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
    }
    run = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, f"--Exchange.root={exchange}"],
        cwd=folder, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, f"nbgrader {' '.join(args)}:\n{run.stdout}{run.stderr}"


def hand_in(home, exchange, student, answers):
    """A student fetches the release from nbgrader's exchange, writes ``answers[notebook][grade_id]``
    into the exercise cells, and submits."""
    home.mkdir()
    nbgrader(home, exchange, "fetch_assignment", ASSIGNMENT, f"--course={ASSIGNMENT}")
    for path in sorted((home / ASSIGNMENT).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell_id, cell in solution_cells(nb).items():
            if cell_id in answers.get(path.name, {}):
                cell.source = answers[path.name][cell_id]
        nbformat.write(nb, path)
    nbgrader(home, exchange, "submit", ASSIGNMENT, f"--course={ASSIGNMENT}", f"--student={student}")


def mistaken(answers, number):
    cell_id, right, wrong = MISTAKES[number]
    name = next(n for n in answers if n.startswith(number))
    assert answers[name][cell_id].count(right) == 1, f"{name}: the reference solution changed"
    changed = {**answers[name], cell_id: answers[name][cell_id].replace(right, wrong)}
    return {**answers, name: changed}


def expected_message(answer_source, cell_id):
    """What the student's own check says about the mistaken answer (the feedback must say it)."""
    from gru_lesson.handset import handset_gru

    namespace = {"np": np, "handset_gru": handset_gru}
    exec(answer_source, namespace)
    module = importlib.import_module(f"gru_lesson.exercises.{cell_id[:4]}")
    exercise = getattr(module, cell_id[5:])
    status, message = exercise.diagnose(namespace[exercise.name])
    assert status == "wrong" and message, (cell_id, status)
    return message


def page_text(path):
    text = re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))
    return " ".join(html.unescape(text).split())


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    released = subprocess.run(
        [sys.executable, str(SCRIPT), "release", "--course", str(course)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert released.stdout.split() == [
        str(course / "release" / ASSIGNMENT / p.name) for p in NOTEBOOKS
    ]
    reference = {
        p.name: {i: reference_answer(c) for i, c in solution_cells(nbformat.read(p, 4)).items()}
        for p in NOTEBOOKS
    }
    one_mistake = reference
    for number in MISTAKES:
        one_mistake = mistaken(one_mistake, number)
    # released, fetched, submitted and collected through nbgrader's exchange, as on a hub
    exchange = tmp_path_factory.mktemp("exchange")
    nbgrader(course, exchange, "release_assignment", ASSIGNMENT)
    homes = tmp_path_factory.mktemp("homes")
    hand_in(homes / "reference", exchange, "reference", reference)
    hand_in(homes / "untouched", exchange, "untouched", {})
    hand_in(homes / "one-mistake", exchange, "one-mistake", one_mistake)
    nbgrader(course, exchange, "collect", ASSIGNMENT)
    graded = subprocess.run(
        [sys.executable, str(SCRIPT), "grade", "--course", str(course)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert graded.returncode == 0, graded.stderr
    return course, classroom.scores(course), graded.stdout, one_mistake


def points_of(nb):
    return sum(c.metadata["nbgrader"].get("points", 0) for c in nb.cells if grade_id(c))


def test_every_exercise_has_a_hidden_test_worth_points():
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        tests = {grade_id(c): c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
        exercises = solution_cells(nb)
        assert sorted(tests) == sorted(f"{i}_test" for i in exercises), path.name
        for cell_id, cell in tests.items():
            meta = cell.metadata["nbgrader"]
            assert meta["locked"] and meta["points"] > 0 and not meta["solution"], cell_id
            module, question = cell_id.split("_")[:2]
            function = exercises[f"{module}_{question}"].source.split("def ", 1)[1].split("(")[0]
            assert f"{module}.{question}.assert_correct({function})" in cell.source, cell.source
            hidden = cell.source.split("### BEGIN HIDDEN TESTS\n", 1)[1]
            assert hidden.endswith("### END HIDDEN TESTS"), cell_id


def test_reference_solutions_get_full_marks(course):
    _, scores, printed, _ = course
    assert set(scores) == {"reference", "untouched", "one-mistake"}
    for path in NOTEBOOKS:
        points, out_of = scores["reference"][path.stem]
        assert out_of == points_of(nbformat.read(path, as_version=4))
        assert points == out_of, path.name
    total = sum(out_of for _, out_of in scores["reference"].values())
    assert total == 17  # 3 + 3 + 4 + 4 + 3 exercises, a point each
    assert f"reference: {total:g} of {total:g} points" in printed


def test_the_untouched_release_gets_zero_and_says_not_attempted(course):
    path, scores, printed, _ = course
    assert all(points == 0 for points, _ in scores["untouched"].values())
    assert "untouched: 0 of 17 points" in printed
    feedback = path / "feedback" / "untouched" / ASSIGNMENT
    for number in MISTAKES:
        (page,) = feedback.glob(f"{number}_*.html")
        assert "not attempted" in page_text(page), page.name


CHECK = re.compile(r"\b(ex\d\d)\.(q\d+)\.check\(")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_untouched_release_runs_and_every_check_says_not_attempted(course, path):
    """nbgrader ran the student edition as released: no cell fails but the hidden tests, and
    every check a student runs says "not attempted yet"."""
    folder = course[0] / "autograded" / "untouched" / ASSIGNMENT
    nb = nbformat.read(folder / path.name, as_version=4)
    checks = 0
    for cell in [c for c in nb.cells if c.cell_type == "code"]:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if cell.metadata.get("nbgrader", {}).get("grade"):
            assert [e.ename for e in errors] == ["AssertionError"], cell.source
            assert "not attempted" in errors[0].evalue
            continue
        assert not errors, (cell.source[:200], errors)
        if CHECK.search(cell.source):
            checks += 1
            printed = "".join(o.get("text", "") for o in cell.outputs)
            assert "not attempted yet" in printed, printed
            assert "correct" not in printed and "not yet." not in printed, printed
    assert checks == len(solution_cells(nb))


def test_one_mistake_per_notebook_loses_its_point_and_the_feedback_says_why(course):
    path, scores, printed, one_mistake = course
    feedback = path / "feedback" / "one-mistake" / ASSIGNMENT
    for number, (cell_id, _, _) in MISTAKES.items():
        (name,) = [p.stem for p in NOTEBOOKS if p.name.startswith(number)]
        points, out_of = scores["one-mistake"][name]
        assert points == out_of - 1, name
        message = expected_message(one_mistake[f"{name}.ipynb"][cell_id], cell_id)
        assert message in page_text(feedback / f"{name}.html"), (name, message)
    assert "one-mistake: 12 of 17 points" in printed


def test_feedback_for_every_student_and_notebook(course):
    path, _, _, _ = course
    for student in ("reference", "untouched", "one-mistake"):
        pages = sorted(p.stem for p in (path / "feedback" / student / ASSIGNMENT).glob("*.html"))
        assert pages == [p.stem for p in NOTEBOOKS], student


def test_grading_nothing_says_where_submissions_go(tmp_path):
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "grade", "--course", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 1 and "submitted/<student>/gru-lesson/" in run.stderr
    shutil.rmtree(tmp_path)
