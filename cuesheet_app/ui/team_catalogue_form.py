"""Settings ▸ Team catalogue: the server URL, who changes are recorded as, the password in the keyring.

A URL with a password in it is refused here too (the password field stores it in the OS keyring
instead), so the settings file can never hold one.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QPushButton, QWidget

from cuesheet_app.rights.errors import CatalogueError
from cuesheet_app.rights.location import check_url, connection_parts, is_server_url
from cuesheet_app.settings.catalogue_secrets import account_for, set_db_password
from cuesheet_app.settings.store import Settings


class TeamCatalogueForm(QWidget):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        intro = QLabel("Leave the URL empty to use your own catalogue on this computer. A team points "
                       "everyone at one PostgreSQL server (see docs/team-catalogue.md).", self)
        intro.setWordWrap(True)
        form.addRow(intro)
        self.url = QLineEdit(settings.catalogue_url, self)
        self.url.setPlaceholderText("postgresql://user@host:5432/cuesheet?sslmode=verify-full")
        form.addRow("Server URL:", self.url)
        self.display_name = QLineEdit(settings.catalogue_display_name, self)
        self.display_name.setPlaceholderText("your login name")
        form.addRow("Record my changes as:", self.display_name)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("stored in the system keyring, never in settings")
        self.store_button = QPushButton("Store password", self)
        form.addRow("Password:", self.password)
        form.addRow("", self.store_button)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        form.addRow(self.status)
        self.store_button.clicked.connect(self.store_password)

    def url_text(self) -> str:
        """The URL to save; raises CatalogueError for one with a password (or not postgresql://)."""
        url = self.url.text().strip()
        if url and not is_server_url(url):
            raise CatalogueError("The team catalogue URL starts with postgresql://")
        return check_url(url) if url else ""

    def store_password(self) -> bool:
        try:
            url = self.url_text()
        except CatalogueError as exc:
            self.status.setText(str(exc))
            return False
        if not url or not self.password.text():
            self.status.setText("Enter the server URL and the password first.")
            return False
        parts = connection_parts(url)
        account = account_for(parts["user"], parts["host"], parts["port"], parts["dbname"])
        try:
            set_db_password(account, self.password.text())
        except Exception as exc:  # noqa: BLE001 - keyring backends raise their own types
            self.status.setText(f"The system keyring refused it ({type(exc).__name__}); use PGPASSWORD or "
                                "~/.pgpass instead.")
            return False
        self.password.clear()
        self.status.setText(f"Password for {account} stored in the system keyring.")
        return True

    def apply(self, settings: Settings) -> None:
        settings.catalogue_url = self.url_text()
        settings.catalogue_display_name = self.display_name.text().strip()
