"""Printing results: human text, or one JSON document with --json."""

from __future__ import annotations

import json
import sys
from typing import Any


def emit(args: Any, human: str, data: Any) -> None:
    if getattr(args, "json", False):
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
        sys.stdout.write("\n")
    elif not getattr(args, "quiet", False) and human:
        print(human)


def info(args: Any, text: str) -> None:
    if not getattr(args, "quiet", False) and not getattr(args, "json", False):
        print(text, file=sys.stderr)
