"""The tokenizer-extension arm: the mnemo stage on the base model extended by the training
build's own tokenizer, beside the same stage on the base model as it is.

The tokenizer is trained on the training build (`corpusgen tokenizer train`'s code, its
background word lists included) before any unit runs, so every worker extends the same
way. Extending is the library's `extend_model` (marked added tokens, new rows started by
`init`); hyperwords in every row the extended model reads — trained rows, gloss prompts,
decoded prompts — are marked by its `HyperwordMarker`, and ordinary text is left as it is,
which the extension reads with the base ids. The new rows train through PEFT's
`trainable_token_indices` on the core adapter, as the plugin documents.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

from .data import GLOSS_SETS, Data

# piece means as input rows, drawn output rows: the one initialisation that reads a hyperword
# through its pieces and leaves ordinary text's loss alone
# (mnemophrase/tokenizer/init_embeddings.py; bench_tokenizer measures all three)
INIT = "mean-untied"


def train_build_tokenizer(data: Data, sizes, log) -> Path:
    """The training build's tokenizer folder, trained now unless it is there already with
    the same settings."""
    import json

    from mnemophrase.tokenizer.train import SETTINGS_FILE, TOKENIZER_DIR, train_tokenizer

    folder = data.train_build / TOKENIZER_DIR
    settings = folder / SETTINGS_FILE
    if settings.is_file():
        have = json.loads(settings.read_text(encoding="utf-8"))
        if (have.get("requested_vocab_size") == sizes.tokenizer_vocab and
                have.get("background", {}).get("words_per_language")
                == sizes.tokenizer_background):
            return folder
    log(f"training the build's tokenizer ({sizes.tokenizer_vocab:,} pieces, "
        f"{sizes.tokenizer_background:,} background words per language)")
    train_tokenizer(data.train_build, vocab_size=sizes.tokenizer_vocab,
                    background=sizes.tokenizer_background)
    return folder


class Extended:
    """The base model and tokenizer extended by the build's tokenizer (copies: the base
    stays as it was), the extension, its marker, and the data with hyperwords marked."""

    def __init__(self, base, tokenizer, data: Data, tokenizer_dir: Path):
        from mnemophrase.tokenizer.extend_model import extend_model

        self.base_tokenizer = tokenizer
        self.model, self.tokenizer = copy.deepcopy(base), copy.deepcopy(tokenizer)
        self.ext, self.marker = extend_model(self.model, self.tokenizer, tokenizer_dir,
                                             init=INIT)
        self.model.eval()
        self.data = marked_data(data, self.marker)

    def trained_rows(self, rows: int):
        """The mnemo stage's first `rows` train rows (the ones every arm trains), marked."""
        from datasets import Dataset, load_from_disk

        from mnemophrase.corpusgen.contract import ARROW_DIR

        split = load_from_disk(str(self.data.train_build / ARROW_DIR / "mnemo"))["train"]
        split = split.select(range(min(rows, len(split))))
        return Dataset.from_list([self.marker.mark_row(r) for r in split.to_list()])

    def checks(self, trained) -> dict:
        """What the arm relies on, counted: how many distinct new tokens the trained rows
        use, and whether every ordinary-text row gets the base tokenizer's ids."""
        new = set(self.ext.new_ids)
        prompts = [m["content"] for ms in trained["messages"] for m in ms if m["role"] == "user"]
        used = {i for ids in self.tokenizer(prompts, add_special_tokens=False)["input_ids"]
                for i in ids if i in new}
        texts = [r["text"] for name, es in self.data.sets.items() if name not in GLOSS_SETS
                 for r in es.rows]
        same = (self.tokenizer(texts, add_special_tokens=False)["input_ids"]
                == self.base_tokenizer(texts, add_special_tokens=False)["input_ids"])
        return {"added": len(new), "init": self.ext.init, "new_tokens_in_trained_rows": len(used),
                "ordinary_rows": len(texts), "ordinary_ids_unchanged": same}


def marked_data(data: Data, marker) -> Data:
    """`data` with the hyperword of every gloss row marked; targets (the glosses) and the
    ordinary-text sets are unchanged."""
    sets = {name: dataclasses.replace(es, rows=[marker.mark_row(r) for r in es.rows])
            if name in GLOSS_SETS else es for name, es in data.sets.items()}
    return dataclasses.replace(data, sets=sets,
                               recall_rows=[marker.mark_row(r) for r in data.recall_rows],
                               choice_rows=[marker.mark_row(r) for r in data.choice_rows])
