"""The request to stop a build, set by the command's signal handler. The build checks it
between chunks, where no lock of a worker pool or writer is held, and cleans up. A module of
its own, importing nothing, so the handler is in place before any slow import."""

from __future__ import annotations

import threading

STOP = threading.Event()
