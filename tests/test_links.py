"""The course's links: one address for the repository, Binder badges, nbgitpuller links for a hub."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "links.py"
spec = importlib.util.spec_from_file_location("links", SCRIPT)
links = importlib.util.module_from_spec(spec)
spec.loader.exec_module(links)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PLACES = [ROOT / "README.md", ROOT / "docs" / "teachers_guide.md", *NOTEBOOKS]
BINDER = re.compile(r"mybinder\.org/v2/gh/([\w.-]+)/([\w.-]+)")
GITHUB = re.compile(r"github\.com/([\w.-]+)/([\w.-]+)")


@pytest.mark.parametrize("path", PLACES, ids=lambda p: p.name)
def test_every_address_of_the_course_is_the_one_in_links_py(path):
    """Every Binder link, and every GitHub link to a repository of the course's name or owner."""
    owner, name = links.github_owner_and_name(links.REPOSITORY)
    text = path.read_text(encoding="utf-8")
    found = BINDER.findall(text) + [
        (o, n) for o, n in GITHUB.findall(text) if name in (o, n) or owner in (o, n)
    ]
    found = [pair for pair in found if pair[0] != "OWNER"]  # the guide's placeholder
    assert found or path.suffix == ".ipynb", f"{path.name} names no repository"
    for pair in found:
        assert pair == (owner, name), f"{path.name}: {'/'.join(pair)} is not {links.REPOSITORY}"


def test_the_readme_badges_are_the_ones_links_py_makes():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.split("\n")[2] == links.binder_badge()  # the badge under the title
    assert f"]({links.voila_url()})" in readme  # the gate explorer's app
    start = readme.index(links.binder_badge())
    assert "public" in readme[start : readme.index("## The notebooks")], (
        "the README says what the badge needs: a public repository on GitHub"
    )


def test_the_guide_links_every_notebook_with_links_py_urls():
    guide = (ROOT / "docs" / "teachers_guide.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert links.binder_url(urlpath=f"lab/tree/notebooks/{path.name}") in guide, path.name
    assert links.voila_url() in guide


def test_a_forks_binder_links():
    fork = "https://github.com/a-teacher/gru-lesson-2027.git"
    assert links.binder_url(fork, "spring term") == (
        "https://mybinder.org/v2/gh/a-teacher/gru-lesson-2027/spring%20term"
        "?urlpath=lab/tree/notebooks/00_start_here.ipynb"
    )
    assert links.binder_badge(fork).startswith("[![Launch the course on Binder](https://mybinder")
    with pytest.raises(ValueError, match="not a GitHub repository address"):
        links.binder_url("https://gitlab.com/a/b")


def test_the_nbgitpuller_link_round_trips_every_value():
    repo, branch = "https://github.com/a-teacher/gru lesson", "week 3/b&c"
    url = links.nbgitpuller_url("https://hub.example.edu/", repo, branch, "student/notebooks/")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", "hub.example.edu")
    assert parts.path == "/hub/user-redirect/git-pull"
    query = parse_qs(parts.query, strict_parsing=True)
    assert query == {
        "repo": [repo],
        "branch": [branch],
        "urlpath": ["lab/tree/gru lesson/student/notebooks/00_start_here.ipynb"],
    }
    no_branch = parse_qs(urlsplit(links.nbgitpuller_url("http://127.0.0.1:8000")).query)
    assert "branch" not in no_branch  # nbgitpuller then takes the default branch
    assert no_branch["urlpath"] == ["lab/tree/gru-lesson/notebooks/00_start_here.ipynb"]
    with pytest.raises(ValueError, match="not a hub address"):
        links.nbgitpuller_url("hub.example.edu")


def run(*args):
    """The command, started by a Python without site-packages: it needs the standard library only."""
    return subprocess.run(
        [sys.executable, "-S", str(SCRIPT), *args], capture_output=True, text=True
    )


def test_the_command_prints_a_forks_badge_and_its_hub_link():
    fork = "https://github.com/a-teacher/gru-lesson"
    out = run("--repo", fork, "--branch", "main", "--hub", "https://hub.example.edu")
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(": ", 1) for line in out.stdout.splitlines())
    assert lines["Binder badge (Markdown)"] == links.binder_badge(fork, "main")
    assert lines["Binder, JupyterLab at notebook 00"] == links.binder_url(fork, "main")
    assert lines["Binder, the gate explorer as an app"] == links.voila_url(fork, "main")
    assert lines["JupyterHub, nbgitpuller"] == links.nbgitpuller_url(
        "https://hub.example.edu", fork, "main"
    )
    default = run()
    assert links.binder_badge() in default.stdout and "nbgitpuller" not in default.stdout


def test_the_command_refuses_what_is_not_an_address():
    bad = run("--hub", "hub.example.edu")
    assert bad.returncode == 1 and "not a hub address" in bad.stderr
    elsewhere = run("--repo", "https://git.example.edu/course.git", "--hub", "https://hub.x.edu")
    assert elsewhere.returncode == 0
    assert "No Binder links" in elsewhere.stdout and "git-pull?repo=" in elsewhere.stdout
