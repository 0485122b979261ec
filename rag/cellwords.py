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


def column_names(header_rows: list[str], width: int) -> list[str]:
    """Each column's name from the header rows as wide as the row: the lowest row's word for it, skipping
    column numbers ("栏次 | | 1 | 2") — [] when no header row fits."""
    names = [""] * width
    fits = False
    for h in header_rows:
        cells = h.split(SEP)
        if len(cells) != width:
            continue
        fits = True
        for i, c in enumerate(cells):
            c = c.strip()
            if c and not NUMBER.match(c) and c not in ("栏次", "行次栏次"):
                names[i] = c
    return names if fits else []


def row_in_words(row: str, header_rows: list[str], unit: str, relevance: Callable[[str], float]) -> str | None:
    """The row's part that the question asks about, in words; None when the row has no labelled figure.
    relevance scores a label against the question (the best-scored label of the row is said)."""
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
