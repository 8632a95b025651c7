"""A saved notebook keeps the course's widgets as words: the committed outputs, and every save
of a Jupyter server that has the course's settings (binder/server_config.py)."""

import importlib.util
import json
from pathlib import Path

import nbformat
import pytest
from traitlets.config.loader import JSONFileConfigLoader

from gru_lesson.saved_outputs import MARK, WIDGET_VIEW, drop_widget_views, pre_save_hook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
spec = importlib.util.spec_from_file_location("server_config", ROOT / "binder" / "server_config.py")
server_config = importlib.util.module_from_spec(spec)
spec.loader.exec_module(server_config)


def widget_output(marked=True, plain="[The explorer: run this cell to get its controls.]"):
    data = {WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": "abc"}}
    if plain is not None:
        data["text/plain"] = plain
    metadata = {MARK: True} if marked else {}
    return nbformat.v4.new_output("display_data", data=data, metadata=metadata)


def notebook(*outputs):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A title"), nbformat.v4.new_code_cell("view")]
    nb.cells[1].outputs = list(outputs)
    return nb


def test_only_the_course_views_with_a_fallback_lose_their_live_reference():
    nb = notebook(widget_output(), widget_output(marked=False), widget_output(plain=None))
    assert drop_widget_views(nb) == 1
    kept = [WIDGET_VIEW in o["data"] for o in nb.cells[1].outputs]
    assert kept == [False, True, True]  # another widget, and one with no words, stay as they are
    assert nb.cells[1].outputs[0]["data"]["text/plain"].startswith("[The explorer")
    assert drop_widget_views(nb) == 0  # nothing left to do


@pytest.mark.parametrize("bad", [None, [], "notebook", {"cells": "none"}])
def test_what_is_not_a_notebook_is_refused(bad):
    with pytest.raises(TypeError, match="must be a notebook as a dict"):
        drop_widget_views(bad)


def test_the_hook_leaves_other_files_alone():
    model = {"type": "file", "content": "text"}
    pre_save_hook(model=model, path="notes.txt", contents_manager=None)
    assert model == {"type": "file", "content": "text"}


def test_a_server_with_the_course_settings_saves_the_views_as_words(tmp_path):
    """The settings file the script writes, loaded as a Jupyter server loads it, makes the
    contents manager write the view as its words, and another widget as it was."""
    from jupyter_server.services.contents.filemanager import FileContentsManager

    path = server_config.install(tmp_path / "prefix")
    config = JSONFileConfigLoader(path.name, str(path.parent)).load_config()
    (tmp_path / "work").mkdir()
    manager = FileContentsManager(root_dir=str(tmp_path / "work"), config=config)
    nb = notebook(widget_output(), widget_output(marked=False))
    manager.save({"type": "notebook", "format": "json", "content": nb}, "05_saved.ipynb")
    saved = nbformat.read(tmp_path / "work" / "05_saved.ipynb", as_version=4)
    outputs = saved.cells[1].outputs
    assert [WIDGET_VIEW in o["data"] for o in outputs] == [False, True]
    assert outputs[0]["data"]["text/plain"].startswith("[The explorer")


def test_the_settings_are_merged_and_written_once(tmp_path):
    path = server_config.install(tmp_path)
    first = path.stat().st_mtime_ns
    assert server_config.install(tmp_path) == path and path.stat().st_mtime_ns == first
    settings = json.loads(path.read_text())
    assert settings["ContentsManager"]["pre_save_hook"] == server_config.PRE_SAVE_HOOK
    module, _, name = server_config.PRE_SAVE_HOOK.rpartition(".")
    assert getattr(importlib.import_module(module), name) is pre_save_hook


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_committed_output_refers_to_a_live_widget(path):
    """What GitHub, nbviewer and a freshly opened notebook show: words, not an error box."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert WIDGET_VIEW not in output.get("data", {}), cell.source[:80]
