"""The Gradio web app: `budgetqa serve`. Tabs 问答 · 对比 · 引用查找 · 报表 · 审计 · 上传.

Handlers turn library errors into one plain line in the page (never a traceback); all document text
is escaped before it reaches HTML (ui.render).
"""

from __future__ import annotations

import csv
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from starlette.middleware import Middleware

from ingest.datafile import sweep_temp
from ingest.errors import BudgetQAError
from ingest.keys import GRAND_TOTAL, TOTAL_ROW
from ingest.pipeline import Store
from ingest.settings import Settings
from rag.audit import audit
from rag.locate import Locator
from rag.pages import PageViewer
from rag.service import QA
from ui.feedback import REASONS, VERDICTS
from ui.render import LEGEND_HTML, SAFE, safe_name, unused_path
from ui.takeaway import AUDIT_HEADER, LOCATE_HEADER, audit_table, compare_summary, locate_table, write_rows
from ui.web_api import API_NAMES, McpAuth, register
from ui.web_ask import CLICK_JS, COPY_JS, ask_stream, export_conversation, give_feedback, open_request
from ui.web_history import keep_session, kept, on_load
from ui.web_library import library_tab
from ui.web_pages import open_finding, open_hit, page_image_box, show_view, titles

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
CSS = (
    "table.compare td,table.compare th{border:1px solid #d0d7de;padding:2px 6px}"
    " .source{border-left:3px solid #8c959f;padding:4px 8px;margin:6px 0} .where{color:#57606a;font-size:90%}"
    " mark{background:#fff3b0} .mark{font-weight:bold;font-size:1.05em;text-decoration:none;margin-left:1px}"
    " a.cite{font-weight:bold;text-decoration:none} .understood{color:#57606a;font-size:90%;margin-bottom:4px}"
    " .legend{color:#57606a;font-size:85%} .tools{font-size:85%;margin-top:4px} details.sources{margin-top:6px}"
    " .hidden-control{display:none !important} .context{max-height:420px;overflow:auto;line-height:1.7}"
    " #locate-hits td,#audit-findings td,#check-numbers td{white-space:normal !important;word-break:break-word}"
    # on a phone a wide table scrolls inside itself; no column shrinks below a few characters
    " .table-wrap,.table-container{overflow-x:auto !important} #audit-findings table,#locate-hits table,"
    "#library table,#library-coverage table,#compare-rows table,#check-numbers table,#tables-frame table"
    "{table-layout:auto !important} #audit-findings :is(td,th),#locate-hits :is(td,th),#library :is(td,th),"
    "#library-coverage :is(td,th),#compare-rows :is(td,th),#check-numbers :is(td,th),#tables-frame :is(td,th)"
    "{min-width:5em !important} #audit-findings [role=gridcell],#locate-hits [role=gridcell],#library [role=gridcell],"
    "#library-coverage [role=gridcell],#compare-rows [role=gridcell],#check-numbers [role=gridcell]{min-width:5em}"
)
# widths in pixels, not shares of the screen: on a phone the table keeps them and scrolls inside itself
LOCATE_WIDTHS = ["200px", "60px", "320px", "560px"]
AUDIT_WIDTHS = ["170px", "60px", "80px", "260px", "100px", "100px", "50px", "150px", "260px"]
# a question per kind of indexed report, built from the report's own department and year
EXAMPLE_ITEM = {
    "决算": "一般公共预算财政拨款支出决算是多少？",
    "预算": "“三公”经费预算是多少？",
    "绩效自评": "绩效自评得分是多少？",
}
ALL_REPORTS = "__all__"


class App:
    """Holds the service objects; rebuilt after an upload so new reports are searchable at once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lock = threading.Lock()  # one ingest at a time; queries read a consistent index
        self.refresh()

    def refresh(self) -> None:
        # a read-only home is served read-only: questions work, uploads say why they can't
        home = self.settings.home
        writable = not home.exists() or os.access(home, os.W_OK)
        self.store = Store(self.settings, write=writable)
        self._generation = self.store.catalog.generation()
        self._qa = QA(self.settings, self.store)
        self.locator = Locator(self.store)
        self.viewer = PageViewer(self.store)

    @property
    def qa(self) -> QA:
        """The service for the catalog as it is now: reports another process ingested (the CLI) are
        answered from the next question on (the catalog's generation moved)."""
        sweep_temp()  # downloads earlier calls made (budgetqa-compare-… folders), once Gradio has copied them
        generation = self.store.catalog.generation()
        if generation != self._generation:
            self._generation = generation
            self._qa = QA(self.settings, self.store)
            self.locator = Locator(self.store)
            self.viewer = PageViewer(self.store)
        return self._qa

    def examples(self) -> list[str]:
        """Example questions about reports that are indexed, one per kind of report."""
        out, kinds = [], set()
        for r in self.store.catalog.reports():
            kind, dept, year = r["kind"], r["department"] or "", r["year"]
            if kind in EXAMPLE_ITEM and kind not in kinds and dept and year:
                kinds.add(kind)
                out.append(f"{dept}{year}年{EXAMPLE_ITEM[kind]}")
        return out or ["（还没有索引报告：先在“上传”页加入报告）"]

    def report_choices(self) -> list[tuple[str, str]]:
        out = []
        for r in self.store.catalog.reports():  # the title a reader knows, never the internal id
            about = " · ".join(x for x in (f"{r['year']}年" if r["year"] else "", r.get("fine_kind") or "") if x)
            out.append((f"{r['title'] or r['doc_id']}（{about}）" if about else r["title"] or r["doc_id"], r["doc_id"]))
        return out

    def reports_frame(self) -> pd.DataFrame:
        rows = [
            [r["title"], r["year"] or "", r.get("fine_kind") or r["kind"], r["pages"], r["n_chunks"], r["n_tables"]]
            for r in self.store.catalog.reports()
        ]
        return pd.DataFrame(rows, columns=["报告", "年度", "类型", "页数", "段落数", "表格数"])


def _error_line(exc: Exception) -> str:
    return f"⚠ {exc}"


# --- 引用查找 / 核对 ------------------------------------------------------------------------
LOCATE_COLUMNS = list(LOCATE_HEADER)
CHECK_COLUMNS = ["核对", "数字", "状态", "依据"]


COMPARE_COLUMNS = ["报告", "年度", "数值（万元）", "阶段", "表", "行", "列", "页"]


def compare_cell(app: App, facts: list[Any], evt: gr.SelectData) -> tuple[str | None, str]:
    """A clicked row of the 对比 table: its cell boxed on the report's page."""
    row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
    f = facts[row] if facts and 0 <= row < len(facts) else None
    if f is None:
        return None, "这一行没有表格单元格（报告的表格中未列出这一项）。"
    try:
        view = app.viewer.fact_view(f)
    except BudgetQAError as exc:
        return None, _error_line(exc)
    return show_view(app, view, f"{f.table_title} · {f.row_label} · {f.column}")


def compare_rows(
    app: App, item: str, docs: list[str], rank: bool
) -> tuple[pd.DataFrame, str, list[str] | None, pd.DataFrame, list[Any]]:
    """The 对比 tab: one item across the chosen reports (all when none is chosen), a CSV to take away
    and a bar chart of the comparable values."""
    empty = pd.DataFrame(columns=COMPARE_COLUMNS)
    chart = pd.DataFrame({"报告": [], "万元": []})
    try:
        c = app.qa.compare_item(item.strip(), tuple(docs or ()), rank=rank)
    except BudgetQAError as exc:
        return empty, _error_line(exc), None, chart, []
    rows = c.table()
    frame = pd.DataFrame(list(rows[1:]), columns=list(rows[0]))
    lines = [compare_summary(c) + "。"]
    if not c.comparable:
        lines.append(f"⚠ 不能直接比较：{c.reason}")
    lines += [f"计算（本工具据上表算出）：{x}" for x in c.computed]
    folder = Path(tempfile.mkdtemp(prefix="budgetqa-compare-"))
    files = [str(write_rows(rows[0], rows[1:], folder / f"对比.{ext}")) for ext in ("csv", "xlsx")]
    if c.comparable:
        chart = pd.DataFrame({"报告": [f"{r.report}" for r in c.found], "万元": [float(r.wan() or 0) for r in c.found]})
    return frame, "\n\n".join(lines), files, chart, [r.fact for r in c.rows]


def locate_rows(app: App, text: str, docs: list[str]) -> tuple[pd.DataFrame, str, str | None, list[Any]]:
    """The hits as rows (each place once, the report by its title), and the hits behind the rows."""
    try:
        found = app.locator.locate(text, tuple(docs or ()))
    except BudgetQAError as exc:
        return pd.DataFrame(columns=LOCATE_COLUMNS), _error_line(exc), None, []
    names, rows, hits, seen = titles(app), [], [], set()
    for h in found:
        for row in locate_table([h]):
            if tuple(map(str, row)) not in seen:
                seen.add(tuple(map(str, row)))
                rows.append([names.get(h.doc_id, h.doc_id), *row[1:]])
                hits.append(h)
    if not rows:
        return pd.DataFrame(columns=LOCATE_COLUMNS), "没有找到：这段文字或这个数字不在所选报告中。", None, []
    path = write_rows(LOCATE_HEADER, rows, Path(tempfile.mkdtemp(prefix="budgetqa-locate-")) / "引用查找.xlsx")
    return pd.DataFrame(rows, columns=LOCATE_COLUMNS), f"找到 {len(rows)} 处 · 点一行看原页", str(path), hits


def check_rows(app: App, sentence: str, docs: list[str]) -> tuple[pd.DataFrame, str]:
    from ui.render import LABELS, MARKS

    try:
        used, numbers = app.qa.check(sentence, tuple(docs or ()))
    except BudgetQAError as exc:
        return pd.DataFrame(columns=CHECK_COLUMNS), _error_line(exc)
    rows = []
    for n in numbers:
        src = n.source or {}
        basis = " · ".join(str(src[k]) for k in ("table", "row", "column", "value") if src.get(k)) or n.note
        rows.append([MARKS[n.status], n.text, LABELS[n.status], basis])
    msg = f"对照报告：{'、'.join(used)}" if numbers else "句中没有带单位（元/万元/亿元/%）的数字可核对。"
    return pd.DataFrame(rows, columns=CHECK_COLUMNS), msg


# --- 报表 ----------------------------------------------------------------------------------
def table_choices(app: App, doc_id: str) -> Any:
    if not doc_id:
        return gr.update(choices=[], value=None)
    tables = app.store.facts.tables(doc_id)
    choices = [(f"{t['ord'] + 1}. {t['title'] or '（无标题）'}", str(t["ord"])) for t in tables]
    return gr.update(choices=choices, value=choices[0][1] if choices else None)


def _columns(header: list[list[str]], width: int) -> list[str]:
    """Flatten a multi-row header into unique column names ("本年支出 > 基本支出")."""
    names = []
    for i in range(width):
        parts = [h[i] for h in header if i < len(h) and h[i]]
        names.append(" > ".join(dict.fromkeys(parts)) or f"列{i + 1}")
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


def show_table(app: App, doc_id: str, ordinal: str | None) -> tuple[pd.DataFrame, str, str | None, pd.DataFrame]:
    empty = pd.DataFrame()
    chart = pd.DataFrame(columns=["项目", "金额"])
    if not doc_id or ordinal in (None, ""):
        return empty, "", None, chart
    t = next((t for t in app.store.facts.tables(doc_id) if str(t["ord"]) == str(ordinal)), None)
    if t is None:
        return empty, "⚠ 表格不存在", None, chart
    width = max([len(r) for r in t["rows"]] + [len(h) for h in t["header"]] + [1])
    rows = [list(r) + [""] * (width - len(r)) for r in t["rows"]]
    frame = pd.DataFrame(rows, columns=_columns(t["header"], width))
    path = Path(tempfile.mkdtemp(prefix="budgetqa-csv-")) / f"{doc_id}-{t['ord'] + 1:02d}.csv"
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows([*t["header"], *t["rows"]])
    page = f"第{t['page']}页" if t["page"] else "页码不详"
    info = f"**{t['title'] or '（无标题）'}** {t['code']} · 单位：{t['unit'] or '未注明'} · {page} · {len(rows)} 行"
    if not t["aligned"]:
        info += " · ⚠ 原文件丢失了空单元格，列未对齐，数字已保留"
    return frame, info, str(path), structure_chart(app, doc_id, t["table_id"])


def structure_chart(app: App, doc_id: str, table_id: str) -> pd.DataFrame:
    """The table's top-level rows (功能分类 类, or 一、二、… items) in its first value column."""
    facts = [f for f in app.store.facts.facts([doc_id]) if f.table_id == table_id and not f.flagged]
    if not facts:
        return pd.DataFrame(columns=["项目", "金额"])
    first_col = facts[0].column
    top = [f for f in facts if f.column == first_col and len(f.code) == 3]
    if not top:
        top = [
            f
            for f in facts
            if f.column == first_col and f.row_label[:1] in "一二三四五六七八九十" and "、" in f.row_label[:4]
        ]
    # a total never stands beside its own parts
    data = [
        (f.row_label.strip(), float(f.value))
        for f in top
        if f.value and not TOTAL_ROW.search(f.row_label.strip()) and not GRAND_TOTAL.search(f.row_label.strip())
    ]
    return pd.DataFrame(data, columns=["项目", "金额"])


# --- 审计 ---------------------------------------------------------------------------------
AUDIT_COLUMNS = list(AUDIT_HEADER)


def audit_rows(app: App, doc_id: str, fmt: str = "xlsx") -> tuple[pd.DataFrame, str, str | None, list[tuple]]:
    """One report's findings (or every report's), de-duplicated, in Chinese, with a file to take away;
    and where each row stands (report, page, quote) for opening its page."""
    empty = pd.DataFrame(columns=AUDIT_COLUMNS)
    if not doc_id:
        return empty, "", None, []
    docs = app.store.catalog.doc_ids() if doc_id == ALL_REPORTS else [doc_id]
    names = titles(app)
    try:
        found = [(d, row) for d in docs for row in audit_table(names.get(d, d), audit(app.store, d))]
    except BudgetQAError as exc:
        return empty, _error_line(exc), None, []
    order = ("错误", "警告", "提示")
    found.sort(key=lambda x: order.index(x[1][1]) if x[1][1] in order else 3)
    rows = [row for _, row in found]
    if not rows:
        tables = sum(len(app.store.facts.tables(d)) for d in docs)
        why = "报告中没有可核对的表格" if not tables else f"{tables} 张表格的合计、文字与表格的对应都已核对"
        return empty, f"未发现问题（{why}）。", None, []
    counts = {s: sum(1 for r in rows if r[1] == s) for s in order}
    name = "审计-全部报告" if doc_id == ALL_REPORTS else f"审计-{names.get(doc_id, doc_id)[:60]}"
    path = write_rows(
        AUDIT_HEADER, rows, Path(tempfile.mkdtemp(prefix="budgetqa-audit-")) / f"{SAFE.sub('_', name)}.{fmt}"
    )
    places = [(d, int(row[6]) if str(row[6]).isdigit() else None, str(row[8])) for d, row in found]
    summary = " · ".join(f"{n} 条{s}" for s, n in counts.items()) + " · 点一行看原页"
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS), summary, str(path), places


# --- 上传 ----------------------------------------------------------------------------------
def upload(app: App, files: list[Any] | None, progress: gr.Progress) -> tuple[pd.DataFrame, pd.DataFrame]:
    results: list[list[str]] = []
    folder = app.settings.uploads_dir
    folder.mkdir(parents=True, exist_ok=True)
    limit = app.settings.max_upload_mb * 1024 * 1024
    saved: list[tuple[str, Path, bool]] = []
    for f in files or []:
        src = Path(getattr(f, "name", f))
        original = getattr(f, "orig_name", None) or src.name
        try:
            name = safe_name(original)
            size = src.stat().st_size
            if size > limit:
                raise BudgetQAError(
                    f"{original}：文件有 {size / 1048576:.1f} MB，超过 {app.settings.max_upload_mb} MB 的上限；"
                    "请拆分文件，或请管理员调高 BUDGETQA_MAX_UPLOAD_MB"
                )
            data = src.read_bytes()
            dst = unused_path(folder, name, data, set(app.store.catalog.doc_ids()) - {Path(name).stem})
            fresh = not dst.exists()
            if fresh:
                dst.write_bytes(data)
            saved.append((original, dst, fresh))
        except BudgetQAError as exc:
            results.append([original, "失败", str(exc)])
    with app.lock:
        for i, (original, dst, fresh) in enumerate(saved):
            progress((i, len(saved)), desc=f"正在读取 {original}（第 {i + 1}/{len(saved)} 个文件）")

            def parsed(_name: str, _k: int, _n: int, i: int = i, original: str = original) -> None:
                progress((i + 0.5, len(saved)), desc=f"已读取 {original}，正在建立索引……")

            def page_read(_name: str, k: int, n: int, i: int = i, original: str = original) -> None:
                progress((i + 0.5 * k / max(n, 1), len(saved)), desc=f"正在读取 {original}：第 {k}/{n} 页")

            def chunks_done(step: str, _doc: str, k: int, n: int, i: int = i, original: str = original) -> None:
                start, share, verb = (0.5, 0.4, "向量化") if step == "embed" else (0.9, 0.1, "建立检索索引")
                progress((i + start + share * k / max(n, 1), len(saved)), desc=f"{original}：{verb} {k}/{n} 段")

            r = app.store.ingest([dst], progress=parsed, on_page=page_read, on_chunks=chunks_done)
            if r.duplicates:
                results.append([original, "重复", f"内容与已索引的 {r.duplicates[0][1]} 相同，未重复加入"])
                if fresh:
                    dst.unlink(missing_ok=True)
            elif r.errors:
                results.append([original, "失败", r.errors[0].reason])
                if fresh:  # keep only what is in the index; the user still has the file
                    dst.unlink(missing_ok=True)
            elif r.unchanged:
                results.append([original, "未变", "已在报告库中（内容未变）"])
            else:
                scans = r.scanned.get(dst.stem, ())
                unread = r.unread.get(dst.stem, ())
                note = f"；其中 {len(scans)} 页为扫描件，已由OCR识读（数字置信度低处标“?”）" if scans else ""
                note += (
                    f"；{len(unread)} 页扫描件未能识读：需安装 OCR 扩展（pip install -e '.[ocr]'）" if unread else ""
                )
                title = next((r["title"] for r in app.store.catalog.reports() if r["doc_id"] == dst.stem), "")
                results.append([original, "已加入", f"已加入报告库：《{title or original}》{note}"])
        app.refresh()
    return pd.DataFrame(results, columns=["文件", "结果", "说明"]), app.reports_frame()


# --- layout --------------------------------------------------------------------------------
def build_app(settings: Settings) -> gr.Blocks:
    app = App(settings)
    # delete_cache: Gradio's copies of uploads and downloads gone after an hour (a Blocks setting, not launch's)
    with gr.Blocks(title="budgetqa — 预算报告问答", analytics_enabled=False, delete_cache=(600, 3600)) as demo:
        gr.Markdown("## budgetqa — 预决算报告问答 · 每个数字都与报表核对")
        answers = gr.State([])  # this page's answers, each keeping its sources
        turn = gr.State(None)  # what the last question was understood to ask
        session = gr.BrowserState("", storage_key="budgetqa-session")  # this browser's conversation, kept in the home
        with gr.Tab("问答", id="ask"):
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(
                        label="问答",
                        height=520,
                        elem_id="chat",
                        sanitize_html=False,
                        buttons=[],  # Gradio's copy icons paste raw HTML: each answer has its own plain-text copy
                    )
                    gr.HTML(LEGEND_HTML)
                    question = gr.Textbox(label="问题", placeholder=app.examples()[0], elem_id="question")
                    with gr.Row():
                        send = gr.Button("提问", variant="primary", elem_id="ask-button")
                        redo = gr.Button("按原问题重问（不沿用上文）", elem_id="redo-plain")
                        clear = gr.Button("清空对话")
                    keep = gr.Checkbox(True, label="追问时沿用上一问的报告、年度和项目", elem_id="keep-context")
                    gr.Examples(app.examples(), inputs=question, label="示例问题")
                    with gr.Row():
                        exp_md = gr.Button("导出对话（Markdown）", elem_id="export-md")
                        exp_docx = gr.Button("导出对话（Word）", elem_id="export-docx")
                    exported = gr.File(label="导出的文件", elem_id="exported")
                    with gr.Accordion("反馈：这个答案对吗？", open=False, elem_id="feedback"):
                        with gr.Row():
                            fb_verdict = gr.Radio(list(VERDICTS), label="这个答案", elem_id="feedback-verdict")
                            fb_reason = gr.Dropdown(list(REASONS), label="错在哪里", elem_id="feedback-reason")
                            fb_turn = gr.Number(0, precision=0, label="第几个答案（0 为最新）", minimum=0)
                        fb_comment = gr.Textbox(label="说明（可不填）", elem_id="feedback-comment")
                        fb_numbers = gr.Textbox(label="正确的数字（如 42,400万元；123.16%，可不填）")
                        fb_evidence = gr.Textbox(label="应引用的原文（可不填）", lines=2)
                        fb_send = gr.Button("提交反馈", elem_id="feedback-button")
                        fb_msg = gr.Markdown(elem_id="feedback-status")
                with gr.Column(scale=2):
                    docs = gr.Dropdown(app.report_choices(), multiselect=True, label="只在这些报告中查找（可不选）")
                    top_k = gr.Slider(1, 20, value=settings.top_k, step=1, label="每个答案参考几段原文")
                    use_llm = gr.Checkbox(
                        value=settings.llm_configured,
                        interactive=settings.llm_configured,
                        label="用大模型作答" if settings.llm_configured else "只引用原文作答（未配置大模型）",
                    )
                    status = gr.Markdown(elem_id="ask-status")
                    page_caption = gr.Markdown(
                        "点答案里的 [1]、[2] 或数字后的标记，在这里看原文页。", elem_id="page-caption"
                    )
                    page_image = page_image_box("page-image", "原文页")
                    page_context = gr.HTML(elem_id="page-context")
                    copy_text = gr.Textbox(label="复制的内容（纯文本，含来源）", lines=3, elem_id="copy-text")
            open_req = gr.Textbox(elem_id="open-request", elem_classes=["hidden-control"], container=False)
            open_btn = gr.Button("open", elem_id="open-button", elem_classes=["hidden-control"])
            ask_inputs = [question, chat, answers, turn, docs, top_k, use_llm, keep, session]
            ask_outputs = [chat, answers, turn, status]
            home = settings.home

            def run_ask(m: str, h: list, a: list, t: Any, d: list, k: int, u: bool, c: bool, sid: str) -> Iterator:
                yield from kept(home, sid, ask_stream(app, m, h, a, t, d, k, u, c))  # Gradio streams a generator

            def run_plain(h: list, a: list, t: Any, d: list, k: int, u: bool, sid: str) -> Iterator[tuple]:
                if a:
                    q = a[-1].asked or a[-1].question
                    yield from kept(home, sid, ask_stream(app, q, h, a, None, d, k, u, False))

            def clear_all(sid: str) -> tuple:
                keep_session(home, sid, [], None)
                return [], [], None, ""

            for trigger in (send.click, question.submit):
                trigger(run_ask, ask_inputs, ask_outputs).then(lambda: "", None, question)
            redo.click(run_plain, [chat, answers, turn, docs, top_k, use_llm, session], ask_outputs)
            clear.click(clear_all, session, [chat, answers, turn, status])
            open_btn.click(
                lambda r, a: open_request(app, r, a),
                [open_req, answers],
                [page_image, page_caption, page_context, copy_text],
            ).then(None, [open_req, copy_text], copy_text, js=COPY_JS)  # the page's address put in the copied link
            exp_md.click(lambda a: export_conversation(a, "md"), answers, exported)
            exp_docx.click(lambda a: export_conversation(a, "docx"), answers, exported)
            fb_send.click(
                lambda *v: give_feedback(app, *v),
                [answers, fb_turn, fb_verdict, fb_reason, fb_comment, fb_numbers, fb_evidence],
                fb_msg,
            )
        with gr.Tab("对比", id="compare"):
            with gr.Row():
                cmp_item = gr.Dropdown(
                    sorted(app.qa.table_items()),
                    allow_custom_value=True,
                    filterable=True,
                    label="项目（输入即可搜索表格中的项目，或填功能分类编码如 208）",
                    elem_id="compare-item",
                )
                cmp_docs = gr.Dropdown(app.report_choices(), multiselect=True, label="报告（不选则为全部）")
                cmp_rank = gr.Checkbox(label="按数值排名", value=False)
            cmp_btn = gr.Button("对比", variant="primary", elem_id="compare-button")
            cmp_msg = gr.Markdown(elem_id="compare-status")
            cmp_facts = gr.State([])
            cmp_out = gr.Dataframe(headers=COMPARE_COLUMNS, wrap=True, elem_id="compare-rows")
            gr.Markdown("点表中的一行，在下方看这个单元格在报告中的原页。")
            cmp_page_caption = gr.Markdown(elem_id="compare-page-caption")
            cmp_page = page_image_box("compare-page", "原表页")
            cmp_csv = gr.File(label="下载（CSV / XLSX）", file_count="multiple")
            cmp_chart = gr.BarPlot(x="报告", y="万元", title="对比（同一阶段、同一口径时）", label="对比图")
            cmp_btn.click(
                lambda i, d, r: compare_rows(app, i or "", d, r),
                [cmp_item, cmp_docs, cmp_rank],
                [cmp_out, cmp_msg, cmp_csv, cmp_chart, cmp_facts],
            )

            def open_cell(facts: list[Any], evt: gr.SelectData) -> tuple[str | None, str]:
                return compare_cell(app, facts, evt)  # Gradio passes the click by this annotation: no lambda

            cmp_out.select(open_cell, cmp_facts, [cmp_page, cmp_page_caption])
        with gr.Tab("引用查找", id="locate"):
            with gr.Row():
                loc_text = gr.Textbox(label="引文或数字", placeholder="42400 或 一段原文", elem_id="locate-text")
                loc_docs = gr.Dropdown(
                    app.report_choices(), multiselect=True, label="报告（可不选）", elem_id="locate-docs"
                )
            loc_btn = gr.Button("查找", variant="primary", elem_id="locate-button")
            loc_msg = gr.Markdown(elem_id="locate-status")
            loc_out = gr.Dataframe(
                headers=LOCATE_COLUMNS, wrap=True, elem_id="locate-hits", column_widths=LOCATE_WIDTHS
            )
            loc_hits = gr.State([])
            loc_caption = gr.Markdown(elem_id="locate-page-caption")
            loc_page = page_image_box("locate-page", "原文页")
            loc_file = gr.File(label="下载（XLSX）")
            for trigger in (loc_btn.click, loc_text.submit):
                trigger(
                    lambda t, d: locate_rows(app, t, d), [loc_text, loc_docs], [loc_out, loc_msg, loc_file, loc_hits]
                )

            def open_locate(hits: list, query: str, evt: gr.SelectData) -> tuple:
                return open_hit(app, hits, query, evt)

            loc_out.select(open_locate, [loc_hits, loc_text], [loc_page, loc_caption])
            gr.Markdown("### 核对：粘贴一句话（比如新闻稿），逐个核对其中的数字")
            chk_text = gr.Textbox(label="句子", elem_id="check-text")
            chk_btn = gr.Button("核对", elem_id="check-button")
            chk_msg = gr.Markdown()
            chk_out = gr.Dataframe(headers=CHECK_COLUMNS, wrap=True, elem_id="check-numbers")
            chk_btn.click(lambda s, d: check_rows(app, s, d), [chk_text, loc_docs], [chk_out, chk_msg])
        with gr.Tab("报表", id="tables"):
            with gr.Row():
                tb_doc = gr.Dropdown(app.report_choices(), label="报告", elem_id="tables-doc")
                tb_table = gr.Dropdown([], label="表格", elem_id="tables-table")
            tb_info = gr.Markdown(elem_id="tables-info")
            tb_frame = gr.Dataframe(wrap=True, elem_id="tables-frame")
            tb_csv = gr.File(label="CSV 下载")
            tb_chart = gr.BarPlot(x="项目", y="金额", title="表格结构（一级项目，不含合计）", label="结构图")
            tb_doc.change(lambda d: table_choices(app, d), tb_doc, tb_table)
            tb_table.change(
                lambda d, t: show_table(app, d, t), [tb_doc, tb_table], [tb_frame, tb_info, tb_csv, tb_chart]
            )
        with gr.Tab("审计", id="audit"):
            au_doc = gr.Dropdown(  # nothing chosen at first: choosing 全部报告 runs the audit
                [("全部报告", ALL_REPORTS), *app.report_choices()], value=None, label="报告", elem_id="audit-doc"
            )
            au_msg = gr.Markdown(elem_id="audit-status")
            au_out = gr.Dataframe(
                headers=AUDIT_COLUMNS,
                wrap=True,
                elem_id="audit-findings",
                column_widths=AUDIT_WIDTHS,
            )
            au_places = gr.State([])
            au_caption = gr.Markdown(elem_id="audit-page-caption")
            au_page = page_image_box("audit-page", "原文页")
            au_file = gr.File(label="下载（XLSX）")
            au_doc.change(lambda d: audit_rows(app, d), au_doc, [au_out, au_msg, au_file, au_places])

            def open_audit(places: list, evt: gr.SelectData) -> tuple:
                return open_finding(app, places, evt)

            au_out.select(open_audit, au_places, [au_page, au_caption])
        with gr.Tab("报告库", id="library"):
            lib = library_tab(app)
        with gr.Tab("上传", id="upload"):
            gr.Markdown(
                f"添加报告：PDF、Word、Excel、网页或文本（每个不超过 {settings.max_upload_mb} MB）。读入后在“报告库”页查看和更正。"
            )
            up_files = gr.File(
                label="拖入或点击选择报告文件",
                file_count="multiple",
                elem_id="upload-files",
            )
            up_btn = gr.Button("加入索引", variant="primary", elem_id="upload-button")
            up_out = gr.Dataframe(headers=["文件", "结果", "说明"], elem_id="upload-results")
            up_list = gr.Dataframe(app.reports_frame(), label="已索引的报告", elem_id="reports")

        pickers = [docs, loc_docs, tb_doc, cmp_docs]

        def choices_now() -> tuple:
            """Report lists as they are now: read when a page opens and after every upload."""
            choices = app.report_choices()
            return (
                *(gr.update(choices=choices) for _ in pickers),
                gr.update(choices=[("全部报告", ALL_REPORTS), *choices]),
                app.reports_frame(),
            )

        def do_upload(files: list[Any] | None, progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
            result, _ = upload(app, files, progress)
            return (result, *choices_now())

        up_btn.click(do_upload, up_files, [up_out, *pickers, au_doc, up_list]).then(lib.refresh, None, lib.outputs)
        for event in lib.changed:  # a report corrected, deleted or read again: every list follows
            event.then(choices_now, None, [*pickers, au_doc, up_list])

        def opened(sid: str, request: gr.Request) -> tuple:
            """The page opens: this browser's conversation back, and a permalink's answer (?a=…) after it."""
            shared = request.query_params.get("a") if request else None
            sid, messages, kept_answers, _ids, last, note = on_load(home, sid, shared)
            return sid, messages, kept_answers, last, note

        demo.load(choices_now, None, [*pickers, au_doc, up_list]).then(lib.refresh, None, lib.outputs)
        demo.load(opened, session, [session, chat, answers, turn, status])
        register(app)  # the HTTP API and MCP tools
    for fn in demo.fns.values():  # the page's own handlers are no API: only the five tools are listed
        if fn.api_name not in API_NAMES:
            fn.api_visibility = "private"
    return demo


def serve(
    settings: Settings, host: str = "127.0.0.1", port: int = 7860, auth: Callable[[str, str], bool] | None = None
) -> None:
    """auth: a callable (user, password) → bool (ui.auth.Logins), or None for no login."""
    from ui.auth import guard_middleware

    demo = build_app(settings)
    demo.queue(default_concurrency_limit=2).launch(
        auth=auth,
        mcp_server=True,
        app_kwargs={"middleware": guard_middleware(host, settings) + ([Middleware(McpAuth, auth=auth)] * bool(auth))},
        footer_links=["api"],
        auth_message="budgetqa：请登录" if auth else None,
        server_name=host,
        server_port=port,
        css=CSS,
        head=CLICK_JS,
        theme=gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["monospace"]),  # no web fonts offline
        max_file_size=f"{settings.max_upload_mb}mb",
        show_error=False,
    )
