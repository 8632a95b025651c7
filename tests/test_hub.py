"""A class on a JupyterHub: two students log in and each gets the course in a server of their own.

The course's one-machine JupyterHub (classroom/jupyterhub_config.py, as the teacher's guide runs
it) starts on free ports of 127.0.0.1, with a dummy authenticator and servers started as local
processes; its proxy, configurable-http-proxy, comes from npm (`python3 course.py test` runs
`npm ci --prefix classroom`). Each student follows the nbgitpuller link that
`scripts/links.py --hub` prints for a clone of this repository: the hub starts their server,
nbgitpuller copies the course into their home folder, and JupyterLab opens notebook 00, which
runs with "Run All" and finds the course's environment. Screenshots go to artifacts/.
"""

import importlib.util
import shutil
import subprocess
import sys

import browser
import pytest
from conftest import require

pytestmark = pytest.mark.slow  # a JupyterHub with two users

ROOT = browser.ROOT
PROXY = ROOT / "classroom" / "node_modules" / ".bin" / "configurable-http-proxy"
LINKS = ROOT / "scripts" / "links.py"
STUDENTS = ("ada", "grace")
FIRST = "00_start_here.ipynb"


def missing():
    """What this machine lacks to run a hub and a browser, or None."""
    if importlib.util.find_spec("jupyterhub") is None:
        return "jupyterhub is not installed (requirements-dev.txt)"
    if importlib.util.find_spec("nbgitpuller") is None:
        return "nbgitpuller is not installed (requirements-teacher.txt)"
    if not (PROXY.exists() or shutil.which("configurable-http-proxy")):
        return "no configurable-http-proxy (npm ci --prefix classroom)"
    if not browser.CHROMIUM.exists():
        return "no /usr/bin/chromium (apt-get install chromium)"
    if shutil.which("git") is None:
        return "no git"
    return None


require(missing(), "python3 course.py test installs it where npm is; .ci/run makes sure npm is")


def course_repository(folder):
    """A bare clone of this repository, where a hub's nbgitpuller can fetch the course."""
    repo = folder / "gru-lesson"
    subprocess.run(
        ["git", "clone", "--quiet", "--bare", "--no-hardlinks", str(ROOT), str(repo)], check=True
    )
    branch = subprocess.run(
        ["git", "-C", str(repo), "symbolic-ref", "--short", "HEAD"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    return f"file://{repo}", branch


def nbgitpuller_link(hub, repo, branch):
    run = subprocess.run(
        [sys.executable, str(LINKS), "--hub", hub, "--repo", repo, "--branch", branch],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    (line,) = [x for x in run.stdout.splitlines() if x.startswith("JupyterHub, nbgitpuller: ")]
    return line.split(": ", 1)[1]


def log_in(page, hub, name):
    page.goto(f"{hub}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", "any")  # the dummy authenticator takes any password
    page.click("#login_submit")
    page.wait_for_url(f"{hub}/**", timeout=60_000)


def test_two_students_each_get_their_own_server_with_the_course(tmp_path):
    repo, branch = course_repository(tmp_path)
    with browser.jupyterhub(tmp_path) as hub, browser.chromium() as chromium:
        link = nbgitpuller_link(hub, repo, branch)
        pages = {}
        for name in STUDENTS:
            # a browser context per student: their own cookies, as on two machines
            page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
            log_in(page, hub, name)
            page.goto(link)
            page.wait_for_url(
                f"{hub}/user/{name}/lab/tree/gru-lesson/notebooks/{FIRST}*", timeout=300_000
            )
            page.wait_for_function(browser.KERNEL_IDLE_JS, arg=FIRST, timeout=180_000)
            browser.run_all_cells(page)
            assert browser.cell_errors(page) == [], name
            assert "OK" in page.inner_text(".jp-OutputArea-output >> nth=0"), name
            shot = browser.screenshot(page, f"hub_{name}_00_start_here.png")
            assert shot.stat().st_size > 10_000
            pages[name] = page
        for name in STUDENTS:  # nbgitpuller copied the course into each student's home
            assert (tmp_path / "home" / name / "gru-lesson" / "notebooks" / FIRST).exists()
        # each server is its owner's: the other student's browser is turned away
        ada, grace = STUDENTS
        response = pages[ada].goto(f"{hub}/user/{grace}/api/contents")
        assert response.status in (403, 404) or f"/user/{ada}/" in pages[ada].url, (
            response.status,
            pages[ada].url,
        )
    assert browser.stop_processes_in(tmp_path) == []  # the hub stopped everything it started
