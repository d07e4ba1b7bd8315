"""The offline engine: music detection and landmark identification against a local library."""
