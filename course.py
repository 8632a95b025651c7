#!/usr/bin/env python3
"""Set up the course's environment in .venv/ and open the course, or run its tests.

    python3 course.py lab     # set up .venv/ and open the course in JupyterLab
    python3 course.py test    # set up .venv/ and run every test (notebooks included)
    python3 course.py test --quick   # the unit tests only: no training, notebooks, browser, hub

Both commands create .venv/ at the repository root when it is missing, and
(re)install the pinned requirements when they changed since the last install.
Anything after ``test`` goes to pytest, e.g. ``python3 course.py test -k keras``.
Only the standard library is used here, so any Python 3.10 to 3.13 can run it.
"""

from __future__ import annotations

import hashlib
import os
import runpy
import shutil
import subprocess
import sys
import venv
import webbrowser
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
FIRST_NOTEBOOK = "notebooks/00_start_here.ipynb"
# The supported Pythons and TensorFlow's quiet logs, read without importing the package.
RUNTIME = runpy.run_path(str(ROOT / "gru_lesson" / "runtime.py"))


def venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def run(*cmd, **kwargs):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def ensure_venv() -> Path:
    python = venv_python()
    if not python.exists():
        oldest, newest = RUNTIME["SUPPORTED_PYTHON"]
        if not (oldest <= sys.version_info[:2] <= newest):
            sys.exit(
                f"This course needs Python {RUNTIME['supported_range']()} (TensorFlow's range); "
                f"this is Python {sys.version.split()[0]}. Run this script with a supported python."
            )
        print(f"Creating the course environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    return python


def ensure_installed(python: Path, requirements: str) -> None:
    """pip install -r REQUIREMENTS unless the same files were installed before."""
    files = [*sorted(ROOT.glob("requirements*.txt")), ROOT / "pyproject.toml"]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    stamp = VENV / f".installed-{requirements}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    run(
        python,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "-q",
        "-r",
        requirements,
        cwd=ROOT,
    )
    stamp.write_text(digest)


def install_server_settings(python: Path) -> None:
    """The course's Jupyter server settings, in .venv/ (binder/server_config.py says which)."""
    subprocess.run([str(python), str(ROOT / "binder" / "server_config.py")], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def environment() -> dict:
    return RUNTIME["quiet_tensorflow"](dict(os.environ))


def has_browser() -> bool:
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def hand_over(cmd) -> int:
    """Run CMD in the course's environment. On POSIX this process becomes CMD (exec), so
    Ctrl-C and signals reach JupyterLab or pytest directly and nothing is left running."""
    print("+", " ".join(str(c) for c in cmd), flush=True)
    args = [str(c) for c in cmd]
    if os.name == "posix":
        os.chdir(ROOT)
        os.execve(args[0], args, environment())
    return subprocess.call(args, cwd=ROOT, env=environment())


def lab(args) -> int:
    python = ensure_venv()
    ensure_installed(python, "requirements.txt")
    install_server_settings(python)
    # default_url makes both the opened page and the printed URL land on notebook 00.
    cmd = [python, "-m", "jupyterlab", f"--LabApp.default_url=/lab/tree/{FIRST_NOTEBOOK}", *args]
    if not has_browser() and "--no-browser" not in args:
        print("No web browser found here: open the URL that JupyterLab prints below.", flush=True)
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in args:
        cmd.append("--allow-root")  # e.g. in a container; JupyterLab refuses root otherwise
    return hand_over(cmd)


def ensure_hub_proxy() -> None:
    """Install the classroom hub's proxy (an npm package, locked) for its test, when npm is here.

    Without npm the hub test is skipped (and fails in CI, which installs npm).
    """
    lock = ROOT / "classroom" / "package-lock.json"
    stamp = ROOT / "classroom" / "node_modules" / ".installed-lock"
    npm = shutil.which("npm")
    if npm is None:
        print("npm not found: the JupyterHub test will be skipped (install Node.js and npm).")
        return
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    run(npm, "ci", "--prefix", "classroom", "--no-audit", "--no-fund", cwd=ROOT)
    stamp.write_text(digest)


# What `test --quick` leaves out: the tests marked slow (Keras training, the notebooks, the
# browser, the hub, nbgrader's round trip, the benchmarks) and the notebooks nbval would collect.
QUICK = ["-m", "not slow", "--ignore=notebooks"]


def test(args) -> int:
    python = ensure_venv()
    ensure_installed(python, "requirements-dev.txt")
    install_server_settings(python)
    if "--quick" in args:
        args = [*QUICK, *(a for a in args if a != "--quick")]
    else:
        ensure_hub_proxy()
    return hand_over([python, "-m", "pytest", *args])


def main(argv) -> int:
    commands = {"lab": lab, "test": test}
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
