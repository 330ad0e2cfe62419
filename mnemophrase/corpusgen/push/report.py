"""What a push (or a dry run) tells the user, as lines of text for the command to print."""

from __future__ import annotations

from mnemophrase.corpusgen.push.text import human_size
from mnemophrase.corpusgen.push.upload import DEFAULT_BRANCH, PushResult


def report_lines(result: PushResult) -> list[str]:
    visibility = ("private" if result.private
                  else "public when created (an existing repo keeps its visibility)")
    if result.dry_run:
        lines = [(f"dry run: would push to {result.repo} ({result.url}), branch "
                  f"{result.revision}, {visibility}")]
        width = max(len(f.path_in_repo) for f in result.files)
        lines += [f"  {f.path_in_repo:<{width}}  {f.size:>12,} bytes" for f in result.files]
        lines.append(f"total: {len(result.files)} files, {result.total_bytes:,} bytes "
                     f"({human_size(result.total_bytes)})")
        if result.not_sent:
            lines.append(f"stays local: {', '.join(result.not_sent)} (the Hub serves the "
                         "Parquet files)")
        lines.append("on the Hub, files under data/ and tokenizer/ that are not listed here "
                     "are deleted by the push")
        lines.append("nothing was sent: no token was read and no network was used")
        return lines
    commit = (result.commit_oid or "")[:7]
    lines = [(f"pushed {len(result.files)} files ({human_size(result.total_bytes)}) to "
              f"{result.url} (branch {result.revision}")
             + (f", commit {commit})" if commit else ")")]
    if result.deleted:
        shown = ", ".join(result.deleted[:5]) + (" ..." if len(result.deleted) > 5 else "")
        lines.append(f"removed {len(result.deleted)} stale files from the Hub: {shown}")
    revision = "" if result.revision == DEFAULT_BRANCH else f', revision="{result.revision}"'
    stage = result.stages[0] if result.stages else "<stage>"
    lines.append(f'load it with: load_dataset("{result.repo}", "{stage}"{revision}); stages: '
                 f"{', '.join(result.stages)}")
    return lines
