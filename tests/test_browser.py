"""The course in a real browser: JupyterLab runs each notebook with "Run All" and shows no error.

Needs Debian's Chromium (/usr/bin/chromium) and Playwright; `.ci/run` installs both.
Screenshots of each notebook after its run are saved in artifacts/.
"""

import os
from pathlib import Path

import browser
import pytest

# nbval already runs every notebook; in the browser we run the ones a reader meets first and the
# ones with widgets (the training notebooks would only repeat nbval's minutes).
IN_BROWSER = ("00_", "01_", "02_", "05_")
NOTEBOOKS = sorted(
    p.name
    for p in (browser.ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
    if p.name.startswith(IN_BROWSER)
)

if not browser.CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium at /usr/bin/chromium: .ci/run installs it")
    pytest.skip("no /usr/bin/chromium here (apt-get install chromium)", allow_module_level=True)


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
