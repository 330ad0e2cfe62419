"""How long a push may wait for the Hub: timeouts on every request and a deadline for all.

huggingface_hub 2.x sends its requests through one shared httpx2 client (`get_session`),
made without a timeout, so a Hub that accepts the connection and never answers keeps a push
waiting for good. For the length of a push that client gets connect, read and write
timeouts (`Client.timeout`, which every request that names none uses; `repo_info` names
one, so the push passes it there), and the whole push gets a deadline: a server that sends
a byte a minute never trips a read timeout. The deadline is a SIGALRM in the main thread
(a blocked read is interrupted at once); elsewhere only the timeouts hold.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Opening a connection to the Hub takes well under a second; ten allow for a slow network.
CONNECT_SECONDS = 10.0
# The longest the Hub may stay silent within one answer: a commit's answer comes once the
# Hub has checked every file of it, which for a large build takes tens of seconds.
READ_SECONDS = 120.0
# The whole push, every attempt and wait included: an hour sends several GB on a slow line.
DEADLINE_SECONDS = 3600.0


class DeadlinePassed(Exception):
    """The push ran out of its total time."""


@contextmanager
def hub_limits(read: float = READ_SECONDS, deadline: float | None = DEADLINE_SECONDS,
               connect: float = CONNECT_SECONDS) -> Iterator[None]:
    """Timeouts on huggingface_hub's client and, in the main thread, the deadline (raises
    DeadlinePassed out of whatever is waiting). Both are undone on the way out."""
    import httpx2
    from huggingface_hub.utils import get_session

    session = get_session()
    before = session.timeout
    session.timeout = httpx2.Timeout(read, connect=min(connect, read))
    alarm = deadline is not None and threading.current_thread() is threading.main_thread()
    if alarm:
        def passed(signum, frame):
            raise DeadlinePassed

        previous = signal.signal(signal.SIGALRM, passed)
        signal.setitimer(signal.ITIMER_REAL, deadline)
    try:
        yield
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        session.timeout = before
