"""Worker processes that end with the process that started them, and leave its signals to it.

A pool's workers outlive a parent killed with SIGKILL or SIGTERM (the pool's own clean-up
never runs), and go on writing into folders a later run uses. Linux can send a process a
signal when its parent dies (prctl PR_SET_PDEATHSIG); Python's standard library has no
call for it, hence ctypes. Elsewhere this does nothing.

A spawned worker can only ask once it has imported what it runs, a second or more after it
started: a parent killed in that time is gone before the request, so the worker then checks
that its parent is still the process that started it.

Ctrl-C in a terminal signals every process of its group, a worker being started too: one
that is still importing prints a traceback of its own. A child inherits its parent's
blocked signals through fork and exec, so a parent that blocks SIGINT while it starts
workers (`parent_signals_only`) gets every Ctrl-C: the workers never see one. (SIGTERM stays
open: a pool ends a broken worker with it.)
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_PR_SET_PDEATHSIG = 1
_PARENTS_SIGNALS = {signal.SIGINT}


def die_with_parent() -> None:
    """Have the kernel kill this process when its parent process ends (Linux only)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        parent = multiprocessing.parent_process()
        if parent is not None and os.getppid() != parent.pid:  # it died before we asked
            os.kill(os.getpid(), signal.SIGKILL)


@contextmanager
def parent_signals_only(*also: signal.Signals) -> Iterator[None]:
    """Start worker processes inside this block: they begin with SIGINT (and the signals
    `also` names) blocked and keep them so. A signal that comes meanwhile reaches this
    process when the block ends, never half way through handing a worker its task.

    The mask covers the calling thread only, and a process-wide signal may land on another
    thread (polars', a tokenizer's); Python then runs its handler in the main thread at once,
    in the middle of a worker's start, whose half-sent task makes the worker print a
    traceback. So the handlers are also held here and the signals raised again after."""
    signals = _PARENTS_SIGNALS | set(also)
    held: list[int] = []
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in signals:
            previous[signum] = signal.signal(signum, lambda n, frame: held.append(n))
    before = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)  # a pending one is held now
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        for signum in dict.fromkeys(held):
            signal.raise_signal(signum)
