"""Facts in the catalog's SQLite file, written in the same transaction as the report's chunks so the
facts never drift from the index."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from ingest.catalog import Catalog
from ingest.facts import report_facts, table_id
from ingest.model import Fact, Report

SCHEMA = """
CREATE TABLE IF NOT EXISTS tables_ (
    table_id TEXT PRIMARY KEY, doc_id TEXT, ord INTEGER, title TEXT, code TEXT, unit TEXT, page INTEGER,
    aligned INTEGER, header TEXT, rows_ TEXT
);
CREATE TABLE IF NOT EXISTS facts (
    doc_id TEXT, table_id TEXT, table_title TEXT, row_label TEXT, code TEXT, column_ TEXT, value TEXT,
    unit TEXT, value_yuan REAL, page INTEGER, source TEXT, flagged INTEGER
);
CREATE INDEX IF NOT EXISTS facts_doc ON facts(doc_id);
CREATE INDEX IF NOT EXISTS facts_yuan ON facts(value_yuan);
CREATE INDEX IF NOT EXISTS facts_value ON facts(value);
"""

FACT_COLS = "doc_id, table_id, table_title, row_label, code, column_, value, unit, value_yuan, page, source, flagged"


def _write(db: sqlite3.Connection, report: Report | None, doc_id: str = "") -> None:
    import json

    doc = report.doc_id if report else doc_id
    db.execute("DELETE FROM facts WHERE doc_id=?", (doc,))
    db.execute("DELETE FROM tables_ WHERE doc_id=?", (doc,))
    if report is None:
        return
    for i, b in enumerate(report.tables):
        t = b.table
        if t is None:
            continue
        db.execute(
            "INSERT OR REPLACE INTO tables_ VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                table_id(doc, i, t),
                doc,
                i,
                t.title,
                t.code,
                t.unit,
                b.page,
                int(t.aligned),
                json.dumps(t.header, ensure_ascii=False),
                json.dumps(t.rows, ensure_ascii=False),
            ),
        )
    db.executemany(
        f"INSERT INTO facts({FACT_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            (
                f.doc_id,
                f.table_id,
                f.table_title,
                f.row_label,
                f.code,
                f.column,
                str(f.value),
                f.unit,
                float(f.value_yuan) if f.value_yuan is not None else None,
                f.page,
                f.source,
                int(f.flagged),
            )
            for f in report_facts(report)
        ],
    )


def attach(catalog: Catalog) -> None:
    catalog.db.executescript(SCHEMA)
    catalog.add_extension(_write)


def _row(r: tuple) -> Fact:
    return Fact(
        doc_id=r[0],
        table_id=r[1],
        table_title=r[2],
        row_label=r[3],
        code=r[4],
        column=r[5],
        value=Decimal(r[6]),
        unit=r[7],
        value_yuan=Decimal(str(r[8])) if r[8] is not None else None,
        page=r[9],
        source=r[10],
        flagged=bool(r[11]),
    )


class FactStore:
    def __init__(self, catalog: Catalog) -> None:
        attach(catalog)
        self.db = catalog.db

    def facts(self, doc_ids: list[str] | tuple[str, ...] = ()) -> list[Fact]:
        if doc_ids:
            q = f"SELECT {FACT_COLS} FROM facts WHERE doc_id IN ({','.join('?' * len(doc_ids))})"
            return [_row(r) for r in self.db.execute(q, list(doc_ids))]
        return [_row(r) for r in self.db.execute(f"SELECT {FACT_COLS} FROM facts")]

    def near_yuan(self, yuan: float, tol: float, doc_ids: tuple[str, ...] = ()) -> list[Fact]:
        q = f"SELECT {FACT_COLS} FROM facts WHERE value_yuan BETWEEN ? AND ?"
        args: list = [yuan - tol, yuan + tol]
        if doc_ids:
            q += f" AND doc_id IN ({','.join('?' * len(doc_ids))})"
            args += list(doc_ids)
        return [_row(r) for r in self.db.execute(q, args)]

    def tables(self, doc_id: str) -> list[dict]:
        import json

        rows = self.db.execute(
            "SELECT table_id, ord, title, code, unit, page, aligned, header, rows_ FROM tables_ WHERE doc_id=? ORDER BY ord",
            (doc_id,),
        ).fetchall()
        return [
            {
                "table_id": r[0],
                "ord": r[1],
                "title": r[2],
                "code": r[3],
                "unit": r[4],
                "page": r[5],
                "aligned": bool(r[6]),
                "header": json.loads(r[7]),
                "rows": json.loads(r[8]),
            }
            for r in rows
        ]
