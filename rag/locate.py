"""Citation lookup: where does a quote or a figure stand?

Quotes match after NFKC with whitespace and punctuation removed. Figures match by value across
formats and units ("42400" finds "42,400.00" in a 万元 table and "42,400万元" in text). The lookup
structures (normalized texts with offset maps, a value → places index) are built once per catalog
generation and kept in memory.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from ingest.errors import BadInputError
from ingest.facts import parse_decimal
from ingest.model import Fact
from ingest.pipeline import Store
from rag.numbers import NUMBER

FIGURE = re.compile(r"^\s*([\d,]+(?:\.\d+)?)\s*(亿元|万元|元|%)?\s*$")
CONTEXT = 40


def _keep(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return not (ch.isspace() or cat.startswith("P") or cat.startswith("S") and ch not in "%")


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    out, where = [], []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch):
            if _keep(c):
                out.append(c.lower())
                where.append(i)
    return "".join(out), where


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


class Locator:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.generation = -1
        self._build()

    def _build(self) -> None:
        cat = self.store.catalog
        self.generation = cat.generation()
        self.reports = {r["doc_id"]: r for r in cat.reports()}
        self.texts: dict[str, str] = {}
        self.norm: dict[str, tuple[str, list[int]]] = {}
        self.spans: dict[str, tuple[list[int], list]] = {}
        self.numbers: dict[str, list[tuple[str, int, int]]] = {}
        # table cells by value and by value in 元, so a figure is a dictionary lookup, not a scan
        self.by_value: dict[str, list[Fact]] = {}
        self.by_yuan: dict[str, list[Fact]] = {}
        for f in self.store.facts.facts():
            self.by_value.setdefault(_key(f.value), []).append(f)
            if f.value_yuan is not None:
                self.by_yuan.setdefault(_key(f.value_yuan), []).append(f)
        for doc in self.reports:
            text = cat.report_text(doc)
            self.texts[doc] = text
            self.norm[doc] = normalize_with_map(text)
            chunks = sorted(cat.doc_chunks(doc), key=lambda c: c.start)
            self.spans[doc] = ([c.start for c in chunks], chunks)
            for m in NUMBER.finditer(text):
                v = parse_decimal(m.group(1))
                if v is not None:
                    self.numbers.setdefault(_key(v), []).append((doc, m.start(), m.end()))
            for m in re.finditer(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\d.,])\d+\.\d+", text):
                v = parse_decimal(m.group(0))  # bare numbers, as in table rows
                if v is not None:
                    self.numbers.setdefault(_key(v), []).append((doc, m.start(), m.end()))

    def _fresh(self) -> None:
        if self.store.catalog.generation() != self.generation:
            self._build()

    def _where(self, doc: str, offset: int) -> tuple[int | None, str, str]:
        starts, chunks = self.spans[doc]
        i = bisect.bisect_right(starts, offset) - 1
        if i < 0:
            return None, "", "text"
        c = chunks[i]
        return c.page, c.section, c.kind

    def _context(self, doc: str, start: int, end: int) -> str:
        text = self.texts[doc]
        a, b = max(0, start - CONTEXT), min(len(text), end + CONTEXT)
        return ("…" if a else "") + text[a:b].replace("\n", " ") + ("…" if b < len(text) else "")

    def locate(self, query: str, doc_ids: tuple[str, ...] = (), limit: int = 50) -> list[Hit]:
        q = (query or "").strip()
        if not q:
            raise BadInputError('the text to locate is empty; give a quote or a figure, e.g. budgetqa locate "42400"')
        self._fresh()
        for d in doc_ids:
            if d not in self.reports:
                raise BadInputError(f"unknown doc_id {d!r}; see `budgetqa docs`")
        docs = doc_ids or tuple(self.reports)
        fig = FIGURE.match(q)
        hits = self._figure(fig, docs) if fig else []
        if not fig:
            hits = self._quote(q, docs)
        return hits[:limit]

    def _quote(self, q: str, docs: tuple[str, ...]) -> list[Hit]:
        nq, _ = normalize_with_map(q)
        if not nq:
            raise BadInputError(f"{q!r} has no letters or digits to look for")
        hits = []
        for doc in docs:
            norm, where = self.norm[doc]
            i = norm.find(nq)
            while i >= 0:
                start, end = where[i], where[i + len(nq) - 1] + 1
                page, section, kind = self._where(doc, start)
                hits.append(Hit(doc, self.reports[doc]["title"], page, section, kind, self._context(doc, start, end)))
                i = norm.find(nq, i + 1)
        return hits

    def _figure(self, m: re.Match[str], docs: tuple[str, ...]) -> list[Hit]:
        value = parse_decimal(m.group(1))
        unit = m.group(2) or ""
        if value is None:
            return []
        hits: list[Hit] = []
        candidates = [f for f in self.by_value.get(_key(value), []) if not unit or f.unit == unit]
        if unit in ("元", "万元", "亿元"):
            candidates += self.by_yuan.get(_key(_yuan(value, unit)), [])
        for f in dict.fromkeys(candidates):
            if f.doc_id in docs:
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
        for doc, start, end in self.numbers.get(_key(value), []):
            if doc in docs:
                page, section, kind = self._where(doc, start)
                if kind == "text":
                    hits.append(
                        Hit(doc, self.reports[doc]["title"], page, section, "text", self._context(doc, start, end))
                    )
        return hits


def _key(v: Decimal) -> str:
    return format(v.normalize(), "f")


def _yuan(v: Decimal, unit: str) -> Decimal:
    return v * {"元": 1, "万元": 10000, "亿元": 100000000}[unit]
