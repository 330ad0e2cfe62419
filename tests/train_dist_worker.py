"""One rank of the two-process test (started by torchrun from test_train_plugin_dist.py).

    torchrun --nproc_per_node 2 tests/train_dist_worker.py trainer|loop DATA OUT

Each rank writes OUT/rank<r>.json (rows it read, stage transitions) and OUT/rank<r>.pt
(its final adapter weights) for the test to compare.
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

from train_plugin import StagedLoRA
from train_plugin.models import char_tokenizer, dataset_texts

ROWS = 40  # per stage: with 2 ranks x batch 4, 5 steps per stage
BATCH = 4


def main() -> None:
    mode, data, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    rank = int(os.environ["RANK"])
    tok = char_tokenizer(dataset_texts(data))
    torch.manual_seed(0)
    staged = StagedLoRA.from_dataset(data, tok, rows=ROWS, lora=TINY_LORA,
                                     adapters_dir=out / "adapters")
    model = staged.wrap(tiny_model(tok))
    consumed: list[list[int]] = []
    plain = staged.dataset.__getitems__

    def recording(idx):
        consumed.append(list(idx))
        return plain(idx)

    staged.dataset.__getitems__ = recording
    transitions = []
    if mode == "trainer":
        from transformers import Trainer, TrainingArguments

        args = TrainingArguments(output_dir=str(out), per_device_train_batch_size=BATCH,
                                 learning_rate=5e-3, save_strategy="no", report_to=[],
                                 use_cpu=True, ddp_backend="gloo", disable_tqdm=True,
                                 logging_steps=1000, lr_scheduler_type="constant")
        trainer = Trainer(model=model, args=args, train_dataset=staged.train_dataset,
                          data_collator=staged.collator)
        callback = staged.attach(trainer)
        trainer.train()
        transitions = callback.transitions
        world = trainer.args.world_size
    else:
        dist.init_process_group("gloo")
        world = dist.get_world_size()
        optimizer = torch.optim.AdamW(staged.parameters(model), lr=5e-3)
        ddp = torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=True)
        last = None
        for step in staged.steps(ddp, optimizer, batch_size=BATCH):
            if step.stage != last:
                transitions.append((step.index, step.stage))
                last = step.stage
            for batch in step.batches:
                ddp(**batch).loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    weights = {n: p.detach().clone() for n, p in model.named_parameters() if "lora_" in n}
    torch.save(weights, out / f"rank{rank}.pt")
    report = {"world": world, "rows": consumed, "transitions": transitions,
              "finished": staged.finished,
              "planned": {name: sorted(rows) for name, rows in staged.stage_rows}}
    (out / f"rank{rank}.json").write_text(json.dumps(report))
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
