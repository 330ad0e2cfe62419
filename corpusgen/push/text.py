"""Words and numbers of a push: one-line messages, sizes, the default commit message."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corpusgen.push.plan import PushPlan


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def corpusgen_version() -> str:
    from corpusgen import __version__

    return __version__


def row_count(plan: PushPlan) -> int:
    return sum(sum(v.values()) for v in plan.stats["rows"].values())


def default_message(plan: PushPlan) -> str:
    s = plan.stats
    return (f"corpusgen push: {row_count(plan):,} rows, {s.get('scenes', 0):,} scenes "
            f"(corpusgen {s.get('corpusgen_version', corpusgen_version())}, seed {s.get('seed')})")


def commit_description(plan: PushPlan) -> str:
    lines = [f"- {f.path_in_repo} ({human_size(f.size)})" for f in plan.files]
    return "Files:\n" + "\n".join(lines)


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"  # pragma: no cover
