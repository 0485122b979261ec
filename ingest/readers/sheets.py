"""A worksheet (from .xlsx or .xls) → lines: one sheet is one table, its rows and columns as printed.

Rows and columns the sheet hides, and those outside its print area (helper columns, query codes), are
not part of the printed table and are left out. A merged cell's text stands in its first visible slot."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ingest.errors import DocumentError
from ingest.lines import Line
from ingest.model import Report
from ingest.readers.base import build_report
from ingest.readers.grid import Grid, cell_range, grid_table, table_lines

MAX_ROWS = 20000  # a sheet "used" down to row 1048576 by formatting alone holds no more table than this


@dataclass
class Sheet:
    """A sheet as read by either library; rows and columns 1-based, ranges inclusive."""

    name: str
    index: int  # the sheet's place among the workbook's tabs, 1-based: the "page" its blocks cite
    values: dict[tuple[int, int], str]  # (row, col) → the text the cell shows
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # (row0, col0, row1, col1)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    print_area: list[tuple[int, int, int, int]] = field(default_factory=list)  # empty: the whole sheet


def _visible(n: int, hidden: set[int], spans: list[tuple[int, int]]) -> bool:
    return n not in hidden and (not spans or any(a <= n <= b for a, b in spans))


def sheet_grid(sheet: Sheet) -> Grid:
    if not sheet.values:
        return Grid([])
    max_row = min(max(r for r, _ in sheet.values), MAX_ROWS)
    max_col = max(c for _, c in sheet.values)
    row_spans = [(r0, r1) for r0, _, r1, _ in sheet.print_area]
    col_spans = [(c0, c1) for _, c0, _, c1 in sheet.print_area]
    rows = [r for r in range(1, max_row + 1) if _visible(r, sheet.hidden_rows, row_spans)]
    cols = [c for c in range(1, max_col + 1) if _visible(c, sheet.hidden_cols, col_spans)]
    row_at = {r: i for i, r in enumerate(rows)}
    col_at = {c: j for j, c in enumerate(cols)}
    cells = [[sheet.values.get((r, c), "") for c in cols] for r in rows]
    merges = []
    for r0, c0, r1, c1 in sheet.merges:
        rs = [row_at[r] for r in range(r0, r1 + 1) if r in row_at]
        cs = [col_at[c] for c in range(c0, c1 + 1) if c in col_at]
        if not rs or not cs:
            continue
        value = sheet.values.get((r0, c0), "")
        for i in rs:
            for j in cs:
                cells[i][j] = ""
        cells[rs[0]][cs[0]] = value  # a title merged from a hidden column still shows
        merges.append((rs[0], cs[0], rs[-1], cs[-1]))
    return Grid(cells, merges, rows, cols)


def sheets_report(path: Path, sheets: list[Sheet], source_format: str, n_sheets: int) -> Report:
    """Every sheet with something printed on it, in tab order; empty sheets are skipped."""
    lines: list[Line] = []
    names: dict[int, str] = {}
    for sheet in sheets:
        gt = grid_table(sheet_grid(sheet))
        if gt.table is None and not gt.above:
            continue
        names[sheet.index] = sheet.name
        where = f"工作表「{sheet.name}」"
        lines += table_lines(gt, sheet.index, where + cell_range(gt) if gt.table is not None else where)
    if not lines:
        raise DocumentError(str(path), f"{source_format.upper()} 工作簿中没有可读的内容：各工作表都是空的")
    return build_report(
        path,
        lines,
        source_format=source_format,
        pages=n_sheets,
        where=lambda b: f"工作表「{names.get(b.page or 0, '')}」",
    )
