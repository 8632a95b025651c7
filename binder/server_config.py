"""Write the course's two Jupyter server settings into an environment's server config.

    python binder/server_config.py              # the environment of this Python
    python binder/server_config.py PREFIX       # the environment installed at PREFIX

* **Equations offline in the Voila route.** Voila's route inside a Jupyter server
  (``/voila/render/...``, the one Binder's Voila link opens) loads MathJax from cdnjs unless the
  server's settings name none; offline, the page then shows raw TeX. The standalone ``voila``
  command names none, and its bundled MathJax works without internet. The setting:
  ``ServerApp.tornado_settings`` with ``mathjax_url`` and ``mathjax_config`` set to null.
* **Widgets that say what to do when a notebook is reopened.** A saved widget output refers to a
  widget of the kernel that ran it; opened again, JupyterLab shows "Error displaying widget: model
  not found". The setting ``ContentsManager.pre_save_hook`` runs
  ``gru_lesson.saved_outputs.pre_save_hook`` at every save, which keeps the course's views as their
  plain-text fallback ("run this cell to get the controls").

The settings are merged into PREFIX/etc/jupyter/jupyter_server_config.json, keeping whatever else
the file holds. Binder's postBuild runs this script, ``course.py lab`` and ``course.py test`` run it
for .venv/; on a lab's machines run it once with the course's Python (.venv/bin/python).
Standard library only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TORNADO_SETTINGS = {"mathjax_url": None, "mathjax_config": None}
PRE_SAVE_HOOK = "gru_lesson.saved_outputs.pre_save_hook"


def install(prefix=sys.prefix):
    """Merge the settings into ``prefix``'s server config; return the file's path."""
    path = Path(prefix) / "etc" / "jupyter" / "jupyter_server_config.json"
    config = json.loads(path.read_text()) if path.exists() else {}
    server = config.setdefault("ServerApp", {})
    server["tornado_settings"] = {**server.get("tornado_settings", {}), **TORNADO_SETTINGS}
    config.setdefault("ContentsManager", {})["pre_save_hook"] = PRE_SAVE_HOOK
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(config, indent=2) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


if __name__ == "__main__":
    print(install(*sys.argv[1:2]))
