"""The one error edit-list readers raise: a message a user can act on, with the line when known."""

from __future__ import annotations


class EditListError(Exception):
    def __init__(self, message: str, path: str = "", line: int = 0) -> None:
        where = f"{path}, line {line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(where + message)
        self.path = path
        self.line = line
