"""A table as a grid of cells with merged regions (a sheet, a Word table, an HTML table) → lines of the
document model: its title, code and unit lines above it, the table (header rows, body rows), notes below.

Shared by the sheet, Word and web readers so a table reads the same whatever format carried it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.cells import clean_cell
from ingest.lines import NOTE_LINE, TABLE_CONTEXT, UNIT_LINE, Line, is_table_title
from ingest.model import TableData
from ingest.text_tables import is_header_row, is_number, table_code, unit_of

MAX_HEADER_ROWS = 5
NUMERIC = re.compile(r"^[-−(（]?[\d,]+(\.\d+)?%?[)）]?$")


@dataclass
class Grid:
    """cells[r][c]: the text a cell shows ("" for none and for slots a merged cell covers);
    merges: (first row, first col, last row, last col) in grid coordinates, inclusive;
    rows/cols: each grid row's and column's number in the source (1-based), for cell references."""

    cells: list[list[str]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    cols: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        width = max((len(r) for r in self.cells), default=0)
        self.cells = [[clean_cell(c) for c in r] + [""] * (width - len(r)) for r in self.cells]
        self.rows = self.rows or list(range(1, len(self.cells) + 1))
        self.cols = self.cols or list(range(1, width + 1))


@dataclass
class GridTable:
    above: list[str]  # title, code, unit and "编制单位：" lines printed above the table
    table: TableData | None
    below: list[str]  # notes under it ("注：…")
    first_row: int = 0  # the table's extent in source rows/cols (1-based, inclusive)
    last_row: int = 0
    first_col: int = 0
    last_col: int = 0


def _filled(row: list[str]) -> list[str]:
    return [c for c in row if c]


def _distinct(row: list[str]) -> list[str]:
    seen: list[str] = []
    for c in row:
        if c and c not in seen:
            seen.append(c)
    return seen


def _is_context(row: list[str]) -> bool:
    """A line printed above a table: one text (the title, "表16", "单位：亿元"), or only unit / 编制单位 / date
    texts ("编制单位：…    单位：万元")."""
    cells = _distinct(row)
    if not cells or any(NUMERIC.match(c) for c in cells if not table_code([c])):
        return False
    if len(cells) == 1:
        return True
    return all(UNIT_LINE.search(c) or TABLE_CONTEXT.match(c) or re.search(r"\d{4}\s*年.*月|日期", c) for c in cells)


def _is_note(row: list[str], width: int) -> bool:
    cells = _distinct(row)
    return len(cells) == 1 and (bool(NOTE_LINE.match(cells[0])) or len(cells[0]) > 40 or width <= 1)


def _spread_header(cells: list[list[str]], merges: list[tuple[int, int, int, int]], n_header: int) -> None:
    """A merged header cell names every column (and row) it spans: "政府债务限额总额" over 合计/一般/专项."""
    for r0, c0, r1, c1 in merges:
        if r0 >= n_header:
            continue
        value = cells[r0][c0]
        for r in range(r0, min(r1, n_header - 1) + 1):
            for c in range(c0, c1 + 1):
                if not cells[r][c]:
                    cells[r][c] = value


def grid_table(grid: Grid) -> GridTable:
    """Context rows above, header and body rows, notes below. Empty rows and columns are dropped."""
    keep_rows = [i for i, r in enumerate(grid.cells) if any(r)]
    keep_cols = [j for j in range(len(grid.cols)) if any(grid.cells[i][j] for i in keep_rows)]
    if not keep_rows or not keep_cols:
        return GridTable([], None, [])
    row_at = {old: new for new, old in enumerate(keep_rows)}
    col_at = {old: new for new, old in enumerate(keep_cols)}
    cells = [[grid.cells[i][j] for j in keep_cols] for i in keep_rows]
    merges = []
    for r0, c0, r1, c1 in grid.merges:
        rs = [row_at[r] for r in range(r0, r1 + 1) if r in row_at]
        cs = [col_at[c] for c in range(c0, c1 + 1) if c in col_at]
        if rs and cs and (r0 in row_at and c0 in col_at):
            merges.append((rs[0], cs[0], rs[-1], cs[-1]))
    width = len(keep_cols)
    top = 0
    while top < len(cells) - 1 and _is_context(cells[top]):
        top += 1
    bottom = len(cells)
    while bottom - 1 > top and _is_note(cells[bottom - 1], width):
        bottom -= 1
    above = [" ".join(_distinct(r)) for r in cells[:top]]
    below = [" ".join(_distinct(r)) for r in cells[bottom:]]
    body = cells[top:bottom]
    n_header = 0
    while n_header < min(len(body) - 1, MAX_HEADER_ROWS) and is_header_row(tuple(body[n_header])):
        n_header += 1
    if len(body) < 2 or not any(is_number(c) for r in body[n_header:] for c in r):
        # no figures: a text sheet ("说明"), or a form of labels; its lines are paragraphs
        lines = above + [" ".join(_filled(r)) for r in body] + below
        return GridTable(lines, None, [])
    local = [(r0 - top, c0, r1 - top, c1) for r0, c0, r1, c1 in merges if r0 >= top and r1 < bottom]
    _spread_header(body, local, n_header)
    header = tuple(tuple(r) for r in body[:n_header])
    rows = tuple(tuple(r) for r in body[n_header:])
    titles = [c for c in above if is_table_title(c) and not table_code([c])]
    title = titles[-1] if titles else next((c for c in above if not table_code([c]) and not UNIT_LINE.search(c)), "")
    unit = unit_of(above) or unit_of([c for r in header for c in r])
    table = TableData(title=title, unit=unit, header=header, rows=rows, code=table_code(above))
    src_rows = [grid.rows[keep_rows[i]] for i in range(0, bottom)]  # the title above is part of what is printed
    src_cols = [grid.cols[j] for j in keep_cols]
    return GridTable(above, table, below, src_rows[0], src_rows[-1], src_cols[0], src_cols[-1])


def table_lines(gt: GridTable, page: int, locator: str, context: bool = True) -> list[Line]:
    """The lines a table contributes to the document's stream. context=False leaves out the lines above
    (a Word table's title is the paragraph before it, already in the stream)."""
    out = [Line(c, page) for c in gt.above] if context or gt.table is None else []
    if gt.table is not None:
        from dataclasses import replace

        out.append(Line("", page, table=replace(gt.table, locator=locator)))
    out += [Line(c, page) for c in gt.below]
    return out


def column_letter(n: int) -> str:
    """1 → A, 27 → AA."""
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def cell_range(gt: GridTable) -> str:
    return f"{column_letter(gt.first_col)}{gt.first_row}:{column_letter(gt.last_col)}{gt.last_row}"
