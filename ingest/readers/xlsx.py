"""Excel .xlsx (openpyxl) → Report. Formulas are read as their cached values (data_only): the figures the
budget office saw and printed; each number is shown as the sheet's number format shows it."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest.errors import DocumentError
from ingest.model import Report
from ingest.readers.numfmt import format_date, format_number
from ingest.readers.sheets import Sheet, sheets_report


def cell_text(value: Any, number_format: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return format_number(value, number_format)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return format_date(value)
    return str(value).strip()


def _print_area(ws: Any) -> list[tuple[int, int, int, int]]:
    from openpyxl.utils.cell import range_boundaries

    area = ws.print_area
    if not area:
        return []
    out = []
    for part in area if isinstance(area, list) else str(area).split(","):
        ref = part.split("!")[-1].replace("$", "").strip()
        try:
            c0, r0, c1, r1 = range_boundaries(ref)
        except ValueError:
            continue
        if None not in (c0, r0, c1, r1):
            out.append((r0, c0, r1, c1))
    return out


def read_sheet(ws: Any, index: int) -> Sheet:
    values: dict[tuple[int, int], str] = {}
    for row in ws.iter_rows(max_row=min(ws.max_row, 20000)):
        for cell in row:
            if cell.value is not None and (text := cell_text(cell.value, cell.number_format)):
                values[cell.row, cell.column] = text
    hidden_cols = {
        c for d in ws.column_dimensions.values() if d.hidden and d.min and d.max for c in range(d.min, d.max + 1)
    }
    hidden_rows = {r for r, d in ws.row_dimensions.items() if d.hidden}
    merges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
    return Sheet(ws.title, index, values, merges, hidden_rows, hidden_cols, _print_area(ws))


def read(path: Path, on_page: Callable[[int, int], None] | None = None) -> Report:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise DocumentError(
            str(path),
            f"无法作为 XLSX 读取（{type(exc).__name__}）：文件不完整或不是 Excel 工作簿；请重新下载或另存为 .xlsx",
        ) from None
    sheets = []
    for i, ws in enumerate(wb.worksheets, start=1):
        if ws.sheet_state == "visible":  # hidden sheets hold lookups, not the published tables
            sheets.append(read_sheet(ws, i))
        if on_page:
            on_page(i, len(wb.worksheets))
    return sheets_report(path, sheets, "xlsx", len(wb.worksheets))
