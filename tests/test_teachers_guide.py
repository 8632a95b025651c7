"""The teacher's guide covers every notebook: a section, a time estimate and a Binder link."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "teachers_guide.md"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
BINDER = "https://mybinder.org/v2/gh/gru-lesson/gru-lesson/HEAD?urlpath=lab/tree/notebooks/{}"
COVERED = {"00", "01", "02", "03", "04", "05"}  # notebooks the guide is written for so far


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_has_its_section_row_and_binder_link(path):
    text = GUIDE.read_text(encoding="utf-8")
    number = path.name[:2]
    if number not in COVERED and f"### {number} · " not in text:
        pytest.xfail(f"the teacher's guide has no section for {path.name} yet")
    section = text.split(f"### {number} · ", 1)[1].split("\n### ", 1)[0]
    for heading in ("**Learning objectives.**", "**Prerequisites.**", "**Where students get stuck"):
        assert heading in section, f"{path.name}: {heading} missing"
    assert text.count(BINDER.format(path.name)) == 1, "one Binder link per notebook"
    row = re.search(
        rf"^\| {number} \| \[[^]]+\]\(\.\./notebooks/{path.name}\) \| ([^|]+) \|", text, re.M
    )
    assert row and "min" in row.group(1), f"{path.name}: no time estimate in the table"


def test_the_guide_says_the_times_are_estimates_and_links_resolve():
    text = GUIDE.read_text(encoding="utf-8")
    assert "estimate" in text.lower()
    for link in re.findall(r"\]\((\.\./[^)]+)\)", text):
        assert (GUIDE.parent / link).resolve().exists(), f"broken link {link}"
    assert (
        "scripts/make_student_edition.py" in text
        and (ROOT / "scripts/make_student_edition.py").exists()
    )
