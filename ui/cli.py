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
from ui.takeaway import MARKS

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
        print(f"（LLM 答案：{a.backend}；引用已校验，数字已核对）", file=out)
    for note in a.notes:
        print(f"⚠ {note}", file=out)
    print(a.answer, file=out)
    if a.table:
        print(file=out)
        print_table(a.table, out)
    if a.numbers:
        print("\n数字核对：", file=out)
        for n in a.numbers:
            print(f"  {MARKS[n.status]} {n.text}  {n.status}  {n.note}", file=out)
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
    from ingest.pipeline import Store, tqdm_chunks, tqdm_progress

    paths = [Path(p) for p in args.paths] or [DEFAULT_CORPUS]
    if args.rebuild:
        from ingest.pipeline import remove_index

        print(f"removed the index under {settings.home}: {', '.join(remove_index(settings)) or 'nothing there'}")
    store = Store(settings)
    t0 = time.perf_counter()
    result = store.ingest(paths, prune=args.prune, progress=tqdm_progress(), on_chunks=tqdm_chunks())
    dt = time.perf_counter() - t0
    for err in result.errors:
        print(f"error: {err}", file=sys.stderr)
    for path, twin in result.duplicates:
        print(f"skipped {path}: the same content is indexed already as {twin}", file=sys.stderr)
    for path, why in result.skipped:  # a folder's files no reader reads: named, never dropped silently
        print(f"跳过 {path}：{why}", file=sys.stderr)
    for doc_id, pages in result.scanned.items():
        print(f"{doc_id}: {len(pages)} scanned page(s) read by OCR ({_pages(pages)})", file=sys.stderr)
    for doc_id, pages in result.unread.items():
        print(f"warning: {doc_id}: scanned page(s) {_pages(pages)} not read; {EXTRA_HINT}", file=sys.stderr)
    print(
        f"ingested {len(result.added)} new, {len(result.updated)} updated, {len(result.unchanged)} unchanged, "
        f"{len(result.removed)} removed; {result.chunks_embedded} chunks embedded; "
        f"{len(result.errors)} file(s) failed, {len(result.skipped)} skipped; {dt:.1f}s"
        + (f"; {result.orphans_removed} stale vectors removed" if result.orphans_removed else "")
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
        print(f"{MARKS[n.status]} {n.text}\t{n.status}\t{n.note}")
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
    print(
        f"「{result.request.describe()}」，{len(result.found)}/{len(result.rows)} 个报告的表格中有这一项（单位：万元）"
    )
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
        raise BadInputError(f"{target}: folder {path.parent} does not exist; create it or write elsewhere")
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
        raise BadInputError(f"unknown doc_id {args.doc_id!r}; see `budgetqa docs`")
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
        print(f"wrote {len(tables)} CSV files to {out}")
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
    from rag.audit import audit

    store = Store(settings, write=False)
    known = store.catalog.doc_ids()
    docs = args.doc_ids or known
    for d in docs:
        if d not in known:
            raise BadInputError(f"unknown doc_id {d!r}; see `budgetqa docs`")
    found = {d: audit(store, d) for d in docs}
    results = [{"doc_id": d, "findings": [asdict(f) for f in fs]} for d, fs in found.items()]
    if args.out:
        from ui.takeaway import AUDIT_HEADER, audit_table, write_rows

        rows = [r for d, fs in found.items() for r in audit_table(d, fs)]
        print(f"已写入 {write_rows(AUDIT_HEADER, rows, _out_path(args.out))}", file=sys.stderr)
    if args.json:
        print(dump_json(results[0] if len(results) == 1 else results))
        return 0
    for r in results:
        counts = {s: sum(1 for f in r["findings"] if f["severity"] == s) for s in ("error", "warning", "info")}
        print(f"== {r['doc_id']}: {counts['error']} error, {counts['warning']} warning, {counts['info']} info")
        for f in r["findings"]:
            page = f"第{f['page']}页" if f["page"] else "页码不详"
            print(
                f"  [{f['severity']}] {f['message']}（应为 {f['expected']}，实为 {f['found']}）· {page} · {f['section']}"
            )
            print(f"      「{f['quote'][:120]}」")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from ui.cli_eval import run_eval

    return run_eval(args, settings)


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.doctor import examine
    from ingest.pipeline import Store

    checks = examine(Store(settings, write=args.repair), repair=args.repair)
    for c in checks:
        mark = "ok " if c.ok else ("fixed" if c.repaired else "PROBLEM")
        print(f"{mark:<8}{c.name}: {c.detail}")
    open_problems = [c for c in checks if not c.ok and not c.repaired]
    if open_problems and not args.repair:
        print("run `budgetqa doctor --repair` to fix what can be fixed here", file=sys.stderr)
    return 1 if open_problems else 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import os

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from an offline machine
    from ui.web import serve

    if not 0 < args.port < 65536:
        raise BadInputError(f"--port {args.port} is not a port number; use e.g. 7860")
    users = serve_logins(args.auth, settings)  # hashed passwords, delays and lockout (ui.auth)
    if not users and args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"budgetqa: warning: serving on {args.host} without --auth: anyone who reaches port {args.port} "
            "can ask and upload; give --auth USERS_FILE or BUDGETQA_AUTH=user:password",
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
            raise BadInputError(f"{source}: {item.split(':')[0]!r} has no password; write user:password")
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
    "user": cmd_user,
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="budgetqa", description="Cited, number-checked answers over Chinese budget reports."
    )
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("ingest", help="read reports (PDF/TXT/MD) into the index")
    s.add_argument("paths", nargs="*", help="files or folders (default: corpus/)")
    s.add_argument("--prune", action="store_true", help="drop reports whose file is gone")
    s.add_argument(
        "--rebuild",
        action="store_true",
        help="start the index afresh (a damaged catalog): remove it, then read the files",
    )
    s = sub.add_parser("ask", help="ask a question")
    s.add_argument("question")
    s.add_argument("--doc", action="append", help="restrict to a report (doc_id); repeatable")
    s.add_argument("--top-k", type=int, default=None)
    s.add_argument("--json", action="store_true", help="same as --format json")
    s.add_argument(
        "--format", choices=["text", "md", "json"], default="text", help="md: answer, checks and sources as Markdown"
    )
    s.add_argument(
        "--follow-up", action="store_true", help="complete the question from the previous `ask` (report, year, item)"
    )
    s.add_argument(
        "--session", default="", help="a named conversation for scripts: each ask continues the last one of that name"
    )
    s.add_argument(
        "--llm",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="answer with the configured LLM (--no-llm: extractive); default: the LLM when configured",
    )
    s = sub.add_parser("chat", help="a conversation in the terminal: follow-up questions keep the report and year")
    s.add_argument("--doc", action="append", help="restrict to a report (doc_id); repeatable")
    s.add_argument("--top-k", type=int, default=None)
    s.add_argument("--llm", action=argparse.BooleanOptionalAction, default=None)
    s = sub.add_parser("doctor", help="check the home (catalog, vectors, indexes, source files); --repair fixes")
    s.add_argument("--repair", action="store_true", help="delete stray vectors, embed missing ones, rebuild indexes")
    add_docs_parser(sub)
    s = sub.add_parser("check", help="check each number of a sentence against the reports' tables")
    s.add_argument("sentence")
    s.add_argument("--doc", action="append", help="report(s) to check against (default: those the sentence names)")
    s.add_argument("--json", action="store_true")
    s = sub.add_parser("locate", help="find where a quote or a figure stands (citation lookup)")
    s.add_argument("text")
    s.add_argument("--doc", action="append")
    s.add_argument("--json", action="store_true")
    s.add_argument("--out", default="", help="also write the places to this .csv or .xlsx file")
    s = sub.add_parser("audit", help="internal consistency of reports")
    s.add_argument("doc_ids", nargs="*")
    s.add_argument("--json", action="store_true")
    s.add_argument("--out", default="", help="also write the findings to this .csv or .xlsx file")
    s = sub.add_parser("compare", help="one item across reports, straight from their tables, every cell cited")
    s.add_argument(
        "item", help="三公经费, 一般公共预算财政拨款支出, 社会保障和就业支出, 收入总计, or a code such as 208"
    )
    s.add_argument("--doc", action="append", help="only these reports (doc_id); repeatable")
    s.add_argument("--department", default="", help="reports whose department or title contains this")
    s.add_argument("--year", type=int, action="append", help="only reports of this year; repeatable")
    s.add_argument("--kind", choices=["决算", "预算", "绩效自评", "other"], default=None)
    s.add_argument("--rank", action="store_true", help="order by value (default: by year for one body)")
    s.add_argument("--csv", default="", help="also write the table to this CSV file")
    s.add_argument("--out", default="", help="also write the table to this .csv or .xlsx file")
    s.add_argument("--json", action="store_true")
    s = sub.add_parser("tables", help="list a report's tables; --csv DIR exports them")
    s.add_argument("doc_id")
    s.add_argument("--csv", default="")
    s = sub.add_parser("eval", help="run a gold question set and report metrics")
    s.add_argument("--gold", default="", help="JSON Lines gold file (default: the dev set eval/gold/dev.jsonl)")
    s.add_argument("--top-k", type=int, default=5)
    s.add_argument("--doc-filter", action="store_true", help="restrict each question to its report")
    s.add_argument("--json", action="store_true")
    s.add_argument("--out", default="", help="write report.json, report.md and PNG plots here")
    s.add_argument("--baseline", action="store_true", help="also run the llama-index default pipeline")
    s.add_argument("--by-family", action="store_true", help="figures for each family of reports")
    s.add_argument(
        "--lofo",
        action="store_true",
        help="leave one family out: score each family with the tuning chosen on the other families",
    )
    s.add_argument("--families", default="", help="TSV doc_id<TAB>family (default: eval/gold/families.tsv)")
    s.add_argument("--llm", action="store_true", help="also run the LLM mode (needs BUDGETQA_LLM_*)")
    s.add_argument(
        "--numbers",
        action="store_true",
        help="the number probe instead of questions: the reports' own sentences checked against their own "
        "tables (false ✗), and the same sentences with one amount changed (false ✓)",
    )
    s.add_argument("--doc", action="append", help="with --numbers: only these reports")
    s = sub.add_parser("serve", help="the web app (Gradio)")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    s.add_argument("--port", type=int, default=7860)
    s.add_argument("--auth", default="", help="an auth file written by `budgetqa user add` (default: BUDGETQA_HOME/users.auth)")
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
        print(f"budgetqa: {exc}", file=sys.stderr)
        return 2
    except BackendError as exc:
        print(f"budgetqa: {exc}", file=sys.stderr)
        return 3
    except BudgetQAError as exc:
        print(f"budgetqa: {exc}", file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as exc:  # a catalog damaged while in use (the open itself is checked)
        print(
            f"budgetqa: the catalog under {settings.home if settings else 'BUDGETQA_HOME'} is damaged or unreadable ({exc}); "
            "run `budgetqa ingest --rebuild PATH...`",
            file=sys.stderr,
        )
        return 1
    except BrokenPipeError:  # `budgetqa … | head`: the reader left, nothing to report
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("budgetqa: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
