"""The teacher's guide covers every notebook (a section, a time estimate and a Binder link), and
its commands for teachers name scripts and options that exist."""

import importlib.util
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "teachers_guide.md"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
_spec = importlib.util.spec_from_file_location("links", ROOT / "scripts" / "links.py")
links = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(links)
BINDER = links.binder_url(urlpath="lab/tree/notebooks/{}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_has_its_section_row_and_binder_link(path):
    text = GUIDE.read_text(encoding="utf-8")
    number = path.name[:2]
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
    for path in ("scripts/make_student_edition.py", "scripts/classroom.py", "scripts/links.py",
                 "classroom/jupyterhub_config.py", "classroom/nbgrader_config.py",
                 "requirements-teacher.txt", "binder/requirements.txt"):  # fmt: skip
        assert path in text and (ROOT / path).exists(), path


def minutes_in_the_guide():
    """``{notebook number: minutes}`` from the guide's table (its total, before any colon)."""
    text = GUIDE.read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d\d) \| \[[^]]+\]\([^)]+\)[^|]* \| (\d+) min\b", text, re.M)
    return {number: int(minutes) for number, minutes in rows}


def test_the_course_map_of_notebook_00_gives_the_guides_times():
    """Each time is estimated once (in the guide); notebook 00's map shows the same totals."""
    nb = json.loads((ROOT / "notebooks" / "00_start_here.ipynb").read_text(encoding="utf-8"))
    map_cell = next(
        "".join(c["source"])
        for c in nb["cells"]
        if "## The course at a glance" in "".join(c["source"])
    )
    in_the_map = {
        number: int(minutes)
        for number, minutes in re.findall(r"^\| (\d\d) \|.*\| (\d+) min \|$", map_cell, re.M)
    }
    guide = minutes_in_the_guide()
    assert sorted(guide) == [p.name[:2] for p in NOTEBOOKS]
    assert in_the_map == guide


def guide_commands():
    """Every `python3 scripts/...` line of the guide's shell blocks, as arguments."""
    text = GUIDE.read_text(encoding="utf-8")
    lines = [
        line for block in text.split("```bash")[1:] for line in block.split("```")[0].splitlines()
    ]
    return [
        shlex.split(line, comments=True)[1:]
        for line in lines
        if line.startswith("python3 scripts/")
    ]


@pytest.mark.parametrize("args", guide_commands(), ids=" ".join)
def test_each_teacher_command_in_the_guide_takes_its_options(args):
    """The script exists and its --help lists every option and subcommand the guide uses."""
    script, *rest = args
    command = [sys.executable, str(ROOT / script)]
    if rest and not rest[0].startswith("-") and script.endswith("classroom.py"):
        command.append(rest.pop(0))  # the subcommand
    out = subprocess.run([*command, "--help"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    for option in [a for a in rest if a.startswith("--")]:
        assert option in out.stdout, f"{script} has no {option}"


def test_the_guide_has_a_tested_recipe_for_a_hub():
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("## A class on a JupyterHub", 1)[1].split("\n## ", 1)[0]
    for words in ("repo2docker", "nbgitpuller", "scripts/links.py --hub", "classroom.py release",
                  "classroom.py grade", "jupyterhub -f jupyterhub_config.py", "npm ci"):  # fmt: skip
        assert words in section, words
