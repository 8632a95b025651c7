"""Drive the course in a real browser: JupyterLab (or Voila) on localhost, Chromium via Playwright.

Used by the browser tests. The servers run on a temporary copy of the
notebooks, so nothing they autosave ever lands in ``notebooks/``.
Screenshots go to ``artifacts/`` at the repository root.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from gru_lesson.runtime import quiet_tensorflow

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# True once the current panel is notebook NAME and its kernel is connected and idle.
KERNEL_IDLE_JS = """(name) => {
    const app = window.jupyterapp;
    const widget = app && app.shell.currentWidget;
    const ctx = widget && widget.sessionContext;
    const kernel = ctx && ctx.session && ctx.session.kernel;
    return Boolean(ctx && widget.context && widget.context.path.endsWith(name) && ctx.isReady
        && kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle');
}"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(
                f"the server exited with code {proc.returncode} before answering at {url}"
            )
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"no answer at {url} within {timeout} s")
        time.sleep(0.5)


def copy_notebooks(dest: Path) -> Path:
    shutil.copytree(
        ROOT / "notebooks", dest / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    return dest


def server_env():
    return quiet_tensorflow(dict(os.environ))


@contextlib.contextmanager
def jupyterlab(root_dir: Path, env=(), args=()):
    """Start JupyterLab on 127.0.0.1 serving ``root_dir``; yields ``(base_url, token)``.

    ``env`` adds environment variables for the server (e.g. ``JUPYTER_CONFIG_PATH``), ``args``
    command-line settings, which win over every config file."""
    port, token = free_port(), secrets.token_hex(16)
    settings = Path(root_dir) / "lab-settings"
    notification = (
        settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    )
    notification.parent.mkdir(parents=True, exist_ok=True)
    notification.write_text('{"fetchNews": "false", "checkForUpdates": false}')  # no news pop-up
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
        "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to drive and watch the app
        f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={Path(root_dir) / 'workspaces'}",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    cmd += list(args)
    ready = f"http://127.0.0.1:{port}/api/status?token={token}"
    with _server(cmd, root_dir, ready, env=env) as _:
        yield f"http://127.0.0.1:{port}", token


@contextlib.contextmanager
def voila(notebook: Path):
    """Start Voila on 127.0.0.1 rendering ``notebook``; yields the page's URL."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
        "--Voila.ip=127.0.0.1",
    ]  # fmt: skip
    # Voila's own server has no /api/status (it redirects to a missing file), and its page
    # starts a kernel and runs the notebook: a static file of its own says it is up.
    with _server(cmd, notebook.parent, f"http://127.0.0.1:{port}/voila/static/voila.js") as _:
        yield f"http://127.0.0.1:{port}/"


HUB_CONFIG = ROOT / "classroom" / "jupyterhub_config.py"


@contextlib.contextmanager
def jupyterhub(root: Path):
    """The course's one-machine JupyterHub (classroom/jupyterhub_config.py) on free ports of
    127.0.0.1, its state and users' homes in ``root``; yields its URL.

    Everything the hub starts (its proxy, the users' servers) stops when the block ends.
    """
    port = free_port()
    env = {
        "GRU_LESSON_HUB_DIR": str(root),
        "GRU_LESSON_HUB_PORTS": f"{port},{free_port()},{free_port()}",
        "GRU_LESSON_HUB_TEST": "1",
    }
    cmd = [sys.executable, "-m", "jupyterhub", "-f", str(HUB_CONFIG)]
    try:
        with _server(cmd, root, f"http://127.0.0.1:{port}/hub/api/", grace=60, env=env) as _:
            yield f"http://127.0.0.1:{port}"
    finally:
        stop_processes_in(root)


def stop_processes_in(folder: Path):
    """Kill any process still working in ``folder`` (a user's server the hub left behind)."""
    folder = str(Path(folder).resolve())
    left = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if cwd == folder or cwd.startswith(folder + os.sep):
            left.append(int(proc.name))
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)
    return left


@contextlib.contextmanager
def _server(cmd, cwd, ready_url, grace=20, env=()):
    log = open(Path(cwd) / "server.log", "w")  # noqa: SIM115
    env = {**server_env(), **dict(env)}
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_for_http(ready_url, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def chromium():
    """A headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


def open_notebook(page, base_url, token, name, timeout_ms=120_000):
    """Open notebooks/NAME alone in a fresh JupyterLab workspace; wait for its kernel to be idle."""
    workspace = Path(name).stem.replace("_", "-")
    page.goto(f"{base_url}/lab/workspaces/{workspace}/tree/notebooks/{name}?reset&token={token}")
    page.wait_for_function(KERNEL_IDLE_JS, arg=name, timeout=timeout_ms)


def run_all_cells(page, timeout_ms=300_000):
    """Clear the stored outputs, run every cell with JupyterLab's own command, wait until all ran."""
    page.evaluate(
        """async () => {
            const commands = window.jupyterapp.commands;
            await commands.execute('notebook:clear-all-cell-outputs');
            const panel = window.jupyterapp.shell.currentWidget;
            const code = panel.content.widgets.filter(c => c.model.type === 'code');
            if (code.some(c => c.model.executionCount !== null)) throw new Error('outputs not cleared');
            await commands.execute('notebook:run-all-cells');
        }"""
    )
    page.wait_for_function(
        """() => {
            const panel = window.jupyterapp.shell.currentWidget;
            const cells = panel.content.widgets.filter(c => c.model.type === 'code');
            const done = cells.every(c => c.model.executionCount !== null);
            const kernel = panel.sessionContext.session.kernel;
            return done && kernel.status === 'idle';
        }""",
        timeout=timeout_ms,
    )


def cell_errors(page):
    """Error outputs and failed widget views shown anywhere on the page."""
    return page.evaluate(
        """() => {
            const found = [];
            document.querySelectorAll('[data-mime-type="application/vnd.jupyter.error"], .jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]')
                .forEach(e => { if (/Error|Traceback/.test(e.innerText)) found.push(e.innerText.slice(0, 300)); });
            document.querySelectorAll('.jp-OutputArea-output, .widget-output, body')
                .forEach(e => { if (e.innerText && e.innerText.includes('Error displaying widget')) found.push('Error displaying widget'); });
            return [...new Set(found)];
        }"""
    )


def offline(page):
    """Let ``page`` reach 127.0.0.1 only, as on a machine without internet; returns the list
    that collects every other address it asks for."""
    asked = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            request_route.continue_()
        else:
            asked.append(url)
            request_route.abort()

    page.route("**/*", route)
    return asked


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=False)
    return path
