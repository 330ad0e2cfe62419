"""One rank of the two-process test (started by torchrun from test_train_plugin_dist.py).

    torchrun --nproc_per_node 2 tests/train_dist_worker.py trainer|loop|protected DATA OUT

Each rank writes OUT/rank<r>.json (rows it read, stage transitions) and OUT/rank<r>.pt
(its final adapter weights) for the test to compare; in trainer mode also
OUT/rank<r>-resumed.pt, from a second run resumed mid-stage from the first one's checkpoint.
`protected` is the plain loop with replay, keep_core and core dropout on.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch
import torch.distributed as dist

sys.path.insert(0, str(Path(__file__).parent))
from train_fixtures import TINY_LORA, tiny_model

from mnemophrase.basemodel import char_tokenizer
from mnemophrase.train_plugin import Protection, StagedLoRA
from mnemophrase.train_plugin.models import dataset_texts

ROWS = 40  # per stage: with 2 ranks x batch 4, 5 steps per stage
BATCH = 4
RESUME_AT = 7  # mid-bridge (steps 5-9)


PROTECTION = Protection(replay=0.25, keep_core=1.0, core_dropout=0.25)


def _staged(data, tok, out, protection=None):
    torch.manual_seed(0)
    return StagedLoRA.from_dataset(
        data, tok, rows=ROWS, lora=TINY_LORA, adapters_dir=out / "adapters",
        protection=protection,
    )


def _record(staged) -> list[list[int]]:
    consumed: list[list[int]] = []
    plain = staged.dataset.__getitems__

    def recording(idx):  # what the dataloader really fetched, micro-batch by micro-batch
        consumed.append(list(idx))
        return plain(idx)

    staged.dataset.__getitems__ = recording
    return consumed


def _weights(model) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if "lora_" in n}


def run_trainer(data, tok, out, resume=None):
    from transformers import Trainer, TrainingArguments

    staged = _staged(data, tok, out)
    model = staged.wrap(tiny_model(tok))
    consumed = _record(staged)
    args = TrainingArguments(
        output_dir=str(out),
        per_device_train_batch_size=BATCH,
        learning_rate=5e-3,
        report_to=[],
        use_cpu=True,
        ddp_backend="gloo",
        disable_tqdm=True,
        logging_steps=1000,
        lr_scheduler_type="constant",
        save_strategy="no" if resume else "steps",
        save_steps=RESUME_AT,
    )
    trainer = Trainer(
        model=model, args=args, train_dataset=staged.train_dataset, data_collator=staged.collator
    )
    callback = staged.attach(trainer)
    trainer.train(resume_from_checkpoint=resume)
    return staged, model, callback.transitions, consumed, trainer.args.world_size


def run_loop(data, tok, out, protection=None):
    dist.init_process_group("gloo")
    staged = _staged(data, tok, out, protection)
    model = staged.wrap(tiny_model(tok))
    consumed = _record(staged)
    optimizer = torch.optim.AdamW(staged.parameters(model), lr=5e-3)
    ddp = torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=True)
    transitions, last = [], None
    for step in staged.steps(ddp, optimizer, batch_size=BATCH):
        if step.stage != last:
            transitions.append((step.index, step.stage))
            last = step.stage
        for batch in step.batches:
            ddp(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return staged, model, transitions, consumed, dist.get_world_size()


def main() -> None:
    mode, data, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    rank = int(os.environ["RANK"])
    tok = char_tokenizer(dataset_texts(data))
    if mode == "trainer":
        staged, model, transitions, consumed, world = run_trainer(data, tok, out)
        # a second run in the same processes resumes mid-stage from the first one's checkpoint:
        # every adapter must be back in DDP's buckets and in the optimizer
        _, resumed, resumed_transitions, resumed_rows, _ = run_trainer(
            data, tok, out / "resumed", resume=str(out / f"checkpoint-{RESUME_AT}")
        )
        torch.save(_weights(resumed), out / f"rank{rank}-resumed.pt")
    else:
        protection = PROTECTION if mode == "protected" else None
        staged, model, transitions, consumed, world = run_loop(data, tok, out, protection)
        resumed_transitions, resumed_rows = [], []
    torch.save(_weights(model), out / f"rank{rank}.pt")
    report = {
        "world": world,
        "rows": consumed,
        "transitions": transitions,
        "finished": staged.finished,
        "resumed_transitions": resumed_transitions,
        "resumed_rows": resumed_rows,
        "planned": {name: sorted(rows) for name, rows in staged.stage_rows},
    }
    (out / f"rank{rank}.json").write_text(json.dumps(report))
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
