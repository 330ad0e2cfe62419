"""The build: options, shards, the task each shard runs, uniqueness, the local and Ray
engines, stats."""
