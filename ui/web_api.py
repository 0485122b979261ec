"""The web app's HTTP API and MCP tools: ask, check, locate, compare, audit.

Each is registered with `gr.api`, so one function serves three callers: gradio_client
(`Client(url).predict(..., api_name="/ask")`), the MCP server (`/gradio_api/mcp/`, tool = function
name, description = docstring) and the API page. They run unqueued: the MCP server then calls them in
process instead of through an HTTP loopback that a login would stop. Each returns JSON text (field
names in English, as `--json` prints them; texts in Chinese): the same text for an MCP client and for
gradio_client (`json.loads(client.predict(...))`). Bad input raises gr.Error with the Chinese line.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import gradio as gr

from ingest.errors import BudgetQAError
from ui.cli import dump_json
from ui.takeaway import LABELS, answer_text

API_NAMES = ("ask", "check", "locate", "compare", "audit")
MCP_PATH = "/gradio_api/mcp"


def _reports(text: str) -> tuple[str, ...]:
    """'a, b；c' → ('a', 'b', 'c'): report ids as one string, the form every client can send."""
    return tuple(
        p.strip() for p in text.replace("；", ",").replace("，", ",").replace(";", ",").split(",") if p.strip()
    )


def _numbers(numbers: Any) -> list[dict[str, Any]]:
    return [
        {"text": n.text, "status": n.status, "label": LABELS[n.status], "note": n.note, "source": n.source}
        for n in numbers
    ]


def register(app: Any) -> None:
    """Adds the five endpoints to the Blocks being built (call inside `with gr.Blocks()`)."""

    def guarded(fn: Callable[..., dict]) -> Callable[..., str]:
        @functools.wraps(fn)  # name, docstring and signature: what the API page and the MCP tool list show
        def run(*args: Any, **kwargs: Any) -> str:
            try:
                return dump_json(fn(*args, **kwargs))
            except BudgetQAError as exc:
                raise gr.Error(str(exc), print_exception=False) from None

        run.__annotations__ = {**fn.__annotations__, "return": "str"}
        return run

    def ask(question: str, reports: str = "", top_k: int = 5) -> dict:
        """就已读入的预决算报告提问。答案只引用报告原文，注明报告、章节和页码；答案中的每个数字都与报告表格中同一项核对（verified 一致、rounding 尾数差、mismatch 不符、quoted 原文如此、unclear/unsupported 无法确定）。

        Args:
            question: 要问的问题，写明单位和年度更准，例如“清城区工信局2024年政府性基金预算财政拨款收入为什么增加？”
            reports: 只在这些报告中查找：报告编号，多个用逗号分隔；留空则在全部报告中查找
            top_k: 参考的原文段落数（1 到 50，默认 5）

        Returns:
            JSON 文本：answer 答案、text 含核对与来源的纯文本、numbers 每个数字的核对、citations 引用（报告编号、章节、页码、原文）
        """
        a = app.qa.ask(question, doc_ids=_reports(reports), top_k=int(top_k))
        return {
            "question": a.question,
            "answer": a.answer,
            "text": answer_text(a),
            "abstained": a.abstained,
            "notes": list(a.notes),
            "numbers": _numbers(a.numbers),
            "citations": [
                {k: v for k, v in asdict(c).items() if k in ("n", "doc_id", "title", "section", "page", "quote")}
                for c in a.citations
            ],
            "table": [list(r) for r in a.table],
        }

    def check(sentence: str, reports: str = "") -> dict:
        """核对一句话（如新闻稿）中每个带单位的数字：与句中所指报告（或指定报告）表格中同一项比对，给出表、行、列和页码。

        Args:
            sentence: 要核对的句子，须写明单位名称和年度，例如“清城区工信局2024年政府性基金预算财政拨款收入42,000万元”
            reports: 对照这些报告：报告编号，多个用逗号分隔；留空则用句中写明的单位和年度所指的报告

        Returns:
            JSON 文本：doc_ids 对照的报告，numbers 每个数字的核对结果（status、label、note、source 表行列页）
        """
        docs, numbers = app.qa.check(sentence, _reports(reports))
        return {"sentence": sentence, "doc_ids": list(docs), "numbers": _numbers(numbers)}

    def locate(text: str, reports: str = "") -> dict:
        """查找一段引文或一个数字在哪份报告的哪一页（表格中的行和列，或文字所在的章节）；不同写法和单位（元/万元、千分位）都能找到。

        Args:
            text: 要查找的引文或数字，例如“42400”或一段原文
            reports: 只在这些报告中查找：报告编号，多个用逗号分隔；留空则查全部报告

        Returns:
            JSON 文本：hits 每处的报告编号、标题、页码、章节或表行列、上下文
        """
        hits = app.locator.locate(text, _reports(reports))
        return {"query": text, "hits": [asdict(h) for h in hits]}

    def compare(item: str, reports: str = "", rank: bool = False) -> dict:
        """同一项目在多份报告中的数字对比，直接取自各报告的表格：每份报告一行，数值（万元）及其所在的表、行、列和页码；同一阶段、同一口径才可比较和排名。

        Args:
            item: 项目名称或功能分类编码，如“三公经费”“一般公共预算财政拨款支出”“社会保障和就业支出”“收入总计”或“208”
            reports: 只比较这些报告：报告编号，多个用逗号分隔；留空则比较全部报告
            rank: 是否按数值排序（默认按年度）

        Returns:
            JSON 文本：item 项目、comparable 能否直接比较及 reason 原因、rows 每份报告的数值和出处
        """
        from rag.figures import comparison_dict

        return comparison_dict(app.qa.compare_item(item.strip(), _reports(reports), rank=bool(rank)))

    def audit(report: str = "") -> dict:
        """检查报告内部是否自洽：合计不等于各项之和、增长率或占比与金额不符、文字金额与表格矛盾、同一科目两表不一致。每条发现给出应为、实为、页码和原文。

        Args:
            report: 要检查的报告编号；留空则检查全部报告

        Returns:
            JSON 文本：reports 每份报告的 findings（severity 严重程度、message、expected 应为、found 实为、page、quote）
        """
        from rag.audit import audit as audit_report

        known = app.store.catalog.doc_ids()
        docs = _reports(report) or tuple(known)
        for d in docs:
            if d not in known:
                raise BudgetQAError(f"没有报告编号为「{d}」的报告；可用 reports 列出的编号，或留空检查全部报告")
        return {"reports": [{"doc_id": d, "findings": [asdict(f) for f in audit_report(app.store, d)]} for d in docs]}

    for fn in (ask, check, locate, compare, audit):
        gr.api(guarded(fn), api_name=fn.__name__, queue=False)


def _credentials(header: str) -> tuple[str, str] | None:
    """The user and password of an `Authorization: Basic …` header."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def allowed(auth: Any, user: str, password: str) -> bool:
    """Gradio's own `auth` forms: a list of (user, password) pairs, or a function of both."""
    if callable(auth):
        return bool(auth(user, password))
    return any(user == u and password == p for u, p in auth)


class McpAuth:
    """ASGI middleware: Gradio mounts its MCP server outside its login, so with `--auth` a request to
    /gradio_api/mcp must bring the same user and password (HTTP Basic), or the cookie of a login in
    the browser."""

    def __init__(self, asgi: Any, auth: Any) -> None:
        self.asgi, self.auth = asgi, auth

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(MCP_PATH) or self._admitted(scope):
            await self.asgi(scope, receive, send)
            return
        body = "需要登录：请在请求头中带上 Authorization: Basic（与网页相同的用户名和密码）".encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"www-authenticate", b'Basic realm="budgetqa"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _admitted(self, scope: dict) -> bool:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        given = _credentials(headers.get("authorization", ""))
        if given and allowed(self.auth, *given):
            return True
        tokens = getattr(scope.get("app"), "tokens", {}) or {}  # Gradio's logins, by cookie
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name.startswith("access-token") and value in tokens:
                return True
        return False
