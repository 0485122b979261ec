"""One reader per format, each producing the same document model (ingest.model.Report) through
parse.report_from_lines; the rest of ingest/ never asks which format a report came from.

READERS maps a file suffix to the module whose `read(path, on_page)` reads it; REFUSED names formats
that are recognised but not read, with what to do instead. Modules are imported only when a file of
their format is read (pdfplumber, openpyxl, lxml … load on demand)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from ingest.errors import DocumentError
from ingest.model import Report

READERS: dict[str, str] = {
    ".pdf": "pdf",
    ".txt": "text",
    ".md": "text",
    ".markdown": "text",
    ".docx": "docx",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".html": "html",
    ".htm": "html",
    ".shtml": "html",
    ".doc": "doc",
}
SUPPORTED = frozenset(READERS)

# Recognised and refused, each with the way out: one line the user can act on.
REFUSED: dict[str, str] = {
    ".ofd": "不支持的格式 .ofd：请先导出为 PDF",
    ".wps": "不支持的格式 .wps（WPS 文字）：请在 WPS 中另存为 .docx 或导出为 PDF",
    ".et": "不支持的格式 .et（WPS 表格）：请在 WPS 中另存为 .xlsx",
    ".dps": "不支持的格式 .dps（WPS 演示）：请导出为 PDF",
    ".rtf": "不支持的格式 .rtf：请另存为 .docx 或导出为 PDF",
    ".odt": "不支持的格式 .odt：请另存为 .docx 或导出为 PDF",
    ".ods": "不支持的格式 .ods：请另存为 .xlsx",
    ".pptx": "不支持的格式 .pptx：请导出为 PDF",
    ".ppt": "不支持的格式 .ppt：请导出为 PDF",
    ".caj": "不支持的格式 .caj：请导出为 PDF",
    ".zip": "不支持的格式 .zip：请先解压，再读入其中的报告文件",
    ".rar": "不支持的格式 .rar：请先解压，再读入其中的报告文件",
    ".7z": "不支持的格式 .7z：请先解压，再读入其中的报告文件",
}
# Files that sit beside reports in a folder but are not reports (the corpus's own sidecars).
SIDECARS = frozenset({"sources.tsv", "facts.jsonl"})


def skip_reason(path: Path) -> str:
    """Why this file is not read ("" when a reader reads it): said in the ingest summary."""
    suffix = path.suffix.lower()
    if path.name.lower() in SIDECARS:
        return "不是报告文件"
    if suffix in READERS:
        return ""
    if suffix in REFUSED:
        return REFUSED[suffix]
    return f"不支持的格式 {suffix or '（无后缀）'}：能读入的是 {'、'.join(sorted(SUPPORTED))}"


def read_report(path: Path, on_page: Callable[[int, int], None] | None = None) -> Report:
    """Read one report with the reader for its suffix. Raises DocumentError naming the file and the fix."""
    if why := skip_reason(path):
        raise DocumentError(str(path), why)
    if not path.is_file():
        raise DocumentError(str(path), "找不到这个文件；请检查路径")
    module = importlib.import_module(f"ingest.readers.{READERS[path.suffix.lower()]}")
    return module.read(path, on_page)
