"""Decoding with the training prompt: batched greedy generation for evaluation and users.

    generate(model, tokenizer, ["gloss ru: водагрусть\n"], format="prompt")
    generate(model, tokenizer, [[{"role": "user", "content": "..."}]], format="chat")
    generate_gloss(model, tokenizer, test_rows)            # rows of a published dataset
    generate_gloss(model, tokenizer, ["водагрусть"], lang="ru")

The prompt ids come from the same RowEncoder that tokenised the training rows, so a model
is asked exactly what it was taught. Rows are decoded in batches sorted by length, padded
on the left (the model continues every prompt from its last token), greedily, until the
EOS or the chat turn's closing token.
"""

from __future__ import annotations

from typing import Any

from .errors import StagePluginError
from .formats import RowEncoder, check_format


def generate(model, tokenizer, prompts: list[Any], *, format: str | None = None,
             max_new_tokens: int = 64, batch_size: int = 16, max_length: int | None = None,
             system: str | None = None, device=None) -> list[str]:
    """Greedy continuations of `prompts`, one string each (special tokens removed).

    `prompts` are what the format decodes from: rows of a dataset (dicts with `messages`,
    `prompt` or `text`), message lists (chat) or strings (prompt, text). `system`: the
    system turn the rows were trained with (`StagedLoRA(system=...)`; None: the template's).
    """
    _check_counts(max_new_tokens, batch_size)
    encoder = RowEncoder(tokenizer, check_format(format, tokenizer), max_length, system)
    ids = [encoder.prompt_ids(p) for p in prompts]
    return decode_ids(model, tokenizer, ids, stop_ids=encoder.stop_ids(),
                      max_new_tokens=max_new_tokens, batch_size=batch_size, device=device)


def generate_gloss(model, tokenizer, rows_or_hyperwords: list[Any], *,
                   format: str | None = None, lang: str | None = None,
                   language: str | None = None, stage: str = "mnemo",
                   max_new_tokens: int = 48, batch_size: int = 16, system: str | None = None,
                   device=None) -> list[str]:
    """The model's gloss of each hyperword.

    Give rows of the dataset's `stage` (their own `messages` / `prompt` carry the task
    wording the model was trained on), or bare hyperwords with `lang` (the output language's
    code; `language`, its English name, defaults to the language plug-in's), worded by the
    dataset contract's task prompt and instruction.
    """
    fmt = check_format(format, tokenizer)
    prompts = [_task_row(x, fmt, stage, lang, language) if isinstance(x, str) else x
               for x in rows_or_hyperwords]
    return generate(model, tokenizer, prompts, format=fmt, max_new_tokens=max_new_tokens,
                    batch_size=batch_size, system=system, device=device)


def _task_row(hyperword: str, fmt: str, stage: str, lang: str | None,
              language: str | None) -> dict[str, Any]:
    from mnemophrase.corpusgen.contract import TASKS, task_instruction, task_prompt

    if stage not in TASKS:
        raise StagePluginError(f"stage {stage!r} has no hyperword task "
                               f"(tasks: {', '.join(TASKS)})")
    if not lang:
        raise StagePluginError("bare hyperwords need lang= (the output language's code), "
                               "or pass the dataset's rows instead")
    if fmt == "chat":
        if language is None:
            from mnemophrase.corpusgen.lang import get_language

            try:
                language = get_language(lang).name
            except KeyError:
                raise StagePluginError(f"no language plug-in {lang!r}; pass language=") from None
        return {"messages": [{"role": "user",
                              "content": task_instruction(stage, language, hyperword)}]}
    prompt = task_prompt(stage, lang, hyperword)
    return {"prompt": prompt, "text": prompt}


def _check_counts(max_new_tokens, batch_size) -> None:
    for name, value in (("max_new_tokens", max_new_tokens), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise StagePluginError(f"{name} must be an integer >= 1 (got {value!r})")


def decode_ids(model, tokenizer, prompt_ids: list[list[int]], *, stop_ids: list[int],
               max_new_tokens: int, batch_size: int, device=None) -> list[str]:
    """Greedy decoding of token-id prompts, batched by length with left padding."""
    import torch

    while not hasattr(model, "generate") and hasattr(model, "module"):  # DDP, accelerate
        model = model.module
    pad = tokenizer.pad_token_id
    if pad is None:
        pad = stop_ids[0] if stop_ids else 0
    if device is None:
        device = next(model.parameters()).device
    order = sorted(range(len(prompt_ids)), key=lambda i: len(prompt_ids[i]))
    out: list[str] = [""] * len(prompt_ids)
    was_training = model.training
    model.eval()
    try:
        for b in range(0, len(order), batch_size):
            idx = order[b:b + batch_size]
            width = max(len(prompt_ids[i]) for i in idx)
            ids = torch.full((len(idx), width), pad, dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            for row, i in enumerate(idx):
                n = len(prompt_ids[i])
                ids[row, width - n:] = torch.as_tensor(prompt_ids[i])
                mask[row, width - n:] = 1
            with torch.no_grad():
                gen = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device),
                                     max_new_tokens=max_new_tokens, do_sample=False,
                                     eos_token_id=stop_ids or None, pad_token_id=pad,
                                     use_cache=True)
            for row, i in enumerate(idx):
                new = gen[row, width:].tolist()
                for k, t in enumerate(new):
                    if t in stop_ids:
                        new = new[:k]
                        break
                out[i] = tokenizer.decode(new, skip_special_tokens=True).strip()
    finally:
        model.train(was_training)
    return out
