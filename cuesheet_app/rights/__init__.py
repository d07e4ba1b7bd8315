"""Rights catalogue: works, recordings, parties (SQLite)."""
