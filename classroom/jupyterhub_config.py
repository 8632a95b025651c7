"""A JupyterHub on one machine, to try the course's classroom before the real hub is set up.

    cd classroom
    npm ci                                               # JupyterHub's proxy, into node_modules/
    ../.venv/bin/jupyterhub -f jupyterhub_config.py      # then open http://127.0.0.1:8000

Anyone who reaches it can log in with any name and any password (JupyterHub's dummy
authenticator), and each user's server runs as the same system user as the hub, in
``hub/home/<name>/`` here: it listens on 127.0.0.1 only, and is for a try-out on your own
machine, never for a class on a network. Each server is JupyterLab from the course's
environment (.venv), so the nbgitpuller link that ``python3 scripts/links.py --hub
http://127.0.0.1:8000`` prints gives a logged-in user the course in their home folder.
tests/test_hub.py runs this very file, with its own ports and folder:

    GRU_LESSON_HUB_DIR      the hub's folder (database, cookie secret, homes); default ./hub
    GRU_LESSON_HUB_PORTS    three ports: the hub's public one, the hub's own, the proxy's API;
                            default "8000,8081,8001"
"""

import os
import runpy
import shutil
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (JupyterHub's config loader defines it)

HERE = Path(__file__).resolve().parent
STATE = Path(os.environ.get("GRU_LESSON_HUB_DIR", HERE / "hub")).resolve()
PUBLIC, HUB, PROXY_API = (
    int(p) for p in os.environ.get("GRU_LESSON_HUB_PORTS", "8000,8081,8001").split(",")
)
PROXY = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
STATE.mkdir(parents=True, exist_ok=True)

c.JupyterHub.bind_url = f"http://127.0.0.1:{PUBLIC}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{HUB}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PROXY_API}"
c.ConfigurableHTTPProxy.command = [
    str(PROXY)
    if PROXY.exists()
    else shutil.which("configurable-http-proxy") or "configurable-http-proxy"
]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "cookie_secret")

# Logins and servers for one machine only (see above).
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "home" / "{username}")

# Each user's server: JupyterLab from the course's environment, TensorFlow quiet.
c.Spawner.cmd = [str(Path(sys.executable).parent / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
runtime = runpy.run_path(str(HERE.parent / "gru_lesson" / "runtime.py"))  # standard library only
c.Spawner.environment = dict(runtime["QUIET_TENSORFLOW"])
c.Spawner.args = [
    "--LabApp.news_url=",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
]
if hasattr(os, "geteuid") and os.geteuid() == 0:
    c.Spawner.args.append("--allow-root")  # in a container run as root
if os.environ.get("GRU_LESSON_HUB_TEST"):
    c.Spawner.args.append(
        "--LabApp.expose_app_in_browser=True"
    )  # lets a browser test drive JupyterLab
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
