"""The cue sheet model: pure Python, no Qt, no I/O beyond (de)serialising dicts."""
