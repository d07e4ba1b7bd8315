"""A real PostgreSQL server for tests and benchmarks: Debian's postgresql-15, started in a temp folder.

``initdb`` into a fresh folder, ``pg_ctl start`` on a free loopback port, a superuser with a
password (scram-sha-256 on TCP) and an app role with only what docs/team-catalogue.md grants.
PostgreSQL refuses to run as root, so when we are root the server runs as the ``postgres``
system user (created if the package did not), via ``runuser``; its folder is created for it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

APP_ROLE = "cuesheet_app"


def pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql; "
                           "`make test` installs it)")
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_user() -> str | None:
    """None when we are not root (run the server as ourselves); else an unprivileged user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        "postgres"], check=True, capture_output=True)
    return "postgres"


class PgServer:
    """One running cluster. ``url(db)`` has no password: it comes from PGPASSWORD or the keyring."""

    def __init__(self, durable: bool = False) -> None:
        self.durable = durable  # benchmarks: fsync on, as a real server; tests: off, for speed
        self.bin = pg_bin()
        self.user = _server_user()
        self.root = Path(tempfile.mkdtemp(prefix="cuesheet-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.super_password = secrets.token_urlsafe(16)
        self.app_password = secrets.token_urlsafe(16)
        self._started = False

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(a) for a in args]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, cwd="/")

    def start(self) -> PgServer:
        remove_orphans(self.bin)
        (self.root / "owner.pid").write_text(str(os.getpid()))
        pwfile = self.root / "pw"
        pwfile.write_text(self.super_password + "\n")
        if self.user:
            info = pwd.getpwnam(self.user)
            os.chmod(self.root, 0o700)
            for p in (self.root, pwfile):
                os.chown(p, info.pw_uid, info.pw_gid)
        self._run(self.bin / "initdb", "-D", self.data, "-U", "postgres", "--pwfile", pwfile,
                  "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8",
                  "--locale=C.UTF-8" if _has_c_utf8() else "--no-locale")
        pwfile.unlink()
        result = self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.log, "-o", self._options(), "-w",
                           "-t", "60", "start", check=False)
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {result.stderr}\n{self.server_log()}")
        self._started = True
        with self.admin() as conn:
            conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD "
                         f"'{self.app_password}'")
        return self

    def _options(self) -> str:
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} "
                "-c max_connections=60 -c shared_buffers=128MB")
        if not self.durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        return opts

    def server_log(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    @contextlib.contextmanager
    def admin(self, dbname: str = "postgres") -> Iterator[object]:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname,
                             password=self.super_password, autocommit=True) as conn:
            yield conn

    def create_database(self, name: str) -> str:
        """A fresh database owned by the app role (as docs/team-catalogue.md sets it up); its URL."""
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {name} OWNER {APP_ROLE}")
        with self.admin(name) as conn:
            conn.execute(f"REVOKE ALL ON SCHEMA public FROM PUBLIC; ALTER SCHEMA public OWNER TO {APP_ROLE}")
        return self.url(name)

    def url(self, dbname: str, user: str = APP_ROLE) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def env(self) -> dict[str, str]:
        """What a client process needs: libpq's own PGPASSWORD (as scripts and CI would use)."""
        return {"PGPASSWORD": self.app_password, "PGCONNECT_TIMEOUT": "5"}

    def stop(self) -> None:
        if self._started:
            self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop", check=False)
            self._started = False

    def restart_stopped(self) -> None:
        """Start again after ``stop`` (the 'server is back' half of offline tests)."""
        self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.log, "-o", self._options(), "-w", "-t", "60",
                  "start")
        self._started = True

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def remove_orphans(bin_dir: Path) -> None:
    """Stop and delete servers whose test process died without tearing them down (killed by a
    timeout, Ctrl+C twice): each records its owner's pid; only dead owners' servers are touched."""
    for root in Path(tempfile.gettempdir()).glob("cuesheet-pg-*"):
        try:
            owner = int((root / "owner.pid").read_text())
        except (OSError, ValueError):
            continue  # not ours to judge
        try:
            os.kill(owner, 0)
            continue  # still running
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        cmd = [str(bin_dir / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "-w", "stop"]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, capture_output=True, cwd="/")
        shutil.rmtree(root, ignore_errors=True)


def _has_c_utf8() -> bool:
    result = subprocess.run(["locale", "-a"], capture_output=True, text=True)
    return any(line.lower() in ("c.utf8", "c.utf-8") for line in result.stdout.splitlines())


def wait_for(predicate, timeout_s: float = 10.0, step_s: float = 0.05) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return bool(predicate())
