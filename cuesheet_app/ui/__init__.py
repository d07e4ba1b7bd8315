"""Everything Qt. The only package that may import PySide6."""
