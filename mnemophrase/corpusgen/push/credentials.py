"""Where the push's token comes from, whether the Hub may be used at all, and whether the
repo name is one the Hub accepts."""

from __future__ import annotations

import os

from mnemophrase.corpusgen.errors import PushError


def check_repo(repo: str) -> str:
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    repo = (repo or "").strip()
    hint = "expected OWNER/NAME, e.g. alice/mnemo-corpus"
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise PushError("repo", f"malformed repo name {repo!r}: {hint}")
    try:
        validate_repo_id(repo)
    except HFValidationError:
        raise PushError("repo", f"malformed repo name {repo!r}: {hint}; letters, digits, '-', "
                                "'_' and '.' only, no '--' or '..', at most 96 characters"
                        ) from None
    return repo


def resolve_token(explicit: str | None) -> tuple[str, str]:
    """The token and where it came from (said in errors; the token itself never is)."""
    if explicit is not None and explicit.strip():
        return explicit.strip(), "--token"
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        value = os.environ.get(var, "").strip()
        if value:
            return value, var
    from huggingface_hub import get_token

    try:
        stored = get_token()
    except Exception as exc:  # noqa: BLE001 - an OIDC exchange or a token refresh can fail
        raise PushError("no-token", f"could not read the stored Hugging Face login "
                                    f"({type(exc).__name__})") from None
    if stored:
        return stored, "the stored login (hf auth login)"
    raise PushError("no-token", "no Hugging Face token: pass --token, set HF_TOKEN, or run "
                                "`hf auth login`")


def check_token(token: str, source: str) -> None:
    """A token is one printable word. One with a line break or a space inside (a paste over
    two lines) would be refused by the HTTP client in a message that holds it, escaped."""
    if any(c.isspace() or not c.isprintable() for c in token):
        raise PushError("argument", f"the token from {source} has a line break, space or "
                                    "control character inside it; copy it again as one line")


def offline_mode() -> bool:
    # huggingface_hub reads HF_HUB_OFFLINE once, at import; a notebook may set it later.
    from huggingface_hub import constants

    env = os.environ.get("HF_HUB_OFFLINE", "").strip().upper()
    return constants.is_offline_mode() or env in {"1", "ON", "YES", "TRUE"}


def default_endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def preflight(repo: str) -> None:
    """What `corpusgen build --push-to` checks before building: a well-formed repo name, a
    token to push with, and that offline mode is off — so a long build does not end in a
    push that could never start. Raises PushError."""
    check_repo(repo)
    if offline_mode():
        raise PushError("offline", "offline mode is on (HF_HUB_OFFLINE=1); nothing can be pushed")
    resolve_token(None)
