"""Reading the stored units back as bootstrap parts: which rows, which seeds, which combo.

A "point" of an arm is one model state (after a stage) under one adapter combination. For
arms that branch from a saved first stage, the combination "core" (or, for reverse,
"language") is the saved stage itself, measured once in its own unit: the branch leaves it
frozen (the report states the largest change of its weights, which is 0 when it is).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .config import ARMS
from .stats import Part, estimate

METRICS = {"token": ("nll", "tokens"), "char": ("nll", "chars"), "kl": ("kl", "tokens"),
           "recall": ("hits", "words")}


def _recall_part(rec: dict, metric: str):
    """(hits, words) per row of a recall metric: "recall", "recall_spelled" (words the
    hyperword spells in the gloss language: naming them can be copying) or
    "recall_translated" (words it spells in another language); "<metric>_control" scores the
    same glosses against another hyperword's words (the chance control)."""
    prefix = ""
    if metric.endswith("_control"):
        prefix, metric = "control_", metric[: -len("_control")]
    if f"{prefix}hits_spelled" not in rec:  # a unit measured before this was recorded
        return None
    hits, words = rec[f"{prefix}hits"], rec[f"{prefix}words"]
    if metric == "recall":
        return hits, words
    spelled = rec[f"{prefix}hits_spelled"], rec[f"{prefix}words_spelled"]
    if metric == "recall_spelled":
        return spelled
    return np.subtract(hits, spelled[0]), np.subtract(words, spelled[1])


def _choice_part(choice: dict | None, metric: str):
    """(hits, items) of the forced choice: "choice" (all items), "choice_spelled",
    "choice_translated", or "choice:<pair>" for one language pair such as "choice:en>ru"."""
    if choice is None:
        return None
    hits = np.asarray(choice["hits"], float)
    spelled = np.asarray(choice["spelled"], bool)
    if metric == "choice":
        keep = np.ones(len(hits), bool)
    elif metric == "choice_spelled":
        keep = spelled
    elif metric == "choice_translated":
        keep = ~spelled
    else:
        keep = np.asarray(choice["pair"]) == metric.split(":", 1)[1]
    return hits * keep, keep.astype(float)


class Results:
    def __init__(self, out: Path, run: dict, units: dict[str, dict]):
        self.out, self.run, self.units = out, run, units
        self.seeds = run["seeds"]
        self.draws = run["sizes"]["bootstrap"]
        # arms reported: those whose every unit (each seed, and what it branches from) ran
        self.arms = [a for a in run["arms"] if all(
            uid in units for uid in run["units"] if uid.startswith(f"arm-{a}-"))
            and all(self._root_done(a, s) for s in self.seeds)]
        self.dropped = [a for a in run["arms"] if a not in self.arms]

    def _root_done(self, arm: str, seed: int) -> bool:
        root = self.root_id(arm, seed)
        return root is None or root in self.units

    @staticmethod
    def root_id(arm: str, seed: int) -> str | None:
        """The unit id of the saved first stage `arm` branches from in `seed` (None: none).
        The language reference is trained in chat format for every arm."""
        a = ARMS[arm]
        if a.root is None:
            return None
        fmt = "chat" if a.root == "language" else a.format
        return f"root-{a.root}-{fmt}-s{seed}"

    @classmethod
    def load(cls, out: Path) -> Results:
        run = json.loads((out / "run.json").read_text(encoding="utf-8"))
        units = {}
        for uid in run["units"]:
            file = out / "units" / f"{uid}.json"
            if file.is_file():
                units[uid] = json.loads(file.read_text(encoding="utf-8"))
        return cls(out, run, units)

    # ---- locating rows ------------------------------------------------------------------

    def _entry(self, uid: str, point: int, combo: str, metric: str, set_name: str):
        unit = self.units.get(uid)
        if unit is None or point >= len(unit["points"]):
            return None
        measures = unit["points"][point]["measures"].get(combo)
        if measures is None:
            return None
        if metric.startswith("choice"):
            return _choice_part(measures.get("choice"), metric) if set_name == "gloss_seen" \
                else None
        if metric.startswith("recall"):
            rec = measures.get("recall")
            if rec is None or set_name != "gloss_seen":
                return None
            return _recall_part(rec, metric)
        data = measures.get(set_name)
        num, den = METRICS[metric]
        if data is None or num not in data:
            return None
        return data[num], data[den]

    def where(self, arm: str, combo: str, point: int = -1) -> list[tuple[str, int, str]]:
        """(unit id, point index, combo) per seed for an arm's combination.

        arm: an arm name, "base:<fmt>", "core:<fmt>" or "reference" (the language adapter
        alone on the base)."""
        if arm.startswith("base:"):
            return [(f"base-{arm[5:]}", 0, "none")]
        if arm.startswith("core:"):
            return [(f"root-core-{arm[5:]}-s{s}", 0, "core") for s in self.seeds]
        if arm == "reference":
            return [(f"root-language-chat-s{s}", 0, "language") for s in self.seeds]
        a = ARMS[arm]
        if a.root == "core" and combo == "core":
            return self.where(f"core:{a.format}", "core")
        if a.root == "language" and combo == "language":
            return self.where("reference", "language")
        out = []
        for s in self.seeds:
            uid = f"arm-{arm}-{a.format}-s{s}"
            n = len(self.units.get(uid, {}).get("points", []))
            out.append((uid, point % n if n else 0, combo))
        return out

    def part(self, arm: str, combo: str, set_name: str, metric: str,
             point: int = -1) -> Part | None:
        rows = [self._entry(uid, p, c, metric, set_name)
                for uid, p, c in self.where(arm, combo, point)]
        if not rows or any(r is None for r in rows):
            return None
        return np.asarray([r[0] for r in rows], float), np.asarray([r[1] for r in rows], float)

    # ---- statistics ---------------------------------------------------------------------

    def value(self, arm: str, combo: str, set_name: str, metric: str, point: int = -1):
        p = self.part(arm, combo, set_name, metric, point)
        return None if p is None else estimate([p], draws=self.draws)

    def compare(self, a: tuple, b: tuple, set_name: str, metric: str, how: str):
        """A paired "ratio" (a / b) or "diff" (a - b) of two (arm, combo[, point]) points."""
        pa, pb = self.part(*a[:2], set_name, metric, *a[2:]), self.part(
            *b[:2], set_name, metric, *b[2:])
        if pa is None or pb is None:
            return None
        fn = (lambda x, y: x / y) if how == "ratio" else (lambda x, y: x - y)
        return estimate([pa, pb], fn, draws=self.draws)

    def corrected(self, arm: str, combo: str, metric: str, point: int = -1):
        """A recall metric minus its chance control, paired on the same rows."""
        pa = self.part(arm, combo, "gloss_seen", metric, point)
        pb = self.part(arm, combo, "gloss_seen", f"{metric}_control", point)
        if pa is None or pb is None:
            return None
        return estimate([pa, pb], lambda x, y: x - y, draws=self.draws)

    def corrected_diff(self, a: tuple, b: tuple, metric: str):
        """Paired difference of two (arm, combo) points' recall minus its chance control:
        (a - a's control) - (b - b's control), on the same rows."""
        parts = [self.part(*x, "gloss_seen", m) for x in (a, b)
                 for m in (metric, f"{metric}_control")]
        if any(p is None for p in parts):
            return None
        return estimate(parts, lambda x, xc, y, yc: (x - xc) - (y - yc), draws=self.draws)

    def curve_rows(self) -> list[int]:
        """The learning curve's row counts, as measured in every seed's core."""
        counts = None
        for s in self.seeds:
            unit = self.units.get(f"root-core-chat-s{s}")
            rows = [p["rows"] for p in (unit or {}).get("curve_points", [])]
            counts = rows if counts is None else [r for r in counts if r in rows]
        return counts or []

    def at_curve(self, rows: int) -> Results:
        """These results with every core measured after `rows` trained rows instead of at
        its end (a learning curve's point)."""
        units = dict(self.units)
        for s in self.seeds:
            uid = f"root-core-chat-s{s}"
            if uid in units:
                point = next(p for p in units[uid]["curve_points"] if p["rows"] == rows)
                units[uid] = {**units[uid], "points": [point]}
        return Results(self.out, self.run, units)

    def _first_choice(self) -> dict | None:
        """The forced choice of the first measurement that has one (its items are the same
        in every measurement of a run)."""
        for unit in self.units.values():
            for p in unit["points"]:
                for m in p["measures"].values():
                    if "choice" in m:
                        return m["choice"]
        return None

    def choice_chance(self) -> float | None:
        """The forced choice's chance level, 1 / candidates, as measured."""
        return (self._first_choice() or {}).get("chance")

    def pairs(self) -> list[str]:
        """The language pairs of the forced choice's items ("en>ru", ...), as measured."""
        return sorted(set((self._first_choice() or {}).get("pair", [])))

    def training(self, arm: str) -> dict | None:
        """Steps, trained tokens per second and minutes of an arm, over its seeds."""
        a = ARMS[arm]
        units = [self.units.get(f"arm-{arm}-{a.format}-s{s}") for s in self.seeds]
        if any(u is None for u in units):
            return None
        roots = [self.units.get(self.root_id(arm, s)) for s in self.seeds] if a.root else []
        steps = [len(u["curve"]) + (len(r["curve"]) if r else 0) for u, r in
                 zip(units, roots or [None] * len(units))]
        tps = [u["training"]["tokens_per_second"] for u in units]
        return {"steps": sorted(set(steps)), "tokens_per_second": float(np.mean(tps)),
                "minutes": float(np.mean([u["wall_seconds"] for u in units])) / 60,
                "first_stage_change": max((u.get("first_stage_change") or 0.0) for u in units)}
