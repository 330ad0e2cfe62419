"""Where a build's files go: a folder or a URL, the shard writers, the Arrow metadata, the
card, the record of its files."""
