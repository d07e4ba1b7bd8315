"""Team catalogue speed over loopback: 100,000 works on a real PostgreSQL server (and on SQLite).

    .venv/bin/python benchmarks/bench_catalogue_pg.py [N_WORKS] [--backend pg|sqlite|both]

Targets (issue 18), with N_WORKS = 100,000: search < 50 ms, auto-fill of a 1,000-cue season
< 1 s, import of a 5,000-row sheet < 10 s. The server is started here exactly as the tests start
it (Debian's postgresql-15: initdb + pg_ctl on a free 127.0.0.1 port, scram-sha-256 over TCP,
fsync left on). The catalogue is bulk-loaded with SQL (loading is not what is measured); every
measured step goes through the app's own Catalogue / fill_cues / import_file code. Search is
reported per query kind as median and worst of 20 runs (the first, cold run included).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_catalogue import make_sheet  # noqa: E402
from cuesheet_app.domain.model import Cue  # noqa: E402
from cuesheet_app.rights.autofill import fill_cues  # noqa: E402
from cuesheet_app.rights.catalogue import Catalogue  # noqa: E402
from cuesheet_app.rights.importer import import_file  # noqa: E402
from cuesheet_app.rights.normalize import norm_artists, norm_code, norm_text  # noqa: E402

PROS = ["ASCAP", "BMI", "PRS", "GEMA", "SACEM"]
WORDS = ["Run", "Dream", "Rise", "Falling", "Night", "City", "Blue", "Storm", "Quiet", "Echo"]


def bulk_load(cat: Catalogue, n: int, rng: random.Random) -> list[tuple[str, str, str, str, str, str]]:
    """n works, each with one recording, two writers and a publisher. Returns (title, isrc, library,
    catno, track, artist) per recording for building cues."""
    db = cat.backend
    parties = [(i + 1, f"Writer{i}", f"Surname{i}", "", rng.choice(PROS), f"{rng.randrange(10**10):011d}",
                norm_text(f"Writer{i} Surname{i}")) for i in range(3000)]
    parties += [(3001 + i, "", "", f"Publisher {i} Music", rng.choice(PROS), "", norm_text(f"Publisher {i} Music"))
                for i in range(400)]
    works, credits, recs, out = [], [], [], []
    for i in range(n):
        title = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i}"
        works.append((i + 1, title, norm_text(title), f"T{i:09d}{i % 10}", "", "bench", "2026-01-01 00:00:00"))
        w1, w2 = rng.sample(range(1, 3001), 2)
        credits += [(i + 1, 0, w1, "C", "50"), (i + 1, 1, w2, "C", "50"), (i + 1, 2, rng.randrange(3001, 3401), "E", "100")]
        lib, catno, track, artist = f"LIB{i // 5000}", f"ALB {i // 20:05d}", str(i % 20 + 1), f"Artist {i % 997}"
        isrc = f"GBZZZ{i:07d}"  # not the prefix of the sheet imported later (that one is all new)
        recs.append((i + 1, i + 1, isrc, title, norm_text(title), json.dumps([artist]), json.dumps(norm_artists([artist])),
                     lib, norm_code(lib), catno, norm_code(catno), track, "bench", "2026-01-01 00:00:00"))
        out.append((title, isrc, lib, catno, track, artist))
    if cat.kind == "postgresql":
        _copy_load(cat, parties, works, credits, recs)
        return out
    with cat.transaction():
        db.executemany("INSERT INTO parties (id, first_name, last_name, company, pro, ipi, name_key) "
                       "VALUES (?,?,?,?,?,?,?)", parties)
        db.executemany("INSERT INTO works (id, title, title_key, iswc, notes, updated_by, updated_at) "
                       "VALUES (?,?,?,?,?,?,?)", works)
        db.executemany("INSERT INTO work_parties (work_id, position, party_id, role, share) VALUES (?,?,?,?,?)",
                       credits)
        db.executemany("INSERT INTO recordings (id, work_id, isrc, title, title_key, artists, artists_key, library, "
                       "library_key, catalogue_number, catno_key, track_number, updated_by, updated_at) "
                       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", recs)
        if cat.kind == "postgresql":
            for table in ("parties", "works", "recordings"):
                db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    if cat.kind == "postgresql":
        db.execute("ANALYZE")
    return out


def _copy_load(cat: Catalogue, parties: list, works: list, credits: list, recs: list) -> None:
    """PostgreSQL: COPY (loading is not what is measured), then ANALYZE as a DBA would."""
    conn = cat.backend.conn
    tables = [("parties", "id, first_name, last_name, company, pro, ipi, name_key", parties),
              ("works", "id, title, title_key, iswc, notes, updated_by, updated_at", works),
              ("work_parties", "work_id, position, party_id, role, share", credits),
              ("recordings", "id, work_id, isrc, title, title_key, artists, artists_key, library, library_key, "
                             "catalogue_number, catno_key, track_number, updated_by, updated_at", recs)]
    conn.execute("BEGIN")
    with conn.cursor() as cur:
        for table, cols, rows in tables:
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        for table in ("parties", "works", "recordings"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    conn.execute("COMMIT")
    conn.execute("ANALYZE")


class Counter:
    """Counts the statements a step sends (each one a round trip to a server): independent of load."""

    def __init__(self, backend: object) -> None:
        self.n = 0
        for name in ("execute", "executemany", "insert", "executemany_returning", "copy_rows", "reserve_ids"):
            real = getattr(backend, name, None)
            if real is None:  # SQLite has no set-based writes
                continue

            def counted(*args, _real=real, **kwargs):  # noqa: ANN002, ANN003, ANN202
                self.n += 1
                return _real(*args, **kwargs)

            setattr(backend, name, counted)

    def take(self) -> int:
        n, self.n = self.n, 0
        return n


def server_ms(cat: Catalogue, text: str) -> float | None:
    """The search statement's own execution time on the server (EXPLAIN ANALYZE), without the
    client, the network or the machine's scheduling."""
    if cat.kind != "postgresql":
        return None
    from cuesheet_app.domain.identifiers import normalize_isrc
    from cuesheet_app.rights.backend import to_pyformat
    from cuesheet_app.rights.catalogue import _like, _search_sql

    words, code, ident = norm_text(text), norm_code(text), normalize_isrc(text)
    sql = _search_sql(bool(words), bool(code), bool(ident))
    params = {"key": f"%{_like(words)}%", "code": f"%{_like(code)}%", "ident": f"%{_like(ident)}%", "limit": 500}
    plan = cat.backend.conn.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + to_pyformat(sql), params).fetchone()[0]
    return round(float(plan[0]["Execution Time"]), 2)


def measure(cat: Catalogue, n: int, rows: list, rng: random.Random, tmp: Path) -> dict[str, object]:
    results: dict[str, object] = {}
    counter = Counter(cat.backend)
    t0 = time.perf_counter()
    for _ in range(500):
        cat.backend.execute("SELECT 1").fetchone()
    results["one round trip, SELECT 1 (ms)"] = round((time.perf_counter() - t0) * 2, 3)
    print(results)
    k = rng.randrange(n)
    counter.take()
    queries = {"title words + number": " ".join(rows[k][0].split()[1:]), "writer surname": "Surname1234",
               "ISRC": rows[rng.randrange(n)][1], "catalogue code": f"ALB {rng.randrange(n // 20):05d}",
               "no match": "zzqx nothing", "common word (500 hits)": "dream", "everything": ""}
    for label, text in queries.items():
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            hits = cat.search(text)
            times.append((time.perf_counter() - t0) * 1000)
        results[f"search {label} (ms, median/worst)"] = [round(statistics.median(times), 1), round(max(times), 1),
                                                         len(hits)]
        results[f"search {label}: statements, server ms"] = [counter.take() // 20, server_ms(cat, text)]
        print(label, results[f"search {label} (ms, median/worst)"], results[f"search {label}: statements, server ms"],
              flush=True)
    cues = []
    for i in range(1000):
        title, isrc, lib, catno, track, artist = rows[rng.randrange(n)]
        if i % 3 == 0:
            cues.append(Cue(title=title, isrc=isrc))
        elif i % 3 == 1:
            cues.append(Cue(title=title, library=lib, catalogue_number=catno, track_number=track))
        else:
            cues.append(Cue(title=title, artists=[artist]))
    counter.take()
    t0 = time.perf_counter()
    report = fill_cues(cat, cues)
    results["auto-fill 1,000 cues (s)"] = round(time.perf_counter() - t0, 3)
    results["auto-fill statements"] = counter.take()
    results["auto-fill matched"] = report.matched
    print(results, flush=True)
    sheet = tmp / "sheet.csv"
    make_sheet(sheet, 5000, random.Random(9))
    counter.take()
    t0 = time.perf_counter()
    rep = import_file(cat, sheet)
    results["import 5,000-row sheet (s)"] = round(time.perf_counter() - t0, 2)
    results["import statements (all rows)"] = counter.take()
    results["import added"] = rep.count("add")
    print(results, flush=True)
    t0 = time.perf_counter()
    rep = import_file(cat, sheet)
    results["re-import, all unchanged (s)"] = round(time.perf_counter() - t0, 2)
    return results


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=100_000)
    ap.add_argument("--backend", choices=("pg", "sqlite", "both"), default="both")
    args = ap.parse_args()
    print(f"{platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; {args.n} works")
    all_results = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.backend in ("sqlite", "both"):
            with Catalogue(tmp / "bench.sqlite") as cat:
                rows = bulk_load(cat, args.n, random.Random(18))
                all_results["sqlite"] = measure(cat, args.n, rows, random.Random(5), tmp)
        if args.backend in ("pg", "both"):
            from tests.pg_server import PgServer

            server = PgServer(durable=True).start()
            try:
                url = server.create_database("bench")
                os.environ.update(server.env())
                with Catalogue(url) as cat:
                    t0 = time.perf_counter()
                    rows = bulk_load(cat, args.n, random.Random(18))
                    print(f"bulk load into PostgreSQL: {time.perf_counter() - t0:.1f} s")
                    all_results["postgresql"] = measure(cat, args.n, rows, random.Random(5), tmp)
            finally:
                from cuesheet_app.rights.pg_backend import close_pools

                close_pools()
                server.remove()
    for backend, results in all_results.items():
        print(f"--- {backend}")
        for key, value in results.items():
            print(f"{key:<44} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
