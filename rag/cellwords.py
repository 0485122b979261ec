"""A table row said in words: the item the question asks about and its figure(s), named by their column,
instead of the row's cells joined by "|" ("政府性基金预算财政拨款收入42,400.00万元", not
"二、政府性基金预算财政拨款收入 | 2 | 42,400.00 | 二、外交支出 | 32 | 0.00"). The row itself stays the
citation's quote, so what is said can be checked against what is printed."""

from __future__ import annotations

import re
from collections.abc import Callable

from ingest.model import Fact

SEP = " | "
NUMBER = re.compile(r"^-?\(?-?[\d,]+(?:\.\d+)?\)?%?$")
# sequence numbers and classification codes before an item: "1", "（一）", "201", "2010301", "一、"
CODE = re.compile(r"^(?:[\d.]+|[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+[、.．])$")
LEADING_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．])\s*")
# columns that only say "the amount": the figure is said without them
PLAIN = re.compile(
    r"^(?:金额|数额|决算数|预算数|本年预算数?|本年决算数?|合计|小计|预算|决算|数|金额[（(][万亿]?元[)）])$"
)
ROW_NUMBER_COLUMN = re.compile(r"行次|栏次|序号|编码|代码|科目编码")


def _is_label(cell: str) -> bool:
    c = cell.strip()
    return bool(c) and not NUMBER.match(c) and not CODE.match(c) and bool(re.search(r"[\u4e00-\u9fff]", c))


def _segments(cells: list[str], header: list[str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(label, [(column name, value)]) for each label of the row and the figures after it (a 总表 row holds
    an income item and an expenditure item side by side)."""
    out: list[tuple[str, list[tuple[str, str]]]] = []
    for i, cell in enumerate(cells):
        c = cell.strip()
        col = header[i].strip() if i < len(header) else ""
        nxt = cells[i + 1].strip() if i + 1 < len(cells) else ""
        # without a header, a small whole number right after the label and before a figure is its 行次
        row_number = not header and out and not out[-1][1] and re.fullmatch(r"\d{1,3}", c) and NUMBER.match(nxt)
        if _is_label(c):
            out.append((c, []))
        elif out and NUMBER.match(c) and not ROW_NUMBER_COLUMN.search(col) and not row_number:
            out[-1][1].append((col, c))
    return out


# a header row of column letters or formulas ("公式 | A=B+C | B | C") names nothing
FORMULA = re.compile(r"^(?:公式|[A-Z](?:\s*[=+\-－*/×]\s*[A-Z\d]+)*)$")
COLUMN_NUMBERS = ("栏次", "行次栏次")
# a column said alone when the question asks for it this much more than for any other column of the row
ONE_COLUMN_MARGIN = 0.15
ONE_COLUMN_MIN = 0.5


def _header_word(cell: str) -> str:
    c = cell.strip()
    return "" if not c or NUMBER.match(c) or FORMULA.match(c) or c in COLUMN_NUMBERS else c


def column_names(header_rows: list[str], width: int) -> list[str]:
    """Each column's name from the header rows: its words from the top row down, a merged upper cell
    spanning the empty cells after it ("2025年政府债务余额（预计数）" over "一般债务 | 专项债务"), skipping
    column numbers and formula rows ("栏次 | 1 | 2", "公式 | A=B+C"). [] when no header row is as wide
    as the row (the header can't be aligned with it)."""
    rows = [[c.strip() for c in h.split(SEP)] for h in header_rows]
    if not any(len(r) == width for r in rows):
        return []
    rows = [r + [""] * (width - len(r)) for r in rows if len(r) <= width]
    rows = [r for r in rows if any(_header_word(c) for c in r)]
    paths: list[list[str]] = [[] for _ in range(width)]
    for k, r in enumerate(rows):
        carry = ""
        for i, cell in enumerate(r):
            c = _header_word(cell)
            if c:
                carry = c
            elif k < len(rows) - 1 and i > 0:
                c = carry  # a merged cell of an upper row covers the columns after it until the next word
            if c and c not in paths[i]:
                paths[i].append(c)
    names = []
    for parts in paths:
        meaningful = [p for p in parts if not PLAIN.match(p.replace(" ", ""))]
        names.append("".join(meaningful) or (parts[-1] if parts else ""))
    return names


def row_in_words(
    row: str,
    header_rows: list[str],
    unit: str,
    relevance: Callable[[str], float],
    column_relevance: Callable[[str, str], tuple[float, float]] | None = None,
) -> str | None:
    """The row's part that the question asks about, in words; None when the row has no labelled figure.
    relevance scores a label against the question (the best-scored label of the row is said);
    column_relevance scores (item, column name): how much of the question they cover, then how little
    they add to it. A column the question asks for clearly more than the others (or as much as its
    sub-columns, with fewer words) is said alone ("防城港市2025年政府债务余额（预计数）3,755,864万元")."""
    cells = row.split(SEP)
    header = column_names(header_rows, len(cells))
    segs = [s for s in _segments(cells, header) if s[1]]
    if not segs:
        return None
    label, values = max(segs, key=lambda s: relevance(s[0]))
    if 2 * sum("." in v for _, v in values) > len(values):
        # most amounts printed with decimals: bare small whole numbers among them are 行次
        values = [(c, v) for c, v in values if not re.fullmatch(r"\d{1,3}", v)] or values
    item = LEADING_NUMBERING.sub("", label).strip()
    u = unit if unit and unit != "%" else ""
    if len(values) == 1 or all(PLAIN.match(c.replace(" ", "")) for c, _ in values):
        return f"{item}{values[0][1]}{u}"
    if column_relevance is not None and all(c for c, _ in values):
        scored = sorted(((*column_relevance(item, c), c, v) for c, v in values), key=lambda t: (-t[0], -t[1]))
        (best, tie_break, col, v), rest = scored[0], scored[1:]
        clear = all(o[0] <= best - ONE_COLUMN_MARGIN or o[0] <= best + 1e-9 and o[1] < tie_break for o in rest)
        if best >= ONE_COLUMN_MIN and clear:
            return f"{item}{col}{v}{u}" if col not in item else f"{item}{v}{u}"
    if not all(c for c, _ in values):  # figures whose columns can't be named: listed in order
        return f"{item}{'、'.join(v for _, v in values[:6])}（单位：{u or '见表头'}）"
    said = "，".join(f"{c or '数额'}{v}{u}" for c, v in values[:6])
    return f"{item}：{said}"


def cell_in_words(f: Fact) -> str:
    """One keyed cell in words: its row's item, its column when that says more than "the amount", its
    figure as printed in the table's unit ("一般公共服务支出（基本支出）1,000.00万元")."""
    item = LEADING_NUMBERING.sub("", f.row_label).strip()
    col = f.column.split(">")[-1].strip() if f.column else ""
    named = f"{item}（{col}）" if col and not PLAIN.match(col.replace(" ", "")) and col not in item else item
    unit = f.unit if f.unit != "%" else "%"
    return f"{named}{f.value:,}{unit}"
