"""`corpusgen push` and the push at the end of `corpusgen build --push-to`."""

from __future__ import annotations

import signal
from pathlib import Path

import click

from mnemophrase.cli.base import BUILD_DIR, Failure, signals_as_interrupt


@click.command("push")
@BUILD_DIR
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
                   "the command line is visible to other users of the machine. [default: "
                   "HF_TOKEN, else the stored login]")
@click.option("--dry-run", is_flag=True,
              help="Validate DIR and list what would be sent; no token, no network.")
def push(build_dir: Path, repo: str, private: bool, revision: str | None,
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


def push_after_build(build_dir: Path, repo: str) -> None:
    """`corpusgen build --push-to OWNER/NAME`: push the build that just succeeded."""
    _run(build_dir, repo, after_build=True)


def _run(build_dir: Path, repo: str, *, after_build: bool = False, **options) -> None:
    from mnemophrase.corpusgen.push import PushError, push_build, report_lines

    try:
        with signals_as_interrupt(signal.SIGINT):
            result = push_build(build_dir, repo, **options)
    except KeyboardInterrupt:  # during validation: nothing was sent
        raise Failure("interrupted; nothing was pushed") from None
    except PushError as exc:
        where = (f"; the build itself is complete in {build_dir} (push it again with "
                 f"`corpusgen push {build_dir} --repo {repo}`)") if after_build else ""
        raise Failure(f"{exc}{where}") from None
    for line in report_lines(result):
        click.echo(line)
