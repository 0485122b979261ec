"""Legacy Word / WPS .doc → Report through catdoc (Debian package `catdoc`), run offline as a subprocess.

Why catdoc: it is a small, long-kept Debian package that reads Word 97–2003 and WPS .doc binaries,
writes UTF-8, keeps table cells apart with tabs and pages apart with form feeds — exactly the text the
tab-table and page logic of the text reader already handles. (antiword is the fallback; it prints tables
with '|' and drops page breaks.) Python has no maintained .doc library.

catdoc prints Word's field codes (TOC, HYPERLINK, PAGEREF …) as text and, for a "fast-saved" file, some
bytes it cannot place as Latin-1 junk: both are removed, the rest is read as a text report."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from ingest.cells import table_from_cells
from ingest.errors import DocumentError
from ingest.lines import PAGE_NUMBER, Line
from ingest.model import Report
from ingest.readers.base import build_report, paragraph_locator

TIMEOUT_S = 120
FIELD_CODE = re.compile(
    r"\b(?:TOC|HYPERLINK|PAGEREF|REF|SEQ|STYLEREF|NUMPAGES|PAGE)\b"
    r"(?:\s+(?:\\[a-zA-Z*]+|_Toc\d+|_Ref\d+|\"[^\"]*\"|\\\"[^\"]*\"))+"
)
TOC_PAGE = re.compile(r"[ \t]+\d{1,4}[ \t]*$")
FAST_SAVED = re.compile(r"^\[This was fast-saved.*\]$")


def _plausible(ch: str) -> bool:
    """A character a Chinese budget report prints (catdoc's junk is Latin-1 and stray symbols)."""
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF
        or 0x20 <= o < 0x7F
        or ch in "\t\f"
        or 0x3000 <= o <= 0x303F
        or 0xFF00 <= o <= 0xFFEF
        or ch in "“”‘’—…·×"
    )


def clean_line(line: str) -> str:
    """A line with junk in it keeps its longest run of readable text when that run is real text (4+
    Chinese characters); a field code line keeps what the field shows."""
    had_field = bool(FIELD_CODE.search(line))
    line = FIELD_CODE.sub("", line)
    if had_field:
        line = TOC_PAGE.sub("", line).replace("\t", " ")  # a TOC entry: title, tab, page number
    if all(_plausible(ch) for ch in line):
        return line
    runs = re.split(r"[^\u4e00-\u9fff\x20-\x7e\t\u3000-\u303f\uff00-\uffef“”‘’—…·×]+", line)
    best = max(runs, key=len)
    return best if len(re.findall(r"[\u4e00-\u9fff]", best)) >= 4 else ""


def doc_text(path: Path) -> str:
    tool = shutil.which("catdoc")
    if tool:
        cmd = [tool, "-w", "-d", "utf-8", str(path)]
    elif tool := shutil.which("antiword"):
        cmd = [tool, "-m", "UTF-8.txt", str(path)]
    else:
        raise DocumentError(
            str(path), "不支持 .doc 格式：需要先安装 catdoc（apt-get install catdoc），或把文件另存为 .docx / PDF"
        )
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise DocumentError(str(path), f".doc 文件 {TIMEOUT_S} 秒内未读完；请另存为 .docx 或 PDF 后再读入") from None
    if done.returncode != 0 or not done.stdout.strip():
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise DocumentError(
            str(path), f"无法读取 .doc 文件（{why[0] if why else '没有文字'}）；请另存为 .docx 或 PDF 后再读入"
        )
    text = done.stdout.decode("utf-8", "replace")
    return "\n".join(clean_line(ln) for ln in text.split("\n") if not FAST_SAVED.match(ln.strip()))


def _is_row(line: str) -> bool:
    """A line of tab-separated cells, not a sentence with a tab in it ("14.节能环保…支出\t19669万元；")."""
    return "\t" in line and line.strip() != "" and line.rstrip()[-1] not in "。；;"


def _in_table(lines: list[str], i: int) -> bool:
    """A line without a tab between two rows still belongs to the table: a label whose figure cells are
    empty (catdoc prints no tabs for them), or a long cell Word wrapped onto a second paragraph."""
    line = lines[i].strip()
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    return bool(line) and len(line) <= 60 and line[-1] not in "。；;：:" and _is_row(nxt)


def _table_rows(region: list[str]) -> list[list[str | None]]:
    rows: list[list[str | None]] = []
    pending = ""
    for k, line in enumerate(region):
        if "\t" in line:
            cells = [c.strip() for c in line.split("\t")]
            if pending:  # a wrapped cell's first part: its end opens this line
                cells[0] = pending + cells[0]
                pending = ""
            rows.append(list(cells))
            continue
        nxt_first = region[k + 1].split("\t")[0].strip() if k + 1 < len(region) else ""
        if nxt_first and len(nxt_first) <= 8 and len(line.strip()) >= 10 and not nxt_first[0].isdigit():
            pending = line.strip()
        else:
            rows.append([line.strip()])
    width = max(len(r) for r in rows)
    return [r + [""] * (width - len(r)) for r in rows]


def doc_lines(text: str) -> tuple[list[Line], int]:
    """catdoc's text → lines, tables (runs of tab rows) read into TableData as the PDF reader does."""
    out: list[Line] = []
    pages = text.split("\f")
    for page_no, page in enumerate(pages, start=1):
        lines = [ln for ln in page.split("\n") if not PAGE_NUMBER.match(ln.strip())]
        i = 0
        while i < len(lines):
            if not _is_row(lines[i]):
                if lines[i].strip():
                    out.append(Line(lines[i].replace("\t", " ").strip(), page_no))
                i += 1
                continue
            region = []
            while i < len(lines) and (_is_row(lines[i]) or region and _in_table(lines, i)):
                region.append(lines[i])
                i += 1
            table = table_from_cells(_table_rows(region)) if len(region) >= 2 else None
            if table is None:
                out += [Line(r.replace("\t", " ").strip(), page_no) for r in region if r.strip()]
            else:
                out.append(Line("", page_no, table=table))
    return out, len(pages)


def read(path: Path, on_page: Callable[[int, int], None] | None = None) -> Report:
    if path.read_bytes()[:4] == b"PK\x03\x04":  # a .docx saved under a .doc name
        from ingest.readers import docx

        return docx.read(path, on_page)
    lines, pages = doc_lines(doc_text(path))
    if not any(ln.text or ln.table is not None for ln in lines):
        raise DocumentError(str(path), ".doc 文件中没有文字；请另存为 .docx 或 PDF 后再读入")
    where = paragraph_locator("Word 文档（.doc）") if pages <= 1 else None
    return build_report(path, lines, source_format="doc", pages=pages, where=where)
