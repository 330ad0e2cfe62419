"""Progress bars on stderr: each counts one unit (scenes, rows or bytes), gives its rate and
time left in that unit, and is left standing at its last count when its step ends, so the
total reached is on screen. Shown only when stderr is a terminal: logs and pipes get none."""

from __future__ import annotations

import sys
import time


class Progress:
    """One bar per step, counting `unit`s; `advance(n)` adds n of them."""

    def __init__(self, total: int, enabled: bool = True, unit: str = "scenes"):
        self.total = total
        self.enabled = enabled and sys.stderr.isatty()
        self.unit = unit
        self._bar = None
        self._started = 0.0

    def step(self, name: str, total: int | None = None) -> None:
        self.close()
        if not self.enabled:
            return
        from tqdm import tqdm

        self._started = time.perf_counter()
        self._bar = tqdm(total=self.total if total is None else total, desc=name,
                         unit=self.unit, file=sys.stderr, leave=True, dynamic_ncols=True,
                         bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:,}/{total:,} "
                                    f"{self.unit} [{{elapsed}}<{{remaining}}{{postfix}}]")

    def advance(self, count: int) -> None:
        if self._bar is None or count <= 0:
            return
        elapsed = time.perf_counter() - self._started
        if elapsed > 0:
            # the mean since the step began: tqdm's own rate is smoothed over the last updates
            rate = (self._bar.n + count) / elapsed
            self._bar.set_postfix_str(f"{rate:,.0f} {self.unit}/s", refresh=False)
        self._bar.update(count)

    def close(self) -> None:
        """End the step; the bar is drawn once more at its last count (tqdm skips draws
        closer together than its interval, and the last update is often one of them)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def byte_bar(total: int, desc: str, enabled: bool = True):
    """A bar counting bytes (scaled: kB, MB, GB), or None when not shown."""
    if not enabled or not sys.stderr.isatty() or total <= 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc=desc, file=sys.stderr,
                leave=True, dynamic_ncols=True)
