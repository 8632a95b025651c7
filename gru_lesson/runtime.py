"""What the course asks of the Python that runs it: the versions it supports, and a quiet TensorFlow.

Only the standard library, so that any Python can read it: ``course.py`` and the classroom's
scripts load this file by its path (``runpy.run_path``), without importing the package.
Before TensorFlow is imported, :func:`quiet_tensorflow` keeps its C++ log lines out of
notebook outputs and test logs; run as a script, this file prints the same settings as
``export`` lines for a shell (``eval "$(python gru_lesson/runtime.py)"``, as binder/start does).
"""

from __future__ import annotations

import os
import shlex

__all__ = ["QUIET_TENSORFLOW", "SUPPORTED_PYTHON", "quiet_tensorflow", "supported_range"]

#: The oldest and newest Python the course runs on: those TensorFlow 2.21 publishes wheels for.
SUPPORTED_PYTHON = ((3, 10), (3, 13))

#: TensorFlow prints C++ log lines (and oneDNN notices) unless these are set before it is imported.
QUIET_TENSORFLOW = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}


def quiet_tensorflow(env=None):
    """Set :data:`QUIET_TENSORFLOW` in ``env`` (default ``os.environ``) where it sets nothing
    yet; returns ``env``. Call it before TensorFlow is imported."""
    env = os.environ if env is None else env
    if not hasattr(env, "setdefault"):
        raise TypeError(f"env must be a dict such as os.environ, got {type(env).__name__}")
    for key, value in QUIET_TENSORFLOW.items():
        env.setdefault(key, value)
    return env


def supported_range(between=" to "):
    """The supported versions as text: ``"3.10 to 3.13"``."""
    (a, b), (c, d) = SUPPORTED_PYTHON
    return f"{a}.{b}{between}{c}.{d}"


if __name__ == "__main__":
    for key in QUIET_TENSORFLOW:
        print(f"export {key}={shlex.quote(quiet_tensorflow(dict(os.environ))[key])}")
