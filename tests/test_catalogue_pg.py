"""The team catalogue on a real PostgreSQL server (started by the tests: initdb + pg_ctl on loopback).

Two processes editing one work, the audit trail, migration from SQLite, the offline outbox,
an injection attempt in a title, and the password kept out of every file and log.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest

from cuesheet_app.domain.model import Party
from cuesheet_app.rights.catalogue import Catalogue
from cuesheet_app.rights.errors import CatalogueError, CatalogueUnavailable, ConflictError
from cuesheet_app.rights.records import DirectoryParty, Recording, Work
from cuesheet_app.rights.schema import SCHEMA_VERSION
from tests.catalogue_helpers import GOOD_ROWS, kreisler_parties, write_sheet
from tests.cli_helpers import ROOT, run_cli


def _work(title: str = "Schön Rosmarin", iswc: str = "T-034.524.680-1") -> Work:
    return Work(title=title, iswc=iswc, parties=kreisler_parties())


def test_same_schema_and_version_on_both_backends(pg_url: str, tmp_path: Path) -> None:
    with Catalogue(pg_url) as pg, Catalogue(tmp_path / "c.sqlite") as lite:
        assert pg.backend.schema_version() == lite.backend.schema_version() == SCHEMA_VERSION
        for table in ("works", "recordings", "parties", "work_parties", "work_titles", "work_history"):
            lite_cols = [r[1] for r in lite.backend.execute(f"PRAGMA table_info({table})").fetchall()]
            pg_cols = [r[0] for r in pg.backend.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                (table,)).fetchall()]
            assert lite_cols == pg_cols, table
    # Opening again migrates nothing and keeps the data.
    with Catalogue(pg_url) as pg:
        pg.save_work(_work())
    with Catalogue(pg_url) as pg:
        assert pg.counts()["works"] == 1


def test_core_operations_behave_as_on_sqlite(pg_url: str, tmp_path: Path) -> None:
    for location in (pg_url, tmp_path / "c.sqlite"):
        with Catalogue(location, user="alice") as cat:
            work = _work()
            work.alt_titles = ["Fair Rosemary", "Rosmarin"]
            cat.save_work(work)
            rec = Recording(work_id=work.id, isrc="DE-F05-95-03430", title="Schön Rosmarin", artists=["Gil Shaham"],
                            library="DG", catalogue_number="DG 459 432", track_number="3")
            cat.save_recording(rec)
            with pytest.raises(CatalogueError, match="already used"):
                cat.save_recording(Recording(isrc="DEF059503430", title="dupe"))
            again = cat.get_work(work.id)
            assert again.alt_titles == ["Fair Rosemary", "Rosmarin"] and again.version == 1
            assert [h.recording.id for h in cat.search("kreisler")] == [rec.id]
            assert [h.recording.id for h in cat.search("fair rose")] == [rec.id]
            assert cat.recordings_by_catalogue_number("dg", "DG459432")[0].id == rec.id
            assert cat.parties("schott")[0].uses == 1
            # A dry-run import previews on a scratch copy / rolled-back transaction: nothing stays.
            from cuesheet_app.rights.importer import import_file

            sheet = write_sheet(tmp_path / f"sheet-{cat.kind}.csv", GOOD_ROWS)
            report = import_file(cat, sheet, dry_run=True)
            assert report.summary() and cat.counts()["recordings"] == 1
            import_file(cat, sheet)
            assert cat.counts()["recordings"] == 3
            assert cat.integrity_check() == "ok"


def test_a_save_over_a_newer_change_is_refused_with_who_and_when(pg_url: str) -> None:
    with Catalogue(pg_url, user="alice") as alice, Catalogue(pg_url, user="bob") as bob:
        work = _work()
        alice.save_work(work)
        mine, theirs = alice.get_work(work.id), bob.get_work(work.id)
        theirs.parties[1].share = Fraction(50)
        theirs.parties.append(Party(role="E", company="Bob Songs", share=Fraction(50)))
        bob.save_work(theirs)
        mine.title = "Schön Rosmarin (Alice)"
        with pytest.raises(ConflictError) as caught:
            alice.save_work(mine)
        assert "bob" in str(caught.value) and "UTC" in str(caught.value)
        assert caught.value.theirs.version == 2 and caught.value.theirs.updated_by == "bob"
        stored = alice.get_work(work.id)
        assert stored.title == "Schön Rosmarin" and len(stored.parties) == 3


_EDITOR = textwrap.dedent("""
    import json, sys, time
    from fractions import Fraction
    from pathlib import Path
    from cuesheet_app.domain.model import Party
    from cuesheet_app.rights.catalogue import Catalogue
    from cuesheet_app.rights.errors import ConflictError
    url, who, work_id, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    with Catalogue(url, user=who) as cat:
        work = cat.get_work(work_id)
        Path(go.parent / f"{who}.ready").touch()
        while not go.exists():
            time.sleep(0.01)
        work.parties.append(Party(role="E", company=f"{who} Publishing", share=Fraction(0)))
        try:
            cat.save_work(work)
            print(json.dumps({"who": who, "saved": True, "version": work.version}))
        except ConflictError as exc:
            print(json.dumps({"who": who, "saved": False, "message": str(exc),
                              "theirs_by": exc.theirs.updated_by}))
""")


def test_two_processes_editing_one_work_one_conflict_no_lost_write(pg_url: str, tmp_path: Path) -> None:
    with Catalogue(pg_url, user="setup") as cat:
        work = _work()
        cat.save_work(work)
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", _EDITOR, pg_url, who, str(work.id), str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for who in ("alice", "bob")]
    from tests.pg_server import wait_for

    assert wait_for(lambda: all((tmp_path / f"{w}.ready").exists() for w in ("alice", "bob")), 60)
    go.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    saved = [r for r in results if r["saved"]]
    refused = [r for r in results if not r["saved"]]
    assert len(saved) == 1 and len(refused) == 1
    assert refused[0]["theirs_by"] == saved[0]["who"] and saved[0]["who"] in refused[0]["message"]
    with Catalogue(pg_url, user=refused[0]["who"]) as cat:
        stored = cat.get_work(work.id)
        assert stored.version == 2
        assert f"{saved[0]['who']} Publishing" in [p.company for p in stored.parties]
        # The refused editor merges onto the newer version: both changes are kept.
        stored.parties.append(Party(role="E", company=f"{refused[0]['who']} Publishing", share=Fraction(0)))
        cat.save_work(stored)
        companies = [p.company for p in cat.get_work(work.id).parties]
        assert "alice Publishing" in companies and "bob Publishing" in companies


def test_audit_trail_records_who_when_and_old_to_new(pg_url: str) -> None:
    with Catalogue(pg_url, user="alice") as alice, Catalogue(pg_url, user="Bob Smith") as bob:
        work = _work(iswc="")
        alice.save_work(work)
        w = bob.get_work(work.id)
        w.iswc = "T-034.524.680-1"
        w.parties[0].share = Fraction(100)
        w.parties[1].share = Fraction(100)
        w.parties.append(Party(role="E", company="Acme Music", share=Fraction(0)))
        bob.save_work(w)
        w = alice.get_work(work.id)
        w.notes = "only a note: not a rights change"
        alice.save_work(w)
        party = next(p for p in alice.parties("kreisler"))
        alice.update_party(DirectoryParty(id=party.id, first_name="Fritz", last_name="Kreisler", pro="GEMA",
                                          ipi="00012345679"))
        history = alice.history(work.id)
    fields = [(h.who, h.field) for h in history]
    assert fields == [("alice", "created"), ("alice", "parties"), ("Bob Smith", "parties"),
                      ("Bob Smith", "iswc"), ("alice", "parties")]
    bob_parties = history[2]
    assert "Acme Music" not in bob_parties.old and "Acme Music" in bob_parties.new
    assert history[3].old == "" and history[3].new == "T0345246801"
    assert "00012345678" in history[4].old and "00012345679" in history[4].new
    assert all(len(h.at) == 19 for h in history)


def test_search_injection_attempt_in_a_title_is_only_text(pg_url: str, tmp_path: Path) -> None:
    evil = "Robert'); DROP TABLE works; --"
    for location in (pg_url, tmp_path / "c.sqlite"):
        with Catalogue(location) as cat:
            cat.save_work(Work(title=evil, parties=kreisler_parties()))
            cat.save_work(Work(title="100% Pure", parties=kreisler_parties()))
            cat.save_work(Work(title="Plain Song", parties=kreisler_parties()))
            hits = cat.search("'); DROP TABLE works; --")
            assert [h.title for h in hits] == [evil]
            assert [h.title for h in cat.search("100%")] == ["100% Pure"]
            assert cat.search("' OR '1'='1") == []
            assert cat.counts()["works"] == 3
            assert cat.works_by_title(evil)[0].title == evil
    result = run_cli("catalogue", "find", "x'; DROP TABLE parties; --", "--catalogue", pg_url)
    assert result.returncode == 1, result.stderr
    with Catalogue(pg_url) as cat:
        assert cat.counts()["parties"] == 2


def test_migration_from_sqlite_is_idempotent_with_a_report(pg_url: str, tmp_path: Path) -> None:
    local = tmp_path / "mine.sqlite"
    sheet = write_sheet(tmp_path / "sheet.csv", GOOD_ROWS + [
        ["", "", "Unreleased Theme", "", "", "Jane Doe [ASCAP] 100%", "", "", "", ""]])
    assert run_cli("catalogue", "import", str(sheet), "--catalogue", str(local)).returncode == 0
    with Catalogue(local) as cat:
        cat.save_work(Work(title="Work Without Recording", parties=kreisler_parties()))
        before = cat.counts()
    first = run_cli("catalogue", "migrate", "--catalogue", str(local), "--to", pg_url, "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["works_added"] == before["works"] and report["recordings_added"] == before["recordings"]
    second = run_cli("catalogue", "migrate", "--catalogue", str(local), "--to", pg_url)
    assert second.returncode == 0, second.stderr
    assert f"works 0 added, {before['works']} already there" in second.stdout
    assert f"recordings 0 added, 0 completed, {before['recordings']} already there" in second.stdout
    with Catalogue(pg_url) as pg, Catalogue(local) as lite:
        assert pg.counts() == lite.counts()
        assert {h.title for h in pg.search("")} == {h.title for h in lite.search("")}
        morning = pg.recording_by_isrc("USRC17607839")
        assert morning is not None and pg.get_work(morning.work_id).parties[0].last_name == "Doe"
    # A colleague's correction on the server is kept, and the difference reported.
    with Catalogue(pg_url, user="carol") as pg:
        w = pg.works_by_title("Work Without Recording")[0]
        w.parties[1].company = "Schott Music GmbH"
        pg.save_work(w)
    third = run_cli("catalogue", "migrate", "--catalogue", str(local), "--to", pg_url)
    assert third.returncode == 0 and "works 1 added" in third.stdout and "kept" in third.stdout


def test_offline_edits_wait_in_the_outbox_and_replay_with_conflicts_shown(pg_server, pg_url: str,
                                                                           tmp_path: Path) -> None:
    from cuesheet_app.rights.offline import (
        OfflineCatalogue,
        cache_place,
        open_catalogue,
        refresh_cache,
    )
    from cuesheet_app.rights.pg_backend import close_pools

    with open_catalogue(pg_url, user="alice") as cat:
        a, b = _work("Work A", ""), _work("Work B", "")
        cat.save_work(a)
        cat.save_work(b)
        refresh_cache(cat, cache_place(pg_url).cache)
    close_pools()
    pg_server.stop()
    try:
        with pytest.raises(CatalogueUnavailable) as caught:
            open_catalogue(pg_url, offline_ok=False)
        assert "Cannot reach the team catalogue" in str(caught.value)
        with open_catalogue(pg_url, user="alice") as off:
            assert isinstance(off, OfflineCatalogue) and off.offline
            assert {h.title for h in off.search("work")} == {"Work A", "Work B"}
            wa, wb = off.get_work(a.id), off.get_work(b.id)
            wa.notes, wb.title = "edited offline", "Work B (offline title)"
            off.save_work(wa)
            off.save_work(wb)
            new = Work(title="Made Offline", parties=kreisler_parties())
            off.save_work(new)
            off.save_recording(Recording(title="Made Offline (take 1)", work_id=new.id, isrc="GB-AAA-26-00001"))
            with pytest.raises(CatalogueError, match="offline"):
                off.update_party(DirectoryParty(id=1, company="X"))
            assert off.outbox.pending_count() == 4
    finally:
        pg_server.restart_stopped()
    with Catalogue(pg_url, user="bob") as bob:  # meanwhile, on the server
        wb = bob.get_work(b.id)
        wb.title = "Work B (Bob)"
        bob.save_work(wb)
    with open_catalogue(pg_url, user="alice") as cat:
        replayed = cat.replayed
        assert replayed.applied == 3 and len(replayed.conflicts) == 1
        assert "bob" in replayed.conflicts[0].message
        assert cat.get_work(a.id).notes == "edited offline"
        made = cat.works_by_title("Made Offline")[0]
        assert cat.recording_by_isrc("GBAAA2600001").work_id == made.id
        assert cat.get_work(b.id).title == "Work B (Bob)"
        from cuesheet_app.rights.outbox import Outbox

        outbox = Outbox(cache_place(pg_url).outbox)
        try:
            [conflict] = outbox.entries()
            assert conflict.payload["title"] == "Work B (offline title)"  # nothing lost
            outbox.resolve(conflict.seq, cat, keep="mine")
            assert outbox.pending_count() == 0
        finally:
            outbox.close()
        assert cat.get_work(b.id).title == "Work B (offline title)"
        assert [h.who for h in cat.history(b.id) if h.field == "title"] == ["bob", "alice"]


def test_password_never_reaches_a_file_or_log(pg_server, pg_url: str, tmp_path: Path, app_home: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    password = pg_server.app_password
    with_password = pg_url.replace("cuesheet_app@", f"cuesheet_app:{password}@")
    # A URL with a password is refused, and the refusal shows it redacted.
    refused = run_cli("catalogue", "find", "x", "--catalogue", with_password, "--debug")
    assert refused.returncode != 0 and "contains a password" in refused.stderr
    assert password not in refused.stderr + refused.stdout
    env = {"PGPASSWORD": password}
    outputs = [refused.stdout, refused.stderr]
    sheet = write_sheet(tmp_path / "s.csv", GOOD_ROWS)
    for args in (["catalogue", "import", str(sheet)], ["catalogue", "find", "doe"], ["catalogue", "sync"],
                 ["catalogue", "history", "morning"], ["catalogue", "export", str(tmp_path / "b.csv")]):
        r = run_cli(*args, "--catalogue", pg_url, "--debug", env=env)
        assert r.returncode == 0, r.stderr
        outputs += [r.stdout, r.stderr]
    # A wrong password: the error says so without echoing anything secret.
    bad = run_cli("catalogue", "find", "doe", "--catalogue", pg_url, "--debug", env={"PGPASSWORD": password + "x"})
    assert bad.returncode != 0 and "password authentication failed" in bad.stderr
    assert password not in bad.stderr
    outputs += [bad.stdout, bad.stderr]
    # The settings file never holds it either, even when a URL with one is set.
    from cuesheet_app.settings.store import Settings, save_settings, settings_path

    save_settings(Settings(catalogue_url=with_password))
    assert json.loads(settings_path().read_text())["catalogue_url"] == pg_url
    assert all(password not in text for text in outputs)
    for path in [*app_home.rglob("*"), *tmp_path.rglob("*")]:
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path
    for path in pg_server.root.glob("*.log"):
        assert password.encode() not in path.read_bytes()


def test_password_from_the_os_keyring(pg_server, pg_url: str, memory_keyring, monkeypatch: pytest.MonkeyPatch) -> None:
    from cuesheet_app.rights.pg_backend import close_pools
    from cuesheet_app.settings.catalogue_secrets import SERVICE

    monkeypatch.delenv("PGPASSWORD")
    monkeypatch.setenv("PGPASSFILE", "/nonexistent")
    close_pools()
    with pytest.raises(CatalogueUnavailable):
        Catalogue(pg_url)
    memory_keyring.set_password(SERVICE, f"cuesheet_app@127.0.0.1:{pg_server.port}/{pg_url.rsplit('/', 1)[1]}",
                                pg_server.app_password)
    with Catalogue(pg_url) as cat:
        assert cat.counts()["works"] == 0
    close_pools()


def test_verify_full_is_passed_to_libpq(pg_url: str) -> None:
    """sslmode=verify-full reaches libpq: this test server has no TLS, so libpq refuses to connect
    rather than fall back to plain text."""
    from cuesheet_app.rights.pg_backend import close_pools

    close_pools()
    with pytest.raises(CatalogueUnavailable, match="SSL|ssl"):
        Catalogue(pg_url + "?sslmode=verify-full")


def test_sqlite_catalogue_keeps_its_file_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    with Catalogue(path) as cat:
        cat.save_work(_work())
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT version, updated_by FROM works").fetchone()[0] == 1


def test_catalogue_chosen_by_option_environment_or_setting(pg_url: str, tmp_path: Path, app_home: Path) -> None:
    from cuesheet_app.settings.store import Settings, save_settings

    with Catalogue(pg_url) as cat:
        cat.save_work(Work(title="On The Server", parties=kreisler_parties()))
    local = tmp_path / "mine.sqlite"
    with Catalogue(local) as cat:
        cat.save_work(Work(title="On My Machine", parties=kreisler_parties()))
    env = {"CUESHEET_HOME": str(app_home)}
    save_settings(Settings(catalogue_url=pg_url))
    assert "On The Server" in run_cli("catalogue", "find", "on", env=env).stdout
    env_local = {**env, "CUESHEET_CATALOGUE_URL": str(local)}
    assert "On My Machine" in run_cli("catalogue", "find", "on", env=env_local).stdout
    assert "On The Server" in run_cli("catalogue", "find", "on", "--catalogue", pg_url, env=env_local).stdout
    for command in ("identify", "import-edit", "batch"):
        assert "--catalogue URL|FILE" in run_cli(command, "--help").stdout, command


def test_other_sessions_hear_each_committed_save(pg_url: str) -> None:
    from cuesheet_app.rights.live import ChangeListener
    from tests.pg_server import wait_for

    listener = ChangeListener(pg_url)
    try:
        assert listener.poll() == []
        heard = []
        with Catalogue(pg_url, user="bob") as bob:
            work = _work()
            with bob.transaction():
                bob.save_work(work)
                bob.save_recording(Recording(title="Take 1", work_id=work.id))
                assert listener.poll() == []  # nothing before the commit
            assert wait_for(lambda: bool(heard.extend(listener.poll()) or heard), 5)
            assert [(c.by, c.works) for c in heard] == [("bob", [work.id])] and len(heard[0].recordings) == 1
            with pytest.raises(CatalogueError), bob.transaction():
                bob.save_work(Work(title="rolled back", parties=kreisler_parties()))
                raise CatalogueError("abandon")
        assert listener.poll() == []  # a rolled-back change is never announced
    finally:
        listener.close()
