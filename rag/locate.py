"""Citation lookup: where does a quote or a figure stand?

Quotes match after NFKC with whitespace and punctuation removed. Figures match by value across
formats and units ("42400" finds "42,400.00" in a 万元 table and "42,400万元" in text). What a lookup
needs is kept in the catalog (ingest/textindex.py, the facts): in memory stay only the reports'
normalised texts, read once per catalog generation, and the few reports a lookup hits.
"""

from __future__ import annotations

import bisect
import re
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from ingest.errors import BadInputError
from ingest.facts import parse_decimal
from ingest.pipeline import Store
from ingest.textindex import figure_key, normalize_with_map, normalized, text_figures

FIGURE = re.compile(r"^\s*([\d,]+(?:\.\d+)?)\s*(亿元|万元|元|%)?\s*$")
CONTEXT = 40
HIT_REPORTS_KEPT = 64  # reports a lookup hit whose text, offsets and chunk places stay in memory


@dataclass(frozen=True)
class Hit:
    doc_id: str
    title: str
    page: int | None
    section: str
    kind: str  # text | table
    context: str
    table: str = ""
    row: str = ""
    column: str = ""
    value: str = ""


@dataclass(frozen=True)
class _Placed:
    """A report as a hit needs it: its text, where each normalised character stands in it, and where
    its chunks start (for the page and section of an offset)."""

    text: str
    where: np.ndarray  # offset in text of each normalised character
    starts: list[int]
    pages: list[int | None]
    sections: list[str]
    kinds: list[str]


class Locator:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.generation = -1
        self._build()

    def _build(self) -> None:
        cat = self.store.catalog
        self.generation = cat.generation()
        self.reports = {r["doc_id"]: r for r in cat.reports()}
        self.norm = self.store.text.normalized()
        self._placed: OrderedDict[str, _Placed] = OrderedDict()
        # reports stored before the text index existed: normalised and scanned here, once per generation
        self._legacy_figures: dict[str, list[tuple[str, int, int]]] = {}
        for doc in self.reports:
            if doc not in self.norm:
                text = cat.report_text(doc)
                self.norm[doc] = normalized(text)
                for key, start, end in text_figures(text):
                    self._legacy_figures.setdefault(key, []).append((doc, start, end))

    def _fresh(self) -> None:
        if self.store.catalog.generation() != self.generation:
            self._build()

    def _report(self, doc: str) -> _Placed:
        placed = self._placed.get(doc)
        if placed is None:
            cat = self.store.catalog
            text = cat.report_text(doc)
            chunks = sorted(cat.doc_chunks(doc), key=lambda c: c.start)
            placed = _Placed(
                text,
                normalize_with_map(text)[1],
                [c.start for c in chunks],
                [c.page for c in chunks],
                [c.section for c in chunks],
                [c.kind for c in chunks],
            )
            self._placed[doc] = placed
            if len(self._placed) > HIT_REPORTS_KEPT:
                self._placed.popitem(last=False)
        self._placed.move_to_end(doc)
        return placed

    def _where(self, doc: str, offset: int) -> tuple[int | None, str, str]:
        p = self._report(doc)
        i = bisect.bisect_right(p.starts, offset) - 1
        if i < 0:
            return None, "", "text"
        return p.pages[i], p.sections[i], p.kinds[i]

    def _context(self, doc: str, start: int, end: int) -> str:
        text = self._report(doc).text
        a, b = max(0, start - CONTEXT), min(len(text), end + CONTEXT)
        return ("…" if a else "") + text[a:b].replace("\n", " ") + ("…" if b < len(text) else "")

    def locate(self, query: str, doc_ids: tuple[str, ...] = (), limit: int = 50) -> list[Hit]:
        q = (query or "").strip()
        if not q:
            raise BadInputError('要查找的内容是空的；请给出一段引文或一个数字，例如 budgetqa locate "42400"')
        self._fresh()
        for d in doc_ids:
            if d not in self.reports:
                raise BadInputError(f"没有报告编号为「{d}」的报告；已读入的报告见 budgetqa docs")
        docs = doc_ids or tuple(self.reports)
        fig = FIGURE.match(q)
        hits = self._figure(fig, docs, limit) if fig else []
        if not fig:
            hits = self._quote(q, docs, limit)
        return hits[:limit]

    def _quote(self, q: str, docs: tuple[str, ...], limit: int) -> list[Hit]:
        nq = normalized(q)
        if not nq:
            raise BadInputError(f"「{q}」中没有可查找的文字或数字；请给出一段引文或一个数字")
        hits: list[Hit] = []
        for doc in docs:
            norm = self.norm[doc]
            i = norm.find(nq)
            while i >= 0 and len(hits) < limit:  # each report hit is read from the catalog: stop at the limit
                where = self._report(doc).where
                start, end = int(where[i]), int(where[i + len(nq) - 1]) + 1
                page, section, kind = self._where(doc, start)
                hits.append(Hit(doc, self.reports[doc]["title"], page, section, kind, self._context(doc, start, end)))
                i = norm.find(nq, i + 1)
        return hits

    def _figure(self, m: re.Match[str], docs: tuple[str, ...], limit: int) -> list[Hit]:
        value = parse_decimal(m.group(1))
        unit = m.group(2) or ""
        if value is None:
            return []
        hits: list[Hit] = []
        facts = self.store.facts
        # every report: no IN list of a thousand ids (SQLite would then scan by report)
        only = docs if len(docs) < len(self.reports) else ()
        candidates = [f for f in facts.with_value(value, only, limit) if not unit or f.unit == unit]
        if unit in ("元", "万元", "亿元"):
            yuan = float(_yuan(value, unit))
            candidates += facts.near_yuan(yuan, max(0.001, abs(yuan) * 1e-12), only, limit)
        wanted = set(docs)
        for f in dict.fromkeys(candidates):
            if f.doc_id in wanted:
                hits.append(
                    Hit(
                        f.doc_id,
                        self.reports[f.doc_id]["title"],
                        f.page,
                        "",
                        "table",
                        f.source,
                        f.table_title,
                        f.row_label,
                        f.column,
                        f"{f.value}{f.unit}",
                    )
                )
        key = figure_key(value)
        for doc, start, end in self.store.text.figures(key, only, limit) + self._legacy_figures.get(key, []):
            if len(hits) >= limit:
                break
            if doc in wanted:
                page, section, kind = self._where(doc, start)
                if kind == "text":
                    hits.append(
                        Hit(doc, self.reports[doc]["title"], page, section, "text", self._context(doc, start, end))
                    )
        return hits


def _yuan(v: Decimal, unit: str) -> Decimal:
    return v * {"元": 1, "万元": 10000, "亿元": 100000000}[unit]
