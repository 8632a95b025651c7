"""Let JupyterLab's Voila route render math with the MathJax Voila ships, not one from a CDN.

    python binder/offline_math.py              # the environment of this Python
    python binder/offline_math.py PREFIX       # the environment installed at PREFIX

Voila's route inside a Jupyter server (``/voila/render/...``, the one Binder's Voila link
opens) loads MathJax from cdnjs unless the server's settings name none; offline, the page then
shows raw TeX. The standalone ``voila`` command names none, and its bundled MathJax works
without internet. This script writes that setting, ``ServerApp.tornado_settings`` with
``mathjax_url`` and ``mathjax_config`` set to null, into PREFIX/etc/jupyter/
jupyter_server_config.json, keeping whatever else the file holds. Binder's postBuild runs it;
on a lab's machines run it once with the course's Python (.venv/bin/python). Standard library
only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SETTINGS = {"mathjax_url": None, "mathjax_config": None}


def install(prefix=sys.prefix):
    """Merge the setting into ``prefix``'s server config; return the file's path."""
    path = Path(prefix) / "etc" / "jupyter" / "jupyter_server_config.json"
    config = json.loads(path.read_text()) if path.exists() else {}
    server = config.setdefault("ServerApp", {})
    server["tornado_settings"] = {**server.get("tornado_settings", {}), **SETTINGS}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


if __name__ == "__main__":
    print(install(*sys.argv[1:2]))
