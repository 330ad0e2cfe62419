"""Task formats: which tokens each format learns, the start token, and decoding prompts.

Tokenizers here are character tokenizers over the shared small build; the chat one has
SmolLM2's ChatML specials and template and, like SmolLM2, adds no BOS of its own.
"""

from __future__ import annotations

import pytest
import torch
from train_fixtures import TINY_LORA

from mnemophrase.train_plugin import Stage, StagedLoRA, StagePluginError, generate, generate_gloss
from mnemophrase.train_plugin.formats import IGNORE_INDEX, RowEncoder, default_format

pytest_plugins = ["train_fixtures"]  # published_dataset, dataset_tokenizer


@pytest.fixture(scope="module")
def chat_tokenizer(published_dataset):
    from mnemophrase.basemodel import char_tokenizer
    from mnemophrase.train_plugin.models import dataset_texts

    return char_tokenizer(dataset_texts(published_dataset), bos=False, chat=True)


@pytest.fixture(scope="module")
def bare_tokenizer(published_dataset):
    """Adds no BOS, has no chat template: the case where rows need a start token by hand."""
    from mnemophrase.basemodel import char_tokenizer
    from mnemophrase.train_plugin.models import dataset_texts

    return char_tokenizer(dataset_texts(published_dataset), bos=False)


def _rows(published_dataset, stage, n=4):
    from datasets import load_from_disk

    return list(load_from_disk(str(published_dataset / "arrow" / stage))["train"].select(range(n)))


def _learned(tok, ids, labels) -> str:
    return tok.decode(
        [i for i, lab in zip(ids, labels) if lab != IGNORE_INDEX], skip_special_tokens=True
    )


def _columns(rows):
    return {k: [r[k] for r in rows] for k in ("messages", "prompt", "completion", "text")}


def test_default_format_is_chat_only_with_a_template(chat_tokenizer, dataset_tokenizer):
    assert default_format(chat_tokenizer) == "chat"
    assert default_format(dataset_tokenizer) == "prompt"


@pytest.mark.parametrize("stage", ["mnemo", "bridge", "language"])
def test_chat_labels_are_exactly_the_assistant_turn(published_dataset, chat_tokenizer, stage):
    rows = _rows(published_dataset, stage)
    ids, labels = RowEncoder(chat_tokenizer, "chat").encode(_columns(rows), stage)
    end = chat_tokenizer.convert_tokens_to_ids("<|im_end|>")
    for row, i, lab in zip(rows, ids, labels):
        answer = row["messages"][-1]["content"]
        assert chat_tokenizer.decode(i, skip_special_tokens=False).startswith("<|im_start|>system")
        learned = [n for n, v in enumerate(lab) if v != IGNORE_INDEX]
        # one contiguous span: the assistant's content, then the token that ends the turn
        assert learned == list(range(learned[0], learned[-1] + 1))
        assert chat_tokenizer.decode(i[learned[0] : learned[-1]]) == answer
        assert i[learned[-1]] == end
        assert [lab[n] for n in learned] == [i[n] for n in learned]
        # what precedes the span is the template's prompt up to the assistant header
        head = chat_tokenizer.decode(i[: learned[0]], skip_special_tokens=False)
        assert head.endswith("<|im_start|>assistant\n")
        if stage != "language":
            assert row["messages"][0]["content"] in head


def test_prompt_labels_are_the_completion_and_eos(published_dataset, dataset_tokenizer):
    rows = _rows(published_dataset, "mnemo")
    ids, labels = RowEncoder(dataset_tokenizer, "prompt").encode(_columns(rows), "mnemo")
    for row, i, lab in zip(rows, ids, labels):
        assert i[0] == dataset_tokenizer.bos_token_id and lab[0] == IGNORE_INDEX
        assert _learned(dataset_tokenizer, i, lab) == row["completion"]
        assert lab[-1] == i[-1] == dataset_tokenizer.eos_token_id
        assert (
            dataset_tokenizer.decode(i, skip_special_tokens=True)
            == row["prompt"] + row["completion"]
        )


def test_text_format_learns_every_token(published_dataset, dataset_tokenizer):
    rows = _rows(published_dataset, "bridge")
    ids, labels = RowEncoder(dataset_tokenizer, "text").encode(_columns(rows), "bridge")
    for row, i, lab in zip(rows, ids, labels):
        assert lab[1:] == i[1:] and lab[0] == IGNORE_INDEX
        assert _learned(dataset_tokenizer, i, lab) == row["text"]


@pytest.mark.parametrize("fmt", ["prompt", "text"])
def test_every_token_of_a_plain_text_row_is_predicted_from_an_earlier_position(
    published_dataset, bare_tokenizer, fmt
):
    """The language stage with a tokenizer that adds no BOS: the row must not start with its
    own first word, or that word is never trained."""
    staged = StagedLoRA(
        [Stage("language", rows=8)], bare_tokenizer, source=published_dataset, format=fmt
    )
    rows = _rows(published_dataset, "language", 8)
    start = bare_tokenizer.bos_token_id
    for row, ids, labels in zip(rows, staged.dataset.input_ids, staged.dataset.labels):
        text_ids = bare_tokenizer(row["text"], add_special_tokens=False)["input_ids"]
        assert ids[0] == start and labels[0] == IGNORE_INDEX  # position 0 predicts the rest
        assert ids[1 : 1 + len(text_ids)] == text_ids
        assert labels[1 : 1 + len(text_ids)] == text_ids  # each one a target of the one before


def test_every_stage_format_reads_its_own_columns(published_dataset, chat_tokenizer, tmp_path):
    import datasets

    mine = tmp_path / "mine.parquet"  # a user's own text: only a `text` column
    datasets.Dataset.from_dict({"text": ["water and light"] * 4}).to_parquet(str(mine))
    staged = StagedLoRA(
        [
            Stage("mnemo", rows=4),
            Stage("mnemo-as-text", config="mnemo", rows=4, format="text"),
            Stage("mine", data=str(mine)),
        ],
        chat_tokenizer,
        source=published_dataset,
    )
    rows = _rows(published_dataset, "mnemo")
    offsets = staged.dataset.offsets
    chat_row = staged.dataset[offsets[0]]
    text_row = staged.dataset[offsets[1]]
    mine_row = staged.dataset[offsets[2]]
    assert "<|im_start|>" in chat_tokenizer.decode(chat_row["input_ids"], skip_special_tokens=False)
    assert _learned(chat_tokenizer, text_row["input_ids"], text_row["labels"]).startswith(
        rows[0]["text"]
    )
    assert _learned(chat_tokenizer, mine_row["input_ids"], mine_row["labels"]).startswith(
        "water and light"
    )


@pytest.mark.parametrize("fmt", ["chat", "prompt", "text"])
def test_decoding_prompt_is_the_training_prompt(published_dataset, chat_tokenizer, fmt):
    rows = _rows(published_dataset, "mnemo")
    encoder = RowEncoder(chat_tokenizer, fmt)
    ids, labels = encoder.encode(_columns(rows), "mnemo")
    for row, i, lab in zip(rows, ids, labels):
        first = next(n for n, v in enumerate(lab) if v != IGNORE_INDEX)
        if fmt == "text":  # text learns every token; a row decodes from its prompt part
            prompt = encoder.prompt_ids(row)
            assert prompt == i[: len(prompt)] and len(prompt) < len(i)
            assert chat_tokenizer.decode(prompt, skip_special_tokens=True) == row["prompt"]
        else:
            assert encoder.prompt_ids(row) == i[:first]
    if fmt == "chat":  # a bare message list (no assistant turn yet) asks the same
        user_only = [m for m in rows[0]["messages"] if m["role"] == "user"]
        assert encoder.prompt_ids(user_only) == encoder.prompt_ids(rows[0])


def test_batched_greedy_decoding_equals_one_by_one(published_dataset, chat_tokenizer):
    from mnemophrase.basemodel import tiny_llama

    torch.manual_seed(0)
    model = tiny_llama(len(chat_tokenizer), seed=3)
    rows = _rows(published_dataset, "mnemo", 5)
    together = generate(model, chat_tokenizer, rows, max_new_tokens=6, batch_size=5)
    alone = [generate(model, chat_tokenizer, [r], max_new_tokens=6)[0] for r in rows]
    assert together == alone and len(together) == 5


def test_generate_gloss_words_a_bare_hyperword_as_the_rows_do(
    published_dataset, chat_tokenizer, monkeypatch
):
    import mnemophrase.train_plugin.decoding as gen

    row = _rows(published_dataset, "mnemo", 1)[0]
    seen = []
    monkeypatch.setattr(
        gen, "decode_ids", lambda model, tok, ids, **kw: seen.extend(ids) or [""] * len(ids)
    )
    for fmt in ("chat", "prompt"):
        generate_gloss(None, chat_tokenizer, [row], format=fmt)
        generate_gloss(None, chat_tokenizer, [row["hyperword"]], lang=row["lang"], format=fmt)
        assert seen[-1] == seen[-2]
    with pytest.raises(StagePluginError, match="lang="):
        generate_gloss(None, chat_tokenizer, ["водагрусть"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"format": "poem"}, "format 'poem' is not one of chat, prompt, text"),
        ({"format": "chat"}, "needs a tokenizer with a chat template"),
    ],
)
def test_bad_formats_say_what_is_wrong(published_dataset, dataset_tokenizer, kwargs, message):
    with pytest.raises(StagePluginError, match=message):
        StagedLoRA.from_dataset(published_dataset, dataset_tokenizer, **kwargs)


def test_a_chat_stage_without_messages_is_refused(published_dataset, chat_tokenizer, tmp_path):
    import datasets

    mine = tmp_path / "pc.parquet"
    datasets.Dataset.from_dict({"prompt": ["a"], "completion": ["b"]}).to_parquet(str(mine))
    staged = StagedLoRA([Stage("mine", data=str(mine))], chat_tokenizer, lora=TINY_LORA)
    with pytest.raises(StagePluginError, match="format 'chat' needs column.s. messages"):
        _ = staged.dataset


def test_system_turn_replaces_the_template_default_in_training_and_decoding(
    published_dataset, chat_tokenizer, monkeypatch
):
    import mnemophrase.train_plugin.decoding as gen

    rows = _rows(published_dataset, "mnemo")
    default = RowEncoder(chat_tokenizer, "chat")
    short = RowEncoder(chat_tokenizer, "chat", system="Gloss.")
    (plain_ids,), _ = default.encode(_columns(rows[:1]), "mnemo")
    (ids,), (labels,) = short.encode(_columns(rows[:1]), "mnemo")
    text = chat_tokenizer.decode(ids)
    assert "Gloss." in text and "tiny test model" not in text
    assert "tiny test model" in chat_tokenizer.decode(plain_ids)
    # the same learned tokens, and decoding asks exactly what was trained
    assert _learned(chat_tokenizer, ids, labels) == _learned(
        chat_tokenizer, plain_ids, default.encode(_columns(rows[:1]), "mnemo")[1][0])
    first = next(n for n, v in enumerate(labels) if v != IGNORE_INDEX)
    assert short.prompt_ids(rows[0]) == ids[:first]
    # a conversation with a system turn of its own keeps it
    own = [{"role": "system", "content": "Mine."}, *rows[0]["messages"]]
    (own_ids,), _ = short.encode({"messages": [own]}, "mnemo")
    assert "Mine." in chat_tokenizer.decode(own_ids)
    assert "Gloss." not in chat_tokenizer.decode(own_ids)
    staged = StagedLoRA([Stage("mnemo", rows=4)], chat_tokenizer, source=published_dataset,
                        system="Gloss.")
    assert staged.encoder().prompt_ids(rows[0]) == ids[:first]
    # and the decoding helpers ask it too: a row, and a bare hyperword worded as the rows
    seen = []
    monkeypatch.setattr(
        gen, "decode_ids", lambda model, tok, ids, **kw: seen.extend(ids) or [""] * len(ids)
    )
    generate(None, chat_tokenizer, rows[:1], system="Gloss.")
    generate_gloss(None, chat_tokenizer, [rows[0]["hyperword"]], lang=rows[0]["lang"],
                   system="Gloss.")
    generate_gloss(None, chat_tokenizer, rows[:1])
    assert seen == [ids[:first], ids[:first], default.prompt_ids(rows[0])]
    with pytest.raises(StagePluginError, match="system"):
        StagedLoRA([Stage("mnemo", rows=4)], chat_tokenizer, source=published_dataset,
                   system=3)
