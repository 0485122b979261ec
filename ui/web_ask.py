"""The 问答 tab's handlers: a conversation whose answers keep their sources, each [n] and each number
mark opening the cited page with the quote or cell boxed, and answers to take away (copy as plain
text, Markdown, Word)."""

from __future__ import annotations

import queue
import tempfile
import threading
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any

from ingest.errors import BudgetQAError
from ingest.model import Answer
from rag.conversation import Turn
from rag.pages import PageView
from ui.render import answer_message, highlight, page_download
from ui.takeaway import agreeing, answer_text, conversation_docx, conversation_markdown
from ui.web_history import save_answer
from ui.web_pages import labels, titles

Shown = tuple[str | None, str, str, str]  # page image, caption, text context (HTML), text to copy


def ask_stream(
    app: Any,
    message: str,
    history: list[dict],
    answers: list[Answer],
    previous: Turn | None,
    docs: list[str],
    top_k: int,
    use_llm: bool,
    keep_context: bool = True,
) -> Iterator[tuple[list[dict], list[Answer], Turn | None, str]]:
    history = [*history, {"role": "user", "content": escape(message)}]
    yield [*history, {"role": "assistant", "content": "正在检索与核对……"}], answers, previous, ""
    tokens: queue.Queue[str | None] = queue.Queue()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = app.qa.converse(
                message,
                previous if keep_context else None,
                doc_ids=tuple(docs or ()),
                top_k=int(top_k),
                use_llm=bool(use_llm) and app.settings.llm_configured,
                on_token=tokens.put,
            )
        except BudgetQAError as exc:
            box["error"] = f"⚠ {escape(str(exc))}"  # errors quote the input: shown as text, never as HTML
        except Exception as exc:  # the page shows one line, never a traceback
            box["error"] = (
                f"⚠ 未能作答，程序出了意外（{type(exc).__name__}：{escape(str(exc))}）；请重试，若一再出现请告诉维护者"
            )
        finally:
            tokens.put(None)

    threading.Thread(target=work, daemon=True).start()
    partial = ""
    while (piece := tokens.get()) is not None:
        partial += piece
        yield [*history, {"role": "assistant", "content": escape(partial) + " ▌"}], answers, previous, ""
    if "error" in box:
        yield [*history, {"role": "assistant", "content": box["error"]}], answers, previous, ""
        return
    answer, turn = box["result"]
    answers = [*answers, answer]
    mode = "大模型" if answer.mode == "llm" else "抽取式"
    status = f"{mode}答案 · {len(answer.citations)} 处引用 · 数字 {agreeing(answer)}/{len(answer.numbers)} 与表格一致"
    if answer.asked:
        status += f" · 理解为：{answer.question}"
    try:  # kept in the home under its content hash: the answer's permalink (?a=…) and the session's history
        link = save_answer(app.settings.home, answer)
    except OSError:  # a read-only home: no permalink, the answer still shows
        link = ""
    message_html = answer_message(answer, len(answers) - 1, link)
    yield [*history, {"role": "assistant", "content": message_html}], answers, turn, status


def open_request(app: Any, request: str, answers: list[Answer]) -> Shown:
    """`cite:T:N` (citation N of answer T), `num:T:I` (checked number I of answer T) or `copy:T`."""
    kind, _, rest = (request or "").partition(":")
    try:
        parts = [int(p) for p in rest.split(":")]
        a = answers[parts[0]]
        if kind == "copy":
            try:  # the permalink too; the page puts its own address in place of PAGE_MARK (COPY_JS)
                link = f"\n\n本答案的链接：{PAGE_MARK}?a={save_answer(app.settings.home, a)}"
            except OSError:
                link = ""
            return None, "已复制为纯文本（含来源）。浏览器不允许时请从下框复制。", "", answer_text(a) + link
        if kind == "cite":
            c = next(c for c in a.citations if c.n == parts[1])
            return _show(app, app.viewer.citation_view(c), f"[{c.n}] 《{c.title}》", c.quote)
        if kind == "num":
            n = a.numbers[parts[1]]
            view = app.viewer.number_view(n)
            if view is None:
                return None, f"{n.text}：没有可打开的表格单元格（{n.note or '未与表格单元格对照'}）", "", ""
            src = n.source or {}
            return _show(
                app, view, f"{n.text} ↔ {src.get('table', '')} · {src.get('row', '')} · {src.get('column', '')}", ""
            )
    except (ValueError, IndexError, StopIteration):
        return None, "⚠ 这个来源已不在当前对话中（对话清空后请重新提问）", "", ""
    except BudgetQAError as exc:
        return None, f"⚠ {exc}", "", ""
    return None, "", "", ""


def _show(app: Any, view: PageView, title: str, quote: str) -> Shown:
    if view.context is not None:
        ctx = view.context
        page = f"第{ctx.page}页" if ctx.page else "页码不详（文本报告未印页码）"
        html = (
            f'<div class="context">{escape(ctx.before)}<mark>{highlight(ctx.passage, quote) if quote else escape(ctx.passage)}</mark>'
            f"{escape(ctx.after)}</div>"
        ).replace("\n", "<br>")
        return None, f"{title} · {page} · 文本报告：原文上下文", html, ""
    numbers = [h.page for h in view.highlights] or ([view.page] if view.page else [])
    pages = labels(app, view.doc_id, numbers)
    name = titles(app).get(view.doc_id, view.doc_id)
    image = page_download(app.viewer.render_view(view), name, "-".join(f"第{p}页" for p in numbers))
    note = "红框为引用的原文" if view.highlights else "⚠ 未能在页面上框出原文（可能跨栏或被改写），请在页面中查看"
    return str(image) if image else None, f"{title} · {pages} · {note}", "", ""


def export_conversation(answers: list[Answer], fmt: str) -> str | None:
    if not answers:
        return None
    folder = Path(tempfile.mkdtemp(prefix="budgetqa-export-"))
    if fmt == "docx":
        return str(conversation_docx(answers, folder / "budgetqa-对话.docx"))
    path = folder / "budgetqa-对话.md"
    path.write_text(conversation_markdown(answers), encoding="utf-8")
    return str(path)


# one delegated listener: a click on [n], a mark or "复制" asks the server through a hidden textbox
CLICK_JS = """
<script>
document.addEventListener('click', (e) => {
  const el = e.target.closest('[data-cite],[data-num],[data-copy]');
  if (!el) return;
  e.preventDefault();
  const req = el.dataset.cite ? 'cite:' + el.dataset.cite : el.dataset.num ? 'num:' + el.dataset.num : 'copy:' + el.dataset.copy;
  const box = document.querySelector('#open-request textarea');
  if (!box) return;
  box.value = req;
  box.dispatchEvent(new Event('input', {bubbles: true}));
  setTimeout(() => document.querySelector('#open-button').click(), 80);
});
</script>
"""
PAGE_MARK = "{页面地址}"
COPY_JS = (
    "(req, text) => { if (!(req && req.startsWith('copy:') && text)) return text;"
    f" text = text.replace('{PAGE_MARK}', location.origin + location.pathname);"
    " if (navigator.clipboard) navigator.clipboard.writeText(text).catch(() => {}); return text; }"
)


def give_feedback(
    app: Any,
    answers: list[Answer],
    turn: float | None,
    verdict: str | None,
    reason: str | None,
    comment: str,
    numbers: str,
    evidence: str,
) -> str:
    """对/错 on an answer of this conversation (the latest by default), kept in the home."""
    from ui.feedback import make_feedback, save_feedback

    if not answers:
        return "⚠ 还没有可以反馈的答案：请先提问"
    n = int(turn or 0) or len(answers)
    if not 1 <= n <= len(answers):
        return f"⚠ 没有第 {n} 个答案：这段对话有 {len(answers)} 个答案（0 为最新）"
    try:
        fb = make_feedback(answers[n - 1], verdict or "", reason or "", comment or "", numbers or "", evidence or "")
        save_feedback(app.settings.home, fb)
    except BudgetQAError as exc:
        return f"⚠ {exc}"
    except OSError as exc:
        return f"⚠ 无法保存反馈（{exc.strerror}）；数据目录可能只读"
    why = f"（{fb.reason}）" if fb.reason else ""
    return (
        f"已记下第 {n} 个答案：{fb.verdict}{why}。导出为评测问题集：budgetqa feedback --export 反馈.jsonl，"
        "再用 budgetqa eval --gold 反馈.jsonl 评测"
    )
