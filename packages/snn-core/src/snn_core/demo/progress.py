"""A dependency-free progress bar: redrawn in place on a terminal, one line per epoch elsewhere (CI logs)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """Report training progress: epoch, batches done, running loss and accuracy.

    On a TTY the current epoch's line is redrawn in place (``\\r``); otherwise (pipes, CI) only the finished
    epoch's summary is printed, so logs stay short.

    Args:
        epochs: total epochs.
        batches: batches per epoch.
        stream: where to write (default ``sys.stdout``).
        width: characters of the bar.
        interactive: force TTY (``True``) or plain (``False``) mode; default: ``stream.isatty()``.
    """

    def __init__(
        self,
        epochs: int,
        batches: int,
        stream: TextIO | None = None,
        width: int = 24,
        interactive: bool | None = None,
    ) -> None:
        self.epochs = epochs
        self.batches = batches
        self.stream = stream if stream is not None else sys.stdout
        self.width = width
        isatty = getattr(self.stream, "isatty", lambda: False)
        self.interactive = bool(isatty()) if interactive is None else interactive
        self._started = time.perf_counter()

    def _bar(self, done: int) -> str:
        filled = round(self.width * done / max(self.batches, 1))
        return "[" + "#" * filled + "-" * (self.width - filled) + "]"

    def update(self, epoch: int, batch: int, loss: float, accuracy: float) -> None:
        """After ``batch`` (1-based) of ``epoch`` (1-based): redraw the line on a terminal."""
        if not self.interactive:
            return
        line = (
            f"epoch {epoch:>{len(str(self.epochs))}}/{self.epochs} {self._bar(batch)} "
            f"{batch}/{self.batches} loss {loss:.4f} train acc {100 * accuracy:5.1f}%"
        )
        self.stream.write("\r" + line)
        self.stream.flush()

    def end_epoch(
        self, epoch: int, loss: float, accuracy: float, test_accuracy: float, seconds: float
    ) -> None:
        """Print the epoch's summary line (replacing the bar on a terminal)."""
        line = (
            f"epoch {epoch:>{len(str(self.epochs))}}/{self.epochs} {self._bar(self.batches)} "
            f"loss {loss:.4f} train acc {100 * accuracy:5.1f}% test acc {100 * test_accuracy:5.1f}% "
            f"({seconds:.1f} s)"
        )
        prefix = "\r\033[K" if self.interactive else ""
        self.stream.write(prefix + line + "\n")
        self.stream.flush()
