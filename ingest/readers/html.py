"""A web page saved from a government portal (.html/.htm) → Report: the article body and its tables,
not the site's menus, breadcrumbs and footers.

Why lxml (lxml.html): it parses the broken markup of Word-exported pages (unclosed <p>, upper-case
<SPAN>, mso- attributes) the way browsers do, is fast in C, and its element tree lets the body be
chosen by scoring; it is already installed as a dependency of python-docx. The stdlib html.parser would
need a hand-built tree.

The body is the element holding the most sentence punctuation in its own paragraphs (a readability
score): menus and footers are link lists and short labels. Inline elements join without a break, so a
number a Word export split over <span>s ("13<span>7</span>.05亿元") comes out whole; a line break in
the source between two Chinese characters or digits is no space."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ingest.decode import decode_text
from ingest.errors import DocumentError
from ingest.lines import Line
from ingest.model import Report
from ingest.readers.base import build_report, paragraph_locator
from ingest.readers.grid import Grid, grid_table, table_lines

DROP = {"script", "style", "noscript", "head", "nav", "footer", "header", "form", "select", "button", "iframe"}
BLOCK = {
    "p", "div", "section", "article", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr",
    "blockquote", "pre", "center", "dd", "dt", "dl", "td", "th", "tbody", "thead", "body", "main",
}  # fmt: skip
PUNCT = re.compile(r"[，。；：、]")
CHROME = re.compile(r"nav|menu|footer|foot|header|breadcrumb|crumb|sidebar|share|toolbar|login|search|copyright", re.I)
SPACE_AROUND_BREAK = re.compile(r"[ \t]*[\r\n]+[ \t]*")
CJK_OR_DIGIT = "\u4e00-\u9fff\u3000-\u303f\uff00-\uffef0-9.,%“”"


def squeeze(text: str) -> str:
    """Source line breaks: none between CJK characters or digits (a browser would show a space, which
    would split "137.05"), one space between Latin words; runs of spaces → one."""
    text = text.replace("\xa0", " ").replace("\u3000", " ")
    text = re.sub(rf"(?<=[{CJK_OR_DIGIT}])\s*[\r\n]+\s*(?=[{CJK_OR_DIGIT}])", "", text)
    text = SPACE_AROUND_BREAK.sub(" ", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def _text(el: Any) -> str:
    return "".join(el.itertext()) if el is not None else ""


def _is_chrome(el: Any) -> bool:
    label = f"{el.get('class') or ''} {el.get('id') or ''}"
    return el.tag in DROP or bool(
        label.strip() and CHROME.search(label) and not re.search(r"content|article", label, re.I)
    )


def _link_share(el: Any) -> float:
    total = len(_text(el).strip()) or 1
    return sum(len(_text(a).strip()) for a in el.iter("a")) / total


def article_root(root: Any) -> Any:
    """The element whose own paragraphs carry the most sentence punctuation (the article), widened to
    its parent while the parent adds substantially more prose (an article split over sibling divs)."""
    scores: dict[Any, int] = {}
    for el in root.iter("p", "div", "td", "span", "font", "section"):
        own = (el.text or "") + "".join(c.tail or "" for c in el)
        n = len(PUNCT.findall(own)) + sum(
            len(PUNCT.findall(_text(c))) for c in el if c.tag in ("span", "font", "b", "strong")
        )
        parent = el.getparent()
        if n and parent is not None:
            scores[parent] = scores.get(parent, 0) + n
    if not scores:
        return root.find("body") if root.find("body") is not None else root
    best = max(scores, key=lambda e: scores[e])
    while (parent := best.getparent()) is not None and parent.tag not in ("html", "body"):
        if _is_chrome(parent):
            break
        total_best = len(PUNCT.findall(_text(best)))
        total_parent = len(PUNCT.findall(_text(parent)))
        if total_parent > 1.3 * total_best and _link_share(parent) < 0.2:
            best = parent
        else:
            break
    return best


def _is_data_table(table: Any) -> bool:
    """A table of figures, not a layout table holding the page (nested tables, long prose cells)."""
    if table.find(".//table") is not None:
        return False
    cells = [_text(c) for c in table.iter("td", "th")]
    rows = table.findall(".//tr")
    return len(rows) >= 2 and bool(cells) and sum(len(c) for c in cells) / len(cells) < 120


def table_grid(table: Any) -> Grid:
    """An HTML table → Grid: rowspan/colspan become merged regions, covered slots empty."""
    cells: list[list[str]] = []
    merges: list[tuple[int, int, int, int]] = []
    taken: set[tuple[int, int]] = set()
    for r, tr in enumerate(table.iter("tr")):
        row: dict[int, str] = {}
        c = 0
        for td in tr:
            if td.tag not in ("td", "th"):
                continue
            while (r, c) in taken:
                c += 1
            try:
                colspan = max(1, min(int(td.get("colspan") or 1), 100))
                rowspan = max(1, min(int(td.get("rowspan") or 1), 500))
            except ValueError:
                colspan = rowspan = 1
            row[c] = squeeze("\n".join(squeeze(_text(p)) for p in _paragraphs(td)) or _text(td))
            for i in range(r, r + rowspan):
                for j in range(c, c + colspan):
                    taken.add((i, j))
            if colspan > 1 or rowspan > 1:
                merges.append((r, c, r + rowspan - 1, c + colspan - 1))
            c += colspan
        width = max([*row, max((j for i, j in taken if i == r), default=-1)], default=-1) + 1
        cells.append([row.get(j, "") for j in range(width)])
    return Grid(cells, merges)


def _paragraphs(td: Any) -> list[Any]:
    ps = td.findall(".//p")
    return ps if ps else [td]


def walk(el: Any, out: list[tuple[str, Any]], buf: list[str]) -> None:
    """The element's content in reading order as ("text", line) and ("table", element) items; block
    elements and <br> end a line, inline elements join."""

    def flush() -> None:
        text = squeeze("".join(buf))
        buf.clear()
        if text:
            out.append(("text", text))

    if el.tag in DROP or not isinstance(el.tag, str) or _is_chrome(el):
        return
    if el.tag == "table" and _is_data_table(el):
        flush()
        out.append(("table", el))
        return
    block = el.tag in BLOCK
    if block:
        flush()
    if el.tag == "br":
        flush()
    if el.text:
        buf.append(el.text)
    for child in el:
        walk(child, out, buf)
        if child.tail:
            buf.append(child.tail)
    if block:
        flush()


def _title(root: Any) -> str:
    for name in ("ArticleTitle", "articletitle", "title"):
        for meta in root.iter("meta"):
            if (meta.get("name") or "").strip() == name and (content := (meta.get("content") or "").strip()):
                return re.split(r"\s*[_|｜]\s*", squeeze(content))[0]  # "标题_栏目名" on some portals
    title = root.find(".//title")
    if title is not None and (text := squeeze(_text(title))):
        return re.split(r"\s*[-_|｜—]\s*(?=[^-_|｜—]*$)", text)[0]
    return ""


# A portal's own name: "XX人民政府门户网站", "平潭综合实验区党工委管委会", "西安市财政局" (meta SiteName,
# og:site_name, or the last part of <title> when it names an organ); a column name ("政府预算公开") is not.
PUBLISHER_END = re.compile(r"(?:人民政府|政府|管委会|管理委员会|委员会|人大|局|厅|委|办)(?:门户网站|网站|网)?$")


def publisher(root: Any) -> str:
    """Who publishes the page (the site's name), or "": the identity reader takes its place as the
    publisher's where the page itself names only a sub-place (a town of the county the portal serves)."""
    for meta in root.iter("meta"):
        key = (meta.get("name") or meta.get("property") or "").strip().lower()
        if key in ("sitename", "og:site_name") and (name := squeeze(meta.get("content") or "")):
            return name if PUBLISHER_END.search(name) else ""
    title = root.find(".//title")
    parts = re.split(r"\s*(?:[-_|｜—]+)\s*", squeeze(_text(title))) if title is not None else []
    if len(parts) >= 2 and PUBLISHER_END.search(parts[-1]):
        return parts[-1]
    return ""


def page_items(data: bytes, path: str) -> tuple[str, Iterator[tuple[str, Any]]]:
    import lxml.html

    text, _ = decode_text(data, path)
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)  # lxml refuses a str with an encoding declaration
    try:
        root = lxml.html.document_fromstring(text)
    except Exception as exc:  # lxml raises ParserError and others for markup it can't use at all
        raise DocumentError(path, f"无法作为网页读取（{type(exc).__name__}）；请重新保存网页") from None
    body = article_root(root)
    out: list[tuple[str, Any]] = []
    walk(body, out, [])
    if site := publisher(root):
        out.insert(0, ("publisher", site))
    return _title(root), iter(out)


def read(path: Path, on_page: Callable[[int, int], None] | None = None) -> Report:
    title, items = page_items(path.read_bytes(), str(path))
    lines: list[Line] = []
    n_tables = 0
    site = ""
    for kind, item in items:
        if kind == "publisher":
            site = item
            continue
        if kind == "text":
            lines.append(Line(item, 1, meta={"whole": True}))  # a block element is a whole paragraph
            continue
        gt = grid_table(table_grid(item))
        n_tables += gt.table is not None
        lines += table_lines(gt, 1, f"网页表{n_tables}")
    if not any(ln.text or ln.table is not None for ln in lines):
        raise DocumentError(str(path), "网页中没有找到正文；请确认保存的是文章页面（不是目录页或图片）")
    opening = "".join(ln.text for ln in lines[:5])
    if title and re.sub(r"\s", "", title) not in re.sub(r"\s", "", opening):
        lines.insert(0, Line(title, 1, meta={"big": True, "whole": True}))  # the body may omit it
    if site:  # the document model has no slot for it: the first line carries it to the identity reader
        lines[0].meta["publisher"] = site
    return build_report(path, lines, source_format="html", pages=1, where=paragraph_locator("网页"))
