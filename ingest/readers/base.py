"""What every reader shares: lines → Report through parse.report_from_lines, then the format's locators
(what a citation names where the format has no pages) and the source format recorded on the report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ingest.lines import Line
from ingest.model import Block, Report
from ingest.parse import report_from_lines, sha256_file


def paragraph_locator(label: str) -> Callable[[Block], str]:
    """ "Word 文档 · 二、支出预算情况": the format, then the heading the paragraph stands under."""

    def where(block: Block) -> str:
        return f"{label} · {block.section_path[-1]}" if block.section_path else label

    return where


def build_report(
    path: Path,
    lines: list[Line],
    *,
    source_format: str,
    pages: int,
    where: Callable[[Block], str] | None = None,
    encoding: str = "",
) -> Report:
    """The report of these lines. `where(block)` gives a paragraph's locator (None: paragraphs are cited
    by page); a table's comes from its TableData.locator when the reader set one."""
    report = report_from_lines(
        lines,
        doc_id=path.stem,
        path=str(path),
        sha256=sha256_file(path),
        encoding=encoding or source_format,
        pages=pages,
    )
    blocks = []
    for b in report.blocks:
        if b.table is not None and b.table.locator:
            b = replace(b, locator=b.table.locator)
        elif where is not None:
            b = replace(b, locator=where(b))
        blocks.append(b)
    return replace(report, blocks=tuple(blocks), source_format=source_format)
