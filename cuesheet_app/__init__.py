"""Cue sheet generator: broadcast music cue sheets from episode media."""

__version__ = "0.3.0"
