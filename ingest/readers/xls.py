"""Excel 97–2003 .xls (xlrd 2.x, which reads only this format) → Report, by the same sheet rules as .xlsx.

Budget portals often serve an .xlsx or a saved web page under an .xls name: the file's first bytes
decide which reader reads it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest.errors import DocumentError
from ingest.model import Report
from ingest.readers.numfmt import format_date, format_number
from ingest.readers.sheets import Sheet, sheets_report

XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # OLE2 compound file


def _cell_text(book: Any, cell: Any) -> str:
    import xlrd

    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return ""
    if cell.ctype == xlrd.XL_CELL_TEXT:
        return str(cell.value).strip()
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if cell.value else "FALSE"
    fmt = None
    xf = book.xf_list[cell.xf_index] if cell.xf_index is not None and cell.xf_index < len(book.xf_list) else None
    if xf is not None and xf.format_key in book.format_map:
        fmt = book.format_map[xf.format_key].format_str
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return format_date(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return format_number(cell.value, None)
    return format_number(cell.value, fmt)


def _print_areas(book: Any) -> dict[int, list[tuple[int, int, int, int]]]:
    """Sheet index → its print area(s), 1-based inclusive (xlrd gives 0-based half-open ranges)."""
    out: dict[int, list[tuple[int, int, int, int]]] = {}
    for name in book.name_obj_list:
        if name.name.lower() not in ("print_area", "\x06") or name.scope < 0:
            continue
        try:
            for ref in name.result.value if name.result is not None else []:
                out.setdefault(name.scope, []).append((ref.rowxlo + 1, ref.colxlo + 1, ref.rowxhi, ref.colxhi))
        except (AttributeError, TypeError):
            continue
    return out


def read(path: Path, on_page: Callable[[int, int], None] | None = None) -> Report:
    head = path.read_bytes()[:512]
    if head.startswith(b"PK"):
        from ingest.readers import xlsx

        return xlsx.read(path, on_page)
    if not head.startswith(XLS_MAGIC) and b"<" in head[:64]:
        from ingest.readers import html

        return html.read(path, on_page)
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True)
    except (xlrd.XLRDError, OSError, ValueError, AssertionError, IndexError) as exc:
        raise DocumentError(
            str(path),
            f"无法作为 XLS 读取（{type(exc).__name__}）：文件不完整或不是 Excel 工作簿；请重新下载或另存为 .xlsx",
        ) from None
    areas = _print_areas(book)
    sheets = []
    for i, sh in enumerate(book.sheets()):
        if on_page:
            on_page(i + 1, book.nsheets)
        if sh.visibility != 0:  # hidden sheets hold lookups, not the published tables
            continue
        values = {}
        for r in range(min(sh.nrows, 20000)):
            for c in range(sh.ncols):
                if text := _cell_text(book, sh.cell(r, c)):
                    values[r + 1, c + 1] = text
        merges = [(r0 + 1, c0 + 1, r1, c1) for r0, r1, c0, c1 in sh.merged_cells]
        hidden_rows = {r + 1 for r, info in sh.rowinfo_map.items() if info.hidden}
        hidden_cols = {c + 1 for c, info in sh.colinfo_map.items() if info.hidden}
        sheets.append(Sheet(sh.name, i + 1, values, merges, hidden_rows, hidden_cols, areas.get(i, [])))
    return sheets_report(path, sheets, "xls", book.nsheets)
