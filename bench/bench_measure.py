"""The experiment's forced choice, scored row by row against each prompt packed once.

    python bench/bench_measure.py                     # SmolLM2-135M shape, CPU, float32, 1 thread
    python bench/bench_measure.py --hyperwords 32 --device cuda

The candidates are those the experiment scores: for each constituent of a gloss row, the
gold gloss and the same gloss with that word replaced by each of 4 distractors
(`experiments.data.choice_of_lexicon`), for the first `--hyperwords` mnemo rows of a
build. `Evaluator.losses` scores them under a core adapter on the top 15 layers (the
experiment's LoRA), once with every candidate a row of its own and once with the candidates
of a prompt packed after that prompt (`PromptGroups`); the two take turns `--repeats` times
and the table gives each one's median seconds and the tokens it runs. The model has
SmolLM2-135M's architecture and random weights (speed does not depend on the weights).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=None, help="a build (default: as bench_train)")
    p.add_argument("--hyperwords", type=int, default=32)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float32")
    return p.parse_args(argv)


def candidates(build: Path, n: int) -> list[dict]:
    from datasets import load_from_disk

    from experiments.data import choice_of_lexicon
    from mnemophrase.corpusgen.contract import ARROW_DIR
    from mnemophrase.corpusgen.lexicon import load_lexicon

    split = load_from_disk(str(build / ARROW_DIR / "mnemo"))["train"]
    rows = split.select(range(min(n, len(split)))).to_list()
    lex = load_lexicon(None, sorted({r["lang"] for r in rows}))
    return choice_of_lexicon(rows, lex, set(lex.concepts["concept"]), 4)[0]


def main(argv=None) -> int:
    import torch
    from bench_train import default_data
    from transformers import LlamaForCausalLM

    from experiments.config import full_sizes
    from experiments.measure import CHOICE, Evaluator
    from experiments.shared_prefix import PromptGroups
    from experiments.training import lora_settings
    from experiments.units import CORE, CORE_ALONE
    from mnemophrase.basemodel import load_smollm2_tokenizer, smollm2_config
    from mnemophrase.train_plugin.adapters import add_stage_adapters

    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = candidates(args.data or default_data(), args.hyperwords)
    tok = load_smollm2_tokenizer()
    torch.manual_seed(0)
    sizes = full_sizes()
    base = LlamaForCausalLM(smollm2_config())
    model = add_stage_adapters(base, [CORE, "language"], lora_settings(base, sizes))
    model = model.to(device=args.device, dtype=getattr(torch, args.dtype)).eval()
    data = SimpleNamespace(sets={}, choice_rows=rows)
    evals = {"row by row": Evaluator(tok, data, "chat", sizes, args.device),
             "prompts packed": Evaluator(tok, data, "chat", sizes, args.device)}
    evals["row by row"].grouping_ok = False
    ids, labels, _ = evals["row by row"].sets[CHOICE]
    tokens = {"row by row": sum(map(len, ids)),
              "prompts packed": PromptGroups(ids, labels, sizes.eval_tokens, "sdpa").tokens}
    seconds: dict[str, list[float]] = {k: [] for k in evals}
    for _ in range(args.repeats):
        for name, ev in evals.items():
            t = time.perf_counter()
            ev.losses(model, [(CORE_ALONE, (CHOICE,))], CORE)
            seconds[name].append(time.perf_counter() - t)
    print(f"{len(rows)} candidate rows of {args.hyperwords} hyperwords, {args.device}, "
          f"{args.dtype}, {args.threads} thread(s); median of {args.repeats}")
    print("| scoring | tokens scored (the common prefix counted in each row) | seconds |")
    print("| --- | --- | --- |")
    for name in evals:
        print(f"| {name} | {tokens[name]:,} | {statistics.median(seconds[name]):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
