"""SIGINT, SIGTERM and SIGHUP during ``--verify``: stop, clean up, then exit as the signal asks.

While ``--verify`` runs, each of the three signals raises :class:`Interrupted`
where the program is, so that the code that holds the user's images and the
flow's process group can undo what it did on the way out.  A step that must
not be cut in two (holding a tag, putting one back) runs ``shielded()``: a
signal that arrives meanwhile is raised when the step is done.  Once one
signal was raised, later ones are only noted: the cleanup is not cut short.

:class:`Interrupted` is a ``SystemExit`` whose code is 128 plus the signal's
number (130, 143, 129), so that whatever runs ``--verify`` exits as a shell
expects once the cleanup is done.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(SystemExit):
    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


class _Handler:
    def __init__(self) -> None:
        self.depth = 0
        self.pending: int | None = None
        self.raised = False
        self.previous: dict[int, object] = {}

    def __call__(self, signum: int, frame) -> None:
        if self.raised:
            return
        if self.depth > 0:
            self.pending = self.pending or signum
            return
        self.raised = True
        raise Interrupted(signum)

    def release(self) -> None:
        if self.depth == 0 and self.pending is not None and not self.raised:
            self.raised = True
            raise Interrupted(self.pending)


_active: _Handler | None = None


@contextmanager
def interruptible() -> Iterator[None]:
    """Turn the three signals into :class:`Interrupted` inside the block (only the main thread can; elsewhere nothing changes)."""
    global _active
    if _active is not None or threading.current_thread() is not threading.main_thread():
        yield
        return
    handler = _Handler()
    for signum in SIGNALS:
        handler.previous[signum] = signal.signal(signum, handler)
    _active = handler
    try:
        yield
    finally:
        _active = None
        for signum, previous in handler.previous.items():
            signal.signal(signum, previous)


@contextmanager
def shielded() -> Iterator[None]:
    """Hold a signal back until the block is done."""
    handler = _active
    if handler is None:
        yield
        return
    handler.depth += 1
    try:
        yield
    finally:
        handler.depth -= 1
    handler.release()
