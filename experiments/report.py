"""results.md and results.json: the tables, each hope with its interval, and the plots.

Every number is a mean over seeds with a 95 % interval from the nested bootstrap
(experiments.stats). Losses are nats per target token and per target character, the target
being what the row's loss is on (the gloss, the sentence, the answer). Numbers that hold by
construction — adapters off equal the base model, a frozen core does not change — are
stated as checks, never as results.
"""

from __future__ import annotations

import json
from pathlib import Path

from .config import ARMS, LANGUAGE_WEIGHTS
from .data import SET_LABELS
from .plots import plot_curves, plot_learning_curve, plot_pareto
from .results import Results
from .stats import fmt, verdict

ORDINARY = ("sentences", "language_data", "base_samples")


def extended_base(fmt: str) -> str:
    """The results key of the extended base model, before training (unit base-FMT-extended)."""
    return f"base:{fmt}-extended"


def rows_of_table(res: Results) -> list[tuple[str, str, str, int]]:
    """(label, arm key, combo, point) of every model state in the tables."""
    formats = sorted({ARMS[a].format for a in res.arms} | {"chat"})
    rows = [(f"base model ({f})", f"base:{f}", "none", 0) for f in formats]
    rows += [(f"after mnemo: core alone ({f})", f"core:{f}", "core", 0) for f in formats
             if any((ARMS[a].root == "core" or ARMS[a].extended) and ARMS[a].format == f
                    for a in res.arms) or not res.arms]
    if any("language" in ARMS[a].stages for a in res.arms):
        rows.append(("language adapter on the base alone (reference)", "reference", "language",
                     0))
    for arm in res.arms:
        a = ARMS[arm]
        if a.extended:
            rows.append((f"{arm}: extended base model, before training",
                         extended_base(a.format), "none", 0))
            rows.append((f"{arm}: core alone on the extended model", arm, "core", -1))
            continue
        if a.regime == "mixed":
            rows.append((f"{arm}: after half its steps", arm, "core+language", 0))
            rows.append((f"{arm}: after all steps", arm, "core+language", -1))
            continue
        if a.regime == "reverse":
            rows.append((f"{arm}: core alone (trained over language)", arm, "core", -1))
        rows.append((f"{arm}: core+language", arm, "core+language", -1))
        rows.append((f"{arm}: language alone (core off)", arm, "language", -1))
    return rows


def gloss_table(res: Results) -> list[str]:
    head = [("| model state | gloss loss/token (seen words) | gloss loss/char (seen words) | "
             "gloss loss/char (held-out word) | concept recall (seen words) | recall of words "
             "the hyperword spells in the gloss language | recall of words to translate | "
             "KL(core ‖ this) on gloss |"), "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    lines = []
    for label, arm, combo, point in rows_of_table(res):
        cells = [res.value(arm, combo, "gloss_seen", "token", point),
                 res.value(arm, combo, "gloss_seen", "char", point),
                 res.value(arm, combo, "gloss_unseen", "char", point),
                 res.value(arm, combo, "gloss_seen", "recall", point),
                 res.value(arm, combo, "gloss_seen", "recall_spelled", point),
                 res.value(arm, combo, "gloss_seen", "recall_translated", point),
                 res.value(arm, combo, "gloss_seen", "kl", point)]
        lines.append(f"| {label} | " + " | ".join(fmt(c) for c in cells) + " |")
    return head + lines


def knowledge_table(res: Results) -> list[str]:
    """Knowing against guessing, per model state: recall minus its shuffled control, and the
    forced choice against its chance level."""
    chance = res.choice_chance()
    head = [("| model state | recall, words to translate | same glosses, another hyperword's "
             "words (control) | to translate, minus control | spelled, minus control | "
             f"forced choice, to translate (chance {chance:.2f}) | forced choice, spelled |"
             if chance else "| model state | recall, words to translate | control | "
             "to translate, minus control | spelled, minus control | forced choice, to "
             "translate | forced choice, spelled |"),
            "| --- | --- | --- | --- | --- | --- | --- |"]
    lines = []
    for label, arm, combo, point in rows_of_table(res):
        cells = [res.value(arm, combo, "gloss_seen", "recall_translated", point),
                 res.value(arm, combo, "gloss_seen", "recall_translated_control", point),
                 res.corrected(arm, combo, "recall_translated", point),
                 res.corrected(arm, combo, "recall_spelled", point),
                 res.value(arm, combo, "gloss_seen", "choice_translated", point),
                 res.value(arm, combo, "gloss_seen", "choice_spelled", point)]
        if all(c is None for c in cells):
            continue
        lines.append(f"| {label} | " + " | ".join(fmt(c) for c in cells) + " |")
    return head + lines


def choice_pair_table(res: Results) -> list[str]:
    """The forced choice by language pair (word's language > gloss language)."""
    pairs = res.pairs()
    if not pairs:
        return []
    head = ["| model state | " + " | ".join(pairs) + " |",
            "| --- |" + " --- |" * len(pairs)]
    lines = []
    for label, arm, combo, point in rows_of_table(res):
        cells = [res.value(arm, combo, "gloss_seen", f"choice:{p}", point) for p in pairs]
        if all(c is None for c in cells):
            continue
        lines.append(f"| {label} | " + " | ".join(fmt(c, 2) for c in cells) + " |")
    return head + lines


CURVE_METRICS = (("gloss loss/token", "token", None), ("recall, to translate",
                  "recall_translated", None),
                 ("to translate, minus control", None, "recall_translated"),
                 ("spelled, minus control", None, "recall_spelled"),
                 ("forced choice, to translate", "choice_translated", None),
                 ("forced choice, spelled", "choice_spelled", None))


def learning_curve(res: Results) -> list[dict]:
    """The core alone (chat) after each curve point's rows and at the end, with the
    exposures per word the trained rows give."""
    data = res.run["data"]
    points = []
    for rows in res.curve_rows() + [res.run["sizes"]["rows"]]:
        view = res if rows == res.run["sizes"]["rows"] else res.at_curve(rows)
        exposures = (data["exposures"] if view is res
                     else data.get("curve_exposures", {}).get(str(rows), {}))
        figures = {}
        for label, metric, corrected in CURVE_METRICS:
            figures[label] = (view.corrected("core:chat", "core", corrected) if corrected else
                              view.value("core:chat", "core", "gloss_seen", metric))
        points.append({"rows": rows, "exposures": exposures, "figures": figures})
    return points if len(points) > 1 else []


def curve_table(points: list[dict]) -> list[str]:
    if not points:
        return []
    labels = [label for label, _, _ in CURVE_METRICS]
    head = ["| trained rows | exposures per word: median (mean; never seen) | "
            + " | ".join(labels) + " |", "| --- | --- |" + " --- |" * len(labels)]
    lines = []
    for p in points:
        e = p["exposures"]
        seen = f"{e['median']:g} ({e['mean']:g}; {e['never']} of {e['words']})" if e else "–"
        lines.append(f"| {p['rows']} | {seen} | "
                     + " | ".join(fmt(p["figures"][x]) for x in labels) + " |")
    return head + lines


def ordinary_table(res: Results) -> list[str]:
    have = [s for s in ORDINARY if any(s in m for u in res.units.values()
                                       for p in u["points"] for m in p["measures"].values())]
    head = ["| model state | " + " | ".join(f"{s}: loss/char" for s in have) + " |",
            "| --- |" + " --- |" * len(have)]
    lines = []
    for label, arm, combo, point in rows_of_table(res):
        cells = [res.value(arm, combo, s, "char", point) for s in have]
        lines.append(f"| {label} | " + " | ".join(fmt(c) for c in cells) + " |")
    return head + lines


def training_table(res: Results) -> list[str]:
    lines = [("| arm | what it trains | optimizer steps (incl. the shared first stage) | "
              "train tokens/s (per worker) | minutes per seed (this arm's own unit) | "
              "largest change of the loaded first stage |"),
             "| --- | --- | --- | --- | --- | --- |"]
    for arm in res.arms:
        t = res.training(arm)
        if t is None:
            continue
        change = "–" if ARMS[arm].root is None else f"{t['first_stage_change']:.1e}"
        lines.append(f"| {arm} | {ARMS[arm].description} | {', '.join(map(str, t['steps']))} "
                     f"| {t['tokens_per_second']:.0f} | {t['minutes']:.1f} | {change} |")
    return lines


def hopes(res: Results) -> list[dict]:
    """Each hope of the experiment as measured: statement, estimate, verdict."""
    out = []

    def add(text, est, lo=None, hi=None):
        if est is not None:
            out.append({"hope": text, "estimate": est, "verdict": verdict(est, lo, hi)})

    for f in ("chat", "prompt"):
        add(f"after mnemo ({f}): gloss loss/token on seen-word hyperwords <= 50 % of the base "
            "model's (ratio)", res.compare((f"core:{f}", "core"), (f"base:{f}", "none"),
                                           "gloss_seen", "token", "ratio"), hi=0.5)
        add(f"after mnemo ({f}): gloss loss/token on held-out-word hyperwords <= 50 % of the "
            "base model's (ratio)", res.compare((f"core:{f}", "core"), (f"base:{f}", "none"),
                                                "gloss_unseen", "token", "ratio"), hi=0.5)
        add(f"after mnemo ({f}): concept recall on seen-word hyperwords >= 0.8",
            res.value(f"core:{f}", "core", "gloss_seen", "recall"), lo=0.8)
        add(f"after mnemo ({f}): recall of words to translate minus its chance control "
            ">= 0.5", res.corrected(f"core:{f}", "core", "recall_translated"), lo=0.5)
        add(f"after mnemo ({f}): forced choice, words to translate >= 0.8",
            res.value(f"core:{f}", "core", "gloss_seen", "choice_translated"), lo=0.8)
        add(f"after mnemo ({f}): recall of spelled words >= 0.8",
            res.value(f"core:{f}", "core", "gloss_seen", "recall_spelled"), lo=0.8)
    for arm in res.arms:
        a = ARMS[arm]
        base = (f"base:{a.format}", "none")
        for s in ORDINARY if a.extended else ():
            add(f"{arm}: {s} loss/char of the extended model before training <= 1.01 x the "
                "base model's (same ids; the new rows take probability)",
                res.compare((extended_base(a.format), "none"), base, s, "char", "ratio"),
                hi=1.01)
        if a.root != "core":
            continue
        core, both, off = (arm, "core"), (arm, "core+language"), (arm, "language")
        add(f"{arm}: recall of core+language minus core alone >= -0.05",
            res.compare(both, core, "gloss_seen", "recall", "diff"), lo=-0.05)
        add(f"{arm}: gloss loss/token of core+language <= 1.05 x core alone",
            res.compare(both, core, "gloss_seen", "token", "ratio"), hi=1.05)
        if a.format == "chat":  # the base model's own answers: its general ability kept
            for s in ORDINARY:
                add(f"{arm}: {s} loss/char of core+language <= 1.05 x the language adapter "
                    "without a core",
                    res.compare(both, ("reference", "language"), s, "char", "ratio"), hi=1.05)
        add(f"{arm}: words to translate, recall minus its control, core+language minus core "
            "alone >= -0.05", res.corrected_diff(both, core, "recall_translated"), lo=-0.05)
        add(f"{arm}: words to translate, forced choice of core+language minus core alone "
            ">= -0.05", res.compare(both, core, "gloss_seen", "choice_translated", "diff"),
            lo=-0.05)
        add(f"{arm}: core off, words to translate, recall minus its control, minus the base "
            "model's within ±0.05", res.corrected_diff(off, base, "recall_translated"),
            lo=-0.05, hi=0.05)
        add(f"{arm}: core off, words to translate, forced choice minus the base model's "
            "within ±0.05", res.compare(off, base, "gloss_seen", "choice_translated", "diff"),
            lo=-0.05, hi=0.05)
        add(f"{arm}: core off, recall minus the base model's within ±0.05",
            res.compare(off, base, "gloss_seen", "recall", "diff"), lo=-0.05, hi=0.05)
        add(f"{arm}: core off, sentences loss/char within 5 % of core+language",
            res.compare(off, both, "sentences", "char", "ratio"), lo=0.95, hi=1.05)
    return out


def curricula(res: Results) -> list[str]:
    """Sequential (formats) vs mixed vs reverse, ranked only where intervals separate."""
    names = [a for a in ("formats", "mixed", "reverse") if a in res.arms]
    lines = []
    for i, x in enumerate(names):
        for y in names[i + 1:]:
            for s, metric in (("gloss_seen", "token"), ("sentences", "char")):
                d = res.compare((x, "core+language"), (y, "core+language"), s, metric, "diff")
                if d is None:
                    continue
                if d["hi"] < 0:
                    word = f"{x} lower than {y}"
                elif d["lo"] > 0:
                    word = f"{y} lower than {x}"
                else:
                    word = "not separated"
                lines.append(f"- {s} loss/{metric}, {x} − {y}: {fmt(d)} → {word}")
    return lines


EXTENSION_EFFECTS = (("gloss_seen", "char", "ratio"), ("gloss_unseen", "char", "ratio"),
                     ("gloss_seen", "recall", "diff"), ("sentences", "char", "ratio"),
                     ("language_data", "char", "ratio"), ("base_samples", "char", "ratio"))


def extension_effects(res: Results) -> list[str]:
    """The extension arm against the plain core of the same seeds: paired ratios or
    differences, extended / plain (a ratio below 1 is lower loss with the extension)."""
    lines = []
    for arm in (a for a in res.arms if ARMS[a].extended):
        plain = (f"core:{ARMS[arm].format}", "core")
        for s, metric, how in EXTENSION_EFFECTS:
            d = res.compare((arm, "core"), plain, s, metric, how)
            if d is not None:
                what = "extended / plain" if how == "ratio" else "extended − plain"
                lines.append(f"- {s} {metric if metric == 'recall' else 'loss/' + metric}, "
                             f"core alone, {what}: {fmt(d)}")
    return lines


def pareto_points(res: Results) -> list[dict]:
    pts = []
    for arm in res.arms:
        a = ARMS[arm]
        weights = [1.0] if a.regime == "mixed" else LANGUAGE_WEIGHTS
        for w in weights:
            combo = "core" if w == 0 else "core+language" if w == 1 else f"core+{w:g}language"
            y = res.value(arm, combo, "gloss_seen", "token")
            xs = {s: res.value(arm, combo, s, "char") for s in ("sentences", "language_data")}
            if y is not None:
                pts.append({"arm": arm, "weight": w, "gloss": y, **xs})
    for label, arm, combo in (("base", "base:chat", "none"),
                              ("reference", "reference", "language")):
        y = res.value(arm, combo, "gloss_seen", "token")
        if y is not None:
            pts.append({"arm": label, "weight": None, "gloss": y,
                        **{s: res.value(arm, combo, s, "char")
                           for s in ("sentences", "language_data")}})
    return pts


def write_report(out: Path, results: dict | None, log) -> dict:
    res = Results.load(out)
    run = res.run
    hope_list = hopes(res)
    pareto = pareto_points(res)
    plot_pareto(pareto, out / "pareto.png")
    plot_curves(res, out / "loss_curves.png")
    curve = learning_curve(res)
    if curve:
        plot_learning_curve(curve, out / "learning_curve.png")
    summary = {**run, "hopes": hope_list, "pareto": pareto, "learning_curve": curve,
               "tables": {"gloss": gloss_table(res), "knowledge": knowledge_table(res),
                          "choice_pairs": choice_pair_table(res),
                          "ordinary": ordinary_table(res),
                          "training": training_table(res)},
               "extension": extension_effects(res),
               "samples": _samples(res)}
    (out / "results.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False),
                                      encoding="utf-8")
    (out / "results.md").write_text(_markdown(res, summary), encoding="utf-8")
    log(f"report: {out / 'results.md'}")
    return summary


def _samples(res: Results) -> dict:
    out = {}
    for uid, unit in sorted(res.units.items()):
        if not uid.endswith("-s0"):
            continue
        for combo, m in unit["points"][-1]["measures"].items():
            if "recall" in m:
                out[f"{uid} {combo}"] = m["recall"]["samples"][:3]
    return out


def _exposures(data: dict) -> str:
    e = data.get("exposures") or {}
    if not e:
        return "(not recorded)"
    return (f"min {e['min']}, median {e['median']:g}, mean {e['mean']:g}, max {e['max']} "
            f"times ({e['words']} words, {e['never']} never)")


def _markdown(res: Results, s: dict) -> str:
    run, sizes, data = s, s["sizes"], s["data"]
    sets = "\n".join(f"- **{n}** ({SET_LABELS[n]}): {d['rows']} rows from {d['source']}; "
                     f"{d['words_in_trained_rows']} of {d['words']} of its words occur in the "
                     "trained rows" for n, d in data["sets"].items())
    hope_lines = "\n".join(f"- {h['hope']}: {fmt(h['estimate'])} — **{h['verdict']}**"
                           for h in s["hopes"])
    versions = ", ".join(f"{k} {v}" for k, v in run["versions"].items())
    dropped = (f"Dropped to fit the time budget ({run['budget_minutes']} min): "
               + ", ".join(res.dropped) + ". ") if res.dropped else ""
    setup = (f"Model: {run['model']}, {run['dtype']} base weights, float32 LoRA adapters "
             f"(r={sizes['rank']}, alpha={2 * sizes['rank']}, top "
             f"{sizes['lora_layers'] or 'all'} layers), {run['device']}, {run['workers']} "
             f"worker(s) x {run['threads_per_worker']} thread(s). Seeds "
             f"{', '.join(map(str, run['seeds']))}; {sizes['rows']} trained rows per stage, "
             f"batch {sizes['batch_size']}, AdamW lr {sizes['lr']} constant. Languages: "
             f"{', '.join(data['languages'])}. Wall time {run['wall_seconds'] / 60:.1f} min. "
             f"Versions: {versions}.")
    if not run.get("finished", True):  # a run stopped before its end says so first
        why = run.get("stopped", "no reason given")
        dropped = f"The run was stopped before its end: {why}. " + dropped
    arms = (f"Arms reported: {', '.join(res.arms) or 'none'}. {dropped}Every figure is the "
            "mean over seeds with a 95 % interval (bootstrap over rows nested in a bootstrap "
            "over seeds).")
    return "\n".join([
        "# mnemo experiment: results", "",
        f"Command: `{run['command']}`", "", setup, "", arms, "",
        "## Evaluation sets", "", sets, "",
        (f"Concept recall: {data['recall_hyperwords']} seen-word hyperwords decoded greedily "
         "through the plugin's generate_gloss, each constituent's word in the gloss language "
         "matched by the language plug-in's lemmatiser (names_words)."), "",
        "## Training", "", *s["tables"]["training"], "",
        "## Glosses", "", *s["tables"]["gloss"], "",
        "## Knowing or guessing", "",
        (f"Exposures: each word of the training lexicon occurs {_exposures(data)} in the "
         "trained mnemo rows. Control: each decoded gloss scored against the words of another "
         "hyperword of its gloss language, without the words the two share. Forced choice "
         f"({data.get('choice_items', 0)} items): the gold gloss against the same gloss with "
         "one word replaced, in the same form, by each of "
         f"{sizes.get('distractors', '?')} trained words of the same part of speech (the "
         "same field first); a hit is the gold gloss scoring highest."), "",
        *s["tables"]["knowledge"], "", *s["tables"]["choice_pairs"], "",
        *(["## Learning curve (the core alone, chat, one run measured on its way)", "",
           *curve_table(s["learning_curve"]), "", "![learning curve](learning_curve.png)", ""]
          if s["learning_curve"] else []),
        "## Ordinary text (nats per character)", "", *s["tables"]["ordinary"], "",
        "## Hopes", "", hope_lines, "",
        "## Curricula", "", *(curricula(res) or ["- (mixed or reverse not run)"]), "",
        "## Tokenizer extension (the mnemo stage with and without it)", "",
        *(extension_effects(res) or ["- (the extension arm not run)"]), "",
        "![Pareto](pareto.png)", "", "![loss curves](loss_curves.png)", "",
    ])
