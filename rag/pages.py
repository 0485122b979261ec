"""The cited page itself: a PDF page rendered offline (pypdfium2) with the quoted words or the checked
cell boxed, and for a text report the passage in its context.

Boxes come from ingest (ingest.layout): a quote is matched against the normalized text of the page's
lines (and of the next page's, for a sentence or table running over the break); a checked figure
against the cells of its row. Rendered pages are cached under $BUDGETQA_HOME/pages.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ingest.datafile import trim_cache
from ingest.errors import BadInputError
from ingest.facts import parse_decimal
from ingest.model import CheckedNumber, Citation, Fact, PageBox, content_hash
from ingest.pipeline import Store
from ingest.textindex import normalized
from rag.locate import Hit

SCALE = 2.0  # 144 dpi: the small print of a 决算表 stays legible
MIN_RUN = 6  # normalized characters a matched piece needs: shorter ones ("0.00") match anywhere
MIN_COVERED = 0.6  # share of the quote the boxes must cover, else no box is drawn (never a wrong one)
Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class Highlight:
    """Boxes to draw on one page (points, top-left origin)."""

    page: int
    boxes: tuple[Rect, ...]


@dataclass(frozen=True)
class PageView:
    """What to show for a citation or a checked figure: the page (with boxes, possibly on the next
    page too) of a PDF, or the passage in context for a text report."""

    doc_id: str
    page: int | None
    highlights: tuple[Highlight, ...] = ()
    context: TextContext | None = None

    @property
    def found(self) -> bool:
        return bool(self.highlights) or self.context is not None

    def boxes_on(self, page: int) -> tuple[Rect, ...]:
        return next((h.boxes for h in self.highlights if h.page == page), ())

    def to_dict(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "page": self.page,
            "boxes": [{"page": h.page, "rects": [list(r) for r in h.boxes]} for h in self.highlights],
        }


@dataclass(frozen=True)
class TextContext:
    """A text report's passage with what stands before and after it."""

    before: str
    passage: str
    after: str
    page: int | None


def _norm(text: str) -> str:
    return normalized(text)


def _pieces(stream: str, quote: str) -> list[tuple[int, int]]:
    """Spans of the stream that together spell the quote: the longest run from each point on (a
    quote joined from two lines, or with "……" where words were left out)."""
    spans, i = [], 0
    while i < len(quote):
        lo, hi, at = 0, len(quote) - i, -1
        while lo < hi:  # the longest prefix of quote[i:] found in the stream (found-ness is monotone)
            mid = (lo + hi + 1) // 2
            pos = stream.find(quote[i : i + mid])
            if pos >= 0:
                lo, at = mid, pos
            else:
                hi = mid - 1
        if lo >= MIN_RUN:
            spans.append((at, at + lo))
            i += lo
        else:
            i += 1
    return spans


def _units(boxes: list[PageBox]) -> list[tuple[str, list[PageBox]]]:
    """Lines one by one; a table row's cells together, in reading order."""
    units: list[tuple[str, list[PageBox]]] = []
    rows: dict[tuple[int, str], list[PageBox]] = {}
    for b in boxes:
        if b.kind == "line":
            units.append((_norm(b.text), [b]))
        else:
            rows.setdefault((b.page, b.group), []).append(b)
    for cells in rows.values():
        cells.sort(key=lambda c: c.x0)
        units.append(("".join(_norm(c.text) for c in cells), cells))
    return sorted(units, key=lambda u: (u[1][0].page, u[1][0].top, u[1][0].x0))


def _highlights(chosen: list[PageBox]) -> list[Highlight]:
    by_page: dict[int, list[Rect]] = {}
    for b in chosen:
        by_page.setdefault(b.page, []).append((b.x0, b.top, b.x1, b.bottom))
    return [Highlight(p, tuple(dict.fromkeys(r))) for p, r in sorted(by_page.items())]


class PageViewer:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.settings = store.settings

    def _report(self, doc_id: str) -> dict:
        r = next((r for r in self.store.catalog.reports() if r["doc_id"] == doc_id), None)
        if r is None:
            raise BadInputError(f"没有报告编号为「{doc_id}」的报告；已读入的报告见 budgetqa docs")
        return r

    def is_pdf(self, doc_id: str) -> bool:
        return self.store.layout.has_boxes(doc_id)

    def quote_boxes(self, doc_id: str, page: int, quote: str, follow: int = 1) -> list[Highlight]:
        """Boxes around the quoted words on the page (and the next `follow` pages, where a sentence or a
        table continues); none when the words can't be found with confidence."""
        boxes = [b for p in range(page, page + follow + 1) for b in self.store.layout.on_page(doc_id, p)]
        units = _units(boxes)
        stream, owner = "", []
        for i, (text, _) in enumerate(units):
            stream += text
            owner += [i] * len(text)
        wanted = _norm(quote)
        if not wanted or not stream:
            return []
        spans = _pieces(stream, wanted)
        if sum(b - a for a, b in spans) < MIN_COVERED * len(wanted):
            return []
        hit = sorted({owner[k] for a, b in spans for k in range(a, b)})
        return _highlights([box for i in hit for box in units[i][1]])

    def cell_boxes(
        self, doc_id: str, page: int, row_label: str, value: Decimal, column: str = "", follow: int = 2
    ) -> list[Highlight]:
        """The cell holding `value` in the row labelled `row_label` (its table may run on over the next
        pages), with the row's label cell; of several such cells, the one under the column's header.
        None when no such row holds the value."""
        label = _norm(row_label)
        parts = [_norm(p) for p in column.split(">") if p.strip()] if column else []
        for p in range(page, page + follow + 1):
            rows: dict[str, list[PageBox]] = {}
            for b in self.store.layout.on_page(doc_id, p):
                if b.kind == "cell":
                    rows.setdefault(b.group, []).append(b)
            for group, cells in rows.items():
                if label and not any(_norm(c.text) == label for c in cells):
                    continue
                hits = [c for c in cells if _value_of(c.text) == value]
                if hits and (len(hits) > 1 or not label) and parts:
                    table = group.split("r")[0]
                    heads = [h for g, hs in rows.items() if g.split("r")[0] == table and g != group for h in hs]
                    hits = [c for c in hits if _under(c, parts, heads)] or (hits if label else [])
                if hits and (label or len(hits) == 1):  # without a row label only one sure cell is boxed
                    labels = [c for c in cells if label and _norm(c.text) == label]
                    return _highlights(labels[:1] + hits)
        return []

    def citation_view(self, c: Citation) -> PageView:
        """Where a citation stands: its page(s) with the quote boxed (PDF), or its passage in context."""
        if c.page and self.is_pdf(c.doc_id):
            return PageView(c.doc_id, c.page, tuple(self.quote_boxes(c.doc_id, c.page, c.quote)))
        chunk = next((x for x in self.store.catalog.doc_chunks(c.doc_id) if x.chunk_id == c.chunk_id), None)
        context = self.text_context(c.doc_id, chunk.start, chunk.end) if chunk else None
        return PageView(c.doc_id, c.page, (), context)

    def fact_view(self, f: Fact) -> PageView | None:
        """A table cell (a compared figure, say) boxed on its page; None for a text report's table."""
        if not f.page or not self.is_pdf(f.doc_id):
            return None
        return PageView(f.doc_id, f.page, tuple(self.cell_boxes(f.doc_id, f.page, f.row_label, f.value, f.column)))

    def number_view(self, n: CheckedNumber) -> PageView | None:
        """The table cell a checked figure was compared with, boxed on its page; None without a cell."""
        src = n.source or {}
        doc, page, row = src.get("doc_id"), src.get("page"), src.get("row")
        if not (doc and page and row) or not self.is_pdf(doc):
            return None
        value = _value_of(re.sub(r"[^\d.,\-]", "", str(src.get("value", ""))))
        if value is None:
            return None
        return PageView(doc, page, tuple(self.cell_boxes(doc, page, row, value, src.get("column", ""))))

    def render(self, doc_id: str, page: int, boxes: tuple[Rect, ...] = ()) -> Path:
        """The page as a PNG with the boxes drawn, cached by report content, page and boxes."""
        r = self._report(doc_id)
        if not r["pages"] or not 1 <= page <= r["pages"]:
            raise BadInputError(
                f"{doc_id} 只有 {r['pages'] or 0} 页，没有第 {page} 页；请给出 1 到 {r['pages'] or 0} 之间的页码"
            )
        folder = self._cache_dir()
        stem = f"{r['sha256'][:16]}-p{page}"
        plain = folder / f"{stem}.png"
        if not plain.exists():
            self._render_plain(Path(r["path"]), page, plain)
        if not boxes:
            return plain
        boxed = folder / f"{stem}-{content_hash(repr(boxes), length=10)}.png"
        if not boxed.exists():
            _draw(plain, boxes, boxed)
        return boxed

    def hit_boxes(self, hit: Hit, query: str) -> list[dict]:
        """`budgetqa locate --json`: the boxes of a found place (the cell, or the quoted words)."""
        if not hit.page or not self.is_pdf(hit.doc_id):
            return []
        if hit.kind == "table":
            value = _value_of(hit.value)
            found = self.cell_boxes(hit.doc_id, hit.page, hit.row, value, hit.column) if value is not None else []
        else:
            found = self.quote_boxes(hit.doc_id, hit.page, query)
        return PageView(hit.doc_id, hit.page, tuple(found)).to_dict()["boxes"]

    def render_view(self, view: PageView) -> Path | None:
        """The view's page(s) as one PNG, boxes drawn; pages a table runs over stacked. None for a text
        report or a PDF without the page number."""
        if view.context is not None or not view.page:
            return None
        pages = [h.page for h in view.highlights] or [view.page]
        images = [self.render(view.doc_id, p, view.boxes_on(p)) for p in pages]
        if len(images) == 1:
            return images[0]
        out = images[0].with_name(f"{images[0].stem}-{content_hash(*map(str, images), length=8)}-stack.png")
        if not out.exists():
            _stack(images, out)
        return out

    def _cache_dir(self) -> Path:
        folder = self.settings.pages_dir
        try:
            folder.mkdir(parents=True, exist_ok=True)
            trim_cache(folder, self.settings.pages_cache_mb << 20)  # bounded: least recently used go first
            return folder
        except OSError:  # a read-only home still shows pages
            fallback = Path(tempfile.gettempdir()) / "budgetqa-pages"
            fallback.mkdir(exist_ok=True)
            return fallback

    @staticmethod
    def _render_plain(pdf_path: Path, page: int, out: Path) -> None:
        import pypdfium2 as pdfium

        if not pdf_path.exists():
            raise BadInputError(f"{pdf_path} 已不在；请把 PDF 放回原处或重新读入，才能看原文页")
        pdf = pdfium.PdfDocument(str(pdf_path))
        try:
            pg = pdf[page - 1]
            left, bottom, right, top = pg.get_cropbox()
            m_left, _, _, m_top = pg.get_mediabox()
            # pdfplumber measures from the media box's top-left; pdfium draws the crop box
            image = pg.render(scale=SCALE).to_pil().convert("RGB")
            tmp = out.with_suffix(".tmp.png")
            image.save(tmp, pnginfo=_offset_info(left - m_left, m_top - top))
            tmp.replace(out)
        finally:
            pdf.close()

    def text_context(self, doc_id: str, start: int, end: int, margin: int = 400) -> TextContext:
        """A text report's passage with `margin` characters either side, cut at line ends."""
        text = self.store.catalog.report_text(doc_id)
        a = text.rfind("\n", 0, max(0, start - margin)) + 1
        b = text.find("\n", min(len(text), end + margin))
        b = len(text) if b < 0 else b
        page = next((c.page for c in self.store.catalog.doc_chunks(doc_id) if c.start <= start < c.end), None)
        return TextContext(text[a:start], text[start:end], text[end:b], page)


def _under(cell: PageBox, parts: list[str], heads: list[PageBox]) -> bool:
    """The cell stands under a header cell for every part of its column path (a part may be a span
    above several columns)."""
    mid = (cell.x0 + cell.x1) / 2
    return all(
        any(_norm(h.text) == part and h.x0 - 1 <= mid <= h.x1 + 1 and h.bottom <= cell.top + 1 for h in heads)
        for part in parts
    )


def _value_of(text: str) -> Decimal | None:
    try:
        return parse_decimal(text)
    except (ValueError, ArithmeticError):
        return None


def _offset_info(dx: float, dy: float):  # noqa: ANN202
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("budgetqa-offset", f"{dx},{dy}")
    return info


def _draw(plain: Path, boxes: tuple[Rect, ...], out: Path) -> None:
    from PIL import Image, ImageDraw

    with Image.open(plain) as im:
        dx, dy = (float(v) for v in im.text.get("budgetqa-offset", "0,0").split(","))
        base = im.convert("RGBA")
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    pen = ImageDraw.Draw(overlay)
    pad = 2
    for x0, top, x1, bottom in boxes:
        rect = ((x0 - dx) * SCALE - pad, (top - dy) * SCALE - pad, (x1 - dx) * SCALE + pad, (bottom - dy) * SCALE + pad)
        pen.rectangle(rect, fill=(255, 214, 0, 70), outline=(220, 0, 0, 255), width=3)
    tmp = out.with_suffix(".tmp.png")
    Image.alpha_composite(base, overlay).convert("RGB").save(tmp)
    tmp.replace(out)


def _stack(images: list[Path], out: Path) -> None:
    from PIL import Image

    opened = [Image.open(p).convert("RGB") for p in images]
    sheet = Image.new(
        "RGB", (max(i.width for i in opened), sum(i.height for i in opened) + 8 * (len(opened) - 1)), "#888"
    )
    y = 0
    for im in opened:
        sheet.paste(im, (0, y))
        y += im.height + 8
    tmp = out.with_suffix(".tmp.png")
    sheet.save(tmp)
    tmp.replace(out)
