"""Task formats: how a row becomes token ids and labels, and how a prompt is built to decode.

    chat    the row's `messages` through the tokenizer's chat template; loss on the
            assistant turns (and the token that ends each of them), nothing else. With
            `system=` that system turn opens every conversation that has none (else the
            template's own default applies: SmolLM2's is 27 tokens on every row)
    prompt  `prompt` + `completion`; loss on the completion and the EOS
    text    `text`; loss on every token

Training and decoding share `RowEncoder`, so a prompt given to `generate` is, token for
token, the prompt the model was trained on.

Every prompt/text row starts with one start token the loss never targets: the tokenizer's
own BOS when it adds one, else its BOS (SmolLM2's `<|im_start|>`) or, lacking one, its EOS
(the GPT-2 convention: end-of-text separates documents) prepended by hand. Without it a
row with an empty prompt starts with its first word, which no position predicts.

Chat rows are cut with sentinels: each assistant turn's content is replaced by a marker,
the conversation is rendered once, and the rendered text is split at the markers. The
pieces between are template text (masked); the contents are tokenised alone (labelled). A
template that rewrites contents (strips, escapes) is refused rather than mislabelled.
Transformers' own `return_assistant_tokens_mask` needs `{% generation %}` tags in the
template, which SmolLM2's lacks; hence this.
"""

from __future__ import annotations

from typing import Any

from .errors import StagePluginError
from .schedule import FORMATS

IGNORE_INDEX = -100  # the label value Hugging Face losses skip
COLUMNS = {"chat": ("messages",), "prompt": ("prompt", "completion"), "text": ("text",)}
_SENTINEL = "\ue000{}\ue001"  # private-use characters: never in a row, never merged by BPE


def default_format(tokenizer) -> str:
    """`chat` when the tokenizer has a chat template, else `prompt`."""
    return "chat" if getattr(tokenizer, "chat_template", None) else "prompt"


def check_format(format: str | None, tokenizer, where: str = "format") -> str:
    if format is None:
        return default_format(tokenizer)
    if format not in FORMATS:
        raise StagePluginError(f"{where} {format!r} is not one of {', '.join(FORMATS)}")
    if format == "chat" and not getattr(tokenizer, "chat_template", None):
        raise StagePluginError(
            f"{where} 'chat' needs a tokenizer with a chat template; this one has none "
            "(use format='prompt')"
        )
    return format


def start_token(tokenizer) -> list[int]:
    """The ids a prompt/text row starts with: what the tokenizer itself puts before a text
    (its BOS), else its BOS or EOS token by hand."""
    probe = list(tokenizer("a", add_special_tokens=True)["input_ids"])
    plain = list(tokenizer("a", add_special_tokens=False)["input_ids"])
    added = len(probe) - len(plain)
    if added > 0 and probe[added:] == plain:
        return probe[:added]
    for token_id in (tokenizer.bos_token_id, tokenizer.eos_token_id):
        if token_id is not None:
            return [int(token_id)]
    raise StagePluginError(
        "the tokenizer adds no BOS and has neither a BOS nor an EOS token to start rows with"
    )


class RowEncoder:
    """Rows of one format to (input_ids, labels); prompts of the same rows for decoding."""

    def __init__(self, tokenizer, format: str, max_length: int | None = None,
                 system: str | None = None):
        self.tokenizer = tokenizer
        self.format = check_format(format, tokenizer)
        self.max_length = max_length
        if system is not None and not isinstance(system, str):
            raise StagePluginError(f"system must be a string or None (got {system!r})")
        self.system = system
        self.eos = [int(tokenizer.eos_token_id)] if tokenizer.eos_token_id is not None else []
        self.start = start_token(tokenizer)  # prompt and text rows; chat has its template's
        self._specials = sorted(set(tokenizer.all_special_tokens) | {
            t.content for t in getattr(tokenizer, "added_tokens_decoder", {}).values()
            if getattr(t, "special", False)}, key=len, reverse=True)

    # ---- training rows ----------------------------------------------------------------

    def encode(self, columns: dict[str, list], stage: str = "stage") -> tuple[list, list]:
        """Token ids and labels (IGNORE_INDEX where no loss is taken) of every row."""
        n = len(next(iter(columns.values()))) if columns else 0
        fmt = self.format_of(columns, stage)
        if fmt == "chat":
            pieces = [self._chat_pieces(m) for m in columns["messages"]]
        elif fmt == "prompt":
            pieces = [[(p, False), (c, True)] for p, c in zip(columns["prompt"],
                                                            columns["completion"])]
        else:
            pieces = [[("", False), (t, True)] for t in columns["text"]]
        ids, labels = self._tokenise(pieces, plain=fmt != "chat")
        assert len(ids) == n
        return ids, labels

    def format_of(self, columns: dict[str, list], stage: str) -> str:
        """The format these columns are read in; rows with only `text` always train as text."""
        have = set(columns)
        if self.format != "text" and not set(COLUMNS[self.format]) <= have and "text" in have:
            return "text"
        missing = [c for c in COLUMNS[self.format] if c not in have]
        if missing:
            raise StagePluginError(
                f"stage {stage!r}: format {self.format!r} needs column(s) {', '.join(missing)} "
                f"(has {', '.join(sorted(have))})"
            )
        return self.format

    def _tokenise(self, rows: list[list[tuple[str, bool]]], plain: bool) -> tuple[list, list]:
        """Tokenise every piece of every row in one tokenizer call, then reassemble; `plain`
        rows (prompt, text) get the start token and the EOS."""
        flat = [text for pieces in rows for text, _ in pieces]
        encoded = _encode(self.tokenizer, flat)
        ids_out, labels_out, k = [], [], 0
        for pieces in rows:
            start = self.start if plain else []
            ids, labels = list(start), [IGNORE_INDEX] * len(start)
            for _, learn in pieces:
                part = encoded[k]
                k += 1
                ids.extend(part)
                labels.extend(part if learn else [IGNORE_INDEX] * len(part))
            if plain:
                ids.extend(self.eos)
                labels.extend(self.eos)
            if self.max_length is not None and len(ids) > self.max_length:
                ids, labels = ids[: self.max_length], labels[: self.max_length]
            ids_out.append(ids)
            labels_out.append(labels)
        return ids_out, labels_out

    def _chat_pieces(self, messages, open_turn: bool = False) -> list[tuple[str, bool]]:
        """(text, learned) pieces of one conversation; `open_turn`: stop before the last
        assistant content (the prompt a decoder continues)."""
        messages = _as_messages(messages)
        if not any(m["role"] == "assistant" for m in messages):
            raise StagePluginError("a chat row needs at least one assistant turn")
        if self.system is not None and messages[0]["role"] != "system":
            messages = [{"role": "system", "content": self.system}, *messages]
        marked, contents = [], []
        for m in messages:
            if m["role"] == "assistant":
                marked.append({**m, "content": _SENTINEL.format(len(contents))})
                contents.append(m["content"])
            else:
                marked.append(m)
        rendered = self.tokenizer.apply_chat_template(marked, tokenize=False)
        pieces, rest = [], rendered
        for i, content in enumerate(contents):
            mark = _SENTINEL.format(i)
            before, found, rest = rest.partition(mark)
            if not found:
                raise StagePluginError(
                    "the chat template rewrites message contents, so the assistant turns "
                    "cannot be found for the loss mask; use format='prompt'"
                )
            pieces.append((before, False))
            if open_turn and i == len(contents) - 1:
                return pieces
            end = self._turn_end(rest)
            pieces.append((content + end, True))
            rest = rest[len(end):]
        pieces.append((rest, False))
        return pieces

    def _turn_end(self, after: str) -> str:
        """The special token that closes an assistant turn (learned, so decoding stops)."""
        for special in self._specials:
            if special and after.startswith(special):
                return special
        return ""

    # ---- decoding prompts ---------------------------------------------------------------

    def prompt_ids(self, row: Any) -> list[int]:
        """The ids a decoder starts from, for a row or a bare prompt, exactly as trained.

        chat: a messages list (its last assistant turn, if any, is what is to be generated)
        or a row with `messages`; prompt: a string or a row with `prompt`; text: a string
        (decoding continues it) or a row, whose `prompt` (the part of its `text` before the
        answer) is continued, or its `text` when it has no `prompt`.
        """
        if self.format == "chat":
            messages = row["messages"] if isinstance(row, dict) else row
            messages = _as_messages(messages)
            if not messages or messages[-1]["role"] != "assistant":
                messages = [*messages, {"role": "assistant", "content": ""}]
            pieces = self._chat_pieces(messages, open_turn=True)
            return [t for part in _encode(self.tokenizer, [p for p, _ in pieces]) for t in part]
        key = "prompt" if self.format == "prompt" or (
            isinstance(row, dict) and "prompt" in row) else "text"
        text = row[key] if isinstance(row, dict) else row
        if not isinstance(text, str):
            raise StagePluginError(f"format {self.format!r} decodes from strings or rows with "
                                   f"`{key}`, not {type(text).__name__}")
        (ids,) = _encode(self.tokenizer, [text])
        return list(self.start) + ids

    def stop_ids(self) -> list[int]:
        """Token ids that end a generated answer: EOS and the chat turn's closing token."""
        stops = list(self.eos)
        if self.format == "chat":
            probe = self._chat_pieces([{"role": "user", "content": "a"},
                                       {"role": "assistant", "content": "b"}])
            end = probe[-2][0][1:]  # the learned piece is "b" + the turn's closing token
            if end:
                token = self.tokenizer.convert_tokens_to_ids(end)
                if isinstance(token, int) and token not in stops:
                    stops.append(token)
        return stops


def _as_messages(messages) -> list[dict[str, str]]:
    try:
        out = [{"role": str(m["role"]), "content": str(m["content"])} for m in messages]
    except (TypeError, KeyError):
        raise StagePluginError(
            "messages must be a list of {'role': ..., 'content': ...} dicts"
        ) from None
    return out


def _encode(tokenizer, texts: list[str], chunk: int = 4096) -> list[list[int]]:
    out: list[list[int]] = []
    for i in range(0, len(texts), chunk):
        enc = tokenizer(texts[i:i + chunk], add_special_tokens=False)
        out.extend(list(x) for x in enc["input_ids"])
    return out
