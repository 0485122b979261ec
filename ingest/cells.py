"""Table cells as printed → TableData: shared by the PDF text layer and OCR'd pages, so a scanned table
becomes the same rows, header and facts as a text one."""

from __future__ import annotations

import re

from ingest.lines import is_table_title
from ingest.model import TableData
from ingest.text_tables import is_header_row

LETTER_SPACED = re.compile(r"^[\u4e00-\u9fff](?: [\u4e00-\u9fff])+$")


def clean_cell(cell: str | None) -> str:
    if cell is None:
        return ""
    # Wrapped cells: a line break inside a CJK label is not a space.
    cell = re.sub(r"(?<=[\u4e00-\u9fff（）()])\s*\n\s*(?=[\u4e00-\u9fff（）()])", "", cell)
    return join_letter_spaced(re.sub(r"\s+", " ", cell).strip())


def join_letter_spaced(text: str) -> str:
    """Justified headings and cells print one character per slot ("合 计", "决 算", "部 门 预 算");
    a letter O typed for a zero between digits ("2O21年") is read as the zero it stands for."""
    text = re.sub(r"(?<=\d)[OoΟ](?=\d)", "0", text)
    return text.replace(" ", "") if LETTER_SPACED.match(text) else text


def table_from_cells(rows: list[list[str | None]], scores: list[list[float]] | None = None) -> TableData | None:
    """Rows of cells (None where a merged cell covers the slot) → header rows and body rows.
    `scores` (OCR) gives each cell's reading confidence; body rows keep theirs."""
    cleaned = []
    for i, r in enumerate(rows):
        cells = tuple(clean_cell(c) for c in r)
        if any(cells):
            cleaned.append((cells, tuple(scores[i]) if scores else ()))
    if len(cleaned) < 2:
        return None
    header: list[tuple[str, ...]] = []
    body: list[tuple[str, ...]] = []
    body_scores: list[tuple[float, ...]] = []
    for cells, row_scores in cleaned:
        if not body and is_header_row(cells):
            header.append(cells)
        else:
            body.append(cells)
            body_scores.append(row_scores)
    data = TableData(title="", unit="", header=tuple(header), rows=tuple(body))
    unit = next((m.group(1) for r in header for c in r if (m := re.search(r"单位[:：]\s*(万元|亿元|元)", c))), "")
    return TableData(
        title=own_title(data),
        unit=unit,
        header=data.header,
        rows=data.rows,
        scores=tuple(body_scores) if scores else (),
    )


def own_title(t: TableData) -> str:
    """A table whose first header row is a title ("2026年预算单位财政拨款收支预算总表" printed inside the
    ruled area) is a new table, not the continuation of the one before it."""
    for row in t.header[:2]:
        cells = [c for c in row if c]
        if len(cells) == 1 and is_table_title(cells[0]):
            return cells[0]
    return ""
