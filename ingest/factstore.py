"""Facts in the catalog's SQLite file, written in the same transaction as the report's chunks so the
facts never drift from the index."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from decimal import Decimal
from functools import lru_cache

from ingest.catalog import Catalog, doc_filter
from ingest.facts import table_facts, table_id
from ingest.keys import LEVEL_MARK, FigureKey, norm
from ingest.model import Fact, OcrDoubt, Report, TableData, content_hash


def _facts_version() -> str:
    """Facts are derived from the stored tables: when the code that reads tables into keyed facts
    changes, facts are re-derived from the tables in place (no re-parse, no re-embedding)."""
    from pathlib import Path

    from ingest import facts, keys

    here = Path(__file__).read_text(encoding="utf-8")  # how facts are written and indexed, too
    return content_hash(here, *(Path(m.__file__).read_text(encoding="utf-8") for m in (facts, keys)))


FACTS_VERSION = _facts_version()

SCHEMA = """
CREATE TABLE IF NOT EXISTS tables_ (
    table_id TEXT PRIMARY KEY, doc_id TEXT, ord INTEGER, title TEXT, code TEXT, unit TEXT, page INTEGER,
    aligned INTEGER, header TEXT, rows_ TEXT, scores TEXT
);
CREATE TABLE IF NOT EXISTS facts (
    doc_id TEXT, table_id TEXT, table_title TEXT, row_label TEXT, code TEXT, column_ TEXT, value TEXT,
    unit TEXT, value_yuan REAL, page INTEGER, source TEXT, flagged INTEGER, key_ TEXT, item_ TEXT, doubt TEXT
);
CREATE TABLE IF NOT EXISTS doubts (doc_id TEXT, page INTEGER, text TEXT, score REAL);
CREATE INDEX IF NOT EXISTS doubts_doc ON doubts(doc_id);
CREATE INDEX IF NOT EXISTS facts_item ON facts(item_, doc_id);
CREATE INDEX IF NOT EXISTS facts_code ON facts(code, doc_id);
CREATE INDEX IF NOT EXISTS facts_doc ON facts(doc_id);
CREATE INDEX IF NOT EXISTS facts_yuan ON facts(value_yuan);
CREATE INDEX IF NOT EXISTS facts_value ON facts(value);
"""

FACT_COLS = (
    "doc_id, table_id, table_title, row_label, code, column_, value, unit, value_yuan, page, source, flagged, key_,"
    " doubt"
)


def item_of(key: FigureKey | None) -> str:
    """What a fact is looked up by: its key's item in label normal form, or for a whole (item "")
    "#part#scope" ("#基本支出#一般公共预算"), so that a whole is found without reading every whole."""
    if key is None:
        return ""
    if not key.item:
        return f"#{key.part}#{key.scope}"
    return LEVEL_MARK.sub("", norm(key.item))


def _key_json(key: FigureKey | None) -> str | None:
    return json.dumps(asdict(key), ensure_ascii=False) if key is not None else None


@lru_cache(maxsize=65536)  # a few thousand distinct keys recur across every report's cells
def _key_from(raw: str | None) -> FigureKey | None:
    if not raw:
        return None
    d = json.loads(raw)
    d["path"] = tuple(d.get("path") or ())
    return FigureKey(**d)


def _write(db: sqlite3.Connection, report: Report | None, doc_id: str = "") -> None:
    doc = report.doc_id if report else doc_id
    db.execute("DELETE FROM facts WHERE doc_id=?", (doc,))
    db.execute("DELETE FROM tables_ WHERE doc_id=?", (doc,))
    db.execute("DELETE FROM doubts WHERE doc_id=?", (doc,))
    if report is None:
        return
    db.executemany("INSERT INTO doubts VALUES (?,?,?,?)", [(doc, d.page, d.text, d.score) for d in report.doubts])
    for i, b in enumerate(report.tables):
        t = b.table
        if t is None:
            continue
        db.execute(
            "INSERT OR REPLACE INTO tables_ VALUES (?,?,?,?,?,?,?,?,?,?,?)",
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
                json.dumps(t.scores) if t.scores else None,
            ),
        )
        # a table's facts at a time: a long text's facts all at once would take hundreds of MB
        _insert(db, table_facts(doc, table_id(doc, i, t), t, b.page, report.kind, report.year))


def _insert(db: sqlite3.Connection, facts: list[Fact]) -> None:
    db.executemany(
        f"INSERT INTO facts({FACT_COLS}, item_) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
                _key_json(f.key),
                f.doubt,
                item_of(f.key),
            )
            for f in facts
        ],
    )


def attach(catalog: Catalog) -> None:
    if not catalog.writable:  # read-only home: the facts as stored
        catalog.add_extension(_write)
        return
    cols = {r[1] for r in catalog.db.execute("PRAGMA table_info(facts)")}
    if cols and "key_" not in cols:  # facts written before figures had keys: read again at the next ingest
        catalog.db.execute("DROP TABLE facts")
    elif cols and ("item_" not in cols or "doubt" not in cols):  # older facts: derive them again
        catalog.db.execute("DROP TABLE facts")
        catalog.db.execute("DELETE FROM meta WHERE key='facts_version'")
    table_cols = {r[1] for r in catalog.db.execute("PRAGMA table_info(tables_)")}
    if table_cols and "scores" not in table_cols:  # tables stored before OCR: all read from text
        catalog.db.execute("ALTER TABLE tables_ ADD COLUMN scores TEXT")
    catalog.db.executescript(SCHEMA)
    catalog.add_extension(_write)
    if catalog.meta("facts_version") != FACTS_VERSION:
        _rederive(catalog)


def _rederive(catalog: Catalog) -> None:
    """Keyed facts again from every stored table, in one transaction."""
    db = catalog.db
    reports = {r["doc_id"]: r for r in catalog.reports()}
    rows = db.execute(
        "SELECT table_id, doc_id, title, code, unit, page, aligned, header, rows_, scores FROM tables_"
    ).fetchall()
    try:
        with db:
            db.execute("DELETE FROM facts")
            for tid, doc, title, code, unit, page, aligned, header, body, scores in rows:
                meta = reports.get(doc, {})
                t = TableData(
                    title=title,
                    unit=unit,
                    header=tuple(tuple(h) for h in json.loads(header)),
                    rows=tuple(tuple(r) for r in json.loads(body)),
                    code=code,
                    aligned=bool(aligned),
                    scores=tuple(tuple(r) for r in json.loads(scores)) if scores else (),
                )
                _insert(db, table_facts(doc, tid, t, page, meta.get("kind") or "other", meta.get("year")))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('facts_version', ?)", (FACTS_VERSION,))
    except sqlite3.OperationalError:  # a read-only home: facts stay as they were written
        pass


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
        key=_key_from(r[12]),
        doubt=r[13] or "",
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

    def doubts(self, doc_id: str) -> list[OcrDoubt]:
        """Figures of the report's OCR'd running text read with low confidence."""
        try:
            rows = self.db.execute("SELECT page, text, score FROM doubts WHERE doc_id=?", (doc_id,)).fetchall()
        except sqlite3.OperationalError:  # a read-only catalog written before OCR
            return []
        return [OcrDoubt(p, t, s) for p, t, s in rows]

    def for_item(
        self, item: str, code: str = "", doc_ids: tuple[str, ...] = (), part: str = "", scope: str = ""
    ) -> list[Fact]:
        """Facts of one item, of one 功能分类 code, or (item "") the wholes of a part and scope, by index.
        The reports are filtered here, not in SQL: an IN list of a thousand ids makes SQLite scan by doc."""
        if code:
            queries = [("code=?", code)]
        elif item:
            queries = [("item_=?", LEVEL_MARK.sub("", norm(item)))]
        else:  # a whole: of the part and scope asked, or of every scope when none is said
            queries = [("item_=?", f"#{part}#"), ("item_ GLOB ?", f"#{part}#{scope}" if scope else f"#{part}#?*")]
        wanted = set(doc_ids)
        out: list[Fact] = []
        for where, arg in queries:
            for r in self.db.execute(f"SELECT {FACT_COLS} FROM facts WHERE {where}", (arg,)):
                if not wanted or r[0] in wanted:
                    out.append(_row(r))
        return out

    def items(self) -> frozenset[str]:
        """Every item name the tables hold (what a phrase may name)."""
        rows = self.db.execute("SELECT DISTINCT item_ FROM facts")
        return frozenset(r[0] for r in rows if r[0] and not r[0].startswith("#"))

    def with_value(self, value: Decimal, doc_ids: tuple[str, ...] = (), limit: int = 1000) -> list[Fact]:
        """Cells printing this value, however many decimals they print it with (42400 → "42400.00"), at
        most limit of them (a small count like 1 stands in tens of thousands of cells)."""
        exp = value.normalize().as_tuple().exponent
        places = max(0, -exp) if isinstance(exp, int) else 0
        forms = [str(value.quantize(Decimal(1).scaleb(-p))) for p in range(places, places + 5)]
        where, args = doc_filter(doc_ids)
        q = f"SELECT {FACT_COLS} FROM facts WHERE value IN ({','.join('?' * len(forms))}){where} LIMIT ?"
        return [_row(r) for r in self.db.execute(q, [*forms, *args, limit])]

    def near_yuan(self, yuan: float, tol: float, doc_ids: tuple[str, ...] = (), limit: int = -1) -> list[Fact]:
        where, args = doc_filter(doc_ids)
        q = f"SELECT {FACT_COLS} FROM facts WHERE value_yuan BETWEEN ? AND ?{where} LIMIT ?"
        return [_row(r) for r in self.db.execute(q, [yuan - tol, yuan + tol, *args, limit])]

    def tables(self, doc_id: str) -> list[dict]:
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
