"""Test-wide set-up: headless Qt, a private app home, and a keyring that is never the real one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia*=false")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
os.environ.pop("AUDIOSHAKE_API_KEY", None)
os.environ.pop("AUDIOSHAKE_BASE_URL", None)

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def app_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own settings, data and cache folders."""
    home = tmp_path_factory.mktemp("cuesheet-home")
    monkeypatch.setenv("CUESHEET_HOME", str(home))
    return home


@pytest.fixture
def memory_keyring():
    """An in-memory keyring backend, installed for the test and removed after."""
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1
        store: dict[tuple[str, str], str] = {}

        def __init__(self) -> None:
            super().__init__()
            self.store = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            import keyring.errors

            if (service, username) not in self.store:
                raise keyring.errors.PasswordDeleteError(username)
            del self.store[(service, username)]

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Every question the main window asks is answered 'Discard' unless a test queues answers."""
    from PySide6.QtWidgets import QMessageBox

    from cuesheet_app.ui import main_window
    from tests.workspace_helpers import Answers

    a = Answers(otherwise=QMessageBox.StandardButton.Discard)
    monkeypatch.setattr(main_window, "ask", a)
    return a


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL 15 (Debian's package) on a free loopback port, for the whole session."""
    from tests.pg_server import PgServer

    server = PgServer().start()
    try:
        yield server
    finally:
        from cuesheet_app.rights.pg_backend import close_pools

        try:
            close_pools()
        finally:
            server.remove()


@pytest.fixture
def pg_url(pg_server, request, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh team catalogue database for this test; the password comes from PGPASSWORD."""
    import re

    name = "t_" + re.sub(r"\W", "_", request.node.name.lower())[:50]
    for key, value in pg_server.env().items():
        monkeypatch.setenv(key, value)
    return pg_server.create_database(name)
