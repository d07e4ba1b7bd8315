"""Party directory rows: find the directory entry for a credited party, or add one.

Shared by the catalogue and the schema migration (which turns v1's text credits into rows).
"""

from __future__ import annotations

import sqlite3

from cuesheet_app.domain.identifiers import normalize_ipi
from cuesheet_app.domain.model import Party
from cuesheet_app.rights.normalize import norm_party_name


def party_id_for(conn: sqlite3.Connection, party: Party) -> int:
    """Same IPI, else same normalised name (and no conflicting IPI): one directory entry.

    Empty PRO/IPI in the directory are completed from the credit; filled ones are never
    overwritten here (editing the directory is an explicit action).
    """
    ipi = normalize_ipi(party.ipi)
    key = norm_party_name(party.first_name, party.last_name, party.company)
    if not key:
        raise ValueError("a party needs a name or a company")
    row = None
    if ipi:
        row = conn.execute("SELECT id, pro, ipi FROM parties WHERE ipi = ?", (ipi,)).fetchone()
    if row is None:
        row = conn.execute(
            "SELECT id, pro, ipi FROM parties WHERE name_key = ? AND (ipi = '' OR ? = '' OR ipi = ?) "
            "ORDER BY ipi DESC, id LIMIT 1",
            (key, ipi, ipi),
        ).fetchone()
    if row is None:
        cur = conn.execute(
            "INSERT INTO parties (first_name, last_name, company, pro, ipi, name_key) VALUES (?,?,?,?,?,?)",
            (party.first_name.strip(), party.last_name.strip(), party.company.strip(),
             party.pro.strip().upper(), ipi, key),
        )
        return int(cur.lastrowid or 0)
    pid, pro, old_ipi = row
    if (not pro and party.pro) or (not old_ipi and ipi):
        conn.execute("UPDATE parties SET pro = ?, ipi = ? WHERE id = ?",
                     (pro or party.pro.strip().upper(), old_ipi or ipi, pid))
    return int(pid)
