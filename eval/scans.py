"""Scans made from real PDFs, and how well OCR reads them back against the PDF's own text layer.

make_scan renders chosen pages to images (as a scanner would: no text layer, optionally tilted and
noisy) and wraps them in a PDF; ocr_accuracy compares what ingest reads from the scan with what it
reads from the original: characters of the running text, and every numeric table cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ingest.facts import parse_decimal
from ingest.model import Report


def make_scan(
    src: Path, out: Path, pages: list[int], dpi: int = 200, rotate: float = 0.0, noise: float = 0.0, seed: int = 0
) -> Path:
    """`pages` of `src` as an image-only PDF. rotate: degrees; noise: the standard deviation of
    Gaussian grey noise (0–255 scale)."""
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image

    rng = np.random.default_rng(seed)
    doc = pdfium.PdfDocument(str(src))
    images = []
    try:
        for p in pages:
            img = doc[p - 1].render(scale=dpi / 72).to_pil().convert("L")
            if rotate:
                img = img.rotate(rotate, resample=Image.Resampling.BICUBIC, fillcolor=255)
            if noise:
                arr = np.asarray(img, dtype=np.float32) + rng.normal(0, noise, (img.height, img.width))
                img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
            images.append(img)
    finally:
        doc.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return out


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@dataclass(frozen=True)
class Accuracy:
    chars: int  # characters of running text in the original
    char_errors: int  # edits to turn the scan's text into the original's
    numeric_cells: int
    numeric_exact: int
    wrong_cells: tuple[tuple[int, str, str], ...]  # (page, original, read)

    @property
    def char_accuracy(self) -> float:
        return 1 - self.char_errors / self.chars if self.chars else 1.0

    @property
    def numeric_accuracy(self) -> float:
        return self.numeric_exact / self.numeric_cells if self.numeric_cells else 1.0


def _page_text(report: Report, page: int) -> str:
    """The page's printed lines outside tables, in reading order, without spaces."""
    return re.sub(r"\s+", "", "".join(b.text for b in report.boxes if b.kind == "line" and b.page == page))


def _numeric_cells(report: Report, page: int) -> list[str]:
    out = []
    for b in report.tables:
        if b.page == page and b.table is not None:
            out += [c for r in b.table.rows for c in r if parse_decimal(c) is not None]
    return out


def ocr_accuracy(original: Report, scan: Report, pages: list[int]) -> Accuracy:
    """Page k of the scan is page pages[k-1] of the original."""
    chars = errors = cells = exact = 0
    wrong: list[tuple[int, str, str]] = []
    for k, p in enumerate(pages, start=1):
        want, got = _page_text(original, p), _page_text(scan, k)
        chars += len(want)
        errors += edit_distance(want, got)
        want_cells, got_cells = _numeric_cells(original, p), _numeric_cells(scan, k)
        cells += len(want_cells)
        for i, c in enumerate(want_cells):
            read = got_cells[i] if i < len(got_cells) else ""
            if read == c:
                exact += 1
            else:
                wrong.append((p, c, read))
    return Accuracy(chars, errors, cells, exact, tuple(wrong))
