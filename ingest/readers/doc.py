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

from ingest.errors import DocumentError
from ingest.model import Report
from ingest.parse import parse_text_bytes, sha256_file
from ingest.readers.base import paragraph_locator

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
    lines = [clean_line(ln) for ln in text.split("\n") if not FAST_SAVED.match(ln.strip())]
    return "\n".join(lines)


def read(path: Path, on_page: Callable[[int, int], None] | None = None) -> Report:
    from dataclasses import replace

    if path.read_bytes()[:4] == b"PK\x03\x04":  # a .docx saved under a .doc name
        from ingest.readers import docx

        return docx.read(path, on_page)
    text = doc_text(path)
    report = parse_text_bytes(text.encode("utf-8"), doc_id=path.stem, path=str(path), sha256=sha256_file(path))
    where = paragraph_locator("Word 文档（.doc）") if report.pages <= 1 else None
    blocks = tuple(replace(b, locator=where(b)) for b in report.blocks) if where else report.blocks
    return replace(report, blocks=blocks, source_format="doc", encoding="doc")
