"""The student edition: nbgrader's release of notebooks/, made by scripts/make_student_edition.py.

The edition is generated into a temporary folder: no solution and no hidden test is left
in it, and everything else is as in notebooks/. That it runs, every check saying "not
attempted yet", is tested where nbgrader runs it: tests/test_nbgrader_roundtrip.py. The notebooks are found by name, so each new notebook is covered as
soon as it exists.
"""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import require
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SCRIPT = ROOT / "scripts" / "make_student_edition.py"
STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
CONFIG = ROOT / "classroom" / "nbgrader_config.py"
CHECK = re.compile(r"\b(ex\d\d)\.(q\d+)\.check\(")
APPENDIX = {"06"}  # optional depth, read, run and tested, with no exercises by design
ANSWER_TAG = "discusses-an-answer"  # a cell that leaves the student edition (nbgrader_config.py)
LINK = re.compile(r"\]\(([^)\s]+)\)")

require(
    importlib.util.find_spec("nbgrader") is None and "nbgrader is not installed",
    "the teacher's extra, requirements-teacher.txt, which requirements-dev.txt installs",
)

spec = importlib.util.spec_from_file_location("make_student_edition", SCRIPT)
edition = importlib.util.module_from_spec(spec)
spec.loader.exec_module(edition)


def solution_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]


def check_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and CHECK.search(c.source)]


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("edition")
    written = edition.make_student_edition(out)
    assert sorted(p.name for p in written) == [p.name for p in NOTEBOOKS]
    return out / "notebooks"


# ----------------------------------------------------- the source notebooks
@pytest.mark.parametrize("path", NOTEBOOKS[1:], ids=lambda p: p.name)
def test_each_notebook_has_three_exercises_with_checks(path):
    nb = nbformat.read(path, as_version=4)
    solutions = solution_cells(nb)
    number = path.name[:2]
    if number in APPENDIX:
        assert not solutions and not check_cells(nb), f"{path.name} is an appendix: no exercises"
        return
    ids = [c.metadata["nbgrader"]["grade_id"] for c in solutions]
    assert len(ids) >= 3 and len(set(ids)) == len(ids), ids
    checked = [m.groups() for c in check_cells(nb) for m in CHECK.finditer(c.source)]
    module = importlib.import_module(f"gru_lesson.exercises.ex{number}")
    for grade_id in ids:
        exercise_module, question = grade_id.split("_")
        assert exercise_module == f"ex{number}", grade_id
        assert (exercise_module, question) in checked, f"no check cell calls {grade_id}"
        assert hasattr(module, question), f"gru_lesson.exercises.ex{number} has no {question}"
    for cell in check_cells(nb):
        assert cell.source.startswith("# NBVAL_CHECK_OUTPUT\n"), cell.source
        for output in cell.outputs:  # the committed run shows the reference solutions pass
            assert "correct. Well done!" in output.get("text", ""), output
    for cell in solutions:
        meta = cell.metadata["nbgrader"]
        assert meta == {
            "grade": False,
            "grade_id": meta["grade_id"],
            "locked": False,
            "schema_version": 3,
            "solution": True,
            "task": False,
        }
        assert cell.cell_type == "code" and cell.source.lstrip().startswith("def "), (
            "an exercise cell defines a function, so its stub raises only when checked"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_markers_only_where_nbgrader_expects_them(path):
    """Solution markers only in exercise cells, hidden-test markers only in graded test cells."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells, start=1):
        meta = cell.metadata.get("nbgrader", {})
        if "SOLUTION" in cell.source:
            assert meta.get("solution"), f"{path.name}, cell {index}: a marker in the prose"
        if "HIDDEN TESTS" in cell.source:
            assert meta.get("grade") and meta.get("locked"), f"{path.name}, cell {index}"


def test_slides_start_at_the_title_and_at_each_section():
    """As the teachers' guide says: the title and each section start a slide, each subsection
    a sub-slide."""
    kinds = {"## ": "slide", "### ": "subslide"}
    for path in NOTEBOOKS[1:]:  # notebook 00 has no exercise and no slides
        nb = nbformat.read(path, as_version=4)
        assert nb.cells[0].metadata["slideshow"] == {"slide_type": "slide"}
        for cell in nb.cells:
            for heading, kind in kinds.items():
                if cell.cell_type == "markdown" and cell.source.startswith(heading):
                    slide = cell.metadata.get("slideshow", {}).get("slide_type")
                    assert slide == kind, f"{path.name}: {cell.source[:40]!r} is a {slide}"


# --------------------------------------------------------- the edition itself
def release_metadata(metadata):
    """Cell metadata without what nbgrader's release adds: checksums, the lock, the cell type."""
    added = ("checksum", "cell_type")
    nbgrader = {k: v for k, v in metadata.get("nbgrader", {}).items() if k not in added}
    kept = {k: v for k, v in metadata.items() if k not in ("deletable", "editable", "nbgrader")}
    return {**kept, **({"nbgrader": nbgrader} if nbgrader else {})}


@pytest.mark.slow  # nbgrader makes an edition
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_edition_has_no_solutions_and_keeps_everything_else(path, student_dir):
    source = nbformat.read(path, as_version=4)
    source.cells = [c for c in source.cells if ANSWER_TAG not in c.metadata.get("tags", [])]
    student = nbformat.read(student_dir / path.name, as_version=4)
    assert len(student.cells) == len(source.cells)
    text = json.dumps(student)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "assert_correct"):
        assert marker not in text, marker
    for mine, theirs in zip(student.cells, source.cells, strict=True):
        assert release_metadata(mine.metadata) == theirs.metadata
        meta = theirs.metadata.get("nbgrader", {})
        if meta.get("locked"):  # read-only: the statement, the import, the hidden test
            assert mine.metadata["editable"] is False and mine.metadata["deletable"] is False
        if mine.cell_type == "code":
            assert mine.outputs == [] and mine.execution_count is None
        if meta.get("grade"):  # a hidden test: only its visible comment stays
            assert mine.source == theirs.source.split("\n### BEGIN HIDDEN TESTS", 1)[0]
            continue
        if not meta.get("solution"):
            assert mine.source == theirs.source
            continue
        lines = mine.source.split("\n")
        stubs = [i for i in range(len(lines) - 1) if [x.strip() for x in lines[i : i + 2]] == STUB]
        assert stubs, mine.source
        indent = lines[stubs[-1] + 1][: -len(STUB[1])]
        for line in lines[stubs[-1] + 2 :]:  # nothing the stub's raise makes unreachable
            assert not line.strip() or not line.startswith(indent), mine.source
        inside, solution_lines = False, []
        for line in theirs.source.split("\n"):
            if "END SOLUTION" in line:
                inside = False
            if inside and line.strip() and not line.strip().startswith("#"):
                solution_lines.append(line.strip())
            if "BEGIN SOLUTION" in line:
                inside = True
                indent = line[: len(line) - len(line.lstrip())]
                assert f"{indent}{STUB[0]}" in lines and f"{indent}{STUB[1]}" in lines
        assert solution_lines, "a solution region holds code"
        for line in solution_lines:
            assert line not in {x.strip() for x in lines}, f"solution line left: {line}"


@pytest.mark.slow  # nbgrader makes an edition
def test_exercise_3_of_notebook_01_has_no_unreachable_return(student_dir):
    (path,) = student_dir.glob("01_*.ipynb")
    nb = nbformat.read(path, as_version=4)
    (cell,) = [c for c in solution_cells(nb) if c.metadata["nbgrader"]["grade_id"] == "ex01_q3"]
    assert cell.source.endswith("\n".join(f"    {line}" for line in STUB)), cell.source
    assert "return b_remember, b_forget" not in cell.source


# --------------------------------------------------- the release's extra rule
def drop_unreachable():
    """The function of classroom/nbgrader_config.py that tidies a stub's cell."""
    import runpy

    return runpy.run_path(str(CONFIG), init_globals={"get_config": Config})["drop_unreachable"]


@pytest.mark.parametrize(
    "source, expected",
    [
        ("def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()\n    return a, b",
         "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()"),
        ("def f():\n    raise NotImplementedError()\n\n    x = 1\n\n\nvalue = 3",
         "def f():\n    raise NotImplementedError()\n\n\nvalue = 3"),
        ("class A:\n    def f(self):\n        raise NotImplementedError()\n\n    def g(self):\n        return 1",
         "class A:\n    def f(self):\n        raise NotImplementedError()\n\n    def g(self):\n        return 1"),
        ("def f():\n    if x:\n        raise NotImplementedError()\n    return 2",
         "def f():\n    if x:\n        raise NotImplementedError()\n    return 2"),
    ],
)  # fmt: skip
def test_only_what_a_stub_makes_unreachable_is_dropped(source, expected):
    assert drop_unreachable()(source) == expected


# -------------------------------------------------------------- the script
def notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for index, (kind, source, solution) in enumerate(cells):
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        cell = make(source)
        if solution:
            cell.metadata["nbgrader"] = {
                "grade": False, "grade_id": f"q{index}", "locked": False,
                "schema_version": 3, "solution": True, "task": False,
            }  # fmt: skip
        nb.cells.append(cell)
    return nb


@pytest.mark.slow  # nbgrader makes an edition
def test_a_marker_outside_an_exercise_cell_is_refused_and_nothing_is_written(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    nbformat.write(notebook(("code", "x = 1", False)), source / "00_fine.ipynb")
    broken = notebook(("code", "### BEGIN SOLUTION\nx = 1\n### END SOLUTION", False))
    nbformat.write(broken, source / "01_broken.ipynb")
    with pytest.raises(edition.EditionError, match="Solution region detected in a non-solution"):
        edition.make_student_edition(tmp_path / "out", source=source)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow  # nbgrader makes an edition
def test_existing_student_work_is_not_overwritten_without_force(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    nbformat.write(
        notebook(
            ("code", "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", True)
        ),
        source / "00_a.ipynb",
    )
    (written,) = edition.make_student_edition(tmp_path / "out", source=source)
    written.write_text("a student's work")
    with pytest.raises(edition.EditionError, match="--force"):
        edition.make_student_edition(tmp_path / "out", source=source)
    assert written.read_text() == "a student's work"
    edition.make_student_edition(tmp_path / "out", source=source, force=True)
    stub = "\n".join(f"    {line}" for line in STUB)
    assert nbformat.read(written, as_version=4).cells[0].source == f"def f():\n{stub}"


@pytest.mark.slow  # nbgrader makes an edition
def test_the_documented_command_works_from_a_python_without_the_course(tmp_path):
    """`python3 scripts/make_student_edition.py` hands over to .venv when its Python lacks nbgrader.

    ``-S`` leaves out site-packages, so this Python has neither nbformat nor nbgrader.
    """
    run = subprocess.run(
        [sys.executable, "-S", str(SCRIPT), "01", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.strip() == str(tmp_path / "notebooks" / NOTEBOOKS[1].name)
    failed = subprocess.run(
        [sys.executable, str(SCRIPT), "99", "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert failed.returncode == 1 and "no course notebook" in failed.stderr
