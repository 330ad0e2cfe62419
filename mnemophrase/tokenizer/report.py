"""The evaluation as Markdown: one row per hyperword set (grouped by tier), one column per
tokenizer, then ordinary text, round trips and training time."""

from __future__ import annotations


def _cell(b: dict) -> str:
    return f"{b['recall']:.2f} · {b['f1']:.3f} · {b['tokens_per_word']:.2f}"


def format_table(report: dict) -> str:
    tokenizers = report["tokenizers"]
    head = ["set (R · F1 · tok/word)", "hyperwords"] + [t["name"] for t in tokenizers]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    for name, n in report["sets"].items():
        cells = [name, f"{n:,}"] + [_cell(t["boundaries"][name]) for t in tokenizers]
        lines.append("| " + " | ".join(cells) + " |")
    langs = [k for k in tokenizers[0]["chars_per_token"] if k != "all"] if tokenizers else []
    for lang in langs + ["all"]:
        cells = [f"chars/token, {lang} text", ""]
        cells += [f"{t['chars_per_token'][lang]:.2f}" for t in tokenizers]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("| " + " | ".join(
        ["round trip", ""] + ["exact" if t["round_trip"]["exact"]
                              else f"{t['round_trip']['failures']} differ" for t in tokenizers])
        + " |")
    lines.append("| " + " | ".join(["vocabulary", ""] + [f"{t['vocab_size']:,}"
                                                         for t in tokenizers]) + " |")
    lines.append("| " + " | ".join(
        ["train s", ""] + ["—" if t["train_seconds"] is None else f"{t['train_seconds']:.1f}"
                           for t in tokenizers]) + " |")
    return "\n".join(lines)


def format_notes(report: dict) -> str:
    pools = ", ".join(f"{k} {v:,}" for k, v in report.get("pool_sizes", {}).items())
    out = [(f"distinct words each set is drawn from: {pools}; background list: the first "
            f"{report['background_words_per_language']:,} words per language")]
    floor = report.get("substring_floor") or {}
    if floor:
        out.append("the data's limit on `neither` words, for any tokenizer whose pieces are "
                   "substrings of its training words: "
                   + "; ".join(f"{k} >= {v['tokens_per_word']:.2f} tokens/word, so F1 <= "
                               f"{v['f1_ceiling']:.2f}" for k, v in floor.items()))
    return "\n".join(out)
