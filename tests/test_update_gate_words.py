"""One vocabulary for the update gate, everywhere a student reads about it.

Notebook 01 defines it: with z near 1 a unit *keeps* its state, with z near 0 it
*writes* its candidate. "Open", "shut" and "closed" say neither (texts disagree on
which end is which), so no sentence about the update gate may use them: not in the
notebooks' text, code comments and strings, nor in the messages and hints of the
exercise checks and the explorer. The reset gate may keep its own words.

Each notebook from 01 on also opens with what the student will be able
to do and closes, before the navigation, with the key takeaways.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))[1:]
MODULES = [
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "gru_lesson/explorer").glob("*.py")),
    "gru_lesson/gates.py",
    "gru_lesson/handset.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "gru_lesson/exercises").glob("*.py")),
]

# A word in quotes is named, not used: notebook 01 names the words it does not use.
FORBIDDEN = re.compile(
    r'(?<!")\b(open|opens|opened|opening|shut|shuts|shutting|closed|closes|closing)\b(?!")', re.I
)
UPDATE_GATE = re.compile(r"update[ -]gate|\bz\b|\$z|\bz_|z near|z ≈|z≈", re.I)


def sentences(text):
    """Sentences, roughly: split at '.', ';', ':' followed by a space or newline, and at blank lines."""
    return [s for s in re.split(r"(?<=[.;:])\s+|\n\s*\n", text) if s.strip()]


def offending(text):
    """The sentences of ``text`` that apply "open", "shut" or "closed" to the update gate."""
    return [
        " ".join(s.split())
        for s in sentences(text)
        if FORBIDDEN.search(s) and UPDATE_GATE.search(s)
    ]


def notebook(prefix):
    (path,) = (ROOT / "notebooks").glob(f"{prefix}_*.ipynb")
    return nbformat.read(path, as_version=4)


def module_texts(path):
    """The strings and comments of a Python file: what a student can read of it."""
    source = (ROOT / path).read_text()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (tokenize.STRING, tokenize.COMMENT) or tok.type == getattr(
            tokenize, "FSTRING_MIDDLE", -1
        ):
            yield tok.start[0], tok.string


def test_the_scan_catches_what_it_should():
    assert offending("The update gate opens only when the flag is set.")
    assert offending("holding: z high but not shut")
    assert offending("# both update gates open (z near 0) at step 0")
    assert not offending("With r near 0 the reset gate is closed: the candidate ignores the past.")
    assert not offending("With z near 1 the unit keeps its state; with z near 0 it writes.")
    assert not offending("z close to 1 keeps the state.")
    assert not offending('Other texts call the update gate "open" or "closed".')


@pytest.mark.parametrize("prefix", NOTEBOOKS)
def test_notebooks_use_keeps_and_writes_for_the_update_gate(prefix):
    found = [
        (i, s) for i, cell in enumerate(notebook(prefix).cells) for s in offending(cell.source)
    ]
    assert not found, f"notebook {prefix}: say keeps/writes for the update gate: {found}"


@pytest.mark.parametrize("path", MODULES)
def test_messages_and_docstrings_use_keeps_and_writes(path):
    found = [(line, s) for line, text in module_texts(path) for s in offending(text)]
    assert not found, f"{path}: say keeps/writes for the update gate: {found}"


def test_notebook_01_defines_keeps_and_writes_where_z_is_introduced():
    cells = [c.source for c in notebook("01").cells]
    (z_cell,) = [i for i, s in enumerate(cells) if s.startswith("### The update gate $z$")]
    definition = cells[z_cell]
    assert "**keeps**" in definition and "**writes**" in definition
    assert "z$ near 1" in definition and "z$ near 0" in definition


@pytest.mark.parametrize("prefix", NOTEBOOKS)
def test_opens_with_outcomes_and_closes_with_takeaways(prefix):
    cells = [c for c in notebook(prefix).cells if c.cell_type == "markdown"]
    opening = cells[0].source
    assert "**You will be able to**" in opening, "the first cell says what the student will do"
    outcomes = re.findall(r"^\* ", opening.split("**You will be able to**")[1], re.M)
    assert 3 <= len(outcomes) <= 5, f"3 to 5 outcomes, found {len(outcomes)}"
    takeaways = cells[-2].source
    assert takeaways.startswith("## Key takeaways"), "key takeaways just before the navigation"
    assert 3 <= len(re.findall(r"^\* ", takeaways, re.M)) <= 6
    assert sum("## Key takeaways" in c.source for c in cells) == 1
    assert not any(c.source.startswith(("## Summary", "## Recap")) for c in cells)
