"""Tables in text extractions: tab-separated rows, and whitespace-aligned pdftotext rows with wrapped cells."""

from __future__ import annotations

import re

from ingest.lines import TABLE_CODE, UNIT_LINE
from ingest.model import TableData

NUMBER_CELL = re.compile(r"^[-−]?[\d,]+(\.\d+)?%?$|^[-—–]$")
CODE_CELL = re.compile(r"^\d{3}(\d{2}){0,2}$")
HEADER_WORDS = ("项目", "栏次", "科目编码", "科目名称", "功能分类", "经济分类", "行次", "一级指标", "指标")


def is_number(cell: str) -> bool:
    return bool(NUMBER_CELL.match(cell.strip().replace(" ", "")))


def unit_of(lines: list[str]) -> str:
    for line in lines:
        m = UNIT_LINE.search(line)
        if m:
            return m.group(2)
    for line in lines:  # units inside header cells: "决算数（元）"
        m = re.search(r"[（(](万元|亿元|元)[）)]", line)
        if m:
            return m.group(1)
    return ""


def split_tab_row(line: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in line.split("\t"))


def is_header_row(cells: tuple[str, ...]) -> bool:
    filled = [c for c in cells if c]
    if not filled:
        return False
    if any(c.replace(" ", "") in ("栏次", "栏 次") for c in filled):
        return True
    if any(w in c for c in filled for w in HEADER_WORDS) and not any(
        is_number(c) and not re.fullmatch(r"\d{1,2}", c) for c in filled
    ):
        return True
    return not any(is_number(c) for c in filled)


def _pad(rows: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    width = max((len(r) for r in rows), default=0)
    out = []
    for r in rows:
        r = tuple(r) + ("",) * (width - len(r))
        out.append(r)
    # Trailing columns empty everywhere are tab noise.
    while width and all(not r[width - 1] for r in out):
        width -= 1
        out = [r[:width] for r in out]
    return out


def parse_tab_table(title: str, code: str, context: list[str], rows_text: list[str]) -> TableData:
    """Rows of tab-separated cells. Header rows repeated after a page break are dropped (continued table)."""
    rows = [split_tab_row(t) for t in rows_text]
    header: list[tuple[str, ...]] = []
    body: list[tuple[str, ...]] = []
    for cells in rows:
        if not body and is_header_row(cells):
            header.append(cells)
        elif header and cells in header:
            continue  # the header printed again on the next page
        elif not any(cells):
            continue
        else:
            body.append(cells)
    padded = _pad(header + body)
    header_t = tuple(padded[: len(header)])
    body_t = tuple(padded[len(header) :])
    unit = unit_of(context + [" ".join(h) for h in header_t])
    return TableData(title=title, unit=unit, header=header_t, rows=body_t, code=code)


def _has_amount(tokens: list[str]) -> bool:
    return any(is_number(t) and not CODE_CELL.match(t) for t in tokens[1:]) or (
        len(tokens) == 1 and is_number(tokens[0]) and not CODE_CELL.match(tokens[0])
    )


NUMBER_THEN_TEXT = re.compile(r"^([-−]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-−]?\d+\.\d+)([\u4e00-\u9fff].*)$")
TEXT_THEN_NUMBER = re.compile(r"^(.*[\u4e00-\u9fff）)])([-−]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-−]?\d+\.\d+)$")


def split_glued(token: str) -> list[str]:
    """A remark run into the amount before it ("1,234.56主要用于办公") or a label run into its amount
    ("行政运行123.45") is two cells. Only amounts with decimals or thousands separators are split off,
    so "5G基站" and "2024年" stay whole."""
    m = NUMBER_THEN_TEXT.match(token) or TEXT_THEN_NUMBER.match(token)
    return [m.group(1), m.group(2)] if m else [token]


def parse_space_table(title: str, code: str, context: list[str], rows_text: list[str]) -> TableData:
    """pdftotext layout: cells separated by spaces, empty cells lost, long cells wrapped over lines.

    Wrapped cells are joined: a line with no amount in it is held and prefixed to the next line
    that has one. Column positions cannot be recovered with confidence, so the table is marked
    unaligned and each row keeps its tokens in order.
    """
    header: list[tuple[str, ...]] = []
    body: list[tuple[str, ...]] = []
    held: list[str] = []
    for line in rows_text:
        tokens = [piece for tok in line.split() for piece in split_glued(tok)]
        joined = "".join(tokens)
        if not body and ("栏次" in joined or not _has_amount(tokens)):
            held.extend(tokens)
            if "栏次" in joined:
                header.append(tuple(held))
                held = []
            continue
        if not body and held and not header:
            header.append(tuple(held))
            held = []
        if not _has_amount(tokens):
            held.extend(tokens)
            continue
        row = held + tokens
        held = []
        # A wrapped label split across tokens: "机关事业单位基本养老保" "险缴费支出" → one cell.
        merged: list[str] = []
        for tok in row:
            if merged and not is_number(tok) and not is_number(merged[-1]) and not CODE_CELL.match(merged[-1]):
                merged[-1] += tok
            else:
                merged.append(tok)
        body.append(tuple(merged))
    if held:
        (body if body else header).append(tuple(held))
    if header and body and len(header) == 1 and not header[0]:
        header = []
    unit = unit_of(context)
    return TableData(
        title=title,
        unit=unit,
        header=tuple(header),
        rows=tuple(body),
        code=code,
        aligned=False,
    )


def table_code(lines: list[str]) -> str:
    for line in lines:
        t = line.strip().replace(" ", "")
        if TABLE_CODE.match(t):
            return t
    return ""
