"""The dataset card's TRL use, run as a plain TRL user runs it: the card's own lines load each
stage, TRL's SFTTrainer takes them on a tiny random Llama with a ChatML tokenizer (<|im_end|>
as its end of sequence, like SmolLM2), and every row's labels train the closing token."""

from __future__ import annotations

import re

import pytest

from tests.train_fixtures import tiny_model  # also sets torch to one thread

pytest.importorskip("trl")


def _card_code(build) -> str:
    card = (build / "README.md").read_text(encoding="utf-8")
    section = card.split("## Use with TRL", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def _stage_lines(code: str, stages: list[str]) -> str:
    """The card's lines that load the stages (the ones before the trainer is made)."""
    lines = [line for line in code.splitlines()
             if any(line.startswith(f"{stage} = load_dataset(") for stage in stages)]
    assert len(lines) == len(stages), code
    return "\n".join(lines)


@pytest.fixture(scope="module")
def chat_tokenizer(small_build):
    from mnemophrase.basemodel import char_tokenizer
    from mnemophrase.basemodel.tiny import CHATML
    from mnemophrase.train_plugin.models import dataset_texts

    # SmolLM2's tokenizer adds no BOS; the template's own words are characters too
    return char_tokenizer([*dataset_texts(small_build), CHATML], bos=False, chat=True)


def test_the_cards_trl_lines_train_the_closing_token_of_every_stage(small_build,
                                                                     chat_tokenizer, tmp_path):
    from datasets import load_dataset
    from trl import SFTConfig, SFTTrainer

    stages = ["mnemo", "bridge", "language"]
    loaded = {"load_dataset": load_dataset, "source": str(small_build)}
    exec(_stage_lines(_card_code(small_build), stages), loaded)  # noqa: S102 - our card
    closing = chat_tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert chat_tokenizer.eos_token == "<|im_end|>"
    for stage in stages:
        rows = loaded[stage].select(range(16))
        trainer = SFTTrainer(
            model=tiny_model(chat_tokenizer), processing_class=chat_tokenizer,
            train_dataset=rows,
            args=SFTConfig(output_dir=str(tmp_path / stage), per_device_train_batch_size=4,
                           max_steps=1, save_strategy="no", report_to=[], use_cpu=True,
                           bf16=False, disable_tqdm=True, max_length=None))
        prepared = trainer.train_dataset
        assert prepared.num_rows == 16
        for row, source in zip(prepared, rows):
            trained = [t for t, label in zip(row["input_ids"], row["labels"]) if label != -100]
            assert closing in trained, (stage, chat_tokenizer.decode(row["input_ids"]))
            # the answer is trained with its closing token right after it: the model learns to
            # stop there
            answer = source["messages"][-1]["content"]
            assert answer + "<|im_end|>" in chat_tokenizer.decode(trained), stage
        assert trainer.train().global_step == 1


def test_the_pushed_card_loads_from_the_repo(small_build):
    from mnemophrase.corpusgen.output.card import LOCAL_SOURCE, card_for_repo

    local = (small_build / "README.md").read_text(encoding="utf-8")
    assert f'source = "{LOCAL_SOURCE}"' in local
    pushed = card_for_repo(local, "alice/mnemo")
    assert 'source = "alice/mnemo"' in pushed and LOCAL_SOURCE not in pushed


def test_the_card_says_how_the_data_was_made_its_limits_and_licence(small_build):
    card = (small_build / "README.md").read_text(encoding="utf-8")
    for heading in ("## Use with TRL", "## How the data was made", "## Limitations",
                    "## Licence"):
        assert heading in card
    assert "<this repo or folder>" not in card
