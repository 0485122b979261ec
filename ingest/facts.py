"""Tables → facts: one (row × column × unit) value per cell, with codes and column paths.

Side-by-side tables (收入 | 支出; 人员经费 | 公用经费) are split into halves, each row keeping its own
label. Rows of tables whose columns could not be recovered (pdftotext layout) keep their numbers
with `flagged=True` and an empty column instead of a guess.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from ingest.model import Fact, Report, TableData, content_hash

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
    """(code columns, label column, value columns) per half of the table."""
    cols = [[r[j] if j < len(r) else "" for r in t.rows] for j in range(width)]
    labels = [j for j in range(width) if _is_label_col(cols[j])]
    if not labels:
        return []
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


def table_id(doc_id: str, index: int, t: TableData) -> str:
    return content_hash(doc_id, str(index), t.title, length=12)


def table_facts(doc_id: str, tid: str, t: TableData, page: int | None) -> list[Fact]:
    width = max((len(r) for r in t.header + t.rows), default=0)
    if not width:
        return []
    unit = t.unit
    if not t.aligned:
        return _flagged_facts(doc_id, tid, t, page)
    paths = _column_paths(t.header, width)
    facts: list[Fact] = []
    for codes, lj, values in _halves(t, width):
        for r in t.rows:
            cells = list(r) + [""] * (width - len(r))
            label = re.sub(r"\s+", "", cells[lj])
            code = "".join(cells[j].strip() for j in codes if cells[j].strip())
            if not label and not code:
                continue
            for j in values:
                v = parse_decimal(cells[j])
                if v is None:
                    continue
                cell_unit = "%" if cells[j].strip().endswith("%") else unit
                facts.append(
                    Fact(
                        doc_id=doc_id,
                        table_id=tid,
                        table_title=t.title,
                        row_label=label,
                        code=code,
                        column=paths[j] if j < len(paths) else "",
                        value=v,
                        unit=cell_unit,
                        value_yuan=to_yuan(v, cell_unit),
                        page=page,
                        source=" | ".join(c for c in r if c),
                    )
                )
    return facts


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
            out.extend(table_facts(report.doc_id, table_id(report.doc_id, i, b.table), b.table, b.page))
    return out
