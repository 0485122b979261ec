"""Where lines and table cells stand on PDF pages, kept in the catalog beside the facts so that a
citation can be boxed on the rendered page. Written in the same transaction as the report's chunks."""

from __future__ import annotations

import sqlite3

from ingest.catalog import Catalog
from ingest.model import PageBox, Report

SCHEMA = """
CREATE TABLE IF NOT EXISTS boxes (
    doc_id TEXT, page INTEGER, kind TEXT, grp TEXT, text TEXT, x0 REAL, top REAL, x1 REAL, bottom REAL
);
CREATE INDEX IF NOT EXISTS boxes_page ON boxes(doc_id, page);
CREATE TABLE IF NOT EXISTS scanned_pages (doc_id TEXT, page INTEGER);
"""


def _write(db: sqlite3.Connection, report: Report | None, doc_id: str = "") -> None:
    doc = report.doc_id if report else doc_id
    db.execute("DELETE FROM boxes WHERE doc_id=?", (doc,))
    db.execute("DELETE FROM scanned_pages WHERE doc_id=?", (doc,))
    if report is None:
        return
    db.executemany("INSERT INTO scanned_pages VALUES (?,?)", [(doc, p) for p in report.ocr_pages])
    db.executemany(
        "INSERT INTO boxes VALUES (?,?,?,?,?,?,?,?,?)",
        [(doc, b.page, b.kind, b.group, b.text, b.x0, b.top, b.x1, b.bottom) for b in report.boxes],
    )


class BoxStore:
    def __init__(self, catalog: Catalog) -> None:
        catalog.extend(SCHEMA, _write)
        self.db = catalog.db
        # a read-only catalog written before boxes were kept has no table (read once, not per page)
        self._present = catalog.has_table("boxes")
        self._scans = catalog.has_table("scanned_pages")

    def scanned_pages(self, doc_ids: tuple[str, ...] | list[str]) -> set[tuple[str, int]]:
        """(doc_id, page) of the pages that were read by OCR from a scan."""
        if not self._scans or not doc_ids:
            return set()
        q = f"SELECT doc_id, page FROM scanned_pages WHERE doc_id IN ({','.join('?' * len(doc_ids))})"
        return {(d, p) for d, p in self.db.execute(q, list(doc_ids))}

    def on_page(self, doc_id: str, page: int) -> list[PageBox]:
        """The page's lines and cells, lines first, each in reading order."""
        if not self._present:
            return []
        rows = self.db.execute(
            "SELECT page, kind, text, x0, top, x1, bottom, grp FROM boxes WHERE doc_id=? AND page=? "
            "ORDER BY kind DESC, rowid",
            (doc_id, page),
        ).fetchall()
        return [PageBox(p, k, t, x0, top, x1, bottom, g) for p, k, t, x0, top, x1, bottom, g in rows]

    def has_boxes(self, doc_id: str) -> bool:
        if not self._present:
            return False
        return self.db.execute("SELECT 1 FROM boxes WHERE doc_id=? LIMIT 1", (doc_id,)).fetchone() is not None
