"""Word .docx (python-docx) → Report: paragraphs and tables in body order, headings from their style or
outline level, Word tables with merged cells (gridSpan across, vMerge down) as header rows and body rows.

A .docx has no pages of its own. Word records where it last broke pages (w:lastRenderedPageBreak); when
the file has those marks they give page numbers, else hard page breaks do, else everything is page 1
and citations name the heading or the table instead."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ingest.errors import DocumentError
from ingest.lines import TERMINAL, UNIT_LINE, Line
from ingest.model import Report
from ingest.readers.base import build_report, paragraph_locator
from ingest.readers.grid import Grid, grid_table, table_lines

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HEADING_STYLE = re.compile(r"^(heading|标题)\s*(\d)$", re.I)


def _val(el: Any, path: str) -> str | None:
    found = el.xpath(path)
    return str(found[0]) if found else None


def _style_chain(style: Any) -> Iterator[Any]:
    seen = 0
    while style is not None and seen < 10:  # base styles form a short chain
        yield style
        style = style.base_style
        seen += 1


def heading_level(par: Any, el: Any) -> int:
    """1-based outline level of a heading paragraph (its own outlineLvl, its style's, or a Heading N
    style), 0 for body text. Outline level 9 is "body text" in Word."""
    lvl = _val(el, "./w:pPr/w:outlineLvl/@w:val")
    try:
        chain = list(_style_chain(par.style))
    except (KeyError, AttributeError, ValueError):
        chain = []
    for style in chain:
        if lvl is not None:
            break
        lvl = _val(style.element, "./w:pPr/w:outlineLvl/@w:val")
        if lvl is None and (m := HEADING_STYLE.match(style.name or "")):
            lvl = str(int(m.group(2)) - 1)
        if lvl is None and (style.name or "").lower() in ("title", "标题"):
            lvl = "0"
    return int(lvl) + 1 if lvl is not None and lvl.isdigit() and int(lvl) < 9 else 0


def font_size(par: Any) -> float | None:
    """The paragraph's type size in points: its largest run's, else its style's."""
    sizes = [r.font.size.pt for r in par.runs if r.font.size is not None and r.text.strip()]
    if sizes:
        return max(sizes)
    try:
        for style in _style_chain(par.style):
            if style.font is not None and style.font.size is not None:
                return style.font.size.pt
    except (KeyError, AttributeError, ValueError):
        return None
    return None


def _tc_text(tc: Any) -> str:
    paras = []
    for p in tc.xpath("./w:p"):
        paras.append("".join(t.text or "" for t in p.iter(f"{W}t", f"{W}tab")))
    return "\n".join(paras)


def table_grid(tbl: Any) -> Grid:
    """A Word table → Grid: a cell spanning columns (gridSpan) or continuing a vertical merge (vMerge)
    leaves the slots it covers empty and is recorded as one merged region."""
    cells: list[list[str]] = []
    merges: list[list[int]] = []
    open_down: dict[int, int] = {}  # grid column → index into merges of the vertical merge open there
    for r, tr in enumerate(tbl.xpath("./w:tr")):
        row: list[str] = [""] * int(_val(tr, "./w:trPr/w:gridBefore/@w:val") or 0)
        for tc in tr.xpath("./w:tc | ./w:sdt/w:sdtContent/w:tc"):
            c = len(row)
            span = int(_val(tc, "./w:tcPr/w:gridSpan/@w:val") or 1)
            vmerge = tc.xpath("./w:tcPr/w:vMerge")
            if vmerge and (vmerge[0].get(f"{W}val") or "continue") == "continue" and c in open_down:
                merges[open_down[c]][2] = r
                row += [""] * span
                continue
            row += [_tc_text(tc)] + [""] * (span - 1)
            if span > 1 or vmerge:
                merges.append([r, c, r, c + span - 1])
                if vmerge:
                    open_down[c] = len(merges) - 1
            else:
                open_down.pop(c, None)
        cells.append(row)
    return Grid(cells, [(a, b, c, d) for a, b, c, d in merges])


def _blocks(body: Any) -> Iterator[Any]:
    """Paragraphs and tables in body order, content controls (a TOC, a cover block) opened."""
    for child in body.iterchildren():
        if child.tag in (f"{W}p", f"{W}tbl"):
            yield child
        elif child.tag == f"{W}sdt":
            yield from _blocks(child.find(f"{W}sdtContent"))


def _title_before(lines: list[Line]) -> str:
    """A short line just above a table, not a sentence, is its title ("2025年一般公共预算收支表")."""
    for ln in reversed(lines[-2:]):
        text = ln.text.strip()
        if ln.table is not None:
            return ""
        if UNIT_LINE.search(text):
            continue
        if 4 <= len(text) <= 60 and text[-1] not in TERMINAL + "，,":
            return text
        return ""
    return ""


def read(path: Path, on_page: Callable[[int, int], None] | None = None) -> Report:
    import docx
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DocumentError(
            str(path),
            f"无法作为 DOCX 读取（{type(exc).__name__}）：文件不完整或不是 Word 文档；请重新下载或另存为 .docx",
        ) from None
    body = document.element.body
    rendered = bool(body.xpath(".//w:lastRenderedPageBreak"))
    breaks = ".//w:lastRenderedPageBreak" if rendered else ".//w:br[@w:type='page']"
    pages_known = bool(body.xpath(breaks))
    lines: list[Line] = []
    page, n_tables = 1, 0
    for el in _blocks(body):
        if el.tag == f"{W}p":
            par = Paragraph(el, document)
            text = par.text.strip()
            if text:
                level = heading_level(par, el)
                meta: dict[str, Any] = {"whole": True, "big": bool(level)}  # a Word paragraph is never a wrapped piece
                if size := font_size(par):
                    meta["size"] = size
                lines.append(Line(text, page, meta=meta))
            if el.xpath("./w:pPr/w:pageBreakBefore") and lines and text:
                lines[-1].page = page = page + (0 if rendered else 1)
        else:
            gt = grid_table(table_grid(el))
            if gt.table is not None:
                n_tables += 1
                if not gt.table.title and (title := _title_before(lines)):
                    from dataclasses import replace

                    gt.table = replace(gt.table, title=title)
            where = f"Word 表{n_tables}" + (f"（第{page}页）" if pages_known else "")
            lines += table_lines(gt, page, where)
        page += len(el.xpath(breaks))
    if not lines:
        raise DocumentError(str(path), "Word 文档中没有文字；请确认文件内容，或从原文档重新导出")
    return build_report(
        path, lines, source_format="docx", pages=page, where=None if pages_known else paragraph_locator("Word 文档")
    )
