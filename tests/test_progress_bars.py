"""The progress bars as a user's terminal shows them: `build` and `check` run with stderr on a
pseudo-terminal, and each bar's last drawing read back. A bar counts one unit, gives its
rate in it, and ends at its total."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios

CORPUSGEN = [sys.executable, "-m", "mnemophrase.cli"]


def _on_a_terminal(args: list[str]) -> str:
    """stderr of `corpusgen ARGS` written to a pseudo-terminal 160 columns wide."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    proc = subprocess.Popen([*CORPUSGEN, *args], stdout=subprocess.DEVNULL, stderr=slave,
                            stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=600) == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


def _last_drawings(shown: str) -> dict[str, str]:
    """Each bar's last drawing, by its name (the text before the first colon)."""
    last = {}
    for piece in re.split(r"[\r\n]", shown):
        piece = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", piece).strip()
        name, colon, _ = piece.partition(":")
        if colon and "%|" in piece:
            last[name] = piece
    return last


def _count(drawing: str, unit: str) -> tuple[int, int]:
    done, total = re.search(rf"([\d,]+)/([\d,]+) {unit} \[", drawing).groups()
    return int(done.replace(",", "")), int(total.replace(",", ""))


def test_build_bars_count_scenes_to_the_total_with_a_rate_in_scenes(tmp_path):
    shown = _on_a_terminal(["build", "--langs", "ru,en", "--n", "3000", "--workers", "1",
                            "--out", str(tmp_path / "b")])
    bars = _last_drawings(shown)
    assert {"checking uniqueness", "writing"} <= set(bars), shown
    for name in ("checking uniqueness", "writing"):
        assert _count(bars[name], "scenes") == (3000, 3000), bars[name]
        assert "100%" in bars[name] and "scenes/s" in bars[name], bars[name]
    assert "rows/s" not in shown


def test_check_bar_counts_every_row_to_the_total(small_build, tmp_path):
    build = shutil.copytree(small_build, tmp_path / "b")
    shown = _on_a_terminal(["check", str(build)])
    bars = _last_drawings(shown)
    assert "checking" in bars and "verifying" in bars, shown
    done, total = _count(bars["checking"], "rows")
    # every stage's rows, the language stage's included: 3 rows a scene
    assert done == total == 3 * 3000, bars["checking"]
    assert "100%" in bars["checking"] and "rows/s" in bars["checking"]
    assert "100%" in bars["verifying"], bars["verifying"]
