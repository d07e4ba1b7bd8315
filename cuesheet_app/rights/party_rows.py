"""Party directory rows: find the directory entry for a credited party, or add one.

Shared by the catalogue and the schema migration (which turns v1's text credits into rows).
"""

from __future__ import annotations

from typing import Any

from cuesheet_app.domain.identifiers import normalize_ipi
from cuesheet_app.domain.model import Party
from cuesheet_app.rights.normalize import norm_party_name


def party_id_for(conn: Any, party: Party) -> int:
    """``conn`` is a catalogue backend (rights.backend.Backend).

    Same IPI, else same normalised name with no conflicting IPI or PRO: one directory entry.

    An IPI identifies a person or company, so a credit with a known IPI and a different PRO
    updates the entry (the society was wrong or has changed: the newer word wins, otherwise a
    correction would be lost). Two credits with one name but different societies are two
    people (common names are common). Empty PRO/IPI in the directory are completed.
    """
    ipi = normalize_ipi(party.ipi)
    pro = party.pro.strip().upper()
    key = norm_party_name(party.first_name, party.last_name, party.company)
    if not key:
        raise ValueError("a party needs a name or a company")
    row = None
    if ipi:
        row = conn.execute("SELECT id, pro, ipi FROM parties WHERE ipi = ?", (ipi,)).fetchone()
    if row is None:
        row = conn.execute(
            "SELECT id, pro, ipi FROM parties WHERE name_key = ? AND (ipi = '' OR ? = '' OR ipi = ?) "
            "AND (pro = '' OR ? = '' OR pro = ?) ORDER BY ipi DESC, pro DESC, id LIMIT 1",
            (key, ipi, ipi, pro, pro),
        ).fetchone()
    if row is None:
        return conn.insert(
            "INSERT INTO parties (first_name, last_name, company, pro, ipi, name_key) VALUES (?,?,?,?,?,?)",
            (party.first_name.strip(), party.last_name.strip(), party.company.strip(), pro, ipi, key),
        )
    pid, old_pro, old_ipi = row
    new_pro = pro or old_pro
    new_ipi = old_ipi or ipi
    if (new_pro, new_ipi) != (old_pro, old_ipi):
        conn.execute("UPDATE parties SET pro = ?, ipi = ? WHERE id = ?", (new_pro, new_ipi, pid))
    return int(pid)
