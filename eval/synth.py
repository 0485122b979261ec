"""Synthetic reports for the scale benchmark: a real report under another department's name with every
amount re-scaled. The structure (sections, tables, sentence forms, keys) stays the real one; the names
and figures are new, so nothing is deduplicated and every chunk is embedded anew.

Amounts are figures printed with decimals (2,946.25 / 49.14); they are multiplied by one factor per
report, so a table's sums still add up (to the last printed place). Integers (years, codes, counts) and
percentages are left alone.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from ingest.model import Block, Report, Section, TableData, content_hash

_AMOUNT = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d%])|(?<![\d.,])\d+\.\d+(?![\d%.])")
_LEADING_PLACE = re.compile(r"^[^省市区县（]{1,6}?(?:省|自治区|市|区|县)(?=[^省市区县]{2,})")
_PLACE_HEAD = "东西南北中新长安永清龙凤平青金宝临江华泰"
_PLACE_TAIL = "湖山城河阳宁川桥浦源州丰林港溪岭"


def place_name(i: int) -> str:
    """A made-up district name, distinct for i < 16·16·…: "东湖区", "西山区", "东湖二区" …"""
    head, tail = _PLACE_HEAD[i % len(_PLACE_HEAD)], _PLACE_TAIL[(i // len(_PLACE_HEAD)) % len(_PLACE_TAIL)]
    n = i // (len(_PLACE_HEAD) * len(_PLACE_TAIL))
    return f"{head}{tail}{'一二三四五六七八九'[n - 1] if n else ''}区"


def rescale_amounts(text: str, factor: Decimal) -> str:
    """Every printed amount multiplied by factor, printed with the same decimals and separators."""

    def one(m: re.Match[str]) -> str:
        s = m.group(0)
        places = len(s.split(".")[1]) if "." in s else 0
        value = (Decimal(s.replace(",", "")) * factor).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        return f"{value:,.{places}f}" if "," in s else f"{value:.{places}f}"

    return _AMOUNT.sub(one, text)


def _edited_text(text: str, cuts: list[int], edit: Callable[[str], str]) -> tuple[str, dict[int, int]]:
    """text edited piece by piece between the cut offsets, and where each cut lands in the new text."""
    bounds = sorted({0, len(text), *cuts})
    pieces, where, at = [], {}, 0
    for a, b in zip(bounds, bounds[1:], strict=False):
        where[a] = at
        piece = edit(text[a:b])
        pieces.append(piece)
        at += len(piece)
    where[len(text)] = at
    return "".join(pieces), where


def _edited_table(t: TableData, edit: Callable[[str], str]) -> TableData:
    def rows(rs: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(edit(c) for c in r) for r in rs)

    return replace(t, title=edit(t.title), header=rows(t.header), rows=rows(t.rows))


def rewrite_report(report: Report, edit: Callable[[str], str], doc_id: str) -> Report:
    """The report with edit applied to all its text (running text, tables, headings, page boxes), block
    offsets moved to match, under a new doc_id and content hash."""
    cuts = [o for b in report.blocks for o in (b.start, b.end)]
    text, where = _edited_text(report.text, cuts, edit)
    starts = sorted(where)

    def moved(offset: int) -> int:  # offsets are cuts, so they map exactly
        return where[starts[bisect.bisect_right(starts, offset) - 1]]

    def path(p: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(edit(s) for s in p)

    blocks = tuple(
        Block(
            kind=b.kind,
            text=text[moved(b.start) : moved(b.end)],
            section_path=path(b.section_path),
            page=b.page,
            start=moved(b.start),
            end=moved(b.end),
            table=_edited_table(b.table, edit) if b.table else None,
        )
        for b in report.blocks
    )
    return replace(
        report,
        doc_id=doc_id,
        title=edit(report.title),
        department=edit(report.department),
        path=f"synthetic/{doc_id}",
        sha256=content_hash(doc_id, text, length=64),
        text=text,
        sections=tuple(Section(edit(s.title), s.level, path(s.path), s.page) for s in report.sections),
        blocks=blocks,
        boxes=tuple(replace(b, text=edit(b.text)) for b in report.boxes),
        doubts=tuple(replace(d, text=edit(d.text)) for d in report.doubts),
    )


def synthetic_report(report: Report, i: int) -> Report:
    """The i-th synthetic copy of a real report: its department renamed into a made-up district (the
    name is replaced wherever the report prints it) and its amounts scaled by 0.53–1.49."""
    factor = Decimal(53 + (i * 37) % 97) / 100
    old = report.department or report.title
    core = old
    while (shorter := _LEADING_PLACE.sub("", core, count=1)) != core:  # 广州市白云区科工商信局 → 科工商信局
        core = shorter
    new = place_name(i) + core

    def edit(s: str) -> str:
        return rescale_amounts(s.replace(old, new), factor)

    return rewrite_report(report, edit, f"synthetic-{i:04d}-{report.doc_id}"[:80])
