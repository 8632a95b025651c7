"""The committed notebooks: one clean run each, readable on GitHub, linked in order.

nbval executes every notebook (see pyproject.toml); these tests check what is
*stored*: the outputs a reader sees without running anything.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TF_NOISE = re.compile(r"oneDNN|cuda|TF-TRT|I0000 |W0000 |E0000 |tensorflow/core")


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def text_of(output):
    if "text" in output:
        return "".join(output["text"])
    return "".join(output.get("data", {}).get("text/plain", ""))


def test_the_course_starts_here():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_start_here.ipynb"
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(len(numbers))), (
        "notebooks must be numbered 00, 01, 02, ... without gaps"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_come_from_one_clean_run(path):
    cells = code_cells(load(path))
    counts = [c["execution_count"] for c in cells]
    assert counts == list(range(1, len(cells) + 1)), f"execution counts {counts}"
    for c in cells:
        for out in c["outputs"]:
            assert out["output_type"] != "error", f"cell {c['execution_count']} stored an error"
            text = text_of(out)
            assert "Traceback" not in text, f"cell {c['execution_count']} stored a traceback"
            assert not TF_NOISE.search(text), (
                f"cell {c['execution_count']} stored TensorFlow log noise"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_light_and_plain(path):
    nb = load(path)
    assert path.stat().st_size < 3_000_000
    assert "widgets" not in nb["metadata"], "stale widget state stored in the notebook"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for c in code_cells(nb):
        for line in "".join(c["source"]).splitlines():
            assert not line.lstrip().startswith(("%", "!")), (
                f"IPython magic or shell escape: {line!r}"
            )


@pytest.mark.parametrize("index", range(len(NOTEBOOKS)), ids=[p.name for p in NOTEBOOKS])
def test_navigation_links(index):
    path = NOTEBOOKS[index]
    nb = load(path)
    first = "".join(nb["cells"][0]["source"])
    number = path.name[:2]
    assert first.startswith(f"# {number} · "), "the first cell starts with the notebook's title"
    links = set(re.findall(r"\]\(([0-9][0-9]_[a-z0-9_]+\.ipynb)\)", first))
    for link in links:
        assert (path.parent / link).exists(), f"broken link {link}"
    if index + 1 < len(NOTEBOOKS):
        following = NOTEBOOKS[index + 1].name
        assert following in links, "the first cell links to the next notebook"
        last = "".join(nb["cells"][-1]["source"])
        assert following in last, "the last cell links to the next notebook"
    if index > 0:
        assert NOTEBOOKS[index - 1].name in links, "the first cell links to the previous notebook"
