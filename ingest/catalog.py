"""The catalog: SQLite under $BUDGETQA_HOME with reports and their chunks.

The catalog is the source of truth for what is queryable: a chunk in the vector store that the
catalog does not list is ignored. A changed report is swapped in one SQLite transaction, so a crash
mid-ingest leaves the old version queryable.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

from ingest.errors import BadInputError, BudgetQAError
from ingest.identity_store import with_identity
from ingest.lock import open_failure
from ingest.model import Chunk, Report

SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    doc_id TEXT PRIMARY KEY, title TEXT, year INTEGER, kind TEXT, department TEXT, path TEXT,
    sha256 TEXT, encoding TEXT, pages INTEGER, n_chunks INTEGER, n_tables INTEGER, ingested_at REAL,
    text TEXT, sections TEXT
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, ord INTEGER, title TEXT, section TEXT, page INTEGER,
    kind TEXT, text TEXT, start INTEGER, "end" INTEGER, year INTEGER, report_kind TEXT,
    table_title TEXT, unit TEXT, tokens TEXT
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS identity_overrides (doc_id TEXT PRIMARY KEY, fields TEXT, updated_at REAL);
"""

CHUNK_COLS = 'chunk_id, doc_id, title, section, page, kind, text, start, "end", year, report_kind, table_title, unit'
OVERRIDES_FILE = "identity_overrides.json"  # the user's corrections of report identities (`budgetqa docs --set`)
# columns added after the first release: (table, column, type); an older home gets them when opened for writing
ADDED_COLUMNS = (
    ("chunks", "locator", "TEXT DEFAULT ''"),
    ("reports", "source_format", "TEXT DEFAULT ''"),
    ("reports", "identity", "TEXT DEFAULT ''"),  # ingest/identity.py's Identity as JSON
)


def _row_to_chunk(row: tuple) -> Chunk:
    return Chunk(*row)


def doc_filter(doc_ids: tuple[str, ...] | list[str]) -> tuple[str, list[str]]:
    """An SQL condition " AND doc_id IN (…)" keeping these reports, and its arguments (none: every report)."""
    if not doc_ids:
        return "", []
    return f" AND doc_id IN ({','.join('?' * len(doc_ids))})", list(doc_ids)


def damaged(path: Path, why: str) -> BudgetQAError:
    return BudgetQAError(
        f"索引目录数据库 {path} 已损坏（{why}）；请运行 budgetqa ingest --rebuild 报告文件或文件夹 重新读入报告"
    )


class Catalog:
    """write=False opens an existing catalog only (commands that read never create a home); a home that
    can't be written is opened read-only and immutable, so reading needs no lock file."""

    def __init__(self, path: Path, write: bool = True) -> None:
        home = path.parent
        if home.exists() and not home.is_dir():
            raise BadInputError(f"BUDGETQA_HOME={home} 是一个文件而不是文件夹；请把 BUDGETQA_HOME 设为一个文件夹")
        if not write and not path.exists():
            raise BadInputError(f"{home} 中还没有索引；请先运行 budgetqa ingest 报告文件或文件夹 读入报告")
        # empty: its data is lost (a reader says so), or another ingest is creating it (a writer goes on:
        # SQLite makes an empty file a database, and the writer lock orders the two ingests)
        if not write and path.exists() and path.stat().st_size == 0:
            raise damaged(path, "文件是空的")
        if write:
            try:
                home.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise BadInputError(
                    f"无法创建 BUDGETQA_HOME={home}（{exc.strerror}）；请换一个有写权限的文件夹"
                ) from None
        self.path = path
        self.writable = os.access(home, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))
        if write and not self.writable:
            raise BadInputError(f"BUDGETQA_HOME={home} 只读；请读入到一个有写权限的文件夹")
        try:
            if self.writable:
                self.db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
                self.db.executescript(SCHEMA)
                self._add_columns()
                self.db.execute("PRAGMA journal_mode=WAL")
            else:
                uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
                self.db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self.db.execute("SELECT count(*) FROM reports").fetchone()
        except sqlite3.DatabaseError as exc:  # damaged only when the integrity check says so (ingest.lock)
            raise open_failure(exc, path) from None
        self._extensions: list = []  # callables(db, report) run inside the swap transaction
        self._fixed: tuple[int, dict[str, dict]] = (-1, {})  # corrected reports, by index generation
        # a read-only home written before the locator column: its chunks have none
        self.chunk_cols = CHUNK_COLS + (", locator" if self._has_column("chunks", "locator") else ", '' AS locator")

    def _has_column(self, table: str, column: str) -> bool:
        return any(r[1] == column for r in self.db.execute(f"PRAGMA table_info({table})"))

    def _add_columns(self) -> None:
        for table, column, kind in ADDED_COLUMNS:
            if not self._has_column(table, column):
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self.db.commit()

    def close(self) -> None:
        self.db.close()

    # --- reports -------------------------------------------------------------------------
    def report_sha(self, doc_id: str) -> str | None:
        row = self.db.execute("SELECT sha256 FROM reports WHERE doc_id=?", (doc_id,)).fetchone()
        return row[0] if row else None

    def doc_with_sha(self, sha: str) -> str | None:
        row = self.db.execute("SELECT doc_id FROM reports WHERE sha256=? ORDER BY doc_id LIMIT 1", (sha,)).fetchone()
        return row[0] if row else None

    def doc_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT doc_id FROM reports ORDER BY doc_id")]

    def reports(self) -> list[dict]:
        cols = "doc_id, title, year, kind, department, path, sha256, encoding, pages, n_chunks, n_tables, ingested_at"
        rows = self.db.execute(f"SELECT {cols} FROM reports ORDER BY doc_id").fetchall()
        names = [c.strip() for c in cols.split(",")]
        found = [dict(zip(names, r, strict=True)) for r in rows]
        if self._has_column("reports", "source_format"):  # the reader that read each report (pdf, xlsx, …)
            formats = dict(self.db.execute("SELECT doc_id, source_format FROM reports").fetchall())
            for r in found:
                r["source_format"] = formats.get(r["doc_id"]) or ""
        stored = {}
        if self._has_column("reports", "identity"):  # a read-only home written before identities: none
            stored = dict(self.db.execute("SELECT doc_id, identity FROM reports").fetchall())
        fixes = self.overrides()
        return [with_identity(r, stored.get(r["doc_id"]), fixes.get(r["doc_id"])) for r in found]

    def overrides(self) -> dict[str, dict[str, str]]:
        """The user's corrections of reports' identities (`budgetqa docs --set`), by doc_id."""
        kept = self.path.with_name(OVERRIDES_FILE)  # a copy outside the database: survives `ingest --rebuild`
        found = json.loads(kept.read_text(encoding="utf-8")) if kept.exists() else {}
        if self.has_table("identity_overrides"):
            rows = self.db.execute("SELECT doc_id, fields FROM identity_overrides").fetchall()
            found.update({d: json.loads(f) for d, f in rows})
        return found

    def set_override(self, doc_id: str, fields: dict[str, str]) -> dict[str, str]:
        """Lay corrections over a report's identity (kept across re-ingest: keyed by doc_id, not by the
        report's row); returns every correction now held for it."""
        merged = {**self.overrides().get(doc_id, {}), **fields}
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO identity_overrides(doc_id, fields, updated_at) VALUES (?,?,?)",
                (doc_id, json.dumps(merged, ensure_ascii=False), time.time()),
            )
            self._bump()
        every = self.overrides()
        kept = json.dumps(every, ensure_ascii=False, indent=1)
        self.path.with_name(OVERRIDES_FILE).write_text(kept, encoding="utf-8")
        return merged

    def report_text(self, doc_id: str) -> str:
        row = self.db.execute("SELECT text FROM reports WHERE doc_id=?", (doc_id,)).fetchone()
        return row[0] if row else ""

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, value),
            )

    def generation(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def _bump(self) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def add_extension(self, fn) -> None:  # noqa: ANN001
        """Extra tables (facts) written in the same transaction as the chunks."""
        self._extensions.append(fn)

    def extend(self, schema: str, write) -> None:  # noqa: ANN001
        """Tables derived from each report (created when the home is writable), written by write(db,
        report | None, doc_id) in the same transaction as the report's chunks."""
        if self.writable:
            self.db.executescript(schema)
        self.add_extension(write)

    def has_table(self, name: str) -> bool:
        """False for a read-only catalog written before the table existed."""
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE name=?", (name,)).fetchone() is not None

    def swap_report(self, report: Report, chunks: list[Chunk], tokens: Iterable[list[list[str]]]) -> None:
        """Replace a report and all its chunks in one transaction; tokens (each chunk's BM25 token lists) may
        be a generator, consumed as the rows are written."""
        with self.db:
            self.db.execute("DELETE FROM chunks WHERE doc_id=?", (report.doc_id,))
            self.db.executemany(
                f"INSERT INTO chunks({CHUNK_COLS}, locator, ord, tokens) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (  # a generator: token lists are made and written one chunk at a time
                    (
                        c.chunk_id,
                        c.doc_id,
                        c.title,
                        c.section,
                        c.page,
                        c.kind,
                        c.text,
                        c.start,
                        c.end,
                        c.year,
                        c.report_kind,
                        c.table_title,
                        c.unit,
                        c.locator,
                        i,
                        json.dumps(tok, ensure_ascii=False),
                    )
                    for i, (c, tok) in enumerate(zip(chunks, tokens, strict=True))
                ),
            )
            sections = json.dumps(
                [[s.title, s.level, list(s.path), s.page] for s in report.sections], ensure_ascii=False
            )
            self.db.execute(
                "INSERT OR REPLACE INTO reports(doc_id, title, year, kind, department, path, sha256, encoding, pages, "
                "n_chunks, n_tables, ingested_at, text, sections) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    report.doc_id,
                    report.title,
                    report.year,
                    report.kind,
                    report.department,
                    report.path,
                    report.sha256,
                    report.encoding,
                    report.pages,
                    len(chunks),
                    len(report.tables),
                    time.time(),
                    report.text,
                    sections,
                ),
            )
            self.db.execute("UPDATE reports SET source_format=? WHERE doc_id=?", (report.source_format, report.doc_id))
            ident = json.dumps(report.identity.to_dict(), ensure_ascii=False) if report.identity else ""
            self.db.execute("UPDATE reports SET identity=? WHERE doc_id=?", (ident, report.doc_id))
            for ext in self._extensions:
                ext(self.db, report)
            self._bump()

    def drop_report(self, doc_id: str) -> list[str]:
        ids = [r[0] for r in self.db.execute("SELECT chunk_id FROM chunks WHERE doc_id=?", (doc_id,))]
        with self.db:
            self.db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
            self.db.execute("DELETE FROM reports WHERE doc_id=?", (doc_id,))
            for ext in self._extensions:
                ext(self.db, None, doc_id)
            self._bump()
        return ids

    # --- chunks --------------------------------------------------------------------------
    def chunk_ids(self, doc_id: str) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT chunk_id FROM chunks WHERE doc_id=?", (doc_id,))}

    def chunk_rows(self) -> list[tuple[str, str, int | None, str]]:
        """(chunk_id, doc_id, year, report_kind) of every chunk, in a stable order."""
        return self.db.execute("SELECT chunk_id, doc_id, year, report_kind FROM chunks ORDER BY doc_id, ord").fetchall()

    def all_chunk_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT chunk_id FROM chunks")}

    def chunks(self, ids: list[str]) -> dict[str, Chunk]:
        out: dict[str, Chunk] = {}
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            q = f"SELECT {self.chunk_cols} FROM chunks WHERE chunk_id IN ({','.join('?' * len(part))})"
            for row in self.db.execute(q, part):
                out[row[0]] = self._as_corrected(_row_to_chunk(row))
        return out

    def doc_chunks(self, doc_id: str) -> list[Chunk]:
        q = f"SELECT {self.chunk_cols} FROM chunks WHERE doc_id=? ORDER BY ord"
        return [self._as_corrected(_row_to_chunk(r)) for r in self.db.execute(q, (doc_id,))]

    def corrected_reports(self) -> dict[str, dict]:
        """Rows of the reports the user corrected (`budgetqa docs --set`), read once per index generation."""
        gen = self.generation()
        if self._fixed[0] != gen:
            fixes = self.overrides()
            self._fixed = (gen, {r["doc_id"]: r for r in self.reports() if r["doc_id"] in fixes} if fixes else {})
        return self._fixed[1]

    def _as_corrected(self, chunk: Chunk) -> Chunk:
        """A chunk of a corrected report says the corrected title, year and kind (its citations do too)."""
        r = self.corrected_reports().get(chunk.doc_id)
        return chunk if r is None else replace(chunk, title=r["title"], year=r["year"], report_kind=r["kind"])

    def tokens_of(self, chunk_ids: list[str]) -> dict[str, list[list[str]]]:
        """BM25 token lists of these chunks (one per chunk, and one per row of a table chunk)."""
        out: dict[str, list[list[str]]] = {}
        for i in range(0, len(chunk_ids), 500):
            part = chunk_ids[i : i + 500]
            q = f"SELECT chunk_id, tokens FROM chunks WHERE chunk_id IN ({','.join('?' * len(part))})"
            out.update((cid, json.loads(tok)) for cid, tok in self.db.execute(q, part))
        return out
