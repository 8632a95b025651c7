"""The course in a real browser: JupyterLab runs each notebook with "Run All" and shows no error.

Needs Debian's Chromium (/usr/bin/chromium) and Playwright; `.ci/run` installs both.
Screenshots of each notebook after its run are saved in artifacts/.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import browser
import pytest
from conftest import require

pytestmark = pytest.mark.slow  # JupyterLab and Voila in Chromium

# nbval already runs every notebook; in the browser we run the ones a reader meets first and the
# ones with widgets (the training notebooks would only repeat nbval's minutes).
IN_BROWSER = ("00_", "01_", "02_", "05_")
NOTEBOOKS = sorted(
    p.name
    for p in (browser.ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
    if p.name.startswith(IN_BROWSER)
)

require(
    not browser.CHROMIUM.exists() and "no /usr/bin/chromium here",
    "apt-get install chromium; .ci/run does",
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = browser.copy_notebooks(tmp_path_factory.mktemp("lab"))
    with browser.jupyterlab(root) as (base_url, token):
        yield base_url, token, root


@pytest.fixture(scope="module")
def chromium():
    with browser.chromium() as b:
        yield b


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_run_all_in_jupyterlab(lab, chromium, name):
    base_url, token, _ = lab
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    try:
        browser.open_notebook(page, base_url, token, name)
        browser.run_all_cells(page)
        assert browser.cell_errors(page) == []
        shot = browser.screenshot(page, f"jupyterlab_{Path(name).stem}.png")
        assert shot.stat().st_size > 10_000
    finally:
        page.close()


def test_an_error_in_a_cell_is_seen(lab, chromium):
    """The check above can fail: a notebook whose cell raises is reported."""
    import nbformat

    base_url, token, root = lab
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, root / "notebooks" / "broken.ipynb")
    page = chromium.new_page()
    try:
        browser.open_notebook(page, base_url, token, "broken.ipynb")
        browser.run_all_cells(page)
        errors = browser.cell_errors(page)
        assert any("ZeroDivisionError" in e for e in errors), errors
    finally:
        page.close()


# ------------------------------------------------------------ notebook 05's widgets
EXPLORER = "05_gate_explorer.ipynb"

# The first slider on the page, its output area's image, and that image's source.
FIRST_SLIDER_IMAGE_JS = """() => {
    const handle = document.querySelector('.widget-slider .noUi-handle');
    const area = handle && (handle.closest('.jp-OutputArea-output') || document.body);
    const image = area && area.querySelector('img');
    return image ? image.src : null;
}"""


def move_first_slider(page, timeout_ms=60_000):
    """Focus the first slider's handle, press ArrowRight; return the image source before and after."""
    page.wait_for_function(f"() => Boolean(({FIRST_SLIDER_IMAGE_JS})())", timeout=timeout_ms)
    before = page.evaluate(FIRST_SLIDER_IMAGE_JS)
    readout = page.locator(".widget-slider .widget-readout").first.inner_text()
    handle = page.locator(".widget-slider .noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        f"(before) => {{ const src = ({FIRST_SLIDER_IMAGE_JS})(); return src && src !== before; }}",
        arg=before,
        timeout=timeout_ms,
    )
    after = page.evaluate(FIRST_SLIDER_IMAGE_JS)
    moved = page.locator(".widget-slider .widget-readout").first.inner_text()
    return before, after, readout, moved


def page_problems(page):
    """What a reader would see as broken: error outputs, failed widgets, Voila's cell errors."""
    problems = browser.cell_errors(page)
    text = page.inner_text("body")
    for words in ("Error displaying widget", "There was an error when executing", "Traceback"):
        if words in text:
            problems.append(words)
    return problems


def test_a_slider_redraws_the_explorer_in_jupyterlab(lab, chromium):
    base_url, token, _ = lab
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    try:
        browser.open_notebook(page, base_url, token, EXPLORER)
        browser.run_all_cells(page)
        assert page_problems(page) == []
        assert page.locator(".widget-slider").count() >= 5  # the three views rendered
        before, after, readout, moved = move_first_slider(page)
        assert after != before and moved != readout
        page.locator(".widget-slider").first.scroll_into_view_if_needed()
        shot = browser.screenshot(page, "jupyterlab_05_slider_moved.png")
        assert shot.stat().st_size > 10_000
    finally:
        page.close()


# --------------------------------- notebook 05 as a Voila app, offline (lab machines)
SERVER_CONFIG = browser.ROOT / "binder" / "server_config.py"
RENDERED_MATH_JS = "() => document.querySelectorAll('mjx-container').length"


def explorer_offline(chromium, url):
    """Notebook 05 as a Voila page, in a browser that reaches 127.0.0.1 only."""
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    asked = browser.offline(page)
    page.goto(url, timeout=180_000)
    page.wait_for_selector(".widget-slider .noUi-handle", timeout=180_000)
    return page, asked


def needs_voila():
    require(
        importlib.util.find_spec("voila") is None and "voila is not installed", "requirements.txt"
    )


def test_the_explorer_as_a_voila_app(tmp_path, chromium):
    """Standalone Voila, offline: the app works, and renders its math with the MathJax it ships."""
    needs_voila()
    root = browser.copy_notebooks(tmp_path)
    with browser.voila(root / "notebooks" / EXPLORER) as url:
        page, asked = explorer_offline(chromium, url)
        try:
            page.wait_for_function(
                "() => document.querySelectorAll('.widget-slider').length >= 5", timeout=180_000
            )
            assert page_problems(page) == []
            assert "GateExplorer(classifier)" not in page.inner_text("body")  # no code shown
            page.wait_for_function(f"() => ({RENDERED_MATH_JS})() > 5", timeout=60_000)
            assert not [u for u in asked if "mathjax" in u.lower()], asked
            before, after, readout, moved = move_first_slider(page)
            assert after != before and moved != readout
            shot = browser.screenshot(page, "voila_05_gate_explorer.png")
            assert shot.stat().st_size > 10_000
        finally:
            page.close()


def math_on_the_voila_route(chromium, base_url, token, shot=None):
    """Open notebook 05 on JupyterLab's Voila route offline: ``(math rendered, MathJax asked online)``.

    Waits until the page has either typeset its math or asked the internet for MathJax."""
    route = f"{base_url}/voila/render/notebooks/{EXPLORER}?token={token}"
    page, asked = explorer_offline(chromium, route)
    try:
        online = []
        for _ in range(120):  # the route handler sees the page's requests while it waits
            online = [u for u in asked if "mathjax" in u.lower()]
            if page.evaluate(RENDERED_MATH_JS) > 5 or online:
                break
            page.wait_for_timeout(500)
        if shot:
            assert browser.screenshot(page, shot).stat().st_size > 10_000
        return page.evaluate(RENDERED_MATH_JS), online
    finally:
        page.close()


def test_jupyterlabs_voila_route_shows_the_equations_offline(tmp_path, chromium):
    """JupyterLab's Voila route, with the settings binder/server_config.py writes (Binder's postBuild
    runs it), renders notebook 05's math with the MathJax Voila ships: no internet needed."""
    needs_voila()
    root = browser.copy_notebooks(tmp_path)
    prefix = tmp_path / "environment"  # where the script writes etc/jupyter/...
    subprocess.run([sys.executable, str(SERVER_CONFIG), str(prefix)], check=True)
    config = prefix / "etc" / "jupyter"
    with browser.jupyterlab(root, env={"JUPYTER_CONFIG_PATH": str(config)}) as lab:
        rendered, asked = math_on_the_voila_route(chromium, *lab, "voila_route_05_offline.png")
    assert rendered > 5 and asked == []


def test_without_the_setting_the_voila_route_asks_a_cdn_for_mathjax(tmp_path, chromium):
    """The check above can fail: JupyterLab's Voila route without the setting (the server's
    tornado settings emptied on its command line, over what course.py writes into .venv/)
    wants MathJax online."""
    needs_voila()
    root = browser.copy_notebooks(tmp_path)
    with browser.jupyterlab(root, args=["--ServerApp.tornado_settings={}"]) as lab:
        rendered, asked = math_on_the_voila_route(chromium, *lab)
    assert rendered == 0 and asked


# ------------------------------------- notebook 05 saved, then opened again another day
OUTPUT_TEXTS_JS = """() => window.jupyterapp.shell.currentWidget.content.widgets
    .filter(c => c.model.type === 'code').map(c => c.outputArea.node.textContent)"""


def saved_and_reopened(tmp_path, chromium, env):
    """Run notebook 05 in JupyterLab, save it, stop the server; start a new one (no kernel, no
    widget left) and open the saved notebook. Returns the text of each code cell's outputs."""
    root = browser.copy_notebooks(tmp_path / "course")
    saved = root / "notebooks" / EXPLORER
    with browser.jupyterlab(root, env=env) as (base_url, token):
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        try:
            browser.open_notebook(page, base_url, token, EXPLORER)
            browser.run_all_cells(page)
            page.wait_for_selector(".widget-slider .noUi-handle", timeout=120_000)
            before = saved.stat().st_mtime_ns
            page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
            page.wait_for_function(
                "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=60_000
            )
            assert saved.stat().st_mtime_ns != before, "the notebook was saved"
        finally:
            page.close()
    with browser.jupyterlab(root, env=env) as (base_url, token):
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        try:
            browser.open_notebook(page, base_url, token, EXPLORER)
            page.wait_for_timeout(3000)  # let every output render
            return page.evaluate(OUTPUT_TEXTS_JS)
        finally:
            page.close()


def test_a_reopened_explorer_says_how_to_get_its_controls_back(tmp_path, chromium):
    """With the course's server settings (binder/server_config.py), a saved and reopened
    notebook 05 shows each view's words; without them, JupyterLab's error boxes (the control)."""
    prefix = tmp_path / "environment"
    subprocess.run([sys.executable, str(SERVER_CONFIG), str(prefix)], check=True)
    env = {"JUPYTER_CONFIG_PATH": str(prefix / "etc" / "jupyter")}
    texts = saved_and_reopened(tmp_path / "with", chromium, env)
    assert sum("Its controls appear when this cell runs" in t for t in texts) == 3
    assert not any("Error displaying widget" in t for t in texts)
    # The control: the same, with a hook that changes nothing (dict(**kwargs) only returns a
    # dict), in a config folder that comes before the environment's own.
    plain = tmp_path / "plain-settings"
    plain.mkdir()
    (plain / "jupyter_server_config.json").write_text(
        '{"ContentsManager": {"pre_save_hook": "builtins.dict"}}'
    )
    control = saved_and_reopened(
        tmp_path / "without", chromium, {"JUPYTER_CONFIG_PATH": str(plain)}
    )
    assert sum("Error displaying widget" in t for t in control) == 3
