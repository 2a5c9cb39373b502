"""Progress of a batch on standard error: a rich bar on a terminal, a plain line now and then elsewhere.

Per-project lines are printed at the end, in walk order, so that a log does
not depend on which worker finished first.  The bar refreshes from the
callbacks rather than from a thread of its own, so that forking workers
never copies a thread.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import TextIO

from migrate.batch import Found, Progress

_PLAIN_EVERY = 5.0
"""Seconds between two plain progress lines; a shorter run prints none."""
_BAR_EVERY = 0.1


class PlainProgress(Progress):
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.last = self.started
        self.projects = 0

    def project(self, found: Found) -> None:
        self.projects += 1

    def directories(self, walked: int, done: int) -> None:
        now = time.monotonic()
        if now - self.last >= _PLAIN_EVERY:
            self.last = now
            elapsed = now - self.started
            print(f"dmigrate: {done}/{walked} directories searched, {self.projects} projects, {elapsed:.0f}s", file=self.stream, flush=True)


class BarProgress(Progress):
    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichProgress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.bar = RichProgress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("directories"),
            TimeElapsedColumn(),
            console=Console(file=stream),
            auto_refresh=False,
            transient=True,
        )
        self.task = self.bar.add_task("0 projects", total=None)
        self.projects = 0
        self.last = 0.0
        self.bar.start()

    def project(self, found: Found) -> None:
        self.projects += 1

    def directories(self, walked: int, done: int) -> None:
        self.bar.update(self.task, total=walked, completed=done, description=f"{self.projects} projects")
        now = time.monotonic()
        if now - self.last >= _BAR_EVERY:
            self.last = now
            self.bar.refresh()

    def stop(self) -> None:
        self.bar.stop()


@contextmanager
def progress_for(stream: TextIO, *, quiet: bool):
    if quiet:
        yield Progress()
        return
    if stream.isatty() and os.environ.get("TERM") != "dumb":
        bar = BarProgress(stream)
        try:
            yield bar
        finally:
            bar.stop()
        return
    yield PlainProgress(stream)
