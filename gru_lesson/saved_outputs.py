"""What a saved notebook keeps of the course's widgets: their words, not a view that cannot come back.

A widget lives in the running kernel. A notebook saved with a widget's output keeps only a
reference to it, and when the notebook is opened again (a new kernel, nothing run yet) JupyterLab
shows "Error displaying widget: model not found" in its place. The course's views therefore mark
their output (``MARK`` in the output's metadata) and give a plain-text fallback that says what to
do; before a notebook is written, ``drop_widget_views`` removes the marked outputs' references to
the live widget, so that a reopened notebook, GitHub and nbviewer show the fallback.

It runs in two places:

* ``scripts/execute_notebooks.py``, which writes the committed outputs;
* the Jupyter server, on every save: ``binder/server_config.py`` (run by Binder's postBuild
  and by ``course.py lab`` and ``course.py test``) makes ``pre_save_hook`` the contents
  manager's pre-save hook, in the environment's ``etc/jupyter/jupyter_server_config.json``. Outputs of other widgets, in other
  notebooks, are left as they are.
"""

from __future__ import annotations

__all__ = ["MARK", "WIDGET_VIEW", "drop_widget_views", "pre_save_hook"]

MARK = "gru_lesson_widget"  # a key of an output's metadata: "this output is a course view"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def drop_widget_views(notebook):
    """Remove the live-widget reference from every marked output of ``notebook`` that has a
    plain-text fallback; return how many were removed. ``notebook`` is a notebook as a dict
    (nbformat 4), changed in place."""
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise TypeError(
            "notebook must be a notebook as a dict with a list of 'cells' (nbformat 4), "
            f"got {type(notebook).__name__}"
        )
    removed = 0
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            data, marked = output.get("data", {}), output.get("metadata", {}).get(MARK)
            if marked and WIDGET_VIEW in data and "text/plain" in data:
                del data[WIDGET_VIEW]
                removed += 1
    return removed


def pre_save_hook(model, **kwargs):
    """The Jupyter server's pre-save hook: ``drop_widget_views`` on every notebook it saves.

    Only the file changes: the notebook open in the browser keeps its live widgets.
    """
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        drop_widget_views(model["content"])
