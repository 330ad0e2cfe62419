"""The build's progress on stderr: scenes through each step, rows per second and the time
left. Shown only when stderr is a terminal, so logs and pipes get none of it."""

from __future__ import annotations

import sys
import time


class Progress:
    """One bar per step, counting scenes; `rows_per_scene` turns their rate into rows/s."""

    def __init__(self, total: int, enabled: bool = True, rows_per_scene: int = 3):
        self.total = total
        self.enabled = enabled and sys.stderr.isatty()
        self.rows_per_scene = rows_per_scene
        self._bar = None
        self._started = 0.0

    def step(self, name: str, total: int | None = None) -> None:
        self.close()
        if not self.enabled:
            return
        from tqdm import tqdm

        self._started = time.perf_counter()
        self._bar = tqdm(total=self.total if total is None else total, desc=name,
                         unit="scenes", file=sys.stderr, leave=False, dynamic_ncols=True,
                         bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
                                    "scenes [{elapsed}<{remaining}{postfix}]")

    def advance(self, scenes: int) -> None:
        if self._bar is None or scenes <= 0:
            return
        elapsed = time.perf_counter() - self._started
        if elapsed > 0:
            rate = (self._bar.n + scenes) * self.rows_per_scene / elapsed
            self._bar.set_postfix_str(f"{rate:,.0f} rows/s", refresh=False)
        self._bar.update(scenes)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
