"""Scanned pages read offline: render the page (pypdfium2), find its ruled lines (OpenCV) and read its
text with PP-OCR (rapidocr; the detection and recognition models ship inside its wheel, so nothing is
downloaded). The result is glyphs and rulings in PDF points; ingest/ocr_layout.py rebuilds lines and
tables from them. Optional: `pip install -e '.[ocr]'`; without it a scan is refused, naming the extra.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.model import OCR_DOUBT_BELOW
from ingest.workers import worker_pool

OCR_DPI = 200  # enough for 9-pt table digits; more costs time without reading better
MIN_SKEW_DEG = 0.15  # below this a page is read as it is
EXTRA_HINT = "要离线识读扫描页，请安装 OCR 扩展：.venv/bin/pip install -e '.[ocr]'"


@dataclass(frozen=True)
class Glyph:
    """A character (CJK) or a word (digits, Latin) as read, in PDF points from the top-left corner."""

    text: str
    score: float
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(frozen=True)
class Ruling:
    """A printed table line in PDF points: horizontal (y, a..b along x) or vertical (x, a..b along y)."""

    horizontal: bool
    at: float
    a: float
    b: float


@dataclass(frozen=True)
class OcrPage:
    page: int
    width: float
    height: float
    runs: tuple[tuple[Glyph, ...], ...]  # one per detected text box, glyphs left to right
    rulings: tuple[Ruling, ...]
    skew: float = 0.0  # degrees the scan was turned back by before reading


def ocr_missing() -> str:
    """Why OCR can't run here ("" when it can)."""
    try:
        import cv2  # noqa: F401
        import rapidocr  # noqa: F401
    except ImportError:
        return "the OCR extra is not installed"
    return ""


def page_needs_ocr(page: Any) -> bool:
    """A pdfplumber page with (almost) no readable text but an image or drawn glyphs on it: a scan, or
    text set as outlines. A scan whose text layer is junk (a scanner's own failed OCR: unmapped
    "(cid:12)" glyphs, private-use and stray symbols instead of Chinese) counts as having no text."""
    area = float(page.width) * float(page.height) or 1.0
    covered = sum(abs(float(i["x1"]) - float(i["x0"])) * abs(float(i["bottom"]) - float(i["top"])) for i in page.images)
    chars = [c["text"] for c in page.chars if c["text"].strip()]
    readable = [t for t in chars if not t.startswith("(cid:") and _plausible(t)]
    if covered >= 0.5 * area and chars and len(readable) < 0.5 * len(chars):
        return True  # a full-page image under a junk text layer
    if len(readable) >= 10:
        return False
    return covered >= 0.3 * area or len(page.curves) >= 200


def _plausible(ch: str) -> bool:
    """A character a Chinese budget report prints: CJK, digits, Latin letters, common punctuation."""
    o = ord(ch[0])
    return (
        0x4E00 <= o <= 0x9FFF or 0x20 <= o < 0x7F or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF or ch in "“”‘’—…·"
    )


# ---------------------------------------------------------------------------------------------
_ENGINE: Any = None


def _engine(threads: int) -> Any:
    global _ENGINE
    if _ENGINE is None:
        from rapidocr import RapidOCR

        _ENGINE = RapidOCR(
            params={
                "Global.log_level": "error",
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )
    return _ENGINE


def render(path: Path, page_no: int, dpi: int = OCR_DPI) -> Any:
    """The page as a PIL image (greyscale)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        return doc[page_no - 1].render(scale=dpi / 72).to_pil().convert("L")
    finally:
        doc.close()


Word = tuple[str, float, tuple[float, float, float, float]]  # text, score, (x0, top, x1, bottom) in pixels
LONG_LINE = 20  # width/height beyond which a poorly read line is read again in pieces
PIECE = 16  # about this many heights per piece


def _words(word_results: Any, dx: float = 0.0, dy: float = 0.0) -> list[list[Word]]:
    runs = []
    for words in word_results or ():
        run = []
        for text, score, quad in words:
            xs = [p[0] for p in quad]
            ys = [p[1] for p in quad]
            run.append((text, float(score), (min(xs) + dx, min(ys) + dy, max(xs) + dx, max(ys) + dy)))
        if run:
            runs.append(run)
    return runs


def _read(image: Any, threads: int) -> list[list[Word]]:
    """Detect and recognise; a long line read poorly, or a line with a figure read unsurely, is read
    again (in pieces, when long), and the surer reading kept. The recogniser squeezes
    a 60-character line into a fixed height and, on a noisy scan, may return nonsense for all of it
    ("获热系实转热护梁自科）" for a whole 名词解释 line); pieces cut at gaps between characters read
    cleanly."""
    import numpy as np

    engine = _engine(threads)
    # every flag explicit: the engine keeps those of its last call (a piece read without detection)
    result = engine(np.asarray(image.convert("RGB")), use_det=True, use_cls=True, use_rec=True, return_word_box=True)
    runs = _words(result.word_results)
    for k, (box, score) in enumerate(
        zip(result.boxes if result.boxes is not None else [], result.scores or (), strict=False)
    ):
        if k >= len(runs):
            break
        x0, y0 = float(min(p[0] for p in box)), float(min(p[1] for p in box))
        x1, y1 = float(max(p[0] for p in box)), float(max(p[1] for p in box))
        long_line = (x1 - x0) / max(y1 - y0, 1.0) >= LONG_LINE
        if not (long_line and score < 0.9) and _figure_score(runs[k]) >= OCR_DOUBT_BELOW:
            continue
        again = _read_in_pieces(engine, image, (x0, y0, x1, y1))
        if not again:
            continue
        if sum(w[1] for w in again) / len(again) > score or _figure_score(again) > _figure_score(runs[k]):
            runs[k] = again
    return runs


def _figure_score(run: list[Word]) -> float:
    """The least confidence of a word or character of a figure (1.0 for a line without figures)."""
    return min((w[1] for w in run if w[0] and all(ch.isdigit() or ch in ".,%" for ch in w[0])), default=1.0)


def _read_in_pieces(engine: Any, image: Any, box: tuple[float, float, float, float]) -> list[Word]:
    import numpy as np

    x0, y0, x1, y1 = (int(round(v)) for v in box)
    crop = np.asarray(image.crop((x0, y0, x1, y1)))
    ink = (crop < 160).sum(axis=0)
    height = y1 - y0
    n = max(1, round((x1 - x0) / (PIECE * height)))
    cuts = [0]
    for i in range(1, n):
        aim = i * (x1 - x0) // n
        lo, hi = max(aim - height, cuts[-1] + 1), min(aim + height, x1 - x0 - 1)
        cuts.append(min(range(lo, hi), key=lambda c: (ink[c], abs(c - aim))) if hi > lo else aim)
    cuts.append(x1 - x0)
    words: list[Word] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = np.ascontiguousarray(np.stack([crop[:, a:b]] * 3, axis=-1))
        out = engine(piece, use_det=False, use_cls=False, use_rec=True, return_word_box=True)
        for info in out.word_results or ():
            words += _placed(info, x0 + a, y0, b - a, height)
    return words


def _placed(info: Any, dx: float, dy: float, width: int, height: int) -> list[Word]:
    """A recognised piece's words with boxes: the recogniser gives each character's column in units
    of the line's length; a character is about one line height wide."""
    scale = width / max(float(info.line_txt_len), 1.0)
    out: list[Word] = []
    for chars, cols, conf in zip(info.words, info.word_cols, info.confs, strict=False):
        if not chars or not cols:
            continue
        left = max(cols[0] * scale - 0.45 * height, 0.0)
        right = min(cols[-1] * scale + 0.45 * height, float(width))
        out.append(("".join(chars), float(conf), (dx + left, dy, dx + right, dy + height)))
    return out


def skew_of(image: Any) -> float:
    """The page's tilt in degrees, by projection profile: turned straight, text lines and table rules
    make the rows of ink sharpest (largest variance of the row sums). Coarse, then fine search on a
    half-size image; accurate to about 0.03°."""
    import cv2
    import numpy as np

    gray = np.asarray(image)
    small = cv2.resize((gray < 200).astype(np.float32), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    h, w = small.shape
    centre = (w / 2, h / 2)

    def sharpness(angle: float) -> float:
        m = cv2.getRotationMatrix2D(centre, angle, 1.0)
        turned = cv2.warpAffine(small, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0.0)
        return float(np.var(turned.sum(axis=1)))

    best = max(np.arange(-3.0, 3.01, 0.25), key=sharpness)
    best = max(np.arange(best - 0.25, best + 0.26, 0.025), key=sharpness)
    return float(round(best, 3))


def _glyph_runs(runs: list[list[Word]], scale: float) -> tuple[tuple[Glyph, ...], ...]:
    return tuple(
        tuple(
            Glyph(text, round(score, 4), *(round(v / scale, 1) for v in box))  # pixels → points
            for text, score, box in run
        )
        for run in runs
        if run
    )


def find_rulings(image: Any, scale: float) -> tuple[Ruling, ...]:
    """Table lines: long thin runs of ink, kept by morphological opening with a long flat (or tall)
    kernel — text strokes are shorter than the kernel and vanish."""
    import cv2
    import numpy as np

    gray = np.asarray(image)
    ink = (gray < 200).astype(np.uint8)  # hairlines scan grey; paper noise rarely falls this low
    ink = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))  # bridge noise gaps
    out: list[Ruling] = []
    h_len = max(30, int(12 * scale))  # 12 pt: longer than any character stroke at body size
    v_len = max(20, int(8 * scale))  # a one-line row is ~14 pt tall; its separators must survive
    for horizontal, kernel in ((True, (h_len, 1)), (False, (1, v_len))):
        mask = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones(kernel[::-1], np.uint8))
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        for x, y, w, h, _area in stats[1:n]:
            # a rule is at most ~2 pt thick, plus what a tilt left over adds along its length
            if horizontal and h <= 2 * scale + 0.005 * w:
                out.append(Ruling(True, round((y + h / 2) / scale, 1), round(x / scale, 1), round((x + w) / scale, 1)))
            elif not horizontal and w <= 2 * scale + 0.005 * h:
                out.append(Ruling(False, round((x + w / 2) / scale, 1), round(y / scale, 1), round((y + h) / scale, 1)))
    return tuple(out)


def ocr_page(path: Path, page_no: int, threads: int = 0, dpi: int = OCR_DPI) -> OcrPage:
    """Read one page. A tilted scan is turned straight first (line and column grouping assume level
    text)."""
    threads = threads or os.cpu_count() or 1
    image = render(path, page_no, dpi)
    scale = dpi / 72
    skew = skew_of(image)
    if abs(skew) >= MIN_SKEW_DEG:
        from PIL import Image

        image = image.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
    result = _read(image, threads)
    width, height = image.size
    return OcrPage(
        page_no,
        round(width / scale, 1),
        round(height / scale, 1),
        _glyph_runs(result, scale),
        find_rulings(image, scale),
        round(skew, 2),
    )


def _ocr_job(path: str, page_no: int, threads: int) -> OcrPage:
    return ocr_page(Path(path), page_no, threads)


def ocr_pages(
    path: Path, pages: list[int], on_page: Callable[[int], None] | None = None, workers: int = 0
) -> dict[int, OcrPage]:
    """OCR several pages of one PDF, in worker processes on all cores when there are several;
    on_page(page_no) as each is done."""
    cores = os.cpu_count() or 1
    workers = workers or min(cores, len(pages))
    out: dict[int, OcrPage] = {}
    if workers > 1 and len(pages) > 1:
        try:
            with worker_pool(workers) as pool:
                threads = max(1, cores // workers)
                for page in pool.map(_ocr_job, [str(path)] * len(pages), pages, [threads] * len(pages)):
                    out[page.page] = page
                    if on_page:
                        on_page(page.page)
        except BrokenProcessPool:  # a worker died (out of memory, a crashing page): the rest is read here
            pass
    for p in pages:  # one page, one core, or what a broken pool left
        if p not in out:
            out[p] = ocr_page(path, p, cores)
            if on_page:
                on_page(p)
    return out
