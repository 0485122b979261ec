"""The `budgetqa` command. Library errors become one line on stderr (exit 2 for bad input)."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingest.errors import BackendError, BadInputError, BudgetQAError
from ingest.model import Answer, page_label
from ingest.ocr import EXTRA_HINT
from ingest.settings import Settings, load_settings
from ui.auth import add_user_parser, cmd_user, serve_logins
from ui.cli_docs import add_docs_parser, cmd_docs
from ui.takeaway import LABELS, MARKS, compare_summary

SEVERITY = {"error": "错误", "warning": "警告", "info": "提示"}

DEFAULT_CORPUS = Path("corpus")


def _json_default(o: Any) -> Any:
    if isinstance(o, Decimal):
        return float(o)
    if isinstance(o, Path):
        return str(o)
    raise TypeError(type(o).__name__)


def dump_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=_json_default)


def answer_to_dict(a: Answer) -> dict[str, Any]:
    return {
        "question": a.question,
        "answer": a.answer,
        "mode": a.mode,
        "abstained": a.abstained,
        "citations": [asdict(c) for c in a.citations],
        "retrieved": [
            {
                "chunk_id": r.chunk.chunk_id,
                "doc_id": r.chunk.doc_id,
                "score": r.score,
                "text": r.chunk.text,
                "section": r.chunk.section,
                "page": r.chunk.page,
            }
            for r in a.retrieved
        ],
        "numbers": [
            {"text": n.text, "value": n.value, "unit": n.unit, "status": n.status, "source": n.source, "note": n.note}
            for n in a.numbers
        ],
        "notes": list(a.notes),
        "backend": a.backend,
        "table": [list(r) for r in a.table],
        "alternative": answer_to_dict(a.alternative) if a.alternative else None,
        **({"asked": a.asked} if a.asked else {}),
    }


def _where(c: Any) -> str:
    # a Citation, or a retrieved Chunk; a sheet or a Word document is cited by its locator, not a page
    page = getattr(c, "locator", "") or page_label(c.page, getattr(c, "ocr", False))
    return f"《{c.title}》 {c.section or '（无章节）'} · {page}"


def print_answer(a: Answer, out=sys.stdout, streamed: bool = False) -> None:  # noqa: ANN001
    if a.mode == "llm":
        if streamed:  # the raw stream is on screen already; this is the validated, renumbered text
            print("\n\n—— 核对后的答案 ——", file=out)
        print(f"（大模型答案：{a.backend}；引用已校验，数字已核对）", file=out)
    for note in a.notes:
        print(f"⚠ {note}", file=out)
    print(a.answer, file=out)
    if a.table:
        print(file=out)
        print_table(a.table, out)
    if a.numbers:
        print("\n数字核对：", file=out)
        for n in a.numbers:
            print(f"  {MARKS[n.status]} {n.text}  {LABELS[n.status]}  {n.note}", file=out)
    if a.citations:
        print("\n引用：", file=out)
        for c in a.citations:
            print(f"[{c.n}] {_where(c)}", file=out)
            print(f"    「{c.quote}」", file=out)
    if a.abstained and a.retrieved:
        print("\n最接近的段落：", file=out)
        for i, r in enumerate(a.retrieved[:5], start=1):
            snippet = r.chunk.text.replace("\n", " ")[:120]
            print(f"  {i}. {_where(r.chunk)}\n     {snippet}", file=out)
    if a.alternative is not None:
        print("\n—— 抽取式答案（数字可核对）——", file=out)
        print_answer(a.alternative, out)


# --- commands ------------------------------------------------------------------------------
def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.fetch import local_paths  # a URL is downloaded into the uploads folder first
    from ingest.pipeline import Store, tqdm_chunks, tqdm_progress

    paths = local_paths(args.paths, settings) or [DEFAULT_CORPUS]
    if args.rebuild:
        from ingest.pipeline import remove_index

        print(f"已删除 {settings.home} 下的索引：{'、'.join(remove_index(settings)) or '原本就没有'}")
    store = Store(settings)
    t0 = time.perf_counter()
    result = store.ingest(paths, prune=args.prune, progress=tqdm_progress(), on_chunks=tqdm_chunks())
    dt = time.perf_counter() - t0
    for err in result.errors:
        print(f"读取失败：{err}", file=sys.stderr)
    for path, twin in result.duplicates:
        print(f"跳过 {path}：同样的内容已作为 {twin} 读入", file=sys.stderr)
    for path, why in result.skipped:  # a folder's files no reader reads: named, never dropped silently
        print(f"跳过 {path}：{why}", file=sys.stderr)
    for doc_id, pages in result.scanned.items():
        print(
            f"{doc_id}：{len(pages)} 页没有可用的文字层（扫描件或文字编码损坏），已由 OCR 识读（第 {_pages(pages)} 页）",
            file=sys.stderr,
        )
    for doc_id, pages in result.unread.items():
        print(f"注意：{doc_id}：扫描页（第 {_pages(pages)} 页）未能识读；{EXTRA_HINT}", file=sys.stderr)
    print(
        f"读入完成：新增 {len(result.added)} 份，更新 {len(result.updated)} 份，未变 {len(result.unchanged)} 份，"
        f"移除 {len(result.removed)} 份；{result.chunks_embedded} 段文字已向量化；"
        f"{len(result.errors)} 个文件失败，{len(result.skipped)} 个文件跳过；用时 {dt:.1f} 秒"
        + (f"；清除了 {result.orphans_removed} 个过期向量" if result.orphans_removed else "")
    )
    store.close()
    return 1 if result.errors or result.skipped else 0  # a batch where any file failed or was skipped is not a success


def _pages(pages: tuple[int, ...]) -> str:
    return ", ".join(map(str, pages[:12])) + (" …" if len(pages) > 12 else "")


def _qa(settings: Settings):  # noqa: ANN202
    from rag.service import QA

    return QA(settings)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from rag.conversation import load_turn, save_turn, session_path

    qa = _qa(settings)
    fmt = "json" if args.json else args.format
    stream = None
    if fmt == "text" and (args.llm or (args.llm is None and settings.llm_configured)):

        def stream(piece: str) -> None:
            sys.stdout.write(piece)
            sys.stdout.flush()

    session = args.session or ("last" if args.follow_up else "")
    path = session_path(settings.sessions_dir, session or "last")
    previous = load_turn(path) if session else None
    options = {"doc_ids": tuple(args.doc or ()), "top_k": args.top_k, "use_llm": args.llm, "on_token": stream}
    answer, turn = qa.converse(args.question, previous, **options)
    try:  # what `ask --follow-up` continues; a home that can't be written just has no memory
        save_turn(path, turn)
    except OSError:
        pass
    if fmt == "json":
        from rag.pages import PageViewer

        data = answer_to_dict(answer)
        viewer = PageViewer(qa.store)  # where each citation and each checked cell stands on its page
        for c, d in zip(answer.citations, data["citations"], strict=True):
            d["boxes"] = viewer.citation_view(c).to_dict()["boxes"]
        for n, d in zip(answer.numbers, data["numbers"], strict=True):
            view = viewer.number_view(n)
            d["boxes"] = view.to_dict()["boxes"] if view else []
        print(dump_json(data))
    elif fmt == "md":
        from ui.takeaway import answer_markdown

        print(answer_markdown(answer))
    else:
        if answer.asked:
            print(f"理解为：{answer.question}")
        print_answer(answer, streamed=stream is not None and answer.mode == "llm")
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from ui.chat import run_chat

    options = {"doc_ids": tuple(args.doc or ()), "top_k": args.top_k, "use_llm": args.llm}
    return run_chat(_qa(settings), options)


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    qa = _qa(settings)
    docs, numbers = qa.check(args.sentence, tuple(args.doc or ()))
    if args.json:
        print(dump_json({"sentence": args.sentence, "doc_ids": list(docs), "numbers": [asdict(n) for n in numbers]}))
        return 0
    titles = [qa.retriever.reports[d]["title"] for d in docs]
    print("核对所依据的报告：" + "；".join(f"《{t}》（{d}）" for t, d in zip(titles, docs, strict=True)))
    if not numbers:
        print("句中没有带单位（元/万元/亿元/%）的数字可核对。")
    for n in numbers:
        print(f"{MARKS[n.status]} {n.text}\t{LABELS[n.status]}\t{n.note}")
    return 0


def cmd_compare(args: argparse.Namespace, settings: Settings) -> int:
    from rag.figures import comparison_dict

    qa = _qa(settings)
    result = qa.compare_item(
        args.item, tuple(args.doc or ()), args.department or "", tuple(args.year or ()), args.kind, args.rank
    )
    for target in (args.csv, args.out):
        if target:
            from ui.takeaway import write_rows

            head, *rows = result.table()
            write_rows(head, rows, _out_path(target))
    if args.json:
        print(dump_json(comparison_dict(result)))
        return 0
    print(compare_summary(result))
    if not result.comparable:
        print(f"⚠ 不能直接比较：{result.reason}")
    print_table(result.table())
    for line in result.computed:
        print(f"计算（本工具据上表算出）：{line}")
    for target in (args.csv, args.out):
        if target:
            print(f"已写入 {target}")
    return 0


def _out_path(target: str) -> Path:
    path = Path(target).expanduser()
    if not path.parent.exists():
        raise BadInputError(f"{target}：文件夹 {path.parent} 不存在；请先建好文件夹，或写到别处")
    return path


def print_table(rows: tuple[tuple[str, ...], ...], out=sys.stdout) -> None:  # noqa: ANN001
    """Rows as tab-separated lines: pastes into a spreadsheet as columns."""
    for r in rows:
        print("\t".join(r), file=out)


def cmd_tables(args: argparse.Namespace, settings: Settings) -> int:
    import csv

    from ingest.pipeline import Store

    store = Store(settings, write=False)
    if args.doc_id not in store.catalog.doc_ids():
        raise BadInputError(f"没有报告编号为「{args.doc_id}」的报告；已读入的报告见 budgetqa docs")
    tables = store.facts.tables(args.doc_id)
    for t in tables:
        flag = "" if t["aligned"] else "  [列未对齐，数字已保留]"
        page = f"第{t['page']}页" if t["page"] else "页码不详"
        print(
            f"{t['ord'] + 1:>2}. {t['title'] or '（无标题）'} {t['code']} 单位：{t['unit'] or '-'} · {page} · {len(t['rows'])}行{flag}"
        )
    if args.csv:
        out = Path(args.csv)
        out.mkdir(parents=True, exist_ok=True)
        for t in tables:
            name = f"{t['ord'] + 1:02d}-{(t['title'] or 'table').replace('/', '_')}.csv"
            with (out / name).open("w", newline="", encoding="utf-8-sig") as f:
                w = csv.writer(f)
                w.writerows(t["header"] + t["rows"])
        print(f"已把 {len(tables)} 张表写成 CSV 文件，放在 {out}")
    return 0


def cmd_locate(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.pipeline import Store
    from rag.locate import Locator

    store = Store(settings, write=False)
    hits = Locator(store).locate(args.text, tuple(args.doc or ()))
    if args.out:
        from ui.takeaway import LOCATE_HEADER, locate_table, write_rows

        print(f"已写入 {write_rows(LOCATE_HEADER, locate_table(hits), _out_path(args.out))}", file=sys.stderr)
    if args.json:
        from rag.pages import PageViewer

        viewer = PageViewer(store)
        print(
            dump_json(
                {"query": args.text, "hits": [{**asdict(h), "boxes": viewer.hit_boxes(h, args.text)} for h in hits]}
            )
        )
        return 0
    if not hits:
        print("没有找到。")
    for h in hits:
        page = f"第{h.page}页" if h.page else "页码不详"
        where = f"{h.table} · {h.row} · {h.column or '（列未对齐）'}" if h.kind == "table" else h.section
        print(f"{h.doc_id} · {page} · {where}\n    {h.context}")
    return 0


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.pipeline import Store
    from rag.audit import audit_report, finding_line, summary

    store = Store(settings, write=False)
    known = store.catalog.doc_ids()
    docs = args.doc_ids or known
    for d in docs:
        if d not in known:
            raise BadInputError(f"没有报告编号为「{d}」的报告；已读入的报告见 budgetqa docs")
    audited = {d: audit_report(store, d) for d in docs}
    found = {d: list(a.findings) for d, a in audited.items()}
    results = [
        {"doc_id": d, "summary": summary(a), "checks_ran": list(a.ran), "checks_skipped": [list(x) for x in a.skipped]}
        | {"findings": [asdict(f) for f in a.findings]}
        for d, a in audited.items()
    ]
    if args.out:
        from ui.takeaway import AUDIT_HEADER, audit_table, write_rows

        rows = [r for d, fs in found.items() for r in audit_table(d, fs)]
        print(f"已写入 {write_rows(AUDIT_HEADER, rows, _out_path(args.out))}", file=sys.stderr)
    if args.json:
        print(dump_json(results[0] if len(results) == 1 else results))
        return 0
    for d, a in audited.items():
        print(f"== {d}：{summary(a)}")
        for f in a.findings:
            print("  " + finding_line(f).replace("\n", "\n  "))
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from ui.cli_eval import run_eval

    return run_eval(args, settings)


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.doctor import examine
    from ingest.pipeline import Store

    checks = examine(Store(settings, write=args.repair), repair=args.repair)
    for c in checks:
        mark = "正常" if c.ok else ("已修复" if c.repaired else "有问题")
        print(f"{mark:<5}{c.name}：{c.detail}")
    open_problems = [c for c in checks if not c.ok and not c.repaired]
    if open_problems and not args.repair:
        print("运行 budgetqa doctor --repair 可修复能就地修复的问题", file=sys.stderr)
    return 1 if open_problems else 0


def cmd_feedback(args: argparse.Namespace, settings: Settings) -> int:
    from ui.feedback import export_gold, feedback_path, load_feedback

    if args.export:
        n = export_gold(settings.home, Path(args.export).expanduser())
        print(f"已把 {n} 条反馈写成标准问题集：{args.export}（用 budgetqa eval --gold {args.export} 评测）")
        return 0
    records = load_feedback(settings.home)
    if not records:
        print(f"还没有反馈（网页上每个答案下可标“对”或“错”；保存在 {feedback_path(settings.home)}）")
    for fb in records:
        why = f"（{fb.reason}）" if fb.reason else ""
        print(f"{fb.time}  {fb.verdict}{why}  {fb.question}  {fb.comment}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import os

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from an offline machine
    from ui.upload_cache import bound_upload_cache

    bound_upload_cache(settings)  # Gradio's upload cache (GRADIO_TEMP_DIR) ours and bounded, before Gradio loads
    from ui.web import serve

    if not 0 < args.port < 65536:
        raise BadInputError(f"--port {args.port} 不是有效的端口号；请用 1–65535 之间的数，如 7860")
    users = serve_logins(args.auth, settings)  # hashed passwords, delays and lockout (ui.auth)
    if not users and args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"budgetqa：注意：在 {args.host} 上对外服务却没有 --auth（没有登录），能访问端口 {args.port} 的任何人"
            "都能提问和上传；请先运行 budgetqa user add 用户名 建立登录用户",
            file=sys.stderr,
        )
    serve(settings, args.host, args.port, auth=users)
    return 0


def read_users(text: str, source: str) -> list[tuple[str, str]]:
    """'user:password' pairs, one per line or comma-separated; blank lines and # comments skipped."""
    users = []
    for raw in text.replace(",", "\n").splitlines():
        item = raw.strip()
        if not item or item.startswith("#"):
            continue
        user, sep, password = item.partition(":")
        if not sep or not user.strip() or not password:
            raise BadInputError(f"{source}：用户「{item.split(':')[0]}」没有密码；请写成 用户名:密码")
        users.append((user.strip(), password))
    return users


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "serve": cmd_serve,
    "eval": cmd_eval,
    "audit": cmd_audit,
    "locate": cmd_locate,
    "ingest": cmd_ingest,
    "ask": cmd_ask,
    "docs": cmd_docs,
    "check": cmd_check,
    "tables": cmd_tables,
    "compare": cmd_compare,
    "chat": cmd_chat,
    "doctor": cmd_doctor,
    "feedback": cmd_feedback,
    "user": cmd_user,
}


def build_parser() -> argparse.ArgumentParser:
    from ui.cli_help import DESCRIPTION, EPILOG, ChineseArgumentParser, command

    p = ChineseArgumentParser(prog="budgetqa", description=DESCRIPTION, epilog=EPILOG)
    sub = p.add_subparsers(dest="command", required=True, metavar="命令")
    doc = {"action": "append", "metavar": "报告编号", "help": "只在这份报告中（报告编号见 budgetqa docs）；可重复"}
    s = sub.add_parser("ingest", **command("ingest"))
    s.add_argument("paths", nargs="*", metavar="路径", help="报告文件、文件夹或 http(s) 网址（默认：corpus/）")
    s.add_argument("--prune", action="store_true", help="从索引中删去原文件已不在的报告")
    s.add_argument(
        "--rebuild",
        action="store_true",
        help="重建索引（目录数据库损坏时）：先删除索引，再读入文件",
    )
    s = sub.add_parser("ask", **command("ask"))
    s.add_argument("question", metavar="问题")
    s.add_argument("--doc", **doc)
    s.add_argument("--top-k", type=int, default=None, metavar="N", help="参考的原文段落数（1–50，默认 5）")
    s.add_argument("--json", action="store_true", help="同 --format json")
    s.add_argument(
        "--format",
        choices=["text", "md", "json"],
        default="text",
        help="输出格式：text 文本（默认）；md 答案、核对与来源的 Markdown；json 供程序读取",
    )
    s.add_argument("--follow-up", action="store_true", help="追问：用上一次 ask 的报告、年度和项目补全问题")
    s.add_argument("--session", default="", metavar="名称", help="给脚本用的具名对话：每次 ask 接着同名对话的上一问")
    s.add_argument(
        "--llm",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="用已配置的大模型作答（--no-llm：抽取式，只引用原文）；默认：配置了大模型就用",
    )
    s = sub.add_parser("chat", **command("chat"))
    s.add_argument("--doc", **doc)
    s.add_argument("--top-k", type=int, default=None, metavar="N", help="参考的原文段落数")
    s.add_argument("--llm", action=argparse.BooleanOptionalAction, default=None, help="是否用大模型作答")
    s = sub.add_parser("doctor", **command("doctor"))
    s.add_argument("--repair", action="store_true", help="删除多余向量、补上缺失向量、重建检索索引")
    add_docs_parser(sub)
    s = sub.add_parser("check", **command("check"))
    s.add_argument("sentence", metavar="句子")
    s.add_argument("--doc", **{**doc, "help": "对照这份报告（默认：句中写明的单位和年度所指的报告）；可重复"})
    s.add_argument("--json", action="store_true", help="输出 JSON，供程序读取")
    s = sub.add_parser("locate", **command("locate"))
    s.add_argument("text", metavar="引文或数字")
    s.add_argument("--doc", **doc)
    s.add_argument("--json", action="store_true", help="输出 JSON（含页面上的位置框）")
    s.add_argument("--out", default="", metavar="文件", help="同时把查找结果写入 .csv 或 .xlsx 文件")
    s = sub.add_parser("audit", **command("audit"))
    s.add_argument("doc_ids", nargs="*", metavar="报告编号", help="要检查的报告（默认：全部）")
    s.add_argument("--json", action="store_true", help="输出 JSON，供程序读取")
    s.add_argument("--out", default="", metavar="文件", help="同时把审计结果写入 .csv 或 .xlsx 文件")
    s = sub.add_parser("compare", **command("compare"))
    s.add_argument(
        "item",
        metavar="项目",
        help="如 三公经费、一般公共预算财政拨款支出、社会保障和就业支出、收入总计，或功能分类编码如 208",
    )
    s.add_argument("--doc", **doc)
    s.add_argument("--department", default="", metavar="文字", help="只看单位名称或标题含这段文字的报告")
    s.add_argument("--year", type=int, action="append", metavar="年度", help="只看这一年度的报告；可重复")
    s.add_argument(
        "--kind", choices=["决算", "预算", "绩效自评", "other"], default=None, help="只看这一类报告（other：其他）"
    )
    s.add_argument("--rank", action="store_true", help="按数值排序（默认：同一单位按年度排）")
    s.add_argument("--csv", default="", metavar="文件", help="同时把对比表写入 CSV 文件")
    s.add_argument("--out", default="", metavar="文件", help="同时把对比表写入 .csv 或 .xlsx 文件")
    s.add_argument("--json", action="store_true", help="输出 JSON，供程序读取")
    s = sub.add_parser("tables", **command("tables"))
    s.add_argument("doc_id", metavar="报告编号")
    s.add_argument("--csv", default="", metavar="文件夹", help="把每张表导出为 CSV 文件，放在这个文件夹")
    s = sub.add_parser("eval", **command("eval"))
    s.add_argument(
        "--gold", default="", metavar="文件", help="标准问题集（JSON Lines；默认：开发集 eval/gold/dev.jsonl）"
    )
    s.add_argument("--top-k", type=int, default=5, metavar="N", help="每题参考的原文段落数（默认 5）")
    s.add_argument("--doc-filter", action="store_true", help="每题只在它所问的报告中检索")
    s.add_argument("--json", action="store_true", help="输出 JSON，供程序读取")
    s.add_argument("--out", default="", metavar="文件夹", help="把 report.json、report.md 和图表写到这里")
    s.add_argument("--baseline", action="store_true", help="同时跑 llama-index 默认流程作对照")
    s.add_argument("--by-family", action="store_true", help="按报告系列分别给出指标")
    s.add_argument(
        "--lofo",
        action="store_true",
        help="留一系列法：每个系列用在其他系列上选定的调参打分",
    )
    s.add_argument(
        "--families", default="", metavar="文件", help="报告编号<TAB>系列 的对照表（默认：eval/gold/families.tsv）"
    )
    s.add_argument("--llm", action="store_true", help="同时评测大模型作答（需配置 BUDGETQA_LLM_*）")
    s.add_argument(
        "--numbers",
        action="store_true",
        help="数字探针（代替问题集）：报告自己的句子与自己的表格核对（不应出现 ✗），"
        "以及改动一个金额后的同一句子（不应出现 ✓）",
    )
    s.add_argument("--doc", **{**doc, "help": "与 --numbers 同用：只探这些报告"})
    s = sub.add_parser("feedback", **command("feedback"))
    s.add_argument(
        "--export",
        default="",
        metavar="文件.jsonl",
        help="把反馈写成 budgetqa eval --gold 能读的标准问题集（JSON Lines）",
    )
    s = sub.add_parser("serve", **command("serve"))
    s.add_argument("--host", default="127.0.0.1", metavar="地址", help="监听地址（默认 127.0.0.1：仅本机可访问）")
    s.add_argument("--port", type=int, default=7860, metavar="端口", help="端口（默认 7860）")
    s.add_argument(
        "--auth",
        default="",
        metavar="文件",
        help="budgetqa user add 写下的认证文件；设了就要求登录（默认：BUDGETQA_HOME/users.auth 存在时用它）",
    )
    add_user_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors exit 2 already
        return int(exc.code or 0)
    settings = None
    try:
        settings = load_settings()
        return COMMANDS[args.command](args, settings)
    except BadInputError as exc:
        print(f"budgetqa：{exc}", file=sys.stderr)
        return 2
    except BackendError as exc:
        print(f"budgetqa：{exc}", file=sys.stderr)
        return 3
    except BudgetQAError as exc:
        print(f"budgetqa：{exc}", file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as exc:  # a catalog damaged while in use (the open itself is checked)
        from ingest.lock import open_failure  # "--rebuild" only when the integrity check finds damage

        db = (settings or load_settings({})).db_path
        print(f"budgetqa：{open_failure(exc, db)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `budgetqa … | head`: the reader left, nothing to report
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("budgetqa：已中断", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
