"""`corpusgen push`: validation, the dry run, what reaches huggingface_hub, and every failure.

Offline throughout: the Hub is either a closed port on 127.0.0.1, a small HTTP server on
127.0.0.1 that answers like the Hub (401, 403, 503, or a whole successful commit), or
huggingface_hub's own HfApi methods patched to record what they are handed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from mnemophrase.cli import main
from mnemophrase.corpusgen.push import PushError, plan_push, push_build

CANARY = "hf_CanaryTokenMustNeverBeShown0123456789"
CORPUSGEN = [sys.executable, "-m", "mnemophrase.cli"]
HF_VARS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE",
           "HF_ENDPOINT", "HF_OIDC_RESOURCE", "HF_TOKEN_PATH", "HTTP_PROXY", "HTTPS_PROXY",
           "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


# --- helpers ----------------------------------------------------------------------------

def tree_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def expected_files(root: Path) -> set[str]:
    """What should go, worked out independently of mnemophrase.corpusgen.push."""
    files = {"README.md", "stats.json"}
    files |= {p.relative_to(root).as_posix() for p in (root / "data").rglob("*.parquet")}
    if (root / "tokenizer").is_dir():
        files |= {p.relative_to(root).as_posix() for p in (root / "tokenizer").rglob("*")
                  if p.is_file() and not p.name.startswith(".")}
    return files


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on exit: connections to it are refused


def cli(*args) -> SimpleNamespace:
    """`corpusgen ARGS` in-process; stdout and stderr apart."""
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return SimpleNamespace(code=result.exit_code, out=result.stdout, err=result.stderr,
                           all=result.stdout + result.stderr)


def child_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in HF_VARS}
    env.update(HF_HOME=str(tmp_path / "hf-home"), HF_HUB_DISABLE_TELEMETRY="1",
               NO_PROXY="127.0.0.1,localhost", PYTHONPATH=str(Path(__file__).parents[1]))
    env.update(extra)
    return env


def assert_one_line_failure(res, *needles: str) -> None:
    assert res.code != 0
    lines = res.all.strip().splitlines()
    assert len(lines) == 1, res.all
    assert lines[0].startswith("corpusgen: "), res.all
    assert "Traceback" not in res.all
    assert CANARY not in res.all
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("push") / "build"
    res = CliRunner().invoke(main, ["build", "--n", "1000", "--out", str(out), "--quiet",
                                    "--seed", "3"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture
def copy(build, tmp_path) -> Path:
    """A private copy of the build, for tests that break or extend it."""
    return Path(shutil.copytree(build, tmp_path / "copy"))


@pytest.fixture(autouse=True)
def no_real_credentials(monkeypatch, tmp_path):
    """No token, offline flag or endpoint from this machine leaks into a test."""
    from huggingface_hub import constants
    from huggingface_hub.utils import close_session

    for var in HF_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "stored-token"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    close_session()  # the shared HTTP client reads proxy settings when it is made
    yield
    close_session()


# --- a tiny Hub on 127.0.0.1 ------------------------------------------------------------

class FakeHub:
    """Answers the handful of Hub endpoints a push uses, records every request."""

    def __init__(self, *, whoami=200, create=200, role="write", remote=(), always=None,
                 echo_token_in_errors=True, stall=None, raw=None):
        self.whoami, self.create, self.role = whoami, create, role
        # `stall`: a path pattern answered never (the connection is held open); `raw`: path
        # pattern -> (status, body bytes) sent as is, e.g. JSON cut short
        self.stall, self.raw = stall, dict(raw or {})
        self.released = threading.Event()
        self.remote, self.always = list(remote), always
        self.echo = echo_token_in_errors
        self.requests: list[tuple[str, str, dict, bytes]] = []
        self.commits: list[list[dict]] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def do_GET(self):
                hub.handle(self)

            def do_POST(self):
                hub.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def paths(self, method: str | None = None) -> list[str]:
        return [p for m, p, _, _ in self.requests if method in (None, m)]

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in h.headers.items()}
        self.requests.append((h.command, h.path, headers, body))
        path = h.path.split("?")[0]
        auth = h.headers.get("Authorization", "")
        if self.misbehave(h, path):
            return None
        if self.always:
            return self.answer(h, self.always, {"error": "try later"})
        if path == "/api/whoami-v2":
            if self.whoami != 200:
                return self.answer(h, self.whoami, {"error": "Invalid credentials"})
            return self.answer(h, 200, {"type": "user", "name": "alice", "auth": {
                "type": "access_token", "accessToken": {"displayName": "t", "role": self.role}}})
        if path == "/api/repos/create":
            if self.create != 200:
                # a careless server might echo the credentials back: they must not reach the user
                said = f"You don't have the rights ({auth})" if self.echo else "no rights"
                return self.answer(h, self.create, {"error": said})
            name = json.loads(body)
            repo = f"{name['organization']}/{name['name']}"
            return self.answer(h, 200, {"url": f"{self.endpoint}/datasets/{repo}"})
        if path == "/api/validate-yaml":
            return self.answer(h, 200, {"errors": [], "warnings": []})
        if re.fullmatch(r"/api/datasets/[^/]+/[^/]+/tree/[^/]+/?", path):
            return self.answer(h, 200, [{"type": "file", "path": p, "oid": "0" * 40, "size": 1}
                                        for p in self.remote])
        if re.fullmatch(r"/api/datasets/[^/]+/[^/]+/preupload/[^/]+", path):
            files = json.loads(body)["files"]
            return self.answer(h, 200, {"files": [{"path": f["path"], "uploadMode": "regular",
                                                   "shouldIgnore": False} for f in files]})
        if re.fullmatch(r"/api/datasets/[^/]+/[^/]+/commit/[^/]+", path):
            self.commits.append([json.loads(line) for line in body.splitlines() if line.strip()])
            oid = "a" * 40
            url = f"{self.endpoint}/datasets/alice/x/commit/{oid}"
            return self.answer(h, 200, {"commitUrl": url, "commitOid": oid})
        if re.fullmatch(r"/api/datasets/[^/]+/[^/]+(/revision/[^/]+)?", path):
            return self.answer(h, 404, {"error": "Repository not found"},
                               headers={"X-Error-Code": "RepoNotFound"})
        self.answer(h, 404, {"error": f"fake hub has no {path}"})

    def misbehave(self, h: BaseHTTPRequestHandler, path: str) -> bool:
        """Hold the request without an answer, or send a raw one; False: answer normally."""
        if self.stall and re.fullmatch(self.stall, path):
            self.released.wait(120)  # accepted, never answered
            return True
        for pattern, (status, data) in self.raw.items():
            if re.fullmatch(pattern, path):
                h.send_response(status)
                h.send_header("Content-Type", "application/json")
                h.send_header("Content-Length", str(len(data)))
                h.end_headers()
                h.wfile.write(data)
                return True
        return False

    @staticmethod
    def answer(h, status: int, payload, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)


@pytest.fixture
def fake_hub():
    hubs = []

    def make(**kwargs) -> FakeHub:
        hubs.append(FakeHub(**kwargs))
        return hubs[-1]

    yield make
    for hub in hubs:
        hub.close()


# --- the dry run ------------------------------------------------------------------------

def test_dry_run_lists_exactly_the_files(build, tmp_path):
    before = tree_digest(build)
    env = child_env(tmp_path, HF_HUB_OFFLINE="1", HF_TOKEN=CANARY,
                    HF_ENDPOINT=f"http://127.0.0.1:{closed_port()}")
    proc = subprocess.run([*CORPUSGEN, "push", str(build), "--repo", "alice/mnemo", "--dry-run"],
                          capture_output=True, text=True, env=env, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    listed = {}
    for line in proc.stdout.splitlines():
        m = re.fullmatch(r"  (\S+)\s+([\d,]+) bytes", line)
        if m:
            listed[m.group(1)] = int(m.group(2).replace(",", ""))
    assert set(listed) == expected_files(build)
    assert all(size == (build / path).stat().st_size for path, size in listed.items())
    assert not any(p.startswith("arrow/") for p in listed)
    total = re.search(r"total: (\d+) files, ([\d,]+) bytes", proc.stdout)
    assert total and int(total.group(1)) == len(listed)
    assert int(total.group(2).replace(",", "")) == sum(listed.values())
    assert "alice/mnemo" in proc.stdout
    assert CANARY not in proc.stdout + proc.stderr
    assert proc.stderr == ""
    assert tree_digest(build) == before


def test_dry_run_needs_no_token_and_no_network(copy, monkeypatch):
    (copy / "tokenizer").mkdir()
    for name in ("tokenizer.model", "tokenizer.json", "tokenizer_config.json"):
        (copy / "tokenizer" / name).write_bytes(b"{}")
    (copy / "tokenizer" / ".DS_Store").write_bytes(b"junk")  # hidden: neither checked nor sent
    (copy / "notes.txt").write_text("mine")

    def no_network(*args, **kwargs):
        raise AssertionError("the dry run opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    result = push_build(copy, "alice/mnemo", dry_run=True, private=True, revision="exp")
    assert {f.path_in_repo for f in result.files} == expected_files(copy)
    assert "tokenizer/tokenizer.model" in {f.path_in_repo for f in result.files}
    assert result.total_bytes == sum(f.size for f in result.files)
    assert result.not_sent == ("arrow/", "notes.txt")
    assert (result.dry_run, result.private, result.revision) == (True, True, "exp")
    assert result.commit_url is None


# --- what huggingface_hub is handed ------------------------------------------------------

def test_create_commit_receives_exactly_the_files_in_one_commit(copy, monkeypatch):
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
    from huggingface_hub.hf_api import CommitInfo

    calls: dict[str, list] = {}

    def record(name, result=None):
        def method(self, *args, **kwargs):
            calls.setdefault(name, []).append((self, args, kwargs))
            return result(self, *args, **kwargs) if callable(result) else result
        return method

    remote = ["README.md", ".gitattributes", "notes.md", "data/mnemo/train-00000-of-00002.parquet",
              "data/old/train-00000-of-00001.parquet", "data/mnemo/test-00000-of-00001.parquet"]
    monkeypatch.setattr(HfApi, "whoami", record("whoami", {"name": "alice", "auth": {}}))
    monkeypatch.setattr(HfApi, "create_repo", record("create_repo", "url"))
    monkeypatch.setattr(HfApi, "create_branch", record("create_branch"))
    monkeypatch.setattr(HfApi, "list_repo_files", record("list_repo_files", remote))

    def commit_info(self, *args, **kwargs):
        url = "https://huggingface.co/datasets/alice/mnemo/commit/" + "b" * 40
        return CommitInfo(commit_url=url, commit_message=kwargs["commit_message"],
                          commit_description="", oid="b" * 40)

    monkeypatch.setattr(HfApi, "create_commit", record("create_commit", commit_info))
    monkeypatch.setattr(HfApi, "upload_folder", record("upload_folder"))
    monkeypatch.setenv("HF_TOKEN", CANARY)
    before = tree_digest(copy)

    res = cli("push", copy, "--repo", "alice/mnemo", "--revision", "exp", "--message", "first push")

    assert res.code == 0, res.all
    assert CANARY not in res.all
    # one atomic commit, see mnemophrase/corpusgen/push/upload.py
    assert "upload_folder" not in calls
    (api, args, kwargs), = calls["create_commit"]
    assert api.token == CANARY and args[0] == "alice/mnemo"
    assert kwargs["repo_type"] == "dataset" and kwargs["revision"] == "exp"
    assert kwargs["commit_message"] == "first push"
    ops = list(args[1])
    adds = {op.path_in_repo: op for op in ops if isinstance(op, CommitOperationAdd)}
    deletes = {op.path_in_repo for op in ops if isinstance(op, CommitOperationDelete)}
    assert set(adds) == expected_files(copy)
    sent = {}
    for path, op in adds.items():
        with op.as_file() as f:
            sent[path] = f.read()
    for path in set(adds) - {"README.md", "stats.json"}:
        assert sent[path] == (copy / path).read_bytes(), path
    card = sent["README.md"].decode()
    assert "config_name: mnemo" in card and "license: cc-by-4.0" in card
    _assert_card_names_the_repo(card, sent["stats.json"], "alice/mnemo")
    # stale shards under data/ go in the same commit; the user's own files stay
    assert deletes == {"data/mnemo/train-00000-of-00002.parquet",
                       "data/old/train-00000-of-00001.parquet"}
    (_, cargs, ckwargs), = calls["create_repo"]
    assert cargs == ("alice/mnemo",) and ckwargs["repo_type"] == "dataset"
    assert ckwargs["exist_ok"] is True and ckwargs["private"] is False
    assert calls["create_branch"][0][2] == {"repo_type": "dataset", "branch": "exp",
                                            "exist_ok": True}
    assert "pushed 11 files" in res.out and "removed 2 stale files" in res.out
    assert 'load_dataset("alice/mnemo", "mnemo", revision="exp")' in res.out
    assert tree_digest(copy) == before


def _assert_card_names_the_repo(card: str, stats: bytes, repo: str) -> None:
    """The pushed card's code loads from `repo`, and the pushed stats.json records that card."""
    from mnemophrase.corpusgen.output.card import LOCAL_SOURCE

    assert f'source = "{repo}"' in card and LOCAL_SOURCE not in card
    entry = json.loads(stats)["files"]["README.md"]
    assert entry == {"bytes": len(card.encode()),
                     "sha256": hashlib.sha256(card.encode()).hexdigest()}


def test_a_whole_push_against_a_local_hub(build, fake_hub):
    """Through huggingface_hub's real HTTP code: the commit payload holds every file, byte for
    byte, and nothing else; the token travels only in the Authorization header."""
    hub = fake_hub(remote=["data/language/train-00000-of-00003.parquet"])
    before = tree_digest(build)
    result = push_build(build, "alice/x", token=CANARY, endpoint=hub.endpoint)
    assert result.commit_oid == "a" * 40 and result.attempts == 1
    assert result.deleted == ("data/language/train-00000-of-00003.parquet",)
    (commit,) = hub.commits
    files = {item["value"]["path"]: base64.b64decode(item["value"]["content"])
             for item in commit if item["key"] == "file"}
    assert set(files) == expected_files(build)
    assert all(data == (build / path).read_bytes() for path, data in files.items()
               if path not in ("README.md", "stats.json"))
    _assert_card_names_the_repo(files["README.md"].decode(), files["stats.json"], "alice/x")
    assert [i["value"]["path"] for i in commit if i["key"] == "deletedFile"] == list(result.deleted)
    for _, _, headers, body in hub.requests:
        assert headers.get("authorization") == f"Bearer {CANARY}"
        assert CANARY.encode() not in body
    assert tree_digest(build) == before


# --- failures: one line, non-zero exit, DIR untouched, no token anywhere ------------------

def test_push_to_a_closed_port_fails_in_one_line_within_30s(build, tmp_path):
    before = tree_digest(build)
    port = closed_port()
    env = child_env(tmp_path, HF_TOKEN=CANARY, HF_ENDPOINT=f"http://127.0.0.1:{port}")
    started = time.monotonic()
    proc = subprocess.run([*CORPUSGEN, "push", str(build), "--repo", "alice/mnemo"],
                          capture_output=True, text=True, env=env, check=False, timeout=60)
    elapsed = time.monotonic() - started
    res = SimpleNamespace(code=proc.returncode, all=proc.stdout + proc.stderr)
    assert_one_line_failure(res, f"cannot reach http://127.0.0.1:{port}", "3 attempts",
                            "6 s of waiting")
    assert proc.stdout == ""
    assert elapsed < 30
    assert tree_digest(build) == before


def test_401_says_the_token_was_rejected(build, fake_hub, monkeypatch):
    hub = fake_hub(whoami=401)
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    monkeypatch.setenv("HF_TOKEN", CANARY)
    before = tree_digest(build)
    res = cli("push", build, "--repo", "alice/x")
    assert_one_line_failure(res, "401", "token from HF_TOKEN")
    assert hub.paths() == ["/api/whoami-v2"]  # not retried, nothing created
    assert tree_digest(build) == before


def test_403_says_the_token_may_not_write(build, fake_hub, monkeypatch):
    hub = fake_hub(create=403)  # and the server echoes the Authorization header back
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    before = tree_digest(build)
    res = cli("push", build, "--repo", "bob/x", "--token", CANARY)
    assert_one_line_failure(res, "403", "may not write to bob/x", "token from --token")
    assert "<token>" in res.all  # the echoed token was scrubbed, not printed
    assert not any("/commit/" in p for p in hub.paths())
    assert tree_digest(build) == before


def test_a_read_only_token_is_refused_before_anything_is_created(build, fake_hub, monkeypatch):
    hub = fake_hub(role="read")
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    res = cli("push", build, "--repo", "alice/x", "--token", CANARY)
    assert_one_line_failure(res, "read-only")
    assert hub.paths() == ["/api/whoami-v2"]


def test_server_errors_are_retried_a_bounded_number_of_times(build, fake_hub):
    hub = fake_hub(always=503)
    with pytest.raises(PushError) as caught:
        push_build(build, "alice/x", token=CANARY, endpoint=hub.endpoint, attempts=3,
                   first_wait=0.05)
    message = str(caught.value)
    assert caught.value.kind == "hub" and "503" in message
    assert "gave up after 3 attempts (0.15 s of waiting" in message
    assert hub.paths() == ["/api/whoami-v2"] * 3
    assert "\n" not in message and CANARY not in message


@pytest.mark.parametrize("where", ["--token", "HF_TOKEN", "stored login"])
def test_the_token_is_found_in_order(build, fake_hub, monkeypatch, where):
    from huggingface_hub import constants

    hub = fake_hub(whoami=401)
    Path(constants.HF_TOKEN_PATH).write_text("hf_stored" + "s" * 30)
    if where != "stored login":
        monkeypatch.setenv("HF_TOKEN", "hf_env" + "e" * 30)
    args = ["--token", "hf_flag" + "f" * 30] if where == "--token" else []
    with pytest.raises(PushError) as caught:
        push_build(build, "alice/x", endpoint=hub.endpoint,
                   token=args[1] if args else None)
    sent = hub.requests[0][2]["authorization"]
    assert sent == {"--token": "Bearer hf_flag" + "f" * 30, "HF_TOKEN": "Bearer hf_env" + "e" * 30,
                    "stored login": "Bearer hf_stored" + "s" * 30}[where]
    assert where.split()[0] in str(caught.value)
    assert sent.split()[1] not in str(caught.value)


def test_an_existing_public_repo_is_not_pushed_as_private(build, monkeypatch):
    from huggingface_hub import HfApi

    committed = []
    monkeypatch.setattr(HfApi, "whoami", lambda self: {"name": "alice"})
    monkeypatch.setattr(HfApi, "create_repo", lambda self, *a, **k: "url")
    monkeypatch.setattr(HfApi, "repo_info", lambda self, *a, **k: SimpleNamespace(private=False))
    monkeypatch.setattr(HfApi, "create_commit", lambda self, *a, **k: committed.append(a))
    with pytest.raises(PushError) as caught:
        push_build(build, "alice/x", token=CANARY, private=True)
    assert caught.value.kind == "visibility" and committed == []


@pytest.mark.parametrize("repo", ["alice", "alice/x/y", "/x", "alice/", "alice/x--y",
                                  "alice/.x", "alice/x y", "datasets/alice/x"])
def test_a_malformed_repo_name_fails_before_anything_else(build, repo, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", CANARY)
    res = cli("push", build, "--repo", repo, "--dry-run")
    assert_one_line_failure(res, "malformed repo name", "OWNER/NAME")


def test_no_token_is_one_line(build):
    res = cli("push", build, "--repo", "alice/x")
    assert_one_line_failure(res, "no Hugging Face token", "HF_TOKEN", "hf auth login")


def test_offline_mode_is_one_line_and_sends_nothing(build, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_TOKEN", CANARY)
    monkeypatch.setattr(socket.socket, "connect", lambda *a: pytest.fail("network used offline"))
    res = cli("push", build, "--repo", "alice/x")
    assert_one_line_failure(res, "offline mode", "HF_HUB_OFFLINE=1")


def _break_stats(root: Path) -> None:
    stats = json.loads((root / "stats.json").read_text())
    stats["rows"]["mnemo"]["train"] += 1
    (root / "stats.json").write_text(json.dumps(stats))


def recorded_as_built(damage):
    """`damage`, then stats.json's file record made to match: a build whose files are as
    recorded but which is wrong in another way, for the checks after the integrity one."""
    from mnemophrase.corpusgen.output.records import file_record

    def apply(root: Path) -> None:
        damage(root)
        stats = json.loads((root / "stats.json").read_text())
        stats["files"] = file_record(root)
        (root / "stats.json").write_text(json.dumps(stats))
    return apply


def _flip_a_bit(root: Path) -> None:
    path = root / "data/bridge/train-00000-of-00001.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # the file still loads: only the checksum tells
    path.write_bytes(bytes(data))


def _empty_split(root: Path) -> None:
    import pyarrow.parquet as pq

    path = root / "data/mnemo/validation-00000-of-00001.parquet"
    pq.write_table(pq.read_table(path).slice(0, 0), path)
    stats = json.loads((root / "stats.json").read_text())
    stats["rows"]["mnemo"]["validation"] = 0
    (root / "stats.json").write_text(json.dumps(stats))


BREAKAGES = {
    "no stats.json": (lambda r: (r / "stats.json").unlink(), "no stats.json"),
    "stats not JSON": (lambda r: (r / "stats.json").write_text("{"), "stats.json: unreadable"),
    "row counts differ": (_break_stats, "records"),
    "stray shard": (lambda r: shutil.copy(r / "data/mnemo/train-00000-of-00001.parquet",
                                          r / "data/mnemo/train-00001-of-00002.parquet"),
                    "train-00001-of-00002.parquet: not made by this build"),
    "file a user put among the shards": (lambda r: (r / "data/mnemo/notes.txt").write_text("x"),
                                         "data/mnemo/notes.txt: not made by this build"),
    "file the card does not name": (
        recorded_as_built(lambda r: (r / "data/mnemo/notes.txt").write_text("x")),
        "data/mnemo/notes.txt is not named"),
    "a stage without files": (recorded_as_built(lambda r: shutil.rmtree(r / "data/bridge")),
                              "'bridge' does not load"),
    "no card": (lambda r: (r / "README.md").unlink(), "no README.md"),
    "card without configs": (recorded_as_built(
        lambda r: (r / "README.md").write_text("---\nlicense: mit\n---\n# x\n")),
        "no `configs:`"),
    "not a folder": (lambda r: shutil.rmtree(r), "no such folder"),
    "a bit flipped in a shard": (
        _flip_a_bit, "data/bridge/train-00000-of-00001.parquet: sha256 differs from stats.json"),
    # datasets 5.x cannot read a Parquet file without rows: say so rather than push it
    "an empty split": (recorded_as_built(_empty_split), "validation split has no rows"),
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_an_invalid_build_fails_in_one_line_and_is_left_as_it_was(copy, breakage, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", CANARY)
    monkeypatch.setattr(socket.socket, "connect",
                        lambda *a: pytest.fail("network before validation"))
    damage, needle = BREAKAGES[breakage]
    damage(copy)
    before = tree_digest(copy) if copy.exists() else None
    for extra in ([], ["--dry-run"]):
        res = cli("push", copy, "--repo", "alice/x", *extra)
        assert_one_line_failure(res, "is not a pushable build", needle)
    if before is not None:
        assert tree_digest(copy) == before


def test_plan_push_is_the_python_check(build):
    plan = plan_push(build)
    assert {f.path_in_repo for f in plan.files} == expected_files(build)
    assert plan.stages == ["mnemo", "bridge", "language"]


def test_build_push_to_pushes_after_the_build(tmp_path, monkeypatch):
    # a push that cannot start (offline, no token, bad name) is refused before the build
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "b"
    res = cli("build", "--n", "200", "--out", out, "--quiet", "--push-to", "alice/x")
    assert res.code == 1 and res.out == ""
    assert res.err.count("\n") == 1 and "--push-to: offline mode" in res.err
    assert not out.exists()


def test_build_push_to_pushes_after_the_build_succeeds(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_TOKEN", "hf_canary_build_push")
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    out = tmp_path / "b"
    res = cli("build", "--n", "300", "--out", out, "--quiet", "--push-to", "alice/x")
    assert res.code == 1 and res.out.startswith("built ")
    assert f"the build itself is complete in {out}" in res.err
    assert "hf_canary_build_push" not in res.all
    assert (out / "stats.json").is_file()


# --- a Hub that hangs, answers nonsense or fails: never a wait without end -----------------

COMMIT = r"/api/datasets/[^/]+/[^/]+/commit/[^/]+"


def test_a_hub_that_never_answers_is_given_up_on(build, fake_hub):
    hub = fake_hub(stall="/api/whoami-v2")
    started = time.monotonic()
    with pytest.raises(PushError) as caught:
        push_build(build, "alice/x", token=CANARY, endpoint=hub.endpoint, read_timeout=1,
                   attempts=2, first_wait=0.05)
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert caught.value.kind == "network" and "did not answer in time" in message, message
    assert "gave up after 2 attempts" in message and CANARY not in message


def test_a_commit_that_trickles_on_is_stopped_by_the_deadline(build, fake_hub):
    hub = fake_hub(stall=COMMIT)
    started = time.monotonic()
    with pytest.raises(PushError) as caught:
        push_build(build, "alice/x", token=CANARY, endpoint=hub.endpoint, read_timeout=60,
                   deadline=2)
    assert time.monotonic() - started < 8
    assert "did not finish within its deadline of 2 s" in str(caught.value)
    assert "all-or-nothing" in str(caught.value)


def test_ctrl_c_during_a_stalled_commit_ends_the_push_at_once(build, fake_hub, tmp_path):
    import signal

    hub = fake_hub(stall=COMMIT)
    env = child_env(tmp_path, HF_TOKEN=CANARY, HF_ENDPOINT=hub.endpoint)
    proc = subprocess.Popen([*CORPUSGEN, "push", str(build), "--repo", "alice/x"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while not any(re.fullmatch(COMMIT, p.split("?")[0]) for p in hub.paths()):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    started = time.monotonic()
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - started < 3, "Ctrl-C waited for the Hub"
    res = SimpleNamespace(code=proc.returncode, all=out + err)
    assert_one_line_failure(res, "interrupted before the push finished")


MALFORMED = {
    "whoami cut short": ({"/api/whoami-v2": (200, b'{"type": "us')}, "the token check (whoami)"),
    "whoami a list": ({"/api/whoami-v2": (200, b"[1, 2]")}, "the token check (whoami)"),
    "create not JSON": ({"/api/repos/create": (200, b"<html>proxy</html>")}, "creating alice/x"),
    "commit without its fields": ({COMMIT: (200, b'{"ok": true}')}, "the commit"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_answer_says_which_question_it_answered(build, fake_hub, monkeypatch,
                                                            case):
    raw, asked = MALFORMED[case]
    hub = fake_hub(raw=raw)
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    monkeypatch.setenv("HF_TOKEN", CANARY)
    res = cli("push", build, "--repo", "alice/x")
    assert_one_line_failure(res, f"the Hub's answer to {asked} was not what it should be")


def test_a_5xx_at_the_commit_is_retried_then_one_line(build, fake_hub):
    hub = fake_hub(raw={COMMIT: (500, b'{"error": "internal"}')})
    with pytest.raises(PushError) as caught:
        push_build(build, "alice/x", token=CANARY, endpoint=hub.endpoint, attempts=2,
                   first_wait=0.05)
    assert "500" in str(caught.value) and "gave up after 2 attempts" in str(caught.value)
    assert len([p for p in hub.paths("POST") if re.fullmatch(COMMIT, p.split("?")[0])]) >= 2


@pytest.mark.parametrize("where", ["HF_TOKEN", "--token"])
def test_a_token_split_over_lines_is_never_shown(build, fake_hub, monkeypatch, where):
    hub = fake_hub()
    first, second = CANARY[:20], CANARY[20:]
    token = f"{first}\n{second}"
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    args = ["push", build, "--repo", "alice/x"]
    if where == "HF_TOKEN":
        monkeypatch.setenv("HF_TOKEN", token)
    else:
        args += ["--token", token]
    res = cli(*args)
    assert_one_line_failure(res, "line break")
    assert first not in res.all and second not in res.all
    assert hub.requests == []  # refused before anything was sent


def test_every_escaped_form_of_a_token_is_scrubbed():
    from mnemophrase.corpusgen.push.translate import scrubbed

    token = "hf_Abc\ndefGhijklmnop"
    said = PushError("hub", f"Illegal header value b'Bearer {token!r}' {token.split()[1]}")
    text = str(scrubbed(said, token))
    assert "Abc" not in text and "defGhijklmnop" not in text, text
