"""Lines → section tree and blocks (paragraph | table).

The walk is one pass with a small state: the heading stack, the paragraph being joined, lines that
may be a table's title, and the table region being collected.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from ingest.lines import (
    CLOSERS,
    NOTE_LINE,
    TABLE_CONTEXT,
    TERMINAL,
    TOC_MARK,
    UNIT_LINE,
    Line,
    heading_level,
    is_table_title,
    nfkc_key,
    strip_markdown,
)
from ingest.model import Block, Section, TableData
from ingest.text_tables import parse_space_table, parse_tab_table, table_code

MAX_HEADING_CHARS = 40
TOC_LEADER = re.compile(r"(…{2,}|\.{4,}|·{4,}|-{4,})\s*\d*$")


@dataclass
class _Event:
    kind: str  # heading | para | table
    text: str
    page: int | None
    level: int = 0
    table: TableData | None = None
    last_page: int | None = None  # a table continued over pages: the last page joined


def _ends_sentence(text: str) -> bool:
    t = text.rstrip(CLOSERS + " ")
    return bool(t) and t[-1] in TERMINAL


def _joiner(left: str, right: str) -> str:
    if left and right and left[-1].isascii() and left[-1].isalnum() and right[0].isascii() and right[0].isalnum():
        return " "
    return ""


def _is_heading(text: str, level: int) -> bool:
    limit = 60 if level == 1 else MAX_HEADING_CHARS
    if not level or len(text) > limit:
        return False
    if text[-1] in "，、；,;":
        return False
    body = text.rstrip("。")
    if body != text and len(text) > 15:
        return False  # "11.完成区委…交办的其他任务。" is a numbered sentence
    return "。" not in body


def _heading_key(text: str, level: int) -> str:
    if level == 1:
        m = re.match(r"^第[^部]+部分", text)
        return m.group(0) if m else nfkc_key(text)
    return nfkc_key(text)


def wrap_width(lines: list[Line]) -> int:
    """The width a hard-wrapped text (pdftotext) was cut at, or 0 when lines are not hard-wrapped."""
    lengths = [len(t) for ln in lines if len(t := ln.text.strip()) >= 15 and "\t" not in t and not _ends_sentence(t)]
    if len(lengths) < 100:
        return 0
    width, count = Counter(lengths).most_common(1)[0]
    return width if count >= 0.15 * len(lengths) else 0


def _looks_like_row(text: str) -> bool:
    if any(p in text for p in "，。；"):
        return False  # prose, even with numbers in it
    return len(re.findall(r"(?:^|\s)[-\d,.]+%?(?=\s|$)", text)) >= 2


def unwrap(lines: list[Line]) -> list[Line]:
    """Join hard-wrapped lines into logical lines before they are classified, so that a wrapped
    "（三）监测分析全区工业运行态势，统计并发布相关信" is read as the start of a paragraph, not a heading."""
    width = wrap_width(lines)
    if not width:
        return lines
    out: list[Line] = []
    joining = False
    for ln in lines:
        if ln.table is not None:
            out.append(ln)
            joining = False
            continue
        text = ln.text.strip()
        if joining and out and not heading_level(text) and not _looks_like_row(text) and not is_table_title(text):
            prev = out[-1]
            out[-1] = Line(prev.text + _joiner(prev.text, text) + text, prev.page)
        else:
            out.append(Line(text, ln.page, meta=ln.meta))
        cur = out[-1].text
        last = text
        # A numbered line a little short of the width is a heading; wrapped prose fills the line.
        slack = 2 if heading_level(last) else 4
        joining = len(last) >= width - slack and not _ends_sentence(last) and not _looks_like_row(last)
        joining = joining and not is_table_title(cur)
    return out


AMOUNT_IN_ROW = re.compile(r"\d[\d,]*\.?\d*\s+\S|\d{2,}")


def _append_table(events: list[_Event], t: TableData, page: int | None, table_page: int | None) -> None:
    """A table whose page repeats the title of the table ending on the page before, with as many
    columns, continues it (city 附表 print their title on every page); its repeated header goes."""
    prev = events[-1] if events else None
    if (
        prev is not None
        and prev.table is not None
        and t.title
        and t.title == prev.table.title
        and table_page is not None
        and table_page == (prev.last_page or prev.page or 0) + 1
        and t.width == prev.table.width
    ):
        prev.table = prev.table.continued_by(t)
        prev.last_page = table_page
        return
    events.append(_Event("table", t.title, page, table=t, last_page=table_page))


def lines_to_events(lines: list[Line]) -> list[_Event]:
    tab_doc = sum(1 for ln in lines if "\t" in ln.text) >= 5
    if not tab_doc:
        lines = unwrap(lines)
    events: list[_Event] = []
    para: list[str] = []
    para_page: int | None = None
    pending: list[Line] = []  # title / code / unit lines that may belong to the next table
    region: list[Line] = []  # rows of the table being collected
    region_kind = ""  # tab | space
    toc_state = 0  # 0 before, 1 inside, 2 done
    toc_first_key = ""
    toc_leaders = False

    def flush_para() -> None:
        nonlocal para, para_page
        if para:
            events.append(_Event("para", "".join(para), para_page))
        para, para_page = [], None

    def flush_pending() -> None:
        for ln in pending:
            events.append(_Event("para", strip_markdown(ln.text)[0], ln.page))
        pending.clear()

    def flush_region() -> None:
        nonlocal region, region_kind
        if not region:
            return
        context = [strip_markdown(p.text)[0] for p in pending]
        titles = [c for c in context if is_table_title(c) and not table_code([c])]
        title = titles[-1] if titles else ""
        rows = [r.text for r in region]
        if not title and not pending and events and events[-1].kind == "para":
            last = events[-1].text
            if len(last) <= 30 and not _ends_sentence(last) and not heading_level(last):
                title = events.pop().text  # "2021 年度部门支出分类" printed just above the rows
        if region_kind == "tab" and not title:
            first = [c for c in rows[0].split("\t") if c.strip()]
            if len(first) == 1 and not re.search(r"\d[\d,]*\.\d", first[0]):
                title, rows = first[0].strip(), rows[1:]
        parse = parse_tab_table if region_kind == "tab" else parse_space_table
        table = parse(title, table_code(context), context, rows)
        page = pending[0].page if pending else region[0].page
        events.append(_Event("table", table.title, page, table=table))
        pending.clear()
        region, region_kind = [], ""

    for ln in lines:
        if ln.table is not None:  # a PDF table
            flush_para()
            if region_kind == "space" and not any(AMOUNT_IN_ROW.search(r.text) for r in region):
                # lines between a title and the ruled table ("（功能分类）", "单位：万元") are its context
                pending.extend(region)
                region, region_kind = [], ""
            flush_region()
            context = [strip_markdown(p.text)[0] for p in pending]
            t: TableData = ln.table
            titles = [c for c in context if is_table_title(c) and not table_code([c])]
            t = replace(
                t,
                title=t.title or (titles[-1] if titles else ""),
                unit=t.unit or _unit(context),
                code=t.code or table_code(context),
            )
            _append_table(events, t, pending[0].page if pending else ln.page, ln.page)
            pending.clear()
            continue
        raw = ln.text.strip()
        text, hashes = strip_markdown(raw)
        if not text:
            continue
        # Table of contents: kept as one paragraph, never as headings.
        if toc_state == 0 and TOC_MARK.match(text.replace(" ", "")) or toc_state == 0 and text == "目录":
            flush_para()
            toc_state = 1
            para, para_page = ["目录："], ln.page
            continue
        level = heading_level(text)
        if toc_state == 1:
            key = _heading_key(text, level) if level else ""
            leader = bool(TOC_LEADER.search(text))
            toc_leaders = toc_leaders or leader
            if key and key == toc_first_key or len(text) > 80 or toc_leaders and not leader or _ends_sentence(text):
                toc_state = 2
                flush_para()
            else:
                if level and not toc_first_key:
                    toc_first_key = key
                if not para:
                    para, para_page = ["目录："], ln.page
                para.append(("" if para[-1].endswith("：") else "；") + text)
                continue
        # Inside a table region every line is a row, until something clearly ends it.
        if region:
            if region_kind == "tab":
                if "\t" in ln.text:
                    region.append(Line(ln.text.strip("\n"), ln.page))
                    continue
                flush_region()
            else:
                ends = (
                    NOTE_LINE.match(text)
                    or is_table_title(text)
                    or heading_level(text) == 1
                    or (len(text) > 40 and _ends_sentence(text) and not re.search(r"\d\s+\d", text))
                )
                if not ends:
                    region.append(Line(text, ln.page))
                    continue
                flush_region()
        if "\t" in ln.text and tab_doc:
            flush_para()
            region, region_kind = [Line(ln.text, ln.page)], "tab"
            continue
        if (
            is_table_title(text)
            or (UNIT_LINE.search(text) or TABLE_CONTEXT.match(text))
            and len(text) < 60
            or table_code([text])
        ):
            flush_para()
            real_title = is_table_title(text) and not table_code([text])
            if real_title and any(is_table_title(p.text) and not table_code([p.text]) for p in pending):
                flush_pending()
            pending.append(Line(text, ln.page))
            if not tab_doc and is_table_title(text) and not table_code([text]):
                region, region_kind = [], "space"
            continue
        if region_kind == "space" and pending and not region:
            # a title was seen: the first non-title line opens the region when it looks like a row
            if not _ends_sentence(text) or re.search(r"\d\s+\d", text):
                region.append(Line(text, ln.page))
                continue
            region_kind = ""
        flush_pending_if_any = bool(pending)
        if flush_pending_if_any:
            flush_para()
            flush_pending()
        big = ln.meta.get("big") and not level and len(text) <= MAX_HEADING_CHARS and not _ends_sentence(text)
        if _is_heading(text, level) or (hashes or big) and not level and len(text) <= MAX_HEADING_CHARS:
            flush_para()
            prev = events[-1] if events else None
            if (
                not level
                and prev
                and prev.kind == "heading"
                and prev.level == 1
                and re.fullmatch(r"第.+部分", prev.text)
            ):
                prev.text = f"{prev.text} {text}"  # "# 第一部分" + "## 部门概况"
                continue
            events.append(_Event("heading", text, ln.page, level=level or 2))
            continue
        # a reader that knows its paragraphs (Word, web pages) marks each line whole: never a wrapped piece
        if (
            para
            and not _ends_sentence(para[-1])
            and not level
            and not NOTE_LINE.match(text)
            and not ln.meta.get("whole")
        ):
            para.append(_joiner(para[-1], text) + text)
            continue
        flush_para()
        para, para_page = [text], ln.page
    flush_para()
    if region:
        flush_region()
    flush_pending()
    return _demote_list_items(events)


def _unit(context: list[str]) -> str:
    for c in context:
        m = UNIT_LINE.search(c)
        if m:
            return m.group(2)
    return ""


def _demote_list_items(events: list[_Event]) -> list[_Event]:
    """'1.本级' '2.服务中心' look like headings but head nothing: make them paragraphs."""
    for i, ev in enumerate(events):
        if ev.kind != "heading" or ev.level < 3:
            continue
        nxt = events[i + 1] if i + 1 < len(events) else None
        if nxt is None or (nxt.kind == "heading" and nxt.level >= ev.level):
            prev = events[i - 1] if i else None
            if nxt is not None and nxt.level == ev.level or (prev and prev.kind == "para" and prev.level == -1):
                ev.kind, ev.level = "para", -1
    return events


def events_to_blocks(events: list[_Event], render_table) -> tuple[str, list[Section], list[Block]]:  # noqa: ANN001
    """Events → (normalized text, sections, blocks) with offsets into the text."""
    stack: list[tuple[int, str]] = []
    sections: list[Section] = []
    blocks: list[Block] = []
    parts: list[str] = []
    pos = 0
    for ev in events:
        if ev.kind == "heading":
            while stack and stack[-1][0] >= ev.level:
                stack.pop()
            stack.append((ev.level, ev.text))
            sections.append(Section(ev.text, ev.level, tuple(t for _, t in stack), ev.page))
            text = ev.text
        else:
            text = render_table(ev.table) if ev.kind == "table" else ev.text
        if parts:
            pos += 2
        start, end = pos, pos + len(text)
        parts.append(text)
        pos = end
        if ev.kind != "heading":
            blocks.append(
                Block(
                    kind="table" if ev.kind == "table" else "paragraph",
                    text=text,
                    section_path=tuple(t for _, t in stack),
                    page=ev.page,
                    start=start,
                    end=end,
                    table=ev.table,
                )
            )
    return "\n\n".join(parts), sections, blocks
