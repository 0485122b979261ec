"""Tables → facts: one (row × column × unit) value per cell, with codes and column paths.

Side-by-side tables (收入 | 支出; 人员经费 | 公用经费) are split into halves, each row keeping its own
label. Rows of tables whose columns could not be recovered (pdftotext layout) keep their numbers
with `flagged=True` and an empty column instead of a guess.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from ingest.keys import CARRY, FigureKey, TableProfile, carry_item, cell_key, fund_of, norm, table_profile
from ingest.model import OCR_DOUBT_BELOW, Fact, Report, TableData, content_hash

UNIT_FACTOR = {"元": Decimal(1), "万元": Decimal(10000), "亿元": Decimal(100000000), "千元": Decimal(1000)}
NUM = re.compile(r"^[-−(（]?[\d,]+(?:\.\d+)?[)）]?%?$")
CODE = re.compile(r"^\d{3}(?:\d{2}){0,2}$")
CODE_PART = re.compile(r"^\d{2,3}$")
ROW_NO = re.compile(r"^\d{1,3}$")


def parse_decimal(cell: str) -> Decimal | None:
    """'42,400.00' → 42400.00; '-' '—' '' → None; '(1.5)' → -1.5; '12.3%' → 12.3."""
    c = cell.strip().replace(" ", "").replace("−", "-")
    if not c or c in {"-", "—", "–", "--", "——", "/", "…", "……"} or not NUM.match(c):
        return None
    neg = c.startswith(("(", "（")) or c.startswith("-")
    c = c.strip("()（）%").lstrip("-").replace(",", "")
    try:
        v = Decimal(c)
    except InvalidOperation:
        return None
    return -v if neg else v


def to_yuan(value: Decimal, unit: str) -> Decimal | None:
    f = UNIT_FACTOR.get(unit)
    return value * f if f is not None else None


def _column_paths(header: tuple[tuple[str, ...], ...], width: int) -> list[str]:
    # the "栏次 | 1 | 2 …" row numbers the columns; it names nothing
    rows = [r for r in header if not all(ROW_NO.match(c) or not c or c.replace(" ", "") == "栏次" for c in r)]
    filled: list[list[str]] = []
    for ri, r in enumerate(rows):
        r = list(r) + [""] * (width - len(r))
        if ri < len(rows) - 1:  # merged cells of upper header rows span to the right
            last = ""
            for j, c in enumerate(r):
                if ri and j and filled[ri - 1][j] != filled[ri - 1][j - 1]:
                    last = ""  # a span ends where the one above it ends ("公务用车运行费" stops at "公务接待费")
                if c:
                    last = c
                elif last and any(rows[k][j] if j < len(rows[k]) else "" for k in range(ri + 1, len(rows))):
                    r[j] = last
        filled.append(r)
    paths = []
    for j in range(width):
        parts: list[str] = []
        for r in filled:
            c = re.sub(r"\s+", "", r[j])
            if c and c not in parts:
                parts.append(c)
        paths.append(" > ".join(parts))
    return paths


def _is_label_col(cells: list[str]) -> bool:
    filled = [c for c in cells if c.strip()]
    if not filled:
        return False
    text = sum(1 for c in filled if parse_decimal(c) is None and not CODE.match(c.strip()))
    return text >= 0.6 * len(filled)


def _is_code_col(cells: list[str]) -> bool:
    filled = [c.strip() for c in cells if c.strip()]
    return bool(filled) and sum(1 for c in filled if CODE.match(c) or CODE_PART.match(c)) >= 0.6 * len(filled)


def _halves(t: TableData, width: int) -> list[tuple[list[int], int, list[int]]]:
    """(code columns, label column, value columns) per half of the table. A table with no label
    column (the 三公 table: items in the columns, one row of values) is one half with label -1."""
    cols = [[r[j] if j < len(r) else "" for r in t.rows] for j in range(width)]
    labels = [j for j in range(width) if _is_label_col(cols[j])]
    if not labels:
        values = [j for j in range(width) if any(parse_decimal(c) is not None for c in cols[j])]
        return [([], -1, values)] if values and len(t.rows) <= 3 else []
    halves = []
    for i, lj in enumerate(labels):
        end = labels[i + 1] if i + 1 < len(labels) else width
        start = labels[i - 1] + 1 if i else 0
        codes = [j for j in range(start, lj) if _is_code_col(cols[j]) and not _is_row_numbers(cols[j])]
        values = [j for j in range(lj + 1, end) if not _is_code_col(cols[j]) and not _is_row_numbers(cols[j])]
        # code columns of the next half sit just before its label
        if i + 1 < len(labels):
            values = [j for j in values if not _is_code_col(cols[j])]
        halves.append((codes, lj, values))
    return halves


def _is_row_numbers(cells: list[str]) -> bool:
    """The 行次 column: small consecutive integers."""
    nums = [int(c) for c in (x.strip() for x in cells) if c.isdigit() and len(c) <= 3]
    return len(nums) >= 3 and sum(1 for a, b in zip(nums, nums[1:], strict=False) if b == a + 1) >= 0.7 * (
        len(nums) - 1
    )


def _code(cells: list[str], code_cols: list[int]) -> str:
    """类 | 款 | 项 code columns joined; a 款 or 项 printed without its leading zero ("301 | 2") is padded."""
    parts = [cells[j].strip() for j in code_cols if cells[j].strip()]
    return "".join(p if i == 0 or len(p) != 1 or not p.isdigit() else "0" + p for i, p in enumerate(parts))


def table_id(doc_id: str, index: int, t: TableData) -> str:
    return content_hash(doc_id, str(index), t.title, length=12)


NUMBERED = (
    (1, re.compile(r"^[一二三四五六七八九十]+[、.．]?$|^[一二三四五六七八九十]+、")),
    (2, re.compile(r"^[（(][一二三四五六七八九十]+[）)]")),
    (3, re.compile(r"^\d{1,2}[、.．]?$|^\d{1,2}[、.．](?!\d)")),
)


def _numbering_level(cells: list[str], label_col: int) -> int:
    """一、 → 1, （一） → 2, 1. → 3, from the label or a 序号 column before it; 0 when unnumbered."""
    for c in [cells[label_col]] + [cells[j] for j in range(label_col)]:
        c = c.strip().replace(" ", "")
        for level, pat in NUMBERED:
            if c and pat.match(c):
                return level
    return 0


def _half_flow(paths: list[str], lj: int, values: list[int], t: TableData) -> str:
    """收入 | 支出 of one half of a side-by-side 总表, from the header above its columns."""
    heads = " ".join(paths[j] for j in [lj, *values] if 0 <= j < len(paths))
    has_in, has_out = "收入" in heads, "支出" in heads
    return "收入" if has_in and not has_out else "支出" if has_out and not has_in else ""


class _PathTracker:
    """Classification path of each row: by 功能/经济分类 code prefix where codes are printed,
    else by the 一、（一）、1 numbering that city 附表 use instead."""

    def __init__(self) -> None:
        self.by_code: dict[str, str] = {}
        self.stack: list[tuple[int, str]] = []

    def path(self, code: str, label: str, level: int) -> tuple[str, ...]:
        name = norm(label)
        if code and CODE.match(code):
            self.by_code[code] = name
            anc = [self.by_code.get(code[:n], "") for n in (3, 5) if n < len(code)]
            return tuple(a for a in anc if a) + (name,)
        if level:
            while self.stack and self.stack[-1][0] >= level:
                self.stack.pop()
            self.stack.append((level, name))
            return tuple(n for _, n in self.stack)
        return (name,) if name else ()


def table_facts(
    doc_id: str,
    tid: str,
    t: TableData,
    page: int | None,
    report_kind: str = "other",
    year: int | None = None,
) -> list[Fact]:
    width = max((len(r) for r in t.header + t.rows), default=0)
    if not width:
        return []
    unit = t.unit
    if not t.aligned:
        return _flagged_facts(doc_id, tid, t, page)
    paths = _column_paths(t.header, width)
    profile = table_profile(t.title, report_kind, year)
    facts: list[Fact] = []
    for codes, lj, values in _halves(t, width):
        flow = _half_flow(paths, lj, values, t) if profile.name in ("总表", "财政拨款总表") else ""
        tracker = _PathTracker()
        under = ""  # the carry-over row the fund rows below it belong to
        for i, r in enumerate(t.rows):
            cells = list(r) + [""] * (width - len(r))
            label = re.sub(r"\s+", "", cells[lj]) if lj >= 0 else ""
            code = _code(cells, codes)
            if lj >= 0 and not label and not code:
                continue
            if lj < 0 and all(ROW_NO.match(c.strip()) for c in cells if c.strip()):
                continue  # the 栏次 row "1 2 3 …" under a header
            path = tracker.path(code, label, _numbering_level(cells, lj) if lj >= 0 else 0)
            under = carry_item(label) or (under if label and fund_of(label) and not code else "")
            for j in values:
                v = parse_decimal(cells[j])
                if v is None:
                    continue
                cell_unit = "%" if cells[j].strip().endswith("%") else unit
                column = paths[j] if j < len(paths) else ""
                key = _key(
                    profile, label, path, column, flow, report_kind, year, under if not carry_item(label) else ""
                )
                if key is not None and key.kind != "level":
                    cell_unit = "%"
                facts.append(
                    Fact(
                        doc_id=doc_id,
                        table_id=tid,
                        table_title=t.title,
                        row_label=label,
                        code=code,
                        column=column,
                        value=v,
                        unit=cell_unit,
                        value_yuan=to_yuan(v, cell_unit),
                        page=page,
                        source=" | ".join(c for c in r if c),
                        key=key,
                        doubt=ocr_doubt(t.score(i, j)),
                    )
                )
    return facts + _totals_as_wholes(facts)


def ocr_doubt(score: float) -> str:
    """Why a cell read by OCR can't decide a check ("" when it was read surely)."""
    return f"扫描页OCR识读置信度{score:.2f}，数字可能读错" if score < OCR_DOUBT_BELOW else ""


def _totals_as_wholes(facts: list[Fact]) -> list[Fact]:
    """A table with no carry-over rows (most 预算 tables) has 总计 = the whole: "财政拨款支出预算X万元"
    is its 支出总计. Such cells get a second fact keyed as the whole, unless a 合计 row gives it."""
    keyed = [f for f in facts if f.key is not None]
    if any(f.key.item in CARRY for f in keyed):  # type: ignore[union-attr]
        return []
    wholes = {replace(f.key, item="") for f in keyed if f.key.item == ""}  # type: ignore[union-attr]
    out = []
    for f in keyed:
        k = f.key
        assert k is not None
        if k.item == "总计" and replace(k, item="") not in wholes:
            out.append(replace(f, key=replace(k, item="")))
    return out


def _key(
    profile: TableProfile,
    label: str,
    path: tuple[str, ...],
    column: str,
    flow: str,
    report_kind: str,
    year: int | None,
    under: str = "",
) -> FigureKey | None:
    return cell_key(profile, label, path if len(path) > 1 else (), column, flow, report_kind, year, under)


def _flagged_facts(doc_id: str, tid: str, t: TableData, page: int | None) -> list[Fact]:
    facts = []
    for r in t.rows:
        label = next((c for c in r if parse_decimal(c) is None and not CODE.match(c)), "")
        code = next((c for c in r if CODE.match(c)), "")
        for c in r:
            v = parse_decimal(c)
            if v is None or CODE.match(c) or (ROW_NO.match(c) and "." not in c and len(c) <= 2):
                continue
            u = "%" if c.endswith("%") else t.unit
            facts.append(
                Fact(
                    doc_id=doc_id,
                    table_id=tid,
                    table_title=t.title,
                    row_label=re.sub(r"\s+", "", label),
                    code=code,
                    column="",
                    value=v,
                    unit=u,
                    value_yuan=to_yuan(v, u),
                    page=page,
                    source=" | ".join(r),
                    flagged=True,
                )
            )
    return facts


def report_facts(report: Report) -> list[Fact]:
    out: list[Fact] = []
    for i, b in enumerate(report.tables):
        if b.table is not None:
            tid = table_id(report.doc_id, i, b.table)
            out.extend(table_facts(report.doc_id, tid, b.table, b.page, report.kind, report.year))
    return out
