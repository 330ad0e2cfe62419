"""Publishing a build to the Hugging Face Hub: `corpusgen push`, `corpusgen build --push-to`
and `push_build()` for scripts and notebooks.

The push is read-only on DIR and runs in two halves. First, offline, the build is checked the
way the Hub will read it: every stage named by the card's `configs:` must load with
`datasets.load_dataset`, the files those configs resolve to must be exactly the Parquet files
under data/, and the row counts must match stats.json. That check yields the list of files to
send, which is also what `--dry-run` prints. Only then does anything touch the network: one
atomic commit with those files, which also deletes files under data/ and tokenizer/ on the Hub
that this build no longer has (otherwise a `train-*.parquet` glob in the card would pick up an
old shard and the Hub would serve a different dataset than DIR).

huggingface_hub and datasets are imported inside the functions: `corpusgen --help` must stay fast.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click

REPO_TYPE = "dataset"
DEFAULT_BRANCH = "main"
# Folders corpusgen owns in the repo. Files there that the build does not have are deleted in
# the same commit; anything else a user added to the repo (a LICENSE, notebooks) is left alone.
MANAGED_PREFIXES = ("data/", "tokenizer/")
# Retries: three attempts with 2 s then 4 s between them, so at most 6 s of waiting is added to
# whatever huggingface_hub does itself. Only failures that can pass are retried: no connection,
# timeouts, 429 and 5xx answers. A 401 or 403 will not change by waiting.
ATTEMPTS = 3
FIRST_WAIT = 2.0
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class PushError(Exception):
    """A push that cannot go ahead. The message is one line, holds no token, and is meant for
    the user as is; `kind` lets scripts tell the cases apart without parsing it:
    "invalid" (DIR), "repo" (name), "argument", "offline", "no-token", "auth" (401),
    "permission" (403, read-only token), "visibility", "not-found", "network", "hub"."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class PushFile:
    path_in_repo: str
    local_path: Path
    size: int


@dataclass(frozen=True)
class PushPlan:
    """What would go: the validated build, before any network call."""

    build_dir: Path
    files: tuple[PushFile, ...]
    not_sent: tuple[str, ...]  # top-level entries of DIR that stay local (arrow/, stray files)
    stats: dict

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def stages(self) -> list[str]:
        return list(self.stats["stage_order"])


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


# --- the offline half: what would go ---------------------------------------------------------

def plan_push(build_dir: Path | str) -> PushPlan:
    """Validate DIR as the Hub will read it and list the files to send. Reads only; never
    touches the network. Raises PushError("invalid", ...) with the first problem found."""
    root = Path(build_dir)
    if not root.is_dir():
        raise _invalid(root, "no such folder")
    card_path = root / "README.md"
    if not card_path.is_file():
        raise _invalid(root, "no README.md dataset card")
    stats = _read_stats(root)
    config_names = _card_config_names(root, card_path)
    if config_names != list(stats["stage_order"]):
        raise _invalid(root, f"the card's configs ({', '.join(config_names)}) differ from "
                             f"stats.json stage_order ({', '.join(stats['stage_order'])})")

    claimed = _load_every_stage(root, config_names, stats)
    on_disk = {rel for rel in _visible_files(root, "data")}
    unclaimed = sorted(on_disk - claimed)
    if unclaimed:
        raise _invalid(root, f"{unclaimed[0]} is not named by any config in the card"
                             + (f" (and {len(unclaimed) - 1} more)" if len(unclaimed) > 1 else ""))
    outside = sorted(p for p in claimed if not p.startswith("data/"))
    if outside:
        raise _invalid(root, f"the card names {outside[0]}, outside data/; only data/ is published")

    tokenizer = sorted(_visible_files(root, "tokenizer"))
    if stats.get("tokenizer") and not tokenizer:
        raise _invalid(root, "stats.json records a tokenizer but tokenizer/ is missing or empty")

    paths = ["README.md", "stats.json", *sorted(claimed), *tokenizer]
    files = tuple(PushFile(p, root / p, (root / p).stat().st_size) for p in paths)
    sent_top = {"README.md", "stats.json", "data", "tokenizer"}
    not_sent = tuple(sorted(
        p.name + ("/" if p.is_dir() else "") for p in root.iterdir()
        if p.name not in sent_top and not p.name.startswith(".")
    ))
    return PushPlan(root, files, not_sent, stats)


def _invalid(root: Path, why: str) -> PushError:
    return PushError("invalid", f"{root} is not a pushable build: {why}")


def _read_stats(root: Path) -> dict:
    path = root / "stats.json"
    if not path.is_file():
        raise _invalid(root, "stats.json is missing")
    try:
        stats = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _invalid(root, f"stats.json is not valid JSON ({_one_line(str(exc))})") from None
    if not isinstance(stats, dict):
        raise _invalid(root, "stats.json is not a JSON object")
    for key in ("stage_order", "rows"):
        if key not in stats:
            raise _invalid(root, f"stats.json has no {key!r}")
    return stats


def _card_config_names(root: Path, card_path: Path) -> list[str]:
    # Parse the card with huggingface_hub, the same code the Hub's tooling uses, so a card that
    # it cannot read fails here rather than after the upload.
    from huggingface_hub import DatasetCard

    try:
        data = DatasetCard.load(card_path).data.to_dict()
    except Exception as exc:  # noqa: BLE001 - YAML errors come as several exception types
        raise _invalid(root, f"README.md card cannot be read ({_one_line(str(exc))})") from None
    configs = data.get("configs") or []
    names = [c.get("config_name") for c in configs if isinstance(c, dict)]
    if not names or None in names:
        raise _invalid(root, "README.md card has no `configs:` naming the stages")
    if not data.get("license"):
        raise _invalid(root, "README.md card has no license")
    return names


def _load_every_stage(root: Path, stages: list[str], stats: dict) -> set[str]:
    """Load each stage exactly as `load_dataset(DIR, stage)` does and return the files (relative
    to DIR) the card's configs resolve to. A fresh cache folder per push: datasets caches by
    path, so a rebuilt DIR would otherwise be "loaded" from the previous build's Arrow cache
    and the check would pass on data that no longer exists."""
    import datasets

    claimed: set[str] = set()
    with _quiet_datasets(), tempfile.TemporaryDirectory(prefix="corpusgen-push-") as cache:
        for stage in stages:
            try:
                builder = datasets.load_dataset_builder(str(root), stage, cache_dir=cache)
                resolved = {split: list(files) for split, files in
                            (builder.config.data_files or {}).items()}
                loaded = datasets.load_dataset(str(root), stage, cache_dir=cache)
            except Exception as exc:  # noqa: BLE001 - datasets raises many types for a broken layout
                raise _invalid(root, f"stage {stage!r} does not load with load_dataset "
                                     f"({_root_cause(exc)})"
                                     + _empty_split_hint(stats, stage)) from None
            expected = stats["rows"].get(stage, {})
            got = {split: loaded[split].num_rows for split in loaded}
            if got != expected:
                raise _invalid(root, f"stage {stage!r} loads {_counts(got)} rows but stats.json "
                                     f"records {_counts(expected)}")
            for files in resolved.values():
                for f in files:
                    rel = _relative(root, f)
                    if rel is None:
                        raise _invalid(root, f"stage {stage!r} resolves to {f}, outside the build")
                    claimed.add(rel)
    return claimed


def _root_cause(exc: BaseException) -> str:
    # datasets wraps the reader's error in DatasetGenerationError("An error occurred ..."); the
    # innermost exception is the one that says what is wrong with which file.
    seen = {id(exc)}
    while (inner := exc.__cause__ or exc.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        exc = inner
    return f"{type(exc).__name__}: {_one_line(str(exc))[:300]}"


def _empty_split_hint(stats: dict, stage: str) -> str:
    # datasets 5.x cannot read a Parquet file with no rows, so a build small enough to leave a
    # split empty can be neither loaded nor served by the Hub.
    empty = [split for split, n in stats["rows"].get(stage, {}).items() if n == 0]
    if not empty:
        return ""
    return (f"; its {', '.join(empty)} split has no rows, which datasets cannot load: build "
            "with a larger --n")


def _counts(d: dict) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in d.items()) or "none"


def _relative(root: Path, file: str) -> str | None:
    try:
        return Path(file).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _visible_files(root: Path, folder: str) -> list[str]:
    # Hidden files (.DS_Store, editor swap files) are neither checked nor sent, as datasets
    # itself ignores them when resolving data files.
    base = root / folder
    if not base.is_dir():
        return []
    out = []
    for p in base.rglob("*"):
        rel = p.relative_to(root)
        if p.is_file() and not any(part.startswith(".") for part in rel.parts):
            out.append(rel.as_posix())
    return out


@contextmanager
def _quiet_datasets() -> Iterator[None]:
    # load_dataset draws progress bars and logs "Generating train split"; a validation step
    # should print nothing. Restore what the caller had, a notebook user may want them back.
    import datasets
    from datasets.utils import logging as ds_logging

    bars_were_off = datasets.are_progress_bars_disabled()
    verbosity = ds_logging.get_verbosity()
    datasets.disable_progress_bars()
    # Errors too: a broken file is reported by us, in one line, with what it means.
    ds_logging.set_verbosity(ds_logging.CRITICAL)
    try:
        yield
    finally:
        ds_logging.set_verbosity(verbosity)
        if not bars_were_off:
            datasets.enable_progress_bars()


# --- the network half ----------------------------------------------------------------------

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
) -> PushResult:
    """Publish a corpusgen build to the Hub as the dataset repo `repo` ("owner/name"), so that
    `load_dataset(repo, stage)` gives what `load_dataset(build_dir, stage)` gives.

    Sends README.md, stats.json, data/ and tokenizer/ (when present) in one commit, never
    arrow/. The token is `token`, else HF_TOKEN, else the login stored by `hf auth login`.
    With `dry_run=True` nothing needs a token and nothing touches the network. `endpoint`
    defaults to HF_ENDPOINT (read now, not at import) or https://huggingface.co.

    Raises PushError with a one-line message; DIR is only ever read.
    """
    repo = _check_repo(repo)
    if message is not None and not message.strip():
        raise PushError("argument", "the commit message is empty")
    if revision is not None and not revision.strip():
        raise PushError("argument", "the revision (branch) is empty")
    branch = revision or DEFAULT_BRANCH
    endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or _hub_default_endpoint()).rstrip("/")
    url = f"{endpoint}/datasets/{repo}"

    plan = plan_push(build_dir)
    common = {"repo": repo, "url": url, "revision": branch, "private": private,
              "files": plan.files, "total_bytes": plan.total_bytes,
              "stages": tuple(plan.stages), "not_sent": plan.not_sent}
    if dry_run:
        return PushResult(**common, dry_run=True)

    if _offline():
        raise PushError("offline", "offline mode is on (HF_HUB_OFFLINE=1): unset it to push; "
                                   "--dry-run works offline")
    token, source = _resolve_token(token)
    try:
        return _push_with_retries(plan, repo, common, endpoint=endpoint, token=token,
                                  source=source, private=private, revision=revision,
                                  message=message or _default_message(plan), branch=branch,
                                  attempts=max(1, attempts), first_wait=first_wait)
    except KeyboardInterrupt:
        raise PushError("interrupted", "interrupted before the push finished; the Hub commit "
                                       "is all-or-nothing: it landed whole or not at all"
                        ) from None


def _push_with_retries(plan: PushPlan, repo: str, common: dict, *, endpoint: str, token: str,
                       source: str, private: bool, revision: str | None, message: str,
                       branch: str, attempts: int, first_wait: float) -> PushResult:
    waited = 0.0
    started = time.monotonic()
    for attempt in range(1, attempts + 1):
        try:
            with _quiet_hub():
                commit, deleted = _push_once(plan, repo, endpoint=endpoint, token=token,
                                             source=source, private=private, revision=revision,
                                             message=message)
            return PushResult(**common, dry_run=False, commit_url=commit.commit_url,
                              commit_oid=commit.oid, deleted=tuple(deleted), attempts=attempt)
        except Exception as exc:  # noqa: BLE001 - classified below; no traceback reaches the user
            error, retryable = _explain(exc, repo=repo, endpoint=endpoint, source=source,
                                        branch=branch)
            if not retryable or attempt == attempts:
                if retryable and attempts > 1:
                    spent = time.monotonic() - started
                    error = PushError(error.kind, f"{error}; gave up after {attempts} attempts "
                                                  f"({waited:g} s of waiting, {spent:.1f} s in "
                                                  "all); nothing was committed")
                raise _scrubbed(error, token) from None
            wait = first_wait * 2 ** (attempt - 1)
            time.sleep(wait)
            waited += wait
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _push_once(plan: PushPlan, repo: str, *, endpoint: str, token: str, source: str,
               private: bool, revision: str | None, message: str):
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

    api = HfApi(endpoint=endpoint, token=token, library_name="corpusgen",
                library_version=_version())
    # whoami first: a bad token then gets a plain "401" instead of whatever create_repo says,
    # and a read-only token is refused before anything is created.
    me = api.whoami()
    role = ((me.get("auth") or {}).get("accessToken") or {}).get("role")
    if role == "read":
        raise PushError("permission", f"the token from {source} is read-only; a push needs a "
                                      "token with write access")
    api.create_repo(repo, repo_type=REPO_TYPE, private=private, exist_ok=True)
    if private and not api.repo_info(repo, repo_type=REPO_TYPE).private:
        # create_repo ignores `private` for a repo that exists: refuse rather than publish what
        # the user asked to keep private.
        raise PushError("visibility", f"{repo} already exists and is public; --private does not "
                                      "change an existing repo (make it private on the Hub first)")
    if revision and revision != DEFAULT_BRANCH:
        api.create_branch(repo, repo_type=REPO_TYPE, branch=revision, exist_ok=True)
    remote = api.list_repo_files(repo, repo_type=REPO_TYPE, revision=revision)
    ours = {f.path_in_repo for f in plan.files}
    stale = sorted(p for p in remote if p.startswith(MANAGED_PREFIXES) and p not in ours)
    _check_unchanged(plan)
    # Operations are built afresh on each attempt: huggingface_hub mutates them while uploading.
    operations = [CommitOperationAdd(path_in_repo=f.path_in_repo, path_or_fileobj=str(f.local_path))
                  for f in plan.files]
    operations += [CommitOperationDelete(path_in_repo=p) for p in stale]
    # One create_commit rather than upload_folder: with hf_xet installed, huggingface_hub 2.x
    # sends a folder in several commits, so a failure half way would leave the Hub with a card
    # whose configs point at half the data. A single commit lands whole or not at all.
    commit = api.create_commit(repo, operations, commit_message=message, repo_type=REPO_TYPE,
                               revision=revision,
                               commit_description=_commit_description(plan))
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


def _explain(exc: Exception, *, repo: str, endpoint: str, source: str,
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
    if isinstance(exc, _transport_errors()):
        return PushError("network", f"cannot reach {endpoint}: "
                                    f"{_one_line(str(exc)) or type(exc).__name__}"), True
    if isinstance(exc, ValueError):
        # huggingface_hub raises ValueError for answers it refuses, e.g. a card whose YAML the
        # Hub's validator rejects.
        return PushError("hub", f"the push was refused: {_one_line(str(exc))}"), False
    return PushError("hub", f"push failed: {type(exc).__name__}: {_one_line(str(exc))}"), False


def _server_says(exc) -> str:
    said = _one_line(getattr(exc, "server_message", None) or "")
    return f": {said[:200]}" if said else ""


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


# --- names, tokens, words -------------------------------------------------------------------

def _check_repo(repo: str) -> str:
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


def _resolve_token(explicit: str | None) -> tuple[str, str]:
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


def _offline() -> bool:
    # huggingface_hub reads HF_HUB_OFFLINE once, at import; a notebook may set it later.
    from huggingface_hub import constants

    env = os.environ.get("HF_HUB_OFFLINE", "").strip().upper()
    return constants.is_offline_mode() or env in {"1", "ON", "YES", "TRUE"}


def _hub_default_endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def _scrubbed(error: PushError, token: str | None) -> PushError:
    """Belt and braces: the messages are built without the token, but a server may echo
    anything back, so remove it (and anything shaped like a Hub token) before it is shown."""
    text = str(error)
    if token:
        text = text.replace(token, "<token>")
    text = re.sub(r"hf_[A-Za-z0-9]{8,}", "hf_<token>", text)
    return PushError(error.kind, _one_line(text))


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _version() -> str:
    from corpusgen import __version__

    return __version__


def _rows(plan: PushPlan) -> int:
    return sum(sum(v.values()) for v in plan.stats["rows"].values())


def _default_message(plan: PushPlan) -> str:
    s = plan.stats
    return (f"corpusgen push: {_rows(plan):,} rows, {s.get('scenes', 0):,} scenes "
            f"(corpusgen {s.get('corpusgen_version', _version())}, seed {s.get('seed')})")


def _commit_description(plan: PushPlan) -> str:
    lines = [f"- {f.path_in_repo} ({_human(f.size)})" for f in plan.files]
    return "Files:\n" + "\n".join(lines)


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"  # pragma: no cover


# --- the command ----------------------------------------------------------------------------

@click.command("push")
@click.argument("build_dir", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--repo", required=True, metavar="OWNER/NAME",
              help="Dataset repo on the Hub; created if it does not exist.")
@click.option("--private", is_flag=True,
              help="Create the repo private. An existing public repo is refused, not changed.")
@click.option("--revision", metavar="BRANCH", default=None,
              help="Branch to commit to; created from main if missing. [default: main]")
@click.option("--message", metavar="TEXT", default=None,
              help="Commit message. [default: rows, scenes, corpusgen version and seed]")
@click.option("--token", metavar="TOKEN", default=None,
              help="Hub token with write access. Prefer HF_TOKEN or `hf auth login`: a token on "
                   "the command line is visible to other users of the machine.")
@click.option("--dry-run", is_flag=True,
              help="Validate DIR and list what would be sent; no token, no network.")
def push_command(build_dir: Path, repo: str, private: bool, revision: str | None,
                 message: str | None, token: str | None, dry_run: bool) -> None:
    """Publish the build in DIR to the Hugging Face Hub as a dataset repo, so that
    `load_dataset("OWNER/NAME", "mnemo")` gives what `load_dataset("DIR", "mnemo")` gives.

    DIR is validated first (every stage in the card loads, the files match the card, the row
    counts match stats.json). Then README.md, stats.json, data/ and tokenizer/ (when present)
    go in one commit; arrow/ stays local. Files under data/ and tokenizer/ on the Hub that this
    build does not have are deleted in the same commit.

    The token is --token, else HF_TOKEN, else the login stored by `hf auth login`. DIR is only
    read, never written.
    """
    _run(build_dir, repo, private=private, revision=revision, message=message, token=token,
         dry_run=dry_run)


def push_from_cli(build_dir: Path, repo: str) -> None:
    """`corpusgen build --push-to OWNER/NAME`: push the build that just succeeded."""
    _run(build_dir, repo, after_build=True)


def _run(build_dir: Path, repo: str, *, after_build: bool = False, **options) -> None:
    from corpusgen.cli import Failure

    try:
        result = push_build(build_dir, repo, **options)
    except KeyboardInterrupt:  # during validation: nothing was sent
        raise Failure("interrupted; nothing was pushed") from None
    except PushError as exc:
        where = (f"; the build itself is complete in {build_dir} (push it again with "
                 f"`corpusgen push {build_dir} --repo {repo}`)") if after_build else ""
        raise Failure(f"{exc}{where}") from None
    _report(result, echo=click.echo)


def _report(result: PushResult, echo: Callable[[str], None]) -> None:
    visibility = ("private" if result.private
                  else "public when created (an existing repo keeps its visibility)")
    if result.dry_run:
        echo(f"dry run: would push to {result.repo} ({result.url}), branch {result.revision}, "
             f"{visibility}")
        width = max(len(f.path_in_repo) for f in result.files)
        for f in result.files:
            echo(f"  {f.path_in_repo:<{width}}  {f.size:>12,} bytes")
        echo(f"total: {len(result.files)} files, {result.total_bytes:,} bytes "
             f"({_human(result.total_bytes)})")
        if result.not_sent:
            echo(f"stays local: {', '.join(result.not_sent)} (the Hub serves the Parquet files)")
        echo("on the Hub, files under data/ and tokenizer/ that are not listed here are deleted "
             "by the push")
        echo("nothing was sent: no token was read and no network was used")
        return
    commit = (result.commit_oid or "")[:7]
    echo(f"pushed {len(result.files)} files ({_human(result.total_bytes)}) to {result.url} "
         f"(branch {result.revision}" + (f", commit {commit})" if commit else ")"))
    if result.deleted:
        shown = ", ".join(result.deleted[:5]) + (" ..." if len(result.deleted) > 5 else "")
        echo(f"removed {len(result.deleted)} stale files from the Hub: {shown}")
    revision = "" if result.revision == DEFAULT_BRANCH else f', revision="{result.revision}"'
    stage = result.stages[0] if result.stages else "<stage>"
    echo(f'load it with: load_dataset("{result.repo}", "{stage}"{revision}); stages: '
         f"{', '.join(result.stages)}")


def preflight(repo: str) -> None:
    """What `corpusgen build --push-to` checks before building: a well-formed repo name, a
    token to push with, and that offline mode is off — so a long build does not end in a
    push that could never start. Raises PushError."""
    _check_repo(repo)
    if _offline():
        raise PushError("offline", "offline mode is on (HF_HUB_OFFLINE=1); nothing can be pushed")
    _resolve_token(None)
