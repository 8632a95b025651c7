"""One line of training progress that updates in place, wherever the code runs.

* In Jupyter (a kernel with a front end): one output line, updated through an
  ``IPython.display`` handle; the saved notebook keeps only the last version.
* In a terminal: one line rewritten with a carriage return.
* Headless (CI, pytest, a log file): a compact line per epoch, at most about
  twenty of them, so logs and notebook outputs never flood.
"""

from __future__ import annotations

import math
import sys
import time

from gru_lesson.validation import check_choice, check_int, check_number

__all__ = ["ProgressLine", "detect_mode", "MODES"]

MODES = ("auto", "notebook", "terminal", "lines", "off")

#: How a line of training progress writes each score it shows, in this order.
SCORES = {
    "loss": "loss {:.4f}",
    "accuracy": "acc {:.3f}",
    "val_loss": "val_loss {:.4f}",
    "val_accuracy": "val_acc {:.3f}",
}


def detect_mode():
    """``"notebook"`` inside a Jupyter kernel, ``"terminal"`` on a TTY, else ``"lines"``."""
    try:
        from IPython import get_ipython

        kernel = getattr(get_ipython(), "kernel", None)  # None outside a Jupyter kernel
    except ImportError:
        kernel = None
    if kernel is not None:
        return "notebook"
    return "terminal" if getattr(sys.stdout, "isatty", lambda: False)() else "lines"


def scores_text(scores, skip=()):
    """``loss 0.6931  acc 0.512  val_loss 0.6940  val_acc 0.498``: the scores of :data:`SCORES`
    that ``scores`` (a dict by name, such as Keras' logs) holds, but those named in ``skip``."""
    shown = [name for name in SCORES if name in scores and name not in skip]
    return "  ".join(SCORES[name].format(scores[name]) for name in shown)


def bar(fraction, width=20):
    """``[#########...........]`` for a fraction between 0 and 1."""
    filled = int(round(width * min(max(fraction, 0.0), 1.0)))
    return "[" + "#" * filled + "." * (width - filled) + "]"


class ProgressLine:
    """Show ``epoch k/total [bar] <text>`` as work goes on.

    ``update(epoch, fraction, text)`` may be called often (after every batch): the
    display refreshes at most every ``min_interval`` seconds. ``end_epoch(epoch, text)``
    marks an epoch done (the only call that prints in ``"lines"`` mode), and
    ``close()`` makes sure the final state is shown.
    """

    def __init__(self, total, mode="auto", min_interval=0.2, max_lines=20):
        self.total = check_int("total (epochs)", total, minimum=0)
        mode = check_choice("mode (of progress)", mode, (*MODES, None))
        self.mode = "off" if mode is None else (detect_mode() if mode == "auto" else mode)
        self.min_interval = check_number("min_interval (seconds)", min_interval, minimum=0)
        max_lines = check_int("max_lines", max_lines, minimum=1)
        self.every = max(1, math.ceil(self.total / max_lines))
        self.start = time.perf_counter()
        self._last_shown = -math.inf
        self._handle = None
        self._text = ""
        self._open = False

    def _check(self, epoch, text, fraction=1.0):
        epoch = check_int("epoch", epoch, minimum=1, maximum=max(self.total, 1))
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, got {type(text).__name__} {text!r}")
        return epoch, check_number("fraction (of the epoch)", fraction, minimum=0, maximum=1)

    def _line(self, epoch, fraction, text):
        width = len(str(self.total))
        done = (epoch - 1 + fraction) / max(self.total, 1)
        seconds = time.perf_counter() - self.start
        return f"epoch {epoch:>{width}d}/{self.total} {bar(done)} {text}  {seconds:.1f} s".rstrip()

    def _show(self, line):
        self._text = line
        self._last_shown = time.perf_counter()
        if self.mode == "notebook":
            from IPython.display import display

            if self._handle is None:
                self._handle = display({"text/plain": line}, raw=True, display_id=True)
            else:
                self._handle.update({"text/plain": line}, raw=True)
        elif self.mode == "terminal":
            sys.stdout.write("\r" + line + " " * 4)
            sys.stdout.flush()
            self._open = True

    def update(self, epoch, fraction, text=""):
        """Progress within an epoch (``fraction`` of it done); throttled."""
        epoch, fraction = self._check(epoch, text, fraction)
        due = time.perf_counter() - self._last_shown >= self.min_interval
        if self.mode in ("notebook", "terminal") and due:
            self._show(self._line(epoch, fraction, text))

    def end_epoch(self, epoch, text=""):
        """An epoch is done: show its summary (in ``"lines"`` mode, one line every few epochs)."""
        epoch, _ = self._check(epoch, text)
        line = self._line(epoch, 1.0, text)
        if self.mode == "lines":
            if epoch % self.every == 0 or epoch == self.total or epoch == 1:
                print(line, flush=True)
        elif self.mode != "off":
            if epoch == self.total or time.perf_counter() - self._last_shown >= self.min_interval:
                self._show(line)
            else:
                self._text = line

    def close(self):
        """Show the last state (if a throttled update hid it) and end the line."""
        if self.mode in ("notebook", "terminal") and self._text:
            self._show(self._text)
        if self.mode == "terminal" and self._open:
            sys.stdout.write("\n")
            sys.stdout.flush()
            self._open = False
