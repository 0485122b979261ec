"""Every hit opens its page: an audit finding, a 引用查找 hit or a 对比 row shows its report's page with
the quote or cell boxed, the page named by the PDF's index and, when the page prints another number,
that one too ("第16页（印刷页码 14）"); the image downloads as "《报告名》第16页.png"."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ingest.errors import BudgetQAError
from rag.pages import Highlight, PageView
from rag.printed_page import page_label, printed_number
from ui.render import page_download

Opened = tuple[str | None, str]  # page image, caption


def _report(app: Any, doc_id: str) -> dict[str, Any]:
    return next((r for r in app.store.catalog.reports() if r["doc_id"] == doc_id), {})


def titles(app: Any) -> dict[str, str]:
    """doc_id → the title a reader sees (the screen never shows internal ids)."""
    return {r["doc_id"]: r["title"] or r["doc_id"] for r in app.store.catalog.reports()}


def label(app: Any, doc_id: str, page: int | None, report: dict[str, Any] | None = None) -> str:
    """ "第16页（印刷页码 14）": the PDF's page index, with the number printed on the page when it differs."""
    r = report if report is not None else _report(app, doc_id)
    if not page or not r.get("path") or not str(r["path"]).lower().endswith(".pdf"):
        return page_label(page, None)
    return page_label(page, printed_number(r["path"], r.get("sha256") or "", page))


def labels(app: Any, doc_id: str, pages: list[int]) -> str:
    r = _report(app, doc_id)
    return "、".join(label(app, doc_id, p, r) for p in pages)


def show_view(app: Any, view: PageView | None, what: str) -> Opened:
    """The view's page rendered with its boxes, and a caption saying what is boxed and where."""
    if view is None or not view.page:
        return None, f"{what}（这份报告没有可显示的页面：文本、网页或表格文件）"
    r = _report(app, view.doc_id)
    pages = [h.page for h in view.highlights] or [view.page]
    where = labels(app, view.doc_id, pages)
    try:
        image = page_download(app.viewer.render_view(view), r.get("title") or view.doc_id, f"第{pages[0]}页")
    except BudgetQAError as exc:
        return None, f"⚠ {exc}"
    boxed = "红框为所指之处" if view.highlights else "⚠ 未能在页面上框出，请在页面中查看"
    return (str(image) if image else None), f"《{r.get('title', '')}》{where} · {what} · {boxed}"


def _row(evt: gr.SelectData) -> int:
    return evt.index[0] if isinstance(evt.index, list | tuple) else int(evt.index)


def open_finding(app: Any, places: list[tuple[str, int | None, str]], evt: gr.SelectData) -> Opened:
    """A clicked audit finding: its page with the quoted words boxed."""
    row = _row(evt)
    if not places or not 0 <= row < len(places):
        return None, ""
    doc_id, page, quote = places[row]
    if not page:
        return None, f"这条发现没有页码（{quote[:40] or '原文未注明'}）"
    if not app.viewer.is_pdf(doc_id):
        return None, f"{label(app, doc_id, page)} · 文本报告，没有页面图像：{quote[:80]}"
    boxes = app.viewer.quote_boxes(doc_id, page, quote, follow=0) if quote else []
    return show_view(app, PageView(doc_id, page, tuple(boxes)), "审计发现")


def open_hit(app: Any, hits: list[Any], query: str, evt: gr.SelectData) -> Opened:
    """A clicked 引用查找 hit: the cell or the quoted words boxed on its page."""
    row = _row(evt)
    if not hits or not 0 <= row < len(hits):
        return None, ""
    h = hits[row]
    if not h.page or not app.viewer.is_pdf(h.doc_id):
        return None, f"{label(app, h.doc_id, h.page)} · 文本报告，没有页面图像：{h.context[:80]}"
    found = app.viewer.hit_boxes(h, query)
    view = PageView(h.doc_id, h.page, tuple(Highlight(b["page"], tuple(map(tuple, b["rects"]))) for b in found))
    return show_view(app, view, "查到的位置")


def page_image_box(elem_id: str, label: str = "原文页") -> gr.Image:
    """The page image every tab opens a hit in: read-only, downloadable, full screen."""
    return gr.Image(
        label=label, type="filepath", interactive=False, elem_id=elem_id, buttons=["download", "fullscreen"]
    )
