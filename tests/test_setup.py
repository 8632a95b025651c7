"""The course's setup: pins, Binder files, the environment check and the two commands."""

import json
import re
import runpy
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from gru_lesson.env_check import check_environment, read_pins
from gru_lesson.runtime import QUIET_TENSORFLOW, SUPPORTED_PYTHON, supported_range

ROOT = Path(__file__).resolve().parents[1]


def requirement_lines(path):
    lines = []
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


@pytest.mark.parametrize(
    "name",
    [
        "requirements.txt",
        "requirements-teacher.txt",
        "requirements-dev.txt",
        "binder/requirements.txt",
    ],
)
def test_every_requirement_is_pinned_exactly(name):
    allowed_options = {
        "-e .",
        "-r requirements.txt",
        "-r requirements-teacher.txt",
        "-r ../requirements.txt",
    }
    for line in requirement_lines(ROOT / name):
        if line.startswith("-"):
            assert line in allowed_options, f"unexpected option line {line!r}"
            continue
        (spec,) = Requirement(line).specifier
        assert spec.operator == "==", line


PLATFORMS = [
    (sys_platform, machine)
    for sys_platform in ("linux", "win32", "darwin")
    for machine in ("x86_64", "AMD64", "arm64", "aarch64")
]


@pytest.mark.parametrize(("sys_platform", "machine"), PLATFORMS)
def test_exactly_one_tensorflow_per_platform(sys_platform, machine):
    env = {"sys_platform": sys_platform, "platform_machine": machine}
    chosen = [
        Requirement(line).name
        for line in requirement_lines(ROOT / "requirements.txt")
        if line.startswith("tensorflow") and Marker(line.split(";", 1)[1]).evaluate(env)
    ]
    assert len(chosen) == 1, (env, chosen)
    cpu_wheel_exists = sys_platform in ("linux", "win32") and machine in ("x86_64", "AMD64")
    assert chosen[0] == ("tensorflow-cpu" if cpu_wheel_exists else "tensorflow")


def test_binder_uses_python_311_and_the_course_requirements():
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    lines = requirement_lines(ROOT / "binder" / "requirements.txt")
    assert lines[0] == "-r ../requirements.txt"
    extra = {Requirement(line).name for line in lines[1:]}
    assert extra == {"notebook", "nbgitpuller"}, "Binder adds only what its base needs"
    teacher = {
        Requirement(line).name: line
        for line in requirement_lines(ROOT / "requirements-teacher.txt")
        if not line.startswith("-")
    }
    assert next(line for line in lines if line.startswith("nbgitpuller")) == teacher["nbgitpuller"]


def test_binder_start_quiets_tensorflow_and_hands_over():
    """binder/start exports gru_lesson/runtime.py's settings (a value already set is kept),
    then runs the command it was given."""
    show = f"import os; print({{k: os.environ.get(k) for k in {list(QUIET_TENSORFLOW)!r}}})"
    path = f"{Path(sys.executable).parent}:/usr/bin:/bin"  # Binder's `python` is the course's
    key = next(iter(QUIET_TENSORFLOW))
    for env, wanted in [
        ({"PATH": path}, QUIET_TENSORFLOW),
        ({"PATH": path, key: "0"}, {**QUIET_TENSORFLOW, key: "0"}),
    ]:
        run = subprocess.run(
            ["bash", str(ROOT / "binder" / "start"), sys.executable, "-c", show],
            capture_output=True, text=True, env=env, cwd="/",
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == str(wanted)
    assert (ROOT / "binder" / "start").read_text().splitlines()[-1] == 'exec "$@"'


def tracked_files():
    """The repository's files, as git lists them (paths relative to the root)."""
    run = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()


# benchmarks/run.py still sets the two variables itself.
SETS_TENSORFLOW_LOGS_ITSELF = set()


def test_tensorflow_logs_are_quieted_in_one_place():
    """Only gru_lesson/runtime.py names TensorFlow's log variables: course.py, binder/start,
    the hub, the scripts, the tests and the notebooks all use its quiet_tensorflow."""
    naming = {
        name
        for name in tracked_files()
        if (ROOT / name).is_file()
        and any(key in (ROOT / name).read_text(errors="replace") for key in QUIET_TENSORFLOW)
    }
    assert naming == {"gru_lesson/runtime.py"} | SETS_TENSORFLOW_LOGS_ITSELF


def test_the_tensorflow_notebooks_quiet_it_before_importing_it():
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        code = "\n".join(
            "".join(cell["source"])
            for cell in json.loads(path.read_text())["cells"]
            if cell["cell_type"] == "code"
        )
        if "import keras" in code or "import tensorflow" in code:
            assert "quiet_tensorflow()" in code, path.name
            assert code.index("quiet_tensorflow()") < code.index("import keras"), path.name


def test_runtime_reads_without_the_package():
    """course.py and the classroom's scripts load gru_lesson/runtime.py by its path on any
    Python: it imports the standard library only."""
    code = (
        "import runpy, sys; r = runpy.run_path('gru_lesson/runtime.py'); "
        "assert not {'numpy', 'gru_lesson'} & set(sys.modules); print(r['supported_range']())"
    )
    run = subprocess.run(
        [sys.executable, "-I", "-c", code], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == supported_range()


def test_the_supported_pythons_are_defined_once():
    """pyproject's requires-python and every "Python 3.x to 3.y" of the docs, the notebooks and
    course.py say what gru_lesson/runtime.py's SUPPORTED_PYTHON says."""
    (a, b), (c, d) = SUPPORTED_PYTHON
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^requires-python = "(.*)"$', pyproject, re.M)[1] == f">={a}.{b},<{c}.{d + 1}"
    said = {
        (name, found.group(1))
        for name in tracked_files()
        if name.endswith((".md", ".ipynb", ".py"))
        for found in re.finditer(r"Python (3\.\d+ to 3\.\d+)", (ROOT / name).read_text())
    }
    assert {"README.md", "course.py", "notebooks/00_start_here.ipynb"} <= {n for n, _ in said}
    assert {text for _, text in said} == {supported_range()}, said
    binder = tuple(
        int(n) for n in (ROOT / "binder" / "runtime.txt").read_text().split("-")[1].split(".")
    )
    assert SUPPORTED_PYTHON[0] <= binder[:2] <= SUPPORTED_PYTHON[1]


def test_binder_postbuild_writes_the_server_settings_and_keeps_the_rest(tmp_path):
    """postBuild runs binder/server_config.py, which merges the course's two settings into the
    environment's server config (a file that may already hold other settings)."""
    post_build = ROOT / "binder" / "postBuild"
    assert post_build.stat().st_mode & 0o111, "repo2docker runs postBuild only if executable"
    assert "set -e" in post_build.read_text().splitlines()[:5]
    config = tmp_path / "etc" / "jupyter" / "jupyter_server_config.json"
    config.parent.mkdir(parents=True)
    config.write_text('{"ServerApp": {"tornado_settings": {"a": 1}, "ip": "0.0.0.0"}}')
    python = tmp_path / "bin" / "python"  # postBuild's `python` is the environment's
    python.parent.mkdir()
    python.write_text(f'#!/bin/sh\nexec {sys.executable} "$1" {tmp_path}\n')
    python.chmod(0o755)
    run = subprocess.run(
        ["bash", str(post_build)], cwd=ROOT, capture_output=True, text=True,
        env={"PATH": f"{python.parent}:/usr/bin:/bin"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    settings = json.loads(config.read_text())
    assert settings == {
        "ServerApp": {
            "tornado_settings": {"a": 1, "mathjax_url": None, "mathjax_config": None},
            "ip": "0.0.0.0",
        },
        "ContentsManager": {"pre_save_hook": "gru_lesson.saved_outputs.pre_save_hook"},
    }


def test_both_commands_install_the_server_settings_in_the_course_environment():
    """course.py lab and course.py test write binder/server_config.py's settings into .venv/."""
    source = (ROOT / "course.py").read_text()
    for command in ("def lab(", "def test("):
        body = source.split(command, 1)[1].split("\ndef ", 1)[0]
        assert "install_server_settings(python)" in body, command


# What repo2docker's base environment for Python 3.11 already holds when Binder installs
# binder/requirements.txt on top (repo2docker's buildpacks/conda/environment.py-3.11.yml and its
# linux-64 lock). pip upgrades a package there only when the new requirements need it; nothing
# in them needs the leaves (notebook, the two extensions, jupyterhub-singleuser), so pip keeps
# those at the lock's versions, and the course's install must agree with their requirements.
REPO2DOCKER_BASE_LEAVES = {
    "notebook": "7.4.7",
    "jupyter-offlinenotebook": "0.3.2",
    "jupyter-resource-usage": "1.2.0",
    "jupyterhub": "5.4.0",  # conda's jupyterhub-singleuser
}
REPO2DOCKER_BASE_SPECS = ["jupyter-server==2.*", "jupyterlab==4.*", "ipywidgets==8.*"]


@pytest.mark.slow  # pip resolves every requirement
def test_binder_requirements_resolve_to_the_pins_without_conflict_with_binders_base(tmp_path):
    """pip resolves binder/requirements.txt (from the repo root, as Binder does) to our pins,
    together with repo2docker's base environment: no package there is left broken."""
    binder = {
        canonicalize_name(Requirement(line).name)
        for line in requirement_lines(ROOT / "binder" / "requirements.txt")[1:]
    } | set(read_pins(ROOT / "requirements.txt"))
    base = tmp_path / "base.txt"
    base.write_text(
        "\n".join(
            [f"{name}=={version}" for name, version in REPO2DOCKER_BASE_LEAVES.items()
             if canonicalize_name(name) not in binder] + REPO2DOCKER_BASE_SPECS
        )
    )  # fmt: skip
    report = tmp_path / "report.json"
    run = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--disable-pip-version-check", "--report", str(report), "-r", "binder/requirements.txt",
         "-r", str(base)],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    resolved = {
        canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
        for item in json.loads(report.read_text())["install"]
    }
    pins = read_pins(ROOT / "requirements.txt")
    assert {name: resolved.get(name) for name in pins} == pins
    assert "gru-lesson" in resolved and "notebook" in resolved


def test_environment_check_passes_here(capsys):
    checks = check_environment()
    assert checks and all(c.ok for c in checks)
    assert "FAIL" not in capsys.readouterr().out


def test_environment_check_reports_a_wrong_version(tmp_path, capsys):
    req = tmp_path / "requirements.txt"
    req.write_text("numpy==0.0.1\nno-such-package-for-the-course==1.0\n")
    checks = check_environment(req)
    assert [c.ok for c in checks] == [False, False]
    out = capsys.readouterr().out
    assert "FAIL numpy" in out and "not installed" in out


def test_environment_check_refuses_loose_pins(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("numpy>=1.0\n")
    with pytest.raises(ValueError, match=r"must pin exact versions .*, got 'numpy>=1\.0'"):
        read_pins(req)


def test_course_script_help_lists_both_commands():
    out = subprocess.run(
        [sys.executable, str(ROOT / "course.py")], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 2
    assert "python3 course.py lab" in out.stdout and "python3 course.py test" in out.stdout


def test_readme_quick_start_has_exactly_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Quick start")
    end = readme.index("\n## ", start + 1)
    section = readme[start:end]
    blocks = section.split("```")[1::2]
    commands = [
        line.strip()
        for block in blocks
        for line in block.splitlines()[1:]
        if line.strip() and not line.strip().startswith("#")
    ]
    assert commands == ["python3 course.py lab", "python3 course.py test"]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 course.py test" in ci


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # starts JupyterLab
def test_lab_command_serves_the_first_notebook():
    """`python3 course.py lab` starts JupyterLab at notebook 00 and prints its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "course.py", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        url = None
        for line in proc.stdout:
            found = re.search(rf"http://127\.0\.0\.1:{port}/lab\S*", line)
            if found:
                url = found.group(0)
                break
            assert time.monotonic() < deadline, "JupyterLab printed no URL within 120 s"
        assert url and "notebooks/00_start_here.ipynb" in url, url
        page = None
        while page is None:  # the URL can be printed a moment before the port listens
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    page = response.read()
            except urllib.error.URLError:
                assert time.monotonic() < deadline, f"JupyterLab did not answer at {url}"
                time.sleep(0.5)
        assert b"JupyterLab" in page
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def collected(*args):
    """The node ids pytest collects from the repository root with ``args``."""
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", *args],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return {line for line in run.stdout.splitlines() if "::" in line}


@pytest.mark.slow  # collects the whole suite three times
def test_quick_runs_everything_but_the_notebooks_and_the_slow_tests():
    """`python3 course.py test --quick` is the full suite without the slow tests and notebooks."""
    quick = runpy.run_path(str(ROOT / "course.py"))["QUICK"]
    everything, chosen, slow = collected(), collected(*quick), collected("-m", "slow")
    assert any(".ipynb::" in node for node in everything), "the full suite runs the notebooks"
    assert not any(".ipynb::" in node for node in chosen)
    assert chosen == everything - slow
    assert {
        "tests/test_training.py::test_quick_sweep_reaches_the_claimed_accuracy",
        "tests/test_bptt.py::test_gradient_by_distance_claims_of_notebook_03",
        "tests/test_bad_input_lessons.py::test_bad_or_unusual_call[experiments.run_sweep: tiny]",
    } <= slow
    assert "tests/test_gru.py::test_import_does_not_load_tensorflow" in chosen
