"""Plain text and Markdown (.txt/.md): any encoding a budget office uses, pages from form feeds or
printed page numbers (parse.parse_text_bytes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ingest.model import Report
from ingest.parse import parse_text_bytes


def read(path: Path, on_page: Callable[[int, int], None] | None = None) -> Report:
    report = parse_text_bytes(path.read_bytes(), doc_id=path.stem, path=str(path))
    return replace(report, source_format="md" if path.suffix.lower() in (".md", ".markdown") else "txt")
