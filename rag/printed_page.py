"""The page number printed on a PDF page ("- 14 -", "第 14 页", "14 / 30", or "14" alone), read from the
page's own bottom or top band, for showing beside the PDF's page index ("第16页（印刷页码 14）").

A number in the band is believed only when a neighbouring page carries the number next to it (page
16 prints 14 and page 17 prints 15): a lone figure at the foot of a table is not a page number. When
the pages disagree or print none, no printed number is told."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

BAND = 0.12  # share of the page height, at the bottom and at the top, where page numbers stand
DASH = r"[-—–－~·•]"
NUMBER = re.compile(
    rf"^(?:{DASH}\s*)?(?:第\s*)?(\d{{1,4}})(?:\s*页)?(?:\s*[,，]?\s*共\s*\d{{1,4}}\s*页|\s*[/／]\s*\d{{1,4}})?(?:\s*{DASH})?$"
)


def band_number(bottom: str, top: str) -> int | None:
    """The page number in the text of a page's bottom band (its last number-only line), else in its
    top band (the first)."""
    for text, lines in ((bottom, reversed), (top, iter)):
        for line in lines(text.splitlines()):
            if m := NUMBER.match(line.strip()):
                return int(m.group(1))
    return None


@lru_cache(maxsize=4096)
def _numbers(path: str, sha: str, first: int, last: int) -> dict[int, int | None]:
    """Printed numbers of pages first..last (1-based) of the file; `sha` keys the cache by content."""
    import pypdfium2 as pdfium

    out: dict[int, int | None] = {}
    pdf = pdfium.PdfDocument(path)
    try:
        for index in range(max(first, 1), min(last, len(pdf)) + 1):
            page = pdf[index - 1]
            width, height = page.get_size()
            text = page.get_textpage()  # PDF coordinates: the origin is the bottom-left corner
            out[index] = band_number(
                text.get_text_bounded(0, 0, width, height * BAND),
                text.get_text_bounded(0, height * (1 - BAND), width, height),
            )
            text.close()
            page.close()
    finally:
        pdf.close()
    return out


def printed_number(path: Path | str, sha: str, index: int) -> int | None:
    """The number printed on page `index` (1-based) of the PDF, when a neighbouring page confirms it
    (prints the number before or after); None when it can't be told."""
    try:
        found = _numbers(str(path), sha, index - 1, index + 1)
    except Exception:  # a file moved or unreadable: the PDF's own index is still shown
        return None
    own = found.get(index)
    if own is None:
        return None
    if found.get(index - 1) == own - 1 or found.get(index + 1) == own + 1:
        return own
    return None


def page_label(index: int | None, printed: int | None) -> str:
    """ "第16页（印刷页码 14）" when the printed number differs, else "第16页"."""
    if not index:
        return "页码不详"
    if printed is None or printed == index:
        return f"第{index}页"
    return f"第{index}页（印刷页码 {printed}）"
