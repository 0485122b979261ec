"""Where quotes and figures stand in the reports' running text, kept in the catalog: each report's text
normalised for quote search, and every figure it prints with its place. Written at ingest in the same
transaction as the chunks, so `locate` over a thousand reports needs neither every text in memory nor
a pass over all of them when a process starts.

Quotes match after NFKC with whitespace and punctuation removed; figures match by value, so "42400"
finds "42,400.00" and "42,400万元".
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from decimal import Decimal

import numpy as np

from ingest.catalog import Catalog, doc_filter
from ingest.facts import parse_decimal
from ingest.model import Report
from ingest.statements import NUMBER

SCHEMA = """
CREATE TABLE IF NOT EXISTS text_figures (doc_id TEXT, key TEXT, start INTEGER, end_ INTEGER);
CREATE INDEX IF NOT EXISTS text_figures_key ON text_figures(key);
CREATE INDEX IF NOT EXISTS text_figures_doc ON text_figures(doc_id);
CREATE TABLE IF NOT EXISTS norm_texts (doc_id TEXT PRIMARY KEY, norm TEXT);
"""
_BARE = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\d.,])\d+\.\d+")  # as printed in table rows


def _keep(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return not (ch.isspace() or cat.startswith("P") or cat.startswith("S") and ch not in "%")


class _Kept(dict):
    """Code point → what it becomes in the normalised text (NFKC, lower case, no spaces or
    punctuation), filled in as characters are met, so that normalising is one str.translate."""

    def __missing__(self, cp: int) -> str:
        kept = "".join(c.lower() for c in unicodedata.normalize("NFKC", chr(cp)) if _keep(c))
        self[cp] = kept
        return kept


_KEPT = _Kept()


def normalized(text: str) -> str:
    """The text as quotes are matched: NFKC, lower case, no spaces or punctuation."""
    return text.translate(_KEPT)


def normalize_with_map(text: str) -> tuple[str, np.ndarray]:
    """The normalised text and, for each of its characters, the offset in the original text."""
    norm = text.translate(_KEPT)
    sizes = np.fromiter((len(_KEPT[ord(c)]) for c in text), dtype=np.int32, count=len(text))
    return norm, np.repeat(np.arange(len(text), dtype=np.int32), sizes)


def figure_key(value: Decimal) -> str:
    """A figure's value in one form whatever its printing: 42,400.00 and 42400 give "42400"."""
    return format(value.normalize(), "f")


def text_figures(text: str) -> Iterator[tuple[str, int, int]]:
    """(key, start, end) of every figure in the text: with a unit ("42,400万元") and bare ("2,946.25")."""
    for m in NUMBER.finditer(text):
        v = parse_decimal(m.group(1))
        if v is not None:
            yield figure_key(v), m.start(), m.end()
    for m in _BARE.finditer(text):
        v = parse_decimal(m.group(0))
        if v is not None:
            yield figure_key(v), m.start(), m.end()


def _write(db: sqlite3.Connection, report: Report | None, doc_id: str = "") -> None:
    doc = report.doc_id if report else doc_id
    db.execute("DELETE FROM text_figures WHERE doc_id=?", (doc,))
    db.execute("DELETE FROM norm_texts WHERE doc_id=?", (doc,))
    if report is None:
        return
    db.executemany("INSERT INTO text_figures VALUES (?,?,?,?)", ((doc, *f) for f in text_figures(report.text)))
    db.execute("INSERT INTO norm_texts VALUES (?,?)", (doc, normalized(report.text)))


class TextIndex:
    def __init__(self, catalog: Catalog) -> None:
        catalog.extend(SCHEMA, _write)
        self.db = catalog.db
        self._present = catalog.has_table("norm_texts")

    def normalized(self) -> dict[str, str]:
        """Each indexed report's normalised text. A report stored before this index existed is absent
        (the caller normalises its text itself)."""
        if not self._present:
            return {}
        return dict(self.db.execute("SELECT doc_id, norm FROM norm_texts"))

    def figures(self, key: str, doc_ids: tuple[str, ...] = (), limit: int = 1000) -> list[tuple[str, int, int]]:
        """(doc_id, start, end) of the figure with this key in the indexed reports' text (these reports,
        or all), at most limit of them."""
        if not self._present:
            return []
        where, args = doc_filter(doc_ids)
        q = f"SELECT doc_id, start, end_ FROM text_figures WHERE key=?{where} LIMIT ?"
        return self.db.execute(q, [key, *args, limit]).fetchall()
