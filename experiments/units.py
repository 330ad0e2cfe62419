"""Units of work: the base model measured once per format, the saved first stages (one core
per seed and format, one language adapter per seed), and the arms branching from them.

Each unit trains (or not), measures under its adapter combinations, and returns one JSON
dict; the runner stores it under OUT/units/ and hands it to the report.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from .config import ARMS, LANGUAGE_WEIGHTS
from .extension import Extended
from .measure import (
    CORE_OFF_SETS,
    CORE_SETS,
    CURVE_SETS,
    FULL_SETS,
    REFERENCE_SETS,
    SWEEP_SETS,
    Combo,
    Evaluator,
    measure,
)
from .training import Run

CORE = "mnemo"  # the plugin's core adapter: the mnemo stage's
NONE, CORE_ALONE = Combo(False, 0.0), Combo(True, 0.0)
LANGUAGE_ALONE, BOTH = Combo(False, 1.0), Combo(True, 1.0)
SWEEP = [Combo(True, w) for w in LANGUAGE_WEIGHTS if 0 < w < 1]


@dataclass(frozen=True)
class Unit:
    kind: str  # base | root | arm
    name: str  # base: the format; root: core | language; arm: the arm's name
    fmt: str
    seed: int | None = None

    @property
    def id(self) -> str:
        if self.kind == "base":  # name: the format, or "extended" (the extension arm's model)
            return f"base-{self.fmt}" + ("-extended" if self.name == "extended" else "")
        return f"{self.kind}-{self.name}-{self.fmt}-s{self.seed}"

    @property
    def extended(self) -> bool:
        """Runs on the model extended by the training build's tokenizer."""
        return self.name == "extended" if self.kind == "base" else (
            self.kind == "arm" and ARMS[self.name].extended)

    @property
    def trains_language(self) -> bool:
        """Trains a language stage (its result depends on that stage's length)."""
        if self.kind == "base":
            return False
        if self.kind == "root":
            return self.name == "language"
        return "language" in ARMS[self.name].stages

    @property
    def needs(self) -> Unit | None:
        if self.kind != "arm":
            return None
        root = ARMS[self.name].root
        return Unit("root", root, self.fmt, self.seed) if root else None

    def work(self) -> int:
        """Rough relative cost (only compared, never read as minutes), for starting the
        longest chains of work first: one per stage trained and one per measuring pass, one
        more for an arm that measures the adapter weights."""
        if self.kind == "base":
            return 1
        if self.kind == "root":
            return 2
        arm = ARMS[self.name]
        if arm.root is None:
            return len(arm.stages) + 1
        return len(arm.later_stages) + 2


def plan_units(arm_names: list[str], seeds) -> list[Unit]:
    """Every unit, in priority order: the base model, the shared first stages (the chat core,
    and the language-only reference when an arm has a language stage), then each arm with
    all its seeds before the next arm (a unit it needs goes right before it). A run short
    of time drops arms from the end."""
    units: list[Unit] = [Unit("base", "chat", "chat")]
    units += [Unit("root", "core", "chat", s) for s in seeds]
    if any("language" in ARMS[a].stages for a in arm_names):
        units += [Unit("root", "language", "chat", s) for s in seeds]
    for name in arm_names:
        arm = ARMS[name]
        base = Unit("base", "extended" if arm.extended else arm.format, arm.format)
        for seed in seeds:
            u = Unit("arm", name, arm.format, seed)
            for dep in (base, u.needs):
                if dep is not None and dep not in units:
                    units.append(dep)
            units.append(u)
    return units


class Context:
    """What every unit of one process shares: the base model, tokenizer, data, evaluators."""

    def __init__(self, base, tokenizer, data, sizes, out: Path, device, log):
        self.base, self.tokenizer, self.data = base, tokenizer, data
        self.sizes, self.out, self.device, self.log = sizes, out, device, log
        self._evaluators: dict[tuple[str, bool], Evaluator] = {}
        self._extended: Extended | None = None

    def extended(self) -> Extended:
        """The base model extended by the training build's tokenizer (made once)."""
        if self._extended is None:
            from mnemophrase.corpusgen.contract import TOKENIZER_DIR

            self._extended = Extended(self.base, self.tokenizer, self.data,
                                      self.data.train_build / TOKENIZER_DIR)
            self._extended.model.to(self.device)
        return self._extended

    def evaluator(self, fmt: str, extended: bool = False) -> Evaluator:
        if (fmt, extended) not in self._evaluators:
            if extended:
                from mnemophrase.tokenizer.marking import unmark

                x = self.extended()
                ev = Evaluator(x.tokenizer, x.data, fmt, self.sizes, self.device, clean=unmark)
            else:
                ev = Evaluator(self.tokenizer, self.data, fmt, self.sizes, self.device)
            self._evaluators[fmt, extended] = ev
        return self._evaluators[fmt, extended]

    def root_folder(self, root: str, fmt: str, seed: int) -> Path:
        return self.out / "adapters" / f"{root}-{fmt}-s{seed}"


def run_unit(ctx: Context, unit: Unit) -> dict:
    log = (lambda m: ctx.log(f"[{unit.id}] {m}"))
    ev = ctx.evaluator(unit.fmt, unit.extended)
    if unit.kind == "base":
        model = ctx.extended().model if unit.extended else ctx.base
        model.eval()
        measures = measure(ev, model, [(NONE, FULL_SETS)], None, recall=(NONE,))
        return {"unit": unit.id, "points": [{"after": "base", "step": 0, "measures": measures}]}
    if unit.kind == "root":
        return _run_root(ctx, unit, ev, log)
    if unit.extended:
        return _run_extended(ctx, unit, ev, log)
    return _run_arm(ctx, unit, ev, log)


def _run_root(ctx, unit: Unit, ev, log) -> dict:
    stage = "mnemo" if unit.name == "core" else "language"
    run = Run(ctx.base, ctx.tokenizer, ctx.data.train_build, ctx.sizes, stages=(stage,),
              fmt=unit.fmt, seed=unit.seed, device=ctx.device)
    curve_points: list[dict] = []
    checkpoints = {rows // ctx.sizes.batch_size: rows for rows in ctx.sizes.curve}

    def at_step(n: int) -> None:  # a learning curve's point: the core after fewer rows
        if unit.name == "core" and n in checkpoints:
            t = time.time()
            curve_points.append({"after": f"{checkpoints[n]} rows", "rows": checkpoints[n],
                                 "step": n, "measures": measure(
                                     ev, run.model, [(CORE_ALONE, CURVE_SETS)], CORE,
                                     recall=(CORE_ALONE,))})
            log(f"curve point at {checkpoints[n]} rows measured in {time.time() - t:.0f} s: "
                f"{_knowledge_line(curve_points[-1]['measures'][CORE_ALONE.name])}")

    run.train(at_step=at_step, log=log)
    run.save(ctx.root_folder(unit.name, unit.fmt, unit.seed))
    combo, sets = ((CORE_ALONE, CORE_SETS) if unit.name == "core"
                   else (LANGUAGE_ALONE, REFERENCE_SETS))
    t = time.time()
    points = [{"after": stage, "step": run.plan.total_steps,
               "measures": measure(ev, run.model, [(combo, sets)], CORE, recall=(combo,))}]
    _log_times(log, run, time.time() - t)
    return {"unit": unit.id, "training": run.summary(), "curve": run.curve, "points": points,
            "curve_points": curve_points}


def _knowledge_line(m: dict) -> str:
    """The knowledge figures of one measurement as a log line (pooled over rows)."""
    import numpy as np

    rec, choice = m.get("recall", {}), m.get("choice", {})
    out = []
    if rec:
        for key in ("", "control_"):
            words = np.subtract(rec[f"{key}words"], rec[f"{key}words_spelled"]).sum()
            hits = np.subtract(rec[f"{key}hits"], rec[f"{key}hits_spelled"]).sum()
            out.append(f"{key or 'recall '}to translate {hits / max(words, 1):.3f}")
    if choice:
        hits, spelled = np.asarray(choice["hits"]), np.asarray(choice["spelled"], bool)
        out.append(f"choice to translate {hits[~spelled].mean() if (~spelled).any() else 0:.3f}"
                   f", spelled {hits[spelled].mean() if spelled.any() else 0:.3f}")
    return "; ".join(out)


def _run_extended(ctx, unit: Unit, ev, log) -> dict:
    """The mnemo stage alone on the extended model: the same rows (marked), steps and seed
    as the chat core it is paired with; the new vocabulary rows train with the core."""
    x = ctx.extended()
    trained = x.trained_rows(ctx.sizes.rows)
    run = Run(x.model, x.tokenizer, ctx.data.train_build, ctx.sizes, stages=("mnemo",),
              fmt=unit.fmt, seed=unit.seed, device=ctx.device, data={"mnemo": trained},
              trainable_token_indices=list(x.ext.new_ids))
    run.train(log=log)
    t = time.time()
    points = [{"after": "mnemo", "step": run.plan.total_steps, "measures": measure(
        ev, run.model, [(CORE_ALONE, FULL_SETS)], CORE, recall=(CORE_ALONE,))}]
    _log_times(log, run, time.time() - t)
    return {"unit": unit.id, "training": run.summary(), "curve": run.curve, "points": points,
            "extension": x.checks(trained)}


def _run_arm(ctx, unit: Unit, ev, log) -> dict:
    arm = ARMS[unit.name]
    run = Run(ctx.base, ctx.tokenizer, ctx.data.train_build, ctx.sizes, stages=arm.stages,
              fmt=arm.format, seed=unit.seed, device=ctx.device, regime=arm.regime,
              protection=arm.protection)
    points, t = [], time.time()
    if arm.root is not None:
        run.load_first_stage(ctx.root_folder(arm.root, arm.format, unit.seed))
        run.train(log=log)
        t = time.time()
        sweep = [(c, SWEEP_SETS) for c in SWEEP]
        if arm.regime == "reverse":  # the core is new here; language alone is the root
            plan = [(CORE_ALONE, CORE_SETS), (BOTH, FULL_SETS)] + sweep
            recall = (CORE_ALONE, BOTH)
        else:  # the core alone is the root
            plan = [(BOTH, FULL_SETS), (LANGUAGE_ALONE, CORE_OFF_SETS)] + sweep
            recall = (BOTH, LANGUAGE_ALONE)
        points.append({"after": "+".join(arm.later_stages), "step": run.plan.total_steps,
                       "measures": measure(ev, run.model, plan, CORE, CORE_ALONE, recall)})
    else:  # mixed: one adapter, measured where the sequential arms end their stages
        first_end = ctx.sizes.stage_rows(arm.stages[0]) // ctx.sizes.batch_size

        def at_step(n: int) -> None:
            if n == first_end:
                points.append({"after": f"step {n}", "step": n, "measures": measure(
                    ev, run.model, [(BOTH, FULL_SETS)], None, recall=(BOTH,))})
                run_combo_back(run)

        run.train(at_step=at_step, log=log)
        points.append({"after": "all", "step": run.plan.total_steps, "measures": measure(
            ev, run.model, [(BOTH, FULL_SETS)], None, recall=(BOTH,))})
    _log_times(log, run, time.time() - t)
    return {"unit": unit.id, "training": run.summary(), "curve": run.curve, "points": points,
            "first_stage_change": run.loaded_adapter_change()}


def _log_times(log, run: Run, measure_seconds: float) -> None:
    s = run.summary()
    log(f"trained {s['trained_steps']} steps in {s['train_seconds']:.0f} s "
        f"({s['tokens_per_second']:.0f} tok/s), measured in {measure_seconds:.0f} s")


def run_combo_back(run: Run) -> None:
    """After a mid-stage measurement: the one adapter on at weight 1 again, as training had it."""
    from .measure import apply_combo

    apply_combo(run.model, BOTH, None)
