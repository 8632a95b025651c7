"""Is this environment the course's? One OK/FAIL line per package.

The wanted versions are the pins in the repository's ``requirements.txt``.
Nothing heavy is imported: versions come from the installed packages' metadata.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from gru_lesson.runtime import SUPPORTED_PYTHON, supported_range
from gru_lesson.validation import check_flag

__all__ = ["PackageCheck", "check_environment", "read_pins"]

REQUIREMENTS = Path(__file__).resolve().parents[1] / "requirements.txt"


@dataclass
class PackageCheck:
    name: str
    wanted: str
    installed: str | None

    def __post_init__(self):
        for field in ("name", "wanted", "installed"):
            value = getattr(self, field)
            if not (isinstance(value, str) or (field == "installed" and value is None)):
                raise TypeError(f"{field} must be a string, got {type(value).__name__} {value!r}")

    @property
    def ok(self):
        return self.installed == self.wanted

    def __str__(self):
        status = "OK  " if self.ok else "FAIL"
        got = self.installed or "not installed"
        return f"{status} {self.name:<16s} wanted {self.wanted:<10s} installed {got}"


def read_pins(path=REQUIREMENTS):
    """``{name: version}`` for the ``name==version`` lines that apply to this machine
    (environment markers such as ``sys_platform == "linux"`` are evaluated here)."""
    pins = {}
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):  # comments, -r, -e
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement as error:
            raise ValueError(f"{path}: {line!r} is not a requirement ({error})") from None
        if req.marker is not None and not req.marker.evaluate():
            continue
        specs = list(req.specifier)  # the course pins every package exactly
        if len(specs) != 1 or specs[0].operator != "==":
            raise ValueError(f"{path} must pin exact versions (name==version), got {line!r}")
        pins[canonicalize_name(req.name)] = specs[0].version
    return pins


def check_environment(path=REQUIREMENTS, show=True):
    """Compare installed versions with the pins; print a line each. Returns the checks."""
    show = check_flag("show", show)
    if not Path(path).exists():
        raise FileNotFoundError(
            f"the course's requirements.txt was not found at {path}; "
            "run this from a clone of the course repository"
        )
    checks = []
    for name, wanted in read_pins(path).items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        checks.append(PackageCheck(name, wanted, installed))
    if show:
        py = sys.version_info[:2]
        ok = SUPPORTED_PYTHON[0] <= py <= SUPPORTED_PYTHON[1]
        print(
            f"{'OK  ' if ok else 'FAIL'} {'python':<16s} wanted {supported_range('-')}  "
            f"installed {platform.python_version()}"
        )
        for check in checks:
            print(check)
    return checks
