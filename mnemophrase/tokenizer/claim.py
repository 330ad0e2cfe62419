"""DIR/tokenizer/ claimed the way a build claims its folder (mnemophrase.corpusgen.output.Output): a
lock beside it, the tokenizer written into `DIR/.tokenizer.tmp-PID` and swapped in whole. What a
killed training left (its temporary folder) is removed by the next one, and a folder holding
anything this package did not write is never replaced."""

from __future__ import annotations

from pathlib import Path

from mnemophrase.corpusgen.output.folder import Output, OutputError

from .errors import TokenizerError

MODEL_FILE = "tokenizer.model"
SETTINGS_FILE = "settings.json"
EVAL_FILE = "eval.json"
# every file `tokenizer train` and `tokenizer eval` write into DIR/tokenizer/
MADE_FILES = frozenset({MODEL_FILE, "tokenizer.json", "tokenizer_config.json", SETTINGS_FILE,
                        EVAL_FILE})


class TokenizerOutput(Output):
    """DIR/tokenizer/ as an output: replaceable when missing, empty or a tokenizer this
    package trained (settings.json, and only the files training and eval write)."""

    def reason_not_to_replace(self, folder: Path) -> str | None:
        try:
            entries = sorted(folder.iterdir())
        except OSError as exc:
            return f"cannot be read ({exc.strerror})"
        if not entries:
            return None
        foreign = [p.name for p in entries if p.name not in MADE_FILES or not p.is_file()]
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            return f"holds files this tool did not make ({shown})"
        if not (folder / SETTINGS_FILE).is_file() and not (folder / MODEL_FILE).is_file():
            return f"is not a tokenizer this tool trained (no {SETTINGS_FILE})"
        return None

    def refused(self, reason: str) -> str:
        return f"{self.shown} {reason}; move them away first, nothing was replaced"

    def busy(self, holder: str) -> str:
        return (f"another tokenizer training (pid {holder}) is writing {self.shown}; wait for "
                "it to finish")


def claim_tokenizer_folder(target: Path) -> TokenizerOutput:
    """The claimed output, to use as a context manager; its refusals are TokenizerErrors."""
    if target.is_symlink():
        raise TokenizerError(f"{target} is a link, not a folder this tool made; move it away "
                             "first")
    return TokenizerOutput(target, overwrite=True)


__all__ = ["MADE_FILES", "OutputError", "TokenizerOutput", "claim_tokenizer_folder"]
