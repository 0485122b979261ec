"""The 报告库 tab: every indexed report with whose it is, its year(s), kind, pages, tables, format,
when it was read and what the reading was unsure of; a report's identity corrected (as `budgetqa docs
--set`), the report deleted or read again; and per body which years and kinds are present, so a
missing report shows at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from ingest.errors import BudgetQAError
from ingest.identity import FINE_KINDS, SURE, UNKNOWN, coarse_kind
from ui.cli_docs import docs_rows, set_identity

LIBRARY_COLUMNS = ["报告", "单位", "地区", "年度", "类别", "页数", "表格", "格式", "读入时间", "存疑"]
LIBRARY_WIDTHS = ["280px", "200px", "130px", "90px", "90px", "60px", "60px", "60px", "140px", "220px"]
FIELD_LABELS = {"body": "单位", "place": "地区", "years": "年度", "kind": "类别", "title": "标题"}
FORMATS = {"pdf": "PDF", "docx": "Word", "doc": "Word", "xlsx": "Excel", "xls": "Excel", "html": "网页", "htm": "网页"}
FORMATS |= {"txt": "文本", "md": "文本"}
# the pair every body publishes each year; a body's other kinds are added to its own rows
STANDARD_KINDS = ("预算", "决算")
KIND_WORDS = {"预算": "预算", "决算": "决算", "绩效自评": "绩效"}  # other kinds (附表, 债务…) by their own name


def _when(stamp: Any) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(float(stamp)))
    except (TypeError, ValueError):
        return str(stamp or "")


def doubts(report: dict[str, Any]) -> str:
    """What the reading of a report's identity was unsure of, in words: "年度?（据文件名）"."""
    ident = report.get("identity") or {}
    conf, rules = ident.get("confidence") or {}, ident.get("rules") or {}
    out = []
    for key, label in FIELD_LABELS.items():
        if key == "title":
            continue
        if conf.get(key, 1.0) < SURE:
            rule = rules.get(key, "")
            out.append(f"{label}?" + (f"（{rule}）" if rule else ""))
    corrected = [FIELD_LABELS.get("years" if k == "year" else k, k) for k in report.get("corrected") or ()]
    if corrected:
        out.append("已更正：" + "、".join(corrected))
    return "；".join(out)


def library(app: Any) -> tuple[pd.DataFrame, list[str]]:
    """The library as a table (no internal ids on screen) and the doc_ids of its rows."""
    reports = app.store.catalog.reports()
    rows, ids = [], []
    for r, d in zip(reports, docs_rows(reports), strict=True):
        place = d["place"] if d["level"] in (UNKNOWN, "部门", "单位") else f"{d['place']}（{d['level']}）"
        rows.append(
            [
                d["title"] or d["doc_id"],
                d["body"],
                place,
                "、".join(str(y) for y in d["years"]) or UNKNOWN,
                d["kind"],
                d["pages"] or "—",
                d["tables"],
                FORMATS.get(d["format"], d["format"].upper() or "—"),
                _when(r.get("ingested_at")),
                doubts(r),
            ]
        )
        ids.append(d["doc_id"])
    return pd.DataFrame(rows, columns=LIBRARY_COLUMNS), ids


def coverage(app: Any) -> pd.DataFrame:
    """Per body, each year from its first report to the library's latest: which kinds of report are present
    ("预算✓ 决算缺"), so a year or a kind missing shows."""
    reports = docs_rows(app.store.catalog.reports())
    found = {r["year"] for r in reports if r["year"]}
    years = list(range(min(found), max(found) + 1)) if found else []  # a year no report has is a gap to see
    bodies: dict[str, dict[int, set[str]]] = {}
    for r in reports:
        body = r["body"] if r["body"] != UNKNOWN else f"{r['title']}（单位未知）"
        kind = KIND_WORDS.get(coarse_kind(r["kind"]), r["kind"] if r["kind"] != UNKNOWN else "其他")
        if r["year"]:
            bodies.setdefault(body, {}).setdefault(r["year"], set()).add(kind)
        else:
            bodies.setdefault(body, {})
    rows = []
    for body, held in sorted(bodies.items()):
        kinds = [k for k in STANDARD_KINDS] + sorted({k for ks in held.values() for k in ks} - set(STANDARD_KINDS))
        span = [y for y in years if held and y >= min(held)]  # from its first report to the library's latest year
        cells = []
        for y in years:
            if y not in span:
                cells.append("")
                continue
            have = held.get(y, set())
            cells.append(" ".join(f"{k}{'✓' if k in have else '缺'}" for k in kinds))
        rows.append([body, *cells])
    return pd.DataFrame(rows, columns=["单位", *[f"{y}年" for y in years]])


def report_choices(ids: list[str], frame: pd.DataFrame) -> list[tuple[str, str]]:
    return [
        (f"{t}（{y} · {k}）", d) for d, t, y, k in zip(ids, frame["报告"], frame["年度"], frame["类别"], strict=True)
    ]


def identity_fields(app: Any, doc_id: str | None) -> tuple[str, str, str, str | None, str]:
    """The correction form filled with a report's identity as it stands."""
    row = next((d for d in docs_rows(app.store.catalog.reports()) if d["doc_id"] == doc_id), None)
    if row is None:
        return "", "", "", None, ""
    years = ",".join(str(y) for y in row["years"])
    kind = row["kind"] if row["kind"] in FINE_KINDS else None
    clean = lambda v: "" if v == UNKNOWN else v  # noqa: E731
    return clean(row["body"]), clean(row["place"]), years, kind, row["title"]


def correct(app: Any, doc_id: str | None, body: str, place: str, years: str, kind: str | None, title: str) -> str:
    """The changed fields stored as the user's corrections (as `budgetqa docs --set`)."""
    if not doc_id:
        return "⚠ 请先选择一份报告"
    before = identity_fields(app, doc_id)
    wanted = (body.strip(), place.strip(), years.strip(), kind or "", title.strip())
    pairs = [
        f"{key}={new}"
        for key, old, new in zip(("body", "place", "year", "kind", "title"), before, wanted, strict=True)
        if new and new != (old or "")
    ]
    if not pairs:
        return "没有改动：请先改写要更正的字段"
    try:
        row = set_identity(app.settings, doc_id, pairs)
    except BudgetQAError as exc:
        return f"⚠ {exc}"
    fields = "、".join(FIELD_LABELS["years" if p.split("=")[0] == "year" else p.split("=")[0]] for p in pairs)
    return f"已更正《{row['title']}》的{fields}；重新读取后仍然有效，问答、对比和导出都按更正后的为准"


def delete(app: Any, doc_id: str | None, confirmed: bool) -> str:
    if not doc_id:
        return "⚠ 请先选择一份报告"
    if not confirmed:
        return "⚠ 删除前请勾选“确认删除”"
    title = _title(app, doc_id)
    try:
        with app.lock:
            path = next((r["path"] for r in app.store.catalog.reports() if r["doc_id"] == doc_id), "")
            app.store.remove([doc_id])
            uploads = app.settings.uploads_dir.resolve()
            if path and uploads in _parents(path):  # a file the web app saved: it goes with its report
                _unlink(path)
            app.refresh()
    except BudgetQAError as exc:
        return f"⚠ {exc}"
    return f"已删除《{title}》：它不再出现在问答、对比、审计和报告库中"


def reread(app: Any, doc_id: str | None) -> str:
    if not doc_id:
        return "⚠ 请先选择一份报告"
    title = _title(app, doc_id)
    try:
        with app.lock:
            result = app.store.reread(doc_id)
            app.refresh()
    except BudgetQAError as exc:
        return f"⚠ {exc}"
    if result.errors:
        return f"⚠ 《{title}》未能重新读取：{result.errors[0].reason}"
    return f"已重新读取《{title}》（{result.pages} 页）"


def _title(app: Any, doc_id: str) -> str:
    return next((r["title"] for r in app.store.catalog.reports() if r["doc_id"] == doc_id), doc_id)


def _parents(path: str) -> list[Path]:
    return list(Path(path).resolve().parents)


def _unlink(path: str) -> None:
    try:
        Path(path).unlink(missing_ok=True)
    except OSError:  # the index no longer holds it; a file left behind harms nothing
        pass


@dataclass
class Library:
    """The tab's parts web.py wires to the other tabs: `changed` events are followed by the report
    pickers' refresh; `outputs`/`refresh` bring the tab up to date (page load, upload)."""

    changed: list[Any]
    outputs: list[Any]
    refresh: Callable[[], tuple]


def library_tab(app: Any) -> Library:
    """Build the tab inside the current gr.Blocks."""
    gr.Markdown("每份报告的单位、地区、年度、类别都是从报告本身读出的；“存疑”一栏说明哪些读得没把握。")
    table = gr.Dataframe(
        headers=LIBRARY_COLUMNS, wrap=True, elem_id="library", interactive=False, column_widths=LIBRARY_WIDTHS
    )
    ids = gr.State([])
    gr.Markdown("### 各单位已有的报告（缺 = 这一年这一类报告不在库中）")
    matrix = gr.Dataframe(wrap=True, elem_id="library-coverage", interactive=False)
    gr.Markdown("### 更正、删除或重新读取一份报告（也可点上表中的一行）")
    pick = gr.Dropdown([], value=None, label="报告", elem_id="library-doc")
    with gr.Row():
        body = gr.Textbox(label="单位", elem_id="fix-body")
        place = gr.Textbox(label="地区", elem_id="fix-place")
        years = gr.Textbox(label="年度（两个年度写 2025,2026）", elem_id="fix-years")
        kind = gr.Dropdown(list(FINE_KINDS), value=None, label="类别", elem_id="fix-kind")
    title = gr.Textbox(label="标题", elem_id="fix-title")
    with gr.Row():
        save = gr.Button("保存更正", variant="primary", elem_id="fix-save")
        again = gr.Button("重新读取", elem_id="library-reread")
        sure = gr.Checkbox(False, label="确认删除", elem_id="library-confirm")
        drop = gr.Button("删除这份报告", variant="stop", elem_id="library-delete")
    msg = gr.Markdown(elem_id="library-status")

    def refresh() -> tuple:
        frame, doc_ids = library(app)
        return frame, doc_ids, coverage(app), gr.update(choices=report_choices(doc_ids, frame))

    outputs = [table, ids, matrix, pick]
    form = [body, place, years, kind, title]
    pick.change(lambda d: identity_fields(app, d), pick, form)

    def chosen(doc_ids: list[str], evt: gr.SelectData) -> Any:
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        return doc_ids[row] if 0 <= row < len(doc_ids) else gr.update()

    table.select(chosen, ids, pick)
    saved = save.click(lambda d, *f: correct(app, d, *f), [pick, *form], msg).then(refresh, None, outputs)
    saved = saved.then(lambda d: identity_fields(app, d), pick, form)
    dropped = drop.click(lambda d, s: delete(app, d, s), [pick, sure], msg).then(refresh, None, outputs)
    dropped = dropped.then(lambda: (None, False), None, [pick, sure])
    read = again.click(lambda d: reread(app, d), pick, msg).then(refresh, None, outputs)
    return Library([saved, dropped, read], outputs, refresh)
