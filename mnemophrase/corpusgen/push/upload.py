"""The network half of a push: one atomic commit, retried a bounded number of times when the
failure can pass (no connection, timeouts, 429 and 5xx answers)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mnemophrase.corpusgen.errors import PushError
from mnemophrase.corpusgen.push.credentials import (
    check_repo,
    check_token,
    default_endpoint,
    offline_mode,
    resolve_token,
)
from mnemophrase.corpusgen.push.limits import (
    DEADLINE_SECONDS,
    READ_SECONDS,
    DeadlinePassed,
    hub_limits,
)
from mnemophrase.corpusgen.push.plan import PushFile, PushPlan, plan_push
from mnemophrase.corpusgen.push.published import published_bytes
from mnemophrase.corpusgen.push.text import corpusgen_version, human_size
from mnemophrase.corpusgen.push.translate import explain, malformed_answer, scrubbed

REPO_TYPE = "dataset"
DEFAULT_BRANCH = "main"
# Folders corpusgen owns in the repo. Files there that the build does not have are deleted in
# the same commit; anything else a user added to the repo (a LICENSE, notebooks) is left alone.
MANAGED_PREFIXES = ("data/", "tokenizer/")
# Retries: three attempts with 2 s then 4 s between them, so at most 6 s of waiting is added to
# whatever huggingface_hub does itself. Only failures that can pass are retried (`translate`
# says which): no connection, timeouts, 429 and 5xx answers.
ATTEMPTS = 3
FIRST_WAIT = 2.0


@dataclass(frozen=True)
class PushResult:
    repo: str
    url: str  # the dataset page, e.g. https://huggingface.co/datasets/alice/mnemo
    revision: str
    private: bool
    files: tuple[PushFile, ...]
    total_bytes: int
    dry_run: bool
    stages: tuple[str, ...] = ()
    not_sent: tuple[str, ...] = ()  # what stays local: arrow/ and anything else in DIR
    commit_url: str | None = None
    commit_oid: str | None = None
    deleted: tuple[str, ...] = ()  # stale files removed from data/ and tokenizer/ on the Hub
    attempts: int = 0


def push_build(
    build_dir: Path | str,
    repo: str,
    *,
    private: bool = False,
    revision: str | None = None,
    message: str | None = None,
    token: str | None = None,
    dry_run: bool = False,
    endpoint: str | None = None,
    attempts: int = ATTEMPTS,
    first_wait: float = FIRST_WAIT,
    read_timeout: float = READ_SECONDS,
    deadline: float | None = DEADLINE_SECONDS,
) -> PushResult:
    """Publish a corpusgen build to the Hub as the dataset repo `repo` ("owner/name"), so that
    `load_dataset(repo, stage)` gives what `load_dataset(build_dir, stage)` gives.

    Sends README.md, stats.json, data/ and tokenizer/ (when present) in one commit, never
    arrow/. The token is `token`, else HF_TOKEN, else the login stored by `hf auth login`.
    With `dry_run=True` nothing needs a token and nothing touches the network. `endpoint`
    defaults to HF_ENDPOINT (read now, not at import) or https://huggingface.co.

    No request waits for an answer longer than `read_timeout` seconds of silence, and the
    whole push (every attempt) ends after `deadline` seconds (None: no deadline).

    Raises PushError with a one-line message; DIR is only ever read.
    """
    repo = check_repo(repo)
    if message is not None and not message.strip():
        raise PushError("argument", "the commit message is empty")
    if revision is not None and not revision.strip():
        raise PushError("argument", "the revision (branch) is empty")
    branch = revision or DEFAULT_BRANCH
    endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or default_endpoint()).rstrip("/")
    url = f"{endpoint}/datasets/{repo}"

    plan = plan_push(build_dir)
    common = {"repo": repo, "url": url, "revision": branch, "private": private,
              "files": plan.files, "total_bytes": plan.total_bytes,
              "stages": tuple(plan.stages), "not_sent": plan.not_sent}
    if dry_run:
        return PushResult(**common, dry_run=True)

    if offline_mode():
        raise PushError("offline", "offline mode is on (HF_HUB_OFFLINE=1): unset it to push; "
                                   "--dry-run works offline")
    token, source = resolve_token(token)
    check_token(token, source)
    try:
        with hub_limits(read_timeout, deadline):
            return _push_with_retries(plan, repo, common, endpoint=endpoint, token=token,
                                      source=source, private=private, revision=revision,
                                      message=message or default_message(plan),
                                      branch=branch, attempts=max(1, attempts),
                                      first_wait=first_wait, read_timeout=read_timeout)
    except KeyboardInterrupt:
        _drop_connections()
        raise PushError("interrupted", "interrupted before the push finished; the Hub commit "
                                       "is all-or-nothing: it landed whole or not at all"
                        ) from None
    except DeadlinePassed:
        _drop_connections()
        raise PushError("network", f"the push to {endpoint} did not finish within its "
                                   f"deadline of {deadline:g} s; the Hub commit is "
                                   "all-or-nothing: it landed whole or not at all") from None


def _drop_connections() -> None:
    # huggingface_hub may still wait in a worker thread (the commit's pre-upload step runs
    # in a pool); closing the shared client ends those reads now instead of at a timeout
    from huggingface_hub.utils import close_session

    close_session()


def _push_with_retries(plan: PushPlan, repo: str, common: dict, *, endpoint: str, token: str,
                       source: str, private: bool, revision: str | None, message: str,
                       branch: str, attempts: int, first_wait: float,
                       read_timeout: float) -> PushResult:
    waited = 0.0
    started = time.monotonic()
    for attempt in range(1, attempts + 1):
        step = ["the token check (whoami)"]  # what the Hub is being asked, for a bad answer
        try:
            with _quiet_hub():
                commit, deleted = _push_once(plan, repo, endpoint=endpoint, token=token,
                                             source=source, private=private, revision=revision,
                                             message=message, step=step,
                                             read_timeout=read_timeout)
                result = PushResult(**common, dry_run=False, commit_url=commit.commit_url,
                                    commit_oid=commit.oid, deleted=tuple(deleted),
                                    attempts=attempt)
            return result
        except DeadlinePassed:
            raise
        except Exception as exc:  # noqa: BLE001 - classified below; no traceback reaches the user
            error = malformed_answer(exc, step[0])
            retryable = False
            if error is None:
                error, retryable = explain(exc, repo=repo, endpoint=endpoint, source=source,
                                           branch=branch)
            if not retryable or attempt == attempts:
                if retryable and attempts > 1:
                    spent = time.monotonic() - started
                    error = PushError(error.kind, f"{error}; gave up after {attempts} attempts "
                                                  f"({waited:g} s of waiting, {spent:.1f} s in "
                                                  "all); nothing was committed")
                raise scrubbed(error, token) from None
            wait = first_wait * 2 ** (attempt - 1)
            time.sleep(wait)
            waited += wait
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _push_once(plan: PushPlan, repo: str, *, endpoint: str, token: str, source: str,
               private: bool, revision: str | None, message: str, step: list[str],
               read_timeout: float):
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

    api = HfApi(endpoint=endpoint, token=token, library_name="corpusgen",
                library_version=corpusgen_version())
    # whoami first: a bad token then gets a plain "401" instead of whatever create_repo says,
    # and a read-only token is refused before anything is created.
    me = api.whoami()
    if not isinstance(me, dict):
        raise TypeError(f"a JSON {type(me).__name__}, not an object")
    role = ((me.get("auth") or {}).get("accessToken") or {}).get("role")
    if role == "read":
        raise PushError("permission", f"the token from {source} is read-only; a push needs a "
                                      "token with write access")
    step[0] = f"creating {repo}"
    api.create_repo(repo, repo_type=REPO_TYPE, private=private, exist_ok=True)
    step[0] = f"the visibility of {repo}"
    # repo_info passes its own timeout to the client (None unless given), so it is given here
    if private and not api.repo_info(repo, repo_type=REPO_TYPE, timeout=read_timeout).private:
        # create_repo ignores `private` for a repo that exists: refuse rather than publish what
        # the user asked to keep private.
        raise PushError("visibility", f"{repo} already exists and is public; --private does not "
                                      "change an existing repo (make it private on the Hub first)")
    if revision and revision != DEFAULT_BRANCH:
        step[0] = f"creating branch {revision!r}"
        api.create_branch(repo, repo_type=REPO_TYPE, branch=revision, exist_ok=True)
    step[0] = f"listing the files of {repo}"
    remote = api.list_repo_files(repo, repo_type=REPO_TYPE, revision=revision)
    ours = {f.path_in_repo for f in plan.files}
    stale = sorted(p for p in remote if p.startswith(MANAGED_PREFIXES) and p not in ours)
    _check_unchanged(plan)
    # Operations are built afresh on each attempt: huggingface_hub mutates them while uploading.
    sent = published_bytes(plan, repo)
    operations = [CommitOperationAdd(path_in_repo=f.path_in_repo,
                                     path_or_fileobj=sent.get(f.path_in_repo, str(f.local_path)))
                  for f in plan.files]
    operations += [CommitOperationDelete(path_in_repo=p) for p in stale]
    # One create_commit rather than upload_folder: with hf_xet installed, huggingface_hub 2.x
    # sends a folder in several commits, so a failure half way would leave the Hub with a card
    # whose configs point at half the data. A single commit lands whole or not at all.
    step[0] = "the commit"
    commit = api.create_commit(repo, operations, commit_message=message, repo_type=REPO_TYPE,
                               revision=revision,
                               commit_description=commit_description(plan))
    return commit, stale


def _check_unchanged(plan: PushPlan) -> None:
    # The files are read again at upload time; a rebuild in between would push unchecked data.
    for f in plan.files:
        try:
            size = f.local_path.stat().st_size
        except OSError:
            size = -1
        if size != f.size:
            raise PushError("invalid", f"{f.local_path} changed while pushing; run the push again")


@contextmanager
def _quiet_hub() -> Iterator[None]:
    # huggingface_hub logs a warning per internal retry ("Retrying in 1s ..."); the user gets
    # our one line at the end instead. Upload progress bars are left alone.
    import logging

    logger = logging.getLogger("huggingface_hub")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def row_count(plan: PushPlan) -> int:
    return sum(sum(v.values()) for v in plan.stats["rows"].values())


def default_message(plan: PushPlan) -> str:
    s = plan.stats
    return (f"corpusgen push: {row_count(plan):,} rows, {s.get('scenes', 0):,} scenes "
            f"(corpusgen {s.get('corpusgen_version', corpusgen_version())}, seed {s.get('seed')})")


def commit_description(plan: PushPlan) -> str:
    lines = [f"- {f.path_in_repo} ({human_size(f.size)})" for f in plan.files]
    return "Files:\n" + "\n".join(lines)
