"""PDF → Report: the engine is ingest.pdf (text layer, tables, OCR of scanned pages)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ingest.model import Report


def read(path: Path, on_page: Callable[[int, int], None] | None = None) -> Report:
    from ingest.pdf import parse_pdf  # pdfplumber is imported only when a PDF is read

    return replace(parse_pdf(path, on_page), source_format="pdf")
