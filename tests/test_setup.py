"""The course's setup: pins, Binder files, the environment check and the two commands."""

import json
import re
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
    start = (ROOT / "binder" / "start").read_text().splitlines()
    assert "export TF_CPP_MIN_LOG_LEVEL=2" in start
    assert "export TF_ENABLE_ONEDNN_OPTS=0" in start
    assert start[-1] == 'exec "$@"'


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
