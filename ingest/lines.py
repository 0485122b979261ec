"""Text → lines: page markers, running headers and footers, and the line classes the structure walker needs."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CN_NUM = "一二三四五六七八九十百零〇"
TERMINAL = "。！？；：!?;…"
CLOSERS = "”’」』）)】"

# Heading markers, outermost first; the level is the index + 1.
HEADING_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"^第[{CN_NUM}]+部分"),
    re.compile(rf"^[{CN_NUM}]+\s*[、.．]"),
    re.compile(rf"^[（(]\s*[{CN_NUM}]+\s*[）)]"),
    re.compile(r"^\d{1,2}\s*[、.．](?!\d)"),
    re.compile(r"^[（(]\s*\d{1,2}\s*[）)]"),
    re.compile(r"^[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]"),
)
PAGE_NUMBER = re.compile(
    r"^[-—–－]\s*\d{1,4}\s*[-—–－]$|^第\s*\d{1,4}\s*页(\s*[,，/共]\s*\d+\s*页?)?$|^\d{1,4}\s*/\s*\d{1,4}$"
)
TOC_MARK = re.compile(r"^目\s*录$")
TABLE_TITLE = re.compile(r"表(?:[（(][^（）()]{1,10}[）)])?$")  # "…决算表（分项目）", "…表（续）"
TABLE_CODE = re.compile(r"^(公开\s*\d+\s*表|表\s*\d+(-\d+)?|附[件表]\s*\d+([-－—]\d+)*)$")
UNIT_LINE = re.compile(r"(金额)?单位\s*[：:]\s*(万元|元|亿元|千元)")
TABLE_CONTEXT = re.compile(r"^(编制|填报|评价)?(单位|部门)\s*[：:]")
NOTE_LINE = re.compile(r"^(注|备注|说明)\s*[：:]")


@dataclass
class Line:
    text: str
    page: int | None = None
    table: Any = None  # a TableData already extracted (PDF tables) stands in the stream as a line
    meta: dict[str, Any] = field(default_factory=dict)


def band_lines(
    items: list[Any], top: Callable[[Any], float], bottom: Callable[[Any], float], tolerance: float, lookback: int
) -> list[dict[str, Any]]:
    """Printed items (characters of a text layer, glyphs read by OCR), in reading order, → lines: an
    item joins one of the last `lookback` lines when its vertical centre falls inside that line's band,
    widened by `tolerance` × the band's height. Each line: {"top", "bottom", "items"}."""
    lines: list[dict[str, Any]] = []
    for it in items:
        mid = (top(it) + bottom(it)) / 2
        for ln in reversed(lines[-lookback:]):
            tol = tolerance * (ln["bottom"] - ln["top"])
            if ln["top"] - tol <= mid <= ln["bottom"] + tol:
                ln["items"].append(it)
                break
        else:
            lines.append({"top": top(it), "bottom": bottom(it), "items": [it]})
    return lines


def clean(text: str) -> str:
    """Whitespace normalization that keeps the printed characters (no NFKC: quotes must match the source)."""
    text = text.replace("\u00a0", " ").replace("\u3000", " ").replace("\ufeff", "")
    return text.rstrip()


def nfkc_key(text: str) -> str:
    """Comparison key: NFKC, no whitespace. For matching, never for display."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def heading_level(text: str) -> int:
    """Level of the numbering marker a line starts with (1 = 第X部分), 0 when none."""
    for i, pat in enumerate(HEADING_PATTERNS):
        if pat.match(text):
            return i + 1
    return 0


def strip_markdown(text: str) -> tuple[str, int]:
    """'## **六、…**' → ('六、…', 2); '- 1、…' → ('1、…', 0)."""
    m = re.match(r"^(#{1,6})\s+(.*)$", text)
    hashes = 0
    if m:
        hashes, text = len(m.group(1)), m.group(2)
    text = re.sub(r"</?b>|\*\*", "", text).strip()
    if text.startswith("- ") and not hashes:
        text = text[2:].strip()
    return text, hashes


def is_table_title(text: str) -> bool:
    t = text.strip()
    if heading_level(t) == 1:
        return False  # "第二部分 2024年度部门决算表" heads a part
    if TABLE_CODE.match(t.replace(" ", "")):
        return True
    return 2 < len(t) <= 45 and bool(TABLE_TITLE.search(t)) and t[-1] not in TERMINAL and "，" not in t


def text_to_lines(text: str) -> list[Line]:
    """Split a text file into non-blank lines with page numbers.

    Pages come from form feeds (pdftotext) or printed page-number lines ("- 6 -"); both are dropped.
    A printed number closes its page, so the lines before "- 6 -" are on page 6 — but only where the
    previous printed number was 5 (or the file starts at page 1): across a gap the page is unknown.
    """
    out: list[Line] = []
    if "\f" in text:
        for page_no, part in enumerate(text.split("\f"), start=1):
            for line in part.splitlines():
                line = clean(line)
                if line.strip() and not PAGE_NUMBER.match(line.strip()):
                    out.append(Line(line, page_no))
        return out
    since_marker: list[Line] = []
    last_marker = 0
    for line in text.splitlines():
        line = clean(line)
        stripped = line.strip()
        if not stripped:
            continue
        if PAGE_NUMBER.match(stripped):
            n = int(re.search(r"\d+", stripped).group())  # type: ignore[union-attr]
            if n == last_marker + 1:
                for ln in since_marker:
                    ln.page = n
            since_marker, last_marker = [], n
            continue
        ln = Line(line, None)
        out.append(ln)
        since_marker.append(ln)
    return out
