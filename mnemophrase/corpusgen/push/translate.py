"""What huggingface_hub or its HTTP client raised, as one line for the user, and whether
trying again could help."""

from __future__ import annotations

import re
import sys

from mnemophrase.corpusgen.errors import PushError
from mnemophrase.corpusgen.push.text import one_line

# A 401 or 403 will not change by waiting; these answers can.
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


def explain(exc: Exception, *, repo: str, endpoint: str, source: str,
             branch: str) -> tuple[PushError, bool]:
    """Turn what huggingface_hub or its HTTP client raised into one line for the user, and
    say whether trying again could help."""
    from huggingface_hub.errors import (
        HfHubHTTPError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    if isinstance(exc, PushError):
        return exc, False
    if isinstance(exc, OfflineModeIsEnabled):
        return PushError("offline", "offline mode is on (HF_HUB_OFFLINE=1): unset it to push; "
                                    "--dry-run works offline"), False
    response = getattr(exc, "response", None)
    if isinstance(exc, HfHubHTTPError) and response is not None:
        status = response.status_code
        said = _server_says(exc)
        if isinstance(exc, RevisionNotFoundError):
            return PushError("not-found", f"branch {branch!r} not found in {repo}{said}"), False
        if isinstance(exc, RepositoryNotFoundError):
            return PushError("not-found", f"{repo} not found, or the token from {source} cannot "
                                          f"see it ({status}){said}"), False
        if status == 401:
            return PushError("auth", f"the Hub rejected the token from {source} (401 "
                                     "Unauthorized): make a new one at "
                                     "https://huggingface.co/settings/tokens or run "
                                     "`hf auth login`"), False
        if status == 403:
            owner = repo.split("/")[0]
            return PushError("permission", f"the token from {source} may not write to {repo} "
                                           f"(403 Forbidden): it needs write access to "
                                           f"{owner!r}{said}"), False
        retryable = status in RETRY_STATUS
        return PushError("hub", f"the Hub at {endpoint} answered {status} "
                                f"{response.reason_phrase or ''}".rstrip() + said), retryable
    if isinstance(exc, _timeouts()):
        return PushError("network", f"the Hub at {endpoint} did not answer in time "
                                    f"({type(exc).__name__})"), True
    if isinstance(exc, _transport_errors()):
        return PushError("network", f"cannot reach {endpoint}: "
                                    f"{one_line(str(exc)) or type(exc).__name__}"), True
    if isinstance(exc, ValueError):
        # huggingface_hub raises ValueError for answers it refuses, e.g. a card whose YAML the
        # Hub's validator rejects.
        return PushError("hub", f"the push was refused: {one_line(str(exc))}"), False
    return PushError("hub", f"push failed: {type(exc).__name__}: {one_line(str(exc))}"), False


def malformed_answer(exc: Exception, asked: str) -> PushError | None:
    """A Hub answer that is not what huggingface_hub or this module expects (not JSON, the
    wrong shape, a field missing) as one line saying which question it answered; None for
    any other failure (`explain` handles those)."""
    import json

    if isinstance(exc, (json.JSONDecodeError, TypeError, AttributeError, KeyError)):
        detail = one_line(str(exc))[:120] or type(exc).__name__
        return PushError("hub", f"the Hub's answer to {asked} was not what it should be "
                                f"({type(exc).__name__}: {detail}); nothing was committed"
                                if asked != "the commit" else
                                f"the Hub's answer to {asked} was not what it should be "
                                f"({type(exc).__name__}: {detail}); check the repo on the Hub: "
                                "a commit lands whole or not at all")
    return None


def _server_says(exc) -> str:
    said = one_line(getattr(exc, "server_message", None) or "")
    return f": {said[:200]}" if said else ""


def _timeouts() -> tuple[type[BaseException], ...]:
    """The HTTP client's timeouts (a subclass of its transport errors), found like those."""
    found: list[type[BaseException]] = []
    for module in ("httpx2", "httpx"):
        cls = getattr(sys.modules.get(module), "TimeoutException", None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            found.append(cls)
    return tuple(found) + (TimeoutError,)


def _transport_errors() -> tuple[type[BaseException], ...]:
    """The HTTP client's "no answer" errors. huggingface_hub 2.x uses httpx2, 1.x httpx, 0.x
    requests; none of their connection errors is an OSError. Only a client that is already
    imported can have raised, so look in sys.modules instead of importing all three."""
    found: list[type[BaseException]] = []
    for module, names in (("httpx2", ("TransportError",)), ("httpx", ("TransportError",)),
                          ("requests", ("ConnectionError", "Timeout"))):
        mod = sys.modules.get(module)
        for name in names:
            cls = getattr(mod, name, None) if mod is not None else None
            if isinstance(cls, type) and issubclass(cls, BaseException):
                found.append(cls)
    return tuple(found) + (ConnectionError, TimeoutError)


def scrubbed(error: PushError, token: str | None) -> PushError:
    """Belt and braces: the messages are built without the token, but a server may echo
    anything back, so remove it (and anything shaped like a Hub token) before it is shown."""
    text = str(error)
    if token:
        for form in sorted(token_forms(token), key=len, reverse=True):
            text = text.replace(form, "<token>")
    text = re.sub(r"hf_[A-Za-z0-9]{8,}", "hf_<token>", text)
    return PushError(error.kind, one_line(text))


def token_forms(token: str) -> set[str]:
    """The ways a token can appear in an error: as is, escaped the way Python, JSON and URLs
    escape it (a line break in it shows as backslash-n), and each part of a token split over
    lines, since one part alone is still a secret."""
    import json
    from urllib.parse import quote

    forms = {token, repr(token)[1:-1], json.dumps(token)[1:-1], quote(token, safe=""),
             token.encode("unicode_escape").decode("ascii")}
    forms |= {part for part in token.split() if len(part) >= 4}
    return {form for form in forms if form}

