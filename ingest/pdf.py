"""PDF → pages → lines (+ tables) through pdfplumber's text layer.

Lines are rebuilt from characters, not taken from extract_text: these reports set digits in another
font on a shifted baseline, and pdfplumber's own line clustering puts "减少 万元" and "56.95" on two
lines. A character joins a line when its vertical centre falls inside the line's band.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ingest.cells import clean_cell, join_letter_spaced, own_title, table_from_cells
from ingest.errors import DocumentError
from ingest.lines import PAGE_NUMBER, Line, band_lines, is_table_title
from ingest.model import OcrDoubt, PageBox, Report, TableData
from ingest.ocr import EXTRA_HINT, ocr_missing, page_needs_ocr
from ingest.parse import report_from_lines, sha256_file

MARGIN = 0.07  # top/bottom share of the page where running headers and page numbers live


def _cluster_lines(chars: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    printed = [c for c in sorted(chars, key=lambda c: (round(c["top"], 1), c["x0"])) if c["text"].strip()]
    lines = band_lines(printed, lambda c: c["top"], lambda c: c["bottom"], tolerance=0.15, lookback=4)
    return [sorted(ln["items"], key=lambda c: c["x0"]) for ln in _merge_shifted_digits(lines)]


# Figures and the punctuation set in the figures' font (Beijing, Tianjin: "，" "。" "“" and a private-use
# decimal point "\U001001b0"); \d also takes full-width digits ("２０２５").
DIGITISH = re.compile(r"^[\d.,%％\-—–()（）A-Za-z\s，。、：；:;“”‘’《》．\ue000-\uf8ff\U000f0000-\U0010ffff]+$")


def _merge_shifted_digits(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Word and WPS exports set digits in another font on a baseline shifted so far that they form a
    line of their own ("收入安排 亿元，比" / "390.4 2025"). A line of only digits whose band touches the
    line above or below and whose characters sit in that line's gaps belongs to it."""
    out: list[dict[str, Any]] = []
    for ln in sorted(lines, key=lambda x: x["top"]):
        text = "".join(c["text"] for c in ln["items"])
        host = None
        if DIGITISH.match(text) and not PAGE_NUMBER.match(text.strip()):
            for other in out[-2:]:
                height = max(other["bottom"] - other["top"], 1)
                touches = ln["top"] <= other["bottom"] + 0.35 * height and ln["bottom"] >= other["top"] - 0.35 * height
                if touches and _fits_in_gaps(ln["items"], other["items"]):
                    host = other
        if host is None and out and DIGITISH.match("".join(c["text"] for c in out[-1]["items"])):
            prev = out[-1]  # the digits came first (shifted upwards): join them to this line
            height = max(ln["bottom"] - ln["top"], 1)
            if prev["bottom"] >= ln["top"] - 0.35 * height and _fits_in_gaps(prev["items"], ln["items"]):
                ln = {"top": min(ln["top"], prev["top"]), "bottom": ln["bottom"], "items": ln["items"] + prev["items"]}
                out.pop()
        if host is not None:
            host["items"].extend(ln["items"])
            continue
        out.append(ln)
    return out


def _fits_in_gaps(chars: list[dict[str, Any]], others: list[dict[str, Any]]) -> bool:
    """`chars` fill the gaps of `others`: no character sits on one of theirs, and a run of them outside
    their x-range touches its edge (a year opening an indented line: "2026" + "年预算的报告"). Figure
    fonts give every glyph a full em box, so a box may lap half a glyph over the neighbour it precedes."""
    if not others:
        return False
    spans = [(c["x0"], c["x1"]) for c in others]
    lo, hi = min(a for a, _ in spans), max(b for _, b in spans)
    for c in chars:
        width = max(c["x1"] - c["x0"], 0.1)
        for a, b in spans:
            if min(c["x1"], b) - max(c["x0"], a) > 0.5 * min(width, b - a) + 0.5:
                return False
    runs: list[list[dict[str, Any]]] = []
    for c in sorted(chars, key=lambda c: c["x0"]):
        if runs and c["x0"] - runs[-1][-1]["x1"] <= max(c["size"], 1):
            runs[-1].append(c)
        else:
            runs.append([c])
    for run in runs:
        x0, x1 = run[0]["x0"], max(c["x1"] for c in run)
        size = max(max(c["size"], c["x1"] - c["x0"]) for c in run)
        if any(x0 + 0.5 < a < run[-1]["x0"] - 0.5 for a, _ in spans):
            return False  # interleaved with the other line's characters: a second line of a cell, not a fill
        # punctuation alone ends a sentence: it may follow a line, never open one
        opens = any(c["text"].isdigit() for c in run)
        if x0 > hi + 2 * size or (x1 < lo - size if opens else x0 < lo):
            return False
    return True


# Figures as the rest of the pipeline reads them: full-width digits and "％" in ASCII (NFKC), and a
# private-use glyph between digits — the decimal point of 方正 (Founder) exports, "７６\U001001b0１％" —
# as ".". Other characters stay as printed (quotes must match the source).
FIGURE_WIDTH = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)}, "％": "%"})
PRIVATE_POINT = re.compile(r"(?<=\d)[\ue000-\uf8ff\U000f0000-\U0010ffff](?=\d)")


def figures_ascii(text: str) -> str:
    """'７６\U001001b0１％' → '76.1%'."""
    return PRIVATE_POINT.sub(".", text.translate(FIGURE_WIDTH))


def _line_text(chars: list[dict[str, Any]]) -> str:
    out = []
    prev = None
    for ch in chars:
        if prev is not None:
            gap = ch["x0"] - prev["x1"]
            size = max(prev["size"], ch["size"], 1)
            if gap > 0.6 * size:
                out.append(" ")
        out.append(ch["text"])
        prev = ch
    return figures_ascii("".join(out)).strip()


def _in_box(ch: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = box
    cx = (ch["x0"] + ch["x1"]) / 2
    cy = (ch["top"] + ch["bottom"]) / 2
    return x0 - 1 <= cx <= x1 + 1 and top - 1 <= cy <= bottom + 1


def _cell_boxes(table: Any, cells: list[list[str | None]], page_no: int, ord_: int) -> list[PageBox]:
    """A found table's cells with their places; Table.extract() lists cells in the order of Table.rows."""
    out = []
    for r, (row, texts) in enumerate(zip(table.rows, cells, strict=False)):
        for bbox, text in zip(row.cells, texts, strict=False):
            if bbox is not None and text:
                out.append(PageBox(page_no, "cell", clean_cell(text), *map(_pt, bbox), group=f"t{ord_}r{r}"))
    return out


def _pt(v: Any) -> float:
    return round(float(v), 1)


def read_page(page: Any, page_no: int) -> tuple[list[tuple[float, Line]], list[PageBox]]:
    """One page → (top, Line) items in reading order (text lines and whole tables), and the place of
    every line and cell on the page (to box a quote on the rendered page)."""
    items: list[tuple[float, Line]] = []
    places: list[PageBox] = []
    boxes = []
    for t in page.find_tables():
        cells = t.extract()
        data = table_from_cells(cells)
        if data is None:
            continue
        places += _cell_boxes(t, cells, page_no, len(boxes))
        boxes.append(t.bbox)
        items.append((t.bbox[1], Line("", page_no, table=data)))
    chars = [c for c in page.chars if not any(_in_box(c, b) for b in boxes)]
    height = float(page.height)
    for chars_of_line in _cluster_lines(chars):
        text = join_letter_spaced(_line_text(chars_of_line))
        if not text:
            continue
        top = min(c["top"] for c in chars_of_line)
        bottom = max(c["bottom"] for c in chars_of_line)
        in_margin = top > height * (1 - MARGIN) or bottom < height * MARGIN
        if in_margin and (PAGE_NUMBER.match(text) or text.isdigit()):
            continue
        sizes = sorted(c["size"] for c in chars_of_line)
        meta = {"margin": in_margin, "size": round(sizes[len(sizes) // 2], 1)}
        items.append((top, Line(text, page_no, meta=meta)))
        x0, x1 = min(c["x0"] for c in chars_of_line), max(c["x1"] for c in chars_of_line)
        places.append(PageBox(page_no, "line", text, _pt(x0), _pt(top), _pt(x1), _pt(bottom)))
    items.sort(key=lambda it: it[0])
    return _drop_page_number(items, height), places


def _drop_page_number(items: list[tuple[float, Line]], height: float) -> list[tuple[float, Line]]:
    """A bare page number printed as the page's last line but above the margin band (Word documents
    with a large bottom margin) would otherwise be glued into the sentence running over the page break
    ("一般4债务限额")."""
    if not items:
        return items
    top, last = items[-1]
    if (
        last.table is None
        and top > height * 0.8
        and (PAGE_NUMBER.match(last.text) or re.fullmatch(r"\d{1,3}", last.text))
    ):
        return items[:-1]
    return items


def _drop_running_lines(pages: list[list[Line]]) -> list[list[Line]]:
    """A line in the page margin that repeats on a third or more of the pages is a running header/footer."""
    if len(pages) < 3:
        return pages
    counts = Counter(ln.text for page in pages for ln in page if ln.meta.get("margin"))
    running = {t for t, n in counts.items() if n >= max(2, len(pages) // 3)}
    return [[ln for ln in page if not (ln.meta.get("margin") and ln.text in running)] for page in pages]


def _merge_continued(lines: list[Line]) -> list[Line]:
    """A table at the top of a page with no title, right after a table with as many columns,
    continues it (header printed again → dropped)."""
    out: list[Line] = []
    for ln in lines:
        prev = out[-1] if out else None
        if (
            ln.table is not None
            and prev is not None
            and prev.table is not None
            and prev.page is not None
            and ln.page == prev.meta.get("last_page", prev.page) + 1
            and ln.meta.get("first_on_page")
            and ln.table.width == prev.table.width
            and not own_title(ln.table)
        ):
            merged = prev.table.continued_by(ln.table)
            # a table over three pages: the next piece continues from the last page joined
            out[-1] = Line("", prev.page, table=merged, meta={**prev.meta, "last_page": ln.page})
            continue
        out.append(ln)
    return out


# The hanzi any page of Chinese prose or tables is full of: a text layer whose "Chinese" holds few of
# them is a font's broken Unicode map (rare or random characters), not the words printed.
COMMON_HANZI = set(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严预算"
)
JUNK_SYMBOL = set("!\"#$&'*;<=>?@[\\]^_`{|}~")


def page_stats(chars: list[str]) -> dict[str, float]:
    """Counts of a page's non-space characters (a "(cid:N)" glyph counts as one): how many, the share
    that is CJK, the share of that CJK which is common hanzi, Chinese sentence punctuation, junk
    (unmapped glyphs, private-use, Latin-1 symbols, ASCII symbols a report does not print)."""
    n = len(chars)
    if not n:
        return {}
    cjk = [c for c in chars if len(c) == 1 and 0x4E00 <= ord(c) <= 0x9FFF]
    junk = sum(
        1
        for c in chars
        if c.startswith("(cid:")
        or c in JUNK_SYMBOL
        or (len(c) == 1 and (0xE000 <= ord(c) <= 0xF8FF or 0x80 <= ord(c) <= 0x24F and c not in "·×÷"))
    )
    return {
        "n": n,
        "cjk_share": len(cjk) / n,
        "common": sum(c in COMMON_HANZI for c in cjk) / len(cjk) if cjk else 0.0,
        "punct": sum(c in "，。、；：" for c in chars),
        "junk_share": junk / n,
    }


def junk_text_layer(chars: list[str]) -> bool:
    """A page whose text layer does not spell what is printed — a font with a broken Unicode map:
    Chinese punctuation or symbol junk with (almost) no Chinese characters ("!"#$%&’()*+,，-./" for a
    heading; as many as prose has, not a 、 or two in a table of figures), or Chinese characters of
    which few are the common ones. Read by OCR like a scan."""
    s = page_stats(chars)
    if not s or s["n"] < 80:
        return False
    prose = s["punct"] >= 3 and s["punct"] >= 0.02 * s["n"]  # a dense table has a 、 or two, prose many
    if s["cjk_share"] < 0.1 and ((prose and s["junk_share"] >= 0.1) or s["junk_share"] >= 0.3):
        return True
    return s["cjk_share"] >= 0.3 and s["n"] * s["cjk_share"] >= 100 and s["common"] < 0.2


@dataclass
class ScanResult:
    """What OCR made of a PDF's scanned pages."""

    read: tuple[int, ...] = ()
    unread: tuple[int, ...] = ()  # scanned pages left unread: the OCR extra is not installed
    places: list[PageBox] = field(default_factory=list)
    doubts: list[OcrDoubt] = field(default_factory=list)


def _page_body(items: list[tuple[float, Line]]) -> list[Line]:
    body = [ln for _, ln in items]
    for k, ln in enumerate(body):
        if ln.table is not None:  # only margin lines above it: the page opens with this table
            ln.meta["first_on_page"] = all(x.table is None and x.meta.get("margin") for x in body[:k])
            break
    return body


def _read_scanned(
    path: Path,
    scanned: list[int],
    pages: list[list[Line]],
    n_pages: int,
    on_page: Callable[[int, int], None] | None,
) -> ScanResult:
    """OCR the scanned pages into `pages` (in place), in worker processes when there are several."""
    if ocr_missing():
        return ScanResult(unread=tuple(scanned))
    from ingest.ocr import ocr_pages
    from ingest.ocr_layout import page_items

    done = [n_pages - len(scanned)]

    def tell(_page: int) -> None:
        done[0] += 1
        if on_page:
            on_page(done[0], n_pages)

    result = ScanResult(read=tuple(scanned))
    for page_no, ocr in sorted(ocr_pages(path, scanned, tell).items()):
        items, places, doubts = page_items(ocr)
        pages[page_no - 1] = _page_body(items)
        result.places.extend(places)
        result.doubts.extend(doubts)
    return result


def pdf_lines(
    path: Path, on_page: Callable[[int, int], None] | None = None
) -> tuple[list[Line], int, list[PageBox], ScanResult]:
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        pdf = pdfplumber.open(path)
    except PDFPasswordIncorrect:
        raise DocumentError(str(path), "PDF 已加密；请去掉密码后再读入") from None
    except (PDFSyntaxError, Exception) as exc:  # pdfminer raises several types for broken files
        inner = exc.args[0] if exc.args else exc  # pdfplumber wraps pdfminer's exception
        if isinstance(inner, PDFPasswordIncorrect) or "encrypt" in type(inner).__name__.lower():
            raise DocumentError(str(path), "PDF 已加密；请去掉密码后再读入") from None
        raise DocumentError(str(path), "无法作为 PDF 读取：文件不完整或并非 PDF；请重新下载") from None
    pages: list[list[Line]] = []
    places: list[PageBox] = []
    scanned: list[int] = []  # pages with no text layer, or one that is junk: read by OCR below
    with pdf:
        try:
            n_pages = len(pdf.pages)
            for i, page in enumerate(pdf.pages, start=1):
                if page_needs_ocr(page) or junk_text_layer([c["text"] for c in page.chars if c["text"].strip()]):
                    scanned.append(i)
                    pages.append([])
                    continue
                items, on_this_page = read_page(page, i)
                places += on_this_page
                pages.append(_page_body(items))
                if on_page:
                    on_page(i - len(scanned), n_pages)
        except DocumentError:
            raise
        except Exception as exc:
            raise DocumentError(str(path), f"PDF 已损坏或不完整（{type(exc).__name__}：{exc}）；请重新下载") from None
    if n_pages == 0:
        raise DocumentError(str(path), "PDF 没有页面；请重新下载")
    scan = ScanResult()
    if scanned:
        scan = _read_scanned(path, scanned, pages, n_pages, on_page)
        places += scan.places
    pages = _drop_running_lines(pages)
    # a table's cells are text too: a PDF exported from Excel holds all its text inside tables
    text_chars = sum(len(ln.text) + _table_chars(ln.table) for page in pages for ln in page)
    if text_chars < 20 * max(1, n_pages // 4) and text_chars < 200:
        why = (
            f"PDF 没有文字层（是扫描件）；{EXTRA_HINT}"
            if scan.unread
            else "PDF 中没有可读的文字：页面是空白的，OCR 也识读不出文字"
        )
        raise DocumentError(str(path), why)
    lines = _merge_continued([ln for page in pages for ln in page])
    # Headings without a numbering marker ("名词解释") stand out by their size.
    weights = Counter()
    for ln in lines:
        if ln.table is None:
            weights[ln.meta.get("size", 0)] += len(ln.text)
    body_size = weights.most_common(1)[0][0] if weights else 0
    for ln in lines:
        if ln.table is None and body_size and ln.meta.get("size", 0) >= body_size * 1.15:
            ln.meta["big"] = True
    return _join_wrapped_titles(lines), n_pages, places, scan


def _table_chars(table: TableData | None) -> int:
    if table is None:
        return 0
    return len(table.title) + sum(len(c) for row in table.header + table.rows for c in row)


def _join_wrapped_titles(lines: list[Line]) -> list[Line]:
    """A table title set over two lines in the same type ("2021年…对下一般公共预算" / "税收返还和转移支付
    补助决算表（分项目）") is one title."""
    out: list[Line] = []
    for ln in lines:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.table is None
            and ln.table is None
            and prev.page == ln.page
            and prev.meta.get("size") == ln.meta.get("size")
            and not is_table_title(prev.text)
            and is_table_title(ln.text)
            and is_table_title(prev.text + ln.text)
        ):
            out[-1] = Line(prev.text + ln.text, prev.page, meta=prev.meta)
            continue
        out.append(ln)
    return out


def parse_pdf(path: Path, on_page: Callable[[int, int], None] | None = None) -> Report:
    lines, n_pages, places, scan = pdf_lines(path, on_page)
    report = report_from_lines(
        lines, doc_id=path.stem, path=str(path), sha256=sha256_file(path), encoding="pdf", pages=n_pages
    )
    return replace(
        report,
        boxes=tuple(places),
        ocr_pages=scan.read,
        unread_pages=scan.unread,
        doubts=tuple(scan.doubts),
    )
