"""The tokenizer's numbers: training time on a 100k build with its background lists (goal
<= 30 s on this 2-core machine), the three-tier evaluation, and — on SmolLM2-135M-Instruct
extended by the tokenizer — identical ids on ordinary text, the share of added tokens the
build uses, and the ordinary-text loss per character before any training.

    python bench/bench_tokenizer.py                 # builds 100k scenes into a temp folder
    python bench/bench_tokenizer.py --build DIR     # uses an existing build (trains a copy)
    python bench/bench_tokenizer.py --no-model      # without SmolLM2 (training and eval only)
    python bench/bench_tokenizer.py --json          # one JSON line for bench/run.py

Each repeat trains from scratch (`corpusgen tokenizer train`'s code path, background lists
from the language plug-ins). Wall time is what the goal is stated in; CPU time is printed
beside it because on a shared machine the wall time also measures the neighbours.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_SECONDS = 30.0
ROOT = Path(__file__).resolve().parent.parent


def make_build(n: int, where: Path) -> Path:
    out = where / f"build-{n}"
    subprocess.run([sys.executable, "-m", "mnemophrase.cli", "build", "--n", str(n), "--out",
                    str(out), "--quiet"], check=True, cwd=ROOT)
    return out


def time_training(build: Path, repeats: int, vocab_size: int) -> list[dict]:
    from mnemophrase.tokenizer.train import train_tokenizer

    runs = []
    for _ in range(repeats):
        cpu0 = os.times()
        wall0 = time.perf_counter()
        settings = train_tokenizer(build, vocab_size=vocab_size)
        wall = time.perf_counter() - wall0
        cpu1 = os.times()
        cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
        runs.append({"wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
                     "vocab_size": settings["vocab_size"],
                     "load_average_1m": round(os.getloadavg()[0], 1)})
    return runs


def ordinary_texts(build: Path, n: int) -> list[str]:
    """Texts without hyperwords: the language stage's sentences, then mnemo glosses."""
    from mnemophrase.tokenizer.corpus import read_stage

    texts: list[str] = []
    for stage, column in (("language", "sentence"), ("mnemo", "gloss")):
        for split in ("test", "validation", "train"):
            frame = read_stage(build, stage, split, [column])
            if frame is not None:
                texts += frame[column].to_list()
            if len(texts) >= n:
                return texts[:n]
    return texts


def loss_per_char(model, tok, texts: list[str], batch: int = 16) -> float:
    """Summed next-token loss over each text (no BOS: the first token is not scored), per
    character, the model in eval mode."""
    import torch

    model.eval()
    nats = 0.0
    for i in range(0, len(texts), batch):
        enc = tok(texts[i:i + batch], add_special_tokens=False, padding=True,
                  return_tensors="pt")
        labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
        with torch.no_grad():
            logits = model(**enc).logits[:, :-1].float()
        target = labels[:, 1:]
        nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), target,
                                                ignore_index=-100, reduction="sum")
        nats += nll.item()
    return nats / sum(len(t) for t in texts)


def model_numbers(build: Path, texts: list[str]) -> dict:
    """SmolLM2 as it is vs extended (every initialisation): ids, usage and loss."""
    from mnemophrase.basemodel import load_smollm2
    from mnemophrase.tokenizer.extend_model import build_hyperwords, extend_model, usage
    from mnemophrase.tokenizer.init_embeddings import INITS

    base_model, base_tok = load_smollm2()
    if base_tok.pad_token is None:
        base_tok.pad_token = base_tok.eos_token
    out: dict = {"texts": len(texts), "loss_per_char": {"base": loss_per_char(base_model,
                                                                              base_tok, texts)}}
    del base_model
    for init in INITS:
        model, tok = load_smollm2()
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token
        ext, marker = extend_model(model, tok, build / "tokenizer", init=init)
        if init == "mean":
            same = tok(texts, add_special_tokens=False)["input_ids"] == \
                base_tok(texts, add_special_tokens=False)["input_ids"]
            chats = [[{"role": "user", "content": t}] for t in texts[:200]]
            same_chat = all(tok.apply_chat_template(c, tokenize=True)
                            == base_tok.apply_chat_template(c, tokenize=True) for c in chats)
            out.update(identical_ids=same, identical_chat_ids=same_chat,
                       added=len(ext.new_ids), base_vocab=ext.base_vocab_size,
                       usage=usage(tok, ext, marker, build_hyperwords(build)))
        out["loss_per_char"][init] = loss_per_char(model, tok, texts)
        del model
        out["loss_per_char"] = {k: round(v, 4) for k, v in out["loss_per_char"].items()}
    base = out["loss_per_char"]["base"]
    out["loss_change"] = {k: round(v / base - 1, 4) for k, v in out["loss_per_char"].items()
                          if k != "base"}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, help="an existing build (default: make one)")
    parser.add_argument("--n", type=int, default=100_000, help="scenes when making a build")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--vocab-size", type=int, default=40000)
    parser.add_argument("--unseen", type=int, default=2000, help="hyperwords per eval set")
    parser.add_argument("--texts", type=int, default=1000, help="ordinary texts for the model")
    parser.add_argument("--no-model", action="store_true", help="skip SmolLM2")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(argv)
    for name in ("n", "repeats", "vocab_size", "unseen", "texts"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")

    sys.path.insert(0, str(ROOT))
    from mnemophrase.tokenizer.errors import TokenizerError
    from mnemophrase.tokenizer.evaluate import run_eval

    tmp = Path(tempfile.mkdtemp(prefix="bench-tokenizer-"))
    try:
        if args.build is None:
            build = make_build(args.n, tmp)
        else:
            if not (args.build / "stats.json").is_file():
                parser.error(f"--build {args.build}: not a corpusgen build (no stats.json)")
            # train into a copy: the bench must not replace a user's tokenizer
            build = tmp / "build"
            shutil.copytree(args.build, build, ignore=shutil.ignore_patterns("tokenizer"))
        try:
            runs = time_training(build, args.repeats, args.vocab_size)
            report = run_eval(build, unseen=args.unseen, smollm2=not args.no_model)
        except TokenizerError as exc:
            print(f"bench_tokenizer: {exc}", file=sys.stderr)
            return 1
        model = None if args.no_model else model_numbers(build, ordinary_texts(build,
                                                                               args.texts))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    best = min(runs, key=lambda r: r["wall_seconds"])
    result = {"bench": "tokenizer", "scenes": args.n if args.build is None else None,
              "cores": os.cpu_count(), "runs": runs,
              "best_wall_seconds": best["wall_seconds"], "goal_seconds": GOAL_SECONDS,
              "ok": best["wall_seconds"] <= GOAL_SECONDS,
              "eval": {t["name"]: t["boundaries"] for t in report["tokenizers"]},
              "model": model}
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0 if result["ok"] else 1
    from mnemophrase.tokenizer.report import format_table

    for i, r in enumerate(runs, 1):
        print(f"run {i}: {r['wall_seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU, "
              f"{r['vocab_size']:,} pieces, load average {r['load_average_1m']}")
    verdict = "within" if result["ok"] else "OVER"
    print(f"best {best['wall_seconds']:.1f} s — {verdict} the {GOAL_SECONDS:.0f} s goal")
    print()
    print(format_table(report))
    if model:
        print()
        print(f"SmolLM2 extended: {model['added']:,} tokens added to {model['base_vocab']:,}; "
              f"the build's hyperwords use {model['usage']['added_tokens_used']:,} of them "
              f"({model['usage']['added_tokens_used_share']:.1%}); tokens per hyperword "
              f"{model['usage']['tokens_per_hyperword']['base']:.2f} -> "
              f"{model['usage']['tokens_per_hyperword']['extended']:.2f}")
        print(f"identical ids on {model['texts']:,} ordinary texts: {model['identical_ids']}; "
              f"chat-templated: {model['identical_chat_ids']}")
        losses = model["loss_per_char"]
        print("ordinary-text loss per character before training: "
              + ", ".join(f"{k} {v:.4f}" for k, v in losses.items())
              + " (" + ", ".join(f"{k} {v:+.2%}" for k, v in model["loss_change"].items())
              + " vs base)")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
