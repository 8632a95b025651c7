"""nbgrader's configuration for the course: this folder is an nbgrader course directory.

`scripts/classroom.py release` copies the course's notebooks into `source/<assignment>/` here
and runs `nbgrader generate_assignment`; `scripts/classroom.py grade` autogrades what students
handed in (`submitted/<student>/<assignment>/`) and writes their feedback. Everything nbgrader
makes here (source/, release/, submitted/, autograded/, feedback/, gradebook.db) is ignored by
git. Run nbgrader's own commands from this folder and they read this file too.
"""

from nbconvert.preprocessors import TagRemovePreprocessor
from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import ClearSolutions

c = get_config()  # noqa: F821 (nbgrader's config loader defines it)

c.CourseDirectory.course_id = "gru-lesson"

# Notebook 04 trains small models: a cell may take a minute on a slow machine (nbgrader's default
# is 30 s per cell, after which the cell counts as failed).
c.Execute.timeout = 600

# Students see nbgrader's default stub in every exercise cell.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}


class ClearSolutionsAndWhatCannotRun(ClearSolutions):
    """nbgrader's ClearSolutions, then drop the lines a stub's ``raise`` makes unreachable.

    An exercise cell may keep a line after its solution region, e.g. a ``return`` that names
    the variables the solution sets. In the student edition it would follow the stub's
    ``raise NotImplementedError()`` in the same block, where it can never run: such lines go,
    up to the first line indented less than the stub.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = drop_unreachable(cell.source)
        return cell, resources


def drop_unreachable(source, stub="raise NotImplementedError()"):
    """``source`` without the lines that follow ``stub`` in the same indented block."""
    kept, blank, block = [], [], None
    for line in source.split("\n"):
        if not line.strip():
            blank.append(line)
            continue
        indent = len(line) - len(line.lstrip())
        if block is not None and indent >= block:
            blank = []  # blank lines inside the unreachable part go with it
            continue
        kept += [*blank, line]
        blank, block = [], (indent if line.strip() == stub else None)
    return "\n".join(kept + ([] if block is not None else blank))


# A cell that discusses an exercise's answer (e.g. the closed form a solution leads to) is tagged
# "discusses-an-answer" in notebooks/: the student edition leaves it out, so that nothing below an
# exercise gives its answer away.
ANSWER_TAG = "discusses-an-answer"
c.TagRemovePreprocessor.enabled = True
c.TagRemovePreprocessor.remove_cell_tags = {ANSWER_TAG}

c.GenerateAssignment.preprocessors = [
    TagRemovePreprocessor,
    *(
        ClearSolutionsAndWhatCannotRun if step is ClearSolutions else step
        for step in GenerateAssignment.class_traits()["preprocessors"].default()
    ),
]
