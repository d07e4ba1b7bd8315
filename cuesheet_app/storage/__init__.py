"""Files on disk: projects, atomic writes, autosave."""
